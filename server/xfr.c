/* SPDX-License-Identifier: BSD-2-Clause */
/* xfr.c -- outbound zone transfers: AXFR (RFC 5936) and IXFR (RFC 1995) as a message iterator. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "ilnpdns/dname.h"
#include "ilnpdns/error.h"
#include "ilnpdns/tsig.h"
#include "ilnpdns/wire.h"
#include "response.h"
#include "store.h"
#include "update.h"
#include "xfr.h"

#define FULL 1 /* the message is full: stop filling, more follows */

/* One RR of a journal entry: owner | type | class | ttl | rdlen | rdata. */
struct jrr {
	const uint8_t *p;
	uint32_t len;
	bool live; /* condensing: not cancelled by a later opposite change */
};

enum phase { PH_SOA_FIRST, PH_BODY, PH_SOA_LAST, PH_DONE };

struct xfr {
	struct store_txn *txn;
	struct store_zone zone;
	struct xfr_request req;
	struct xfr_opts opts;
	struct ilnpdns_tsig_ctx *tctx;
	bool sign;
	struct ilnpdns_tsig_state tsig;

	enum xfr_kind kind;
	enum phase phase;
	bool single_soa; /* the answer is one SOA */
	struct store_rrset soa;
	uint32_t serial;

	/* Full transfer: the walk's position (the last RRset begun). */
	bool walk_started;
	uint8_t key[ILNPDNS_DNAME_KEYMAX];
	size_t keylen;
	uint16_t type;
	bool partial; /* the RRset at the position was split; part_pos is where to go on */
	struct store_rrset part;
	size_t part_pos;
	uint8_t part_owner[ILNPDNS_DNAME_MAXLEN];

	/* Incremental transfer: the RRs between the two SOAs, in order. */
	struct jrr *items;
	size_t nitems, next_item;

	uint64_t messages, rrs;
};

/* ---- request ---- */

/* Skip one RR at *pos; with serial != NULL and type SOA read its serial. */
static int skip_rr(const uint8_t *msg, size_t len, size_t *pos, uint16_t *type, uint32_t *serial)
{
	uint8_t name[ILNPDNS_DNAME_MAXLEN];
	int rc = ilnpdns_dname_unpack(msg, len, pos, name);
	if (rc < 0)
		return ILNPDNS_EMALF;
	if (*pos + 10 > len)
		return ILNPDNS_EMALF;
	*type = ilnpdns_get16(msg + *pos);
	uint16_t rdlen = ilnpdns_get16(msg + *pos + 8);
	size_t rd = *pos + 10;
	if (rd + rdlen > len)
		return ILNPDNS_EMALF;
	if (*type == ILNPDNS_T_SOA && serial) {
		/* MNAME and RNAME may be compressed in a query (RFC 1035 4.1.4). */
		size_t p = rd;
		if (ilnpdns_dname_unpack(msg, rd + rdlen, &p, name) < 0 ||
		    ilnpdns_dname_unpack(msg, rd + rdlen, &p, name) < 0 || p + 20 != rd + rdlen)
			return ILNPDNS_EMALF;
		*serial = ilnpdns_get32(msg + p);
	}
	*pos = rd + rdlen;
	return 0;
}

