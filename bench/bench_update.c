/* SPDX-License-Identifier: BSD-2-Clause */
/* bench_update.c -- ilnpdns-bench update: TSIG-signed L64 replacements, ack and visibility latency.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ilnpdns/dname.h"
#include "ilnpdns/error.h"
#include "ilnpdns/keys.h"
#include "ilnpdns/tsig.h"
#include "ilnpdns/wire.h"
#include "bench_msg.h"
#include "bench_net.h"
#include "bench_stats.h"
#include "bench_update.h"

/*
 * One thread, one event loop. Updates go out on one connected socket (UDP,
 * or one pipelined TCP connection, RFC 7766 6.2.1.1); each in-flight update
 * owns a slot found by its message ID. Visibility probes are plain UDP
 * queries on a second socket: for every K-th update, a probe asks for the
 * name's L64 again as soon as the previous answer lacked the new value, so
 * the measured delay is bounded by one query round trip. The probes run in
 * the same loop as the updates, so acknowledgements are never held up by a
 * probe and vice versa.
 *
 * Latency origin: the update's first transmission, or in open loop (--rate)
 * its scheduled time, so that a server that falls behind is charged for the
 * queueing it causes instead of slowing the generator down (coordinated
 * omission).
 */

#define MAX_OUTSTANDING   4096
#define PROBES            8 /* visibility probes in flight at once; more samples are skipped */
#define PROBE_RESEND_NS   100000000 /* a probe query unanswered for 100 ms is sent again */
#define PROBE_MAX_QUERIES 100000    /* per probe: the tight loop is bounded in count ... */
#define MSG_CAP           1024      /* header, zone, owner, two RRs and a TSIG with two names */
#define TIMER_TICK_NS     5000000   /* retransmission and probe timers are checked every 5 ms */

struct upd_opts {
	struct bench_addr server;
	const char *server_text;
	uint8_t zone[ILNPDNS_DNAME_MAXLEN];
	const char *zone_text;
	struct ilnpdns_tsig_key key;
	uint64_t count;       /* 0: run for seconds */
	double seconds;       /* 0: run for count */
	unsigned outstanding; /* closed loop: in flight; open loop: the cap */
	bool tcp;
	double rate;         /* updates/s, 0: closed loop */
	unsigned visible_k;  /* probe every K-th update, 0: never */
	uint32_t names;      /* rotate over u0 .. u<names-1> */
	unsigned timeout_ms; /* UDP retransmission timeout */
	unsigned retries;    /* UDP retransmissions before an update counts as lost */
	unsigned probe_ms;   /* ... and in time */
	double max_time;     /* hard bound on the whole run, seconds */
	bool json;
};

struct slot {
	bool busy;
	uint16_t id;
	uint64_t seq;
	int64_t t_start; /* latency origin (see above) */
	int64_t t_sent;  /* last transmission, for the retransmission timer */
	unsigned tries;
	int probe; /* index of the probe watching this update, or -1 */
	struct ilnpdns_tsig_state tsig;
};

struct probe {
	bool busy;
	bool polling;     /* still querying */
	bool update_done; /* the update got its answer (or was given up) */
	bool acked;       /* ... and that answer was a verified NOERROR */
	uint16_t id;
	unsigned queries;
	int64_t t_update; /* the update's latency origin */
	int64_t t_query;  /* last query sent */
	int64_t t_visible;
	int64_t t_ack;
	uint8_t qname[ILNPDNS_DNAME_MAXLEN];
	uint8_t rdata[BENCH_L64_RDLEN];
};

struct upd_run {
	const struct upd_opts *o;
	struct ilnpdns_tsig_ctx *tsig;
	int ufd;        /* updates */
	int pfd;        /* probes, UDP */
	uint16_t nonce; /* per run, in every locator, so values never repeat across runs */

	struct slot *slots;
	int32_t id_slot[65536]; /* message ID -> slot, -1 when free */
	uint16_t next_id;
	unsigned inflight;
	struct probe probes[PROBES];
	uint16_t next_probe_id;

	/* TCP: pending output and partial input. */
	uint8_t *out;
	size_t outlen, outcap;
	uint8_t in[2 + 65535];
	size_t inlen;

	uint64_t seq;   /* updates started */
	int64_t t0;     /* first send */
	int64_t t_last; /* last verified NOERROR */

