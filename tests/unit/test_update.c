/* SPDX-License-Identifier: BSD-2-Clause */
/* test_update.c -- RFC 2136 UPDATE on the store: rcodes, resulting zone content, serial, journal.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <ldns/ldns.h>

#include "ilnpdns/dname.h"
#include "ilnpdns/error.h"
#include "ilnpdns/wire.h"
#include "policy.h"
#include "store.h"
#include "update.h"
#include "zoneload.h"

#define ZONE "example.ilnp."
#define SOA0 "ns1.example.ilnp. hostmaster.example.ilnp. 100 3600 900 604800 0"
#define SOA1 "ns1.example.ilnp. hostmaster.example.ilnp. 101 3600 900 604800 0"

/* The zone every test starts from. "ent" and "b.ent" are empty non-terminals. */
static const char zone_text[] = "$ORIGIN example.ilnp.\n"
                                "$TTL 3600\n"
                                "@ IN SOA " SOA0 "\n"
                                "@ NS ns1\n"
                                "@ NS ns2\n"
                                "@ 0 L64 10 2001:0db8:0000:0001\n"
                                "ns1 A 192.0.2.1\n"
                                "ns2 A 192.0.2.2\n"
                                "host1 0 NID 10 0014:4fff:ff20:ee64\n"
                                "host1 0 NID 20 0015:5fff:ff21:ee65\n"
                                "host1 0 L64 10 2001:0db8:1140:1000\n"
                                "host1 0 L32 10 10.1.2.0\n"
                                "host1 0 LP 10 l64-subnet1.example.ilnp.\n"
                                "host1 300 AAAA 2001:db8::1\n"
                                "l64-subnet1 0 L64 10 2001:0db8:1140:1000\n"
                                "www AAAA 2001:db8::80\n"
                                "alias CNAME www\n"
                                "a.b.ent 0 L64 10 2001:0db8:0000:0002\n";

struct fixture {
	char dir[64];
	struct store *st;
};

/* ---- set-up ---- */

static void load_zone(struct store *st, const char *text)
{
	uint8_t apex[ILNPDNS_DNAME_MAXLEN];
	struct zoneload_result zr;
	char err[256] = "";
	assert_true(ilnpdns_dname_from_str(ZONE, apex) > 0);
	FILE *in = fmemopen((void *)text, strlen(text), "r");
	assert_non_null(in);
	int rc =
	    zoneload_stream(st, apex, in, "test.zone", STORE_ILNP_TTL_KEEP, &zr, err, sizeof(err));
	fclose(in);
	if (rc)
		fail_msg("zone load: %s (%d)", err, rc);
}

