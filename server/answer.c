/* SPDX-License-Identifier: BSD-2-Clause */
/* answer.c -- authoritative lookup: zone, cuts, exact match, CNAME, wildcards, negative answers. */
#include <string.h>

#include "ilnpdns/dname.h"
#include "ilnpdns/error.h"
#include "ilnpdns/wire.h"
#include "answer.h"
#include "response.h"
#include "store.h"

/* One lookup in progress: everything the helpers below share. */
struct lookup {
	struct answer_scratch *s;
	struct store_txn *txn;
	struct store_zone zone;
	struct response *resp;
	struct answer_result *res;
	uint16_t qtype;
	bool tcp;
	bool failed; /* the store reported an error other than "absent" */
};

/* What a node gave for the query type. */
enum node_result {
	NODE_NONE,     /* the name does not exist */
	NODE_NODATA,   /* it exists (data or empty non-terminal) without the type */
	NODE_ANSWERED, /* the RRset went into the answer (or TC was set trying) */
	NODE_CNAME,    /* a CNAME went into the answer; follow *next */
};

static uint32_t emit_ttl(const struct lookup *l, const struct store_rrset *rs)
{
	return store_served_ttl(&l->zone, rs);
}

static bool get(struct lookup *l, const uint8_t *key, size_t klen, uint16_t type,
                struct store_rrset *out)
{
	int rc = store_rrset_get(l->txn, &l->zone, key, klen, type, out);
	if (rc != 0 && rc != ILNPDNS_ENOENT)
		l->failed = true;
	return rc == 0;
}

/*
 * Read every RRset of one name with one cursor descent (store_node_get());
 * the helpers below pick the types they need from it.
 */
static void node_read(struct lookup *l, const uint8_t *key, size_t klen, struct store_node *n)
{
	if (store_node_get(l->txn, &l->zone, key, klen, n) != 0)
		l->failed = true;
}

static bool node_type(struct lookup *l, const uint8_t *key, size_t klen, const struct store_node *n,
                      uint16_t type, struct store_rrset *out)
{
	int rc = store_node_rrset(l->txn, &l->zone, key, klen, n, type, out);
	if (rc != 0 && rc != ILNPDNS_ENOENT)
		l->failed = true;
	return rc == 0;
}

/*
 * Append an RRset. Required data that does not fit sets TC (RFC 2181 9);
 * optional data is just left out. Once TC is set nothing more is added.
 */
static bool add(struct lookup *l, enum response_section sec, const uint8_t *owner, uint32_t ttl,
                const struct store_rrset *rs, bool required)
{
	if (l->res->tc)
		return false;
	if (response_add_rrset(l->resp, sec, owner, ttl, rs) == 0)
		return true;
	if (required)
		l->res->tc = true;
	return false;
}

/* Length of the uncompressed name at p within n octets, 0 if there is none. */
static size_t rdata_name_len(const uint8_t *p, size_t n)
{
	size_t i = 0;
	while (i < n) {
		uint8_t len = p[i];
		if (len & 0xc0)
			return 0;
		i += 1u + len;
		if (len == 0)
			return i <= n && i <= ILNPDNS_DNAME_MAXLEN ? i : 0;
	}
	return 0;
}

/* Labels of a relative key: one 0x00 terminator each (escapes never hold 0x00). */
static unsigned key_labels(const uint8_t *key, size_t klen)
{
	unsigned n = 0;
	for (size_t i = 0; i < klen; i++)
		n += key[i] == 0x00;
	return n;
}

/*
 * The highest zone cut strictly between the apex and the name with this key
 * (RFC 1034 4.3.2 step 3b; the apex itself is no cut). Every ancestor's key
 * is a prefix of the name's key ending at a terminator, so each level is one
 * exact probe for NS. The name itself is left to node_cut(), which reads it
 * from the name's node. Returns the cut's key length, 0 when there is none.
 */
static size_t find_cut(struct lookup *l, const uint8_t *key, size_t klen, struct store_rrset *ns)
{
	for (size_t i = 0; i + 1 < klen; i++) {
		if (key[i] == 0x00 && get(l, key, i + 1, ILNPDNS_T_NS, ns))
			return i + 1;
	}
	return 0;
}

/* Is the name of this node (not the apex: klen > 0) a zone cut? */
static bool node_cut(struct lookup *l, const uint8_t *key, size_t klen, const struct store_node *n,
                     struct store_rrset *ns)
{
	return klen > 0 && node_type(l, key, klen, n, ILNPDNS_T_NS, ns);
}

/*
 * Closest encloser (RFC 4592 3.3.1) of a name known not to exist: the
 * deepest proper ancestor that exists, an empty non-terminal counting as
 * existing. Returns its key length (0: the apex).
 */
