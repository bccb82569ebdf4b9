/* SPDX-License-Identifier: BSD-2-Clause */
/* store.c -- the zone store on LMDB (the only file that includes lmdb.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <lmdb.h>

#include "ilnpdns/dname.h"
#include "ilnpdns/error.h"
#include "store.h"

#define DEFAULT_MAPSIZE ((size_t)4 << 30)
#define DEFAULT_READERS 512
#define RRSET_HDR       8 /* ttl u32 | count u16 | reserved u16 */
#define ZONE_KEY_MAX    (4 + ILNPDNS_DNAME_KEYMAX + 1 + 2)

struct store {
	MDB_env *env;
	MDB_dbi meta, zones, rrsets, journal;
	MDB_dbi replay, replay_exp; /* issue 3: (key, MAC) digests of accepted updates */
};

struct store_txn {
	struct store *st;
	MDB_txn *txn;
	MDB_cursor *rrc; /* read txns: one cached "rrsets" cursor, renewed with the txn */
	bool write;
};

static int map_err(int rc)
{
	switch (rc) {
	case MDB_SUCCESS:
		return ILNPDNS_OK;
	case MDB_NOTFOUND:
		return ILNPDNS_ENOENT;
	case MDB_MAP_FULL:
		return ILNPDNS_EMAPFULL;
	case MDB_BAD_VALSIZE:
		return ILNPDNS_ENAME;
	case ENOMEM:
		return ILNPDNS_ENOMEM;
	default:
		return rc > 0 && rc < 1000 ? -rc : ILNPDNS_ESTORE;
	}
}

static inline void put_u16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void put_u32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static inline void put_u64(uint8_t *p, uint64_t v)
{
	put_u32(p, (uint32_t)(v >> 32));
	put_u32(p + 4, (uint32_t)v);
}

static inline uint16_t get_u16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t get_u32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline uint64_t get_u64(const uint8_t *p)
{
	return (uint64_t)get_u32(p) << 32 | get_u32(p + 4);
}

/* ---- meta ---- */

static int meta_get(struct store_txn *t, const char *name, uint32_t *v)
{
	MDB_val k = {strlen(name), (void *)name}, d;
	int rc = mdb_get(t->txn, t->st->meta, &k, &d);
	if (rc)
		return map_err(rc);
	if (d.mv_size != 4)
		return ILNPDNS_ESTORE;
	*v = get_u32(d.mv_data);
	return 0;
}

static int meta_put(struct store_txn *t, const char *name, uint32_t v)
{
	uint8_t buf[4];
	put_u32(buf, v);
	MDB_val k = {strlen(name), (void *)name}, d = {4, buf};
	return map_err(mdb_put(t->txn, t->st->meta, &k, &d, 0));
}

/* ---- environment ---- */

int store_open(struct store **out, const char *path, size_t mapsize, unsigned max_readers)
{
	struct store *st = calloc(1, sizeof(*st));
	struct store_txn *t = NULL;
	int rc;

	if (!st)
		return ILNPDNS_ENOMEM;
	if (mkdir(path, 0750) != 0 && errno != EEXIST) {
		rc = -errno;
		goto fail;
	}
	if ((rc = map_err(mdb_env_create(&st->env))))
		goto fail;
	mdb_env_set_maxdbs(st->env, 16);
	mdb_env_set_mapsize(st->env, mapsize ? mapsize : DEFAULT_MAPSIZE);
	mdb_env_set_maxreaders(st->env, max_readers ? max_readers : DEFAULT_READERS);
	/* NOTLS: read transactions belong to their owner (a worker), not to a
	 * thread, so one thread may hold several and reset/renew them. */
	if ((rc = map_err(mdb_env_open(st->env, path, MDB_NOTLS, 0640))))
		goto fail;
	int dead = 0;
	mdb_reader_check(st->env, &dead); /* clear readers left by a killed process */

	if ((rc = store_txn_begin(st, true, &t)))
		goto fail;
	if ((rc = map_err(mdb_dbi_open(t->txn, "meta", MDB_CREATE, &st->meta))) ||
	    (rc = map_err(mdb_dbi_open(t->txn, "zones", MDB_CREATE, &st->zones))) ||
	    (rc = map_err(mdb_dbi_open(t->txn, "rrsets", MDB_CREATE, &st->rrsets))) ||
	    (rc = map_err(mdb_dbi_open(t->txn, "journal", MDB_CREATE, &st->journal))) ||
	    (rc = map_err(mdb_dbi_open(t->txn, "replay", MDB_CREATE, &st->replay))) ||
	    (rc = map_err(mdb_dbi_open(t->txn, "replay-exp", MDB_CREATE, &st->replay_exp))))
		goto fail_txn;
	uint32_t version;
	rc = meta_get(t, "schema-version", &version);
	if (rc == ILNPDNS_ENOENT) {
		if ((rc = meta_put(t, "schema-version", STORE_SCHEMA_VERSION)) ||
		    (rc = meta_put(t, "next-zone-id", 1)))
			goto fail_txn;
	} else if (rc) {
		goto fail_txn;
	} else if (version != STORE_SCHEMA_VERSION) {
		rc = ILNPDNS_ESCHEMA;
		goto fail_txn;
	}
	if ((rc = store_txn_commit(t)))
		goto fail;
	*out = st;
	return 0;

fail_txn:
	store_txn_abort(t);
fail:
	if (st->env)
		mdb_env_close(st->env);
	free(st);
	return rc;
}

