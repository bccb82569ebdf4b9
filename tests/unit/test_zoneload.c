/* SPDX-License-Identifier: BSD-2-Clause */
/* test_zoneload.c -- master-file import into the store, its errors, and zone dumps. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "ilnpdns/dname.h"
#include "ilnpdns/error.h"
#include "ilnpdns/wire.h"
#include "store.h"
#include "zoneload.h"

#ifndef ZONES_DIR
#define ZONES_DIR "zones"
#endif

struct fixture {
	char dir[64];
	struct store *st, *st2;
	uint8_t apex[256];
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	char path[128];
	strcpy(f->dir, "/tmp/ilnpdns-test-zoneload-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(path, sizeof(path), "%s/db", f->dir);
	assert_int_equal(store_open(&f->st, path, 64 << 20, 0), 0);
	snprintf(path, sizeof(path), "%s/db2", f->dir);
	assert_int_equal(store_open(&f->st2, path, 64 << 20, 0), 0);
	assert_true(ilnpdns_dname_from_str("example.ilnp.", f->apex) > 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[128];
	store_close(f->st);
	store_close(f->st2);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

static int load_text(struct store *st, const uint8_t *apex, const char *text, uint32_t ilnp_ttl,
                     struct zoneload_result *res, char *err, size_t errlen)
{
	FILE *in = fmemopen((void *)text, strlen(text), "r");
	assert_non_null(in);
	int rc = zoneload_stream(st, apex, in, "t.zone", ilnp_ttl, res, err, errlen);
	fclose(in);
	return rc;
}

static void write_file(const char *dir, const char *rel, const char *text)
{
	char path[256];
	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
}

/* Look up one RRset; returns its count (0 when absent) and copies TTL/RDATA. */
static int get(struct store *st, const uint8_t *apex, const char *owner, uint16_t type,
               uint32_t *ttl, uint8_t *rdata, size_t *rdata_len)
{
	struct store_txn *t;
	struct store_zone z;
	struct store_rrset rs;
	uint8_t w[256], key[ILNPDNS_DNAME_KEYMAX];
	assert_true(ilnpdns_dname_from_str(owner, w) > 0);
	assert_int_equal(store_txn_begin(st, false, &t), 0);
	assert_int_equal(store_zone_get(t, apex, &z), 0);
	size_t kl = store_owner_key(&z, w, key);
	int count = 0;
	if (store_rrset_get(t, &z, key, kl, type, &rs) == 0) {
		count = rs.count;
		if (ttl)
			*ttl = rs.ttl;
		if (rdata) {
			memcpy(rdata, rs.rdata, rs.rdata_len);
			*rdata_len = rs.rdata_len;
		}
	}
	store_txn_abort(t);
	return count;
}

static uint32_t serial_of(struct store *st, const uint8_t *apex)
{
	struct store_txn *t;
	struct store_zone z;
	assert_int_equal(store_txn_begin(st, false, &t), 0);
	assert_int_equal(store_zone_get(t, apex, &z), 0);
	uint32_t s = z.serial;
	store_txn_abort(t);
	return s;
}

static int count_fn(const uint8_t *key, size_t keylen, const struct store_rrset *rs, void *arg)
{
	(*(size_t *)arg)++;
	return 0;
}

static size_t rrset_count(struct store *st, const uint8_t *apex)
{
	struct store_txn *t;
	struct store_zone z;
	size_t n = 0;
	assert_int_equal(store_txn_begin(st, false, &t), 0);
	assert_int_equal(store_zone_get(t, apex, &z), 0);
	assert_int_equal(store_zone_foreach_rrset(t, &z, count_fn, &n), 0);
	store_txn_abort(t);
	return n;
}

static const char *soa_ns = "$ORIGIN example.ilnp.\n"
                            "$TTL 3600\n"
                            "@ SOA ns1 hostmaster 42 7200 3600 1209600 300\n"
                            "  NS ns1\n"
                            "ns1 A 192.0.2.1\n";

static char *zone_with(const char *tail)
{
	char *s;
	assert_true(asprintf(&s, "%s%s", soa_ns, tail) > 0);
	return s;
}

