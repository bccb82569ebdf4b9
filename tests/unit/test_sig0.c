/* SPDX-License-Identifier: BSD-2-Clause */
/* test_sig0.c -- SIG(0) keys, signing, verification and limits, checked against BIND and ldns. */
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
#include "ilnpdns/sig0.h"
#include "ilnpdns/wire.h"

#ifndef SIG0_DATADIR
#define SIG0_DATADIR "tests/unit/data/sig0"
#endif

/* The committed dnssec-keygen pairs; the tag in each name is BIND's. */
static const char *const key_files[] = {
    "Khost1.example.ilnp.+015+63052",
    "Khost1.example.ilnp.+013+22777",
    "Khost1.example.ilnp.+008+33061",
};
#define NKEYS 3

/* The clock every context in this file runs on. */
static uint64_t fake_now = 1800000000;

static uint64_t fake_clock(void *arg)
{
	return *(uint64_t *)arg;
}

struct fixture {
	struct ilnpdns_sig0_ctx *ctx;
	struct ilnpdns_sig0_key *priv[NKEYS]; /* loaded from the key files */
	struct ilnpdns_sig0_key *pub[NKEYS];  /* the same keys from KEY RDATA only */
};

static void key_path(char *buf, size_t cap, int i, const char *suffix)
{
	const char *dir = getenv("top_srcdir");
	if (dir != NULL)
		snprintf(buf, cap, "%s/tests/unit/data/sig0/%s%s", dir, key_files[i], suffix);
	else
		snprintf(buf, cap, "%s/%s%s", SIG0_DATADIR, key_files[i], suffix);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	char path[4096];
	assert_non_null(f);
	assert_int_equal(ilnpdns_sig0_ctx_new(&f->ctx), 0);
	ilnpdns_sig0_ctx_set_clock(f->ctx, fake_clock, &fake_now);
	for (int i = 0; i < NKEYS; i++) {
		key_path(path, sizeof(path), i, ".private");
		assert_int_equal(ilnpdns_sig0_key_load(path, &f->priv[i]), 0);
		size_t len;
		const uint8_t *rd = ilnpdns_sig0_key_rdata(f->priv[i], &len);
		assert_int_equal(ilnpdns_sig0_key_from_rdata(ilnpdns_sig0_key_name(f->priv[i]), rd,
		                                             len, &f->pub[i]),
		                 0);
	}
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	for (int i = 0; i < NKEYS; i++) {
		ilnpdns_sig0_key_free(f->priv[i]);
		ilnpdns_sig0_key_free(f->pub[i]);
	}
	ilnpdns_sig0_ctx_free(f->ctx);
	free(f);
	fake_now = 1800000000;
	return 0;
}

static size_t hex(const char *s, uint8_t *out)
{
	size_t n = 0;
	for (; s[0] != '\0' && s[1] != '\0'; s += 2) {
		unsigned v;
		assert_int_equal(sscanf(s, "%2x", &v), 1);
		out[n++] = (uint8_t)v;
	}
	return n;
}

static size_t append(uint8_t *p, const void *data, size_t n)
{
	memcpy(p, data, n);
	return n;
}

/*
 * An UPDATE for example.ilnp (RFC 2136 2): zone SOA/IN, one prerequisite
 * "host1 exists", one update "add host1 0 IN L64 10 2001:db8:1140:1000".
 */
static size_t make_update(uint8_t *m, uint16_t id)
{
	static const uint8_t zone[] = "\7example\4ilnp";
	size_t n = 0;
	ilnpdns_put16(m, id);
	ilnpdns_put16(m + 2, ILNPDNS_OP_UPDATE << 11);
	ilnpdns_put16(m + 4, 1);
	ilnpdns_put16(m + 6, 1);
	ilnpdns_put16(m + 8, 1);
	ilnpdns_put16(m + 10, 0);
	n = ILNPDNS_HDR_LEN;
	n += append(m + n, zone, sizeof(zone));
	n += append(m + n, "\0\6\0\1", 4);
	/* prerequisite: host1 ANY ANY 0 (name in use), owner compressed against the zone */
	n += append(m + n, "\5host1\xc0\x0c\0\xff\0\xff\0\0\0\0\0\0", 18);
	/* update: host1 L64 IN 0 rdlen 10 */
	n += append(m + n, "\5host1\xc0\x0c\0\x6a\0\1\0\0\0\0\0\x0a", 18);
	n += append(m + n, "\0\x0a\x20\x01\x0d\xb8\x11\x40\x10\x00", 10);
	return n;
}

/* Sign with key i and find the SIG(0) again; returns the signed length. */
static size_t sign_and_find(struct fixture *f, int i, uint8_t *m, size_t cap,
                            struct ilnpdns_sig0_info *info)
{
	size_t len = make_update(m, 0x1234);
	int n = ilnpdns_sig0_sign(f->ctx, f->priv[i], m, len, cap, NULL, 0);
	assert_true(n > (int)len);
	assert_int_equal(ilnpdns_sig0_find(m, (size_t)n, info), 0);
	return (size_t)n;
}

static int verify1(struct fixture *f, const uint8_t *m, size_t len,
                   const struct ilnpdns_sig0_info *info, const struct ilnpdns_sig0_key *k)
{
	const struct ilnpdns_sig0_key *keys[1] = {k};
	return ilnpdns_sig0_verify(f->ctx, m, len, info, NULL, 0, keys, 1, NULL);
}

