/* SPDX-License-Identifier: BSD-2-Clause */
/* test_store.c -- the LMDB schema: zones, RRsets, name states, ordering, replay table. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <lmdb.h>

#include "ilnpdns/dname.h"
#include "ilnpdns/error.h"
#include "store.h"

struct fixture {
	char dir[64];
	struct store *st;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	strcpy(f->dir, "/tmp/ilnpdns-test-store-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	assert_int_equal(store_open(&f->st, f->dir, 64 << 20, 0), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[128];
	store_close(f->st);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

static void name(const char *s, uint8_t *w)
{
	assert_true(ilnpdns_dname_from_str(s, w) > 0);
}

static void put(struct store_txn *t, const struct store_zone *z, const char *owner, uint16_t type,
                const char *rdata, uint16_t rdlen)
{
	uint8_t w[256], key[ILNPDNS_DNAME_KEYMAX], buf[512];
	name(owner, w);
	size_t kl = store_owner_key(z, w, key);
	buf[0] = (uint8_t)(rdlen >> 8);
	buf[1] = (uint8_t)rdlen;
	memcpy(buf + 2, rdata, rdlen);
	assert_int_equal(store_rrset_put(t, z, key, kl, type, 0, 1, buf, 2u + rdlen), 0);
}

static enum store_name_state state_of(struct store_txn *t, const struct store_zone *z,
                                      const char *owner)
{
	uint8_t w[256], key[ILNPDNS_DNAME_KEYMAX];
	name(owner, w);
	size_t kl = store_owner_key(z, w, key);
	return store_name_state(t, z, key, kl);
}

static void load_example(struct store *st)
{
	struct store_txn *t;
	struct store_zone z;
	uint8_t apex[256];
	name("example.ilnp.", apex);
	assert_int_equal(store_txn_begin(st, true, &t), 0);
	assert_int_equal(store_zone_reset(t, apex, 0, &z), 0);
	put(t, &z, "example.ilnp.", 6, "soa-rdata", 9);
	put(t, &z, "host1.example.ilnp.", 106, "\0\12\x20\1\x0d\xb8\x11\x40\x10\0", 10);
	put(t, &z, "host1.example.ilnp.", 104, "\0\12\0\x14\x4f\xff\xff\x20\xee\x64", 10);
	put(t, &z, "a.b.example.ilnp.", 1, "\1\2\3\4", 4);
	assert_int_equal(store_zone_set_serial(t, &z, 42), 0);
	assert_int_equal(store_txn_commit(t), 0);
}

static void test_zone_find(void **state)
{
	struct fixture *f = *state;
	struct store_txn *t;
	struct store_zone z;
	uint8_t q[256];
	load_example(f->st);
	assert_int_equal(store_txn_begin(f->st, false, &t), 0);
	name("deep.host1.EXAMPLE.ilnp.", q);
	assert_int_equal(store_zone_find(t, q, &z), 0);
	assert_int_equal(z.serial, 42);
	assert_int_equal(z.apex_labels, 2);
	name("example.ilnp.", q);
	assert_int_equal(store_zone_find(t, q, &z), 0);
	name("ilnp.", q);
	assert_int_equal(store_zone_find(t, q, &z), ILNPDNS_ENOENT);
	name("other.test.", q);
	assert_int_equal(store_zone_find(t, q, &z), ILNPDNS_ENOENT);
	store_txn_abort(t);
}

static void test_name_state(void **state)
{
	struct fixture *f = *state;
	struct store_txn *t;
	struct store_zone z;
	uint8_t apex[256];
	load_example(f->st);
	name("example.ilnp.", apex);
	assert_int_equal(store_txn_begin(f->st, false, &t), 0);
	assert_int_equal(store_zone_get(t, apex, &z), 0);
	assert_int_equal(state_of(t, &z, "example.ilnp."), STORE_NAME_DATA);
	assert_int_equal(state_of(t, &z, "HOST1.example.ilnp."), STORE_NAME_DATA);
	assert_int_equal(state_of(t, &z, "b.example.ilnp."), STORE_NAME_ENT);
	assert_int_equal(state_of(t, &z, "a.b.example.ilnp."), STORE_NAME_DATA);
	assert_int_equal(state_of(t, &z, "c.b.example.ilnp."), STORE_NAME_NONE);
	assert_int_equal(state_of(t, &z, "host.example.ilnp."), STORE_NAME_NONE);
	assert_int_equal(state_of(t, &z, "x.host1.example.ilnp."), STORE_NAME_NONE);
	store_txn_abort(t);
}

static int node_of(struct store_txn *t, const struct store_zone *z, const char *owner,
                   struct store_node *n)
{
	uint8_t w[256], key[ILNPDNS_DNAME_KEYMAX];
	name(owner, w);
	size_t kl = store_owner_key(z, w, key);
	return store_node_get(t, z, key, kl, n);
}

/* One cursor read of a name: its RRsets in type order, or ENT / NONE, agreeing
 * with store_name_state() and store_rrset_get(); a name with more RRsets than
 * a node holds still finds every type. */
