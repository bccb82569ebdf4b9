/* SPDX-License-Identifier: BSD-2-Clause */
/* policy.c -- parse and evaluate per-zone update-policy rules (semantics in policy.h). */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <ldns/ldns.h>

#include "ilnpdns/dname.h"
#include "ilnpdns/error.h"
#include "ilnpdns/wire.h"
#include "policy.h"

#define TOKEN_MAX 1100 /* an escaped 255-octet name is at most 4 * 255 characters */

void policy_init(struct policy *pol)
{
	memset(pol, 0, sizeof(*pol));
}

void policy_clear(struct policy *pol)
{
	for (size_t i = 0; i < pol->count; i++)
		free(pol->rules[i].types);
	free(pol->rules);
	policy_init(pol);
}

static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	if (err && errlen) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return ILNPDNS_ESYNTAX;
}

/* Next blank-separated token of *s into tok (NUL-terminated); false at the end. */
static bool next_token(const char **s, char *tok, size_t cap, bool *too_long)
{
	const char *p = *s;
	while (*p == ' ' || *p == '\t')
		p++;
	if (*p == '\0') {
		*s = p;
		return false;
	}
	size_t n = 0;
	*too_long = false;
	while (*p && *p != ' ' && *p != '\t') {
		if (n + 1 < cap)
			tok[n++] = *p;
		else
			*too_long = true;
		p++;
	}
	tok[n] = '\0';
	*s = p;
	return true;
}

/* RFC 3597 TYPEnnn: decimal 1..65535, nothing else. */
static int parse_typennn(const char *s, uint16_t *type)
{
	unsigned long v = 0;
	if (!*s)
		return -1;
	for (; *s; s++) {
		if (!isdigit((unsigned char)*s))
			return -1;
		v = v * 10 + (unsigned long)(*s - '0');
		if (v > 65535)
			return -1;
	}
	if (v == 0)
		return -1;
	*type = (uint16_t)v;
	return 0;
}

/*
 * A type token: 1 = ANY, 0 = a data type in *type, -1 = not a type at all,
 * -2 = a meta type (OPT, TSIG, AXFR, ... RFC 6895 3.1: 128-255 and OPT).
 */
static int parse_type(const char *tok, uint16_t *type)
{
	if (strcasecmp(tok, "ANY") == 0)
		return 1;
	if (strncasecmp(tok, "TYPE", 4) == 0 && isdigit((unsigned char)tok[4])) {
		if (parse_typennn(tok + 4, type))
			return -1;
	} else {
		/* ldns knows every mnemonic, the RFC 6742 ones included; its own
		 * TYPEnnn parsing is lax, hence the branch above. */
		int t = (int)ldns_get_rr_type_by_name(tok);
		if (t <= 0 || t > 65535)
			return -1;
		*type = (uint16_t)t;
	}
	if (*type == ILNPDNS_T_OPT || (*type >= 128 && *type <= 255))
		return -2;
	return 0;
}

static int parse_name(const char *tok, uint8_t *out)
{
	int n = ilnpdns_dname_from_str(tok, out);
	if (n < 0)
		return n;
	ilnpdns_dname_lower(out);
	return 0;
}

