/* SPDX-License-Identifier: BSD-2-Clause */
/* test_updater.c -- the updater library: messages (ldns as oracle), signing, answers, RTO, set
 * locators. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <ldns/ldns.h>

#include "ilnpdns/dname.h"
#include "ilnpdns/error.h"
#include "ilnpdns/ilnp.h"
#include "ilnpdns/tsig.h"
#include "ilnpdns/updater.h"
#include "ilnpdns/wire.h"

#define SECRET "NoTCJU+DMqFWywaPyxSijrDEA/eC3nK0xi3AMEZuPVk="
#define NOW    1795707631u

static struct ilnpdns_upd_crypto cr;

static void wire(const char *s, uint8_t *out)
{
	assert_true(ilnpdns_dname_from_str(s, out) > 0);
}

static ldns_pkt *parse(const struct ilnpdns_upd_msg *m, uint8_t *buf, size_t *len)
{
	ldns_pkt *p = NULL;

	assert_int_equal(ilnpdns_upd_msg_render(m, buf, ILNPDNS_MSG_MAX, len), 0);
	assert_int_equal(ldns_wire2pkt(&p, buf, *len), LDNS_STATUS_OK);
	return p;
}

static ldns_rr *text_rr(const char *s)
{
	ldns_rr *rr = NULL;

	assert_int_equal(ldns_rr_new_frm_str(&rr, s, 0, NULL, NULL), LDNS_STATUS_OK);
	ldns_rr_set_ttl(rr, 0);
	return rr;
}

static void check_meta(const ldns_rr *rr, const char *owner, ldns_rr_type type, ldns_rr_class cl)
{
	char *o = ldns_rdf2str(ldns_rr_owner(rr));

	assert_string_equal(o, owner);
	free(o);
	assert_int_equal(ldns_rr_get_type(rr), type);
	assert_int_equal(ldns_rr_get_class(rr), cl);
	assert_int_equal(ldns_rr_ttl(rr), 0);
	assert_int_equal(ldns_rr_rd_count(rr), 0);
}

/* All five prerequisite forms and all four update forms, as ldns reads them. */
static void test_msg_forms(void **state)
{
	uint8_t zone[255], mn[255], buf[ILNPDNS_MSG_MAX];
	struct ilnpdns_upd_msg *m;
	ldns_pkt *p;
	size_t len;
	char err[128];

	(void)state;
	wire("example.ilnp.", zone);
	wire("mn.example.ilnp.", mn);
	assert_int_equal(ilnpdns_upd_msg_new(zone, &m), 0);
	assert_int_equal(ilnpdns_upd_prereq_yxdomain(m, mn), 0);
	assert_int_equal(ilnpdns_upd_prereq_nxdomain(m, mn), 0);
	assert_int_equal(ilnpdns_upd_prereq_yxrrset(m, mn, ILNPDNS_T_NID), 0);
	assert_int_equal(ilnpdns_upd_prereq_nxrrset(m, mn, ILNPDNS_T_LP), 0);
	assert_int_equal(
	    ilnpdns_upd_prereq_rr_str(m, "mn IN NID 10 0014:4fff:ff20:ee64", err, sizeof(err)), 0);
	assert_int_equal(ilnpdns_upd_add_str(m, "mn.example.ilnp. 0 IN L64 10 2001:db8:1:2", 3600,
	                                     err, sizeof(err)),
	                 0);
	assert_int_equal(ilnpdns_upd_del_str(m, "mn L64", err, sizeof(err)), 0);
	assert_int_equal(ilnpdns_upd_del_str(m, "mn", err, sizeof(err)), 0);
	assert_int_equal(
	    ilnpdns_upd_del_str(m, "mn.example.ilnp. L64 20 2001:db8:9:9", err, sizeof(err)), 0);
	/* A TTL left out is the caller's default, never ldns's 3600. */
	assert_int_equal(ilnpdns_upd_add_str(m, "www A 192.0.2.1", 7, err, sizeof(err)), 0);
	ilnpdns_upd_msg_set_id(m, 0x1234);
	assert_int_equal(ilnpdns_upd_msg_prcount(m), 5);
	assert_int_equal(ilnpdns_upd_msg_upcount(m), 5);

	p = parse(m, buf, &len);
	/* Header: opcode 5 only, RD clear (nsupdate sends 0x2800, ldns would set RD). */
	assert_int_equal(ilnpdns_get16(buf + 2), 0x2800);
	assert_int_equal(ldns_pkt_id(p), 0x1234);
	assert_int_equal(ldns_pkt_get_opcode(p), LDNS_PACKET_UPDATE);
	assert_int_equal(ldns_pkt_qdcount(p), 1);
	assert_int_equal(ldns_pkt_ancount(p), 5);
	assert_int_equal(ldns_pkt_nscount(p), 5);
	assert_int_equal(ldns_pkt_arcount(p), 0);
	ldns_rr *q = ldns_rr_list_rr(ldns_pkt_question(p), 0);
	assert_int_equal(ldns_rr_get_type(q), LDNS_RR_TYPE_SOA);
	assert_int_equal(ldns_rr_get_class(q), LDNS_RR_CLASS_IN);

	ldns_rr_list *pre = ldns_pkt_answer(p), *upd = ldns_pkt_authority(p);
	check_meta(ldns_rr_list_rr(pre, 0), "mn.example.ilnp.", LDNS_RR_TYPE_ANY,
	           LDNS_RR_CLASS_ANY);
	check_meta(ldns_rr_list_rr(pre, 1), "mn.example.ilnp.", LDNS_RR_TYPE_ANY,
	           LDNS_RR_CLASS_NONE);
	check_meta(ldns_rr_list_rr(pre, 2), "mn.example.ilnp.", LDNS_RR_TYPE_NID,
	           LDNS_RR_CLASS_ANY);
	check_meta(ldns_rr_list_rr(pre, 3), "mn.example.ilnp.", LDNS_RR_TYPE_LP,
	           LDNS_RR_CLASS_NONE);
	ldns_rr *want = text_rr("mn.example.ilnp. 0 IN NID 10 0014:4fff:ff20:ee64");
	assert_int_equal(ldns_rr_compare(ldns_rr_list_rr(pre, 4), want), 0);
	assert_int_equal(ldns_rr_ttl(ldns_rr_list_rr(pre, 4)), 0);
	ldns_rr_free(want);

	want = text_rr("mn.example.ilnp. 0 IN L64 10 2001:db8:1:2");
	assert_int_equal(ldns_rr_compare(ldns_rr_list_rr(upd, 0), want), 0);
	ldns_rr_free(want);
	check_meta(ldns_rr_list_rr(upd, 1), "mn.example.ilnp.", LDNS_RR_TYPE_L64,
	           LDNS_RR_CLASS_ANY);
	check_meta(ldns_rr_list_rr(upd, 2), "mn.example.ilnp.", LDNS_RR_TYPE_ANY,
	           LDNS_RR_CLASS_ANY);
	ldns_rr *del = ldns_rr_list_rr(upd, 3);
	assert_int_equal(ldns_rr_get_class(del), LDNS_RR_CLASS_NONE);
	assert_int_equal(ldns_rr_ttl(del), 0);
	want = text_rr("mn.example.ilnp. 0 NONE L64 20 2001:db8:9:9");
	assert_int_equal(ldns_rr_compare(del, want), 0);
	ldns_rr_free(want);
	assert_int_equal(ldns_rr_ttl(ldns_rr_list_rr(upd, 4)), 7);
	want = text_rr("www.example.ilnp. 7 IN A 192.0.2.1");
	assert_int_equal(ldns_rr_compare(ldns_rr_list_rr(upd, 4), want), 0);
	ldns_rr_free(want);
	ldns_pkt_free(p);

	/* The dump names what is in the message. */
	char *s = ilnpdns_upd_msg_to_str(m);
	assert_non_null(s);
	assert_non_null(strstr(s, "2001:0db8:0001:0002"));
	free(s);
	ilnpdns_upd_msg_free(m);
}

