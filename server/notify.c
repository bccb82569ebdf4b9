/* SPDX-License-Identifier: BSD-2-Clause */
/* notify.c -- RFC 1996 NOTIFY: the sender (coalesced, retried, TSIG), SOA probes, the inbound
 * answer. */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <openssl/rand.h>

#include "ilnpdns/dname.h"
#include "ilnpdns/error.h"
#include "ilnpdns/log.h"
#include "ilnpdns/tsig.h"
#include "ilnpdns/wire.h"
#include "notify.h"
#include "store.h"
#include "tsig_answer.h"
#include "update.h"

#define MSG_CAP 1400 /* question + SOA hint + TSIG, names at most 255 octets each */

struct nzone;

struct target {
	struct target *next;
	struct notify *n;
	struct nzone *zone;
	struct notify_target conf;
	int fd;
	struct event *rd, *tm;

	bool pending;   /* a change not yet in a NOTIFY */
	bool in_flight; /* a NOTIFY waits for its answer */
	uint32_t sent_serial;
	uint16_t id;
	unsigned sends;
	unsigned interval_ms;
	struct ilnpdns_tsig_state tsig; /* of the request in flight, to check the answer */
	uint8_t msg[MSG_CAP];
	size_t msglen;

	struct notify_status st;
	bool acked, transferred;
	bool dead; /* dropped by reconfiguration: its timers do nothing more */

	/*
	 * SOA probes: an acknowledged NOTIFY or a finished transfer does not
	 * mean the secondary serves the new serial yet (it still fetches or
	 * applies it), so we ask it, as a resolver would, on the NOTIFY's
	 * address@port and key.
	 */
	struct event *ptm;
	bool probing;         /* a round runs: ptm is armed */
	bool probe_in_flight; /* pmsg waits for its answer */
	int kick_ms;          /* start a round after this long (set off the loop), -1: none */
	uint16_t probe_id;
	unsigned probe_sends; /* in this round */
	unsigned probe_ms;    /* the next interval */
	uint64_t probe_built_ms;
	struct ilnpdns_tsig_state ptsig;
	uint8_t pmsg[MSG_CAP];
	size_t pmsglen;
};

struct nzone {
	struct nzone *next;
	uint8_t apex[ILNPDNS_DNAME_MAXLEN];
	bool has_serial;
	uint32_t serial; /* newest serial announced by notify_zone_changed() */
	bool has_want;
	uint32_t want_serial; /* a wait-serial wants this one ... */
	uint64_t want_until;  /* ... until then (monotonic ms) */
	struct target *targets;
};

struct notify {
	struct event_base *base;
	struct notify_opts opts;
	notify_soa_fn soa_fn;
	void *soa_arg;
	struct ilnpdns_tsig_ctx *tctx; /* used on the loop thread only */
	pthread_mutex_t mu;            /* guards everything below */
	int wake[2];
	struct event *wake_ev;
	struct nzone *zones;
	struct target *dead; /* dropped by reconfiguration, freed on the loop */
	notify_confirm_fn confirm_fn;
	void *confirm_arg;
};

static bool serial_ge(uint32_t a, uint32_t b)
{
	return a == b || update_serial_gt(a, b);
}

static uint64_t unix_now(void)
{
	return (uint64_t)time(NULL);
}

static uint64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static bool serves(const struct notify_status *st, uint32_t serial)
{
	return st->serving_time != 0 && serial_ge(st->serving_serial, serial);
}

/*
 * Must we keep asking t? While it is not known to serve the newest serial
 * announced, or one a wait-serial wants (*watched, when that is the case).
 */
static bool probe_needed(const struct target *t, bool *watched)
{
	const struct nzone *z = t->zone;
	bool w = z->has_want && mono_ms() < z->want_until && !serves(&t->st, z->want_serial);
	if (watched)
		*watched = w;
	return w || (z->has_serial && !serves(&t->st, z->serial));
}

static const char *addr_str(const struct sockaddr_storage *ss, char *buf, size_t cap)
{
	const void *a = ss->ss_family == AF_INET6
	                    ? (const void *)&((const struct sockaddr_in6 *)ss)->sin6_addr
	                    : (const void *)&((const struct sockaddr_in *)ss)->sin_addr;
	uint16_t port = ss->ss_family == AF_INET6 ? ((const struct sockaddr_in6 *)ss)->sin6_port
	                                          : ((const struct sockaddr_in *)ss)->sin_port;
	char ip[INET6_ADDRSTRLEN] = "?";
	inet_ntop(ss->ss_family, a, ip, sizeof(ip));
	snprintf(buf, cap, "%s@%u", ip, ntohs(port));
	return buf;
}

