/* SPDX-License-Identifier: BSD-2-Clause */
/* test_cookie.c -- DNS cookies: RFC 9018 vectors, option formats, time window, query and UPDATE
 * gate. */
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
#include "cookie.h"
#include "ilnpdns/base64.h"
#include "ilnpdns/dname.h"
#include "ilnpdns/sig0.h"
#include "ilnpdns/wire.h"
#include "query.h"
#include "store.h"
#include "unit_util.h"
#include "zoneload.h"

#define SIG0_KEY SIG0_DATADIR "/Khost1.example.ilnp.+015+63052.private"

static const char zone_text[] = "$ORIGIN example.ilnp.\n"
                                "$TTL 3600\n"
                                "@ IN SOA ns1 hostmaster 1 7200 3600 1209600 300\n"
                                "@ NS ns1\n"
                                "ns1 A 192.0.2.1\n"
                                "host1 L64 10 2001:0db8:1140:1000\n";

/* ---- helpers ---- */

static void unhex(const char *s, uint8_t *out, size_t n)
{
	assert_int_equal(strlen(s), 2 * n);
	for (size_t i = 0; i < n; i++) {
		int hi = ilnpdns_hexval(s[2 * i]), lo = ilnpdns_hexval(s[2 * i + 1]);
		assert_true(hi >= 0 && lo >= 0);
		out[i] = (uint8_t)(hi << 4 | lo);
	}
}

#define SA(ss) ((const struct sockaddr *)&(ss))

static struct cookie_ctx *ctx_with(const char *cur, const char *prev)
{
	uint8_t c[COOKIE_SECRET_LEN], p[COOKIE_SECRET_LEN];
	struct cookie_ctx *ctx = cookie_ctx_new();
	assert_non_null(ctx);
	unhex(cur, c, sizeof(c));
	if (prev != NULL)
		unhex(prev, p, sizeof(p));
	cookie_ctx_set_secrets(ctx, c, prev != NULL ? p : NULL);
	return ctx;
}

/* A parsed option from hex: client cookie, then server cookie (may be ""). */
static struct cookie opt_of(const char *client, const char *server)
{
	uint8_t data[40];
	size_t sl = strlen(server) / 2;
	struct cookie c;
	unhex(client, data, 8);
	unhex(server, data + 8, sl);
	cookie_parse(data, 8 + sl, &c);
	return c;
}

static void expect_made(struct cookie_ctx *ctx, const char *client, const char *ip, uint32_t now,
                        const char *want)
{
	uint8_t cl[8], out[COOKIE_SERVER_LEN], exp[COOKIE_SERVER_LEN];
	struct sockaddr_storage ss = unit_addr(ip);
	unhex(client, cl, sizeof(cl));
	unhex(want, exp, sizeof(exp));
	assert_int_equal(cookie_make(ctx, cl, SA(ss), now, out), 0);
	assert_memory_equal(out, exp, sizeof(exp));
}

/* ---- RFC 9018 Appendix A ---- */

#define SECRET_A  "e5e973e5a6b2a43f48e7dc849e37bfcf"
#define SECRET_A4 "445536bcd2513298075a5d379663c962"
#define OLD_A4    "dd3bdf9344b678b185a6f5cb60fca715"

static void test_vector_a1_new(void **state)
{
	struct cookie_ctx *ctx = ctx_with(SECRET_A, NULL);
	expect_made(ctx, "2464c4abcf10c957", "198.51.100.100", 1559731985,
	            "010000005cf79f111f8130c3eee29480");
	/* The client echoes it: valid and fresh, so the same cookie goes back. */
	struct sockaddr_storage ss = unit_addr("198.51.100.100");
	struct cookie c = opt_of("2464c4abcf10c957", "010000005cf79f111f8130c3eee29480");
	assert_int_equal(c.state, COOKIE_INVALID); /* unverified yet */
	cookie_verify(ctx, &c, SA(ss), 1559731985 + 60);
	assert_int_equal(c.state, COOKIE_VALID);
	assert_false(c.refresh);
	uint8_t opt[COOKIE_OPT_SPACE], exp[COOKIE_OPT_SPACE];
	unhex("000a0018"
	      "2464c4abcf10c957"
	      "010000005cf79f111f8130c3eee29480",
	      exp, sizeof(exp));
	assert_int_equal(cookie_write_option(ctx, &c, SA(ss), 1559731985 + 60, opt),
	                 COOKIE_OPT_SPACE);
	assert_memory_equal(opt, exp, sizeof(exp));
	cookie_ctx_free(ctx);
}

