/* SPDX-License-Identifier: BSD-2-Clause */
/* sig0.c -- RFC 2931 SIG(0): KEY parsing, BIND key files, signing and bounded verification. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

#include "ilnpdns/error.h"
#include "ilnpdns/sig0.h"
#include "ilnpdns/wire.h"

/* KEY RDATA: flags, protocol, algorithm, then at most an RSA key of 4096 bits (RFC 3110). */
#define KEY_RDATA_MAX (4 + 3 + 8 + 512)
/* SIG RDATA fields before the signer's name (RFC 2535 4.1). */
#define SIG_FIXED      18
#define SIG_PREFIX_MAX (SIG_FIXED + ILNPDNS_DNAME_MAXLEN)
/* RR header after the owner name: type, class, TTL, RDLENGTH. */
#define RR_FIXED 10
/* Room for RDATA prefix | request | response-before-SIG (RFC 2931 3.1). */
#define SCRATCH_LEN (SIG_PREFIX_MAX + 2 * ILNPDNS_MSG_MAX)
/* A BIND private-key file is a few lines; 4096-bit RSA stays under 4 KiB. */
#define KEYFILE_MAX 16384

/* KEY flags (RFC 2535 3.1.2): the two "type" bits. */
#define KEY_FLAG_NOAUTH  0x8000
#define KEY_FLAG_NOKEY   0xc000
#define KEY_PROTO_DNSSEC 3

struct ilnpdns_sig0_key {
	EVP_PKEY *pkey;
	bool has_private;
	uint8_t alg;
	uint16_t tag;
	uint8_t name[ILNPDNS_DNAME_MAXLEN];
	size_t rdlen;
	uint8_t rdata[KEY_RDATA_MAX];
};

struct ilnpdns_sig0_ctx {
	EVP_MD_CTX *md;
	EVP_MD *sha256;
	ilnpdns_sig0_clock_fn clock;
	void *clock_arg;
	uint32_t skew;
	uint32_t max_window;
	uint64_t verify_ops;
	uint8_t *buf; /* SCRATCH_LEN octets */
};

static uint64_t real_clock(void *arg)
{
	time_t t = time(NULL);
	return t < 0 ? 0 : (uint64_t)t;
}

int ilnpdns_sig0_ctx_new(struct ilnpdns_sig0_ctx **out)
{
	struct ilnpdns_sig0_ctx *ctx = calloc(1, sizeof(*ctx));
	if (ctx == NULL)
		return ILNPDNS_ENOMEM;
	ctx->buf = malloc(SCRATCH_LEN);
	if (ctx->buf == NULL) {
		free(ctx);
		return ILNPDNS_ENOMEM;
	}
	/* Fetch SHA-256 once: an implicit fetch per operation costs a lock and a lookup. */
	ctx->md = EVP_MD_CTX_new();
	ctx->sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
	if (ctx->md == NULL || ctx->sha256 == NULL) {
		ilnpdns_sig0_ctx_free(ctx);
		return ILNPDNS_ECRYPTO;
	}
	ctx->clock = real_clock;
	ctx->skew = ILNPDNS_SIG0_SKEW;
	ctx->max_window = ILNPDNS_SIG0_MAX_WINDOW;
	*out = ctx;
	return ILNPDNS_OK;
}

void ilnpdns_sig0_ctx_free(struct ilnpdns_sig0_ctx *ctx)
{
	if (ctx == NULL)
		return;
	EVP_MD_CTX_free(ctx->md);
	EVP_MD_free(ctx->sha256);
	free(ctx->buf);
	free(ctx);
}

void ilnpdns_sig0_ctx_set_clock(struct ilnpdns_sig0_ctx *ctx, ilnpdns_sig0_clock_fn fn, void *arg)
{
	ctx->clock = fn != NULL ? fn : real_clock;
	ctx->clock_arg = fn != NULL ? arg : NULL;
}

void ilnpdns_sig0_ctx_set_window(struct ilnpdns_sig0_ctx *ctx, uint32_t skew, uint32_t max_window)
{
	ctx->skew = skew;
	ctx->max_window = max_window;
}

uint64_t ilnpdns_sig0_ctx_verify_ops(const struct ilnpdns_sig0_ctx *ctx)
{
	return ctx->verify_ops;
}

uint16_t ilnpdns_sig0_keytag(const uint8_t *rdata, size_t len)
{
	/* RFC 4034 App. B.1: RSA/MD5 keys use the third- and second-last octets. */
	if (len >= 4 && rdata[3] == 1)
		return len < 7 ? 0 : (uint16_t)(rdata[len - 3] << 8 | rdata[len - 2]);
	uint32_t ac = 0;
	for (size_t i = 0; i < len; i++)
		ac += (i & 1) ? rdata[i] : (uint32_t)rdata[i] << 8;
	ac += (ac >> 16) & 0xffff;
	return (uint16_t)(ac & 0xffff);
}

static bool alg_supported(uint8_t alg)
{
	return alg == ILNPDNS_SIG0_RSASHA256 || alg == ILNPDNS_SIG0_ECDSAP256SHA256 ||
	       alg == ILNPDNS_SIG0_ED25519;
}