static void zone_str(const uint8_t *apex, char *buf, size_t cap)
{
	if (ilnpdns_dname_to_str(apex, buf, cap) < 0)
		snprintf(buf, cap, "?");
}

/* ---- the message ---- */

/*
 * The header (flags word, one question) and the question apex SOA IN of a NOTIFY or an SOA
 * probe at m; *id gets a fresh unpredictable ID per message (RFC 5452 4 spirit), *len the
 * length so far.
 */
static int put_soa_question(uint8_t *m, const uint8_t *apex, uint16_t flags, uint16_t *id,
                            size_t *len)
{
	size_t alen = ilnpdns_dname_len(apex);
	uint8_t idb[2];

	if (RAND_bytes(idb, 2) != 1)
		return ILNPDNS_ECRYPTO;
	*id = (uint16_t)(idb[0] << 8 | idb[1]);
	memset(m, 0, ILNPDNS_HDR_LEN);
	ilnpdns_put16(m, *id);
	ilnpdns_put16(m + 2, flags);
	ilnpdns_put16(m + 4, 1);
	*len = ILNPDNS_HDR_LEN;
	memcpy(m + *len, apex, alen);
	*len += alen;
	ilnpdns_put16(m + *len, ILNPDNS_T_SOA);
	ilnpdns_put16(m + *len + 2, ILNPDNS_C_IN);
	*len += 4;
	return 0;
}

/* Signs the request m with t's key when it has one, keeping the state to check the answer. */
static int sign_for(struct notify *n, const struct target *t, struct ilnpdns_tsig_state *st,
                    uint8_t *m, size_t *len)
{
	if (!t->conf.has_key)
		return 0;
	return ilnpdns_tsig_sign_request(n->tctx, st, &t->conf.key, ILNPDNS_TSIG_FUDGE, m, len,
	                                 MSG_CAP, unix_now());
}

static int build_msg(struct notify *n, struct target *t, uint32_t serial)
{
	uint8_t *m = t->msg;
	const uint8_t *apex = t->zone->apex;
	size_t len;
	/* RFC 1996 3.7: opcode NOTIFY, AA set; QR 0. */
	int rc = put_soa_question(m, apex, (uint16_t)(ILNPDNS_OP_NOTIFY << 11 | ILNPDNS_FLAG_AA),
	                          &t->id, &len);
	if (rc)
		return rc;

	uint8_t rd[2 * ILNPDNS_DNAME_MAXLEN + 20];
	uint16_t rdlen;
	uint32_t ttl;
	if (n->soa_fn && n->soa_fn(apex, rd, sizeof(rd), &rdlen, &ttl, n->soa_arg) == 0 &&
	    len + 12 + rdlen <= MSG_CAP) {
		/* The SOA as a hint in the answer section (RFC 1996 3.7),
		 * owner pointing at the question. */
		ilnpdns_put16(m + len, 0xc000 | ILNPDNS_HDR_LEN);
		ilnpdns_put16(m + len + 2, ILNPDNS_T_SOA);
		ilnpdns_put16(m + len + 4, ILNPDNS_C_IN);
		ilnpdns_put32(m + len + 6, ttl);
		ilnpdns_put16(m + len + 10, rdlen);
		memcpy(m + len + 12, rd, rdlen);
		len += 12 + (size_t)rdlen;
		ilnpdns_put16(m + 6, 1);
	}
	rc = sign_for(n, t, &t->tsig, m, &len);
	if (rc)
		return rc;
	t->msglen = len;
	t->sent_serial = serial;
	return 0;
}

/* ---- sending (loop thread, lock held) ---- */

static void transmit(struct target *t)
{
	struct notify *n = t->n;
	if (send(t->fd, t->msg, t->msglen, 0) < 0 && errno != EAGAIN && errno != ECONNREFUSED) {
		char a[80];
		log_warn("notify: send to %s", addr_str(&t->conf.addr, a, sizeof(a)));
	}
	t->sends++;
	t->st.sent++;
	t->in_flight = true;
	struct timeval tv = {t->interval_ms / 1000, (suseconds_t)(t->interval_ms % 1000) * 1000};
	evtimer_add(t->tm, &tv);
	(void)n;
}

/* A new round: the newest serial, first interval, send count from zero. */
static void start_round(struct target *t)
{
	struct notify *n = t->n;
	if (t->fd < 0 || !t->zone->has_serial)
		return;
	t->pending = false;
	int rc = build_msg(n, t, t->zone->serial);
	if (rc) {
		log_warnx("notify: cannot build a NOTIFY: %s", ilnpdns_strerror(rc));
		return;
	}
	t->sends = 0;
	t->interval_ms = n->opts.first_retry_ms;
	t->st.pending_serial = t->sent_serial;
	transmit(t);
}