	/* Counters. */
	uint64_t noerror, answered, lost, retransmits, tsig_bad, late, malformed, send_errors;
	uint64_t tcp_resets, late_sends;
	uint64_t rcodes[16];
	uint64_t probe_started, probe_skipped, probe_missed, probe_aborted, probe_queries;
	struct bench_samples ack, visible, ack_visible;
};

static int64_t ms_ns(unsigned ms)
{
	return (int64_t)ms * 1000000;
}

/* Owner u<i>.ZONE in wire form. */
static void owner_name(const struct upd_opts *o, uint64_t seq, uint8_t *out)
{
	char label[16];
	int n = snprintf(label, sizeof(label), "u%" PRIu32, (uint32_t)(seq % o->names));
	out[0] = (uint8_t)n;
	memcpy(out + 1, label, (size_t)n);
	memcpy(out + 1 + n, o->zone, ilnpdns_dname_len(o->zone));
}

/* The L64 value of update seq: preference 10, locator 2001:<nonce>:<seq 32 bits>. */
static void l64_value(const struct upd_run *r, uint64_t seq, uint8_t rdata[BENCH_L64_RDLEN])
{
	ilnpdns_put16(rdata, 10);
	rdata[2] = 0x20;
	rdata[3] = 0x01;
	ilnpdns_put16(rdata + 4, r->nonce);
	ilnpdns_put32(rdata + 6, (uint32_t)seq);
}

static int alloc_id(struct upd_run *r, int32_t slot)
{
	for (unsigned i = 0; i < 65536; i++) {
		uint16_t id = r->next_id++;
		if (r->id_slot[id] < 0) {
			r->id_slot[id] = slot;
			return id;
		}
	}
	return ILNPDNS_ENOSPC;
}

static int tcp_flush(struct upd_run *r)
{
	while (r->outlen > 0) {
		ssize_t n = send(r->ufd, r->out, r->outlen, MSG_NOSIGNAL);
		if (n < 0)
			return errno == EAGAIN || errno == EINTR ? 0 : -errno;
		memmove(r->out, r->out + n, r->outlen - (size_t)n);
		r->outlen -= (size_t)n;
	}
	return 0;
}

static int transmit(struct upd_run *r, const uint8_t *msg, size_t len)
{
	if (!r->o->tcp) {
		/* A full socket buffer is a loss like any other: the timer resends. */
		if (send(r->ufd, msg, len, 0) < 0 && errno != EAGAIN && errno != ENOBUFS)
			return -errno;
		return 0;
	}
	if (r->outlen + 2 + len > r->outcap) {
		size_t cap = (r->outcap ? r->outcap * 2 : 65536) + 2 + len;
		uint8_t *p = realloc(r->out, cap);
		if (p == NULL)
			return ILNPDNS_ENOMEM;
		r->out = p;
		r->outcap = cap;
	}
	ilnpdns_put16(r->out + r->outlen, (uint16_t)len); /* RFC 1035 4.2.2 framing */
	memcpy(r->out + r->outlen + 2, msg, len);
	r->outlen += 2 + len;
	return tcp_flush(r);
}

/* Build, sign and send the update of slot s under a fresh message ID. */
static int send_update(struct upd_run *r, int32_t si, int64_t now)
{
	struct slot *s = &r->slots[si];
	uint8_t msg[MSG_CAP], owner[ILNPDNS_DNAME_MAXLEN], rdata[BENCH_L64_RDLEN];
	int id = alloc_id(r, si);
	if (id < 0)
		return id;
	s->id = (uint16_t)id;
	owner_name(r->o, s->seq, owner);
	l64_value(r, s->seq, rdata);
	int len = bench_msg_update_l64(msg, sizeof(msg), s->id, r->o->zone, owner, rdata);
	if (len < 0)
		goto fail;
	/*
	 * A retransmission is signed anew under its new ID: resending the same
	 * octets would be an exact replay of a MAC, which ilnpdnsd refuses
	 * (BADTIME) by design. Replacing an RRset is idempotent, so a copy that
	 * arrives twice changes nothing.
	 */
	size_t mlen = (size_t)len;
	int rc = ilnpdns_tsig_sign_request(r->tsig, &s->tsig, &r->o->key, ILNPDNS_TSIG_FUDGE, msg,
	                                   &mlen, sizeof(msg), ilnpdns_tsig_now());
	if (rc < 0) {
		len = rc;
		goto fail;
	}
	s->t_sent = now;
	s->tries++;
	/* A failed send is a loss like any other: the timer deals with it. */
	if (transmit(r, msg, mlen) < 0)
		r->send_errors++;
	return 0;
fail:
	r->id_slot[s->id] = -1;
	return len;
}

