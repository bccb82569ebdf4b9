/* SPDX-License-Identifier: BSD-2-Clause */
/* sig0.h -- RFC 2931 SIG(0) message signing and verification on OpenSSL 3. */
#ifndef ILNPDNS_SIG0_H
#define ILNPDNS_SIG0_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ilnpdns/dname.h"

/*
 * Algorithms (DNSSEC numbers, as in KEY and SIG RDATA). Anything else is
 * refused with ILNPDNS_EBADKEY: RSAMD5, DSA and SHA-1 variants never verify.
 */
enum {
	ILNPDNS_SIG0_RSASHA256 = 8,
	ILNPDNS_SIG0_ECDSAP256SHA256 = 13,
	ILNPDNS_SIG0_ED25519 = 15,
};

/*
 * Bounded work, the lesson of CVE-2024-1975 (one message must not cost many
 * public-key operations):
 * - one SIG(0) per message, and it must be the last additional RR;
 * - of the keys the caller offers, only the first ILNPDNS_SIG0_MAX_KEYS are
 *   looked at (a cheap compare of name, algorithm and key tag);
 * - of those that match, at most ILNPDNS_SIG0_MAX_VERIFY are tried with a
 *   public-key operation (key tags collide, so more than one may match). The
 *   figures are BIND 9.20's defaults (sig0key-checks-limit 16,
 *   sig0message-checks-limit 2).
 * A per-source limit on failures and a global quota belong to the server.
 */
#define ILNPDNS_SIG0_MAX_KEYS   16
#define ILNPDNS_SIG0_MAX_VERIFY 2

/*
 * Time window defaults (RFC 2931 3.3 asks for no more than about 5 minutes
 * into the past or future): a signature is accepted when inception <= now +
 * skew and now - skew <= expiration, and expiration - inception <= max_window,
 * all in RFC 1982 serial arithmetic on 32 bits. A signature we make runs from
 * now - ILNPDNS_SIG0_SIGN_MARGIN to now + ILNPDNS_SIG0_SIGN_MARGIN, as nsupdate
 * does.
 */
#define ILNPDNS_SIG0_SKEW        300
#define ILNPDNS_SIG0_MAX_WINDOW  3600
#define ILNPDNS_SIG0_SIGN_MARGIN 300

/* Longest signature: RSA with a 4096-bit modulus. */
#define ILNPDNS_SIG0_SIG_MAX 512

/*
 * A public key (from KEY RDATA), optionally with its private half (from a
 * BIND key file pair). Immutable once made, so one key may be used by many
 * threads at the same time.
 */
struct ilnpdns_sig0_key;

/*
 * Per-thread signing and verification state: the OpenSSL digest context, the
 * SHA-256 implementation fetched once, the scratch buffer where the signed
 * data is assembled, the clock and the window settings. Not thread-safe: give
 * each worker its own.
 */
struct ilnpdns_sig0_ctx;

/* Seconds since the epoch; arg is the value given to ilnpdns_sig0_ctx_set_clock(). */
typedef uint64_t (*ilnpdns_sig0_clock_fn)(void *arg);

/* Where a message's SIG(0) is and what it says (filled by ilnpdns_sig0_find()). */
struct ilnpdns_sig0_info {
	size_t sig_off;     /* offset of the SIG RR: the message before it was signed ends here */
	size_t rdata_off;   /* offset of its RDATA */
	size_t prefix_len;  /* RDATA octets before the signature (what is signed) */
	const uint8_t *sig; /* the signature, inside the message */
	size_t sig_len;
	uint8_t alg;
	uint16_t tag;
	uint32_t inception;
	uint32_t expiration;
	uint8_t signer[ILNPDNS_DNAME_MAXLEN]; /* signer's name, uncompressed wire form */
};

/*
 * Make a context with the real clock (time(2)), skew ILNPDNS_SIG0_SKEW and
 * window ILNPDNS_SIG0_MAX_WINDOW. It allocates its scratch buffer (about 128
 * KiB, room for a request and a response) once, so signing and verifying
 * allocate nothing further themselves. Returns 0, ILNPDNS_ENOMEM or
 * ILNPDNS_ECRYPTO. Free with ilnpdns_sig0_ctx_free().
 */
int ilnpdns_sig0_ctx_new(struct ilnpdns_sig0_ctx **out);
void ilnpdns_sig0_ctx_free(struct ilnpdns_sig0_ctx *ctx);

/* Replace the clock (tests, faked time); fn NULL restores time(2). */
void ilnpdns_sig0_ctx_set_clock(struct ilnpdns_sig0_ctx *ctx, ilnpdns_sig0_clock_fn fn, void *arg);

/* Change the accepted clock skew and the longest window (seconds). */
void ilnpdns_sig0_ctx_set_window(struct ilnpdns_sig0_ctx *ctx, uint32_t skew, uint32_t max_window);

/* Number of public-key verifications this context has run (for tests and metrics). */
uint64_t ilnpdns_sig0_ctx_verify_ops(const struct ilnpdns_sig0_ctx *ctx);

/*
 * RFC 4034 Appendix B key tag of KEY (or DNSKEY) RDATA.
 */
uint16_t ilnpdns_sig0_keytag(const uint8_t *rdata, size_t len);