/* Build an EVP_PKEY of type name ("EC", "RSA") from OpenSSL parameters. */
static int pkey_from_params(const char *name, int selection, OSSL_PARAM *params, EVP_PKEY **out)
{
	EVP_PKEY_CTX *pctx = EVP_PKEY_CTX_new_from_name(NULL, name, NULL);
	int ret = ILNPDNS_ECRYPTO;
	*out = NULL;
	if (pctx == NULL)
		goto out;
	if (EVP_PKEY_fromdata_init(pctx) != 1 ||
	    EVP_PKEY_fromdata(pctx, out, selection, params) != 1) {
		/* Most often a point off the curve or a broken RSA key: the key's fault. */
		ret = ILNPDNS_EBADKEY;
		goto out;
	}
	ret = ILNPDNS_OK;
out:
	EVP_PKEY_CTX_free(pctx);
	ERR_clear_error();
	return ret;
}

/* RFC 6605 4: a P-256 key is x | y (64 octets); OpenSSL wants the uncompressed point 04 | x | y. */
static int ec_public(const uint8_t *k, size_t klen, EVP_PKEY **out)
{
	uint8_t point[65];
	char group[] = "prime256v1";
	if (klen != 64)
		return ILNPDNS_ERDATA;
	point[0] = 0x04;
	memcpy(point + 1, k, 64);
	OSSL_PARAM params[] = {
	    OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, group, 0),
	    OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, point, sizeof(point)),
	    OSSL_PARAM_construct_end(),
	};
	return pkey_from_params("EC", EVP_PKEY_PUBLIC_KEY, params, out);
}

/*
 * RFC 3110 2: exponent length (1 octet, or 0 then 2 octets), exponent,
 * modulus. Splits k into e and n after the size checks of sig0.h.
 */
static int rsa_split(const uint8_t *k, size_t klen, const uint8_t **e, size_t *elen,
                     const uint8_t **n, size_t *nlen)
{
	size_t off = 1;
	if (klen < 1)
		return ILNPDNS_ERDATA;
	*elen = k[0];
	if (*elen == 0) {
		if (klen < 3)
			return ILNPDNS_ERDATA;
		*elen = (size_t)k[1] << 8 | k[2];
		off = 3;
	}
	if (*elen == 0 || klen < off + *elen + 1)
		return ILNPDNS_ERDATA;
	*e = k + off;
	*n = k + off + *elen;
	*nlen = klen - off - *elen;
	/* Bound the cost of a verification (PROTOCOLS 4.6): big moduli and exponents are slow. */
	while (*nlen > 0 && (*n)[0] == 0) {
		(*n)++;
		(*nlen)--;
	}
	if (*elen > 8 || *nlen < 128 || *nlen > 512)
		return ILNPDNS_EBADKEY;
	return ILNPDNS_OK;
}

static int rsa_public(const uint8_t *k, size_t klen, EVP_PKEY **out)
{
	const uint8_t *e, *n;
	size_t elen, nlen;
	int ret = rsa_split(k, klen, &e, &elen, &n, &nlen);
	if (ret < 0)
		return ret;
	ret = ILNPDNS_ECRYPTO;
	BIGNUM *bn_n = BN_bin2bn(n, (int)nlen, NULL);
	BIGNUM *bn_e = BN_bin2bn(e, (int)elen, NULL);
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	OSSL_PARAM *params = NULL;
	if (bn_n == NULL || bn_e == NULL || bld == NULL ||
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bn_n) != 1 ||
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, bn_e) != 1 ||
	    (params = OSSL_PARAM_BLD_to_param(bld)) == NULL)
		goto out;
	ret = pkey_from_params("RSA", EVP_PKEY_PUBLIC_KEY, params, out);
out:
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	BN_free(bn_n);
	BN_free(bn_e);
	return ret;
}

int ilnpdns_sig0_key_from_rdata(const uint8_t *owner, const uint8_t *rdata, size_t len,
                                struct ilnpdns_sig0_key **out)
{
	if (len < 4 || len > KEY_RDATA_MAX)
		return len > KEY_RDATA_MAX ? ILNPDNS_EBADKEY : ILNPDNS_ERDATA;
	uint16_t flags = ilnpdns_get16(rdata);
	uint8_t alg = rdata[3];
	/*
	 * RFC 2535 3.1.2: 0x8000 means "not for authentication", 0xC000 "no key".
	 * The signatory bits are ignored (RFC 3007 1.5). RFC 3445 fixes protocol 3.
	 */
	if ((flags & KEY_FLAG_NOAUTH) != 0 || rdata[2] != KEY_PROTO_DNSSEC || !alg_supported(alg))
		return ILNPDNS_EBADKEY;
	EVP_PKEY *pkey = NULL;
	int ret;
	switch (alg) {
	case ILNPDNS_SIG0_ED25519: /* RFC 8080 3: the 32-octet public key */
		if (len - 4 != 32)
			return ILNPDNS_ERDATA;
		pkey = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, rdata + 4, 32);
		ret = pkey != NULL ? ILNPDNS_OK : ILNPDNS_ECRYPTO;
		ERR_clear_error();
		break;
	case ILNPDNS_SIG0_ECDSAP256SHA256:
		ret = ec_public(rdata + 4, len - 4, &pkey);
		break;
	default:
		ret = rsa_public(rdata + 4, len - 4, &pkey);
		break;
	}
	if (ret < 0)
		return ret;
	struct ilnpdns_sig0_key *key = calloc(1, sizeof(*key));
	if (key == NULL) {
		EVP_PKEY_free(pkey);
		return ILNPDNS_ENOMEM;
	}
	key->pkey = pkey;
	key->alg = alg;
	key->tag = ilnpdns_sig0_keytag(rdata, len);
	memcpy(key->name, owner, ilnpdns_dname_len(owner));
	memcpy(key->rdata, rdata, len);
	key->rdlen = len;
	*out = key;
	return ILNPDNS_OK;
}