static void finish_round(struct target *t)
{
	t->in_flight = false;
	evtimer_del(t->tm);
	if (t->pending)
		start_round(t);
}

static void timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct target *t = arg;
	struct notify *n = t->n;
	char a[80], z[1024];

	pthread_mutex_lock(&n->mu);
	if (t->dead || !t->in_flight)
		goto out;
	if (t->transferred && serial_ge(t->st.xfr_serial, t->sent_serial)) {
		/* It fetched the zone: the NOTIFY evidently arrived. */
		finish_round(t);
		goto out;
	}
	if (t->sends >= n->opts.max_sends) {
		t->st.failures++;
		zone_str(t->zone->apex, z, sizeof(z));
		log_warnx("notify: %s serial %u: no answer from %s after %u tries", z,
		          t->sent_serial, addr_str(&t->conf.addr, a, sizeof(a)), t->sends);
		finish_round(t);
		goto out;
	}
	if (t->pending) {
		/* A newer serial arrived meanwhile: retransmit that one. */
		t->pending = false;
		if (build_msg(n, t, t->zone->serial) == 0)
			t->st.pending_serial = t->sent_serial;
	}
	/* Additive would do (RFC 1996 3.6); doubling reaches the cap sooner. */
	t->interval_ms =
	    t->interval_ms * 2 > n->opts.max_retry_ms ? n->opts.max_retry_ms : t->interval_ms * 2;
	transmit(t);
out:
	pthread_mutex_unlock(&n->mu);
}

/* ---- SOA probes (loop thread, lock held) ---- */

/* An SOA query for the apex, RD clear, signed with the target's key when it has one. */
static int build_probe(struct notify *n, struct target *t)
{
	size_t len;
	int rc = put_soa_question(t->pmsg, t->zone->apex, 0, &t->probe_id, &len);
	if (rc == 0)
		rc = sign_for(n, t, &t->ptsig, t->pmsg, &len);
	if (rc)
		return rc;
	t->pmsglen = len;
	t->probe_built_ms = mono_ms();
	return 0;
}

static void probe_stop(struct target *t)
{
	t->probing = false;
	evtimer_del(t->ptm);
}

/* A new round (or a restart of the running one): first interval, after delay_ms. */
static void probe_start(struct notify *n, struct target *t, unsigned delay_ms)
{
	if (t->fd < 0 || !t->ptm)
		return;
	t->probing = true;
	t->probe_sends = 0;
	t->probe_ms = n->opts.first_probe_ms;
	struct timeval tv = {delay_ms / 1000, (suseconds_t)(delay_ms % 1000) * 1000};
	evtimer_add(t->ptm, &tv);
}

static void probe_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct target *t = arg;
	struct notify *n = t->n;
	char a[80], z[1024];
	bool watched;

	pthread_mutex_lock(&n->mu);
	if (t->dead || !t->probing)
		goto out;
	if (!probe_needed(t, &watched)) {
		probe_stop(t);
		goto out;
	}
	if (t->probe_sends >= n->opts.max_probes && !watched) {
		/* Bounded: the next NOTIFY, transfer or wait-serial starts another round. */
		zone_str(t->zone->apex, z, sizeof(z));
		log_info("notify: %s: %s still serves %s after %u SOA queries", z,
		         addr_str(&t->conf.addr, a, sizeof(a)),
		         t->st.serving_time ? "an older serial" : "no confirmed serial",
		         t->probe_sends);
		probe_stop(t);
		goto out;
	}
	/* An unanswered query is sent again while young; a fresh one replaces it after 2 s. */
	if (!t->probe_in_flight || mono_ms() - t->probe_built_ms > 2000) {
		int rc = build_probe(n, t);
		if (rc) {
			log_warnx("notify: cannot build an SOA query: %s", ilnpdns_strerror(rc));
			probe_stop(t);
			goto out;
		}
	}
	if (send(t->fd, t->pmsg, t->pmsglen, 0) < 0 && errno != EAGAIN && errno != ECONNREFUSED)
		log_warn("notify: SOA query to %s", addr_str(&t->conf.addr, a, sizeof(a)));
	t->probe_in_flight = true;
	t->probe_sends++;
	t->st.probes++;
	struct timeval tv = {t->probe_ms / 1000, (suseconds_t)(t->probe_ms % 1000) * 1000};
	evtimer_add(t->ptm, &tv);
	t->probe_ms =
	    t->probe_ms * 2 > n->opts.max_probe_ms ? n->opts.max_probe_ms : t->probe_ms * 2;
