/* SPDX-License-Identifier: BSD-2-Clause */
/* update.c -- RFC 2136 section 3 on the store: zone, prerequisites, policy, prescan, apply. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ilnpdns/dname.h"
#include "ilnpdns/error.h"
#include "ilnpdns/ilnp.h"
#include "ilnpdns/wire.h"
#include "policy.h"
#include "store.h"
#include "update.h"

#define RR_FIXED 10 /* type u16 | class u16 | ttl u32 | rdlength u16 */
#define RR_MIN   11 /* the root name plus the fixed part */
#define SOA_TAIL 20 /* serial, refresh, retry, expire, minimum */

/* ---- serial arithmetic (RFC 1982) ---- */

bool update_serial_gt(uint32_t a, uint32_t b)
{
	/* 3.2: a > b when (a < b and b - a > 2^31) or (a > b and a - b < 2^31);
	 * the distance 2^31 itself is undefined, and we call it "not greater". */
	return (a < b && b - a > 0x80000000u) || (a > b && a - b < 0x80000000u);
}

uint32_t update_serial_next(uint32_t serial, enum update_serial_policy policy, uint64_t now)
{
	uint32_t next = serial + 1;
	if (next == 0) /* RFC 2136 7.11 / 4.2: serial 0 is never used */
		next = 1;
	if (policy == UPDATE_SERIAL_UNIXTIME) {
		uint32_t t = (uint32_t)now;
		if (t != 0 && update_serial_gt(t, serial))
			next = t;
	}
	return next;
}

/* ---- growable buffers ---- */

struct buf {
	uint8_t *p;
	size_t len, cap;
};

static int buf_reserve(struct buf *b, size_t more)
{
	if (b->len + more <= b->cap)
		return 0;
	size_t cap = b->cap ? b->cap : 256;
	while (cap < b->len + more)
		cap *= 2;
	uint8_t *n = realloc(b->p, cap);
	if (!n)
		return ILNPDNS_ENOMEM;
	b->p = n;
	b->cap = cap;
	return 0;
}

static int buf_add(struct buf *b, const void *data, size_t n)
{
	if (n == 0)
		return 0; /* data may be NULL then */
	int rc = buf_reserve(b, n);
	if (rc)
		return rc;
	memcpy(b->p + b->len, data, n);
	b->len += n;
	return 0;
}

/* ---- RDATA ---- */

/*
 * Layout of the RDATA of the types whose names may arrive compressed (RFC
 * 1035 types, and those RFC 3597 4 asks receivers to decompress): 'n' a
 * domain name, 's' a character-string, a digit that many fixed octets.
 * Fixed sizes of A and AAAA are checked too, so the store never holds a
 * short address that the answer path would trip over.
 */
static const struct {
	uint16_t type;
	const char *layout;
} rdata_layouts[] = {
    {1, "4"},       /* A */
    {2, "n"},       /* NS */
    {3, "n"},       /* MD */
    {4, "n"},       /* MF */
    {5, "n"},       /* CNAME */
    {6, "nn44444"}, /* SOA */
    {7, "n"},       /* MB */
    {8, "n"},       /* MG */
    {9, "n"},       /* MR */
    {12, "n"},      /* PTR */
    {14, "nn"},     /* MINFO */
    {15, "2n"},     /* MX */
    {17, "nn"},     /* RP */
    {18, "2n"},     /* AFSDB */
    {21, "2n"},     /* RT */
    {26, "2nn"},    /* PX */
    {28, "88"},     /* AAAA */
    {33, "222n"},   /* SRV */
    {35, "22sssn"}, /* NAPTR */
    {36, "2n"},     /* KX */
    {39, "n"},      /* DNAME */
};

static const char *rdata_layout(uint16_t type)
{
	for (size_t i = 0; i < sizeof(rdata_layouts) / sizeof(rdata_layouts[0]); i++)
		if (rdata_layouts[i].type == type)
			return rdata_layouts[i].layout;
	return NULL;
}

/*
 * The RDATA of an RR at msg[pos], rdlen octets, decompressed into out (room
 * for rdlen + 2 * 255 octets, which the longest layout above needs). Returns
 * the length or ILNPDNS_EMALF / ILNPDNS_ENAME.
 */
static int rdata_decode(uint16_t type, const uint8_t *msg, size_t pos, uint16_t rdlen, uint8_t *out)
{
	size_t end = pos + rdlen;

	if (ilnpdns_type_is_ilnp(type))
		return ilnpdns_ilnp_rdata_unpack(type, msg, end, pos, rdlen, out);
	const char *layout = rdata_layout(type);
	if (!layout) {
		/* Opaque: RFC 3597 forbids compression in types it does not list. */
		memcpy(out, msg + pos, rdlen);
		return rdlen;
	}
	size_t p = pos, o = 0;
	for (; *layout; layout++) {
		if (*layout == 'n') {
			/* Bounded by the RDATA's end: a name running past
			 * RDLENGTH is malformed even when the message holds it. */
			int n = ilnpdns_dname_unpack(msg, end, &p, out + o);
			if (n < 0)
				return n;
			o += (size_t)n;
		} else {
			size_t n =
			    *layout == 's' ? (p < end ? 1u + msg[p] : 1u) : (size_t)(*layout - '0');
			if (n > end - p)
				return ILNPDNS_EMALF;
			memcpy(out + o, msg + p, n);
			o += n;
			p += n;
		}
	}
	if (p != end || o > UINT16_MAX)
		return ILNPDNS_EMALF;
	return (int)o;
}

