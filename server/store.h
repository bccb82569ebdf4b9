/* SPDX-License-Identifier: BSD-2-Clause */
/* store.h -- the zone store on LMDB; this comment is the schema. */
#ifndef ILNPDNS_STORE_H
#define ILNPDNS_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ilnpdns/wire.h"

/*
 * SCHEMA (version 1). One LMDB environment (server.database) with six named
 * sub-databases (the two replay tables are created when missing, so a
 * database made before them opens unchanged). Integers are big-endian everywhere, so memcmp order of keys
 * is numeric order and the file moves between machines.
 *
 *  "meta"     key: ASCII name            value: u32
 *             "schema-version" = 1; "next-zone-id" = next free zone id.
 *             Opening a database whose schema-version differs fails with
 *             ILNPDNS_ESCHEMA.
 *
 *  "zones"    key: absolute lookup key of the apex (dname.h: labels from the
 *                  root, lowercased, escaped, each ended by 0x00; the root
 *                  zone's key is a lone 0x00, as LMDB refuses empty keys)
 *             value: struct store_zone_rec below, then the apex wire name
 *                  (case as first imported).
 *             The zone table: id, SOA serial (kept equal to the SOA RRset's
 *             serial in the same transaction), effective settings.
 *
 *  "rrsets"   key: zone id u32 | owner key relative to the apex | 0x00 | type u16
 *             value: ttl u32 | count u16 | reserved u16 | count x (rdlen u16 | rdata)
 *             One record per RRset. RDATA is pre-rendered, uncompressed wire
 *             data, canonical where the type has a canonical form. Because
 *             the owner key is label-reversed and every label ends with 0x00,
 *             the keys of a zone sort in RFC 4034 6.1 canonical order, all
 *             RRsets of one name are adjacent (the extra 0x00 sorts before
 *             any label octet, so a name comes before its descendants), and a
 *             subtree is one contiguous range. The TTL is the zone data's;
 *             the ILNP TTL override (store_zone_rec.ilnp_ttl) is applied when
 *             records are emitted, never stored.
 *
 *  "journal"  key: zone id u32 | sequence u64 (increasing per zone)
 *             value: old serial u32 | new serial u32 | commit time u64 (unix
 *                  seconds) | removed count u32 | added count u32 | the
 *                  removed RRs then the added RRs, each as owner wire name |
 *                  type u16 | class u16 | ttl u32 | rdlen u16 | rdata.
 *             One entry per committed change, written in the same transaction
 *             as the change (RFC 1995 difference sequences for IXFR).
 *
 *  "replay"   key: digest (16 octets: SHA-256 over the lowercased wire name
 *                  of the TSIG key then the first 10 octets of the MAC, truncated)
 *             value: expiry u64 (unix seconds)
 *             Signed updates accepted while their window is open (issue 3:
 *             an exact replay is refused, across restarts too). An entry
 *             with expiry < now is expired and may be replaced or pruned.
 *
 *  "replay-exp" key: expiry u64 | digest (16 octets)    value: empty
 *             The same entries ordered by expiry, so that pruning deletes
 *             the oldest first without a scan. Both tables change together.
 *
 * tests/unit/test_store.c (test_schema_on_disk) reads these octets back with
 * liblmdb alone, so this description and the code cannot drift apart.
 *
 * Writers: one write transaction at a time (LMDB's rule). Commits are always
 * synchronous (no MDB_NOSYNC/MDB_MAPASYNC): a committed transaction survives
 * kill -9 and power loss. Readers never block and never copy: the views
 * below point into the map and are valid until their transaction ends or is
 * reset.
 *
 * Names longer than the LMDB key limit (511 octets, reached only by names
 * full of escaped 0x00/0x01 octets) cannot be stored: puts fail with
 * ILNPDNS_ENAME, lookups report them absent.
 */

#define STORE_SCHEMA_VERSION 1
#define STORE_ILNP_TTL_KEEP  UINT32_MAX /* serve the zone data's TTLs */

struct store;
struct store_txn;

/* Fixed part of a "zones" value; the apex wire name follows. */
struct store_zone_rec {
	uint32_t id;
	uint32_t serial;
	uint32_t ilnp_ttl; /* TTL for NID/L32/L64/LP, or STORE_ILNP_TTL_KEEP */
	uint32_t flags;    /* reserved, 0 */
	uint64_t imported; /* unix time of the last full import */
};

/* A zone as seen by a transaction (borrowed: valid while the txn is). */
struct store_zone {
	uint32_t id;
	uint32_t serial;
	uint32_t ilnp_ttl;
	uint64_t imported;
	const uint8_t *apex; /* wire name, case as imported */
	size_t apex_len;
	unsigned apex_labels;
};

/* An RRset view (borrowed). rdata is count x (rdlen u16 | rdata). */
struct store_rrset {
	uint16_t type;
	uint32_t ttl;
	uint16_t count;
	const uint8_t *rdata;
	size_t rdata_len;
};

