/* SPDX-License-Identifier: BSD-2-Clause */
/* tsig.h -- RFC 8945 transaction signatures: find, verify and sign TSIG RRs on the raw wire. */
#ifndef ILNPDNS_TSIG_H
#define ILNPDNS_TSIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ilnpdns/keys.h"

/*
 * The server and the updater share this module. Messages are plain wire
 * buffers; nothing is parsed into objects and the packet is never copied:
 * the MAC is computed over its pieces (RFC 8945 4.3.3). Time is always a
 * parameter ("now", seconds since the epoch), so tests inject any clock;
 * ilnpdns_tsig_now() is the real one.
 *
 * Threads: a struct ilnpdns_tsig_ctx belongs to one thread at a time (one
 * per worker). Keys are read-only and may be shared. The replay cache is
 * shared by all threads and locks internally.
 *
 * Server, per request:
 *	struct ilnpdns_tsig_state st;
 *	rc = ilnpdns_tsig_verify_request(ctx, req, reqlen, lookup, keys, replay, now, &st);
 *	rc == 0: authentic, process it;  ILNPDNS_ENOENT: unsigned;
 *	ILNPDNS_EMALF: answer FORMERR without TSIG;  other < 0: answer NOTAUTH
 *	(st.error holds BADKEY/BADSIG/BADTIME/BADTRUNC), do not process.
 *	After writing the answer (for AXFR: each message in turn):
 *	ilnpdns_tsig_sign_answer(ctx, &st, buf, &len, cap, now);
 * Client:
 *	ilnpdns_tsig_sign_request(ctx, &st, key, fudge, buf, &len, cap, now);
 *	... send, receive ...
 *	rc = ilnpdns_tsig_verify_answer(ctx, &st, ans, anslen, now);
 */

/* TSIG Error field values (RFC 8945 4.2; not RCODEs: the header says NOTAUTH). */
enum {
	ILNPDNS_TSIG_NOERROR = 0,
	ILNPDNS_TSIG_BADSIG = 16,
	ILNPDNS_TSIG_BADKEY = 17,
	ILNPDNS_TSIG_BADTIME = 18,
	ILNPDNS_TSIG_BADTRUNC = 22,
};

#define ILNPDNS_TSIG_FUDGE 300 /* seconds; what BIND, ldns and nsupdate use */

/* Fixed part of a TSIG RR around the two names: TYPE CLASS TTL RDLEN (10),
 * then time 6, fudge 2, MAC size 2, original ID 2, error 2, other len 2. */
#define ILNPDNS_TSIG_FIXED_LEN (10 + 16)

/*
 * A TSIG RR as it stands in a message. mac and other point into the message
 * (borrowed: valid while the message buffer is). Names are uncompressed
 * wire form, lowercased.
 */
struct ilnpdns_tsig_rr {
	size_t start; /* offset of the RR (its owner name): the MAC covers msg[12..start) */
	uint8_t key_name[ILNPDNS_DNAME_MAXLEN];
	uint8_t alg_name[ILNPDNS_DNAME_MAXLEN];
	uint64_t time_signed; /* u48 */
	uint16_t fudge;
	uint16_t mac_len;
	const uint8_t *mac;
	uint16_t orig_id;
	uint16_t error;
	uint16_t other_len;
	const uint8_t *other;
};

/*
 * Walk the message and find its TSIG RR. It must be the last RR of the
 * additional section, the only TSIG, CLASS ANY and TTL 0, with RDATA that
 * parses exactly, and the message must end with it (RFC 8945 5.2 and 4.2).
 * Returns 1 when found (rr filled), 0 for a message without TSIG, or
 * ILNPDNS_EMALF: a misplaced or duplicate TSIG, a malformed TSIG, or a
 * message that cannot be walked. Any ILNPDNS_EMALF means FORMERR.
 * Allocation-free.
 */
int ilnpdns_tsig_find(const uint8_t *msg, size_t len, struct ilnpdns_tsig_rr *rr);

/*
 * Append rr as the message's last RR and increment ARCOUNT. The owner is
 * rr->key_name and the RDATA starts with rr->alg_name, both written
 * uncompressed (RFC 8945 4.2: the algorithm name MUST NOT be compressed; the
 * key name is not compressed either, like BIND). rr->start is ignored.
 * Returns 0 or ILNPDNS_ETRUNC (message unchanged) when cap is too small.
 */
int ilnpdns_tsig_rr_append(uint8_t *msg, size_t *len, size_t cap, const struct ilnpdns_tsig_rr *rr);

