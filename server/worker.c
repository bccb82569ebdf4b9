/* SPDX-License-Identifier: BSD-2-Clause */
/* worker.c -- query threads: one libevent loop each, UDP in recvmmsg batches, TCP per RFC 7766. */
/* UPDATE requests are handed to the writer thread (writer.h); their TCP answers come back here. */
/* AXFR/IXFR (xfr.h) and NOTIFY (notify.h) are answered here, after query_process()'s TSIG check. */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/thread.h>

#include "conf.h"
#include "cookie.h"
#include "ilnpdns/error.h"
#include "ilnpdns/log.h"
#include "ilnpdns/wire.h"
#include "notify.h"
#include "query.h"
#include "querylog.h"
#include "rrl.h"
#include "server.h"
#include "stats.h"
#include "store.h"
#include "tsig_answer.h"
#include "writer.h"
#include "xfr.h"

#define MSG_MAX       65535 /* a DNS message never exceeds this (2-octet TCP length) */
#define UDP_BATCH     32    /* datagrams per recvmmsg/sendmmsg */
#define UDP_ROUNDS    8     /* batches per wake-up before TCP gets a turn */
#define TCP_ACCEPTS   64    /* accepts per wake-up */
#define TCP_IN_START  4096  /* initial per-connection input buffer */
#define UDP_RCVBUF    (1 << 20)
#define SRC_TABLE_MAX (1u << 20)
#define REPLAY_SLOTS  8192 /* signed queries remembered for the TSIG fudge window, all workers */
#define XFR_BURST     8    /* transfer messages per wake-up before other connections get a turn */

/* Room for either pktinfo form in one control message. */
#define PKTINFO_SPACE CMSG_SPACE(sizeof(struct in6_pktinfo))

union cmsg_buf {
	struct cmsghdr align;
	uint8_t buf[PKTINFO_SPACE];
};

struct worker;

struct udp_sock {
	struct worker *w;
	int fd;
	int family;
	bool wildcard; /* bound to 0.0.0.0 or ::, so replies name their source address */
	struct event *ev;
};

struct tcp_listener {
	struct worker *w;
	int fd;
	struct event *ev;
	struct event *pause; /* re-enables accepting after running out of descriptors */
};

struct tcp_conn {
	struct worker *w;
	int fd;
	struct event *ev;
	short armed;            /* EV_READ or EV_WRITE: what ev waits for */
	struct event *deadline; /* conn_deadline() */
	short deadline_for;     /* EV_READ: a message coming in, EV_WRITE: one going out, 0: off */
	struct sockaddr_storage peer;
	socklen_t peerlen;
	uint8_t *in; /* received octets not yet consumed: length-prefixed messages */
	size_t inlen, incap;
	uint8_t *out; /* the unsent tail of one response */
	size_t outoff, outlen, outcap;
	bool eof; /* the client half-closed: answer what is buffered, then close */
	/*
	 * Updates of this connection at the writer: the struct lives until the
	 * last one is back, even if the connection closes before (dead).
	 */
	unsigned refs;
	bool dead;
	struct writer_req *pend, *pend_tail; /* update answers waiting for out to drain */
	struct tcp_conn *prev, *next;
	/*
	 * A transfer in progress: one more producer on the connection, fed as
	 * the socket accepts (no further query is read until it ends). It has
	 * its own read snapshot (RFC 5936 3: one version of the zone) and its
	 * own reference to the configuration its TSIG key lives in.
	 */
	struct xfr *xfr;
	struct store_txn *xfr_txn;
	struct conf *xfr_conf;
	uint8_t *xfr_req; /* the request, for a SERVFAIL if the transfer fails */
	size_t xfr_reqlen;
	struct ilnpdns_tsig_state xfr_tsig;
	bool xfr_signed;
	uint16_t xfr_payload;
	uint8_t xfr_apex[ILNPDNS_DNAME_MAXLEN];
	bool close_after; /* close once the output has drained (after a failed transfer) */
};

/*
 * Connections per client address, shared by all workers: SO_REUSEPORT
 * spreads one client's connections over every worker, so a per-worker count
 * would multiply the limit. Touched only at accept and close, never per
 * query, so a mutex is cheap. Open addressing with linear probing and
 * backward-shift deletion; the seed keeps clients from choosing collisions.
 */
struct src_entry {
	uint8_t addr[16];
	uint8_t family;
	uint32_t count; /* 0: empty slot */
};

struct src_table {
	pthread_mutex_t lock;
	struct src_entry *slots;
	size_t mask;
	uint64_t seed;
	unsigned limit;
};

struct worker {
	struct server *srv;
	unsigned idx;
	pthread_t thread;
	bool thread_started;
	struct event_base *base;
	struct event *stop_ev;
	struct stats *stats;
	struct query_ctx *qctx;
	struct store_txn *txn;
	struct src_table *srcs;
	struct ilnpdns_tsig_replay *replay; /* shared by all workers; locks internally */
	struct conf *conf;     /* referenced: TSIG keys for signed queries (renewed per batch) */
	struct writer *writer; /* NULL: no writer, query_process() answers NOTIMP */
	struct rrl *rrl;       /* response rate limiting (rrl.h), NULL: off */
	uint8_t rrl_name[ILNPDNS_DNAME_MAXLEN];

	/* TCP update answers handed back by the writer thread (done_cb writes them). */
	pthread_mutex_t done_lock;
	struct writer_req *done, *done_tail;
	struct event *done_ev;

	struct udp_sock *udp;
	size_t nudp;
	struct tcp_listener *tcp;
	size_t ntcp;
	struct tcp_conn *conns;
	size_t nconns;

	/* Transport settings copied at start: reload swaps srv->conf under us. */
	struct timeval idle;
	bool idle_on;
	struct timeval msg_time; /* tcp-message-timeout */
	bool msg_on;
	unsigned max_clients;

	/* UDP batch state and buffers, allocated once per worker. */
	struct mmsghdr rmsg[UDP_BATCH], smsg[UDP_BATCH];
	struct iovec riov[UDP_BATCH], siov[UDP_BATCH];
	struct sockaddr_storage from[UDP_BATCH];
	union cmsg_buf rctl[UDP_BATCH], sctl[UDP_BATCH];
	uint8_t *rbuf; /* UDP_BATCH x MSG_MAX */
	uint8_t *sbuf; /* UDP_BATCH x MSG_MAX */
	uint8_t *tbuf; /* one TCP response: 2-octet length, then the message */

	time_t last_complaint; /* rate limit for per-packet error logs */
};

/* ---- small helpers ---- */

static bool complain_ok(struct worker *w)
{
	time_t now = time(NULL);
	if (now == w->last_complaint)
		return false;
	w->last_complaint = now;
	return true;
}

static void addr_key(const struct sockaddr_storage *ss, uint8_t *family, uint8_t addr[16])
{
	memset(addr, 0, 16);
	*family = (uint8_t)ss->ss_family;
	if (ss->ss_family == AF_INET)
		memcpy(addr, &((const struct sockaddr_in *)ss)->sin_addr, 4);
	else if (ss->ss_family == AF_INET6)
		memcpy(addr, &((const struct sockaddr_in6 *)ss)->sin6_addr, 16);
}

/* ---- per-source connection counts ---- */

static size_t src_hash(const struct src_table *t, uint8_t family, const uint8_t addr[16])
{
	/* FNV-1a, seeded: enough spread for a table bounded by the connection limits. */
	uint64_t h = 0xcbf29ce484222325ULL ^ t->seed;
	h = (h ^ family) * 0x100000001b3ULL;
	for (int i = 0; i < 16; i++)
		h = (h ^ addr[i]) * 0x100000001b3ULL;
	return (size_t)(h ^ (h >> 32)) & t->mask;
}

static struct src_table *src_table_new(unsigned limit, size_t max_conns)
{
	struct src_table *t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	size_t cap = 64;
	while (cap < 2 * max_conns && cap < SRC_TABLE_MAX)
		cap <<= 1;
	t->slots = calloc(cap, sizeof(*t->slots));
	if (!t->slots) {
		free(t);
		return NULL;
	}
	t->mask = cap - 1;
	t->limit = limit;
	if (getrandom(&t->seed, sizeof(t->seed), 0) != (ssize_t)sizeof(t->seed))
		t->seed = (uint64_t)time(NULL) ^ (uint64_t)getpid();
	pthread_mutex_init(&t->lock, NULL);
	return t;
}

