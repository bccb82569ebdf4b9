/* SPDX-License-Identifier: BSD-2-Clause */
/* test_dname.c -- wire names: unpacking, comparison, canonical keys. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ilnpdns/dname.h"
#include "ilnpdns/error.h"

static size_t wire(const char *s, uint8_t *out)
{
	int n = ilnpdns_dname_from_str(s, out);
	assert_true(n > 0);
	return (size_t)n;
}

static void test_from_to_str(void **state)
{
	uint8_t w[ILNPDNS_DNAME_MAXLEN];
	char buf[1024];
	assert_int_equal(wire("www.Example.", w), 13);
	assert_memory_equal(w, "\3www\7Example\0", 13);
	assert_int_equal(ilnpdns_dname_to_str(w, buf, sizeof(buf)), 12);
	assert_string_equal(buf, "www.Example.");
	assert_int_equal(wire(".", w), 1);
	ilnpdns_dname_to_str(w, buf, sizeof(buf));
	assert_string_equal(buf, ".");
	assert_int_equal(wire("a\\.b\\000.c", w), 1 + 4 + 2 + 1);
	ilnpdns_dname_to_str(w, buf, sizeof(buf));
	assert_string_equal(buf, "a\\.b\\000.c.");
	assert_int_equal(ilnpdns_dname_from_str("a..b", w), ILNPDNS_ENAME);
	char longlabel[70];
	memset(longlabel, 'x', 64);
	longlabel[64] = 0;
	assert_int_equal(ilnpdns_dname_from_str(longlabel, w), ILNPDNS_ENAME);
}

static void test_unpack_compression(void **state)
{
	/* header-less packet: "example.com" at 0, "www" + pointer to 0 at 13 */
	const uint8_t pkt[] = {7,   'e', 'x', 'a', 'm', 'p', 'l', 'e',  3,   'c',
	                       'o', 'm', 0,   3,   'w', 'w', 'w', 0xc0, 0x00};
	uint8_t out[ILNPDNS_DNAME_MAXLEN];
	size_t pos = 13;
	assert_int_equal(ilnpdns_dname_unpack(pkt, sizeof(pkt), &pos, out), 17);
	assert_int_equal(pos, sizeof(pkt));
	assert_memory_equal(out, "\3www\7example\3com\0", 17);
}

static void test_unpack_rejects(void **state)
{
	uint8_t out[ILNPDNS_DNAME_MAXLEN];
	size_t pos;
	/* pointer to itself: a loop */
	const uint8_t loop[] = {0xc0, 0x00};
	pos = 0;
	assert_int_equal(ilnpdns_dname_unpack(loop, sizeof(loop), &pos, out), ILNPDNS_EMALF);
	/* forward pointer */
	const uint8_t fwd[] = {0xc0, 0x02, 0};
	pos = 0;
	assert_int_equal(ilnpdns_dname_unpack(fwd, sizeof(fwd), &pos, out), ILNPDNS_EMALF);
	/* label runs past the end */
	const uint8_t trunc[] = {5, 'a', 'b'};
	pos = 0;
	assert_int_equal(ilnpdns_dname_unpack(trunc, sizeof(trunc), &pos, out), ILNPDNS_EMALF);
	/* label type 0x40 */
	const uint8_t ext[] = {0x41, 'a', 0};
	pos = 0;
	assert_int_equal(ilnpdns_dname_unpack(ext, sizeof(ext), &pos, out), ILNPDNS_EMALF);
	/* name longer than 255 octets: 5 labels of 63 */
	uint8_t big[5 * 64 + 1];
	for (int i = 0; i < 5; i++) {
		big[i * 64] = 63;
		memset(big + i * 64 + 1, 'a', 63);
	}
	big[5 * 64] = 0;
	pos = 0;
	assert_int_equal(ilnpdns_dname_unpack(big, sizeof(big), &pos, out), ILNPDNS_ENAME);
	/* no root label */
	const uint8_t noroot[] = {1, 'a'};
	pos = 0;
	assert_int_equal(ilnpdns_dname_unpack(noroot, sizeof(noroot), &pos, out), ILNPDNS_EMALF);
}

static void test_equal_under(void **state)
{
	uint8_t a[256], b[256], c[256];
	wire("WWW.example.COM.", a);
	wire("www.EXAMPLE.com.", b);
	wire("example.com.", c);
	assert_true(ilnpdns_dname_equal(a, b));
	assert_true(ilnpdns_dname_is_under(a, c));
	assert_true(ilnpdns_dname_is_under(c, c));
	assert_false(ilnpdns_dname_is_under(c, a));
	assert_int_equal(ilnpdns_dname_labels(a), 3);
	assert_ptr_equal(ilnpdns_dname_skip(a, 1), a + 4);
}

/* RFC 4034 6.1's example order, shuffled, must sort back into place both by
 * ilnpdns_dname_compare() and by memcmp of lookup keys. */
static const char *canonical[] = {
    "example.",   "a.example.",       "yljkjljk.a.example.", "Z.a.example.",     "zABC.a.EXAMPLE.",
    "z.example.", "\\001.z.example.", "*.z.example.",        "\\200.z.example.",
};

