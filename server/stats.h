/* SPDX-License-Identifier: BSD-2-Clause */
/* stats.h -- query and update counters: per thread, lock-free, summed on demand. */
#ifndef ILNPDNS_STATS_H
#define ILNPDNS_STATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "query.h"

#define STATS_RCODES 24 /* 0..23: NOERROR .. BADCOOKIE */

/*
 * Dynamic updates (RFC 2136), counted by the update writer thread in its own
 * block (the last one, see server.h), except queue_full, which the worker
 * that could not hand an update over counts in its block.
 */
struct stats_update {
	uint64_t received[2];         /* by transport: [QUERY_UDP], [QUERY_TCP] */
	uint64_t rcode[STATS_RCODES]; /* answers by RCODE (TSIG errors answer NOTAUTH) */
	uint64_t tsig_failures;       /* BADKEY, BADSIG, BADTIME (replays too), BADTRUNC */
	uint64_t sig0_failures;       /* SIG(0) without usable KEY, bad signature or window */
	uint64_t limited;             /* refused unchecked: the source failed too often */
	uint64_t batches;             /* group commits attempted (one write transaction each) */
	uint64_t batched;             /* updates in those batches: batched / batches = mean size */
	uint64_t commit_failures;     /* batches whose commit failed (answered SERVFAIL) */
	uint64_t batch_size[5];       /* batches of 1, 2-4, 5-16, 17-64, more updates */
	uint64_t queue_full;          /* dropped by a worker: the writer's queue was full */
};

/*
 * One block per worker, written only by its worker (plain increments, no
 * atomics or locks on the hot path) and read by the control thread, which
 * may see a count a few queries old: acceptable for statistics. The update
 * writer has a block of its own too.
 */
struct stats {
	uint64_t queries[2]; /* by transport: [QUERY_UDP], [QUERY_TCP] */
	uint64_t qtype[256]; /* by QTYPE; types > 255 counted in qtype_other */
	uint64_t qtype_other;
	uint64_t rcode[STATS_RCODES]; /* by final RCODE */
	uint64_t opcode[16];
	uint64_t truncated; /* TC set */
	uint64_t dropped;   /* requests not answered */
	uint64_t edns;      /* requests with OPT */
	uint64_t tcp_accepted;
	uint64_t tcp_refused;  /* over a connection limit */
	uint64_t tcp_timeouts; /* closed idle */
	/* DNS cookies (RFC 7873) of the requests answered, and rate limiting (rrl.h). */
	uint64_t cookie_client_only; /* a client cookie alone */
	uint64_t cookie_valid;       /* a valid server cookie */
	uint64_t cookie_invalid;     /* a server cookie we could not vouch for */
	uint64_t rrl_dropped;        /* UDP responses not sent: over the rate */
	uint64_t rrl_slipped;        /* sent instead as TC=1 without data (counted in truncated) */
	struct stats_update update;
};

/* Count one processed request (called by a worker after query_process()). */
void stats_count(struct stats *s, enum query_transport transport, const struct query_info *info);

/*
 * Count one answered UPDATE (the writer, after the commit): as a request
 * (transport, opcode, RCODE, EDNS) and in the update counters.
 */
void stats_count_update(struct stats *s, enum query_transport transport, uint8_t rcode, bool edns);

/* Count one group commit of n updates (the writer); ok: the commit succeeded. */
void stats_count_batch(struct stats *s, size_t n, bool ok);

/* Sum n blocks into out. */
void stats_sum(const struct stats *blocks, size_t n, struct stats *out);

/*
 * The names the counters are shown under, as dig writes them: a QTYPE's
 * mnemonic or TYPEnnn (RFC 3597 5), an RCODE's or RCODEnn. buf (16 octets or
 * more) holds a made-up name; the result is buf or a constant.
 */
const char *stats_qtype_label(unsigned qtype, char *buf, size_t cap);
const char *stats_rcode_label(unsigned rcode, char *buf, size_t cap);

/* Render as one JSON object (ilnpdns-ctl stats) or Prometheus text. */
void stats_write_json(const struct stats *s, FILE *out);
void stats_write_prometheus(const struct stats *s, FILE *out);

#endif /* ILNPDNS_STATS_H */