static void src_table_free(struct src_table *t)
{
	if (!t)
		return;
	pthread_mutex_destroy(&t->lock);
	free(t->slots);
	free(t);
}

/* Count one more connection from ss; false when that would pass the limit. */
static bool src_acquire(struct src_table *t, const struct sockaddr_storage *ss)
{
	if (!t->limit)
		return true;
	uint8_t family, addr[16];
	addr_key(ss, &family, addr);
	bool ok = false;
	pthread_mutex_lock(&t->lock);
	size_t i = src_hash(t, family, addr);
	for (size_t probes = 0; probes <= t->mask; probes++, i = (i + 1) & t->mask) {
		struct src_entry *e = &t->slots[i];
		if (e->count == 0) {
			/* Keep one slot free so that probing always ends. */
			if (probes == t->mask)
				break;
			memcpy(e->addr, addr, 16);
			e->family = family;
			e->count = 1;
			ok = true;
			break;
		}
		if (e->family == family && memcmp(e->addr, addr, 16) == 0) {
			if (e->count < t->limit) {
				e->count++;
				ok = true;
			}
			break;
		}
	}
	pthread_mutex_unlock(&t->lock);
	return ok;
}

static void src_release(struct src_table *t, const struct sockaddr_storage *ss)
{
	if (!t->limit)
		return;
	uint8_t family, addr[16];
	addr_key(ss, &family, addr);
	pthread_mutex_lock(&t->lock);
	size_t i = src_hash(t, family, addr);
	for (size_t probes = 0; probes <= t->mask; probes++, i = (i + 1) & t->mask) {
		struct src_entry *e = &t->slots[i];
		if (e->count == 0)
			break;
		if (e->family != family || memcmp(e->addr, addr, 16) != 0)
			continue;
		if (--e->count > 0)
			break;
		/* Backward-shift deletion: pull later entries of the probe run into
		 * the hole unless they already sit between their home and the hole. */
		size_t hole = i;
		for (size_t j = (i + 1) & t->mask; t->slots[j].count; j = (j + 1) & t->mask) {
			size_t home = src_hash(t, t->slots[j].family, t->slots[j].addr);
			if (((j - home) & t->mask) >= ((j - hole) & t->mask)) {
				t->slots[hole] = t->slots[j];
				t->slots[j].count = 0;
				hole = j;
			}
		}
		break;
	}
	pthread_mutex_unlock(&t->lock);
}

/* ---- the configuration and the read transaction, per batch ---- */

/*
 * Follow a reload: the keys signed queries are checked with come from the
 * conf the worker holds a reference to. One atomic load per batch; the
 * lock is taken only when the pointer changed.
 */
static void conf_renew(struct worker *w)
{
	if (__atomic_load_n(&w->srv->conf, __ATOMIC_ACQUIRE) == w->conf)
		return;
	struct conf *c = server_conf_acquire(w->srv);
	query_ctx_set_tsig(w->qctx, conf_tsig_lookup, c, w->replay);
	/* The old secret stays good for cookies given out before the reload. */
	cookie_ctx_set_secrets(query_ctx_cookie(w->qctx), c->cookie_secret,
	                       w->conf != NULL ? w->conf->cookie_secret : NULL);
	conf_unref(w->conf);
	w->conf = c;
}

static bool txn_begin(struct worker *w)
{
	conf_renew(w);
	int rc = store_txn_renew(w->txn);
	if (rc && complain_ok(w))
		log_warnx("worker %u: cannot renew the store snapshot: %s", w->idx,
		          ilnpdns_strerror(rc));
	return rc == 0;
}

/* ---- UDP ---- */

/* Find the address the datagram was sent to, as a pktinfo control message. */
static const struct cmsghdr *udp_dst(struct msghdr *h)
{
	for (struct cmsghdr *c = CMSG_FIRSTHDR(h); c; c = CMSG_NXTHDR(h, c)) {
		if ((c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) ||
		    (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO))
			return c;
	}
	return NULL;
}

/*
 * Answer from the address the query was sent to: on a wildcard socket the
 * kernel would otherwise pick a source by routing, and a client that sent to
 * one of our other addresses drops the reply as unsolicited. Writes the
 * control message into buf (PKTINFO_SPACE octets, aligned for a cmsghdr)
 * and returns its length, or 0 when none is needed.
 */
static size_t pktinfo_build(const struct udp_sock *u, struct msghdr *rh, uint8_t *buf)
{
	const struct cmsghdr *rc = u->wildcard ? udp_dst(rh) : NULL;
	if (!rc)
		return 0;
	struct msghdr sh = {.msg_control = buf, .msg_controllen = PKTINFO_SPACE};
	struct cmsghdr *c = CMSG_FIRSTHDR(&sh);
	if (rc->cmsg_level == IPPROTO_IP) {
		struct in_pktinfo pi;
		memcpy(&pi, CMSG_DATA(rc), sizeof(pi));
		pi.ipi_ifindex =
		    0; /* the source address alone decides, routing picks the way out */
		c->cmsg_level = IPPROTO_IP;
		c->cmsg_type = IP_PKTINFO;
		c->cmsg_len = CMSG_LEN(sizeof(pi));
		memcpy(CMSG_DATA(c), &pi, sizeof(pi));
		return CMSG_SPACE(sizeof(pi));
	}
	/* Keep the interface index: a link-local source needs it. */
	c->cmsg_level = IPPROTO_IPV6;
	c->cmsg_type = IPV6_PKTINFO;
	c->cmsg_len = CMSG_LEN(sizeof(struct in6_pktinfo));
	memcpy(CMSG_DATA(c), CMSG_DATA(rc), sizeof(struct in6_pktinfo));
	return CMSG_SPACE(sizeof(struct in6_pktinfo));
}

static void udp_set_src(struct worker *w, const struct udp_sock *u, unsigned m, struct msghdr *rh)
{
	struct msghdr *sh = &w->smsg[m].msg_hdr;
	size_t n = pktinfo_build(u, rh, w->sctl[m].buf);
	sh->msg_control = n ? w->sctl[m].buf : NULL;
	sh->msg_controllen = n;
}

static void udp_send(struct worker *w, struct udp_sock *u, unsigned m)
{
	unsigned off = 0;
	while (off < m) {
		int r = sendmmsg(u->fd, w->smsg + off, m - off, 0);
		if (r > 0) {
			off += (unsigned)r;
			continue;
		}
		if (r < 0 && errno == EINTR)
			continue;
		/* The first remaining datagram failed (full socket buffer, bad
		 * destination): drop it and go on with the rest. */
		if (complain_ok(w))
			log_warn("worker %u: udp sendmmsg", w->idx);
		w->stats->dropped++;
		off++;
	}
}

/* ---- transfers and NOTIFY (handed off by query_process()) ---- */

static void peer_text(const struct sockaddr *sa, char *buf, size_t cap)
{
	char a[INET6_ADDRSTRLEN] = "?";
	unsigned port = 0;
	if (sa && sa->sa_family == AF_INET) {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)sa;
		inet_ntop(AF_INET, &s4->sin_addr, a, sizeof(a));
		port = ntohs(s4->sin_port);
	} else if (sa && sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)sa;
		inet_ntop(AF_INET6, &s6->sin6_addr, a, sizeof(a));
		port = ntohs(s6->sin6_port);
	}
	snprintf(buf, cap, "%s#%u", a, port);
}

static const char *xfr_kind_text(enum xfr_kind k)
{
	switch (k) {
	case XFR_AXFR:
		return "AXFR";
	case XFR_IXFR_CURRENT:
		return "IXFR (client current)";
	case XFR_IXFR_INCREMENTAL:
		return "IXFR incremental";
	case XFR_IXFR_FULL:
		return "IXFR full";
	case XFR_IXFR_UDP_SOA:
		return "IXFR over UDP, SOA only";
	}
	return "?";
}