static void test_vector_a2_renew(void **state)
{
	struct cookie_ctx *ctx = ctx_with(SECRET_A, NULL);
	struct sockaddr_storage ss = unit_addr("198.51.100.100");
	/* 2400 s later the A.1 cookie is still valid but due for renewal. */
	struct cookie c = opt_of("2464c4abcf10c957", "010000005cf79f111f8130c3eee29480");
	cookie_verify(ctx, &c, SA(ss), 1559734385);
	assert_int_equal(c.state, COOKIE_VALID);
	assert_true(c.refresh);
	uint8_t opt[COOKIE_OPT_SPACE], exp[COOKIE_SERVER_LEN];
	unhex("010000005cf7a871d4a564a1442aca77", exp, sizeof(exp));
	assert_int_equal(cookie_write_option(ctx, &c, SA(ss), 1559734385, opt), COOKIE_OPT_SPACE);
	assert_memory_equal(opt + 12, exp, sizeof(exp));
	cookie_ctx_free(ctx);
}

static void test_vector_a3_other_reserved(void **state)
{
	struct cookie_ctx *ctx = ctx_with(SECRET_A, NULL);
	struct sockaddr_storage ss = unit_addr("203.0.113.203");
	/* Another implementation's cookie (Reserved abcdef) is hashed as received. */
	struct cookie c = opt_of("fc93fc62807ddb86", "01abcdef5cf78f71a314227b6679ebf5");
	cookie_verify(ctx, &c, SA(ss), 1559727985 + 10);
	assert_int_equal(c.state, COOKIE_VALID);
	assert_true(c.refresh); /* we answer with our own form */
	/* The same octets with Reserved zeroed do not verify. */
	struct cookie z = opt_of("fc93fc62807ddb86", "010000005cf78f71a314227b6679ebf5");
	cookie_verify(ctx, &z, SA(ss), 1559727985 + 10);
	assert_int_equal(z.state, COOKIE_INVALID);
	/* At 1559734700 it is 6715 s old: past the hour, so invalid; the new one is A.3's. */
	cookie_verify(ctx, &c, SA(ss), 1559734700);
	assert_int_equal(c.state, COOKIE_INVALID);
	uint8_t opt[COOKIE_OPT_SPACE], exp[COOKIE_SERVER_LEN];
	unhex("010000005cf7a9acf73a7810aca2381e", exp, sizeof(exp));
	assert_int_equal(cookie_write_option(ctx, &c, SA(ss), 1559734700, opt), COOKIE_OPT_SPACE);
	assert_memory_equal(opt + 12, exp, sizeof(exp));
	cookie_ctx_free(ctx);
}

static void test_vector_a4_ipv6_rollover(void **state)
{
	const char *ip = "2001:db8:220:1:59de:d0f4:8769:82b8";
	struct sockaddr_storage ss = unit_addr(ip);
	/* Before the rollover the old secret made the incoming cookie. */
	struct cookie_ctx *old = ctx_with(OLD_A4, NULL);
	expect_made(old, "22681ab97d52c298", ip, 1559741817, "010000005cf7c57926556bd0934c72f8");
	cookie_ctx_free(old);

	struct cookie_ctx *ctx = ctx_with(SECRET_A4, OLD_A4);
	struct cookie c = opt_of("22681ab97d52c298", "010000005cf7c57926556bd0934c72f8");
	cookie_verify(ctx, &c, SA(ss), 1559741961);
	assert_int_equal(c.state, COOKIE_VALID);
	assert_true(c.refresh); /* made with the previous secret */
	uint8_t opt[COOKIE_OPT_SPACE], exp[COOKIE_SERVER_LEN];
	unhex("010000005cf7c609a6bb79d16625507a", exp, sizeof(exp));
	assert_int_equal(cookie_write_option(ctx, &c, SA(ss), 1559741961, opt), COOKIE_OPT_SPACE);
	assert_memory_equal(opt + 12, exp, sizeof(exp));
	cookie_ctx_free(ctx);

	/* Without the previous secret the old cookie is just invalid. */
	ctx = ctx_with(SECRET_A4, NULL);
	c = opt_of("22681ab97d52c298", "010000005cf7c57926556bd0934c72f8");
	cookie_verify(ctx, &c, SA(ss), 1559741961);
	assert_int_equal(c.state, COOKIE_INVALID);
	cookie_ctx_free(ctx);
}