/*
 * The TTL served for rs in zone: the zone's ILNP TTL replaces the zone data's
 * TTL for NID/L32/L64/LP unless the zone keeps the data's TTLs (RFC 6742 3.1
 * leaves TTLs to the operator). Answers, dumps and transfers all use this, so
 * secondaries serve what we serve.
 */
static inline uint32_t store_served_ttl(const struct store_zone *zone,
                                        const struct store_rrset *rs)
{
	if (ilnpdns_type_is_ilnp(rs->type) && zone->ilnp_ttl != STORE_ILNP_TTL_KEEP)
		return zone->ilnp_ttl;
	return rs->ttl;
}

/* What exists at a name inside a zone. */
enum store_name_state {
	STORE_NAME_NONE = 0, /* nothing at or below the name */
	STORE_NAME_DATA,     /* the name owns at least one RRset */
	STORE_NAME_ENT,      /* empty non-terminal: no RRsets, but descendants */
};

/*
 * Open (creating if needed) the environment at path, a directory. mapsize is
 * the LMDB map size in bytes (0: 4 GiB); max_readers bounds concurrent read
 * transactions (0: 512). Returns 0 or an ilnpdns_err.
 */
int store_open(struct store **out, const char *path, size_t mapsize, unsigned max_readers);
void store_close(struct store *st);

/*
 * Transactions. A read transaction can be reset (releasing its snapshot) and
 * renewed (taking the newest one) without freeing, which is what query
 * workers do per batch. Write transactions: store_txn_commit() makes the
 * changes durable or returns an error (ILNPDNS_EMAPFULL when the map is full)
 * and always frees the transaction; store_txn_abort() frees it too.
 */
int store_txn_begin(struct store *st, bool write, struct store_txn **out);
int store_txn_reset(struct store_txn *txn);
int store_txn_renew(struct store_txn *txn);
int store_txn_commit(struct store_txn *txn);
void store_txn_abort(struct store_txn *txn);

/*
 * A child of a write transaction: its changes join the parent on commit and
 * vanish on abort. Group commit uses one child per update so that each update
 * is all-or-nothing while the batch shares one durable commit.
 */
int store_txn_begin_nested(struct store_txn *parent, struct store_txn **out);

/* ---- zones ---- */

/* The zone whose apex is the longest suffix of name. ILNPDNS_ENOENT if none. */
int store_zone_find(struct store_txn *txn, const uint8_t *name, struct store_zone *out);

/* The zone with exactly this apex. ILNPDNS_ENOENT if none. */
int store_zone_get(struct store_txn *txn, const uint8_t *apex, struct store_zone *out);

/*
 * Create the zone, or, if it exists, delete all its RRsets (keeping its id
 * and its journal) so that the caller can write the new content in the same
 * transaction: that is a full re-import. ilnp_ttl is the effective setting.
 */
int store_zone_reset(struct store_txn *txn, const uint8_t *apex, uint32_t ilnp_ttl,
		     struct store_zone *out);

/* Update the serial / ILNP TTL setting of an existing zone. */
int store_zone_set_serial(struct store_txn *txn, const struct store_zone *zone, uint32_t serial);
int store_zone_set_ilnp_ttl(struct store_txn *txn, const struct store_zone *zone,
			    uint32_t ilnp_ttl);

/* Delete a zone, its RRsets and its journal. */
int store_zone_delete(struct store_txn *txn, const uint8_t *apex);

/* Iterate over all zones: call fn for each until it returns non-zero. */
int store_zone_foreach(struct store_txn *txn,
		       int (*fn)(const struct store_zone *zone, void *arg), void *arg);

/* ---- RRsets ---- */

/*
 * Relative key of owner within zone (see ilnpdns_dname_to_key()); owner must
 * be at or below the apex. key must hold ILNPDNS_DNAME_KEYMAX octets.
 */
size_t store_owner_key(const struct store_zone *zone, const uint8_t *owner, uint8_t *key);

/*
 * Look up one RRset by relative owner key. ILNPDNS_ENOENT when absent. The
 * key form lets the query path compute one key for the query name and probe
 * every ancestor as a prefix of it.
 */
int store_rrset_get(struct store_txn *txn, const struct store_zone *zone, const uint8_t *key,
		    size_t keylen, uint16_t type, struct store_rrset *out);

/* State of the name with this relative key (data, empty non-terminal, none). */
enum store_name_state store_name_state(struct store_txn *txn, const struct store_zone *zone,
				       const uint8_t *key, size_t keylen);

/* RRsets of one name that store_node_get() reads in one go (hosts have 4-6). */
#define STORE_NODE_MAX 16

/*
 * Every RRset owned by one name, read with one cursor descent and MDB_NEXT
 * steps instead of one B-tree descent per type (the RFC 6742 additional
 * section wants up to five types of one owner). Borrowed views, valid while
 * the transaction is.
 */
