/* SPDX-License-Identifier: BSD-2-Clause */
/* test_writer.c -- the update writer without sockets: authentication, group commit, answers. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/evp.h>

#include "conf.h"
#include "ilnpdns/dname.h"
#include "ilnpdns/error.h"
#include "ilnpdns/keys.h"
#include "ilnpdns/log.h"
#include "ilnpdns/sig0.h"
#include "ilnpdns/tsig.h"
#include "ilnpdns/wire.h"
#include "stats.h"
#include "store.h"
#include "writer.h"
#include "zoneload.h"

#define ZONE   "example.ilnp."
#define SECRET "NoTCJU+DMqFWywaPyxSijrDEA/eC3nK0xi3AMEZuPVk="
#define T0     1795707631u /* the fake clock's start */

static const char zone_text[] = "$ORIGIN example.ilnp.\n"
                                "$TTL 3600\n"
                                "@ IN SOA ns1 hostmaster 100 3600 900 604800 0\n"
                                "@ NS ns1\n"
                                "ns1 A 192.0.2.1\n"
                                "host1 0 L64 10 2001:0db8:1140:1000\n"
                                "host1 KEY 512 3 15 J7bJiC+hxovhgWpM3n2h3yWRF4R3ANAmghZ+Hzd5gbo=\n"
                                "host2 0 L64 10 2001:0db8:1140:2000\n";

/* host1-key may change anything; other-key exists but is granted nothing;
 * host1's SIG(0) key may change host1; 10.9/16 may update unsigned. */
static const char conf_fmt[] = "server:\n"
                               "  listen: [ \"127.0.0.1@5399\" ]\n"
                               "  database: %s/db\n"
                               "  control: %s/ctl.sock\n"
                               "  update-batch-max: 8\n"
                               "  update-fail-limit: 3\n"
                               "key:\n"
                               "  - id: host1-key.\n"
                               "    algorithm: hmac-sha256\n"
                               "    secret: " SECRET "\n"
                               "  - id: other-key.\n"
                               "    algorithm: hmac-sha256\n"
                               "    secret: " SECRET "\n"
                               "zone:\n"
                               "  - domain: " ZONE "\n"
                               "    update-policy:\n"
                               "      - grant host1-key. subdomain " ZONE " ANY\n"
                               "      - grant host1.example.ilnp. self host1.example.ilnp. ANY\n"
                               "    allow-update-unsigned: [ \"10.9.0.0/16\" ]\n";

struct fixture {
	char dir[64];
	struct store *st;
	struct conf *conf;
	struct writer *w;
	struct stats stats;
	uint64_t now;
	struct ilnpdns_tsig_ctx *tsig;
	struct ilnpdns_tsig_key key, wrong, other, unknown;
};

static uint64_t fake_clock(void *arg)
{
	return *(uint64_t *)arg;
}

static void load_zone(struct store *st)
{
	uint8_t apex[ILNPDNS_DNAME_MAXLEN];
	struct zoneload_result zr;
	char err[256] = "";
	assert_true(ilnpdns_dname_from_str(ZONE, apex) > 0);
	FILE *in = fmemopen((void *)zone_text, strlen(zone_text), "r");
	assert_non_null(in);
	int rc =
	    zoneload_stream(st, apex, in, "t.zone", STORE_ILNP_TTL_KEEP, &zr, err, sizeof(err));
	fclose(in);
	if (rc)
		fail_msg("zone load: %s (%d)", err, rc);
}