static void probe_query(struct upd_run *r, struct probe *p, int64_t now)
{
	uint8_t msg[MSG_CAP];
	/* The probe's index sits in the low bits of the ID. */
	p->id = (uint16_t)(r->next_probe_id++ * PROBES + (unsigned)(p - r->probes));
	int len = bench_msg_query(msg, sizeof(msg), p->id, p->qname, ILNPDNS_T_L64);
	p->t_query = now;
	p->queries++;
	r->probe_queries++;
	if (len > 0 && send(r->pfd, msg, (size_t)len, 0) < 0 && errno != EAGAIN && errno != ENOBUFS)
		r->send_errors++;
}

static void probe_start(struct upd_run *r, struct slot *s, int64_t now)
{
	for (int i = 0; i < PROBES; i++) {
		struct probe *p = &r->probes[i];
		if (p->busy)
			continue;
		memset(p, 0, sizeof(*p));
		p->busy = p->polling = true;
		p->t_update = s->t_start;
		owner_name(r->o, s->seq, p->qname);
		l64_value(r, s->seq, p->rdata);
		s->probe = i;
		r->probe_started++;
		probe_query(r, p, now);
		return;
	}
	r->probe_skipped++;
}

/* A probe is done once it stopped polling and its update was answered. */
static void probe_maybe_free(struct upd_run *r, struct probe *p)
{
	if (p->polling || !p->update_done)
		return;
	if (p->t_visible && p->acked)
		bench_samples_add(&r->ack_visible, p->t_visible - p->t_ack);
	p->busy = false;
}

/* Release a slot: its ID, and tell its probe how the update ended. */
static void slot_finish(struct upd_run *r, struct slot *s, bool acked, int64_t now)
{
	if (r->id_slot[s->id] == (int32_t)(s - r->slots))
		r->id_slot[s->id] = -1;
	s->busy = false;
	r->inflight--;
	if (s->probe < 0)
		return;
	struct probe *p = &r->probes[s->probe];
	s->probe = -1;
	p->update_done = true;
	p->acked = acked;
	p->t_ack = now;
	if (!acked) {
		/* Nothing to wait for: the change may never appear. */
		if (p->polling)
			r->probe_aborted++;
		p->polling = false;
	}
	probe_maybe_free(r, p);
}

/* Start update number r->seq in a free slot. */
static int start_update(struct upd_run *r, int64_t t_start, int64_t now)
{
	int32_t si = -1;
	for (unsigned i = 0; i < r->o->outstanding; i++)
		if (!r->slots[i].busy) {
			si = (int32_t)i;
			break;
		}
	if (si < 0)
		return ILNPDNS_ENOSPC;
	struct slot *s = &r->slots[si];
	memset(s, 0, sizeof(*s));
	s->busy = true;
	s->probe = -1;
	s->seq = r->seq++;
	s->t_start = t_start;
	if (now - t_start > 1000000)
		r->late_sends++; /* open loop: held back by the -c cap */
	r->inflight++;
	if (r->t0 == 0)
		r->t0 = now;
	int rc = send_update(r, si, now);
	if (rc < 0) {
		slot_finish(r, s, false, now);
		return rc;
	}
	if (r->o->visible_k && s->seq % r->o->visible_k == 0)
		probe_start(r, s, now);
	return 0;
}

static void handle_answer(struct upd_run *r, const uint8_t *msg, size_t len, int64_t now)
{
	if (len < ILNPDNS_HDR_LEN) {
		r->malformed++;
		return;
	}
	int32_t si = r->id_slot[ilnpdns_get16(msg)];
	if (si < 0) {
		/* The answer to a copy we already gave up on or resent. */
		r->late++;
		return;
	}
	uint16_t flags = ilnpdns_get16(msg + 2);
	if (!(flags & ILNPDNS_FLAG_QR) || ILNPDNS_OPCODE(flags) != ILNPDNS_OP_UPDATE) {
		r->malformed++;
		return;
	}
	struct slot *s = &r->slots[si];
	int rcode = ILNPDNS_RCODE(flags);
	/* RFC 8945 5.3: an answer to a signed request must be signed by the same key. */
	int rc = ilnpdns_tsig_verify_answer(r->tsig, &s->tsig, msg, len, ilnpdns_tsig_now());
	if (rc < 0)
		r->tsig_bad++;
	r->answered++;
	r->rcodes[rcode]++;
	bool ok = rc == 0 && rcode == ILNPDNS_RCODE_NOERROR;
	if (ok) {
		r->noerror++;
		r->t_last = now;
		bench_samples_add(&r->ack, now - s->t_start);
	}
	slot_finish(r, s, ok, now);
}