/* ---- formats and the window ---- */

static void test_option_lengths(void **state)
{
	uint8_t data[64];
	memset(data, 0x5a, sizeof(data));
	for (size_t len = 0; len <= 48; len++) {
		struct cookie c;
		cookie_parse(data, len, &c);
		if (len == 8)
			assert_int_equal(c.state, COOKIE_CLIENT_ONLY);
		else if (len >= 16 && len <= 40)
			assert_int_equal(c.state, COOKIE_INVALID);
		else
			assert_int_equal(c.state, COOKIE_MALFORMED);
	}
	/* A server cookie that is not 16 octets of version 1 is never ours. */
	struct cookie_ctx *ctx = ctx_with(SECRET_A, NULL);
	struct sockaddr_storage ss = unit_addr("198.51.100.100");
	struct cookie c = opt_of("2464c4abcf10c957", "010000005cf79f111f8130c3eee2948000000000");
	cookie_verify(ctx, &c, SA(ss), 1559731985);
	assert_int_equal(c.state, COOKIE_INVALID);
	c = opt_of("2464c4abcf10c957", "020000005cf79f111f8130c3eee29480");
	cookie_verify(ctx, &c, SA(ss), 1559731985);
	assert_int_equal(c.state, COOKIE_INVALID);
	/* A client-only option is answered with a new cookie. */
	c = opt_of("2464c4abcf10c957", "");
	uint8_t opt[COOKIE_OPT_SPACE];
	assert_int_equal(cookie_write_option(ctx, &c, SA(ss), 1559731985, opt), COOKIE_OPT_SPACE);
	uint8_t exp[COOKIE_SERVER_LEN];
	unhex("010000005cf79f111f8130c3eee29480", exp, sizeof(exp));
	assert_memory_equal(opt + 12, exp, sizeof(exp));
	/* A malformed or absent option gets nothing. */
	c.state = COOKIE_MALFORMED;
	assert_int_equal(cookie_write_option(ctx, &c, SA(ss), 1559731985, opt), 0);
	cookie_ctx_free(ctx);
}

/* Verify a cookie made at `made` when the clock reads `now`. */
static struct cookie check_at(struct cookie_ctx *ctx, uint32_t made, uint32_t now, const char *ip,
                              const char *seen_from)
{
	struct sockaddr_storage a = unit_addr(ip), b = unit_addr(seen_from);
	uint8_t cl[8] = {1, 2, 3, 4, 5, 6, 7, 8};
	struct cookie c = {.state = COOKIE_INVALID, .server_len = COOKIE_SERVER_LEN};
	memcpy(c.client, cl, sizeof(cl));
	assert_int_equal(cookie_make(ctx, cl, SA(a), made, c.server), 0);
	cookie_verify(ctx, &c, SA(b), now);
	return c;
}

static void test_time_window(void **state)
{
	struct cookie_ctx *ctx = ctx_with(SECRET_A, NULL);
	const uint32_t t = 1700000000;
	const char *ip = "192.0.2.7";
	struct cookie c = check_at(ctx, t, t, ip, ip);
	assert_int_equal(c.state, COOKIE_VALID);
	assert_false(c.refresh);
	c = check_at(ctx, t, t + 1800, ip, ip);
	assert_int_equal(c.state, COOKIE_VALID);
	assert_false(c.refresh);
	c = check_at(ctx, t, t + 1801, ip, ip);
	assert_int_equal(c.state, COOKIE_VALID);
	assert_true(c.refresh);
	assert_int_equal(check_at(ctx, t, t + 3600, ip, ip).state, COOKIE_VALID);
	assert_int_equal(check_at(ctx, t, t + 3601, ip, ip).state, COOKIE_INVALID);
	/* From the future: five minutes of skew are tolerated, not more. */
	assert_int_equal(check_at(ctx, t + 300, t, ip, ip).state, COOKIE_VALID);
	assert_int_equal(check_at(ctx, t + 301, t, ip, ip).state, COOKIE_INVALID);
	/* Serial arithmetic across the 32-bit wrap. */
	assert_int_equal(check_at(ctx, 0xffffff00u, 0x10, ip, ip).state, COOKIE_VALID);
	assert_int_equal(check_at(ctx, 0x1000, 0xffffff00u, ip, ip).state, COOKIE_INVALID);
	assert_int_equal(check_at(ctx, 0x10, 0xffffff00u, ip, ip).state,
	                 COOKIE_VALID); /* 272 s ahead */
	/* Bound to the address: another client, or IPv4 vs IPv6, fails. */
	assert_int_equal(check_at(ctx, t, t, ip, "192.0.2.8").state, COOKIE_INVALID);
	assert_int_equal(check_at(ctx, t, t, "2001:db8::7", "2001:db8::8").state, COOKIE_INVALID);
	assert_int_equal(check_at(ctx, t, t, "2001:db8::7", "2001:db8::7").state, COOKIE_VALID);
	/* An IPv4-mapped address is its IPv4 address (dual-stack sockets). */
	assert_int_equal(check_at(ctx, t, t, ip, "::ffff:192.0.2.7").state, COOKIE_VALID);
	/* A rotated secret without the previous one invalidates everything. */
	struct cookie_ctx *other = ctx_with(SECRET_A4, NULL);
	struct sockaddr_storage ss = unit_addr(ip);
	c = check_at(ctx, t, t, ip, ip);
	cookie_verify(other, &c, SA(ss), t);
	assert_int_equal(c.state, COOKIE_INVALID);
	cookie_ctx_free(other);
	cookie_ctx_free(ctx);
}