static void test_syntax(void **state)
{
	struct fixture *f = *state;
	struct zoneload_result res;
	char err[512];
	const char *text = "; a comment line\n"
	                   "$ORIGIN example.ilnp.\n"
	                   "$TTL 0\n"
	                   "@ 3600 IN SOA ns1.example.ilnp. hostmaster ( 2024010101 ; serial\n"
	                   "\t7200 3600\n"
	                   "\t1209600 300 )\n"
	                   "\tIN 3600 NS ns1   ; class before TTL\n"
	                   "ns1 1h A 192.0.2.1\n"
	                   "host1 NID 10 0014:4fff:ff20:ee64\n"
	                   "\tL64 10 2001:0DB8:1140:1000\n"
	                   "\tLP 10 l64-subnet1\n"
	                   "\tAAAA 2001:db8::1\n"
	                   "HoSt2 IN NID \\# 10 000a00166fffff22ee66\n"
	                   "host2 TYPE65280 \\# 3 abcdef\n"
	                   "host2 TYPE65281 \\# 0\n"
	                   "host2 300 TXT \"a (b) ; c\" d\n"
	                   "$ORIGIN sub.example.ilnp.\n"
	                   "x MX 10 @\n"
	                   "y.example.ilnp. CNAME x\n";
	assert_int_equal(load_text(f->st, f->apex, text, 0, &res, err, sizeof(err)), 0);
	assert_int_equal(res.serial, 2024010101u);
	assert_int_equal(res.records, 13);
	assert_int_equal(res.rrsets, 13);
	assert_int_equal(res.warnings, 0);
	assert_true(res.seconds >= 0);
	assert_int_equal(serial_of(f->st, f->apex), 2024010101u);

	uint32_t ttl;
	uint8_t rd[1024];
	size_t rdl;
	assert_int_equal(get(f->st, f->apex, "example.ilnp.", ILNPDNS_T_NS, &ttl, rd, &rdl), 1);
	assert_int_equal(ttl, 3600);
	assert_memory_equal(rd, "\0\x12\3ns1\7example\4ilnp\0", 20);
	assert_int_equal(get(f->st, f->apex, "ns1.example.ilnp.", ILNPDNS_T_A, &ttl, rd, &rdl), 1);
	assert_int_equal(ttl, 3600);
	assert_memory_equal(rd, "\0\4\xc0\0\2\1", 6);
	/* $TTL 0 is honoured (ldns would make it 3600). */
	assert_int_equal(get(f->st, f->apex, "host1.example.ilnp.", ILNPDNS_T_NID, &ttl, rd, &rdl),
	                 1);
	assert_int_equal(ttl, 0);
	assert_memory_equal(rd, "\0\12\0\12\0\x14\x4f\xff\xff\x20\xee\x64", 12);
	assert_int_equal(get(f->st, f->apex, "host1.example.ilnp.", ILNPDNS_T_L64, &ttl, rd, &rdl),
	                 1);
	assert_int_equal(ttl, 0);
	assert_int_equal(get(f->st, f->apex, "host1.example.ilnp.", ILNPDNS_T_LP, &ttl, rd, &rdl),
	                 1);
	assert_int_equal(rdl, 2 + 2 + 26);
	assert_memory_equal(rd + 4, "\13l64-subnet1\7example\4ilnp\0", 26);
	/* Blank owner continues host1; mixed case owner matches host2. */
	assert_int_equal(
	    get(f->st, f->apex, "host1.example.ilnp.", ILNPDNS_T_AAAA, NULL, NULL, NULL), 1);
	assert_int_equal(get(f->st, f->apex, "host2.example.ilnp.", ILNPDNS_T_NID, NULL, rd, &rdl),
	                 1);
	assert_memory_equal(rd, "\0\12\0\12\0\x16\x6f\xff\xff\x22\xee\x66", 12);
	assert_int_equal(get(f->st, f->apex, "host2.example.ilnp.", 65280, NULL, rd, &rdl), 1);
	assert_int_equal(rdl, 5);
	assert_memory_equal(rd, "\0\3\xab\xcd\xef", 5);
	assert_int_equal(get(f->st, f->apex, "host2.example.ilnp.", 65281, NULL, rd, &rdl), 1);
	assert_int_equal(rdl, 2);
	assert_int_equal(get(f->st, f->apex, "host2.example.ilnp.", ILNPDNS_T_TXT, &ttl, rd, &rdl),
	                 1);
	assert_int_equal(ttl, 300);
	assert_memory_equal(rd, "\0\14\11a (b) ; c\1d", 14);
	/* $ORIGIN change: relative names and @ take the new origin. */
	assert_int_equal(get(f->st, f->apex, "x.sub.example.ilnp.", ILNPDNS_T_MX, NULL, rd, &rdl),
	                 1);
	assert_memory_equal(rd, "\0\24\0\12\3sub\7example\4ilnp\0", 22);
	assert_int_equal(get(f->st, f->apex, "y.example.ilnp.", ILNPDNS_T_CNAME, NULL, rd, &rdl),
	                 1);
	assert_memory_equal(rd, "\0\24\1x\3sub\7example\4ilnp\0", 22);
}