static void handle_probe_answer(struct upd_run *r, const uint8_t *msg, size_t len, int64_t now)
{
	if (len < ILNPDNS_HDR_LEN)
		return;
	uint16_t id = ilnpdns_get16(msg);
	struct probe *p = &r->probes[id % PROBES];
	if (!p->busy || !p->polling || p->id != id)
		return; /* an answer to an earlier query of the probe */
	if (bench_msg_answer_has(msg, len, ILNPDNS_T_L64, p->rdata, BENCH_L64_RDLEN) == 1) {
		p->t_visible = now;
		p->polling = false;
		bench_samples_add(&r->visible, now - p->t_update);
		probe_maybe_free(r, p);
		return;
	}
	/* Not yet: ask again at once, within the probe's bounds. */
	if (p->queries >= PROBE_MAX_QUERIES || now - p->t_update > ms_ns(r->o->probe_ms)) {
		p->polling = false;
		r->probe_missed++;
		probe_maybe_free(r, p);
		return;
	}
	probe_query(r, p, now);
}

static void drain_udp(struct upd_run *r, int fd, bool probes)
{
	uint8_t buf[65536];
	for (;;) {
		ssize_t n = recv(fd, buf, sizeof(buf), 0);
		if (n < 0)
			return; /* EAGAIN, or an ICMP error: timers cover both */
		int64_t now = bench_now_ns();
		if (probes)
			handle_probe_answer(r, buf, (size_t)n, now);
		else
			handle_answer(r, buf, (size_t)n, now);
	}
}

/* Every update still in flight on a TCP connection that broke is lost. */
static int tcp_reset(struct upd_run *r, int64_t now)
{
	r->tcp_resets++;
	for (unsigned i = 0; i < r->o->outstanding; i++)
		if (r->slots[i].busy) {
			r->lost++;
			slot_finish(r, &r->slots[i], false, now);
		}
	close(r->ufd);
	r->outlen = r->inlen = 0;
	r->ufd = bench_connect(&r->o->server, SOCK_STREAM);
	return r->ufd < 0 || r->tcp_resets > 10 ? ILNPDNS_EIO : 0;
}

static int drain_tcp(struct upd_run *r)
{
	for (;;) {
		ssize_t n = recv(r->ufd, r->in + r->inlen, sizeof(r->in) - r->inlen, 0);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return 0;
		int64_t now = bench_now_ns();
		if (n <= 0)
			return tcp_reset(r, now);
		r->inlen += (size_t)n;
		size_t pos = 0;
		while (r->inlen - pos >= 2) {
			size_t mlen = ilnpdns_get16(r->in + pos);
			if (r->inlen - pos - 2 < mlen)
				break;
			handle_answer(r, r->in + pos + 2, mlen, now);
			pos += 2 + mlen;
		}
		memmove(r->in, r->in + pos, r->inlen - pos);
		r->inlen -= pos;
	}
}

/* UDP retransmissions and losses; probe queries whose answer was lost. */
static void run_timers(struct upd_run *r, int64_t now)
{
	if (!r->o->tcp) {
		for (unsigned i = 0; i < r->o->outstanding; i++) {
			struct slot *s = &r->slots[i];
			if (!s->busy || now - s->t_sent < ms_ns(r->o->timeout_ms))
				continue;
			if (s->tries > r->o->retries) {
				r->lost++;
				slot_finish(r, s, false, now);
				continue;
			}
			/* The old ID is retired: its late answer counts as late. */
			r->id_slot[s->id] = -1;
			r->retransmits++;
			if (send_update(r, (int32_t)i, now) < 0) {
				r->lost++;
				slot_finish(r, s, false, now);
			}
		}
	}
	for (int i = 0; i < PROBES; i++) {
		struct probe *p = &r->probes[i];
		if (!p->busy || !p->polling)
			continue;
		if (now - p->t_update > ms_ns(r->o->probe_ms)) {
			p->polling = false;
			r->probe_missed++;
			probe_maybe_free(r, p);
		} else if (now - p->t_query > PROBE_RESEND_NS) {
			probe_query(r, p, now);
		}
	}
}

