/* SPDX-License-Identifier: BSD-2-Clause */
/* test_tsig.c -- RFC 8945 TSIG: public vectors, nsupdate captures, ldns as oracle, error answers.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <ldns/ldns.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "ilnpdns/error.h"
#include "ilnpdns/tsig.h"
#include "ilnpdns/wire.h"

/* The secret of vector T1 (PROTOCOLS.md 3.7), also used for the captures. */
#define T1_SECRET "NoTCJU+DMqFWywaPyxSijrDEA/eC3nK0xi3AMEZuPVk="

/* T1: miekg/dns tsig_test.go (06480ef9), TestTsigErrors; hmac-sha256, testkey. */
static const char t1_hex[] = "c60028000001000000010001076578616d706c6503636f6d00000600010161c0"
                             "0c0001000100000e100004c000020107746573746b65790000fa00ff00000000"
                             "003d0b686d61632d7368613235360000005f0f9043012c00208cf23e0081d915"
                             "478a182edcea7ff48ad102948e6c7ef8e887536957d1fa5616c60000000000";
#define T1_TIME 1594855491u

/* T2: nsupdate 9.18.49 capture, hmac-sha256 (PROTOCOLS.md 3.7). */
static const char t2_hex[] = "e6c028000001000000020001076578616d706c6503636f6d000006000105686f"
                             "737431c00c006a00ff000000000000c01d006a000100000000000a000a20010d"
                             "b81140100007746573746b65790000fa00ff00000000003d0b686d61632d7368"
                             "613235360000006b0852ef012c0020ae0b1c63e9d5862152892637383a85f345"
                             "311b3dfdf9c40906b6fd5d88d2d4c8e6c000000000";

/*
 * Captured for this test from nsupdate 9.18 on this machine
 * (`nsupdate -y <alg>:testkey.:<T1 secret>`, "update add a.example.com 0 IN
 * L64 10 2001:db8:1:2" to a UDP socket that only records). They pin the
 * algorithms ldns cannot check (sha224, sha384) and BIND's truncated form.
 */
static const struct {
	const char *alg; /* as a key file would name it */
	const char *hex;
} captures[] = {
    {"hmac-sha1",
     "d3fc28000001000000010001076578616d706c6503636f6d00000600010161c00c006a000100000000000a000a"
     "20010db80001000207746573746b65790000fa00ff00000000002f09686d61632d736861310000006b08bfd201"
     "2c0014423a371ba398b654a30abb04fc2e0ee3f1c09f7dd3fc00000000"},
    {"hmac-sha224",
     "ef6a28000001000000010001076578616d706c6503636f6d00000600010161c00c006a000100000000000a000a"
     "20010db80001000207746573746b65790000fa00ff0000000000390b686d61632d7368613232340000006b08bf"
     "d4012c001cc8c87a5239691738d85b73d769b0a12674a30e146b085a172b103d5bef6a00000000"},
    {"hmac-sha384",
     "3c2228000001000000010001076578616d706c6503636f6d00000600010161c00c006a000100000000000a000a"
     "20010db80001000207746573746b65790000fa00ff00000000004d0b686d61632d7368613338340000006b08bf"
     "d6012c0030100015b1a0227db0dec3264020309b66caecf78e71a2a159075c76bbcf65599d91f65d2e2be5f8e2"
     "f2ef408a6e36b8d23c2200000000"},
    {"hmac-sha512",
     "1bcd28000001000000010001076578616d706c6503636f6d00000600010161c00c006a000100000000000a000a"
     "20010db80001000207746573746b65790000fa00ff00000000005d0b686d61632d7368613531320000006b08bf"
     "d7012c0040730e0cfbc7fca9639ca47962a467a8e220a0ac5f472c0ac83e7e6b11f811924e9897b354b4c81d42"
     "33b35d527b39c3f2a5d65ddb0ae1554f0dbe09fe1723f8981bcd00000000"},
    {"hmac-md5",
     "1d0928000001000000010001076578616d706c6503636f6d00000600010161c00c006a000100000000000a000a"
     "20010db80001000207746573746b65790000fa00ff00000000003a08686d61632d6d6435077369672d616c6703"
     "72656703696e740000006b08bfd9012c001080966c9e2a07b52eb848d990ff4994831d0900000000"},
    {"hmac-sha256-128",
     "abf528000001000000010001076578616d706c6503636f6d00000600010161c00c006a000100000000000a000a"
     "20010db80001000207746573746b65790000fa00ff00000000002d0b686d61632d7368613235360000006b08bf"
     "da012c0010894142d055d9e4f9da350c401de4e9ffabf500000000"},
};

static const char *const all_algs[] = {"hmac-md5",    "hmac-sha1",   "hmac-sha224",
                                       "hmac-sha256", "hmac-sha384", "hmac-sha512"};

static struct ilnpdns_tsig_ctx *ctx;

static size_t unhex(const char *hex, uint8_t *out, size_t cap)
{
	size_t n = strlen(hex) / 2;
	assert_true(n <= cap);
	for (size_t i = 0; i < n; i++) {
		unsigned v;
		assert_int_equal(sscanf(hex + 2 * i, "%2x", &v), 1);
		out[i] = (uint8_t)v;
	}
	return n;
}

static void make_key(struct ilnpdns_tsig_key *key, const char *name, const char *alg,
                     const char *secret)
{
	char err[256];
	int rc =
	    ilnpdns_tsig_key_init(key, name, alg, secret, ILNPDNS_KEY_ALLOW_MD5, err, sizeof(err));
	if (rc != 0)
		fail_msg("key %s/%s: %s", name, alg, err);
}

/* Lookup over a small array of keys, as the server's key table would be. */
struct keyring {
	const struct ilnpdns_tsig_key *keys;
	size_t n;
	unsigned calls;
};

static const struct ilnpdns_tsig_key *ring_lookup(const uint8_t *name, void *arg)
{
	struct keyring *r = arg;
	r->calls++;
	for (size_t i = 0; i < r->n; i++)
		if (ilnpdns_dname_equal(r->keys[i].name, name))
			return &r->keys[i];
	return NULL;
}

static int verify_with(const uint8_t *msg, size_t len, const struct ilnpdns_tsig_key *key,
                       uint64_t now, struct ilnpdns_tsig_state *st)
{
	struct keyring ring = {key, 1, 0};
	return ilnpdns_tsig_verify_request(ctx, msg, len, ring_lookup, &ring, NULL, now, st);
}

/* A query for name/SOA with the given ID, as a client or nsupdate would send. */
static size_t build_query(uint8_t *buf, uint16_t id, uint16_t opcode)
{
	static const uint8_t q[] = "\7example\3com\0\0\6\0\1";
	ilnpdns_put16(buf, id);
	ilnpdns_put16(buf + 2, (uint16_t)(opcode << 11));
	ilnpdns_put16(buf + 4, 1);
	memset(buf + 6, 0, 6);
	memcpy(buf + 12, q, sizeof(q) - 1);
	return 12 + sizeof(q) - 1;
}

