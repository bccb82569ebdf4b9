/* SPDX-License-Identifier: BSD-2-Clause */
/* policy.h -- per-zone update policy: which key may change which names and types. */
#ifndef ILNPDNS_POLICY_H
#define ILNPDNS_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * SEMANTICS. A zone's policy is an ordered list of rules in the spirit of
 * BIND's update-policy. Each rule is one line of text, as written in the
 * YAML config (zone[].update-policy):
 *
 *     grant|deny KEYNAME KIND [NAME] TYPE...
 *
 * KEYNAME is the principal: a TSIG key name or a SIG(0) signer name (RFC 3007
 * 2.6 / RFC 2931: the owner of the KEY RR that signed), compared as a domain
 * name, case-insensitively; "host1-key" and "host1-key." are the same name.
 *
 * KIND says which owner names the rule covers:
 *   self       the owner equals the principal's own name; with NAME, the
 *              owner equals NAME (so a key need not be named like its host)
 *   selfsub    the owner is the principal's name or below it; with NAME,
 *              NAME or below
 *   name       the owner equals NAME (required)
 *   subdomain  the owner is NAME or below it (required)
 * NAME is optional for self/selfsub: a token that is not a type mnemonic is
 * taken as NAME (write names absolute, with the trailing dot).
 *
 * TYPE... is a list of type mnemonics (A, AAAA, NID, L32, L64, LP, ...) or
 * TYPEnnn (RFC 3597), or the single word ANY for every type. Meta types (OPT,
 * TSIG, AXFR, ...) cannot be listed.
 *
 * Checking (policy_allows): the rules are tried in order and the first rule
 * whose KEYNAME, KIND/NAME and TYPE list all match decides; if none matches
 * the answer is deny (RFC 3007 3: the default policy denies everything). An
 * absent principal (unsigned request) matches no rule. A request for TYPE ANY
 * (an update that deletes every RRset at a name, RFC 2136 2.5.3) stands for
 * all types at once, so a grant rule matches it only when it grants ANY,
 * while a deny rule matches it whenever it names the owner, whatever types
 * it lists: a principal cannot wipe types it may not touch one by one.
 *
 * Owner names outside the zone never match anything useful; the caller
 * answers NOTZONE for them before or instead of asking the policy.
 */

enum policy_kind {
	POLICY_SELF,
	POLICY_SELFSUB,
	POLICY_NAME,
	POLICY_SUBDOMAIN,
};

struct policy_rule {
	bool grant;
	enum policy_kind kind;
	bool has_name;     /* NAME given (always for name/subdomain) */
	bool any_type;     /* the type list is ANY */
	uint16_t ntypes;   /* entries in types when !any_type */
	uint16_t *types;   /* owned */
	uint8_t key[255];  /* wire, lowercased */
	uint8_t name[255]; /* wire, lowercased, when has_name */
};

/* One zone's rules, in order. Zero-initialise, or policy_init(). */
struct policy {
	struct policy_rule *rules; /* owned */
	size_t count;
	size_t cap;
};

void policy_init(struct policy *pol);
/* Free the rules; pol is empty (and reusable) afterwards. */
void policy_clear(struct policy *pol);

/*
 * Parse one rule and append it. On error, returns ILNPDNS_ESYNTAX (or
 * ILNPDNS_ENOMEM) and writes a one-line reason such as
 * "unknown type 'FOO'" to err (may be NULL); pol is unchanged.
 */
int policy_add_rule(struct policy *pol, const char *text, char *err, size_t errlen);

/*
 * Parse a whole list of rules (NULL-terminated array of strings) into pol,
 * which must be empty. On error pol is cleared and err starts with "rule N: ".
 */
int policy_parse(struct policy *pol, const char *const *rules, char *err, size_t errlen);

/*
 * Does the policy let principal `signer` (wire name; NULL: unsigned) change
 * the RRset `type` at `owner` (wire name)? type ILNPDNS_T_ANY asks for
 * every type at once (see above).
 */
bool policy_allows(const struct policy *pol, const uint8_t *signer, const uint8_t *owner,
                   uint16_t type);

#endif /* ILNPDNS_POLICY_H */