int xfr_parse_request(const uint8_t *msg, size_t len, struct xfr_request *req)
{
	memset(req, 0, sizeof(*req));
	if (len < ILNPDNS_HDR_LEN)
		return ILNPDNS_EMALF;
	req->id = ilnpdns_get16(msg);
	req->flags = ilnpdns_get16(msg + 2);
	uint16_t qd = ilnpdns_get16(msg + 4), an = ilnpdns_get16(msg + 6),
	         ns = ilnpdns_get16(msg + 8);
	if (qd != 1) /* RFC 9619, RFC 5936 2.1 */
		return ILNPDNS_EMALF;
	size_t pos = ILNPDNS_HDR_LEN;
	if (ilnpdns_dname_unpack(msg, len, &pos, req->qname) < 0 || pos + 4 > len)
		return ILNPDNS_EMALF;
	req->qtype = ilnpdns_get16(msg + pos);
	req->qclass = ilnpdns_get16(msg + pos + 2);
	pos += 4;
	if (req->qtype != ILNPDNS_T_AXFR && req->qtype != ILNPDNS_T_IXFR)
		return ILNPDNS_EINVAL;
	if (req->qtype == ILNPDNS_T_AXFR)
		return 0;
	uint16_t type;
	for (unsigned i = 0; i < an; i++)
		if (skip_rr(msg, len, &pos, &type, NULL))
			return ILNPDNS_EMALF;
	/* RFC 1995 3: the authority section holds the client's SOA. */
	for (unsigned i = 0; i < ns; i++) {
		uint32_t serial;
		if (skip_rr(msg, len, &pos, &type, &serial))
			return ILNPDNS_EMALF;
		if (type == ILNPDNS_T_SOA && !req->has_serial) {
			req->has_serial = true;
			req->client_serial = serial;
		}
	}
	return req->has_serial ? 0 : ILNPDNS_EMALF;
}

/* ---- journal RRs ---- */

/* Length of the journal RR at p (at most n octets), 0 when malformed. */
static uint32_t jrr_len(const uint8_t *p, size_t n)
{
	size_t i = 0;
	for (;;) {
		if (i >= n || (p[i] & 0xc0))
			return 0;
		uint8_t l = p[i];
		i += 1u + l;
		if (l == 0)
			break;
	}
	if (i > ILNPDNS_DNAME_MAXLEN || i + 10 > n)
		return 0;
	size_t total = i + 10 + ilnpdns_get16(p + i + 8);
	return total <= n ? (uint32_t)total : 0;
}

static uint16_t jrr_type(const struct jrr *r)
{
	return ilnpdns_get16(r->p + ilnpdns_dname_len(r->p));
}

/* Split an entry's RRs; calls fn(arg, rr, removed?) in order. */
static int entry_rrs(const struct store_journal_entry *e, int (*fn)(void *, struct jrr, bool),
                     void *arg)
{
	size_t pos = 0;
	uint64_t total = (uint64_t)e->removed + e->added;
	for (uint64_t i = 0; i < total; i++) {
		uint32_t n = jrr_len(e->rrs + pos, e->rrs_len - pos);
		if (n == 0)
			return ILNPDNS_ESTORE;
		int rc = fn(arg, (struct jrr){e->rrs + pos, n, true}, i < e->removed);
		if (rc)
			return rc;
		pos += n;
	}
	return pos == e->rrs_len ? 0 : ILNPDNS_ESTORE;
}

/* Growable array of jrr. */
struct jvec {
	struct jrr *v;
	size_t n, cap;
};

static int jvec_push(struct jvec *a, struct jrr r)
{
	if (a->n == a->cap) {
		size_t cap = a->cap ? 2 * a->cap : 64;
		struct jrr *v = realloc(a->v, cap * sizeof(*v));
		if (!v)
			return ILNPDNS_ENOMEM;
		a->v = v;
		a->cap = cap;
	}
	a->v[a->n++] = r;
	return 0;
}

/* ---- the journal chain from the client's serial to ours ---- */

struct chain {
	uint32_t from;
	uint64_t imported;
	bool valid, any;
	uint32_t last_new;
	struct store_journal_entry *v;
	size_t n, cap;
};

static int chain_cb(const struct store_journal_entry *e, void *arg)
{
	struct chain *c = arg;
	/* Entries older than the last full import describe another history:
	 * the import replaced the zone without a journal entry. */
	if (e->time < c->imported) {
		c->valid = c->any = false;
		c->n = 0;
		return 0;
	}
	if (c->valid && e->old_serial != c->last_new) {
		c->valid = false;
		c->n = 0;
	}
	if (e->old_serial == c->from) {
		/* The latest entry leaving the client's serial: shortest chain. */
		c->valid = true;
		c->n = 0;
	}
	c->any = true;
	c->last_new = e->new_serial;
	if (!c->valid)
		return 0;
	if (c->n == c->cap) {
		size_t cap = c->cap ? 2 * c->cap : 16;
		struct store_journal_entry *v = realloc(c->v, cap * sizeof(*v));
		if (!v)
			return ILNPDNS_ENOMEM;
		c->v = v;
		c->cap = cap;
	}
	c->v[c->n++] = *e;
	return 0;
}