static void test_include(void **state)
{
	struct fixture *f = *state;
	struct zoneload_result res;
	char err[512], path[256];

	snprintf(path, sizeof(path), "%s/z", f->dir);
	assert_int_equal(mkdir(path, 0700), 0);
	snprintf(path, sizeof(path), "%s/z/inc", f->dir);
	assert_int_equal(mkdir(path, 0700), 0);
	char *main = zone_with("$INCLUDE inc/hosts.zone\n"
	                       "after A 192.0.2.9\n"
	                       "$INCLUDE inc/other.zone other.example.ilnp.\n");
	write_file(f->dir, "z/main.zone", main);
	free(main);
	/* Nested: relative to the including file's folder (inc/), not to z/. */
	write_file(f->dir, "z/inc/hosts.zone", "$TTL 0\nh1 NID 10 1:2:3:4\n$INCLUDE deeper.zone\n");
	write_file(f->dir, "z/inc/deeper.zone", "h2 L64 10 1:2:3:4\n");
	write_file(f->dir, "z/inc/other.zone", "@ TXT \"at the include origin\"\nh3 A 192.0.2.3\n");

	snprintf(path, sizeof(path), "%s/z/main.zone", f->dir);
	assert_int_equal(zoneload_file(f->st, f->apex, path, 0, &res, err, sizeof(err)), 0);
	assert_int_equal(res.records, 8);
	uint32_t ttl;
	assert_int_equal(get(f->st, f->apex, "h1.example.ilnp.", ILNPDNS_T_NID, &ttl, NULL, NULL),
	                 1);
	assert_int_equal(ttl, 0);
	assert_int_equal(get(f->st, f->apex, "h2.example.ilnp.", ILNPDNS_T_L64, &ttl, NULL, NULL),
	                 1);
	assert_int_equal(ttl, 0);
	/* $TTL set in an included file does not leak back (as Knot; restated
	 * in our example zone because servers differ). */
	assert_int_equal(get(f->st, f->apex, "after.example.ilnp.", ILNPDNS_T_A, &ttl, NULL, NULL),
	                 1);
	assert_int_equal(ttl, 3600);
	assert_int_equal(
	    get(f->st, f->apex, "other.example.ilnp.", ILNPDNS_T_TXT, NULL, NULL, NULL), 1);
	assert_int_equal(
	    get(f->st, f->apex, "h3.other.example.ilnp.", ILNPDNS_T_A, NULL, NULL, NULL), 1);

	/* An error in an included file names that file and its line. */
	write_file(f->dir, "z/inc/deeper.zone", "h2 L64 10 1:2:3:4\n\nh4 L64 10 1::4\n");
	assert_int_not_equal(zoneload_file(f->st, f->apex, path, 0, &res, err, sizeof(err)), 0);
	if (!strstr(err, "z/inc/deeper.zone:3: "))
		fail_msg("unexpected error: %s", err);

	/* Recursion is bounded. */
	write_file(f->dir, "z/inc/deeper.zone", "$INCLUDE deeper.zone\n");
	assert_int_not_equal(zoneload_file(f->st, f->apex, path, 0, &res, err, sizeof(err)), 0);
	if (!strstr(err, "deeper.zone:1: $INCLUDE nested"))
		fail_msg("unexpected error: %s", err);

	/* A missing file names the including file and line. */
	write_file(f->dir, "z/inc/deeper.zone", "\n$INCLUDE nowhere.zone\n");
	assert_int_not_equal(zoneload_file(f->st, f->apex, path, 0, &res, err, sizeof(err)), 0);
	if (!strstr(err, "deeper.zone:2: cannot open $INCLUDE file \"nowhere.zone\""))
		fail_msg("unexpected error: %s", err);

	/* The zone of the first import is still there, unchanged. */
	assert_int_equal(rrset_count(f->st, f->apex), 8);
}

struct bad_zone {
	const char *tail; /* appended after soa_ns (5 lines) */
	const char *want; /* expected substring of the message */
};