/*
 * Parse KEY RDATA (flags, protocol, algorithm, public key; RFC 2535 3.1,
 * RFC 3445) owned by the signer name owner into a key usable for
 * verification. The public key is decoded into OpenSSL form here, once.
 * Refused with ILNPDNS_EBADKEY: protocol other than 3, the "no
 * authentication" flag (0x8000) or "no key" (0xC000), an algorithm outside
 * the three above, an RSA modulus outside 1024..4096 bits or an exponent
 * longer than 8 octets. ILNPDNS_ERDATA for RDATA of the wrong shape,
 * ILNPDNS_ENOMEM, ILNPDNS_ECRYPTO. The caller frees *out with
 * ilnpdns_sig0_key_free().
 */
int ilnpdns_sig0_key_from_rdata(const uint8_t *owner, const uint8_t *rdata, size_t len,
                                struct ilnpdns_sig0_key **out);

/*
 * Load a signing key from a BIND key pair as `dnssec-keygen -T KEY` writes
 * it: path names either file ("Kname.+alg+tag.key" or ".private") or their
 * common stem. The ".private" file ("Private-key-format: v1.x") gives the
 * private key, the ".key" file the owner name and KEY RDATA; the two must
 * belong together. Returns 0, ILNPDNS_ENOENT / other negated errno for I/O,
 * ILNPDNS_ESYNTAX for a file we cannot read, ILNPDNS_EBADKEY for an
 * unsupported algorithm or a mismatched pair, ILNPDNS_ENOMEM,
 * ILNPDNS_ECRYPTO. Free with ilnpdns_sig0_key_free().
 */
int ilnpdns_sig0_key_load(const char *path, struct ilnpdns_sig0_key **out);

void ilnpdns_sig0_key_free(struct ilnpdns_sig0_key *key);

/* Accessors. The name is the owner of the KEY RR (the SIG(0) signer name). */
uint16_t ilnpdns_sig0_key_tag(const struct ilnpdns_sig0_key *key);
uint8_t ilnpdns_sig0_key_alg(const struct ilnpdns_sig0_key *key);
const uint8_t *ilnpdns_sig0_key_name(const struct ilnpdns_sig0_key *key);
bool ilnpdns_sig0_key_has_private(const struct ilnpdns_sig0_key *key);
/* The KEY RDATA; *len receives its length. Borrowed, lives as long as the key. */
const uint8_t *ilnpdns_sig0_key_rdata(const struct ilnpdns_sig0_key *key, size_t *len);

/*
 * Sign msg (len octets, a complete DNS message without TSIG or SIG(0)) and
 * append the SIG(0) RR, incrementing ARCOUNT (RFC 2931 3.1). The SIG RR has
 * owner root, class ANY, TTL 0, type covered 0, labels 0, original TTL 0,
 * the window around the context's clock, and the signer name uncompressed.
 * For a response, req/reqlen give the request exactly as received (with its
 * SIG(0)) and are covered too; NULL/0 for a request. cap is the room in
 * msg. Returns the new length, or ILNPDNS_ETRUNC (cap too small),
 * ILNPDNS_EMALF (not a message, ARCOUNT full), ILNPDNS_EBADKEY (no private
 * key), ILNPDNS_ECRYPTO.
 */
int ilnpdns_sig0_sign(struct ilnpdns_sig0_ctx *ctx, const struct ilnpdns_sig0_key *key,
                      uint8_t *msg, size_t len, size_t cap, const uint8_t *req, size_t reqlen);

/*
 * Find the SIG(0) of a message on the raw wire, with no crypto. The message
 * is walked completely. Returns 0 and fills *info; ILNPDNS_ENOENT when the
 * message carries no SIG(0); ILNPDNS_EMALF (answer FORMERR) when the message
 * is malformed, a SIG(0) is not the last additional RR or there are two, the
 * last RR is a SIG whose type covered is not 0, a TSIG comes with it, or the
 * signer name is compressed or bad.
 */
int ilnpdns_sig0_find(const uint8_t *msg, size_t len, struct ilnpdns_sig0_info *info);

/*
 * Check the window of a found SIG(0) against the context's clock.
 * Returns 0 or ILNPDNS_EBADTIME.
 */
int ilnpdns_sig0_check_time(const struct ilnpdns_sig0_ctx *ctx,
                            const struct ilnpdns_sig0_info *info);

/*
 * Verify the SIG(0) that ilnpdns_sig0_find() found in msg against candidate
 * keys (normally the KEY RRset at info->signer, parsed once). For a response,
 * req/reqlen are the request as sent, with its SIG(0); NULL/0 otherwise.
 * Checks run cheapest first: algorithm, window, key match (name, algorithm,
 * tag; at most ILNPDNS_SIG0_MAX_KEYS keys looked at), then at most
 * ILNPDNS_SIG0_MAX_VERIFY public-key operations. Returns 0 and sets *used (if
 * not NULL) to the key that verified; ILNPDNS_EBADTIME; ILNPDNS_EBADKEY (no
 * usable key matches, or the algorithm is not supported); ILNPDNS_EBADSIG (a
 * key matched but no signature verified); ILNPDNS_ECRYPTO. Nothing is
 * allocated here beyond what OpenSSL does inside a verification.
 */
int ilnpdns_sig0_verify(struct ilnpdns_sig0_ctx *ctx, const uint8_t *msg, size_t len,
                        const struct ilnpdns_sig0_info *info, const uint8_t *req, size_t reqlen,
                        const struct ilnpdns_sig0_key *const *keys, size_t nkeys,
                        const struct ilnpdns_sig0_key **used);

#endif /* ILNPDNS_SIG0_H */