/* Per entry (RFC 1995 4): old SOA, removed RRs, new SOA, added RRs. */
static int per_entry_cb(void *arg, struct jrr r, bool removed)
{
	return jvec_push(arg, r);
}

/* ---- condensing (RFC 1995 5) ---- */

struct condense {
	struct jvec rem, add;
	uint32_t *slots; /* 0 empty; else 1 + (index << 1 | is_add) */
	size_t mask;
	struct jrr old_soa, new_soa;
	bool have_old, have_new;
	bool entry_first_rem, entry_first_add;
};

static uint32_t jrr_hash(const struct jrr *r)
{
	uint32_t h = 2166136261u; /* FNV-1a */
	for (uint32_t i = 0; i < r->len; i++)
		h = (h ^ r->p[i]) * 16777619u;
	return h;
}

static struct jrr *slot_jrr(struct condense *c, uint32_t s)
{
	size_t idx = (s - 1) >> 1;
	return (s - 1) & 1 ? &c->add.v[idx] : &c->rem.v[idx];
}

/* The live RR equal to r (TTL included: a TTL change must reach the client). */
static struct jrr *condense_find(struct condense *c, const struct jrr *r, size_t *free_slot)
{
	size_t i = jrr_hash(r) & c->mask;
	for (; c->slots[i]; i = (i + 1) & c->mask) {
		struct jrr *x = slot_jrr(c, c->slots[i]);
		if (x->live && x->len == r->len && memcmp(x->p, r->p, r->len) == 0)
			return x;
	}
	*free_slot = i;
	return NULL;
}

static int condense_cb(void *arg, struct jrr r, bool removed)
{
	struct condense *c = arg;
	bool *first = removed ? &c->entry_first_rem : &c->entry_first_add;
	if (*first) {
		/* Each entry starts its lists with the old and the new SOA. */
		*first = false;
		if (jrr_type(&r) != ILNPDNS_T_SOA)
			return ILNPDNS_ESTORE;
		if (removed && !c->have_old) {
			c->old_soa = r;
			c->have_old = true;
		} else if (!removed) {
			c->new_soa = r;
			c->have_new = true;
		}
		return 0;
	}
	if (jrr_type(&r) == ILNPDNS_T_SOA)
		return 0; /* the SOA markers carry the SOA change */
	size_t slot;
	struct jrr *x = condense_find(c, &r, &slot);
	if (x) {
		struct jvec *other = removed ? &c->add : &c->rem;
		if (x >= other->v && x < other->v + other->n)
			x->live = false; /* added then removed, or removed then re-added */
		return 0;                /* else a repeat of the same change */
	}
	struct jvec *side = removed ? &c->rem : &c->add;
	int rc = jvec_push(side, r);
	if (rc)
		return rc;
	c->slots[slot] = (uint32_t)(1 + ((side->n - 1) << 1 | (removed ? 0 : 1)));
	return 0;
}

static int build_condensed(struct xfr *it, const struct chain *ch, struct jvec *out)
{
	struct condense c = {0};
	uint64_t total = 0;
	int rc = 0;
	for (size_t i = 0; i < ch->n; i++)
		total += (uint64_t)ch->v[i].removed + ch->v[i].added;
	if (total > UINT32_MAX / 4)
		return ILNPDNS_ENOMEM;
	size_t size = 64;
	while (size < 2 * total)
		size <<= 1;
	c.mask = size - 1;
	if (!(c.slots = calloc(size, sizeof(*c.slots))))
		return ILNPDNS_ENOMEM;
	for (size_t i = 0; i < ch->n && rc == 0; i++) {
		c.entry_first_rem = ch->v[i].removed > 0;
		c.entry_first_add = ch->v[i].added > 0;
		if (!c.entry_first_rem || !c.entry_first_add)
			rc = ILNPDNS_ESTORE;
		else
			rc = entry_rrs(&ch->v[i], condense_cb, &c);
	}
	if (rc == 0 && (!c.have_old || !c.have_new))
		rc = ILNPDNS_ESTORE;
	if (rc == 0)
		rc = jvec_push(out, c.old_soa);
	for (size_t i = 0; rc == 0 && i < c.rem.n; i++)
		if (c.rem.v[i].live)
			rc = jvec_push(out, c.rem.v[i]);
	if (rc == 0)
		rc = jvec_push(out, c.new_soa);
	for (size_t i = 0; rc == 0 && i < c.add.n; i++)
		if (c.add.v[i].live)
			rc = jvec_push(out, c.add.v[i]);
	free(c.slots);
	free(c.rem.v);
	free(c.add.v);
	return rc;
}