/* Length of a name at p within n octets, or 0 if it is not a whole uncompressed name. */
static size_t name_len_within(const uint8_t *p, size_t n)
{
	size_t i = 0;
	while (i < n) {
		if (p[i] == 0)
			return i + 1;
		if (p[i] > 63)
			return 0;
		i += 1u + p[i];
	}
	return 0;
}

/* Offset of the serial in SOA RDATA, or 0 when the RDATA is not a SOA's. */
static size_t soa_serial_off(const uint8_t *rd, size_t len)
{
	size_t a = name_len_within(rd, len);
	if (!a)
		return 0;
	size_t b = name_len_within(rd + a, len - a);
	if (!b || len - a - b != SOA_TAIL)
		return 0;
	return a + b;
}

/*
 * RFC 2136 1.1.1 equality of two RDATAs of one type: octet by octet, except
 * the LP FQDN, which compares case-insensitively (PROTOCOLS.md 2.2).
 */
static bool rdata_equal(uint16_t type, const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	if (alen != blen)
		return false;
	if (type == ILNPDNS_T_LP && alen >= 3 && a[0] == b[0] && a[1] == b[1] &&
	    ilnpdns_ilnp_rdata_check(type, a, alen) == 0 &&
	    ilnpdns_ilnp_rdata_check(type, b, blen) == 0)
		return ilnpdns_dname_equal(a + 2, b + 2);
	return memcmp(a, b, alen) == 0;
}

/* RFC 6895 3.1: 128-255 are meta and query types; OPT is meta too; 0 is reserved. */
static bool type_is_meta(uint16_t type)
{
	return type == 0 || type == ILNPDNS_T_OPT || (type >= 128 && type <= 255);
}

/* Types that may share a name with a CNAME (RFC 4035 2.5). */
static bool type_cname_compatible(uint16_t type)
{
	return type == ILNPDNS_T_CNAME || type == ILNPDNS_T_RRSIG || type == ILNPDNS_T_NSEC;
}

/* ---- the parsed message ---- */

struct msg_rr {
	uint8_t owner[ILNPDNS_DNAME_MAXLEN]; /* uncompressed, lowercased */
	uint16_t type, rrclass;
	uint32_t ttl;
	uint16_t rdlen;  /* RDLENGTH on the wire */
	size_t rd_off;   /* decompressed RDATA in the arena */
	uint16_t rd_len; /* its length */
	bool decoded;    /* RDATA was decoded (class IN, or NONE with data) */
	bool in_zone;
};

/* ---- the working set: RRsets the update touched, before and now ---- */

struct rdl {
	struct buf b; /* count x (rdlen u16 | rdata), as in the store */
	uint32_t count;
};

struct wrrset {
	uint8_t owner[ILNPDNS_DNAME_MAXLEN]; /* lowercased */
	size_t owner_len;
	uint16_t type;
	uint32_t orig_ttl, ttl;
	struct rdl orig, cur;
};

struct ctx {
	struct store_txn *txn;
	struct store_zone zone;
	uint8_t apex[ILNPDNS_DNAME_MAXLEN];    /* zone.apex points here */
	uint8_t apex_lc[ILNPDNS_DNAME_MAXLEN]; /* lowercased, for owners */
	const uint8_t *msg;
	struct msg_rr *rrs;
	size_t nrrs;
	struct buf arena; /* decompressed RDATA of rrs */
	struct wrrset **ws;
	size_t nws, capws;
	bool soa_replaced;
};

static const uint8_t *rr_rdata(const struct ctx *c, const struct msg_rr *rr)
{
	/* Empty RDATA may come with no arena at all. */
	return c->arena.p ? c->arena.p + rr->rd_off : (const uint8_t *)"";
}

static bool rdl_next(const struct rdl *l, size_t *pos, const uint8_t **rd, uint16_t *len)
{
	if (*pos + 2 > l->b.len)
		return false;
	*len = ilnpdns_get16(l->b.p + *pos);
	*rd = l->b.p + *pos + 2;
	*pos += 2u + *len;
	return true;
}

static int rdl_add(struct rdl *l, const uint8_t *rd, uint16_t len)
{
	if (l->count == UINT16_MAX) /* the store's count field is 16 bits */
		return ILNPDNS_ERANGE;
	uint8_t hdr[2];
	ilnpdns_put16(hdr, len);
	int rc = buf_add(&l->b, hdr, 2);
	if (rc == 0)
		rc = buf_add(&l->b, rd, len);
	if (rc == 0)
		l->count++;
	return rc;
}

/* Offset of the entry equal to rd (rdata_equal), or -1. */
static long rdl_find(const struct rdl *l, uint16_t type, const uint8_t *rd, uint16_t len,
                     bool exact)
{
	size_t pos = 0, at;
	const uint8_t *x;
	uint16_t xl;
	for (at = pos; rdl_next(l, &pos, &x, &xl); at = pos)
		if (exact ? (xl == len && memcmp(x, rd, len) == 0)
		          : rdata_equal(type, x, xl, rd, len))
			return (long)at;
	return -1;
}