/* A data-free answer to a handed-off request, signed when it was. Returns its length or 0. */
static size_t handoff_error(struct worker *w, const uint8_t *req, size_t len, int rcode,
                            uint8_t *out, size_t cap, struct query_info *info)
{
	const struct query_handoff_info *h = query_ctx_handoff(w->qctx);
	size_t outlen = 0;
	if (tsig_answer_build(h->tctx, h->tsig, req, len, rcode, h->edns_payload, h->now, out, cap,
	                      &outlen) != 0) {
		info->dropped = true;
		return 0;
	}
	info->rcode = (uint8_t)rcode;
	return outlen;
}

static size_t handoff_notify(struct worker *w, const uint8_t *req, size_t len,
                             const struct sockaddr *peer, uint8_t *out, size_t cap,
                             struct query_info *info)
{
	const struct query_handoff_info *h = query_ctx_handoff(w->qctx);
	char who[INET6_ADDRSTRLEN + 8];
	size_t outlen = 0;
	int rcode = 0;
	peer_text(peer, who, sizeof(who));
	if (notify_answer(w->txn, h->tctx, h->tsig, req, len, h->edns_payload, who, h->now, out,
	                  cap, &outlen, &rcode) != 0) {
		info->dropped = true;
		return 0;
	}
	info->rcode = (uint8_t)rcode;
	return outlen;
}

/*
 * The checks before a transfer: the request parses (FORMERR), the zone is
 * configured and its allow-transfer admits the client and its key (REFUSED;
 * RFC 5936 5), the zone is in the store (NOTAUTH). Returns -1 to go on
 * (*zone set from txn), else the RCODE to answer with.
 */
static int xfr_check(struct worker *w, struct store_txn *txn, const uint8_t *req, size_t len,
                     const struct sockaddr *peer, struct xfr_request *xr, struct store_zone *zone)
{
	const struct query_handoff_info *h = query_ctx_handoff(w->qctx);
	if (xfr_parse_request(req, len, xr) != 0)
		return ILNPDNS_RCODE_FORMERR;
	const struct conf_zone *cz = conf_zone_find(w->conf, xr->qname);
	int rc = store_zone_get(txn, xr->qname, zone);
	if (cz == NULL)
		return rc == 0 ? ILNPDNS_RCODE_REFUSED : ILNPDNS_RCODE_NOTAUTH;
	if (!conf_transfer_allowed(cz, peer, h->tsig ? h->tsig->key_name : NULL))
		return ILNPDNS_RCODE_REFUSED;
	if (rc == ILNPDNS_ENOENT)
		return ILNPDNS_RCODE_NOTAUTH;
	return rc == 0 ? -1 : ILNPDNS_RCODE_SERVFAIL;
}

static void xfr_log(const struct xfr *it, const struct xfr_request *xr, const struct sockaddr *peer,
                    const struct ilnpdns_tsig_state *tsig, bool udp)
{
	char zone[4 * ILNPDNS_DNAME_MAXLEN + 1], who[INET6_ADDRSTRLEN + 8],
	    key[4 * ILNPDNS_DNAME_MAXLEN + 8] = "unsigned";
	uint64_t msgs, rrs;
	if (ilnpdns_dname_to_str(xr->qname, zone, sizeof(zone)) < 0)
		snprintf(zone, sizeof(zone), "?");
	if (tsig) {
		char k[4 * ILNPDNS_DNAME_MAXLEN + 1];
		if (ilnpdns_dname_to_str(tsig->key_name, k, sizeof(k)) < 0)
			snprintf(k, sizeof(k), "?");
		snprintf(key, sizeof(key), "key %s", k);
	}
	peer_text(peer, who, sizeof(who));
	xfr_counts(it, &msgs, &rrs);
	log_notice("xfr %s to %s %s%s: %s, serial %u, %llu messages, %llu RRs", zone, who, key,
	           udp ? " udp" : "", xfr_kind_text(xfr_kind(it)), xfr_serial(it),
	           (unsigned long long)msgs, (unsigned long long)rrs);
}

/*
 * UDP: IXFR answers when it fits, else with the SOA only so that the client
 * retries over TCP (RFC 1995 2); AXFR is not defined over UDP (RFC 5936
 * 4.2): an allowed client gets an empty TC=1 answer and comes back on TCP.
 */
static size_t udp_xfr(struct worker *w, const uint8_t *req, size_t len, const struct sockaddr *peer,
                      uint8_t *out, size_t cap, struct query_info *info)
{
	const struct query_handoff_info *h = query_ctx_handoff(w->qctx);
	struct xfr_request xr;
	struct store_zone zone;
	int rcode = xfr_check(w, w->txn, req, len, peer, &xr, &zone);
	if (rcode >= 0)
		return handoff_error(w, req, len, rcode, out, h->udp_limit, info);
	if (xr.qtype == ILNPDNS_T_AXFR) {
		size_t outlen = 0;
		if (tsig_answer_build(h->tctx, NULL, req, len, ILNPDNS_RCODE_NOERROR,
		                      h->edns_payload, h->now, out, h->udp_limit, &outlen) != 0) {
			info->dropped = true;
			return 0;
		}
		ilnpdns_put16(out + 2, ilnpdns_get16(out + 2) | ILNPDNS_FLAG_TC);
		if (h->tsig &&
		    ilnpdns_tsig_sign_answer(h->tctx, h->tsig, out, &outlen, cap, h->now)) {
			info->dropped = true;
			return 0;
		}
		info->truncated = true;
		return outlen;
	}
	struct xfr_opts opts = {.udp_size = h->udp_limit,
	                        .edns_payload = h->edns_payload,
	                        .edns_do = h->edns_do,
	                        .now = h->now};
	struct xfr *it = NULL;
	size_t outlen = 0;
	int rc = xfr_begin(&it, w->txn, &zone, &xr, h->tctx, h->tsig, &opts);
	if (rc == 0)
		rc = xfr_next(it, out, h->udp_limit, &outlen);
	if (rc < 0) {
		if (complain_ok(w))
			log_warnx("worker %u: IXFR over UDP failed: %s", w->idx,
			          ilnpdns_strerror(rc));
		xfr_end(it);
		return handoff_error(w, req, len, ILNPDNS_RCODE_SERVFAIL, out, h->udp_limit, info);
	}
	xfr_log(it, &xr, peer, h->tsig, true);
	if (xfr_kind(it) != XFR_IXFR_UDP_SOA && w->srv->notify)
		notify_xfr_done(w->srv->notify, zone.apex, peer,
		                xfr_kind(it) == XFR_AXFR ? ILNPDNS_T_AXFR : ILNPDNS_T_IXFR,
		                xfr_serial(it));
	xfr_end(it);
	info->rcode = ILNPDNS_RCODE_NOERROR;
	return outlen;
}

/* A request query_process() left to us, over UDP. */
static size_t udp_handoff(struct worker *w, const uint8_t *req, size_t len,
                          const struct sockaddr *peer, uint8_t *out, size_t cap,
                          struct query_info *info)
{
	const struct query_handoff_info *h = query_ctx_handoff(w->qctx);
	if (info->handoff == QUERY_HANDOFF_NOTIFY)
		return handoff_notify(w, req, len, peer, out, h->udp_limit, info);
	return udp_xfr(w, req, len, peer, out, cap, info);
}

/* ---- UPDATE: hand over to the writer ---- */

_Static_assert(PKTINFO_SPACE <= WRITER_CTL_MAX, "writer_req.ctl holds a pktinfo");

/* An UPDATE request (opcode 5, QR 0) goes to the writer, if there is one. */
static bool is_update(const struct worker *w, const uint8_t *msg, size_t len)
{
	if (!w->writer || len < ILNPDNS_HDR_LEN)
		return false;
	uint16_t flags = ilnpdns_get16(msg + 2);
	return !(flags & ILNPDNS_FLAG_QR) && ILNPDNS_OPCODE(flags) == ILNPDNS_OP_UPDATE;
}

/* Count a request that could not be handed over (it gets no answer). */
static void update_dropped(struct worker *w, enum query_transport t, int rc)
{
	struct query_info info = {.dropped = true, .opcode = ILNPDNS_OP_UPDATE};
	stats_count(w->stats, t, &info);
	if (rc == ILNPDNS_ENOSPC)
		w->stats->update.queue_full++;
	if (complain_ok(w))
		log_warnx("worker %u: update dropped: %s", w->idx,
		          rc == ILNPDNS_ENOSPC ? "the writer's queue is full"
		                               : ilnpdns_strerror(rc));
}