static bool probes_busy(const struct upd_run *r)
{
	for (int i = 0; i < PROBES; i++)
		if (r->probes[i].busy)
			return true;
	return false;
}

static bool more_to_send(const struct upd_run *r, int64_t t_sched, int64_t t_begin)
{
	if (r->o->count)
		return r->seq < r->o->count;
	return t_sched - t_begin < (int64_t)(r->o->seconds * 1e9);
}

static int run(struct upd_run *r)
{
	const struct upd_opts *o = r->o;
	int64_t begin = bench_now_ns(), next_due = begin, next_tick = begin;
	bool open_loop = o->rate > 0;
	int64_t hard_end = begin + (int64_t)(o->max_time * 1e9);
	int rc;

	for (;;) {
		int64_t now = bench_now_ns();
		if (now > hard_end) {
			fprintf(stderr, "ilnpdns-bench update: --max-time reached, stopping\n");
			break;
		}
		if (!open_loop) {
			while (r->inflight < o->outstanding && more_to_send(r, now, begin))
				if ((rc = start_update(r, now, now)) < 0)
					return rc;
		} else {
			while (next_due <= now && more_to_send(r, next_due, begin)) {
				if (r->inflight >= o->outstanding) {
					/* Late sends keep their scheduled origin. */
					break;
				}
				if ((rc = start_update(r, next_due, now)) < 0)
					return rc;
				/* From the start each time, so rounding never adds up. */
				next_due = begin + (int64_t)((double)r->seq * 1e9 / o->rate);
			}
		}
		if (!more_to_send(r, open_loop ? next_due : now, begin) && r->inflight == 0 &&
		    !probes_busy(r))
			break;
		if (now >= next_tick) {
			run_timers(r, now);
			next_tick = now + TIMER_TICK_NS;
		}

		struct pollfd pfd[2] = {
		    {.fd = r->ufd, .events = POLLIN},
		    {.fd = r->pfd, .events = POLLIN},
		};
		if (o->tcp && r->outlen)
			pfd[0].events |= POLLOUT;
		int64_t wait = next_tick - now;
		if (open_loop && more_to_send(r, next_due, begin) && r->inflight < o->outstanding &&
		    next_due - now < wait)
			wait = next_due - now;
		struct timespec ts = {.tv_sec = 0, .tv_nsec = wait > 0 ? wait : 0};
		if (ppoll(pfd, 2, &ts, NULL) < 0 && errno != EINTR)
			return -errno;
		if (pfd[0].revents & POLLOUT && (rc = tcp_flush(r)) < 0 &&
		    (rc = tcp_reset(r, bench_now_ns())) < 0)
			return rc;
		if (pfd[0].revents & (POLLIN | POLLERR | POLLHUP)) {
			if (!o->tcp)
				drain_udp(r, r->ufd, false);
			else if ((rc = drain_tcp(r)) < 0)
				return rc;
		}
		if (pfd[1].revents & POLLIN)
			drain_udp(r, r->pfd, true);
	}
	/* Whatever is still in flight after --max-time is lost. */
	for (unsigned i = 0; i < o->outstanding; i++)
		if (r->slots[i].busy) {
			r->lost++;
			slot_finish(r, &r->slots[i], false, bench_now_ns());
		}
	return 0;
}

static double ms(int64_t ns)
{
	return (double)ns / 1e6;
}

static const char *rcode_name(int rcode)
{
	static const char *const names[16] = {"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN",
	                                      "NOTIMP",  "REFUSED", "YXDOMAIN", "YXRRSET",
	                                      "NXRRSET", "NOTAUTH", "NOTZONE",  "RCODE11",
	                                      "RCODE12", "RCODE13", "RCODE14",  "RCODE15"};
	return names[rcode & 15];
}