void ilnpdns_sig0_key_free(struct ilnpdns_sig0_key *key)
{
	if (key == NULL)
		return;
	EVP_PKEY_free(key->pkey);
	free(key);
}

uint16_t ilnpdns_sig0_key_tag(const struct ilnpdns_sig0_key *key)
{
	return key->tag;
}

uint8_t ilnpdns_sig0_key_alg(const struct ilnpdns_sig0_key *key)
{
	return key->alg;
}

const uint8_t *ilnpdns_sig0_key_name(const struct ilnpdns_sig0_key *key)
{
	return key->name;
}

bool ilnpdns_sig0_key_has_private(const struct ilnpdns_sig0_key *key)
{
	return key->has_private;
}

const uint8_t *ilnpdns_sig0_key_rdata(const struct ilnpdns_sig0_key *key, size_t *len)
{
	*len = key->rdlen;
	return key->rdata;
}

/* ---- BIND key files ---------------------------------------------------- */

/*
 * Decode base64 text, skipping white space. Returns the decoded length or
 * ILNPDNS_ESYNTAX / ILNPDNS_ETRUNC. EVP_DecodeBlock counts padding as zero
 * octets, so the '=' are subtracted here.
 */
static int b64_decode(const char *in, size_t inlen, uint8_t *out, size_t cap)
{
	char clean[KEYFILE_MAX];
	size_t n = 0, pad = 0;
	for (size_t i = 0; i < inlen; i++) {
		if (isspace((unsigned char)in[i]))
			continue;
		if (n == sizeof(clean) - 1)
			return ILNPDNS_ETRUNC;
		clean[n++] = in[i];
	}
	if (n == 0 || n % 4 != 0)
		return ILNPDNS_ESYNTAX;
	if (clean[n - 1] == '=')
		pad++;
	if (clean[n - 2] == '=')
		pad++;
	if (n / 4 * 3 > cap)
		return ILNPDNS_ETRUNC;
	int got = EVP_DecodeBlock(out, (const unsigned char *)clean, (int)n);
	OPENSSL_cleanse(clean, n);
	if (got < 0 || (size_t)got < pad)
		return ILNPDNS_ESYNTAX;
	return got - (int)pad;
}

/* Read a whole small file into buf (NUL-terminated). Returns the length or an error. */
static int read_small_file(const char *path, char *buf, size_t cap)
{
	FILE *f = fopen(path, "r");
	if (f == NULL)
		return -errno;
	size_t n = fread(buf, 1, cap - 1, f);
	int bad = ferror(f) || !feof(f);
	fclose(f);
	if (bad)
		return ILNPDNS_ESYNTAX;
	buf[n] = '\0';
	return (int)n;
}

/*
 * The ".key" file: comment lines (';'), then one RR in presentation form:
 * owner [ttl] [class] KEY flags protocol algorithm base64... Only what
 * dnssec-keygen writes is understood.
 */
static int parse_key_file(char *text, uint8_t *owner, uint8_t *rdata, size_t *rdlen)
{
	char *save = NULL;
	for (char *line = strtok_r(text, "\n", &save); line != NULL;
	     line = strtok_r(NULL, "\n", &save)) {
		char *p = line;
		while (isspace((unsigned char)*p))
			p++;
		if (*p == ';' || *p == '\0')
			continue;
		char *tsave = NULL;
		char *tok = strtok_r(p, " \t\r", &tsave);
		if (tok == NULL || ilnpdns_dname_from_str(tok, owner) < 0)
			return ILNPDNS_ESYNTAX;
		tok = strtok_r(NULL, " \t\r", &tsave);
		if (tok != NULL && isdigit((unsigned char)tok[0]))
			tok = strtok_r(NULL, " \t\r", &tsave);
		if (tok != NULL && strcasecmp(tok, "IN") == 0)
			tok = strtok_r(NULL, " \t\r", &tsave);
		if (tok == NULL || strcasecmp(tok, "KEY") != 0)
			return ILNPDNS_ESYNTAX;
		unsigned long v[3];
		for (int i = 0; i < 3; i++) {
			char *end;
			tok = strtok_r(NULL, " \t\r", &tsave);
			if (tok == NULL)
				return ILNPDNS_ESYNTAX;
			v[i] = strtoul(tok, &end, 10);
			if (*end != '\0' || v[i] > (i == 0 ? 0xffffUL : 0xffUL))
				return ILNPDNS_ESYNTAX;
		}
		ilnpdns_put16(rdata, (uint16_t)v[0]);
		rdata[2] = (uint8_t)v[1];
		rdata[3] = (uint8_t)v[2];
		/* The rest of the line is the base64 key, possibly split by blanks. */
		char *rest = strtok_r(NULL, "", &tsave);
		if (rest == NULL)
			return ILNPDNS_ESYNTAX;
		int n = b64_decode(rest, strlen(rest), rdata + 4, KEY_RDATA_MAX - 4);
		if (n < 0)
			return n == ILNPDNS_ETRUNC ? ILNPDNS_EBADKEY : n;
		*rdlen = 4 + (size_t)n;
		return ILNPDNS_OK;
	}
	return ILNPDNS_ESYNTAX;
}