static void test_msg_errors(void **state)
{
	uint8_t zone[255], out[255], rd[64];
	struct ilnpdns_upd_msg *m, *c;
	char err[128] = "";

	(void)state;
	wire("example.ilnp.", zone);
	assert_int_equal(ilnpdns_upd_msg_new(zone, &m), 0);
	wire("mn.other.", out);
	assert_int_equal(ilnpdns_upd_prereq_yxdomain(m, out), ILNPDNS_EZONE);
	assert_int_equal(
	    ilnpdns_upd_add_str(m, "mn.other. 0 IN L64 10 1:2:3:4", 0, err, sizeof(err)),
	    ILNPDNS_EZONE);
	assert_non_null(strstr(err, "not in the zone"));
	assert_int_equal(ilnpdns_upd_add_str(m, "mn 0 IN FOO 1", 0, err, sizeof(err)),
	                 ILNPDNS_ESYNTAX);
	assert_int_equal(ilnpdns_upd_add_str(m, "mn 0 IN L64 10 2001::1", 0, err, sizeof(err)),
	                 ILNPDNS_ERDATA);
	assert_int_equal(ilnpdns_upd_add_str(m, "mn 0 CH L64 10 1:2:3:4", 0, err, sizeof(err)),
	                 ILNPDNS_ESYNTAX);
	assert_int_equal(ilnpdns_upd_add_str(m, "mn 0 IN L64", 0, err, sizeof(err)),
	                 ILNPDNS_ESYNTAX);
	wire("mn.example.ilnp.", out);
	assert_int_equal(ilnpdns_upd_add(m, out, ILNPDNS_T_ANY, 0, NULL, 0), ILNPDNS_EINVAL);
	assert_int_equal(ilnpdns_upd_del_rrset(m, out, ILNPDNS_T_AXFR), ILNPDNS_EINVAL);
	/* L64 RDATA must be 10 octets. */
	assert_int_equal(ilnpdns_upd_add(m, out, ILNPDNS_T_L64, 0, rd, 9), ILNPDNS_ERDATA);
	assert_int_equal(ilnpdns_upd_msg_prcount(m) + ilnpdns_upd_msg_upcount(m), 0);
	/* RDATA text of other types goes through ldns, relative names complete. */
	int n = ilnpdns_upd_rdata_from_str(ILNPDNS_T_MX, "10 mail", zone, rd, sizeof(rd));
	assert_int_equal(n, 2 + 19);
	assert_memory_equal(rd + 2,
	                    "\x04mail\x07"
	                    "example\x04ilnp\x00",
	                    19);
	assert_int_equal(ilnpdns_upd_type_from_str("L64"), ILNPDNS_T_L64);
	assert_int_equal(ilnpdns_upd_type_from_str("TYPE106"), ILNPDNS_T_L64);
	assert_int_equal(ilnpdns_upd_type_from_str("NOPE"), 0);
	/* Clones are deep. */
	assert_int_equal(ilnpdns_upd_add_str(m, "@ 0 IN TXT \"hi\"", 0, err, sizeof(err)), 0);
	assert_int_equal(ilnpdns_upd_msg_clone(m, &c), 0);
	ilnpdns_upd_msg_free(m);
	assert_int_equal(ilnpdns_upd_msg_upcount(c), 1);
	ilnpdns_upd_msg_free(c);
	/* Random IDs differ (2^-16 chance of a false failure per pair: use 4). */
	uint16_t ids[4];
	for (int i = 0; i < 4; i++) {
		assert_int_equal(ilnpdns_upd_msg_new(zone, &m), 0);
		ids[i] = ilnpdns_upd_msg_id(m);
		ilnpdns_upd_msg_free(m);
	}
	assert_false(ids[0] == ids[1] && ids[1] == ids[2] && ids[2] == ids[3]);
}

