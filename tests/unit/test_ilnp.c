/* SPDX-License-Identifier: BSD-2-Clause */
/* test_ilnp.c -- RFC 6742 RDATA helpers against the PROTOCOLS.md 1.3 vectors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ilnpdns/dname.h"
#include "ilnpdns/error.h"
#include "ilnpdns/ilnp.h"
#include "ilnpdns/wire.h"

static size_t unhex(const char *hex, uint8_t *out)
{
	size_t n = 0;
	for (; hex[0] && hex[1]; hex += 2) {
		unsigned v;
		assert_int_equal(sscanf(hex, "%2x", &v), 1);
		out[n++] = (uint8_t)v;
	}
	return n;
}

static void name(const char *s, uint8_t *w)
{
	assert_true(ilnpdns_dname_from_str(s, w) > 0);
}

struct vector {
	uint16_t type;
	const char *text;
	const char *hex;
	const char *canonical; /* printed form */
};

/* PROTOCOLS.md 1.3: the RFC 6742 examples (L32 without the RFC's leading zeros). */
static const struct vector good[] = {
    {ILNPDNS_T_NID, "10 0014:4fff:ff20:ee64", "000a00144fffff20ee64", "10 0014:4fff:ff20:ee64"},
    {ILNPDNS_T_NID, "20 0015:5fff:ff21:ee65", "001400155fffff21ee65", "20 0015:5fff:ff21:ee65"},
    {ILNPDNS_T_NID, "10 0016:6fff:ff22:ee66", "000a00166fffff22ee66", "10 0016:6fff:ff22:ee66"},
    {ILNPDNS_T_L32, "10 10.1.2.0", "000a0a010200", "10 10.1.2.0"},
    {ILNPDNS_T_L32, "20 10.1.4.0", "00140a010400", "20 10.1.4.0"},
    {ILNPDNS_T_L32, "10 10.1.8.0", "000a0a010800", "10 10.1.8.0"},
    {ILNPDNS_T_L64, "10 2001:0DB8:1140:1000", "000a20010db811401000", "10 2001:0db8:1140:1000"},
    {ILNPDNS_T_L64, "20 2001:0DB8:2140:2000", "001420010db821402000", "20 2001:0db8:2140:2000"},
    {ILNPDNS_T_L64, "10 2001:0DB8:4140:4000", "000a20010db841404000", "10 2001:0db8:4140:4000"},
    {ILNPDNS_T_L64, "10 2001:0DB8:8140:8000", "000a20010db881408000", "10 2001:0db8:8140:8000"},
    {ILNPDNS_T_LP, "10 l64-subnet1.example.com.",
     "000a0b6c36342d7375626e657431076578616d706c6503636f6d00", "10 l64-subnet1.example.com."},
    {ILNPDNS_T_LP, "10 l64-subnet2.example.com.",
     "000a0b6c36342d7375626e657432076578616d706c6503636f6d00", "10 l64-subnet2.example.com."},
    {ILNPDNS_T_LP, "20 l32-subnet1.example.com.",
     "00140b6c33322d7375626e657431076578616d706c6503636f6d00", "20 l32-subnet1.example.com."},
    /* Accepted variants: short groups, blanks, extreme preferences. */
    {ILNPDNS_T_NID, "10 14:4fff:ff20:ee64", "000a00144fffff20ee64", "10 0014:4fff:ff20:ee64"},
    {ILNPDNS_T_L64, "  0\t0:0:0:0 ", "00000000000000000000", "0 0000:0000:0000:0000"},
    {ILNPDNS_T_L64, "65535 FFFF:ffff:FfFf:fFfF", "ffffffffffffffffffff",
     "65535 ffff:ffff:ffff:ffff"},
    {ILNPDNS_T_L32, "1 0.0.0.0", "000100000000", "1 0.0.0.0"},
    {ILNPDNS_T_L32, "1 255.255.255.255", "0001ffffffff", "1 255.255.255.255"},
    {ILNPDNS_T_LP, "5 .", "000500", "5 ."},
};

