/* SPDX-License-Identifier: BSD-2-Clause */
/* test_rrl.c -- response rate limiting: bucket arithmetic, slip, prefixes, keys, table collisions.
 */
#include "config.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "conf.h"
#include "ilnpdns/dname.h"
#include "ilnpdns/wire.h"
#include "rrl.h"
#include "unit_util.h"

#define SEED 0x0123456789abcdefu

static struct rrl *table(unsigned rate, unsigned slip, size_t slots)
{
	struct rrl_params p = {
	    .rate = rate, .slip = slip, .v4_prefix = 24, .v6_prefix = 56, .slots = slots};
	struct rrl *t = rrl_new(&p, SEED);
	assert_non_null(t);
	return t;
}

static const uint8_t *wname(const char *text)
{
	static uint8_t bufs[4][ILNPDNS_DNAME_MAXLEN];
	static unsigned next;
	uint8_t *b = bufs[next++ % 4];
	assert_true(ilnpdns_dname_from_str(text, b) > 0);
	return b;
}

/* One answer for name from ip at ms. */
static enum rrl_action hit(struct rrl *t, const char *ip, const char *name, uint64_t ms)
{
	struct sockaddr_storage ss = unit_addr(ip);
	return rrl_check(t, (const struct sockaddr *)&ss, RRL_ANSWER, wname(name), ILNPDNS_T_L64,
	                 ms);
}

static unsigned passes(struct rrl *t, const char *ip, const char *name, unsigned n, uint64_t ms)
{
	unsigned ok = 0;
	for (unsigned i = 0; i < n; i++)
		ok += hit(t, ip, name, ms) == RRL_PASS;
	return ok;
}

static void test_bucket_arithmetic(void **state)
{
	struct rrl *t = table(10, 0, 1024);
	const char *ip = "192.0.2.1", *n = "host1.example.ilnp.";
	/* A full bucket: one second's worth, then nothing. */
	assert_int_equal(passes(t, ip, n, 50, 1000), 10);
	/* 10 per second is one per 100 ms. */
	assert_int_equal(passes(t, ip, n, 5, 1050), 0);
	assert_int_equal(passes(t, ip, n, 5, 1100), 1);
	assert_int_equal(passes(t, ip, n, 5, 1350), 2); /* 250 ms more: 2.5 tokens */
	assert_int_equal(passes(t, ip, n, 5, 1400), 1); /* the half token left + 0.5 */
	/* Idle for long: refilled to one second's worth, never more. */
	assert_int_equal(passes(t, ip, n, 100, 60000), 10);
	/* A clock that goes backwards changes nothing (no refill, no crash). */
	assert_int_equal(passes(t, ip, n, 5, 59000), 0);
	rrl_free(t);

	/* Rate 1 over 10 simulated seconds at 100 queries per second: 1 + 10 pass. */
	t = table(1, 0, 1024);
	unsigned ok = 0;
	for (uint64_t ms = 0; ms <= 10000; ms += 10)
		ok += hit(t, ip, n, ms) == RRL_PASS;
	assert_int_equal(ok, 11);
	rrl_free(t);
}

static void test_slip(void **state)
{
	const char *ip = "198.51.100.9", *n = "host1.example.ilnp.";
	unsigned counts[3];
	for (unsigned slip = 0; slip <= 3; slip++) {
		struct rrl *t = table(1, slip, 64);
		memset(counts, 0, sizeof(counts));
		assert_int_equal(hit(t, ip, n, 0), RRL_PASS);
		for (unsigned i = 0; i < 12; i++)
			counts[hit(t, ip, n, 0)]++;
		assert_int_equal(counts[RRL_PASS], 0);
		/* Every slip-th limited response slips (slip 0: none). */
		assert_int_equal(counts[RRL_SLIP], slip ? 12 / slip : 0);
		assert_int_equal(counts[RRL_DROP], 12 - counts[RRL_SLIP]);
		rrl_free(t);
	}
	/* slip 2: drop, slip, drop, slip ... in that order. */
	struct rrl *t = table(1, 2, 64);
	assert_int_equal(hit(t, ip, n, 0), RRL_PASS);
	assert_int_equal(hit(t, ip, n, 0), RRL_DROP);
	assert_int_equal(hit(t, ip, n, 0), RRL_SLIP);
	assert_int_equal(hit(t, ip, n, 0), RRL_DROP);
	assert_int_equal(hit(t, ip, n, 0), RRL_SLIP);
	rrl_free(t);
}