/*
 * Writer thread: send a UDP answer from the socket and address the request
 * came to. sendmsg() on a socket another thread also uses is safe: each
 * datagram is one system call.
 */
static void udp_reply(struct writer_req *r)
{
	if (r->anslen) {
		struct iovec iov = {.iov_base = r->ans, .iov_len = r->anslen};
		struct msghdr h = {.msg_name = &r->peer,
		                   .msg_namelen = r->peerlen,
		                   .msg_iov = &iov,
		                   .msg_iovlen = 1,
		                   .msg_control = r->ctllen ? r->ctl.buf : NULL,
		                   .msg_controllen = r->ctllen};
		ssize_t n;
		do
			n = sendmsg(r->fd, &h, MSG_NOSIGNAL);
		while (n < 0 && errno == EINTR);
		if (n < 0)
			log_debug("update answer: udp sendmsg: %s", strerror(errno));
	}
	writer_req_free(r);
}

static void udp_update(struct worker *w, struct udp_sock *u, unsigned i, struct msghdr *rh)
{
	struct writer_req *r = writer_req_new(w->rbuf + (size_t)i * MSG_MAX, w->rmsg[i].msg_len);
	if (!r) {
		update_dropped(w, QUERY_UDP, ILNPDNS_ENOMEM);
		return;
	}
	r->transport = QUERY_UDP;
	memcpy(&r->peer, &w->from[i], rh->msg_namelen);
	r->peerlen = rh->msg_namelen;
	r->reply = udp_reply;
	r->owner = w;
	r->fd = u->fd;
	r->ctllen = pktinfo_build(u, rh, r->ctl.buf);
	int rc = writer_submit(w->writer, r);
	if (rc) {
		writer_req_free(r);
		update_dropped(w, QUERY_UDP, rc);
	}
}

/*
 * update.require-cookie-or-tcp (cookie.h): answer a SIG(0)-signed UDP
 * UPDATE without a valid cookie here, into send slot m, before the writer
 * could spend public-key work on it. Returns the answer's length, 0 when
 * the update goes on to the writer.
 */
static size_t udp_update_gate(struct worker *w, unsigned i, unsigned m)
{
	uint8_t rcode;
	bool tc;
	if (!w->conf->update_require_cookie)
		return 0;
	const uint8_t *req = w->rbuf + (size_t)i * MSG_MAX;
	size_t len = cookie_update_gate(query_ctx_cookie(w->qctx), req, w->rmsg[i].msg_len,
	                                (const struct sockaddr *)&w->from[i], (uint32_t)time(NULL),
	                                w->sbuf + (size_t)m * MSG_MAX, MSG_MAX, &rcode, &tc);
	if (len > 0) {
		stats_count_update(w->stats, QUERY_UDP, rcode, ilnpdns_get16(req + 10) > 0);
		if (tc)
			w->stats->truncated++;
	}
	return len;
}

static uint64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/*
 * Response rate limiting (rrl.h) of a UDP answer about to leave: its length,
 * that of the truncated answer sent instead (slip), or 0 to drop it. Only
 * QUERY answers count; a client that proved its address (a valid cookie, a
 * verified TSIG) is never limited.
 */
static size_t udp_rrl(struct worker *w, const struct sockaddr *from, uint8_t *resp, size_t len,
                      struct query_info *info, uint64_t now_ms)
{
	uint16_t qtype;
	if (w->rrl == NULL || len == 0 || info->opcode != ILNPDNS_OP_QUERY ||
	    info->cookie == COOKIE_VALID || (info->tsig && info->tsig_error == 0))
		return len;
	enum rrl_kind kind = rrl_classify(resp, len, w->rrl_name, &qtype);
	switch (rrl_check(w->rrl, from, kind, w->rrl_name, qtype, now_ms)) {
	case RRL_PASS:
		return len;
	case RRL_SLIP:
		if ((len = rrl_slip(resp, len)) > 0) {
			w->stats->rrl_slipped++;
			info->truncated = true;
			return len;
		}
		break;
	case RRL_DROP:
		break;
	}
	w->stats->rrl_dropped++;
	info->dropped = true;
	return 0;
}

static void udp_read(evutil_socket_t fd, short what, void *arg)
{
	struct udp_sock *u = arg;
	struct worker *w = u->w;

	for (int round = 0; round < UDP_ROUNDS; round++) {
		for (unsigned i = 0; i < UDP_BATCH; i++) {
			struct msghdr *h = &w->rmsg[i].msg_hdr;
			h->msg_namelen = sizeof(w->from[i]);
			h->msg_control = w->rctl[i].buf;
			h->msg_controllen = sizeof(w->rctl[i].buf);
			h->msg_flags = 0;
		}
		int n = recvmmsg(fd, w->rmsg, UDP_BATCH, MSG_DONTWAIT, NULL);
		if (n <= 0) {
			if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR &&
			    complain_ok(w))
				log_warn("worker %u: udp recvmmsg", w->idx);
			return;
		}
		if (!txn_begin(w)) {
			w->stats->dropped += (uint64_t)n;
			return;
		}
		unsigned m = 0;
		uint64_t now_ms = w->rrl != NULL ? mono_ms() : 0;
		for (int i = 0; i < n; i++) {
			struct msghdr *rh = &w->rmsg[i].msg_hdr;
			size_t len;
			if (is_update(w, w->rbuf + (size_t)i * MSG_MAX, w->rmsg[i].msg_len)) {
				if ((len = udp_update_gate(w, (unsigned)i, m)) == 0) {
					udp_update(w, u, (unsigned)i, rh);
					continue;
				}
			} else {
				struct query_info info = {0};
				len = query_process(w->qctx, w->txn, w->rbuf + (size_t)i * MSG_MAX,
				                    w->rmsg[i].msg_len, QUERY_UDP,
				                    (const struct sockaddr *)&w->from[i],
				                    w->sbuf + (size_t)m * MSG_MAX, MSG_MAX, &info);
				if (info.handoff)
					len = udp_handoff(
					    w, w->rbuf + (size_t)i * MSG_MAX, w->rmsg[i].msg_len,
					    (const struct sockaddr *)&w->from[i],
					    w->sbuf + (size_t)m * MSG_MAX, MSG_MAX, &info);
				len = udp_rrl(w, (const struct sockaddr *)&w->from[i],
				              w->sbuf + (size_t)m * MSG_MAX, len, &info, now_ms);
				stats_count(w->stats, QUERY_UDP, &info);
				if (querylog_on())
					querylog_write(QUERY_UDP,
					               (const struct sockaddr *)&w->from[i],
					               w->rbuf + (size_t)i * MSG_MAX,
					               w->rmsg[i].msg_len, &info);
			}
			if (len == 0)
				continue;
			struct msghdr *sh = &w->smsg[m].msg_hdr;
			w->siov[m].iov_base = w->sbuf + (size_t)m * MSG_MAX;
			w->siov[m].iov_len = len;
			sh->msg_iov = &w->siov[m];
			sh->msg_iovlen = 1;
			sh->msg_name = &w->from[i];
			sh->msg_namelen = rh->msg_namelen;
			sh->msg_flags = 0;
			udp_set_src(w, u, m, rh);
			m++;
		}
		/* Release the snapshot before the system call: a reader pins old
		 * pages, and writers should be able to reuse them soon. */
		store_txn_reset(w->txn);
		udp_send(w, u, m);
		if (n < UDP_BATCH)
			return;
	}
}

/* ---- TCP (RFC 7766) ---- */

static void conn_event(evutil_socket_t fd, short what, void *arg);

static void conn_drop_pending(struct tcp_conn *c)
{
	while (c->pend) {
		struct writer_req *r = c->pend;
		c->pend = r->next;
		writer_req_free(r);
	}
	c->pend_tail = NULL;
}

/* Forget the connection's transfer, if any: iterator, snapshot, configuration. */
static void conn_xfr_end(struct tcp_conn *c)
{
	if (c->xfr)
		xfr_end(c->xfr);
	if (c->xfr_txn)
		store_txn_abort(c->xfr_txn);
	conf_unref(c->xfr_conf);
	free(c->xfr_req);
	c->xfr = NULL;
	c->xfr_txn = NULL;
	c->xfr_conf = NULL;
	c->xfr_req = NULL;
}