void store_close(struct store *st)
{
	if (!st)
		return;
	mdb_env_close(st->env);
	free(st);
}

/* ---- transactions ---- */

int store_txn_begin(struct store *st, bool write, struct store_txn **out)
{
	struct store_txn *t = calloc(1, sizeof(*t));
	if (!t)
		return ILNPDNS_ENOMEM;
	t->st = st;
	t->write = write;
	int rc = mdb_txn_begin(st->env, NULL, write ? 0 : MDB_RDONLY, &t->txn);
	if (rc == MDB_READERS_FULL) {
		/* Slots held by dead processes: reclaim them and try once more. */
		int dead = 0;
		mdb_reader_check(st->env, &dead);
		rc = mdb_txn_begin(st->env, NULL, write ? 0 : MDB_RDONLY, &t->txn);
	}
	if (rc) {
		free(t);
		return map_err(rc);
	}
	*out = t;
	return 0;
}

int store_txn_begin_nested(struct store_txn *parent, struct store_txn **out)
{
	if (!parent->write)
		return ILNPDNS_EINVAL;
	struct store_txn *t = calloc(1, sizeof(*t));
	if (!t)
		return ILNPDNS_ENOMEM;
	t->st = parent->st;
	t->write = true;
	int rc = mdb_txn_begin(parent->st->env, parent->txn, 0, &t->txn);
	if (rc) {
		free(t);
		return map_err(rc);
	}
	*out = t;
	return 0;
}

int store_txn_reset(struct store_txn *t)
{
	if (t->write)
		return ILNPDNS_EINVAL;
	mdb_txn_reset(t->txn);
	return 0;
}

int store_txn_renew(struct store_txn *t)
{
	if (t->write)
		return ILNPDNS_EINVAL;
	int rc = mdb_txn_renew(t->txn);
	if (rc == 0 && t->rrc)
		rc = mdb_cursor_renew(t->txn, t->rrc);
	return map_err(rc);
}

int store_txn_commit(struct store_txn *t)
{
	if (t->rrc)
		mdb_cursor_close(t->rrc);
	int rc = map_err(mdb_txn_commit(t->txn));
	free(t);
	return rc;
}

void store_txn_abort(struct store_txn *t)
{
	if (!t)
		return;
	if (t->rrc)
		mdb_cursor_close(t->rrc);
	mdb_txn_abort(t->txn);
	free(t);
}

/* ---- zones ---- */

static int zone_decode(const MDB_val *d, struct store_zone *out)
{
	const uint8_t *p = d->mv_data;
	if (d->mv_size < 24 + 1)
		return ILNPDNS_ESTORE;
	out->id = get_u32(p);
	out->serial = get_u32(p + 4);
	out->ilnp_ttl = get_u32(p + 8);
	out->imported = get_u64(p + 16);
	out->apex = p + 24;
	out->apex_len = d->mv_size - 24;
	if (ilnpdns_dname_len(out->apex) != out->apex_len)
		return ILNPDNS_ESTORE;
	out->apex_labels = ilnpdns_dname_labels(out->apex);
	return 0;
}

static int zone_write(struct store_txn *t, const uint8_t *apex, const struct store_zone_rec *rec)
{
	uint8_t key[ILNPDNS_DNAME_KEYMAX], val[24 + ILNPDNS_DNAME_MAXLEN];
	size_t klen = ilnpdns_dname_to_key(apex, 0, key), alen = ilnpdns_dname_len(apex);

	put_u32(val, rec->id);
	put_u32(val + 4, rec->serial);
	put_u32(val + 8, rec->ilnp_ttl);
	put_u32(val + 12, rec->flags);
	put_u64(val + 16, rec->imported);
	memcpy(val + 24, apex, alen);
	/* LMDB rejects an empty key; the root zone's key is a lone terminator. */
	if (klen == 0)
		key[klen++] = 0x00;
	MDB_val k = {klen, key}, d = {24 + alen, val};
	return map_err(mdb_put(t->txn, t->st->zones, &k, &d, 0));
}