/* Per-thread OpenSSL state: one EVP_MAC_CTX per algorithm, made once. */
struct ilnpdns_tsig_ctx;

/* Returns a new context, or NULL if OpenSSL lacks HMAC (or memory ran out).
 * Free it with ilnpdns_tsig_ctx_free(). */
struct ilnpdns_tsig_ctx *ilnpdns_tsig_ctx_new(void);
void ilnpdns_tsig_ctx_free(struct ilnpdns_tsig_ctx *ctx);

/* The real clock for the "now" parameters: seconds since the Unix epoch. */
uint64_t ilnpdns_tsig_now(void);

/*
 * One signed exchange seen from one side: a request and its answer(s). A
 * plain value the caller keeps (on the stack, or per TCP transfer); no heap
 * memory behind it. Filled by ilnpdns_tsig_verify_request() (server) or
 * ilnpdns_tsig_sign_request() (client); read its fields, do not write them.
 */
struct ilnpdns_tsig_state {
	const struct ilnpdns_tsig_key *key;     /* NULL when the request named no usable key */
	uint8_t key_name[ILNPDNS_DNAME_MAXLEN]; /* as the request named them, lowercased */
	uint8_t alg_name[ILNPDNS_DNAME_MAXLEN];
	uint16_t fudge;       /* the request's; answers use it too */
	uint16_t error;       /* server: TSIG error the answer carries; client: the answer's */
	bool replay;          /* server: error is BADTIME because the MAC was seen before */
	uint64_t time_signed; /* the request's Time Signed (echoed by BADTIME answers) */
	uint64_t other_time;  /* client: server time from a BADTIME answer's Other Data */
	unsigned messages;    /* MACs made or checked after the request's */
	uint16_t mac_len;     /* the last MAC of the exchange, as sent: the prior MAC */
	uint8_t mac[ILNPDNS_TSIG_MAC_MAX];
};

/*
 * Key lookup for the server: the key named name (wire form, lowercased), or
 * NULL. The returned key must stay valid while the state that refers to it
 * is used (for the whole transfer).
 */
typedef const struct ilnpdns_tsig_key *(*ilnpdns_tsig_lookup_fn)(const uint8_t *name, void *arg);

struct ilnpdns_tsig_replay;

/*
 * Server side, in the order of RFC 8945 5.2:
 *  1. structure (ilnpdns_tsig_find), and Error must be 0 in a request
 *     -> ILNPDNS_EMALF (FORMERR; answer without TSIG);
 *  2. key by name, and its configured algorithm must be the one named in the
 *     TSIG: a message never chooses its algorithm -> ILNPDNS_EBADKEY
 *     (error BADKEY, answer unsigned);
 *  3. MAC size larger than the hash, or below max(10, half the hash), MAC
 *     size 0 included (5.2.2.1) -> ILNPDNS_EMALF (FORMERR, as BIND);
 *  4. the MAC, compared in constant time -> ILNPDNS_EBADSIG (BADSIG, unsigned);
 *  5. time: |now - Time Signed| <= fudge, checked only once the MAC is good
 *     so that forgeries never earn a signed answer (5.2.3) -> ILNPDNS_EBADTIME
 *     (BADTIME, signed, Other Data = now);
 *  6. MAC size below the key's mac_len (5.2.4) -> ILNPDNS_EBADSIG with error
 *     BADTRUNC (signed);
 *  7. replay (beyond the RFC): if replay is not NULL and this (key, MAC) was
 *     accepted before within its fudge window -> ILNPDNS_EBADTIME with
 *     st->replay set (BADTIME, signed).
 * Returns 0 when the request is authentic, ILNPDNS_ENOENT when it carries no
 * TSIG, the codes above, or ILNPDNS_ECRYPTO (answer SERVFAIL). st is filled
 * for ilnpdns_tsig_sign_answer() whenever the return is 0, ILNPDNS_EBADKEY,
 * ILNPDNS_EBADSIG or ILNPDNS_EBADTIME. Allocation-free in this code (OpenSSL
 * makes a few small internal allocations per HMAC key set-up).
 */
int ilnpdns_tsig_verify_request(struct ilnpdns_tsig_ctx *ctx, const uint8_t *msg, size_t len,
                                ilnpdns_tsig_lookup_fn lookup, void *arg,
                                struct ilnpdns_tsig_replay *replay, uint64_t now,
                                struct ilnpdns_tsig_state *st);