/*
 * Close the socket and forget the connection. The struct itself stays while
 * updates of it are at the writer (refs): their answers come back to
 * conn_answer(), which frees it with the last one.
 */
static void conn_close(struct tcp_conn *c)
{
	struct worker *w = c->w;
	if (c->prev)
		c->prev->next = c->next;
	else
		w->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	w->nconns--;
	src_release(w->srcs, &c->peer);
	event_free(c->ev);
	event_free(c->deadline);
	close(c->fd);
	free(c->in);
	free(c->out);
	conn_xfr_end(c);
	conn_drop_pending(c);
	c->dead = true;
	if (c->refs == 0)
		free(c);
}

/* Wait for what (EV_READ or EV_WRITE), restarting the idle clock. */
static int conn_arm(struct tcp_conn *c, short what)
{
	struct worker *w = c->w;
	if (c->armed == what)
		return 0;
	event_del(c->ev);
	if (event_assign(c->ev, w->base, c->fd, what | EV_PERSIST, conn_event, c) != 0 ||
	    event_add(c->ev, w->idle_on ? &w->idle : NULL) != 0)
		return -1;
	c->armed = what;
	return 0;
}

static void conn_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct tcp_conn *c = arg;
	c->w->stats->tcp_timeouts++;
	conn_close(c);
}

/*
 * RFC 7766 6.2.3: the idle timer restarts with every octet, so a client
 * sending a byte now and then, or taking our answer a little at a time,
 * would hold the connection for ever. So a message begun must arrive whole
 * within tcp-message-timeout while we read (EV_READ), and an answer that
 * could not be written at once must leave whole within tcp-idle-timeout
 * (EV_WRITE); 0 stops the clock. A running clock is not restarted.
 */
static int conn_deadline(struct tcp_conn *c, short what)
{
	struct worker *w = c->w;
	if (c->deadline_for == what)
		return 0;
	evtimer_del(c->deadline);
	c->deadline_for = 0;
	if (what == 0 || (what == EV_WRITE && !w->idle_on) || (what == EV_READ && !w->msg_on))
		return 0;
	if (evtimer_add(c->deadline, what == EV_READ ? &w->msg_time : &w->idle) != 0)
		return -1;
	c->deadline_for = what;
	return 0;
}

/*
 * Send one framed response. Most go out whole in one system call (length
 * and message are contiguous in tbuf, so the client never sees a lone
 * length octet pair, RFC 7766 8); a partial write leaves the tail in the
 * connection's buffer, and no further query is read until it has drained,
 * which keeps the responses in order and the buffer at one message.
 */
static int conn_send(struct tcp_conn *c, const uint8_t *buf, size_t n)
{
	ssize_t r = send(c->fd, buf, n, MSG_NOSIGNAL);
	if (r < 0) {
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
			return -1;
		r = 0;
	}
	if ((size_t)r == n)
		return 0;
	size_t rest = n - (size_t)r;
	if (c->outcap < rest) {
		uint8_t *p = realloc(c->out, 2 + MSG_MAX);
		if (!p)
			return -1;
		c->out = p;
		c->outcap = 2 + MSG_MAX;
	}
	memcpy(c->out, buf + r, rest);
	c->outoff = 0;
	c->outlen = rest;
	return 0;
}

/* Returns -1 on a dead connection, 0 while output remains, 1 when drained. */
static int conn_flush(struct tcp_conn *c)
{
	while (c->outlen) {
		ssize_t r = send(c->fd, c->out + c->outoff, c->outlen, MSG_NOSIGNAL);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 0;
			return -1;
		}
		c->outoff += (size_t)r;
		c->outlen -= (size_t)r;
	}
	return 1;
}

/* Frame and send one answer the writer made. */
static int conn_send_answer(struct tcp_conn *c, const struct writer_req *r)
{
	uint8_t *t = c->w->tbuf;
	t[0] = (uint8_t)(r->anslen >> 8);
	t[1] = (uint8_t)r->anslen;
	memcpy(t + 2, r->ans, r->anslen);
	return conn_send(c, t, 2 + r->anslen);
}

/* Send the update answers that waited for the output buffer to drain. */
static int conn_send_pending(struct tcp_conn *c)
{
	/* Not between the messages of a transfer: they follow each other. */
	while (c->pend && c->outlen == 0 && !c->xfr) {
		struct writer_req *r = c->pend;
		c->pend = r->next;
		if (!c->pend)
			c->pend_tail = NULL;
		int rc = conn_send_answer(c, r);
		writer_req_free(r);
		if (rc)
			return -1;
	}
	return 0;
}

/*
 * Hand an UPDATE to the writer; its answer comes back through conn_answer()
 * on this worker's loop, whenever the writer has committed (RFC 7766 6.2.1.1
 * lets answers on a connection go out of order). A request that cannot be
 * handed over closes the connection, so the client is not left waiting.
 */
static int tcp_update(struct tcp_conn *c, const uint8_t *msg, size_t len);

/* Frame the message at tbuf + 2 and send it. */
static int conn_send_tbuf(struct tcp_conn *c, size_t len)
{
	uint8_t *t = c->w->tbuf;
	t[0] = (uint8_t)(len >> 8);
	t[1] = (uint8_t)len;
	return conn_send(c, t, 2 + len);
}

/*
 * Produce transfer messages while the socket takes them, at most XFR_BURST
 * per call so that one transfer does not hold the worker's other
 * connections. A failure mid-way is answered SERVFAIL and the connection
 * closed after it (RFC 5936 2.2: no way to resume). Returns -1 when the
 * connection must close now.
 */
static int conn_xfr_pump(struct tcp_conn *c)
{
	struct worker *w = c->w;
	for (int k = 0; k < XFR_BURST && c->xfr && c->outlen == 0; k++) {
		size_t len = 0;
		int r = xfr_next(c->xfr, w->tbuf + 2, MSG_MAX, &len);
		if (r < 0) {
			char who[INET6_ADDRSTRLEN + 8];
			peer_text((const struct sockaddr *)&c->peer, who, sizeof(who));
			log_warnx("xfr to %s failed: %s", who, ilnpdns_strerror(r));
			const struct query_handoff_info *h = query_ctx_handoff(w->qctx);
			len = 0;
			int rc = tsig_answer_build(h->tctx, c->xfr_signed ? &c->xfr_tsig : NULL,
			                           c->xfr_req, c->xfr_reqlen,
			                           ILNPDNS_RCODE_SERVFAIL, c->xfr_payload,
			                           ilnpdns_tsig_now(), w->tbuf + 2, MSG_MAX, &len);
			conn_xfr_end(c);
			c->close_after = true;
			if (rc != 0 || conn_send_tbuf(c, len) != 0)
				return -1;
			return 0;
		}
		if (conn_send_tbuf(c, len) != 0)
			return -1;
		if (r == 0) {
			struct xfr_request xr;
			xfr_parse_request(c->xfr_req, c->xfr_reqlen, &xr);
			xfr_log(c->xfr, &xr, (const struct sockaddr *)&c->peer,
			        c->xfr_signed ? &c->xfr_tsig : NULL, false);
			if (w->srv->notify)
				notify_xfr_done(
				    w->srv->notify, c->xfr_apex, (const struct sockaddr *)&c->peer,
				    xfr_kind(c->xfr) == XFR_AXFR ? ILNPDNS_T_AXFR : ILNPDNS_T_IXFR,
				    xfr_serial(c->xfr));
			conn_xfr_end(c);
		}
	}
	return 0;
}

/*
 * An AXFR/IXFR over TCP: the checks, then a transfer with its own snapshot
 * (not the worker's, which is reset per batch). Error answers are written
 * at once. Returns -1 when the connection must close.
 */