static void test_node(void **state)
{
	struct fixture *f = *state;
	struct store_txn *t;
	struct store_zone z;
	struct store_node n;
	struct store_rrset rs;
	uint8_t apex[256], w[256], key[ILNPDNS_DNAME_KEYMAX];
	load_example(f->st);
	name("example.ilnp.", apex);

	/* host1 also gets a child, which must not join its node. */
	assert_int_equal(store_txn_begin(f->st, true, &t), 0);
	assert_int_equal(store_zone_get(t, apex, &z), 0);
	put(t, &z, "x.host1.example.ilnp.", 105, "\0\1\xc0\0\2\1", 6);
	/* many.example.ilnp. owns more RRsets than a node holds. */
	for (uint16_t ty = 1; ty <= STORE_NODE_MAX + 4; ty++)
		put(t, &z, "many.example.ilnp.", (uint16_t)(ty * 3), "\1\2\3\4", 4);
	assert_int_equal(store_txn_commit(t), 0);

	assert_int_equal(store_txn_begin(f->st, false, &t), 0);
	assert_int_equal(store_zone_get(t, apex, &z), 0);
	assert_int_equal(node_of(t, &z, "Host1.example.ilnp.", &n), 0);
	assert_int_equal(n.state, STORE_NAME_DATA);
	assert_int_equal(n.n, 2);
	assert_false(n.truncated);
	assert_int_equal(n.sets[0].type, 104);
	assert_int_equal(n.sets[1].type, 106);
	assert_int_equal(n.sets[1].count, 1);
	assert_int_equal(n.sets[1].rdata_len, 12);
	assert_memory_equal(n.sets[1].rdata + 2, "\0\12\x20\1\x0d\xb8\x11\x40\x10\0", 10);
	size_t kl = store_owner_key(&z, (name("host1.example.ilnp.", w), w), key);
	assert_int_equal(store_node_rrset(t, &z, key, kl, &n, 106, &rs), 0);
	assert_ptr_equal(rs.rdata, n.sets[1].rdata);
	assert_int_equal(store_node_rrset(t, &z, key, kl, &n, 105, &rs), ILNPDNS_ENOENT);
	assert_int_equal(store_node_rrset(t, &z, key, kl, &n, 28, &rs), ILNPDNS_ENOENT);
	assert_int_equal(store_node_rrset(t, &z, key, kl, &n, 107, &rs), ILNPDNS_ENOENT);

	assert_int_equal(node_of(t, &z, "example.ilnp.", &n), 0);
	assert_int_equal(n.state, STORE_NAME_DATA);
	assert_int_equal(n.n, 1);
	assert_int_equal(n.sets[0].type, 6);
	assert_int_equal(node_of(t, &z, "b.example.ilnp.", &n), 0);
	assert_int_equal(n.state, STORE_NAME_ENT);
	assert_int_equal(n.n, 0);
	assert_int_equal(node_of(t, &z, "c.b.example.ilnp.", &n), 0);
	assert_int_equal(n.state, STORE_NAME_NONE);
	assert_int_equal(node_of(t, &z, "zzz.example.ilnp.", &n), 0);
	assert_int_equal(n.state, STORE_NAME_NONE);
	assert_int_equal(node_of(t, &z, "x.host1.example.ilnp.", &n), 0);
	assert_int_equal(n.state, STORE_NAME_DATA);
	assert_int_equal(n.n, 1);
	assert_int_equal(n.sets[0].type, 105);

	assert_int_equal(node_of(t, &z, "many.example.ilnp.", &n), 0);
	assert_int_equal(n.state, STORE_NAME_DATA);
	assert_int_equal(n.n, STORE_NODE_MAX);
	assert_true(n.truncated);
	kl = store_owner_key(&z, (name("many.example.ilnp.", w), w), key);
	for (uint16_t ty = 1; ty <= STORE_NODE_MAX + 4; ty++) {
		assert_int_equal(store_node_rrset(t, &z, key, kl, &n, (uint16_t)(ty * 3), &rs), 0);
		assert_int_equal(rs.type, ty * 3);
		assert_int_equal(store_node_rrset(t, &z, key, kl, &n, (uint16_t)(ty * 3 + 1), &rs),
		                 ILNPDNS_ENOENT);
	}
	store_txn_abort(t);
}