/* The tags we compute are BIND's (the numbers in the dnssec-keygen file names). */
static void test_keytag_matches_bind(void **state)
{
	struct fixture *f = *state;
	static const uint8_t owner[] = "\5host1\7example\4ilnp";
	for (int i = 0; i < NKEYS; i++) {
		unsigned alg, tag;
		assert_int_equal(sscanf(strrchr(key_files[i], '+') - 4, "+%3u+%5u", &alg, &tag), 2);
		assert_int_equal(ilnpdns_sig0_key_tag(f->priv[i]), tag);
		assert_int_equal(ilnpdns_sig0_key_alg(f->priv[i]), alg);
		assert_int_equal(ilnpdns_sig0_key_tag(f->pub[i]), tag);
		assert_true(ilnpdns_sig0_key_has_private(f->priv[i]));
		assert_false(ilnpdns_sig0_key_has_private(f->pub[i]));
		assert_memory_equal(ilnpdns_sig0_key_name(f->priv[i]), owner, sizeof(owner));
		size_t len;
		const uint8_t *rd = ilnpdns_sig0_key_rdata(f->priv[i], &len);
		assert_int_equal(ilnpdns_get16(rd), 512); /* -n HOST */
		assert_int_equal(rd[2], 3);
		assert_int_equal(ilnpdns_sig0_keytag(rd, len), tag);
	}
}

static void test_roundtrip_all_algorithms(void **state)
{
	struct fixture *f = *state;
	uint8_t m[4096];
	struct ilnpdns_sig0_info info;
	for (int i = 0; i < NKEYS; i++) {
		size_t unsigned_len = make_update(m, 0x1234);
		size_t len = sign_and_find(f, i, m, sizeof(m), &info);
		/* RFC 2931 3: the SIG RR and its fixed fields */
		assert_int_equal(ilnpdns_get16(m + 10), 1);
		assert_int_equal(info.sig_off, unsigned_len);
		assert_memory_equal(m + unsigned_len, "\0\0\x18\0\xff\0\0\0\0", 9);
		const uint8_t *rd = m + info.rdata_off;
		assert_int_equal(ilnpdns_get16(rd), 0);     /* type covered */
		assert_int_equal(rd[3], 0);                 /* labels */
		assert_int_equal(ilnpdns_get32(rd + 4), 0); /* original TTL */
		assert_int_equal(info.inception, fake_now - 300);
		assert_int_equal(info.expiration, fake_now + 300);
		assert_int_equal(info.tag, ilnpdns_sig0_key_tag(f->priv[i]));
		assert_int_equal(info.alg, ilnpdns_sig0_key_alg(f->priv[i]));
		assert_true(ilnpdns_dname_equal(info.signer, ilnpdns_sig0_key_name(f->priv[i])));
		assert_int_equal(info.sig_len, i == 2 ? 256 : 64);
		assert_int_equal(info.rdata_off + info.prefix_len + info.sig_len, len);

		const struct ilnpdns_sig0_key *keys[2] = {f->pub[(i + 1) % NKEYS], f->pub[i]};
		const struct ilnpdns_sig0_key *used = NULL;
		uint64_t ops = ilnpdns_sig0_ctx_verify_ops(f->ctx);
		assert_int_equal(
		    ilnpdns_sig0_verify(f->ctx, m, len, &info, NULL, 0, keys, 2, &used), 0);
		assert_ptr_equal(used, f->pub[i]);
		/* the non-matching key cost nothing */
		assert_int_equal(ilnpdns_sig0_ctx_verify_ops(f->ctx) - ops, 1);
		/* a key with its private half verifies too */
		assert_int_equal(verify1(f, m, len, &info, f->priv[i]), 0);
	}
}

/* Build the RFC 2931 3.1 data of a signed request: RDATA prefix | message with ARCOUNT - 1. */
static ldns_buffer *signed_data(const uint8_t *m, const struct ilnpdns_sig0_info *info)
{
	ldns_buffer *b = ldns_buffer_new(8192);
	assert_non_null(b);
	ldns_buffer_write(b, m + info->rdata_off, info->prefix_len);
	size_t at = ldns_buffer_position(b);
	ldns_buffer_write(b, m, info->sig_off);
	ldns_buffer_write_u16_at(b, at + 10, (uint16_t)(ilnpdns_get16(m + 10) - 1));
	return b;
}

/* ldns (LDNS-COVERAGE 7) as an independent verifier of our signatures. */
static void test_ldns_verifies_ours(void **state)
{
	struct fixture *f = *state;
	uint8_t m[4096];
	struct ilnpdns_sig0_info info;
	for (int i = 0; i < NKEYS; i++) {
		size_t len = sign_and_find(f, i, m, sizeof(m), &info);
		ldns_buffer *data = signed_data(m, &info);
		size_t klen;
		const uint8_t *rd = ilnpdns_sig0_key_rdata(f->pub[i], &klen);
		uint8_t sig[600];
		size_t siglen = info.sig_len;
		memcpy(sig, info.sig, siglen);
		if (info.alg == ILNPDNS_SIG0_ECDSAP256SHA256) {
			/* ldns wants DER for ECDSA */
			ldns_rdf *rdf = ldns_rdf_new_frm_data(LDNS_RDF_TYPE_B64, siglen, sig);
			ldns_buffer *der = ldns_buffer_new(100);
			assert_int_equal(ldns_convert_ecdsa_rrsig_rdf2asn1(der, rdf),
			                 LDNS_STATUS_OK);
			siglen = ldns_buffer_position(der);
			memcpy(sig, ldns_buffer_begin(der), siglen);
			ldns_buffer_free(der);
			ldns_rdf_deep_free(rdf);
		}
		assert_int_equal(ldns_verify_rrsig_buffers_raw(sig, siglen, data,
		                                               (unsigned char *)rd + 4, klen - 4,
		                                               info.alg),
		                 LDNS_STATUS_OK);
		/* and the oracle can say no: one flipped message octet */
		ldns_buffer_write_u8_at(data, info.prefix_len + 2, 0x55);
		assert_int_not_equal(ldns_verify_rrsig_buffers_raw(sig, siglen, data,
		                                                   (unsigned char *)rd + 4,
		                                                   klen - 4, info.alg),
		                     LDNS_STATUS_OK);
		ldns_buffer_free(data);
		(void)len;
	}
}