static void rdl_remove_at(struct rdl *l, size_t at)
{
	size_t n = 2u + ilnpdns_get16(l->b.p + at);
	memmove(l->b.p + at, l->b.p + at + n, l->b.len - at - n);
	l->b.len -= n;
	l->count--;
}

static void rdl_clear(struct rdl *l)
{
	l->b.len = 0;
	l->count = 0;
}

static void ctx_free(struct ctx *c)
{
	for (size_t i = 0; i < c->nws; i++) {
		free(c->ws[i]->orig.b.p);
		free(c->ws[i]->cur.b.p);
		free(c->ws[i]);
	}
	free(c->ws);
	free(c->rrs);
	free(c->arena.p);
}

static struct wrrset *ws_find(struct ctx *c, const uint8_t *owner, size_t owner_len, uint16_t type)
{
	for (size_t i = 0; i < c->nws; i++) {
		struct wrrset *w = c->ws[i];
		if (w->type == type && w->owner_len == owner_len &&
		    memcmp(w->owner, owner, owner_len) == 0)
			return w;
	}
	return NULL;
}

/* The working copy of <owner, type> (owner lowercased), read from the store on first use. */
static int ws_get(struct ctx *c, const uint8_t *owner, uint16_t type, struct wrrset **out)
{
	size_t olen = ilnpdns_dname_len(owner);
	struct wrrset *w = ws_find(c, owner, olen, type);
	if (w) {
		*out = w;
		return 0;
	}
	if (c->nws == c->capws) {
		size_t cap = c->capws ? 2 * c->capws : 16;
		struct wrrset **n = realloc(c->ws, cap * sizeof(*n));
		if (!n)
			return ILNPDNS_ENOMEM;
		c->ws = n;
		c->capws = cap;
	}
	w = calloc(1, sizeof(*w));
	if (!w)
		return ILNPDNS_ENOMEM;
	c->ws[c->nws++] = w;
	memcpy(w->owner, owner, olen);
	w->owner_len = olen;
	w->type = type;

	uint8_t key[ILNPDNS_DNAME_KEYMAX];
	size_t klen = store_owner_key(&c->zone, owner, key);
	struct store_rrset rs;
	int rc = store_rrset_get(c->txn, &c->zone, key, klen, type, &rs);
	if (rc == ILNPDNS_ENOENT)
		return *out = w, 0;
	if (rc)
		return rc;
	size_t pos = 0;
	const uint8_t *rd;
	uint16_t rdlen;
	while (store_rrset_next_rdata(&rs, &pos, &rd, &rdlen))
		if ((rc = rdl_add(&w->orig, rd, rdlen)) || (rc = rdl_add(&w->cur, rd, rdlen)))
			return rc;
	w->orig_ttl = w->ttl = rs.ttl;
	*out = w;
	return 0;
}

struct load_arg {
	struct ctx *c;
	const uint8_t *owner;
};

static int load_one(const struct store_rrset *rs, void *arg)
{
	struct load_arg *a = arg;
	struct wrrset *w;
	return ws_get(a->c, a->owner, rs->type, &w);
}

/* Bring every RRset the store holds at owner into the working set. */
static int ws_load_name(struct ctx *c, const uint8_t *owner)
{
	uint8_t key[ILNPDNS_DNAME_KEYMAX];
	size_t klen = store_owner_key(&c->zone, owner, key);
	struct load_arg a = {c, owner};
	/* No store writes happen before apply ends, so the borrowed views
	 * store_name_foreach hands out stay valid while ws_get reads. */
	return store_name_foreach(c->txn, &c->zone, key, klen, load_one, &a);
}

/* ---- parsing ---- */

static int parse_rr(struct ctx *c, const uint8_t *msg, size_t len, size_t *pos, struct msg_rr *rr,
                    bool decode)
{
	int n = ilnpdns_dname_unpack(msg, len, pos, rr->owner);
	if (n < 0)
		return n;
	ilnpdns_dname_lower(rr->owner);
	if (len - *pos < RR_FIXED)
		return ILNPDNS_EMALF;
	const uint8_t *p = msg + *pos;
	rr->type = ilnpdns_get16(p);
	rr->rrclass = ilnpdns_get16(p + 2);
	rr->ttl = ilnpdns_get32(p + 4);
	rr->rdlen = ilnpdns_get16(p + 8);
	*pos += RR_FIXED;
	if (len - *pos < rr->rdlen)
		return ILNPDNS_EMALF;
	rr->in_zone = ilnpdns_dname_is_under(rr->owner, c->zone.apex);
	rr->decoded = false;
	rr->rd_off = 0;
	rr->rd_len = 0;
	/* Data RRs (class IN; class NONE with RDATA, a "delete this RR") are
	 * decoded now: bad RDATA is a malformed message (FORMERR), and names in
	 * it must be decompressed before they reach the store. */
	if (decode &&
	    (rr->rrclass == ILNPDNS_C_IN || (rr->rrclass == ILNPDNS_C_NONE && rr->rdlen > 0))) {
		int rc = buf_reserve(&c->arena, (size_t)rr->rdlen + 2 * ILNPDNS_DNAME_MAXLEN);
		if (rc)
			return rc;
		n = rdata_decode(rr->type, msg, *pos, rr->rdlen, c->arena.p + c->arena.len);
		if (n < 0)
			return n;
		rr->rd_off = c->arena.len;
		rr->rd_len = (uint16_t)n;
		rr->decoded = true;
		c->arena.len += (size_t)n;
	}
	*pos += rr->rdlen;
	return 0;
}