out:
	pthread_mutex_unlock(&n->mu);
}

/* The serial of the apex SOA in the answer section of msg (question: apex SOA). */
static int answer_soa_serial(const uint8_t *msg, size_t len, const uint8_t *apex, uint32_t *serial)
{
	uint8_t name[ILNPDNS_DNAME_MAXLEN];
	size_t pos = ILNPDNS_HDR_LEN;
	unsigned an = ilnpdns_get16(msg + 6);

	if (ilnpdns_get16(msg + 4) != 1 || ilnpdns_dname_unpack(msg, len, &pos, name) < 0 ||
	    pos + 4 > len || !ilnpdns_dname_equal(name, apex) ||
	    ilnpdns_get16(msg + pos) != ILNPDNS_T_SOA)
		return ILNPDNS_EMALF;
	pos += 4;
	for (unsigned i = 0; i < an; i++) {
		if (ilnpdns_dname_unpack(msg, len, &pos, name) < 0 || pos + 10 > len)
			return ILNPDNS_EMALF;
		uint16_t type = ilnpdns_get16(msg + pos), rdlen = ilnpdns_get16(msg + pos + 8);
		pos += 10;
		if (pos + rdlen > len)
			return ILNPDNS_EMALF;
		if (type == ILNPDNS_T_SOA && ilnpdns_dname_equal(name, apex)) {
			/* MNAME and RNAME (maybe compressed), then the serial (RFC 1035 3.3.13). */
			uint8_t skip[ILNPDNS_DNAME_MAXLEN];
			size_t p = pos;
			if (ilnpdns_dname_unpack(msg, len, &p, skip) < 0 ||
			    ilnpdns_dname_unpack(msg, len, &p, skip) < 0 || p + 20 > pos + rdlen)
				return ILNPDNS_EMALF;
			*serial = ilnpdns_get32(msg + p);
			return 0;
		}
		pos += rdlen;
	}
	return ILNPDNS_ENOENT;
}

/* An answer to our SOA query: what the secondary serves now. *changed when that moved. */
static void probe_answer(struct notify *n, struct target *t, const uint8_t *msg, size_t len,
                         bool *changed)
{
	char a[80], z[1024];
	uint32_t serial;

	if (!t->probe_in_flight || ilnpdns_get16(msg) != t->probe_id ||
	    !(ilnpdns_get16(msg + 2) & ILNPDNS_FLAG_QR))
		return;
	/* RFC 8945 5.3: an answer to a signed request must verify. */
	if (t->conf.has_key &&
	    ilnpdns_tsig_verify_answer(n->tctx, &t->ptsig, msg, len, unix_now()) != 0)
		return;
	t->probe_in_flight = false;
	t->st.probe_rcode = ILNPDNS_RCODE(ilnpdns_get16(msg + 2));
	if (t->st.probe_rcode != ILNPDNS_RCODE_NOERROR ||
	    answer_soa_serial(msg, len, t->zone->apex, &serial) != 0)
		return;
	if (!t->st.serving_time || serial != t->st.serving_serial) {
		t->st.serving_serial = serial;
		t->st.serving_time = unix_now();
		*changed = true;
		zone_str(t->zone->apex, z, sizeof(z));
		log_debug("notify: %s: %s serves serial %u", z,
		          addr_str(&t->conf.addr, a, sizeof(a)), serial);
	}
	if (t->probing && !probe_needed(t, NULL))
		probe_stop(t);
}

/* Is msg the answer to the NOTIFY in flight? */
static bool answer_matches(struct notify *n, struct target *t, const uint8_t *msg, size_t len)
{
	if (len < ILNPDNS_HDR_LEN || ilnpdns_get16(msg) != t->id)
		return false;
	uint16_t flags = ilnpdns_get16(msg + 2);
	if (!(flags & ILNPDNS_FLAG_QR) || ILNPDNS_OPCODE(flags) != ILNPDNS_OP_NOTIFY)
		return false;
	if (ilnpdns_get16(msg + 4) >= 1) {
		uint8_t q[ILNPDNS_DNAME_MAXLEN];
		size_t pos = ILNPDNS_HDR_LEN;
		if (ilnpdns_dname_unpack(msg, len, &pos, q) < 0 || pos + 4 > len ||
		    !ilnpdns_dname_equal(q, t->zone->apex) ||
		    ilnpdns_get16(msg + pos) != ILNPDNS_T_SOA)
			return false;
	}
	/* RFC 8945 5.3: an answer to a signed request must verify. */
	if (t->conf.has_key &&
	    ilnpdns_tsig_verify_answer(n->tctx, &t->tsig, msg, len, unix_now()) != 0)
		return false;
	return true;
}