int policy_add_rule(struct policy *pol, const char *text, char *err, size_t errlen)
{
	struct policy_rule r = {0};
	char tok[TOKEN_MAX];
	bool too_long = false;
	const char *s = text;

	if (!next_token(&s, tok, sizeof(tok), &too_long))
		return fail(err, errlen, "empty rule");
	if (strcasecmp(tok, "grant") == 0)
		r.grant = true;
	else if (strcasecmp(tok, "deny") != 0)
		return fail(err, errlen, "expected 'grant' or 'deny', got '%s'", tok);

	if (!next_token(&s, tok, sizeof(tok), &too_long))
		return fail(err, errlen, "missing key name");
	if (too_long || parse_name(tok, r.key))
		return fail(err, errlen, "bad key name '%s'", tok);

	if (!next_token(&s, tok, sizeof(tok), &too_long))
		return fail(err, errlen, "missing kind (self, selfsub, name or subdomain)");
	if (strcasecmp(tok, "self") == 0)
		r.kind = POLICY_SELF;
	else if (strcasecmp(tok, "selfsub") == 0)
		r.kind = POLICY_SELFSUB;
	else if (strcasecmp(tok, "name") == 0)
		r.kind = POLICY_NAME;
	else if (strcasecmp(tok, "subdomain") == 0)
		r.kind = POLICY_SUBDOMAIN;
	else
		return fail(err, errlen, "unknown kind '%s' (self, selfsub, name or subdomain)",
		            tok);
	const char *kind = r.kind == POLICY_SELF      ? "self"
	                   : r.kind == POLICY_SELFSUB ? "selfsub"
	                   : r.kind == POLICY_NAME    ? "name"
	                                              : "subdomain";

	bool have = next_token(&s, tok, sizeof(tok), &too_long);
	if (r.kind == POLICY_NAME || r.kind == POLICY_SUBDOMAIN) {
		if (!have)
			return fail(err, errlen, "kind '%s' needs a name", kind);
		if (too_long || parse_name(tok, r.name))
			return fail(err, errlen, "bad name '%s'", tok);
		r.has_name = true;
		have = next_token(&s, tok, sizeof(tok), &too_long);
	} else if (have) {
		/* Optional NAME: anything that is not a type. A trailing dot
		 * makes it a name even when it spells a mnemonic ("a."). */
		uint16_t t;
		size_t len = strlen(tok);
		if ((len > 0 && tok[len - 1] == '.') || parse_type(tok, &t) == -1) {
			if (too_long || parse_name(tok, r.name))
				return fail(err, errlen, "bad name '%s'", tok);
			r.has_name = true;
			have = next_token(&s, tok, sizeof(tok), &too_long);
		}
	}

	if (!have)
		return fail(err, errlen, "no types (list the types, or ANY)");
	uint16_t types[256];
	size_t ntypes = 0;
	for (; have; have = next_token(&s, tok, sizeof(tok), &too_long)) {
		uint16_t t = 0;
		switch (parse_type(tok, &t)) {
		case 1:
			r.any_type = true;
			break;
		case 0:
			if (ntypes == sizeof(types) / sizeof(types[0]))
				return fail(err, errlen, "too many types");
			types[ntypes++] = t;
			break;
		case -2:
			return fail(err, errlen, "meta type '%s' cannot be in a policy", tok);
		default:
			return fail(err, errlen, "unknown type '%s'", tok);
		}
	}
	if (r.any_type && ntypes > 0)
		return fail(err, errlen, "ANY cannot be combined with other types");

	if (ntypes > 0) {
		r.types = malloc(ntypes * sizeof(*r.types));
		if (!r.types)
			return ILNPDNS_ENOMEM;
		memcpy(r.types, types, ntypes * sizeof(*r.types));
		r.ntypes = (uint16_t)ntypes;
	}
	if (pol->count == pol->cap) {
		size_t cap = pol->cap ? 2 * pol->cap : 8;
		struct policy_rule *n = realloc(pol->rules, cap * sizeof(*n));
		if (!n) {
			free(r.types);
			return ILNPDNS_ENOMEM;
		}
		pol->rules = n;
		pol->cap = cap;
	}
	pol->rules[pol->count++] = r;
	return 0;
}

int policy_parse(struct policy *pol, const char *const *rules, char *err, size_t errlen)
{
	for (size_t i = 0; rules[i]; i++) {
		char why[200] = "";
		int rc = policy_add_rule(pol, rules[i], why, sizeof(why));
		if (rc) {
			if (err && errlen)
				snprintf(err, errlen, "rule %zu: %s", i + 1, why);
			policy_clear(pol);
			return rc;
		}
	}
	return 0;
}

static bool rule_covers_owner(const struct policy_rule *r, const uint8_t *signer,
                              const uint8_t *owner)
{
	const uint8_t *base = r->has_name ? r->name : signer;
	switch (r->kind) {
	case POLICY_SELF:
	case POLICY_NAME:
		return ilnpdns_dname_equal(owner, base);
	case POLICY_SELFSUB:
	case POLICY_SUBDOMAIN:
		return ilnpdns_dname_is_under(owner, base);
	}
	return false;
}

static bool rule_covers_type(const struct policy_rule *r, uint16_t type)
{
	if (r->any_type)
		return true;
	/* TYPE ANY asks for all types: only a grant of ANY covers it, but any
	 * deny that reaches the owner must stop it (see policy.h). */
	if (type == ILNPDNS_T_ANY)
		return !r->grant;
	for (uint16_t i = 0; i < r->ntypes; i++)
		if (r->types[i] == type)
			return true;
	return false;
}

bool policy_allows(const struct policy *pol, const uint8_t *signer, const uint8_t *owner,
                   uint16_t type)
{
	if (!signer)
		return false;
	for (size_t i = 0; i < pol->count; i++) {
		const struct policy_rule *r = &pol->rules[i];
		if (!ilnpdns_dname_equal(signer, r->key))
			continue;
		if (!rule_covers_owner(r, signer, owner) || !rule_covers_type(r, type))
			continue;
		return r->grant;
	}
	return false;
}
