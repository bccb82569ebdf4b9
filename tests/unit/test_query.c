/* SPDX-License-Identifier: BSD-2-Clause */
/* test_query.c -- query screening, lookup and response assembly against a loaded zone. */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <ldns/ldns.h>

#include "ilnpdns/dname.h"
#include "ilnpdns/error.h"
#include "ilnpdns/keys.h"
#include "ilnpdns/tsig.h"
#include "ilnpdns/wire.h"
#include "answer.h"
#include "query.h"
#include "store.h"
#include "tsig_answer.h"
#include "zoneload.h"

/* 13 TXT strings of 61 octets: about 1000 octets, more than 512, less than 1232. */
/* clang-format off */
#define TXT(x) "big TXT \"012345678901234567890123456789012345678901234567890123456789" x "\"\n"
#define BIGTXT TXT("0") TXT("1") TXT("2") TXT("3") TXT("4") TXT("5") TXT("6") TXT("7") TXT("8") \
	TXT("9") TXT("a") TXT("b") TXT("c")
/* 40 L64 at fatadd: about 880 octets of optional additional data for its NID. */
#define L64X(x)     "fatadd L64 " x " 2001:db8:f00:" x "\n"
#define L64X10(x)                                                                            \
	L64X(x "0") L64X(x "1") L64X(x "2") L64X(x "3") L64X(x "4") L64X(x "5") L64X(x "6") \
	    L64X(x "7") L64X(x "8") L64X(x "9")
#define FATL64 L64X10("1") L64X10("2") L64X10("3") L64X10("4")
/* clang-format on */

static const char example_zone[] =
    "$ORIGIN example.ilnp.\n"
    "$TTL 3600\n"
    "@ 3600 IN SOA ns1 hostmaster 2024010101 7200 3600 1209600 300\n"
    "@ NS ns1\n"
    "@ NS ns2\n"
    "ns1 A 192.0.2.1\n"
    "ns2 AAAA 2001:db8::2\n"
    "host1 NID 10 0014:4fff:ff20:ee64\n"
    "host1 NID 20 0015:5fff:ff21:ee65\n"
    "host1 L32 10 10.1.2.0\n"
    "host1 L64 10 2001:0db8:1140:1000\n"
    "host1 LP 10 l64-subnet1\n"
    "host1 LP 20 subnet.example.org.\n"
    "l64-subnet1 L64 10 2001:db8:8140:8000\n"
    "l64-subnet1 L32 10 10.1.8.0\n"
    "lponly LP 10 l64-subnet1\n"
    "lpout LP 10 subnet.example.org.\n"
    "www CNAME alias1\n"
    "alias1 CNAME host1\n"
    "ext CNAME www.example.org.\n"
    "dangling CNAME nothere\n"
    "loop1 CNAME loop2\n"
    "loop2 CNAME loop1\n"
    "a.b.c A 192.0.2.10\n"
    "*.mobile L64 10 2001:db8:aaaa:1\n"
    "*.mobile NID 10 0016:6fff:ff22:ee66\n"
    "y.mobile A 192.0.2.20\n"
    "x.y.e A 192.0.2.21\n"
    "*.e TXT \"wild e\"\n"
    "*.wc CNAME host1\n"
    "cut.mobile NS ns.cut.mobile\n"
    "ns.cut.mobile A 192.0.2.30\n"
    "sub NS ns.sub\n"
    "sub NS ns1\n"
    "sub NS ns.elsewhere.org.\n"
    "ns.sub A 192.0.2.53\n"
    "ns.sub AAAA 2001:db8::53\n"
    "deep.below.sub A 192.0.2.54\n"
    "fat NS a-rather-long-name-server-label-number-01.fat\n"
    "fat NS a-rather-long-name-server-label-number-02.fat\n"
    "fat NS a-rather-long-name-server-label-number-03.fat\n"
    "fat NS a-rather-long-name-server-label-number-04.fat\n"
    "fat NS a-rather-long-name-server-label-number-05.fat\n"
    "fat NS a-rather-long-name-server-label-number-06.fat\n"
    "a-rather-long-name-server-label-number-01.fat A 192.0.2.101\n"
    "a-rather-long-name-server-label-number-01.fat AAAA 2001:db8::101\n"
    "a-rather-long-name-server-label-number-02.fat A 192.0.2.102\n"
    "a-rather-long-name-server-label-number-02.fat AAAA 2001:db8::102\n"
    "a-rather-long-name-server-label-number-03.fat A 192.0.2.103\n"
    "a-rather-long-name-server-label-number-03.fat AAAA 2001:db8::103\n"
    "a-rather-long-name-server-label-number-04.fat A 192.0.2.104\n"
    "a-rather-long-name-server-label-number-04.fat AAAA 2001:db8::104\n"
    "a-rather-long-name-server-label-number-05.fat A 192.0.2.105\n"
    "a-rather-long-name-server-label-number-05.fat AAAA 2001:db8::105\n"
    "a-rather-long-name-server-label-number-06.fat A 192.0.2.106\n"
    "a-rather-long-name-server-label-number-06.fat AAAA 2001:db8::106\n"
    "child NS ns.child\n"
    "ns.child A 192.0.2.60\n"
    "mx MX 10 mail\n"
    /* A chain one CNAME longer than ANSWER_CHAIN_MAX follows (c0 .. c9, c10). */
    "c0 CNAME c1\n"
    "c1 CNAME c2\n"
    "c2 CNAME c3\n"
    "c3 CNAME c4\n"
    "c4 CNAME c5\n"
    "c5 CNAME c6\n"
    "c6 CNAME c7\n"
    "c7 CNAME c8\n"
    "c8 CNAME c9\n"
    "c9 CNAME c10\n"
    "c10 A 192.0.2.110\n"
    "tocut CNAME www.sub\n"
    /* Occluded data below the cut sub: never an LP target's locators. */
    "x.sub L64 10 2001:db8:5:5\n"
    "lpocc LP 10 x.sub\n"
    "fatadd NID 10 0014:4fff:ff20:ee99\n"
    "fatadd L32 10 10.9.9.9\n" FATL64 BIGTXT;

/* A zone we serve below a cut of example.ilnp.: its parent holds its DS. */
static const char child_zone[] = "$ORIGIN child.example.ilnp.\n"
                                 "@ 30 IN SOA ns hostmaster 1 7200 3600 1209600 10\n"
                                 "@ 30 NS ns\n"
                                 "ns 30 A 192.0.2.60\n";

static const char keep_zone[] = "$ORIGIN keep.ilnp.\n"
                                "$TTL 120\n"
                                "@ 60 IN SOA ns hostmaster 1 7200 3600 1209600 300\n"
                                "@ NS ns\n"
                                "ns A 192.0.2.1\n"
                                "h NID 10 0014:4fff:ff20:ee64\n"
                                "h L64 10 2001:0db8:1140:1000\n";

/* server.ilnp-ttl or a zone's ilnp-ttl at 30: ILNP types at 30, the rest as written. */
static const char ttl30_zone[] = "$ORIGIN ttl30.ilnp.\n"
                                 "$TTL 120\n"
                                 "@ 600 IN SOA ns hostmaster 1 7200 3600 1209600 900\n"
                                 "@ NS ns\n"
                                 "ns A 192.0.2.1\n"
                                 "h NID 10 0014:4fff:ff20:ee64\n"
                                 "h L64 10 2001:0db8:1140:1000\n"
                                 "h LP 10 net\n"
                                 "h A 192.0.2.7\n"
                                 "net L64 10 2001:0db8:2140:2000\n";

struct fixture {
	char dir[64];
	struct store *st;
	struct store_txn *txn;
	struct query_ctx *ctx;
};

/* One response, kept in statics so the 64 KiB buffers are not on the stack. */
static uint8_t resp[ILNPDNS_MSG_MAX];
static size_t resp_len;
static struct query_info info;
static ldns_pkt *reply;