/* An answer to build_query: QR AA, one A record "example.com 0 IN A 192.0.2.<n>". */
static size_t build_answer(uint8_t *buf, uint16_t id, uint8_t rcode, uint8_t n)
{
	size_t len = build_query(buf, id, 0);
	static const uint8_t rr[] = {0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 0, 0, 4, 192, 0, 2};
	ilnpdns_put16(buf + 2, ILNPDNS_FLAG_QR | ILNPDNS_FLAG_AA | rcode);
	ilnpdns_put16(buf + 6, 1);
	memcpy(buf + len, rr, sizeof(rr));
	len += sizeof(rr);
	buf[len++] = n;
	return len;
}

/* ---- public vectors ---- */

static void test_t1_vector(void **state)
{
	uint8_t msg[512];
	size_t len = unhex(t1_hex, msg, sizeof(msg));
	struct ilnpdns_tsig_key key;
	struct ilnpdns_tsig_state st;
	struct ilnpdns_tsig_rr rr;
	make_key(&key, "testkey.", "hmac-sha256", T1_SECRET);

	assert_int_equal(ilnpdns_tsig_find(msg, len, &rr), 1);
	assert_int_equal(rr.start, 127 - (9 + 10 + 61)); /* owner, fixed part, RDATA */
	assert_memory_equal(rr.key_name, "\7testkey", 9);
	assert_memory_equal(rr.alg_name, "\13hmac-sha256", 13);
	assert_int_equal(rr.time_signed, T1_TIME);
	assert_int_equal(rr.fudge, 300);
	assert_int_equal(rr.mac_len, 32);
	assert_int_equal(rr.mac[0], 0x8c);
	assert_int_equal(rr.orig_id, 0xc600);
	assert_int_equal(rr.error, 0);
	assert_int_equal(rr.other_len, 0);

	/* In the window on both edges: OK, the request MAC is kept for the answer. */
	assert_int_equal(verify_with(msg, len, &key, T1_TIME, &st), 0);
	assert_ptr_equal(st.key, &key);
	assert_int_equal(st.error, 0);
	assert_int_equal(st.mac_len, 32);
	assert_memory_equal(st.mac, rr.mac, 32);
	assert_int_equal(verify_with(msg, len, &key, T1_TIME + 300, &st), 0);
	assert_int_equal(verify_with(msg, len, &key, T1_TIME - 300, &st), 0);
	/* Outside: BADTIME, and the MAC was good (the answer gets signed). */
	assert_int_equal(verify_with(msg, len, &key, T1_TIME + 301, &st), ILNPDNS_EBADTIME);
	assert_int_equal(st.error, ILNPDNS_TSIG_BADTIME);
	assert_ptr_equal(st.key, &key);
	assert_int_equal(verify_with(msg, len, &key, T1_TIME - 301, &st), ILNPDNS_EBADTIME);
}

