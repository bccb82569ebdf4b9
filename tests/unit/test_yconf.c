/* SPDX-License-Identifier: BSD-2-Clause */
/* test_yconf.c -- the generic YAML reader: types, nesting, defaults, sample output. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ilnpdns/error.h"
#include "ilnpdns/yconf.h"

/* A schema shaped like the updater's future file: nested maps and a list. */
struct item {
	char *name;
	uint8_t weight;
	bool enabled;
	bool weight_set;
};

struct sample {
	struct {
		bool verbose;
		uint64_t limit;
		uint16_t interval_ms;
		struct {
			char *label;
			uint32_t mode;
		} inner;
	} outer;
	struct yconf_addr *peers;
	size_t npeers;
	struct item *items;
	size_t nitems;
};

static const struct yconf_name modes[] = {{"fast", 1}, {"safe", 2}, {NULL, 0}};

static int check_name(void *obj, void *field, void *user, char *why, size_t whylen)
{
	int *calls = user;
	(*calls)++;
	if (strchr(*(char **)field, ' ') != NULL) {
		snprintf(why, whylen, "names have no spaces");
		return -1;
	}
	return 0;
}

#define O(f) offsetof(struct sample, outer.f)

static const struct yconf_key inner_keys[] = {
    {.key = "label",
     .type = YCONF_STRING,
     .offset = offsetof(struct sample, outer.inner.label) - O(inner),
     .dflt = "none",
     .help = "a label"},
    {.key = "mode",
     .type = YCONF_ENUM,
     .offset = O(inner.mode) - O(inner),
     .width = 4,
     .names = modes,
     .dflt = "safe",
     .help = "fast or safe"},
    {.key = NULL},
};

static const struct yconf_key outer_keys[] = {
    {.key = "verbose", .type = YCONF_BOOL, .offset = O(verbose), .dflt = "no", .help = "talk more"},
    {.key = "limit",
     .type = YCONF_SIZE,
     .offset = O(limit),
     .width = 8,
     .min = 0,
     .max = (uint64_t)1 << 50,
     .dflt = "1M",
     .help = "a size"},
    {.key = "interval",
     .type = YCONF_DURATION,
     .offset = O(interval_ms),
     .width = 2,
     .min = 1,
     .max = 60000,
     .dflt = "250ms",
     .help = "a duration in a 16-bit field"},
    {.key = "inner",
     .type = YCONF_MAP,
     .offset = O(inner),
     .sub = inner_keys,
     .help = "nested twice"},
    {.key = NULL},
};

static const struct yconf_key item_keys[] = {
    {.key = "name",
     .type = YCONF_STRING,
     .offset = offsetof(struct item, name),
     .flags = YCONF_REQUIRED,
     .check = check_name,
     .help = "item name"},
    {.key = "weight",
     .type = YCONF_UINT,
     .offset = offsetof(struct item, weight),
     .width = 1,
     .min = 1,
     .max = 255,
     .dflt = "10",
     .flags = YCONF_MARK,
     .mark_offset = offsetof(struct item, weight_set),
     .help = "weight"},
    {.key = "enabled",
     .type = YCONF_BOOL,
     .offset = offsetof(struct item, enabled),
     .dflt = "true",
     .help = "on or off"},
    {.key = NULL},
};

static const struct yconf_key top_keys[] = {
    {.key = "outer",
     .type = YCONF_MAP,
     .offset = offsetof(struct sample, outer),
     .sub = outer_keys,
     .help = "options"},
    {.key = "peers",
     .type = YCONF_ADDRS,
     .offset = offsetof(struct sample, peers),
     .count_offset = offsetof(struct sample, npeers),
     .min = 0,
     .max = 4,
     .dflt = "192.0.2.1@53",
     .help = "peers"},
    {.key = "item",
     .type = YCONF_LIST,
     .offset = offsetof(struct sample, items),
     .count_offset = offsetof(struct sample, nitems),
     .elem_size = sizeof(struct item),
     .sub = item_keys,
     .help = "items"},
    {.key = NULL},
};