static size_t closest_encloser(struct lookup *l, const uint8_t *key, size_t klen)
{
	size_t end = klen;
	while (end > 0) {
		size_t j = end - 1; /* key[j] is the current name's terminator */
		while (j > 0 && key[j - 1] != 0x00)
			j--;
		if (j == 0)
			return 0;
		if (store_name_state(l->txn, &l->zone, key, j) != STORE_NAME_NONE)
			return j;
		end = j;
	}
	return 0;
}

/*
 * Referral (RFC 1034 4.3.2 step 3b): the cut's NS RRset in authority, then
 * A/AAAA glue. In-domain glue (targets at or below the cut) is required:
 * TC when it does not fit (RFC 9471 3). Sibling glue (elsewhere in this
 * zone) is added if there is room.
 */
static void referral(struct lookup *l, const uint8_t *cutname, const struct store_rrset *ns)
{
	static const uint16_t glue_types[] = {ILNPDNS_T_A, ILNPDNS_T_AAAA};

	if (!add(l, RESPONSE_AUTHORITY, cutname, emit_ttl(l, ns), ns, true))
		return;
	for (int pass = 0; pass < 2; pass++) {
		size_t pos = 0;
		const uint8_t *rd;
		uint16_t rdlen;
		while (store_rrset_next_rdata(ns, &pos, &rd, &rdlen)) {
			if (rdata_name_len(rd, rdlen) != rdlen)
				continue;
			bool in_domain = ilnpdns_dname_is_under(rd, cutname);
			if (pass == 0 ? !in_domain
			              : in_domain || !ilnpdns_dname_is_under(rd, l->zone.apex))
				continue;
			size_t tlen = store_owner_key(&l->zone, rd, l->s->tkey);
			struct store_node *tn = &l->s->tnode;
			node_read(l, l->s->tkey, tlen, tn);
			for (size_t i = 0; i < sizeof(glue_types) / sizeof(glue_types[0]); i++) {
				struct store_rrset g;
				if (node_type(l, l->s->tkey, tlen, tn, glue_types[i], &g))
					add(l, RESPONSE_ADDITIONAL, rd, emit_ttl(l, &g), &g,
					    pass == 0);
			}
		}
	}
}

/*
 * NXDOMAIN or NODATA (RFC 2308 2.1, 2.2): the zone's SOA in authority with
 * TTL min(SOA TTL, SOA MINIMUM) (RFC 2308 3).
 */
static void negative(struct lookup *l, uint8_t rcode)
{
	struct store_rrset soa;
	l->res->rcode = rcode;
	if (!get(l, (const uint8_t *)"", 0, ILNPDNS_T_SOA, &soa))
		return;
	uint32_t ttl = soa.ttl;
	size_t pos = 0;
	const uint8_t *rd;
	uint16_t rdlen;
	if (store_rrset_next_rdata(&soa, &pos, &rd, &rdlen) && rdlen >= 22) {
		uint32_t minimum = ilnpdns_get32(rd + rdlen - 4);
		if (minimum < ttl)
			ttl = minimum;
	}
	add(l, RESPONSE_AUTHORITY, l->zone.apex, ttl, &soa, true);
}

/*
 * RFC 6742 additional data for an LP RRset: the L64 and L32 RRsets of each
 * target we are authoritative for (same zone, not below a cut; exact names
 * only, as BIND's additionaldata_lp). Optional data: whole RRsets that fit,
 * never TC (RFC 6742 1.2).
 */
static void lp_targets(struct lookup *l, const struct store_rrset *lp)
{
	static const uint16_t types[] = {ILNPDNS_T_L64, ILNPDNS_T_L32};
	size_t pos = 0;
	const uint8_t *rd;
	uint16_t rdlen;

	while (store_rrset_next_rdata(lp, &pos, &rd, &rdlen)) {
		if (rdlen < 3 || rdata_name_len(rd + 2, rdlen - 2u) != rdlen - 2u)
			continue;
		const uint8_t *target = rd + 2;
		if (!ilnpdns_dname_is_under(target, l->zone.apex))
			continue;
		/* Two LP records naming the same subnet: add its locators once. */
		bool seen = false;
		size_t p2 = 0;
		const uint8_t *rd2;
		uint16_t rdlen2;
		while (!seen && store_rrset_next_rdata(lp, &p2, &rd2, &rdlen2) && rd2 != rd)
			seen = rdlen2 == rdlen && ilnpdns_dname_equal(rd2 + 2, target);
		if (seen)
			continue;
		size_t tlen = store_owner_key(&l->zone, target, l->s->tkey);
		struct store_node *tn = &l->s->tnode;
		struct store_rrset rs;
		if (find_cut(l, l->s->tkey, tlen, &rs))
			continue; /* occluded: not ours to answer */
		node_read(l, l->s->tkey, tlen, tn);
		if (node_cut(l, l->s->tkey, tlen, tn, &rs))
			continue; /* the target is a delegation point */
		for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
			if (node_type(l, l->s->tkey, tlen, tn, types[i], &rs))
				add(l, RESPONSE_ADDITIONAL, target, emit_ttl(l, &rs), &rs, false);
	}
}