/* Fields of a "Private-key-format: v1.x" file that we use. */
enum {
	PF_PRIVATEKEY,
	PF_MODULUS,
	PF_PUBEXP,
	PF_PRIVEXP,
	PF_PRIME1,
	PF_PRIME2,
	PF_EXP1,
	PF_EXP2,
	PF_COEFF,
	PF_COUNT
};

static const char *const pf_names[PF_COUNT] = {
    "PrivateKey", "Modulus",   "PublicExponent", "PrivateExponent", "Prime1",
    "Prime2",     "Exponent1", "Exponent2",      "Coefficient",
};

/* OpenSSL parameter names of the RSA fields, in PF_MODULUS.. order. */
static const char *const pf_rsa_params[PF_COUNT] = {
    NULL,
    OSSL_PKEY_PARAM_RSA_N,
    OSSL_PKEY_PARAM_RSA_E,
    OSSL_PKEY_PARAM_RSA_D,
    OSSL_PKEY_PARAM_RSA_FACTOR1,
    OSSL_PKEY_PARAM_RSA_FACTOR2,
    OSSL_PKEY_PARAM_RSA_EXPONENT1,
    OSSL_PKEY_PARAM_RSA_EXPONENT2,
    OSSL_PKEY_PARAM_RSA_COEFFICIENT1,
};

struct private_file {
	int alg;
	size_t len[PF_COUNT];
	uint8_t val[PF_COUNT][512];
};

static int parse_private_file(char *text, struct private_file *pf)
{
	char *save = NULL;
	bool format_ok = false;
	pf->alg = -1;
	for (char *line = strtok_r(text, "\n", &save); line != NULL;
	     line = strtok_r(NULL, "\n", &save)) {
		char *colon = strchr(line, ':');
		if (colon == NULL)
			continue;
		*colon = '\0';
		char *value = colon + 1;
		while (isspace((unsigned char)*value))
			value++;
		if (strcmp(line, "Private-key-format") == 0) {
			/* v1.2 and v1.3 differ only in timing fields we do not read. */
			format_ok = strncmp(value, "v1.", 3) == 0;
		} else if (strcmp(line, "Algorithm") == 0) {
			char *end;
			long a = strtol(value, &end, 10);
			if (end == value || a < 0 || a > 255)
				return ILNPDNS_ESYNTAX;
			pf->alg = (int)a;
		} else {
			for (int i = 0; i < PF_COUNT; i++) {
				if (strcmp(line, pf_names[i]) != 0)
					continue;
				int n = b64_decode(value, strlen(value), pf->val[i],
				                   sizeof(pf->val[i]));
				if (n <= 0)
					return n == ILNPDNS_ETRUNC ? ILNPDNS_EBADKEY
					                           : ILNPDNS_ESYNTAX;
				pf->len[i] = (size_t)n;
			}
		}
	}
	return format_ok && pf->alg >= 0 ? ILNPDNS_OK : ILNPDNS_ESYNTAX;
}

static int rsa_private(const struct private_file *pf, EVP_PKEY **out)
{
	BIGNUM *bn[PF_COUNT] = {NULL};
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	OSSL_PARAM *params = NULL;
	int ret = ILNPDNS_ECRYPTO;
	if (bld == NULL)
		goto out;
	for (int i = PF_MODULUS; i < PF_COUNT; i++) {
		if (pf->len[i] == 0) {
			ret = ILNPDNS_ESYNTAX;
			goto out;
		}
		bn[i] = BN_bin2bn(pf->val[i], (int)pf->len[i], NULL);
		if (bn[i] == NULL || OSSL_PARAM_BLD_push_BN(bld, pf_rsa_params[i], bn[i]) != 1)
			goto out;
	}
	params = OSSL_PARAM_BLD_to_param(bld);
	if (params == NULL)
		goto out;
	ret = pkey_from_params("RSA", EVP_PKEY_KEYPAIR, params, out);
out:
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	for (int i = 0; i < PF_COUNT; i++)
		BN_clear_free(bn[i]);
	return ret;
}

