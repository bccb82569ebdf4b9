/* SPDX-License-Identifier: BSD-2-Clause */
/* tsig.c -- RFC 8945 transaction signatures: find, verify and sign TSIG RRs on the raw wire. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "ilnpdns/error.h"
#include "ilnpdns/tsig.h"
#include "ilnpdns/wire.h"

struct ilnpdns_tsig_ctx {
	EVP_MAC *hmac;
	/* One context per algorithm, its digest set once: per message only the
	 * key is (re)set, which saves OpenSSL's name fetch on every call. */
	EVP_MAC_CTX *mac[ILNPDNS_TSIG_ALG_COUNT + 1];
	/* The secret each context holds now. Setting a key costs OpenSSL half
	 * the HMAC time and three allocations; the same key again (the usual
	 * case: one key per updater) only rewinds the context. */
	uint16_t secret_len[ILNPDNS_TSIG_ALG_COUNT + 1];
	uint8_t secret[ILNPDNS_TSIG_ALG_COUNT + 1][ILNPDNS_TSIG_SECRET_MAX];
};

struct ilnpdns_tsig_ctx *ilnpdns_tsig_ctx_new(void)
{
	struct ilnpdns_tsig_ctx *ctx = calloc(1, sizeof(*ctx));
	if (ctx == NULL)
		return NULL;
	ctx->hmac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	if (ctx->hmac == NULL)
		goto fail;
	for (int a = ILNPDNS_TSIG_HMAC_MD5; a <= ILNPDNS_TSIG_HMAC_SHA512; a++) {
		OSSL_PARAM params[2];
		char *digest = (char *)ilnpdns_tsig_alg_digest((enum ilnpdns_tsig_alg)a);
		params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0);
		params[1] = OSSL_PARAM_construct_end();
		ctx->mac[a] = EVP_MAC_CTX_new(ctx->hmac);
		if (ctx->mac[a] == NULL)
			goto fail;
		if (!EVP_MAC_CTX_set_params(ctx->mac[a], params)) {
			/* MD5 may be missing (FIPS provider): md5 keys then fail
			 * with ILNPDNS_ECRYPTO, the others still work. */
			EVP_MAC_CTX_free(ctx->mac[a]);
			ctx->mac[a] = NULL;
			if (a != ILNPDNS_TSIG_HMAC_MD5)
				goto fail;
		}
	}
	return ctx;
fail:
	ilnpdns_tsig_ctx_free(ctx);
	return NULL;
}

void ilnpdns_tsig_ctx_free(struct ilnpdns_tsig_ctx *ctx)
{
	if (ctx == NULL)
		return;
	for (int a = 0; a <= ILNPDNS_TSIG_ALG_COUNT; a++)
		EVP_MAC_CTX_free(ctx->mac[a]);
	EVP_MAC_free(ctx->hmac);
	OPENSSL_cleanse(ctx, sizeof(*ctx));
	free(ctx);
}

uint64_t ilnpdns_tsig_now(void)
{
	return (uint64_t)time(NULL);
}

static uint64_t get48(const uint8_t *p)
{
	return (uint64_t)ilnpdns_get16(p) << 32 | ilnpdns_get32(p + 2);
}

static void put48(uint8_t *p, uint64_t v)
{
	ilnpdns_put16(p, (uint16_t)(v >> 32));
	ilnpdns_put32(p + 2, (uint32_t)v);
}

/* ---- finding and writing the RR ---- */

/* Step over a possibly compressed name without following pointers. */
static int skip_name(const uint8_t *msg, size_t len, size_t *pos)
{
	size_t p = *pos;
	for (;;) {
		if (p >= len)
			return ILNPDNS_EMALF;
		uint8_t c = msg[p];
		if ((c & 0xc0) == 0xc0) {
			if (p + 2 > len)
				return ILNPDNS_EMALF;
			*pos = p + 2;
			return 0;
		}
		if (c & 0xc0)
			return ILNPDNS_EMALF;
		p += 1 + (size_t)c;
		if (c == 0) {
			*pos = p;
			return 0;
		}
	}
}