static int setup_map(void **state, size_t mapsize)
{
	struct fixture *f = calloc(1, sizeof(*f));
	char path[128], err[512] = "";
	assert_non_null(f);
	strcpy(f->dir, "/tmp/ilnpdns-test-writer-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	assert_int_equal(store_open(&f->st, f->dir, mapsize, 0), 0);
	load_zone(f->st);

	snprintf(path, sizeof(path), "%s/conf.yaml", f->dir);
	FILE *c = fopen(path, "w");
	assert_non_null(c);
	fprintf(c, conf_fmt, f->dir, f->dir);
	fclose(c);
	if (conf_load(path, &f->conf, err, sizeof(err)) != 0)
		fail_msg("conf: %s", err);

	assert_int_equal(writer_new(&f->w, f->st, &f->stats), 0);
	f->now = T0;
	writer_set_clock(f->w, fake_clock, &f->now);
	f->tsig = ilnpdns_tsig_ctx_new();
	assert_non_null(f->tsig);
	assert_int_equal(
	    ilnpdns_tsig_key_init(&f->key, "host1-key", "hmac-sha256", SECRET, 0, NULL, 0), 0);
	assert_int_equal(
	    ilnpdns_tsig_key_init(&f->other, "other-key", "hmac-sha256", SECRET, 0, NULL, 0), 0);
	assert_int_equal(ilnpdns_tsig_key_init(&f->wrong, "host1-key", "hmac-sha256",
	                                       "YW5vdGhlci1zZWNyZXQtb2YtMzItb2N0ZXRzLWxvbmc=", 0,
	                                       NULL, 0),
	                 0);
	assert_int_equal(
	    ilnpdns_tsig_key_init(&f->unknown, "nobody-key", "hmac-sha256", SECRET, 0, NULL, 0), 0);
	*state = f;
	return 0;
}

static int setup(void **state)
{
	return setup_map(state, 64 << 20);
}

static int setup_small(void **state)
{
	return setup_map(state, 1 << 20);
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[128];
	writer_free(f->w);
	conf_unref(f->conf);
	store_close(f->st);
	ilnpdns_tsig_ctx_free(f->tsig);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

/* ---- UPDATE messages ---- */

enum { SEC_PRE = 1, SEC_UPD = 2, SEC_ADD = 3 };

struct msg {
	uint8_t b[65535];
	size_t len;
	uint16_t count[4];
	struct ilnpdns_tsig_state st; /* when TSIG-signed: to check the answer */
};

static void wname(const char *s, uint8_t *out)
{
	char buf[300];
	if (strcmp(s, "@") == 0)
		snprintf(buf, sizeof(buf), "%s", ZONE);
	else if (s[strlen(s) - 1] == '.')
		snprintf(buf, sizeof(buf), "%s", s);
	else
		snprintf(buf, sizeof(buf), "%s.%s", s, ZONE);
	assert_true(ilnpdns_dname_from_str(buf, out) > 0);
}

static void put_counts(struct msg *m)
{
	for (int i = 0; i < 4; i++)
		ilnpdns_put16(m->b + 4 + 2 * i, m->count[i]);
}

static void msg_begin_zone(struct msg *m, uint16_t id, const char *zone)
{
	uint8_t z[ILNPDNS_DNAME_MAXLEN];
	memset(m->count, 0, sizeof(m->count));
	memset(m->b, 0, ILNPDNS_HDR_LEN);
	ilnpdns_put16(m->b, id);
	ilnpdns_put16(m->b + 2, ILNPDNS_OP_UPDATE << 11);
	m->len = ILNPDNS_HDR_LEN;
	wname(zone, z);
	size_t zl = ilnpdns_dname_len(z);
	memcpy(m->b + m->len, z, zl);
	ilnpdns_put16(m->b + m->len + zl, ILNPDNS_T_SOA);
	ilnpdns_put16(m->b + m->len + zl + 2, ILNPDNS_C_IN);
	m->len += zl + 4;
	m->count[0] = 1;
	put_counts(m);
}

static void msg_begin(struct msg *m, uint16_t id)
{
	msg_begin_zone(m, id, "@");
}

static void msg_rr(struct msg *m, int sec, const char *owner, uint16_t type, uint16_t cls,
                   uint32_t ttl, const void *rd, uint16_t rdlen)
{
	uint8_t o[ILNPDNS_DNAME_MAXLEN];
	wname(owner, o);
	size_t ol = ilnpdns_dname_len(o);
	assert_true(m->len + ol + 10 + rdlen <= sizeof(m->b));
	memcpy(m->b + m->len, o, ol);
	uint8_t *p = m->b + m->len + ol;
	ilnpdns_put16(p, type);
	ilnpdns_put16(p + 2, cls);
	ilnpdns_put32(p + 4, ttl);
	ilnpdns_put16(p + 8, rdlen);
	if (rdlen)
		memcpy(p + 10, rd, rdlen);
	m->len += ol + 10 + rdlen;
	m->count[sec]++;
	put_counts(m);
}

/* Add "owner 0 IN L64 10 2001:db8:<tag>::" */
static void add_l64(struct msg *m, const char *owner, uint16_t tag)
{
	uint8_t rd[10] = {0, 10, 0x20, 0x01, 0x0d, 0xb8, (uint8_t)(tag >> 8), (uint8_t)tag, 0, 0};
	msg_rr(m, SEC_UPD, owner, ILNPDNS_T_L64, ILNPDNS_C_IN, 0, rd, sizeof(rd));
}

/* Prerequisite "RRset <owner, type> exists" (value-independent). */
static void pre_exists(struct msg *m, const char *owner, uint16_t type)
{
	msg_rr(m, SEC_PRE, owner, type, ILNPDNS_C_ANY, 0, NULL, 0);
}

static void add_opt(struct msg *m, uint8_t version)
{
	uint8_t *p = m->b + m->len;
	p[0] = 0;
	ilnpdns_put16(p + 1, ILNPDNS_T_OPT);
	ilnpdns_put16(p + 3, 1232);
	ilnpdns_put32(p + 5, (uint32_t)version << 16);
	ilnpdns_put16(p + 9, 0);
	m->len += 11;
	m->count[SEC_ADD]++;
	put_counts(m);
}

static void tsig_sign(struct fixture *f, struct msg *m, const struct ilnpdns_tsig_key *key)
{
	assert_int_equal(ilnpdns_tsig_sign_request(f->tsig, &m->st, key, ILNPDNS_TSIG_FUDGE, m->b,
	                                           &m->len, sizeof(m->b), f->now),
	                 0);
}

static struct writer_req *req_from(const struct msg *m, const char *addr)
{
	struct writer_req *r = writer_req_new(m->b, m->len);
	assert_non_null(r);
	if (strchr(addr, ':')) {
		struct sockaddr_in6 *s = (struct sockaddr_in6 *)&r->peer;
		s->sin6_family = AF_INET6;
		s->sin6_port = htons(40000);
		assert_int_equal(inet_pton(AF_INET6, addr, &s->sin6_addr), 1);
		r->peerlen = sizeof(*s);
	} else {
		struct sockaddr_in *s = (struct sockaddr_in *)&r->peer;
		s->sin_family = AF_INET;
		s->sin_port = htons(40000);
		assert_int_equal(inet_pton(AF_INET, addr, &s->sin_addr), 1);
		r->peerlen = sizeof(*s);
	}
	r->transport = QUERY_UDP;
	return r;
}

/* Process reqs as one batch and return the commit status. */
static int batch(struct fixture *f, struct writer_req **reqs, size_t n)
{
	return writer_process_batch(f->w, f->conf, reqs, n);
}

/* One request alone in a batch; returns its rcode (the request is kept in *out if asked). */
static int one(struct fixture *f, const struct msg *m, const char *addr, struct writer_req **out)
{
	struct writer_req *r = req_from(m, addr);
	assert_int_equal(batch(f, &r, 1), 0);
	int rcode = r->rcode;
	if (out)
		*out = r;
	else
		writer_req_free(r);
	return rcode;
}

/* ---- looking at the store and the answers ---- */

/* Number of RRs in <owner, type> as a fresh read transaction sees it. */
static int rr_count(struct fixture *f, const char *owner, uint16_t type)
{
	struct store_txn *t;
	struct store_zone z;
	struct store_rrset rs;
	uint8_t apex[ILNPDNS_DNAME_MAXLEN], o[ILNPDNS_DNAME_MAXLEN], key[ILNPDNS_DNAME_KEYMAX];
	wname("@", apex);
	wname(owner, o);
	assert_int_equal(store_txn_begin(f->st, false, &t), 0);
	assert_int_equal(store_zone_get(t, apex, &z), 0);
	size_t kl = store_owner_key(&z, o, key);
	int n = store_rrset_get(t, &z, key, kl, type, &rs) == 0 ? rs.count : 0;
	store_txn_abort(t);
	return n;
}

static uint32_t serial(struct fixture *f)
{
	struct store_txn *t;
	struct store_zone z;
	uint8_t apex[ILNPDNS_DNAME_MAXLEN];
	wname("@", apex);
	assert_int_equal(store_txn_begin(f->st, false, &t), 0);
	assert_int_equal(store_zone_get(t, apex, &z), 0);
	uint32_t s = z.serial;
	store_txn_abort(t);
	return s;
}

/* The answer's header and zone echo; returns its rcode (header bits only). */
static int check_answer(const struct writer_req *r, uint16_t id, uint16_t arcount)
{
	const uint8_t *a = r->ans;
	assert_true(r->anslen >= ILNPDNS_HDR_LEN);
	assert_int_equal(ilnpdns_get16(a), id);
	uint16_t flags = ilnpdns_get16(a + 2);
	assert_true(flags & ILNPDNS_FLAG_QR);
	assert_int_equal(ILNPDNS_OPCODE(flags), ILNPDNS_OP_UPDATE);
	assert_int_equal(flags & 0x07f0, 0); /* AA TC RD RA Z AD CD all clear */
	assert_int_equal(ilnpdns_get16(a + 4), 1);
	assert_int_equal(ilnpdns_get16(a + 6), 0);
	assert_int_equal(ilnpdns_get16(a + 8), 0);
	assert_int_equal(ilnpdns_get16(a + 10), arcount);
	/* The zone section echoes the request's. */
	size_t zl = ilnpdns_dname_len(r->msg + ILNPDNS_HDR_LEN);
	assert_memory_equal(a + ILNPDNS_HDR_LEN, r->msg + ILNPDNS_HDR_LEN, zl + 4);
	return ILNPDNS_RCODE(flags);
}

/* A TSIG-signed answer must verify against the request's exchange state. */
static void check_signed(struct fixture *f, struct msg *m, const struct writer_req *r)
{
	assert_int_equal(ilnpdns_tsig_verify_answer(f->tsig, &m->st, r->ans, r->anslen, f->now), 0);
}

/* ==== group commit ==== */

static void test_group_commit(void **state)
{
	struct fixture *f = *state;
	struct msg m[5];
	struct writer_req *r[5];
	struct store_txn *reader;

	/* A reader that exists before the batch and renews per batch, as workers do. */
	assert_int_equal(store_txn_begin(f->st, false, &reader), 0);
	store_txn_reset(reader);

	msg_begin(&m[0], 100);
	add_l64(&m[0], "host1", 0x1111);
	msg_begin(&m[1], 101);
	pre_exists(&m[1], "nothere", ILNPDNS_T_A); /* false: NXRRSET */
	add_l64(&m[1], "host1", 0x2222);
	msg_begin(&m[2], 102);
	add_l64(&m[2], "host3", 0x3333);
	msg_begin_zone(&m[3], 103, "other.test.");
	add_l64(&m[3], "x.other.test.", 0x4444);
	msg_begin(&m[4], 104);
	pre_exists(&m[4], "host2", ILNPDNS_T_L64); /* true */
	msg_rr(&m[4], SEC_UPD, "host2", ILNPDNS_T_L64, ILNPDNS_C_ANY, 0, NULL, 0);
	for (int i = 0; i < 5; i++) {
		tsig_sign(f, &m[i], &f->key);
		r[i] = req_from(&m[i], "192.0.2.10");
	}
	assert_int_equal(serial(f), 100);
	assert_int_equal(batch(f, r, 5), 0);

	/* Each its own rcode; the failed prerequisite undid nothing else. */
	assert_int_equal(r[0]->rcode, ILNPDNS_RCODE_NOERROR);
	assert_int_equal(r[1]->rcode, ILNPDNS_RCODE_NXRRSET);
	assert_int_equal(r[2]->rcode, ILNPDNS_RCODE_NOERROR);
	assert_int_equal(r[3]->rcode, ILNPDNS_RCODE_NOTAUTH);
	assert_int_equal(r[4]->rcode, ILNPDNS_RCODE_NOERROR);
	assert_int_equal(rr_count(f, "host1", ILNPDNS_T_L64), 2);
	assert_int_equal(rr_count(f, "host3", ILNPDNS_T_L64), 1);
	assert_int_equal(rr_count(f, "host2", ILNPDNS_T_L64), 0);
	/* One serial step per changing update, all in one commit. */
	assert_int_equal(serial(f), 103);
	assert_true(r[0]->changed && r[2]->changed && r[4]->changed);
	assert_int_equal(r[4]->new_serial, 103);

	/* Every answer: header, zone echo, a TSIG that verifies (whatever the rcode). */
	for (int i = 0; i < 5; i++) {
		assert_int_equal(check_answer(r[i], (uint16_t)(100 + i), 1), r[i]->rcode);
		check_signed(f, &m[i], r[i]);
	}
	assert_int_equal(f->stats.update.batches, 1);
	assert_int_equal(f->stats.update.batched, 5);
	assert_int_equal(f->stats.update.batch_size[2], 1); /* 5..16 */
	assert_int_equal(f->stats.update.rcode[ILNPDNS_RCODE_NOERROR], 3);
	assert_int_equal(f->stats.update.rcode[ILNPDNS_RCODE_NXRRSET], 1);
	assert_int_equal(f->stats.update.received[QUERY_UDP], 5);
	assert_int_equal(f->stats.opcode[ILNPDNS_OP_UPDATE], 5);

	/* The renewed reader sees the commit (what a worker's next batch does). */
	assert_int_equal(store_txn_renew(reader), 0);
	struct store_zone z;
	uint8_t apex[ILNPDNS_DNAME_MAXLEN];
	wname("@", apex);
	assert_int_equal(store_zone_get(reader, apex, &z), 0);
	assert_int_equal(z.serial, 103);
	store_txn_abort(reader);
	for (int i = 0; i < 5; i++)
		writer_req_free(r[i]);
}

/* Journal entries of the zone, as (old, new) serial pairs. */
struct chain {
	uint32_t pairs[16][2];
	size_t n;
};

static int chain_add(const struct store_journal_entry *e, void *arg)
{
	struct chain *c = arg;
	if (c->n < 16) {
		c->pairs[c->n][0] = e->old_serial;
		c->pairs[c->n][1] = e->new_serial;
	}
	c->n++;
	return 0;
}

static void journal_chain(struct fixture *f, struct chain *c)
{
	struct store_txn *t;
	struct store_zone z;
	uint8_t apex[ILNPDNS_DNAME_MAXLEN];
	wname("@", apex);
	memset(c, 0, sizeof(*c));
	assert_int_equal(store_txn_begin(f->st, false, &t), 0);
	assert_int_equal(store_zone_get(t, apex, &z), 0);
	assert_int_equal(store_journal_foreach(t, &z, 0, chain_add, c), 0);
	store_txn_abort(t);
}

/*
 * One batch, one commit, yet each update is checked in order against the
 * zone as the updates before it left it (RFC 2136 3.7: as if processed one
 * after another): an earlier update's change, not yet committed, decides a
 * later update's prerequisites, and a failed update takes nothing back.
 */
static void test_group_commit_in_order(void **state)
{
	struct fixture *f = *state;
	struct msg m[6];
	struct writer_req *r[6];
	uint8_t rd5[10] = {0, 10, 0x20, 0x01, 0x0d, 0xb8, 0x55, 0x55, 0, 0};

	msg_begin(&m[0], 200); /* host5 absent: add it */
	msg_rr(&m[0], SEC_PRE, "host5", ILNPDNS_T_ANY, ILNPDNS_C_NONE, 0, NULL, 0);
	add_l64(&m[0], "host5", 0x5555);
	msg_begin(&m[1], 201); /* the same, racing: host5 now exists */
	msg_rr(&m[1], SEC_PRE, "host5", ILNPDNS_T_ANY, ILNPDNS_C_NONE, 0, NULL, 0);
	add_l64(&m[1], "host5", 0x6666);
	msg_begin(&m[2], 202); /* value-dependent on m[0]'s RR */
	msg_rr(&m[2], SEC_PRE, "host5", ILNPDNS_T_L64, ILNPDNS_C_IN, 0, rd5, sizeof(rd5));
	add_l64(&m[2], "host6", 0x7777);
	msg_begin(&m[3], 203); /* delete all at host5 */
	pre_exists(&m[3], "host5", ILNPDNS_T_L64);
	msg_rr(&m[3], SEC_UPD, "host5", ILNPDNS_T_ANY, ILNPDNS_C_ANY, 0, NULL, 0);
	msg_begin(&m[4], 204); /* host5 is gone again */
	msg_rr(&m[4], SEC_PRE, "host5", ILNPDNS_T_ANY, ILNPDNS_C_ANY, 0, NULL, 0);
	add_l64(&m[4], "host8", 0x8888);
	msg_begin(&m[5], 205); /* a good RR, then one outside the zone: all or nothing */
	add_l64(&m[5], "host7", 0x9999);
	add_l64(&m[5], "x.other.test.", 0x9999);
	for (int i = 0; i < 6; i++) {
		tsig_sign(f, &m[i], &f->key);
		r[i] = req_from(&m[i], "192.0.2.10");
	}
	assert_int_equal(batch(f, r, 6), 0);

	assert_int_equal(r[0]->rcode, ILNPDNS_RCODE_NOERROR);
	assert_int_equal(r[1]->rcode, ILNPDNS_RCODE_YXDOMAIN);
	assert_int_equal(r[2]->rcode, ILNPDNS_RCODE_NOERROR);
	assert_int_equal(r[3]->rcode, ILNPDNS_RCODE_NOERROR);
	assert_int_equal(r[4]->rcode, ILNPDNS_RCODE_NXDOMAIN);
	assert_int_equal(r[5]->rcode, ILNPDNS_RCODE_NOTZONE);
	assert_int_equal(rr_count(f, "host5", ILNPDNS_T_L64), 0);
	assert_int_equal(rr_count(f, "host6", ILNPDNS_T_L64), 1);
	assert_int_equal(rr_count(f, "host7", ILNPDNS_T_L64), 0);
	assert_int_equal(rr_count(f, "host8", ILNPDNS_T_L64), 0);
	for (int i = 0; i < 6; i++)
		assert_int_equal(check_answer(r[i], (uint16_t)(200 + i), 1), r[i]->rcode);

	/* Three changes: three serial steps and three chained journal entries,
	 * written in the one transaction the batch committed. */
	assert_int_equal(serial(f), 103);
	assert_int_equal(r[0]->new_serial, 101);
	assert_int_equal(r[2]->new_serial, 102);
	assert_int_equal(r[3]->new_serial, 103);
	struct chain c;
	journal_chain(f, &c);
	assert_int_equal(c.n, 3);
	for (uint32_t i = 0; i < 3; i++) {
		assert_int_equal(c.pairs[i][0], 100 + i);
		assert_int_equal(c.pairs[i][1], 101 + i);
	}
	assert_int_equal(f->stats.update.batches, 1);
	assert_int_equal(f->stats.update.batched, 6);
	for (int i = 0; i < 6; i++)
		writer_req_free(r[i]);
}

/* ==== authentication before anything else ==== */

static void test_auth_before_prereqs(void **state)
{
	struct fixture *f = *state;
	struct msg m;
	struct writer_req *r;

	/* Unsigned from outside allow-update-unsigned, false prerequisite: REFUSED. */
	msg_begin(&m, 1);
	pre_exists(&m, "nothere", ILNPDNS_T_A);
	add_l64(&m, "host1", 1);
	assert_int_equal(one(f, &m, "192.0.2.99", &r), ILNPDNS_RCODE_REFUSED);
	assert_int_equal(check_answer(r, 1, 0), ILNPDNS_RCODE_REFUSED);
	writer_req_free(r);

	/* Wrong secret: NOTAUTH/BADSIG, unsigned (MAC size 0), never NXRRSET. */
	msg_begin(&m, 2);
	pre_exists(&m, "nothere", ILNPDNS_T_A);
	add_l64(&m, "host1", 2);
	tsig_sign(f, &m, &f->wrong);
	assert_int_equal(one(f, &m, "192.0.2.99", &r), ILNPDNS_RCODE_NOTAUTH);
	assert_int_equal(r->tsig_error, ILNPDNS_TSIG_BADSIG);
	assert_int_equal(check_answer(r, 2, 1), ILNPDNS_RCODE_NOTAUTH);
	struct ilnpdns_tsig_rr trr;
	assert_int_equal(ilnpdns_tsig_find(r->ans, r->anslen, &trr), 1);
	assert_int_equal(trr.error, ILNPDNS_TSIG_BADSIG);
	assert_int_equal(trr.mac_len, 0);
	writer_req_free(r);

	/* Unknown key: NOTAUTH/BADKEY. */
	msg_begin(&m, 3);
	pre_exists(&m, "nothere", ILNPDNS_T_A);
	add_l64(&m, "host1", 3);
	tsig_sign(f, &m, &f->unknown);
	assert_int_equal(one(f, &m, "192.0.2.98", &r), ILNPDNS_RCODE_NOTAUTH);
	assert_int_equal(r->tsig_error, ILNPDNS_TSIG_BADKEY);
	writer_req_free(r);

	/* A good key with no rights, false prerequisite: REFUSED by the policy. */
	msg_begin(&m, 4);
	pre_exists(&m, "nothere", ILNPDNS_T_A);
	add_l64(&m, "host1", 4);
	tsig_sign(f, &m, &f->other);
	assert_int_equal(one(f, &m, "192.0.2.97", &r), ILNPDNS_RCODE_REFUSED);
	check_signed(f, &m, r);
	writer_req_free(r);

	/* Clock outside the fudge: BADTIME, signed, with our time. */
	msg_begin(&m, 5);
	add_l64(&m, "host1", 5);
	tsig_sign(f, &m, &f->key);
	f->now += 301;
	assert_int_equal(one(f, &m, "192.0.2.96", &r), ILNPDNS_RCODE_NOTAUTH);
	assert_int_equal(r->tsig_error, ILNPDNS_TSIG_BADTIME);
	assert_int_equal(
	    ilnpdns_tsig_verify_answer(f->tsig, &m.st, r->ans, r->anslen, f->now - 301),
	    ILNPDNS_EBADTIME);
	assert_int_equal(m.st.other_time, f->now);
	writer_req_free(r);

	assert_int_equal(rr_count(f, "host1", ILNPDNS_T_L64), 1);
	assert_int_equal(serial(f), 100);
	assert_int_equal(f->stats.update.tsig_failures, 3);
}

/* ==== replays ==== */

static void test_replay(void **state)
{
	struct fixture *f = *state;
	struct msg m;
	struct writer_req *r[2];

	msg_begin(&m, 7);
	add_l64(&m, "host1", 7);
	tsig_sign(f, &m, &f->key);
	r[0] = req_from(&m, "192.0.2.10");
	assert_int_equal(batch(f, r, 1), 0);
	assert_int_equal(r[0]->rcode, ILNPDNS_RCODE_NOERROR);

	/* The same octets again, later in the fudge window, then in one batch twice. */
	f->now += 10;
	r[1] = req_from(&m, "192.0.2.10");
	assert_int_equal(batch(f, &r[1], 1), 0);
	assert_int_equal(r[1]->rcode, ILNPDNS_RCODE_NOTAUTH);
	assert_int_equal(r[1]->tsig_error, ILNPDNS_TSIG_BADTIME);
	assert_true(r[1]->tsig.replay);
	assert_int_equal(serial(f), 101);
	writer_req_free(r[0]);
	writer_req_free(r[1]);

	msg_begin(&m, 8);
	add_l64(&m, "host1", 8);
	tsig_sign(f, &m, &f->key);
	r[0] = req_from(&m, "192.0.2.10");
	r[1] = req_from(&m, "192.0.2.11");
	assert_int_equal(batch(f, r, 2), 0);
	assert_int_equal(r[0]->rcode, ILNPDNS_RCODE_NOERROR);
	assert_int_equal(r[1]->rcode, ILNPDNS_RCODE_NOTAUTH);
	assert_int_equal(serial(f), 102);
	writer_req_free(r[0]);
	writer_req_free(r[1]);
}

/* Close the writer and the store and open them again, as a restart does. */
static void reopen(struct fixture *f)
{
	writer_free(f->w);
	store_close(f->st);
	assert_int_equal(store_open(&f->st, f->dir, 64 << 20, 0), 0);
	assert_int_equal(writer_new(&f->w, f->st, &f->stats), 0);
	writer_set_clock(f->w, fake_clock, &f->now);
}

/* Is the (key, MAC) of signed request m in the store's replay table? The
 * digest is computed here as store.h documents it. */
static bool replay_stored(struct fixture *f, const struct msg *m)
{
	uint8_t buf[ILNPDNS_DNAME_MAXLEN + ILNPDNS_TSIG_MAC_MAX], md[EVP_MAX_MD_SIZE];
	unsigned mdlen = 0;
	size_t kl = ilnpdns_dname_len(m->st.key_name);
	size_t ml = m->st.mac_len < 10 ? m->st.mac_len : 10;
	memcpy(buf, m->st.key_name, kl);
	memcpy(buf + kl, m->st.mac, ml);
	assert_true(EVP_Digest(buf, kl + ml, md, &mdlen, EVP_sha256(), NULL));
	struct store_txn *t;
	assert_int_equal(store_txn_begin(f->st, true, &t), 0);
	/* now 0: any stored entry counts as live; the probe is aborted. */
	int rc = store_replay_check_add(t, md, 1, 0);
	store_txn_abort(t);
	assert_true(rc == 0 || rc == ILNPDNS_EEXIST);
	return rc == ILNPDNS_EEXIST;
}

/* A replay answer: NOTAUTH, a TSIG (signed) with BADTIME, marked a replay. */
static void check_replay_answer(const struct writer_req *r, uint16_t id)
{
	assert_int_equal(r->rcode, ILNPDNS_RCODE_NOTAUTH);
	assert_int_equal(r->tsig_error, ILNPDNS_TSIG_BADTIME);
	assert_true(r->tsig.replay);
	assert_non_null(r->why);
	assert_string_equal(r->why, "TSIG replay");
	assert_int_equal(check_answer(r, id, 1), ILNPDNS_RCODE_NOTAUTH);
}

/* Added, deleted, restart, the add replayed within the fudge: refused, and
 * the record stays absent. The entry is pruned once expired. */
static void test_replay_restart(void **state)
{
	struct fixture *f = *state;
	struct msg m, del;
	struct writer_req *r;
	uint64_t fails0 = f->stats.update.tsig_failures;

	msg_begin(&m, 21);
	add_l64(&m, "new1", 21);
	tsig_sign(f, &m, &f->key);
	assert_int_equal(one(f, &m, "192.0.2.10", NULL), ILNPDNS_RCODE_NOERROR);
	assert_int_equal(rr_count(f, "new1", ILNPDNS_T_L64), 1);
	assert_true(replay_stored(f, &m));

	msg_begin(&del, 22);
	msg_rr(&del, SEC_UPD, "new1", ILNPDNS_T_L64, ILNPDNS_C_ANY, 0, NULL, 0);
	tsig_sign(f, &del, &f->key);
	assert_int_equal(one(f, &del, "192.0.2.10", NULL), ILNPDNS_RCODE_NOERROR);
	assert_int_equal(rr_count(f, "new1", ILNPDNS_T_L64), 0);
	uint32_t s = serial(f);

	reopen(f);
	f->now += 60;
	assert_int_equal(one(f, &m, "192.0.2.10", &r), ILNPDNS_RCODE_NOTAUTH);
	check_replay_answer(r, 21);
	writer_req_free(r);
	assert_int_equal(rr_count(f, "new1", ILNPDNS_T_L64), 0);
	assert_int_equal(serial(f), s);
	assert_int_equal(f->stats.update.tsig_failures, fails0 + 1);

	/* Past Time Signed + fudge + margin, the next batch prunes both. */
	f->now = T0 + ILNPDNS_TSIG_FUDGE + 60;
	msg_begin(&m, 23);
	add_l64(&m, "new2", 23);
	tsig_sign(f, &m, &f->key);
	assert_int_equal(one(f, &m, "192.0.2.10", NULL), ILNPDNS_RCODE_NOERROR);
	assert_false(replay_stored(f, &del));
	assert_true(replay_stored(f, &m));
}

/* A signed update whose prerequisite fails changes nothing, yet its MAC is
 * committed: replayed after a restart, it is refused as a replay. */
static void test_replay_failed_prereq(void **state)
{
	struct fixture *f = *state;
	struct msg m;
	struct writer_req *r;

	msg_begin(&m, 31);
	pre_exists(&m, "nohost", ILNPDNS_T_L64);
	add_l64(&m, "new3", 31);
	tsig_sign(f, &m, &f->key);
	assert_int_equal(one(f, &m, "192.0.2.10", NULL), ILNPDNS_RCODE_NXRRSET);
	assert_true(replay_stored(f, &m));
	/* In a later batch without a restart too. */
	assert_int_equal(one(f, &m, "192.0.2.10", &r), ILNPDNS_RCODE_NOTAUTH);
	check_replay_answer(r, 31);
	writer_req_free(r);

	reopen(f);
	f->now += 5;
	assert_int_equal(one(f, &m, "192.0.2.10", &r), ILNPDNS_RCODE_NOTAUTH);
	check_replay_answer(r, 31);
	writer_req_free(r);
	assert_int_equal(rr_count(f, "new3", ILNPDNS_T_L64), 0);
	assert_int_equal(serial(f), 100);
}

#define MANY_UPDATES 9000 /* beyond the 8,192 entries of the old in-memory table */
#define MANY_BATCH   500

/* After more signed updates than the old table held, a replay is refused. */
static void test_replay_after_many(void **state)
{
	struct fixture *f = *state;
	static struct msg m, first;
	struct writer_req *reqs[MANY_BATCH], *r;

	msg_begin(&first, 1);
	add_l64(&first, "new4", 1);
	tsig_sign(f, &first, &f->key);
	assert_int_equal(one(f, &first, "192.0.2.10", NULL), ILNPDNS_RCODE_NOERROR);
	unsigned nxrrset = 0;
	for (unsigned i = 0; i < MANY_UPDATES; i += MANY_BATCH) {
		for (unsigned k = 0; k < MANY_BATCH; k++) {
			/* Distinct IDs: distinct MACs, each a new replay entry. */
			msg_begin(&m, (uint16_t)(2 + i + k));
			pre_exists(&m, "nohost", ILNPDNS_T_L64);
			tsig_sign(f, &m, &f->key);
			reqs[k] = req_from(&m, "192.0.2.10");
		}
		assert_int_equal(batch(f, reqs, MANY_BATCH), 0);
		for (unsigned k = 0; k < MANY_BATCH; k++) {
			nxrrset += reqs[k]->rcode == ILNPDNS_RCODE_NXRRSET;
			writer_req_free(reqs[k]);
		}
	}
	assert_int_equal(nxrrset, MANY_UPDATES);
	f->now += 30;
	assert_int_equal(one(f, &first, "192.0.2.20", &r), ILNPDNS_RCODE_NOTAUTH);
	check_replay_answer(r, 1);
	writer_req_free(r);
	/* And every one of the others is still remembered too (sampled). */
	for (unsigned i = 0; i < MANY_UPDATES; i += 997) {
		msg_begin(&m, (uint16_t)(2 + i));
		pre_exists(&m, "nohost", ILNPDNS_T_L64);
		f->now -= 30;
		tsig_sign(f, &m, &f->key);
		f->now += 30;
		/* One source each: update-fail-limit (3) counts replays too. */
		char src[32];
		snprintf(src, sizeof(src), "192.0.3.%u", 1 + i / 997);
		assert_int_equal(one(f, &m, src, &r), ILNPDNS_RCODE_NOTAUTH);
		check_replay_answer(r, (uint16_t)(2 + i));
		writer_req_free(r);
	}
}

/* ==== the per-source failure limit ==== */

static void test_fail_limit(void **state)
{
	struct fixture *f = *state;
	struct msg m;
	uint16_t id = 20;

	/* update-fail-limit: 3. Three forgeries from one source... */
	for (int i = 0; i < 3; i++) {
		msg_begin(&m, id++);
		add_l64(&m, "host1", 0x100);
		tsig_sign(f, &m, &f->wrong);
		assert_int_equal(one(f, &m, "192.0.2.66", NULL), ILNPDNS_RCODE_NOTAUTH);
	}
	/* ...and even a good signature from there is refused, without a check. */
	msg_begin(&m, id++);
	add_l64(&m, "host1", 0x101);
	tsig_sign(f, &m, &f->key);
	struct writer_req *r;
	assert_int_equal(one(f, &m, "192.0.2.66", &r), ILNPDNS_RCODE_REFUSED);
	assert_int_equal(f->stats.update.limited, 1);
	assert_int_equal(r->tsig_answer, false); /* nothing was verified */
	writer_req_free(r);
	/* Other sources are not affected. */
	msg_begin(&m, id++);
	add_l64(&m, "host1", 0x102);
	tsig_sign(f, &m, &f->key);
	assert_int_equal(one(f, &m, "192.0.2.67", NULL), ILNPDNS_RCODE_NOERROR);
	/* Unsigned updates from an allowed prefix are not signed updates: no limit. */
	for (int i = 0; i < 3; i++) {
		msg_begin(&m, id++);
		add_l64(&m, "host1", 0x10);
		tsig_sign(f, &m, &f->wrong);
		assert_int_equal(one(f, &m, "10.9.1.1", NULL), ILNPDNS_RCODE_NOTAUTH);
	}
	msg_begin(&m, id++);
	add_l64(&m, "host1", 0x11);
	assert_int_equal(one(f, &m, "10.9.1.1", NULL), ILNPDNS_RCODE_NOERROR);

	/* A minute later the source may try again. */
	f->now += 61;
	msg_begin(&m, id++);
	add_l64(&m, "host1", 0x103);
	tsig_sign(f, &m, &f->key);
	assert_int_equal(one(f, &m, "192.0.2.66", NULL), ILNPDNS_RCODE_NOERROR);
	assert_int_equal(f->stats.update.limited, 1);
	assert_int_equal(rr_count(f, "host1", ILNPDNS_T_L64), 4);

	/* Twice as many failing sources as the table holds: it does not grow,
	 * and a source that keeps failing is still caught afterwards. */
	msg_begin(&m, id++);
	add_l64(&m, "host1", 0x200);
	tsig_sign(f, &m, &f->wrong);
	enum { FLOOD = 2 * WRITER_FAIL_SLOTS, PER_BATCH = 64 };
	struct writer_req *rs[PER_BATCH];
	for (unsigned i = 0; i < FLOOD; i += PER_BATCH) {
		for (unsigned j = 0; j < PER_BATCH; j++) {
			char a[32];
			snprintf(a, sizeof(a), "198.18.%u.%u", ((i + j) >> 8) & 0xff,
			         (i + j) & 0xff);
			rs[j] = req_from(&m, a);
		}
		assert_int_equal(batch(f, rs, PER_BATCH), 0);
		for (unsigned j = 0; j < PER_BATCH; j++) {
			assert_int_equal(rs[j]->rcode, ILNPDNS_RCODE_NOTAUTH);
			writer_req_free(rs[j]);
		}
	}
	for (int i = 0; i < 3; i++)
		assert_int_equal(one(f, &m, "192.0.2.68", NULL), ILNPDNS_RCODE_NOTAUTH);
	assert_int_equal(one(f, &m, "192.0.2.68", NULL), ILNPDNS_RCODE_REFUSED);
	assert_int_equal(f->stats.update.limited, 2);
}

/* ==== unsigned updates by address ==== */

static void test_unsigned_prefix(void **state)
{
	struct fixture *f = *state;
	struct msg m;

	msg_begin(&m, 30);
	add_l64(&m, "lab", 0x30);
	assert_int_equal(one(f, &m, "10.9.200.1", NULL), ILNPDNS_RCODE_NOERROR);
	assert_int_equal(rr_count(f, "lab", ILNPDNS_T_L64), 1);

	msg_begin(&m, 31);
	add_l64(&m, "lab2", 0x31);
	assert_int_equal(one(f, &m, "10.10.0.1", NULL), ILNPDNS_RCODE_REFUSED);
	assert_int_equal(one(f, &m, "::1", NULL), ILNPDNS_RCODE_REFUSED);
	assert_int_equal(one(f, &m, "192.0.2.1", NULL), ILNPDNS_RCODE_REFUSED);
	assert_int_equal(rr_count(f, "lab2", ILNPDNS_T_L64), 0);

	/* An allowed source still gets NOTAUTH for a zone we do not serve. */
	msg_begin_zone(&m, 32, "other.test.");
	add_l64(&m, "a.other.test.", 0x32);
	assert_int_equal(one(f, &m, "10.9.0.1", NULL), ILNPDNS_RCODE_NOTAUTH);
	assert_int_equal(serial(f), 101);
}

/* ==== SIG(0) against the KEY in the zone ==== */

static void test_sig0(void **state)
{
	struct fixture *f = *state;
	struct msg m;
	struct ilnpdns_sig0_ctx *ctx;
	struct ilnpdns_sig0_key *k;
	struct writer_req *r;

	assert_int_equal(ilnpdns_sig0_ctx_new(&ctx), 0);
	ilnpdns_sig0_ctx_set_clock(ctx, fake_clock, &f->now);
	assert_int_equal(ilnpdns_sig0_key_load(SIG0_DATADIR "/Khost1.example.ilnp.+015+63052", &k),
	                 0);

	msg_begin(&m, 40);
	add_l64(&m, "host1", 0x40);
	int n = ilnpdns_sig0_sign(ctx, k, m.b, m.len, sizeof(m.b), NULL, 0);
	assert_true(n > 0);
	m.len = (size_t)n;
	assert_int_equal(one(f, &m, "192.0.2.40", &r), ILNPDNS_RCODE_NOERROR);
	assert_int_equal(check_answer(r, 40, 0), ILNPDNS_RCODE_NOERROR); /* unsigned answer */
	writer_req_free(r);
	assert_int_equal(rr_count(f, "host1", ILNPDNS_T_L64), 2);

	/* The signer's policy is "self": host2 is not its to change. */
	msg_begin(&m, 41);
	add_l64(&m, "host2", 0x41);
	m.len = (size_t)ilnpdns_sig0_sign(ctx, k, m.b, m.len, sizeof(m.b), NULL, 0);
	assert_int_equal(one(f, &m, "192.0.2.40", NULL), ILNPDNS_RCODE_REFUSED);

	/* A flipped signature octet, and an expired signature: REFUSED. */
	msg_begin(&m, 42);
	pre_exists(&m, "nothere", ILNPDNS_T_A);
	add_l64(&m, "host1", 0x42);
	m.len = (size_t)ilnpdns_sig0_sign(ctx, k, m.b, m.len, sizeof(m.b), NULL, 0);
	m.b[m.len - 1] ^= 1;
	assert_int_equal(one(f, &m, "192.0.2.41", NULL), ILNPDNS_RCODE_REFUSED);
	m.b[m.len - 1] ^= 1;
	f->now += 3600;
	assert_int_equal(one(f, &m, "192.0.2.42", NULL), ILNPDNS_RCODE_REFUSED);
	f->now -= 3600;
	assert_int_equal(f->stats.update.sig0_failures, 2);
	assert_int_equal(rr_count(f, "host1", ILNPDNS_T_L64), 2);
	ilnpdns_sig0_key_free(k);

	/* host1's ECDSA key: the zone holds no KEY of that algorithm and tag. */
	assert_int_equal(ilnpdns_sig0_key_load(SIG0_DATADIR "/Khost1.example.ilnp.+013+22777", &k),
	                 0);
	msg_begin(&m, 43);
	add_l64(&m, "host1", 0x43);
	m.len = (size_t)ilnpdns_sig0_sign(ctx, k, m.b, m.len, sizeof(m.b), NULL, 0);
	assert_int_equal(one(f, &m, "192.0.2.43", &r), ILNPDNS_RCODE_REFUSED);
	assert_string_equal(r->why, "no usable KEY matches the SIG(0)");
	writer_req_free(r);
	ilnpdns_sig0_key_free(k);
	ilnpdns_sig0_ctx_free(ctx);
}

/* ==== answer format: OPT, BADVERS, FORMERR ==== */

static void test_answer_format(void **state)
{
	struct fixture *f = *state;
	struct msg m;
	struct writer_req *r;

	/* OPT echoed, before the TSIG. */
	msg_begin(&m, 50);
	add_l64(&m, "host1", 0x50);
	add_opt(&m, 0);
	tsig_sign(f, &m, &f->key);
	assert_int_equal(one(f, &m, "192.0.2.50", &r), ILNPDNS_RCODE_NOERROR);
	assert_int_equal(check_answer(r, 50, 2), ILNPDNS_RCODE_NOERROR);
	check_signed(f, &m, r);
	size_t opt = ILNPDNS_HDR_LEN + ilnpdns_dname_len(r->ans + ILNPDNS_HDR_LEN) + 4;
	assert_int_equal(r->ans[opt], 0);
	assert_int_equal(ilnpdns_get16(r->ans + opt + 1), ILNPDNS_T_OPT);
	writer_req_free(r);

	/* EDNS version 1: BADVERS (16: extended RCODE 1 in the OPT, header 0). */
	msg_begin(&m, 51);
	add_l64(&m, "host1", 0x51);
	add_opt(&m, 1);
	tsig_sign(f, &m, &f->key);
	assert_int_equal(one(f, &m, "192.0.2.50", &r), ILNPDNS_RCODE_BADVERS);
	assert_int_equal(check_answer(r, 51, 2), 0);
	assert_int_equal(r->ans[opt + 5], 1);
	check_signed(f, &m, r);
	writer_req_free(r);

	/* ZOCOUNT 2: FORMERR, no zone echoed. */
	msg_begin(&m, 52);
	m.count[0] = 2;
	put_counts(&m);
	assert_int_equal(one(f, &m, "10.9.0.1", &r), ILNPDNS_RCODE_FORMERR);
	assert_int_equal(ilnpdns_get16(r->ans + 4), 0);
	assert_int_equal(ILNPDNS_RCODE(ilnpdns_get16(r->ans + 2)), ILNPDNS_RCODE_FORMERR);
	writer_req_free(r);
	assert_int_equal(serial(f), 101);
}

/* ==== a full map: SERVFAIL, and no NOERROR without its data ==== */

static void test_map_full(void **state)
{
	struct fixture *f = *state;
	static struct msg m[24];
	struct writer_req *r[24];
	static uint8_t big[60000];
	memset(big, 0x5a, sizeof(big));

	for (int i = 0; i < 24; i++) {
		char owner[32];
		msg_begin(&m[i], (uint16_t)(60 + i));
		if (i % 3 == 0) {
			snprintf(owner, sizeof(owner), "small%d", i);
			add_l64(&m[i], owner, (uint16_t)i);
		} else {
			snprintf(owner, sizeof(owner), "big%d", i);
			msg_rr(&m[i], SEC_UPD, owner, 65280, ILNPDNS_C_IN, 0, big, sizeof(big));
		}
		r[i] = req_from(&m[i], "10.9.0.1");
	}
	/* The batch limit is the caller's business here: all 24 in one. */
	int rc = batch(f, r, 24);
	int servfail = 0, noerror = 0;
	for (int i = 0; i < 24; i++) {
		char owner[32];
		snprintf(owner, sizeof(owner), i % 3 == 0 ? "small%d" : "big%d", i);
		uint16_t type = i % 3 == 0 ? ILNPDNS_T_L64 : 65280;
		if (r[i]->rcode == ILNPDNS_RCODE_NOERROR) {
			noerror++;
			assert_int_equal(rr_count(f, owner, type), 1); /* acknowledged: stored */
		} else {
			assert_int_equal(r[i]->rcode, ILNPDNS_RCODE_SERVFAIL);
			servfail++;
			assert_int_equal(rr_count(f, owner, type), 0);
		}
		assert_int_equal(check_answer(r[i], (uint16_t)(60 + i), 0), r[i]->rcode);
		writer_req_free(r[i]);
	}
	assert_true(servfail > 0);
	if (rc == 0)
		assert_true(noerror > 0); /* the small ones got through */
	else
		assert_int_equal(f->stats.update.commit_failures, 1);
}

/* ==== the thread: queue, replies, drain on stop ==== */

struct replies {
	pthread_mutex_t lock;
	int n;
	int rcodes[64];
};

static struct replies replies = {.lock = PTHREAD_MUTEX_INITIALIZER};

static void on_reply(struct writer_req *r)
{
	pthread_mutex_lock(&replies.lock);
	replies.rcodes[ilnpdns_get16(r->msg) % 64] = r->anslen ? r->rcode : -1;
	replies.n++;
	pthread_mutex_unlock(&replies.lock);
	writer_req_free(r);
}

static struct conf *conf_get(void *arg)
{
	return conf_ref(arg);
}

static void test_thread_drain(void **state)
{
	struct fixture *f = *state;
	struct msg m;

	writer_set_clock(f->w, NULL, NULL); /* the real clock, for real signatures */
	f->now = (uint64_t)time(NULL);
	msg_begin(&m, 99);
	struct writer_req *early = req_from(&m, "10.9.0.1");
	assert_int_equal(writer_submit(f->w, early), ILNPDNS_EAGAIN); /* not started */
	writer_req_free(early);

	assert_int_equal(writer_start(f->w, conf_get, f->conf), 0);
	for (int i = 0; i < 40; i++) {
		char owner[32];
		snprintf(owner, sizeof(owner), "t%d", i);
		msg_begin(&m, (uint16_t)i);
		add_l64(&m, owner, (uint16_t)i);
		tsig_sign(f, &m, &f->key);
		struct writer_req *r = req_from(&m, "192.0.2.80");
		r->reply = on_reply;
		assert_int_equal(writer_submit(f->w, r), 0);
	}
	/* Stop at once: what was queued is still processed and answered. */
	writer_stop(f->w);
	assert_int_equal(replies.n, 40);
	for (int i = 0; i < 40; i++)
		assert_int_equal(replies.rcodes[i], ILNPDNS_RCODE_NOERROR);
	assert_int_equal(f->stats.update.batched, 40);
	assert_true(f->stats.update.batches >= 5); /* update-batch-max: 8 */
	assert_int_equal(serial(f), 140);
	struct writer_req *late = req_from(&m, "10.9.0.1");
	assert_int_equal(writer_submit(f->w, late), ILNPDNS_EAGAIN);
	writer_req_free(late);
}

/* Replies and commit hooks of the thread, in the order they came. */
struct order {
	struct fixture *f;
	int ids[64], n;
	bool seen_at_reply[64]; /* a query (read transaction) already saw the change */
	uint32_t serials[64];
	int nserials;
};

static struct order order;

static void on_reply_order(struct writer_req *r)
{
	uint16_t id = ilnpdns_get16(r->msg);
	char owner[32];
	snprintf(owner, sizeof(owner), "p%u", (unsigned)id);
	order.seen_at_reply[id % 64] = id % 2 == 0 && rr_count(order.f, owner, ILNPDNS_T_L64) == 1;
	order.ids[order.n % 64] = r->anslen && r->rcode == ILNPDNS_RCODE_NOERROR ? id : -1;
	order.n++;
	writer_req_free(r);
}

static void on_commit(const struct writer_change *ch, void *arg)
{
	(void)arg;
	order.serials[order.nserials++ % 64] = ch->new_serial;
}

/*
 * The thread answers each request once its batch's commit returned: every
 * answer comes in submission order, after its change is visible to a new
 * read transaction, an update that changes nothing (a prerequisite reading
 * the one before) is not answered before the batches ahead of it, and the
 * commit hook sees every serial once, in order.
 */
static void test_thread_order(void **state)
{
	struct fixture *f = *state;
	struct msg m;

	memset(&order, 0, sizeof(order));
	order.f = f;
	writer_set_clock(f->w, NULL, NULL);
	f->now = (uint64_t)time(NULL);
	writer_set_commit_hook(f->w, on_commit, NULL, NULL);
	uint32_t first = serial(f);
	assert_int_equal(writer_start(f->w, conf_get, f->conf), 0);
	for (int i = 0; i < 48; i++) {
		char owner[32];
		msg_begin(&m, (uint16_t)i);
		if (i % 2 == 0) {
			snprintf(owner, sizeof(owner), "p%d", i);
			add_l64(&m, owner, (uint16_t)i);
		} else {
			snprintf(owner, sizeof(owner), "p%d", i - 1);
			pre_exists(&m, owner, ILNPDNS_T_L64);
		}
		tsig_sign(f, &m, &f->key);
		struct writer_req *r = req_from(&m, "192.0.2.81");
		r->reply = on_reply_order;
		assert_int_equal(writer_submit(f->w, r), 0);
		if (i % 12 == 11)
			usleep(20000); /* let some batches end with an idle queue */
	}
	writer_stop(f->w);
	assert_int_equal(order.n, 48);
	for (int i = 0; i < 48; i++) {
		assert_int_equal(order.ids[i], i);
		if (i % 2 == 0)
			assert_true(order.seen_at_reply[i]);
	}
	assert_int_equal(serial(f), first + 24);
	assert_int_equal(order.nserials, 24);
	for (int i = 0; i < 24; i++)
		assert_int_equal(order.serials[i], first + 1 + (uint32_t)i);
	assert_int_equal(f->stats.update.batched, 48);
	assert_int_equal(f->stats.update.commit_failures, 0);
}

int main(void)
{
	ilnpdns_log_init("test_writer", LOG_WARNING, false); /* no line per update */
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_group_commit, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_group_commit_in_order, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_auth_before_prereqs, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_replay, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_replay_restart, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_replay_failed_prereq, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_replay_after_many, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_fail_limit, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_unsigned_prefix, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_sig0, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_answer_format, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_map_full, setup_small, teardown),
	    cmocka_unit_test_setup_teardown(test_thread_drain, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_thread_order, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
