/* SPDX-License-Identifier: BSD-2-Clause */
/* test_notify.c -- the NOTIFY sender and its SOA probes against fake secondaries on loopback; the
 * inbound answer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <cmocka.h>
#include <event2/event.h>
#include <ldns/ldns.h>

#include "ilnpdns/dname.h"
#include "ilnpdns/error.h"
#include "ilnpdns/keys.h"
#include "ilnpdns/tsig.h"
#include "ilnpdns/wire.h"
#include "notify.h"
#include "store.h"
#include "tsig_answer.h"
#include "zoneload.h"

#define ZONE   "example.ilnp."
#define SECRET "NoTCJU+DMqFWywaPyxSijrDEA/eC3nK0xi3AMEZuPVk="
#define OTHER  "c2VjcmV0LXRoYXQtZG9lcy1ub3QtbWF0Y2gtYXQtYWxsISE="

/* ---- a fake secondary ---- */

struct secondary {
	struct event_base *base;
	int fd;
	struct notify_target target; /* where the primary sends */
	struct event *ev;
	int drop;       /* ignore this many NOTIFYs first */
	int rcode;      /* the answer's RCODE */
	int delay_ms;   /* answer after this long */
	bool bad_id;    /* first send an answer with another ID */
	bool wrong_key; /* sign the answer with a key of the same name but another secret */
	bool no_tsig;   /* answer a signed NOTIFY unsigned */
	bool has_key;
	struct ilnpdns_tsig_key key, other;
	struct ilnpdns_tsig_ctx *ctx;
	void (*on_notify)(struct secondary *s);
	void *arg;
	/* SOA queries: the serial it answers (what it "serves"), and how */
	uint32_t serving;
	int soa_drop;       /* ignore this many SOA queries first */
	bool soa_wrong_key; /* sign SOA answers with the other secret */
	/* what arrived */
	int received, verified, malformed;
	int soa_queries, soa_verified;
	uint16_t ids[256];
	uint32_t serials[256]; /* the SOA hint's serial, 0 without one */
};

struct pending_answer {
	struct secondary *s;
	struct sockaddr_storage to;
	socklen_t tolen;
	uint8_t msg[1500];
	size_t len;
};

static void send_answer(evutil_socket_t fd, short what, void *arg)
{
	struct pending_answer *p = arg;
	assert_true(sendto(p->s->fd, p->msg, p->len, 0, (struct sockaddr *)&p->to, p->tolen) ==
	            (ssize_t)p->len);
	free(p);
}

static const struct ilnpdns_tsig_key *lookup(const uint8_t *name, void *arg)
{
	const struct ilnpdns_tsig_key *k = arg;
	return ilnpdns_dname_equal(name, k->name) ? k : NULL;
}

/* Check the NOTIFY's shape (RFC 1996 3.7) and note its ID and SOA serial. */
static void check_notify(struct secondary *s, const uint8_t *m, size_t len)
{
	ldns_pkt *p = NULL;
	if (ldns_wire2pkt(&p, m, len) != LDNS_STATUS_OK) {
		s->malformed++;
		return;
	}
	uint8_t apex[ILNPDNS_DNAME_MAXLEN];
	assert_true(ilnpdns_dname_from_str(ZONE, apex) > 0);
	assert_int_equal(ldns_pkt_get_opcode(p), LDNS_PACKET_NOTIFY);
	assert_false(ldns_pkt_qr(p));
	assert_true(ldns_pkt_aa(p));
	assert_int_equal(ldns_pkt_qdcount(p), 1);
	assert_int_equal(ldns_pkt_nscount(p), 0);
	ldns_rr *q = ldns_rr_list_rr(ldns_pkt_question(p), 0);
	assert_int_equal(ldns_rr_get_type(q), LDNS_RR_TYPE_SOA);
	assert_int_equal(ldns_rr_get_class(q), LDNS_RR_CLASS_IN);
	ldns_rdf *want = ldns_dname_new_frm_str(ZONE);
	assert_int_equal(ldns_dname_compare(ldns_rr_owner(q), want), 0);
	ldns_rdf_deep_free(want);
	uint32_t serial = 0;
	if (ldns_pkt_ancount(p) == 1) {
		ldns_rr *soa = ldns_rr_list_rr(ldns_pkt_answer(p), 0);
		assert_int_equal(ldns_rr_get_type(soa), LDNS_RR_TYPE_SOA);
		serial = ldns_rdf2native_int32(ldns_rr_rdf(soa, 2));
	} else {
		assert_int_equal(ldns_pkt_ancount(p), 0);
	}
	if (s->received < 256) {
		s->ids[s->received] = ldns_pkt_id(p);
		s->serials[s->received] = serial;
	}
	ldns_pkt_free(p);
}

/* SOA RDATA: MNAME ns1.example.ilnp., RNAME h.example.ilnp., serial, then zeros. */
static uint16_t soa_rdata(uint8_t *rdata, uint32_t serial)
{
	uint8_t mname[ILNPDNS_DNAME_MAXLEN], rname[ILNPDNS_DNAME_MAXLEN];
	size_t ml = (size_t)ilnpdns_dname_from_str("ns1." ZONE, mname);
	size_t rl = (size_t)ilnpdns_dname_from_str("h." ZONE, rname);
	memcpy(rdata, mname, ml);
	memcpy(rdata + ml, rname, rl);
	memset(rdata + ml + rl, 0, 20);
	ilnpdns_put32(rdata + ml + rl, serial);
	return (uint16_t)(ml + rl + 20);
}

