/* SPDX-License-Identifier: BSD-2-Clause */
/* stats.h -- query counters: per worker, lock-free, summed on demand. */
#ifndef ILNPDNS_STATS_H
#define ILNPDNS_STATS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "query.h"

#define STATS_RCODES 24 /* 0..23: NOERROR .. BADCOOKIE */

/*
 * One block per worker, written only by its worker (plain increments, no
 * atomics or locks on the hot path) and read by the control thread, which
 * may see a count a few queries old: acceptable for statistics.
 */
struct stats {
	uint64_t queries[2];          /* by transport: [QUERY_UDP], [QUERY_TCP] */
	uint64_t qtype[256];          /* by QTYPE; types > 255 counted in qtype_other */
	uint64_t qtype_other;
	uint64_t rcode[STATS_RCODES]; /* by final RCODE */
	uint64_t opcode[16];
	uint64_t truncated;           /* TC set */
	uint64_t dropped;             /* requests not answered */
	uint64_t edns;                /* requests with OPT */
	uint64_t tcp_accepted;
	uint64_t tcp_refused;         /* over a connection limit */
	uint64_t tcp_timeouts;        /* closed idle */
};

/* Count one processed request (called by a worker after query_process()). */
void stats_count(struct stats *s, enum query_transport transport, const struct query_info *info);

/* Sum n worker blocks into out. */
void stats_sum(const struct stats *blocks, size_t n, struct stats *out);

/* Render as one JSON object (ilnpdns-ctl stats) or Prometheus text. */
void stats_write_json(const struct stats *s, FILE *out);
void stats_write_prometheus(const struct stats *s, FILE *out);

#endif /* ILNPDNS_STATS_H */