static void read_cb(evutil_socket_t fd, short what, void *arg)
{
	struct target *t = arg;
	struct notify *n = t->n;
	uint8_t buf[4096];
	char a[80], z[1024];
	bool changed = false;

	pthread_mutex_lock(&n->mu);
	for (;;) {
		ssize_t r = recv(fd, buf, sizeof(buf), 0);
		if (r < 0)
			break; /* EAGAIN, or an ICMP error reported on the socket */
		if (r < ILNPDNS_HDR_LEN || t->dead)
			continue;
		/* One socket: answers to SOA queries and to NOTIFYs, told apart by opcode. */
		if (ILNPDNS_OPCODE(ilnpdns_get16(buf + 2)) == ILNPDNS_OP_QUERY) {
			probe_answer(n, t, buf, (size_t)r, &changed);
			continue;
		}
		if (!t->in_flight || !answer_matches(n, t, buf, (size_t)r))
			continue;
		int rcode = ILNPDNS_RCODE(ilnpdns_get16(buf + 2));
		t->st.last_rcode = rcode;
		zone_str(t->zone->apex, z, sizeof(z));
		if (rcode == ILNPDNS_RCODE_NOERROR) {
			t->acked = true;
			t->st.acked_serial = t->sent_serial;
			t->st.acked_time = unix_now();
			log_debug("notify: %s serial %u acknowledged by %s", z, t->sent_serial,
			          addr_str(&t->conf.addr, a, sizeof(a)));
			/* It will fetch the zone now: watch it arrive (if it has not already). */
			if (probe_needed(t, NULL))
				probe_start(n, t, 0);
		} else {
			/* Any answer ends the retries (RFC 1996 3.6 and 4.5). */
			log_notice("notify: %s serial %u: %s answered rcode %d", z, t->sent_serial,
			           addr_str(&t->conf.addr, a, sizeof(a)), rcode);
		}
		finish_round(t);
	}
	notify_confirm_fn fn = changed ? n->confirm_fn : NULL;
	void *farg = n->confirm_arg;
	uint8_t apex[ILNPDNS_DNAME_MAXLEN];
	if (fn)
		memcpy(apex, t->zone->apex, ilnpdns_dname_len(t->zone->apex));
	pthread_mutex_unlock(&n->mu);
	if (fn)
		fn(apex, farg);
}

static void target_io(struct notify *n, struct target *t)
{
	if (t->fd >= 0)
		return;
	int fd = socket(t->conf.addr.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		log_warn("notify: socket");
		return;
	}
	/* Connected: only the target's datagrams reach this socket. */
	if (connect(fd, (const struct sockaddr *)&t->conf.addr, t->conf.addrlen) < 0) {
		char a[80];
		log_warn("notify: connect %s", addr_str(&t->conf.addr, a, sizeof(a)));
		close(fd);
		return;
	}
	t->rd = event_new(n->base, fd, EV_READ | EV_PERSIST, read_cb, t);
	t->tm = evtimer_new(n->base, timer_cb, t);
	t->ptm = evtimer_new(n->base, probe_timer_cb, t);
	if (!t->rd || !t->tm || !t->ptm || event_add(t->rd, NULL) < 0) {
		if (t->rd)
			event_free(t->rd);
		if (t->tm)
			event_free(t->tm);
		if (t->ptm)
			event_free(t->ptm);
		t->rd = t->tm = t->ptm = NULL;
		close(fd);
		return;
	}
	t->fd = fd;
}

static void target_free(struct target *t)
{
	if (t->rd)
		event_free(t->rd);
	if (t->tm)
		event_free(t->tm);
	if (t->ptm)
		event_free(t->ptm);
	if (t->fd >= 0)
		close(t->fd);
	free(t);
}

static void wake_cb(evutil_socket_t fd, short what, void *arg)
{
	struct notify *n = arg;
	char drain[64];
	while (read(fd, drain, sizeof(drain)) > 0)
		;
	pthread_mutex_lock(&n->mu);
	while (n->dead) {
		struct target *t = n->dead;
		n->dead = t->next;
		target_free(t);
	}
	for (struct nzone *z = n->zones; z; z = z->next) {
		for (struct target *t = z->targets; t; t = t->next) {
			target_io(n, t);
			if (t->pending && !t->in_flight)
				start_round(t);
			if (t->kick_ms >= 0) {
				probe_start(n, t, (unsigned)t->kick_ms);
				t->kick_ms = -1;
			}
		}
	}
	pthread_mutex_unlock(&n->mu);
}