static void load(struct store *st, const char *apex_str, const char *text, uint32_t ilnp_ttl)
{
	uint8_t apex[ILNPDNS_DNAME_MAXLEN];
	char err[256] = "";
	struct zoneload_result res;
	assert_true(ilnpdns_dname_from_str(apex_str, apex) > 0);
	FILE *in = fmemopen((void *)text, strlen(text), "r");
	assert_non_null(in);
	int rc = zoneload_stream(st, apex, in, apex_str, ilnp_ttl, &res, err, sizeof(err));
	if (rc != 0)
		fprintf(stderr, "zoneload: %s\n", err);
	assert_int_equal(rc, 0);
	fclose(in);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	strcpy(f->dir, "/tmp/ilnpdns-test-query-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	assert_int_equal(store_open(&f->st, f->dir, 64 << 20, 0), 0);
	load(f->st, "example.ilnp.", example_zone, 0);
	load(f->st, "keep.ilnp.", keep_zone, STORE_ILNP_TTL_KEEP);
	load(f->st, "child.example.ilnp.", child_zone, 0);
	load(f->st, "ttl30.ilnp.", ttl30_zone, 30);
	assert_int_equal(store_txn_begin(f->st, false, &f->txn), 0);
	f->ctx = query_ctx_new();
	assert_non_null(f->ctx);
	*state = f;
	return 0;
}

static struct ilnpdns_tsig_ctx *client; /* the requestor's HMAC contexts (TSIG tests) */

static int teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[128];
	if (reply)
		ldns_pkt_free(reply);
	reply = NULL;
	ilnpdns_tsig_ctx_free(client);
	client = NULL;
	query_ctx_free(f->ctx);
	store_txn_abort(f->txn);
	store_close(f->st);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

/* ---- building requests ---- */

struct qopt {
	int edns;          /* 0: no OPT */
	uint16_t udp_size; /* with edns */
	uint8_t version;
	bool dnssec_ok;
	bool tcp;
	uint16_t qclass; /* 0: IN */
	bool cd;
};

/* A query built by ldns; returns its length in out. */
static size_t build(const char *qname, uint16_t qtype, const struct qopt *o, uint8_t *out)
{
	ldns_rdf *name = ldns_dname_new_frm_str(qname);
	assert_non_null(name);
	ldns_pkt *p = ldns_pkt_query_new(name, (ldns_rr_type)qtype,
	                                 (ldns_rr_class)(o && o->qclass ? o->qclass : 1), LDNS_RD);
	assert_non_null(p);
	ldns_pkt_set_id(p, 0x1234);
	if (o && o->cd)
		ldns_pkt_set_cd(p, true);
	if (o && o->edns) {
		ldns_pkt_set_edns_udp_size(p, o->udp_size);
		ldns_pkt_set_edns_version(p, o->version);
		ldns_pkt_set_edns_do(p, o->dnssec_ok);
	}
	uint8_t *wire = NULL;
	size_t len = 0;
	assert_int_equal(ldns_pkt2wire(&wire, p, &len), LDNS_STATUS_OK);
	memcpy(out, wire, len);
	free(wire);
	ldns_pkt_free(p);
	return len;
}

/* Run one request; parse the reply with ldns when there is one. */
static void run(struct fixture *f, const uint8_t *req, size_t len, bool tcp)
{
	if (reply)
		ldns_pkt_free(reply);
	reply = NULL;
	resp_len = query_process(f->ctx, f->txn, req, len, tcp ? QUERY_TCP : QUERY_UDP, NULL, resp,
	                         sizeof(resp), &info);
	if (resp_len > 0) {
		assert_int_equal(ldns_wire2pkt(&reply, resp, resp_len), LDNS_STATUS_OK);
		assert_int_equal(ldns_pkt_id(reply), ilnpdns_get16(req));
		assert_true(ldns_pkt_qr(reply));
		assert_false(ldns_pkt_ra(reply));
		assert_false(ldns_pkt_ad(reply));
	}
}

static void ask(struct fixture *f, const char *qname, uint16_t qtype, const struct qopt *o)
{
	uint8_t req[512];
	size_t len = build(qname, qtype, o, req);
	run(f, req, len, o && o->tcp);
	assert_true(resp_len > 0);
}

/* ---- reading responses ---- */

static uint16_t hdr_count(int i)
{
	return ilnpdns_get16(resp + 4 + 2 * i);
}

static unsigned count_type(const ldns_rr_list *l, uint16_t type)
{
	unsigned n = 0;
	for (size_t i = 0; i < ldns_rr_list_rr_count(l); i++)
		n += ldns_rr_get_type(ldns_rr_list_rr(l, i)) == type;
	return n;
}

static bool owner_is(const ldns_rr *rr, const char *name)
{
	char *s = ldns_rdf2str(ldns_rr_owner(rr));
	bool ok = strcmp(s, name) == 0;
	if (!ok)
		fprintf(stderr, "owner %s, expected %s\n", s, name);
	free(s);
	return ok;
}

/* True when every RR of the type in the list has this TTL and there is at least one. */
static bool ttl_all(const ldns_rr_list *l, uint16_t type, uint32_t ttl)
{
	unsigned n = 0;
	for (size_t i = 0; i < ldns_rr_list_rr_count(l); i++) {
		ldns_rr *rr = ldns_rr_list_rr(l, i);
		if (ldns_rr_get_type(rr) != type)
			continue;
		if (ldns_rr_ttl(rr) != ttl)
			return false;
		n++;
	}
	return n > 0;
}

static bool has_rr(const ldns_rr_list *l, const char *owner, uint16_t type)
{
	ldns_rdf *o = ldns_dname_new_frm_str(owner);
	bool found = false;
	for (size_t i = 0; i < ldns_rr_list_rr_count(l) && !found; i++) {
		ldns_rr *rr = ldns_rr_list_rr(l, i);
		found =
		    ldns_rr_get_type(rr) == type && ldns_dname_compare(ldns_rr_owner(rr), o) == 0;
	}
	ldns_rdf_deep_free(o);
	return found;
}

static void expect(uint8_t rcode, bool aa, bool tc, unsigned an, unsigned ns, unsigned ar)
{
	assert_non_null(reply);
	assert_int_equal(ldns_pkt_get_rcode(reply), rcode);
	assert_int_equal(ldns_pkt_aa(reply), aa);
	assert_int_equal(ldns_pkt_tc(reply), tc);
	assert_int_equal(info.truncated, tc);
	assert_int_equal(hdr_count(1), an);
	assert_int_equal(hdr_count(2), ns);
	assert_int_equal(hdr_count(3), ar); /* raw: OPT included */
}

/* The SOA in authority with TTL = min(SOA TTL, MINIMUM) (RFC 2308 3). */
static void expect_soa(uint32_t ttl)
{
	ldns_rr_list *auth = ldns_pkt_authority(reply);
	assert_int_equal(ldns_rr_list_rr_count(auth), 1);
	assert_int_equal(ldns_rr_get_type(ldns_rr_list_rr(auth, 0)), LDNS_RR_TYPE_SOA);
	assert_int_equal(ldns_rr_ttl(ldns_rr_list_rr(auth, 0)), ttl);
}

/* ---- positive answers ---- */

static void test_exact_nid_with_additional(void **state)
{
	struct fixture *f = *state;
	ask(f, "host1.example.ilnp.", ILNPDNS_T_NID, NULL);
	/* answer: 2 NID; additional: L64, L32, 2 LP, then l64-subnet1 L64 + L32 */
	expect(0, true, false, 2, 0, 6);
	assert_int_equal(info.rcode, 0);
	assert_int_equal(info.qtype, ILNPDNS_T_NID);
	ldns_rr_list *an = ldns_pkt_answer(reply), *ad = ldns_pkt_additional(reply);
	assert_true(ttl_all(an, ILNPDNS_T_NID, 0));
	assert_true(has_rr(ad, "host1.example.ilnp.", ILNPDNS_T_L64));
	assert_true(has_rr(ad, "host1.example.ilnp.", ILNPDNS_T_L32));
	assert_int_equal(count_type(ad, ILNPDNS_T_LP), 2);
	assert_true(has_rr(ad, "l64-subnet1.example.ilnp.", ILNPDNS_T_L64));
	assert_true(has_rr(ad, "l64-subnet1.example.ilnp.", ILNPDNS_T_L32));
	/* The out-of-zone LP target is not followed. */
	assert_false(has_rr(ad, "subnet.example.org.", ILNPDNS_T_L64));
	/* ILNP TTL 0 everywhere, not the zone's 3600. */
	assert_true(ttl_all(ad, ILNPDNS_T_L64, 0));
	assert_true(ttl_all(ad, ILNPDNS_T_L32, 0));
	assert_true(ttl_all(ad, ILNPDNS_T_LP, 0));
	/* Byte-exact RDATA of the first NID (PROTOCOLS.md 1.3 vector). */
	static const uint8_t nid[] = {0x00, 0x0a, 0x00, 0x14, 0x4f, 0xff, 0xff, 0x20, 0xee, 0x64};
	assert_non_null(memmem(resp, resp_len, nid, sizeof(nid)));
}

static void test_l64_additional_no_targets(void **state)
{
	struct fixture *f = *state;
	ask(f, "host1.example.ilnp.", ILNPDNS_T_L64, NULL);
	/* NID x2, L32, LP x2; LP targets only for NID and LP answers */
	expect(0, true, false, 1, 0, 5);
	ldns_rr_list *ad = ldns_pkt_additional(reply);
	assert_int_equal(count_type(ad, ILNPDNS_T_NID), 2);
	assert_int_equal(count_type(ad, ILNPDNS_T_L32), 1);
	assert_false(has_rr(ad, "l64-subnet1.example.ilnp.", ILNPDNS_T_L64));
}

static void test_lp_target_additional(void **state)
{
	struct fixture *f = *state;
	ask(f, "lponly.example.ilnp.", ILNPDNS_T_LP, NULL);
	expect(0, true, false, 1, 0, 2);
	ldns_rr_list *ad = ldns_pkt_additional(reply);
	assert_true(has_rr(ad, "l64-subnet1.example.ilnp.", ILNPDNS_T_L64));
	assert_true(has_rr(ad, "l64-subnet1.example.ilnp.", ILNPDNS_T_L32));
	/* LP RDATA names are never compressed (RFC 6742 2.4.1.2): the target
	 * appears in full inside the LP RR. */
	static const uint8_t target[] = "\x0bl64-subnet1\x07"
	                                "example\x04ilnp";
	assert_non_null(memmem(resp, resp_len, target, sizeof(target)));
}

static void test_lp_out_of_zone_target(void **state)
{
	struct fixture *f = *state;
	ask(f, "lpout.example.ilnp.", ILNPDNS_T_LP, NULL);
	expect(0, true, false, 1, 0, 0);
}

static void test_ilnp_ttl_keep(void **state)
{
	struct fixture *f = *state;
	ask(f, "h.keep.ilnp.", ILNPDNS_T_NID, NULL);
	expect(0, true, false, 1, 0, 1);
	assert_true(ttl_all(ldns_pkt_answer(reply), ILNPDNS_T_NID, 120));
	assert_true(ttl_all(ldns_pkt_additional(reply), ILNPDNS_T_L64, 120));
	/* The same data in a TTL-0 zone. */
	ask(f, "host1.example.ilnp.", ILNPDNS_T_L64, NULL);
	assert_true(ttl_all(ldns_pkt_answer(reply), ILNPDNS_T_L64, 0));
	/* Other types keep their zone TTL. */
	ask(f, "ns1.example.ilnp.", ILNPDNS_T_A, NULL);
	expect(0, true, false, 1, 0, 0);
	assert_true(ttl_all(ldns_pkt_answer(reply), ILNPDNS_T_A, 3600));
}

static void test_mixed_case_question(void **state)
{
	struct fixture *f = *state;
	uint8_t req[512];
	size_t len = build("HoSt1.ExAmPlE.iLnP.", ILNPDNS_T_NID, NULL, req);
	run(f, req, len, false);
	expect(0, true, false, 2, 0, 6);
	/* The question is the request's, byte for byte. */
	assert_memory_equal(resp + 12, req + 12, len - 12);
	/* The answer owner is a pointer to the question, so it takes its case. */
	size_t q_end = len;
	assert_int_equal(resp[q_end], 0xc0);
	assert_int_equal(resp[q_end + 1], 0x0c);
	assert_true(owner_is(ldns_rr_list_rr(ldns_pkt_answer(reply), 0), "HoSt1.ExAmPlE.iLnP."));
}

static void test_header_flags_copied(void **state)
{
	struct fixture *f = *state;
	struct qopt o = {.cd = true};
	ask(f, "ns1.example.ilnp.", ILNPDNS_T_A, &o);
	assert_true(ldns_pkt_rd(reply));
	assert_true(ldns_pkt_cd(reply));
	assert_int_equal(ldns_pkt_get_opcode(reply), LDNS_PACKET_QUERY);
	/* Z bit zero */
	assert_int_equal(resp[3] & 0x40, 0);
}

/* ---- negative answers ---- */

static void test_nxdomain(void **state)
{
	struct fixture *f = *state;
	ask(f, "nothere.example.ilnp.", ILNPDNS_T_A, NULL);
	expect(LDNS_RCODE_NXDOMAIN, true, false, 0, 1, 0);
	expect_soa(300); /* min(3600, 300) */
	assert_int_equal(info.rcode, ILNPDNS_RCODE_NXDOMAIN);
}

static void test_nodata(void **state)
{
	struct fixture *f = *state;
	ask(f, "host1.example.ilnp.", ILNPDNS_T_AAAA, NULL);
	expect(0, true, false, 0, 1, 0);
	expect_soa(300);
	/* SOA TTL smaller than MINIMUM: the TTL wins. */
	ask(f, "h.keep.ilnp.", ILNPDNS_T_A, NULL);
	expect(0, true, false, 0, 1, 0);
	expect_soa(60);
}

static void test_empty_non_terminal(void **state)
{
	struct fixture *f = *state;
	ask(f, "b.c.example.ilnp.", ILNPDNS_T_A, NULL);
	expect(0, true, false, 0, 1, 0); /* RFC 8020: NODATA, not NXDOMAIN */
	expect_soa(300);
	ask(f, "c.example.ilnp.", ILNPDNS_T_A, NULL);
	expect(0, true, false, 0, 1, 0);
	ask(f, "a.b.c.example.ilnp.", ILNPDNS_T_A, NULL);
	expect(0, true, false, 1, 0, 0);
}

/* ---- delegation ---- */

static void test_referral_with_glue(void **state)
{
	struct fixture *f = *state;
	ask(f, "deep.below.sub.example.ilnp.", ILNPDNS_T_A, NULL);
	/* NS x3; glue ns.sub A + AAAA (in-domain), ns1 A (sibling) */
	expect(0, false, false, 0, 3, 3);
	ldns_rr_list *ad = ldns_pkt_additional(reply);
	assert_int_equal(count_type(ldns_pkt_authority(reply), ILNPDNS_T_NS), 3);
	assert_true(owner_is(ldns_rr_list_rr(ldns_pkt_authority(reply), 0), "sub.example.ilnp."));
	assert_true(has_rr(ad, "ns.sub.example.ilnp.", ILNPDNS_T_A));
	assert_true(has_rr(ad, "ns.sub.example.ilnp.", ILNPDNS_T_AAAA));
	assert_true(has_rr(ad, "ns1.example.ilnp.", ILNPDNS_T_A));
	/* The cut itself, even for NS: a referral, AA clear. */
	ask(f, "sub.example.ilnp.", ILNPDNS_T_NS, NULL);
	expect(0, false, false, 0, 3, 3);
}

static void test_ds_at_cut_is_parent_nodata(void **state)
{
	struct fixture *f = *state;
	ask(f, "sub.example.ilnp.", ILNPDNS_T_DS, NULL);
	expect(0, true, false, 0, 1, 0);
	expect_soa(300);
	/* Below the cut DS is still a referral. */
	ask(f, "x.sub.example.ilnp.", ILNPDNS_T_DS, NULL);
	expect(0, false, false, 0, 3, 3);
}

static void test_child_zone_and_parent_ds(void **state)
{
	struct fixture *f = *state;
	/* The longest matching apex answers, authoritatively. */
	ask(f, "child.example.ilnp.", ILNPDNS_T_SOA, NULL);
	expect(0, true, false, 1, 0, 0);
	ask(f, "x.child.example.ilnp.", ILNPDNS_T_A, NULL);
	expect(LDNS_RCODE_NXDOMAIN, true, false, 0, 1, 0);
	expect_soa(10);
	/* DS at the child apex comes from the parent: its SOA (min 300). */
	ask(f, "child.example.ilnp.", ILNPDNS_T_DS, NULL);
	expect(0, true, false, 0, 1, 0);
	expect_soa(300);
	assert_true(owner_is(ldns_rr_list_rr(ldns_pkt_authority(reply), 0), "example.ilnp."));
}

static void test_glue_does_not_fit_tc(void **state)
{
	struct fixture *f = *state;
	ask(f, "www.fat.example.ilnp.", ILNPDNS_T_A, NULL);
	assert_true(ldns_pkt_tc(reply));
	assert_false(ldns_pkt_aa(reply));
	assert_true(resp_len <= 512);
	assert_int_equal(hdr_count(2), 6);
	assert_true(hdr_count(3) < 12);
	/* Glue RRsets stay whole: A and AAAA per name, never half of one. */
	struct qopt o = {.edns = 1, .udp_size = 1232};
	ask(f, "www.fat.example.ilnp.", ILNPDNS_T_A, &o);
	expect(0, false, false, 0, 6, 13);
	struct qopt t = {.tcp = true};
	ask(f, "www.fat.example.ilnp.", ILNPDNS_T_A, &t);
	expect(0, false, false, 0, 6, 12);
}

/* ---- CNAME ---- */

static void test_cname_chain_in_zone(void **state)
{
	struct fixture *f = *state;
	ask(f, "www.example.ilnp.", ILNPDNS_T_NID, NULL);
	expect(0, true, false, 4, 0, 6);
	ldns_rr_list *an = ldns_pkt_answer(reply);
	assert_int_equal(ldns_rr_get_type(ldns_rr_list_rr(an, 0)), LDNS_RR_TYPE_CNAME);
	assert_true(owner_is(ldns_rr_list_rr(an, 0), "www.example.ilnp."));
	assert_true(owner_is(ldns_rr_list_rr(an, 1), "alias1.example.ilnp."));
	assert_true(owner_is(ldns_rr_list_rr(an, 2), "host1.example.ilnp."));
	assert_int_equal(count_type(an, ILNPDNS_T_NID), 2);
	/* CNAME query: the CNAME itself, not followed. */
	ask(f, "www.example.ilnp.", ILNPDNS_T_CNAME, NULL);
	expect(0, true, false, 1, 0, 0);
}

static void test_cname_out_of_zone_and_dangling(void **state)
{
	struct fixture *f = *state;
	ask(f, "ext.example.ilnp.", ILNPDNS_T_A, NULL);
	expect(0, true, false, 1, 0, 0);
	/* RFC 6604: the RCODE follows the last name of the chain. */
	ask(f, "dangling.example.ilnp.", ILNPDNS_T_A, NULL);
	expect(LDNS_RCODE_NXDOMAIN, true, false, 1, 1, 0);
	expect_soa(300);
	/* A loop ends: each CNAME once. */
	ask(f, "loop1.example.ilnp.", ILNPDNS_T_A, NULL);
	expect(0, true, false, 2, 0, 0);
}

/* ---- wildcards (RFC 4592) ---- */

static void test_wildcard_match(void **state)
{
	struct fixture *f = *state;
	ask(f, "X.mobile.example.ilnp.", ILNPDNS_T_L64, NULL);
	expect(0, true, false, 1, 0, 1); /* additional: the wildcard's NID */
	assert_true(owner_is(ldns_rr_list_rr(ldns_pkt_answer(reply), 0), "X.mobile.example.ilnp."));
	assert_true(has_rr(ldns_pkt_additional(reply), "x.mobile.example.ilnp.", ILNPDNS_T_NID));
	assert_true(ttl_all(ldns_pkt_answer(reply), ILNPDNS_T_L64, 0));
	/* More labels below the closest encloser match too. */
	ask(f, "a.b.mobile.example.ilnp.", ILNPDNS_T_L64, NULL);
	expect(0, true, false, 1, 0, 1);
	/* Wildcard CNAME: synthesized, then followed. */
	ask(f, "any.wc.example.ilnp.", ILNPDNS_T_L32, NULL);
	expect(0, true, false, 2, 0, 5);
	assert_true(owner_is(ldns_rr_list_rr(ldns_pkt_answer(reply), 0), "any.wc.example.ilnp."));
}

static void test_wildcard_nodata(void **state)
{
	struct fixture *f = *state;
	ask(f, "x.mobile.example.ilnp.", ILNPDNS_T_TXT, NULL);
	expect(0, true, false, 0, 1, 0);
	expect_soa(300);
}

static void test_wildcard_blocked(void **state)
{
	struct fixture *f = *state;
	/* An existing name blocks the wildcard for itself ... */
	ask(f, "y.mobile.example.ilnp.", ILNPDNS_T_L64, NULL);
	expect(0, true, false, 0, 1, 0);
	/* ... and for its subtree: closest encloser y, no *.y. */
	ask(f, "z.y.mobile.example.ilnp.", ILNPDNS_T_L64, NULL);
	expect(LDNS_RCODE_NXDOMAIN, true, false, 0, 1, 0);
	/* An empty non-terminal blocks too: y.e exists only as ENT. */
	ask(f, "z.y.e.example.ilnp.", ILNPDNS_T_TXT, NULL);
	expect(LDNS_RCODE_NXDOMAIN, true, false, 0, 1, 0);
	ask(f, "y.e.example.ilnp.", ILNPDNS_T_TXT, NULL);
	expect(0, true, false, 0, 1, 0);
	/* The sibling is synthesized from *.e. */
	ask(f, "q.e.example.ilnp.", ILNPDNS_T_TXT, NULL);
	expect(0, true, false, 1, 0, 0);
	/* No wildcard across a cut: referral. */
	ask(f, "x.cut.mobile.example.ilnp.", ILNPDNS_T_L64, NULL);
	expect(0, false, false, 0, 1, 1);
}

static void test_wildcard_queried_directly(void **state)
{
	struct fixture *f = *state;
	ask(f, "*.mobile.example.ilnp.", ILNPDNS_T_L64, NULL);
	expect(0, true, false, 1, 0, 1);
	assert_true(owner_is(ldns_rr_list_rr(ldns_pkt_answer(reply), 0), "*.mobile.example.ilnp."));
	/* "*" under a name without a wildcard is an ordinary, absent name. */
	ask(f, "*.host1.example.ilnp.", ILNPDNS_T_L64, NULL);
	expect(LDNS_RCODE_NXDOMAIN, true, false, 0, 1, 0);
}

/* ---- EDNS ---- */

static void test_edns_echo(void **state)
{
	struct fixture *f = *state;
	struct qopt o = {.edns = 1, .udp_size = 4096, .dnssec_ok = true};
	ask(f, "ns1.example.ilnp.", ILNPDNS_T_A, &o);
	expect(0, true, false, 1, 0, 1);
	assert_true(ldns_pkt_edns(reply));
	assert_int_equal(ldns_pkt_edns_udp_size(reply), 1232);
	assert_true(ldns_pkt_edns_do(reply));
	assert_int_equal(ldns_pkt_edns_version(reply), 0);
	assert_true(info.edns);
	/* No OPT in, no OPT out. */
	ask(f, "ns1.example.ilnp.", ILNPDNS_T_A, NULL);
	expect(0, true, false, 1, 0, 0);
	assert_false(ldns_pkt_edns(reply));
	o.dnssec_ok = false;
	ask(f, "ns1.example.ilnp.", ILNPDNS_T_A, &o);
	assert_false(ldns_pkt_edns_do(reply));
}

static void test_edns_badvers(void **state)
{
	struct fixture *f = *state;
	struct qopt o = {.edns = 1, .udp_size = 1232, .version = 1};
	ask(f, "host1.example.ilnp.", ILNPDNS_T_NID, &o);
	/* Header RCODE 0, extended RCODE 1: BADVERS 16; no answer data. */
	assert_int_equal(resp[3] & 0x0f, 0);
	expect(0, false, false, 0, 0, 1);
	assert_int_equal(ldns_pkt_edns_extended_rcode(reply), 1);
	assert_int_equal(ldns_pkt_edns_version(reply), 0);
	assert_int_equal(info.rcode, ILNPDNS_RCODE_BADVERS);
	assert_int_equal(hdr_count(0), 1);
}

/* Plain query for ns1 A, then extra additional records appended by hand. */
static size_t with_extra(uint8_t *req, const uint8_t *extra, size_t elen, uint16_t ar, uint16_t an)
{
	size_t len = build("ns1.example.ilnp.", ILNPDNS_T_A, NULL, req);
	memcpy(req + len, extra, elen);
	ilnpdns_put16(req + 6, an);
	ilnpdns_put16(req + 10, ar);
	return len + elen;
}

static const uint8_t opt_ok[] = {0, 0, 41, 0x04, 0xd0, 0, 0, 0, 0, 0, 0};

static void test_edns_formerr(void **state)
{
	struct fixture *f = *state;
	uint8_t req[512], extra[64];
	size_t len;

	/* Two OPTs (RFC 6891 6.1.1). */
	memcpy(extra, opt_ok, 11);
	memcpy(extra + 11, opt_ok, 11);
	len = with_extra(req, extra, 22, 2, 0);
	run(f, req, len, false);
	expect(LDNS_RCODE_FORMERR, false, false, 0, 0, 0);
	assert_int_equal(hdr_count(0), 1); /* the question parsed: echoed */
	assert_true(info.edns);

	/* OPT in the answer section. */
	len = with_extra(req, opt_ok, 11, 0, 1);
	run(f, req, len, false);
	assert_int_equal(ldns_pkt_get_rcode(reply), LDNS_RCODE_FORMERR);

	/* OPT owner not the root. */
	static const uint8_t opt_named[] = {1, 'x', 0, 0, 41, 0x04, 0xd0, 0, 0, 0, 0, 0, 0};
	len = with_extra(req, opt_named, sizeof(opt_named), 1, 0);
	run(f, req, len, false);
	assert_int_equal(ldns_pkt_get_rcode(reply), LDNS_RCODE_FORMERR);

	/* Option length running past the RDATA. */
	static const uint8_t opt_garbage[] = {0, 0, 41, 0x04, 0xd0, 0, 0, 0, 0,
	                                      0, 6, 0,  3,    0,    9, 1, 2};
	len = with_extra(req, opt_garbage, sizeof(opt_garbage), 1, 0);
	run(f, req, len, false);
	assert_int_equal(ldns_pkt_get_rcode(reply), LDNS_RCODE_FORMERR);

	/* COOKIE of 12 octets (RFC 7873 5.2.2). */
	uint8_t opt_cookie[11 + 16] = {0, 0, 41, 0x04, 0xd0, 0, 0, 0, 0, 0, 16, 0, 10, 0, 12};
	len = with_extra(req, opt_cookie, sizeof(opt_cookie), 1, 0);
	run(f, req, len, false);
	assert_int_equal(ldns_pkt_get_rcode(reply), LDNS_RCODE_FORMERR);

	/* The same with a valid 8-octet cookie is answered, OPT echoed. */
	opt_cookie[10] = 12;
	opt_cookie[14] = 8;
	len = with_extra(req, opt_cookie, 11 + 12, 1, 0);
	run(f, req, len, false);
	expect(0, true, false, 1, 0, 1);

	/* Trailing garbage after the last RR. */
	static const uint8_t junk[] = {0xde, 0xad};
	len = with_extra(req, junk, sizeof(junk), 0, 0);
	run(f, req, len, false);
	expect(LDNS_RCODE_FORMERR, false, false, 0, 0, 0);
	assert_int_equal(hdr_count(0), 1);
}

/* ---- truncation ---- */

static void test_truncation_whole_rrsets(void **state)
{
	struct fixture *f = *state;
	ask(f, "big.example.ilnp.", ILNPDNS_T_TXT, NULL);
	/* 13 TXT do not fit in 512: TC, and no partial RRset. */
	expect(0, true, true, 0, 0, 0);
	assert_true(resp_len <= 512);
	/* The same over TCP fits. */
	struct qopt t = {.tcp = true};
	ask(f, "big.example.ilnp.", ILNPDNS_T_TXT, &t);
	expect(0, true, false, 13, 0, 0);
	assert_true(resp_len > 512);
	/* With EDNS 1232 it fits over UDP. */
	struct qopt e = {.edns = 1, .udp_size = 1232};
	ask(f, "big.example.ilnp.", ILNPDNS_T_TXT, &e);
	expect(0, true, false, 13, 0, 1);
	/* A requestor size below 512 counts as 512. */
	e.udp_size = 100;
	ask(f, "big.example.ilnp.", ILNPDNS_T_TXT, &e);
	expect(0, true, true, 0, 0, 1);
	assert_true(resp_len <= 512);
	assert_true(ldns_pkt_edns(reply));
}

static void test_edns_size_setting(void **state)
{
	struct fixture *f = *state;
	query_ctx_set_edns_size(f->ctx, 600);
	struct qopt e = {.edns = 1, .udp_size = 4096};
	ask(f, "big.example.ilnp.", ILNPDNS_T_TXT, &e);
	expect(0, true, true, 0, 0, 1);
	assert_true(resp_len <= 600);
	assert_int_equal(ldns_pkt_edns_udp_size(reply), 600);
}

/* ---- ANY (RFC 8482) ---- */

static void test_any_udp_vs_tcp(void **state)
{
	struct fixture *f = *state;
	ask(f, "host1.example.ilnp.", ILNPDNS_T_ANY, NULL);
	expect(0, true, false, 2, 0, 0);
	assert_int_equal(count_type(ldns_pkt_answer(reply), ILNPDNS_T_NID), 2);
	struct qopt t = {.tcp = true};
	ask(f, "host1.example.ilnp.", ILNPDNS_T_ANY, &t);
	expect(0, true, false, 6, 0, 0);
	assert_true(ttl_all(ldns_pkt_answer(reply), ILNPDNS_T_LP, 0));
	/* No NID: the lowest type. */
	ask(f, "example.ilnp.", ILNPDNS_T_ANY, NULL);
	expect(0, true, false, 2, 0, 0);
	assert_int_equal(count_type(ldns_pkt_answer(reply), ILNPDNS_T_NS), 2);
	ask(f, "example.ilnp.", ILNPDNS_T_ANY, &t);
	expect(0, true, false, 3, 0, 0);
	/* NXDOMAIN as usual. */
	ask(f, "nothere.example.ilnp.", ILNPDNS_T_ANY, NULL);
	expect(LDNS_RCODE_NXDOMAIN, true, false, 0, 1, 0);
}

static void test_mx_rdata_compressed(void **state)
{
	struct fixture *f = *state;
	ask(f, "mx.example.ilnp.", ILNPDNS_T_MX, NULL);
	expect(0, true, false, 1, 0, 0);
	/* The MX RR ends the message: owner pointer, 10 octets, then RDATA of
	 * preference, "mail" and a pointer to "example.ilnp" (RFC 1035 3.3.9). */
	size_t rr = resp_len - (2 + 10 + 2 + 5 + 2);
	assert_int_equal(ilnpdns_get16(resp + rr + 10), 2 + 5 + 2);
	assert_int_equal(resp[resp_len - 2] & 0xc0, 0xc0);
	char *s = ldns_rr2str(ldns_rr_list_rr(ldns_pkt_answer(reply), 0));
	assert_non_null(strstr(s, "10 mail.example.ilnp."));
	free(s);
}

/* ---- screening ---- */

static void test_refused(void **state)
{
	struct fixture *f = *state;
	ask(f, "www.example.org.", ILNPDNS_T_A, NULL);
	expect(LDNS_RCODE_REFUSED, false, false, 0, 0, 0);
	assert_int_equal(hdr_count(0), 1);
	struct qopt ch = {.qclass = ILNPDNS_C_CH};
	ask(f, "host1.example.ilnp.", ILNPDNS_T_TXT, &ch);
	expect(LDNS_RCODE_REFUSED, false, false, 0, 0, 0);
	/* The zone's parent is outside too. */
	ask(f, "ilnp.", ILNPDNS_T_SOA, NULL);
	expect(LDNS_RCODE_REFUSED, false, false, 0, 0, 0);
}

static void test_notimp(void **state)
{
	struct fixture *f = *state;
	uint8_t req[512];
	size_t len = build("host1.example.ilnp.", ILNPDNS_T_A, NULL, req);
	static const int opcodes[] = {1, 2, 3, 5, 6, 15}; /* 4, NOTIFY: test_handoff */
	for (size_t i = 0; i < sizeof(opcodes) / sizeof(opcodes[0]); i++) {
		req[2] = (uint8_t)((req[2] & 0x87) | opcodes[i] << 3);
		run(f, req, len, false);
		expect(LDNS_RCODE_NOTIMPL, false, false, 0, 0, 0);
		assert_int_equal((resp[2] >> 3) & 0xf, opcodes[i]);
		assert_int_equal(info.opcode, opcodes[i]);
	}
	static const uint16_t types[] = {ILNPDNS_T_MAILA, ILNPDNS_T_MAILB};
	for (size_t i = 0; i < 2; i++) {
		ask(f, "example.ilnp.", types[i], NULL);
		expect(LDNS_RCODE_NOTIMPL, false, false, 0, 0, 0);
	}
}

/* AXFR/IXFR and NOTIFY are left to the worker (xfr.h, notify.h): no answer, handoff set. */
static void test_handoff(void **state)
{
	struct fixture *f = *state;
	uint8_t req[512];
	static const uint16_t types[] = {ILNPDNS_T_AXFR, ILNPDNS_T_IXFR};
	for (size_t i = 0; i < 2; i++) {
		size_t len = build("example.ilnp.", types[i], NULL, req);
		resp_len = query_process(f->ctx, f->txn, req, len, QUERY_TCP, NULL, resp,
		                         sizeof(resp), &info);
		assert_int_equal(resp_len, 0);
		assert_int_equal(info.handoff, QUERY_HANDOFF_XFR);
		assert_false(info.dropped);
		assert_null(query_ctx_handoff(f->ctx)->tsig);
	}
	size_t len = build("example.ilnp.", ILNPDNS_T_SOA, NULL, req);
	req[2] = (uint8_t)((req[2] & 0x87) | ILNPDNS_OP_NOTIFY << 3);
	resp_len =
	    query_process(f->ctx, f->txn, req, len, QUERY_UDP, NULL, resp, sizeof(resp), &info);
	assert_int_equal(resp_len, 0);
	assert_int_equal(info.handoff, QUERY_HANDOFF_NOTIFY);
	assert_int_equal(query_ctx_handoff(f->ctx)->udp_limit, 512);
	/* A malformed NOTIFY is answered here: FORMERR. */
	run(f, req, len - 1, false);
	expect(LDNS_RCODE_FORMERR, false, false, 0, 0, 0);
	assert_int_equal(info.handoff, QUERY_HANDOFF_NONE);
	/* A normal query is not handed off. */
	ask(f, "example.ilnp.", ILNPDNS_T_SOA, NULL);
	assert_int_equal(info.handoff, QUERY_HANDOFF_NONE);
}

static void test_meta_qtype_formerr(void **state)
{
	struct fixture *f = *state;
	static const uint16_t types[] = {ILNPDNS_T_OPT, ILNPDNS_T_TSIG, ILNPDNS_T_TKEY};
	for (size_t i = 0; i < 3; i++) {
		ask(f, "example.ilnp.", types[i], NULL);
		expect(LDNS_RCODE_FORMERR, false, false, 0, 0, 0);
		assert_int_equal(hdr_count(0), 1);
	}
}

/* A request from raw bytes: header (id 0xbeef, RD) + body. */
static size_t raw(uint8_t *req, uint16_t qd, const uint8_t *body, size_t blen)
{
	static const uint8_t hdr[12] = {0xbe, 0xef, 0x01, 0x00, 0, 0, 0, 0, 0, 0, 0, 0};
	memcpy(req, hdr, 12);
	ilnpdns_put16(req + 4, qd);
	if (blen > 0)
		memcpy(req + 12, body, blen);
	return 12 + blen;
}

static void expect_formerr_raw(struct fixture *f, const uint8_t *req, size_t len, uint16_t qd)
{
	run(f, req, len, false);
	assert_true(resp_len > 0);
	assert_int_equal(ldns_pkt_get_rcode(reply), LDNS_RCODE_FORMERR);
	assert_int_equal(info.rcode, ILNPDNS_RCODE_FORMERR);
	assert_int_equal(hdr_count(0), qd);
	assert_int_equal(ilnpdns_get16(resp), 0xbeef);
	assert_true(ldns_pkt_rd(reply));
}

static void test_formerr_qdcount(void **state)
{
	struct fixture *f = *state;
	uint8_t req[600];
	static const uint8_t q[] = "\x03ns1\x07"
	                           "example\x04ilnp\0\0\1\0\1";
	size_t qlen = sizeof(q) - 1;
	uint8_t two[2 * sizeof(q)];
	memcpy(two, q, qlen);
	memcpy(two + qlen, q, qlen);

	expect_formerr_raw(f, req, raw(req, 0, NULL, 0), 0);
	expect_formerr_raw(f, req, raw(req, 2, two, 2 * qlen), 0);
	/* Control: the same bytes with QDCOUNT 1 are answered. */
	run(f, req, raw(req, 1, q, qlen), false);
	expect(0, true, false, 1, 0, 0);
}

static void test_formerr_names(void **state)
{
	struct fixture *f = *state;
	uint8_t req[600], body[600];

	/* Label type 01 (0x40): undefined. */
	static const uint8_t badlabel[] = "\x43"
	                                  "abc\0\0\1\0\1";
	expect_formerr_raw(f, req, raw(req, 1, badlabel, sizeof(badlabel) - 1), 0);
	/* Compression loop: a pointer to itself. */
	static const uint8_t loop[] = {0xc0, 12, 0, 1, 0, 1};
	expect_formerr_raw(f, req, raw(req, 1, loop, sizeof(loop)), 0);
	/* Name > 255 octets: five labels of 63. */
	size_t n = 0;
	for (int i = 0; i < 5; i++) {
		body[n++] = 63;
		memset(body + n, 'a', 63);
		n += 63;
	}
	body[n++] = 0;
	memcpy(body + n, "\0\1\0\1", 4);
	expect_formerr_raw(f, req, raw(req, 1, body, n + 4), 0);
	/* Question name cut off. */
	static const uint8_t cut[] = "\x07"
	                             "exam";
	expect_formerr_raw(f, req, raw(req, 1, cut, sizeof(cut) - 1), 0);
	/* Name fine, QTYPE/QCLASS missing. */
	static const uint8_t noq[] = "\x04ilnp\0\0";
	expect_formerr_raw(f, req, raw(req, 1, noq, sizeof(noq) - 1), 0);
}

static void test_dropped(void **state)
{
	struct fixture *f = *state;
	uint8_t req[512];
	size_t len = build("host1.example.ilnp.", ILNPDNS_T_NID, NULL, req);
	run(f, req, 11, false);
	assert_int_equal(resp_len, 0);
	assert_true(info.dropped);
	run(f, req, 0, false);
	assert_int_equal(resp_len, 0);
	req[2] |= 0x80; /* QR=1 */
	run(f, req, len, false);
	assert_int_equal(resp_len, 0);
	assert_true(info.dropped);
	req[2] &= 0x7f;
	run(f, req, len, false);
	assert_true(resp_len > 0);
	assert_false(info.dropped);
}

/* ---- TSIG (RFC 8945) on the query path ---- */

/* The secret of PROTOCOLS.md 3.7 vector T1 (key testkey., hmac-sha256). */
#define T1_SECRET "NoTCJU+DMqFWywaPyxSijrDEA/eC3nK0xi3AMEZuPVk="
#define T_NOW     ((uint64_t)1700000000)

/* The server's keys, found by conf-style name lookup. */
static struct ilnpdns_tsig_key server_keys[2];
static uint64_t fake_now = T_NOW;

static uint64_t fake_clock(void)
{
	return fake_now;
}

static const struct ilnpdns_tsig_key *find_key(const uint8_t *name, void *arg)
{
	struct ilnpdns_tsig_key *keys = arg;
	for (int i = 0; i < 2; i++)
		if (ilnpdns_dname_equal(keys[i].name, name))
			return &keys[i];
	return NULL;
}

static void make_key(struct ilnpdns_tsig_key *key, const char *name, const char *alg,
                     const char *secret)
{
	char err[128];
	assert_int_equal(ilnpdns_tsig_key_init(key, name, alg, secret, 0, err, sizeof(err)), 0);
}

/* Keys testkey. (hmac-sha256) and k384. (hmac-sha384); the server's clock at T_NOW. */
static void tsig_on(struct fixture *f)
{
	make_key(&server_keys[0], "testkey.", "hmac-sha256", T1_SECRET);
	make_key(&server_keys[1], "k384.", "hmac-sha384", T1_SECRET);
	query_ctx_set_tsig(f->ctx, find_key, server_keys, NULL);
	fake_now = T_NOW;
	query_ctx_set_clock(f->ctx, fake_clock);
	client = ilnpdns_tsig_ctx_new();
	assert_non_null(client);
}

/* A query built by ldns, signed by us with key at time t (the requestor's side). */
static size_t signed_query(const char *qname, uint16_t qtype, const struct qopt *o,
                           const struct ilnpdns_tsig_key *key, uint64_t t, uint8_t *out, size_t cap,
                           struct ilnpdns_tsig_state *cst)
{
	size_t len = build(qname, qtype, o, out);
	assert_int_equal(ilnpdns_tsig_sign_request(client, cst, key, 300, out, &len, cap, t), 0);
	return len;
}

/* The answer's TSIG RR, which must be there and last. */
static void answer_tsig(struct ilnpdns_tsig_rr *rr)
{
	assert_int_equal(ilnpdns_tsig_find(resp, resp_len, rr), 1);
}

/* ldns as an independent oracle: the answer verifies over the request's MAC. */
static bool ldns_verifies(const uint8_t *req, size_t len, const char *secret)
{
	ldns_pkt *lreq = NULL;
	assert_int_equal(ldns_wire2pkt(&lreq, req, len), LDNS_STATUS_OK);
	bool ok = ldns_pkt_tsig_verify(reply, resp, resp_len, "testkey.", secret,
	                               ldns_rr_rdf(ldns_pkt_tsig(lreq), 3));
	ldns_pkt_free(lreq);
	return ok;
}

static void test_tsig_signed_query(void **state)
{
	struct fixture *f = *state;
	struct ilnpdns_tsig_state cst;
	struct ilnpdns_tsig_rr rr;
	uint8_t req[512];
	tsig_on(f);

	/* A signed NID query: the usual answer plus a TSIG, last. */
	size_t len = signed_query("host1.example.ilnp.", ILNPDNS_T_NID, NULL, &server_keys[0],
	                          T_NOW - 100, req, sizeof(req), &cst);
	run(f, req, len, false);
	expect(0, true, false, 2, 0, 7); /* 6 additional + TSIG */
	assert_non_null(ldns_pkt_tsig(reply));
	assert_true(info.tsig);
	assert_int_equal(info.tsig_error, 0);
	answer_tsig(&rr);
	assert_int_equal(rr.error, 0);
	assert_int_equal(rr.mac_len, 32);
	assert_int_equal(rr.time_signed, T_NOW);
	assert_int_equal(rr.orig_id, 0x1234);
	assert_true(ldns_verifies(req, len, T1_SECRET));
	assert_false(ldns_verifies(req, len, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="));
	assert_int_equal(ilnpdns_tsig_verify_answer(client, &cst, resp, resp_len, T_NOW), 0);

	/* With EDNS: the OPT is echoed and the TSIG still comes last; NXDOMAIN is signed too. */
	struct qopt e = {.edns = 1, .udp_size = 1232};
	len = signed_query("nothere.example.ilnp.", ILNPDNS_T_A, &e, &server_keys[0], T_NOW, req,
	                   sizeof(req), &cst);
	run(f, req, len, false);
	expect(LDNS_RCODE_NXDOMAIN, true, false, 0, 1, 2);
	assert_true(ldns_pkt_edns(reply));
	answer_tsig(&rr);
	assert_true(ldns_verifies(req, len, T1_SECRET));
	assert_int_equal(ilnpdns_tsig_verify_answer(client, &cst, resp, resp_len, T_NOW), 0);

	/* hmac-sha384 (which ldns cannot check), over TCP. */
	struct qopt t = {.tcp = true};
	len = signed_query("host1.example.ilnp.", ILNPDNS_T_L64, &t, &server_keys[1], T_NOW + 300,
	                   req, sizeof(req), &cst);
	run(f, req, len, true);
	expect(0, true, false, 1, 0, 6);
	answer_tsig(&rr);
	assert_int_equal(rr.mac_len, 48);
	assert_memory_equal(rr.alg_name, "\x0bhmac-sha384", 13);
	assert_int_equal(ilnpdns_tsig_verify_answer(client, &cst, resp, resp_len, T_NOW), 0);
	/* A tampered answer does not verify: the MAC covers the whole message. */
	len = signed_query("host1.example.ilnp.", ILNPDNS_T_L64, &t, &server_keys[1], T_NOW, req,
	                   sizeof(req), &cst);
	run(f, req, len, true);
	resp[20] ^= 0x20;
	assert_int_equal(ilnpdns_tsig_verify_answer(client, &cst, resp, resp_len, T_NOW),
	                 ILNPDNS_EBADSIG);

	/* A forwarder may change the header ID: Original ID keeps the MAC good. */
	len = signed_query("ns1.example.ilnp.", ILNPDNS_T_A, NULL, &server_keys[0], T_NOW, req,
	                   sizeof(req), &cst);
	ilnpdns_put16(req, 0x4242);
	run(f, req, len, false);
	expect(0, true, false, 1, 0, 1);
	answer_tsig(&rr);
	assert_int_equal(rr.error, 0);
	assert_int_equal(rr.orig_id, 0x4242);
}

/* NOTAUTH with a TSIG of MAC size 0 carrying error, and nothing else but the question. */
static void expect_unsigned_error(uint16_t error, const char *key_name)
{
	struct ilnpdns_tsig_rr rr;
	uint8_t name[ILNPDNS_DNAME_MAXLEN];
	expect(LDNS_RCODE_NOTAUTH, false, false, 0, 0, 1);
	assert_int_equal(hdr_count(0), 1);
	assert_int_equal(info.rcode, ILNPDNS_RCODE_NOTAUTH);
	assert_true(info.tsig);
	assert_int_equal(info.tsig_error, error);
	answer_tsig(&rr);
	assert_int_equal(rr.error, error);
	assert_int_equal(rr.mac_len, 0);
	assert_true(ilnpdns_dname_from_str(key_name, name) > 0);
	assert_true(ilnpdns_dname_equal(rr.key_name, name));
}

static void test_tsig_badsig(void **state)
{
	struct fixture *f = *state;
	struct ilnpdns_tsig_state cst;
	uint8_t req[512];
	tsig_on(f);

	size_t len = signed_query("host1.example.ilnp.", ILNPDNS_T_NID, NULL, &server_keys[0],
	                          T_NOW, req, sizeof(req), &cst);
	req[len - 10] ^= 1; /* last MAC octet: MAC (32) then orig ID, error, other len */
	run(f, req, len, false);
	expect_unsigned_error(ILNPDNS_TSIG_BADSIG, "testkey.");
	/* The requestor sees the error, unauthenticated. */
	assert_int_equal(ilnpdns_tsig_verify_answer(client, &cst, resp, resp_len, T_NOW),
	                 ILNPDNS_EBADSIG);
	assert_int_equal(cst.error, ILNPDNS_TSIG_BADSIG);

	/* Signed with another secret under the right name. */
	struct ilnpdns_tsig_key wrong;
	make_key(&wrong, "testkey.", "hmac-sha256", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=");
	len = signed_query("host1.example.ilnp.", ILNPDNS_T_NID, NULL, &wrong, T_NOW, req,
	                   sizeof(req), &cst);
	run(f, req, len, false);
	expect_unsigned_error(ILNPDNS_TSIG_BADSIG, "testkey.");

	/* The MAC is checked before the time: a forgery far off in time is BADSIG, not BADTIME. */
	len = signed_query("host1.example.ilnp.", ILNPDNS_T_NID, NULL, &wrong, T_NOW + 100000, req,
	                   sizeof(req), &cst);
	run(f, req, len, false);
	expect_unsigned_error(ILNPDNS_TSIG_BADSIG, "testkey.");
}

static void test_tsig_badkey(void **state)
{
	struct fixture *f = *state;
	struct ilnpdns_tsig_state cst;
	struct ilnpdns_tsig_key other;
	uint8_t req[512];

	/* Without keys configured (the default), every signed query is BADKEY. */
	client = ilnpdns_tsig_ctx_new();
	make_key(&other, "testkey.", "hmac-sha256", T1_SECRET);
	size_t len = signed_query("host1.example.ilnp.", ILNPDNS_T_NID, NULL, &other, T_NOW, req,
	                          sizeof(req), &cst);
	run(f, req, len, false);
	expect_unsigned_error(ILNPDNS_TSIG_BADKEY, "testkey.");
	assert_int_equal(ilnpdns_tsig_verify_answer(client, &cst, resp, resp_len, T_NOW),
	                 ILNPDNS_EBADKEY);
	ilnpdns_tsig_ctx_free(client);

	tsig_on(f);
	/* A name the server does not know. */
	make_key(&other, "nokey.example.", "hmac-sha256", T1_SECRET);
	len = signed_query("host1.example.ilnp.", ILNPDNS_T_NID, NULL, &other, T_NOW, req,
	                   sizeof(req), &cst);
	run(f, req, len, false);
	expect_unsigned_error(ILNPDNS_TSIG_BADKEY, "nokey.example.");
	/* The right name and secret under another algorithm: the key decides, not the packet. */
	make_key(&other, "testkey.", "hmac-sha512", T1_SECRET);
	len = signed_query("host1.example.ilnp.", ILNPDNS_T_NID, NULL, &other, T_NOW, req,
	                   sizeof(req), &cst);
	run(f, req, len, false);
	expect_unsigned_error(ILNPDNS_TSIG_BADKEY, "testkey.");
}

static void test_tsig_badtime(void **state)
{
	struct fixture *f = *state;
	struct ilnpdns_tsig_state cst;
	struct ilnpdns_tsig_rr rr;
	uint8_t req[512];
	tsig_on(f);

	/* Signed 301 s in the past: fudge 300 exceeded. */
	size_t len = signed_query("host1.example.ilnp.", ILNPDNS_T_NID, NULL, &server_keys[0],
	                          T_NOW - 301, req, sizeof(req), &cst);
	run(f, req, len, false);
	expect(LDNS_RCODE_NOTAUTH, false, false, 0, 0, 1);
	assert_int_equal(info.tsig_error, ILNPDNS_TSIG_BADTIME);
	answer_tsig(&rr);
	assert_int_equal(rr.error, ILNPDNS_TSIG_BADTIME);
	assert_int_equal(rr.mac_len, 32);              /* signed */
	assert_int_equal(rr.time_signed, T_NOW - 301); /* the request's, echoed */
	assert_int_equal(rr.other_len, 6);             /* the server's time */
	assert_int_equal(ilnpdns_get16(rr.other), T_NOW >> 32);
	assert_int_equal(ilnpdns_get32(rr.other + 2), T_NOW & 0xffffffffu);
	assert_true(ldns_verifies(req, len, T1_SECRET));
	assert_int_equal(ilnpdns_tsig_verify_answer(client, &cst, resp, resp_len, T_NOW - 301),
	                 ILNPDNS_EBADTIME);
	assert_int_equal(cst.error, ILNPDNS_TSIG_BADTIME);
	assert_int_equal(cst.other_time, T_NOW);

	/* The server's clock is what moves: the same request becomes good at the edge. */
	fake_now = T_NOW - 1;
	len = signed_query("host1.example.ilnp.", ILNPDNS_T_NID, NULL, &server_keys[0], T_NOW - 301,
	                   req, sizeof(req), &cst);
	run(f, req, len, false);
	expect(0, true, false, 2, 0, 7);
	/* And in the future. */
	fake_now = T_NOW;
	len = signed_query("host1.example.ilnp.", ILNPDNS_T_NID, NULL, &server_keys[0], T_NOW + 301,
	                   req, sizeof(req), &cst);
	run(f, req, len, false);
	assert_int_equal(ldns_pkt_get_rcode(reply), LDNS_RCODE_NOTAUTH);
	assert_int_equal(info.tsig_error, ILNPDNS_TSIG_BADTIME);
}

static void test_tsig_badtrunc(void **state)
{
	struct fixture *f = *state;
	struct ilnpdns_tsig_state cst;
	struct ilnpdns_tsig_rr rr;
	struct ilnpdns_tsig_key shorter;
	uint8_t req[512];
	tsig_on(f);

	/* The requestor truncates to 128 bits; the server's key wants all 256 (5.2.4). */
	make_key(&shorter, "testkey.", "hmac-sha256-128", T1_SECRET);
	size_t len = signed_query("host1.example.ilnp.", ILNPDNS_T_NID, NULL, &shorter, T_NOW, req,
	                          sizeof(req), &cst);
	run(f, req, len, false);
	expect(LDNS_RCODE_NOTAUTH, false, false, 0, 0, 1);
	assert_int_equal(info.tsig_error, ILNPDNS_TSIG_BADTRUNC);
	answer_tsig(&rr);
	assert_int_equal(rr.error, ILNPDNS_TSIG_BADTRUNC);
	assert_int_equal(rr.mac_len, 32); /* signed, never shorter than the request's */
	assert_int_equal(ilnpdns_tsig_verify_answer(client, &cst, resp, resp_len, T_NOW),
	                 ILNPDNS_EBADSIG);
	assert_int_equal(cst.error, ILNPDNS_TSIG_BADTRUNC);
}

static void test_tsig_replay(void **state)
{
	struct fixture *f = *state;
	struct ilnpdns_tsig_state cst;
	uint8_t req[512];
	tsig_on(f);
	struct ilnpdns_tsig_replay *replay = ilnpdns_tsig_replay_new(64);
	assert_non_null(replay);
	query_ctx_set_tsig(f->ctx, find_key, server_keys, replay);

	size_t len = signed_query("host1.example.ilnp.", ILNPDNS_T_NID, NULL, &server_keys[0],
	                          T_NOW, req, sizeof(req), &cst);
	run(f, req, len, false);
	expect(0, true, false, 2, 0, 7);
	run(f, req, len, false);
	assert_int_equal(ldns_pkt_get_rcode(reply), LDNS_RCODE_NOTAUTH);
	assert_int_equal(info.tsig_error, ILNPDNS_TSIG_BADTIME);
	query_ctx_set_tsig(f->ctx, find_key, server_keys, NULL);
	ilnpdns_tsig_replay_free(replay);
}

/* Splice extra octets in front of the TSIG RR (which starts at tsig_at). */
static size_t insert_before(uint8_t *req, size_t len, size_t at, const uint8_t *x, size_t n)
{
	memmove(req + at + n, req + at, len - at);
	memcpy(req + at, x, n);
	return len + n;
}

static void expect_formerr_unsigned(struct fixture *f, const uint8_t *req, size_t len)
{
	run(f, req, len, false);
	assert_true(resp_len > 0);
	assert_int_equal(ldns_pkt_get_rcode(reply), LDNS_RCODE_FORMERR);
	assert_null(ldns_pkt_tsig(reply));
	assert_int_equal(hdr_count(3), 0);
}

static void test_tsig_formerr(void **state)
{
	struct fixture *f = *state;
	struct ilnpdns_tsig_state cst;
	struct ilnpdns_tsig_rr rr;
	uint8_t req[600], good[600];
	tsig_on(f);

	size_t glen = signed_query("ns1.example.ilnp.", ILNPDNS_T_A, NULL, &server_keys[0], T_NOW,
	                           good, sizeof(good), &cst);
	assert_int_equal(ilnpdns_tsig_find(good, glen, &rr), 1);
	size_t at = rr.start;

	/* An OPT after the TSIG: the TSIG is not last. */
	memcpy(req, good, glen);
	size_t len = glen;
	memcpy(req + len, opt_ok, sizeof(opt_ok));
	len += sizeof(opt_ok);
	ilnpdns_put16(req + 10, 2);
	expect_formerr_unsigned(f, req, len);

	/* The TSIG in the answer section. */
	memcpy(req, good, glen);
	ilnpdns_put16(req + 6, 1);
	ilnpdns_put16(req + 10, 0);
	expect_formerr_unsigned(f, req, glen);

	/* Two TSIGs. */
	memcpy(req, good, glen);
	len = insert_before(req, glen, at, good + at, glen - at);
	ilnpdns_put16(req + 10, 2);
	expect_formerr_unsigned(f, req, len);

	/* CLASS not ANY (RFC 8945 4.2). */
	memcpy(req, good, glen);
	size_t fixed = at + ilnpdns_dname_len(rr.key_name);
	ilnpdns_put16(req + fixed + 2, ILNPDNS_C_IN);
	expect_formerr_unsigned(f, req, glen);

	/* A non-zero Error in a request (our decision, PROTOCOLS.md 3.4). */
	memcpy(req, good, glen);
	ilnpdns_put16(req + glen - 4, ILNPDNS_TSIG_BADSIG);
	expect_formerr_unsigned(f, req, glen);

	/* RDLENGTH one short: the RDATA does not parse exactly. */
	memcpy(req, good, glen);
	ilnpdns_put16(req + fixed + 8, (uint16_t)(ilnpdns_get16(req + fixed + 8) - 1));
	expect_formerr_unsigned(f, req, glen - 1);

	/* MAC size 8, below max(10, 16) (5.2.2.1): FORMERR, as BIND. */
	memcpy(req, good, glen);
	size_t mac_at = glen - 6 - 32;
	ilnpdns_put16(req + mac_at - 2, 8);
	memmove(req + mac_at + 8, req + mac_at + 32, 6);
	ilnpdns_put16(req + fixed + 8, (uint16_t)(ilnpdns_get16(req + fixed + 8) - 24));
	expect_formerr_unsigned(f, req, glen - 24);

	/* Control: the untouched request is answered and signed. */
	run(f, good, glen, false);
	expect(0, true, false, 1, 0, 1);
	assert_non_null(ldns_pkt_tsig(reply));
}

static void test_tsig_truncation(void **state)
{
	struct fixture *f = *state;
	struct ilnpdns_tsig_state cst;
	struct ilnpdns_tsig_rr rr;
	uint8_t req[512];
	tsig_on(f);

	/* The unsigned answer's size with EDNS: 13 TXT and the OPT. */
	struct qopt e = {.edns = 1, .udp_size = 1232};
	ask(f, "big.example.ilnp.", ILNPDNS_T_TXT, &e);
	expect(0, true, false, 13, 0, 1);
	size_t plain = resp_len;
	/* TSIG with hmac-sha256 and key testkey.: 9 + 13 + 26 + 32 octets, 6 more reserved
	 * for a BADTIME's Other Data. */
	size_t tsig_rr = 9 + 13 + 26 + 32, reserve = tsig_rr + 6;

	/* Room for the answer but not for the TSIG: truncated, then signed. */
	e.udp_size = (uint16_t)(plain + tsig_rr - 1);
	size_t len = signed_query("big.example.ilnp.", ILNPDNS_T_TXT, &e, &server_keys[0], T_NOW,
	                          req, sizeof(req), &cst);
	run(f, req, len, false);
	expect(0, true, true, 0, 0, 2);
	assert_true(resp_len <= e.udp_size);
	answer_tsig(&rr);
	assert_int_equal(rr.mac_len, 32);
	assert_true(ldns_verifies(req, len, T1_SECRET));
	assert_int_equal(ilnpdns_tsig_verify_answer(client, &cst, resp, resp_len, T_NOW), 0);

	/* Room for both: the whole answer, signed, within the limit. */
	e.udp_size = (uint16_t)(plain + reserve);
	len = signed_query("big.example.ilnp.", ILNPDNS_T_TXT, &e, &server_keys[0], T_NOW, req,
	                   sizeof(req), &cst);
	run(f, req, len, false);
	expect(0, true, false, 13, 0, 2);
	assert_int_equal(resp_len, plain + tsig_rr);
	assert_int_equal(ilnpdns_tsig_verify_answer(client, &cst, resp, resp_len, T_NOW), 0);

	/* Without EDNS the 512 limit holds with the TSIG in it. */
	len = signed_query("big.example.ilnp.", ILNPDNS_T_TXT, NULL, &server_keys[0], T_NOW, req,
	                   sizeof(req), &cst);
	run(f, req, len, false);
	expect(0, true, true, 0, 0, 1);
	assert_true(resp_len <= 512);
	assert_int_equal(ilnpdns_tsig_verify_answer(client, &cst, resp, resp_len, T_NOW), 0);
}

/* The helper the update path answers with: vector T1, a signed UPDATE (PROTOCOLS.md 3.7). */
static void test_tsig_answer_build(void **state)
{
	static const char t1_hex[] =
	    "c60028000001000000010001076578616d706c6503636f6d00000600010161c0"
	    "0c0001000100000e100004c000020107746573746b65790000fa00ff00000000"
	    "003d0b686d61632d7368613235360000005f0f9043012c00208cf23e0081d915"
	    "478a182edcea7ff48ad102948e6c7ef8e887536957d1fa5616c60000000000";
	const uint64_t t1_time = 1594855491u;
	struct fixture *f = *state;
	struct ilnpdns_tsig_state st;
	struct ilnpdns_tsig_rr rr;
	uint8_t req[256];
	size_t len = strlen(t1_hex) / 2, alen = 0;
	for (size_t i = 0; i < len; i++)
		assert_int_equal(sscanf(t1_hex + 2 * i, "%2hhx", &req[i]), 1);
	tsig_on(f);
	struct ilnpdns_tsig_ctx *server = ilnpdns_tsig_ctx_new();
	assert_non_null(server);

	assert_int_equal(ilnpdns_tsig_verify_request(server, req, len, find_key, server_keys, NULL,
	                                             t1_time, &st),
	                 0);
	assert_int_equal(tsig_answer_build(server, &st, req, len, ILNPDNS_RCODE_REFUSED, 1232,
	                                   t1_time, resp, sizeof(resp), &alen),
	                 0);
	resp_len = alen;
	assert_int_equal(ldns_wire2pkt(&reply, resp, resp_len), LDNS_STATUS_OK);
	assert_int_equal(ldns_pkt_id(reply), 0xc600);
	assert_true(ldns_pkt_qr(reply));
	assert_int_equal(ldns_pkt_get_opcode(reply), LDNS_PACKET_UPDATE);
	assert_int_equal(ldns_pkt_get_rcode(reply), LDNS_RCODE_REFUSED);
	/* The zone section is echoed; prerequisites and updates are not. */
	assert_int_equal(hdr_count(0), 1);
	assert_memory_equal(resp + 12, req + 12, 17); /* example.com. SOA IN */
	assert_int_equal(hdr_count(1), 0);
	assert_int_equal(hdr_count(2), 0);
	assert_int_equal(hdr_count(3), 2); /* OPT, then the TSIG */
	assert_true(ldns_pkt_edns(reply));
	answer_tsig(&rr);
	assert_int_equal(rr.error, 0);
	assert_int_equal(rr.orig_id, 0xc600);
	assert_true(ldns_verifies(req, len, T1_SECRET));

	/* BADSIG: unsigned, NOTAUTH; no OPT when asked for none. */
	req[len - 20] ^= 1;
	assert_int_equal(ilnpdns_tsig_verify_request(server, req, len, find_key, server_keys, NULL,
	                                             t1_time, &st),
	                 ILNPDNS_EBADSIG);
	assert_int_equal(tsig_answer_build(server, &st, req, len, ILNPDNS_RCODE_NOTAUTH, 0, t1_time,
	                                   resp, sizeof(resp), &alen),
	                 0);
	resp_len = alen;
	assert_int_equal(hdr_count(3), 1);
	assert_int_equal(resp[3] & 0xf, ILNPDNS_RCODE_NOTAUTH);
	answer_tsig(&rr);
	assert_int_equal(rr.error, ILNPDNS_TSIG_BADSIG);
	assert_int_equal(rr.mac_len, 0);

	/* Unsigned (st NULL), and a buffer too small for header + TSIG. */
	assert_int_equal(tsig_answer_build(server, NULL, req, len, ILNPDNS_RCODE_FORMERR, 0, 0,
	                                   resp, sizeof(resp), &alen),
	                 0);
	assert_int_equal(alen, 12 + 17);
	assert_int_equal(resp[3] & 0xf, ILNPDNS_RCODE_FORMERR);
	assert_int_equal(
	    tsig_answer_build(server, &st, req, len, ILNPDNS_RCODE_NOTAUTH, 0, 0, resp, 40, &alen),
	    ILNPDNS_ETRUNC);
	/* Room for header and TSIG but not the zone section: QDCOUNT 0. A state
	 * signs one exchange: verify again for a new answer. */
	assert_int_equal(ilnpdns_tsig_verify_request(server, req, len, find_key, server_keys, NULL,
	                                             t1_time, &st),
	                 ILNPDNS_EBADSIG);
	size_t room = 12 + ilnpdns_tsig_space(&st);
	assert_int_equal(tsig_answer_build(server, &st, req, len, ILNPDNS_RCODE_NOTAUTH, 0, 0, resp,
	                                   room, &alen),
	                 0);
	assert_int_equal(ilnpdns_get16(resp + 4), 0);
	assert_true(alen <= room);
	assert_int_equal(tsig_answer_build(server, &st, req, 11, ILNPDNS_RCODE_NOTAUTH, 0, 0, resp,
	                                   sizeof(resp), &alen),
	                 ILNPDNS_EINVAL);
	ilnpdns_tsig_ctx_free(server);
}

/* ---- more answer rules ---- */

static void test_ilnp_ttl_numeric(void **state)
{
	struct fixture *f = *state;
	/* A zone at ilnp-ttl 30: answer and additional ILNP RRsets at 30,
	 * the LP target's locators too, other types at their zone TTL. */
	ask(f, "h.ttl30.ilnp.", ILNPDNS_T_NID, NULL);
	expect(0, true, false, 1, 0, 3);
	ldns_rr_list *ad = ldns_pkt_additional(reply);
	assert_true(ttl_all(ldns_pkt_answer(reply), ILNPDNS_T_NID, 30));
	assert_true(ttl_all(ad, ILNPDNS_T_L64, 30));
	assert_true(ttl_all(ad, ILNPDNS_T_LP, 30));
	assert_true(has_rr(ad, "net.ttl30.ilnp.", ILNPDNS_T_L64));
	ask(f, "h.ttl30.ilnp.", ILNPDNS_T_A, NULL);
	assert_true(ttl_all(ldns_pkt_answer(reply), ILNPDNS_T_A, 120));
	/* The negative TTL is the SOA's rule, not the ILNP TTL: min(600, 900). */
	ask(f, "h.ttl30.ilnp.", ILNPDNS_T_TXT, NULL);
	expect(0, true, false, 0, 1, 0);
	expect_soa(600);
	/* ANY over TCP: every RRset, each at its own emitted TTL. */
	struct qopt t = {.tcp = true};
	ask(f, "h.ttl30.ilnp.", ILNPDNS_T_ANY, &t);
	expect(0, true, false, 4, 0, 0);
	assert_true(ttl_all(ldns_pkt_answer(reply), ILNPDNS_T_LP, 30));
	assert_true(ttl_all(ldns_pkt_answer(reply), ILNPDNS_T_A, 120));
}

static void test_cname_chain_limit(void **state)
{
	struct fixture *f = *state;
	/* c2 .. c9 is ANSWER_CHAIN_MAX CNAMEs: followed to the A. */
	ask(f, "c2.example.ilnp.", ILNPDNS_T_A, NULL);
	expect(0, true, false, ANSWER_CHAIN_MAX + 1, 0, 0);
	assert_int_equal(count_type(ldns_pkt_answer(reply), ILNPDNS_T_A), 1);
	/* One more and the walk stops (RFC 1034 3.6.2): CNAMEs only, NOERROR. */
	ask(f, "c0.example.ilnp.", ILNPDNS_T_A, NULL);
	expect(0, true, false, ANSWER_CHAIN_MAX + 1, 0, 0);
	assert_int_equal(count_type(ldns_pkt_answer(reply), ILNPDNS_T_CNAME), ANSWER_CHAIN_MAX + 1);
}

static void test_cname_into_cut(void **state)
{
	struct fixture *f = *state;
	/* The chain leads below a cut: the CNAME, then the referral; AA
	 * follows the first name, which is ours (RFC 6604 2.1). */
	ask(f, "tocut.example.ilnp.", ILNPDNS_T_A, NULL);
	expect(0, true, false, 1, 3, 3);
	assert_int_equal(count_type(ldns_pkt_answer(reply), ILNPDNS_T_CNAME), 1);
	assert_int_equal(count_type(ldns_pkt_authority(reply), ILNPDNS_T_NS), 3);
	assert_int_equal(count_type(ldns_pkt_authority(reply), ILNPDNS_T_SOA), 0);
}

static void test_lp_target_occluded(void **state)
{
	struct fixture *f = *state;
	/* x.sub holds an L64, but below the cut sub: not ours to give. */
	ask(f, "lpocc.example.ilnp.", ILNPDNS_T_LP, NULL);
	expect(0, true, false, 1, 0, 0);
	/* Nor is it answered directly: a referral. */
	ask(f, "x.sub.example.ilnp.", ILNPDNS_T_L64, NULL);
	expect(0, false, false, 0, 3, 3);
}

static void test_optional_additional_never_tc(void **state)
{
	struct fixture *f = *state;
	/* 40 L64 do not fit 512 octets beside the NID: dropped whole, the
	 * L32 that fits still goes in, and no TC (RFC 2181 9, RFC 6742 1.2). */
	ask(f, "fatadd.example.ilnp.", ILNPDNS_T_NID, NULL);
	expect(0, true, false, 1, 0, 1);
	assert_int_equal(count_type(ldns_pkt_additional(reply), ILNPDNS_T_L32), 1);
	assert_true(resp_len <= 512);
	/* With room (EDNS 1232) the L64 RRset comes too, whole. */
	struct qopt e = {.edns = 1, .udp_size = 1232};
	ask(f, "fatadd.example.ilnp.", ILNPDNS_T_NID, &e);
	expect(0, true, false, 1, 0, 40 + 1 + 1);
	assert_int_equal(count_type(ldns_pkt_additional(reply), ILNPDNS_T_L64), 40);
}

static void test_any_cname(void **state)
{
	struct fixture *f = *state;
	/* RFC 8482 4.1 / PROTOCOLS.md 6.4: a CNAME at the name is the answer, not followed. */
	ask(f, "www.example.ilnp.", ILNPDNS_T_ANY, NULL);
	expect(0, true, false, 1, 0, 0);
	assert_int_equal(count_type(ldns_pkt_answer(reply), ILNPDNS_T_CNAME), 1);
	struct qopt t = {.tcp = true};
	ask(f, "www.example.ilnp.", ILNPDNS_T_ANY, &t);
	expect(0, true, false, 1, 0, 0);
	/* An empty non-terminal has nothing for ANY either: NODATA. */
	ask(f, "c.example.ilnp.", ILNPDNS_T_ANY, &t);
	expect(0, true, false, 0, 1, 0);
	/* ANY at a wildcard: synthesized, owner = QNAME; the NID over UDP. */
	ask(f, "Q.mobile.example.ilnp.", ILNPDNS_T_ANY, NULL);
	expect(0, true, false, 1, 0, 0);
	assert_true(owner_is(ldns_rr_list_rr(ldns_pkt_answer(reply), 0), "Q.mobile.example.ilnp."));
	assert_int_equal(count_type(ldns_pkt_answer(reply), ILNPDNS_T_NID), 1);
}

/* The size of the reply's RRs written without compression. */
static size_t uncompressed(const ldns_rr_list *l)
{
	size_t n = 0;
	for (size_t i = 0; i < ldns_rr_list_rr_count(l); i++)
		n += ldns_rr_uncompressed_size(ldns_rr_list_rr(l, i));
	return n;
}

static void test_compression(void **state)
{
	struct fixture *f = *state;
	/* A referral: owners and NS names share suffixes with the question. */
	ask(f, "deep.below.sub.example.ilnp.", ILNPDNS_T_A, NULL);
	size_t qlen = 29 + 4;
	size_t plain = 12 + qlen + uncompressed(ldns_pkt_authority(reply)) +
	               uncompressed(ldns_pkt_additional(reply));
	printf("referral: %zu octets compressed, %zu without compression\n", resp_len, plain);
	assert_true(resp_len + 60 < plain);
	/* The first authority owner is a pointer to "sub.example.ilnp." in
	 * the question (RFC 1035 4.1.4), after "deep" and "below". */
	size_t at = 12 + qlen;
	assert_int_equal(resp[at] & 0xc0, 0xc0);
	assert_int_equal(ilnpdns_get16(resp + at) & 0x3fff, 12 + 5 + 6);
	/* NS RDATA is compressed too: "ns" then a pointer (RFC 1035 3.3.11). */
	static const uint8_t ns_sub[] = {2, 'n', 's', 0xc0, 12 + 5 + 6};
	assert_non_null(memmem(resp + at, resp_len - at, ns_sub, sizeof(ns_sub)));
}

/* ---- no heap allocation per query ---- */

/*
 * Every heap allocation in the process while alloc_counting is set is
 * counted, whoever makes it (LMDB, OpenSSL and libc included). A plain
 * build replaces malloc and its relatives by wrappers around glibc's own
 * (the executable's definitions take precedence over libc's for every
 * library); an ASan build owns malloc, so its allocation hook counts.
 */
static volatile bool alloc_counting;
static volatile unsigned long alloc_count;

static void alloc_seen(void)
{
	if (alloc_counting)
		alloc_count++;
}

#if defined(__SANITIZE_ADDRESS__)
#define ALLOC_BY_HOOK 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define ALLOC_BY_HOOK 1
#endif
#endif

#ifdef ALLOC_BY_HOOK
int __sanitizer_install_malloc_and_free_hooks(void (*m)(const volatile void *, size_t),
                                              void (*f)(const volatile void *));

static void alloc_hook(const volatile void *p, size_t n)
{
	alloc_seen();
}

static void free_hook(const volatile void *p)
{
}

static void alloc_counter_init(void)
{
	static bool done;
	if (!done)
		assert_true(__sanitizer_install_malloc_and_free_hooks(alloc_hook, free_hook) != 0);
	done = true;
}
#else
void *__libc_malloc(size_t n);
void *__libc_calloc(size_t n, size_t size);
void *__libc_realloc(void *p, size_t n);
void *__libc_memalign(size_t align, size_t n);
void __libc_free(void *p);

void *malloc(size_t n)
{
	alloc_seen();
	return __libc_malloc(n);
}

void *calloc(size_t n, size_t size)
{
	alloc_seen();
	return __libc_calloc(n, size);
}

void *realloc(void *p, size_t n)
{
	alloc_seen();
	return __libc_realloc(p, n);
}

void *aligned_alloc(size_t align, size_t n)
{
	alloc_seen();
	return __libc_memalign(align, n);
}

int posix_memalign(void **out, size_t align, size_t n)
{
	alloc_seen();
	if (align % sizeof(void *) != 0 || (align & (align - 1)) != 0)
		return EINVAL;
	*out = __libc_memalign(align, n);
	return *out != NULL || n == 0 ? 0 : ENOMEM;
}

void free(void *p)
{
	__libc_free(p);
}

static void alloc_counter_init(void)
{
}
#endif

/* One request of the mix below, kept as wire bytes. */
struct hot_req {
	uint8_t wire[600];
	size_t len;
	bool tcp;
	bool answered; /* a response is expected */
};

static struct hot_req hot[48];
static unsigned nhot;

static void hot_add(const char *qname, uint16_t qtype, const struct qopt *o)
{
	struct hot_req *h = &hot[nhot++];
	assert_true(nhot <= sizeof(hot) / sizeof(hot[0]));
	h->len = build(qname, qtype, o, h->wire);
	h->tcp = o != NULL && o->tcp;
	h->answered = true;
}

static void hot_add_raw(const uint8_t *wire, size_t len, bool answered)
{
	struct hot_req *h = &hot[nhot++];
	assert_true(nhot <= sizeof(hot) / sizeof(hot[0]));
	memcpy(h->wire, wire, len);
	h->len = len;
	h->answered = answered;
}

/*
 * Issue 2: no heap allocation per query. Every answer rule, over UDP and
 * TCP, with and without EDNS, a DNS cookie, a TSIG-signed query, FORMERR,
 * NOTIMP, BADVERS and dropped packets, in batches between snapshot renewals
 * as a worker runs them (store_txn_renew(), query_process(),
 * store_txn_reset()). A first pass warms up what is made once per process
 * (OpenSSL's algorithm fetches); the counted passes must allocate nothing.
 */
static void test_no_heap_per_query(void **state)
{
	struct fixture *f = *state;
	struct qopt e = {.edns = 1, .udp_size = 1232, .dnssec_ok = true};
	struct qopt t = {.tcp = true};
	struct qopt te = {.tcp = true, .edns = 1, .udp_size = 1232};
	struct qopt v1 = {.edns = 1, .udp_size = 1232, .version = 1};
	uint8_t req[600];
	size_t len;

	alloc_counter_init();
	nhot = 0;
	hot_add("host1.example.ilnp.", ILNPDNS_T_NID, NULL);
	hot_add("HoSt1.example.ilnp.", ILNPDNS_T_NID, &e);
	hot_add("host1.example.ilnp.", ILNPDNS_T_L64, &te);
	hot_add("host1.example.ilnp.", ILNPDNS_T_L32, NULL);
	hot_add("lponly.example.ilnp.", ILNPDNS_T_LP, &e);
	hot_add("lpocc.example.ilnp.", ILNPDNS_T_LP, NULL);
	hot_add("X.mobile.example.ilnp.", ILNPDNS_T_L64, NULL);
	hot_add("any.wc.example.ilnp.", ILNPDNS_T_L32, &e);
	hot_add("www.example.ilnp.", ILNPDNS_T_NID, &t);
	hot_add("c0.example.ilnp.", ILNPDNS_T_A, NULL);
	hot_add("loop1.example.ilnp.", ILNPDNS_T_A, NULL);
	hot_add("tocut.example.ilnp.", ILNPDNS_T_A, NULL);
	hot_add("deep.below.sub.example.ilnp.", ILNPDNS_T_A, &e);
	hot_add("www.fat.example.ilnp.", ILNPDNS_T_A, NULL);
	hot_add("www.fat.example.ilnp.", ILNPDNS_T_A, &t);
	hot_add("nothere.example.ilnp.", ILNPDNS_T_A, NULL);
	hot_add("host1.example.ilnp.", ILNPDNS_T_AAAA, &e);
	hot_add("b.c.example.ilnp.", ILNPDNS_T_A, NULL);
	hot_add("z.y.mobile.example.ilnp.", ILNPDNS_T_L64, NULL);
	hot_add("sub.example.ilnp.", ILNPDNS_T_DS, NULL);
	hot_add("child.example.ilnp.", ILNPDNS_T_DS, NULL);
	hot_add("host1.example.ilnp.", ILNPDNS_T_ANY, NULL);
	hot_add("host1.example.ilnp.", ILNPDNS_T_ANY, &t);
	hot_add("big.example.ilnp.", ILNPDNS_T_TXT, NULL);
	hot_add("big.example.ilnp.", ILNPDNS_T_TXT, &t);
	hot_add("fatadd.example.ilnp.", ILNPDNS_T_NID, &e);
	hot_add("h.keep.ilnp.", ILNPDNS_T_NID, NULL);
	hot_add("h.ttl30.ilnp.", ILNPDNS_T_NID, &t);
	hot_add("www.example.org.", ILNPDNS_T_A, NULL);
	hot_add("example.ilnp.", ILNPDNS_T_MAILA, NULL);
	hot_add("example.ilnp.", ILNPDNS_T_TSIG, NULL);
	hot_add("host1.example.ilnp.", ILNPDNS_T_NID, &v1);

	/* Malformed, NOTIMP and dropped requests. */
	uint8_t extra[32];
	memcpy(extra, opt_ok, 11);
	memcpy(extra + 11, opt_ok, 11);
	len = with_extra(req, extra, 22, 2, 0);
	hot_add_raw(req, len, true); /* two OPTs */
	static const uint8_t loop[] = {0xc0, 12, 0, 1, 0, 1};
	hot_add_raw(req, raw(req, 1, loop, sizeof(loop)), true);
	hot_add_raw(req, raw(req, 0, NULL, 0), true); /* QDCOUNT 0 */
	len = build("host1.example.ilnp.", ILNPDNS_T_A, NULL, req);
	hot_add_raw(req, len, true);
	hot[nhot - 1].wire[5] = 2; /* QDCOUNT 2 */
	req[2] = (uint8_t)((req[2] & 0x87) | 2 << 3);
	hot_add_raw(req, len, true); /* opcode STATUS */
	hot_add_raw(req, 11, false); /* short */

	/* A client cookie (RFC 7873). */
	uint8_t opt_cookie[11 + 12] = {0,  0, 41, 0x04, 0xd0, 0, 0, 0, 0, 0, 12, 0,
	                               10, 0, 8,  1,    2,    3, 4, 5, 6, 7, 8};
	len = with_extra(req, opt_cookie, sizeof(opt_cookie), 1, 0);
	hot_add_raw(req, len, true);

	struct sockaddr_in from = {.sin_family = AF_INET, .sin_port = htons(5353)};
	from.sin_addr.s_addr = htonl(0x7f000001);
	enum { PASSES = 20 };
	unsigned long answered = 0;
	store_txn_reset(f->txn);
	for (int pass = 0; pass <= PASSES; pass++) {
		alloc_count = 0;
		alloc_counting = pass > 0;
		assert_int_equal(store_txn_renew(f->txn), 0);
		for (unsigned i = 0; i < nhot; i++) {
			struct query_info qi;
			size_t n =
			    query_process(f->ctx, f->txn, hot[i].wire, hot[i].len,
			                  hot[i].tcp ? QUERY_TCP : QUERY_UDP,
			                  (const struct sockaddr *)&from, resp, sizeof(resp), &qi);
			answered += n > 0;
			if (hot[i].answered != (n > 0)) {
				alloc_counting = false;
				fail_msg("request %u: response length %zu", i, n);
			}
		}
		store_txn_reset(f->txn);
		alloc_counting = false;
		if (alloc_count != 0)
			fail_msg("pass %d: %lu heap allocations in %u requests", pass, alloc_count,
			         nhot);
	}
	assert_int_equal(store_txn_renew(f->txn), 0);
	printf("no-heap check: %d passes of %u requests, %lu responses, 0 allocations (%s)\n",
	       PASSES, nhot, answered,
#ifdef ALLOC_BY_HOOK
	       "sanitizer allocation hook"
#else
	       "malloc interposed"
#endif
	);

	/* A TSIG-signed query (issue 3) is reported, not asserted: OpenSSL
	 * 3.0's HMAC duplicates its digest state on every init and final. */
	tsig_on(f);
	struct ilnpdns_tsig_state cst;
	len = signed_query("host1.example.ilnp.", ILNPDNS_T_NID, &e, &server_keys[0], T_NOW, req,
	                   sizeof(req), &cst);
	unsigned long signed_allocs = 0;
	for (int pass = 0; pass < 3; pass++) {
		struct query_info qi;
		alloc_count = 0;
		alloc_counting = pass > 0;
		size_t n = query_process(f->ctx, f->txn, req, len, QUERY_UDP,
		                         (const struct sockaddr *)&from, resp, sizeof(resp), &qi);
		alloc_counting = false;
		assert_true(n > 0);
		assert_int_equal(qi.rcode, 0);
		assert_true(qi.tsig && qi.tsig_error == 0);
		signed_allocs = alloc_count;
	}
	printf("TSIG-signed query: %lu heap allocations (inside OpenSSL's HMAC)\n", signed_allocs);

	/* The counter itself works: an allocation while counting is seen. */
	alloc_count = 0;
	alloc_counting = true;
	void *volatile p = malloc(32);
	alloc_counting = false;
	free(p);
	assert_int_equal(alloc_count, 1);
}

/* ---- speed (reported, not asserted) ---- */

static void test_throughput(void **state)
{
	struct fixture *f = *state;
	uint8_t req[3][512];
	size_t len[3];
	struct qopt o = {.edns = 1, .udp_size = 1232};
	len[0] = build("host1.example.ilnp.", ILNPDNS_T_NID, &o, req[0]);
	len[1] = build("x.mobile.example.ilnp.", ILNPDNS_T_L64, &o, req[1]);
	len[2] = build("nothere.example.ilnp.", ILNPDNS_T_A, &o, req[2]);
	enum { N = 100000 };
	struct timespec a, b;
	size_t bytes = 0;
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (int i = 0; i < N; i++) {
		int k = i % 3 == 2 ? 2 : (i & 1);
		bytes += query_process(f->ctx, f->txn, req[k], len[k], QUERY_UDP, NULL, resp,
		                       sizeof(resp), &info);
	}
	clock_gettime(CLOCK_MONOTONIC, &b);
	double ns = ((double)(b.tv_sec - a.tv_sec) * 1e9 + (double)(b.tv_nsec - a.tv_nsec)) / N;
	printf(
	    "query_process: %d queries, %.0f ns/query (NID+additional, wildcard L64, NXDOMAIN)\n",
	    N, ns);
	assert_true(bytes > (size_t)N * 12);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_exact_nid_with_additional, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_l64_additional_no_targets, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_lp_target_additional, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_lp_out_of_zone_target, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_ilnp_ttl_keep, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_mixed_case_question, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_header_flags_copied, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_nxdomain, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_nodata, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_empty_non_terminal, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_referral_with_glue, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_ds_at_cut_is_parent_nodata, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_child_zone_and_parent_ds, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_glue_does_not_fit_tc, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_cname_chain_in_zone, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_cname_out_of_zone_and_dangling, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_wildcard_match, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_wildcard_nodata, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_wildcard_blocked, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_wildcard_queried_directly, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_edns_echo, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_edns_badvers, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_edns_formerr, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_truncation_whole_rrsets, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_edns_size_setting, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_any_udp_vs_tcp, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_mx_rdata_compressed, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_refused, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_notimp, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_handoff, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_meta_qtype_formerr, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_formerr_qdcount, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_formerr_names, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_dropped, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_tsig_signed_query, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_tsig_badsig, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_tsig_badkey, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_tsig_badtime, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_tsig_badtrunc, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_tsig_replay, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_tsig_formerr, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_tsig_truncation, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_tsig_answer_build, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_ilnp_ttl_numeric, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_cname_chain_limit, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_cname_into_cut, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_lp_target_occluded, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_optional_additional_never_tc, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_any_cname, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_compression, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_no_heap_per_query, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_throughput, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