static struct ilnpdns_tsig_key server_key;

static const struct ilnpdns_tsig_key *one_key(const uint8_t *name, void *arg)
{
	(void)arg;
	return ilnpdns_dname_equal(name, server_key.name) ? &server_key : NULL;
}

static size_t signed_request(const struct ilnpdns_upd_auth *auth, uint8_t *buf,
                             struct ilnpdns_tsig_state *st)
{
	struct ilnpdns_upd_msg *m;
	size_t len;
	char err[64];

	assert_int_equal(ilnpdns_upd_msg_new_str("example.ilnp.", &m), 0);
	assert_int_equal(ilnpdns_upd_add_str(m, "mn 0 IN L64 10 2001:db8:1:2", 0, err, sizeof(err)),
	                 0);
	assert_int_equal(ilnpdns_upd_msg_render(m, buf, ILNPDNS_MSG_MAX, &len), 0);
	ilnpdns_upd_msg_free(m);
	assert_int_equal(ilnpdns_upd_sign(&cr, auth, buf, &len, ILNPDNS_MSG_MAX, NOW, 0, st), 0);
	return len;
}

/* The server's view: what ilnpdnsd does with the request, then its answer. */
static size_t server_answer(const uint8_t *req, size_t reqlen, uint64_t now, int rcode,
                            uint8_t *ans, int *vrc)
{
	struct ilnpdns_tsig_state sst;
	size_t qend = ILNPDNS_HDR_LEN, len;
	uint8_t nm[255];

	*vrc = ilnpdns_tsig_verify_request(cr.tsig, req, reqlen, one_key, NULL, NULL, now, &sst);
	assert_true(ilnpdns_dname_unpack(req, reqlen, &qend, nm) > 0);
	qend += 4;
	memcpy(ans, req, qend);
	ilnpdns_put16(ans + 2, (uint16_t)(ILNPDNS_FLAG_QR | ILNPDNS_OP_UPDATE << 11 |
	                                  (*vrc == 0 ? rcode : ILNPDNS_RCODE_NOTAUTH)));
	ilnpdns_put16(ans + 6, 0);
	ilnpdns_put16(ans + 8, 0);
	ilnpdns_put16(ans + 10, 0);
	len = qend;
	assert_int_equal(ilnpdns_tsig_sign_answer(cr.tsig, &sst, ans, &len, ILNPDNS_MSG_MAX, now),
	                 0);
	return len;
}

