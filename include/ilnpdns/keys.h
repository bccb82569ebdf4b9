/* SPDX-License-Identifier: BSD-2-Clause */
/* keys.h -- TSIG keys: algorithms, BIND key files, nsupdate -y strings, secret file checks. */
#ifndef ILNPDNS_KEYS_H
#define ILNPDNS_KEYS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ilnpdns/dname.h"

/* The HMAC algorithms of RFC 8945 section 6 that we implement. 0 is "none". */
enum ilnpdns_tsig_alg {
	ILNPDNS_TSIG_HMAC_MD5 = 1, /* hmac-md5.sig-alg.reg.int.: only with ILNPDNS_KEY_ALLOW_MD5 */
	ILNPDNS_TSIG_HMAC_SHA1,
	ILNPDNS_TSIG_HMAC_SHA224,
	ILNPDNS_TSIG_HMAC_SHA256,
	ILNPDNS_TSIG_HMAC_SHA384,
	ILNPDNS_TSIG_HMAC_SHA512,
};
#define ILNPDNS_TSIG_ALG_COUNT 6

#define ILNPDNS_TSIG_MAC_MAX    64  /* the longest hash output, SHA-512 */
#define ILNPDNS_TSIG_SECRET_MAX 256 /* longer HMAC keys are hashed first anyway (RFC 2104 2) */

/* Flags for the parsers below. */
#define ILNPDNS_KEY_ALLOW_MD5 0x1u /* accept hmac-md5 (RFC 8945 6: MUST NOT use, MAY implement) */

/*
 * One TSIG key: a plain value, copied freely, no heap memory behind it.
 * mac_len is the MAC size this key signs with and the least it accepts
 * without BADTRUNC (RFC 8945 5.2.4): the full hash length, unless the
 * algorithm was given with a bit count as BIND allows ("hmac-sha256-128").
 */
struct ilnpdns_tsig_key {
	uint8_t name[ILNPDNS_DNAME_MAXLEN]; /* wire form, lowercased (RFC 8945 4.3.3) */
	enum ilnpdns_tsig_alg alg;
	uint16_t mac_len;
	uint16_t secret_len; /* at least 1 */
	uint8_t secret[ILNPDNS_TSIG_SECRET_MAX];
};

/*
 * Algorithm by presentation name, case-insensitive, with or without the
 * trailing dot: "hmac-sha256", "hmac-md5.sig-alg.reg.int." (also plain
 * "hmac-md5"), and BIND's truncated forms "<alg>-<bits>" where bits is a
 * multiple of 8 between max(80, half the hash) and the whole hash. Stores the
 * algorithm and its MAC length (octets). Returns 0, ILNPDNS_ENOENT for an
 * unknown name, ILNPDNS_EBADKEY for hmac-md5 without ILNPDNS_KEY_ALLOW_MD5, or
 * ILNPDNS_ERANGE for a bad bit count.
 */
int ilnpdns_tsig_alg_from_str(const char *str, unsigned flags, enum ilnpdns_tsig_alg *alg,
                              uint16_t *mac_len);

/*
 * Algorithm by its wire name (uncompressed, compared case-insensitively), as
 * found in a TSIG RR. Truncated forms have no wire name of their own. Returns
 * the algorithm, or 0 when the name is none we implement. md5 is recognised
 * here; whether a key may use it was decided when the key was loaded.
 */
enum ilnpdns_tsig_alg ilnpdns_tsig_alg_from_wire(const uint8_t *name);

/* The canonical wire name ("\x0bhmac-sha256\x00"); NULL for an invalid alg. */
const uint8_t *ilnpdns_tsig_alg_wire(enum ilnpdns_tsig_alg alg);

/* The presentation name without trailing dot ("hmac-sha256"); "?" if invalid. */
const char *ilnpdns_tsig_alg_name(enum ilnpdns_tsig_alg alg);

/* Hash output length in octets (16 .. 64); 0 for an invalid alg. */
uint16_t ilnpdns_tsig_alg_hash_len(enum ilnpdns_tsig_alg alg);

/* OpenSSL digest name ("SHA256") for EVP_MAC HMAC; NULL for an invalid alg. */
const char *ilnpdns_tsig_alg_digest(enum ilnpdns_tsig_alg alg);

/*
 * Fill key from presentation-form parts: name ("host1-key" or "host1-key.",
 * always absolute), algorithm (as ilnpdns_tsig_alg_from_str) and secret
 * (base64). On failure key is left zeroed, and a message naming the culprit,
 * without a file position, goes to err (may be NULL). Returns 0,
 * ILNPDNS_ENAME, ILNPDNS_ENOENT / ILNPDNS_EBADKEY / ILNPDNS_ERANGE (algorithm)
 * or ILNPDNS_ESYNTAX (secret not base64, empty or over
 * ILNPDNS_TSIG_SECRET_MAX octets).
 */
int ilnpdns_tsig_key_init(struct ilnpdns_tsig_key *key, const char *name, const char *alg,
                          const char *secret, unsigned flags, char *err, size_t errlen);

/*
 * Parse an nsupdate -y string "[alg:]name:secret". Without alg the algorithm
 * is hmac-sha256; note that nsupdate itself defaults to hmac-md5 there, which
 * we refuse to guess. Returns as ilnpdns_tsig_key_init(), plus ILNPDNS_ESYNTAX
 * when the string has not two or three fields.
 */
int ilnpdns_tsig_key_from_y(struct ilnpdns_tsig_key *key, const char *str, unsigned flags,
                            char *err, size_t errlen);

/*
 * Called once per key found in a key file, in file order. The key is
 * borrowed for the call only: copy it. A non-zero return stops the parse and
 * is returned by the parser. Duplicate names are the callback's to judge.
 */
typedef int (*ilnpdns_keyfile_fn)(const struct ilnpdns_tsig_key *key, void *arg);

/*
 * Parse key statements in named.conf syntax, as tsig-keygen and
 * ddns-confgen write them:
 *     key "name" { algorithm hmac-sha256; secret "base64"; };
 * any number per file, the name quoted or bare, comments in #, // and
 * C style. Both clauses are required, once each; anything else is an error.
 * fname names the text in messages, which read "fname:line: problem".
 * Returns 0, ILNPDNS_ECONF for any syntax or key error (message in err), or
 * the callback's non-zero return.
 */
int ilnpdns_keyfile_parse(const char *text, size_t len, const char *fname, unsigned flags,
                          ilnpdns_keyfile_fn fn, void *arg, char *err, size_t errlen);

/* ilnpdns_keyfile_parse() on the contents of the file at path; an unreadable
 * file gives its negated errno and "path: reason" in err. */
int ilnpdns_keyfile_load(const char *path, unsigned flags, ilnpdns_keyfile_fn fn, void *arg,
                         char *err, size_t errlen);

/*
 * Set *exposed when the file at path is readable by its group or by others
 * (mode & 044), so a caller can warn that a secret is exposed. Returns 0 or
 * the negated errno of stat(2).
 */
int ilnpdns_keyfile_exposed(const char *path, bool *exposed);

#endif /* ILNPDNS_KEYS_H */