/* Parse the TSIG RR at start, whose RDATA ends at rdend (already bounds-checked). */
static int parse_tsig(const uint8_t *msg, size_t len, size_t start, size_t rdend,
                      struct ilnpdns_tsig_rr *rr)
{
	size_t pos = start;
	if (ilnpdns_dname_unpack(msg, len, &pos, rr->key_name) < 0)
		return ILNPDNS_EMALF;
	ilnpdns_dname_lower(rr->key_name);
	/* RFC 8945 4.2: CLASS ANY, TTL 0. */
	if (ilnpdns_get16(msg + pos + 2) != ILNPDNS_C_ANY || ilnpdns_get32(msg + pos + 4) != 0)
		return ILNPDNS_EMALF;
	pos += 10;
	size_t alg_start = pos;
	int n = ilnpdns_dname_unpack(msg, rdend, &pos, rr->alg_name);
	/* The algorithm name MUST NOT be compressed (RFC 8945 4.2). */
	if (n < 0 || pos - alg_start != (size_t)n)
		return ILNPDNS_EMALF;
	ilnpdns_dname_lower(rr->alg_name);
	if (rdend - pos < 10)
		return ILNPDNS_EMALF;
	rr->time_signed = get48(msg + pos);
	rr->fudge = ilnpdns_get16(msg + pos + 6);
	rr->mac_len = ilnpdns_get16(msg + pos + 8);
	pos += 10;
	if (rdend - pos < (size_t)rr->mac_len + 6)
		return ILNPDNS_EMALF;
	rr->mac = msg + pos;
	pos += rr->mac_len;
	rr->orig_id = ilnpdns_get16(msg + pos);
	rr->error = ilnpdns_get16(msg + pos + 2);
	rr->other_len = ilnpdns_get16(msg + pos + 4);
	pos += 6;
	if (rdend - pos != rr->other_len)
		return ILNPDNS_EMALF;
	rr->other = msg + pos;
	rr->start = start;
	return 0;
}

int ilnpdns_tsig_find(const uint8_t *msg, size_t len, struct ilnpdns_tsig_rr *rr)
{
	if (len < ILNPDNS_HDR_LEN)
		return ILNPDNS_EMALF;
	unsigned qd = ilnpdns_get16(msg + 4);
	unsigned an_ns = (unsigned)ilnpdns_get16(msg + 6) + ilnpdns_get16(msg + 8);
	unsigned total = an_ns + ilnpdns_get16(msg + 10);
	size_t pos = ILNPDNS_HDR_LEN;

	for (unsigned i = 0; i < qd; i++) {
		if (skip_name(msg, len, &pos) < 0 || len - pos < 4)
			return ILNPDNS_EMALF;
		pos += 4;
	}
	for (unsigned i = 0; i < total; i++) {
		size_t start = pos;
		if (skip_name(msg, len, &pos) < 0 || len - pos < 10)
			return ILNPDNS_EMALF;
		uint16_t type = ilnpdns_get16(msg + pos);
		size_t rdlen = ilnpdns_get16(msg + pos + 8);
		if (len - pos - 10 < rdlen)
			return ILNPDNS_EMALF;
		if (type != ILNPDNS_T_TSIG) {
			pos += 10 + rdlen;
			continue;
		}
		/* RFC 8945 5.2: the TSIG MUST be the last RR of the additional
		 * section, and a message has at most one; and nothing may
		 * follow it that the MAC would not cover. */
		if (i != total - 1 || i < an_ns || pos + 10 + rdlen != len)
			return ILNPDNS_EMALF;
		if (parse_tsig(msg, len, start, pos + 10 + rdlen, rr) < 0)
			return ILNPDNS_EMALF;
		return 1;
	}
	return 0;
}