static int conn_xfr_start(struct tcp_conn *c, const uint8_t *req, size_t len)
{
	struct worker *w = c->w;
	const struct query_handoff_info *h = query_ctx_handoff(w->qctx);
	struct query_info info = {.handoff = QUERY_HANDOFF_XFR, .tsig = h->tsig != NULL};
	struct xfr_request xr = {0};
	struct store_zone zone;
	size_t outlen;
	int rc = store_txn_begin(w->srv->store, false, &c->xfr_txn);
	int rcode =
	    rc ? ILNPDNS_RCODE_SERVFAIL
	       : xfr_check(w, c->xfr_txn, req, len, (const struct sockaddr *)&c->peer, &xr, &zone);
	info.qtype = xr.qtype;
	if (rcode < 0) {
		struct xfr_opts opts = {.edns_payload = h->edns_payload, .edns_do = h->edns_do};
		c->xfr_conf = conf_ref(w->conf); /* the TSIG key lives in it */
		c->xfr_req = malloc(len);
		if (c->xfr_req == NULL)
			rc = ILNPDNS_ENOMEM;
		if (rc == 0) {
			memcpy(c->xfr_req, req, len);
			c->xfr_reqlen = len;
			c->xfr_signed = h->tsig != NULL;
			if (h->tsig)
				c->xfr_tsig = *h->tsig;
			c->xfr_payload = h->edns_payload;
			memcpy(c->xfr_apex, zone.apex, zone.apex_len);
			rc = xfr_begin(&c->xfr, c->xfr_txn, &zone, &xr, h->tctx, h->tsig, &opts);
		}
		if (rc == 0) {
			info.rcode = ILNPDNS_RCODE_NOERROR;
			stats_count(w->stats, QUERY_TCP, &info);
			return conn_xfr_pump(c);
		}
		log_warnx("worker %u: cannot start a transfer: %s", w->idx, ilnpdns_strerror(rc));
		rcode = ILNPDNS_RCODE_SERVFAIL;
	}
	conn_xfr_end(c);
	outlen = handoff_error(w, req, len, rcode, w->tbuf + 2, MSG_MAX, &info);
	stats_count(w->stats, QUERY_TCP, &info);
	if (outlen == 0)
		return 0;
	return conn_send_tbuf(c, outlen);
}

/*
 * Answer every complete message in the input buffer, in order (RFC 7766
 * 6.2.1.1: pipelined queries on one connection), then decide what to wait
 * for. Returns -1 if the connection was closed.
 */
static int conn_process(struct tcp_conn *c)
{
	struct worker *w = c->w;
	size_t pos = 0;
	bool snap = false;

	if (conn_xfr_pump(c) != 0)
		goto fail;
	if (conn_send_pending(c) != 0)
		goto fail;
	if (c->close_after && c->outlen == 0)
		goto fail;
	while (c->outlen == 0 && !c->xfr && !c->close_after && c->inlen - pos >= 2) {
		size_t mlen = ((size_t)c->in[pos] << 8) | c->in[pos + 1];
		if (c->inlen - pos < 2 + mlen)
			break;
		if (is_update(w, c->in + pos + 2, mlen)) {
			int rc = tcp_update(c, c->in + pos + 2, mlen);
			pos += 2 + mlen;
			if (rc != 0)
				goto fail;
			continue;
		}
		if (!snap && !(snap = txn_begin(w)))
			goto fail;
		struct query_info info = {0};
		size_t len =
		    query_process(w->qctx, w->txn, c->in + pos + 2, mlen, QUERY_TCP,
		                  (const struct sockaddr *)&c->peer, w->tbuf + 2, MSG_MAX, &info);
		if (info.handoff == QUERY_HANDOFF_XFR) {
			int rc = conn_xfr_start(c, c->in + pos + 2, mlen);
			pos += 2 + mlen;
			if (rc != 0)
				goto fail;
			continue;
		}
		if (info.handoff == QUERY_HANDOFF_NOTIFY)
			len = handoff_notify(w, c->in + pos + 2, mlen,
			                     (const struct sockaddr *)&c->peer, w->tbuf + 2,
			                     MSG_MAX, &info);
		stats_count(w->stats, QUERY_TCP, &info);
		if (querylog_on())
			querylog_write(QUERY_TCP, (const struct sockaddr *)&c->peer, c->in + pos + 2,
			               mlen, &info);
		pos += 2 + mlen;
		if (len == 0)
			continue;
		w->tbuf[0] = (uint8_t)(len >> 8);
		w->tbuf[1] = (uint8_t)len;
		if (conn_send(c, w->tbuf, 2 + len) != 0)
			goto fail;
	}
	if (snap)
		store_txn_reset(w->txn);
	snap = false;

	if (pos) {
		memmove(c->in, c->in + pos, c->inlen - pos);
		c->inlen -= pos;
		conn_deadline(c, 0); /* what follows is a new message */
	}
	/* Make room for the whole of a message we have the length of. */
	if (c->inlen >= 2) {
		size_t need = 2 + (((size_t)c->in[0] << 8) | c->in[1]);
		if (need > c->incap) {
			uint8_t *p = realloc(c->in, need);
			if (!p)
				goto fail;
			c->in = p;
			c->incap = need;
		}
	}

	/* A transfer that paused with the socket still writable comes back at once. */
	if (c->outlen || c->xfr)
		return conn_arm(c, EV_WRITE) == 0 && conn_deadline(c, c->outlen ? EV_WRITE : 0) == 0
		           ? 0
		           : (conn_close(c), -1);
	if (c->close_after) {
		conn_close(c);
		return -1;
	}
	if (c->eof) {
		if (c->refs || c->pend) {
			/* Update answers are still to come: wait for them with
			 * the socket unwatched (a closed side reads 0 forever). */
			event_del(c->ev);
			c->armed = 0;
			conn_deadline(c, 0);
			return 0;
		}
		/* RFC 7766 6.2.4: the client closed its side after its last query
		 * and has its answers; a partial message left over is abandoned. */
		conn_close(c);
		return -1;
	}
	return conn_arm(c, EV_READ) == 0 && conn_deadline(c, c->inlen ? EV_READ : 0) == 0
	           ? 0
	           : (conn_close(c), -1);

fail:
	if (snap)
		store_txn_reset(w->txn);
	conn_close(c);
	return -1;
}

static void conn_event(evutil_socket_t fd, short what, void *arg)
{
	struct tcp_conn *c = arg;
	struct worker *w = c->w;

	if (what & EV_TIMEOUT) {
		/* RFC 7766 6.2.3: a connection whose update is still at the
		 * writer is not idle; the persistent timer fires again later. */
		if (c->refs > 0)
			return;
		/* RFC 7766 6.2.3: reclaim idle connections. */
		w->stats->tcp_timeouts++;
		conn_close(c);
		return;
	}
	if (what & EV_WRITE) {
		int r = conn_flush(c);
		if (r < 0) {
			conn_close(c);
			return;
		}
		if (r == 0)
			return;
		conn_deadline(c, 0); /* the answer is out: the next one has its own time */
		conn_process(c);
		return;
	}
	ssize_t n = recv(fd, c->in + c->inlen, c->incap - c->inlen, 0);
	if (n < 0) {
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
			return;
		conn_close(c);
		return;
	}
	if (n == 0)
		c->eof = true;
	else
		c->inlen += (size_t)n;
	conn_process(c);
}

/* Writer thread: queue a TCP answer for the connection's worker and wake its loop. */
static void tcp_reply(struct writer_req *r)
{
	struct worker *w = r->owner;
	r->next = NULL;
	pthread_mutex_lock(&w->done_lock);
	if (w->done_tail)
		w->done_tail->next = r;
	else
		w->done = r;
	w->done_tail = r;
	pthread_mutex_unlock(&w->done_lock);
	event_active(w->done_ev, 0, 0);
}

static int tcp_update(struct tcp_conn *c, const uint8_t *msg, size_t len)
{
	struct worker *w = c->w;
	struct writer_req *r = writer_req_new(msg, len);
	if (!r) {
		update_dropped(w, QUERY_TCP, ILNPDNS_ENOMEM);
		return -1;
	}
	r->transport = QUERY_TCP;
	memcpy(&r->peer, &c->peer, c->peerlen);
	r->peerlen = c->peerlen;
	r->reply = tcp_reply;
	r->owner = w;
	r->conn = c;
	c->refs++;
	int rc = writer_submit(w->writer, r);
	if (rc) {
		c->refs--;
		writer_req_free(r);
		update_dropped(w, QUERY_TCP, rc);
		return -1;
	}
	return 0;
}