int store_zone_get(struct store_txn *t, const uint8_t *apex, struct store_zone *out)
{
	uint8_t key[ILNPDNS_DNAME_KEYMAX];
	size_t klen = ilnpdns_dname_to_key(apex, 0, key);
	if (klen == 0)
		key[klen++] = 0x00;
	if (klen > (size_t)mdb_env_get_maxkeysize(t->st->env))
		return ILNPDNS_ENOENT;
	MDB_val k = {klen, key}, d;
	int rc = mdb_get(t->txn, t->st->zones, &k, &d);
	if (rc)
		return map_err(rc);
	return zone_decode(&d, out);
}

int store_zone_find(struct store_txn *t, const uint8_t *name, struct store_zone *out)
{
	/* The absolute key of every ancestor is a prefix of the name's key that
	 * ends at a label terminator: probe from the longest down. */
	uint8_t key[ILNPDNS_DNAME_KEYMAX];
	size_t klen = ilnpdns_dname_to_key(name, 0, key);
	size_t maxkey = (size_t)mdb_env_get_maxkeysize(t->st->env);

	for (size_t len = klen;; len--) {
		if (len == 0 || key[len - 1] == 0x00) {
			MDB_val k, d;
			uint8_t root = 0x00;
			if (len == 0) {
				k.mv_size = 1;
				k.mv_data = &root;
			} else {
				k.mv_size = len;
				k.mv_data = key;
			}
			if (k.mv_size <= maxkey) {
				int rc = mdb_get(t->txn, t->st->zones, &k, &d);
				if (rc == 0)
					return zone_decode(&d, out);
				if (rc != MDB_NOTFOUND)
					return map_err(rc);
			}
		}
		if (len == 0)
			return ILNPDNS_ENOENT;
	}
}

static int delete_prefix(struct store_txn *t, MDB_dbi dbi, const uint8_t *prefix, size_t plen)
{
	MDB_cursor *c;
	int rc = mdb_cursor_open(t->txn, dbi, &c);
	if (rc)
		return map_err(rc);
	/* Re-seek after each delete: simpler than reasoning about where LMDB
	 * leaves a cursor after mdb_cursor_del(), and imports are not hot. */
	for (;;) {
		MDB_val k = {plen, (void *)prefix}, d;
		rc = mdb_cursor_get(c, &k, &d, MDB_SET_RANGE);
		if (rc || k.mv_size < plen || memcmp(k.mv_data, prefix, plen) != 0)
			break;
		if ((rc = mdb_cursor_del(c, 0)))
			break;
	}
	mdb_cursor_close(c);
	return (rc == 0 || rc == MDB_NOTFOUND) ? 0 : map_err(rc);
}

int store_zone_reset(struct store_txn *t, const uint8_t *apex, uint32_t ilnp_ttl,
		     struct store_zone *out)
{
	struct store_zone_rec rec = {0};
	struct store_zone old;
	int rc = store_zone_get(t, apex, &old);

	if (rc == 0) {
		uint8_t prefix[4];
		rec.id = old.id;
		rec.serial = old.serial;
		put_u32(prefix, old.id);
		if ((rc = delete_prefix(t, t->st->rrsets, prefix, 4)))
			return rc;
	} else if (rc == ILNPDNS_ENOENT) {
		uint32_t next;
		if ((rc = meta_get(t, "next-zone-id", &next)) ||
		    (rc = meta_put(t, "next-zone-id", next + 1)))
			return rc;
		rec.id = next;
	} else {
		return rc;
	}
	rec.ilnp_ttl = ilnp_ttl;
	rec.imported = (uint64_t)time(NULL);
	if ((rc = zone_write(t, apex, &rec)))
		return rc;
	return store_zone_get(t, apex, out);
}

static int zone_update(struct store_txn *t, const struct store_zone *zone, uint32_t serial,
		       uint32_t ilnp_ttl)
{
	struct store_zone_rec rec = {.id = zone->id,
				     .serial = serial,
				     .ilnp_ttl = ilnp_ttl,
				     .imported = zone->imported};
	/* zone->apex may point into the page we are about to rewrite. */
	uint8_t apex[ILNPDNS_DNAME_MAXLEN];
	memcpy(apex, zone->apex, zone->apex_len);
	return zone_write(t, apex, &rec);
}

int store_zone_set_serial(struct store_txn *t, const struct store_zone *zone, uint32_t serial)
{
	return zone_update(t, zone, serial, zone->ilnp_ttl);
}

