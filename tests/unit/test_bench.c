/* SPDX-License-Identifier: BSD-2-Clause */
/* test_bench.c -- ilnpdns-bench pieces: UPDATE and query messages, answer checks, addresses,
 * percentiles. */
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

#include <cmocka.h>
#include <ldns/ldns.h>

#include "ilnpdns/dname.h"
#include "ilnpdns/error.h"
#include "ilnpdns/keys.h"
#include "ilnpdns/tsig.h"
#include "ilnpdns/wire.h"
#include "bench_echo.h"
#include "bench_msg.h"
#include "bench_net.h"
#include "bench_query.h"
#include "bench_stats.h"
#include "bench_table6.h"
#include "policy.h"
#include "store.h"
#include "update.h"
#include "zoneload.h"

#define ZONE  "example.ilnp."
#define OWNER "u7.example.ilnp."

static const uint8_t rdata_a[BENCH_L64_RDLEN] = {0, 10, 0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 2};
static const uint8_t rdata_b[BENCH_L64_RDLEN] = {0, 10, 0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 3};

static void wname(const char *s, uint8_t *out)
{
	assert_true(ilnpdns_dname_from_str(s, out) > 0);
}

static int build_update(uint8_t *buf, size_t cap, uint16_t id, const uint8_t *rdata)
{
	uint8_t zone[ILNPDNS_DNAME_MAXLEN], owner[ILNPDNS_DNAME_MAXLEN];
	wname(ZONE, zone);
	wname(OWNER, owner);
	return bench_msg_update_l64(buf, cap, id, zone, owner, rdata);
}

static char *rr_str(ldns_rr_list *list, size_t i)
{
	return ldns_rr2str(ldns_rr_list_rr(list, i));
}

/* ---- UPDATE message, read back by ldns (an independent decoder) ---- */

static void test_update_wire_ldns(void **state)
{
	(void)state;
	uint8_t msg[512];
	ldns_pkt *pkt = NULL;
	int len = build_update(msg, sizeof(msg), 0x1234, rdata_a);
	assert_true(len > 0);
	assert_int_equal(ldns_wire2pkt(&pkt, msg, (size_t)len), LDNS_STATUS_OK);
	assert_int_equal(ldns_pkt_id(pkt), 0x1234);
	assert_int_equal(ldns_pkt_get_opcode(pkt), LDNS_PACKET_UPDATE);
	/* RFC 2136 2.2: every flag but the opcode is zero in a request. */
	assert_false(ldns_pkt_qr(pkt));
	assert_false(ldns_pkt_rd(pkt));
	assert_false(ldns_pkt_aa(pkt));
	assert_int_equal(ldns_pkt_get_rcode(pkt), 0);
	/* Zone (ZOCOUNT 1), prerequisites (0), updates (2), additional (0). */
	assert_int_equal(ldns_pkt_qdcount(pkt), 1);
	assert_int_equal(ldns_pkt_ancount(pkt), 0);
	assert_int_equal(ldns_pkt_nscount(pkt), 2);
	assert_int_equal(ldns_pkt_arcount(pkt), 0);
	ldns_rr *z = ldns_rr_list_rr(ldns_pkt_question(pkt), 0);
	char *zs = ldns_rdf2str(ldns_rr_owner(z));
	assert_string_equal(zs, ZONE);
	free(zs);
	assert_int_equal(ldns_rr_get_type(z), LDNS_RR_TYPE_SOA);
	assert_int_equal(ldns_rr_get_class(z), LDNS_RR_CLASS_IN);

	/* 2.5.2 delete an RRset: class ANY, TTL 0, no RDATA. */
	ldns_rr_list *up = ldns_pkt_authority(pkt);
	ldns_rr *del = ldns_rr_list_rr(up, 0);
	assert_int_equal(ldns_rr_get_type(del), LDNS_RR_TYPE_L64);
	assert_int_equal(ldns_rr_get_class(del), LDNS_RR_CLASS_ANY);
	assert_int_equal(ldns_rr_ttl(del), 0);
	assert_int_equal(ldns_rr_rd_count(del), 0);
	/* 2.5.1 add an RR, the owner through the compression pointer. */
	char *add = rr_str(up, 1);
	assert_string_equal(add, OWNER "\t0\tIN\tL64\t10 2001:0db8:0001:0002\n");
	free(add);
	char *ds = ldns_rdf2str(ldns_rr_owner(del));
	assert_string_equal(ds, OWNER);
	free(ds);
	ldns_pkt_free(pkt);
}