static void tsig_auth(struct ilnpdns_upd_auth *auth)
{
	memset(auth, 0, sizeof(*auth));
	auth->kind = ILNPDNS_UPD_AUTH_TSIG;
	assert_int_equal(
	    ilnpdns_tsig_key_init(&auth->tsig, "mn-key", "hmac-sha256", SECRET, 0, NULL, 0), 0);
	server_key = auth->tsig;
}

static void test_sign_and_answers(void **state)
{
	struct ilnpdns_upd_auth auth;
	struct ilnpdns_tsig_state st, sst;
	struct ilnpdns_upd_answer a;
	uint8_t req[ILNPDNS_MSG_MAX], ans[ILNPDNS_MSG_MAX];
	size_t rl, al;
	int vrc;

	(void)state;
	tsig_auth(&auth);
	rl = signed_request(&auth, req, &st);
	/* The server accepts our signature. */
	assert_int_equal(
	    ilnpdns_tsig_verify_request(cr.tsig, req, rl, one_key, NULL, NULL, NOW + 10, &sst), 0);
	/* ... and not a changed byte (the last of the L64 RDATA). */
	struct ilnpdns_tsig_rr trr;
	assert_int_equal(ilnpdns_tsig_find(req, rl, &trr), 1);
	req[trr.start - 1] ^= 1;
	assert_int_equal(
	    ilnpdns_tsig_verify_request(cr.tsig, req, rl, one_key, NULL, NULL, NOW, &sst),
	    ILNPDNS_EBADSIG);
	req[trr.start - 1] ^= 1;

	/* A good signed answer, with YXRRSET for instance. */
	al = server_answer(req, rl, NOW, ILNPDNS_RCODE_YXRRSET, ans, &vrc);
	assert_int_equal(vrc, 0);
	assert_int_equal(ilnpdns_upd_check_answer(&cr, req, rl, &st, ans, al, NOW, 0, &a), 0);
	assert_true(a.signed_ok);
	assert_int_equal(a.rcode, ILNPDNS_RCODE_YXRRSET);

	/* Wrong ID: not ours. */
	rl = signed_request(&auth, req, &st);
	al = server_answer(req, rl, NOW, 0, ans, &vrc);
	ans[0] ^= 0x55;
	assert_int_equal(ilnpdns_upd_check_answer(&cr, req, rl, &st, ans, al, NOW, 0, &a),
	                 ILNPDNS_ENOENT);
	ans[0] ^= 0x55;
	/* Another zone in the echo: not ours either. */
	ans[ILNPDNS_HDR_LEN + 1] ^= 0x20 ^ 'X';
	assert_int_equal(ilnpdns_upd_check_answer(&cr, req, rl, &st, ans, al, NOW, 0, &a),
	                 ILNPDNS_ENOENT);
	ans[ILNPDNS_HDR_LEN + 1] ^= 0x20 ^ 'X';
	/* Not a response. */
	ans[2] &= 0x7f;
	assert_int_equal(ilnpdns_upd_check_answer(&cr, req, rl, &st, ans, al, NOW, 0, &a),
	                 ILNPDNS_EMALF);
	ans[2] |= 0x80;
	/* Our own clock far off: the answer's time fails. */
	assert_int_equal(ilnpdns_upd_check_answer(&cr, req, rl, &st, ans, al, NOW + 1000, 0, &a),
	                 ILNPDNS_EBADTIME);

	/* An unsigned answer to a signed request: refused. */
	rl = signed_request(&auth, req, &st);
	al = server_answer(req, rl, NOW, 0, ans, &vrc);
	ilnpdns_put16(ans + 10, 0);
	{
		size_t q = ILNPDNS_HDR_LEN;
		uint8_t nm[255];

		assert_true(ilnpdns_dname_unpack(ans, al, &q, nm) > 0);
		al = q + 4;
	}
	assert_int_equal(ilnpdns_upd_check_answer(&cr, req, rl, &st, ans, al, NOW, 0, &a),
	                 ILNPDNS_EBADSIG);

	/* BADSIG: the server holds another secret; its answer is unsigned. */
	rl = signed_request(&auth, req, &st);
	assert_int_equal(ilnpdns_tsig_key_init(&server_key, "mn-key", "hmac-sha256",
	                                       "c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0", 0, NULL, 0),
	                 0);
	al = server_answer(req, rl, NOW, 0, ans, &vrc);
	assert_int_equal(vrc, ILNPDNS_EBADSIG);
	assert_int_equal(ilnpdns_upd_check_answer(&cr, req, rl, &st, ans, al, NOW, 0, &a),
	                 ILNPDNS_EBADSIG);
	assert_int_equal(a.rcode, ILNPDNS_RCODE_NOTAUTH);
	assert_int_equal(a.tsig_error, ILNPDNS_TSIG_BADSIG);
	assert_false(a.signed_ok);

	/* BADKEY: the server does not know the key. */
	tsig_auth(&auth);
	rl = signed_request(&auth, req, &st);
	assert_int_equal(
	    ilnpdns_tsig_key_init(&server_key, "other-key", "hmac-sha256", SECRET, 0, NULL, 0), 0);
	al = server_answer(req, rl, NOW, 0, ans, &vrc);
	assert_int_equal(ilnpdns_upd_check_answer(&cr, req, rl, &st, ans, al, NOW, 0, &a),
	                 ILNPDNS_EBADKEY);
	assert_int_equal(a.tsig_error, ILNPDNS_TSIG_BADKEY);

	/* BADTIME: the server's clock is 1000 s ahead; the answer is signed and
	 * carries that clock, which the retry uses as an offset. */
	tsig_auth(&auth);
	rl = signed_request(&auth, req, &st);
	al = server_answer(req, rl, NOW + 1000, 0, ans, &vrc);
	assert_int_equal(vrc, ILNPDNS_EBADTIME);
	assert_int_equal(ilnpdns_upd_check_answer(&cr, req, rl, &st, ans, al, NOW, 0, &a),
	                 ILNPDNS_EBADTIME);
	assert_int_equal(a.tsig_error, ILNPDNS_TSIG_BADTIME);
	assert_int_equal(a.server_time, NOW + 1000);
	{
		struct ilnpdns_upd_msg *m;
		char err[64];

		assert_int_equal(ilnpdns_upd_msg_new_str("example.ilnp.", &m), 0);
		assert_int_equal(
		    ilnpdns_upd_add_str(m, "mn 0 IN L64 10 1:2:3:4", 0, err, sizeof(err)), 0);
		assert_int_equal(ilnpdns_upd_msg_render(m, req, ILNPDNS_MSG_MAX, &rl), 0);
		ilnpdns_upd_msg_free(m);
	}
	assert_int_equal(ilnpdns_upd_sign(&cr, &auth, req, &rl, ILNPDNS_MSG_MAX, NOW, 1000, &st),
	                 0);
	assert_int_equal(st.time_signed, NOW + 1000);
	al = server_answer(req, rl, NOW + 1000, 0, ans, &vrc);
	assert_int_equal(vrc, 0);
	assert_int_equal(ilnpdns_upd_check_answer(&cr, req, rl, &st, ans, al, NOW, 1000, &a), 0);

	/* TC before anything else: a hint to retry over TCP. */
	rl = signed_request(&auth, req, &st);
	al = server_answer(req, rl, NOW, 0, ans, &vrc);
	ans[2] |= ILNPDNS_FLAG_TC >> 8;
	assert_int_equal(ilnpdns_upd_check_answer(&cr, req, rl, &st, ans, al, NOW, 0, &a), 0);
	assert_true(a.tc);
}