static const struct bad_zone bad_zones[] = {
    {"www.example.com. A 192.0.2.1\n", "t.zone:6: owner \"www.example.com.\" is outside"},
    {"a CH A 192.0.2.1\n", "t.zone:6: class CH not supported"},
    {"a 3600 HS TXT x\n", "t.zone:6: class HS"},
    {"@ SOA ns1 hm 43 1 1 1 1\n", "t.zone:6: second SOA"},
    {"a SOA ns1 hm 43 1 1 1 1\n", "t.zone:6: SOA record not at the zone apex"},
    {"a CNAME b\na TXT x\n", "t.zone:7: CNAME and other data"},
    {"a TXT x\n\na CNAME b\n", "t.zone:8: CNAME and other data"},
    {"a CNAME b\na CNAME c\n", "t.zone:7: more than one CNAME"},
    {"h NID 10 0014::ee64\n", "t.zone:6: bad NID RDATA"},
    {"h NID 10 1:2:3:4:5\n", "t.zone:6: bad NID RDATA"},
    {"h NID 10 00014:0:0:0\n", "t.zone:6: bad NID RDATA"},
    {"h NID 65536 0014:4fff:ff20:ee64\n", "t.zone:6: bad NID RDATA"},
    {"h LP 65536 x.\n", "t.zone:6: bad LP RDATA"},
    {"h L32 10 10.1.02.0\n", "t.zone:6: bad L32 RDATA"},
    {"h L32 10 10.1.2\n", "t.zone:6: bad L32 RDATA"},
    {"h L64 10 2001:db8::\n", "t.zone:6: bad L64 RDATA"},
    {"h NID \\# 9 000a00144fffff20ee\n", "t.zone:6: bad NID RDATA"},
    {"h NID \\# 12 000a00144fffff20ee640000\n", "t.zone:6: bad NID RDATA"},
    {"h L32 \\# 4 000a0a01\n", "t.zone:6: bad L32 RDATA"},
    {"h LP \\# 4 000a0100\n", "t.zone:6: bad LP RDATA"},
    {"h LP \\# 5 000a00ffff\n", "t.zone:6: bad LP RDATA"},
    {"h LP 10 h\n", "t.zone:6: LP points at its own owner"},
    {"h LP 20 H.example.ilnp.\n", "t.zone:6: LP points at its own owner"},
    {"h LP \\# 18 000a01680765 78616d706c6504696c6e7000\n", "t.zone:6: LP points at its own owner"},
    {"h FOO 1\n", "t.zone:6: unknown type \"FOO\""},
    {"h IN ANY 1\n", "t.zone:6: type ANY cannot appear"},
    {"h OPT 1\n", "t.zone:6: type OPT cannot appear"},
    {"h NID \\# 10 000a00144fffff20ee6\n", "t.zone:6: \\# RDATA has 9.5 octets"},
    {"h TYPE65280 \\# 2 abcdef\n", "t.zone:6: \\# RDATA longer than its length 2"},
    {"h A 192.0.2.256\n", "t.zone:6: bad A address"},
    {"h A 192.0.2.1 192.0.2.2\n", "t.zone:6: bad A address"},
    {"h AAAA 2001:db8::g\n", "t.zone:6: bad AAAA address"},
    {"h MX x\n", "t.zone:6: bad MX RDATA"},
    {"h 99999999999 A 192.0.2.1\n", "t.zone:6: bad TTL"},
    {"h 1h30 A 192.0.2.1\n", "t.zone:6: bad TTL"},
    {"h A\n", "t.zone:6: A record without RDATA"},
    {"h\n", "t.zone:6: missing type"},
    {"h TXT ( a\nb\n", "t.zone:6: unbalanced \"(\""},
    {"\n\nh TXT a )\n", "t.zone:8: unbalanced \")\""},
    {"h TXT \"abc\n", "t.zone:6: unterminated quoted string"},
    {"$GENERATE 1-3 h$ A 192.0.2.$\n", "t.zone:6: unsupported directive \"$GENERATE\""},
    {"$TTL -1\n", "t.zone:6: $TTL takes one TTL value"},
    {"$ORIGIN\n", "t.zone:6: $ORIGIN takes one name"},
    {"$INCLUDE /nonexistent/x.zone\n", "t.zone:6: cannot open $INCLUDE file"},
    {"a..b A 192.0.2.1\n", "t.zone:6: bad owner name"},
};

static void test_errors(void **state)
{
	struct fixture *f = *state;
	struct zoneload_result res;
	char err[512];

	for (size_t i = 0; i < sizeof(bad_zones) / sizeof(bad_zones[0]); i++) {
		char *text = zone_with(bad_zones[i].tail);
		int rc = load_text(f->st, f->apex, text, 0, &res, err, sizeof(err));
		free(text);
		if (rc >= 0)
			fail_msg("case %zu accepted: %s", i, bad_zones[i].tail);
		if (!strstr(err, bad_zones[i].want))
			fail_msg("case %zu: got \"%s\", want \"%s\"", i, err, bad_zones[i].want);
		assert_int_equal(res.records, 0);
	}

	/* Errors that concern the file as a whole, or the first lines. */
	assert_true(
	    load_text(f->st, f->apex, "$TTL 1\na A 192.0.2.1\n", 0, &res, err, sizeof(err)) < 0);
	assert_string_equal(err, "t.zone: no SOA record at the zone apex");
	assert_true(load_text(f->st, f->apex, " A 192.0.2.1\n", 0, &res, err, sizeof(err)) < 0);
	assert_non_null(strstr(err, "t.zone:1: record with a blank owner but no previous owner"));
	assert_true(load_text(f->st, f->apex, "@ SOA a b 1 2 3 4 5\n", 0, &res, err, sizeof(err)) <
	            0);
	assert_non_null(strstr(err, "t.zone:1: no TTL given"));
	/* A zone never existed: still absent after all these failures. */
	struct store_txn *t;
	struct store_zone z;
	assert_int_equal(store_txn_begin(f->st, false, &t), 0);
	assert_int_equal(store_zone_get(t, f->apex, &z), ILNPDNS_ENOENT);
	store_txn_abort(t);
}