/* The public point comes from the .key file; the pairwise check ties it to the private scalar. */
static int ec_private(const struct private_file *pf, const uint8_t *pub, size_t publen,
                      EVP_PKEY **out)
{
	uint8_t point[65];
	char group[] = "prime256v1";
	if (pf->len[PF_PRIVATEKEY] != 32 || publen != 64)
		return ILNPDNS_EBADKEY;
	point[0] = 0x04;
	memcpy(point + 1, pub, 64);
	BIGNUM *d = BN_bin2bn(pf->val[PF_PRIVATEKEY], 32, NULL);
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	OSSL_PARAM *params = NULL;
	int ret = ILNPDNS_ECRYPTO;
	if (d == NULL || bld == NULL ||
	    OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, group, 0) != 1 ||
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, d) != 1 ||
	    OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, point, sizeof(point)) !=
	        1 ||
	    (params = OSSL_PARAM_BLD_to_param(bld)) == NULL)
		goto out;
	ret = pkey_from_params("EC", EVP_PKEY_KEYPAIR, params, out);
out:
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	BN_clear_free(d);
	return ret;
}

/* Both halves must be one key: the same public part, and a private part that fits it. */
static int check_pair(EVP_PKEY *pub, EVP_PKEY *priv)
{
	if (EVP_PKEY_eq(pub, priv) != 1) {
		ERR_clear_error();
		return ILNPDNS_EBADKEY;
	}
	EVP_PKEY_CTX *pctx = EVP_PKEY_CTX_new_from_pkey(NULL, priv, NULL);
	int ok = pctx != NULL && EVP_PKEY_pairwise_check(pctx) == 1;
	EVP_PKEY_CTX_free(pctx);
	ERR_clear_error();
	return ok ? ILNPDNS_OK : ILNPDNS_EBADKEY;
}

static int load_pair(const char *stem, struct ilnpdns_sig0_key **out)
{
	char path[4096];
	char *text = NULL;
	struct private_file *pf = NULL;
	struct ilnpdns_sig0_key *key = NULL;
	EVP_PKEY *priv = NULL;
	uint8_t owner[ILNPDNS_DNAME_MAXLEN];
	uint8_t rdata[KEY_RDATA_MAX];
	size_t rdlen = 0;
	int ret;

	text = malloc(KEYFILE_MAX);
	pf = calloc(1, sizeof(*pf));
	if (text == NULL || pf == NULL) {
		ret = ILNPDNS_ENOMEM;
		goto out;
	}
	if ((size_t)snprintf(path, sizeof(path), "%s.key", stem) >= sizeof(path)) {
		ret = ILNPDNS_ENAME;
		goto out;
	}
	ret = read_small_file(path, text, KEYFILE_MAX);
	if (ret < 0)
		goto out;
	ret = parse_key_file(text, owner, rdata, &rdlen);
	if (ret < 0)
		goto out;
	ret = ilnpdns_sig0_key_from_rdata(owner, rdata, rdlen, &key);
	if (ret < 0)
		goto out;

	snprintf(path, sizeof(path), "%s.private", stem);
	ret = read_small_file(path, text, KEYFILE_MAX);
	if (ret < 0)
		goto fail;
	ret = parse_private_file(text, pf);
	if (ret < 0)
		goto fail;
	if (pf->alg != key->alg) {
		ret = ILNPDNS_EBADKEY;
		goto fail;
	}
	switch (pf->alg) {
	case ILNPDNS_SIG0_ED25519:
		if (pf->len[PF_PRIVATEKEY] != 32) {
			ret = ILNPDNS_EBADKEY;
			goto fail;
		}
		priv = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, pf->val[PF_PRIVATEKEY],
		                                    32);
		ret = priv != NULL ? ILNPDNS_OK : ILNPDNS_ECRYPTO;
		break;
	case ILNPDNS_SIG0_ECDSAP256SHA256:
		ret = ec_private(pf, rdata + 4, rdlen - 4, &priv);
		break;
	default:
		ret = rsa_private(pf, &priv);
		break;
	}
	if (ret < 0)
		goto fail;
	ret = check_pair(key->pkey, priv);
	if (ret < 0)
		goto fail;
	EVP_PKEY_free(key->pkey);
	key->pkey = priv;
	priv = NULL;
	key->has_private = true;
	*out = key;
	key = NULL;
	goto out;
fail:
	ilnpdns_sig0_key_free(key);
out:
	EVP_PKEY_free(priv);
	if (text != NULL)
		OPENSSL_cleanse(text, KEYFILE_MAX);
	if (pf != NULL)
		OPENSSL_cleanse(pf, sizeof(*pf));
	free(text);
	free(pf);
	ERR_clear_error();
	return ret;
}

static bool ends_with(const char *s, size_t n, const char *suffix)
{
	size_t m = strlen(suffix);
	return n >= m && strcmp(s + n - m, suffix) == 0;
}

int ilnpdns_sig0_key_load(const char *path, struct ilnpdns_sig0_key **out)
{
	char stem[4096];
	size_t n = strlen(path);
	if (n >= sizeof(stem))
		return ILNPDNS_ENAME;
	memcpy(stem, path, n + 1);
	/* nsupdate -k takes either file of the pair; so do we. */
	if (ends_with(stem, n, ".private"))
		stem[n - strlen(".private")] = '\0';
	else if (ends_with(stem, n, ".key"))
		stem[n - strlen(".key")] = '\0';
	return load_pair(stem, out);
}

/* ---- Wire walking ------------------------------------------------------ */