static int set_rcode(struct update_result *res, int rcode, const char *why)
{
	res->rcode = rcode;
	res->why = why;
	return 0;
}

/* ---- prerequisites (RFC 2136 3.2) ---- */

static int check_value_rrsets(struct ctx *c, size_t first, size_t count, struct update_result *res)
{
	/* 3.2.3: every <name, type> set collected from the prerequisites must
	 * equal the zone's RRset exactly, TTLs aside: no more, no fewer RRs. */
	for (size_t i = first; i < first + count; i++) {
		const struct msg_rr *a = &c->rrs[i];
		if (a->rrclass != ILNPDNS_C_IN)
			continue;
		bool seen = false;
		for (size_t j = first; j < i && !seen; j++)
			seen = c->rrs[j].rrclass == ILNPDNS_C_IN && c->rrs[j].type == a->type &&
			       ilnpdns_dname_equal(c->rrs[j].owner, a->owner);
		if (seen)
			continue; /* this set was compared already */

		uint8_t key[ILNPDNS_DNAME_KEYMAX];
		size_t klen = store_owner_key(&c->zone, a->owner, key);
		struct store_rrset rs;
		int rc = store_rrset_get(c->txn, &c->zone, key, klen, a->type, &rs);
		if (rc == ILNPDNS_ENOENT)
			return set_rcode(res, ILNPDNS_RCODE_NXRRSET, "prerequisite RRset absent");
		if (rc)
			return rc;
		/* Each prerequisite RR must be in the zone set ... */
		for (size_t j = i; j < first + count; j++) {
			const struct msg_rr *b = &c->rrs[j];
			if (b->rrclass != ILNPDNS_C_IN || b->type != a->type ||
			    !ilnpdns_dname_equal(b->owner, a->owner))
				continue;
			size_t pos = 0;
			const uint8_t *rd;
			uint16_t rdlen;
			bool found = false;
			while (!found && store_rrset_next_rdata(&rs, &pos, &rd, &rdlen))
				found = rdata_equal(a->type, rd, rdlen, rr_rdata(c, b), b->rd_len);
			if (!found)
				return set_rcode(res, ILNPDNS_RCODE_NXRRSET,
				                 "prerequisite RR not in the zone");
		}
		/* ... and each zone RR in the prerequisite set. */
		size_t pos = 0;
		const uint8_t *rd;
		uint16_t rdlen;
		while (store_rrset_next_rdata(&rs, &pos, &rd, &rdlen)) {
			bool found = false;
			for (size_t j = i; j < first + count && !found; j++) {
				const struct msg_rr *b = &c->rrs[j];
				found = b->rrclass == ILNPDNS_C_IN && b->type == a->type &&
				        ilnpdns_dname_equal(b->owner, a->owner) &&
				        rdata_equal(a->type, rd, rdlen, rr_rdata(c, b), b->rd_len);
			}
			if (!found)
				return set_rcode(res, ILNPDNS_RCODE_NXRRSET,
				                 "zone RRset has RRs the prerequisite lacks");
		}
	}
	return 0;
}

static int check_prereqs(struct ctx *c, size_t first, size_t count, struct update_result *res)
{
	for (size_t i = first; i < first + count; i++) {
		const struct msg_rr *rr = &c->rrs[i];
		if (rr->ttl != 0)
			return set_rcode(res, ILNPDNS_RCODE_FORMERR, "prerequisite TTL not 0");
		if (!rr->in_zone)
			return set_rcode(res, ILNPDNS_RCODE_NOTZONE,
			                 "prerequisite outside the zone");

		uint8_t key[ILNPDNS_DNAME_KEYMAX];
		size_t klen = store_owner_key(&c->zone, rr->owner, key);
		struct store_rrset rs;
		int rc;
		switch (rr->rrclass) {
		case ILNPDNS_C_ANY:
			if (rr->rdlen != 0)
				return set_rcode(res, ILNPDNS_RCODE_FORMERR,
				                 "prerequisite of class ANY with RDATA");
			if (rr->type == ILNPDNS_T_ANY) {
				/* 2.4.4: "name is in use"; an empty non-terminal is not. */
				if (store_name_state(c->txn, &c->zone, key, klen) !=
				    STORE_NAME_DATA)
					return set_rcode(res, ILNPDNS_RCODE_NXDOMAIN,
					                 "prerequisite: name not in use");
			} else {
				rc = store_rrset_get(c->txn, &c->zone, key, klen, rr->type, &rs);
				if (rc == ILNPDNS_ENOENT)
					return set_rcode(res, ILNPDNS_RCODE_NXRRSET,
					                 "prerequisite: RRset does not exist");
				if (rc)
					return rc;
			}
			break;
		case ILNPDNS_C_NONE:
			if (rr->rdlen != 0)
				return set_rcode(res, ILNPDNS_RCODE_FORMERR,
				                 "prerequisite of class NONE with RDATA");
			if (rr->type == ILNPDNS_T_ANY) {
				/* 2.4.5: an empty non-terminal counts as not in use. */
				if (store_name_state(c->txn, &c->zone, key, klen) ==
				    STORE_NAME_DATA)
					return set_rcode(res, ILNPDNS_RCODE_YXDOMAIN,
					                 "prerequisite: name in use");
			} else {
				rc = store_rrset_get(c->txn, &c->zone, key, klen, rr->type, &rs);
				if (rc == 0)
					return set_rcode(res, ILNPDNS_RCODE_YXRRSET,
					                 "prerequisite: RRset exists");
				if (rc != ILNPDNS_ENOENT)
					return rc;
			}
			break;
		case ILNPDNS_C_IN:
			/* Decision (PROTOCOLS.md 2.3): a value-dependent
			 * prerequisite on a meta type or SIG is malformed. */
			if (type_is_meta(rr->type) || rr->type == ILNPDNS_T_SIG)
				return set_rcode(res, ILNPDNS_RCODE_FORMERR,
				                 "prerequisite on a meta type");
			break;
		default:
			return set_rcode(res, ILNPDNS_RCODE_FORMERR, "prerequisite of bad class");
		}
	}
	return check_value_rrsets(c, first, count, res);
}