int store_zone_set_ilnp_ttl(struct store_txn *t, const struct store_zone *zone, uint32_t ilnp_ttl)
{
	return zone_update(t, zone, zone->serial, ilnp_ttl);
}

int store_zone_delete(struct store_txn *t, const uint8_t *apex)
{
	struct store_zone z;
	int rc = store_zone_get(t, apex, &z);
	if (rc)
		return rc;
	uint8_t prefix[4];
	put_u32(prefix, z.id);
	if ((rc = delete_prefix(t, t->st->rrsets, prefix, 4)) ||
	    (rc = delete_prefix(t, t->st->journal, prefix, 4)))
		return rc;
	uint8_t key[ILNPDNS_DNAME_KEYMAX];
	size_t klen = ilnpdns_dname_to_key(apex, 0, key);
	if (klen == 0)
		key[klen++] = 0x00;
	MDB_val k = {klen, key};
	return map_err(mdb_del(t->txn, t->st->zones, &k, NULL));
}

int store_zone_foreach(struct store_txn *t, int (*fn)(const struct store_zone *zone, void *arg),
		       void *arg)
{
	MDB_cursor *c;
	MDB_val k, d;
	int rc = mdb_cursor_open(t->txn, t->st->zones, &c);
	if (rc)
		return map_err(rc);
	for (rc = mdb_cursor_get(c, &k, &d, MDB_FIRST); rc == 0;
	     rc = mdb_cursor_get(c, &k, &d, MDB_NEXT)) {
		struct store_zone z;
		int r = zone_decode(&d, &z);
		if (r == 0)
			r = fn(&z, arg);
		if (r) {
			mdb_cursor_close(c);
			return r;
		}
	}
	mdb_cursor_close(c);
	return rc == MDB_NOTFOUND ? 0 : map_err(rc);
}

/* ---- RRsets ---- */

/*
 * A cursor on "rrsets". Read transactions keep one and renew it with the
 * transaction, so the query path opens no cursor (mdb_cursor_open mallocs)
 * per lookup; write transactions open a fresh one, closed by rrc_put().
 */
static int rrc_get(struct store_txn *t, MDB_cursor **c)
{
	if (t->write)
		return mdb_cursor_open(t->txn, t->st->rrsets, c);
	if (!t->rrc) {
		int rc = mdb_cursor_open(t->txn, t->st->rrsets, &t->rrc);
		if (rc)
			return rc;
	}
	*c = t->rrc;
	return 0;
}

static void rrc_put(struct store_txn *t, MDB_cursor *c)
{
	if (c != t->rrc)
		mdb_cursor_close(c);
}

size_t store_owner_key(const struct store_zone *zone, const uint8_t *owner, uint8_t *key)
{
	return ilnpdns_dname_to_key(owner, zone->apex_labels, key);
}

/* zone id | relative key | 0x00 | type. Returns 0 when it exceeds LMDB's limit. */
static size_t rrset_key(const struct store_txn *t, uint32_t zone_id, const uint8_t *key,
			size_t keylen, uint16_t type, uint8_t *out)
{
	if (4 + keylen + 3 > (size_t)mdb_env_get_maxkeysize(t->st->env))
		return 0;
	put_u32(out, zone_id);
	memcpy(out + 4, key, keylen);
	out[4 + keylen] = 0x00;
	put_u16(out + 4 + keylen + 1, type);
	return 4 + keylen + 3;
}

static int rrset_decode(const MDB_val *k, const MDB_val *d, struct store_rrset *out)
{
	if (d->mv_size < RRSET_HDR || k->mv_size < 4 + 3)
		return ILNPDNS_ESTORE;
	const uint8_t *p = d->mv_data;
	out->type = get_u16((const uint8_t *)k->mv_data + k->mv_size - 2);
	out->ttl = get_u32(p);
	out->count = get_u16(p + 4);
	out->rdata = p + RRSET_HDR;
	out->rdata_len = d->mv_size - RRSET_HDR;
	return 0;
}

int store_rrset_get(struct store_txn *t, const struct store_zone *zone, const uint8_t *key,
		    size_t keylen, uint16_t type, struct store_rrset *out)
{
	uint8_t kb[ZONE_KEY_MAX];
	size_t klen = rrset_key(t, zone->id, key, keylen, type, kb);
	if (klen == 0)
		return ILNPDNS_ENOENT;
	MDB_val k = {klen, kb}, d;
	int rc = mdb_get(t->txn, t->st->rrsets, &k, &d);
	if (rc)
		return map_err(rc);
	return rrset_decode(&k, &d, out);
}

