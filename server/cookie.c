/* SPDX-License-Identifier: BSD-2-Clause */
/* cookie.c -- DNS cookies (RFC 7873) with interoperable server cookies (RFC 9018). */
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "cookie.h"
#include "ilnpdns/dname.h"
#include "ilnpdns/error.h"
#include "ilnpdns/sig0.h"
#include "ilnpdns/wire.h"

#define COOKIE_VERSION 1
#define HASH_LEN       8
#define HASH_IN_MAX    (COOKIE_CLIENT_LEN + 8 + 16) /* client, version..timestamp, IPv6 */

struct cookie_ctx {
	EVP_MAC *mac;
	EVP_MAC_CTX *mctx;
	uint8_t cur[COOKIE_SECRET_LEN];
	uint8_t prev[COOKIE_SECRET_LEN];
	bool has_prev;
};

struct cookie_ctx *cookie_ctx_new(void)
{
	struct cookie_ctx *ctx = calloc(1, sizeof(*ctx));
	if (ctx == NULL)
		return NULL;
	/* Fetched once: a fetch per cookie would take OpenSSL's locks and allocate. */
	ctx->mac = EVP_MAC_fetch(NULL, "SIPHASH", NULL);
	if (ctx->mac == NULL || (ctx->mctx = EVP_MAC_CTX_new(ctx->mac)) == NULL) {
		cookie_ctx_free(ctx);
		return NULL;
	}
	return ctx;
}

void cookie_ctx_free(struct cookie_ctx *ctx)
{
	if (ctx == NULL)
		return;
	EVP_MAC_CTX_free(ctx->mctx);
	EVP_MAC_free(ctx->mac);
	explicit_bzero(ctx, sizeof(*ctx));
	free(ctx);
}

void cookie_ctx_set_secrets(struct cookie_ctx *ctx, const uint8_t cur[COOKIE_SECRET_LEN],
                            const uint8_t *prev)
{
	memcpy(ctx->cur, cur, COOKIE_SECRET_LEN);
	ctx->has_prev = prev != NULL && memcmp(prev, cur, COOKIE_SECRET_LEN) != 0;
	if (ctx->has_prev)
		memcpy(ctx->prev, prev, COOKIE_SECRET_LEN);
}

void cookie_parse(const uint8_t *data, size_t len, struct cookie *c)
{
	memset(c, 0, sizeof(*c));
	/* RFC 7873 5.2.2: 8 (client only) or 16..40 (a server cookie of 8..32). */
	if (len != COOKIE_CLIENT_LEN && (len < 16 || len > 40)) {
		c->state = COOKIE_MALFORMED;
		return;
	}
	memcpy(c->client, data, COOKIE_CLIENT_LEN);
	c->server_len = (uint8_t)(len - COOKIE_CLIENT_LEN);
	memcpy(c->server, data + COOKIE_CLIENT_LEN, c->server_len);
	c->state = c->server_len ? COOKIE_INVALID : COOKIE_CLIENT_ONLY;
}

/* The client address as the hash takes it: 4 octets for IPv4 (mapped ones too), else 16. */
static size_t client_ip(const struct sockaddr *sa, uint8_t out[16])
{
	if (sa == NULL)
		return 0;
	if (sa->sa_family == AF_INET) {
		memcpy(out, &((const struct sockaddr_in *)sa)->sin_addr, 4);
		return 4;
	}
	if (sa->sa_family != AF_INET6)
		return 0;
	const struct in6_addr *a6 = &((const struct sockaddr_in6 *)sa)->sin6_addr;
	if (IN6_IS_ADDR_V4MAPPED(a6)) {
		memcpy(out, a6->s6_addr + 12, 4);
		return 4;
	}
	memcpy(out, a6->s6_addr, 16);
	return 16;
}

/* SipHash-2-4 with an 8-octet output (RFC 9018 4.4) of in under key. */
static int siphash(struct cookie_ctx *ctx, const uint8_t *key, const uint8_t *in, size_t inlen,
                   uint8_t out[HASH_LEN])
{
	size_t size = HASH_LEN, outlen = 0;
	unsigned crounds = 2, drounds = 4;
	/* c-rounds/d-rounds are known from OpenSSL 3.1 on; 3.0 ignores them and
	 * runs 2-4, its only choice. */
	OSSL_PARAM params[] = {
	    OSSL_PARAM_construct_size_t(OSSL_MAC_PARAM_SIZE, &size),
	    OSSL_PARAM_construct_uint("c-rounds", &crounds),
	    OSSL_PARAM_construct_uint("d-rounds", &drounds),
	    OSSL_PARAM_construct_end(),
	};
	if (EVP_MAC_init(ctx->mctx, key, COOKIE_SECRET_LEN, params) != 1 ||
	    EVP_MAC_update(ctx->mctx, in, inlen) != 1 ||
	    EVP_MAC_final(ctx->mctx, out, &outlen, HASH_LEN) != 1 || outlen != HASH_LEN)
		return ILNPDNS_ECRYPTO;
	return 0;
}

