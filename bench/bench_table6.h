/* SPDX-License-Identifier: BSD-2-Clause */
/* bench_table6.h -- ilnpdns-bench table6: the query rates of the paper's Table VI, and headroom. */
#ifndef ILNPDNS_BENCH_TABLE6_H
#define ILNPDNS_BENCH_TABLE6_H

/* One row of Table VI ("all queries"): A record queries/s at a site DNS. */
struct bench_table6_row {
	unsigned ttl; /* seconds, the TTL of the site's A records that week */
	const char *stat;
	double qps;
};

/* The twelve rates (TTL 1800, 30, 0 x mean, ~95 %, ~99 %, max), in order. */
extern const struct bench_table6_row bench_table6_rows[12];

/* The highest rate of the table: TTL 0, max, 369 queries/s. */
double bench_table6_peak(void);

/*
 * ilnpdns-bench table6 -s ADDR@PORT -f QUERYFILE [options]: first the
 * maximum closed-loop rate, then each rate of the table in open loop; a
 * markdown table of latencies and the headroom (max rate / peak rate).
 * Returns the exit status (0, 1 when queries were lost at a table rate,
 * 2 for a usage or set-up error).
 */
int bench_table6_main(int argc, char **argv);
void bench_table6_usage(void);

#endif /* ILNPDNS_BENCH_TABLE6_H */