static void test_rtt(void **state)
{
	struct ilnpdns_upd_rtt_params p;
	struct ilnpdns_upd_rtt r;

	(void)state;
	ilnpdns_upd_rtt_params_default(&p);
	ilnpdns_upd_rtt_init(&r, &p);
	assert_int_equal(r.rto_us, 50000);
	assert_int_equal(r.samples, 0);
	/* First sample: SRTT = R, RTTVAR = R/2, RTO = R + 4 R/2. */
	assert_true(ilnpdns_upd_rtt_sample(&r, &p, 10000, false));
	assert_int_equal(r.srtt_us, 10000);
	assert_int_equal(r.rttvar_us, 5000);
	assert_int_equal(r.rto_us, 30000);
	/* Second: RTTVAR = 3/4 5000 + 1/4 |10000-20000|, SRTT = 7/8 10000 + 1/8 20000. */
	assert_true(ilnpdns_upd_rtt_sample(&r, &p, 20000, false));
	assert_int_equal(r.rttvar_us, 6250);
	assert_int_equal(r.srtt_us, 11250);
	assert_int_equal(r.rto_us, 11250 + 25000);
	/* Karn: a retransmitted request's sample changes nothing. */
	assert_false(ilnpdns_upd_rtt_sample(&r, &p, 900000, true));
	assert_int_equal(r.srtt_us, 11250);
	assert_int_equal(r.samples, 2);
	/* Backoff doubles and is kept until the next valid sample. */
	assert_int_equal(ilnpdns_upd_rtt_backoff(&r, &p), 72500);
	assert_int_equal(ilnpdns_upd_rtt_backoff(&r, &p), 145000);
	assert_false(ilnpdns_upd_rtt_sample(&r, &p, 20000, true));
	assert_int_equal(r.rto_us, 145000);
	assert_int_equal(r.backoffs, 2);
	for (int i = 0; i < 10; i++)
		ilnpdns_upd_rtt_backoff(&r, &p);
	assert_int_equal(r.rto_us, 2000000); /* the cap */
	assert_true(ilnpdns_upd_rtt_sample(&r, &p, 11250, false));
	assert_int_equal(r.backoffs, 0);
	assert_true(r.rto_us < 100000);

	/* A fast path: steady 200 us samples bring the RTO to the 5 ms floor,
	 * so a lost update is resent within a few ms. */
	ilnpdns_upd_rtt_init(&r, &p);
	for (int i = 0; i < 50; i++)
		ilnpdns_upd_rtt_sample(&r, &p, 200, false);
	assert_int_equal(r.rto_us, 5000);
	/* ... and G keeps RTO above SRTT when RTTVAR is 0 and the floor is low. */
	p.min_rto_us = 0;
	ilnpdns_upd_rtt_sample(&r, &p, 200, false);
	assert_true(r.rto_us >= r.srtt_us + p.granularity_us);

	/* A slow path: never resend before SRTT + G, even above the cap. */
	ilnpdns_upd_rtt_params_default(&p);
	ilnpdns_upd_rtt_init(&r, &p);
	for (int i = 0; i < 50; i++)
		ilnpdns_upd_rtt_sample(&r, &p, 3000000, false);
	assert_int_equal(r.srtt_us, 3000000);
	assert_true(r.rto_us >= 3000000 + 1000);
	/* A 600 ms satellite path: RTO covers the RTT with a margin. */
	ilnpdns_upd_rtt_init(&r, &p);
	ilnpdns_upd_rtt_sample(&r, &p, 600000, false);
	assert_int_equal(r.rto_us, 1800000);
	for (int i = 0; i < 30; i++)
		ilnpdns_upd_rtt_sample(&r, &p, 600000 + (i % 2) * 20000, false);
	assert_true(r.rto_us > 620000 && r.rto_us < 700000);
}