/* ldns signs the RFC 2931 data with the same key files; we verify. */
static void test_we_verify_ldns(void **state)
{
	struct fixture *f = *state;
	char path[4096];
	for (int i = 0; i < NKEYS; i++) {
		uint8_t m[4096];
		key_path(path, sizeof(path), i, ".private");
		FILE *fp = fopen(path, "r");
		assert_non_null(fp);
		ldns_key *lk = NULL;
		assert_int_equal(ldns_key_new_frm_fp(&lk, fp), LDNS_STATUS_OK);
		fclose(fp);

		size_t len = make_update(m, 0xbeef);
		/* SIG RDATA prefix by hand, RFC 2931 3 */
		uint8_t prefix[300] = {0};
		const uint8_t *name = ilnpdns_sig0_key_name(f->priv[i]);
		size_t nl = ilnpdns_dname_len(name);
		prefix[2] = ilnpdns_sig0_key_alg(f->priv[i]);
		ilnpdns_put32(prefix + 8, (uint32_t)fake_now + 100);
		ilnpdns_put32(prefix + 12, (uint32_t)fake_now - 100);
		ilnpdns_put16(prefix + 16, ilnpdns_sig0_key_tag(f->priv[i]));
		memcpy(prefix + 18, name, nl);
		ldns_buffer *data = ldns_buffer_new(8192);
		ldns_buffer_write(data, prefix, 18 + nl);
		ldns_buffer_write(data, m, len);
		ldns_rdf *sig = ldns_sign_public_buffer(data, lk);
		assert_non_null(sig);

		size_t sl = ldns_rdf_size(sig);
		uint8_t *p = m + len;
		p[0] = 0;
		ilnpdns_put16(p + 1, ILNPDNS_T_SIG);
		ilnpdns_put16(p + 3, ILNPDNS_C_ANY);
		ilnpdns_put32(p + 5, 0);
		ilnpdns_put16(p + 9, (uint16_t)(18 + nl + sl));
		memcpy(p + 11, prefix, 18 + nl);
		memcpy(p + 11 + 18 + nl, ldns_rdf_data(sig), sl);
		size_t total = len + 11 + 18 + nl + sl;
		ilnpdns_put16(m + 10, 1);

		struct ilnpdns_sig0_info info;
		assert_int_equal(ilnpdns_sig0_find(m, total, &info), 0);
		assert_int_equal(verify1(f, m, total, &info, f->pub[i]), 0);
		m[len - 1] ^= 1; /* last octet of the L64 RDATA */
		assert_int_equal(verify1(f, m, total, &info, f->pub[i]), ILNPDNS_EBADSIG);

		ldns_rdf_deep_free(sig);
		ldns_buffer_free(data);
		ldns_key_deep_free(lk);
	}
}

/* PROTOCOLS.md 4.8: UPDATEs captured from BIND 9.18 nsupdate. */
static const char s1_hex[] = "e6a728000001000000020001076578616d706c6503636f6d000006000105686f"
                             "737431c00c006a00ff000000000000c01d006a000100000000000a000a20010d"
                             "b81140100000001800ff00000000006500000f00000000006b0853046b0850ac"
                             "3dd105686f737431076578616d706c6503636f6d00279e07affb33100b0b89aa"
                             "8affd23614208d5f5cdf4c312e9ee2f4e18fc0e56b4ae7c6e79d64a03d793195"
                             "9cc8737d9bc3c246e57bf39e7d435e2f53144d3508";
static const char s1_key[] = "SIurTGDGmpvKF6MF88bAfrjm3aYZv2e78D7TL1Eu+38=";
static const char s1_priv[] = "UeuAmNPpGoDsHCLHxc3xxzSyYNyefHh5qyvtT615yug=";
static const char s2_hex[] = "c39028000001000000020001076578616d706c6503636f6d000006000105686f"
                             "737431c00c006a00ff000000000000c01d006a000100000000000a000a20010d"
                             "b81140100000001800ff00000000006500000d00000000006b0853166b0850be"
                             "3e2005686f737431076578616d706c6503636f6d00ef68ca6977d40c2ca8dd53"
                             "7ece47d92236f125908927816d54b453596c1056f6814135434eb24825aaea9c"
                             "f4d5c195b8fd52de157dc9bb87d6912d5cb039375b";
static const char s2_key[] =
    "nsrbWeUoIONCy74K7UE+jFbu8/1ABCVvQYt+xFLjX+ctPIesBVQW5h0grON/VLDN6EBtBNESz7g7IYYo5w7/EQ==";
static const uint8_t example_host1[] = "\5host1\7example\3com";