int ilnpdns_tsig_rr_append(uint8_t *msg, size_t *len, size_t cap, const struct ilnpdns_tsig_rr *rr)
{
	size_t kl = ilnpdns_dname_len(rr->key_name), al = ilnpdns_dname_len(rr->alg_name);
	size_t rdlen = al + 16 + rr->mac_len + rr->other_len;
	size_t need = kl + 10 + rdlen;
	uint16_t arcount = ilnpdns_get16(msg + 10);
	if (*len < ILNPDNS_HDR_LEN || cap < *len || cap - *len < need || rdlen > 0xffff ||
	    arcount == 0xffff)
		return ILNPDNS_ETRUNC;
	uint8_t *p = msg + *len;
	memcpy(p, rr->key_name, kl);
	p += kl;
	ilnpdns_put16(p, ILNPDNS_T_TSIG);
	ilnpdns_put16(p + 2, ILNPDNS_C_ANY);
	ilnpdns_put32(p + 4, 0);
	ilnpdns_put16(p + 8, (uint16_t)rdlen);
	p += 10;
	memcpy(p, rr->alg_name, al);
	p += al;
	put48(p, rr->time_signed);
	ilnpdns_put16(p + 6, rr->fudge);
	ilnpdns_put16(p + 8, rr->mac_len);
	p += 10;
	if (rr->mac_len)
		memcpy(p, rr->mac, rr->mac_len);
	p += rr->mac_len;
	ilnpdns_put16(p, rr->orig_id);
	ilnpdns_put16(p + 2, rr->error);
	ilnpdns_put16(p + 4, rr->other_len);
	p += 6;
	if (rr->other_len)
		memcpy(p, rr->other, rr->other_len);
	ilnpdns_put16(msg + 10, (uint16_t)(arcount + 1));
	*len += need;
	return 0;
}

/* ---- the MAC over the pieces (RFC 8945 4.3) ---- */

struct mac_run {
	EVP_MAC_CTX *c;
	bool ok;
};

static int mac_begin(struct ilnpdns_tsig_ctx *ctx, const struct ilnpdns_tsig_key *key,
                     struct mac_run *run)
{
	int a = key->alg;
	run->c = ctx->mac[a];
	if (run->c == NULL)
		return ILNPDNS_ECRYPTO;
	/* Content, not pointer, decides: a freed key's address may be reused. */
	if (ctx->secret_len[a] == key->secret_len &&
	    CRYPTO_memcmp(ctx->secret[a], key->secret, key->secret_len) == 0) {
		run->ok = EVP_MAC_init(run->c, NULL, 0, NULL);
	} else {
		ctx->secret_len[a] = 0;
		run->ok = EVP_MAC_init(run->c, key->secret, key->secret_len, NULL);
		if (run->ok) {
			memcpy(ctx->secret[a], key->secret, key->secret_len);
			ctx->secret_len[a] = key->secret_len;
		}
	}
	return run->ok ? 0 : ILNPDNS_ECRYPTO;
}

static void mac_add(struct mac_run *run, const void *p, size_t n)
{
	if (run->ok && n > 0)
		run->ok = EVP_MAC_update(run->c, p, n);
}

static int mac_end(struct mac_run *run, uint8_t out[ILNPDNS_TSIG_MAC_MAX])
{
	size_t outlen = 0;
	if (run->ok)
		run->ok = EVP_MAC_final(run->c, out, &outlen, ILNPDNS_TSIG_MAC_MAX);
	return run->ok ? 0 : ILNPDNS_ECRYPTO;
}

/* A prior MAC (the request's, or the previous message's) with its size (4.3.1, 4.3.2). */
static void mac_add_prior(struct mac_run *run, const uint8_t *mac, uint16_t mac_len)
{
	uint8_t size[2];
	ilnpdns_put16(size, mac_len);
	mac_add(run, size, 2);
	mac_add(run, mac, mac_len);
}