static void test_good_vectors(void **state)
{
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		uint8_t out[ILNPDNS_ILNP_RDATA_MAX], want[ILNPDNS_ILNP_RDATA_MAX];
		unsigned flags = 99;
		const char *why = NULL;
		size_t wl = unhex(good[i].hex, want);
		int n = ilnpdns_ilnp_rdata_from_str(good[i].type, good[i].text, NULL, NULL, out,
		                                    &flags, &why);
		if (n != (int)wl)
			fail_msg("vector %zu \"%s\": got %d (%s), want %zu", i, good[i].text, n,
			         why ? why : "-", wl);
		assert_memory_equal(out, want, wl);
		assert_int_equal(flags, 0);
		assert_int_equal(ilnpdns_ilnp_rdata_check(good[i].type, out, wl), 0);
		char buf[ILNPDNS_ILNP_STR_MAX];
		int m = ilnpdns_ilnp_rdata_to_str(good[i].type, out, wl, buf, sizeof(buf));
		assert_int_equal(m, (int)strlen(good[i].canonical));
		assert_string_equal(buf, good[i].canonical);
	}
}

struct bad {
	uint16_t type;
	const char *text;
};

static const struct bad bad[] = {
    {ILNPDNS_T_NID, "10 0014::ee64"},
    {ILNPDNS_T_NID, "10 1:2:3:4:5"},
    {ILNPDNS_T_NID, "10 00014:0:0:0"},
    {ILNPDNS_T_NID, "65536 0014:4fff:ff20:ee64"},
    {ILNPDNS_T_NID, "-1 0014:4fff:ff20:ee64"},
    {ILNPDNS_T_NID, "+1 0014:4fff:ff20:ee64"},
    {ILNPDNS_T_NID, "0x10 0014:4fff:ff20:ee64"},
    {ILNPDNS_T_NID, "10 0014:4fff:ff20"},
    {ILNPDNS_T_NID, "10 0014:4fff:ff20:ee64:"},
    {ILNPDNS_T_NID, "10 :0014:4fff:ff20:ee64"},
    {ILNPDNS_T_NID, "10 0014:4fff:ff20:ee6g"},
    {ILNPDNS_T_NID, "10 0014:4fff:-f20:ee64"},
    {ILNPDNS_T_NID, "10 ::"},
    {ILNPDNS_T_NID, "10"},
    {ILNPDNS_T_NID, ""},
    {ILNPDNS_T_NID, "10 0014:4fff:ff20:ee64 extra"},
    {ILNPDNS_T_L64, "10 2001:db8::"},
    {ILNPDNS_T_L64, "99999999999 2001:0db8:1140:1000"},
    {ILNPDNS_T_L32, "10 10.1.02.0"},
    {ILNPDNS_T_L32, "10 10.1.2"},
    {ILNPDNS_T_L32, "10 10.1.2.256"},
    {ILNPDNS_T_L32, "10 10.1.2.0.1"},
    {ILNPDNS_T_L32, "10 10.1..0"},
    {ILNPDNS_T_L32, "10 010.1.2.0"},
    {ILNPDNS_T_L32, "10 10.1.2.0x"},
    {ILNPDNS_T_L32, "65536 10.1.2.0"},
    {ILNPDNS_T_LP, "65536 x."},
    {ILNPDNS_T_LP, "10"},
    {ILNPDNS_T_LP, "10 a..b."},
    {ILNPDNS_T_LP, "10 a b"},
};

static void test_bad_vectors(void **state)
{
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		uint8_t out[ILNPDNS_ILNP_RDATA_MAX];
		const char *why = NULL;
		int n = ilnpdns_ilnp_rdata_from_str(bad[i].type, bad[i].text, NULL, NULL, out, NULL,
		                                    &why);
		if (n >= 0)
			fail_msg("bad vector %zu \"%s\" accepted", i, bad[i].text);
		assert_true(n == ILNPDNS_ERDATA || n == ILNPDNS_ENAME);
		assert_non_null(why);
	}
	uint8_t out[ILNPDNS_ILNP_RDATA_MAX];
	assert_int_equal(
	    ilnpdns_ilnp_rdata_from_str(ILNPDNS_T_AAAA, "10 1:2:3:4", NULL, NULL, out, NULL, NULL),
	    ILNPDNS_EINVAL);
}