static struct ilnpdns_sig0_key *key_from_b64(uint8_t alg, const char *b64)
{
	ldns_rdf *rdf = NULL;
	uint8_t rd[600];
	struct ilnpdns_sig0_key *k = NULL;
	assert_int_equal(ldns_str2rdf_b64(&rdf, b64), LDNS_STATUS_OK);
	ilnpdns_put16(rd, 512);
	rd[2] = 3;
	rd[3] = alg;
	memcpy(rd + 4, ldns_rdf_data(rdf), ldns_rdf_size(rdf));
	assert_int_equal(ilnpdns_sig0_key_from_rdata(example_host1, rd, 4 + ldns_rdf_size(rdf), &k),
	                 0);
	ldns_rdf_deep_free(rdf);
	return k;
}

static void test_nsupdate_vectors(void **state)
{
	struct fixture *f = *state;
	uint8_t m[512];
	struct ilnpdns_sig0_info info;
	struct {
		const char *hex, *key;
		uint8_t alg;
		uint16_t tag;
		uint32_t inception;
	} v[] = {
	    {s1_hex, s1_key, 15, 15825, 1795707052},
	    {s2_hex, s2_key, 13, 15904, 1795707070},
	};
	for (int i = 0; i < 2; i++) {
		struct ilnpdns_sig0_key *k = key_from_b64(v[i].alg, v[i].key);
		assert_int_equal(ilnpdns_sig0_key_tag(k), v[i].tag);
		size_t len = hex(v[i].hex, m);
		assert_int_equal(len, 181);
		assert_int_equal(ilnpdns_sig0_find(m, len, &info), 0);
		assert_int_equal(info.sig_off, 69);
		assert_int_equal(info.tag, v[i].tag);
		assert_int_equal(info.inception, v[i].inception);
		assert_int_equal(info.expiration, v[i].inception + 600);
		assert_memory_equal(info.signer, example_host1, sizeof(example_host1));
		fake_now = v[i].inception + 300;
		assert_int_equal(verify1(f, m, len, &info, k), 0);
		/* outside [inception - 300, expiration + 300] */
		fake_now = v[i].inception + 600 + 301;
		assert_int_equal(verify1(f, m, len, &info, k), ILNPDNS_EBADTIME);
		fake_now = v[i].inception - 301;
		assert_int_equal(verify1(f, m, len, &info, k), ILNPDNS_EBADTIME);
		fake_now = v[i].inception + 300;
		/* one octet of the update section flipped */
		m[60] ^= 0x01;
		assert_int_equal(verify1(f, m, len, &info, k), ILNPDNS_EBADSIG);
		m[60] ^= 0x01;
		/* algorithm changed to 8: no such key */
		m[info.rdata_off + 2] = 8;
		assert_int_equal(ilnpdns_sig0_find(m, len, &info), 0);
		assert_int_equal(verify1(f, m, len, &info, k), ILNPDNS_EBADKEY);
		ilnpdns_sig0_key_free(k);
	}
}

/* Write a BIND key pair into dir; returns the stem in stem. */
static void write_pair(const char *dir, const char *key_line, const char *priv_text, char *stem,
                       size_t cap)
{
	char path[4200];
	snprintf(stem, cap, "%s/Ktest", dir);
	snprintf(path, sizeof(path), "%s.key", stem);
	FILE *fp = fopen(path, "w");
	assert_non_null(fp);
	fprintf(fp, "; This is a test key\n%s\n", key_line);
	fclose(fp);
	snprintf(path, sizeof(path), "%s.private", stem);
	fp = fopen(path, "w");
	assert_non_null(fp);
	fputs(priv_text, fp);
	fclose(fp);
}

static void remove_pair(const char *stem)
{
	char path[4200];
	snprintf(path, sizeof(path), "%s.key", stem);
	unlink(path);
	snprintf(path, sizeof(path), "%s.private", stem);
	unlink(path);
}

/* Ed25519 is deterministic: with S1's key and clock we reproduce nsupdate's packet byte for byte.
 */
static void test_nsupdate_byte_exact(void **state)
{
	struct fixture *f = *state;
	char dir[] = "/tmp/test_sig0.XXXXXX", stem[4096], line[256], priv[256];
	uint8_t want[512], m[512];
	assert_non_null(mkdtemp(dir));
	snprintf(line, sizeof(line), "host1.example.com. IN KEY 512 3 15 %s", s1_key);
	snprintf(priv, sizeof(priv),
	         "Private-key-format: v1.3\nAlgorithm: 15 (ED25519)\nPrivateKey: %s\n", s1_priv);
	write_pair(dir, line, priv, stem, sizeof(stem));
	struct ilnpdns_sig0_key *k = NULL;
	assert_int_equal(ilnpdns_sig0_key_load(stem, &k), 0);
	assert_int_equal(ilnpdns_sig0_key_tag(k), 15825);

	size_t wlen = hex(s1_hex, want);
	memcpy(m, want, 69);
	ilnpdns_put16(m + 10, 0);
	fake_now = 1795707052 + 300;
	assert_int_equal(ilnpdns_sig0_sign(f->ctx, k, m, 69, sizeof(m), NULL, 0), (int)wlen);
	assert_memory_equal(m, want, wlen);
	ilnpdns_sig0_key_free(k);

	/* S2's public half with our ECDSA private half: the pair does not match */
	snprintf(line, sizeof(line), "host1.example.com. 3600 IN KEY 512 3 13 %s", s2_key);
	char path[4200];
	key_path(path, sizeof(path), 1, ".private");
	FILE *fp = fopen(path, "r");
	assert_non_null(fp);
	size_t n = fread(priv, 1, sizeof(priv) - 1, fp);
	priv[n] = '\0';
	fclose(fp);
	write_pair(dir, line, priv, stem, sizeof(stem));
	k = NULL;
	assert_int_equal(ilnpdns_sig0_key_load(stem, &k), ILNPDNS_EBADKEY);
	assert_null(k);
	remove_pair(stem);
	rmdir(dir);
	/* and files that are not there */
	assert_int_equal(ilnpdns_sig0_key_load("/nonexistent/Kx.+015+00001.key", &k),
	                 ILNPDNS_ENOENT);
}