static void test_prefixes(void **state)
{
	struct rrl *t = table(2, 0, 4096);
	const char *n = "host1.example.ilnp.";
	assert_int_equal(passes(t, "192.0.2.1", n, 5, 0), 2);
	/* Same /24: the same bucket. */
	assert_int_equal(passes(t, "192.0.2.254", n, 5, 0), 0);
	assert_int_equal(passes(t, "::ffff:192.0.2.77", n, 5, 0), 0); /* mapped: IPv4 */
	/* Next /24: its own. */
	assert_int_equal(passes(t, "192.0.3.1", n, 5, 0), 2);
	/* IPv6 /56: 2001:db8:0:0 .. 2001:db8:0:ff share, 2001:db8:0:100 does not. */
	assert_int_equal(passes(t, "2001:db8::1", n, 5, 0), 2);
	assert_int_equal(passes(t, "2001:db8:0:ff::1", n, 5, 0), 0);
	assert_int_equal(passes(t, "2001:db8:0:ff:1:2:3:4", n, 5, 0), 0);
	assert_int_equal(passes(t, "2001:db8:0:100::1", n, 5, 0), 2);
	rrl_free(t);

	/* Other prefix lengths, not on an octet boundary. */
	struct rrl_params p = {.rate = 1, .slip = 0, .v4_prefix = 20, .v6_prefix = 60, .slots = 64};
	t = rrl_new(&p, SEED);
	assert_non_null(t);
	assert_int_equal(passes(t, "10.0.0.1", n, 3, 0), 1);
	assert_int_equal(passes(t, "10.0.15.1", n, 3, 0), 0); /* 10.0.0.0/20 */
	assert_int_equal(passes(t, "10.0.16.1", n, 3, 0), 1);
	assert_int_equal(passes(t, "2001:db8:0:7::1", n, 3, 0), 1);
	assert_int_equal(passes(t, "2001:db8:0:f::1", n, 3, 0), 0); /* same /60 */
	assert_int_equal(passes(t, "2001:db8:0:10::1", n, 3, 0), 1);
	rrl_free(t);
}

static void test_keys(void **state)
{
	struct rrl *t = table(1, 0, 4096);
	struct sockaddr_storage ss = unit_addr("192.0.2.1");
	const struct sockaddr *sa = (const struct sockaddr *)&ss;
	/* Answers: per name and type, the name without regard to case. */
	assert_int_equal(passes(t, "192.0.2.1", "a.example.ilnp.", 3, 0), 1);
	assert_int_equal(passes(t, "192.0.2.1", "A.Example.ILNP.", 3, 0), 0);
	assert_int_equal(passes(t, "192.0.2.1", "b.example.ilnp.", 3, 0), 1);
	assert_int_equal(rrl_check(t, sa, RRL_ANSWER, wname("a.example.ilnp."), ILNPDNS_T_NID, 0),
	                 RRL_PASS);
	/* The same name as NXDOMAIN or NODATA is another bucket each. */
	assert_int_equal(rrl_check(t, sa, RRL_NXDOMAIN, wname("a.example.ilnp."), 0, 0), RRL_PASS);
	assert_int_equal(rrl_check(t, sa, RRL_NODATA, wname("a.example.ilnp."), 0, 0), RRL_PASS);
	assert_int_equal(rrl_check(t, sa, RRL_NXDOMAIN, wname("a.example.ilnp."), 0, 0), RRL_DROP);
	/* Errors share one bucket per network, whatever the name. */
	assert_int_equal(rrl_check(t, sa, RRL_ERROR, wname("x.example.ilnp."), 0, 0), RRL_PASS);
	assert_int_equal(rrl_check(t, sa, RRL_ERROR, wname("y.example.org."), 0, 0), RRL_DROP);
	/* Not an IP address: never limited. */
	struct sockaddr un = {.sa_family = AF_UNIX};
	for (int i = 0; i < 5; i++)
		assert_int_equal(rrl_check(t, &un, RRL_ERROR, NULL, 0, 0), RRL_PASS);
	assert_int_equal(rrl_check(t, NULL, RRL_ERROR, NULL, 0, 0), RRL_PASS);
	rrl_free(t);
}

