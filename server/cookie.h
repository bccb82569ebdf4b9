/* SPDX-License-Identifier: BSD-2-Clause */
/* cookie.h -- DNS cookies (RFC 7873) with interoperable server cookies (RFC 9018). */
#ifndef ILNPDNS_COOKIE_H
#define ILNPDNS_COOKIE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define COOKIE_OPT_CODE    10 /* EDNS option code (RFC 7873 4) */
#define COOKIE_CLIENT_LEN  8
#define COOKIE_SERVER_LEN  16 /* the RFC 9018 cookie we make */
#define COOKIE_SERVER_MAX  32 /* the longest server cookie a client may send */
#define COOKIE_SECRET_LEN  16 /* SipHash-2-4 key */
#define COOKIE_OPT_SPACE   (4 + COOKIE_CLIENT_LEN + COOKIE_SERVER_LEN) /* the option we write */
#define COOKIE_PAST_MAX    3600 /* RFC 9018 4.3: valid for an hour ... */
#define COOKIE_FUTURE_MAX  300  /* ... and up to five minutes ahead (clock skew) */
#define COOKIE_REFRESH_AGE 1800 /* older than half an hour: give out a new one */

enum cookie_state {
	COOKIE_ABSENT = 0,  /* no COOKIE option */
	COOKIE_MALFORMED,   /* length not 8 or 16..40: FORMERR (RFC 7873 5.2.2) */
	COOKIE_CLIENT_ONLY, /* a client cookie alone (5.2.3) */
	COOKIE_INVALID,     /* a server cookie we cannot vouch for (5.2.4) */
	COOKIE_VALID,       /* ours, for this client address, within the window (5.2.5) */
};

/* One request's COOKIE option, as parsed and then verified. */
struct cookie {
	enum cookie_state state;
	uint8_t client[COOKIE_CLIENT_LEN];
	uint8_t server[COOKIE_SERVER_MAX];
	uint8_t server_len; /* 0: client cookie only */
	bool refresh;       /* valid but old, or made with the previous secret: issue a new one */
};

/*
 * Per-worker state: the SipHash MAC context and the secrets. Allocated once
 * (cookie_ctx_new()); every later call works in it without allocating.
 * NULL when out of memory or when OpenSSL has no SIPHASH.
 */
struct cookie_ctx;
struct cookie_ctx *cookie_ctx_new(void);
void cookie_ctx_free(struct cookie_ctx *ctx);

/*
 * The server secret that makes cookies (RFC 9018 4.4: servers of one anycast
 * address share it), and the previous one, still accepted during a rollover
 * (NULL: none). Until this is called the secret is all zero.
 */
void cookie_ctx_set_secrets(struct cookie_ctx *ctx, const uint8_t cur[COOKIE_SECRET_LEN],
                            const uint8_t *prev);

/* Parse COOKIE option data (len octets): state MALFORMED, CLIENT_ONLY or INVALID (unverified). */
void cookie_parse(const uint8_t *data, size_t len, struct cookie *c);

/*
 * Make the RFC 9018 server cookie for client cookie and client address from
 * at time now (Unix seconds): version 1, reserved 0, timestamp, then
 * SipHash-2-4 over client | version | reserved | timestamp | address.
 * Returns 0, ILNPDNS_EINVAL (not an IPv4/IPv6 address) or ILNPDNS_ECRYPTO.
 */
int cookie_make(struct cookie_ctx *ctx, const uint8_t client[COOKIE_CLIENT_LEN],
                const struct sockaddr *from, uint32_t now, uint8_t out[COOKIE_SERVER_LEN]);

/*
 * Verify a parsed cookie with a server part: VALID when it is a version 1
 * cookie, its timestamp lies within [now - 1 h, now + 5 min] (serial
 * arithmetic) and its hash, over the reserved octets as received, matches
 * the current or the previous secret; INVALID otherwise. Sets refresh for a
 * valid cookie older than half an hour or made with the previous secret.
 */
void cookie_verify(struct cookie_ctx *ctx, struct cookie *c, const struct sockaddr *from,
                   uint32_t now);

/*
 * Write the COOKIE option of the response (code, length, client cookie,
 * server cookie) into out (COOKIE_OPT_SPACE octets): the received server
 * cookie when it is valid and fresh, a new one otherwise. Returns the octets
 * written, 0 when no cookie can be made (no client cookie, crypto failure).
 */
size_t cookie_write_option(struct cookie_ctx *ctx, const struct cookie *c,
                           const struct sockaddr *from, uint32_t now, uint8_t *out);

/*
 * The update.require-cookie-or-tcp gate, for an UPDATE received over UDP
 * (msg, len octets), before anything else is done with it. A request signed
 * with SIG(0) must carry a valid server cookie before the writer may spend
 * public-key work on it; TSIG-signed (HMAC is cheap, and writer.h's failure
 * limit bounds it) and unsigned requests pass unchecked. When the request
 * may not pass, an answer is written into resp (cap octets, at least 512):
 *  - COOKIE client-only or invalid: BADCOOKIE with our cookie (RFC 7873
 *    5.2.3), so the client can retry at once with a valid one;
 *  - COOKIE malformed: FORMERR;
 *  - no COOKIE: REFUSED with TC=1: TCP is the way for a client without
 *    cookies (no BADCOOKIE can be said without an OPT, nor is it any use
 *    to such a client; a NOERROR with TC=1 is taken for success by
 *    nsupdate, which does not retry an update over TCP).
 * The answer echoes the header and the zone section, with an OPT when the
 * request had one. Returns 0 when the request passes (or is too malformed
 * to find a SIG(0) in: the writer answers FORMERR without crypto), else the
 * answer's length; *rcode gets its RCODE and *truncated tells TC.
 */
size_t cookie_update_gate(struct cookie_ctx *ctx, const uint8_t *msg, size_t len,
                          const struct sockaddr *from, uint32_t now, uint8_t *resp, size_t cap,
                          uint8_t *rcode, bool *truncated);

#endif /* ILNPDNS_COOKIE_H */