static void loc64(struct ilnpdns_upd_locset *s, uint16_t pref, const char *text)
{
	assert_int_equal(ilnpdns_ilnp_loc64_from_str(text, strlen(text), s->l64[s->n64].loc), 0);
	s->l64[s->n64++].pref = pref;
}

static void test_locators_msg(void **state)
{
	uint8_t zone[255], mn[255], buf[ILNPDNS_MSG_MAX];
	struct ilnpdns_upd_locset want = {0};
	struct ilnpdns_upd_locstate cur = {0};
	struct ilnpdns_upd_locopts opts = {0};
	struct ilnpdns_upd_msg *m;
	ldns_pkt *p;
	size_t len;
	char *s;

	(void)state;
	wire("example.ilnp.", zone);
	wire("mn.example.ilnp.", mn);
	loc64(&want, 10, "2001:db8:2:0");
	loc64(&want, 20, "2001:db8:1:0");
	cur.known = true;
	cur.has_marker = true;
	cur.seq = 41;
	loc64(&cur.set, 10, "2001:db8:1:0");

	/* Marker guard: prereq marker == 41; delete it; add 42; replace L64. */
	assert_int_equal(ilnpdns_upd_locators_msg(zone, mn, &opts, &cur, &want, &m), 0);
	p = parse(m, buf, &len);
	assert_int_equal(ldns_pkt_ancount(p), 1);
	assert_int_equal(ldns_pkt_nscount(p), 5);
	ldns_rr *rr = ldns_rr_list_rr(ldns_pkt_answer(p), 0);
	s = ldns_rr2str(rr);
	assert_string_equal(s, "mn.example.ilnp.\t0\tIN\tTXT\t\"ilnp-seq=41\"\n");
	free(s);
	const char *exp[] = {
	    "mn.example.ilnp.\t0\tNONE\tTXT\t\"ilnp-seq=41\"\n",
	    "mn.example.ilnp.\t0\tIN\tTXT\t\"ilnp-seq=42\"\n",
	    NULL,
	    "mn.example.ilnp.\t0\tIN\tL64\t10 2001:0db8:0002:0000\n",
	    "mn.example.ilnp.\t0\tIN\tL64\t20 2001:0db8:0001:0000\n",
	};
	for (int i = 0; i < 5; i++) {
		rr = ldns_rr_list_rr(ldns_pkt_authority(p), (size_t)i);
		if (exp[i] == NULL) {
			check_meta(rr, "mn.example.ilnp.", LDNS_RR_TYPE_L64, LDNS_RR_CLASS_ANY);
			continue;
		}
		s = ldns_rr2str(rr);
		assert_string_equal(s, exp[i]);
		free(s);
	}
	ldns_pkt_free(p);
	ilnpdns_upd_msg_free(m);

	/* First publication: "no TXT RRset" and marker 1. */
	cur.has_marker = false;
	assert_int_equal(ilnpdns_upd_locators_msg(zone, mn, &opts, &cur, &want, &m), 0);
	p = parse(m, buf, &len);
	check_meta(ldns_rr_list_rr(ldns_pkt_answer(p), 0), "mn.example.ilnp.", LDNS_RR_TYPE_TXT,
	           LDNS_RR_CLASS_NONE);
	s = ldns_rr2str(ldns_rr_list_rr(ldns_pkt_authority(p), 0));
	assert_string_equal(s, "mn.example.ilnp.\t0\tIN\tTXT\t\"ilnp-seq=1\"\n");
	free(s);
	ldns_pkt_free(p);
	ilnpdns_upd_msg_free(m);
	cur.foreign_txt = true;
	assert_int_equal(ilnpdns_upd_locators_msg(zone, mn, &opts, &cur, &want, &m),
	                 ILNPDNS_EEXIST);
	cur.foreign_txt = false;

	/* RRset guard with L32: prerequisites are the sets believed present. */
	opts.guard = ILNPDNS_UPD_GUARD_RRSET;
	opts.with_l32 = true;
	loc64(&cur.set, 10, "2001:db8:1:0"); /* a duplicate: stated once */
	want.n32 = 1;
	want.l32[0].pref = 5;
	memcpy(want.l32[0].loc, "\xc0\x00\x02\x01", 4);
	assert_int_equal(ilnpdns_upd_locators_msg(zone, mn, &opts, &cur, &want, &m), 0);
	p = parse(m, buf, &len);
	assert_int_equal(ldns_pkt_ancount(p), 2);
	s = ldns_rr2str(ldns_rr_list_rr(ldns_pkt_answer(p), 0));
	assert_string_equal(s, "mn.example.ilnp.\t0\tIN\tL64\t10 2001:0db8:0001:0000\n");
	free(s);
	check_meta(ldns_rr_list_rr(ldns_pkt_answer(p), 1), "mn.example.ilnp.", LDNS_RR_TYPE_L32,
	           LDNS_RR_CLASS_NONE);
	assert_int_equal(ldns_pkt_nscount(p), 5); /* del L64, 2 adds, del L32, 1 add */
	s = ldns_rr2str(ldns_rr_list_rr(ldns_pkt_authority(p), 4));
	assert_string_equal(s, "mn.example.ilnp.\t0\tIN\tL32\t5 192.0.2.1\n");
	free(s);
	ldns_pkt_free(p);
	ilnpdns_upd_msg_free(m);

	/* Set equality ignores order and duplicates. */
	struct ilnpdns_upd_locset a = {0}, b = {0};
	loc64(&a, 10, "1:2:3:4");
	loc64(&a, 20, "5:6:7:8");
	loc64(&b, 20, "5:6:7:8");
	loc64(&b, 10, "1:2:3:4");
	loc64(&b, 10, "1:2:3:4");
	assert_true(ilnpdns_upd_locset_equal(&a, &b, false));
	b.l64[0].pref = 21;
	assert_false(ilnpdns_upd_locset_equal(&a, &b, false));
}