static void test_tampered(void **state)
{
	struct fixture *f = *state;
	uint8_t m[4096];
	struct ilnpdns_sig0_info info;
	for (int i = 0; i < NKEYS; i++) {
		size_t len = sign_and_find(f, i, m, sizeof(m), &info);
		m[1] ^= 0x01; /* message ID */
		assert_int_equal(verify1(f, m, len, &info, f->pub[i]), ILNPDNS_EBADSIG);
		m[1] ^= 0x01;
		assert_int_equal(verify1(f, m, len, &info, f->pub[i]), 0);
		m[len - 5] ^= 0x40; /* inside the signature */
		assert_int_equal(verify1(f, m, len, &info, f->pub[i]), ILNPDNS_EBADSIG);
		m[len - 5] ^= 0x40;
		/* the covered part of the SIG RDATA: the original TTL */
		m[info.rdata_off + 7] = 1;
		assert_int_equal(verify1(f, m, len, &info, f->pub[i]), ILNPDNS_EBADSIG);
	}
}

static void test_time_window(void **state)
{
	struct fixture *f = *state;
	uint8_t m[4096];
	struct ilnpdns_sig0_info info;
	uint64_t t = fake_now;
	/* signed at t: inception t - 300, expiration t + 300; 300 s of skew allowed */
	size_t len = sign_and_find(f, 0, m, sizeof(m), &info);
	fake_now = t + 600;
	assert_int_equal(verify1(f, m, len, &info, f->pub[0]), 0);
	fake_now = t + 601; /* expired */
	assert_int_equal(verify1(f, m, len, &info, f->pub[0]), ILNPDNS_EBADTIME);
	assert_int_equal(ilnpdns_sig0_check_time(f->ctx, &info), ILNPDNS_EBADTIME);
	fake_now = t - 600;
	assert_int_equal(verify1(f, m, len, &info, f->pub[0]), 0);
	fake_now = t - 601; /* not yet valid */
	assert_int_equal(verify1(f, m, len, &info, f->pub[0]), ILNPDNS_EBADTIME);
	/* no skew: exactly inception <= now <= expiration */
	ilnpdns_sig0_ctx_set_window(f->ctx, 0, 3600);
	fake_now = t + 300;
	assert_int_equal(verify1(f, m, len, &info, f->pub[0]), 0);
	fake_now = t + 301;
	assert_int_equal(verify1(f, m, len, &info, f->pub[0]), ILNPDNS_EBADTIME);
	/* a window longer than allowed */
	fake_now = t;
	ilnpdns_sig0_ctx_set_window(f->ctx, 300, 599);
	assert_int_equal(verify1(f, m, len, &info, f->pub[0]), ILNPDNS_EBADTIME);
	/* RFC 1982: a window across the 32-bit wrap (year 2106) is fine */
	ilnpdns_sig0_ctx_set_window(f->ctx, 300, 3600);
	fake_now = (1ULL << 32) + 100;
	len = sign_and_find(f, 0, m, sizeof(m), &info);
	assert_true(info.inception > info.expiration);
	assert_int_equal(verify1(f, m, len, &info, f->pub[0]), 0);
	fake_now = (1ULL << 32) + 1000;
	assert_int_equal(verify1(f, m, len, &info, f->pub[0]), ILNPDNS_EBADTIME);
	/* the real clock: a signature made "now" by a 1800000000 clock is far off */
	ilnpdns_sig0_ctx_set_clock(f->ctx, NULL, NULL);
	fake_now = 1800000000;
	assert_int_equal(verify1(f, m, len, &info, f->pub[0]), ILNPDNS_EBADTIME);
}

static void test_key_errors(void **state)
{
	struct fixture *f = *state;
	uint8_t m[4096];
	struct ilnpdns_sig0_info info;
	size_t len = sign_and_find(f, 0, m, sizeof(m), &info);
	uint64_t ops = ilnpdns_sig0_ctx_verify_ops(f->ctx);
	/* wrong algorithm, other tags: nothing matches, no crypto */
	const struct ilnpdns_sig0_key *others[3] = {f->pub[1], NULL, f->pub[2]};
	assert_int_equal(ilnpdns_sig0_verify(f->ctx, m, len, &info, NULL, 0, others, 3, NULL),
	                 ILNPDNS_EBADKEY);
	assert_int_equal(ilnpdns_sig0_verify(f->ctx, m, len, &info, NULL, 0, NULL, 0, NULL),
	                 ILNPDNS_EBADKEY);
	/* the right key material under another owner name */
	size_t klen;
	const uint8_t *rd = ilnpdns_sig0_key_rdata(f->pub[0], &klen);
	struct ilnpdns_sig0_key *k = NULL;
	assert_int_equal(
	    ilnpdns_sig0_key_from_rdata((const uint8_t *)"\5host2\7example\4ilnp", rd, klen, &k),
	    0);
	assert_int_equal(verify1(f, m, len, &info, k), ILNPDNS_EBADKEY);
	ilnpdns_sig0_key_free(k);
	/* the signer name compares case-insensitively */
	assert_int_equal(
	    ilnpdns_sig0_key_from_rdata((const uint8_t *)"\5HOST1\7Example\4ilnp", rd, klen, &k),
	    0);
	assert_int_equal(verify1(f, m, len, &info, k), 0);
	ilnpdns_sig0_key_free(k);
	assert_int_equal(ilnpdns_sig0_ctx_verify_ops(f->ctx) - ops, 1);
	/* an algorithm we do not do (RSASHA1) is refused before anything else */
	info.alg = 5;
	assert_int_equal(verify1(f, m, len, &info, f->pub[0]), ILNPDNS_EBADKEY);
}