static void test_lp_relative_and_self(void **state)
{
	uint8_t origin[256], owner[256], out[ILNPDNS_ILNP_RDATA_MAX], want[256];
	unsigned flags;
	name("example.com.", origin);
	name("host1.example.com.", owner);

	/* Relative name takes the origin; "@" is the origin. */
	int n = ilnpdns_ilnp_rdata_from_str(ILNPDNS_T_LP, "10 l64-subnet1", owner, origin, out,
	                                    &flags, NULL);
	assert_int_equal(n, 27);
	assert_int_equal(flags, 0);
	name("l64-subnet1.example.com.", want);
	assert_memory_equal(out + 2, want, 25);
	n = ilnpdns_ilnp_rdata_from_str(ILNPDNS_T_LP, "7 @", owner, origin, out, &flags, NULL);
	assert_int_equal(n, 2 + 13);
	assert_memory_equal(out + 2, origin, 13);

	/* Self-pointer: parsed, flagged, case-insensitive, relative or not. */
	n = ilnpdns_ilnp_rdata_from_str(ILNPDNS_T_LP, "10 HOST1", owner, origin, out, &flags, NULL);
	assert_true(n > 0);
	assert_int_equal(flags, ILNPDNS_ILNP_LP_SELF);
	assert_true(ilnpdns_ilnp_lp_is_self(owner, out, (size_t)n));
	n = ilnpdns_ilnp_rdata_from_str(ILNPDNS_T_LP, "10 host1.example.com.", owner, NULL, out,
	                                &flags, NULL);
	assert_int_equal(flags, ILNPDNS_ILNP_LP_SELF);
	/* Case of the target is kept (LP is not in RFC 4034 6.2). */
	n = ilnpdns_ilnp_rdata_from_str(ILNPDNS_T_LP, "10 L64-Subnet1", owner, origin, out, &flags,
	                                NULL);
	assert_int_equal(flags, 0);
	assert_false(ilnpdns_ilnp_lp_is_self(owner, out, (size_t)n));
	assert_memory_equal(out + 3, "L64-Subnet1", 11);
	/* An escaped blank stays inside the name. */
	n = ilnpdns_ilnp_rdata_from_str(ILNPDNS_T_LP, "10 a\\ b.", NULL, NULL, out, NULL, NULL);
	assert_int_equal(n, 2 + 5);
	assert_memory_equal(out + 2, "\3a b\0", 5);
	/* Escaped final dot is not absolute. */
	n = ilnpdns_ilnp_rdata_from_str(ILNPDNS_T_LP, "10 a\\.", NULL, origin, out, NULL, NULL);
	assert_int_equal(n, 2 + 3 + 13);
}

static void test_wire_check(void **state)
{
	uint8_t rd[300];
	size_t n = unhex("000a00144fffff20ee64ff", rd);
	assert_int_equal(ilnpdns_ilnp_rdata_check(ILNPDNS_T_NID, rd, 10), 0);
	assert_int_equal(ilnpdns_ilnp_rdata_check(ILNPDNS_T_NID, rd, 9), ILNPDNS_EMALF);
	assert_int_equal(ilnpdns_ilnp_rdata_check(ILNPDNS_T_NID, rd, n), ILNPDNS_EMALF);
	assert_int_equal(ilnpdns_ilnp_rdata_check(ILNPDNS_T_L64, rd, 10), 0);
	assert_int_equal(ilnpdns_ilnp_rdata_check(ILNPDNS_T_L64, rd, 11), ILNPDNS_EMALF);
	assert_int_equal(ilnpdns_ilnp_rdata_check(ILNPDNS_T_L32, rd, 6), 0);
	assert_int_equal(ilnpdns_ilnp_rdata_check(ILNPDNS_T_L32, rd, 5), ILNPDNS_EMALF);
	assert_int_equal(ilnpdns_ilnp_rdata_check(ILNPDNS_T_L32, rd, 7), ILNPDNS_EMALF);
	assert_int_equal(ilnpdns_ilnp_rdata_check(ILNPDNS_T_A, rd, 4), ILNPDNS_EINVAL);

	n = unhex("000a0b6c36342d7375626e657431076578616d706c6503636f6d00", rd);
	assert_int_equal(n, 27);
	assert_int_equal(ilnpdns_ilnp_rdata_check(ILNPDNS_T_LP, rd, n), 0);
	/* The name overruns RDLENGTH, or RDLENGTH has octets after the name. */
	assert_int_equal(ilnpdns_ilnp_rdata_check(ILNPDNS_T_LP, rd, n - 1), ILNPDNS_EMALF);
	rd[n] = 0;
	assert_int_equal(ilnpdns_ilnp_rdata_check(ILNPDNS_T_LP, rd, n + 1), ILNPDNS_EMALF);
	assert_int_equal(ilnpdns_ilnp_rdata_check(ILNPDNS_T_LP, rd, 2), ILNPDNS_EMALF);
	/* A compression pointer never appears in stored RDATA. */
	unhex("000ac00c", rd);
	assert_int_equal(ilnpdns_ilnp_rdata_check(ILNPDNS_T_LP, rd, 4), ILNPDNS_EMALF);

	char buf[ILNPDNS_ILNP_STR_MAX];
	unhex("000a00144fffff20ee64", rd);
	assert_int_equal(ilnpdns_ilnp_rdata_to_str(ILNPDNS_T_NID, rd, 9, buf, sizeof(buf)),
	                 ILNPDNS_EMALF);
	assert_int_equal(ilnpdns_ilnp_rdata_to_str(ILNPDNS_T_NID, rd, 10, buf, 10), ILNPDNS_ETRUNC);
	assert_int_equal(ilnpdns_ilnp_rdata_to_str(ILNPDNS_T_NID, rd, 10, buf, 23), 22);
}