/*
 * Decide the IXFR answer: 0 with it->kind set (and it->items for an
 * incremental one), or an error.
 */
static int plan_ixfr(struct xfr *it)
{
	uint32_t from = it->req.client_serial;
	if (!it->req.has_serial) {
		it->kind = XFR_IXFR_FULL;
		return 0;
	}
	if (from == it->serial || update_serial_gt(from, it->serial)) {
		it->kind = XFR_IXFR_CURRENT;
		it->single_soa = true;
		return 0;
	}
	struct chain ch = {.from = from, .imported = it->zone.imported};
	int rc = store_journal_foreach(it->txn, &it->zone, 0, chain_cb, &ch);
	if (rc == 0 && ch.valid && ch.any && ch.n > 0 && ch.last_new == it->serial) {
		struct jvec items = {0};
		if (it->opts.per_entry) {
			for (size_t i = 0; rc == 0 && i < ch.n; i++) {
				/* Each sequence must open with its SOAs. */
				if (ch.v[i].removed == 0 || ch.v[i].added == 0)
					rc = ILNPDNS_ESTORE;
				else
					rc = entry_rrs(&ch.v[i], per_entry_cb, &items);
			}
		} else {
			rc = build_condensed(it, &ch, &items);
		}
		if (rc == 0) {
			it->items = items.v;
			it->nitems = items.n;
			it->kind = XFR_IXFR_INCREMENTAL;
		} else {
			free(items.v);
		}
	} else if (rc == 0) {
		it->kind = XFR_IXFR_FULL; /* RFC 1995 4: the whole zone instead */
	}
	free(ch.v);
	/* A journal we cannot read is no reason to fail the transfer. */
	if (rc == ILNPDNS_ESTORE) {
		it->kind = XFR_IXFR_FULL;
		rc = 0;
	}
	return rc;
}

/* ---- iterator ---- */

int xfr_begin(struct xfr **out, struct store_txn *txn, const struct store_zone *zone,
              const struct xfr_request *req, struct ilnpdns_tsig_ctx *tctx,
              const struct ilnpdns_tsig_state *tsig, const struct xfr_opts *opts)
{
	*out = NULL;
	if (req->qtype != ILNPDNS_T_AXFR && req->qtype != ILNPDNS_T_IXFR)
		return ILNPDNS_EINVAL;
	/* RFC 5936 4.2: AXFR is TCP only. */
	if (req->qtype == ILNPDNS_T_AXFR && opts && opts->udp_size)
		return ILNPDNS_EINVAL;
	if (tsig && !tctx)
		return ILNPDNS_EINVAL;
	struct xfr *it = calloc(1, sizeof(*it));
	if (!it)
		return ILNPDNS_ENOMEM;
	it->txn = txn;
	it->zone = *zone;
	it->req = *req;
	if (opts)
		it->opts = *opts;
	if (it->opts.msg_size == 0)
		it->opts.msg_size = XFR_MSG_SIZE;
	it->tctx = tctx;
	if (tsig) {
		it->sign = true;
		it->tsig = *tsig;
	}
	static const uint8_t apex_key[1] = {0};
	int rc = store_rrset_get(txn, zone, apex_key, 0, ILNPDNS_T_SOA, &it->soa);
	size_t pos = 0;
	const uint8_t *rd;
	uint16_t rdlen;
	if (rc == ILNPDNS_ENOENT ||
	    (rc == 0 && (!store_rrset_next_rdata(&it->soa, &pos, &rd, &rdlen) || rdlen < 22))) {
		rc = ILNPDNS_EZONE;
	} else if (rc == 0) {
		it->serial = ilnpdns_get32(rd + rdlen - 20);
		it->kind = XFR_AXFR;
		if (req->qtype == ILNPDNS_T_IXFR)
			rc = plan_ixfr(it);
	}
	if (rc) {
		xfr_end(it);
		return rc;
	}
	it->phase = PH_SOA_FIRST;
	*out = it;
	return 0;
}