/* Hash a server cookie's first 8 octets (version, reserved, timestamp) as given. */
static int cookie_hash(struct cookie_ctx *ctx, const uint8_t *key,
                       const uint8_t client[COOKIE_CLIENT_LEN], const uint8_t head[8],
                       const struct sockaddr *from, uint8_t out[HASH_LEN])
{
	uint8_t in[HASH_IN_MAX];
	size_t n = client_ip(from, in + COOKIE_CLIENT_LEN + 8);
	if (n == 0)
		return ILNPDNS_EINVAL;
	memcpy(in, client, COOKIE_CLIENT_LEN);
	memcpy(in + COOKIE_CLIENT_LEN, head, 8);
	return siphash(ctx, key, in, COOKIE_CLIENT_LEN + 8 + n, out);
}

int cookie_make(struct cookie_ctx *ctx, const uint8_t client[COOKIE_CLIENT_LEN],
                const struct sockaddr *from, uint32_t now, uint8_t out[COOKIE_SERVER_LEN])
{
	out[0] = COOKIE_VERSION;
	out[1] = out[2] = out[3] = 0; /* reserved, 0 when generated (RFC 9018 4.2) */
	ilnpdns_put32(out + 4, now);
	return cookie_hash(ctx, ctx->cur, client, out, from, out + 8);
}

void cookie_verify(struct cookie_ctx *ctx, struct cookie *c, const struct sockaddr *from,
                   uint32_t now)
{
	uint8_t hash[HASH_LEN];
	if (c->state != COOKIE_INVALID && c->state != COOKIE_VALID)
		return;
	c->state = COOKIE_INVALID;
	c->refresh = false;
	if (c->server_len != COOKIE_SERVER_LEN || c->server[0] != COOKIE_VERSION)
		return;
	/* Serial arithmetic on the 32-bit timestamp (RFC 9018 4.3, RFC 1982). */
	int32_t age = (int32_t)(now - ilnpdns_get32(c->server + 4));
	if (age > COOKIE_PAST_MAX || age < -COOKIE_FUTURE_MAX)
		return;
	bool ok = cookie_hash(ctx, ctx->cur, c->client, c->server, from, hash) == 0 &&
	          CRYPTO_memcmp(hash, c->server + 8, HASH_LEN) == 0;
	bool old = false;
	if (!ok && ctx->has_prev)
		old = ok = cookie_hash(ctx, ctx->prev, c->client, c->server, from, hash) == 0 &&
		           CRYPTO_memcmp(hash, c->server + 8, HASH_LEN) == 0;
	if (!ok)
		return;
	c->state = COOKIE_VALID;
	/* A reserved field we did not write (another implementation sharing
	 * the secret) is echoed only until the refresh. */
	c->refresh =
	    old || age > COOKIE_REFRESH_AGE || (c->server[1] | c->server[2] | c->server[3]);
}

size_t cookie_write_option(struct cookie_ctx *ctx, const struct cookie *c,
                           const struct sockaddr *from, uint32_t now, uint8_t *out)
{
	if (c->state != COOKIE_CLIENT_ONLY && c->state != COOKIE_INVALID &&
	    c->state != COOKIE_VALID)
		return 0;
	ilnpdns_put16(out, COOKIE_OPT_CODE);
	ilnpdns_put16(out + 2, COOKIE_CLIENT_LEN + COOKIE_SERVER_LEN);
	memcpy(out + 4, c->client, COOKIE_CLIENT_LEN);
	uint8_t *server = out + 4 + COOKIE_CLIENT_LEN;
	/* RFC 9018 4.3: a valid cookie under half an hour old may be reused. */
	if (c->state == COOKIE_VALID && !c->refresh)
		memcpy(server, c->server, COOKIE_SERVER_LEN);
	else if (cookie_make(ctx, c->client, from, now, server) != 0)
		return 0;
	return COOKIE_OPT_SPACE;
}

/* ---- the UPDATE gate ---- */

/* What the gate needs to know of an UPDATE: where its zone section ends, its OPT. */
struct upd_scan {
	size_t zone_end;       /* end of the zone section (ZOCOUNT 1), else 12 */
	bool zone_one;         /* exactly one zone RR, echoed in the answer */
	bool opt;              /* an OPT in the additional section */
	const uint8_t *ckdata; /* COOKIE option data, or NULL */
	size_t cklen;
};

/* The first COOKIE option in OPT RDATA; false when the options overrun it. */
static bool opt_find_cookie(const uint8_t *p, size_t len, struct upd_scan *s)
{
	size_t i = 0;
	while (i < len) {
		if (i + 4 > len)
			return false;
		uint16_t code = ilnpdns_get16(p + i), olen = ilnpdns_get16(p + i + 2);
		if (i + 4 + olen > len)
			return false;
		if (code == COOKIE_OPT_CODE && s->ckdata == NULL) {
			s->ckdata = p + i + 4;
			s->cklen = olen;
		}
		i += 4u + olen;
	}
	return true;
}