/* Ed25519 KEY RDATA that shares f->pub[0]'s tag but is another key (RFC 4034 App. B sums). */
static struct ilnpdns_sig0_key *decoy(struct fixture *f, int n)
{
	size_t len;
	uint8_t rd[64];
	const uint8_t *src = ilnpdns_sig0_key_rdata(f->pub[0], &len);
	memcpy(rd, src, len);
	/* moving weight between two even offsets keeps the checksum */
	int a = 4 + 2 * n, b = a + 2;
	if (rd[a] == 0xff || rd[b] == 0) {
		rd[a]--;
		rd[b]++;
	} else {
		rd[a]++;
		rd[b]--;
	}
	struct ilnpdns_sig0_key *k = NULL;
	assert_int_equal(ilnpdns_sig0_key_from_rdata(ilnpdns_sig0_key_name(f->pub[0]), rd, len, &k),
	                 0);
	assert_int_equal(ilnpdns_sig0_key_tag(k), ilnpdns_sig0_key_tag(f->pub[0]));
	return k;
}

/* CVE-2024-1975: colliding keys cost at most ILNPDNS_SIG0_MAX_VERIFY verifications. */
static void test_candidate_cap(void **state)
{
	struct fixture *f = *state;
	uint8_t m[4096];
	struct ilnpdns_sig0_info info;
	size_t len = sign_and_find(f, 0, m, sizeof(m), &info);
	struct ilnpdns_sig0_key *d[3];
	for (int i = 0; i < 3; i++)
		d[i] = decoy(f, i);

	const struct ilnpdns_sig0_key *keys[ILNPDNS_SIG0_MAX_KEYS + 1];
	uint64_t ops = ilnpdns_sig0_ctx_verify_ops(f->ctx);
	/* three decoys before the real key: two tries, then give up */
	keys[0] = d[0];
	keys[1] = d[1];
	keys[2] = d[2];
	keys[3] = f->pub[0];
	assert_int_equal(ilnpdns_sig0_verify(f->ctx, m, len, &info, NULL, 0, keys, 4, NULL),
	                 ILNPDNS_EBADSIG);
	assert_int_equal(ilnpdns_sig0_ctx_verify_ops(f->ctx) - ops, ILNPDNS_SIG0_MAX_VERIFY);
	/* one decoy first: the second try succeeds */
	ops = ilnpdns_sig0_ctx_verify_ops(f->ctx);
	keys[0] = d[0];
	keys[1] = f->pub[0];
	const struct ilnpdns_sig0_key *used = NULL;
	assert_int_equal(ilnpdns_sig0_verify(f->ctx, m, len, &info, NULL, 0, keys, 2, &used), 0);
	assert_ptr_equal(used, f->pub[0]);
	assert_int_equal(ilnpdns_sig0_ctx_verify_ops(f->ctx) - ops, 2);
	/* only the first ILNPDNS_SIG0_MAX_KEYS offered keys are looked at */
	for (int i = 0; i < ILNPDNS_SIG0_MAX_KEYS; i++)
		keys[i] = f->pub[1 + i % 2];
	keys[ILNPDNS_SIG0_MAX_KEYS] = f->pub[0];
	ops = ilnpdns_sig0_ctx_verify_ops(f->ctx);
	assert_int_equal(ilnpdns_sig0_verify(f->ctx, m, len, &info, NULL, 0, keys,
	                                     ILNPDNS_SIG0_MAX_KEYS + 1, NULL),
	                 ILNPDNS_EBADKEY);
	assert_int_equal(ilnpdns_sig0_ctx_verify_ops(f->ctx), ops);
	keys[ILNPDNS_SIG0_MAX_KEYS - 1] = f->pub[0];
	assert_int_equal(ilnpdns_sig0_verify(f->ctx, m, len, &info, NULL, 0, keys,
	                                     ILNPDNS_SIG0_MAX_KEYS + 1, NULL),
	                 0);
	for (int i = 0; i < 3; i++)
		ilnpdns_sig0_key_free(d[i]);
}

/* Append a bare RR (owner root) to m and bump ARCOUNT. */
static size_t add_rr(uint8_t *m, size_t len, uint16_t type, const uint8_t *rdata, uint16_t rdlen)
{
	m[len] = 0;
	ilnpdns_put16(m + len + 1, type);
	ilnpdns_put16(m + len + 3, type == ILNPDNS_T_OPT ? 1232 : ILNPDNS_C_ANY);
	ilnpdns_put32(m + len + 5, 0);
	ilnpdns_put16(m + len + 9, rdlen);
	if (rdlen > 0)
		memcpy(m + len + 11, rdata, rdlen);
	ilnpdns_put16(m + 10, (uint16_t)(ilnpdns_get16(m + 10) + 1));
	return len + 11 + rdlen;
}

