/* SPDX-License-Identifier: BSD-2-Clause */
/* test_policy.c -- update-policy rules: parsing, every kind, order, default deny. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "ilnpdns/dname.h"
#include "ilnpdns/error.h"
#include "ilnpdns/wire.h"
#include "policy.h"

/* Does the policy built from rules let key change type at owner? */
static bool allows(const struct policy *pol, const char *key, const char *owner, uint16_t type)
{
	uint8_t k[ILNPDNS_DNAME_MAXLEN], o[ILNPDNS_DNAME_MAXLEN];
	assert_true(ilnpdns_dname_from_str(key, k) > 0);
	assert_true(ilnpdns_dname_from_str(owner, o) > 0);
	return policy_allows(pol, k, o, type);
}

static void build(struct policy *pol, const char *const *rules)
{
	char err[256] = "";
	policy_init(pol);
	int rc = policy_parse(pol, rules, err, sizeof(err));
	if (rc)
		fail_msg("policy_parse: %s", err);
}

/* Parse one bad rule; the error must mention `want`. */
static void bad_rule(const char *text, const char *want)
{
	struct policy pol;
	char err[256] = "";
	policy_init(&pol);
	assert_int_equal(policy_add_rule(&pol, text, err, sizeof(err)), ILNPDNS_ESYNTAX);
	assert_int_equal(pol.count, 0);
	if (!strstr(err, want))
		fail_msg("rule '%s': error '%s' lacks '%s'", text, err, want);
	policy_clear(&pol);
}

static void test_parse_errors(void **state)
{
	(void)state;
	bad_rule("", "empty");
	bad_rule("   ", "empty");
	bad_rule("allow k self A", "expected 'grant' or 'deny'");
	bad_rule("grant", "missing key name");
	bad_rule("grant k", "missing kind");
	bad_rule("grant k itself A", "unknown kind 'itself'");
	bad_rule("grant k name", "needs a name");
	bad_rule("grant k subdomain", "needs a name");
	bad_rule("grant k name x.example.", "no types");
	bad_rule("grant k self", "no types");
	bad_rule("grant k self host.example.", "no types");
	bad_rule("grant k name x.example. FOO", "unknown type 'FOO'");
	bad_rule("grant k name x.example. A BOGUS", "unknown type 'BOGUS'");
	bad_rule("grant k name x.example. AXFR", "meta type 'AXFR'");
	bad_rule("grant k name x.example. TSIG", "meta type");
	bad_rule("grant k name x.example. OPT", "meta type");
	bad_rule("grant k name x.example. TYPE250", "meta type");
	bad_rule("grant k name x.example. TYPE0", "unknown type");
	bad_rule("grant k name x.example. TYPE65536", "unknown type");
	bad_rule("grant k name x.example. TYPE1x", "unknown type");
	bad_rule("grant k name x.example. ANY A", "ANY cannot be combined");
	bad_rule("grant k name x.example. A ANY", "ANY cannot be combined");
	bad_rule("grant k name "
	         "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.example. A",
	         "bad name");
	bad_rule("grant k..x self A", "bad key name");
}

static void test_parse_list_error_names_rule(void **state)
{
	(void)state;
	const char *const rules[] = {"grant k self A", "grant k weird A", NULL};
	struct policy pol;
	char err[256] = "";
	policy_init(&pol);
	assert_int_equal(policy_parse(&pol, rules, err, sizeof(err)), ILNPDNS_ESYNTAX);
	assert_string_equal(err, "rule 2: unknown kind 'weird' (self, selfsub, name or subdomain)");
	assert_int_equal(pol.count, 0); /* cleared on error */
	assert_null(pol.rules);
}