/* ---- policy (RFC 3007 3) and prescan (RFC 2136 3.4.1) ---- */

static int check_policy(struct ctx *c, size_t first, size_t count, const struct update_opts *o,
                        struct update_result *res)
{
	if (!o->signer || !o->policy)
		return 0;
	for (size_t i = first; i < first + count; i++) {
		const struct msg_rr *rr = &c->rrs[i];
		/* Names outside the zone get NOTZONE from the prescan. */
		if (!rr->in_zone)
			continue;
		if (!policy_allows(o->policy, o->signer, rr->owner, rr->type))
			return set_rcode(res, ILNPDNS_RCODE_REFUSED, "denied by update-policy");
	}
	return 0;
}

static int prescan(struct ctx *c, size_t first, size_t count, struct update_result *res)
{
	for (size_t i = first; i < first + count; i++) {
		const struct msg_rr *rr = &c->rrs[i];
		if (!rr->in_zone)
			return set_rcode(res, ILNPDNS_RCODE_NOTZONE, "update outside the zone");
		switch (rr->rrclass) {
		case ILNPDNS_C_IN:
			if (type_is_meta(rr->type))
				return set_rcode(res, ILNPDNS_RCODE_FORMERR, "add of a meta type");
			/* RFC 6742 2.4.1.2: an LP must not name its own owner;
			 * refused as a policy matter (PROTOCOLS.md 1.2). */
			if (rr->type == ILNPDNS_T_LP &&
			    ilnpdns_ilnp_lp_is_self(rr->owner, rr_rdata(c, rr), rr->rd_len))
				return set_rcode(res, ILNPDNS_RCODE_REFUSED,
				                 "LP names its own owner");
			break;
		case ILNPDNS_C_ANY:
			if (rr->ttl != 0 || rr->rdlen != 0 ||
			    (type_is_meta(rr->type) && rr->type != ILNPDNS_T_ANY))
				return set_rcode(res, ILNPDNS_RCODE_FORMERR,
				                 "bad delete of class ANY");
			break;
		case ILNPDNS_C_NONE:
			if (rr->ttl != 0 || type_is_meta(rr->type))
				return set_rcode(res, ILNPDNS_RCODE_FORMERR,
				                 "bad delete of class NONE");
			break;
		default:
			return set_rcode(res, ILNPDNS_RCODE_FORMERR, "update of bad class");
		}
	}
	return 0;
}

/* ---- apply (RFC 2136 3.4.2) ---- */

static bool is_apex(const struct ctx *c, const uint8_t *owner)
{
	return ilnpdns_dname_equal(owner, c->apex_lc);
}

static int apply_add(struct ctx *c, const struct msg_rr *rr)
{
	const uint8_t *rd = rr_rdata(c, rr);
	/* RFC 2181 8: a TTL with the top bit set means 0. */
	uint32_t ttl = rr->ttl & 0x80000000u ? 0 : rr->ttl;
	struct wrrset *w;
	int rc;

	if (rr->type == ILNPDNS_T_SOA) {
		/* 3.4.2.2: no SOA creation (7.6), and a replacement must
		 * carry a serial greater than the zone's (RFC 1982). */
		if (!is_apex(c, rr->owner))
			return 0;
		if ((rc = ws_get(c, c->apex_lc, ILNPDNS_T_SOA, &w)))
			return rc;
		size_t pos = 0, off_old, off_new = soa_serial_off(rd, rr->rd_len);
		const uint8_t *old;
		uint16_t oldlen;
		if (!rdl_next(&w->cur, &pos, &old, &oldlen) ||
		    !(off_old = soa_serial_off(old, oldlen)) || !off_new)
			return 0;
		if (!update_serial_gt(ilnpdns_get32(rd + off_new), ilnpdns_get32(old + off_old)))
			return 0;
		rdl_clear(&w->cur);
		w->ttl = ttl;
		c->soa_replaced = true;
		return rdl_add(&w->cur, rd, rr->rd_len);
	}

	if (rr->type == ILNPDNS_T_CNAME) {
		/* 3.4.2.2: a CNAME joins no other data; it replaces a CNAME. */
		if ((rc = ws_load_name(c, rr->owner)))
			return rc;
		for (size_t i = 0; i < c->nws; i++) {
			struct wrrset *x = c->ws[i];
			if (x->cur.count && !type_cname_compatible(x->type) &&
			    x->owner_len == ilnpdns_dname_len(rr->owner) &&
			    memcmp(x->owner, rr->owner, x->owner_len) == 0)
				return 0;
		}
		if ((rc = ws_get(c, rr->owner, ILNPDNS_T_CNAME, &w)))
			return rc;
		rdl_clear(&w->cur);
		w->ttl = ttl;
		return rdl_add(&w->cur, rd, rr->rd_len);
	}

	if (!type_cname_compatible(rr->type)) {
		/* ... and other data does not join a CNAME. */
		if ((rc = ws_get(c, rr->owner, ILNPDNS_T_CNAME, &w)))
			return rc;
		if (w->cur.count)
			return 0;
	}
	if ((rc = ws_get(c, rr->owner, rr->type, &w)))
		return rc;
	/* A duplicate replaces the zone RR: only the TTL can change, and an
	 * RRset has one TTL (RFC 2181 5.2), so the newest RR's TTL wins. */
	w->ttl = ttl;
	if (rdl_find(&w->cur, rr->type, rd, rr->rd_len, false) >= 0)
		return 0;
	return rdl_add(&w->cur, rd, rr->rd_len);
}