enum store_name_state store_name_state(struct store_txn *t, const struct store_zone *zone,
				       const uint8_t *key, size_t keylen)
{
	uint8_t kb[ZONE_KEY_MAX];
	size_t plen = 4 + keylen;
	if (plen + 3 > (size_t)mdb_env_get_maxkeysize(t->st->env))
		return STORE_NAME_NONE;
	put_u32(kb, zone->id);
	memcpy(kb + 4, key, keylen);

	MDB_cursor *c;
	if (rrc_get(t, &c))
		return STORE_NAME_NONE;
	MDB_val k = {plen, kb}, d;
	enum store_name_state st = STORE_NAME_NONE;
	/* The first key at or after the name's prefix is either one of its own
	 * RRsets (prefix then 0x00), a descendant (prefix then a label octet), or
	 * something unrelated. */
	if (mdb_cursor_get(c, &k, &d, MDB_SET_RANGE) == 0 && k.mv_size > plen &&
	    memcmp(k.mv_data, kb, plen) == 0)
		st = ((const uint8_t *)k.mv_data)[plen] == 0x00 ? STORE_NAME_DATA : STORE_NAME_ENT;
	rrc_put(t, c);
	return st;
}

int store_node_get(struct store_txn *t, const struct store_zone *zone, const uint8_t *key,
                   size_t keylen, struct store_node *out)
{
	uint8_t kb[ZONE_KEY_MAX];
	size_t plen = 4 + keylen;

	out->state = STORE_NAME_NONE;
	out->n = 0;
	out->truncated = false;
	if (plen + 3 > (size_t)mdb_env_get_maxkeysize(t->st->env))
		return 0;
	put_u32(kb, zone->id);
	memcpy(kb + 4, key, keylen);

	MDB_cursor *c;
	int rc = rrc_get(t, &c);
	if (rc)
		return map_err(rc);
	/* As in store_name_state(): the first key at or after the name's prefix
	 * is its lowest-typed RRset, a descendant (ENT) or unrelated; the
	 * name's RRsets are adjacent, so MDB_NEXT walks them without descending
	 * the tree again. */
	MDB_val k = {plen, kb}, d;
	int err = 0;
	for (rc = mdb_cursor_get(c, &k, &d, MDB_SET_RANGE); rc == 0;
	     rc = mdb_cursor_get(c, &k, &d, MDB_NEXT)) {
		const uint8_t *kp = k.mv_data;
		if (k.mv_size <= plen || memcmp(kp, kb, plen) != 0)
			break;
		if (kp[plen] != 0x00) {
			if (out->state == STORE_NAME_NONE)
				out->state = STORE_NAME_ENT;
			break;
		}
		if (k.mv_size != plen + 3)
			continue; /* not a key of this schema */
		out->state = STORE_NAME_DATA;
		if (out->n == STORE_NODE_MAX) {
			out->truncated = true;
			break;
		}
		if ((err = rrset_decode(&k, &d, &out->sets[out->n])) != 0)
			break;
		out->n++;
	}
	rrc_put(t, c);
	if (err == 0 && rc != 0 && rc != MDB_NOTFOUND)
		err = map_err(rc);
	if (err) {
		out->state = STORE_NAME_NONE;
		out->n = 0;
	}
	return err;
}

int store_node_rrset(struct store_txn *t, const struct store_zone *zone, const uint8_t *key,
                     size_t keylen, const struct store_node *node, uint16_t type,
                     struct store_rrset *out)
{
	for (unsigned i = 0; i < node->n; i++) {
		if (node->sets[i].type == type) {
			*out = node->sets[i];
			return 0;
		}
		if (node->sets[i].type > type)
			return ILNPDNS_ENOENT;
	}
	if (!node->truncated)
		return ILNPDNS_ENOENT;
	return store_rrset_get(t, zone, key, keylen, type, out);
}

int store_name_foreach(struct store_txn *t, const struct store_zone *zone, const uint8_t *key,
		       size_t keylen, int (*fn)(const struct store_rrset *rrset, void *arg),
		       void *arg)
{
	uint8_t kb[ZONE_KEY_MAX];
	size_t plen = 4 + keylen + 1;
	if (plen + 2 > (size_t)mdb_env_get_maxkeysize(t->st->env))
		return 0;
	put_u32(kb, zone->id);
	memcpy(kb + 4, key, keylen);
	kb[4 + keylen] = 0x00;

	MDB_cursor *c;
	int rc = rrc_get(t, &c);
	if (rc)
		return map_err(rc);
	MDB_val k = {plen, kb}, d;
	for (rc = mdb_cursor_get(c, &k, &d, MDB_SET_RANGE); rc == 0;
	     rc = mdb_cursor_get(c, &k, &d, MDB_NEXT)) {
		if (k.mv_size != plen + 2 || memcmp(k.mv_data, kb, plen) != 0)
			break;
		struct store_rrset rs;
		int r = rrset_decode(&k, &d, &rs);
		if (r == 0)
			r = fn(&rs, arg);
		if (r) {
			rrc_put(t, c);
			return r;
		}
	}
	rrc_put(t, c);
	return (rc == 0 || rc == MDB_NOTFOUND) ? 0 : map_err(rc);
}