static void wake(struct notify *n)
{
	/* Full pipe: a wake-up is already due, which is all we need. */
	ssize_t r = write(n->wake[1], "w", 1);
	(void)r;
}

/* ---- public ---- */

struct notify *notify_new(struct event_base *base, const struct notify_opts *opts,
                          notify_soa_fn soa_fn, void *soa_arg)
{
	struct notify *n = calloc(1, sizeof(*n));
	if (!n)
		return NULL;
	n->base = base;
	if (opts)
		n->opts = *opts;
	if (!n->opts.first_retry_ms)
		n->opts.first_retry_ms = 250;
	if (!n->opts.max_retry_ms)
		n->opts.max_retry_ms = 60000;
	if (!n->opts.max_sends)
		n->opts.max_sends = 6;
	if (!n->opts.first_probe_ms)
		n->opts.first_probe_ms = 5;
	if (!n->opts.max_probe_ms)
		n->opts.max_probe_ms = 250;
	if (!n->opts.max_probes)
		n->opts.max_probes = 60;
	n->soa_fn = soa_fn;
	n->soa_arg = soa_arg;
	n->wake[0] = n->wake[1] = -1;
	pthread_mutex_init(&n->mu, NULL);
	if (!(n->tctx = ilnpdns_tsig_ctx_new()) || pipe2(n->wake, O_NONBLOCK | O_CLOEXEC) < 0 ||
	    !(n->wake_ev = event_new(base, n->wake[0], EV_READ | EV_PERSIST, wake_cb, n)) ||
	    event_add(n->wake_ev, NULL) < 0) {
		notify_free(n);
		return NULL;
	}
	return n;
}

void notify_free(struct notify *n)
{
	if (!n)
		return;
	while (n->zones) {
		struct nzone *z = n->zones;
		n->zones = z->next;
		while (z->targets) {
			struct target *t = z->targets;
			z->targets = t->next;
			target_free(t);
		}
		free(z);
	}
	while (n->dead) {
		struct target *t = n->dead;
		n->dead = t->next;
		target_free(t);
	}
	if (n->wake_ev)
		event_free(n->wake_ev);
	if (n->wake[0] >= 0)
		close(n->wake[0]);
	if (n->wake[1] >= 0)
		close(n->wake[1]);
	if (n->tctx)
		ilnpdns_tsig_ctx_free(n->tctx);
	pthread_mutex_destroy(&n->mu);
	free(n);
}

static struct nzone *zone_find(struct notify *n, const uint8_t *apex, struct nzone ***link)
{
	struct nzone **pz = &n->zones;
	for (; *pz; pz = &(*pz)->next)
		if (ilnpdns_dname_equal((*pz)->apex, apex))
			break;
	if (link)
		*link = pz;
	return *pz;
}

static bool same_target(const struct notify_target *a, const struct notify_target *b)
{
	return a->addrlen == b->addrlen && memcmp(&a->addr, &b->addr, a->addrlen) == 0 &&
	       a->has_key == b->has_key &&
	       (!a->has_key || memcmp(&a->key, &b->key, sizeof(a->key)) == 0);
}

int notify_zone_set(struct notify *n, const uint8_t *apex, const struct notify_target *targets,
                    size_t count)
{
	struct target *fresh = NULL, **tail = &fresh;
	int rc = 0;

	pthread_mutex_lock(&n->mu);
	struct nzone **link, *z = zone_find(n, apex, &link);
	if (!z && count == 0)
		goto out;
	if (!z) {
		if (!(z = calloc(1, sizeof(*z)))) {
			rc = ILNPDNS_ENOMEM;
			goto out;
		}
		memcpy(z->apex, apex, ilnpdns_dname_len(apex));
		*link = z;
	}
	for (size_t i = 0; i < count; i++) {
		struct target **pt = &z->targets, *t;
		for (; (t = *pt); pt = &t->next)
			if (same_target(&t->conf, &targets[i]))
				break;
		if (t) {
			*pt = t->next; /* kept, with its state */
		} else if ((t = calloc(1, sizeof(*t)))) {
			t->n = n;
			t->zone = z;
			t->fd = -1;
			t->conf = targets[i];
			t->st.last_rcode = -1;
			t->st.probe_rcode = -1;
			t->kick_ms = -1;
			t->pending =
			    z->has_serial; /* a new secondary hears of the current serial */
		} else {
			rc = ILNPDNS_ENOMEM;
			break;
		}
		t->next = NULL;
		*tail = t;
		tail = &t->next;
	}
	/* What is left of the old list goes; the loop frees it. */
	while (z->targets) {
		struct target *t = z->targets;
		z->targets = t->next;
		t->dead = true;
		t->next = n->dead;
		n->dead = t;
	}
	z->targets = fresh;
	if (count == 0) {
		*link = z->next;
		free(z);
	}
out:
	pthread_mutex_unlock(&n->mu);
	wake(n);
	return rc;
}