struct store_node {
	enum store_name_state state;
	unsigned n;     /* RRsets in sets[], in type order */
	bool truncated; /* the name owns more than STORE_NODE_MAX RRsets */
	struct store_rrset sets[STORE_NODE_MAX];
};

/*
 * Read the name with this relative key into *out (state NONE and n 0 when
 * nothing is at or below it). Never allocates on a read transaction.
 * Returns 0 or an ilnpdns_err (out then says NONE).
 */
int store_node_get(struct store_txn *txn, const struct store_zone *zone, const uint8_t *key,
                   size_t keylen, struct store_node *out);

/*
 * The RRset of this type in a node read by store_node_get(): 0, or
 * ILNPDNS_ENOENT when absent. Only a truncated node goes back to the store
 * (store_rrset_get()) for a type it did not hold.
 */
int store_node_rrset(struct store_txn *txn, const struct store_zone *zone, const uint8_t *key,
                     size_t keylen, const struct store_node *node, uint16_t type,
                     struct store_rrset *out);

/*
 * Iterate over the RRsets owned by exactly this name, in type order; fn
 * returns non-zero to stop (that value is returned).
 */
int store_name_foreach(struct store_txn *txn, const struct store_zone *zone, const uint8_t *key,
		       size_t keylen,
		       int (*fn)(const struct store_rrset *rrset, void *arg), void *arg);

/*
 * Iterate over every RRset of the zone in canonical order. fn gets the owner
 * as a relative key (turn it into a name with ilnpdns_dname_from_key()).
 */
int store_zone_foreach_rrset(struct store_txn *txn, const struct store_zone *zone,
			     int (*fn)(const uint8_t *key, size_t keylen,
				       const struct store_rrset *rrset, void *arg),
			     void *arg);

/*
 * The same walk resumed after the RRset (key, type): it starts with the next
 * RRset in canonical order. Transfers use it to fill one message per call
 * without a second copy of the zone.
 */
int store_zone_foreach_rrset_after(struct store_txn *txn, const struct store_zone *zone,
				   const uint8_t *key, size_t keylen, uint16_t type,
				   int (*fn)(const uint8_t *key, size_t keylen,
					     const struct store_rrset *rrset, void *arg),
				   void *arg);

/*
 * Write an RRset, replacing any RRset of the same owner and type. rdata is
 * count x (rdlen u16 | rdata) as in struct store_rrset.
 */
int store_rrset_put(struct store_txn *txn, const struct store_zone *zone, const uint8_t *key,
		    size_t keylen, uint16_t type, uint32_t ttl, uint16_t count,
		    const uint8_t *rdata, size_t rdata_len);

/* Delete an RRset; ILNPDNS_ENOENT if it was absent. */
int store_rrset_delete(struct store_txn *txn, const struct store_zone *zone, const uint8_t *key,
		       size_t keylen, uint16_t type);

/* ---- journal ---- */

/* One journal entry (borrowed view). rrs holds removed then added RRs, each
 * as owner wire name | type u16 | class u16 | ttl u32 | rdlen u16 | rdata. */
struct store_journal_entry {
	uint64_t seq;
	uint32_t old_serial;
	uint32_t new_serial;
	uint64_t time;
	uint32_t removed;
	uint32_t added;
	const uint8_t *rrs;
	size_t rrs_len;
};

/* Append an entry after the zone's last one (sequence = last + 1). */
int store_journal_append(struct store_txn *txn, const struct store_zone *zone,
			 uint32_t old_serial, uint32_t new_serial, uint32_t removed,
			 uint32_t added, const uint8_t *rrs, size_t rrs_len);

/* Call fn for each entry with sequence >= from_seq, oldest first. */
int store_journal_foreach(struct store_txn *txn, const struct store_zone *zone, uint64_t from_seq,
			  int (*fn)(const struct store_journal_entry *entry, void *arg), void *arg);

/* Drop the oldest entries until at most max_entries remain; *dropped counts them. */
int store_journal_trim(struct store_txn *txn, const struct store_zone *zone, size_t max_entries,
		       size_t *dropped);

/* ---- replay table ---- */

#define STORE_REPLAY_DIGEST_LEN 16

/*
 * Record digest (STORE_REPLAY_DIGEST_LEN octets) with its expiry in a write
 * transaction: 0 when added (or when an expired entry was replaced),
 * ILNPDNS_EEXIST when it is present with expiry >= now (a replay), else an
 * ilnpdns_err.
 */
int store_replay_check_add(struct store_txn *txn, const uint8_t *digest, uint64_t expiry,
                           uint64_t now);

/* Delete at most max entries with expiry < now, oldest first; *pruned counts them. */
int store_replay_prune(struct store_txn *txn, uint64_t now, size_t max, size_t *pruned);

/* Walk the rdata of an RRset view: *pos starts at 0; returns false at the end. */
bool store_rrset_next_rdata(const struct store_rrset *rrset, size_t *pos, const uint8_t **rdata,
			    uint16_t *rdlen);

#endif /* ILNPDNS_STORE_H */