static void test_update_trunc(void **state)
{
	(void)state;
	uint8_t msg[512];
	int len = build_update(msg, sizeof(msg), 1, rdata_a);
	assert_true(len > 0);
	assert_int_equal(build_update(msg, (size_t)len - 1, 1, rdata_a), ILNPDNS_ETRUNC);
	assert_int_equal(build_update(msg, (size_t)len, 1, rdata_a), len);
}

/* ---- signed, verified and applied by the server's own modules ---- */

struct fixture {
	char dir[64];
	struct store *st;
	struct ilnpdns_tsig_key key;
	struct ilnpdns_tsig_ctx *ctx;
	struct policy pol;
};

static int setup(void **state)
{
	static const char zone[] = "$ORIGIN example.ilnp.\n"
	                           "@ 3600 IN SOA ns1 hostmaster 1 7200 3600 1209600 300\n"
	                           "@ 3600 IN NS ns1\n"
	                           "ns1 3600 IN A 192.0.2.53\n";
	struct fixture *f = calloc(1, sizeof(*f));
	uint8_t apex[ILNPDNS_DNAME_MAXLEN];
	struct zoneload_result zr;
	char err[256] = "";

	assert_non_null(f);
	strcpy(f->dir, "/tmp/ilnpdns-test-bench-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	assert_int_equal(store_open(&f->st, f->dir, 64 << 20, 0), 0);
	wname(ZONE, apex);
	FILE *in = fmemopen((void *)zone, strlen(zone), "r");
	assert_non_null(in);
	int rc = zoneload_stream(f->st, apex, in, "bench.zone", STORE_ILNP_TTL_KEEP, &zr, err,
	                         sizeof(err));
	fclose(in);
	if (rc)
		fail_msg("zone load: %s", err);
	assert_int_equal(ilnpdns_tsig_key_from_y(&f->key,
	                                         "hmac-sha256:bench-key:"
	                                         "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0IQ==",
	                                         0, err, sizeof(err)),
	                 0);
	assert_non_null(f->ctx = ilnpdns_tsig_ctx_new());
	policy_init(&f->pol);
	assert_int_equal(policy_add_rule(&f->pol, "grant bench-key subdomain example.ilnp. ANY",
	                                 err, sizeof(err)),
	                 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[128];
	policy_clear(&f->pol);
	ilnpdns_tsig_ctx_free(f->ctx);
	store_close(f->st);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

static const struct ilnpdns_tsig_key *lookup(const uint8_t *name, void *arg)
{
	const struct ilnpdns_tsig_key *key = arg;
	return ilnpdns_dname_equal(name, key->name) ? key : NULL;
}

/* Sign as ilnpdns-bench does, verify and apply as ilnpdnsd does. */
static void sign_verify_apply(struct fixture *f, const uint8_t *rdata, struct update_result *res)
{
	uint8_t msg[1024];
	struct ilnpdns_tsig_state cst, sst;
	struct store_txn *txn;
	uint64_t now = ilnpdns_tsig_now();
	int len = build_update(msg, sizeof(msg), 77, rdata);
	assert_true(len > 0);
	size_t unsigned_len = (size_t)len, mlen = (size_t)len;
	assert_int_equal(ilnpdns_tsig_sign_request(f->ctx, &cst, &f->key, ILNPDNS_TSIG_FUDGE, msg,
	                                           &mlen, sizeof(msg), now),
	                 0);
	assert_int_equal(ilnpdns_get16(msg + 10), 1); /* ARCOUNT: the TSIG */
	assert_int_equal(
	    ilnpdns_tsig_verify_request(f->ctx, msg, mlen, lookup, &f->key, NULL, now, &sst), 0);
	struct update_opts opts = {
	    .signer = f->key.name, .policy = &f->pol, .serial_policy = UPDATE_SERIAL_INCREMENT};
	assert_int_equal(store_txn_begin(f->st, true, &txn), 0);
	assert_int_equal(update_process(txn, msg, unsigned_len, 0, &opts, res), 0);
	assert_int_equal(store_txn_commit(txn), 0);
}

static void test_update_applies(void **state)
{
	struct fixture *f = *state;
	struct update_result res;

	/* First: the name is new, so only the L64 (and the new SOA) are added. */
	sign_verify_apply(f, rdata_a, &res);
	assert_int_equal(res.rcode, ILNPDNS_RCODE_NOERROR);
	assert_true(res.changed);
	assert_int_equal(res.updates, 2);
	assert_int_equal(res.removed, 1); /* the old SOA */
	assert_int_equal(res.added, 2);   /* the new SOA and the L64 */
	/* Second: the RRset is replaced, not extended: the old L64 goes. */
	sign_verify_apply(f, rdata_b, &res);
	assert_int_equal(res.rcode, ILNPDNS_RCODE_NOERROR);
	assert_int_equal(res.removed, 2);
	assert_int_equal(res.added, 2);
	assert_int_equal(res.new_serial, res.old_serial + 1);
	/* The same value again changes nothing (RFC 2136 3.4.2.2: duplicates). */
	sign_verify_apply(f, rdata_b, &res);
	assert_int_equal(res.rcode, ILNPDNS_RCODE_NOERROR);
	assert_false(res.changed);
}

/* A corrupted signed update must not verify: the MAC covers the RRs. */
static void test_update_tamper(void **state)
{
	struct fixture *f = *state;
	uint8_t msg[1024];
	struct ilnpdns_tsig_state cst, sst;
	uint64_t now = ilnpdns_tsig_now();
	int len = build_update(msg, sizeof(msg), 9, rdata_a);
	size_t mlen = (size_t)len;
	assert_int_equal(ilnpdns_tsig_sign_request(f->ctx, &cst, &f->key, ILNPDNS_TSIG_FUDGE, msg,
	                                           &mlen, sizeof(msg), now),
	                 0);
	msg[len - 1] ^= 1; /* last octet of the locator */
	assert_int_equal(
	    ilnpdns_tsig_verify_request(f->ctx, msg, mlen, lookup, &f->key, NULL, now, &sst),
	    ILNPDNS_EBADSIG);
}

/* ---- queries and answers ---- */

static void test_query_wire(void **state)
{
	(void)state;
	uint8_t msg[512], owner[ILNPDNS_DNAME_MAXLEN];
	ldns_pkt *pkt = NULL;
	wname(OWNER, owner);
	int len = bench_msg_query(msg, sizeof(msg), 4321, owner, ILNPDNS_T_L64);
	assert_int_equal(len, 12 + (int)ilnpdns_dname_len(owner) + 4);
	assert_int_equal(ldns_wire2pkt(&pkt, msg, (size_t)len), LDNS_STATUS_OK);
	assert_int_equal(ldns_pkt_id(pkt), 4321);
	assert_int_equal(ldns_pkt_get_opcode(pkt), LDNS_PACKET_QUERY);
	assert_false(ldns_pkt_rd(pkt));
	char *q = rr_str(ldns_pkt_question(pkt), 0);
	assert_string_equal(q, OWNER "\tIN\tL64\n");
	free(q);
	ldns_pkt_free(pkt);
	assert_int_equal(bench_msg_query(msg, (size_t)len - 1, 1, owner, ILNPDNS_T_L64),
	                 ILNPDNS_ETRUNC);
}

/* An answer made by ldns from presentation form, with name compression. */
static size_t make_answer(uint8_t **wire, const char *const *answers, size_t n)
{
	ldns_pkt *pkt = NULL;
	ldns_rr *rr = NULL;
	size_t len;
	assert_int_equal(
	    ldns_pkt_query_new_frm_str(&pkt, OWNER, LDNS_RR_TYPE_L64, LDNS_RR_CLASS_IN, 0),
	    LDNS_STATUS_OK);
	ldns_pkt_set_qr(pkt, true);
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(ldns_rr_new_frm_str(&rr, answers[i], 0, NULL, NULL),
		                 LDNS_STATUS_OK);
		assert_true(ldns_pkt_push_rr(pkt, LDNS_SECTION_ANSWER, rr));
	}
	assert_int_equal(ldns_pkt2wire(wire, pkt, &len), LDNS_STATUS_OK);
	ldns_pkt_free(pkt);
	return len;
}

static void test_answer_has(void **state)
{
	(void)state;
	static const char *const with[] = {
	    OWNER " 0 IN L64 10 2001:0db8:0001:0003",
	    OWNER " 0 IN L64 10 2001:0db8:0001:0002",
	};
	static const char *const without[] = {
	    OWNER " 0 IN L64 10 2001:0db8:0001:0003",
	    OWNER " 0 IN L64 20 2001:0db8:0001:0002", /* same locator, other preference */
	    OWNER " 0 IN NID 10 2001:0db8:0001:0002", /* same RDATA, other type */
	};
	uint8_t *wire;
	size_t len = make_answer(&wire, with, 2);
	assert_int_equal(bench_msg_answer_has(wire, len, ILNPDNS_T_L64, rdata_a, sizeof(rdata_a)),
	                 1);
	/* Cut inside the last RR: the walk must notice, not read past the end. */
	assert_int_equal(
	    bench_msg_answer_has(wire, len - 3, ILNPDNS_T_L64, rdata_a, sizeof(rdata_a)),
	    ILNPDNS_EMALF);
	assert_int_equal(bench_msg_answer_has(wire, 5, ILNPDNS_T_L64, rdata_a, sizeof(rdata_a)),
	                 ILNPDNS_EMALF);
	free(wire);
	len = make_answer(&wire, without, 3);
	assert_int_equal(bench_msg_answer_has(wire, len, ILNPDNS_T_L64, rdata_a, sizeof(rdata_a)),
	                 0);
	assert_int_equal(bench_msg_answer_has(wire, len, ILNPDNS_T_L64, rdata_b, sizeof(rdata_b)),
	                 1);
	free(wire);
	len = make_answer(&wire, NULL, 0); /* NODATA */
	assert_int_equal(bench_msg_answer_has(wire, len, ILNPDNS_T_L64, rdata_a, sizeof(rdata_a)),
	                 0);
	free(wire);
}

/* ---- addresses ---- */

static void test_addr(void **state)
{
	(void)state;
	struct bench_addr a;
	static const char *const bad[] = {"",
	                                  "@53",
	                                  "127.0.0.1@",
	                                  "127.0.0.1@0",
	                                  "host@53",
	                                  "127.0.0.1@70000",
	                                  "127.0.0.1@5x",
	                                  "1.2.3@53"};

	assert_int_equal(bench_addr_parse("127.0.0.1@5300", &a), 0);
	assert_int_equal(a.ss.ss_family, AF_INET);
	assert_int_equal(ntohs(((struct sockaddr_in *)&a.ss)->sin_port), 5300);
	assert_true(bench_addr_is_loopback(&a));
	assert_int_equal(bench_addr_parse("::1", &a), 0);
	assert_int_equal(a.ss.ss_family, AF_INET6);
	assert_int_equal(ntohs(((struct sockaddr_in6 *)&a.ss)->sin6_port), 53);
	assert_true(bench_addr_is_loopback(&a));
	assert_int_equal(bench_addr_parse("127.200.0.9@53", &a), 0);
	assert_true(bench_addr_is_loopback(&a));
	assert_int_equal(bench_addr_parse("192.0.2.1@53", &a), 0);
	assert_false(bench_addr_is_loopback(&a));
	assert_int_equal(bench_addr_parse("2001:db8::1@53", &a), 0);
	assert_false(bench_addr_is_loopback(&a));
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(bench_addr_parse(bad[i], &a), ILNPDNS_ESYNTAX);
}

/* ---- percentiles ---- */

static void test_percentiles(void **state)
{
	(void)state;
	struct bench_samples s = {0};

	assert_int_equal(bench_samples_pct(&s, 50), 0);
	/* 100 values given in reverse: nearest rank picks measured values. */
	for (int i = 100; i >= 1; i--)
		assert_int_equal(bench_samples_add(&s, i), 0);
	assert_int_equal(s.n, 100);
	assert_int_equal(bench_samples_pct(&s, 50), 50);
	assert_int_equal(bench_samples_pct(&s, 99), 99);
	assert_int_equal(bench_samples_pct(&s, 99.9), 100);
	assert_int_equal(bench_samples_pct(&s, 100), 100);
	assert_int_equal(bench_samples_pct(&s, 0.5), 1);
	bench_samples_free(&s);
	assert_int_equal(s.n, 0);

	/* Four values: the median is the lower middle; negatives sort first. */
	int64_t v[] = {40, -5, 10, 3000000000LL};
	for (size_t i = 0; i < 4; i++)
		bench_samples_add(&s, v[i]);
	assert_int_equal(bench_samples_pct(&s, 50), 10);
	assert_int_equal(bench_samples_pct(&s, 25), -5);
	assert_int_equal(bench_samples_pct(&s, 51), 40);
	assert_int_equal(bench_samples_pct(&s, 99), 3000000000LL);
	bench_samples_free(&s);

	/* Growth past the first allocation keeps every value. */
	for (int i = 0; i < 5000; i++)
		bench_samples_add(&s, i % 7);
	assert_int_equal(s.n, 5000);
	assert_int_equal(bench_samples_pct(&s, 100), 6);
	bench_samples_free(&s);
}

/* ---- query files, EDNS queries, the responder's answers ---- */

static void test_type_from_str(void **state)
{
	(void)state;
	uint16_t t = 0;
	assert_int_equal(bench_msg_type_from_str("L64", &t), 0);
	assert_int_equal(t, ILNPDNS_T_L64);
	assert_int_equal(bench_msg_type_from_str("nid", &t), 0);
	assert_int_equal(t, ILNPDNS_T_NID);
	assert_int_equal(bench_msg_type_from_str("Lp", &t), 0);
	assert_int_equal(t, ILNPDNS_T_LP);
	assert_int_equal(bench_msg_type_from_str("AAAA", &t), 0);
	assert_int_equal(t, ILNPDNS_T_AAAA);
	assert_int_equal(bench_msg_type_from_str("TYPE65534", &t), 0);
	assert_int_equal(t, 65534);
	static const char *const bad[] = {"", "L65", "TYPE", "TYPE65536", "TYPE-1", "TYPE1x", "A "};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(bench_msg_type_from_str(bad[i], &t), ILNPDNS_ESYNTAX);
}

static void test_parse_qline(void **state)
{
	(void)state;
	uint8_t name[ILNPDNS_DNAME_MAXLEN], want[ILNPDNS_DNAME_MAXLEN];
	uint16_t t = 0;
	char longlabel[80];

	wname("h7.example.ilnp.", want);
	assert_int_equal(bench_msg_parse_qline("  h7.example.ilnp NID\n", name, &t), 1);
	assert_int_equal(t, ILNPDNS_T_NID);
	assert_memory_equal(name, want, ilnpdns_dname_len(want));
	assert_int_equal(bench_msg_parse_qline("h7.example.ilnp.\tL64", name, &t), 1);
	assert_int_equal(t, ILNPDNS_T_L64);
	assert_int_equal(bench_msg_parse_qline("\n", name, &t), 0);
	assert_int_equal(bench_msg_parse_qline("# a comment", name, &t), 0);
	assert_int_equal(bench_msg_parse_qline("; also", name, &t), 0);
	assert_int_equal(bench_msg_parse_qline("h7.example.ilnp.", name, &t), ILNPDNS_ESYNTAX);
	assert_int_equal(bench_msg_parse_qline("h7.example. L64 extra", name, &t), ILNPDNS_ESYNTAX);
	assert_int_equal(bench_msg_parse_qline("h7.example. BOGUS", name, &t), ILNPDNS_ESYNTAX);
	memset(longlabel, 'a', 70);
	strcpy(longlabel + 70, ". A");
	assert_true(bench_msg_parse_qline(longlabel, name, &t) < 0);
}

static void test_query_edns(void **state)
{
	(void)state;
	uint8_t msg[BENCH_QUERY_MAX], owner[ILNPDNS_DNAME_MAXLEN];
	ldns_pkt *pkt = NULL;
	wname(OWNER, owner);
	int len = bench_msg_query_edns(msg, sizeof(msg), 77, owner, ILNPDNS_T_AAAA, 1232);
	assert_int_equal(len, 12 + (int)ilnpdns_dname_len(owner) + 4 + 11);
	assert_int_equal(ldns_wire2pkt(&pkt, msg, (size_t)len), LDNS_STATUS_OK);
	assert_int_equal(ldns_pkt_id(pkt), 77);
	assert_true(ldns_pkt_edns(pkt));
	assert_int_equal(ldns_pkt_edns_udp_size(pkt), 1232);
	assert_int_equal(ldns_pkt_edns_version(pkt), 0);
	assert_int_equal(ldns_rr_get_type(ldns_rr_list_rr(ldns_pkt_question(pkt), 0)),
	                 LDNS_RR_TYPE_AAAA);
	ldns_pkt_free(pkt);
	/* 0: no OPT at all, as bench_msg_query(). */
	assert_int_equal(bench_msg_query_edns(msg, sizeof(msg), 77, owner, ILNPDNS_T_AAAA, 0),
	                 len - 11);
	assert_int_equal(ilnpdns_get16(msg + 10), 0);
	assert_int_equal(bench_msg_query_edns(msg, (size_t)len - 1, 1, owner, ILNPDNS_T_A, 1232),
	                 ILNPDNS_ETRUNC);
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void test_qset_load(void **state)
{
	(void)state;
	char path[] = "/tmp/test_bench_qset.XXXXXX", err[256];
	struct bench_qset qs;
	ldns_pkt *pkt = NULL;
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);

	write_file(path, "# queries\nh1.example.ilnp. L64\n\nh2.example.ilnp NID\nx.example. LP\n");
	assert_int_equal(bench_qset_load(&qs, path, 0, err, sizeof(err)), 0);
	assert_int_equal(qs.n, 3);
	static const ldns_rr_type types[3] = {LDNS_RR_TYPE_L64, LDNS_RR_TYPE_NID, LDNS_RR_TYPE_LP};
	for (size_t i = 0; i < 3; i++) {
		assert_int_equal(ldns_wire2pkt(&pkt, qs.wire + qs.off[i], qs.len[i]),
		                 LDNS_STATUS_OK);
		assert_int_equal(ldns_pkt_id(pkt), 0);
		assert_int_equal(ldns_rr_get_type(ldns_rr_list_rr(ldns_pkt_question(pkt), 0)),
		                 types[i]);
		assert_false(ldns_pkt_edns(pkt));
		ldns_pkt_free(pkt);
	}
	bench_qset_free(&qs);
	assert_null(qs.wire);

	/* With EDNS every message carries the OPT RR. */
	assert_int_equal(bench_qset_load(&qs, path, 4096, err, sizeof(err)), 0);
	assert_int_equal(ldns_wire2pkt(&pkt, qs.wire + qs.off[2], qs.len[2]), LDNS_STATUS_OK);
	assert_int_equal(ldns_pkt_edns_udp_size(pkt), 4096);
	ldns_pkt_free(pkt);
	bench_qset_free(&qs);

	/* A bad line names itself; no query at all is an error too. */
	write_file(path, "h1.example.ilnp. L64\nh2.example.ilnp. L99\n");
	assert_int_equal(bench_qset_load(&qs, path, 0, err, sizeof(err)), ILNPDNS_ESYNTAX);
	assert_non_null(strstr(err, ":2:"));
	assert_int_equal(qs.n, 0);
	write_file(path, "# nothing\n");
	assert_int_equal(bench_qset_load(&qs, path, 0, err, sizeof(err)), ILNPDNS_ESYNTAX);
	unlink(path);
	assert_int_equal(bench_qset_load(&qs, path, 0, err, sizeof(err)), ILNPDNS_EIO);
}

static void test_echo_answer(void **state)
{
	(void)state;
	uint8_t q[512], a[512], owner[ILNPDNS_DNAME_MAXLEN];
	ldns_pkt *pkt = NULL;
	wname(OWNER, owner);

	/* L64 with EDNS: a NOERROR answer, AA, the question kept, one L64 RR
	 * (TTL 0) owned by the qname, the OPT gone. */
	int qlen = bench_msg_query_edns(q, sizeof(q), 4242, owner, ILNPDNS_T_L64, 1232);
	memcpy(a, q, (size_t)qlen);
	int alen = bench_msg_echo_answer(a, (size_t)qlen, sizeof(a));
	assert_true(alen > qlen - 11);
	assert_int_equal(ldns_wire2pkt(&pkt, a, (size_t)alen), LDNS_STATUS_OK);
	assert_true(ldns_pkt_qr(pkt));
	assert_true(ldns_pkt_aa(pkt));
	assert_int_equal(ldns_pkt_get_rcode(pkt), LDNS_RCODE_NOERROR);
	assert_int_equal(ldns_pkt_id(pkt), 4242);
	assert_int_equal(ldns_pkt_ancount(pkt), 1);
	assert_int_equal(ldns_pkt_arcount(pkt), 0);
	char *rr = rr_str(ldns_pkt_answer(pkt), 0);
	assert_string_equal(rr, OWNER "\t0\tIN\tL64\t10 2001:0db8:0000:0001\n");
	free(rr);
	ldns_pkt_free(pkt);
	/* It answers the query; with another question it would not. */
	assert_int_equal(bench_msg_answers(a, (size_t)alen, q, (size_t)qlen), 1);
	memcpy(a, q, (size_t)qlen);
	alen = bench_msg_echo_answer(a, (size_t)qlen, sizeof(a));
	a[ILNPDNS_HDR_LEN + 1] ^= 1; /* "u7" becomes "t7" */
	assert_int_equal(bench_msg_answers(a, (size_t)alen, q, (size_t)qlen), 0);
	/* A query is not its own answer (QR clear). */
	assert_int_equal(bench_msg_answers(q, (size_t)qlen, q, (size_t)qlen), 0);

	/* MX: NOERROR without an answer RR. */
	qlen = bench_msg_query(q, sizeof(q), 1, owner, ILNPDNS_T_MX);
	alen = bench_msg_echo_answer(q, (size_t)qlen, sizeof(q));
	assert_int_equal(alen, qlen);
	assert_int_equal(ilnpdns_get16(q + 6), 0);
	assert_true(ilnpdns_get16(q + 2) & ILNPDNS_FLAG_QR);
	/* Answers, cut messages and non-queries are dropped. */
	assert_int_equal(bench_msg_echo_answer(q, (size_t)qlen, sizeof(q)), ILNPDNS_EMALF);
	qlen = bench_msg_query(q, sizeof(q), 1, owner, ILNPDNS_T_A);
	assert_int_equal(bench_msg_echo_answer(q, (size_t)qlen - 3, sizeof(q)), ILNPDNS_EMALF);
	assert_int_equal(bench_msg_echo_answer(q, 11, sizeof(q)), ILNPDNS_EMALF);
	assert_int_equal(bench_msg_echo_answer(q, (size_t)qlen, (size_t)qlen + 4), ILNPDNS_ETRUNC);
	ilnpdns_put16(q + 2, ILNPDNS_OP_UPDATE << 11);
	assert_int_equal(bench_msg_echo_answer(q, (size_t)qlen, sizeof(q)), ILNPDNS_EMALF);
}

static void test_addr_format_bind(void **state)
{
	(void)state;
	struct bench_addr a, b;
	char text[64];
	assert_int_equal(bench_addr_parse("127.0.0.1@1", &a), 0);
	((struct sockaddr_in *)&a.ss)->sin_port = 0;
	int fd = bench_bind_udp(&a);
	assert_true(fd >= 0);
	unsigned port = ntohs(((struct sockaddr_in *)&a.ss)->sin_port);
	assert_true(port > 0);
	bench_addr_format(&a, text, sizeof(text));
	char want[64];
	snprintf(want, sizeof(want), "127.0.0.1@%u", port);
	assert_string_equal(text, want);
	assert_int_equal(bench_addr_parse(text, &b), 0);
	assert_memory_equal(&a.ss, &b.ss, sizeof(struct sockaddr_in));
	close(fd);
	assert_int_equal(bench_addr_parse("::1@5300", &a), 0);
	bench_addr_format(&a, text, sizeof(text));
	assert_string_equal(text, "::1@5300");
}

/* ---- the load generator against the responder, and against silence ---- */

static struct bench_qset one_query_set(const char *text)
{
	char path[] = "/tmp/test_bench_run.XXXXXX", err[256];
	struct bench_qset qs;
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	write_file(path, text);
	assert_int_equal(bench_qset_load(&qs, path, 0, err, sizeof(err)), 0);
	unlink(path);
	return qs;
}

static void test_run_closed_loop(void **state)
{
	(void)state;
	struct bench_qset qs = one_query_set("h1.example.ilnp. L64\nh2.example.ilnp. MX\n");
	struct bench_echo *echo;
	struct bench_qopts o = {.count = 3000, .outstanding = 50, .conns = 3, .timeout_ms = 2000};
	struct bench_qresult res;

	assert_int_equal(bench_echo_start(&echo, &o.server), 0);
	assert_int_equal(bench_query_run(&o, &qs, &res), 0);
	assert_int_equal(res.sent, 3000);
	assert_int_equal(res.answered, 3000);
	assert_int_equal(res.lost, 0);
	assert_int_equal(res.mismatched, 0);
	assert_int_equal(res.rcodes[ILNPDNS_RCODE_NOERROR], 3000);
	assert_true(res.qps > 0);
	assert_true(res.p50 > 0 && res.p50 <= res.p99 && res.p99 <= res.p999 &&
	            res.p999 <= res.max);

	/* Open loop: 2000/s for 0.3 s sends about 600, whatever the answers. */
	o.count = 0;
	o.seconds = 0.3;
	o.rate = 2000;
	assert_int_equal(bench_query_run(&o, &qs, &res), 0);
	assert_in_range(res.sent, 590, 601);
	assert_int_equal(res.answered, res.sent);
	bench_echo_stop(echo);
	bench_qset_free(&qs);
}

/* A port that never answers: every query is lost after the timeout, none
 * is counted answered, and the run still ends. */
static void test_run_losses(void **state)
{
	(void)state;
	struct bench_qset qs = one_query_set("h1.example.ilnp. L64\n");
	struct bench_qopts o = {.count = 20, .outstanding = 5, .conns = 1, .timeout_ms = 30};
	struct bench_qresult res;

	assert_int_equal(bench_addr_parse("127.0.0.1@1", &o.server), 0);
	((struct sockaddr_in *)&o.server.ss)->sin_port = 0;
	int fd = bench_bind_udp(&o.server); /* bound, never read */
	assert_true(fd >= 0);
	int64_t t0 = bench_now_ns();
	assert_int_equal(bench_query_run(&o, &qs, &res), 0);
	assert_int_equal(res.sent, 20);
	assert_int_equal(res.answered, 0);
	assert_int_equal(res.lost, 20);
	/* Four waves of five, each lost after ~30 ms. */
	assert_true(bench_now_ns() - t0 >= 4 * 30000000LL);
	close(fd);
	bench_qset_free(&qs);
}

static void test_table6_rates(void **state)
{
	(void)state;
	/* The paper's Table VI, "all queries": the TTL 0 peak is 369/s. */
	assert_true(bench_table6_peak() == 369);
	assert_int_equal(bench_table6_rows[8].ttl, 0);
	assert_true(bench_table6_rows[8].qps == 7.49);
	assert_true(bench_table6_rows[3].qps == 183);
	for (size_t i = 0; i < 12; i++)
		assert_true(bench_table6_rows[i].qps > 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_update_wire_ldns),
	    cmocka_unit_test(test_update_trunc),
	    cmocka_unit_test_setup_teardown(test_update_applies, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_update_tamper, setup, teardown),
	    cmocka_unit_test(test_query_wire),
	    cmocka_unit_test(test_answer_has),
	    cmocka_unit_test(test_addr),
	    cmocka_unit_test(test_percentiles),
	    cmocka_unit_test(test_type_from_str),
	    cmocka_unit_test(test_parse_qline),
	    cmocka_unit_test(test_query_edns),
	    cmocka_unit_test(test_qset_load),
	    cmocka_unit_test(test_echo_answer),
	    cmocka_unit_test(test_addr_format_bind),
	    cmocka_unit_test(test_run_closed_loop),
	    cmocka_unit_test(test_run_losses),
	    cmocka_unit_test(test_table6_rates),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