/* ---- query_process(): FORMERR, cookie-only queries, cookies in answers ---- */

struct fixture {
	char dir[64];
	struct store *st;
	struct store_txn *txn;
	struct query_ctx *q;
};

static uint32_t fixed_now = 1700000000;
static uint64_t clock_fixed(void)
{
	return fixed_now;
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	uint8_t apex[ILNPDNS_DNAME_MAXLEN], secret[COOKIE_SECRET_LEN];
	char err[256] = "";
	struct zoneload_result res;
	assert_non_null(f);
	strcpy(f->dir, "/tmp/ilnpdns-test-cookie-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	assert_int_equal(store_open(&f->st, f->dir, 16 << 20, 0), 0);
	assert_true(ilnpdns_dname_from_str("example.ilnp.", apex) > 0);
	FILE *in = fmemopen((void *)zone_text, strlen(zone_text), "r");
	assert_non_null(in);
	if (zoneload_stream(f->st, apex, in, "example.ilnp.", 0, &res, err, sizeof(err)) != 0)
		fail_msg("zoneload: %s", err);
	fclose(in);
	assert_int_equal(store_txn_begin(f->st, false, &f->txn), 0);
	f->q = query_ctx_new();
	assert_non_null(f->q);
	query_ctx_set_clock(f->q, clock_fixed);
	unhex(SECRET_A, secret, sizeof(secret));
	cookie_ctx_set_secrets(query_ctx_cookie(f->q), secret, NULL);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[128];
	query_ctx_free(f->q);
	store_txn_abort(f->txn);
	store_close(f->st);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

/*
 * An OPT RR at out + n (payload 1232), holding a COOKIE option of cklen octets from ck when ck
 * is not NULL, counted in ARCOUNT; returns the new length.
 */
static size_t put_opt(uint8_t *out, size_t n, const uint8_t *ck, size_t cklen)
{
	out[n] = 0;
	ilnpdns_put16(out + n + 1, ILNPDNS_T_OPT);
	ilnpdns_put16(out + n + 3, 1232);
	memset(out + n + 5, 0, 4);
	ilnpdns_put16(out + n + 9, (uint16_t)(ck != NULL ? 4 + cklen : 0));
	n += 11;
	if (ck != NULL) {
		ilnpdns_put16(out + n, COOKIE_OPT_CODE);
		ilnpdns_put16(out + n + 2, (uint16_t)cklen);
		memcpy(out + n + 4, ck, cklen);
		n += 4 + cklen;
	}
	ilnpdns_put16(out + 10, 1);
	return n;
}

/*
 * A QUERY: qname (NULL: QDCOUNT 0), an OPT when opt is set, holding a COOKIE
 * option of cklen octets from ck when ck is not NULL.
 */
static size_t mkquery(uint8_t *out, const char *qname, bool opt, const uint8_t *ck, size_t cklen)
{
	uint8_t name[ILNPDNS_DNAME_MAXLEN];
	size_t n = ILNPDNS_HDR_LEN;
	memset(out, 0, ILNPDNS_HDR_LEN);
	ilnpdns_put16(out, 0xbeef);
	if (qname != NULL) {
		int nl = ilnpdns_dname_from_str(qname, name);
		assert_true(nl > 0);
		memcpy(out + n, name, (size_t)nl);
		n += (size_t)nl;
		ilnpdns_put16(out + n, ILNPDNS_T_L64);
		ilnpdns_put16(out + n + 2, ILNPDNS_C_IN);
		n += 4;
		ilnpdns_put16(out + 4, 1);
	}
	if (opt)
		n = put_opt(out, n, ck, cklen);
	return n;
}

static uint8_t resp[ILNPDNS_MSG_MAX];

/* The full RCODE of a response (header, plus the OPT's upper bits) and its COOKIE option. */
static int rcode_of(const uint8_t *r, size_t len, uint8_t *ck, size_t *cklen)
{
	size_t pos = ILNPDNS_HDR_LEN;
	uint8_t name[ILNPDNS_DNAME_MAXLEN];
	int rcode = r[3] & 0xf;
	unsigned qd = ilnpdns_get16(r + 4);
	unsigned total =
	    (unsigned)ilnpdns_get16(r + 6) + ilnpdns_get16(r + 8) + ilnpdns_get16(r + 10);
	*cklen = 0;
	for (unsigned i = 0; i < qd; i++) {
		assert_true(ilnpdns_dname_unpack(r, len, &pos, name) > 0);
		pos += 4;
	}
	for (unsigned i = 0; i < total; i++) {
		assert_true(ilnpdns_dname_unpack(r, len, &pos, name) > 0);
		uint16_t type = ilnpdns_get16(r + pos), rdlen = ilnpdns_get16(r + pos + 8);
		if (type == ILNPDNS_T_OPT) {
			rcode |= r[pos + 4] << 4;
			for (size_t o = pos + 10; o + 4 <= pos + 10 + rdlen;) {
				uint16_t code = ilnpdns_get16(r + o),
				         olen = ilnpdns_get16(r + o + 2);
				if (code == COOKIE_OPT_CODE) {
					memcpy(ck, r + o + 4, olen);
					*cklen = olen;
				}
				o += 4u + olen;
			}
		}
		pos += 10u + rdlen;
	}
	assert_int_equal(pos, len);
	return rcode;
}

static size_t ask(struct fixture *f, const uint8_t *req, size_t len, const struct sockaddr *from,
                  struct query_info *info)
{
	return query_process(f->q, f->txn, req, len, QUERY_UDP, from, resp, sizeof(resp), info);
}

static void test_query_formerr(void **state)
{
	struct fixture *f = *state;
	struct sockaddr_storage ss = unit_addr("192.0.2.7");
	uint8_t req[512], ck[48], got[48];
	size_t cklen;
	struct query_info info;
	memset(ck, 0x11, sizeof(ck));
	/* RFC 7873 5.2.2: lengths other than 8 and 16..40 are FORMERR, with or without a question.
	 */
	const size_t bad[] = {0, 1, 7, 9, 12, 15, 41, 44};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		for (int qd = 0; qd < 2; qd++) {
			size_t n =
			    mkquery(req, qd ? "host1.example.ilnp." : NULL, true, ck, bad[i]);
			size_t r = ask(f, req, n, SA(ss), &info);
			assert_true(r > 0);
			assert_int_equal(rcode_of(resp, r, got, &cklen), ILNPDNS_RCODE_FORMERR);
			assert_int_equal(cklen, 0);
		}
	}
	/* QDCOUNT 0 without a COOKIE stays FORMERR (RFC 9619, RFC 7873 5.4). */
	size_t n = mkquery(req, NULL, true, NULL, 0);
	size_t r = ask(f, req, n, SA(ss), &info);
	assert_int_equal(rcode_of(resp, r, got, &cklen), ILNPDNS_RCODE_FORMERR);
	n = mkquery(req, NULL, false, NULL, 0);
	r = ask(f, req, n, SA(ss), &info);
	assert_int_equal(resp[3] & 0xf, ILNPDNS_RCODE_FORMERR);
}

static void test_query_cookie_only(void **state)
{
	struct fixture *f = *state;
	struct sockaddr_storage ss = unit_addr("192.0.2.7");
	uint8_t req[512], ck[40], got[48];
	size_t cklen;
	struct query_info info;
	unhex("0102030405060708", ck, 8);
	/* Client cookie only: NOERROR, no question, our cookie (RFC 7873 5.4). */
	size_t n = mkquery(req, NULL, true, ck, 8);
	size_t r = ask(f, req, n, SA(ss), &info);
	assert_int_equal(rcode_of(resp, r, got, &cklen), ILNPDNS_RCODE_NOERROR);
	assert_int_equal(ilnpdns_get16(resp + 4), 0);
	assert_int_equal(cklen, 24);
	assert_memory_equal(got, ck, 8);
	assert_int_equal(info.cookie, COOKIE_CLIENT_ONLY);
	/* Echo it: NOERROR and the same cookie back (fresh). */
	memcpy(ck + 8, got + 8, 16);
	n = mkquery(req, NULL, true, ck, 24);
	r = ask(f, req, n, SA(ss), &info);
	uint8_t again[48];
	assert_int_equal(rcode_of(resp, r, again, &cklen), ILNPDNS_RCODE_NOERROR);
	assert_int_equal(info.cookie, COOKIE_VALID);
	assert_memory_equal(again, got, 24);
	/* From another address it is invalid: BADCOOKIE (23: header 7, OPT 1) with a new one. */
	struct sockaddr_storage other = unit_addr("192.0.2.8");
	r = ask(f, req, n, SA(other), &info);
	assert_int_equal(rcode_of(resp, r, again, &cklen), ILNPDNS_RCODE_BADCOOKIE);
	assert_int_equal(resp[3] & 0xf, 7);
	assert_int_equal(info.rcode, ILNPDNS_RCODE_BADCOOKIE);
	assert_int_equal(info.cookie, COOKIE_INVALID);
	assert_int_equal(cklen, 24);
	assert_memory_not_equal(again + 8, got + 8, 16);
	/* An hour and a bit later it has expired. */
	fixed_now += 3700;
	r = ask(f, req, n, SA(ss), &info);
	assert_int_equal(rcode_of(resp, r, again, &cklen), ILNPDNS_RCODE_BADCOOKIE);
	fixed_now -= 3700;
}

static void test_query_answers_with_cookie(void **state)
{
	struct fixture *f = *state;
	struct sockaddr_storage ss = unit_addr("2001:db8::53");
	uint8_t req[512], ck[40], got[48], bad[48];
	size_t cklen;
	struct query_info info;
	unhex("a1a2a3a4a5a6a7a8", ck, 8);
	size_t n = mkquery(req, "host1.example.ilnp.", true, ck, 8);
	size_t r = ask(f, req, n, SA(ss), &info);
	assert_int_equal(rcode_of(resp, r, got, &cklen), ILNPDNS_RCODE_NOERROR);
	assert_int_equal(ilnpdns_get16(resp + 6), 1); /* the L64 */
	assert_int_equal(cklen, 24);
	/* An invalid server cookie: answered normally all the same, new cookie (5.2.4). */
	memcpy(ck + 8, got + 8, 16);
	ck[20] ^= 1;
	n = mkquery(req, "host1.example.ilnp.", true, ck, 24);
	r = ask(f, req, n, SA(ss), &info);
	assert_int_equal(rcode_of(resp, r, bad, &cklen), ILNPDNS_RCODE_NOERROR);
	assert_int_equal(ilnpdns_get16(resp + 6), 1);
	assert_int_equal(info.cookie, COOKIE_INVALID);
	assert_memory_equal(bad, got, 24);
	/* The valid one: answered, same cookie. */
	ck[20] ^= 1;
	n = mkquery(req, "host1.example.ilnp.", true, ck, 24);
	r = ask(f, req, n, SA(ss), &info);
	assert_int_equal(rcode_of(resp, r, bad, &cklen), ILNPDNS_RCODE_NOERROR);
	assert_int_equal(info.cookie, COOKIE_VALID);
	/* A 512-octet answer still has room for the cookie. */
	assert_true(r <= 512);
	/* Without a COOKIE nothing changes: no option in the answer. */
	n = mkquery(req, "host1.example.ilnp.", true, NULL, 0);
	r = ask(f, req, n, SA(ss), &info);
	assert_int_equal(rcode_of(resp, r, bad, &cklen), ILNPDNS_RCODE_NOERROR);
	assert_int_equal(cklen, 0);
	assert_int_equal(info.cookie, COOKIE_ABSENT);
}

/* ---- the UPDATE gate ---- */

/* An UPDATE for example.ilnp. adding one L64, with an OPT (and COOKIE) as asked, signed or not. */
static size_t mkupdate(uint8_t *out, size_t cap, bool opt, const uint8_t *ck, size_t cklen,
                       bool sign)
{
	static const uint8_t body[] = {7,   'e', 'x',  'a',  'm',  'p',  'l',  'e',  4, 'i',
	                               'l', 'n', 'p',  0,    0,    6,    0,    1, /* zone */
	                               5,   'h', 'o',  's',  't',  '1',  0xc0, 12,   0, 106,
	                               0,   1,   0,    0,    0,    0,    0,    10, /* L64 */
	                               0,   50,  0x20, 0x01, 0x0d, 0xb8, 0,    0x50, 0, 1};
	memset(out, 0, ILNPDNS_HDR_LEN);
	ilnpdns_put16(out, 0x4242);
	ilnpdns_put16(out + 2, ILNPDNS_OP_UPDATE << 11);
	ilnpdns_put16(out + 4, 1);
	ilnpdns_put16(out + 8, 1);
	memcpy(out + ILNPDNS_HDR_LEN, body, sizeof(body));
	size_t n = ILNPDNS_HDR_LEN + sizeof(body);
	if (opt)
		n = put_opt(out, n, ck, cklen);
	if (!sign)
		return n;
	struct ilnpdns_sig0_ctx *sctx = NULL;
	struct ilnpdns_sig0_key *key = NULL;
	assert_int_equal(ilnpdns_sig0_ctx_new(&sctx), 0);
	assert_int_equal(ilnpdns_sig0_key_load(SIG0_KEY, &key), 0);
	int len = ilnpdns_sig0_sign(sctx, key, out, n, cap, NULL, 0);
	assert_true(len > (int)n);
	ilnpdns_sig0_key_free(key);
	ilnpdns_sig0_ctx_free(sctx);
	return (size_t)len;
}

static void test_update_gate(void **state)
{
	struct cookie_ctx *ctx = ctx_with(SECRET_A, NULL);
	struct sockaddr_storage ss = unit_addr("192.0.2.7");
	const uint32_t now = 1700000000;
	uint8_t req[1024], ck[24], got[48];
	size_t cklen, n, r;
	uint8_t rcode;
	bool tc;

	/* No OPT: REFUSED with TC=1 and nothing else: the way is TCP. */
	n = mkupdate(req, sizeof(req), false, NULL, 0, true);
	r = cookie_update_gate(ctx, req, n, SA(ss), now, resp, sizeof(resp), &rcode, &tc);
	assert_true(r > 0);
	assert_true(tc);
	assert_int_equal(rcode, ILNPDNS_RCODE_REFUSED);
	assert_int_equal(rcode_of(resp, r, got, &cklen), ILNPDNS_RCODE_REFUSED);
	assert_true(ilnpdns_get16(resp + 2) & ILNPDNS_FLAG_TC);
	assert_int_equal(ILNPDNS_OPCODE(ilnpdns_get16(resp + 2)), ILNPDNS_OP_UPDATE);
	assert_int_equal(ilnpdns_get16(resp), 0x4242);
	assert_int_equal(ilnpdns_get16(resp + 4), 1); /* zone echoed */
	assert_int_equal(ilnpdns_get16(resp + 10), 0);
	/* OPT without COOKIE: TC=1, with an OPT back. */
	n = mkupdate(req, sizeof(req), true, NULL, 0, true);
	r = cookie_update_gate(ctx, req, n, SA(ss), now, resp, sizeof(resp), &rcode, &tc);
	assert_true(r > 0 && tc);
	assert_int_equal(ilnpdns_get16(resp + 10), 1);
	/* Client cookie only: BADCOOKIE with our cookie. */
	unhex("0102030405060708", ck, 8);
	n = mkupdate(req, sizeof(req), true, ck, 8, true);
	r = cookie_update_gate(ctx, req, n, SA(ss), now, resp, sizeof(resp), &rcode, &tc);
	assert_true(r > 0);
	assert_false(tc);
	assert_int_equal(rcode, ILNPDNS_RCODE_BADCOOKIE);
	assert_int_equal(rcode_of(resp, r, got, &cklen), ILNPDNS_RCODE_BADCOOKIE);
	assert_int_equal(cklen, 24);
	assert_memory_equal(got, ck, 8);
	/* With that cookie the update passes to the writer. */
	memcpy(ck + 8, got + 8, 16);
	n = mkupdate(req, sizeof(req), true, ck, 24, true);
	r = cookie_update_gate(ctx, req, n, SA(ss), now + 10, resp, sizeof(resp), &rcode, &tc);
	assert_int_equal(r, 0);
	/* ... but not from another address, nor once expired. */
	struct sockaddr_storage other = unit_addr("192.0.2.99");
	r = cookie_update_gate(ctx, req, n, SA(other), now + 10, resp, sizeof(resp), &rcode, &tc);
	assert_int_equal(rcode, ILNPDNS_RCODE_BADCOOKIE);
	assert_true(r > 0);
	r = cookie_update_gate(ctx, req, n, SA(ss), now + 4000, resp, sizeof(resp), &rcode, &tc);
	assert_int_equal(rcode, ILNPDNS_RCODE_BADCOOKIE);
	/* A malformed COOKIE: FORMERR. */
	n = mkupdate(req, sizeof(req), true, ck, 12, true);
	r = cookie_update_gate(ctx, req, n, SA(ss), now, resp, sizeof(resp), &rcode, &tc);
	assert_true(r > 0);
	assert_int_equal(rcode, ILNPDNS_RCODE_FORMERR);
	/* Unsigned updates cost no crypto: they pass, cookie or not. */
	n = mkupdate(req, sizeof(req), false, NULL, 0, false);
	assert_int_equal(
	    cookie_update_gate(ctx, req, n, SA(ss), now, resp, sizeof(resp), &rcode, &tc), 0);
	n = mkupdate(req, sizeof(req), true, ck, 8, false);
	assert_int_equal(
	    cookie_update_gate(ctx, req, n, SA(ss), now, resp, sizeof(resp), &rcode, &tc), 0);
	/* Truncated garbage passes too: the writer answers FORMERR without crypto. */
	n = mkupdate(req, sizeof(req), true, ck, 8, true);
	assert_int_equal(
	    cookie_update_gate(ctx, req, n - 5, SA(ss), now, resp, sizeof(resp), &rcode, &tc), 0);
	cookie_ctx_free(ctx);
}

/* ---- configuration ---- */

static void test_conf_keys(void **state)
{
	char err[512] = "";
	uint8_t want[COOKIE_SECRET_LEN];
	struct conf *c = unit_load_conf("server:\n"
	                                "  cookie-secret: E5E973E5A6B2A43F48E7DC849E37BFCF\n"
	                                "update:\n"
	                                "  require-cookie-or-tcp: true\n",
	                                err, sizeof(err));
	if (c == NULL)
		fail_msg("%s", err);
	unhex(SECRET_A, want, sizeof(want));
	assert_true(c->cookie_secret_set);
	assert_memory_equal(c->cookie_secret, want, sizeof(want));
	assert_true(c->update_require_cookie);
	conf_free(c);
	/* Defaults: off, and a random secret for each load. */
	struct conf *a = unit_load_conf("", err, sizeof(err)),
	            *b = unit_load_conf("", err, sizeof(err));
	assert_non_null(a);
	assert_non_null(b);
	assert_false(a->update_require_cookie);
	assert_false(a->cookie_secret_set);
	assert_memory_not_equal(a->cookie_secret, b->cookie_secret, COOKIE_SECRET_LEN);
	conf_free(a);
	conf_free(b);
	/* Errors name file, line and key. */
	assert_null(
	    unit_load_conf("server:\n  workers: 1\n  cookie-secret: abcd\n", err, sizeof(err)));
	assert_non_null(strstr(err, ":3: server.cookie-secret: want 32 hex digits"));
	assert_null(unit_load_conf("server:\n  cookie-secret: e5e973e5a6b2a43f48e7dc849e37bfcg\n",
	                           err, sizeof(err)));
	assert_non_null(strstr(err, ":2: server.cookie-secret: not a hex digit at position 32"));
	assert_null(unit_load_conf("update:\n  require-cookie-or-tcp: maybe\n", err, sizeof(err)));
	assert_non_null(strstr(err, ":2: update.require-cookie-or-tcp:"));
	assert_null(unit_load_conf("update:\n  require-cookie: true\n", err, sizeof(err)));
	assert_non_null(strstr(err, ":2: update.require-cookie: unknown key"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_vector_a1_new),
	    cmocka_unit_test(test_vector_a2_renew),
	    cmocka_unit_test(test_vector_a3_other_reserved),
	    cmocka_unit_test(test_vector_a4_ipv6_rollover),
	    cmocka_unit_test(test_option_lengths),
	    cmocka_unit_test(test_time_window),
	    cmocka_unit_test_setup_teardown(test_query_formerr, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_query_cookie_only, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_query_answers_with_cookie, setup, teardown),
	    cmocka_unit_test(test_update_gate),
	    cmocka_unit_test(test_conf_keys),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