/*
 * Server side: append the answer's TSIG RR to the answer in msg (whose
 * header RCODE the caller has set: NOTAUTH for any TSIG error). The first
 * call after verify_request signs over the request MAC, the answer and all
 * TSIG variables (RFC 8945 4.3.1); later calls, one per further message of a
 * transfer, sign over the prior MAC, the message and the timers only
 * (4.3.2). Every message is signed (5.3.1). BADSIG and BADKEY answers get an
 * unsigned TSIG with MAC size 0; BADTIME answers echo the request's Time
 * Signed and carry now in Other Data (5.2.3). The MAC is never shorter than
 * the request's. Original ID is the answer's header ID.
 * Returns 0, ILNPDNS_ETRUNC (msg unchanged; reserve ilnpdns_tsig_space()
 * octets first), ILNPDNS_EINVAL for a state that cannot sign, or
 * ILNPDNS_ECRYPTO.
 */
int ilnpdns_tsig_sign_answer(struct ilnpdns_tsig_ctx *ctx, struct ilnpdns_tsig_state *st,
                             uint8_t *msg, size_t *len, size_t cap, uint64_t now);

/* Octets the TSIG RR that ilnpdns_tsig_sign_answer() will append needs, so a
 * UDP answer can keep room for it (RFC 8945 5.3: truncate, then sign). */
size_t ilnpdns_tsig_space(const struct ilnpdns_tsig_state *st);

/*
 * Client side: reset st for key and fudge, and sign the request in msg with
 * Time Signed = now and Original ID = its header ID (4.3.3). The MAC is
 * key->mac_len octets. Returns 0, ILNPDNS_ETRUNC (msg unchanged) or
 * ILNPDNS_ECRYPTO.
 */
int ilnpdns_tsig_sign_request(struct ilnpdns_tsig_ctx *ctx, struct ilnpdns_tsig_state *st,
                              const struct ilnpdns_tsig_key *key, uint16_t fudge, uint8_t *msg,
                              size_t *len, size_t cap, uint64_t now);

/*
 * Client side: check an answer to the request signed with st; call it for
 * each message of a transfer in turn (the first covers the request MAC and
 * all variables, later ones the prior MAC and timers only). st->error gets
 * the answer's TSIG error and, for BADTIME, st->other_time the server's
 * clock. Returns 0 when the answer is authentic and carries no TSIG error;
 * ILNPDNS_ENOENT when it is unsigned (RFC 8945 5.3: a failure);
 * ILNPDNS_EMALF for a malformed TSIG or a MAC size outside the RFC's range;
 * ILNPDNS_EBADKEY for another key or algorithm, or a BADKEY answer;
 * ILNPDNS_EBADSIG for a wrong or too short MAC, or a BADSIG/BADTRUNC answer;
 * ILNPDNS_EBADTIME when |now - Time Signed| > fudge or for a (verified)
 * BADTIME answer; ILNPDNS_ECRYPTO. Unsigned BADKEY/BADSIG answers are
 * reported but authenticate nothing.
 */
int ilnpdns_tsig_verify_answer(struct ilnpdns_tsig_ctx *ctx, struct ilnpdns_tsig_state *st,
                               const uint8_t *msg, size_t len, uint64_t now);

/*
 * Replay cache: a fixed table of (key name, MAC) pairs, each kept until its
 * Time Signed + fudge has passed; after that BADTIME refuses the message
 * anyway. slots is rounded up to a multiple of 4 (4-way buckets). When a
 * bucket is full of live entries the one expiring first is dropped and
 * counted (ilnpdns_tsig_replay_evictions()): size the table for the signed
 * message rate times the fudge. Returns NULL when out of memory.
 */
struct ilnpdns_tsig_replay *ilnpdns_tsig_replay_new(size_t slots);
void ilnpdns_tsig_replay_free(struct ilnpdns_tsig_replay *rc);

/*
 * True when (key_name, mac) is in the cache and not expired at now: a
 * replay. Otherwise records it until expires and returns false. Thread-safe,
 * allocation-free.
 */
bool ilnpdns_tsig_replay_seen(struct ilnpdns_tsig_replay *rc, const uint8_t *key_name,
                              const uint8_t *mac, size_t mac_len, uint64_t expires, uint64_t now);

/* Live entries dropped early for lack of room since the cache was made. */
uint64_t ilnpdns_tsig_replay_evictions(struct ilnpdns_tsig_replay *rc);

#endif /* ILNPDNS_TSIG_H */