/*
 * RFC 6742 additional-section processing (PROTOCOLS.md 1.4): for an NID,
 * L32 or L64 answer the owner's other ILNP RRsets; for LP the targets'
 * locators; for NID with LP also the LP targets' locators if room remains.
 */
static void ilnp_additional(struct lookup *l, const uint8_t *owner, const uint8_t *key, size_t klen,
                            const struct store_node *node, const struct store_rrset *answer)
{
	static const uint16_t for_nid[] = {ILNPDNS_T_L64, ILNPDNS_T_L32, ILNPDNS_T_LP};
	static const uint16_t for_l32[] = {ILNPDNS_T_NID, ILNPDNS_T_L64, ILNPDNS_T_LP};
	static const uint16_t for_l64[] = {ILNPDNS_T_NID, ILNPDNS_T_L32, ILNPDNS_T_LP};
	const uint16_t *types;

	switch (answer->type) {
	case ILNPDNS_T_NID:
		types = for_nid;
		break;
	case ILNPDNS_T_L32:
		types = for_l32;
		break;
	case ILNPDNS_T_L64:
		types = for_l64;
		break;
	case ILNPDNS_T_LP:
		lp_targets(l, answer);
		return;
	default:
		return;
	}
	struct store_rrset lp;
	bool lp_added = false;
	for (int i = 0; i < 3; i++) {
		struct store_rrset rs;
		if (!node_type(l, key, klen, node, types[i], &rs))
			continue;
		bool ok = add(l, RESPONSE_ADDITIONAL, owner, emit_ttl(l, &rs), &rs, false);
		if (ok && rs.type == ILNPDNS_T_LP) {
			lp = rs;
			lp_added = true;
		}
	}
	if (answer->type == ILNPDNS_T_NID && lp_added)
		lp_targets(l, &lp);
}

struct any_walk {
	struct lookup *l;
	const uint8_t *owner;
	struct store_rrset first;
	unsigned n;
	bool all;
};

static int any_cb(const struct store_rrset *rs, void *arg)
{
	struct any_walk *w = arg;
	w->n++;
	if (!w->all) {
		w->first = *rs;
		return 1;
	}
	add(w->l, RESPONSE_ANSWER, w->owner, emit_ttl(w->l, rs), rs, true);
	return w->l->res->tc ? 1 : 0;
}

/*
 * QTYPE ANY (RFC 8482 4.1, choice documented in PROTOCOLS.md 6.4): over UDP
 * one RRset, the NID if there is one, else the lowest type; over TCP every
 * RRset at the name. A CNAME is answered as itself, not followed.
 */
static bool any_answer(struct lookup *l, const uint8_t *owner, const uint8_t *key, size_t klen)
{
	struct any_walk w = {.l = l, .owner = owner, .all = l->tcp};
	if (!l->tcp) {
		struct store_rrset nid;
		if (get(l, key, klen, ILNPDNS_T_NID, &nid)) {
			add(l, RESPONSE_ANSWER, owner, emit_ttl(l, &nid), &nid, true);
			return true;
		}
	}
	int rc = store_name_foreach(l->txn, &l->zone, key, klen, any_cb, &w);
	if (rc < 0)
		l->failed = true;
	if (w.n > 0 && !l->tcp)
		add(l, RESPONSE_ANSWER, owner, emit_ttl(l, &w.first), &w.first, true);
	return w.n > 0;
}

/*
 * Answer from the node with this key (the name itself or the wildcard that
 * stands for it, RFC 4592 3.4), writing owner as the owner name.
 */
static enum node_result node_answer(struct lookup *l, const uint8_t *owner, const uint8_t *key,
                                    size_t klen, const struct store_node *node,
                                    const uint8_t **next)
{
	struct store_rrset rs;

	if (node->state == STORE_NAME_NONE)
		return NODE_NONE;
	if (l->qtype == ILNPDNS_T_ANY) {
		if (any_answer(l, owner, key, klen))
			return NODE_ANSWERED;
	} else if (node_type(l, key, klen, node, l->qtype, &rs)) {
		if (add(l, RESPONSE_ANSWER, owner, emit_ttl(l, &rs), &rs, true))
			ilnp_additional(l, owner, key, klen, node, &rs);
		return NODE_ANSWERED;
	} else if (l->qtype != ILNPDNS_T_CNAME &&
	           node_type(l, key, klen, node, ILNPDNS_T_CNAME, &rs)) {
		/* RFC 1034 4.3.2 step 3a: the CNAME, then its target. */
		const uint8_t *rd;
		uint16_t rdlen;
		size_t pos = 0;
		if (!add(l, RESPONSE_ANSWER, owner, emit_ttl(l, &rs), &rs, true) ||
		    !store_rrset_next_rdata(&rs, &pos, &rd, &rdlen) ||
		    rdata_name_len(rd, rdlen) != rdlen)
			return NODE_ANSWERED;
		*next = rd;
		return NODE_CNAME;
	}
	/* RFC 8020: an empty non-terminal exists, so it is NODATA. */
	return NODE_NODATA;
}