static void report(struct upd_run *r)
{
	const struct upd_opts *o = r->o;
	double secs = r->t_last > r->t0 ? (double)(r->t_last - r->t0) / 1e9 : 0;
	double ups = secs > 0 ? (double)r->noerror / secs : 0;
	int64_t a50 = bench_samples_pct(&r->ack, 50), a99 = bench_samples_pct(&r->ack, 99);
	int64_t v50 = bench_samples_pct(&r->visible, 50), v99 = bench_samples_pct(&r->visible, 99);
	int64_t av50 = bench_samples_pct(&r->ack_visible, 50);
	int64_t av99 = bench_samples_pct(&r->ack_visible, 99);
	char mode[64];

	if (o->rate > 0)
		snprintf(mode, sizeof(mode), "open loop %.0f/s", o->rate);
	else
		snprintf(mode, sizeof(mode), "closed loop");
	if (o->json) {
		/* One key per line, so that shell scripts can read it without jq. */
		printf("{\n");
		printf("  \"server\": \"%s\",\n", o->server_text);
		printf("  \"zone\": \"%s\",\n", o->zone_text);
		printf("  \"transport\": \"%s\",\n", o->tcp ? "tcp" : "udp");
		printf("  \"mode\": \"%s\",\n", o->rate > 0 ? "open" : "closed");
		printf("  \"rate\": %.0f,\n", o->rate);
		printf("  \"outstanding\": %u,\n", o->outstanding);
		printf("  \"sent\": %" PRIu64 ",\n", r->seq);
		printf("  \"answered\": %" PRIu64 ",\n", r->answered);
		printf("  \"noerror\": %" PRIu64 ",\n", r->noerror);
		printf("  \"lost\": %" PRIu64 ",\n", r->lost);
		printf("  \"retransmits\": %" PRIu64 ",\n", r->retransmits);
		printf("  \"tsig_failures\": %" PRIu64 ",\n", r->tsig_bad);
		printf("  \"late_answers\": %" PRIu64 ",\n", r->late);
		printf("  \"tcp_resets\": %" PRIu64 ",\n", r->tcp_resets);
		printf("  \"late_sends\": %" PRIu64 ",\n", r->late_sends);
		printf("  \"rcodes\": {");
		for (int i = 0, first = 1; i < 16; i++)
			if (r->rcodes[i]) {
				printf("%s\"%s\": %" PRIu64, first ? "" : ", ", rcode_name(i),
				       r->rcodes[i]);
				first = 0;
			}
		printf("},\n");
		printf("  \"elapsed_s\": %.6f,\n", secs);
		printf("  \"updates_per_s\": %.1f,\n", ups);
		printf("  \"ack_p50_ms\": %.3f,\n", ms(a50));
		printf("  \"ack_p99_ms\": %.3f,\n", ms(a99));
		printf("  \"visible_samples\": %zu,\n", r->visible.n);
		printf("  \"visible_missed\": %" PRIu64 ",\n", r->probe_missed);
		printf("  \"visible_skipped\": %" PRIu64 ",\n", r->probe_skipped);
		printf("  \"visible_p50_ms\": %.3f,\n", ms(v50));
		printf("  \"visible_p99_ms\": %.3f,\n", ms(v99));
		printf("  \"ack_to_visible_p50_ms\": %.3f,\n", ms(av50));
		printf("  \"ack_to_visible_p99_ms\": %.3f,\n", ms(av99));
		printf("  \"probe_queries\": %" PRIu64 "\n", r->probe_queries);
		printf("}\n");
		return;
	}
	printf("ilnpdns-bench update: %s zone %s key %s, %s, %s, %u outstanding\n", o->server_text,
	       o->zone_text, ilnpdns_tsig_alg_name(o->key.alg), o->tcp ? "TCP" : "UDP", mode,
	       o->outstanding);
	printf("  sent %" PRIu64 ", answered %" PRIu64 ", NOERROR %" PRIu64 ", lost %" PRIu64
	       ", retransmitted %" PRIu64 ", TSIG failures %" PRIu64 "\n",
	       r->seq, r->answered, r->noerror, r->lost, r->retransmits, r->tsig_bad);
	printf("  rcodes:");
	for (int i = 0; i < 16; i++)
		if (r->rcodes[i])
			printf(" %s %" PRIu64, rcode_name(i), r->rcodes[i]);
	printf("\n");
	printf("  updates/s          %.1f  (verified NOERROR per second over %.3f s)\n", ups, secs);
	printf("  ack latency        p50 %.3f ms  p99 %.3f ms\n", ms(a50), ms(a99));
	if (o->visible_k) {
		printf("  send -> visible    median %.3f ms  p99 %.3f ms  (%zu samples, %" PRIu64
		       " not seen, %" PRIu64 " skipped, %" PRIu64 " aborted, %" PRIu64
		       " probe queries)\n",
		       ms(v50), ms(v99), r->visible.n, r->probe_missed, r->probe_skipped,
		       r->probe_aborted, r->probe_queries);
		printf(
		    "  NOERROR -> visible median %.3f ms  p99 %.3f ms  (negative: seen before the "
		    "ack arrived)\n",
		    ms(av50), ms(av99));
	}
	if (r->late || r->tcp_resets || r->late_sends || r->malformed || r->send_errors)
		printf("  late answers %" PRIu64 ", TCP resets %" PRIu64
		       ", sent over 1 ms late %" PRIu64 ", malformed %" PRIu64
		       ", send errors %" PRIu64 "\n",
		       r->late, r->tcp_resets, r->late_sends, r->malformed, r->send_errors);
}