/*
 * The message up to end, as it was before the TSIG was added (4.3.3): header
 * ID replaced by the Original ID and, when the message carries the TSIG
 * already, ARCOUNT one less. The header is the only piece copied.
 */
static void mac_add_message(struct mac_run *run, const uint8_t *msg, size_t end, uint16_t orig_id,
                            bool has_tsig)
{
	uint8_t hdr[ILNPDNS_HDR_LEN];
	memcpy(hdr, msg, sizeof(hdr));
	ilnpdns_put16(hdr, orig_id);
	if (has_tsig)
		ilnpdns_put16(hdr + 10, (uint16_t)(ilnpdns_get16(hdr + 10) - 1));
	mac_add(run, hdr, sizeof(hdr));
	mac_add(run, msg + ILNPDNS_HDR_LEN, end - ILNPDNS_HDR_LEN);
}

/* The TSIG variables (4.3.3), or only the timers for later messages (4.3.2).
 * Names are lowercase already: canonical form. */
static void mac_add_vars(struct mac_run *run, const struct ilnpdns_tsig_rr *rr, bool timers_only)
{
	uint8_t buf[10];
	if (!timers_only) {
		mac_add(run, rr->key_name, ilnpdns_dname_len(rr->key_name));
		ilnpdns_put16(buf, ILNPDNS_C_ANY);
		ilnpdns_put32(buf + 2, 0);
		mac_add(run, buf, 6);
		mac_add(run, rr->alg_name, ilnpdns_dname_len(rr->alg_name));
	}
	put48(buf, rr->time_signed);
	ilnpdns_put16(buf + 6, rr->fudge);
	if (timers_only) {
		mac_add(run, buf, 8);
		return;
	}
	ilnpdns_put16(buf + 8, rr->error);
	mac_add(run, buf, 10);
	ilnpdns_put16(buf, rr->other_len);
	mac_add(run, buf, 2);
	mac_add(run, rr->other, rr->other_len);
}

/* MAC of a received message that carries rr; prior is NULL for a request. */
static int mac_of_received(struct ilnpdns_tsig_ctx *ctx, const struct ilnpdns_tsig_key *key,
                           const uint8_t *prior, uint16_t prior_len, const uint8_t *msg,
                           const struct ilnpdns_tsig_rr *rr, bool timers_only,
                           uint8_t out[ILNPDNS_TSIG_MAC_MAX])
{
	struct mac_run run;
	int rc = mac_begin(ctx, key, &run);
	if (rc != 0)
		return rc;
	if (prior != NULL)
		mac_add_prior(&run, prior, prior_len);
	mac_add_message(&run, msg, rr->start, rr->orig_id, true);
	mac_add_vars(&run, rr, timers_only);
	return mac_end(&run, out);
}

/* Sign msg (no TSIG yet) and append rr with the MAC cut to rr->mac_len. */
static int sign_and_append(struct ilnpdns_tsig_ctx *ctx, const struct ilnpdns_tsig_key *key,
                           const uint8_t *prior, uint16_t prior_len, uint8_t *msg, size_t *len,
                           size_t cap, struct ilnpdns_tsig_rr *rr, bool timers_only,
                           uint8_t mac[ILNPDNS_TSIG_MAC_MAX])
{
	struct mac_run run;
	if (*len < ILNPDNS_HDR_LEN)
		return ILNPDNS_EINVAL;
	int rc = mac_begin(ctx, key, &run);
	if (rc != 0)
		return rc;
	if (prior != NULL)
		mac_add_prior(&run, prior, prior_len);
	mac_add_message(&run, msg, *len, rr->orig_id, false);
	mac_add_vars(&run, rr, timers_only);
	if ((rc = mac_end(&run, mac)) != 0)
		return rc;
	rr->mac = mac;
	return ilnpdns_tsig_rr_append(msg, len, cap, rr);
}

