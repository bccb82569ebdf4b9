/* SPDX-License-Identifier: BSD-2-Clause */
/* query.h -- turn one request message into one response, allocation-free. */
#ifndef ILNPDNS_QUERY_H
#define ILNPDNS_QUERY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "ilnpdns/tsig.h"

struct store_txn;

enum query_transport {
	QUERY_UDP = 0,
	QUERY_TCP = 1,
};

/* Requests query_process() leaves to the caller (it returns 0, info->handoff says which). */
enum query_handoff {
	QUERY_HANDOFF_NONE = 0,
	QUERY_HANDOFF_XFR,    /* AXFR/IXFR, class IN, one question (xfr.h) */
	QUERY_HANDOFF_NOTIFY, /* opcode NOTIFY (notify_answer()) */
};

/* Per-response facts the caller counts (stats) or acts on. */
struct query_info {
	uint16_t qtype;
	uint8_t rcode; /* final RCODE, extended included (BADVERS = 16) */
	uint8_t opcode;
	bool truncated; /* TC set */
	bool dropped;   /* no response must be sent */
	bool edns;
	bool tsig;           /* the request carried a TSIG that was checked */
	uint16_t tsig_error; /* its TSIG error (BADSIG, BADKEY, BADTIME, BADTRUNC) or 0 */
	uint8_t handoff;     /* enum query_handoff: not answered, the caller answers */
	uint8_t cookie;      /* enum cookie_state of its COOKIE option (cookie.h) */
};

/*
 * What a handed-off request needs, valid until the next query_process() on
 * ctx: the TSIG context, the verified exchange state (NULL: unsigned), the
 * EDNS payload to advertise (0: the request had no OPT), its DO bit, the
 * UDP response limit and the TSIG clock reading.
 */
struct query_handoff_info {
	struct ilnpdns_tsig_ctx *tctx;
	struct ilnpdns_tsig_state *tsig;
	uint16_t edns_payload;
	bool edns_do;
	size_t udp_limit;
	uint64_t now;
};
struct query_ctx;
const struct query_handoff_info *query_ctx_handoff(const struct query_ctx *ctx);

/*
 * Per-worker scratch state (compression table, TSIG/HMAC contexts and the
 * like), allocated once by the worker with query_ctx_new() and reused for
 * every request. NULL when out of memory or OpenSSL lacks HMAC.
 */
struct query_ctx;
struct query_ctx *query_ctx_new(void);
void query_ctx_free(struct query_ctx *ctx);
/* The EDNS payload size to advertise and cap UDP answers at (conf edns_size; default 1232). */
void query_ctx_set_edns_size(struct query_ctx *ctx, uint16_t size);

/*
 * TSIG keys for signed queries (RFC 8945): lookup finds a key by name (for
 * example conf_tsig_lookup with arg the current struct conf, which must stay
 * referenced while the worker uses it: set it again after a reload). lookup
 * NULL means no keys: every signed query is answered NOTAUTH/BADKEY. replay,
 * if not NULL, refuses an exact (key, MAC) repeat within the fudge window
 * with BADTIME. The default is no keys and no replay cache.
 */
void query_ctx_set_tsig(struct query_ctx *ctx, ilnpdns_tsig_lookup_fn lookup, void *arg,
                        struct ilnpdns_tsig_replay *replay);

/*
 * The worker's DNS cookie context (cookie.h): its secrets are set through it
 * (cookie_ctx_set_secrets()), and the UPDATE gate uses it. Requests with a
 * COOKIE option get one back (RFC 7873 5.2); a QUERY with QDCOUNT 0 and a
 * COOKIE is answered NOERROR, or BADCOOKIE for an invalid server cookie
 * (5.4). Cookies never change an answer otherwise: they only exempt the
 * client from rate limiting (rrl.h).
 */
struct cookie_ctx *query_ctx_cookie(struct query_ctx *ctx);

/* Test hook: the clock TSIG times are checked against (NULL: ilnpdns_tsig_now). */
void query_ctx_set_clock(struct query_ctx *ctx, uint64_t (*now)(void));

/*
 * Answer req (reqlen octets, as received, without the TCP length prefix)
 * from the store snapshot txn into resp (respcap octets; the caller passes
 * 65535 for TCP and at least 65535 for UDP too: the size limit that applies
 * is derived from the request and transport, not from respcap). from is the
 * client's address (for logs and, later, ACLs). Returns the response length,
 * or 0 when the request must be dropped (info->dropped set). Never allocates.
 *
 * A request with a TSIG (the last additional RR) is verified first, in the
 * order of RFC 8945 5.2 (structure, key, MAC, then time): a malformed or
 * misplaced TSIG gives FORMERR unsigned; an unknown key or bad MAC gives
 * NOTAUTH with an unsigned TSIG carrying BADKEY/BADSIG; a good MAC outside
 * the time window or truncated below the key's length gives NOTAUTH with a
 * signed BADTIME/BADTRUNC TSIG. A verified request is answered as usual and
 * the answer signed, truncated first over UDP when the TSIG would not fit.
 */
size_t query_process(struct query_ctx *ctx, struct store_txn *txn, const uint8_t *req,
                     size_t reqlen, enum query_transport transport, const struct sockaddr *from,
                     uint8_t *resp, size_t respcap, struct query_info *info);

#endif /* ILNPDNS_QUERY_H */