/* An update answer is back (worker thread): send it now or after the pending output. */
static void conn_answer(struct writer_req *r)
{
	struct tcp_conn *c = r->conn;
	c->refs--;
	if (c->dead) {
		writer_req_free(r);
		if (c->refs == 0)
			free(c);
		return;
	}
	if (r->anslen == 0) {
		writer_req_free(r);
	} else if (c->outlen || c->pend) {
		r->next = NULL;
		if (c->pend_tail)
			c->pend_tail->next = r;
		else
			c->pend = r;
		c->pend_tail = r;
	} else {
		int rc = conn_send_answer(c, r);
		writer_req_free(r);
		if (rc) {
			conn_close(c);
			return;
		}
	}
	if (c->outlen) {
		if (conn_arm(c, EV_WRITE) != 0 || conn_deadline(c, EV_WRITE) != 0)
			conn_close(c);
		return;
	}
	/* Input may wait behind the answer, or a half-closed client for it. */
	conn_process(c);
}

static void done_cb(evutil_socket_t fd, short what, void *arg)
{
	struct worker *w = arg;
	pthread_mutex_lock(&w->done_lock);
	struct writer_req *r = w->done;
	w->done = w->done_tail = NULL;
	pthread_mutex_unlock(&w->done_lock);
	while (r) {
		struct writer_req *next = r->next;
		conn_answer(r);
		r = next;
	}
}

static void conn_new(struct worker *w, int fd, const struct sockaddr_storage *ss, socklen_t sl)
{
	struct tcp_conn *c = calloc(1, sizeof(*c));
	if (!c)
		goto fail;
	c->in = malloc(TCP_IN_START);
	c->ev = event_new(w->base, fd, EV_READ | EV_PERSIST, conn_event, c);
	c->deadline = evtimer_new(w->base, conn_timeout, c);
	if (!c->in || !c->ev || !c->deadline)
		goto fail;
	c->w = w;
	c->fd = fd;
	c->incap = TCP_IN_START;
	memcpy(&c->peer, ss, sl);
	c->peerlen = sl;
	if (event_add(c->ev, w->idle_on ? &w->idle : NULL) != 0)
		goto fail;
	c->armed = EV_READ;
	c->next = w->conns;
	if (w->conns)
		w->conns->prev = c;
	w->conns = c;
	w->nconns++;
	w->stats->tcp_accepted++;
	return;

fail:
	if (c) {
		if (c->ev)
			event_free(c->ev);
		if (c->deadline)
			event_free(c->deadline);
		free(c->in);
		free(c);
	}
	src_release(w->srcs, ss);
	close(fd);
}

static void tcp_resume(evutil_socket_t fd, short what, void *arg)
{
	struct tcp_listener *l = arg;
	event_add(l->ev, NULL);
}

static void tcp_accept(evutil_socket_t lfd, short what, void *arg)
{
	struct tcp_listener *l = arg;
	struct worker *w = l->w;

	for (int k = 0; k < TCP_ACCEPTS; k++) {
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss);
		int fd = accept4(lfd, (struct sockaddr *)&ss, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == ECONNABORTED || errno == EINTR)
				continue;
			if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
			    errno == ENOMEM) {
				/* The pending connection stays readable: stop polling
				 * the listener for a moment instead of spinning. */
				if (complain_ok(w))
					log_warn("worker %u: tcp accept", w->idx);
				struct timeval tv = {0, 100 * 1000};
				event_del(l->ev);
				event_add(l->pause, &tv);
			}
			return;
		}
		/* Over a limit the connection is closed at once (RFC 7766 6.2.2
		 * lets a server refuse); the client sees the close, not a hang. */
		if ((w->max_clients && w->nconns >= w->max_clients) || !src_acquire(w->srcs, &ss)) {
			w->stats->tcp_refused++;
			close(fd);
			continue;
		}
		int one = 1;
		/* Pipelined answers must not wait for the previous one's ACK. */
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		conn_new(w, fd, &ss, sl);
	}
}

/* ---- sockets ---- */

static bool addr_is_wildcard(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET)
		return ((const struct sockaddr_in *)ss)->sin_addr.s_addr == htonl(INADDR_ANY);
	return IN6_IS_ADDR_UNSPECIFIED(&((const struct sockaddr_in6 *)ss)->sin6_addr);
}

static int sock_open(const struct conf_addr *a, int type)
{
	const char *proto = type == SOCK_DGRAM ? "udp" : "tcp";
	int one = 1, fd = socket(a->ss.ss_family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		int rc = -errno;
		log_warn("listen %s %s: socket", a->text, proto);
		return rc;
	}
	/* Each worker binds its own socket to the same address; the kernel
	 * spreads datagrams and connections over them by flow hash. */
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) != 0)
		goto fail;
	if (type == SOCK_STREAM && setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)))
		goto fail;
	if (a->ss.ss_family == AF_INET6) {
		/* v4 has its own sockets; mapped addresses would confuse limits and logs. */
		if (setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) != 0)
			goto fail;
		if (type == SOCK_DGRAM &&
		    setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one, sizeof(one)) != 0)
			goto fail;
	} else if (type == SOCK_DGRAM &&
	           setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof(one)) != 0) {
		goto fail;
	}
	if (type == SOCK_DGRAM) {
		int sz = UDP_RCVBUF; /* best effort: bursts beyond it are dropped by the kernel */
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	}
	if (bind(fd, (const struct sockaddr *)&a->ss, a->len) != 0)
		goto fail;
	if (type == SOCK_STREAM && listen(fd, SOMAXCONN) != 0)
		goto fail;
	return fd;

fail:;
	int rc = -errno;
	log_warn("listen %s %s", a->text, proto);
	close(fd);
	return rc;
}

/*
 * SO_REUSEPORT would let us join a socket group that another server (same
 * user) already holds on the address, silently splitting its traffic with
 * us. Bind once without it first: if that fails, the address is taken.
 */