static void test_failed_import_keeps_zone(void **state)
{
	struct fixture *f = *state;
	struct zoneload_result res;
	char err[512];

	char *good = zone_with("h NID 10 0014:4fff:ff20:ee64\n");
	assert_int_equal(load_text(f->st, f->apex, good, 0, &res, err, sizeof(err)), 0);
	free(good);
	assert_int_equal(rrset_count(f->st, f->apex), 4);

	/* Valid content first, then an error on the last line. */
	const char *bad = "$ORIGIN example.ilnp.\n$TTL 60\n"
	                  "@ SOA ns1 hostmaster 99 7200 3600 1209600 300\n"
	                  "new A 192.0.2.99\n"
	                  "h NID 10 0014:4fff:ff20:ee6x\n";
	assert_true(load_text(f->st, f->apex, bad, 0, &res, err, sizeof(err)) < 0);
	assert_non_null(strstr(err, "t.zone:5:"));
	assert_int_equal(serial_of(f->st, f->apex), 42);
	assert_int_equal(rrset_count(f->st, f->apex), 4);
	assert_int_equal(get(f->st, f->apex, "new.example.ilnp.", ILNPDNS_T_A, NULL, NULL, NULL),
	                 0);
	assert_int_equal(get(f->st, f->apex, "h.example.ilnp.", ILNPDNS_T_NID, NULL, NULL, NULL),
	                 1);
	/* A content check failing after parsing (CNAME clash) aborts too. */
	char *clash = zone_with("new A 192.0.2.99\nnew CNAME h\n");
	assert_true(load_text(f->st, f->apex, clash, 0, &res, err, sizeof(err)) < 0);
	free(clash);
	assert_int_equal(rrset_count(f->st, f->apex), 4);
	assert_int_equal(get(f->st, f->apex, "new.example.ilnp.", ILNPDNS_T_A, NULL, NULL, NULL),
	                 0);
}

static void test_reimport_replaces(void **state)
{
	struct fixture *f = *state;
	struct zoneload_result res;
	char err[512];

	char *one = zone_with("old A 192.0.2.1\nold TXT x\n");
	assert_int_equal(load_text(f->st, f->apex, one, 0, &res, err, sizeof(err)), 0);
	free(one);
	const char *two = "$ORIGIN example.ilnp.\n$TTL 60\n"
	                  "@ SOA ns1 hostmaster 43 7200 3600 1209600 300\n"
	                  "new L64 10 1:2:3:4\n";
	assert_int_equal(
	    load_text(f->st, f->apex, two, STORE_ILNP_TTL_KEEP, &res, err, sizeof(err)), 0);
	assert_int_equal(res.serial, 43);
	assert_int_equal(serial_of(f->st, f->apex), 43);
	assert_int_equal(rrset_count(f->st, f->apex), 2);
	assert_int_equal(get(f->st, f->apex, "old.example.ilnp.", ILNPDNS_T_A, NULL, NULL, NULL),
	                 0);
	assert_int_equal(get(f->st, f->apex, "example.ilnp.", ILNPDNS_T_NS, NULL, NULL, NULL), 0);
	assert_int_equal(get(f->st, f->apex, "new.example.ilnp.", ILNPDNS_T_L64, NULL, NULL, NULL),
	                 1);
	struct store_txn *t;
	struct store_zone z;
	assert_int_equal(store_txn_begin(f->st, false, &t), 0);
	assert_int_equal(store_zone_get(t, f->apex, &z), 0);
	assert_int_equal(z.ilnp_ttl, STORE_ILNP_TTL_KEEP);
	store_txn_abort(t);
}

static void test_warnings_and_duplicates(void **state)
{
	struct fixture *f = *state;
	struct zoneload_result res;
	char err[512];

	char *text = zone_with("h LP 10 other\n"
	                       "h TYPE107 \\# 5 000a016800\n" /* LP 10 h. : not self */
	                       "h 60 L64 10 1:2:3:4\n"
	                       "h 30 L64 20 1:2:3:5\n"
	                       "h 90 L64 10 0001:0002:0003:0004\n" /* duplicate */
	                       "d TXT same\n"
	                       "d TXT same\n");
	assert_int_equal(load_text(f->st, f->apex, text, 0, &res, err, sizeof(err)), 0);
	free(text);
	/* One RRset with differing TTLs. */
	assert_int_equal(res.warnings, 1);
	assert_int_equal(res.records, 2 + 3 + 2 + 1);
	uint32_t ttl;
	assert_int_equal(get(f->st, f->apex, "h.example.ilnp.", ILNPDNS_T_LP, NULL, NULL, NULL), 2);
	assert_int_equal(get(f->st, f->apex, "h.example.ilnp.", ILNPDNS_T_L64, &ttl, NULL, NULL),
	                 2);
	assert_int_equal(ttl, 30); /* RFC 2181 5.2: the lowest */
	assert_int_equal(get(f->st, f->apex, "d.example.ilnp.", ILNPDNS_T_TXT, NULL, NULL, NULL),
	                 1);
}