static int apply_delete_rrset(struct ctx *c, const struct msg_rr *rr)
{
	struct wrrset *w;
	/* 3.4.2.3: the apex SOA and NS RRsets are never deleted this way. */
	if (is_apex(c, rr->owner) && (rr->type == ILNPDNS_T_SOA || rr->type == ILNPDNS_T_NS))
		return 0;
	int rc = ws_get(c, rr->owner, rr->type, &w);
	if (rc == 0)
		rdl_clear(&w->cur);
	return rc;
}

static int apply_delete_name(struct ctx *c, const struct msg_rr *rr)
{
	int rc = ws_load_name(c, rr->owner);
	if (rc)
		return rc;
	size_t olen = ilnpdns_dname_len(rr->owner);
	bool apex = is_apex(c, rr->owner);
	for (size_t i = 0; i < c->nws; i++) {
		struct wrrset *w = c->ws[i];
		if (w->owner_len != olen || memcmp(w->owner, rr->owner, olen) != 0)
			continue;
		/* 3.4.2.3: at the apex, SOA and NS survive. */
		if (apex && (w->type == ILNPDNS_T_SOA || w->type == ILNPDNS_T_NS))
			continue;
		rdl_clear(&w->cur);
	}
	return 0;
}

static int apply_delete_rr(struct ctx *c, const struct msg_rr *rr)
{
	struct wrrset *w;
	/* 3.4.2.4: SOA RRs are never deleted one by one. */
	if (rr->type == ILNPDNS_T_SOA)
		return 0;
	int rc = ws_get(c, rr->owner, rr->type, &w);
	if (rc)
		return rc;
	long at = rdl_find(&w->cur, rr->type, rr_rdata(c, rr), rr->rd_len, false);
	if (at < 0)
		return 0;
	/* ... nor the last NS of the apex. */
	if (rr->type == ILNPDNS_T_NS && w->cur.count == 1 && is_apex(c, rr->owner))
		return 0;
	rdl_remove_at(&w->cur, (size_t)at);
	return 0;
}

static int apply(struct ctx *c, size_t first, size_t count)
{
	for (size_t i = first; i < first + count; i++) {
		const struct msg_rr *rr = &c->rrs[i];
		int rc;
		if (rr->rrclass == ILNPDNS_C_IN)
			rc = apply_add(c, rr);
		else if (rr->rrclass == ILNPDNS_C_ANY && rr->type == ILNPDNS_T_ANY)
			rc = apply_delete_name(c, rr);
		else if (rr->rrclass == ILNPDNS_C_ANY)
			rc = apply_delete_rrset(c, rr);
		else
			rc = apply_delete_rr(c, rr);
		if (rc)
			return rc;
	}
	return 0;
}

/* ---- commit: effective diff, serial, journal, write-back ---- */

struct journal {
	struct buf removed, added;
	uint32_t nremoved, nadded;
};

static int journal_rr(struct buf *b, const uint8_t *owner, size_t owner_len, uint16_t type,
                      uint32_t ttl, const uint8_t *rd, uint16_t rdlen)
{
	uint8_t fixed[RR_FIXED];
	ilnpdns_put16(fixed, type);
	ilnpdns_put16(fixed + 2, ILNPDNS_C_IN);
	ilnpdns_put32(fixed + 4, ttl);
	ilnpdns_put16(fixed + 8, rdlen);
	int rc = buf_add(b, owner, owner_len);
	if (rc == 0)
		rc = buf_add(b, fixed, sizeof(fixed));
	if (rc == 0)
		rc = buf_add(b, rd, rdlen);
	return rc;
}

/*
 * Add the RRs of `from` that are not in `other` (octet-exact: a stored LP
 * whose case changed did change) to b. With all set, add every RR of from.
 */