static void test_collisions(void **state)
{
	/* Two slots: every key lands in the same pair, so a third evicts one. */
	struct rrl *t = table(2, 0, 2);
	assert_int_equal(rrl_slots(t), 2);
	const char *n = "host1.example.ilnp.";
	assert_int_equal(passes(t, "192.0.2.1", n, 3, 0), 2);    /* A, used at 0 */
	assert_int_equal(passes(t, "198.51.100.1", n, 3, 1), 2); /* B, used at 1 */
	assert_int_equal(passes(t, "203.0.113.1", n, 1, 2), 1);  /* C evicts A, the older */
	/* B kept its empty bucket (3 ms refill 0.006 tokens), A starts over full. */
	assert_int_equal(passes(t, "198.51.100.1", n, 1, 4), 0);
	assert_int_equal(passes(t, "192.0.2.1", n, 3, 5), 2); /* evicts C (2) not B (4) */
	assert_int_equal(passes(t, "198.51.100.1", n, 1, 6), 0);
	rrl_free(t);

	/* Sizes round up to a power of two; a large table keeps many keys apart. */
	t = table(1, 0, 1000);
	assert_int_equal(rrl_slots(t), 1024);
	char ip[32];
	unsigned first = 0, second = 0;
	for (unsigned i = 0; i < 256; i++) {
		snprintf(ip, sizeof(ip), "10.%u.%u.1", i / 16, i % 16);
		first += hit(t, ip, n, 0) == RRL_PASS;
	}
	for (unsigned i = 0; i < 256; i++) {
		snprintf(ip, sizeof(ip), "10.%u.%u.1", i / 16, i % 16);
		second += hit(t, ip, n, 0) == RRL_PASS;
	}
	assert_int_equal(first, 256);
	/* 256 keys in 1024 slots of pairs: almost all kept their (empty) bucket. */
	printf("# 256 networks in 1024 slots: %u of 256 evicted and passed again\n", second);
	assert_true(second < 32);
	rrl_free(t);
}

/* ---- responses: classify and slip ---- */

static size_t put_name(uint8_t *b, size_t n, const char *text)
{
	const uint8_t *w = wname(text);
	size_t l = ilnpdns_dname_len(w);
	memcpy(b + n, w, l);
	return n + l;
}

static size_t put_rr(uint8_t *b, size_t n, const char *owner, uint16_t type, size_t rdlen)
{
	n = put_name(b, n, owner);
	ilnpdns_put16(b + n, type);
	ilnpdns_put16(b + n + 2, ILNPDNS_C_IN);
	ilnpdns_put32(b + n + 4, 60);
	ilnpdns_put16(b + n + 8, (uint16_t)rdlen);
	memset(b + n + 10, 0x33, rdlen);
	return n + 10 + rdlen;
}

/* A response: question, an answers, one authority record owned by auth (NULL: none), an OPT. */
static size_t response(uint8_t *b, int rcode, const char *qname, unsigned an, const char *auth,
                       bool opt)
{
	memset(b, 0, ILNPDNS_HDR_LEN);
	ilnpdns_put16(b, 7);
	ilnpdns_put16(b + 2, (uint16_t)(ILNPDNS_FLAG_QR | ILNPDNS_FLAG_AA | rcode));
	ilnpdns_put16(b + 4, 1);
	size_t n = put_name(b, ILNPDNS_HDR_LEN, qname);
	ilnpdns_put16(b + n, ILNPDNS_T_L64);
	ilnpdns_put16(b + n + 2, ILNPDNS_C_IN);
	n += 4;
	for (unsigned i = 0; i < an; i++)
		n = put_rr(b, n, qname, ILNPDNS_T_L64, 10);
	if (auth != NULL)
		n = put_rr(b, n, auth, ILNPDNS_T_SOA, 22);
	ilnpdns_put16(b + 6, (uint16_t)an);
	ilnpdns_put16(b + 8, auth != NULL);
	if (opt) {
		b[n] = 0;
		ilnpdns_put16(b + n + 1, ILNPDNS_T_OPT);
		ilnpdns_put16(b + n + 3, 1232);
		memset(b + n + 5, 0, 4);
		ilnpdns_put16(b + n + 9, 8);
		memset(b + n + 11, 0x44, 8);
		n += 19;
		ilnpdns_put16(b + 10, 1);
	}
	return n;
}

static void test_classify(void **state)
{
	uint8_t b[1024], name[ILNPDNS_DNAME_MAXLEN];
	uint16_t qtype;
	size_t n = response(b, ILNPDNS_RCODE_NOERROR, "Host1.example.ilnp.", 2, NULL, true);
	assert_int_equal(rrl_classify(b, n, name, &qtype), RRL_ANSWER);
	assert_true(ilnpdns_dname_equal(name, wname("host1.example.ilnp.")));
	assert_int_equal(qtype, ILNPDNS_T_L64);
	/* Negative answers are keyed by the zone from the SOA's owner. */
	n = response(b, ILNPDNS_RCODE_NXDOMAIN, "r4nd0m.example.ilnp.", 0, "example.ilnp.", true);
	assert_int_equal(rrl_classify(b, n, name, &qtype), RRL_NXDOMAIN);
	assert_true(ilnpdns_dname_equal(name, wname("example.ilnp.")));
	n = response(b, ILNPDNS_RCODE_NOERROR, "host1.example.ilnp.", 0, "example.ilnp.", false);
	assert_int_equal(rrl_classify(b, n, name, &qtype), RRL_NODATA);
	assert_true(ilnpdns_dname_equal(name, wname("example.ilnp.")));
	n = response(b, ILNPDNS_RCODE_REFUSED, "host1.example.org.", 0, NULL, false);
	assert_int_equal(rrl_classify(b, n, name, &qtype), RRL_ERROR);
	assert_int_equal(name[0], 0);
	/* Unreadable: an error, keyed by network alone. */
	assert_int_equal(rrl_classify(b, 20, name, &qtype), RRL_ERROR);
	assert_int_equal(rrl_classify(b, 5, name, &qtype), RRL_ERROR);
}