void bench_update_usage(void)
{
	fprintf(stderr,
	        "usage: ilnpdns-bench update -s ADDR@PORT -z ZONE -y [alg:]name:secret\n"
	        "         [-n COUNT | -d SECONDS] [-c OUTSTANDING] [--tcp] [--rate N]\n"
	        "         [--visible-sample K] [--names N] [--timeout MS] [--retries N]\n"
	        "         [--visible-timeout MS] [--max-time SECONDS] [--json]\n"
	        "  Each update replaces the L64 RRset of u<i>.ZONE by one L64 with TTL 0,\n"
	        "  signed with TSIG. -c: updates in flight (closed loop; the cap with --rate).\n"
	        "  --rate: open loop at N updates/s. --visible-sample K: after every K-th\n"
	        "  update, query its L64 over UDP until the new value shows (0: off).\n"
	        "  Defaults: -n 1000, -c 1, K 10, --names COUNT (65536 with -d),\n"
	        "  --timeout 1000, --retries 3, --visible-timeout 2000. Loopback only.\n");
}

static bool parse_num(const char *s, double min, double max, double *out)
{
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (*s == '\0' || *end != '\0' || errno || v < min || v > max)
		return false;
	*out = v;
	return true;
}

static int parse_opts(int argc, char **argv, struct upd_opts *o)
{
	static const struct option longopts[] = {
	    {"server", required_argument, NULL, 's'},
	    {"zone", required_argument, NULL, 'z'},
	    {"key", required_argument, NULL, 'y'},
	    {"count", required_argument, NULL, 'n'},
	    {"duration", required_argument, NULL, 'd'},
	    {"outstanding", required_argument, NULL, 'c'},
	    {"tcp", no_argument, NULL, 't'},
	    {"rate", required_argument, NULL, 'r'},
	    {"visible-sample", required_argument, NULL, 'k'},
	    {"names", required_argument, NULL, 'N'},
	    {"timeout", required_argument, NULL, 'T'},
	    {"retries", required_argument, NULL, 'R'},
	    {"visible-timeout", required_argument, NULL, 'V'},
	    {"max-time", required_argument, NULL, 'M'},
	    {"json", no_argument, NULL, 'j'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const char *key_text = NULL;
	double v, names = 0;
	char err[256];
	int c;

	memset(o, 0, sizeof(*o));
	o->outstanding = 1;
	o->visible_k = 10;
	o->timeout_ms = 1000;
	o->retries = 3;
	o->probe_ms = 2000;
	optind = 1;
	while ((c = getopt_long(argc, argv, "s:z:y:n:d:c:h", longopts, NULL)) != -1) {
		switch (c) {
		case 's':
			o->server_text = optarg;
			if (bench_addr_parse(optarg, &o->server) < 0) {
				fprintf(stderr, "ilnpdns-bench update: -s %s: not ADDR@PORT\n",
				        optarg);
				return 2;
			}
			break;
		case 'z':
			o->zone_text = optarg;
			if (ilnpdns_dname_from_str(optarg, o->zone) < 0) {
				fprintf(stderr, "ilnpdns-bench update: -z %s: bad zone name\n",
				        optarg);
				return 2;
			}
			break;
		case 'y':
			key_text = optarg;
			break;
		case 'n':
			if (!parse_num(optarg, 1, 1e12, &v))
				goto bad;
			o->count = (uint64_t)v;
			break;
		case 'd':
			if (!parse_num(optarg, 0.001, 86400, &o->seconds))
				goto bad;
			break;
		case 'c':
			if (!parse_num(optarg, 1, MAX_OUTSTANDING, &v))
				goto bad;
			o->outstanding = (unsigned)v;
			break;
		case 't':
			o->tcp = true;
			break;
		case 'r':
			if (!parse_num(optarg, 1, 1e7, &o->rate))
				goto bad;
			break;
		case 'k':
			if (!parse_num(optarg, 0, 1e9, &v))
				goto bad;
			o->visible_k = (unsigned)v;
			break;
		case 'N':
			if (!parse_num(optarg, 1, 1e9, &names))
				goto bad;
			break;
		case 'T':
			if (!parse_num(optarg, 1, 60000, &v))
				goto bad;
			o->timeout_ms = (unsigned)v;
			break;
		case 'R':
			if (!parse_num(optarg, 0, 100, &v))
				goto bad;
			o->retries = (unsigned)v;
			break;
		case 'V':
			if (!parse_num(optarg, 1, 60000, &v))
				goto bad;
			o->probe_ms = (unsigned)v;
			break;
		case 'M':
			if (!parse_num(optarg, 1, 86400, &o->max_time))
				goto bad;
			break;
		case 'j':
			o->json = true;
			break;
		default:
			bench_update_usage();
			return 2;
		}
	}
	if (optind != argc || !o->server_text || !o->zone_text || !key_text) {
		bench_update_usage();
		return 2;
	}
	if (o->count && o->seconds) {
		fprintf(stderr, "ilnpdns-bench update: give -n or -d, not both\n");
		return 2;
	}
	if (!o->count && !o->seconds)
		o->count = 1000;
	if (!bench_addr_is_loopback(&o->server)) {
		/* Load is only ever sent to this machine's own servers. */
		fprintf(stderr, "ilnpdns-bench update: %s is not a loopback address\n",
		        o->server_text);
		return 2;
	}
	if (ilnpdns_tsig_key_from_y(&o->key, key_text, 0, err, sizeof(err)) < 0) {
		fprintf(stderr, "ilnpdns-bench update: -y: %s\n", err);
		return 2;
	}
	if (names > 0)
		o->names = (uint32_t)names;
	else
		o->names = o->count && o->count < UINT32_MAX ? (uint32_t)o->count : 65536;
	if (o->names < o->outstanding) {
		/* Two updates of one name in flight would blur both measurements. */
		fprintf(stderr, "ilnpdns-bench update: --names must be at least -c\n");
		return 2;
	}
	if (o->max_time == 0)
		o->max_time = o->seconds ? o->seconds + 60 : 600;
	return 0;
bad:
	fprintf(stderr, "ilnpdns-bench update: bad value '%s'\n", optarg);
	return 2;
}

int bench_update_main(int argc, char **argv)
{
	struct upd_opts o;
	struct upd_run *r;
	int rc = parse_opts(argc, argv, &o);
	if (rc)
		return rc;
	r = calloc(1, sizeof(*r));
	if (r == NULL || (r->slots = calloc(o.outstanding, sizeof(*r->slots))) == NULL) {
		fprintf(stderr, "ilnpdns-bench update: out of memory\n");
		free(r);
		return 2;
	}
	r->o = &o;
	memset(r->id_slot, 0xff, sizeof(r->id_slot));
	if (getrandom(&r->nonce, sizeof(r->nonce), 0) != sizeof(r->nonce))
		r->nonce = (uint16_t)getpid();
	if (getrandom(&r->next_id, sizeof(r->next_id), 0) != sizeof(r->next_id))
		r->next_id = 1;
	r->ufd = r->pfd = -1;
	rc = 2;
	if ((r->tsig = ilnpdns_tsig_ctx_new()) == NULL) {
		fprintf(stderr, "ilnpdns-bench update: OpenSSL has no HMAC\n");
		goto out;
	}
	r->ufd = bench_connect(&o.server, o.tcp ? SOCK_STREAM : SOCK_DGRAM);
	r->pfd = bench_connect(&o.server, SOCK_DGRAM);
	if (r->ufd < 0 || r->pfd < 0) {
		fprintf(stderr, "ilnpdns-bench update: %s: %s\n", o.server_text,
		        ilnpdns_strerror(r->ufd < 0 ? r->ufd : r->pfd));
		goto out;
	}
	int err = run(r);
	if (err < 0) {
		fprintf(stderr, "ilnpdns-bench update: %s\n", ilnpdns_strerror(err));
		goto out;
	}
	report(r);
	rc = r->noerror == r->seq && r->tsig_bad == 0 ? 0 : 1;
out:
	if (r->ufd >= 0)
		close(r->ufd);
	if (r->pfd >= 0)
		close(r->pfd);
	ilnpdns_tsig_ctx_free(r->tsig);
	bench_samples_free(&r->ack);
	bench_samples_free(&r->visible);
	bench_samples_free(&r->ack_visible);
	free(r->out);
	free(r->slots);
	free(r);
	return rc;
}