static int diff_side(struct buf *b, uint32_t *n, const struct wrrset *w, const struct rdl *from,
                     uint32_t ttl, const struct rdl *other, bool all)
{
	size_t pos = 0;
	const uint8_t *rd;
	uint16_t len;
	while (rdl_next(from, &pos, &rd, &len)) {
		if (!all && rdl_find(other, w->type, rd, len, true) >= 0)
			continue;
		int rc = journal_rr(b, w->owner, w->owner_len, w->type, ttl, rd, len);
		if (rc)
			return rc;
		(*n)++;
	}
	return 0;
}

/* The diff of one RRset into j; *changed tells whether it must be written. */
static int diff_rrset(struct journal *j, const struct wrrset *w, bool *changed)
{
	uint32_t r0 = j->nremoved, a0 = j->nadded;
	bool ttl_changed = w->orig.count && w->cur.count && w->orig_ttl != w->ttl;
	int rc =
	    diff_side(&j->removed, &j->nremoved, w, &w->orig, w->orig_ttl, &w->cur, ttl_changed);
	if (rc == 0)
		rc = diff_side(&j->added, &j->nadded, w, &w->cur, w->ttl, &w->orig, ttl_changed);
	*changed = j->nremoved != r0 || j->nadded != a0;
	return rc;
}

static int write_rrset(struct ctx *c, const struct wrrset *w)
{
	uint8_t key[ILNPDNS_DNAME_KEYMAX];
	size_t klen = store_owner_key(&c->zone, w->owner, key);
	if (w->cur.count == 0) {
		int rc = store_rrset_delete(c->txn, &c->zone, key, klen, w->type);
		return rc == ILNPDNS_ENOENT ? 0 : rc;
	}
	return store_rrset_put(c->txn, &c->zone, key, klen, w->type, w->ttl, (uint16_t)w->cur.count,
	                       w->cur.b.p, w->cur.b.len);
}

static int commit(struct ctx *c, struct wrrset *soa, const struct update_opts *o,
                  struct update_result *res)
{
	struct journal j = {0};
	struct buf rrs = {0};
	int rc = 0;
	bool any = false;

	/* Removed: the old SOA first; added: the new SOA first (RFC 1995 4
	 * difference sequences). The SOA itself is handled here, not below. */
	const uint8_t *old_soa;
	uint16_t old_len;
	size_t pos = 0;
	if (!rdl_next(&soa->orig, &pos, &old_soa, &old_len))
		return ILNPDNS_EZONE;
	size_t off = soa_serial_off(old_soa, old_len);
	if (!off)
		return ILNPDNS_EZONE;
	res->old_serial = res->new_serial = ilnpdns_get32(old_soa + off);

	for (size_t i = 0; i < c->nws; i++) {
		struct wrrset *w = c->ws[i];
		bool changed;
		if (w == soa)
			continue;
		if ((rc = diff_rrset(&j, w, &changed)))
			goto out;
		if (changed) {
			any = true;
			if ((rc = write_rrset(c, w)))
				goto out;
		}
	}
	if (!any && !c->soa_replaced)
		goto out; /* duplicates and deletes of absent data: no change, no bump */

	uint32_t serial;
	if (c->soa_replaced) {
		/* The update set the serial itself: no bump on top (3.6). */
		pos = 0;
		const uint8_t *rd = NULL;
		uint16_t len = 0;
		rdl_next(&soa->cur, &pos, &rd, &len);
		serial = ilnpdns_get32(rd + soa_serial_off(rd, len));
	} else {
		uint64_t now = o->now ? o->now : (uint64_t)time(NULL);
		serial = update_serial_next(res->old_serial, o->serial_policy, now);
		rdl_clear(&soa->cur);
		if ((rc = rdl_add(&soa->cur, old_soa, old_len)))
			goto out;
		ilnpdns_put32(soa->cur.b.p + 2 + off, serial);
		soa->ttl = soa->orig_ttl;
	}
	pos = 0;
	const uint8_t *new_soa = NULL;
	uint16_t new_len = 0;
	rdl_next(&soa->cur, &pos, &new_soa, &new_len);

	if ((rc = journal_rr(&rrs, soa->owner, soa->owner_len, ILNPDNS_T_SOA, soa->orig_ttl,
	                     old_soa, old_len)) ||
	    (rc = buf_add(&rrs, j.removed.p, j.removed.len)) ||
	    (rc = journal_rr(&rrs, soa->owner, soa->owner_len, ILNPDNS_T_SOA, soa->ttl, new_soa,
	                     new_len)) ||
	    (rc = buf_add(&rrs, j.added.p, j.added.len)))
		goto out;
	if ((rc = write_rrset(c, soa)) || (rc = store_zone_set_serial(c->txn, &c->zone, serial)) ||
	    (rc = store_journal_append(c->txn, &c->zone, res->old_serial, serial, j.nremoved + 1,
	                               j.nadded + 1, rrs.p, rrs.len)))
		goto out;
	res->changed = true;
	res->new_serial = serial;
	res->removed = j.nremoved + 1;
	res->added = j.nadded + 1;
out:
	free(j.removed.p);
	free(j.added.p);
	free(rrs.p);
	return rc;
}

/* ---- the whole request ---- */