static bool time_ok(uint64_t now, uint64_t signed_at, uint16_t fudge)
{
	uint64_t skew = now > signed_at ? now - signed_at : signed_at - now;
	return skew <= fudge;
}

/* RFC 8945 5.2.2.1 rules 1 and 3: the sizes that are a format error. */
static bool mac_size_ok(uint16_t mac_len, uint16_t hash_len)
{
	uint16_t least = (uint16_t)(hash_len / 2 + hash_len % 2);
	if (least < 10)
		least = 10;
	return mac_len <= hash_len && mac_len >= least;
}

/* ---- server ---- */

int ilnpdns_tsig_verify_request(struct ilnpdns_tsig_ctx *ctx, const uint8_t *msg, size_t len,
                                ilnpdns_tsig_lookup_fn lookup, void *arg,
                                struct ilnpdns_tsig_replay *replay, uint64_t now,
                                struct ilnpdns_tsig_state *st)
{
	struct ilnpdns_tsig_rr rr;
	uint8_t mac[ILNPDNS_TSIG_MAC_MAX];

	memset(st, 0, sizeof(*st));
	int rc = ilnpdns_tsig_find(msg, len, &rr);
	if (rc == 0)
		return ILNPDNS_ENOENT;
	if (rc < 0 || rr.error != ILNPDNS_TSIG_NOERROR)
		return ILNPDNS_EMALF; /* Error MUST be 0 in a request (4.2); *Decision*: FORMERR */
	memcpy(st->key_name, rr.key_name, ilnpdns_dname_len(rr.key_name));
	memcpy(st->alg_name, rr.alg_name, ilnpdns_dname_len(rr.alg_name));
	st->fudge = rr.fudge;
	st->time_signed = rr.time_signed;

	/* 5.2.1: the key is found by name, and the algorithm is the key's own.
	 * Taking the algorithm from the packet would let a message downgrade
	 * itself (ldns does that; LDNS-COVERAGE 6.2). */
	const struct ilnpdns_tsig_key *key = lookup(rr.key_name, arg);
	if (key == NULL || ilnpdns_tsig_alg_from_wire(rr.alg_name) != key->alg) {
		st->error = ILNPDNS_TSIG_BADKEY;
		return ILNPDNS_EBADKEY;
	}
	if (!mac_size_ok(rr.mac_len, ilnpdns_tsig_alg_hash_len(key->alg)))
		return ILNPDNS_EMALF;
	st->key = key;

	/* 5.2.2: the MAC, over the first MAC Size octets only (5.2.2.1 rule 4). */
	rc = mac_of_received(ctx, key, NULL, 0, msg, &rr, false, mac);
	if (rc != 0)
		return rc;
	int differ = CRYPTO_memcmp(mac, rr.mac, rr.mac_len);
	OPENSSL_cleanse(mac, sizeof(mac));
	if (differ) {
		st->error = ILNPDNS_TSIG_BADSIG;
		return ILNPDNS_EBADSIG;
	}
	/* The answer's MAC covers the request MAC as sent, truncated or not. */
	memcpy(st->mac, rr.mac, rr.mac_len);
	st->mac_len = rr.mac_len;

	/* 5.2.3: time, only now that the MAC is known good. */
	if (!time_ok(now, rr.time_signed, rr.fudge)) {
		st->error = ILNPDNS_TSIG_BADTIME;
		return ILNPDNS_EBADTIME;
	}
	/* 5.2.4: a truncation shorter than this key accepts. */
	if (rr.mac_len < key->mac_len) {
		st->error = ILNPDNS_TSIG_BADTRUNC;
		return ILNPDNS_EBADSIG;
	}
	/* Beyond the RFC (issue 3): an exact replay within the window. BADTIME is
	 * what 5.2.3 answers for its own replay defence (an old Time Signed). */
	if (replay != NULL && ilnpdns_tsig_replay_seen(replay, rr.key_name, rr.mac, rr.mac_len,
	                                               rr.time_signed + rr.fudge, now)) {
		st->replay = true;
		st->error = ILNPDNS_TSIG_BADTIME;
		return ILNPDNS_EBADTIME;
	}
	return 0;
}