static void test_example_zone(void **state)
{
	struct fixture *f = *state;
	struct zoneload_result res;
	char err[512];

	/* From another directory: the $INCLUDE path must still resolve. */
	assert_int_equal(zoneload_file(f->st, f->apex, ZONES_DIR "/example.ilnp.zone", 0, &res, err,
	                               sizeof(err)),
	                 0);
	assert_int_equal(res.serial, 2024060101u);
	assert_int_equal(res.warnings, 0);
	uint32_t ttl;
	uint8_t rd[4096];
	size_t rdl;
	assert_int_equal(get(f->st, f->apex, "example.ilnp.", ILNPDNS_T_SOA, &ttl, rd, &rdl), 1);
	assert_int_equal(ttl, 3600);
	assert_int_equal(ilnpdns_get32(rd + rdl - 4), 300);
	assert_int_equal(
	    get(f->st, f->apex, "host3.example.ilnp.", ILNPDNS_T_AAAA, &ttl, NULL, NULL), 1);
	assert_int_equal(ttl, 0); /* $TTL 0 in the included file */
	assert_int_equal(
	    get(f->st, f->apex, "after-include.example.ilnp.", ILNPDNS_T_TXT, &ttl, NULL, NULL), 1);
	assert_int_equal(ttl, 3600);
	assert_int_equal(get(f->st, f->apex, "big.example.ilnp.", ILNPDNS_T_AAAA, NULL, NULL, NULL),
	                 40);
	assert_int_equal(
	    get(f->st, f->apex, "host1.example.ilnp.", ILNPDNS_T_L64, NULL, NULL, NULL), 3);
	assert_int_equal(
	    get(f->st, f->apex, "*.mobile.example.ilnp.", ILNPDNS_T_NID, NULL, NULL, NULL), 1);

	struct store_txn *t;
	struct store_zone z;
	uint8_t w[256], key[ILNPDNS_DNAME_KEYMAX];
	assert_int_equal(store_txn_begin(f->st, false, &t), 0);
	assert_int_equal(store_zone_get(t, f->apex, &z), 0);
	assert_true(ilnpdns_dname_from_str("ent.example.ilnp.", w) > 0);
	assert_int_equal(store_name_state(t, &z, key, store_owner_key(&z, w, key)), STORE_NAME_ENT);
	assert_true(ilnpdns_dname_from_str("MIXED.case.example.ilnp.", w) > 0);
	assert_int_equal(store_name_state(t, &z, key, store_owner_key(&z, w, key)),
	                 STORE_NAME_DATA);
	store_txn_abort(t);
}

/* Hex text to octets (test vectors). */
static size_t unhex(const char *h, uint8_t *out)
{
	size_t n = 0;
	for (; h[0] && h[1]; h += 2) {
		unsigned v;
		assert_int_equal(sscanf(h, "%2x", &v), 1);
		out[n++] = (uint8_t)v;
	}
	return n;
}

struct type_vector {
	const char *owner, *text; /* a line of the zone, and its owner */
	uint16_t type;
	const char *hex; /* RDATA, worked out by hand from the type's RFC */
};

/* Common types with their wire form from the defining RFCs (not from ldns). */
static const struct type_vector type_vectors[] = {
    {"t1", "t1 L32 10 10.1.2.0", ILNPDNS_T_L32, "000a0a010200"},
    {"t1", "t1 L64 20 2001:0DB8:2140:2000", ILNPDNS_T_L64, "001420010db821402000"},
    {"t1", "t1 PTR host1", 12, "05686f737431076578616d706c650469 6c6e7000"},
    {"t1", "t1 HINFO \"PDP-11/73\" UNIX", 13, "095044502d31312f373304554e4958"},
    {"t1", "t1 RP hm.example.ilnp. .", 17, "02686d076578616d706c650469 6c6e7000 00"},
    {"_sip._udp", "_sip._udp SRV 10 60 5060 sip", 33,
     "000a003c13c4 03736970 076578616d706c65 0469 6c6e70 00"},
    {"t2", "t2 NAPTR 100 10 \"U\" \"E2U+sip\" \"!^.*$!sip:i@x!\" .", 35,
     "0064000a 0155 074532552b736970 0e215e2e2a2421 7369703a694078 21 00"},
    {"t3", "t3 DS 60485 5 1 2BB183AF5F22588179A53B0A98631FAD1A292118", 43,
     "ec450501 2bb183af5f22588179a53b0a98631fad1a292118"},
    {"t3", "t3 SSHFP 4 2 123456789abcdef67890123456789abcdef67890123456789abcdef123456789", 44,
     "0402 123456789abcdef67890123456789abcdef67890123456789abcdef123456789"},
    {"t3", "t3 DNSKEY 257 3 13 AwEAAQ==", 48, "0101030d 03010001"},
    {"t3", "t3 NSEC3PARAM 1 0 10 aabb", 51, "0100000a 02aabb"},
    {"_443._tcp", "_443._tcp TLSA 3 1 1 0123456789ABCDEF", 52, "030101 0123456789abcdef"},
    {"t4", "t4 URI 10 1 \"https://x/\"", 256, "000a0001 68747470733a2f2f782f"},
    {"t4", "t4 CAA 0 issue \"ca.example.net\"", 257,
     "0005 6973737565 63612e6578616d706c652e6e6574"},
    {"t4", "t4 EUI48 00-00-5e-00-53-2a", 108, "00005e00532a"},
    {"t5", "t5 DNAME example.ilnp.", 39, "076578616d706c650469 6c6e7000"},
    {"t6", "t6 A \\# 4 c0000207", ILNPDNS_T_A, "c0000207"},
    {"t6", "t6 TYPE65534 \\# 2 ( ab\n cd )", 65534, "abcd"},
};