/* Answer an SOA query (the primary's probe) with s->serving, signed when it was. */
static void answer_soa(struct secondary *s, const uint8_t *m, size_t len,
                       const struct sockaddr_storage *from, socklen_t fl)
{
	ldns_pkt *p = NULL;
	assert_int_equal(ldns_wire2pkt(&p, m, len), LDNS_STATUS_OK);
	/* A plain query for the apex SOA, no recursion wanted. */
	assert_int_equal(ldns_pkt_get_opcode(p), LDNS_PACKET_QUERY);
	assert_false(ldns_pkt_qr(p));
	assert_false(ldns_pkt_rd(p));
	assert_int_equal(ldns_pkt_qdcount(p), 1);
	ldns_rr *q = ldns_rr_list_rr(ldns_pkt_question(p), 0);
	assert_int_equal(ldns_rr_get_type(q), LDNS_RR_TYPE_SOA);
	ldns_rdf *want = ldns_dname_new_frm_str(ZONE);
	assert_int_equal(ldns_dname_compare(ldns_rr_owner(q), want), 0);
	ldns_rdf_deep_free(want);
	ldns_pkt_free(p);
	s->soa_queries++;
	struct ilnpdns_tsig_state st, *stp = NULL;
	if (s->has_key) {
		if (ilnpdns_tsig_verify_request(s->ctx, m, len, lookup, &s->key, NULL,
		                                ilnpdns_tsig_now(), &st) == 0)
			s->soa_verified++;
		stp = &st;
		if (s->soa_wrong_key)
			st.key = &s->other;
	}
	if (s->soa_queries <= s->soa_drop)
		return;
	/* The question's end: header, apex, type and class. */
	size_t qend = ILNPDNS_HDR_LEN + ilnpdns_dname_len(m + ILNPDNS_HDR_LEN) + 4;
	uint8_t out[1500];
	memcpy(out, m, qend);
	ilnpdns_put16(out + 2, ILNPDNS_FLAG_QR | ILNPDNS_FLAG_AA);
	ilnpdns_put16(out + 6, 1);
	ilnpdns_put16(out + 8, 0);
	ilnpdns_put16(out + 10, 0);
	size_t olen = qend;
	ilnpdns_put16(out + olen, 0xc000 | ILNPDNS_HDR_LEN);
	ilnpdns_put16(out + olen + 2, ILNPDNS_T_SOA);
	ilnpdns_put16(out + olen + 4, ILNPDNS_C_IN);
	ilnpdns_put32(out + olen + 6, 0);
	uint16_t rdlen = soa_rdata(out + olen + 12, s->serving);
	ilnpdns_put16(out + olen + 10, rdlen);
	olen += 12 + (size_t)rdlen;
	if (stp)
		assert_int_equal(ilnpdns_tsig_sign_answer(s->ctx, stp, out, &olen, sizeof(out),
		                                          ilnpdns_tsig_now()),
		                 0);
	assert_true(sendto(s->fd, out, olen, 0, (const struct sockaddr *)from, fl) ==
	            (ssize_t)olen);
}

static void secondary_cb(evutil_socket_t fd, short what, void *arg)
{
	struct secondary *s = arg;
	uint8_t m[2048];
	struct sockaddr_storage from;
	socklen_t fl = sizeof(from);
	ssize_t r = recvfrom(fd, m, sizeof(m), 0, (struct sockaddr *)&from, &fl);
	if (r <= 0)
		return;
	if (r >= ILNPDNS_HDR_LEN && ILNPDNS_OPCODE(ilnpdns_get16(m + 2)) == ILNPDNS_OP_QUERY) {
		answer_soa(s, m, (size_t)r, &from, fl);
		return;
	}
	check_notify(s, m, (size_t)r);
	s->received++;
	struct ilnpdns_tsig_state st, *stp = NULL;
	if (s->has_key) {
		int rc = ilnpdns_tsig_verify_request(s->ctx, m, (size_t)r, lookup, &s->key, NULL,
		                                     ilnpdns_tsig_now(), &st);
		if (rc == 0)
			s->verified++;
		if (!s->no_tsig)
			stp = &st;
		if (s->wrong_key)
			st.key = &s->other;
	}
	if (s->on_notify)
		s->on_notify(s);
	if (s->received <= s->drop)
		return;
	struct pending_answer *p = calloc(1, sizeof(*p));
	p->s = s;
	p->to = from;
	p->tolen = fl;
	assert_int_equal(tsig_answer_build(s->ctx, stp, m, (size_t)r, s->rcode, 0,
	                                   ilnpdns_tsig_now(), p->msg, sizeof(p->msg), &p->len),
	                 0);
	if (s->bad_id) {
		/* An answer that is not ours: must be ignored. */
		uint8_t bad[1500];
		memcpy(bad, p->msg, p->len);
		ilnpdns_put16(bad, (uint16_t)(ilnpdns_get16(bad) + 1));
		assert_true(sendto(fd, bad, p->len, 0, (struct sockaddr *)&from, fl) ==
		            (ssize_t)p->len);
	}
	struct timeval tv = {0, s->delay_ms * 1000};
	event_base_once(s->base, -1, EV_TIMEOUT, send_answer, p, &tv);
}

