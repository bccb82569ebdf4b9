/* SPDX-License-Identifier: BSD-2-Clause */
/* test_xfr.c -- AXFR/IXFR answers checked as a secondary would: ldns parsing, diffs applied, TSIG.
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
#include "ilnpdns/keys.h"
#include "ilnpdns/tsig.h"
#include "ilnpdns/wire.h"
#include "store.h"
#include "update.h"
#include "xfr.h"
#include "zoneload.h"

#define ZONE "example.ilnp."
#define NOW  1700000000u

/* TTLs other than 0 on ILNP types, so the ilnp_ttl override is visible. */
static const char zone_text[] = "$ORIGIN example.ilnp.\n"
                                "$TTL 3600\n"
                                "@ IN SOA ns1 hostmaster 100 3600 900 604800 0\n"
                                "@ NS ns1\n"
                                "@ NS ns2\n"
                                "ns1 A 192.0.2.1\n"
                                "ns2 A 192.0.2.2\n"
                                "host1 60 NID 10 0014:4fff:ff20:ee64\n"
                                "host1 60 L64 10 2001:0db8:1140:1000\n"
                                "host1 60 L32 10 10.1.2.0\n"
                                "host1 60 LP 10 l64-subnet1.example.ilnp.\n"
                                "host1 300 AAAA 2001:db8::1\n"
                                "l64-subnet1 60 L64 10 2001:0db8:1140:1000\n"
                                "www AAAA 2001:db8::80\n"
                                "alias CNAME www\n"
                                "mail MX 10 www\n"
                                "sub NS ns.sub\n"
                                "ns.sub A 192.0.2.53\n";

struct fixture {
	char dir[64];
	struct store *st;
	uint32_t ilnp_ttl;
};

static void load_text(struct fixture *f, const char *text)
{
	uint8_t apex[ILNPDNS_DNAME_MAXLEN];
	struct zoneload_result zr;
	char err[256] = "";
	assert_true(ilnpdns_dname_from_str(ZONE, apex) > 0);
	FILE *in = fmemopen((void *)text, strlen(text), "r");
	assert_non_null(in);
	int rc = zoneload_stream(f->st, apex, in, "test.zone", f->ilnp_ttl, &zr, err, sizeof(err));
	fclose(in);
	if (rc)
		fail_msg("zone load: %s (%d)", err, rc);
}