/* Step over a possibly compressed name; a pointer ends it (RFC 1035 4.1.4). */
static int skip_name(const uint8_t *msg, size_t len, size_t *pos)
{
	size_t p = *pos, total = 0;
	for (;;) {
		if (p >= len)
			return ILNPDNS_EMALF;
		uint8_t l = msg[p];
		if ((l & 0xc0) == 0xc0) {
			if (p + 2 > len)
				return ILNPDNS_EMALF;
			*pos = p + 2;
			return ILNPDNS_OK;
		}
		if ((l & 0xc0) != 0)
			return ILNPDNS_EMALF;
		total += (size_t)l + 1;
		if (total > ILNPDNS_DNAME_MAXLEN)
			return ILNPDNS_EMALF;
		p += (size_t)l + 1;
		if (l == 0) {
			*pos = p;
			return ILNPDNS_OK;
		}
	}
}

/* Step over one RR, reporting its type and where its RDATA lies. */
static int skip_rr(const uint8_t *msg, size_t len, size_t *pos, uint16_t *type, size_t *rdoff,
                   size_t *rdlen)
{
	int ret = skip_name(msg, len, pos);
	if (ret < 0)
		return ret;
	if (len - *pos < RR_FIXED)
		return ILNPDNS_EMALF;
	*type = ilnpdns_get16(msg + *pos);
	*rdlen = ilnpdns_get16(msg + *pos + 8);
	*rdoff = *pos + RR_FIXED;
	if (len - *rdoff < *rdlen)
		return ILNPDNS_EMALF;
	*pos = *rdoff + *rdlen;
	return ILNPDNS_OK;
}

/* Read the SIG RDATA fields (RFC 2535 4.1); the signer's name must not be compressed. */
static int parse_sig_rdata(const uint8_t *msg, size_t rdoff, size_t rdlen,
                           struct ilnpdns_sig0_info *info)
{
	const uint8_t *r = msg + rdoff;
	if (rdlen < SIG_FIXED + 1)
		return ILNPDNS_EMALF;
	info->alg = r[2];
	info->expiration = ilnpdns_get32(r + 8);
	info->inception = ilnpdns_get32(r + 12);
	info->tag = ilnpdns_get16(r + 16);
	size_t p = SIG_FIXED;
	for (;;) {
		if (p >= rdlen)
			return ILNPDNS_EMALF;
		uint8_t l = r[p];
		if ((l & 0xc0) != 0 || p - SIG_FIXED + l + 1 > ILNPDNS_DNAME_MAXLEN)
			return ILNPDNS_EMALF;
		p += (size_t)l + 1;
		if (l == 0)
			break;
	}
	if (p > rdlen || p == rdlen)
		return ILNPDNS_EMALF; /* an empty signature is no signature */
	memcpy(info->signer, r + SIG_FIXED, p - SIG_FIXED);
	info->rdata_off = rdoff;
	info->prefix_len = p;
	info->sig = r + p;
	info->sig_len = rdlen - p;
	return ILNPDNS_OK;
}

int ilnpdns_sig0_find(const uint8_t *msg, size_t len, struct ilnpdns_sig0_info *info)
{
	if (len < ILNPDNS_HDR_LEN)
		return ILNPDNS_EMALF;
	unsigned qd = ilnpdns_get16(msg + 4);
	unsigned anns = (unsigned)ilnpdns_get16(msg + 6) + ilnpdns_get16(msg + 8);
	unsigned ar = ilnpdns_get16(msg + 10);
	size_t pos = ILNPDNS_HDR_LEN, rdoff, rdlen;
	uint16_t type;
	bool tsig = false, found = false;
	int ret;

	for (unsigned i = 0; i < qd; i++) {
		if ((ret = skip_name(msg, len, &pos)) < 0)
			return ret;
		if (len - pos < 4)
			return ILNPDNS_EMALF;
		pos += 4;
	}
	for (unsigned i = 0; i < anns; i++) {
		/* SIG RRs in the prerequisite or update sections never authenticate (RFC 3007 4).
		 */
		if ((ret = skip_rr(msg, len, &pos, &type, &rdoff, &rdlen)) < 0)
			return ret;
	}
	for (unsigned i = 0; i < ar; i++) {
		size_t start = pos;
		if ((ret = skip_rr(msg, len, &pos, &type, &rdoff, &rdlen)) < 0)
			return ret;
		if (type == ILNPDNS_T_TSIG)
			tsig = true;
		if (type != ILNPDNS_T_SIG)
			continue;
		if (rdlen < 2)
			return ILNPDNS_EMALF;
		bool last = i + 1 == ar;
		bool sig0 = ilnpdns_get16(msg + rdoff) == 0;
		/* RFC 2931 3.1: the SIG(0) is the last additional RR, hence also the only one. */
		if (sig0 != last)
			return ILNPDNS_EMALF;
		if ((ret = parse_sig_rdata(msg, rdoff, rdlen, info)) < 0)
			return ret;
		info->sig_off = start;
		found = true;
	}
	if (pos != len)
		return ILNPDNS_EMALF;
	if (!found)
		return ILNPDNS_ENOENT;
	/* One TSIG or one SIG(0), never both (RFC 2931 3.1). */
	return tsig ? ILNPDNS_EMALF : ILNPDNS_OK;
}

/* ---- Signing and verification ------------------------------------------ */