size_t ilnpdns_tsig_space(const struct ilnpdns_tsig_state *st)
{
	size_t mac = st->key != NULL ? ilnpdns_tsig_alg_hash_len(st->key->alg) : 0;
	return ilnpdns_dname_len(st->key_name) + ilnpdns_dname_len(st->alg_name) +
	       ILNPDNS_TSIG_FIXED_LEN + mac + 6;
}

int ilnpdns_tsig_sign_answer(struct ilnpdns_tsig_ctx *ctx, struct ilnpdns_tsig_state *st,
                             uint8_t *msg, size_t *len, size_t cap, uint64_t now)
{
	struct ilnpdns_tsig_rr rr;
	uint8_t mac[ILNPDNS_TSIG_MAC_MAX], other[6];

	if (*len < ILNPDNS_HDR_LEN || st->alg_name[0] == 0)
		return ILNPDNS_EINVAL;
	memset(&rr, 0, sizeof(rr));
	rr.orig_id = ilnpdns_get16(msg);
	rr.fudge = st->fudge;
	rr.time_signed = now;
	rr.error = st->error;

	/* 5.3.2: BADSIG and BADKEY answers are not signed (MAC size 0): the
	 * server has no key it could prove, and must not sign for a forger. */
	if (st->error == ILNPDNS_TSIG_BADSIG || st->error == ILNPDNS_TSIG_BADKEY ||
	    st->key == NULL) {
		if (st->messages > 0 || st->error == ILNPDNS_TSIG_NOERROR)
			return ILNPDNS_EINVAL;
		memcpy(rr.key_name, st->key_name, ilnpdns_dname_len(st->key_name));
		memcpy(rr.alg_name, st->alg_name, ilnpdns_dname_len(st->alg_name));
		int rc = ilnpdns_tsig_rr_append(msg, len, cap, &rr);
		if (rc == 0)
			st->messages++;
		return rc;
	}

	const struct ilnpdns_tsig_key *key = st->key;
	memcpy(rr.key_name, key->name, ilnpdns_dname_len(key->name));
	memcpy(rr.alg_name, ilnpdns_tsig_alg_wire(key->alg),
	       ilnpdns_dname_len(ilnpdns_tsig_alg_wire(key->alg)));
	/* Never shorter than the request's MAC (5.3.1), never below the key's. */
	rr.mac_len = st->mac_len > key->mac_len ? st->mac_len : key->mac_len;
	bool first = st->messages == 0;
	if (first && st->error == ILNPDNS_TSIG_BADTIME) {
		/* 5.2.3: echo the request's time; ours goes in Other Data. */
		rr.time_signed = st->time_signed;
		put48(other, now);
		rr.other = other;
		rr.other_len = 6;
	}
	if (!first)
		rr.error = 0; /* a transfer goes on only after a clean first answer */
	int rc = sign_and_append(ctx, key, st->mac, st->mac_len, msg, len, cap, &rr, !first, mac);
	if (rc == 0) {
		memcpy(st->mac, mac, rr.mac_len);
		st->mac_len = rr.mac_len;
		st->messages++;
	}
	OPENSSL_cleanse(mac, sizeof(mac));
	return rc;
}

/* ---- client ---- */