static void test_canonical_order(void **state)
{
	size_t n = sizeof(canonical) / sizeof(canonical[0]);
	for (size_t i = 0; i + 1 < n; i++) {
		uint8_t a[256], b[256], ka[ILNPDNS_DNAME_KEYMAX], kb[ILNPDNS_DNAME_KEYMAX];
		wire(canonical[i], a);
		wire(canonical[i + 1], b);
		assert_true(ilnpdns_dname_compare(a, b) < 0);
		assert_true(ilnpdns_dname_compare(b, a) > 0);
		size_t la = ilnpdns_dname_to_key(a, 0, ka), lb = ilnpdns_dname_to_key(b, 0, kb);
		size_t m = la < lb ? la : lb;
		int d = memcmp(ka, kb, m);
		assert_true(d < 0 || (d == 0 && la < lb));
	}
}

/*
 * The RFC 4034 6.1 list widened at the edges of the key escapes (0x00 and
 * 0x01 octets, a label that is a prefix of its sibling, octets between
 * upper and lower case, 0xff), in canonical order.
 */
static const char *canonical_wide[] = {
    "example.",         "a.example.",      "yljkjljk.a.example.", "Z.a.example.",
    "zABC.a.EXAMPLE.",  "z.example.",      "\\000.z.example.",    "\\001.z.example.",
    "\\002.z.example.", "*.z.example.",    "\\200.z.example.",    "a.\\200.z.example.",
    "z\\000.example.",  "z\\001.example.", "z[.example.",         "ZA.example.",
    "zz.example.",      "\\255.example.",
};

#define NWIDE (sizeof(canonical_wide) / sizeof(canonical_wide[0]))

struct sorted_name {
	uint8_t wire[ILNPDNS_DNAME_MAXLEN];
	uint8_t key[ILNPDNS_DNAME_KEYMAX];
	size_t keylen;
	size_t rank; /* index in canonical_wide */
};

static int by_compare(const void *a, const void *b)
{
	return ilnpdns_dname_compare(((const struct sorted_name *)a)->wire,
	                             ((const struct sorted_name *)b)->wire);
}

static int by_key(const void *a, const void *b)
{
	const struct sorted_name *x = a, *y = b;
	size_t m = x->keylen < y->keylen ? x->keylen : y->keylen;
	int d = memcmp(x->key, y->key, m);
	return d ? d : (x->keylen > y->keylen) - (x->keylen < y->keylen);
}

/* Shuffled many ways, both orders sort the names back into canonical order. */
static void test_canonical_sort(void **state)
{
	struct sorted_name v[NWIDE];
	uint32_t seed = 12345;
	for (int round = 0; round < 50; round++) {
		for (size_t i = 0; i < NWIDE; i++) {
			wire(canonical_wide[i], v[i].wire);
			v[i].keylen = ilnpdns_dname_to_key(v[i].wire, 0, v[i].key);
			v[i].rank = i;
		}
		for (size_t i = NWIDE - 1; i > 0; i--) { /* Fisher-Yates, fixed LCG */
			seed = seed * 1103515245u + 12345u;
			size_t j = (seed >> 16) % (i + 1);
			struct sorted_name t = v[i];
			v[i] = v[j];
			v[j] = t;
		}
		qsort(v, NWIDE, sizeof(v[0]), round % 2 ? by_key : by_compare);
		for (size_t i = 0; i < NWIDE; i++)
			assert_int_equal(v[i].rank, i);
	}
}

static void test_key_roundtrip(void **state)
{
	uint8_t apex[256], name[256], key[ILNPDNS_DNAME_KEYMAX], back[256];
	wire("example.ilnp.", apex);
	wire("A\\000b.Host1.example.ilnp.", name);
	size_t kl = ilnpdns_dname_to_key(name, 2, key);
	/* "host1" 0x00 "a" 01 01 "b" 0x00 */
	assert_int_equal(kl, 6 + 5);
	assert_memory_equal(key, "host1\0a\1\1b\0", 11);
	assert_int_equal(ilnpdns_dname_from_key(key, kl, apex, back), (int)ilnpdns_dname_len(name));
	ilnpdns_dname_lower(name);
	assert_memory_equal(back, name, ilnpdns_dname_len(name));
	/* apex has the empty relative key */
	assert_int_equal(ilnpdns_dname_to_key(apex, 2, key), 0);
	/* corrupt keys */
	assert_int_equal(ilnpdns_dname_from_key((const uint8_t *)"ab", 2, apex, back),
	                 ILNPDNS_EMALF);
	assert_int_equal(ilnpdns_dname_from_key((const uint8_t *)"a\1\3\0", 4, apex, back),
	                 ILNPDNS_EMALF);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_from_to_str),     cmocka_unit_test(test_unpack_compression),
	    cmocka_unit_test(test_unpack_rejects),  cmocka_unit_test(test_equal_under),
	    cmocka_unit_test(test_canonical_order), cmocka_unit_test(test_canonical_sort),
	    cmocka_unit_test(test_key_roundtrip),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