static void test_parse_fields(void **state)
{
	(void)state;
	const char *const rules[] = {
	    "grant Host1-Key self host1.example.ilnp. NID L64 L32 LP",
	    "deny\tk2   selfsub  a  TYPE65280",
	    "grant k3 self a. ANY",
	    "GRANT k4 SUBDOMAIN Example.ILNP. nid l64",
	    NULL,
	};
	struct policy pol;
	uint8_t w[ILNPDNS_DNAME_MAXLEN];
	build(&pol, rules);
	assert_int_equal(pol.count, 4);

	const struct policy_rule *r = &pol.rules[0];
	assert_true(r->grant);
	assert_int_equal(r->kind, POLICY_SELF);
	assert_true(r->has_name);
	assert_false(r->any_type);
	assert_int_equal(r->ntypes, 4);
	assert_int_equal(r->types[0], ILNPDNS_T_NID);
	assert_int_equal(r->types[1], ILNPDNS_T_L64);
	assert_int_equal(r->types[2], ILNPDNS_T_L32);
	assert_int_equal(r->types[3], ILNPDNS_T_LP);
	ilnpdns_dname_from_str("host1-key.", w); /* stored lowercased */
	assert_memory_equal(r->key, w, ilnpdns_dname_len(w));

	/* "a" spells the type A: a type, not a name, without the dot. */
	r = &pol.rules[1];
	assert_false(r->grant);
	assert_int_equal(r->kind, POLICY_SELFSUB);
	assert_false(r->has_name);
	assert_int_equal(r->ntypes, 2);
	assert_int_equal(r->types[0], ILNPDNS_T_A);
	assert_int_equal(r->types[1], 65280);

	r = &pol.rules[2];
	assert_true(r->has_name);
	assert_true(r->any_type);
	assert_int_equal(r->ntypes, 0);
	ilnpdns_dname_from_str("a.", w);
	assert_memory_equal(r->name, w, ilnpdns_dname_len(w));

	r = &pol.rules[3];
	assert_int_equal(r->kind, POLICY_SUBDOMAIN);
	ilnpdns_dname_from_str("example.ilnp.", w);
	assert_memory_equal(r->name, w, ilnpdns_dname_len(w));
	policy_clear(&pol);
	assert_int_equal(pol.count, 0);
}

static void test_self(void **state)
{
	(void)state;
	const char *const rules[] = {"grant host1.example.ilnp. self NID L64", NULL};
	struct policy pol;
	build(&pol, rules);
	assert_true(allows(&pol, "host1.example.ilnp.", "host1.example.ilnp.", ILNPDNS_T_NID));
	assert_true(allows(&pol, "HOST1.example.ilnp.", "host1.EXAMPLE.ilnp.", ILNPDNS_T_L64));
	assert_false(allows(&pol, "host1.example.ilnp.", "host1.example.ilnp.", ILNPDNS_T_L32));
	assert_false(allows(&pol, "host1.example.ilnp.", "x.host1.example.ilnp.", ILNPDNS_T_NID));
	assert_false(allows(&pol, "host1.example.ilnp.", "example.ilnp.", ILNPDNS_T_NID));
	assert_false(allows(&pol, "host2.example.ilnp.", "host2.example.ilnp.", ILNPDNS_T_NID));
	policy_clear(&pol);
}

static void test_self_with_name(void **state)
{
	(void)state;
	const char *const rules[] = {"grant host1-key self host1.example.ilnp. NID L64 L32 LP",
	                             NULL};
	struct policy pol;
	build(&pol, rules);
	assert_true(allows(&pol, "host1-key", "host1.example.ilnp.", ILNPDNS_T_LP));
	/* With NAME given, the key's own name is not what is covered. */
	assert_false(allows(&pol, "host1-key", "host1-key.", ILNPDNS_T_LP));
	assert_false(allows(&pol, "host1-key", "a.host1.example.ilnp.", ILNPDNS_T_LP));
	assert_false(allows(&pol, "host1-key", "host1.example.ilnp.", ILNPDNS_T_AAAA));
	policy_clear(&pol);
}

static void test_selfsub(void **state)
{
	(void)state;
	const char *const rules[] = {"grant net1.example.ilnp. selfsub L64 L32",
	                             "grant k2 selfsub sub.example.ilnp. AAAA", NULL};
	struct policy pol;
	build(&pol, rules);
	assert_true(allows(&pol, "net1.example.ilnp.", "net1.example.ilnp.", ILNPDNS_T_L64));
	assert_true(allows(&pol, "net1.example.ilnp.", "a.b.net1.example.ilnp.", ILNPDNS_T_L32));
	assert_false(allows(&pol, "net1.example.ilnp.", "xnet1.example.ilnp.", ILNPDNS_T_L32));
	assert_false(allows(&pol, "net1.example.ilnp.", "example.ilnp.", ILNPDNS_T_L32));
	assert_false(allows(&pol, "net1.example.ilnp.", "net1.example.ilnp.", ILNPDNS_T_NID));
	assert_true(allows(&pol, "k2", "sub.example.ilnp.", ILNPDNS_T_AAAA));
	assert_true(allows(&pol, "k2", "h.sub.example.ilnp.", ILNPDNS_T_AAAA));
	assert_false(allows(&pol, "k2", "k2.", ILNPDNS_T_AAAA));
	assert_false(allows(&pol, "k2", "sub2.example.ilnp.", ILNPDNS_T_AAAA));
	policy_clear(&pol);
}