/* RFC 1982 serial arithmetic on 32 bits: a <= b. */
static bool serial_le(uint32_t a, uint32_t b)
{
	return (int32_t)(b - a) >= 0;
}

int ilnpdns_sig0_check_time(const struct ilnpdns_sig0_ctx *ctx,
                            const struct ilnpdns_sig0_info *info)
{
	/* The wire carries 32-bit times; serial arithmetic keeps this right past 2106. */
	uint32_t now = (uint32_t)ctx->clock(ctx->clock_arg);
	if (!serial_le(info->inception, now + ctx->skew) ||
	    !serial_le(now - ctx->skew, info->expiration) ||
	    (uint32_t)(info->expiration - info->inception) > ctx->max_window)
		return ILNPDNS_EBADTIME;
	return ILNPDNS_OK;
}

/*
 * RFC 2931 3.1: the signed data is the SIG RDATA without the signature,
 * then (for a response) the request as received, then the message as it was
 * before the SIG was added, with the ARCOUNT it had then. Ed25519 has no
 * streaming interface, so everything is laid out in the context's buffer.
 */
static size_t assemble(struct ilnpdns_sig0_ctx *ctx, const uint8_t *prefix, size_t prefix_len,
                       const uint8_t *req, size_t reqlen, const uint8_t *msg, size_t msglen,
                       uint16_t arcount)
{
	uint8_t *b = ctx->buf;
	memcpy(b, prefix, prefix_len);
	b += prefix_len;
	if (reqlen > 0) {
		memcpy(b, req, reqlen);
		b += reqlen;
	}
	memcpy(b, msg, msglen);
	ilnpdns_put16(b + 10, arcount);
	return prefix_len + reqlen + msglen;
}

/* One DER INTEGER, minimal: leading zeros dropped, a zero added before a high bit. */
static size_t der_int(uint8_t *out, const uint8_t *v, size_t n)
{
	while (n > 1 && v[0] == 0) {
		v++;
		n--;
	}
	size_t pad = (v[0] & 0x80) != 0;
	out[0] = 0x02;
	out[1] = (uint8_t)(n + pad);
	out[2] = 0;
	memcpy(out + 2 + pad, v, n);
	return 2 + pad + n;
}

/* RFC 6605 4: DNS carries r | s (32 octets each); OpenSSL verifies DER (SEQUENCE of two INTEGERs).
 */
static size_t ecdsa_to_der(const uint8_t *rs, uint8_t *der)
{
	size_t n = der_int(der + 2, rs, 32);
	n += der_int(der + 2 + n, rs + 32, 32);
	der[0] = 0x30;
	der[1] = (uint8_t)n; /* at most 70: short form */
	return n + 2;
}

/* DER from EVP_DigestSign back to r | s. */
static int ecdsa_from_der(const uint8_t *der, size_t derlen, uint8_t *rs)
{
	const unsigned char *p = der;
	ECDSA_SIG *s = d2i_ECDSA_SIG(NULL, &p, (long)derlen);
	int ret = ILNPDNS_ECRYPTO;
	if (s != NULL && BN_bn2binpad(ECDSA_SIG_get0_r(s), rs, 32) == 32 &&
	    BN_bn2binpad(ECDSA_SIG_get0_s(s), rs + 32, 32) == 32)
		ret = ILNPDNS_OK;
	ECDSA_SIG_free(s);
	return ret;
}

/* Ed25519 takes no digest (RFC 8080 4 signs the data itself); the others use SHA-256. */
static const EVP_MD *alg_md(const struct ilnpdns_sig0_ctx *ctx, uint8_t alg)
{
	return alg == ILNPDNS_SIG0_ED25519 ? NULL : ctx->sha256;
}

/* Returns 1 when the signature verifies, 0 when not, ILNPDNS_ECRYPTO on a library failure. */
static int verify_one(struct ilnpdns_sig0_ctx *ctx, const struct ilnpdns_sig0_key *key,
                      const uint8_t *sig, size_t siglen, size_t datalen)
{
	uint8_t der[72];
	ctx->verify_ops++;
	if (key->alg == ILNPDNS_SIG0_ECDSAP256SHA256) {
		if (siglen != 64)
			return 0;
		siglen = ecdsa_to_der(sig, der);
		sig = der;
	}
	int ret = ILNPDNS_ECRYPTO;
	if (EVP_MD_CTX_reset(ctx->md) != 1 ||
	    EVP_DigestVerifyInit(ctx->md, NULL, alg_md(ctx, key->alg), NULL, key->pkey) != 1)
		goto out;
	ret = EVP_DigestVerify(ctx->md, sig, siglen, ctx->buf, datalen) == 1;
out:
	ERR_clear_error();
	return ret;
}