int notify_zone_changed(struct notify *n, const uint8_t *apex, uint32_t serial)
{
	pthread_mutex_lock(&n->mu);
	struct nzone *z = zone_find(n, apex, NULL);
	if (!z || !z->targets) {
		pthread_mutex_unlock(&n->mu);
		return ILNPDNS_ENOENT;
	}
	z->serial = serial;
	z->has_serial = true;
	for (struct target *t = z->targets; t; t = t->next)
		if (!(t->in_flight && t->sent_serial == serial))
			t->pending = true;
	pthread_mutex_unlock(&n->mu);
	wake(n);
	return 0;
}

static bool same_host(const struct sockaddr_storage *a, const struct sockaddr *b)
{
	if (a->ss_family != b->sa_family)
		return false;
	if (b->sa_family == AF_INET)
		return memcmp(&((const struct sockaddr_in *)a)->sin_addr,
		              &((const struct sockaddr_in *)b)->sin_addr, 4) == 0;
	if (b->sa_family == AF_INET6)
		return memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr,
		              &((const struct sockaddr_in6 *)b)->sin6_addr, 16) == 0;
	return false;
}

void notify_xfr_done(struct notify *n, const uint8_t *apex, const struct sockaddr *peer,
                     uint16_t qtype, uint32_t serial)
{
	bool kicked = false;
	pthread_mutex_lock(&n->mu);
	struct nzone *z = zone_find(n, apex, NULL);
	for (struct target *t = z ? z->targets : NULL; t; t = t->next) {
		if (!same_host(&t->conf.addr, peer))
			continue;
		t->transferred = true;
		t->st.xfr_serial = serial;
		t->st.xfr_time = unix_now();
		t->st.xfr_type = qtype;
		/* It applies the transfer now: ask soon (first interval), and again with backoff.
		 */
		if (!serves(&t->st, serial)) {
			t->kick_ms = (int)n->opts.first_probe_ms;
			kicked = true;
		}
	}
	pthread_mutex_unlock(&n->mu);
	if (kicked)
		wake(n);
}

int notify_status(struct notify *n, const uint8_t *apex, struct notify_status *out, size_t cap,
                  size_t *count)
{
	size_t i = 0;
	pthread_mutex_lock(&n->mu);
	struct nzone *z = zone_find(n, apex, NULL);
	for (struct target *t = z ? z->targets : NULL; t; t = t->next, i++) {
		if (i >= cap)
			continue;
		out[i] = t->st;
		out[i].addr = t->conf.addr;
		out[i].addrlen = t->conf.addrlen;
		out[i].has_key = t->conf.has_key;
		out[i].in_flight = t->in_flight;
		out[i].probing = t->probing;
	}
	pthread_mutex_unlock(&n->mu);
	*count = i;
	return z ? 0 : ILNPDNS_ENOENT;
}

bool notify_zone_reached(struct notify *n, const uint8_t *apex, uint32_t serial)
{
	bool all = true;
	pthread_mutex_lock(&n->mu);
	struct nzone *z = zone_find(n, apex, NULL);
	for (struct target *t = z ? z->targets : NULL; t && all; t = t->next)
		all = serves(&t->st, serial);
	pthread_mutex_unlock(&n->mu);
	return all;
}

bool notify_status_serves(const struct notify_status *st, uint32_t serial)
{
	return serves(st, serial);
}

void notify_zone_watch(struct notify *n, const uint8_t *apex, uint32_t serial, unsigned seconds)
{
	bool kicked = false;
	uint64_t until = mono_ms() + (uint64_t)seconds * 1000;
	pthread_mutex_lock(&n->mu);
	struct nzone *z = zone_find(n, apex, NULL);
	if (z) {
		/* Several waiters: the furthest serial, the latest deadline. */
		bool live = z->has_want && mono_ms() < z->want_until;
		if (!live || update_serial_gt(serial, z->want_serial))
			z->want_serial = serial;
		if (!live || until > z->want_until)
			z->want_until = until;
		z->has_want = true;
	}
	for (struct target *t = z ? z->targets : NULL; t; t = t->next) {
		if (serves(&t->st, serial) || t->probing)
			continue;
		t->kick_ms = 0;
		kicked = true;
	}
	pthread_mutex_unlock(&n->mu);
	if (kicked)
		wake(n);
}