void answer_query(struct answer_scratch *s, struct store_txn *txn, const uint8_t *qname,
                  uint16_t qtype, bool tcp, struct response *resp, struct answer_result *res)
{
	struct lookup l = {
	    .s = s, .txn = txn, .resp = resp, .res = res, .qtype = qtype, .tcp = tcp};
	const uint8_t *name = qname;

	res->rcode = ILNPDNS_RCODE_NOERROR;
	res->aa = false;
	res->tc = false;
	int rc = store_zone_find(txn, qname, &l.zone);
	if (rc != 0) {
		/* Not ours: no upward referral (PROTOCOLS.md 7.1). */
		res->rcode = rc == ILNPDNS_ENOENT ? ILNPDNS_RCODE_REFUSED : ILNPDNS_RCODE_SERVFAIL;
		return;
	}
	/* DS lives on the parent side of a cut (RFC 4035 3.1.4.1): at the
	 * apex of a zone whose parent we also serve, answer from the parent. */
	if (qtype == ILNPDNS_T_DS && l.zone.apex_labels > 0 &&
	    ilnpdns_dname_labels(qname) == l.zone.apex_labels) {
		struct store_zone parent;
		if (store_zone_find(txn, ilnpdns_dname_skip(qname, 1), &parent) == 0)
			l.zone = parent;
	}
	for (unsigned chain = 0;; chain++) {
		size_t klen = store_owner_key(&l.zone, name, s->key);
		struct store_rrset ns;
		size_t cut = find_cut(&l, s->key, klen, &ns);
		if (!cut) {
			/* One descent reads the name's RRsets: its own NS (a DS
			 * query at a cut belongs to the parent side, RFC 4035
			 * 3.1.4.1), the answer and the additional data. */
			node_read(&l, s->key, klen, &s->node);
			if (qtype != ILNPDNS_T_DS && node_cut(&l, s->key, klen, &s->node, &ns))
				cut = klen;
		}
		if (cut) {
			unsigned below = ilnpdns_dname_labels(name) - l.zone.apex_labels;
			const uint8_t *cutname =
			    ilnpdns_dname_skip(name, below - key_labels(s->key, cut));
			/* AA follows the first name of a CNAME chain (RFC 6604 2.1). */
			res->aa = chain > 0;
			referral(&l, cutname, &ns);
			break;
		}
		res->aa = true;
		const uint8_t *next = NULL;
		enum node_result nr = node_answer(&l, name, s->key, klen, &s->node, &next);
		if (nr == NODE_NONE) {
			/* RFC 4592 3.3.1: the source of synthesis is "*" under the
			 * closest encloser; an existing name or ENT blocks it, and
			 * a cut above it was already found. */
			size_t ce = closest_encloser(&l, s->key, klen);
			memcpy(s->wkey, s->key, ce);
			s->wkey[ce] = '*';
			s->wkey[ce + 1] = 0x00;
			node_read(&l, s->wkey, ce + 2, &s->node);
			nr = node_answer(&l, name, s->wkey, ce + 2, &s->node, &next);
		}
		if (nr == NODE_NONE) {
			negative(&l, ILNPDNS_RCODE_NXDOMAIN);
			break;
		}
		if (nr == NODE_NODATA) {
			negative(&l, ILNPDNS_RCODE_NOERROR);
			break;
		}
		if (nr == NODE_ANSWERED || chain == ANSWER_CHAIN_MAX)
			break;
		/* Follow the chain inside this zone only; stop on a loop. */
		if (!ilnpdns_dname_is_under(next, l.zone.apex))
			break;
		bool loop = ilnpdns_dname_equal(next, qname);
		for (unsigned i = 1; i <= chain && !loop; i++)
			loop = ilnpdns_dname_equal(next, s->names[i]);
		if (loop)
			break;
		memcpy(s->names[chain + 1], next, ilnpdns_dname_len(next));
		name = s->names[chain + 1];
	}
	if (l.failed) {
		res->rcode = ILNPDNS_RCODE_SERVFAIL;
		res->aa = false;
	}
}
