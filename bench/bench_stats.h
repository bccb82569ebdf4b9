/* SPDX-License-Identifier: BSD-2-Clause */
/* bench_stats.h -- latency samples for the ilnpdns-bench subcommands: the clock and percentiles. */
#ifndef ILNPDNS_BENCH_STATS_H
#define ILNPDNS_BENCH_STATS_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

/*
 * A growable list of signed nanosecond values (latencies, or differences of
 * two times that may be negative). Zero-initialise it; bench_samples_free()
 * releases it. Percentiles sort the list in place.
 */
struct bench_samples {
	int64_t *v; /* owned */
	size_t n;
	size_t cap;
};

/* Monotonic time in nanoseconds: the one clock every measurement uses. */
static inline int64_t bench_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Append one value. Returns 0 or ILNPDNS_ENOMEM (the list is unchanged). */
int bench_samples_add(struct bench_samples *s, int64_t ns);

/* Release the values; s is empty and reusable afterwards. */
void bench_samples_free(struct bench_samples *s);

/*
 * The p-th percentile (0 < p <= 100) by the nearest-rank method: the
 * smallest value such that at least p percent of the values are <= it, so
 * the result is always one of the measured values. p = 50 is the median
 * (the lower middle for an even count). Sorts s->v. Returns 0 for an empty
 * list; check s->n first.
 */
int64_t bench_samples_pct(struct bench_samples *s, double p);

#endif /* ILNPDNS_BENCH_STATS_H */