int ilnpdns_tsig_sign_request(struct ilnpdns_tsig_ctx *ctx, struct ilnpdns_tsig_state *st,
                              const struct ilnpdns_tsig_key *key, uint16_t fudge, uint8_t *msg,
                              size_t *len, size_t cap, uint64_t now)
{
	struct ilnpdns_tsig_rr rr;
	uint8_t mac[ILNPDNS_TSIG_MAC_MAX];

	if (*len < ILNPDNS_HDR_LEN)
		return ILNPDNS_EINVAL;
	memset(st, 0, sizeof(*st));
	memset(&rr, 0, sizeof(rr));
	st->key = key;
	st->fudge = fudge;
	st->time_signed = now;
	memcpy(st->key_name, key->name, ilnpdns_dname_len(key->name));
	memcpy(st->alg_name, ilnpdns_tsig_alg_wire(key->alg),
	       ilnpdns_dname_len(ilnpdns_tsig_alg_wire(key->alg)));
	memcpy(rr.key_name, st->key_name, sizeof(rr.key_name));
	memcpy(rr.alg_name, st->alg_name, sizeof(rr.alg_name));
	rr.time_signed = now;
	rr.fudge = fudge;
	rr.mac_len = key->mac_len;
	rr.orig_id = ilnpdns_get16(msg);
	int rc = sign_and_append(ctx, key, NULL, 0, msg, len, cap, &rr, false, mac);
	if (rc == 0) {
		memcpy(st->mac, mac, rr.mac_len);
		st->mac_len = rr.mac_len;
	}
	OPENSSL_cleanse(mac, sizeof(mac));
	return rc;
}

int ilnpdns_tsig_verify_answer(struct ilnpdns_tsig_ctx *ctx, struct ilnpdns_tsig_state *st,
                               const uint8_t *msg, size_t len, uint64_t now)
{
	struct ilnpdns_tsig_rr rr;
	uint8_t mac[ILNPDNS_TSIG_MAC_MAX];
	const struct ilnpdns_tsig_key *key = st->key;

	st->error = 0;
	if (key == NULL)
		return ILNPDNS_EINVAL;
	int rc = ilnpdns_tsig_find(msg, len, &rr);
	if (rc == 0)
		return ILNPDNS_ENOENT;
	if (rc < 0)
		return ILNPDNS_EMALF;
	/* The answer must use the request's key and algorithm (RFC 8945 5.3). */
	if (!ilnpdns_dname_equal(rr.key_name, key->name) ||
	    ilnpdns_tsig_alg_from_wire(rr.alg_name) != key->alg)
		return ILNPDNS_EBADKEY;
	st->error = rr.error;
	if (rr.mac_len == 0) {
		/* Unsigned error answers (5.3.2): hints only, never success. */
		if (rr.error == ILNPDNS_TSIG_BADKEY)
			return ILNPDNS_EBADKEY;
		if (rr.error == ILNPDNS_TSIG_BADSIG)
			return ILNPDNS_EBADSIG;
		return ILNPDNS_EMALF;
	}
	if (!mac_size_ok(rr.mac_len, ilnpdns_tsig_alg_hash_len(key->alg)))
		return ILNPDNS_EMALF;
	if (rr.mac_len < key->mac_len)
		return ILNPDNS_EBADSIG;
	bool first = st->messages == 0;
	rc = mac_of_received(ctx, key, st->mac, st->mac_len, msg, &rr, !first, mac);
	if (rc != 0)
		return rc;
	int differ = CRYPTO_memcmp(mac, rr.mac, rr.mac_len);
	OPENSSL_cleanse(mac, sizeof(mac));
	if (differ)
		return ILNPDNS_EBADSIG;
	if (rr.error == ILNPDNS_TSIG_BADTIME) {
		if (rr.other_len == 6)
			st->other_time = get48(rr.other);
		return ILNPDNS_EBADTIME;
	}
	if (rr.error == ILNPDNS_TSIG_BADKEY)
		return ILNPDNS_EBADKEY;
	if (rr.error != ILNPDNS_TSIG_NOERROR)
		return ILNPDNS_EBADSIG;
	if (!time_ok(now, rr.time_signed, rr.fudge))
		return ILNPDNS_EBADTIME;
	memcpy(st->mac, rr.mac, rr.mac_len);
	st->mac_len = rr.mac_len;
	st->messages++;
	return 0;
}