int store_zone_foreach_rrset(struct store_txn *t, const struct store_zone *zone,
			     int (*fn)(const uint8_t *key, size_t keylen,
				       const struct store_rrset *rrset, void *arg),
			     void *arg)
{
	uint8_t prefix[4];
	put_u32(prefix, zone->id);
	MDB_cursor *c;
	int rc = rrc_get(t, &c);
	if (rc)
		return map_err(rc);
	MDB_val k = {4, prefix}, d;
	for (rc = mdb_cursor_get(c, &k, &d, MDB_SET_RANGE); rc == 0;
	     rc = mdb_cursor_get(c, &k, &d, MDB_NEXT)) {
		if (k.mv_size < 4 + 3 || memcmp(k.mv_data, prefix, 4) != 0)
			break;
		struct store_rrset rs;
		int r = rrset_decode(&k, &d, &rs);
		if (r == 0)
			r = fn((const uint8_t *)k.mv_data + 4, k.mv_size - 4 - 3, &rs, arg);
		if (r) {
			rrc_put(t, c);
			return r;
		}
	}
	rrc_put(t, c);
	return (rc == 0 || rc == MDB_NOTFOUND) ? 0 : map_err(rc);
}

int store_zone_foreach_rrset_after(struct store_txn *t, const struct store_zone *zone,
				   const uint8_t *key, size_t keylen, uint16_t type,
				   int (*fn)(const uint8_t *key, size_t keylen,
					     const struct store_rrset *rrset, void *arg),
				   void *arg)
{
	uint8_t kb[ZONE_KEY_MAX];
	size_t klen = rrset_key(t, zone->id, key, keylen, type, kb);
	if (klen == 0)
		return ILNPDNS_ENAME;
	MDB_cursor *c;
	int rc = rrc_get(t, &c);
	if (rc)
		return map_err(rc);
	MDB_val k = {klen, kb}, d;
	rc = mdb_cursor_get(c, &k, &d, MDB_SET_RANGE);
	/* Strictly after: skip the resume point itself when it still exists. */
	if (rc == 0 && k.mv_size == klen && memcmp(k.mv_data, kb, klen) == 0)
		rc = mdb_cursor_get(c, &k, &d, MDB_NEXT);
	for (; rc == 0; rc = mdb_cursor_get(c, &k, &d, MDB_NEXT)) {
		if (k.mv_size < 4 + 3 || memcmp(k.mv_data, kb, 4) != 0)
			break;
		struct store_rrset rs;
		int r = rrset_decode(&k, &d, &rs);
		if (r == 0)
			r = fn((const uint8_t *)k.mv_data + 4, k.mv_size - 4 - 3, &rs, arg);
		if (r) {
			rrc_put(t, c);
			return r;
		}
	}
	rrc_put(t, c);
	return (rc == 0 || rc == MDB_NOTFOUND) ? 0 : map_err(rc);
}

int store_rrset_put(struct store_txn *t, const struct store_zone *zone, const uint8_t *key,
		    size_t keylen, uint16_t type, uint32_t ttl, uint16_t count,
		    const uint8_t *rdata, size_t rdata_len)
{
	uint8_t kb[ZONE_KEY_MAX];
	size_t klen = rrset_key(t, zone->id, key, keylen, type, kb);
	if (klen == 0)
		return ILNPDNS_ENAME;
	MDB_val k = {klen, kb}, d = {RRSET_HDR + rdata_len, NULL};
	/* MDB_RESERVE: write the value straight into the page, no bounce buffer. */
	int rc = mdb_put(t->txn, t->st->rrsets, &k, &d, MDB_RESERVE);
	if (rc)
		return map_err(rc);
	uint8_t *p = d.mv_data;
	put_u32(p, ttl);
	put_u16(p + 4, count);
	put_u16(p + 6, 0);
	memcpy(p + RRSET_HDR, rdata, rdata_len);
	return 0;
}