int update_process(struct store_txn *txn, const uint8_t *msg, size_t len, uint16_t adcount,
                   const struct update_opts *opts, struct update_result *res)
{
	static const struct update_opts defaults = {0};
	struct ctx c = {.txn = txn, .msg = msg};
	int rc = 0;

	if (!opts)
		opts = &defaults;
	memset(res, 0, sizeof(*res));
	if (len < ILNPDNS_HDR_LEN)
		return set_rcode(res, ILNPDNS_RCODE_FORMERR, "short header");
	uint16_t flags = ilnpdns_get16(msg + 2);
	if (ILNPDNS_OPCODE(flags) != ILNPDNS_OP_UPDATE)
		return set_rcode(res, ILNPDNS_RCODE_NOTIMP, "not an UPDATE");
	if (flags & ILNPDNS_FLAG_QR)
		return set_rcode(res, ILNPDNS_RCODE_FORMERR, "a response, not a request");
	uint16_t zocount = ilnpdns_get16(msg + 4);
	uint16_t prcount = ilnpdns_get16(msg + 6);
	uint16_t upcount = ilnpdns_get16(msg + 8);
	res->prereqs = prcount;
	res->updates = upcount;

	/* Zone section (3.1.1): exactly one zone, of type SOA. */
	if (zocount != 1)
		return set_rcode(res, ILNPDNS_RCODE_FORMERR, "ZOCOUNT is not 1");
	size_t pos = ILNPDNS_HDR_LEN;
	uint8_t zname[ILNPDNS_DNAME_MAXLEN];
	if (ilnpdns_dname_unpack(msg, len, &pos, zname) < 0 || len - pos < 4)
		return set_rcode(res, ILNPDNS_RCODE_FORMERR, "malformed zone section");
	uint16_t ztype = ilnpdns_get16(msg + pos), zclass = ilnpdns_get16(msg + pos + 2);
	pos += 4;
	if (ztype != ILNPDNS_T_SOA)
		return set_rcode(res, ILNPDNS_RCODE_FORMERR, "ZTYPE is not SOA");
	/* 3.1.2: a zone we are not primary for. We serve class IN only. */
	if (zclass != ILNPDNS_C_IN)
		return set_rcode(res, ILNPDNS_RCODE_NOTAUTH, "zone class not served");
	rc = store_zone_get(txn, zname, &c.zone);
	if (rc == ILNPDNS_ENOENT)
		return set_rcode(res, ILNPDNS_RCODE_NOTAUTH, "zone not served");
	if (rc)
		return rc;
	/* The view points into the map, which our writes may move. */
	memcpy(c.apex, c.zone.apex, c.zone.apex_len);
	c.zone.apex = c.apex;
	memcpy(c.apex_lc, c.apex, c.zone.apex_len);
	ilnpdns_dname_lower(c.apex_lc);
	res->old_serial = res->new_serial = c.zone.serial;

	/* update.max-rrs: a huge update costs parsing, policy and prerequisite
	 * work (and locks the writer) before it could be refused; the caller
	 * has authenticated it, so REFUSED tells an outsider nothing. */
	if (opts->max_rrs && (unsigned)prcount + upcount > opts->max_rrs)
		return set_rcode(res, ILNPDNS_RCODE_REFUSED, "too many RRs (update.max-rrs)");

	/* Parse every RR first: a malformed message is FORMERR, whatever else.
	 * Each RR takes at least 11 octets, which bounds the allocation. */
	size_t total = (size_t)prcount + upcount + adcount;
	if (total * RR_MIN > len - pos)
		return set_rcode(res, ILNPDNS_RCODE_FORMERR, "counts exceed the message");
	c.nrrs = (size_t)prcount + upcount;
	if (c.nrrs && !(c.rrs = calloc(c.nrrs, sizeof(*c.rrs))))
		return ILNPDNS_ENOMEM;
	for (size_t i = 0; i < total; i++) {
		struct msg_rr extra;
		struct msg_rr *rr = i < c.nrrs ? &c.rrs[i] : &extra;
		rc = parse_rr(&c, msg, len, &pos, rr, i < c.nrrs);
		if (rc == ILNPDNS_ENOMEM)
			goto out;
		if (rc) {
			rc = set_rcode(res, ILNPDNS_RCODE_FORMERR,
			               i < prcount  ? "malformed prerequisite"
			               : i < c.nrrs ? "malformed update RR"
			                            : "malformed additional RR");
			goto out;
		}
	}

	/* The order is discussed in update.h. Nothing is written until all
	 * checks passed, so a refusal needs no undo (3.3). */
	if ((rc = check_policy(&c, prcount, upcount, opts, res)) || res->rcode ||
	    (rc = check_prereqs(&c, 0, prcount, res)) || res->rcode ||
	    (rc = prescan(&c, prcount, upcount, res)) || res->rcode)
		goto out;

	/* Load the SOA first: the serial and the journal need its old state. */
	struct wrrset *soa;
	if ((rc = ws_get(&c, c.apex_lc, ILNPDNS_T_SOA, &soa)))
		goto out;
	if (soa->orig.count != 1) {
		rc = ILNPDNS_EZONE;
		goto out;
	}
	if ((rc = apply(&c, prcount, upcount)) || (rc = commit(&c, soa, opts, res)))
		goto out;
	set_rcode(res, ILNPDNS_RCODE_NOERROR, NULL);
out:
	ctx_free(&c);
	return rc;
}