/* An answer made by ldns, as a server would send it. */
static size_t answer_of(const char *qname, ldns_rr_type qt, const char *const *rrs, uint8_t *out)
{
	ldns_pkt *p = NULL;
	uint8_t *w = NULL;
	size_t len;

	assert_int_equal(ldns_pkt_query_new_frm_str(&p, qname, qt, LDNS_RR_CLASS_IN, 0),
	                 LDNS_STATUS_OK);
	ldns_pkt_set_qr(p, true);
	for (; *rrs != NULL; rrs++)
		ldns_pkt_push_rr(p, LDNS_SECTION_ANSWER, text_rr(*rrs));
	assert_int_equal(ldns_pkt2wire(&w, p, &len), LDNS_STATUS_OK);
	memcpy(out, w, len);
	free(w);
	ldns_pkt_free(p);
	return len;
}

static void test_locstate_from_answers(void **state)
{
	uint8_t mn[255], t[1024], l[1024], l32[1024];
	struct ilnpdns_upd_locstate st;
	const char *txt[] = {"mn.example.ilnp. 0 IN TXT \"ilnp-seq=17\"", NULL};
	const char *l64[] = {"mn.example.ilnp. 0 IN L64 10 2001:db8:1:0",
	                     "mn.example.ilnp. 0 IN L64 20 2001:db8:2:0",
	                     "other.example.ilnp. 0 IN L64 30 2001:db8:3:0", NULL};
	const char *none[] = {NULL};
	const char *foreign[] = {"mn.example.ilnp. 0 IN TXT \"v=spf1 -all\"",
	                         "mn.example.ilnp. 0 IN TXT \"ilnp-seq=3\"", NULL};

	(void)state;
	wire("mn.example.ilnp.", mn);
	size_t tl = answer_of("mn.example.ilnp.", LDNS_RR_TYPE_TXT, txt, t);
	size_t ll = answer_of("mn.example.ilnp.", LDNS_RR_TYPE_L64, l64, l);
	size_t l32l = answer_of("mn.example.ilnp.", LDNS_RR_TYPE_L32, none, l32);
	assert_int_equal(ilnpdns_upd_locstate_from_answers(mn, NULL, t, tl, l, ll, l32, l32l, &st),
	                 0);
	assert_true(st.known);
	assert_true(st.has_marker);
	assert_false(st.foreign_txt);
	assert_int_equal(st.seq, 17);
	assert_int_equal(st.set.n64, 2);
	assert_int_equal(st.set.l64[1].pref, 20);
	assert_int_equal(st.set.n32, 0);
	tl = answer_of("mn.example.ilnp.", LDNS_RR_TYPE_TXT, foreign, t);
	assert_int_equal(ilnpdns_upd_locstate_from_answers(mn, NULL, t, tl, NULL, 0, NULL, 0, &st),
	                 0);
	assert_true(st.foreign_txt);
	assert_true(st.has_marker);
	assert_int_equal(ilnpdns_upd_locstate_from_answers(mn, NULL, t, 11, NULL, 0, NULL, 0, &st),
	                 ILNPDNS_EMALF);
}