static int add_rrset(struct xfr *it, struct response *r, const uint8_t *owner,
                     const struct store_rrset *rs)
{
	return response_add_rrset(r, RESPONSE_ANSWER, owner, store_served_ttl(&it->zone, rs), rs);
}

/*
 * Add rs from rdata offset start; when it does not fit whole, as many RRs
 * as fit (RFC 5936 2.2: any grouping) and remember where to go on.
 */
static int add_split(struct xfr *it, struct response *r, const uint8_t *owner,
                     const struct store_rrset *rs, size_t start)
{
	struct store_rrset view = *rs;
	view.rdata += start;
	view.rdata_len -= start;
	int rc = add_rrset(it, r, owner, &view);
	if (rc != ILNPDNS_ETRUNC)
		return rc;
	size_t pos = 0, before = 0;
	const uint8_t *rd;
	uint16_t rdlen;
	while (store_rrset_next_rdata(&view, &pos, &rd, &rdlen)) {
		struct store_rrset one = view;
		one.rdata = view.rdata + before;
		one.rdata_len = pos - before;
		one.count = 1;
		if ((rc = add_rrset(it, r, owner, &one)) == ILNPDNS_ETRUNC)
			break;
		if (rc)
			return rc;
		before = pos;
	}
	it->partial = true;
	it->part = *rs;
	it->part_pos = start + before;
	if (owner != it->part_owner)
		memcpy(it->part_owner, owner, ilnpdns_dname_len(owner));
	return FULL;
}

struct walk {
	struct xfr *it;
	struct response *r;
};

static int walk_cb(const uint8_t *key, size_t keylen, const struct store_rrset *rs, void *arg)
{
	struct walk *w = arg;
	struct xfr *it = w->it;
	uint8_t owner[ILNPDNS_DNAME_MAXLEN];

	it->walk_started = true;
	memcpy(it->key, key, keylen);
	it->keylen = keylen;
	it->type = rs->type;
	if (keylen == 0 && rs->type == ILNPDNS_T_SOA)
		return 0; /* first and last only (RFC 5936 2.2) */
	int n = ilnpdns_dname_from_key(key, keylen, it->zone.apex, owner);
	if (n < 0)
		return n;
	return add_split(it, w->r, owner, rs, 0);
}

static int fill_full(struct xfr *it, struct response *r)
{
	int rc;
	if (it->partial) {
		it->partial = false;
		if ((rc = add_split(it, r, it->part_owner, &it->part, it->part_pos)))
			return rc;
	}
	struct walk w = {it, r};
	if (it->walk_started)
		return store_zone_foreach_rrset_after(it->txn, &it->zone, it->key, it->keylen,
		                                      it->type, walk_cb, &w);
	return store_zone_foreach_rrset(it->txn, &it->zone, walk_cb, &w);
}

static int fill_items(struct xfr *it, struct response *r)
{
	for (; it->next_item < it->nitems; it->next_item++) {
		const struct jrr *j = &it->items[it->next_item];
		size_t nl = ilnpdns_dname_len(j->p);
		/* A one-RR view: the journal's rdlen | rdata is the store's form. */
		struct store_rrset one = {
		    .type = ilnpdns_get16(j->p + nl),
		    .ttl = ilnpdns_get32(j->p + nl + 4),
		    .count = 1,
		    .rdata = j->p + nl + 8,
		    .rdata_len = j->len - nl - 8,
		};
		int rc = add_rrset(it, r, j->p, &one);
		if (rc == ILNPDNS_ETRUNC)
			return FULL;
		if (rc)
			return rc;
	}
	return 0;
}