int ilnpdns_sig0_verify(struct ilnpdns_sig0_ctx *ctx, const uint8_t *msg, size_t len,
                        const struct ilnpdns_sig0_info *info, const uint8_t *req, size_t reqlen,
                        const struct ilnpdns_sig0_key *const *keys, size_t nkeys,
                        const struct ilnpdns_sig0_key **used)
{
	if (info->sig_off > len || info->sig_off < ILNPDNS_HDR_LEN || reqlen > ILNPDNS_MSG_MAX ||
	    len > ILNPDNS_MSG_MAX || info->rdata_off + info->prefix_len > len)
		return ILNPDNS_EINVAL;
	/* Cheapest first (CVE-2024-1975): no crypto until everything else holds. */
	if (!alg_supported(info->alg))
		return ILNPDNS_EBADKEY;
	int ret = ilnpdns_sig0_check_time(ctx, info);
	if (ret < 0)
		return ret;
	uint16_t arcount = ilnpdns_get16(msg + 10);
	if (arcount == 0)
		return ILNPDNS_EINVAL;

	size_t datalen = 0;
	unsigned tried = 0;
	if (nkeys > ILNPDNS_SIG0_MAX_KEYS)
		nkeys = ILNPDNS_SIG0_MAX_KEYS;
	for (size_t i = 0; i < nkeys && tried < ILNPDNS_SIG0_MAX_VERIFY; i++) {
		const struct ilnpdns_sig0_key *k = keys[i];
		if (k == NULL || k->alg != info->alg || k->tag != info->tag ||
		    !ilnpdns_dname_equal(k->name, info->signer))
			continue;
		if (tried++ == 0)
			datalen = assemble(ctx, msg + info->rdata_off, info->prefix_len, req,
			                   reqlen, msg, info->sig_off, (uint16_t)(arcount - 1));
		ret = verify_one(ctx, k, info->sig, info->sig_len, datalen);
		if (ret < 0)
			return ret;
		if (ret == 1) {
			if (used != NULL)
				*used = k;
			return ILNPDNS_OK;
		}
	}
	return tried == 0 ? ILNPDNS_EBADKEY : ILNPDNS_EBADSIG;
}

int ilnpdns_sig0_sign(struct ilnpdns_sig0_ctx *ctx, const struct ilnpdns_sig0_key *key,
                      uint8_t *msg, size_t len, size_t cap, const uint8_t *req, size_t reqlen)
{
	uint8_t prefix[SIG_PREFIX_MAX];
	uint8_t sig[ILNPDNS_SIG0_SIG_MAX];
	size_t siglen;
	if (!key->has_private)
		return ILNPDNS_EBADKEY;
	if (len < ILNPDNS_HDR_LEN || len > ILNPDNS_MSG_MAX || reqlen > ILNPDNS_MSG_MAX)
		return ILNPDNS_EMALF;
	uint16_t arcount = ilnpdns_get16(msg + 10);
	if (arcount == 0xffff)
		return ILNPDNS_EMALF;

	/* RFC 2931 3: type covered 0, labels 0, original TTL 0; the window around now. */
	uint32_t now = (uint32_t)ctx->clock(ctx->clock_arg);
	size_t namelen = ilnpdns_dname_len(key->name);
	memset(prefix, 0, SIG_FIXED);
	prefix[2] = key->alg;
	ilnpdns_put32(prefix + 8, now + ILNPDNS_SIG0_SIGN_MARGIN);
	ilnpdns_put32(prefix + 12, now - ILNPDNS_SIG0_SIGN_MARGIN);
	ilnpdns_put16(prefix + 16, key->tag);
	memcpy(prefix + SIG_FIXED, key->name, namelen);
	size_t prefix_len = SIG_FIXED + namelen;

	size_t expect = (size_t)EVP_PKEY_get_size(key->pkey);
	if (key->alg == ILNPDNS_SIG0_ECDSAP256SHA256)
		expect = 64;
	size_t rrlen = 1 + RR_FIXED + prefix_len + expect;
	if (len + rrlen > cap || len + rrlen > ILNPDNS_MSG_MAX)
		return ILNPDNS_ETRUNC;

	size_t datalen = assemble(ctx, prefix, prefix_len, req, reqlen, msg, len, arcount);
	int ret = ILNPDNS_ECRYPTO;
	siglen = sizeof(sig);
	if (EVP_MD_CTX_reset(ctx->md) != 1 ||
	    EVP_DigestSignInit(ctx->md, NULL, alg_md(ctx, key->alg), NULL, key->pkey) != 1 ||
	    EVP_DigestSign(ctx->md, sig, &siglen, ctx->buf, datalen) != 1)
		goto out;
	if (key->alg == ILNPDNS_SIG0_ECDSAP256SHA256) {
		uint8_t rs[64];
		if (ecdsa_from_der(sig, siglen, rs) < 0)
			goto out;
		memcpy(sig, rs, sizeof(rs));
		siglen = sizeof(rs);
	}
	if (siglen != expect)
		goto out;

	/* The SIG RR: owner root, type SIG, class ANY, TTL 0 (RFC 2931 3). */
	uint8_t *p = msg + len;
	*p++ = 0;
	ilnpdns_put16(p, ILNPDNS_T_SIG);
	ilnpdns_put16(p + 2, ILNPDNS_C_ANY);
	ilnpdns_put32(p + 4, 0);
	ilnpdns_put16(p + 8, (uint16_t)(prefix_len + siglen));
	p += RR_FIXED;
	memcpy(p, prefix, prefix_len);
	memcpy(p + prefix_len, sig, siglen);
	ilnpdns_put16(msg + 10, (uint16_t)(arcount + 1));
	ret = (int)(len + rrlen);
out:
	ERR_clear_error();
	return ret;
}