static void test_unpack_from_message(void **state)
{
	/* A fake message: 12-octet header, the name example.com. at 12, then
	 * an LP RDATA at 25 whose name is "l64." + pointer to offset 12. */
	uint8_t pkt[64] = {0}, out[ILNPDNS_ILNP_RDATA_MAX], want[ILNPDNS_ILNP_RDATA_MAX];
	size_t p = 12;
	p += unhex("076578616d706c6503636f6d00", pkt + p);
	size_t rdpos = p;
	p += unhex("000a036c3634c00c", pkt + p);
	uint16_t rdlen = (uint16_t)(p - rdpos);
	int n = ilnpdns_ilnp_rdata_unpack(ILNPDNS_T_LP, pkt, p, rdpos, rdlen, out);
	size_t wl = unhex("000a036c3634076578616d706c6503636f6d00", want);
	assert_int_equal(n, (int)wl);
	assert_memory_equal(out, want, wl);
	assert_int_equal(ilnpdns_ilnp_rdata_check(ILNPDNS_T_LP, out, (size_t)n), 0);
	/* RDLENGTH one short of the pointer: the name overruns it. */
	assert_true(ilnpdns_ilnp_rdata_unpack(ILNPDNS_T_LP, pkt, p, rdpos, rdlen - 1, out) < 0);
	/* RDLENGTH one longer: an octet after the name. */
	assert_int_equal(ilnpdns_ilnp_rdata_unpack(ILNPDNS_T_LP, pkt, p + 1, rdpos, rdlen + 1, out),
	                 ILNPDNS_EMALF);
	/* Fixed-size types: exact length only, and never past the packet. */
	size_t np = rdpos;
	np += unhex("000a00144fffff20ee64", pkt + np);
	assert_int_equal(ilnpdns_ilnp_rdata_unpack(ILNPDNS_T_NID, pkt, np, rdpos, 10, out), 10);
	assert_int_equal(ilnpdns_ilnp_rdata_unpack(ILNPDNS_T_NID, pkt, np, rdpos, 11, out),
	                 ILNPDNS_EMALF);
	assert_int_equal(ilnpdns_ilnp_rdata_unpack(ILNPDNS_T_NID, pkt, np + 2, rdpos, 12, out),
	                 ILNPDNS_EMALF);
	assert_int_equal(ilnpdns_ilnp_rdata_unpack(ILNPDNS_T_L32, pkt, np, rdpos, 6, out), 6);
}

static void test_field_parsers(void **state)
{
	uint16_t pref;
	uint8_t b[8];
	assert_int_equal(ilnpdns_ilnp_pref_from_str("65535", 5, &pref), 0);
	assert_int_equal(pref, 65535);
	assert_int_equal(ilnpdns_ilnp_pref_from_str("655351", 3, &pref), 0);
	assert_int_equal(pref, 655);
	assert_int_equal(ilnpdns_ilnp_pref_from_str("", 0, &pref), ILNPDNS_ERDATA);
	assert_int_equal(ilnpdns_ilnp_loc64_from_str("1:2:3:4xyz", 7, b), 0);
	assert_int_equal(b[7], 4);
	assert_int_equal(ilnpdns_ilnp_loc32_from_str("10.1.2.0", 8, b), 0);
	assert_int_equal(ilnpdns_ilnp_loc32_from_str("10.1.2.00", 9, b), ILNPDNS_ERDATA);
	assert_int_equal(ilnpdns_ilnp_loc32_from_str("1000.1.2.0", 10, b), ILNPDNS_ERDATA);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_good_vectors),         cmocka_unit_test(test_bad_vectors),
	    cmocka_unit_test(test_lp_relative_and_self), cmocka_unit_test(test_wire_check),
	    cmocka_unit_test(test_unpack_from_message),  cmocka_unit_test(test_field_parsers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