/* One message into buf; 0 or an error. Advances the phase. */
static int build(struct xfr *it, uint8_t *buf, size_t limit, size_t *len)
{
	struct response r;
	bool first = it->messages == 0;
	bool opt = first && it->opts.edns_payload != 0;
	int rc = response_init(&r, buf, limit);
	if (rc == 0 && it->sign)
		rc = response_reserve(&r, ilnpdns_tsig_space(&it->tsig));
	if (rc == 0 && opt)
		rc = response_reserve(&r, RESPONSE_OPT_LEN);
	/* The question in the first message (RFC 5936 2.2.1), as received. */
	if (rc == 0 && first)
		rc = response_question(&r, it->req.qname, it->req.qtype, it->req.qclass);
	if (rc)
		return rc;
	ilnpdns_put16(buf, it->req.id);
	ilnpdns_put16(buf + 2, (uint16_t)(ILNPDNS_FLAG_QR | ILNPDNS_FLAG_AA |
	                                  (it->req.flags & ILNPDNS_FLAG_RD)));
	for (bool full = false; !full && it->phase != PH_DONE;) {
		switch (it->phase) {
		case PH_SOA_FIRST:
		case PH_SOA_LAST:
			rc = add_rrset(it, &r, it->zone.apex, &it->soa);
			if (rc == ILNPDNS_ETRUNC) {
				full = true;
				rc = 0;
			} else if (rc == 0) {
				it->phase =
				    it->phase == PH_SOA_LAST || it->single_soa ? PH_DONE : PH_BODY;
			}
			break;
		case PH_BODY:
			rc = it->kind == XFR_IXFR_INCREMENTAL ? fill_items(it, &r)
			                                      : fill_full(it, &r);
			if (rc == FULL) {
				full = true;
				rc = 0;
			} else if (rc == 0) {
				it->phase = PH_SOA_LAST;
			}
			break;
		case PH_DONE:
			break;
		}
		if (rc)
			return rc;
	}
	if (r.count[RESPONSE_ANSWER] == 0)
		return ILNPDNS_ETRUNC; /* no progress: cap too small for one RR */
	if (opt && (rc = response_add_opt(&r, it->opts.edns_payload, 0, it->opts.edns_do)))
		return rc;
	it->rrs += r.count[RESPONSE_ANSWER];
	*len = response_finish(&r);
	return 0;
}

int xfr_next(struct xfr *it, uint8_t *buf, size_t cap, size_t *len)
{
	if (it->phase == PH_DONE)
		return ILNPDNS_EINVAL;
	size_t limit = it->opts.udp_size ? it->opts.udp_size : it->opts.msg_size;
	if (limit > cap)
		limit = cap;
	if (limit > ILNPDNS_MSG_MAX)
		limit = ILNPDNS_MSG_MAX;
	int rc = build(it, buf, limit, len);
	if (rc == 0 && it->opts.udp_size && it->phase != PH_DONE) {
		/* RFC 1995 2: over UDP an answer that does not fit becomes the
		 * SOA alone, and the client comes back over TCP. */
		it->kind = XFR_IXFR_UDP_SOA;
		it->single_soa = true;
		it->phase = PH_SOA_FIRST;
		it->rrs = 0;
		rc = build(it, buf, limit, len);
	}
	if (rc)
		return rc;
	if (it->sign) {
		uint64_t now = it->opts.now ? it->opts.now : ilnpdns_tsig_now();
		if ((rc = ilnpdns_tsig_sign_answer(it->tctx, &it->tsig, buf, len, limit, now)))
			return rc;
	}
	it->messages++;
	return it->phase == PH_DONE ? 0 : 1;
}

enum xfr_kind xfr_kind(const struct xfr *it)
{
	return it->kind;
}

uint32_t xfr_serial(const struct xfr *it)
{
	return it->serial;
}

void xfr_counts(const struct xfr *it, uint64_t *messages, uint64_t *rrs)
{
	if (messages)
		*messages = it->messages;
	if (rrs)
		*rrs = it->rrs;
}

void xfr_end(struct xfr *it)
{
	if (!it)
		return;
	free(it->items);
	free(it);
}