static int listen_probe(const struct conf_addr *a, int type)
{
	const char *proto = type == SOCK_DGRAM ? "udp" : "tcp";
	int one = 1, rc = 0, fd = socket(a->ss.ss_family, type | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return 0; /* sock_open() reports socket failures */
	if (type == SOCK_STREAM)
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (a->ss.ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(fd, (const struct sockaddr *)&a->ss, a->len) != 0 && errno == EADDRINUSE) {
		rc = -EADDRINUSE;
		log_warnx("listen %s %s: address already in use by another process", a->text,
		          proto);
	}
	close(fd);
	return rc;
}

static void stop_cb(evutil_socket_t fd, short what, void *arg)
{
	struct worker *w = arg;
	event_base_loopbreak(w->base);
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	event_base_dispatch(w->base);
	return NULL;
}

static void worker_free(struct worker *w)
{
	if (!w)
		return;
	while (w->conns)
		conn_close(w->conns);
	while (w->done) {
		struct writer_req *r = w->done;
		w->done = r->next;
		writer_req_free(r);
	}
	if (w->done_ev)
		event_free(w->done_ev);
	pthread_mutex_destroy(&w->done_lock);
	for (size_t i = 0; i < w->nudp; i++) {
		if (w->udp[i].ev)
			event_free(w->udp[i].ev);
		close(w->udp[i].fd);
	}
	for (size_t i = 0; i < w->ntcp; i++) {
		if (w->tcp[i].ev)
			event_free(w->tcp[i].ev);
		if (w->tcp[i].pause)
			event_free(w->tcp[i].pause);
		close(w->tcp[i].fd);
	}
	if (w->stop_ev)
		event_free(w->stop_ev);
	if (w->base)
		event_base_free(w->base);
	if (w->txn)
		store_txn_abort(w->txn);
	if (w->qctx)
		query_ctx_free(w->qctx);
	rrl_free(w->rrl);
	conf_unref(w->conf);
	free(w->udp);
	free(w->tcp);
	free(w->rbuf);
	free(w->sbuf);
	free(w->tbuf);
	free(w);
}

static int worker_new(struct server *srv, unsigned idx, struct src_table *srcs,
                      struct ilnpdns_tsig_replay *replay, struct worker **out)
{
	const struct conf *conf = srv->conf;
	struct worker *w = calloc(1, sizeof(*w));
	int rc = ILNPDNS_ENOMEM;
	if (!w)
		return rc;
	w->srv = srv;
	w->idx = idx;
	w->stats = &srv->stats[idx];
	w->srcs = srcs;
	w->replay = replay;
	w->writer = srv->writer;
	pthread_mutex_init(&w->done_lock, NULL);
	w->max_clients = conf->tcp_max_clients;
	w->idle_on = conf->tcp_idle_ms > 0;
	w->idle.tv_sec = conf->tcp_idle_ms / 1000;
	w->idle.tv_usec = (conf->tcp_idle_ms % 1000) * 1000;
	w->msg_on = conf->tcp_message_ms > 0;
	w->msg_time.tv_sec = conf->tcp_message_ms / 1000;
	w->msg_time.tv_usec = (conf->tcp_message_ms % 1000) * 1000;
	w->rbuf = malloc((size_t)UDP_BATCH * MSG_MAX);
	w->sbuf = malloc((size_t)UDP_BATCH * MSG_MAX);
	w->tbuf = malloc(2 + MSG_MAX);
	w->udp = calloc(conf->nlisten ? conf->nlisten : 1, sizeof(*w->udp));
	w->tcp = calloc(conf->nlisten ? conf->nlisten : 1, sizeof(*w->tcp));
	w->qctx = query_ctx_new();
	if (w->qctx) {
		query_ctx_set_edns_size(w->qctx, conf->edns_size);
		w->conf = server_conf_acquire(srv);
		query_ctx_set_tsig(w->qctx, conf_tsig_lookup, w->conf, replay);
		cookie_ctx_set_secrets(query_ctx_cookie(w->qctx), w->conf->cookie_secret, NULL);
	}
	if (conf->rrl_enable) {
		struct rrl_params rp = {.rate = conf->rrl_rate,
		                        .slip = conf->rrl_slip,
		                        .v4_prefix = conf->rrl_v4_prefix,
		                        .v6_prefix = conf->rrl_v6_prefix,
		                        .slots = conf->rrl_table_size};
		if ((w->rrl = rrl_new(&rp, 0)) == NULL)
			goto fail;
	}
	w->base = event_base_new();
	if (!w->rbuf || !w->sbuf || !w->tbuf || !w->udp || !w->tcp || !w->qctx || !w->base)
		goto fail;
	w->stop_ev = event_new(w->base, -1, 0, stop_cb, w);
	w->done_ev = event_new(w->base, -1, 0, done_cb, w);
	if (!w->stop_ev || !w->done_ev)
		goto fail;
	/* One read transaction for the worker's life, reset between batches. */
	if ((rc = store_txn_begin(srv->store, false, &w->txn)) != 0) {
		log_warnx("worker %u: store: %s", idx, ilnpdns_strerror(rc));
		goto fail;
	}
	store_txn_reset(w->txn);
	rc = ILNPDNS_ENOMEM;

	for (unsigned i = 0; i < UDP_BATCH; i++) {
		w->riov[i].iov_base = w->rbuf + (size_t)i * MSG_MAX;
		w->riov[i].iov_len = MSG_MAX;
		w->rmsg[i].msg_hdr.msg_iov = &w->riov[i];
		w->rmsg[i].msg_hdr.msg_iovlen = 1;
		w->rmsg[i].msg_hdr.msg_name = &w->from[i];
	}

	for (size_t i = 0; i < conf->nlisten; i++) {
		const struct conf_addr *a = &conf->listen[i];
		struct udp_sock *u = &w->udp[w->nudp];
		if ((u->fd = sock_open(a, SOCK_DGRAM)) < 0) {
			rc = u->fd;
			goto fail;
		}
		w->nudp++;
		u->w = w;
		u->family = a->ss.ss_family;
		u->wildcard = addr_is_wildcard(&a->ss);
		u->ev = event_new(w->base, u->fd, EV_READ | EV_PERSIST, udp_read, u);
		if (!u->ev || event_add(u->ev, NULL) != 0)
			goto fail;

		struct tcp_listener *l = &w->tcp[w->ntcp];
		if ((l->fd = sock_open(a, SOCK_STREAM)) < 0) {
			rc = l->fd;
			goto fail;
		}
		w->ntcp++;
		l->w = w;
		l->ev = event_new(w->base, l->fd, EV_READ | EV_PERSIST, tcp_accept, l);
		l->pause = evtimer_new(w->base, tcp_resume, l);
		if (!l->ev || !l->pause || event_add(l->ev, NULL) != 0)
			goto fail;
	}
	*out = w;
	return 0;

fail:
	worker_free(w);
	return rc;
}

static pthread_once_t evthread_once = PTHREAD_ONCE_INIT;

static void evthread_init(void)
{
	/* Locking and cross-thread wake-ups, so workers_stop() can reach a loop. */
	evthread_use_pthreads();
}

static void workers_free(struct server *srv)
{
	struct src_table *srcs = NULL;
	struct ilnpdns_tsig_replay *replay = NULL;
	for (size_t i = 0; i < srv->nworkers; i++) {
		if (srv->workers[i]) {
			srcs = srv->workers[i]->srcs;
			replay = srv->workers[i]->replay;
			worker_free(srv->workers[i]);
		}
	}
	src_table_free(srcs);
	ilnpdns_tsig_replay_free(replay);
	free(srv->workers);
	srv->workers = NULL;
	srv->nworkers = 0;
}

unsigned workers_count(const struct conf *conf)
{
	if (conf->workers)
		return conf->workers;
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	return cores > 0 ? (unsigned)cores : 1;
}

int workers_start(struct server *srv)
{
	const struct conf *conf = srv->conf;
	unsigned n = workers_count(conf);
	pthread_once(&evthread_once, evthread_init);

	if (!srv->stats || srv->nstats < (size_t)n + 1)
		return ILNPDNS_EINVAL;
	for (size_t i = 0; i < conf->nlisten; i++) {
		int rc = listen_probe(&conf->listen[i], SOCK_DGRAM);
		if (rc == 0)
			rc = listen_probe(&conf->listen[i], SOCK_STREAM);
		if (rc)
			return rc;
	}
	srv->workers = calloc(n, sizeof(*srv->workers));
	size_t max_conns = (size_t)(conf->tcp_max_clients ? conf->tcp_max_clients : 1024) * n;
	struct src_table *srcs = src_table_new(conf->tcp_max_per_source, max_conns);
	struct ilnpdns_tsig_replay *replay = ilnpdns_tsig_replay_new(REPLAY_SLOTS);
	if (!srv->workers || !srcs || !replay) {
		free(srv->workers);
		src_table_free(srcs);
		ilnpdns_tsig_replay_free(replay);
		srv->workers = NULL;
		return ILNPDNS_ENOMEM;
	}
	srv->nworkers = n;

	int rc;
	for (unsigned i = 0; i < n; i++) {
		if ((rc = worker_new(srv, i, srcs, replay, &srv->workers[i])) != 0) {
			if (i == 0) {
				src_table_free(srcs);
				ilnpdns_tsig_replay_free(replay);
			}
			workers_free(srv);
			return rc;
		}
	}

	/* Signals belong to the main loop: workers start with them blocked. */
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	rc = 0;
	for (unsigned i = 0; i < n && rc == 0; i++) {
		struct worker *w = srv->workers[i];
		if ((rc = pthread_create(&w->thread, NULL, worker_main, w)) == 0)
			w->thread_started = true;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc) {
		log_warnx("cannot start worker threads: %s", strerror(rc));
		workers_stop(srv);
		workers_close(srv);
		return -rc;
	}
	log_info("%u workers listening on %zu addresses", n, conf->nlisten);
	return 0;
}

void workers_stop(struct server *srv)
{
	for (size_t i = 0; i < srv->nworkers; i++) {
		struct worker *w = srv->workers[i];
		/* An activated event reaches the loop even before it is
		 * dispatching, unlike event_base_loopbreak() from here. */
		if (w && w->thread_started)
			event_active(w->stop_ev, 0, 0);
	}
	for (size_t i = 0; i < srv->nworkers; i++) {
		struct worker *w = srv->workers[i];
		if (w && w->thread_started) {
			pthread_join(w->thread, NULL);
			w->thread_started = false;
		}
	}
}

void workers_close(struct server *srv)
{
	/* The loops are gone: write the TCP update answers the writer handed
	 * back while it drained (best effort, the sockets are non-blocking). */
	for (size_t i = 0; i < srv->nworkers; i++) {
		if (srv->workers[i])
			done_cb(-1, 0, srv->workers[i]);
	}
	workers_free(srv);
}