static void test_common_types(void **state)
{
	struct fixture *f = *state;
	struct zoneload_result res;
	char err[512], *text = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&text, &len);
	assert_non_null(m);
	fputs(soa_ns, m);
	for (size_t i = 0; i < sizeof(type_vectors) / sizeof(type_vectors[0]); i++)
		fprintf(m, "%s\n", type_vectors[i].text);
	assert_int_equal(fclose(m), 0);
	if (load_text(f->st, f->apex, text, 0, &res, err, sizeof(err)) != 0)
		fail_msg("import failed: %s", err);
	free(text);

	for (size_t i = 0; i < sizeof(type_vectors) / sizeof(type_vectors[0]); i++) {
		const struct type_vector *v = &type_vectors[i];
		char owner[128], hex[256];
		uint8_t want[128], got[512];
		size_t o = 0, gl = 0;
		/* Blanks in the vectors are for reading only. */
		for (const char *h = v->hex; *h; h++)
			if (*h != ' ')
				hex[o++] = *h;
		hex[o] = '\0';
		size_t wl = unhex(hex, want);
		snprintf(owner, sizeof(owner), "%s.example.ilnp.", v->owner);
		if (get(f->st, f->apex, owner, v->type, NULL, got, &gl) != 1)
			fail_msg("\"%s\": no RRset of type %u", v->text, v->type);
		if (gl != 2 + wl || memcmp(got + 2, want, wl) != 0) {
			char g[1100];
			for (size_t k = 2; k < gl && k < 500; k++)
				sprintf(g + 2 * (k - 2), "%02x", got[k]);
			fail_msg("\"%s\": RDATA %s, want %s", v->text, g, hex);
		}
	}
}

/* ---- dumps ---- */

struct walk {
	const uint8_t **keys;
	size_t *keylens;
	struct store_rrset *sets;
	size_t n;
};

static int collect(const uint8_t *key, size_t keylen, const struct store_rrset *rs, void *arg)
{
	struct walk *w = arg;
	w->keys = realloc(w->keys, (w->n + 1) * sizeof(*w->keys));
	w->keylens = realloc(w->keylens, (w->n + 1) * sizeof(*w->keylens));
	w->sets = realloc(w->sets, (w->n + 1) * sizeof(*w->sets));
	w->keys[w->n] = key;
	w->keylens[w->n] = keylen;
	w->sets[w->n++] = *rs;
	return 0;
}

static void walk_free(struct walk *w)
{
	free(w->keys);
	free(w->keylens);
	free(w->sets);
}

static char *dump(struct store *st, const uint8_t *apex, size_t *len)
{
	struct store_txn *t;
	struct store_zone z;
	char *buf = NULL;
	FILE *out = open_memstream(&buf, len);
	assert_non_null(out);
	assert_int_equal(store_txn_begin(st, false, &t), 0);
	assert_int_equal(store_zone_get(t, apex, &z), 0);
	assert_int_equal(zonedump_write(t, &z, out), 0);
	store_txn_abort(t);
	assert_int_equal(fclose(out), 0);
	return buf;
}

static void test_dump_roundtrip(void **state)
{
	struct fixture *f = *state;
	struct zoneload_result res, res2;
	char err[512];

	assert_int_equal(zoneload_file(f->st, f->apex, ZONES_DIR "/example.ilnp.zone",
	                               STORE_ILNP_TTL_KEEP, &res, err, sizeof(err)),
	                 0);
	/* Add what the example lacks: an unknown type and odd TXT octets. */
	size_t len;
	char *text = dump(f->st, f->apex, &len);
	assert_int_equal(strncmp(text, "example.ilnp.\t3600\tIN\tSOA\t", 26), 0);
	assert_null(strstr(text, "$ORIGIN"));
	assert_non_null(
	    strstr(text, "host1.example.ilnp.\t3600\tIN\tL64\t30 2001:0db8:3140:3000\n"));
	assert_non_null(
	    strstr(text, "mn.example.ilnp.\t3600\tIN\tLP\t20 l64-SUBNET1.example.ilnp.\n"));

	FILE *in = fmemopen(text, len, "r");
	assert_int_equal(zoneload_stream(f->st2, f->apex, in, "dump", STORE_ILNP_TTL_KEEP, &res2,
	                                 err, sizeof(err)),
	                 0);
	fclose(in);
	assert_int_equal(res2.records, res.records);
	assert_int_equal(res2.rrsets, res.rrsets);
	assert_int_equal(res2.serial, res.serial);

	/* Same RRsets, same TTLs, same RDATA octets, same order. */
	struct store_txn *t1, *t2;
	struct store_zone z1, z2;
	struct walk w1 = {0}, w2 = {0};
	assert_int_equal(store_txn_begin(f->st, false, &t1), 0);
	assert_int_equal(store_txn_begin(f->st2, false, &t2), 0);
	assert_int_equal(store_zone_get(t1, f->apex, &z1), 0);
	assert_int_equal(store_zone_get(t2, f->apex, &z2), 0);
	assert_int_equal(store_zone_foreach_rrset(t1, &z1, collect, &w1), 0);
	assert_int_equal(store_zone_foreach_rrset(t2, &z2, collect, &w2), 0);
	assert_int_equal(w1.n, w2.n);
	assert_int_equal(w1.n, res.rrsets);
	for (size_t i = 0; i < w1.n; i++) {
		assert_int_equal(w1.keylens[i], w2.keylens[i]);
		assert_memory_equal(w1.keys[i], w2.keys[i], w1.keylens[i]);
		assert_int_equal(w1.sets[i].type, w2.sets[i].type);
		assert_int_equal(w1.sets[i].ttl, w2.sets[i].ttl);
		assert_int_equal(w1.sets[i].count, w2.sets[i].count);
		assert_int_equal(w1.sets[i].rdata_len, w2.sets[i].rdata_len);
		assert_memory_equal(w1.sets[i].rdata, w2.sets[i].rdata, w1.sets[i].rdata_len);
	}
	walk_free(&w1);
	walk_free(&w2);
	store_txn_abort(t1);
	store_txn_abort(t2);
	free(text);
}