static void test_t1_mac_before_time(void **state)
{
	uint8_t msg[512];
	size_t len = unhex(t1_hex, msg, sizeof(msg));
	struct ilnpdns_tsig_key key;
	struct ilnpdns_tsig_state st;
	struct ilnpdns_tsig_rr rr;
	make_key(&key, "testkey.", "hmac-sha256", T1_SECRET);
	assert_int_equal(ilnpdns_tsig_find(msg, len, &rr), 1);

	/* Last octet of Time Signed changed: BADSIG even at a time that the new
	 * value would fit, and even far outside the window (MAC first, 5.2.2). */
	size_t time_at = rr.start + 9 + 10 + 13 + 5;
	assert_int_equal(msg[time_at], 0x43);
	msg[time_at] ^= 1;
	assert_int_equal(verify_with(msg, len, &key, T1_TIME ^ 1, &st), ILNPDNS_EBADSIG);
	assert_int_equal(st.error, ILNPDNS_TSIG_BADSIG);
	assert_int_equal(verify_with(msg, len, &key, T1_TIME + 100000, &st), ILNPDNS_EBADSIG);
	msg[time_at] ^= 1;
	/* A changed body octet (the A record's address). */
	assert_int_equal(msg[45], 0x02);
	msg[45] ^= 0x80;
	assert_int_equal(verify_with(msg, len, &key, T1_TIME, &st), ILNPDNS_EBADSIG);
	msg[45] ^= 0x80;
	/* A changed MAC octet. */
	msg[len - 7] ^= 1;
	assert_int_equal(verify_with(msg, len, &key, T1_TIME, &st), ILNPDNS_EBADSIG);
	msg[len - 7] ^= 1;
	/* The wrong secret. */
	struct ilnpdns_tsig_key other;
	make_key(&other, "testkey.", "hmac-sha256", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=");
	assert_int_equal(verify_with(msg, len, &other, T1_TIME, &st), ILNPDNS_EBADSIG);
	assert_int_equal(verify_with(msg, len, &key, T1_TIME, &st), 0);
}

static void test_t1_badkey(void **state)
{
	uint8_t msg[512];
	size_t len = unhex(t1_hex, msg, sizeof(msg));
	struct ilnpdns_tsig_key key, key512, stranger;
	struct ilnpdns_tsig_state st;
	struct ilnpdns_tsig_rr rr;
	make_key(&key, "testkey.", "hmac-sha256", T1_SECRET);
	make_key(&key512, "testkey.", "hmac-sha512", T1_SECRET);
	make_key(&stranger, "otherkey.", "hmac-sha256", T1_SECRET);
	assert_int_equal(ilnpdns_tsig_find(msg, len, &rr), 1);

	/* Unknown key name. */
	assert_int_equal(verify_with(msg, len, &stranger, T1_TIME, &st), ILNPDNS_EBADKEY);
	assert_int_equal(st.error, ILNPDNS_TSIG_BADKEY);
	assert_null(st.key);
	assert_memory_equal(st.key_name, "\7testkey", 9);
	/* Known name, but configured for another algorithm than the packet names. */
	assert_int_equal(verify_with(msg, len, &key512, T1_TIME, &st), ILNPDNS_EBADKEY);
	/* The packet's algorithm name changed to hmac-sha512 (same length). */
	size_t alg_at = rr.start + 9 + 10;
	memcpy(msg + alg_at + 9, "512", 3);
	assert_int_equal(verify_with(msg, len, &key, T1_TIME, &st), ILNPDNS_EBADKEY);
	/* ... and to a name nobody implements. */
	memcpy(msg + alg_at + 6, "shaXYZ", 6);
	assert_int_equal(verify_with(msg, len, &key, T1_TIME, &st), ILNPDNS_EBADKEY);
	/* Key name in another case still finds the key (compare case-blind). */
	len = unhex(t1_hex, msg, sizeof(msg));
	memcpy(msg + rr.start + 1, "TestKey", 7);
	assert_int_equal(verify_with(msg, len, &key, T1_TIME, &st), 0);
}

static void test_t1_original_id(void **state)
{
	uint8_t msg[512];
	size_t len = unhex(t1_hex, msg, sizeof(msg));
	struct ilnpdns_tsig_key key;
	struct ilnpdns_tsig_state st;
	make_key(&key, "testkey.", "hmac-sha256", T1_SECRET);
	/* A forwarder changed the header ID; Original ID restores it (4.3.3). */
	ilnpdns_put16(msg, 42);
	assert_int_equal(verify_with(msg, len, &key, T1_TIME, &st), 0);
	/* But the Original ID itself is covered. */
	msg[len - 6] ^= 1;
	assert_int_equal(verify_with(msg, len, &key, T1_TIME, &st), ILNPDNS_EBADSIG);
}

static void test_t2_vector(void **state)
{
	uint8_t msg[512];
	size_t len = unhex(t2_hex, msg, sizeof(msg));
	struct ilnpdns_tsig_key key;
	struct ilnpdns_tsig_state st;
	make_key(&key, "testkey", "hmac-sha256", T1_SECRET);
	assert_int_equal(len, 149);
	assert_int_equal(verify_with(msg, len, &key, 1795707631u, &st), 0);
	assert_int_equal(verify_with(msg, len, &key, 1795707631u + 301, &st), ILNPDNS_EBADTIME);
}

static void test_nsupdate_captures(void **state)
{
	for (size_t i = 0; i < sizeof(captures) / sizeof(captures[0]); i++) {
		uint8_t msg[512];
		size_t len = unhex(captures[i].hex, msg, sizeof(msg));
		struct ilnpdns_tsig_key key;
		struct ilnpdns_tsig_state st;
		struct ilnpdns_tsig_rr rr;
		make_key(&key, "testkey.", captures[i].alg, T1_SECRET);
		assert_int_equal(ilnpdns_tsig_find(msg, len, &rr), 1);
		assert_int_equal(rr.mac_len, key.mac_len);
		if (verify_with(msg, len, &key, rr.time_signed, &st) != 0)
			fail_msg("nsupdate capture %s does not verify", captures[i].alg);
		/* The last octet of the L64 locator. */
		assert_int_equal(msg[52], 0x02);
		msg[52] ^= 1;
		assert_int_equal(verify_with(msg, len, &key, rr.time_signed, &st), ILNPDNS_EBADSIG);
	}
}

/* ---- round trips ---- */

static void roundtrip(const char *alg)
{
	struct ilnpdns_tsig_key ckey, skey;
	struct ilnpdns_tsig_state cst, sst;
	uint8_t req[512], ans[512];
	const uint64_t t = 1700000000;
	make_key(&ckey, "Host1-Key.example.", alg, T1_SECRET);
	make_key(&skey, "host1-key.example.", alg, T1_SECRET);

	size_t rlen = build_query(req, 0x1234, ILNPDNS_OP_UPDATE);
	assert_int_equal(
	    ilnpdns_tsig_sign_request(ctx, &cst, &ckey, 300, req, &rlen, sizeof(req), t), 0);
	assert_int_equal(ilnpdns_get16(req + 10), 1);
	assert_int_equal(cst.mac_len, ilnpdns_tsig_alg_hash_len(ckey.alg));

	assert_int_equal(verify_with(req, rlen, &skey, t + 10, &sst), 0);
	size_t alen = build_answer(ans, 0x1234, ILNPDNS_RCODE_NOERROR, 1);
	size_t before = alen;
	assert_int_equal(ilnpdns_tsig_sign_answer(ctx, &sst, ans, &alen, sizeof(ans), t + 10), 0);
	assert_true(alen - before <= ilnpdns_tsig_space(&sst));
	assert_int_equal(ilnpdns_get16(ans + 10), 1);

	struct ilnpdns_tsig_state saved = cst;
	assert_int_equal(ilnpdns_tsig_verify_answer(ctx, &cst, ans, alen, t + 20), 0);
	assert_int_equal(cst.messages, 1);
	/* The same answer fails outside the window, or with a changed octet. */
	cst = saved;
	assert_int_equal(ilnpdns_tsig_verify_answer(ctx, &cst, ans, alen, t + 10 + 301),
	                 ILNPDNS_EBADTIME);
	cst = saved;
	ans[before - 1] ^= 1;
	assert_int_equal(ilnpdns_tsig_verify_answer(ctx, &cst, ans, alen, t + 10), ILNPDNS_EBADSIG);
	ans[before - 1] ^= 1;
	/* An answer signed over another request MAC does not verify (4.3.1). */
	cst = saved;
	cst.mac[0] ^= 1;
	assert_int_equal(ilnpdns_tsig_verify_answer(ctx, &cst, ans, alen, t + 10), ILNPDNS_EBADSIG);
	/* Unsigned answer to a signed request: a failure. */
	cst = saved;
	alen = build_answer(ans, 0x1234, ILNPDNS_RCODE_NOERROR, 1);
	assert_int_equal(ilnpdns_tsig_verify_answer(ctx, &cst, ans, alen, t + 10), ILNPDNS_ENOENT);
}

static void test_roundtrip_all_algorithms(void **state)
{
	for (size_t i = 0; i < sizeof(all_algs) / sizeof(all_algs[0]); i++)
		roundtrip(all_algs[i]);
}

/* Our own flat concatenation of RFC 8945 4.3.3, HMACed in one call with
 * EVP_Q_mac(): an oracle for sha224/sha384, which ldns cannot compute. */
static void test_flat_oracle(void **state)
{
	for (size_t i = 0; i < sizeof(all_algs) / sizeof(all_algs[0]); i++) {
		struct ilnpdns_tsig_key key;
		struct ilnpdns_tsig_state st;
		uint8_t req[512], flat[1024], mac[64];
		size_t rlen = build_query(req, 0xbeef, ILNPDNS_OP_QUERY), mlen = 0, n = 0;
		make_key(&key, "k.", all_algs[i], T1_SECRET);
		size_t unsigned_len = rlen;
		memcpy(flat, req, rlen);
		n = rlen;
		assert_int_equal(ilnpdns_tsig_sign_request(ctx, &st, &key, 300, req, &rlen,
		                                           sizeof(req), 0x123456789aULL),
		                 0);
		const uint8_t *alg = ilnpdns_tsig_alg_wire(key.alg);
		size_t al = ilnpdns_dname_len(alg);
		memcpy(flat + n, "\1k\0\0\xff\0\0\0\0", 9);
		n += 9;
		memcpy(flat + n, alg, al);
		n += al;
		memcpy(flat + n, "\0\x12\x34\x56\x78\x9a\x01\x2c\0\0\0\0", 12);
		n += 12;
		assert_non_null(EVP_Q_mac(NULL, "HMAC", NULL, ilnpdns_tsig_alg_digest(key.alg),
		                          NULL, key.secret, key.secret_len, flat, n, mac,
		                          sizeof(mac), &mlen));
		assert_int_equal(mlen, ilnpdns_tsig_alg_hash_len(key.alg));
		assert_memory_equal(st.mac, mac, mlen);
		/* And the MAC sits in the appended RR, after the 10 fixed octets. */
		assert_memory_equal(req + unsigned_len + 3 + 10 + al + 10, mac, mlen);
	}
}

/* ---- ldns as an oracle (hmac-sha256 and hmac-sha512, where ldns works) ---- */

static void ldns_checks(const char *alg, const char *ldns_alg)
{
	struct ilnpdns_tsig_key key;
	struct ilnpdns_tsig_state cst, sst;
	uint8_t req[512], ans[512];
	uint64_t now = ilnpdns_tsig_now();
	ldns_pkt *lreq = NULL, *lans = NULL;
	make_key(&key, "testkey.", alg, T1_SECRET);

	/* We sign the request, ldns verifies it. */
	size_t rlen = build_query(req, 777, ILNPDNS_OP_UPDATE);
	assert_int_equal(
	    ilnpdns_tsig_sign_request(ctx, &cst, &key, 300, req, &rlen, sizeof(req), now), 0);
	assert_int_equal(ldns_wire2pkt(&lreq, req, rlen), LDNS_STATUS_OK);
	assert_true(ldns_pkt_tsig_verify(lreq, req, rlen, "testkey.", T1_SECRET, NULL));
	ldns_rdf *req_mac = ldns_rr_rdf(ldns_pkt_tsig(lreq), 3);

	/* We sign the answer over the request MAC, ldns verifies it. */
	assert_int_equal(verify_with(req, rlen, &key, now, &sst), 0);
	size_t alen = build_answer(ans, 777, 0, 9);
	assert_int_equal(ilnpdns_tsig_sign_answer(ctx, &sst, ans, &alen, sizeof(ans), now), 0);
	assert_int_equal(ldns_wire2pkt(&lans, ans, alen), LDNS_STATUS_OK);
	assert_true(ldns_pkt_tsig_verify(lans, ans, alen, "testkey.", T1_SECRET, req_mac));
	ldns_pkt_free(lans);
	/* ldns agrees that a changed answer fails. */
	ans[alen - 20] ^= 1;
	assert_int_equal(ldns_wire2pkt(&lans, ans, alen), LDNS_STATUS_OK);
	assert_false(ldns_pkt_tsig_verify(lans, ans, alen, "testkey.", T1_SECRET, req_mac));
	ldns_pkt_free(lans);

	/* ldns signs an answer to our request, we verify it. */
	uint8_t *wire = NULL;
	size_t wlen = 0;
	alen = build_answer(ans, 777, 0, 10);
	assert_int_equal(ldns_wire2pkt(&lans, ans, alen), LDNS_STATUS_OK);
	assert_int_equal(ldns_pkt_tsig_sign(lans, "testkey.", T1_SECRET, 300, ldns_alg, req_mac),
	                 LDNS_STATUS_OK);
	assert_int_equal(ldns_pkt2wire(&wire, lans, &wlen), LDNS_STATUS_OK);
	assert_int_equal(ilnpdns_tsig_verify_answer(ctx, &cst, wire, wlen, ilnpdns_tsig_now()), 0);
	free(wire);
	ldns_pkt_free(lans);
	ldns_pkt_free(lreq);

	/* ldns signs a request, our server side verifies it. */
	lreq = ldns_pkt_query_new(ldns_dname_new_frm_str("example.com."), LDNS_RR_TYPE_SOA,
	                          LDNS_RR_CLASS_IN, LDNS_RD);
	assert_non_null(lreq);
	ldns_pkt_set_id(lreq, 4321);
	assert_int_equal(ldns_pkt_tsig_sign(lreq, "testkey.", T1_SECRET, 300, ldns_alg, NULL),
	                 LDNS_STATUS_OK);
	assert_int_equal(ldns_pkt2wire(&wire, lreq, &wlen), LDNS_STATUS_OK);
	assert_int_equal(verify_with(wire, wlen, &key, ilnpdns_tsig_now(), &sst), 0);
	wire[wlen - 10] ^= 1;
	assert_int_equal(verify_with(wire, wlen, &key, ilnpdns_tsig_now(), &sst), ILNPDNS_EBADSIG);
	free(wire);
	ldns_pkt_free(lreq);
}

static void test_ldns_oracle(void **state)
{
	ldns_checks("hmac-sha256", "hmac-sha256.");
	ldns_checks("hmac-sha512", "hmac-sha512.");
}

/* ---- error answers ---- */

static void test_unsigned_error_answers(void **state)
{
	uint8_t msg[512], ans[512];
	size_t len = unhex(t1_hex, msg, sizeof(msg));
	struct ilnpdns_tsig_key key, stranger;
	struct ilnpdns_tsig_state st;
	struct ilnpdns_tsig_rr rr;
	make_key(&key, "testkey.", "hmac-sha256", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=");
	make_key(&stranger, "otherkey.", "hmac-sha256", T1_SECRET);

	/* BADSIG: NOTAUTH, TSIG with MAC size 0, error 16, request's key name. */
	assert_int_equal(verify_with(msg, len, &key, T1_TIME, &st), ILNPDNS_EBADSIG);
	size_t alen = build_answer(ans, 0xc600, ILNPDNS_RCODE_NOTAUTH, 1);
	assert_int_equal(ilnpdns_tsig_sign_answer(ctx, &st, ans, &alen, sizeof(ans), 5000), 0);
	assert_int_equal(ilnpdns_tsig_find(ans, alen, &rr), 1);
	assert_int_equal(rr.mac_len, 0);
	assert_int_equal(rr.error, ILNPDNS_TSIG_BADSIG);
	assert_memory_equal(rr.key_name, "\7testkey", 9);
	assert_memory_equal(rr.alg_name, "\13hmac-sha256", 13);
	assert_int_equal(rr.orig_id, 0xc600);
	assert_int_equal(rr.fudge, 300);
	/* Only one such TSIG: a second call is refused. */
	assert_int_equal(ilnpdns_tsig_sign_answer(ctx, &st, ans, &alen, sizeof(ans), 5000),
	                 ILNPDNS_EINVAL);

	/* BADKEY likewise, also verified as a client would see it. */
	assert_int_equal(verify_with(msg, len, &stranger, T1_TIME, &st), ILNPDNS_EBADKEY);
	alen = build_answer(ans, 0xc600, ILNPDNS_RCODE_NOTAUTH, 1);
	assert_int_equal(ilnpdns_tsig_sign_answer(ctx, &st, ans, &alen, sizeof(ans), 5000), 0);
	assert_int_equal(ilnpdns_tsig_find(ans, alen, &rr), 1);
	assert_int_equal(rr.mac_len, 0);
	assert_int_equal(rr.error, ILNPDNS_TSIG_BADKEY);
	struct ilnpdns_tsig_key client;
	struct ilnpdns_tsig_state cst;
	uint8_t req[512];
	make_key(&client, "testkey.", "hmac-sha256", T1_SECRET);
	size_t rlen = build_query(req, 0xc600, 5);
	assert_int_equal(
	    ilnpdns_tsig_sign_request(ctx, &cst, &client, 300, req, &rlen, sizeof(req), 5000), 0);
	assert_int_equal(ilnpdns_tsig_verify_answer(ctx, &cst, ans, alen, 5000), ILNPDNS_EBADKEY);
	assert_int_equal(cst.error, ILNPDNS_TSIG_BADKEY);
	assert_int_equal(cst.messages, 0);
}

static void test_badtime_answer(void **state)
{
	struct ilnpdns_tsig_key key;
	struct ilnpdns_tsig_state cst, sst;
	struct ilnpdns_tsig_rr rr;
	uint8_t req[512], ans[512];
	const uint64_t client_time = 1000000, server_time = 1000000 + 3600;
	make_key(&key, "testkey.", "hmac-sha256", T1_SECRET);
	size_t rlen = build_query(req, 99, ILNPDNS_OP_UPDATE);
	assert_int_equal(
	    ilnpdns_tsig_sign_request(ctx, &cst, &key, 300, req, &rlen, sizeof(req), client_time),
	    0);
	assert_int_equal(verify_with(req, rlen, &key, server_time, &sst), ILNPDNS_EBADTIME);
	size_t alen = build_answer(ans, 99, ILNPDNS_RCODE_NOTAUTH, 1);
	assert_int_equal(ilnpdns_tsig_sign_answer(ctx, &sst, ans, &alen, sizeof(ans), server_time),
	                 0);
	assert_int_equal(ilnpdns_tsig_find(ans, alen, &rr), 1);
	/* 5.2.3: signed, Time Signed echoes the request, Other Data = our clock. */
	assert_int_equal(rr.mac_len, 32);
	assert_int_equal(rr.error, ILNPDNS_TSIG_BADTIME);
	assert_int_equal(rr.time_signed, client_time);
	assert_int_equal(rr.other_len, 6);
	assert_memory_equal(rr.other, "\0\0\0\x0f\x50\x50", 6); /* 1003600 */

	/* The client trusts it (MAC good) and learns the server time. */
	struct ilnpdns_tsig_state saved = cst;
	assert_int_equal(ilnpdns_tsig_verify_answer(ctx, &cst, ans, alen, client_time),
	                 ILNPDNS_EBADTIME);
	assert_int_equal(cst.error, ILNPDNS_TSIG_BADTIME);
	assert_int_equal(cst.other_time, server_time);

	/* ldns agrees with the MAC, Other Data included. */
	ldns_pkt *lreq = NULL, *lans = NULL;
	assert_int_equal(ldns_wire2pkt(&lreq, req, rlen), LDNS_STATUS_OK);
	assert_int_equal(ldns_wire2pkt(&lans, ans, alen), LDNS_STATUS_OK);
	assert_true(ldns_pkt_tsig_verify(lans, ans, alen, "testkey.", T1_SECRET,
	                                 ldns_rr_rdf(ldns_pkt_tsig(lreq), 3)));
	ldns_pkt_free(lans);
	ldns_pkt_free(lreq);

	/* Other Data is covered by the MAC. */
	cst = saved;
	ans[alen - 1] ^= 1;
	assert_int_equal(ilnpdns_tsig_verify_answer(ctx, &cst, ans, alen, client_time),
	                 ILNPDNS_EBADSIG);
}

/* ---- truncation (RFC 8945 5.2.2.1 and 5.2.4) ---- */

/* A request whose TSIG has mac_len octets of MAC (content arbitrary). */
static size_t request_with_mac(uint8_t *msg, const char *alg_wire, uint16_t mac_len)
{
	struct ilnpdns_tsig_rr rr;
	static const uint8_t junk[80];
	size_t len = build_query(msg, 7, 0);
	memset(&rr, 0, sizeof(rr));
	memcpy(rr.key_name, "\7testkey", 9);
	memcpy(rr.alg_name, alg_wire, strlen(alg_wire) + 1);
	rr.time_signed = 1000;
	rr.fudge = 300;
	rr.mac = junk;
	rr.mac_len = mac_len;
	rr.orig_id = 7;
	assert_int_equal(ilnpdns_tsig_rr_append(msg, &len, 512, &rr), 0);
	return len;
}

static void test_truncation(void **state)
{
	struct ilnpdns_tsig_key full, trunc, sha1;
	struct ilnpdns_tsig_state st, cst;
	uint8_t msg[512], ans[512];
	size_t len;
	make_key(&full, "testkey.", "hmac-sha256", T1_SECRET);
	make_key(&trunc, "testkey.", "hmac-sha256-128", T1_SECRET);
	make_key(&sha1, "testkey.", "hmac-sha1", T1_SECRET);
	assert_int_equal(trunc.mac_len, 16);

	/* Sizes that are a format error, before any MAC work. */
	const uint16_t bad256[] = {0, 1, 9, 10, 15, 33, 64};
	for (size_t i = 0; i < sizeof(bad256) / sizeof(bad256[0]); i++) {
		len = request_with_mac(msg, "\13hmac-sha256", bad256[i]);
		if (verify_with(msg, len, &full, 1000, &st) != ILNPDNS_EMALF)
			fail_msg("MAC size %u not FORMERR", bad256[i]);
	}
	/* hmac-sha1: half the hash is 10, so 10 octets are allowed, 9 not. */
	len = request_with_mac(msg, "\11hmac-sha1", 9);
	assert_int_equal(verify_with(msg, len, &sha1, 1000, &st), ILNPDNS_EMALF);
	len = request_with_mac(msg, "\11hmac-sha1", 10);
	assert_int_equal(verify_with(msg, len, &sha1, 1000, &st), ILNPDNS_EBADSIG);
	len = request_with_mac(msg, "\11hmac-sha1", 21);
	assert_int_equal(verify_with(msg, len, &sha1, 1000, &st), ILNPDNS_EMALF);

	/* A correctly truncated request (16 of 32 octets) against a key that
	 * wants the full MAC: BADTRUNC, after the MAC check, signed answer. */
	len = build_query(msg, 8, ILNPDNS_OP_UPDATE);
	assert_int_equal(
	    ilnpdns_tsig_sign_request(ctx, &cst, &trunc, 300, msg, &len, sizeof(msg), 2000), 0);
	assert_int_equal(cst.mac_len, 16);
	assert_int_equal(verify_with(msg, len, &full, 2000, &st), ILNPDNS_EBADSIG);
	assert_int_equal(st.error, ILNPDNS_TSIG_BADTRUNC);
	size_t alen = build_answer(ans, 8, ILNPDNS_RCODE_NOTAUTH, 1);
	assert_int_equal(ilnpdns_tsig_sign_answer(ctx, &st, ans, &alen, sizeof(ans), 2000), 0);
	struct ilnpdns_tsig_rr rr;
	assert_int_equal(ilnpdns_tsig_find(ans, alen, &rr), 1);
	assert_int_equal(rr.error, ILNPDNS_TSIG_BADTRUNC);
	assert_int_equal(rr.mac_len, 32);
	/* The client (which sent 16 octets) verifies the full MAC and sees BADTRUNC. */
	struct ilnpdns_tsig_state saved = cst;
	assert_int_equal(ilnpdns_tsig_verify_answer(ctx, &cst, ans, alen, 2000), ILNPDNS_EBADSIG);
	assert_int_equal(cst.error, ILNPDNS_TSIG_BADTRUNC);

	/* A server key that allows 16 octets accepts it, and answers with 16. */
	assert_int_equal(verify_with(msg, len, &trunc, 2000, &st), 0);
	alen = build_answer(ans, 8, 0, 1);
	assert_int_equal(ilnpdns_tsig_sign_answer(ctx, &st, ans, &alen, sizeof(ans), 2000), 0);
	assert_int_equal(ilnpdns_tsig_find(ans, alen, &rr), 1);
	assert_int_equal(rr.mac_len, 16);
	cst = saved;
	assert_int_equal(ilnpdns_tsig_verify_answer(ctx, &cst, ans, alen, 2000), 0);
	/* ... while a client holding the full-length key refuses a 16-octet answer. */
	struct ilnpdns_tsig_state fst;
	len = build_query(msg, 9, ILNPDNS_OP_UPDATE);
	assert_int_equal(
	    ilnpdns_tsig_sign_request(ctx, &fst, &full, 300, msg, &len, sizeof(msg), 2000), 0);
	assert_int_equal(verify_with(msg, len, &trunc, 2000, &st), 0);
	alen = build_answer(ans, 9, 0, 1);
	assert_int_equal(ilnpdns_tsig_sign_answer(ctx, &st, ans, &alen, sizeof(ans), 2000), 0);
	assert_int_equal(ilnpdns_tsig_find(ans, alen, &rr), 1);
	assert_int_equal(rr.mac_len, 32); /* never shorter than the request's */
	assert_int_equal(ilnpdns_tsig_verify_answer(ctx, &fst, ans, alen, 2000), 0);
}

/* ---- structure ---- */

static void test_structure(void **state)
{
	struct ilnpdns_tsig_key key;
	struct ilnpdns_tsig_state st;
	struct ilnpdns_tsig_rr rr;
	uint8_t msg[1024], tsig[256];
	make_key(&key, "testkey.", "hmac-sha256", T1_SECRET);

	/* No TSIG at all. */
	size_t len = build_query(msg, 1, 0);
	assert_int_equal(ilnpdns_tsig_find(msg, len, &rr), 0);
	assert_int_equal(verify_with(msg, len, &key, 1000, &st), ILNPDNS_ENOENT);

	/* A good signed request to start from. */
	len = build_query(msg, 1, 0);
	struct ilnpdns_tsig_state cst;
	assert_int_equal(
	    ilnpdns_tsig_sign_request(ctx, &cst, &key, 300, msg, &len, sizeof(msg), 1000), 0);
	assert_int_equal(verify_with(msg, len, &key, 1000, &st), 0);
	assert_int_equal(ilnpdns_tsig_find(msg, len, &rr), 1);
	size_t tlen = len - rr.start;
	memcpy(tsig, msg + rr.start, tlen);
	size_t base = rr.start;

	/* TSIG not last: another additional RR after it. */
	static const uint8_t a_rr[] = {0, 0, 1, 0, 1, 0, 0, 0, 0, 0, 4, 1, 2, 3, 4};
	memcpy(msg + len, a_rr, sizeof(a_rr));
	ilnpdns_put16(msg + 10, 2);
	assert_int_equal(ilnpdns_tsig_find(msg, len + sizeof(a_rr), &rr), ILNPDNS_EMALF);
	assert_int_equal(verify_with(msg, len + sizeof(a_rr), &key, 1000, &st), ILNPDNS_EMALF);

	/* Two TSIGs. */
	memcpy(msg + len, tsig, tlen);
	assert_int_equal(ilnpdns_tsig_find(msg, len + tlen, &rr), ILNPDNS_EMALF);
	ilnpdns_put16(msg + 10, 1);

	/* TSIG in the answer section. */
	ilnpdns_put16(msg + 6, 1);
	ilnpdns_put16(msg + 10, 0);
	assert_int_equal(ilnpdns_tsig_find(msg, len, &rr), ILNPDNS_EMALF);
	ilnpdns_put16(msg + 6, 0);
	ilnpdns_put16(msg + 10, 1);
	assert_int_equal(verify_with(msg, len, &key, 1000, &st), 0);

	/* Trailing octets after the TSIG. */
	msg[len] = 0;
	assert_int_equal(ilnpdns_tsig_find(msg, len + 1, &rr), ILNPDNS_EMALF);
	/* Truncated message. */
	assert_int_equal(ilnpdns_tsig_find(msg, len - 1, &rr), ILNPDNS_EMALF);
	assert_int_equal(ilnpdns_tsig_find(msg, 11, &rr), ILNPDNS_EMALF);

	/* CLASS not ANY; TTL not 0 (offsets inside the RR: owner 9, type 2). */
	msg[base + 9 + 3] = 1;
	assert_int_equal(ilnpdns_tsig_find(msg, len, &rr), ILNPDNS_EMALF);
	msg[base + 9 + 3] = 0xff;
	msg[base + 9 + 7] = 1;
	assert_int_equal(ilnpdns_tsig_find(msg, len, &rr), ILNPDNS_EMALF);
	msg[base + 9 + 7] = 0;
	/* RDLENGTH one too long / too short. */
	msg[base + 9 + 9]++;
	assert_int_equal(ilnpdns_tsig_find(msg, len + 1, &rr), ILNPDNS_EMALF);
	msg[base + 9 + 9] -= 2;
	assert_int_equal(ilnpdns_tsig_find(msg, len - 1, &rr), ILNPDNS_EMALF);
	msg[base + 9 + 9]++;
	assert_int_equal(ilnpdns_tsig_find(msg, len, &rr), 1);

	/* Non-zero Error in a request: FORMERR. */
	msg[len - 3] = ILNPDNS_TSIG_BADTIME;
	assert_int_equal(ilnpdns_tsig_find(msg, len, &rr), 1);
	assert_int_equal(verify_with(msg, len, &key, 1000, &st), ILNPDNS_EMALF);
	msg[len - 3] = 0;

	/* A compressed key name is read (and still verifies); a compressed
	 * algorithm name is refused (4.2). Owner "testkey." -> pointer to a copy
	 * placed in the question? Use a pointer to offset 12 ("example.com."),
	 * which changes the key: it must then be unknown. */
	uint8_t m2[1024];
	size_t l2 = build_query(m2, 1, 0);
	m2[l2++] = 0xc0;
	m2[l2++] = 12;
	memcpy(m2 + l2, tsig + 9, tlen - 9);
	l2 += tlen - 9;
	ilnpdns_put16(m2 + 10, 1);
	assert_int_equal(ilnpdns_tsig_find(m2, l2, &rr), 1);
	assert_memory_equal(rr.key_name, "\7example\3com", 13);
	assert_int_equal(verify_with(m2, l2, &key, 1000, &st), ILNPDNS_EBADKEY);
	/* Algorithm name as a pointer to the question name. */
	l2 = build_query(m2, 1, 0);
	memcpy(m2 + l2, tsig, 9 + 8);
	ilnpdns_put16(m2 + l2 + 9 + 8, (uint16_t)(2 + 16 + 32));
	m2[l2 + 19] = 0xc0;
	m2[l2 + 20] = 12;
	memcpy(m2 + l2 + 21, tsig + 9 + 10 + 13, 16 + 32);
	l2 += 21 + 16 + 32;
	ilnpdns_put16(m2 + 10, 1);
	assert_int_equal(ilnpdns_tsig_find(m2, l2, &rr), ILNPDNS_EMALF);
}

static void test_append_and_space(void **state)
{
	struct ilnpdns_tsig_key key;
	struct ilnpdns_tsig_state cst, sst;
	uint8_t msg[512], ans[512], copy[512];
	make_key(&key, "a-rather-long-key-name.example.", "hmac-sha512", T1_SECRET);
	size_t len = build_query(msg, 3, 0);
	/* Too small a buffer: ETRUNC and nothing changed. */
	memcpy(copy, msg, len);
	size_t small = len;
	assert_int_equal(ilnpdns_tsig_sign_request(ctx, &cst, &key, 300, msg, &small, len + 50, 1),
	                 ILNPDNS_ETRUNC);
	assert_int_equal(small, len);
	assert_memory_equal(msg, copy, len);
	assert_int_equal(ilnpdns_tsig_sign_request(ctx, &cst, &key, 300, msg, &len, sizeof(msg), 1),
	                 0);
	assert_int_equal(verify_with(msg, len, &key, 1, &sst), 0);
	/* The space estimate for the worst answer (BADTIME, with Other Data) fits exactly. */
	sst.error = ILNPDNS_TSIG_BADTIME;
	size_t alen = build_answer(ans, 3, ILNPDNS_RCODE_NOTAUTH, 1), before = alen;
	size_t cap = alen + ilnpdns_tsig_space(&sst);
	assert_int_equal(ilnpdns_tsig_sign_answer(ctx, &sst, ans, &alen, cap - 1, 1),
	                 ILNPDNS_ETRUNC);
	assert_int_equal(alen, before);
	assert_int_equal(ilnpdns_tsig_sign_answer(ctx, &sst, ans, &alen, cap, 1), 0);
	assert_int_equal(alen, cap);
	/* The key name went out uncompressed although the question could have served. */
	struct ilnpdns_tsig_rr rr;
	assert_int_equal(ilnpdns_tsig_find(ans, alen, &rr), 1);
	assert_memory_equal(ans + rr.start, key.name, ilnpdns_dname_len(key.name));
}

/* ---- multi-message (RFC 8945 4.3.2, 5.3.1) ---- */

static void test_multi_message(void **state)
{
	struct ilnpdns_tsig_key key;
	struct ilnpdns_tsig_state cst, sst;
	uint8_t req[512], ans[4][512];
	size_t alen[4];
	make_key(&key, "xfr-key.", "hmac-sha256", T1_SECRET);
	size_t rlen = build_query(req, 55, 0);
	assert_int_equal(
	    ilnpdns_tsig_sign_request(ctx, &cst, &key, 300, req, &rlen, sizeof(req), 5000), 0);
	assert_int_equal(verify_with(req, rlen, &key, 5000, &sst), 0);
	for (int i = 0; i < 4; i++) {
		alen[i] = build_answer(ans[i], 55, 0, (uint8_t)i);
		assert_int_equal(ilnpdns_tsig_sign_answer(ctx, &sst, ans[i], &alen[i],
		                                          sizeof(ans[i]), 5000 + (uint64_t)i),
		                 0);
	}
	assert_int_equal(sst.messages, 4);

	/* ldns checks message 1 (all variables) and 2 (timers only). */
	ldns_pkt *lreq = NULL, *l1 = NULL, *l2 = NULL;
	assert_int_equal(ldns_wire2pkt(&lreq, req, rlen), LDNS_STATUS_OK);
	assert_int_equal(ldns_wire2pkt(&l1, ans[0], alen[0]), LDNS_STATUS_OK);
	assert_int_equal(ldns_wire2pkt(&l2, ans[1], alen[1]), LDNS_STATUS_OK);
	assert_true(ldns_pkt_tsig_verify(l1, ans[0], alen[0], "xfr-key.", T1_SECRET,
	                                 ldns_rr_rdf(ldns_pkt_tsig(lreq), 3)));
	assert_true(ldns_pkt_tsig_verify_next(l2, ans[1], alen[1], "xfr-key.", T1_SECRET,
	                                      ldns_rr_rdf(ldns_pkt_tsig(l1), 3), 1));
	assert_false(ldns_pkt_tsig_verify_next(l2, ans[1], alen[1], "xfr-key.", T1_SECRET,
	                                       ldns_rr_rdf(ldns_pkt_tsig(lreq), 3), 1));
	ldns_pkt_free(lreq);
	ldns_pkt_free(l1);
	ldns_pkt_free(l2);

	/* Our client verifies them in order ... */
	struct ilnpdns_tsig_state saved = cst;
	for (int i = 0; i < 4; i++)
		assert_int_equal(ilnpdns_tsig_verify_answer(ctx, &cst, ans[i], alen[i], 5000), 0);
	/* ... and not out of order: each MAC chains to the one before. */
	cst = saved;
	assert_int_equal(ilnpdns_tsig_verify_answer(ctx, &cst, ans[0], alen[0], 5000), 0);
	assert_int_equal(ilnpdns_tsig_verify_answer(ctx, &cst, ans[2], alen[2], 5000),
	                 ILNPDNS_EBADSIG);
	assert_int_equal(ilnpdns_tsig_verify_answer(ctx, &cst, ans[1], alen[1], 5000), 0);
	/* A continuation is not a first message. */
	cst = saved;
	assert_int_equal(ilnpdns_tsig_verify_answer(ctx, &cst, ans[1], alen[1], 5000),
	                 ILNPDNS_EBADSIG);
}

/* ---- replay cache ---- */

static void test_replay(void **state)
{
	struct ilnpdns_tsig_replay *rc = ilnpdns_tsig_replay_new(64);
	assert_non_null(rc);
	uint8_t msg[512];
	size_t len = unhex(t1_hex, msg, sizeof(msg));
	struct ilnpdns_tsig_key key;
	struct ilnpdns_tsig_state st;
	struct keyring ring = {&key, 1, 0};
	make_key(&key, "testkey.", "hmac-sha256", T1_SECRET);

	assert_int_equal(
	    ilnpdns_tsig_verify_request(ctx, msg, len, ring_lookup, &ring, rc, T1_TIME, &st), 0);
	assert_false(st.replay);
	/* The same message again, even with another header ID: refused, signed BADTIME. */
	ilnpdns_put16(msg, 77);
	assert_int_equal(
	    ilnpdns_tsig_verify_request(ctx, msg, len, ring_lookup, &ring, rc, T1_TIME + 5, &st),
	    ILNPDNS_EBADTIME);
	assert_true(st.replay);
	assert_int_equal(st.error, ILNPDNS_TSIG_BADTIME);
	assert_ptr_equal(st.key, &key);
	/* Forgeries never enter the cache: a bad MAC stays BADSIG. */
	msg[len - 7] ^= 1;
	assert_int_equal(
	    ilnpdns_tsig_verify_request(ctx, msg, len, ring_lookup, &ring, rc, T1_TIME, &st),
	    ILNPDNS_EBADSIG);
	assert_int_equal(
	    ilnpdns_tsig_verify_request(ctx, msg, len, ring_lookup, &ring, rc, T1_TIME, &st),
	    ILNPDNS_EBADSIG);

	/* The cache alone: per key name, per MAC, until expiry. */
	const uint8_t mac1[16] = {1}, mac2[16] = {2};
	const uint8_t *k1 = (const uint8_t *)"\2k1", *k2 = (const uint8_t *)"\2k2";
	assert_false(ilnpdns_tsig_replay_seen(rc, k1, mac1, 16, 2000, 1000));
	assert_true(ilnpdns_tsig_replay_seen(rc, k1, mac1, 16, 2000, 1999));
	assert_true(ilnpdns_tsig_replay_seen(rc, k1, mac1, 16, 2000, 2000));
	assert_false(ilnpdns_tsig_replay_seen(rc, k2, mac1, 16, 2000, 1000));
	assert_false(ilnpdns_tsig_replay_seen(rc, k1, mac2, 16, 2000, 1000));
	assert_false(ilnpdns_tsig_replay_seen(rc, k1, mac1, 15, 2000, 1000));
	/* Expired: a new sighting (BADTIME would refuse the message anyway). */
	assert_false(ilnpdns_tsig_replay_seen(rc, k1, mac1, 16, 3000, 2001));
	assert_true(ilnpdns_tsig_replay_seen(rc, k1, mac1, 16, 3000, 2002));
	assert_int_equal(ilnpdns_tsig_replay_evictions(rc), 0);
	ilnpdns_tsig_replay_free(rc);

	/* A full table drops the entry that expires first, and counts it. */
	rc = ilnpdns_tsig_replay_new(1); /* one bucket of 4 */
	assert_non_null(rc);
	uint8_t mac[16] = {0};
	for (uint8_t i = 0; i < 5; i++) {
		mac[0] = i;
		assert_false(ilnpdns_tsig_replay_seen(rc, k1, mac, 16, 100u + i, 10));
	}
	assert_int_equal(ilnpdns_tsig_replay_evictions(rc), 1);
	mac[0] = 0; /* expired first, so dropped */
	assert_false(ilnpdns_tsig_replay_seen(rc, k1, mac, 16, 100, 10));
	mac[0] = 4;
	assert_true(ilnpdns_tsig_replay_seen(rc, k1, mac, 16, 104, 10));
	ilnpdns_tsig_replay_free(rc);
}

/* ---- cost of one verification ---- */

static long openssl_allocs;

static void *count_malloc(size_t n, const char *file, int line)
{
	openssl_allocs++;
	return malloc(n);
}

static void *count_realloc(void *p, size_t n, const char *file, int line)
{
	openssl_allocs++;
	return realloc(p, n);
}

static void count_free(void *p, const char *file, int line)
{
	free(p);
}

static bool counting;

static void test_verify_cost(void **state)
{
	uint8_t msg[512];
	size_t len = unhex(t1_hex, msg, sizeof(msg));
	struct ilnpdns_tsig_key key;
	struct ilnpdns_tsig_state st;
	make_key(&key, "testkey.", "hmac-sha256", T1_SECRET);
	assert_true(counting); /* the hooks were installed before OpenSSL's first allocation */
	assert_int_equal(verify_with(msg, len, &key, T1_TIME, &st), 0);

	/* Our code allocates nothing here; OpenSSL makes a few small objects
	 * per HMAC, and must not make more (nor grow with the message). */
	long before = openssl_allocs;
	assert_int_equal(verify_with(msg, len, &key, T1_TIME, &st), 0);
	long per_verify = openssl_allocs - before;
	/* 5 when the key is set anew; 2 once the context holds it (mac_begin). */
	assert_true(per_verify <= 3);

	const int rounds = 20000;
	struct timespec a, b;
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (int i = 0; i < rounds; i++)
		if (verify_with(msg, len, &key, T1_TIME, &st) != 0)
			fail();
	clock_gettime(CLOCK_MONOTONIC, &b);
	double ns =
	    ((double)(b.tv_sec - a.tv_sec) * 1e9 + (double)(b.tv_nsec - a.tv_nsec)) / rounds;
	print_message("tsig verify (hmac-sha256, 127 octets): %.0f ns, %ld OpenSSL allocations\n",
	              ns, per_verify);
}

static int setup(void **state)
{
	ctx = ilnpdns_tsig_ctx_new();
	return ctx == NULL ? -1 : 0;
}

static int teardown(void **state)
{
	ilnpdns_tsig_ctx_free(ctx);
	return 0;
}

int main(void)
{
	/* Must precede every OpenSSL allocation, or OpenSSL refuses it. */
	counting = CRYPTO_set_mem_functions(count_malloc, count_realloc, count_free) == 1;
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_t1_vector),
	    cmocka_unit_test(test_t1_mac_before_time),
	    cmocka_unit_test(test_t1_badkey),
	    cmocka_unit_test(test_t1_original_id),
	    cmocka_unit_test(test_t2_vector),
	    cmocka_unit_test(test_nsupdate_captures),
	    cmocka_unit_test(test_roundtrip_all_algorithms),
	    cmocka_unit_test(test_flat_oracle),
	    cmocka_unit_test(test_ldns_oracle),
	    cmocka_unit_test(test_unsigned_error_answers),
	    cmocka_unit_test(test_badtime_answer),
	    cmocka_unit_test(test_truncation),
	    cmocka_unit_test(test_structure),
	    cmocka_unit_test(test_append_and_space),
	    cmocka_unit_test(test_multi_message),
	    cmocka_unit_test(test_replay),
	    cmocka_unit_test(test_verify_cost),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