int store_rrset_delete(struct store_txn *t, const struct store_zone *zone, const uint8_t *key,
		       size_t keylen, uint16_t type)
{
	uint8_t kb[ZONE_KEY_MAX];
	size_t klen = rrset_key(t, zone->id, key, keylen, type, kb);
	if (klen == 0)
		return ILNPDNS_ENOENT;
	MDB_val k = {klen, kb};
	return map_err(mdb_del(t->txn, t->st->rrsets, &k, NULL));
}

/* ---- journal ---- */

#define JOURNAL_HDR 24 /* old u32 | new u32 | time u64 | removed u32 | added u32 */

static int journal_cursor_last(struct store_txn *t, const struct store_zone *zone, MDB_cursor *c,
			       uint64_t *last)
{
	/* Position after the zone's range, then step back one. */
	uint8_t next[4];
	MDB_val k = {4, next}, d;
	int rc;
	if (zone->id == UINT32_MAX) {
		rc = mdb_cursor_get(c, &k, &d, MDB_LAST);
	} else {
		put_u32(next, zone->id + 1);
		rc = mdb_cursor_get(c, &k, &d, MDB_SET_RANGE);
		rc = mdb_cursor_get(c, &k, &d, rc == 0 ? MDB_PREV : MDB_LAST);
	}
	if (rc == 0 && k.mv_size == 12 && get_u32(k.mv_data) == zone->id) {
		*last = get_u64((const uint8_t *)k.mv_data + 4);
		return 0;
	}
	*last = 0;
	return rc == 0 || rc == MDB_NOTFOUND ? 0 : map_err(rc);
}

int store_journal_append(struct store_txn *t, const struct store_zone *zone, uint32_t old_serial,
			 uint32_t new_serial, uint32_t removed, uint32_t added, const uint8_t *rrs,
			 size_t rrs_len)
{
	MDB_cursor *c;
	uint64_t last;
	int rc = mdb_cursor_open(t->txn, t->st->journal, &c);
	if (rc)
		return map_err(rc);
	rc = journal_cursor_last(t, zone, c, &last);
	mdb_cursor_close(c);
	if (rc)
		return rc;
	uint8_t kb[12];
	put_u32(kb, zone->id);
	put_u64(kb + 4, last + 1);
	MDB_val k = {12, kb}, d = {JOURNAL_HDR + rrs_len, NULL};
	if ((rc = mdb_put(t->txn, t->st->journal, &k, &d, MDB_RESERVE)))
		return map_err(rc);
	uint8_t *p = d.mv_data;
	put_u32(p, old_serial);
	put_u32(p + 4, new_serial);
	put_u64(p + 8, (uint64_t)time(NULL));
	put_u32(p + 16, removed);
	put_u32(p + 20, added);
	memcpy(p + JOURNAL_HDR, rrs, rrs_len);
	return 0;
}

int store_journal_foreach(struct store_txn *t, const struct store_zone *zone, uint64_t from_seq,
			  int (*fn)(const struct store_journal_entry *entry, void *arg), void *arg)
{
	uint8_t kb[12];
	put_u32(kb, zone->id);
	put_u64(kb + 4, from_seq);
	MDB_cursor *c;
	int rc = mdb_cursor_open(t->txn, t->st->journal, &c);
	if (rc)
		return map_err(rc);
	MDB_val k = {12, kb}, d;
	for (rc = mdb_cursor_get(c, &k, &d, MDB_SET_RANGE); rc == 0;
	     rc = mdb_cursor_get(c, &k, &d, MDB_NEXT)) {
		if (k.mv_size != 12 || get_u32(k.mv_data) != zone->id)
			break;
		if (d.mv_size < JOURNAL_HDR) {
			rc = MDB_CORRUPTED;
			break;
		}
		const uint8_t *p = d.mv_data;
		struct store_journal_entry e = {
			.seq = get_u64((const uint8_t *)k.mv_data + 4),
			.old_serial = get_u32(p),
			.new_serial = get_u32(p + 4),
			.time = get_u64(p + 8),
			.removed = get_u32(p + 16),
			.added = get_u32(p + 20),
			.rrs = p + JOURNAL_HDR,
			.rrs_len = d.mv_size - JOURNAL_HDR,
		};
		int r = fn(&e, arg);
		if (r) {
			mdb_cursor_close(c);
			return r;
		}
	}
	mdb_cursor_close(c);
	return (rc == 0 || rc == MDB_NOTFOUND) ? 0 : map_err(rc);
}