static int parse_text(const char *text, struct sample *s, int *calls, char *err, size_t errlen)
{
	FILE *in = fmemopen((void *)text, strlen(text), "r");
	assert_non_null(in);
	memset(s, 0, sizeof(*s));
	int rc = yconf_parse_stream(top_keys, in, "t.yaml", s, calls, err, errlen);
	fclose(in);
	return rc;
}

static void test_defaults(void **state)
{
	struct sample s;
	char err[256];
	memset(&s, 0, sizeof(s));
	assert_int_equal(yconf_defaults(top_keys, &s, err, sizeof(err)), 0);
	assert_false(s.outer.verbose);
	assert_int_equal(s.outer.limit, 1 << 20);
	assert_int_equal(s.outer.interval_ms, 250);
	assert_string_equal(s.outer.inner.label, "none");
	assert_int_equal(s.outer.inner.mode, 2);
	assert_int_equal(s.npeers, 1);
	assert_string_equal(s.peers[0].text, "192.0.2.1@53");
	assert_int_equal(s.nitems, 0);
	yconf_free(top_keys, &s);
	assert_null(s.peers);
	assert_null(s.outer.inner.label);
}

static void test_nested_and_list(void **state)
{
	struct sample s;
	char err[256];
	int calls = 0;
	int rc = parse_text("outer:\n  verbose: On\n  limit: 3T\n  interval: 1m\n"
	                    "  inner:\n    label: x\n    mode: fast\n"
	                    "peers: [ \"fe80::1%lo@853\", 198.51.100.7@53 ]\n"
	                    "item:\n  - name: a\n  - name: b\n    weight: 255\n    enabled: off\n",
	                    &s, &calls, err, sizeof(err));
	if (rc != 0)
		fail_msg("%s", err);
	assert_true(s.outer.verbose);
	assert_int_equal(s.outer.limit, (uint64_t)3 << 40);
	assert_int_equal(s.outer.interval_ms, 60000);
	assert_string_equal(s.outer.inner.label, "x");
	assert_int_equal(s.outer.inner.mode, 1);
	assert_int_equal(s.npeers, 2);
	const struct sockaddr_in6 *a6 = (const struct sockaddr_in6 *)&s.peers[0].ss;
	assert_int_equal(a6->sin6_family, AF_INET6);
	assert_int_equal(ntohs(a6->sin6_port), 853);
	assert_true(a6->sin6_scope_id != 0); /* "%lo" resolved to an interface index */
	assert_int_equal(s.nitems, 2);
	assert_string_equal(s.items[0].name, "a");
	assert_int_equal(s.items[0].weight, 10);
	assert_false(s.items[0].weight_set);
	assert_true(s.items[0].enabled);
	assert_int_equal(s.items[1].weight, 255);
	assert_true(s.items[1].weight_set);
	assert_false(s.items[1].enabled);
	assert_int_equal(calls, 2);
	yconf_free(top_keys, &s);
	assert_null(s.items);
	assert_int_equal(s.nitems, 0);
}