static int setup_ttl(void **state, uint32_t ilnp_ttl)
{
	struct fixture *f = calloc(1, sizeof(*f));
	strcpy(f->dir, "/tmp/ilnpdns-test-xfr-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	assert_int_equal(store_open(&f->st, f->dir, 256 << 20, 0), 0);
	f->ilnp_ttl = ilnp_ttl;
	load_text(f, zone_text);
	*state = f;
	return 0;
}

static int setup(void **state)
{
	return setup_ttl(state, 0); /* the ILNP TTL override at 0, as ilnpdns serves */
}

static int setup_keep(void **state)
{
	return setup_ttl(state, STORE_ILNP_TTL_KEEP);
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

/* ---- updates through the real UPDATE engine ---- */

struct msg {
	uint8_t b[65535];
	size_t len;
	uint16_t upcount;
};

static void msg_put(struct msg *m, const void *p, size_t n)
{
	assert_true(m->len + n <= sizeof(m->b));
	memcpy(m->b + m->len, p, n);
	m->len += n;
}

/*
 * One UPDATE from a list of operations: "+RR" adds, "-RR" deletes that RR,
 * "*owner TYPE" deletes the RRset. Names are relative to the zone.
 */
static void update(struct fixture *f, const char *const *ops, size_t nops)
{
	struct msg *m = calloc(1, sizeof(*m));
	uint8_t apex[ILNPDNS_DNAME_MAXLEN];
	assert_true(ilnpdns_dname_from_str(ZONE, apex) > 0);
	ilnpdns_put16(m->b, 7);
	ilnpdns_put16(m->b + 2, ILNPDNS_OP_UPDATE << 11);
	ilnpdns_put16(m->b + 4, 1);
	m->len = ILNPDNS_HDR_LEN;
	msg_put(m, apex, ilnpdns_dname_len(apex));
	uint8_t q[4];
	ilnpdns_put16(q, ILNPDNS_T_SOA);
	ilnpdns_put16(q + 2, ILNPDNS_C_IN);
	msg_put(m, q, 4);
	for (size_t i = 0; i < nops; i++) {
		const char *op = ops[i];
		if (op[0] == '*') {
			char owner[256], type[32], full[300];
			assert_int_equal(sscanf(op + 1, "%255s %31s", owner, type), 2);
			snprintf(full, sizeof(full), "%s.%s", owner, ZONE);
			uint8_t o[ILNPDNS_DNAME_MAXLEN], t[10] = {0};
			assert_true(ilnpdns_dname_from_str(full, o) > 0);
			msg_put(m, o, ilnpdns_dname_len(o));
			ilnpdns_put16(t, (uint16_t)ldns_get_rr_type_by_name(type));
			ilnpdns_put16(t + 2, ILNPDNS_C_ANY);
			msg_put(m, t, 10);
		} else {
			ldns_rr *rr = NULL;
			ldns_rdf *origin = ldns_dname_new_frm_str(ZONE);
			if (ldns_rr_new_frm_str(&rr, op + 1, 3600, origin, NULL) != LDNS_STATUS_OK)
				fail_msg("ldns cannot parse '%s'", op + 1);
			ldns_rdf_deep_free(origin);
			if (op[0] == '-') {
				ldns_rr_set_class(rr, LDNS_RR_CLASS_NONE);
				ldns_rr_set_ttl(rr, 0);
			}
			uint8_t *w = NULL;
			size_t wl = 0;
			assert_int_equal(ldns_rr2wire(&w, rr, LDNS_SECTION_AUTHORITY, &wl),
			                 LDNS_STATUS_OK);
			msg_put(m, w, wl);
			free(w);
			ldns_rr_free(rr);
		}
		m->upcount++;
	}
	ilnpdns_put16(m->b + 8, m->upcount);

	struct store_txn *batch, *t;
	struct update_result res;
	struct update_opts o = {.serial_policy = UPDATE_SERIAL_INCREMENT};
	assert_int_equal(store_txn_begin(f->st, true, &batch), 0);
	assert_int_equal(store_txn_begin_nested(batch, &t), 0);
	assert_int_equal(update_process(t, m->b, m->len, 0, &o, &res), 0);
	assert_int_equal(res.rcode, ILNPDNS_RCODE_NOERROR);
	assert_true(res.changed);
	assert_int_equal(store_txn_commit(t), 0);
	assert_int_equal(store_txn_commit(batch), 0);
	free(m);
}

#define UPDATE(f, ...)                                                                             \
	do {                                                                                       \
		const char *const ops_[] = {__VA_ARGS__};                                          \
		update(f, ops_, sizeof(ops_) / sizeof(ops_[0]));                                   \
	} while (0)

/* ---- the client side ---- */

/* Request in wire form: ID 0xbeef, RD set, qname as given (case kept). */
static size_t make_request(uint8_t *buf, const char *qname, uint16_t qtype, bool with_soa,
                           uint32_t serial)
{
	uint8_t name[ILNPDNS_DNAME_MAXLEN];
	size_t nl = (size_t)ilnpdns_dname_from_str(qname, name), len = ILNPDNS_HDR_LEN;
	memset(buf, 0, ILNPDNS_HDR_LEN);
	ilnpdns_put16(buf, 0xbeef);
	ilnpdns_put16(buf + 2, ILNPDNS_FLAG_RD);
	ilnpdns_put16(buf + 4, 1);
	memcpy(buf + len, name, nl);
	len += nl;
	ilnpdns_put16(buf + len, qtype);
	ilnpdns_put16(buf + len + 2, ILNPDNS_C_IN);
	len += 4;
	if (with_soa) {
		/* Owner and MNAME/RNAME compressed, as clients send them. */
		static const uint8_t tail[] = {0xc0, 0x0c, 0,   6,   0,    1,   0,   0,
		                               0,    0,    0,   30,  2,    'n', 's', 0xc0,
		                               0x0c, 2,    'h', 'm', 0xc0, 0x0c};
		memcpy(buf + len, tail, sizeof(tail));
		len += sizeof(tail);
		uint8_t num[20] = {0};
		ilnpdns_put32(num, serial);
		memcpy(buf + len, num, 20);
		len += 20;
		ilnpdns_put16(buf + 8, 1);
	}
	return len;
}

struct client {
	/* TSIG (optional) */
	bool sign;
	struct ilnpdns_tsig_key key;
	struct ilnpdns_tsig_ctx *cctx, *sctx;
	struct ilnpdns_tsig_state cst, sst;
	/* transfer parameters */
	struct xfr_opts opts;
	size_t cap;
	/* results */
	char **rrs; /* answer RRs of all messages in order, canonical text */
	size_t nrrs;
	size_t messages;
	size_t max_len;
	enum xfr_kind kind;
	bool soa_in_middle;
};

static const struct ilnpdns_tsig_key *lookup(const uint8_t *name, void *arg)
{
	const struct ilnpdns_tsig_key *k = arg;
	return ilnpdns_dname_equal(name, k->name) ? k : NULL;
}

static char *rr_text(ldns_rr *rr)
{
	ldns_rr2canonical(rr);
	char *s = ldns_rr2str(rr);
	size_t n = strlen(s);
	while (n && (s[n - 1] == '\n' || s[n - 1] == ' '))
		s[--n] = 0;
	return s;
}

static void client_free(struct client *c)
{
	for (size_t i = 0; i < c->nrrs; i++)
		free(c->rrs[i]);
	free(c->rrs);
	c->rrs = NULL;
	c->nrrs = 0;
	if (c->cctx)
		ilnpdns_tsig_ctx_free(c->cctx);
	if (c->sctx)
		ilnpdns_tsig_ctx_free(c->sctx);
	c->cctx = c->sctx = NULL;
}

static void client_key(struct client *c)
{
	char err[128];
	assert_int_equal(ilnpdns_tsig_key_init(&c->key, "xfr-key", "hmac-sha256",
	                                       "NoTCJU+DMqFWywaPyxSijrDEA/eC3nK0xi3AMEZuPVk=", 0,
	                                       err, sizeof(err)),
	                 0);
	c->sign = true;
}

/* Check one message's header and collect its answer RRs. */
static void take_message(struct client *c, const uint8_t *m, size_t len, const char *qname,
                         uint16_t qtype)
{
	if (c->sign) {
		/* As a secondary does: every message verified in turn (RFC 8945 5.3.1). */
		assert_int_equal(ilnpdns_tsig_verify_answer(c->cctx, &c->cst, m, len, NOW), 0);
	}
	ldns_pkt *p = NULL;
	assert_int_equal(ldns_wire2pkt(&p, m, len), LDNS_STATUS_OK);
	assert_int_equal(ldns_pkt_id(p), 0xbeef);
	assert_true(ldns_pkt_qr(p));
	assert_true(ldns_pkt_aa(p));
	assert_true(ldns_pkt_rd(p));
	assert_false(ldns_pkt_tc(p));
	assert_int_equal(ldns_pkt_get_opcode(p), LDNS_PACKET_QUERY);
	assert_int_equal(ldns_pkt_get_rcode(p), LDNS_RCODE_NOERROR);
	assert_int_equal(ldns_pkt_nscount(p), 0);
	assert_true(ldns_pkt_ancount(p) > 0);
	if (c->messages == 0) {
		/* The question echoed byte for byte (letter case included). */
		assert_int_equal(ldns_pkt_qdcount(p), 1);
		uint8_t q[ILNPDNS_DNAME_MAXLEN];
		size_t ql = (size_t)ilnpdns_dname_from_str(qname, q);
		assert_memory_equal(m + ILNPDNS_HDR_LEN, q, ql);
		assert_int_equal(ilnpdns_get16(m + ILNPDNS_HDR_LEN + ql), qtype);
	} else {
		assert_int_equal(ldns_pkt_qdcount(p), 0);
	}
	ldns_rr_list *an = ldns_pkt_answer(p);
	c->rrs = realloc(c->rrs, (c->nrrs + ldns_rr_list_rr_count(an)) * sizeof(char *));
	for (size_t i = 0; i < ldns_rr_list_rr_count(an); i++)
		c->rrs[c->nrrs++] = rr_text(ldns_rr_list_rr(an, i));
	ldns_pkt_free(p);
	c->messages++;
	if (len > c->max_len)
		c->max_len = len;
}

/* Run a whole transfer; returns xfr_begin's result or the first xfr_next error. */
static int transfer(struct fixture *f, struct client *c, const char *qname, uint16_t qtype,
                    bool with_soa, uint32_t serial)
{
	uint8_t req[512], *buf = malloc(65535);
	size_t reqlen = make_request(req, qname, qtype, with_soa, serial);
	struct xfr_request xr;
	struct ilnpdns_tsig_state *st = NULL;

	if (c->sign) {
		c->cctx = ilnpdns_tsig_ctx_new();
		c->sctx = ilnpdns_tsig_ctx_new();
		assert_int_equal(ilnpdns_tsig_sign_request(c->cctx, &c->cst, &c->key, 300, req,
		                                           &reqlen, sizeof(req), NOW),
		                 0);
		assert_int_equal(ilnpdns_tsig_verify_request(c->sctx, req, reqlen, lookup, &c->key,
		                                             NULL, NOW, &c->sst),
		                 0);
		st = &c->sst;
		c->opts.now = NOW;
	}
	assert_int_equal(xfr_parse_request(req, reqlen, &xr), 0);

	struct store_txn *txn;
	struct store_zone z;
	uint8_t apex[ILNPDNS_DNAME_MAXLEN];
	assert_true(ilnpdns_dname_from_str(ZONE, apex) > 0);
	assert_int_equal(store_txn_begin(f->st, false, &txn), 0);
	assert_int_equal(store_zone_get(txn, apex, &z), 0);
	struct xfr *it;
	int rc = xfr_begin(&it, txn, &z, &xr, c->sctx, st, &c->opts);
	if (rc == 0) {
		size_t len;
		do {
			rc = xfr_next(it, buf, c->cap ? c->cap : 65535, &len);
			if (rc >= 0)
				take_message(c, buf, len, qname, qtype);
		} while (rc == 1);
		c->kind = xfr_kind(it);
		if (rc == 0)
			assert_int_equal(xfr_next(it, buf, 65535, &len), ILNPDNS_EINVAL);
		xfr_end(it);
	}
	store_txn_abort(txn);
	free(buf);
	return rc;
}

static uint32_t soa_serial_of(const char *text)
{
	ldns_rr *rr = NULL;
	assert_int_equal(ldns_rr_new_frm_str(&rr, text, 0, NULL, NULL), LDNS_STATUS_OK);
	assert_int_equal(ldns_rr_get_type(rr), LDNS_RR_TYPE_SOA);
	uint32_t s = ldns_rdf2native_int32(ldns_rr_rdf(rr, 2));
	ldns_rr_free(rr);
	return s;
}

static bool is_soa(const char *text)
{
	return strstr(text, "\tSOA\t") != NULL;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A zone as a sorted list of RR texts (SOA included). */
struct model {
	char **rr;
	size_t n;
};

static void model_free(struct model *m)
{
	for (size_t i = 0; i < m->n; i++)
		free(m->rr[i]);
	free(m->rr);
	m->rr = NULL;
	m->n = 0;
}

static void model_add(struct model *m, const char *s)
{
	m->rr = realloc(m->rr, (m->n + 1) * sizeof(char *));
	m->rr[m->n++] = strdup(s);
}

static void model_sort(struct model *m)
{
	qsort(m->rr, m->n, sizeof(char *), cmp_str);
}

static void model_equal(struct model *a, struct model *b)
{
	model_sort(a);
	model_sort(b);
	for (size_t i = 0; i < a->n && i < b->n; i++)
		if (strcmp(a->rr[i], b->rr[i]) != 0)
			fail_msg("zones differ at %zu: '%s' vs '%s'", i, a->rr[i], b->rr[i]);
	assert_int_equal(a->n, b->n);
}

/* AXFR (or AXFR-style IXFR) answer -> model, checking the SOA rules of RFC 5936 2.2. */
static void model_from_full(const struct client *c, struct model *m)
{
	assert_true(c->nrrs >= 2);
	assert_true(is_soa(c->rrs[0]));
	assert_string_equal(c->rrs[0], c->rrs[c->nrrs - 1]);
	model_add(m, c->rrs[0]);
	for (size_t i = 1; i + 1 < c->nrrs; i++) {
		assert_false(is_soa(c->rrs[i])); /* no other SOA anywhere */
		for (size_t j = 0; j < m->n; j++)
			if (strcmp(m->rr[j], c->rrs[i]) == 0)
				fail_msg("RR sent twice: %s", c->rrs[i]);
		model_add(m, c->rrs[i]);
	}
}

static ssize_t model_find(const struct model *m, const char *s)
{
	for (size_t i = 0; i < m->n; i++)
		if (strcmp(m->rr[i], s) == 0)
			return (ssize_t)i;
	return -1;
}

/*
 * Apply an incremental answer (RFC 1995 4) to m as a strict secondary does
 * (Knot refuses deletions of absent RRs and additions of present ones).
 * Returns the number of difference sequences.
 */
static size_t model_apply_ixfr(const struct client *c, struct model *m)
{
	size_t n = c->nrrs, pos = 1, seqs = 0;
	assert_true(n >= 4 && is_soa(c->rrs[0]) && is_soa(c->rrs[1]));
	assert_string_equal(c->rrs[0], c->rrs[n - 1]);
	while (pos < n - 1) {
		ssize_t cur = -1;
		for (size_t i = 0; i < m->n; i++)
			if (is_soa(m->rr[i]))
				cur = (ssize_t)i;
		assert_true(cur >= 0);
		assert_true(is_soa(c->rrs[pos]));
		assert_string_equal(m->rr[cur], c->rrs[pos]); /* old SOA = the client's */
		pos++;
		for (; pos < n - 1 && !is_soa(c->rrs[pos]); pos++) {
			ssize_t k = model_find(m, c->rrs[pos]);
			if (k < 0)
				fail_msg("IXFR deletes an absent RR: %s", c->rrs[pos]);
			free(m->rr[k]);
			m->rr[k] = m->rr[--m->n];
		}
		assert_true(pos < n - 1 && is_soa(c->rrs[pos]));
		for (size_t i = 0; i < m->n; i++)
			if (is_soa(m->rr[i]))
				cur = (ssize_t)i;
		free(m->rr[cur]);
		m->rr[cur] = strdup(c->rrs[pos]);
		pos++;
		for (; pos < n - 1 && !is_soa(c->rrs[pos]); pos++) {
			if (model_find(m, c->rrs[pos]) >= 0)
				fail_msg("IXFR adds a present RR: %s", c->rrs[pos]);
			model_add(m, c->rrs[pos]);
		}
		seqs++;
	}
	return seqs;
}

static void axfr_model(struct fixture *f, struct model *m)
{
	struct client c = {0};
	assert_int_equal(transfer(f, &c, ZONE, ILNPDNS_T_AXFR, false, 0), 0);
	model_from_full(&c, m);
	client_free(&c);
}

static size_t count_soas(const struct client *c)
{
	size_t n = 0;
	for (size_t i = 0; i < c->nrrs; i++)
		n += is_soa(c->rrs[i]);
	return n;
}

/* ---- tests ---- */

static void test_parse_request(void **state)
{
	uint8_t req[512];
	struct xfr_request xr;
	size_t len = make_request(req, "ExAmple.ILNP.", ILNPDNS_T_IXFR, true, 4711);
	assert_int_equal(xfr_parse_request(req, len, &xr), 0);
	assert_int_equal(xr.id, 0xbeef);
	assert_int_equal(xr.qtype, ILNPDNS_T_IXFR);
	assert_true(xr.has_serial);
	assert_int_equal(xr.client_serial, 4711);
	assert_memory_equal(xr.qname,
	                    "\x07"
	                    "ExAmple"
	                    "\x04"
	                    "ILNP",
	                    13);
	/* IXFR without the client's SOA, truncated, two questions, not a transfer. */
	len = make_request(req, ZONE, ILNPDNS_T_IXFR, false, 0);
	assert_int_equal(xfr_parse_request(req, len, &xr), ILNPDNS_EMALF);
	len = make_request(req, ZONE, ILNPDNS_T_IXFR, true, 1);
	assert_int_equal(xfr_parse_request(req, len - 1, &xr), ILNPDNS_EMALF);
	len = make_request(req, ZONE, ILNPDNS_T_AXFR, false, 0);
	assert_int_equal(xfr_parse_request(req, len, &xr), 0);
	assert_int_equal(xr.qtype, ILNPDNS_T_AXFR);
	ilnpdns_put16(req + 4, 2);
	assert_int_equal(xfr_parse_request(req, len, &xr), ILNPDNS_EMALF);
	len = make_request(req, ZONE, ILNPDNS_T_SOA, false, 0);
	assert_int_equal(xfr_parse_request(req, len, &xr), ILNPDNS_EINVAL);
}

/* Every RR of the zone file (parsed by ldns, effective TTLs) exactly once; SOA first and last. */
static void test_axfr_content(void **state)
{
	struct fixture *f = *state;
	struct client c = {0};
	assert_int_equal(transfer(f, &c, "ExAmple.ILNP.", ILNPDNS_T_AXFR, false, 0), 0);
	assert_int_equal(c.kind, XFR_AXFR);
	assert_int_equal(c.messages, 1);
	struct model got = {0}, want = {0};
	model_from_full(&c, &got);

	FILE *in = fmemopen((void *)zone_text, strlen(zone_text), "r");
	ldns_zone *zone = NULL;
	assert_int_equal(ldns_zone_new_frm_fp(&zone, in, NULL, 3600, LDNS_RR_CLASS_IN),
	                 LDNS_STATUS_OK);
	fclose(in);
	char *soa = rr_text(ldns_zone_soa(zone));
	model_add(&want, soa);
	free(soa);
	for (size_t i = 0; i < ldns_rr_list_rr_count(ldns_zone_rrs(zone)); i++) {
		ldns_rr *rr = ldns_rr_list_rr(ldns_zone_rrs(zone), i);
		if (ldns_rr_get_type(rr) >= 104 && ldns_rr_get_type(rr) <= 107)
			ldns_rr_set_ttl(rr, f->ilnp_ttl == STORE_ILNP_TTL_KEEP ? 60 : f->ilnp_ttl);
		char *s = rr_text(rr);
		model_add(&want, s);
		free(s);
	}
	ldns_zone_deep_free(zone);
	model_equal(&got, &want);
	model_free(&got);
	model_free(&want);
	client_free(&c);
}

/* A zone of thousands of RRsets: several messages, each within the size, all RRs once. */
static void test_axfr_big(void **state)
{
	struct fixture *f = *state;
	size_t cap = 400000, len = 0;
	char *text = malloc(cap);
	len += (size_t)snprintf(text + len, cap - len, "%s", zone_text);
	for (int i = 0; i < 3000; i++)
		len += (size_t)snprintf(text + len, cap - len,
		                        "h%d 60 NID 10 0014:4fff:ff20:%04x\n"
		                        "h%d 60 L64 10 2001:0db8:%04x:0001\n",
		                        i, i, i, i);
	/* One RRset larger than a small message: it must be split. */
	for (int i = 0; i < 200; i++)
		len += (size_t)snprintf(text + len, cap - len,
		                        "many 0 L64 %d 2001:0db8:0000:%04x\n", i, i);
	load_text(f, text);
	free(text);

	struct client c = {0};
	assert_int_equal(transfer(f, &c, ZONE, ILNPDNS_T_AXFR, false, 0), 0);
	assert_true(c.messages >= 5);
	assert_true(c.max_len <= XFR_MSG_SIZE);
	struct model big = {0};
	model_from_full(&c, &big);
	assert_int_equal(big.n, 1 + 15 + 6000 + 200);
	client_free(&c);

	/* Small messages (512 octets): the 200-RR set spans several. */
	struct client s = {.cap = 512};
	assert_int_equal(transfer(f, &s, ZONE, ILNPDNS_T_AXFR, false, 0), 0);
	assert_true(s.messages > 100);
	assert_true(s.max_len <= 512);
	struct model small = {0};
	model_from_full(&s, &small);
	model_equal(&big, &small);
	client_free(&s);

	/* Room for nothing: an error, never an empty message or a partial RR. */
	struct client t = {.cap = 40};
	assert_int_equal(transfer(f, &t, ZONE, ILNPDNS_T_AXFR, false, 0), ILNPDNS_ETRUNC);
	assert_int_equal(t.messages, 0);
	client_free(&t);
	model_free(&big);
	model_free(&small);
}

/* One read snapshot: commits during a transfer do not leak into it (RFC 5936 3). */
static void test_axfr_snapshot(void **state)
{
	struct fixture *f = *state;
	struct model before = {0};
	axfr_model(f, &before);

	uint8_t req[512], *buf = malloc(65535);
	size_t reqlen = make_request(req, ZONE, ILNPDNS_T_AXFR, false, 0), len;
	struct xfr_request xr;
	assert_int_equal(xfr_parse_request(req, reqlen, &xr), 0);
	struct store_txn *txn;
	struct store_zone z;
	uint8_t apex[ILNPDNS_DNAME_MAXLEN];
	assert_true(ilnpdns_dname_from_str(ZONE, apex) > 0);
	assert_int_equal(store_txn_begin(f->st, false, &txn), 0);
	assert_int_equal(store_zone_get(txn, apex, &z), 0);
	struct xfr *it;
	struct xfr_opts o = {.msg_size = 200};
	assert_int_equal(xfr_begin(&it, txn, &z, &xr, NULL, NULL, &o), 0);
	struct client c = {0};
	assert_int_equal(xfr_next(it, buf, 65535, &len), 1);
	take_message(&c, buf, len, ZONE, ILNPDNS_T_AXFR);
	/* Meanwhile an update commits. */
	UPDATE(f, "*host1 L64", "+host1 0 L64 10 2001:0db8:9999:0001", "+new 0 NID 1 0:0:0:1");
	int rc;
	do {
		rc = xfr_next(it, buf, 65535, &len);
		assert_true(rc >= 0);
		take_message(&c, buf, len, ZONE, ILNPDNS_T_AXFR);
	} while (rc == 1);
	xfr_end(it);
	store_txn_abort(txn);
	free(buf);
	assert_true(c.messages > 2);
	struct model got = {0};
	model_from_full(&c, &got);
	model_equal(&got, &before);
	assert_int_equal(soa_serial_of(c.rrs[0]), 100);
	model_free(&got);
	model_free(&before);
	client_free(&c);
}

static void test_ixfr_current(void **state)
{
	struct fixture *f = *state;
	struct client c = {0};
	assert_int_equal(transfer(f, &c, ZONE, ILNPDNS_T_IXFR, true, 100), 0);
	assert_int_equal(c.kind, XFR_IXFR_CURRENT);
	assert_int_equal(c.nrrs, 1);
	assert_int_equal(soa_serial_of(c.rrs[0]), 100);
	client_free(&c);
	/* A client "ahead" of us (RFC 1982) also gets the SOA alone. */
	struct client d = {0};
	assert_int_equal(transfer(f, &d, ZONE, ILNPDNS_T_IXFR, true, 150), 0);
	assert_int_equal(d.kind, XFR_IXFR_CURRENT);
	assert_int_equal(d.nrrs, 1);
	client_free(&d);
}

/* IXFR from serial, applied to the AXFR at that serial, must give the current AXFR. */
static size_t check_ixfr(struct fixture *f, const struct model *old, uint32_t from, bool per_entry,
                         struct client *c)
{
	c->opts.per_entry = per_entry;
	assert_int_equal(transfer(f, c, ZONE, ILNPDNS_T_IXFR, true, from), 0);
	assert_int_equal(c->kind, XFR_IXFR_INCREMENTAL);
	struct model m = {0}, now = {0};
	for (size_t i = 0; i < old->n; i++)
		model_add(&m, old->rr[i]);
	size_t seqs = model_apply_ixfr(c, &m);
	axfr_model(f, &now);
	model_equal(&m, &now);
	model_free(&m);
	model_free(&now);
	return seqs;
}

static void test_ixfr_one_step(void **state)
{
	struct fixture *f = *state;
	struct model v100 = {0};
	axfr_model(f, &v100);
	UPDATE(f, "*host1 L64", "+host1 0 L64 10 2001:0db8:2222:0001",
	       "+host1 0 L64 20 2001:0db8:3333:0001");
	struct client c = {0};
	assert_int_equal(check_ixfr(f, &v100, 100, false, &c), 1);
	/* SOA101 | SOA100 -L64 | SOA101 +L64 +L64 | SOA101, TTLs effective (0). */
	assert_int_equal(c.nrrs, 7);
	assert_int_equal(soa_serial_of(c.rrs[0]), 101);
	assert_int_equal(soa_serial_of(c.rrs[1]), 100);
	assert_non_null(
	    strstr(c.rrs[2], "host1.example.ilnp.\t0\tIN\tL64\t10 2001:0db8:1140:1000"));
	assert_int_equal(soa_serial_of(c.rrs[3]), 101);
	assert_int_equal(count_soas(&c), 4);
	client_free(&c);
	model_free(&v100);
}

static void test_ixfr_several_condensed(void **state)
{
	struct fixture *f = *state;
	struct model v100 = {0}, v102 = {0};
	axfr_model(f, &v100);
	UPDATE(f, "+tmp 0 L64 10 2001:0db8:7777:0001", "-www AAAA 2001:db8::80"); /* 101 */
	UPDATE(f, "+www 3600 AAAA 2001:db8::80", "*host1 L64",
	       "+host1 0 L64 10 2001:0db8:2222:0001"); /* 102 */
	axfr_model(f, &v102);
	UPDATE(f, "-tmp 0 L64 10 2001:0db8:7777:0001", "+x 0 NID 5 0:0:0:5"); /* 103 */
	UPDATE(f, "*host1 L64", "+host1 0 L64 10 2001:0db8:4444:0001");       /* 104 */

	/* Condensed: one difference sequence; tmp was added and deleted, www
	 * deleted and re-added: neither appears (RFC 1995 5). */
	struct client c = {0};
	assert_int_equal(check_ixfr(f, &v100, 100, false, &c), 1);
	assert_int_equal(count_soas(&c), 4);
	for (size_t i = 0; i < c.nrrs; i++) {
		assert_null(strstr(c.rrs[i], "tmp."));
		assert_null(strstr(c.rrs[i], "www."));
		assert_null(strstr(c.rrs[i], "2222"));
	}
	/* -L64 1140, +L64 4444, +NID x: three RRs between the SOAs. */
	assert_int_equal(c.nrrs, 4 + 3);
	client_free(&c);

	/* One sequence per journal entry: four, same result. */
	struct client d = {0};
	assert_int_equal(check_ixfr(f, &v100, 100, true, &d), 4);
	assert_int_equal(count_soas(&d), 2 + 2 * 4);
	client_free(&d);

	/* From the middle of the journal. */
	struct client e = {0};
	assert_int_equal(check_ixfr(f, &v102, 102, false, &e), 1);
	client_free(&e);
	model_free(&v100);
	model_free(&v102);
}

/* The journal does not reach back: the whole zone in IXFR form (RFC 1995 4). */
static void test_ixfr_too_old(void **state)
{
	struct fixture *f = *state;
	UPDATE(f, "+a1 0 NID 1 0:0:0:1");
	UPDATE(f, "+a2 0 NID 1 0:0:0:2");
	UPDATE(f, "+a3 0 NID 1 0:0:0:3");
	struct store_txn *w;
	struct store_zone z;
	uint8_t apex[ILNPDNS_DNAME_MAXLEN];
	size_t dropped;
	assert_true(ilnpdns_dname_from_str(ZONE, apex) > 0);
	assert_int_equal(store_txn_begin(f->st, true, &w), 0);
	assert_int_equal(store_zone_get(w, apex, &z), 0);
	assert_int_equal(store_journal_trim(w, &z, 1, &dropped), 0);
	assert_int_equal(dropped, 2);
	assert_int_equal(store_txn_commit(w), 0);

	struct model now = {0};
	axfr_model(f, &now);
	const uint32_t froms[] = {100, 101, 50};
	for (size_t i = 0; i < 3; i++) {
		struct client c = {0};
		assert_int_equal(transfer(f, &c, ZONE, ILNPDNS_T_IXFR, true, froms[i]), 0);
		assert_int_equal(c.kind, XFR_IXFR_FULL);
		assert_false(is_soa(c.rrs[1])); /* the second RR tells the client: full */
		struct model m = {0};
		model_from_full(&c, &m);
		model_equal(&m, &now);
		model_free(&m);
		client_free(&c);
	}
	/* 102 is still in the journal. */
	struct client c = {0};
	assert_int_equal(transfer(f, &c, ZONE, ILNPDNS_T_IXFR, true, 102), 0);
	assert_int_equal(c.kind, XFR_IXFR_INCREMENTAL);
	assert_int_equal(c.nrrs, 5);
	client_free(&c);
	model_free(&now);
}

/* A re-import breaks the history: no IXFR across it. */
static void test_ixfr_after_import(void **state)
{
	struct fixture *f = *state;
	UPDATE(f, "+a1 0 NID 1 0:0:0:1");
	char *text = strdup(zone_text);
	char *p = strstr(text, " 100 ");
	memcpy(p, " 200 ", 5);
	load_text(f, text);
	free(text);
	struct client c = {0};
	assert_int_equal(transfer(f, &c, ZONE, ILNPDNS_T_IXFR, true, 100), 0);
	assert_int_equal(c.kind, XFR_IXFR_FULL);
	client_free(&c);
}

static void test_ixfr_udp(void **state)
{
	struct fixture *f = *state;
	struct model v100 = {0};
	axfr_model(f, &v100);
	UPDATE(f, "*host1 L64", "+host1 0 L64 10 2001:0db8:2222:0001");
	/* Fits: the incremental answer in one datagram. */
	struct client c = {.opts = {.udp_size = 1232}};
	assert_int_equal(check_ixfr(f, &v100, 100, false, &c), 1);
	assert_int_equal(c.messages, 1);
	assert_true(c.max_len <= 1232);
	client_free(&c);

	/* Does not fit: the SOA alone (RFC 1995 2), so the client uses TCP. */
	const char *ops[120];
	char bufs[120][80];
	for (int i = 0; i < 120; i++) {
		snprintf(bufs[i], sizeof(bufs[i]), "+big%d 0 L64 %d 2001:0db8:5555:%04x", i, i, i);
		ops[i] = bufs[i];
	}
	update(f, ops, 120);
	struct client d = {.opts = {.udp_size = 1232}};
	assert_int_equal(transfer(f, &d, ZONE, ILNPDNS_T_IXFR, true, 100), 0);
	assert_int_equal(d.kind, XFR_IXFR_UDP_SOA);
	assert_int_equal(d.messages, 1);
	assert_int_equal(d.nrrs, 1);
	assert_int_equal(soa_serial_of(d.rrs[0]), 102);
	client_free(&d);
	/* The same over TCP is incremental. */
	struct client e = {0};
	check_ixfr(f, &v100, 100, false, &e);
	assert_int_equal(e.nrrs, 4 + 1 + 121);
	client_free(&e);

	/* AXFR over UDP is not defined (RFC 5936 4.2). */
	struct client g = {.opts = {.udp_size = 1232}};
	assert_int_equal(transfer(f, &g, ZONE, ILNPDNS_T_AXFR, false, 0), ILNPDNS_EINVAL);
	client_free(&g);
	model_free(&v100);
}

/* Every message signed; a secondary verifies each in turn; tampering is caught. */
static void test_tsig_every_message(void **state)
{
	struct fixture *f = *state;
	size_t cap = 200000, len = 0;
	char *text = malloc(cap);
	len += (size_t)snprintf(text + len, cap - len, "%s", zone_text);
	for (int i = 0; i < 1500; i++)
		len += (size_t)snprintf(text + len, cap - len, "h%d 0 L64 10 2001:0db8:%04x:0001\n",
		                        i, i);
	load_text(f, text);
	free(text);

	struct client c = {.opts = {.msg_size = 4096}};
	client_key(&c);
	assert_int_equal(transfer(f, &c, ZONE, ILNPDNS_T_AXFR, false, 0), 0);
	assert_true(c.messages >= 5);
	assert_true(c.max_len <= 4096);
	assert_int_equal(c.cst.messages, c.messages);
	struct model m = {0};
	model_from_full(&c, &m);
	assert_int_equal(m.n, 1 + 15 + 1500);
	model_free(&m);
	client_free(&c);

	/* A changed octet in the third message fails verification there. */
	uint8_t req[512], *buf = malloc(65535);
	struct client d = {0};
	client_key(&d);
	d.cctx = ilnpdns_tsig_ctx_new();
	d.sctx = ilnpdns_tsig_ctx_new();
	size_t reqlen = make_request(req, ZONE, ILNPDNS_T_AXFR, false, 0), mlen;
	assert_int_equal(
	    ilnpdns_tsig_sign_request(d.cctx, &d.cst, &d.key, 300, req, &reqlen, sizeof(req), NOW),
	    0);
	assert_int_equal(
	    ilnpdns_tsig_verify_request(d.sctx, req, reqlen, lookup, &d.key, NULL, NOW, &d.sst), 0);
	struct xfr_request xr;
	assert_int_equal(xfr_parse_request(req, reqlen, &xr), 0);
	struct store_txn *txn;
	struct store_zone z;
	uint8_t apex[ILNPDNS_DNAME_MAXLEN];
	assert_true(ilnpdns_dname_from_str(ZONE, apex) > 0);
	assert_int_equal(store_txn_begin(f->st, false, &txn), 0);
	assert_int_equal(store_zone_get(txn, apex, &z), 0);
	struct xfr *it;
	struct xfr_opts o = {.msg_size = 4096, .now = NOW};
	assert_int_equal(xfr_begin(&it, txn, &z, &xr, d.sctx, &d.sst, &o), 0);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(xfr_next(it, buf, 65535, &mlen), 1);
		if (i == 2) {
			/* The last RDATA octet before the TSIG: structure intact. */
			struct ilnpdns_tsig_rr trr;
			assert_int_equal(ilnpdns_tsig_find(buf, mlen, &trr), 1);
			buf[trr.start - 1] ^= 1;
		}
		int rc = ilnpdns_tsig_verify_answer(d.cctx, &d.cst, buf, mlen, NOW);
		assert_int_equal(rc, i == 2 ? ILNPDNS_EBADSIG : 0);
	}
	xfr_end(it);
	store_txn_abort(txn);
	free(buf);
	client_free(&d);

	/* Signed IXFR too. */
	UPDATE(f, "+a1 0 NID 1 0:0:0:1");
	struct client e = {0};
	client_key(&e);
	assert_int_equal(transfer(f, &e, ZONE, ILNPDNS_T_IXFR, true, 100), 0);
	assert_int_equal(e.kind, XFR_IXFR_INCREMENTAL);
	assert_int_equal(e.cst.messages, 1);
	client_free(&e);
}

/* With the override off, the zone data's TTLs go out. */
static void test_axfr_ttl_keep(void **state)
{
	struct fixture *f = *state;
	struct client c = {0};
	assert_int_equal(transfer(f, &c, ZONE, ILNPDNS_T_AXFR, false, 0), 0);
	bool seen = false;
	for (size_t i = 0; i < c.nrrs; i++)
		if (strstr(c.rrs[i], "host1.example.ilnp.\t60\tIN\tNID\t"))
			seen = true;
	assert_true(seen);
	client_free(&c);
	test_axfr_content(state);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse_request),
	    cmocka_unit_test_setup_teardown(test_axfr_content, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_axfr_ttl_keep, setup_keep, teardown),
	    cmocka_unit_test_setup_teardown(test_axfr_big, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_axfr_snapshot, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_ixfr_current, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_ixfr_one_step, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_ixfr_several_condensed, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_ixfr_too_old, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_ixfr_after_import, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_ixfr_udp, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_tsig_every_message, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