static void test_name_and_subdomain(void **state)
{
	(void)state;
	const char *const rules[] = {"grant ops-key name www.example.ilnp. AAAA A",
	                             "grant site-key subdomain example.ilnp. L64 L32 LP", NULL};
	struct policy pol;
	build(&pol, rules);
	assert_true(allows(&pol, "ops-key", "www.example.ilnp.", ILNPDNS_T_A));
	assert_true(allows(&pol, "ops-key", "WWW.example.ilnp.", ILNPDNS_T_AAAA));
	assert_false(allows(&pol, "ops-key", "x.www.example.ilnp.", ILNPDNS_T_A));
	assert_false(allows(&pol, "ops-key", "example.ilnp.", ILNPDNS_T_A));
	assert_true(allows(&pol, "site-key", "example.ilnp.", ILNPDNS_T_L64));
	assert_true(allows(&pol, "site-key", "deep.down.example.ilnp.", ILNPDNS_T_LP));
	assert_false(allows(&pol, "site-key", "example.com.", ILNPDNS_T_L64));
	assert_false(allows(&pol, "site-key", "example.ilnp.", ILNPDNS_T_NID));
	/* Rules belong to their key only. */
	assert_false(allows(&pol, "ops-key", "a.example.ilnp.", ILNPDNS_T_L64));
	assert_false(allows(&pol, "site-key", "www.example.ilnp.", ILNPDNS_T_A));
	policy_clear(&pol);
}

static void test_first_match_wins(void **state)
{
	(void)state;
	/* The example of issue 3: deny after grant does not take back the grant. */
	const char *const a[] = {"grant host1-key subdomain example.ilnp. L64",
	                         "deny host1-key name example.ilnp. ANY", NULL};
	const char *const b[] = {"deny host1-key name example.ilnp. ANY",
	                         "grant host1-key subdomain example.ilnp. L64", NULL};
	struct policy pol;
	build(&pol, a);
	assert_true(allows(&pol, "host1-key", "example.ilnp.", ILNPDNS_T_L64));
	policy_clear(&pol);
	build(&pol, b);
	assert_false(allows(&pol, "host1-key", "example.ilnp.", ILNPDNS_T_L64));
	assert_true(allows(&pol, "host1-key", "h.example.ilnp.", ILNPDNS_T_L64));
	policy_clear(&pol);
}

static void test_default_deny(void **state)
{
	(void)state;
	struct policy pol;
	uint8_t o[ILNPDNS_DNAME_MAXLEN];
	policy_init(&pol);
	assert_false(allows(&pol, "k", "x.example.", ILNPDNS_T_A));
	policy_clear(&pol);

	const char *const rules[] = {"grant k subdomain example. ANY", NULL};
	build(&pol, rules);
	assert_true(allows(&pol, "k", "x.example.", ILNPDNS_T_A));
	/* No principal: unsigned requests match no rule. */
	ilnpdns_dname_from_str("x.example.", o);
	assert_false(policy_allows(&pol, NULL, o, ILNPDNS_T_A));
	/* Unmatched key, unmatched name. */
	assert_false(allows(&pol, "other", "x.example.", ILNPDNS_T_A));
	assert_false(allows(&pol, "k", "x.example2.", ILNPDNS_T_A));
	policy_clear(&pol);
}

static void test_type_any_request(void **state)
{
	(void)state;
	/* Deleting every RRset at a name (TYPE ANY) needs a grant of ANY. */
	const char *const list[] = {"grant k subdomain example. NID L64", NULL};
	const char *const any[] = {"grant k subdomain example. ANY", NULL};
	const char *const deny_one[] = {"deny k name h.example. NID",
	                                "grant k subdomain example. ANY", NULL};
	struct policy pol;
	build(&pol, list);
	assert_false(allows(&pol, "k", "h.example.", ILNPDNS_T_ANY));
	policy_clear(&pol);
	build(&pol, any);
	assert_true(allows(&pol, "k", "h.example.", ILNPDNS_T_ANY));
	assert_true(allows(&pol, "k", "h.example.", ILNPDNS_T_LP));
	assert_true(allows(&pol, "k", "h.example.", 65280));
	policy_clear(&pol);
	/* A deny of one type at the name stops a delete of all types there. */
	build(&pol, deny_one);
	assert_false(allows(&pol, "k", "h.example.", ILNPDNS_T_ANY));
	assert_false(allows(&pol, "k", "h.example.", ILNPDNS_T_NID));
	assert_true(allows(&pol, "k", "h.example.", ILNPDNS_T_L64));
	assert_true(allows(&pol, "k", "g.example.", ILNPDNS_T_ANY));
	policy_clear(&pol);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse_errors),
	    cmocka_unit_test(test_parse_list_error_names_rule),
	    cmocka_unit_test(test_parse_fields),
	    cmocka_unit_test(test_self),
	    cmocka_unit_test(test_self_with_name),
	    cmocka_unit_test(test_selfsub),
	    cmocka_unit_test(test_name_and_subdomain),
	    cmocka_unit_test(test_first_match_wins),
	    cmocka_unit_test(test_default_deny),
	    cmocka_unit_test(test_type_any_request),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