static void test_slip_response(void **state)
{
	uint8_t b[1024];
	size_t n =
	    response(b, ILNPDNS_RCODE_NOERROR, "host1.example.ilnp.", 3, "example.ilnp.", true);
	size_t qend = ILNPDNS_HDR_LEN + ilnpdns_dname_len(wname("host1.example.ilnp.")) + 4;
	size_t s = rrl_slip(b, n);
	/* Header, question and the OPT (19 octets with its option), nothing else. */
	assert_int_equal(s, qend + 19);
	uint16_t flags = ilnpdns_get16(b + 2);
	assert_true(flags & ILNPDNS_FLAG_TC);
	assert_true(flags & ILNPDNS_FLAG_QR);
	assert_false(flags & ILNPDNS_FLAG_AA);
	assert_int_equal(ilnpdns_get16(b), 7);
	assert_int_equal(ilnpdns_get16(b + 4), 1);
	assert_int_equal(ilnpdns_get16(b + 6), 0);
	assert_int_equal(ilnpdns_get16(b + 8), 0);
	assert_int_equal(ilnpdns_get16(b + 10), 1);
	assert_int_equal(ilnpdns_get16(b + qend + 1), ILNPDNS_T_OPT);
	/* Without OPT: header and question only. */
	n = response(b, ILNPDNS_RCODE_NXDOMAIN, "host1.example.ilnp.", 0, "example.ilnp.", false);
	assert_int_equal(rrl_slip(b, n), qend);
	assert_int_equal(ilnpdns_get16(b + 10), 0);
	assert_int_equal(b[3] & 0xf, ILNPDNS_RCODE_NXDOMAIN);
	/* No question: nothing to slip with. */
	ilnpdns_put16(b + 4, 0);
	assert_int_equal(rrl_slip(b, n), 0);
}

static void test_conf_keys(void **state)
{
	char err[512] = "";
	struct conf *c = unit_load_conf("", err, sizeof(err));
	assert_non_null(c);
	/* Off by default, BIND's and NSD's shapes otherwise. */
	assert_false(c->rrl_enable);
	assert_int_equal(c->rrl_rate, 20);
	assert_int_equal(c->rrl_slip, 2);
	assert_int_equal(c->rrl_v4_prefix, 24);
	assert_int_equal(c->rrl_v6_prefix, 56);
	assert_int_equal(c->rrl_table_size, 65536);
	conf_free(c);
	c = unit_load_conf(
	    "rrl:\n  enable: true\n  responses-per-second: 5\n  slip: 0\n"
	    "  ipv4-prefix-length: 32\n  ipv6-prefix-length: 64\n  table-size: 100\n",
	    err, sizeof(err));
	if (c == NULL)
		fail_msg("%s", err);
	assert_true(c->rrl_enable);
	assert_int_equal(c->rrl_rate, 5);
	assert_int_equal(c->rrl_slip, 0);
	assert_int_equal(c->rrl_v4_prefix, 32);
	assert_int_equal(c->rrl_v6_prefix, 64);
	assert_int_equal(c->rrl_table_size, 100);
	conf_free(c);
	assert_null(unit_load_conf("rrl:\n  enable: true\n  slip: 11\n", err, sizeof(err)));
	assert_non_null(strstr(err, ":3: rrl.slip:"));
	assert_null(unit_load_conf("rrl:\n  responses-per-second: 0\n", err, sizeof(err)));
	assert_non_null(strstr(err, ":2: rrl.responses-per-second:"));
	assert_null(unit_load_conf("rrl:\n\n  ipv6-prefix-length: 8\n", err, sizeof(err)));
	assert_non_null(strstr(err, ":3: rrl.ipv6-prefix-length:"));
	assert_null(unit_load_conf("rrl:\n  rate: 5\n", err, sizeof(err)));
	assert_non_null(strstr(err, ":2: rrl.rate: unknown key"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_bucket_arithmetic), cmocka_unit_test(test_slip),
	    cmocka_unit_test(test_prefixes),          cmocka_unit_test(test_keys),
	    cmocka_unit_test(test_collisions),        cmocka_unit_test(test_classify),
	    cmocka_unit_test(test_slip_response),     cmocka_unit_test(test_conf_keys),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