/* ---- replay cache ---- */

#define REPLAY_WAYS 4

struct replay_entry {
	uint64_t expires; /* 0: empty */
	uint64_t hash;    /* of key name and MAC: a fast first filter */
	uint8_t mac_len;
	uint8_t mac[ILNPDNS_TSIG_MAC_MAX];
};

struct ilnpdns_tsig_replay {
	pthread_mutex_t lock;
	size_t buckets;
	uint64_t evictions;
	struct replay_entry entry[];
};

struct ilnpdns_tsig_replay *ilnpdns_tsig_replay_new(size_t slots)
{
	size_t buckets = (slots + REPLAY_WAYS - 1) / REPLAY_WAYS;
	if (buckets == 0)
		buckets = 1;
	if (buckets > (SIZE_MAX - sizeof(struct ilnpdns_tsig_replay)) /
	                  (REPLAY_WAYS * sizeof(struct replay_entry)))
		return NULL;
	struct ilnpdns_tsig_replay *rc =
	    calloc(1, sizeof(*rc) + buckets * REPLAY_WAYS * sizeof(struct replay_entry));
	if (rc == NULL)
		return NULL;
	if (pthread_mutex_init(&rc->lock, NULL) != 0) {
		free(rc);
		return NULL;
	}
	rc->buckets = buckets;
	return rc;
}

void ilnpdns_tsig_replay_free(struct ilnpdns_tsig_replay *rc)
{
	if (rc == NULL)
		return;
	pthread_mutex_destroy(&rc->lock);
	free(rc);
}

/* FNV-1a, 64 bit: the MACs are unpredictable to anyone without the key, so a
 * simple hash spreads them evenly. */
static uint64_t replay_hash(uint64_t h, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		h ^= p[i];
		h *= 0x100000001b3ull;
	}
	return h;
}

bool ilnpdns_tsig_replay_seen(struct ilnpdns_tsig_replay *rc, const uint8_t *key_name,
                              const uint8_t *mac, size_t mac_len, uint64_t expires, uint64_t now)
{
	if (mac_len > ILNPDNS_TSIG_MAC_MAX)
		mac_len = ILNPDNS_TSIG_MAC_MAX;
	uint64_t h = replay_hash(0xcbf29ce484222325ull, key_name, ilnpdns_dname_len(key_name));
	h = replay_hash(h, mac, mac_len);
	bool seen = false;

	pthread_mutex_lock(&rc->lock);
	struct replay_entry *b = rc->entry + (h % rc->buckets) * REPLAY_WAYS, *victim = b;
	for (int i = 0; i < REPLAY_WAYS; i++) {
		struct replay_entry *e = b + i;
		bool live = e->expires != 0 && e->expires >= now;
		if (live && e->hash == h && e->mac_len == mac_len &&
		    memcmp(e->mac, mac, mac_len) == 0) {
			seen = true;
			break;
		}
		/* Prefer an empty or expired way, else the one expiring first. */
		bool victim_live = victim->expires != 0 && victim->expires >= now;
		if (victim_live && (!live || e->expires < victim->expires))
			victim = e;
	}
	if (!seen) {
		if (victim->expires != 0 && victim->expires >= now)
			rc->evictions++;
		victim->expires = expires > 0 ? expires : 1;
		victim->hash = h;
		victim->mac_len = (uint8_t)mac_len;
		memcpy(victim->mac, mac, mac_len);
	}
	pthread_mutex_unlock(&rc->lock);
	return seen;
}

uint64_t ilnpdns_tsig_replay_evictions(struct ilnpdns_tsig_replay *rc)
{
	pthread_mutex_lock(&rc->lock);
	uint64_t n = rc->evictions;
	pthread_mutex_unlock(&rc->lock);
	return n;
}