static int count_rrset(const struct store_rrset *rs, void *arg)
{
	uint16_t *types = arg;
	types[++types[0]] = rs->type;
	return 0;
}

static void test_rrsets(void **state)
{
	struct fixture *f = *state;
	struct store_txn *t;
	struct store_zone z;
	struct store_rrset rs;
	uint8_t apex[256], w[256], key[ILNPDNS_DNAME_KEYMAX];
	load_example(f->st);
	name("example.ilnp.", apex);
	assert_int_equal(store_txn_begin(f->st, false, &t), 0);
	assert_int_equal(store_zone_get(t, apex, &z), 0);
	name("host1.example.ilnp.", w);
	size_t kl = store_owner_key(&z, w, key);
	assert_int_equal(store_rrset_get(t, &z, key, kl, 106, &rs), 0);
	assert_int_equal(rs.type, 106);
	assert_int_equal(rs.count, 1);
	size_t pos = 0;
	const uint8_t *rd;
	uint16_t rdlen;
	assert_true(store_rrset_next_rdata(&rs, &pos, &rd, &rdlen));
	assert_int_equal(rdlen, 10);
	assert_memory_equal(rd, "\0\12\x20\1\x0d\xb8\x11\x40\x10\0", 10);
	assert_false(store_rrset_next_rdata(&rs, &pos, &rd, &rdlen));
	assert_int_equal(store_rrset_get(t, &z, key, kl, 28, &rs), ILNPDNS_ENOENT);
	uint16_t types[8] = {0};
	assert_int_equal(store_name_foreach(t, &z, key, kl, count_rrset, types), 0);
	assert_int_equal(types[0], 2);
	assert_int_equal(types[1], 104); /* type order */
	assert_int_equal(types[2], 106);
	store_txn_abort(t);
}

struct walk {
	char names[32][64];
	int n;
	const uint8_t *apex;
};

static int walk_rrset(const uint8_t *key, size_t kl, const struct store_rrset *rs, void *arg)
{
	struct walk *w = arg;
	uint8_t n[256];
	assert_true(w->n < (int)(sizeof(w->names) / sizeof(w->names[0])));
	assert_true(ilnpdns_dname_from_key(key, kl, w->apex, n) > 0);
	ilnpdns_dname_to_str(n, w->names[w->n], 64);
	w->n++;
	return 0;
}

static void test_reimport_and_walk(void **state)
{
	struct fixture *f = *state;
	struct store_txn *t;
	struct store_zone z;
	uint8_t apex[256];
	load_example(f->st);
	load_example(f->st); /* replace: same content, not doubled */
	name("example.ilnp.", apex);
	assert_int_equal(store_txn_begin(f->st, false, &t), 0);
	assert_int_equal(store_zone_get(t, apex, &z), 0);
	struct walk w = {.apex = z.apex};
	assert_int_equal(store_zone_foreach_rrset(t, &z, walk_rrset, &w), 0);
	assert_int_equal(w.n, 4);
	assert_string_equal(w.names[0], "example.ilnp.");
	assert_string_equal(w.names[1], "a.b.example.ilnp.");
	assert_string_equal(w.names[2], "host1.example.ilnp.");
	store_txn_abort(t);

	/* delete zone: gone, and a new zone gets a fresh id */
	assert_int_equal(store_txn_begin(f->st, true, &t), 0);
	uint32_t old_id = z.id;
	assert_int_equal(store_zone_delete(t, apex), 0);
	assert_int_equal(store_zone_get(t, apex, &z), ILNPDNS_ENOENT);
	assert_int_equal(store_zone_reset(t, apex, STORE_ILNP_TTL_KEEP, &z), 0);
	assert_int_not_equal(z.id, old_id);
	assert_int_equal(z.ilnp_ttl, STORE_ILNP_TTL_KEEP);
	assert_int_equal(store_txn_commit(t), 0);
}