static void test_dump_effective_ttl_and_generic(void **state)
{
	struct fixture *f = *state;
	struct zoneload_result res;
	char err[512];

	char *zone = zone_with("h 3600 NID 10 14:4fff:ff20:ee64\n"
	                       "h 3600 AAAA 2001:db8::1\n"
	                       "h TYPE65280 \\# 3 abcdef\n"
	                       "h TYPE65281 \\# 0\n"
	                       "t TXT \"semi;colon\" \"quote\\\"d\" \"\\255\"\n");
	assert_int_equal(load_text(f->st, f->apex, zone, 0, &res, err, sizeof(err)), 0);
	free(zone);
	size_t len;
	char *text = dump(f->st, f->apex, &len);
	/* ILNP types take the zone's effective TTL (0); others keep theirs. */
	assert_non_null(strstr(text, "h.example.ilnp.\t0\tIN\tNID\t10 0014:4fff:ff20:ee64\n"));
	assert_non_null(strstr(text, "h.example.ilnp.\t3600\tIN\tAAAA\t2001:db8::1\n"));
	assert_non_null(strstr(text, "h.example.ilnp.\t3600\tIN\tTYPE65280\t\\# 3 abcdef\n"));
	assert_non_null(strstr(text, "h.example.ilnp.\t3600\tIN\tTYPE65281\t\\# 0\n"));

	/* The dump reloads into the same octets. */
	FILE *in = fmemopen(text, len, "r");
	assert_int_equal(zoneload_stream(f->st2, f->apex, in, "dump", 0, &res, err, sizeof(err)),
	                 0);
	fclose(in);
	uint8_t a[512], b[512];
	size_t al, bl;
	assert_int_equal(get(f->st, f->apex, "t.example.ilnp.", ILNPDNS_T_TXT, NULL, a, &al), 1);
	assert_int_equal(get(f->st2, f->apex, "t.example.ilnp.", ILNPDNS_T_TXT, NULL, b, &bl), 1);
	assert_int_equal(al, bl);
	assert_memory_equal(a, b, al);
	free(text);
}

/* The dump of the example zone passes BIND's, NSD's and Knot's checkers. */
static void test_dump_checkers(void **state)
{
	struct fixture *f = *state;
	struct zoneload_result res;
	char err[512], path[128], cmd[512];

	assert_int_equal(zoneload_file(f->st, f->apex, ZONES_DIR "/example.ilnp.zone", 0, &res, err,
	                               sizeof(err)),
	                 0);
	size_t len;
	char *text = dump(f->st, f->apex, &len);
	snprintf(path, sizeof(path), "%s/dump.zone", f->dir);
	write_file(f->dir, "dump.zone", text);
	free(text);

	const char *checks[] = {
	    "named-checkzone -q -k fail -i local example.ilnp %s",
	    "nsd-checkzone example.ilnp. %s >/dev/null",
	    "kzonecheck -o example.ilnp. %s >/dev/null",
	};
	for (size_t i = 0; i < sizeof(checks) / sizeof(checks[0]); i++) {
		snprintf(cmd, sizeof(cmd), checks[i], path);
		if (system(cmd) != 0)
			fail_msg("rejected by: %s", cmd);
	}
	/* And the checkers do reject a broken file, so the test can fail. */
	write_file(f->dir, "dump.zone", "example.ilnp. 0 IN NID 10 1::2\n");
	snprintf(cmd, sizeof(cmd), "nsd-checkzone example.ilnp. %s >/dev/null 2>&1", path);
	assert_int_not_equal(system(cmd), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_syntax, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_common_types, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_include, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_errors, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_failed_import_keeps_zone, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_reimport_replaces, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_warnings_and_duplicates, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_example_zone, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_dump_roundtrip, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_dump_effective_ttl_and_generic, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_dump_checkers, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
