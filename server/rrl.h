/* SPDX-License-Identifier: BSD-2-Clause */
/* rrl.h -- response rate limiting for UDP: per client prefix token buckets in a fixed table. */
#ifndef ILNPDNS_RRL_H
#define ILNPDNS_RRL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/*
 * DESIGN (in the manner of BIND's rate-limit, NSD's rrl-* and Knot's
 * rrl module). A reflection attack sends queries with a victim's address
 * as source; RRL bounds the responses any one network gets. Each response
 * is classified (rrl_classify()) and keyed by the client's network (IPv4
 * /24, IPv6 /56 by default), the kind of response and a name: the query
 * name and type for answers, the zone (the authority section's owner) for
 * NXDOMAIN and NODATA/referrals, none for errors, so that random names
 * under one zone share one bucket (BIND does the same). A key owns a token
 * bucket filled at `rate` responses per second, holding at most one
 * second's worth. A response with a token passes; without one it is
 * dropped, except every slip-th, which is sent as a minimal TC=1 answer
 * (rrl_slip()) so that a real client behind the address retries over TCP.
 *
 * The table is a fixed array of buckets allocated once (rrl_new()) and
 * owned by one worker: no allocation and no lock per response. A key lives
 * in one of two neighbouring slots; a new key takes a free one or evicts
 * the one used longest ago (it starts with a full bucket, as a key idle
 * for a second would have). The hash is keyed with a random seed, so
 * clients cannot aim collisions. Like NSD's per-process tables, a client
 * whose queries spread over W workers (SO_REUSEPORT hashes by source
 * port) may get up to W times the rate. TCP is never limited (the caller
 * asks only for UDP), nor is a client with a valid DNS cookie: its address
 * is proven, so it cannot be a spoofed victim.
 */

enum rrl_kind {
	RRL_ANSWER = 0, /* NOERROR with answer records: keyed by qname and qtype */
	RRL_NODATA,     /* NOERROR without answers (NODATA, referral): keyed by zone */
	RRL_NXDOMAIN,   /* keyed by zone */
	RRL_ERROR,      /* any other RCODE: keyed by the network alone */
};

enum rrl_action {
	RRL_PASS = 0,
	RRL_DROP,
	RRL_SLIP, /* send the truncated answer rrl_slip() makes */
};

struct rrl_params {
	unsigned rate;      /* responses per second per key, >= 1 */
	unsigned slip;      /* every slip-th limited response slips; 0: none */
	unsigned v4_prefix; /* 8..32 */
	unsigned v6_prefix; /* 16..128 */
	size_t slots;       /* table size, rounded up to a power of two, >= 2 */
};

struct rrl;

/* A table for one worker; seed keys the hash (0: random). NULL when out of memory. */
struct rrl *rrl_new(const struct rrl_params *p, uint64_t seed);
void rrl_free(struct rrl *t);

/* The table's size in slots (after rounding). */
size_t rrl_slots(const struct rrl *t);

/*
 * The kind of the UDP response resp (len octets, as built by query.c), and
 * the name it is keyed by, copied into name (ILNPDNS_DNAME_MAXLEN octets;
 * empty root for RRL_ERROR); *qtype receives the question's type (0 when
 * there is none). A response that cannot be read is RRL_ERROR.
 */
enum rrl_kind rrl_classify(const uint8_t *resp, size_t len, uint8_t *name, uint16_t *qtype);

/*
 * Account one response to client from (AF_INET or AF_INET6) at now_ms
 * (a monotonic clock in milliseconds). name is compared without regard
 * to ASCII case.
 */
enum rrl_action rrl_check(struct rrl *t, const struct sockaddr *from, enum rrl_kind kind,
                          const uint8_t *name, uint16_t qtype, uint64_t now_ms);

/*
 * Cut a response down to its header and question with TC set and no
 * records, in place (RFC 2181 9: the client retries over TCP). Returns the
 * new length, or 0 when resp has no readable question (drop it then).
 */
size_t rrl_slip(uint8_t *resp, size_t len);

#endif /* ILNPDNS_RRL_H */