static void secondary_init(struct secondary *s, struct event_base *base)
{
	memset(s, 0, sizeof(*s));
	s->base = base;
	s->fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	assert_true(s->fd >= 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	assert_int_equal(bind(s->fd, (struct sockaddr *)&a, sizeof(a)), 0);
	socklen_t al = sizeof(a);
	assert_int_equal(getsockname(s->fd, (struct sockaddr *)&a, &al), 0);
	char str[64];
	snprintf(str, sizeof(str), "127.0.0.1@%u", ntohs(a.sin_port));
	assert_int_equal(notify_target_parse(str, &s->target), 0);
	s->ev = event_new(base, s->fd, EV_READ | EV_PERSIST, secondary_cb, s);
	event_add(s->ev, NULL);
	s->ctx = ilnpdns_tsig_ctx_new();
	char err[128];
	assert_int_equal(ilnpdns_tsig_key_init(&s->key, "notify-key", "hmac-sha256", SECRET, 0, err,
	                                       sizeof(err)),
	                 0);
	assert_int_equal(ilnpdns_tsig_key_init(&s->other, "notify-key", "hmac-sha256", OTHER, 0,
	                                       err, sizeof(err)),
	                 0);
}

static void secondary_keyed(struct secondary *s)
{
	s->has_key = true;
	s->target.has_key = true;
	s->target.key = s->key;
}

static void secondary_free(struct secondary *s)
{
	event_free(s->ev);
	close(s->fd);
	ilnpdns_tsig_ctx_free(s->ctx);
}

/* ---- the primary side ---- */

struct fx {
	struct event_base *base;
	struct notify *n;
	struct secondary sec[2];
	uint8_t apex[ILNPDNS_DNAME_MAXLEN];
	uint32_t soa_serial; /* what the SOA hint says */
};

/* A SOA for the hint: MNAME ns1.example.ilnp., RNAME h.example.ilnp., serial fx->soa_serial. */
static int test_soa(const uint8_t *apex, uint8_t *rdata, size_t cap, uint16_t *rdlen, uint32_t *ttl,
                    void *arg)
{
	struct fx *f = arg;
	*rdlen = soa_rdata(rdata, f->soa_serial);
	*ttl = 0;
	return 0;
}

static struct fx *fx_new(const struct notify_opts *o)
{
	struct fx *f = calloc(1, sizeof(*f));
	f->base = event_base_new();
	assert_non_null(f->base);
	f->n = notify_new(f->base, o, test_soa, f);
	assert_non_null(f->n);
	assert_true(ilnpdns_dname_from_str(ZONE, f->apex) > 0);
	secondary_init(&f->sec[0], f->base);
	secondary_init(&f->sec[1], f->base);
	return f;
}

static void fx_free(struct fx *f)
{
	notify_free(f->n);
	secondary_free(&f->sec[0]);
	secondary_free(&f->sec[1]);
	event_base_free(f->base);
	free(f);
}

static void set_targets(struct fx *f, size_t n)
{
	struct notify_target t[2] = {f->sec[0].target, f->sec[1].target};
	assert_int_equal(notify_zone_set(f->n, f->apex, t, n), 0);
}

static struct notify_status status(struct fx *f, size_t i)
{
	struct notify_status st[4];
	size_t count;
	assert_int_equal(notify_status(f->n, f->apex, st, 4, &count), 0);
	assert_true(i < count);
	return st[i];
}

static double now_ms(void)
{
	struct timeval tv;
	gettimeofday(&tv, NULL);
	return tv.tv_sec * 1000.0 + tv.tv_usec / 1000.0;
}

/* Run the loop until cond holds (true) or ms pass (false). */
static bool run_until(struct fx *f, bool (*cond)(struct fx *), int ms)
{
	double end = now_ms() + ms;
	while (!cond(f)) {
		if (now_ms() > end)
			return false;
		struct timeval tv = {0, 5000};
		event_base_loopexit(f->base, &tv);
		event_base_dispatch(f->base);
	}
	return true;
}

/* Run the loop for ms regardless. */
static void run_for(struct fx *f, int ms)
{
	struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
	event_base_loopexit(f->base, &tv);
	event_base_dispatch(f->base);
}

static uint32_t want_serial;

static bool acked(struct fx *f)
{
	struct notify_status s = status(f, 0);
	return s.acked_time != 0 && s.acked_serial == want_serial && !s.in_flight;
}

static bool round_over(struct fx *f)
{
	struct notify_status s = status(f, 0);
	return s.sent > 0 && !s.in_flight;
}

static bool reached(struct fx *f)
{
	return notify_zone_reached(f->n, f->apex, want_serial);
}

static int want_queries;

/* Both secondaries have answered want_queries SOA queries (probes) or more. */
static bool probed(struct fx *f)
{
	return f->sec[0].soa_queries >= want_queries && f->sec[1].soa_queries >= want_queries;
}

static bool probed0(struct fx *f)
{
	return f->sec[0].soa_queries >= want_queries;
}

static bool probed1(struct fx *f)
{
	return f->sec[1].soa_queries >= want_queries;
}

static bool first_serves_want(struct fx *f)
{
	return status(f, 0).serving_serial == want_serial;
}

static bool not_probing(struct fx *f)
{
	return !status(f, 0).probing;
}

/* ---- tests ---- */

static void test_target_parse(void **state)
{
	struct notify_target t;
	assert_int_equal(notify_target_parse("192.0.2.1", &t), 0);
	assert_int_equal(t.addr.ss_family, AF_INET);
	assert_int_equal(ntohs(((struct sockaddr_in *)&t.addr)->sin_port), 53);
	assert_int_equal(notify_target_parse("192.0.2.1@5300", &t), 0);
	assert_int_equal(ntohs(((struct sockaddr_in *)&t.addr)->sin_port), 5300);
	assert_int_equal(notify_target_parse("::1@5301", &t), 0);
	assert_int_equal(t.addr.ss_family, AF_INET6);
	assert_int_equal(ntohs(((struct sockaddr_in6 *)&t.addr)->sin6_port), 5301);
	assert_int_equal(t.addrlen, sizeof(struct sockaddr_in6));
	assert_false(t.has_key);
	const char *bad[] = {"",
	                     "@53",
	                     "host.example",
	                     "192.0.2.1@",
	                     "192.0.2.1@0",
	                     "192.0.2.1@65536",
	                     "192.0.2.1@5x",
	                     "1.2.3.4.5"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(notify_target_parse(bad[i], &t), ILNPDNS_ESYNTAX);
}

static void test_notify_ack(void **state)
{
	struct notify_opts o = {.first_retry_ms = 2000}; /* no retransmission in this test */
	struct fx *f = fx_new(&o);
	f->soa_serial = 101;
	f->sec[0].serving = f->sec[1].serving = 100;
	set_targets(f, 2);
	assert_int_equal(notify_zone_changed(f->n, f->apex, 101), 0);
	want_serial = 101;
	assert_true(run_until(f, acked, 2000));
	run_until(f, round_over, 2000);
	for (int i = 0; i < 2; i++) {
		assert_int_equal(f->sec[i].received, 1);
		assert_int_equal(f->sec[i].malformed, 0);
		assert_int_equal(f->sec[i].serials[0], 101); /* the SOA hint */
		struct notify_status s = status(f, (size_t)i);
		assert_int_equal(s.acked_serial, 101);
		assert_int_equal(s.sent, 1);
		assert_int_equal(s.last_rcode, 0);
		assert_int_equal(s.failures, 0);
	}
	/*
	 * Both acknowledged, but their SOA still says 100: not reached. The
	 * primary keeps asking (with backoff) while they are behind.
	 */
	want_queries = 3;
	assert_true(run_until(f, probed, 5000));
	assert_false(notify_zone_reached(f->n, f->apex, 101));
	assert_true(notify_zone_reached(f->n, f->apex, 100));
	for (int i = 0; i < 2; i++) {
		struct notify_status s = status(f, (size_t)i);
		assert_int_equal(s.serving_serial, 100);
		assert_true(s.serving_time != 0);
		assert_true(s.probing);
		assert_true(s.probes >= 3);
		assert_int_equal(s.probe_rcode, 0);
	}
	/* One serves 101: still not; both: reached, and the probes stop. */
	f->sec[0].serving = 101;
	assert_true(run_until(f, first_serves_want, 5000));
	want_queries = f->sec[1].soa_queries + 1;
	assert_true(run_until(f, probed1, 5000));
	assert_false(notify_zone_reached(f->n, f->apex, 101));
	f->sec[1].serving = 101;
	assert_true(run_until(f, reached, 5000));
	assert_false(notify_zone_reached(f->n, f->apex, 102));
	run_for(f, 20);
	int q0 = f->sec[0].soa_queries, q1 = f->sec[1].soa_queries;
	run_for(f, 300);
	assert_int_equal(f->sec[0].soa_queries, q0);
	assert_int_equal(f->sec[1].soa_queries, q1);
	assert_false(status(f, 0).probing);
	assert_false(status(f, 1).probing);
	/* A zone without targets: nothing to do. */
	uint8_t other[ILNPDNS_DNAME_MAXLEN];
	assert_true(ilnpdns_dname_from_str("other.ilnp.", other) > 0);
	assert_int_equal(notify_zone_changed(f->n, other, 5), ILNPDNS_ENOENT);
	fx_free(f);
}

/* The secondary drops the first two: retransmissions (same message) until it answers. */
static void test_notify_retry(void **state)
{
	struct notify_opts o = {.first_retry_ms = 40};
	struct fx *f = fx_new(&o);
	f->soa_serial = 7;
	f->sec[0].drop = 2;
	set_targets(f, 1);
	double t0 = now_ms();
	assert_int_equal(notify_zone_changed(f->n, f->apex, 7), 0);
	want_serial = 7;
	assert_true(run_until(f, acked, 3000));
	double took = now_ms() - t0;
	assert_int_equal(f->sec[0].received, 3);
	assert_int_equal(f->sec[0].ids[0], f->sec[0].ids[1]);
	assert_int_equal(f->sec[0].ids[1], f->sec[0].ids[2]);
	assert_int_equal(status(f, 0).sent, 3);
	/* 40 ms then 80 ms of backoff: about 120 ms, well under a second. */
	assert_true(took >= 110 && took < 5000);
	fx_free(f);
}

/* A secondary that never answers: max_sends, then give up (RFC 1996 3.6). */
static void test_notify_give_up(void **state)
{
	struct notify_opts o = {.first_retry_ms = 10, .max_retry_ms = 20, .max_sends = 4};
	struct fx *f = fx_new(&o);
	f->sec[0].drop = 1000;
	set_targets(f, 1);
	assert_int_equal(notify_zone_changed(f->n, f->apex, 9), 0);
	assert_true(run_until(f, round_over, 3000));
	run_for(f, 60);
	struct notify_status s = status(f, 0);
	assert_int_equal(f->sec[0].received, 4);
	assert_int_equal(s.sent, 4);
	assert_int_equal(s.failures, 1);
	assert_int_equal(s.acked_time, 0);
	assert_false(notify_zone_reached(f->n, f->apex, 9));
	/* The next change starts a new round. */
	f->sec[0].drop = 0;
	assert_int_equal(notify_zone_changed(f->n, f->apex, 10), 0);
	want_serial = 10;
	assert_true(run_until(f, acked, 2000));
	assert_int_equal(f->sec[0].received, 5);
	fx_free(f);
}

/* 99 more changes while the first NOTIFY is out: exactly one more, with the newest serial. */
static void burst_on_notify(struct secondary *s)
{
	struct fx *f = s->arg;
	if (s->received != 1)
		return;
	for (uint32_t serial = 102; serial <= 200; serial++) {
		f->soa_serial = serial;
		assert_int_equal(notify_zone_changed(f->n, f->apex, serial), 0);
	}
}

static void test_notify_coalesce(void **state)
{
	struct notify_opts o = {.first_retry_ms = 2000};
	struct fx *f = fx_new(&o);
	f->sec[0].on_notify = burst_on_notify;
	f->sec[0].arg = f;
	f->sec[0].delay_ms = 5;
	f->soa_serial = 101;
	set_targets(f, 1);
	assert_int_equal(notify_zone_changed(f->n, f->apex, 101), 0);
	want_serial = 200;
	assert_true(run_until(f, acked, 3000));
	run_for(f, 30);
	assert_int_equal(f->sec[0].received, 2);
	assert_int_equal(f->sec[0].serials[0], 101);
	assert_int_equal(f->sec[0].serials[1], 200);
	assert_int_equal(status(f, 0).acked_serial, 200);
	fx_free(f);
}

struct burst {
	struct fx *f;
	bool done;
};

static void *burst_thread(void *arg)
{
	struct burst *b = arg;
	for (uint32_t serial = 101; serial <= 200; serial++) {
		assert_int_equal(notify_zone_changed(b->f->n, b->f->apex, serial), 0);
		usleep(200);
	}
	__atomic_store_n(&b->done, true, __ATOMIC_RELEASE);
	return NULL;
}

/* 100 changes from another thread while the loop runs: a handful of NOTIFYs, newest acked. */
static void test_notify_coalesce_threads(void **state)
{
	struct notify_opts o = {.first_retry_ms = 500};
	struct fx *f = fx_new(&o);
	f->sec[0].delay_ms = 10;
	f->soa_serial = 200;
	set_targets(f, 1);
	struct burst b = {f, false};
	pthread_t th;
	assert_int_equal(pthread_create(&th, NULL, burst_thread, &b), 0);
	while (!__atomic_load_n(&b.done, __ATOMIC_ACQUIRE))
		run_for(f, 2);
	assert_int_equal(pthread_join(th, NULL), 0);
	want_serial = 200;
	assert_true(run_until(f, acked, 3000));
	/* About 20 ms of changes against 10 ms per answer: never 100. */
	printf("# 100 changes -> %d NOTIFYs\n", f->sec[0].received);
	assert_true(f->sec[0].received >= 1 && f->sec[0].received <= 6);
	fx_free(f);
}

static void test_notify_tsig(void **state)
{
	struct notify_opts o = {.first_retry_ms = 2000};
	struct fx *f = fx_new(&o);
	secondary_keyed(&f->sec[0]);
	f->soa_serial = 300;
	set_targets(f, 1);
	assert_int_equal(notify_zone_changed(f->n, f->apex, 300), 0);
	want_serial = 300;
	assert_true(run_until(f, acked, 2000));
	assert_int_equal(f->sec[0].received, 1);
	assert_int_equal(f->sec[0].verified, 1);
	assert_true(status(f, 0).has_key);
	fx_free(f);

	/* Answers signed with the wrong secret, or not at all, are not acknowledgements. */
	o = (struct notify_opts){.first_retry_ms = 20, .max_retry_ms = 20, .max_sends = 3};
	for (int mode = 0; mode < 2; mode++) {
		f = fx_new(&o);
		secondary_keyed(&f->sec[0]);
		f->sec[0].wrong_key = mode == 0;
		f->sec[0].no_tsig = mode == 1;
		set_targets(f, 1);
		assert_int_equal(notify_zone_changed(f->n, f->apex, 301), 0);
		assert_true(run_until(f, round_over, 2000));
		struct notify_status s = status(f, 0);
		assert_int_equal(s.acked_time, 0);
		assert_int_equal(s.failures, 1);
		assert_int_equal(f->sec[0].received, 3);
		assert_int_equal(f->sec[0].verified, 3);
		fx_free(f);
	}
}

/* A foreign ID is ignored; a REFUSED answer ends the retries but is no acknowledgement. */
static void test_notify_answer_checks(void **state)
{
	struct notify_opts o = {.first_retry_ms = 30};
	struct fx *f = fx_new(&o);
	f->sec[0].bad_id = true;
	f->sec[0].delay_ms = 20;
	set_targets(f, 1);
	assert_int_equal(notify_zone_changed(f->n, f->apex, 11), 0);
	want_serial = 11;
	assert_true(run_until(f, acked, 2000));
	fx_free(f);

	o.first_retry_ms = 2000;
	f = fx_new(&o);
	f->sec[0].rcode = ILNPDNS_RCODE_REFUSED;
	set_targets(f, 1);
	assert_int_equal(notify_zone_changed(f->n, f->apex, 12), 0);
	assert_true(run_until(f, round_over, 2000));
	run_for(f, 100);
	struct notify_status s = status(f, 0);
	assert_int_equal(s.last_rcode, ILNPDNS_RCODE_REFUSED);
	assert_int_equal(s.acked_time, 0);
	assert_int_equal(s.sent, 1);
	assert_int_equal(f->sec[0].received, 1);
	fx_free(f);
}

/*
 * A finished transfer is recorded and makes the primary ask, but only the
 * SOA the secondary answers counts; reconfiguration keeps a target's state.
 */
static void test_notify_xfr_done_and_reconf(void **state)
{
	struct notify_opts o = {.first_retry_ms = 2000};
	struct fx *f = fx_new(&o);
	f->sec[0].serving = f->sec[1].serving = 20;
	set_targets(f, 1);
	assert_int_equal(notify_zone_changed(f->n, f->apex, 20), 0);
	want_serial = 20;
	assert_true(run_until(f, acked, 2000));
	assert_true(run_until(f, reached, 2000));

	/* Serial 21: acknowledged, then transferred (from another port of the same address). */
	assert_int_equal(notify_zone_changed(f->n, f->apex, 21), 0);
	want_serial = 21;
	assert_true(run_until(f, acked, 2000));
	struct sockaddr_in peer = *(struct sockaddr_in *)&f->sec[0].target.addr;
	peer.sin_port = htons(40000);
	notify_xfr_done(f->n, f->apex, (struct sockaddr *)&peer, ILNPDNS_T_IXFR, 21);
	struct notify_status s = status(f, 0);
	assert_int_equal(s.xfr_serial, 21);
	assert_int_equal(s.xfr_type, ILNPDNS_T_IXFR);
	assert_true(s.xfr_time != 0);
	/* It has not applied it yet: still 20, however often asked. */
	want_queries = f->sec[0].soa_queries + 2;
	assert_true(run_until(f, probed0, 5000));
	assert_false(notify_zone_reached(f->n, f->apex, 21));
	assert_int_equal(status(f, 0).serving_serial, 20);
	f->sec[0].serving = 21;
	assert_true(run_until(f, reached, 5000));
	assert_false(notify_zone_reached(f->n, f->apex, 22));
	struct sockaddr_in stranger = peer;
	stranger.sin_addr.s_addr = htonl(0x7f000002);
	notify_xfr_done(f->n, f->apex, (struct sockaddr *)&stranger, ILNPDNS_T_AXFR, 99);
	assert_int_equal(status(f, 0).xfr_serial, 21);
	assert_int_equal(status(f, 0).xfr_type, ILNPDNS_T_IXFR);

	/* Add the second secondary: it hears of the current serial; the first keeps its state. */
	set_targets(f, 2);
	assert_int_equal(status(f, 0).acked_serial, 21);
	assert_int_equal(status(f, 0).xfr_serial, 21);
	assert_int_equal(status(f, 0).serving_serial, 21);
	assert_false(notify_zone_reached(f->n, f->apex, 21)); /* the new one: nothing confirmed */
	run_for(f, 100);
	assert_int_equal(f->sec[0].received, 2);
	assert_int_equal(f->sec[1].received, 1);
	assert_int_equal(status(f, 1).acked_serial, 21);
	f->sec[1].serving = 21;
	assert_true(run_until(f, reached, 5000));
	/* Remove the zone. */
	assert_int_equal(notify_zone_set(f->n, f->apex, NULL, 0), 0);
	size_t count;
	struct notify_status st[2];
	assert_int_equal(notify_status(f->n, f->apex, st, 2, &count), ILNPDNS_ENOENT);
	assert_int_equal(count, 0);
	run_for(f, 10);
	fx_free(f);
}

/* A transfer alone (the NOTIFYs go unanswered) starts the probes too. */
static void test_notify_probe_after_xfr(void **state)
{
	struct notify_opts o = {.first_retry_ms = 2000};
	struct fx *f = fx_new(&o);
	f->sec[0].drop = 1000;
	f->sec[0].serving = 30;
	set_targets(f, 1);
	assert_int_equal(notify_zone_changed(f->n, f->apex, 30), 0);
	run_for(f, 200);
	assert_int_equal(f->sec[0].soa_queries, 0); /* no answer, no transfer: nothing to check */
	assert_false(notify_zone_reached(f->n, f->apex, 30));
	notify_xfr_done(f->n, f->apex, (struct sockaddr *)&f->sec[0].target.addr, ILNPDNS_T_AXFR,
	                30);
	want_serial = 30;
	assert_true(run_until(f, reached, 3000));
	assert_true(f->sec[0].soa_queries >= 1);
	struct notify_status s = status(f, 0);
	assert_int_equal(s.xfr_type, ILNPDNS_T_AXFR);
	assert_int_equal(s.serving_serial, 30);
	assert_int_equal(s.acked_time, 0);
	fx_free(f);
}

/* SOA queries are signed with the target's key; an answer that does not verify counts not. */
static void test_notify_probe_tsig(void **state)
{
	struct notify_opts o = {.first_retry_ms = 2000};
	struct fx *f = fx_new(&o);
	secondary_keyed(&f->sec[0]);
	f->sec[0].serving = 300;
	set_targets(f, 1);
	assert_int_equal(notify_zone_changed(f->n, f->apex, 300), 0);
	want_serial = 300;
	assert_true(run_until(f, reached, 3000));
	assert_true(f->sec[0].soa_queries >= 1);
	assert_int_equal(f->sec[0].soa_verified, f->sec[0].soa_queries);
	fx_free(f);

	f = fx_new(&o);
	secondary_keyed(&f->sec[0]);
	f->sec[0].soa_wrong_key = true;
	f->sec[0].serving = 301;
	set_targets(f, 1);
	assert_int_equal(notify_zone_changed(f->n, f->apex, 301), 0);
	want_queries = 3;
	assert_true(run_until(f, probed0, 5000));
	assert_int_equal(f->sec[0].soa_verified, f->sec[0].soa_queries);
	assert_false(notify_zone_reached(f->n, f->apex, 301));
	assert_int_equal(status(f, 0).serving_time, 0);
	fx_free(f);
}

static int confirmations;

static void on_confirm(const uint8_t *apex, void *arg)
{
	struct fx *f = arg;
	assert_true(ilnpdns_dname_equal(apex, f->apex));
	confirmations++;
}

/*
 * A round of probes is bounded (max_probes) unless a watcher (wait-serial)
 * still waits; a watch starts a round by itself; a confirmation calls back.
 */
static void test_notify_probe_bounded_and_watch(void **state)
{
	struct notify_opts o = {.first_retry_ms = 2000, .max_probe_ms = 20, .max_probes = 4};
	struct fx *f = fx_new(&o);
	notify_on_confirm(f->n, on_confirm, f);
	confirmations = 0;
	f->sec[0].serving = 1;
	set_targets(f, 1);
	assert_int_equal(notify_zone_changed(f->n, f->apex, 2), 0);
	want_serial = 2;
	assert_true(run_until(f, acked, 2000));
	/* Behind: max_probes queries, then it stops asking. */
	assert_true(run_until(f, not_probing, 5000));
	run_for(f, 100);
	int q = f->sec[0].soa_queries;
	assert_true(q >= 1 && q <= 4);
	assert_int_equal(status(f, 0).probes, (uint64_t)q);
	assert_int_equal(status(f, 0).serving_serial, 1);
	assert_true(confirmations >= 1);
	run_for(f, 200);
	assert_int_equal(f->sec[0].soa_queries, q);

	/* A watcher for 1 s: asked past max_probes, then no more. */
	notify_zone_watch(f->n, f->apex, 2, 1);
	want_queries = q + 8;
	assert_true(run_until(f, probed0, 3000));
	assert_false(notify_zone_reached(f->n, f->apex, 2));
	assert_true(run_until(f, not_probing, 5000));
	run_for(f, 100);
	q = f->sec[0].soa_queries;
	run_for(f, 200);
	assert_int_equal(f->sec[0].soa_queries, q);

	/* It catches up while a watcher waits: reached, and the callback said so. */
	int c = confirmations;
	f->sec[0].serving = 2;
	notify_zone_watch(f->n, f->apex, 2, 10);
	want_serial = 2;
	assert_true(run_until(f, reached, 3000));
	assert_true(confirmations > c);
	run_for(f, 50);
	assert_false(status(f, 0).probing);
	notify_on_confirm(f->n, NULL, NULL);
	fx_free(f);
}

/* ---- inbound NOTIFY ---- */

static const char zone_text[] = "$ORIGIN example.ilnp.\n"
                                "$TTL 0\n"
                                "@ IN SOA ns1 hostmaster 100 3600 900 604800 0\n"
                                "@ NS ns1\n"
                                "ns1 A 192.0.2.1\n";

static size_t make_notify(uint8_t *buf, const char *zone, uint16_t qtype, uint16_t qdcount)
{
	uint8_t name[ILNPDNS_DNAME_MAXLEN];
	size_t nl = (size_t)ilnpdns_dname_from_str(zone, name), len = ILNPDNS_HDR_LEN;
	memset(buf, 0, ILNPDNS_HDR_LEN);
	ilnpdns_put16(buf, 0x4242);
	ilnpdns_put16(buf + 2, ILNPDNS_OP_NOTIFY << 11 | ILNPDNS_FLAG_AA);
	ilnpdns_put16(buf + 4, qdcount);
	memcpy(buf + len, name, nl);
	len += nl;
	ilnpdns_put16(buf + len, qtype);
	ilnpdns_put16(buf + len + 2, ILNPDNS_C_IN);
	return len + 4;
}

static void test_notify_inbound(void **state)
{
	char dir[] = "/tmp/ilnpdns-test-notify-XXXXXX", cmd[128], err[256];
	struct store *st;
	struct store_txn *txn;
	struct zoneload_result zr;
	uint8_t apex[ILNPDNS_DNAME_MAXLEN], req[512], out[1024];
	size_t len, outlen;
	int rcode;

	assert_non_null(mkdtemp(dir));
	assert_int_equal(store_open(&st, dir, 16 << 20, 0), 0);
	assert_true(ilnpdns_dname_from_str(ZONE, apex) > 0);
	FILE *in = fmemopen((void *)zone_text, strlen(zone_text), "r");
	assert_int_equal(zoneload_stream(st, apex, in, "t", 0, &zr, err, sizeof(err)), 0);
	fclose(in);
	assert_int_equal(store_txn_begin(st, false, &txn), 0);

	struct {
		const char *zone;
		uint16_t qtype, qd;
		int rcode;
	} cases[] = {
	    {"Example.ILNP.", ILNPDNS_T_SOA, 1, ILNPDNS_RCODE_NOERROR},
	    {"other.ilnp.", ILNPDNS_T_SOA, 1, ILNPDNS_RCODE_NOTAUTH},
	    {"www.example.ilnp.", ILNPDNS_T_SOA, 1, ILNPDNS_RCODE_NOTAUTH},
	    {ZONE, ILNPDNS_T_A, 1, ILNPDNS_RCODE_FORMERR},
	    {ZONE, ILNPDNS_T_SOA, 2, ILNPDNS_RCODE_FORMERR},
	    {ZONE, ILNPDNS_T_SOA, 0, ILNPDNS_RCODE_FORMERR},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		len = make_notify(req, cases[i].zone, cases[i].qtype, cases[i].qd);
		assert_int_equal(notify_answer(txn, NULL, NULL, req, len, 0, "127.0.0.1", 1, out,
		                               sizeof(out), &outlen, &rcode),
		                 0);
		assert_int_equal(rcode, cases[i].rcode);
		ldns_pkt *p = NULL;
		assert_int_equal(ldns_wire2pkt(&p, out, outlen), LDNS_STATUS_OK);
		assert_int_equal(ldns_pkt_id(p), 0x4242);
		assert_true(ldns_pkt_qr(p));
		assert_int_equal(ldns_pkt_get_opcode(p), LDNS_PACKET_NOTIFY);
		assert_int_equal((int)ldns_pkt_get_rcode(p), cases[i].rcode);
		ldns_pkt_free(p);
	}
	/* Truncated question: FORMERR too. */
	len = make_notify(req, ZONE, ILNPDNS_T_SOA, 1);
	assert_int_equal(notify_answer(txn, NULL, NULL, req, len - 3, 0, NULL, 1, out, sizeof(out),
	                               &outlen, &rcode),
	                 0);
	assert_int_equal(rcode, ILNPDNS_RCODE_FORMERR);

	/* Signed NOTIFY: a signed answer the sender can verify. */
	struct ilnpdns_tsig_key key;
	struct ilnpdns_tsig_state cst, sst;
	struct ilnpdns_tsig_ctx *cctx = ilnpdns_tsig_ctx_new(), *sctx = ilnpdns_tsig_ctx_new();
	assert_int_equal(
	    ilnpdns_tsig_key_init(&key, "notify-key", "hmac-sha256", SECRET, 0, err, sizeof(err)),
	    0);
	len = make_notify(req, ZONE, ILNPDNS_T_SOA, 1);
	uint64_t now = ilnpdns_tsig_now();
	assert_int_equal(
	    ilnpdns_tsig_sign_request(cctx, &cst, &key, 300, req, &len, sizeof(req), now), 0);
	assert_int_equal(ilnpdns_tsig_verify_request(sctx, req, len, lookup, &key, NULL, now, &sst),
	                 0);
	assert_int_equal(notify_answer(txn, sctx, &sst, req, len, 0, "127.0.0.1", now, out,
	                               sizeof(out), &outlen, &rcode),
	                 0);
	assert_int_equal(rcode, ILNPDNS_RCODE_NOERROR);
	assert_int_equal(ilnpdns_tsig_verify_answer(cctx, &cst, out, outlen, now), 0);

	/* notify_soa_from_store reads the hint from the store. */
	uint8_t rd[600];
	uint16_t rdlen;
	uint32_t ttl = 99;
	assert_int_equal(notify_soa_from_store(apex, rd, sizeof(rd), &rdlen, &ttl, st), 0);
	assert_int_equal(ilnpdns_get32(rd + rdlen - 20), 100);
	assert_int_equal(ttl, 0);
	uint8_t other[ILNPDNS_DNAME_MAXLEN];
	assert_true(ilnpdns_dname_from_str("other.ilnp.", other) > 0);
	assert_int_not_equal(notify_soa_from_store(other, rd, sizeof(rd), &rdlen, &ttl, st), 0);

	ilnpdns_tsig_ctx_free(cctx);
	ilnpdns_tsig_ctx_free(sctx);
	store_txn_abort(txn);
	store_close(st);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_target_parse),
	    cmocka_unit_test(test_notify_ack),
	    cmocka_unit_test(test_notify_retry),
	    cmocka_unit_test(test_notify_give_up),
	    cmocka_unit_test(test_notify_coalesce),
	    cmocka_unit_test(test_notify_coalesce_threads),
	    cmocka_unit_test(test_notify_tsig),
	    cmocka_unit_test(test_notify_answer_checks),
	    cmocka_unit_test(test_notify_xfr_done_and_reconf),
	    cmocka_unit_test(test_notify_probe_after_xfr),
	    cmocka_unit_test(test_notify_probe_tsig),
	    cmocka_unit_test(test_notify_probe_bounded_and_watch),
	    cmocka_unit_test(test_notify_inbound),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