static int setup_store(void **state, size_t mapsize)
{
	struct fixture *f = calloc(1, sizeof(*f));
	strcpy(f->dir, "/tmp/ilnpdns-test-update-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	assert_int_equal(store_open(&f->st, f->dir, mapsize, 0), 0);
	*state = f;
	return 0;
}

static int setup(void **state)
{
	setup_store(state, 64 << 20);
	load_zone(((struct fixture *)*state)->st, zone_text);
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

/* ---- names, types, RDATA from presentation form (ldns as the independent encoder) ---- */

/* "host1" is relative to the zone, "@" the apex, "x." absolute. */
static void wname(const char *s, uint8_t *out)
{
	char buf[512];
	size_t n = strlen(s);
	if (strcmp(s, "@") == 0)
		snprintf(buf, sizeof(buf), "%s", ZONE);
	else if (n && s[n - 1] == '.')
		snprintf(buf, sizeof(buf), "%s", s);
	else
		snprintf(buf, sizeof(buf), "%s.%s", s, ZONE);
	assert_true(ilnpdns_dname_from_str(buf, out) > 0);
}

static uint16_t tnum(const char *mnemonic)
{
	int t = (int)ldns_get_rr_type_by_name(mnemonic);
	assert_true(t > 0);
	return (uint16_t)t;
}

/* Uncompressed wire RDATA of "TYPE text". */
static uint16_t rdata(const char *type, const char *text, uint8_t *out)
{
	char line[1024];
	ldns_rr *rr = NULL;
	snprintf(line, sizeof(line), "x.%s 0 IN %s %s", ZONE, type, text);
	if (ldns_rr_new_frm_str(&rr, line, 0, NULL, NULL) != LDNS_STATUS_OK)
		fail_msg("ldns cannot parse '%s'", line);
	ldns_buffer *b = ldns_buffer_new(1024);
	assert_int_equal(ldns_rr_rdata2buffer_wire(b, rr), LDNS_STATUS_OK);
	uint16_t len = (uint16_t)ldns_buffer_position(b);
	memcpy(out, ldns_buffer_begin(b), len);
	ldns_buffer_free(b);
	ldns_rr_free(rr);
	return len;
}

/* ---- UPDATE message builder ---- */

enum { SEC_PRE = 1, SEC_UPD = 2, SEC_ADD = 3 };

struct msg {
	uint8_t b[65535];
	size_t len;
	uint16_t count[4];
	int section;
};

static void msg_init(struct msg *m, const char *zone, uint16_t ztype, uint16_t zclass)
{
	uint8_t z[ILNPDNS_DNAME_MAXLEN];
	memset(m, 0, sizeof(*m));
	ilnpdns_put16(m->b, 0x1234);
	ilnpdns_put16(m->b + 2, ILNPDNS_OP_UPDATE << 11);
	m->len = ILNPDNS_HDR_LEN;
	wname(zone, z);
	size_t zl = ilnpdns_dname_len(z);
	memcpy(m->b + m->len, z, zl);
	m->len += zl;
	ilnpdns_put16(m->b + m->len, ztype);
	ilnpdns_put16(m->b + m->len + 2, zclass);
	m->len += 4;
	m->count[0] = 1;
	m->section = SEC_PRE;
}

static void msg_begin(struct msg *m)
{
	msg_init(m, "@", ILNPDNS_T_SOA, ILNPDNS_C_IN);
}

/* Append raw octets (a hand-made owner name, for instance). */
static void msg_bytes(struct msg *m, const void *p, size_t n)
{
	memcpy(m->b + m->len, p, n);
	m->len += n;
}

static void msg_rr_tail(struct msg *m, int section, uint16_t type, uint16_t cls, uint32_t ttl,
                        const uint8_t *rd, uint16_t rdlen)
{
	assert_true(section >= m->section); /* sections in order */
	m->section = section;
	uint8_t *p = m->b + m->len;
	ilnpdns_put16(p, type);
	ilnpdns_put16(p + 2, cls);
	ilnpdns_put32(p + 4, ttl);
	ilnpdns_put16(p + 8, rdlen);
	if (rdlen)
		memcpy(p + 10, rd, rdlen);
	m->len += 10u + rdlen;
	m->count[section]++;
}

static void msg_rr(struct msg *m, int section, const char *owner, uint16_t type, uint16_t cls,
                   uint32_t ttl, const uint8_t *rd, uint16_t rdlen)
{
	uint8_t o[ILNPDNS_DNAME_MAXLEN];
	wname(owner, o);
	msg_bytes(m, o, ilnpdns_dname_len(o));
	msg_rr_tail(m, section, type, cls, ttl, rd, rdlen);
}

/* Prerequisites: value-independent forms and the value-dependent one. */
static void pre_meta(struct msg *m, const char *owner, uint16_t type, uint16_t cls)
{
	msg_rr(m, SEC_PRE, owner, type, cls, 0, NULL, 0);
}

static void pre_rr(struct msg *m, const char *owner, const char *type, const char *text)
{
	uint8_t rd[1024];
	uint16_t n = rdata(type, text, rd);
	msg_rr(m, SEC_PRE, owner, tnum(type), ILNPDNS_C_IN, 0, rd, n);
}

/* Updates: add, delete RRset, delete all RRsets at a name, delete one RR. */
static void add(struct msg *m, const char *owner, const char *type, uint32_t ttl, const char *text)
{
	uint8_t rd[1024];
	uint16_t n = rdata(type, text, rd);
	msg_rr(m, SEC_UPD, owner, tnum(type), ILNPDNS_C_IN, ttl, rd, n);
}

static void del_rrset(struct msg *m, const char *owner, const char *type)
{
	msg_rr(m, SEC_UPD, owner, tnum(type), ILNPDNS_C_ANY, 0, NULL, 0);
}

static void del_name(struct msg *m, const char *owner)
{
	msg_rr(m, SEC_UPD, owner, ILNPDNS_T_ANY, ILNPDNS_C_ANY, 0, NULL, 0);
}

static void del_rr(struct msg *m, const char *owner, const char *type, const char *text)
{
	uint8_t rd[1024];
	uint16_t n = rdata(type, text, rd);
	msg_rr(m, SEC_UPD, owner, tnum(type), ILNPDNS_C_NONE, 0, rd, n);
}

static void msg_finish(struct msg *m)
{
	for (int i = 0; i < 4; i++)
		ilnpdns_put16(m->b + 4 + 2 * i, m->count[i]);
}

/* ---- running an update ---- */

static const struct update_opts plain = {.serial_policy = UPDATE_SERIAL_INCREMENT};

/*
 * Run m in a nested transaction inside a batch transaction, as the writer
 * thread does, and commit both whatever the rcode: the update itself must
 * have written nothing unless it answered NOERROR.
 */
static int run_opts(struct fixture *f, struct msg *m, uint16_t adcount, const struct update_opts *o,
                    struct update_result *res)
{
	struct store_txn *batch, *t;
	msg_finish(m);
	assert_int_equal(store_txn_begin(f->st, true, &batch), 0);
	assert_int_equal(store_txn_begin_nested(batch, &t), 0);
	int rc = update_process(t, m->b, m->len, adcount, o, res);
	if (rc < 0) {
		store_txn_abort(t);
		store_txn_abort(batch);
		return rc;
	}
	assert_int_equal(rc, 0);
	assert_int_equal(store_txn_commit(t), 0);
	assert_int_equal(store_txn_commit(batch), 0);
	return res->rcode;
}

static int run(struct fixture *f, struct msg *m)
{
	struct update_result res;
	return run_opts(f, m, 0, &plain, &res);
}

/* ---- reading the store back ---- */

/* Number of RRs in <owner, type> (0 when absent); its TTL in *ttl. */
static int rrset_count(struct fixture *f, const char *owner, const char *type, uint32_t *ttl)
{
	struct store_txn *t;
	struct store_zone z;
	struct store_rrset rs;
	uint8_t apex[ILNPDNS_DNAME_MAXLEN], o[ILNPDNS_DNAME_MAXLEN], key[ILNPDNS_DNAME_KEYMAX];
	int n = 0;
	wname("@", apex);
	wname(owner, o);
	assert_int_equal(store_txn_begin(f->st, false, &t), 0);
	assert_int_equal(store_zone_get(t, apex, &z), 0);
	size_t kl = store_owner_key(&z, o, key);
	if (store_rrset_get(t, &z, key, kl, tnum(type), &rs) == 0) {
		n = rs.count;
		if (ttl)
			*ttl = rs.ttl;
	}
	store_txn_abort(t);
	return n;
}

/* Is "TYPE text" (octet-exact RDATA) a member of <owner, type>? */
static bool has_rr(struct fixture *f, const char *owner, const char *type, const char *text)
{
	struct store_txn *t;
	struct store_zone z;
	struct store_rrset rs;
	uint8_t apex[ILNPDNS_DNAME_MAXLEN], o[ILNPDNS_DNAME_MAXLEN], key[ILNPDNS_DNAME_KEYMAX];
	uint8_t want[1024];
	uint16_t wlen = rdata(type, text, want);
	bool found = false;
	wname("@", apex);
	wname(owner, o);
	assert_int_equal(store_txn_begin(f->st, false, &t), 0);
	assert_int_equal(store_zone_get(t, apex, &z), 0);
	size_t kl = store_owner_key(&z, o, key);
	if (store_rrset_get(t, &z, key, kl, tnum(type), &rs) == 0) {
		size_t pos = 0;
		const uint8_t *rd;
		uint16_t len;
		while (store_rrset_next_rdata(&rs, &pos, &rd, &len))
			found |= len == wlen && memcmp(rd, want, len) == 0;
	}
	store_txn_abort(t);
	return found;
}

static enum store_name_state name_state(struct fixture *f, const char *owner)
{
	struct store_txn *t;
	struct store_zone z;
	uint8_t apex[ILNPDNS_DNAME_MAXLEN], o[ILNPDNS_DNAME_MAXLEN], key[ILNPDNS_DNAME_KEYMAX];
	wname("@", apex);
	wname(owner, o);
	assert_int_equal(store_txn_begin(f->st, false, &t), 0);
	assert_int_equal(store_zone_get(t, apex, &z), 0);
	size_t kl = store_owner_key(&z, o, key);
	enum store_name_state s = store_name_state(t, &z, key, kl);
	store_txn_abort(t);
	return s;
}

/* The zone's serial; also checks that the SOA RDATA carries the same one. */
static uint32_t serial(struct fixture *f)
{
	struct store_txn *t;
	struct store_zone z;
	struct store_rrset rs;
	uint8_t apex[ILNPDNS_DNAME_MAXLEN], key[1] = {0};
	wname("@", apex);
	assert_int_equal(store_txn_begin(f->st, false, &t), 0);
	assert_int_equal(store_zone_get(t, apex, &z), 0);
	assert_int_equal(store_rrset_get(t, &z, key, 0, ILNPDNS_T_SOA, &rs), 0);
	assert_int_equal(rs.count, 1);
	size_t pos = 0;
	const uint8_t *rd;
	uint16_t len;
	assert_true(store_rrset_next_rdata(&rs, &pos, &rd, &len));
	size_t off = ilnpdns_dname_len(rd);
	off += ilnpdns_dname_len(rd + off);
	assert_int_equal(len, off + 20);
	uint32_t s = z.serial;
	assert_int_equal(ilnpdns_get32(rd + off), s);
	store_txn_abort(t);
	return s;
}

/* Everything the update could change: RRsets, serial and journal, as bytes. */
struct snap {
	uint8_t *p;
	size_t len;
};

static void snap_add(struct snap *s, const void *p, size_t n)
{
	s->p = realloc(s->p, s->len + n);
	assert_non_null(s->p);
	memcpy(s->p + s->len, p, n);
	s->len += n;
}

static int snap_rrset(const uint8_t *key, size_t keylen, const struct store_rrset *rs, void *arg)
{
	uint8_t hdr[8];
	snap_add(arg, key, keylen);
	ilnpdns_put16(hdr, rs->type);
	ilnpdns_put32(hdr + 2, rs->ttl);
	ilnpdns_put16(hdr + 6, rs->count);
	snap_add(arg, hdr, sizeof(hdr));
	snap_add(arg, rs->rdata, rs->rdata_len);
	return 0;
}

static int snap_journal(const struct store_journal_entry *e, void *arg)
{
	snap_add(arg, &e->seq, sizeof(e->seq));
	snap_add(arg, e->rrs, e->rrs_len);
	return 0;
}

static struct snap snapshot(struct fixture *f)
{
	struct snap s = {0};
	struct store_txn *t;
	struct store_zone z;
	uint8_t apex[ILNPDNS_DNAME_MAXLEN];
	wname("@", apex);
	assert_int_equal(store_txn_begin(f->st, false, &t), 0);
	assert_int_equal(store_zone_get(t, apex, &z), 0);
	snap_add(&s, &z.serial, sizeof(z.serial));
	assert_int_equal(store_zone_foreach_rrset(t, &z, snap_rrset, &s), 0);
	assert_int_equal(store_journal_foreach(t, &z, 0, snap_journal, &s), 0);
	store_txn_abort(t);
	return s;
}

static void assert_unchanged(struct fixture *f, const struct snap *before)
{
	struct snap now = snapshot(f);
	assert_int_equal(now.len, before->len);
	assert_memory_equal(now.p, before->p, now.len);
	free(now.p);
}

/* ---- the journal ---- */

struct jentry {
	uint64_t seq;
	uint32_t old_serial, new_serial, removed, added;
	uint8_t *rrs;
	size_t rrs_len;
	unsigned n;
};

static int last_entry(const struct store_journal_entry *e, void *arg)
{
	struct jentry *j = arg;
	free(j->rrs);
	j->seq = e->seq;
	j->old_serial = e->old_serial;
	j->new_serial = e->new_serial;
	j->removed = e->removed;
	j->added = e->added;
	j->rrs = malloc(e->rrs_len + 1);
	memcpy(j->rrs, e->rrs, e->rrs_len);
	j->rrs_len = e->rrs_len;
	j->n++;
	return 0;
}

static struct jentry journal(struct fixture *f)
{
	struct jentry j = {0};
	struct store_txn *t;
	struct store_zone z;
	uint8_t apex[ILNPDNS_DNAME_MAXLEN];
	wname("@", apex);
	assert_int_equal(store_txn_begin(f->st, false, &t), 0);
	assert_int_equal(store_zone_get(t, apex, &z), 0);
	assert_int_equal(store_journal_foreach(t, &z, 0, last_entry, &j), 0);
	store_txn_abort(t);
	return j;
}

/* An expected journal RR. */
struct jrr {
	const char *owner, *type;
	uint32_t ttl;
	const char *text;
};

/* Encode r as the journal does (owner | type | class IN | ttl | rdlen | rdata). */
static size_t jrr_encode(const struct jrr *r, uint8_t *out)
{
	uint8_t o[ILNPDNS_DNAME_MAXLEN];
	wname(r->owner, o);
	size_t n = ilnpdns_dname_len(o);
	memcpy(out, o, n);
	ilnpdns_put16(out + n, tnum(r->type));
	ilnpdns_put16(out + n + 2, ILNPDNS_C_IN);
	ilnpdns_put32(out + n + 4, r->ttl);
	uint16_t rl = rdata(r->type, r->text, out + n + 10);
	ilnpdns_put16(out + n + 8, rl);
	return n + 10 + rl;
}

/* Length of the journal RR at p. */
static size_t jrr_len(const uint8_t *p)
{
	size_t n = ilnpdns_dname_len(p);
	return n + 10 + ilnpdns_get16(p + n + 8);
}

/*
 * The last journal entry's removed and added lists must be exactly these
 * RRs, the SOA first in each list (the other RRs in any order).
 */
static void expect_journal(struct fixture *f, uint32_t old_serial, uint32_t new_serial,
                           const struct jrr *removed, unsigned nrem, const struct jrr *added,
                           unsigned nadd)
{
	struct jentry j = journal(f);
	assert_int_equal(j.old_serial, old_serial);
	assert_int_equal(j.new_serial, new_serial);
	assert_int_equal(j.removed, nrem);
	assert_int_equal(j.added, nadd);
	size_t pos = 0;
	for (int side = 0; side < 2; side++) {
		const struct jrr *want = side ? added : removed;
		unsigned n = side ? nadd : nrem;
		bool used[64] = {false};
		assert_true(n <= 64);
		for (unsigned i = 0; i < n; i++) {
			assert_true(pos < j.rrs_len);
			size_t len = jrr_len(j.rrs + pos);
			bool found = false;
			for (unsigned k = 0; k < n && !found; k++) {
				uint8_t enc[1024];
				if (used[k] || (i == 0) != (k == 0))
					continue; /* the SOA must come first */
				size_t el = jrr_encode(&want[k], enc);
				if (el == len && memcmp(enc, j.rrs + pos, len) == 0)
					found = used[k] = true;
			}
			if (!found)
				fail_msg("journal %s RR %u not expected",
				         side ? "added" : "removed", i);
			pos += len;
		}
	}
	assert_int_equal(pos, j.rrs_len);
	free(j.rrs);
}

static unsigned journal_entries(struct fixture *f)
{
	struct jentry j = journal(f);
	free(j.rrs);
	return j.n;
}

/* ==== zone section (RFC 2136 3.1) ==== */

static void test_zone_section(void **state)
{
	struct fixture *f = *state;
	struct snap before = snapshot(f);
	struct msg m;
	struct update_result res;

	msg_init(&m, "@", ILNPDNS_T_A, ILNPDNS_C_IN);
	add(&m, "host1", "L64", 0, "10 2001:db8:1:1");
	assert_int_equal(run(f, &m), ILNPDNS_RCODE_FORMERR);

	msg_begin(&m);
	add(&m, "host1", "L64", 0, "10 2001:db8:1:1");
	m.count[0] = 0; /* ZOCOUNT 0 */
	assert_int_equal(run(f, &m), ILNPDNS_RCODE_FORMERR);
	m.count[0] = 2;
	assert_int_equal(run(f, &m), ILNPDNS_RCODE_FORMERR);

	msg_init(&m, "example.org.", ILNPDNS_T_SOA, ILNPDNS_C_IN);
	assert_int_equal(run(f, &m), ILNPDNS_RCODE_NOTAUTH);
	/* A name inside the zone is not the zone. */
	msg_init(&m, "host1", ILNPDNS_T_SOA, ILNPDNS_C_IN);
	add(&m, "host1", "L64", 0, "10 2001:db8:1:1");
	assert_int_equal(run(f, &m), ILNPDNS_RCODE_NOTAUTH);
	msg_init(&m, "@", ILNPDNS_T_SOA, ILNPDNS_C_CH);
	assert_int_equal(run(f, &m), ILNPDNS_RCODE_NOTAUTH);

	/* A header alone, a truncated zone section, a response. */
	msg_begin(&m);
	msg_finish(&m);
	struct store_txn *t;
	assert_int_equal(store_txn_begin(f->st, true, &t), 0);
	assert_int_equal(update_process(t, m.b, 11, 0, &plain, &res), 0);
	assert_int_equal(res.rcode, ILNPDNS_RCODE_FORMERR);
	assert_int_equal(update_process(t, m.b, ILNPDNS_HDR_LEN + 5, 0, &plain, &res), 0);
	assert_int_equal(res.rcode, ILNPDNS_RCODE_FORMERR);
	m.b[2] |= 0x80;
	assert_int_equal(update_process(t, m.b, m.len, 0, &plain, &res), 0);
	assert_int_equal(res.rcode, ILNPDNS_RCODE_FORMERR);
	m.b[2] = ILNPDNS_OP_QUERY << 3;
	assert_int_equal(update_process(t, m.b, m.len, 0, &plain, &res), 0);
	assert_int_equal(res.rcode, ILNPDNS_RCODE_NOTIMP);
	store_txn_abort(t);
	assert_unchanged(f, &before);
	free(before.p);
}

static void test_malformed_rrs(void **state)
{
	struct fixture *f = *state;
	struct snap before = snapshot(f);
	struct msg m;

	/* A count larger than the RRs present. */
	msg_begin(&m);
	add(&m, "host1", "L64", 0, "10 2001:db8:1:1");
	m.count[SEC_UPD] = 2;
	assert_int_equal(run(f, &m), ILNPDNS_RCODE_FORMERR);
	/* RDLENGTH past the end of the message. */
	msg_begin(&m);
	add(&m, "host1", "L64", 0, "10 2001:db8:1:1");
	m.len -= 3;
	assert_int_equal(run(f, &m), ILNPDNS_RCODE_FORMERR);
	/* A malformed additional RR counts too. */
	msg_begin(&m);
	add(&m, "host1", "L64", 0, "10 2001:db8:1:1");
	msg_bytes(&m, "\x05", 1);
	struct update_result res;
	assert_int_equal(run_opts(f, &m, 1, &plain, &res), ILNPDNS_RCODE_FORMERR);
	assert_unchanged(f, &before);
	free(before.p);
}

/* ==== prerequisites (RFC 2136 2.4, 3.2) ==== */

/* Run a message with one prerequisite set up by fn and one add; check the outcome. */
static void prereq_case(struct fixture *f, void (*fn)(struct msg *m), int want)
{
	struct snap before = snapshot(f);
	uint32_t s0 = serial(f);
	struct msg m;
	msg_begin(&m);
	fn(&m);
	add(&m, "marker", "TXT", 60, "\"applied\"");
	assert_int_equal(run(f, &m), want);
	if (want == ILNPDNS_RCODE_NOERROR) {
		assert_true(has_rr(f, "marker", "TXT", "\"applied\""));
		assert_int_equal(serial(f), s0 + 1);
		/* Undo for the next case. */
		msg_begin(&m);
		del_name(&m, "marker");
		assert_int_equal(run(f, &m), ILNPDNS_RCODE_NOERROR);
	} else {
		assert_unchanged(f, &before);
	}
	free(before.p);
}

static void p_in_use(struct msg *m)
{
	pre_meta(m, "host1", ILNPDNS_T_ANY, ILNPDNS_C_ANY);
}
static void p_in_use_absent(struct msg *m)
{
	pre_meta(m, "nothere", ILNPDNS_T_ANY, ILNPDNS_C_ANY);
}
static void p_in_use_ent(struct msg *m)
{
	pre_meta(m, "b.ent", ILNPDNS_T_ANY, ILNPDNS_C_ANY);
}
static void p_rrset_exists(struct msg *m)
{
	pre_meta(m, "host1", ILNPDNS_T_L64, ILNPDNS_C_ANY);
}
static void p_rrset_exists_absent(struct msg *m)
{
	pre_meta(m, "www", ILNPDNS_T_L64, ILNPDNS_C_ANY);
}
static void p_not_in_use(struct msg *m)
{
	pre_meta(m, "nothere", ILNPDNS_T_ANY, ILNPDNS_C_NONE);
}
static void p_not_in_use_ent(struct msg *m)
{
	pre_meta(m, "ent", ILNPDNS_T_ANY, ILNPDNS_C_NONE);
}
static void p_not_in_use_used(struct msg *m)
{
	pre_meta(m, "host1", ILNPDNS_T_ANY, ILNPDNS_C_NONE);
}
static void p_rrset_absent(struct msg *m)
{
	pre_meta(m, "host1", ILNPDNS_T_A, ILNPDNS_C_NONE);
}
static void p_rrset_absent_present(struct msg *m)
{
	pre_meta(m, "host1", ILNPDNS_T_NID, ILNPDNS_C_NONE);
}
static void p_value_exact(struct msg *m)
{
	pre_rr(m, "host1", "NID", "20 0015:5fff:ff21:ee65");
	pre_rr(m, "host1", "NID", "10 0014:4fff:ff20:ee64");
}
static void p_value_subset(struct msg *m)
{
	pre_rr(m, "host1", "NID", "10 0014:4fff:ff20:ee64");
}
static void p_value_superset(struct msg *m)
{
	pre_rr(m, "host1", "NID", "10 0014:4fff:ff20:ee64");
	pre_rr(m, "host1", "NID", "20 0015:5fff:ff21:ee65");
	pre_rr(m, "host1", "NID", "30 0015:5fff:ff21:ee66");
}
static void p_value_other(struct msg *m)
{
	pre_rr(m, "host1", "L64", "10 2001:0db8:1140:1001");
}
static void p_value_absent(struct msg *m)
{
	pre_rr(m, "www", "L64", "10 2001:0db8:1140:1000");
}
static void p_value_two_sets(struct msg *m)
{
	pre_rr(m, "host1", "L64", "10 2001:0db8:1140:1000");
	pre_rr(m, "host1", "L32", "10 10.1.2.0");
	pre_rr(m, "l64-subnet1", "L64", "10 2001:0db8:1140:1000");
}
static void p_value_lp_case(struct msg *m)
{
	/* PROTOCOLS.md 2.2: the LP FQDN compares case-insensitively. */
	pre_rr(m, "HOST1", "LP", "10 L64-Subnet1.EXAMPLE.ilnp.");
}
static void p_value_then_fail(struct msg *m)
{
	/* A value-dependent set is compared after the loop, after the other forms. */
	pre_rr(m, "host1", "NID", "10 0014:4fff:ff20:ee64");
	pre_meta(m, "host1", ILNPDNS_T_NID, ILNPDNS_C_NONE);
}
static void p_ttl(struct msg *m)
{
	uint8_t rd[16];
	uint16_t n = rdata("L64", "10 2001:0db8:1140:1000", rd);
	msg_rr(m, SEC_PRE, "host1", ILNPDNS_T_L64, ILNPDNS_C_IN, 5, rd, n);
}
static void p_ttl_meta(struct msg *m)
{
	msg_rr(m, SEC_PRE, "host1", ILNPDNS_T_ANY, ILNPDNS_C_ANY, 5, NULL, 0);
}
static void p_any_rdata(struct msg *m)
{
	msg_rr(m, SEC_PRE, "host1", ILNPDNS_T_A, ILNPDNS_C_ANY, 0, (const uint8_t *)"\1\2\3\4", 4);
}
static void p_none_rdata(struct msg *m)
{
	msg_rr(m, SEC_PRE, "host1", ILNPDNS_T_A, ILNPDNS_C_NONE, 0, (const uint8_t *)"\1\2\3\4", 4);
}
static void p_bad_class(struct msg *m)
{
	pre_meta(m, "host1", ILNPDNS_T_ANY, ILNPDNS_C_CH);
}
static void p_meta_value(struct msg *m)
{
	msg_rr(m, SEC_PRE, "host1", ILNPDNS_T_AXFR, ILNPDNS_C_IN, 0, NULL, 0);
}
static void p_notzone(struct msg *m)
{
	pre_meta(m, "host1.example.org.", ILNPDNS_T_ANY, ILNPDNS_C_NONE);
}
static void p_first_fails(struct msg *m)
{
	/* Message order decides: NXDOMAIN comes before the FORMERR behind it. */
	pre_meta(m, "nothere", ILNPDNS_T_ANY, ILNPDNS_C_ANY);
	pre_meta(m, "host1", ILNPDNS_T_ANY, ILNPDNS_C_CH);
}

static void test_prereq_name_in_use(void **state)
{
	prereq_case(*state, p_in_use, ILNPDNS_RCODE_NOERROR);
	prereq_case(*state, p_in_use_absent, ILNPDNS_RCODE_NXDOMAIN);
	/* 2.4.4: an empty non-terminal is not "in use". */
	prereq_case(*state, p_in_use_ent, ILNPDNS_RCODE_NXDOMAIN);
}

static void test_prereq_rrset_exists(void **state)
{
	prereq_case(*state, p_rrset_exists, ILNPDNS_RCODE_NOERROR);
	prereq_case(*state, p_rrset_exists_absent, ILNPDNS_RCODE_NXRRSET);
}

static void test_prereq_name_not_in_use(void **state)
{
	prereq_case(*state, p_not_in_use, ILNPDNS_RCODE_NOERROR);
	prereq_case(*state, p_not_in_use_ent, ILNPDNS_RCODE_NOERROR);
	prereq_case(*state, p_not_in_use_used, ILNPDNS_RCODE_YXDOMAIN);
}

static void test_prereq_rrset_absent(void **state)
{
	prereq_case(*state, p_rrset_absent, ILNPDNS_RCODE_NOERROR);
	prereq_case(*state, p_rrset_absent_present, ILNPDNS_RCODE_YXRRSET);
}

static void test_prereq_value_dependent(void **state)
{
	prereq_case(*state, p_value_exact, ILNPDNS_RCODE_NOERROR);
	prereq_case(*state, p_value_two_sets, ILNPDNS_RCODE_NOERROR);
	prereq_case(*state, p_value_lp_case, ILNPDNS_RCODE_NOERROR);
	prereq_case(*state, p_value_subset, ILNPDNS_RCODE_NXRRSET);
	prereq_case(*state, p_value_superset, ILNPDNS_RCODE_NXRRSET);
	prereq_case(*state, p_value_other, ILNPDNS_RCODE_NXRRSET);
	prereq_case(*state, p_value_absent, ILNPDNS_RCODE_NXRRSET);
	prereq_case(*state, p_value_then_fail, ILNPDNS_RCODE_YXRRSET);
}

static void test_prereq_errors(void **state)
{
	prereq_case(*state, p_ttl, ILNPDNS_RCODE_FORMERR);
	prereq_case(*state, p_ttl_meta, ILNPDNS_RCODE_FORMERR);
	prereq_case(*state, p_any_rdata, ILNPDNS_RCODE_FORMERR);
	prereq_case(*state, p_none_rdata, ILNPDNS_RCODE_FORMERR);
	prereq_case(*state, p_bad_class, ILNPDNS_RCODE_FORMERR);
	prereq_case(*state, p_meta_value, ILNPDNS_RCODE_FORMERR);
	prereq_case(*state, p_notzone, ILNPDNS_RCODE_NOTZONE);
	prereq_case(*state, p_first_fails, ILNPDNS_RCODE_NXDOMAIN);
}

/* ==== the four update forms on each ILNP type and AAAA (RFC 2136 2.5, 3.4.2) ==== */

struct type_case {
	const char *type;
	const char *existing; /* in the zone at host1 */
	const char *fresh;    /* not in the zone */
	uint32_t ttl;         /* of host1's RRset */
};

static const struct type_case type_cases[] = {
    {"NID", "10 0014:4fff:ff20:ee64", "30 0016:6fff:ff22:ee66", 0},
    {"L32", "10 10.1.2.0", "20 10.1.4.0", 0},
    {"L64", "10 2001:0db8:1140:1000", "20 2001:0db8:2140:2000", 0},
    {"LP", "10 l64-subnet1.example.ilnp.", "20 l32-subnet1.example.ilnp.", 0},
    {"AAAA", "2001:db8::1", "2001:db8::2", 300},
};

static void test_update_forms_per_type(void **state)
{
	struct fixture *f = *state;
	for (size_t i = 0; i < sizeof(type_cases) / sizeof(type_cases[0]); i++) {
		const struct type_case *c = &type_cases[i];
		uint32_t s = serial(f), ttl = 1;
		int n = rrset_count(f, "host1", c->type, NULL);
		struct msg m;

		/* Add an RR to an existing RRset. */
		msg_begin(&m);
		add(&m, "host1", c->type, c->ttl, c->fresh);
		assert_int_equal(run(f, &m), ILNPDNS_RCODE_NOERROR);
		assert_int_equal(rrset_count(f, "host1", c->type, &ttl), n + 1);
		assert_int_equal(ttl, c->ttl);
		assert_true(has_rr(f, "host1", c->type, c->fresh));
		assert_true(has_rr(f, "host1", c->type, c->existing));
		assert_int_equal(serial(f), s + 1);

		/* Delete one RR. */
		msg_begin(&m);
		del_rr(&m, "host1", c->type, c->existing);
		assert_int_equal(run(f, &m), ILNPDNS_RCODE_NOERROR);
		assert_false(has_rr(f, "host1", c->type, c->existing));
		assert_true(has_rr(f, "host1", c->type, c->fresh));
		assert_int_equal(rrset_count(f, "host1", c->type, NULL), n);
		assert_int_equal(serial(f), s + 2);

		/* Add to a new name; delete its only RR: the RRset and name go. */
		msg_begin(&m);
		add(&m, "new-host", c->type, 0, c->fresh);
		assert_int_equal(run(f, &m), ILNPDNS_RCODE_NOERROR);
		assert_true(has_rr(f, "new-host", c->type, c->fresh));
		assert_int_equal(name_state(f, "new-host"), STORE_NAME_DATA);
		msg_begin(&m);
		del_rr(&m, "new-host", c->type, c->fresh);
		assert_int_equal(run(f, &m), ILNPDNS_RCODE_NOERROR);
		assert_int_equal(rrset_count(f, "new-host", c->type, NULL), 0);
		assert_int_equal(name_state(f, "new-host"), STORE_NAME_NONE);

		/* Delete the RRset. */
		msg_begin(&m);
		del_rrset(&m, "host1", c->type);
		assert_int_equal(run(f, &m), ILNPDNS_RCODE_NOERROR);
		assert_int_equal(rrset_count(f, "host1", c->type, NULL), 0);
		assert_int_equal(serial(f), s + 5);
	}
	/* host1 owned exactly these five types: nothing is left there. */
	assert_int_equal(name_state(f, "host1"), STORE_NAME_NONE);
}

static void test_delete_all_at_name(void **state)
{
	struct fixture *f = *state;
	struct msg m;
	msg_begin(&m);
	del_name(&m, "host1");
	assert_int_equal(run(f, &m), ILNPDNS_RCODE_NOERROR);
	assert_int_equal(name_state(f, "host1"), STORE_NAME_NONE);
	assert_int_equal(serial(f), 101);
	expect_journal(f, 100, 101,
	               (const struct jrr[]){
	                   {"@", "SOA", 3600, SOA0},
	                   {"host1", "NID", 0, "10 0014:4fff:ff20:ee64"},
	                   {"host1", "NID", 0, "20 0015:5fff:ff21:ee65"},
	                   {"host1", "L64", 0, "10 2001:0db8:1140:1000"},
	                   {"host1", "L32", 0, "10 10.1.2.0"},
	                   {"host1", "LP", 0, "10 l64-subnet1.example.ilnp."},
	                   {"host1", "AAAA", 300, "2001:db8::1"},
	               },
	               7, (const struct jrr[]){{"@", "SOA", 3600, SOA1}}, 1);

	/* Delete-all of a name that owns nothing (or an ENT) changes nothing. */
	msg_begin(&m);
	del_name(&m, "nothere");
	del_name(&m, "ent");
	assert_int_equal(run(f, &m), ILNPDNS_RCODE_NOERROR);
	assert_int_equal(serial(f), 101);
	assert_int_equal(name_state(f, "ent"), STORE_NAME_ENT);
	assert_int_equal(journal_entries(f), 1);
}

static void test_owner_case_insensitive(void **state)
{
	struct fixture *f = *state;
	struct msg m;
	msg_begin(&m);
	del_rr(&m, "HOST1.Example.ILNP.", "L64", "10 2001:0db8:1140:1000");
	add(&m, "Host1", "L64", 0, "30 2001:0db8:3140:3000");
	assert_int_equal(run(f, &m), ILNPDNS_RCODE_NOERROR);
	assert_int_equal(rrset_count(f, "host1", "L64", NULL), 1);
	assert_true(has_rr(f, "host1", "L64", "30 2001:0db8:3140:3000"));
	/* The journal names the owner in the store's (lower) case. */
	expect_journal(f, 100, 101,
	               (const struct jrr[]){{"@", "SOA", 3600, SOA0},
	                                    {"host1", "L64", 0, "10 2001:0db8:1140:1000"}},
	               2,
	               (const struct jrr[]){{"@", "SOA", 3600, SOA1},
	                                    {"host1", "L64", 0, "30 2001:0db8:3140:3000"}},
	               2);
}

/* ==== SOA, NS and CNAME rules (RFC 2136 3.4.2.2-3.4.2.4) ==== */

static void test_soa_rules(void **state)
{
	struct fixture *f = *state;
	struct snap before = snapshot(f);
	struct msg m;

	/* Equal or lower serial: ignored, no change at all. */
	msg_begin(&m);
	add(&m, "@", "SOA", 60, SOA0);
	add(&m, "@", "SOA", 60, "ns1.example.ilnp. hostmaster.example.ilnp. 99 1 1 1 1");
	/* Serial 100 + 2^31 is not "greater" under RFC 1982 either. */
	add(&m, "@", "SOA", 60, "ns1.example.ilnp. hm.example.ilnp. 2147483748 1 1 1 1");
	/* Deletes of the SOA: RRset at the apex, and one RR. */
	del_rrset(&m, "@", "SOA");
	del_rr(&m, "@", "SOA", SOA0);
	/* An SOA elsewhere is never created. */
	add(&m, "host1", "SOA", 60, "ns1.example.ilnp. hm.example.ilnp. 500 1 1 1 1");
	assert_int_equal(run(f, &m), ILNPDNS_RCODE_NOERROR);
	assert_unchanged(f, &before);
	free(before.p);

	/* A higher serial replaces the SOA, and no bump follows. */
	msg_begin(&m);
	add(&m, "@", "SOA", 60, "ns9.example.ilnp. hostmaster.example.ilnp. 500 1 2 3 4");
	add(&m, "host1", "L64", 0, "30 2001:0db8:3140:3000");
	assert_int_equal(run(f, &m), ILNPDNS_RCODE_NOERROR);
	assert_int_equal(serial(f), 500);
	assert_true(
	    has_rr(f, "@", "SOA", "ns9.example.ilnp. hostmaster.example.ilnp. 500 1 2 3 4"));
	uint32_t ttl = 0;
	assert_int_equal(rrset_count(f, "@", "SOA", &ttl), 1);
	assert_int_equal(ttl, 60);
	expect_journal(
	    f, 100, 500, (const struct jrr[]){{"@", "SOA", 3600, SOA0}}, 1,
	    (const struct jrr[]){
	        {"@", "SOA", 60, "ns9.example.ilnp. hostmaster.example.ilnp. 500 1 2 3 4"},
	        {"host1", "L64", 0, "30 2001:0db8:3140:3000"}},
	    2);

	/* The serial can wrap under RFC 1982: 500 + 2^31 - 1 is greater. */
	msg_begin(&m);
	add(&m, "@", "SOA", 60, "ns9.example.ilnp. hostmaster.example.ilnp. 2147484147 1 2 3 4");
	assert_int_equal(run(f, &m), ILNPDNS_RCODE_NOERROR);
	assert_int_equal(serial(f), 2147484147u);
}

static void test_ns_rules(void **state)
{
	struct fixture *f = *state;
	struct msg m;

	/* Delete the apex NS RRset, delete all at the apex: SOA and NS stay. */
	msg_begin(&m);
	del_rrset(&m, "@", "NS");
	del_name(&m, "@");
	assert_int_equal(run(f, &m), ILNPDNS_RCODE_NOERROR);
	assert_int_equal(rrset_count(f, "@", "NS", NULL), 2);
	assert_int_equal(rrset_count(f, "@", "SOA", NULL), 1);
	assert_int_equal(rrset_count(f, "@", "L64", NULL), 0); /* other apex data went */
	assert_int_equal(serial(f), 101);
	expect_journal(f, 100, 101,
	               (const struct jrr[]){{"@", "SOA", 3600, SOA0},
	                                    {"@", "L64", 0, "10 2001:0db8:0000:0001"}},
	               2, (const struct jrr[]){{"@", "SOA", 3600, SOA1}}, 1);

	/* One NS of two can go; the last one cannot. */
	msg_begin(&m);
	del_rr(&m, "@", "NS", "ns1.example.ilnp.");
	del_rr(&m, "@", "NS", "ns2.example.ilnp.");
	assert_int_equal(run(f, &m), ILNPDNS_RCODE_NOERROR);
	assert_int_equal(rrset_count(f, "@", "NS", NULL), 1);
	assert_true(has_rr(f, "@", "NS", "ns2.example.ilnp."));
	assert_int_equal(serial(f), 102);

	/* With a new NS added first, the old last one may go in the same update. */
	msg_begin(&m);
	add(&m, "@", "NS", 3600, "ns3.example.ilnp.");
	del_rr(&m, "@", "NS", "ns2.example.ilnp.");
	assert_int_equal(run(f, &m), ILNPDNS_RCODE_NOERROR);
	assert_int_equal(rrset_count(f, "@", "NS", NULL), 1);
	assert_true(has_rr(f, "@", "NS", "ns3.example.ilnp."));

	/* NS below the apex (a delegation) is ordinary data. */
	msg_begin(&m);
	add(&m, "sub", "NS", 3600, "ns.sub.example.ilnp.");
	assert_int_equal(run(f, &m), ILNPDNS_RCODE_NOERROR);
	msg_begin(&m);
	del_rrset(&m, "sub", "NS");
	assert_int_equal(run(f, &m), ILNPDNS_RCODE_NOERROR);
	assert_int_equal(rrset_count(f, "sub", "NS", NULL), 0);
}

static void test_cname_rules(void **state)
{
	struct fixture *f = *state;
	struct snap before = snapshot(f);
	struct msg m;

	/* A CNAME where other data is, other data where a CNAME is: ignored. */
	msg_begin(&m);
	add(&m, "host1", "CNAME", 300, "www.example.ilnp.");
	add(&m, "alias", "L64", 0, "10 2001:0db8:1140:1000");
	add(&m, "alias", "AAAA", 300, "2001:db8::9");
	assert_int_equal(run(f, &m), ILNPDNS_RCODE_NOERROR);
	assert_unchanged(f, &before);
	free(before.p);

	/* A CNAME replaces a CNAME. */
	msg_begin(&m);
	add(&m, "alias", "CNAME", 60, "host1.example.ilnp.");
	assert_int_equal(run(f, &m), ILNPDNS_RCODE_NOERROR);
	assert_int_equal(rrset_count(f, "alias", "CNAME", NULL), 1);
	assert_true(has_rr(f, "alias", "CNAME", "host1.example.ilnp."));
	expect_journal(f, 100, 101,
	               (const struct jrr[]){{"@", "SOA", 3600, SOA0},
	                                    {"alias", "CNAME", 3600, "www.example.ilnp."}},
	               2,
	               (const struct jrr[]){{"@", "SOA", 3600, SOA1},
	                                    {"alias", "CNAME", 60, "host1.example.ilnp."}},
	               2);

	/* Order matters: delete the CNAME, then other data fits. */
	msg_begin(&m);
	del_rrset(&m, "alias", "CNAME");
	add(&m, "alias", "L64", 0, "10 2001:0db8:1140:1000");
	add(&m, "fresh", "CNAME", 60, "www.example.ilnp.");
	/* ... and a CNAME added in this update blocks later other data. */
	add(&m, "fresh", "TXT", 60, "\"x\"");
	assert_int_equal(run(f, &m), ILNPDNS_RCODE_NOERROR);
	assert_int_equal(rrset_count(f, "alias", "CNAME", NULL), 0);
	assert_int_equal(rrset_count(f, "alias", "L64", NULL), 1);
	assert_int_equal(rrset_count(f, "fresh", "CNAME", NULL), 1);
	assert_int_equal(rrset_count(f, "fresh", "TXT", NULL), 0);
}

/* ==== duplicates and TTLs (RFC 2136 3.4.2.2, RFC 2181 5.2) ==== */

static void test_duplicates(void **state)
{
	struct fixture *f = *state;
	struct snap before = snapshot(f);
	struct msg m;

	/* Same RR, same TTL; a delete of an absent RR; an add then its delete. */
	msg_begin(&m);
	add(&m, "host1", "L64", 0, "10 2001:0db8:1140:1000");
	add(&m, "host1", "LP", 0, "10 L64-SUBNET1.example.ilnp."); /* LP: case-insensitive */
	del_rr(&m, "host1", "L64", "99 2001:0db8:ffff:ffff");
	del_rrset(&m, "nothere", "L64");
	add(&m, "tmp", "L64", 0, "10 2001:0db8:1140:1000");
	del_rr(&m, "tmp", "L64", "10 2001:0db8:1140:1000");
	/* Delete and re-add the same RR: no effective change either. */
	del_rr(&m, "host1", "NID", "10 0014:4fff:ff20:ee64");
	add(&m, "host1", "NID", 0, "10 0014:4fff:ff20:ee64");
	assert_int_equal(run(f, &m), ILNPDNS_RCODE_NOERROR);
	assert_unchanged(f, &before);
	assert_int_equal(journal_entries(f), 0);
	free(before.p);

	/* A duplicate with another TTL changes the RRset's TTL. */
	uint32_t ttl = 1;
	msg_begin(&m);
	add(&m, "host1", "NID", 120, "20 0015:5fff:ff21:ee65");
	assert_int_equal(run(f, &m), ILNPDNS_RCODE_NOERROR);
	assert_int_equal(rrset_count(f, "host1", "NID", &ttl), 2);
	assert_int_equal(ttl, 120);
	assert_int_equal(serial(f), 101);
	expect_journal(f, 100, 101,
	               (const struct jrr[]){{"@", "SOA", 3600, SOA0},
	                                    {"host1", "NID", 0, "10 0014:4fff:ff20:ee64"},
	                                    {"host1", "NID", 0, "20 0015:5fff:ff21:ee65"}},
	               3,
	               (const struct jrr[]){{"@", "SOA", 3600, SOA1},
	                                    {"host1", "NID", 120, "10 0014:4fff:ff20:ee64"},
	                                    {"host1", "NID", 120, "20 0015:5fff:ff21:ee65"}},
	               3);

	/* A new RR with another TTL sets the whole RRset's TTL (RFC 2181 5.2);
	 * a TTL with the top bit set counts as 0 (RFC 2181 8). */
	msg_begin(&m);
	add(&m, "host1", "NID", 0x80000001u, "30 0016:6fff:ff22:ee66");
	assert_int_equal(run(f, &m), ILNPDNS_RCODE_NOERROR);
	assert_int_equal(rrset_count(f, "host1", "NID", &ttl), 3);
	assert_int_equal(ttl, 0);
}

/* ==== serial (RFC 2136 3.6, RFC 1982) ==== */

static void test_serial_arith(void **state)
{
	(void)state;
	assert_true(update_serial_gt(1, 0));
	assert_true(update_serial_gt(0, 0xffffffffu));
	assert_true(update_serial_gt(0x7fffffffu, 0));
	assert_false(update_serial_gt(0x80000000u, 0)); /* undefined: not greater */
	assert_false(update_serial_gt(0, 0x80000000u));
	assert_false(update_serial_gt(5, 5));
	assert_false(update_serial_gt(4, 5));
	assert_int_equal(update_serial_next(100, UPDATE_SERIAL_INCREMENT, 0), 101);
	assert_int_equal(update_serial_next(0xffffffffu, UPDATE_SERIAL_INCREMENT, 0), 1);
	assert_int_equal(update_serial_next(100, UPDATE_SERIAL_UNIXTIME, 1700000000), 1700000000);
	assert_int_equal(update_serial_next(1700000005, UPDATE_SERIAL_UNIXTIME, 1700000000),
	                 1700000006);
	assert_int_equal(update_serial_next(0xffffffffu, UPDATE_SERIAL_UNIXTIME, 0x100000000ull),
	                 1);
}

static void test_serial_wraps_to_one(void **state)
{
	struct fixture *f = *state;
	char text[sizeof(zone_text) + 64];
	/* Replace serial 100 by 4294967295 in the zone text. */
	const char *p = strstr(zone_text, " 100 ");
	snprintf(text, sizeof(text), "%.*s 4294967295 %s", (int)(p - zone_text), zone_text, p + 5);
	load_zone(f->st, text);
	assert_int_equal(serial(f), 0xffffffffu);

	struct msg m;
	struct update_result res;
	msg_begin(&m);
	add(&m, "host1", "L64", 0, "30 2001:0db8:3140:3000");
	assert_int_equal(run_opts(f, &m, 0, &plain, &res), ILNPDNS_RCODE_NOERROR);
	assert_true(res.changed);
	assert_int_equal(res.old_serial, 0xffffffffu);
	assert_int_equal(res.new_serial, 1);
	assert_int_equal(serial(f), 1);
	struct jentry j = journal(f);
	assert_int_equal(j.old_serial, 0xffffffffu);
	assert_int_equal(j.new_serial, 1);
	free(j.rrs);
}

static void test_serial_unixtime(void **state)
{
	struct fixture *f = *state;
	struct update_opts o = {.serial_policy = UPDATE_SERIAL_UNIXTIME, .now = 1700000000};
	struct update_result res;
	struct msg m;
	msg_begin(&m);
	add(&m, "host1", "L64", 0, "30 2001:0db8:3140:3000");
	assert_int_equal(run_opts(f, &m, 0, &o, &res), ILNPDNS_RCODE_NOERROR);
	assert_int_equal(serial(f), 1700000000);
	/* The same second again: serial + 1. */
	msg_begin(&m);
	add(&m, "host1", "L64", 0, "40 2001:0db8:4140:4000");
	assert_int_equal(run_opts(f, &m, 0, &o, &res), ILNPDNS_RCODE_NOERROR);
	assert_int_equal(serial(f), 1700000001);
	assert_int_equal(journal_entries(f), 2);
}

static void test_result_and_journal_chain(void **state)
{
	struct fixture *f = *state;
	struct update_result res;
	struct msg m;

	/* Delete an RRset and add its replacement plus another type. */
	msg_begin(&m);
	pre_meta(&m, "host1", ILNPDNS_T_NID, ILNPDNS_C_ANY);
	del_rrset(&m, "host1", "L64");
	add(&m, "host1", "L64", 0, "10 2001:0db8:5140:5000");
	add(&m, "host1", "L64", 0, "20 2001:0db8:6140:6000");
	add(&m, "h2", "AAAA", 300, "2001:db8::2");
	assert_int_equal(run_opts(f, &m, 0, &plain, &res), ILNPDNS_RCODE_NOERROR);
	assert_true(res.changed);
	assert_null(res.why);
	assert_int_equal(res.old_serial, 100);
	assert_int_equal(res.new_serial, 101);
	assert_int_equal(res.removed, 2);
	assert_int_equal(res.added, 4);
	assert_int_equal(res.prereqs, 1);
	assert_int_equal(res.updates, 4);
	expect_journal(f, 100, 101,
	               (const struct jrr[]){{"@", "SOA", 3600, SOA0},
	                                    {"host1", "L64", 0, "10 2001:0db8:1140:1000"}},
	               2,
	               (const struct jrr[]){{"@", "SOA", 3600, SOA1},
	                                    {"host1", "L64", 0, "10 2001:0db8:5140:5000"},
	                                    {"host1", "L64", 0, "20 2001:0db8:6140:6000"},
	                                    {"h2", "AAAA", 300, "2001:db8::2"}},
	               4);

	/* A second update: the next entry, chained on the serial. */
	msg_begin(&m);
	del_rr(&m, "h2", "AAAA", "2001:db8::2");
	assert_int_equal(run_opts(f, &m, 0, &plain, &res), ILNPDNS_RCODE_NOERROR);
	struct jentry j = journal(f);
	assert_int_equal(j.n, 2);
	assert_int_equal(j.seq, 2);
	free(j.rrs);
	expect_journal(
	    f, 101, 102,
	    (const struct jrr[]){{"@", "SOA", 3600, SOA1}, {"h2", "AAAA", 300, "2001:db8::2"}}, 2,
	    (const struct jrr[]){{"@", "SOA", 3600,
	                          "ns1.example.ilnp. hostmaster.example.ilnp. 102 3600 "
	                          "900 604800 0"}},
	    1);

	/* An empty update is accepted and changes nothing. */
	msg_begin(&m);
	assert_int_equal(run_opts(f, &m, 0, &plain, &res), ILNPDNS_RCODE_NOERROR);
	assert_false(res.changed);
	assert_int_equal(res.old_serial, 102);
	assert_int_equal(res.new_serial, 102);
	assert_int_equal(journal_entries(f), 2);
}

/* ==== prescan (RFC 2136 3.4.1) ==== */

static void prescan_case(struct fixture *f, int section_rr_kind, int want)
{
	struct snap before = snapshot(f);
	struct msg m;
	uint8_t rd[32];
	uint16_t n = rdata("L64", "10 2001:0db8:1140:1000", rd);
	msg_begin(&m);
	add(&m, "host1", "AAAA", 60, "2001:db8::77"); /* valid, must not be applied */
	switch (section_rr_kind) {
	case 0: /* outside the zone */
		add(&m, "host1.example.org.", "L64", 0, "10 2001:0db8:1140:1000");
		break;
	case 1: /* class CH */
		msg_rr(&m, SEC_UPD, "host1", ILNPDNS_T_L64, ILNPDNS_C_CH, 0, rd, n);
		break;
	case 2: /* add of a meta type */
		msg_rr(&m, SEC_UPD, "host1", ILNPDNS_T_AXFR, ILNPDNS_C_IN, 0, NULL, 0);
		break;
	case 3: /* add of type ANY */
		msg_rr(&m, SEC_UPD, "host1", ILNPDNS_T_ANY, ILNPDNS_C_IN, 0, NULL, 0);
		break;
	case 4: /* delete RRset with a TTL */
		msg_rr(&m, SEC_UPD, "host1", ILNPDNS_T_L64, ILNPDNS_C_ANY, 5, NULL, 0);
		break;
	case 5: /* delete RRset with RDATA */
		msg_rr(&m, SEC_UPD, "host1", ILNPDNS_T_L64, ILNPDNS_C_ANY, 0, rd, n);
		break;
	case 6: /* class ANY of a meta type other than ANY */
		msg_rr(&m, SEC_UPD, "host1", ILNPDNS_T_MAILA, ILNPDNS_C_ANY, 0, NULL, 0);
		break;
	case 7: /* delete RR of type ANY */
		msg_rr(&m, SEC_UPD, "host1", ILNPDNS_T_ANY, ILNPDNS_C_NONE, 0, NULL, 0);
		break;
	case 8: /* delete RR with a TTL */
		msg_rr(&m, SEC_UPD, "host1", ILNPDNS_T_L64, ILNPDNS_C_NONE, 60, rd, n);
		break;
	case 9: /* an update outside the zone, under a name that merely contains it */
		add(&m, "x.example.ilnp.org.", "AAAA", 60, "2001:db8::1");
		break;
	}
	assert_int_equal(run(f, &m), want);
	assert_unchanged(f, &before);
	free(before.p);
}

static void test_prescan(void **state)
{
	prescan_case(*state, 0, ILNPDNS_RCODE_NOTZONE);
	for (int k = 1; k <= 8; k++)
		prescan_case(*state, k, ILNPDNS_RCODE_FORMERR);
	prescan_case(*state, 9, ILNPDNS_RCODE_NOTZONE);
}

static void test_prereq_before_prescan(void **state)
{
	/* 3.2 runs before 3.4.1: a false prerequisite wins over a bad update. */
	struct fixture *f = *state;
	struct msg m;
	msg_begin(&m);
	pre_meta(&m, "host1", ILNPDNS_T_A, ILNPDNS_C_ANY);
	msg_rr(&m, SEC_UPD, "host1", ILNPDNS_T_A, ILNPDNS_C_CH, 0, NULL, 0);
	assert_int_equal(run(f, &m), ILNPDNS_RCODE_NXRRSET);
}

/* ==== RDATA checks and decompression ==== */

static void test_ilnp_rdata_lengths(void **state)
{
	struct fixture *f = *state;
	struct snap before = snapshot(f);
	static const struct {
		uint16_t type;
		uint16_t len;
	} bad[] = {
	    {ILNPDNS_T_NID, 9},  {ILNPDNS_T_NID, 11}, {ILNPDNS_T_L64, 9},
	    {ILNPDNS_T_L64, 11}, {ILNPDNS_T_L32, 5},  {ILNPDNS_T_L32, 7},
	    {ILNPDNS_T_LP, 2},   {ILNPDNS_T_A, 3},    {ILNPDNS_T_AAAA, 15},
	};
	const uint8_t zeros[32] = {0};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct msg m;
		msg_begin(&m);
		msg_rr(&m, SEC_UPD, "host1", bad[i].type, ILNPDNS_C_IN, 0, zeros, bad[i].len);
		assert_int_equal(run(f, &m), ILNPDNS_RCODE_FORMERR);
		/* The same RDATA in a delete-RR is just as malformed. */
		msg_begin(&m);
		msg_rr(&m, SEC_UPD, "host1", bad[i].type, ILNPDNS_C_NONE, 0, zeros, bad[i].len);
		assert_int_equal(run(f, &m), ILNPDNS_RCODE_FORMERR);
	}

	/* LP: a name running past RDLENGTH, and one ending before it. */
	struct msg m;
	msg_begin(&m);
	msg_rr(&m, SEC_UPD, "host1", ILNPDNS_T_LP, ILNPDNS_C_IN, 0, (const uint8_t *)"\0\12\3abc\0",
	       6);
	assert_int_equal(run(f, &m), ILNPDNS_RCODE_FORMERR);
	msg_begin(&m);
	msg_rr(&m, SEC_UPD, "host1", ILNPDNS_T_LP, ILNPDNS_C_IN, 0, (const uint8_t *)"\0\12\1a\0\0",
	       6);
	assert_int_equal(run(f, &m), ILNPDNS_RCODE_FORMERR);
	/* A name in an NS RDATA that runs past RDLENGTH. */
	msg_begin(&m);
	msg_rr(&m, SEC_UPD, "sub", ILNPDNS_T_NS, ILNPDNS_C_IN, 0, (const uint8_t *)"\3abc\0", 3);
	msg_bytes(&m, "\0\0", 2);
	assert_int_equal(run(f, &m), ILNPDNS_RCODE_FORMERR);
	/* A value-dependent prerequisite with a bad NID. */
	msg_begin(&m);
	msg_rr(&m, SEC_PRE, "host1", ILNPDNS_T_NID, ILNPDNS_C_IN, 0, zeros, 8);
	assert_int_equal(run(f, &m), ILNPDNS_RCODE_FORMERR);
	assert_unchanged(f, &before);
	free(before.p);
}

static void test_compressed_names_stored_uncompressed(void **state)
{
	struct fixture *f = *state;
	struct msg m;
	msg_begin(&m);
	/* Owner "c1" + pointer to the zone name at offset 12. */
	msg_bytes(&m, "\2c1\xc0\x0c", 5);
	uint8_t lp[] = {0, 10, 11, 'l', '6', '4', '-', 's', 'u', 'b', 'n', 'e', 't', '1', 0xc0, 12};
	msg_rr_tail(&m, SEC_UPD, ILNPDNS_T_LP, ILNPDNS_C_IN, 0, lp, sizeof(lp));
	/* An NS whose name is entirely a pointer to the zone name. */
	msg_bytes(&m, "\3sub\xc0\x0c", 6);
	msg_rr_tail(&m, SEC_UPD, ILNPDNS_T_NS, ILNPDNS_C_IN, 3600, (const uint8_t *)"\xc0\x0c", 2);
	/* MX: preference then a compressed name. */
	msg_bytes(&m, "\2mx\xc0\x0c", 5);
	msg_rr_tail(&m, SEC_UPD, ILNPDNS_T_MX, ILNPDNS_C_IN, 3600,
	            (const uint8_t *)"\0\5\4mail\xc0\x0c", 9);
	assert_int_equal(run(f, &m), ILNPDNS_RCODE_NOERROR);
	assert_true(has_rr(f, "c1", "LP", "10 l64-subnet1.example.ilnp."));
	assert_true(has_rr(f, "sub", "NS", "example.ilnp."));
	assert_true(has_rr(f, "mx", "MX", "5 mail.example.ilnp."));

	/* A compressed delete-RR matches the stored uncompressed RR. */
	msg_begin(&m);
	msg_bytes(&m, "\2c1\xc0\x0c", 5);
	msg_rr_tail(&m, SEC_UPD, ILNPDNS_T_LP, ILNPDNS_C_NONE, 0, lp, sizeof(lp));
	assert_int_equal(run(f, &m), ILNPDNS_RCODE_NOERROR);
	assert_int_equal(rrset_count(f, "c1", "LP", NULL), 0);
}

static void test_lp_self_refused(void **state)
{
	struct fixture *f = *state;
	struct snap before = snapshot(f);
	struct msg m;
	msg_begin(&m);
	add(&m, "host1", "L64", 0, "30 2001:0db8:3140:3000");
	add(&m, "host1", "LP", 0, "20 HOST1.example.ilnp.");
	struct update_result res;
	assert_int_equal(run_opts(f, &m, 0, &plain, &res), ILNPDNS_RCODE_REFUSED);
	assert_non_null(res.why);
	assert_unchanged(f, &before);
	free(before.p);
	/* Deleting such an RR is harmless and allowed. */
	msg_begin(&m);
	del_rr(&m, "host1", "LP", "20 host1.example.ilnp.");
	assert_int_equal(run(f, &m), ILNPDNS_RCODE_NOERROR);
}

static void test_additional_and_trailing(void **state)
{
	struct fixture *f = *state;
	struct msg m;
	struct update_result res;
	msg_begin(&m);
	add(&m, "host1", "L64", 0, "30 2001:0db8:3140:3000");
	/* Out-of-zone "glue" in the additional section: read, not used. */
	uint8_t rd[4] = {192, 0, 2, 9};
	msg_rr(&m, SEC_ADD, "glue.example.org.", ILNPDNS_T_A, ILNPDNS_C_IN, 60, rd, 4);
	/* Octets after the RRs considered (where the TSIG was) are ignored. */
	msg_bytes(&m, "\0\0\xfa\0\xff", 5);
	assert_int_equal(run_opts(f, &m, 1, &plain, &res), ILNPDNS_RCODE_NOERROR);
	assert_true(has_rr(f, "host1", "L64", "30 2001:0db8:3140:3000"));
	assert_int_equal(rrset_count(f, "glue.example.org.", "A", NULL), 0);
}

/* ==== policy (RFC 3007) ==== */

static void test_policy_refusal(void **state)
{
	struct fixture *f = *state;
	const char *const rules[] = {"grant host1-key self host1.example.ilnp. NID L64 L32 LP",
	                             "grant ops-key subdomain example.ilnp. ANY", NULL};
	struct policy pol;
	char err[128];
	uint8_t host1_key[ILNPDNS_DNAME_MAXLEN], ops_key[ILNPDNS_DNAME_MAXLEN];
	policy_init(&pol);
	assert_int_equal(policy_parse(&pol, rules, err, sizeof(err)), 0);
	wname("host1-key.", host1_key);
	wname("ops-key.", ops_key);
	struct update_opts o = {.signer = host1_key, .policy = &pol};
	struct update_result res;
	struct snap before = snapshot(f);
	struct msg m;

	/* One forbidden RR refuses everything, even after a permitted one. */
	msg_begin(&m);
	add(&m, "host1", "L64", 0, "30 2001:0db8:3140:3000");
	add(&m, "host1", "AAAA", 60, "2001:db8::5");
	assert_int_equal(run_opts(f, &m, 0, &o, &res), ILNPDNS_RCODE_REFUSED);
	assert_unchanged(f, &before);
	/* The refusal comes before the prerequisites: a false one is not revealed. */
	msg_begin(&m);
	pre_meta(&m, "secret", ILNPDNS_T_ANY, ILNPDNS_C_ANY);
	add(&m, "www", "L64", 0, "10 2001:0db8:3140:3000");
	assert_int_equal(run_opts(f, &m, 0, &o, &res), ILNPDNS_RCODE_REFUSED);
	/* Deleting all RRsets at its own name needs ANY, which host1-key lacks. */
	msg_begin(&m);
	del_name(&m, "host1");
	assert_int_equal(run_opts(f, &m, 0, &o, &res), ILNPDNS_RCODE_REFUSED);
	/* An unknown key matches nothing: default deny. */
	uint8_t other[ILNPDNS_DNAME_MAXLEN];
	wname("other-key.", other);
	struct update_opts o2 = {.signer = other, .policy = &pol};
	msg_begin(&m);
	add(&m, "host1", "L64", 0, "30 2001:0db8:3140:3000");
	assert_int_equal(run_opts(f, &m, 0, &o2, &res), ILNPDNS_RCODE_REFUSED);
	assert_unchanged(f, &before);
	free(before.p);

	/* Permitted: the key's own ILNP records; the prerequisites then apply. */
	msg_begin(&m);
	pre_meta(&m, "host1", ILNPDNS_T_NID, ILNPDNS_C_ANY);
	del_rrset(&m, "host1", "L64");
	add(&m, "host1", "L64", 0, "30 2001:0db8:3140:3000");
	assert_int_equal(run_opts(f, &m, 0, &o, &res), ILNPDNS_RCODE_NOERROR);
	assert_int_equal(rrset_count(f, "host1", "L64", NULL), 1);
	msg_begin(&m);
	pre_meta(&m, "nothere", ILNPDNS_T_ANY, ILNPDNS_C_ANY);
	add(&m, "host1", "L64", 0, "40 2001:0db8:4140:4000");
	assert_int_equal(run_opts(f, &m, 0, &o, &res), ILNPDNS_RCODE_NXDOMAIN);
	/* Names outside the zone are NOTZONE, not a policy matter. */
	msg_begin(&m);
	add(&m, "host1.example.org.", "L64", 0, "40 2001:0db8:4140:4000");
	assert_int_equal(run_opts(f, &m, 0, &o, &res), ILNPDNS_RCODE_NOTZONE);
	/* ops-key may delete everything at a name. */
	struct update_opts o3 = {.signer = ops_key, .policy = &pol};
	msg_begin(&m);
	del_name(&m, "host1");
	assert_int_equal(run_opts(f, &m, 0, &o3, &res), ILNPDNS_RCODE_NOERROR);
	assert_int_equal(name_state(f, "host1"), STORE_NAME_NONE);
	/* An admitted unsigned update (signer NULL) is not subject to the policy. */
	struct update_opts o4 = {.signer = NULL, .policy = &pol};
	msg_begin(&m);
	add(&m, "www", "TXT", 60, "\"lab\"");
	assert_int_equal(run_opts(f, &m, 0, &o4, &res), ILNPDNS_RCODE_NOERROR);
	policy_clear(&pol);
}

/* update.max-rrs: prerequisite + update RRs over the limit are REFUSED before anything else. */
static void test_max_rrs(void **state)
{
	struct fixture *f = *state;
	struct update_opts o = {.max_rrs = 4};
	struct update_result res;
	struct snap before = snapshot(f);
	struct msg m;

	/* 5 RRs: REFUSED, though the false prerequisite would say NXDOMAIN. */
	msg_begin(&m);
	pre_meta(&m, "nothere", ILNPDNS_T_ANY, ILNPDNS_C_ANY);
	pre_meta(&m, "host1", ILNPDNS_T_ANY, ILNPDNS_C_ANY);
	for (int i = 1; i <= 3; i++) {
		char rd[64];
		snprintf(rd, sizeof(rd), "%d 2001:0db8:3140:%04x", 50 + i, i);
		add(&m, "host1", "L64", 0, rd);
	}
	assert_int_equal(run_opts(f, &m, 0, &o, &res), ILNPDNS_RCODE_REFUSED);
	assert_int_equal(res.prereqs + res.updates, 5);
	assert_unchanged(f, &before);
	free(before.p);
	/* Without the limit the same message gets to its prerequisites. */
	o.max_rrs = 0;
	assert_int_equal(run_opts(f, &m, 0, &o, &res), ILNPDNS_RCODE_NXDOMAIN);

	/* Exactly 4, and additional RRs do not count: applied. */
	o.max_rrs = 4;
	msg_begin(&m);
	pre_meta(&m, "host1", ILNPDNS_T_ANY, ILNPDNS_C_ANY);
	for (int i = 1; i <= 3; i++) {
		char rd[64];
		snprintf(rd, sizeof(rd), "%d 2001:0db8:3140:%04x", 50 + i, i);
		add(&m, "host1", "L64", 0, rd);
	}
	uint8_t glue[4] = {192, 0, 2, 9};
	msg_rr(&m, SEC_ADD, "glue.example.org.", ILNPDNS_T_A, ILNPDNS_C_IN, 60, glue, 4);
	assert_int_equal(run_opts(f, &m, 1, &o, &res), ILNPDNS_RCODE_NOERROR);
	assert_true(has_rr(f, "host1", "L64", "53 2001:0db8:3140:0003"));
}

/* ==== system failure: a full map must come through as an error ==== */

static int setup_small(void **state)
{
	setup_store(state, 1 << 20);
	load_zone(((struct fixture *)*state)->st, zone_text);
	return 0;
}

static void test_map_full(void **state)
{
	struct fixture *f = *state;
	static uint8_t big[60000];
	memset(big, 0x5a, sizeof(big));
	int rc = 0;
	for (int i = 0; i < 100 && rc == 0; i++) {
		struct msg m;
		struct update_result res;
		char owner[32];
		snprintf(owner, sizeof(owner), "big%d", i);
		msg_begin(&m);
		msg_rr(&m, SEC_UPD, owner, 65280, ILNPDNS_C_IN, 0, big, sizeof(big));
		rc = run_opts(f, &m, 0, &plain, &res);
		if (rc == 0)
			assert_true(res.changed);
	}
	assert_int_equal(rc, ILNPDNS_EMAPFULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_zone_section, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_malformed_rrs, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_prereq_name_in_use, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_prereq_rrset_exists, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_prereq_name_not_in_use, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_prereq_rrset_absent, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_prereq_value_dependent, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_prereq_errors, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_update_forms_per_type, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_delete_all_at_name, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_owner_case_insensitive, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_soa_rules, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_ns_rules, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_cname_rules, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_duplicates, setup, teardown),
	    cmocka_unit_test(test_serial_arith),
	    cmocka_unit_test_setup_teardown(test_serial_wraps_to_one, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_serial_unixtime, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_result_and_journal_chain, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_prescan, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_prereq_before_prescan, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_ilnp_rdata_lengths, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_compressed_names_stored_uncompressed, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_lp_self_refused, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_additional_and_trailing, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_max_rrs, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_policy_refusal, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_map_full, setup_small, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