int store_journal_trim(struct store_txn *t, const struct store_zone *zone, size_t max_entries,
		       size_t *dropped)
{
	MDB_cursor *c;
	uint64_t last;
	size_t n = 0;
	int rc = mdb_cursor_open(t->txn, t->st->journal, &c);
	if (rc)
		return map_err(rc);
	if ((rc = journal_cursor_last(t, zone, c, &last)))
		goto out;
	/* Sequences are dense (appends only, trims from the front), so the
	 * oldest kept entry is last - max_entries + 1. */
	for (;;) {
		uint8_t kb[12];
		put_u32(kb, zone->id);
		put_u64(kb + 4, 0);
		MDB_val k = {12, kb}, d;
		rc = mdb_cursor_get(c, &k, &d, MDB_SET_RANGE);
		if (rc || k.mv_size != 12 || get_u32(k.mv_data) != zone->id)
			break;
		uint64_t seq = get_u64((const uint8_t *)k.mv_data + 4);
		if (last - seq + 1 <= max_entries)
			break;
		if ((rc = mdb_cursor_del(c, 0)))
			break;
		n++;
	}
	rc = (rc == 0 || rc == MDB_NOTFOUND) ? 0 : map_err(rc);
out:
	mdb_cursor_close(c);
	if (dropped)
		*dropped = n;
	return rc;
}

bool store_rrset_next_rdata(const struct store_rrset *rs, size_t *pos, const uint8_t **rdata,
			    uint16_t *rdlen)
{
	if (*pos + 2 > rs->rdata_len)
		return false;
	uint16_t len = get_u16(rs->rdata + *pos);
	if (*pos + 2 + len > rs->rdata_len)
		return false;
	*rdata = rs->rdata + *pos + 2;
	*rdlen = len;
	*pos += 2 + (size_t)len;
	return true;
}

/* ---- replay table ---- */

int store_replay_check_add(struct store_txn *t, const uint8_t *digest, uint64_t expiry,
                           uint64_t now)
{
	uint8_t exp[8], ek[8 + STORE_REPLAY_DIGEST_LEN];
	MDB_val k = {STORE_REPLAY_DIGEST_LEN, (void *)digest}, d;

	if (!t->write)
		return ILNPDNS_EINVAL;
	int rc = mdb_get(t->txn, t->st->replay, &k, &d);
	if (rc == 0) {
		if (d.mv_size != 8)
			return ILNPDNS_ESTORE;
		uint64_t old = get_u64(d.mv_data);
		if (old >= now)
			return ILNPDNS_EEXIST; /* seen, and its window is still open */
		/* Expired but not yet pruned: the entry is replaced. */
		put_u64(ek, old);
		memcpy(ek + 8, digest, STORE_REPLAY_DIGEST_LEN);
		MDB_val ok = {sizeof(ek), ek};
		rc = mdb_del(t->txn, t->st->replay_exp, &ok, NULL);
		if (rc && rc != MDB_NOTFOUND)
			return map_err(rc);
	} else if (rc != MDB_NOTFOUND) {
		return map_err(rc);
	}
	put_u64(exp, expiry);
	put_u64(ek, expiry);
	memcpy(ek + 8, digest, STORE_REPLAY_DIGEST_LEN);
	d.mv_size = sizeof(exp);
	d.mv_data = exp;
	MDB_val xk = {sizeof(ek), ek}, empty = {0, NULL};
	if ((rc = mdb_put(t->txn, t->st->replay, &k, &d, 0)) ||
	    (rc = mdb_put(t->txn, t->st->replay_exp, &xk, &empty, 0)))
		return map_err(rc);
	return 0;
}

int store_replay_prune(struct store_txn *t, uint64_t now, size_t max, size_t *pruned)
{
	MDB_cursor *c;
	MDB_val k, d;
	size_t n = 0;

	*pruned = 0;
	if (!t->write)
		return ILNPDNS_EINVAL;
	int rc = mdb_cursor_open(t->txn, t->st->replay_exp, &c);
	if (rc)
		return map_err(rc);
	/* Keys begin with the expiry, big-endian: the oldest come first. */
	while (n < max && (rc = mdb_cursor_get(c, &k, &d, MDB_FIRST)) == 0) {
		if (k.mv_size != 8 + STORE_REPLAY_DIGEST_LEN) {
			rc = MDB_CORRUPTED;
			break;
		}
		if (get_u64(k.mv_data) >= now)
			break;
		MDB_val dk = {STORE_REPLAY_DIGEST_LEN, (uint8_t *)k.mv_data + 8};
		if ((rc = mdb_del(t->txn, t->st->replay, &dk, NULL)) && rc != MDB_NOTFOUND)
			break;
		if ((rc = mdb_cursor_del(c, 0)))
			break;
		n++;
	}
	mdb_cursor_close(c);
	*pruned = n;
	return rc == 0 || rc == MDB_NOTFOUND ? 0 : map_err(rc);
}
