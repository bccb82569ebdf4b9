/* SPDX-License-Identifier: BSD-2-Clause */
/* bench_stats.c -- latency sample lists and nearest-rank percentiles. */
#include "config.h"

#include <stdlib.h>

#include "ilnpdns/error.h"
#include "bench_stats.h"

int bench_samples_add(struct bench_samples *s, int64_t ns)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 1024;
		int64_t *v = realloc(s->v, cap * sizeof(*v));
		if (v == NULL)
			return ILNPDNS_ENOMEM;
		s->v = v;
		s->cap = cap;
	}
	s->v[s->n++] = ns;
	return 0;
}

void bench_samples_free(struct bench_samples *s)
{
	free(s->v);
	s->v = NULL;
	s->n = s->cap = 0;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

int64_t bench_samples_pct(struct bench_samples *s, double p)
{
	if (s->n == 0)
		return 0;
	qsort(s->v, s->n, sizeof(*s->v), cmp_i64);
	/* Nearest rank: ceil(p/100 * n), 1-based, clamped to [1, n]. */
	double x = p / 100.0 * (double)s->n;
	size_t rank = x <= 1 ? 1 : x >= (double)s->n ? s->n : (size_t)x;
	if ((double)rank < x)
		rank++;
	return s->v[rank - 1];
}