static void test_errors(void **state)
{
	static const struct {
		const char *text, *err;
	} cases[] = {
	    {"outer:\n  verbose: maybe\n",
	     "t.yaml:2: outer.verbose: expected true or false, not \"maybe\""},
	    {"outer:\n  inner:\n    colour: red\n", "t.yaml:3: outer.inner.colour: unknown key"},
	    {"outer:\n  interval: 61s\n", "t.yaml:2: outer.interval: out of range (1ms to 1m)"},
	    {"outer:\n  interval: 0\n", "t.yaml:2: outer.interval: out of range (1ms to 1m)"},
	    {"outer:\n  limit: 99999999999999999999k\n",
	     "t.yaml:2: outer.limit: out of range (0 to 1024T)"},
	    {"outer:\n  limit: 16384T\n", "t.yaml:2: outer.limit: out of range (0 to 1024T)"},
	    {"outer:\n  limit: 5m\n",
	     "t.yaml:2: outer.limit: expected a size such as 512M or 4G, not \"5m\""},
	    {"item:\n  - name: a b\n", "t.yaml:2: item.name: names have no spaces"},
	    {"item:\n  - weight: 3\n", "t.yaml:2: item.name: missing (required)"},
	    {"item:\n  - name: a\n    weight: 256\n",
	     "t.yaml:3: item.weight: out of range (1 to 255)"},
	    {"peers: [ a@1, b@2, c@3, d@4, e@5 ]\n",
	     "t.yaml:1: peers: expected 0 to 4 addresses, got 5"},
	    {"peers: [ \"192.0.2.1\" ]\n",
	     "t.yaml:1: peers: \"192.0.2.1\" has no port (write ip@port)"},
	    {"outer:\n  inner:\n    label: \"a\\0b\"\n",
	     "t.yaml:3: outer.inner.label: value contains a NUL character"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct sample s;
		char err[256] = "";
		int calls = 0;
		assert_int_equal(parse_text(cases[i].text, &s, &calls, err, sizeof(err)),
		                 ILNPDNS_ECONF);
		assert_string_equal(err, cases[i].err);
		yconf_free(top_keys, &s);
	}
}

/* An alias reuses a node: each element still gets its own copy of the strings. */
static void test_anchor_alias(void **state)
{
	struct sample s;
	char err[256];
	int calls = 0;
	int rc = parse_text("item:\n  - &base\n    name: x\n    weight: 7\n  - *base\n", &s, &calls,
	                    err, sizeof(err));
	if (rc != 0)
		fail_msg("%s", err);
	assert_int_equal(s.nitems, 2);
	assert_int_equal(s.items[1].weight, 7);
	assert_string_equal(s.items[1].name, "x");
	assert_ptr_not_equal(s.items[0].name, s.items[1].name);
	yconf_free(top_keys, &s);
}

/* The sample file written from the schema parses back to the defaults. */
static void test_sample_round_trip(void **state)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);
	assert_non_null(out);
	yconf_write_sample(top_keys, out);
	assert_int_equal(fclose(out), 0);
	assert_non_null(strstr(buf, "# a duration in a 16-bit field\n  interval: 250ms\n"));
	assert_non_null(strstr(buf, "peers: [ \"192.0.2.1@53\" ]\n"));

	struct sample s;
	char err[256];
	int calls = 0;
	if (parse_text(buf, &s, &calls, err, sizeof(err)) != 0)
		fail_msg("%s\n%s", err, buf);
	assert_int_equal(s.outer.interval_ms, 250);
	assert_int_equal(s.outer.inner.mode, 2);
	assert_int_equal(s.npeers, 1);
	yconf_free(top_keys, &s);
	free(buf);
}

static void test_addr_parse(void **state)
{
	struct yconf_addr a;
	char why[128];
	assert_int_equal(yconf_addr_parse("::ffff:192.0.2.1@5300", 0, &a, why, sizeof(why)), 0);
	assert_int_equal(a.ss.ss_family, AF_INET6);
	assert_int_equal(a.len, sizeof(struct sockaddr_in6));
	assert_int_equal(yconf_addr_parse("192.0.2.1", 53, &a, why, sizeof(why)), 0);
	assert_int_equal(ntohs(((struct sockaddr_in *)&a.ss)->sin_port), 53);
	assert_int_equal(yconf_addr_parse("192.0.2.1@", 53, &a, why, sizeof(why)), ILNPDNS_ESYNTAX);
	assert_int_equal(yconf_addr_parse("192.0.2.1@+5", 53, &a, why, sizeof(why)),
	                 ILNPDNS_ESYNTAX);
	assert_int_equal(yconf_addr_parse("[::1]@53", 53, &a, why, sizeof(why)), ILNPDNS_ESYNTAX);
	assert_int_equal(yconf_addr_parse("localhost@53", 53, &a, why, sizeof(why)),
	                 ILNPDNS_ESYNTAX);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_defaults),
	    cmocka_unit_test(test_nested_and_list),
	    cmocka_unit_test(test_errors),
	    cmocka_unit_test(test_anchor_alias),
	    cmocka_unit_test(test_sample_round_trip),
	    cmocka_unit_test(test_addr_parse),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