static void test_abort_leaves_zone(void **state)
{
	struct fixture *f = *state;
	struct store_txn *t;
	struct store_zone z;
	uint8_t apex[256];
	load_example(f->st);
	name("example.ilnp.", apex);
	assert_int_equal(store_txn_begin(f->st, true, &t), 0);
	assert_int_equal(store_zone_reset(t, apex, 0, &z), 0);
	store_txn_abort(t);
	assert_int_equal(store_txn_begin(f->st, false, &t), 0);
	assert_int_equal(store_zone_get(t, apex, &z), 0);
	assert_int_equal(z.serial, 42);
	uint8_t key[ILNPDNS_DNAME_KEYMAX], w[256];
	name("host1.example.ilnp.", w);
	size_t kl = store_owner_key(&z, w, key);
	struct store_rrset rs;
	assert_int_equal(store_rrset_get(t, &z, key, kl, 104, &rs), 0);
	store_txn_abort(t);
}

static void test_reader_renew_sees_commit(void **state)
{
	struct fixture *f = *state;
	struct store_txn *r, *t;
	struct store_zone z;
	uint8_t apex[256];
	name("example.ilnp.", apex);
	assert_int_equal(store_txn_begin(f->st, false, &r), 0);
	assert_int_equal(store_zone_get(r, apex, &z), ILNPDNS_ENOENT);
	assert_int_equal(store_txn_reset(r), 0);
	load_example(f->st);
	assert_int_equal(store_txn_renew(r), 0);
	assert_int_equal(store_zone_get(r, apex, &z), 0);
	store_txn_abort(r);
	(void)t;
}