static void test_client_config(void **state)
{
	struct ilnpdns_upd_client *c;
	struct ilnpdns_upd_result res;
	char line[160];

	(void)state;
	assert_int_equal(ilnpdns_upd_client_new(NULL, NULL, &c), 0);
	assert_int_equal(ilnpdns_upd_client_add_server(c, "127.0.0.1"), 0);
	assert_int_equal(ilnpdns_upd_client_add_server(c, "127.0.0.1@5300"), 0);
	assert_int_equal(ilnpdns_upd_client_add_server(c, "[::1]:5301"), 0);
	assert_int_equal(ilnpdns_upd_client_add_server(c, "::1@53"), 0);
	assert_int_equal(ilnpdns_upd_client_add_server(c, "host.example"), ILNPDNS_ESYNTAX);
	assert_int_equal(ilnpdns_upd_client_add_server(c, "127.0.0.1@70000"), ILNPDNS_ESYNTAX);
	assert_int_equal(ilnpdns_upd_client_server_count(c), 4);
	assert_int_equal(ilnpdns_upd_client_rtt(c, 2)->rto_us, 50000);
	assert_null(ilnpdns_upd_client_rtt(c, 4));
	ilnpdns_upd_client_clear_servers(c);
	/* No server: refused at once. */
	uint8_t mn[255];
	wire("mn.example.ilnp.", mn);
	assert_int_equal(ilnpdns_upd_query_sync(c, mn, ILNPDNS_T_L64, &res), ILNPDNS_EINVAL);
	ilnpdns_upd_client_free(c);
	memset(&res, 0, sizeof(res));
	res.rcode = ILNPDNS_RCODE_NXRRSET;
	res.attempts = 3;
	res.server = -1;
	assert_true(ilnpdns_upd_result_to_str(&res, line, sizeof(line)) > 0);
	assert_non_null(strstr(line, "NXRRSET attempts=3"));
	assert_false(ilnpdns_upd_result_ok(&res));
}

static int setup(void **state)
{
	(void)state;
	return ilnpdns_upd_crypto_init(&cr);
}

static int teardown(void **state)
{
	(void)state;
	ilnpdns_upd_crypto_fini(&cr);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_msg_forms),        cmocka_unit_test(test_msg_errors),
	    cmocka_unit_test(test_sign_and_answers), cmocka_unit_test(test_rtt),
	    cmocka_unit_test(test_locators_msg),     cmocka_unit_test(test_locstate_from_answers),
	    cmocka_unit_test(test_client_config),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