/* Walk the whole message (names checked by ilnpdns_dname_unpack()); false when malformed. */
static bool upd_walk(const uint8_t *msg, size_t len, struct upd_scan *s)
{
	uint8_t name[ILNPDNS_DNAME_MAXLEN];
	unsigned zo = ilnpdns_get16(msg + 4), an = ilnpdns_get16(msg + 6);
	unsigned ns = ilnpdns_get16(msg + 8), ar = ilnpdns_get16(msg + 10);
	size_t pos = ILNPDNS_HDR_LEN;

	for (unsigned i = 0; i < zo; i++) {
		if (ilnpdns_dname_unpack(msg, len, &pos, name) < 0 || pos + 4 > len)
			return false;
		pos += 4;
	}
	s->zone_one = zo == 1;
	s->zone_end = zo == 1 ? pos : ILNPDNS_HDR_LEN;
	for (unsigned i = 0; i < an + ns + ar; i++) {
		if (ilnpdns_dname_unpack(msg, len, &pos, name) < 0 || pos + 10 > len)
			return false;
		uint16_t type = ilnpdns_get16(msg + pos), rdlen = ilnpdns_get16(msg + pos + 8);
		if (pos + 10 + rdlen > len)
			return false;
		if (type == ILNPDNS_T_OPT && i >= an + ns) {
			s->opt = true;
			if (!opt_find_cookie(msg + pos + 10, rdlen, s))
				return false;
		}
		pos += 10u + rdlen;
	}
	return true;
}

size_t cookie_update_gate(struct cookie_ctx *ctx, const uint8_t *msg, size_t len,
                          const struct sockaddr *from, uint32_t now, uint8_t *resp, size_t cap,
                          uint8_t *rcode, bool *truncated)
{
	struct ilnpdns_sig0_info info;
	struct upd_scan s = {0};
	struct cookie c = {0};
	uint8_t ckopt[COOKIE_OPT_SPACE];
	size_t cklen = 0;

	*rcode = ILNPDNS_RCODE_NOERROR;
	*truncated = false;
	/* Only SIG(0) costs public-key work; a malformed message is FORMERR
	 * at the writer before any of it. */
	if (len < ILNPDNS_HDR_LEN || ilnpdns_sig0_find(msg, len, &info) != 0 ||
	    !upd_walk(msg, len, &s))
		return 0;
	if (s.ckdata != NULL) {
		cookie_parse(s.ckdata, s.cklen, &c);
		cookie_verify(ctx, &c, from, now);
		if (c.state == COOKIE_VALID)
			return 0;
	}
	int rc;
	bool tc = false;
	if (s.ckdata == NULL) {
		/* A failure the client cannot take for success; TC says "use TCP". */
		rc = ILNPDNS_RCODE_REFUSED;
		tc = true;
	} else if (c.state == COOKIE_MALFORMED) {
		rc = ILNPDNS_RCODE_FORMERR;
	} else {
		rc = ILNPDNS_RCODE_BADCOOKIE;
		cklen = cookie_write_option(ctx, &c, from, now, ckopt);
	}
	/* Header, zone section, OPT: never more than 12 + 259 + 11 + 28 octets. */
	size_t need = s.zone_end + (s.opt ? 11 + cklen : 0);
	if (need > cap)
		return 0;
	memcpy(resp, msg, s.zone_end);
	uint16_t flags = ilnpdns_get16(msg + 2);
	flags = (uint16_t)(ILNPDNS_FLAG_QR | (flags & (0xf << 11)) | (rc & 0xf));
	if (tc)
		flags |= ILNPDNS_FLAG_TC;
	ilnpdns_put16(resp + 2, flags);
	ilnpdns_put16(resp + 4, s.zone_one ? 1 : 0);
	ilnpdns_put16(resp + 6, 0);
	ilnpdns_put16(resp + 8, 0);
	ilnpdns_put16(resp + 10, s.opt ? 1 : 0);
	size_t n = s.zone_end;
	if (s.opt) {
		/* RFC 6891 6.1.3: extended RCODE's upper 8 bits in the OPT TTL. */
		uint8_t *p = resp + n;
		p[0] = 0;
		ilnpdns_put16(p + 1, ILNPDNS_T_OPT);
		ilnpdns_put16(p + 3, ILNPDNS_EDNS_SIZE);
		p[5] = (uint8_t)(rc >> 4);
		p[6] = p[7] = p[8] = 0;
		ilnpdns_put16(p + 9, (uint16_t)cklen);
		memcpy(p + 11, ckopt, cklen);
		n += 11 + cklen;
	}
	*rcode = (uint8_t)rc;
	*truncated = tc;
	return n;
}