/* RFC 2931 3.1 / RFC 3007: one SIG(0), last; anything else is FORMERR. */
static void test_formerr(void **state)
{
	struct fixture *f = *state;
	uint8_t m[4096];
	struct ilnpdns_sig0_info info;
	size_t len = make_update(m, 7);
	assert_int_equal(ilnpdns_sig0_find(m, len, &info), ILNPDNS_ENOENT);
	/* an OPT after the SIG(0) */
	len = sign_and_find(f, 0, m, sizeof(m), &info);
	size_t l2 = add_rr(m, len, ILNPDNS_T_OPT, NULL, 0);
	assert_int_equal(ilnpdns_sig0_find(m, l2, &info), ILNPDNS_EMALF);
	/* two SIG(0): sign a signed message again */
	len = sign_and_find(f, 0, m, sizeof(m), &info);
	int n = ilnpdns_sig0_sign(f->ctx, f->priv[1], m, len, sizeof(m), NULL, 0);
	assert_true(n > 0);
	assert_int_equal(ilnpdns_get16(m + 10), 2);
	assert_int_equal(ilnpdns_sig0_find(m, (size_t)n, &info), ILNPDNS_EMALF);
	/* last SIG covers a type: not a SIG(0) */
	len = sign_and_find(f, 0, m, sizeof(m), &info);
	m[info.rdata_off + 1] = ILNPDNS_T_A;
	assert_int_equal(ilnpdns_sig0_find(m, len, &info), ILNPDNS_EMALF);
	/* a TSIG and a SIG(0) together */
	len = make_update(m, 7);
	len = add_rr(m, len, ILNPDNS_T_TSIG, (const uint8_t *)"\0\0", 2);
	n = ilnpdns_sig0_sign(f->ctx, f->priv[0], m, len, sizeof(m), NULL, 0);
	assert_int_equal(ilnpdns_sig0_find(m, (size_t)n, &info), ILNPDNS_EMALF);
	/* truncated, and trailing garbage */
	len = sign_and_find(f, 0, m, sizeof(m), &info);
	assert_int_equal(ilnpdns_sig0_find(m, len - 1, &info), ILNPDNS_EMALF);
	assert_int_equal(ilnpdns_sig0_find(m, len + 1, &info), ILNPDNS_EMALF);
	assert_int_equal(ilnpdns_sig0_find(m, 11, &info), ILNPDNS_EMALF);
	/* a compressed signer name */
	len = make_update(m, 7);
	uint8_t rd[18 + 2 + 256] = {0}; /* long enough that a pointer would not run off the end */
	rd[2] = 15;
	rd[18] = 0xc0;
	rd[19] = 0x0c;
	l2 = add_rr(m, len, ILNPDNS_T_SIG, rd, sizeof(rd));
	assert_int_equal(ilnpdns_sig0_find(m, l2, &info), ILNPDNS_EMALF);
	/* a SIG(0) with no signature */
	rd[18] = 0;
	l2 = add_rr(m, len, ILNPDNS_T_SIG, rd, 19);
	ilnpdns_put16(m + 10, 1);
	assert_int_equal(ilnpdns_sig0_find(m, l2, &info), ILNPDNS_EMALF);
	/* a SIG in the update section is data, not a signature (RFC 3007 4) */
	l2 = add_rr(m, len, ILNPDNS_T_SIG, rd, sizeof(rd));
	ilnpdns_put16(m + 10, 0);
	ilnpdns_put16(m + 8, 2);
	assert_int_equal(ilnpdns_sig0_find(m, l2, &info), ILNPDNS_ENOENT);
}

/* RFC 2931 3.1 response variant: the response's SIG(0) covers the whole signed request. */
static void test_response_covers_request(void **state)
{
	struct fixture *f = *state;
	uint8_t req[4096], resp[4096];
	struct ilnpdns_sig0_info info;
	size_t reqlen = sign_and_find(f, 0, req, sizeof(req), &info);
	/* the answer: the request's header and zone section with QR set, no other sections */
	size_t rlen = ILNPDNS_HDR_LEN + 18;
	memcpy(resp, req, rlen);
	ilnpdns_put16(resp + 2, ILNPDNS_FLAG_QR | ILNPDNS_OP_UPDATE << 11);
	memset(resp + 6, 0, 6);
	int n = ilnpdns_sig0_sign(f->ctx, f->priv[1], resp, rlen, sizeof(resp), req, reqlen);
	assert_true(n > 0);
	assert_int_equal(ilnpdns_sig0_find(resp, (size_t)n, &info), 0);
	const struct ilnpdns_sig0_key *k[1] = {f->pub[1]};
	assert_int_equal(
	    ilnpdns_sig0_verify(f->ctx, resp, (size_t)n, &info, req, reqlen, k, 1, NULL), 0);
	/* without the request, or with another request, it does not verify */
	assert_int_equal(verify1(f, resp, (size_t)n, &info, f->pub[1]), ILNPDNS_EBADSIG);
	req[reqlen - 1] ^= 1; /* the request's own signature is covered too */
	assert_int_equal(
	    ilnpdns_sig0_verify(f->ctx, resp, (size_t)n, &info, req, reqlen, k, 1, NULL),
	    ILNPDNS_EBADSIG);
}