static void test_map_full(void **state)
{
	char dir[] = "/tmp/ilnpdns-test-mapfull-XXXXXX";
	struct store *st;
	struct store_txn *t;
	struct store_zone z;
	uint8_t apex[256], buf[4002];
	assert_non_null(mkdtemp(dir));
	assert_int_equal(store_open(&st, dir, 1 << 20, 0), 0);
	name("full.test.", apex);
	assert_int_equal(store_txn_begin(st, true, &t), 0);
	assert_int_equal(store_zone_reset(t, apex, 0, &z), 0);
	memset(buf, 0, sizeof(buf));
	buf[0] = 4000 >> 8;
	buf[1] = 4000 & 0xff;
	int rc = 0;
	for (int i = 0; i < 1000 && rc == 0; i++) {
		uint8_t key[8] = {'h', (uint8_t)('a' + i / 26 / 26 % 26),
		                  (uint8_t)('a' + i / 26 % 26), (uint8_t)('a' + i % 26), 0};
		rc = store_rrset_put(t, &z, key, 5, 16, 0, 1, buf, sizeof(buf));
	}
	assert_int_equal(rc, ILNPDNS_EMAPFULL);
	store_txn_abort(t);
	store_close(st);
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

static int collect_seq(const struct store_journal_entry *e, void *arg)
{
	uint64_t *seqs = arg;
	seqs[++seqs[0]] = e->seq;
	assert_int_equal(e->new_serial, e->old_serial + 1);
	assert_int_equal(e->rrs_len, 3);
	assert_memory_equal(e->rrs, "abc", 3);
	return 0;
}

static void test_journal(void **state)
{
	struct fixture *f = *state;
	struct store_txn *t, *child;
	struct store_zone z, other;
	uint8_t apex[256], apex2[256];
	load_example(f->st);
	name("example.ilnp.", apex);
	name("other.test.", apex2);
	assert_int_equal(store_txn_begin(f->st, true, &t), 0);
	assert_int_equal(store_zone_get(t, apex, &z), 0);
	assert_int_equal(store_zone_reset(t, apex2, 0, &other), 0);
	for (uint32_t i = 0; i < 5; i++) {
		assert_int_equal(
		    store_journal_append(t, &z, 100 + i, 101 + i, 1, 1, (const uint8_t *)"abc", 3),
		    0);
		/* the other zone's entries must not disturb z's sequence */
		assert_int_equal(
		    store_journal_append(t, &other, i, i + 1, 0, 0, (const uint8_t *)"abc", 3), 0);
	}
	/* a nested transaction that aborts leaves nothing behind */
	assert_int_equal(store_txn_begin_nested(t, &child), 0);
	assert_int_equal(store_journal_append(child, &z, 1, 2, 0, 0, (const uint8_t *)"abc", 3), 0);
	store_txn_abort(child);
	assert_int_equal(store_txn_commit(t), 0);

	uint64_t seqs[16] = {0};
	assert_int_equal(store_txn_begin(f->st, true, &t), 0);
	assert_int_equal(store_journal_foreach(t, &z, 0, collect_seq, seqs), 0);
	assert_int_equal(seqs[0], 5);
	for (int i = 1; i <= 5; i++)
		assert_int_equal(seqs[i], (uint64_t)i);
	size_t dropped;
	assert_int_equal(store_journal_trim(t, &z, 2, &dropped), 0);
	assert_int_equal(dropped, 3);
	memset(seqs, 0, sizeof(seqs));
	assert_int_equal(store_journal_foreach(t, &z, 0, collect_seq, seqs), 0);
	assert_int_equal(seqs[0], 2);
	assert_int_equal(seqs[1], 4);
	assert_int_equal(seqs[2], 5);
	/* appends continue the sequence after a trim */
	assert_int_equal(store_journal_append(t, &z, 200, 201, 0, 0, (const uint8_t *)"abc", 3), 0);
	memset(seqs, 0, sizeof(seqs));
	assert_int_equal(store_journal_foreach(t, &z, 6, collect_seq, seqs), 0);
	assert_int_equal(seqs[0], 1);
	assert_int_equal(seqs[1], 6);
	memset(seqs, 0, sizeof(seqs));
	assert_int_equal(store_journal_foreach(t, &other, 0, collect_seq, seqs), 0);
	assert_int_equal(seqs[0], 5);
	assert_int_equal(store_txn_commit(t), 0);
}

/*
 * RFC 4034 6.1's example names, shuffled, come back from the zone walk in
 * its canonical order (and each name's RRsets in type order): the order is
 * the B-tree's own, not a sort done by the reader.
 */
static void test_canonical_walk(void **state)
{
	static const char *order[] = {
	    "example.",         "a.example.",      "yljkjljk.a.example.",
	    "Z.a.example.",     "zABC.a.EXAMPLE.", "z.example.",
	    "\\001.z.example.", "*.z.example.",    "\\200.z.example.",
	};
	static const unsigned shuffle[] = {5, 8, 0, 3, 7, 1, 6, 4, 2};
	struct fixture *f = *state;
	struct store_txn *t;
	struct store_zone z;
	uint8_t apex[256];
	name("example.", apex);
	assert_int_equal(store_txn_begin(f->st, true, &t), 0);
	assert_int_equal(store_zone_reset(t, apex, 0, &z), 0);
	for (size_t i = 0; i < sizeof(shuffle) / sizeof(shuffle[0]); i++) {
		put(t, &z, order[shuffle[i]], 16, "\1x", 2);
		put(t, &z, order[shuffle[i]], 1, "\1\2\3\4", 4);
	}
	assert_int_equal(store_txn_commit(t), 0);

	assert_int_equal(store_txn_begin(f->st, false, &t), 0);
	assert_int_equal(store_zone_get(t, apex, &z), 0);
	struct walk w = {.apex = z.apex};
	assert_int_equal(store_zone_foreach_rrset(t, &z, walk_rrset, &w), 0);
	store_txn_abort(t);
	assert_int_equal(w.n, 2 * (int)(sizeof(order) / sizeof(order[0])));
	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		uint8_t want[256], got[256];
		name(order[i], want);
		for (int k = 0; k < 2; k++) {
			name(w.names[2 * i + (size_t)k], got);
			if (!ilnpdns_dname_equal(want, got))
				fail_msg("position %zu: got %s, want %s", 2 * i + (size_t)k,
				         w.names[2 * i + (size_t)k], order[i]);
		}
	}
}

/* A digest whose octets are all v (distinct v, distinct digests). */
static const uint8_t *digest(uint8_t v)
{
	static uint8_t d[STORE_REPLAY_DIGEST_LEN];
	memset(d, v, sizeof(d));
	return d;
}

/* Check-add: added, seen while not expired (in the same transaction and in
 * later ones), seen at its expiry second, replaced once expired. */