void notify_on_confirm(struct notify *n, notify_confirm_fn fn, void *arg)
{
	pthread_mutex_lock(&n->mu);
	n->confirm_fn = fn;
	n->confirm_arg = arg;
	pthread_mutex_unlock(&n->mu);
}

int notify_target_parse(const char *str, struct notify_target *t)
{
	char host[INET6_ADDRSTRLEN + 1];
	const char *at = strrchr(str, '@');
	size_t hl = at ? (size_t)(at - str) : strlen(str);
	unsigned long port = 53;

	memset(t, 0, sizeof(*t));
	if (hl == 0 || hl >= sizeof(host))
		return ILNPDNS_ESYNTAX;
	memcpy(host, str, hl);
	host[hl] = 0;
	if (at) {
		char *end;
		errno = 0;
		port = strtoul(at + 1, &end, 10);
		if (at[1] == 0 || *end || errno || port == 0 || port > 65535)
			return ILNPDNS_ESYNTAX;
	}
	struct sockaddr_in *s4 = (struct sockaddr_in *)&t->addr;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&t->addr;
	if (inet_pton(AF_INET, host, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)port);
		t->addrlen = sizeof(*s4);
	} else if (inet_pton(AF_INET6, host, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)port);
		t->addrlen = sizeof(*s6);
	} else {
		return ILNPDNS_ESYNTAX;
	}
	return 0;
}

int notify_soa_from_store(const uint8_t *apex, uint8_t *rdata, size_t cap, uint16_t *rdlen,
                          uint32_t *ttl, void *arg)
{
	struct store_txn *txn;
	struct store_zone z;
	struct store_rrset rs;
	static const uint8_t apex_key[1] = {0};
	size_t pos = 0;
	const uint8_t *rd;
	uint16_t len;

	int rc = store_txn_begin(arg, false, &txn);
	if (rc)
		return rc;
	if ((rc = store_zone_get(txn, apex, &z)) == 0 &&
	    (rc = store_rrset_get(txn, &z, apex_key, 0, ILNPDNS_T_SOA, &rs)) == 0) {
		if (!store_rrset_next_rdata(&rs, &pos, &rd, &len) || len > cap) {
			rc = ILNPDNS_EZONE;
		} else {
			memcpy(rdata, rd, len);
			*rdlen = len;
			*ttl = rs.ttl;
		}
	}
	store_txn_abort(txn);
	return rc;
}

int notify_answer(struct store_txn *txn, struct ilnpdns_tsig_ctx *tctx,
                  struct ilnpdns_tsig_state *tsig, const uint8_t *req, size_t reqlen,
                  uint16_t edns_payload, const char *peer, uint64_t now, uint8_t *out, size_t cap,
                  size_t *outlen, int *rcode)
{
	uint8_t qname[ILNPDNS_DNAME_MAXLEN];
	char z[1024] = "?";
	size_t pos = ILNPDNS_HDR_LEN;
	struct store_zone zone;

	*rcode = ILNPDNS_RCODE_FORMERR;
	if (reqlen >= ILNPDNS_HDR_LEN && ilnpdns_get16(req + 4) == 1 &&
	    ilnpdns_dname_unpack(req, reqlen, &pos, qname) >= 0 && pos + 4 <= reqlen &&
	    ilnpdns_get16(req + pos) == ILNPDNS_T_SOA) {
		zone_str(qname, z, sizeof(z));
		if (ilnpdns_get16(req + pos + 2) == ILNPDNS_C_IN &&
		    store_zone_get(txn, qname, &zone) == 0) {
			/* We are the primary: nothing to fetch, but say so kindly. */
			*rcode = ILNPDNS_RCODE_NOERROR;
			log_info("NOTIFY for %s from %s: we are its primary, ignored", z,
			         peer ? peer : "?");
		} else {
			*rcode = ILNPDNS_RCODE_NOTAUTH;
			log_info("NOTIFY for %s from %s: not our zone (NOTAUTH)", z,
			         peer ? peer : "?");
		}
	} else {
		log_info("NOTIFY from %s: malformed (FORMERR)", peer ? peer : "?");
	}
	return tsig_answer_build(tctx, tsig, req, reqlen, *rcode, edns_payload, now, out, cap,
	                         outlen);
}