static void test_key_rdata_rejects(void **state)
{
	struct fixture *f = *state;
	struct ilnpdns_sig0_key *k = NULL;
	static const uint8_t owner[] = "\1k";
	uint8_t rd[600];
	size_t len;
	const uint8_t *src = ilnpdns_sig0_key_rdata(f->pub[0], &len);
	memcpy(rd, src, len);
	rd[2] = 2; /* protocol must be 3 (RFC 3445) */
	assert_int_equal(ilnpdns_sig0_key_from_rdata(owner, rd, len, &k), ILNPDNS_EBADKEY);
	rd[2] = 3;
	ilnpdns_put16(rd, 0x8200); /* "not for authentication" */
	assert_int_equal(ilnpdns_sig0_key_from_rdata(owner, rd, len, &k), ILNPDNS_EBADKEY);
	ilnpdns_put16(rd, 0xc200); /* "no key" */
	assert_int_equal(ilnpdns_sig0_key_from_rdata(owner, rd, len, &k), ILNPDNS_EBADKEY);
	ilnpdns_put16(rd, 0x0201); /* signatory bits are ignored (RFC 3007 1.5) */
	assert_int_equal(ilnpdns_sig0_key_from_rdata(owner, rd, len, &k), 0);
	ilnpdns_sig0_key_free(k);
	k = NULL;
	rd[3] = 5; /* RSASHA1 */
	assert_int_equal(ilnpdns_sig0_key_from_rdata(owner, rd, len, &k), ILNPDNS_EBADKEY);
	rd[3] = 15;
	assert_int_equal(ilnpdns_sig0_key_from_rdata(owner, rd, len - 1, &k), ILNPDNS_ERDATA);
	assert_int_equal(ilnpdns_sig0_key_from_rdata(owner, rd, 3, &k), ILNPDNS_ERDATA);
	/* P-256: a point off the curve */
	rd[3] = 13;
	memset(rd + 4, 0x01, 64);
	assert_int_equal(ilnpdns_sig0_key_from_rdata(owner, rd, 68, &k), ILNPDNS_EBADKEY);
	assert_int_equal(ilnpdns_sig0_key_from_rdata(owner, rd, 67, &k), ILNPDNS_ERDATA);
	/* RSA: a 512-bit modulus, a 9-octet exponent, no modulus */
	src = ilnpdns_sig0_key_rdata(f->pub[2], &len);
	memcpy(rd, src, len);
	assert_int_equal(ilnpdns_sig0_key_from_rdata(owner, rd, 4 + 1 + 3 + 64, &k),
	                 ILNPDNS_EBADKEY);
	uint8_t big[4 + 1 + 9 + 256];
	memcpy(big, rd, 4);
	big[4] = 9;
	memset(big + 5, 0x01, 9);
	memcpy(big + 14, rd + 8, 256);
	assert_int_equal(ilnpdns_sig0_key_from_rdata(owner, big, sizeof(big), &k), ILNPDNS_EBADKEY);
	assert_int_equal(ilnpdns_sig0_key_from_rdata(owner, rd, 4 + 1 + 3, &k), ILNPDNS_ERDATA);
	/* RFC 3110: the 3-octet exponent-length form parses to the same key */
	uint8_t lng[4 + 3 + 3 + 256];
	memcpy(lng, rd, 4);
	lng[4] = 0;
	lng[5] = 0;
	lng[6] = 3;
	memcpy(lng + 7, rd + 5, 3 + 256);
	assert_int_equal(ilnpdns_sig0_key_from_rdata(owner, lng, sizeof(lng), &k), 0);
	/* same modulus and exponent: a signature by the committed RSA key verifies with it */
	uint8_t m[4096];
	struct ilnpdns_sig0_info info;
	size_t mlen = sign_and_find(f, 2, m, sizeof(m), &info);
	/* two more zero octets at even offsets leave the tag alone (RFC 4034 App. B) */
	assert_int_equal(ilnpdns_sig0_key_tag(k), info.tag);
	memcpy(info.signer, owner, sizeof(owner)); /* k's owner; the signed data is unchanged */
	assert_int_equal(verify1(f, m, mlen, &info, k), 0);
	ilnpdns_sig0_key_free(k);
}

static void test_sign_errors(void **state)
{
	struct fixture *f = *state;
	uint8_t m[4096], copy[4096];
	size_t len = make_update(m, 9);
	memcpy(copy, m, len);
	/* no private key */
	assert_int_equal(ilnpdns_sig0_sign(f->ctx, f->pub[0], m, len, sizeof(m), NULL, 0),
	                 ILNPDNS_EBADKEY);
	/* no room: the message is left as it was */
	for (int i = 0; i < NKEYS; i++) {
		assert_int_equal(ilnpdns_sig0_sign(f->ctx, f->priv[i], m, len,
		                                   len + (i == 2 ? 300 : 100), NULL, 0),
		                 ILNPDNS_ETRUNC);
		assert_memory_equal(m, copy, len);
	}
	/* exactly enough room */
	int n = ilnpdns_sig0_sign(f->ctx, f->priv[0], m, len, sizeof(m), NULL, 0);
	assert_true(n > 0);
	memcpy(m, copy, len);
	assert_int_equal(ilnpdns_sig0_sign(f->ctx, f->priv[0], m, len, (size_t)n, NULL, 0), n);
	assert_int_equal(ilnpdns_sig0_sign(f->ctx, f->priv[0], m, 11, sizeof(m), NULL, 0),
	                 ILNPDNS_EMALF);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_keytag_matches_bind, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_roundtrip_all_algorithms, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_ldns_verifies_ours, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_we_verify_ldns, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_nsupdate_vectors, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_nsupdate_byte_exact, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_tampered, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_time_window, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_key_errors, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_candidate_cap, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_formerr, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_response_covers_request, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_key_rdata_rejects, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_sign_errors, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