static void test_replay_check_add(void **state)
{
	struct fixture *f = *state;
	struct store_txn *t;
	assert_int_equal(store_txn_begin(f->st, true, &t), 0);
	assert_int_equal(store_replay_check_add(t, digest(1), 1000, 900), 0);
	assert_int_equal(store_replay_check_add(t, digest(1), 1000, 900), ILNPDNS_EEXIST);
	assert_int_equal(store_replay_check_add(t, digest(2), 1000, 900), 0);
	assert_int_equal(store_txn_commit(t), 0);

	assert_int_equal(store_txn_begin(f->st, true, &t), 0);
	assert_int_equal(store_replay_check_add(t, digest(1), 1000, 999), ILNPDNS_EEXIST);
	assert_int_equal(store_replay_check_add(t, digest(1), 1000, 1000), ILNPDNS_EEXIST);
	/* Expired: replaced, with the new expiry (seen again until 2000). */
	assert_int_equal(store_replay_check_add(t, digest(1), 2000, 1001), 0);
	assert_int_equal(store_replay_check_add(t, digest(1), 2000, 1500), ILNPDNS_EEXIST);
	/* The old expiry index entry went with it: pruning at 1500 finds only
	 * digest 2 (expiry 1000), and digest 1 stays. */
	size_t n = 99;
	assert_int_equal(store_replay_prune(t, 1500, 10, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(store_replay_check_add(t, digest(1), 2000, 1500), ILNPDNS_EEXIST);
	assert_int_equal(store_replay_prune(t, 2001, 10, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(store_replay_prune(t, 5000, 10, &n), 0);
	assert_int_equal(n, 0);
	store_txn_abort(t);

	/* A read transaction cannot record anything. */
	assert_int_equal(store_txn_begin(f->st, false, &t), 0);
	assert_int_equal(store_replay_check_add(t, digest(3), 10, 1), ILNPDNS_EINVAL);
	store_txn_abort(t);
}

/* Pruning deletes only expired entries, oldest first, at most max a call. */
static void test_replay_prune(void **state)
{
	struct fixture *f = *state;
	struct store_txn *t;
	size_t n;
	assert_int_equal(store_txn_begin(f->st, true, &t), 0);
	/* Expiries 109 down to 100, inserted newest first. */
	for (uint8_t i = 10; i > 0; i--)
		assert_int_equal(store_replay_check_add(t, digest(i), 99u + i, 0), 0);
	assert_int_equal(store_replay_prune(t, 105, 3, &n), 0);
	assert_int_equal(n, 3);
	assert_int_equal(store_txn_commit(t), 0);

	assert_int_equal(store_txn_begin(f->st, true, &t), 0);
	/* 100-102 went (absent: added again, with now 0 so nothing counts as
	 * expired); 103 and 104 are still there. */
	for (uint8_t i = 1; i <= 3; i++)
		assert_int_equal(store_replay_check_add(t, digest(i), 99u + i, 0), 0);
	for (uint8_t i = 4; i <= 10; i++)
		assert_int_equal(store_replay_check_add(t, digest(i), 99u + i, 0), ILNPDNS_EEXIST);
	store_txn_abort(t);

	assert_int_equal(store_txn_begin(f->st, true, &t), 0);
	assert_int_equal(store_replay_prune(t, 105, 100, &n), 0);
	assert_int_equal(n, 2); /* 103 and 104; 105 expires only after 105 */
	assert_int_equal(store_replay_prune(t, 105, 100, &n), 0);
	assert_int_equal(n, 0);
	for (uint8_t i = 6; i <= 10; i++)
		assert_int_equal(store_replay_check_add(t, digest(i), 99u + i, 105),
		                 ILNPDNS_EEXIST);
	assert_int_equal(store_replay_prune(t, 1000, 0, &n), 0);
	assert_int_equal(n, 0); /* max 0 deletes nothing */
	assert_int_equal(store_replay_prune(t, 1000, 100, &n), 0);
	assert_int_equal(n, 5);
	assert_int_equal(store_txn_commit(t), 0);
}

/* The table survives close and reopen, and a database made before the
 * replay tables existed opens and gets them. */
static void test_replay_durable(void **state)
{
	struct fixture *f = *state;
	struct store_txn *t;
	assert_int_equal(store_txn_begin(f->st, true, &t), 0);
	assert_int_equal(store_replay_check_add(t, digest(7), 5000, 100), 0);
	assert_int_equal(store_txn_commit(t), 0);
	store_close(f->st);
	assert_int_equal(store_open(&f->st, f->dir, 64 << 20, 0), 0);
	assert_int_equal(store_txn_begin(f->st, true, &t), 0);
	assert_int_equal(store_replay_check_add(t, digest(7), 5000, 200), ILNPDNS_EEXIST);
	store_txn_abort(t);
	load_example(f->st);
	store_close(f->st);
	f->st = NULL;

	/* Remove both tables with liblmdb alone: the layout of an older database. */
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi dbi;
	assert_int_equal(mdb_env_create(&env), 0);
	assert_int_equal(mdb_env_set_maxdbs(env, 8), 0);
	assert_int_equal(mdb_env_open(env, f->dir, 0, 0640), 0);
	assert_int_equal(mdb_txn_begin(env, NULL, 0, &txn), 0);
	assert_int_equal(mdb_dbi_open(txn, "replay", 0, &dbi), 0);
	assert_int_equal(mdb_drop(txn, dbi, 1), 0);
	assert_int_equal(mdb_dbi_open(txn, "replay-exp", 0, &dbi), 0);
	assert_int_equal(mdb_drop(txn, dbi, 1), 0);
	assert_int_equal(mdb_txn_commit(txn), 0);
	assert_int_equal(mdb_txn_begin(env, NULL, MDB_RDONLY, &txn), 0);
	assert_int_equal(mdb_dbi_open(txn, "replay", 0, &dbi), MDB_NOTFOUND);
	mdb_txn_abort(txn);
	mdb_env_close(env);

	assert_int_equal(store_open(&f->st, f->dir, 64 << 20, 0), 0);
	struct store_zone z;
	uint8_t apex[256];
	name("example.ilnp.", apex);
	assert_int_equal(store_txn_begin(f->st, true, &t), 0);
	assert_int_equal(store_zone_get(t, apex, &z), 0);
	assert_int_equal(z.serial, 42);
	assert_int_equal(store_replay_check_add(t, digest(7), 5000, 200), 0);
	assert_int_equal(store_replay_check_add(t, digest(7), 5000, 200), ILNPDNS_EEXIST);
	assert_int_equal(store_txn_commit(t), 0);
}

/* Read one value of a sub-database with plain LMDB calls. */
static MDB_val raw_get(MDB_txn *txn, const char *db, const void *key, size_t keylen)
{
	MDB_dbi dbi;
	MDB_val k = {keylen, (void *)key}, d = {0, NULL};
	assert_int_equal(mdb_dbi_open(txn, db, 0, &dbi), 0);
	if (mdb_get(txn, dbi, &k, &d) != 0)
		fail_msg("%s: key of %zu octets not found", db, keylen);
	return d;
}

static size_t raw_count(MDB_txn *txn, const char *db)
{
	MDB_dbi dbi;
	MDB_stat ms;
	assert_int_equal(mdb_dbi_open(txn, db, 0, &dbi), 0);
	assert_int_equal(mdb_stat(txn, dbi, &ms), 0);
	return ms.ms_entries;
}

#define RAW_EQ(val, lit)                                                                           \
	do {                                                                                       \
		assert_int_equal((val).mv_size, sizeof(lit) - 1);                                  \
		assert_memory_equal((val).mv_data, lit, sizeof(lit) - 1);                          \
	} while (0)

/*
 * The octets on disk, read with liblmdb alone, are what the schema comment of
 * store.h and the README's "Storage schema" say, so the documentation cannot
 * drift from the code unnoticed.
 */
static void test_schema_on_disk(void **state)
{
	struct fixture *f = *state;
	struct store_txn *t;
	struct store_zone z;
	uint8_t apex[256];
	uint64_t t0 = (uint64_t)time(NULL);
	load_example(f->st);
	name("example.ilnp.", apex);
	assert_int_equal(store_txn_begin(f->st, true, &t), 0);
	assert_int_equal(store_zone_get(t, apex, &z), 0);
	assert_int_equal(store_journal_append(t, &z, 42, 43, 1, 2, (const uint8_t *)"rrs", 3), 0);
	assert_int_equal(store_replay_check_add(t, digest(0xab), 0x0102030405060708ull, 0), 0);
	assert_int_equal(store_txn_commit(t), 0);
	uint64_t t1 = (uint64_t)time(NULL);
	/* LMDB forbids opening one environment twice in a process. */
	store_close(f->st);
	f->st = NULL;

	MDB_env *env;
	MDB_txn *txn;
	assert_int_equal(mdb_env_create(&env), 0);
	assert_int_equal(mdb_env_set_maxdbs(env, 8), 0);
	assert_int_equal(mdb_env_open(env, f->dir, MDB_RDONLY, 0), 0);
	assert_int_equal(mdb_txn_begin(env, NULL, MDB_RDONLY, &txn), 0);

	/* One string piece per schema field, so the layout reads off the page. */
	/* clang-format off */
	/* meta: ASCII names, big-endian u32 values. */
	RAW_EQ(raw_get(txn, "meta", "schema-version", 14), "\0\0\0\1");
	RAW_EQ(raw_get(txn, "meta", "next-zone-id", 12), "\0\0\0\2");

	/* zones: the apex's lookup key (labels from the root, each ended by
	 * 0x00) -> id | serial | ilnp_ttl | flags | imported u64 | apex. */
	assert_int_equal(raw_count(txn, "zones"), 1);
	MDB_val d = raw_get(txn, "zones", "ilnp\0example\0", 13);
	assert_int_equal(d.mv_size, 24 + 14);
	const uint8_t *p = d.mv_data;
	assert_memory_equal(p, "\0\0\0\1" "\0\0\0\x2a" "\0\0\0\0" "\0\0\0\0", 16);
	uint64_t imported = 0;
	for (int i = 0; i < 8; i++)
		imported = imported << 8 | p[16 + i];
	assert_true(imported >= t0 && imported <= t1);
	assert_memory_equal(p + 24, "\7example\4ilnp\0", 14);

	/* rrsets: id | owner key relative to the apex | 0x00 | type ->
	 * ttl | count | reserved | (rdlen | rdata) x count. */
	assert_int_equal(raw_count(txn, "rrsets"), 4);
	RAW_EQ(raw_get(txn, "rrsets", "\0\0\0\1" "\0" "\0\6", 7),
	       "\0\0\0\0" "\0\1" "\0\0" "\0\11soa-rdata");
	RAW_EQ(raw_get(txn, "rrsets", "\0\0\0\1" "b\0a\0" "\0" "\0\1", 11),
	       "\0\0\0\0" "\0\1" "\0\0" "\0\4\1\2\3\4");
	RAW_EQ(raw_get(txn, "rrsets", "\0\0\0\1" "host1\0" "\0" "\0\x68", 13),
	       "\0\0\0\0" "\0\1" "\0\0" "\0\12" "\0\12\0\x14\x4f\xff\xff\x20\xee\x64");
	RAW_EQ(raw_get(txn, "rrsets", "\0\0\0\1" "host1\0" "\0" "\0\x6a", 13),
	       "\0\0\0\0" "\0\1" "\0\0" "\0\12" "\0\12\x20\1\x0d\xb8\x11\x40\x10\0");

	/* journal: id | sequence u64 -> old | new | time u64 | removed |
	 * added | RRs. */
	assert_int_equal(raw_count(txn, "journal"), 1);
	d = raw_get(txn, "journal", "\0\0\0\1" "\0\0\0\0\0\0\0\1", 12);
	assert_int_equal(d.mv_size, 24 + 3);
	p = d.mv_data;
	assert_memory_equal(p, "\0\0\0\x2a" "\0\0\0\x2b", 8);
	assert_memory_equal(p + 16, "\0\0\0\1" "\0\0\0\2" "rrs", 11);

	/* replay: digest (16 octets) -> expiry u64; replay-exp: expiry u64 |
	 * digest -> empty. */
	uint8_t dg[16], xk[24];
	memset(dg, 0xab, 16);
	memcpy(xk, "\1\2\3\4\5\6\7\10", 8);
	memcpy(xk + 8, dg, 16);
	assert_int_equal(raw_count(txn, "replay"), 1);
	RAW_EQ(raw_get(txn, "replay", dg, 16), "\1\2\3\4\5\6\7\10");
	assert_int_equal(raw_count(txn, "replay-exp"), 1);
	assert_int_equal(raw_get(txn, "replay-exp", xk, 24).mv_size, 0);

	/* clang-format on */
	mdb_txn_abort(txn);
	mdb_env_close(env);
	assert_int_equal(store_open(&f->st, f->dir, 64 << 20, 0), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_zone_find, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_name_state, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_rrsets, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_node, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_reimport_and_walk, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_abort_leaves_zone, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_reader_renew_sees_commit, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_journal, setup, teardown),
	    cmocka_unit_test(test_map_full),
	    cmocka_unit_test_setup_teardown(test_canonical_walk, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_schema_on_disk, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_replay_check_add, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_replay_prune, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_replay_durable, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
