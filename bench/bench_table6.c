/* SPDX-License-Identifier: BSD-2-Clause */
/* bench_table6.c -- ilnpdns-bench table6: replay Table VI's site DNS query rates, show the
 * headroom.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ilnpdns/error.h"
#include "bench_query.h"
#include "bench_table6.h"

/*
 * Table VI of Bhatti, Phoomikiattisak and Atkinson, "Fast, Secure Failover
 * for IP" (from their earlier site DNS study): A record queries per second
 * at an operational site DNS while the records' TTL was 1800 s, 30 s and
 * 0 s, one week each, ~155 million queries over 21 days, "all queries"
 * (internal and external together). TTL 0 is what ILNP locators use, so
 * the TTL 0 peak, 369 queries/s, is the load to beat by a wide margin.
 */
const struct bench_table6_row bench_table6_rows[12] = {
    {1800, "mean", 3.33}, {1800, "~95%", 8}, {1800, "~99%", 14}, {1800, "max", 183},
    {30, "mean", 4.41},   {30, "~95%", 10},  {30, "~99%", 16},   {30, "max", 261},
    {0, "mean", 7.49},    {0, "~95%", 15},   {0, "~99%", 22},    {0, "max", 369},
};

double bench_table6_peak(void)
{
	double peak = 0;
	for (size_t i = 0; i < sizeof(bench_table6_rows) / sizeof(bench_table6_rows[0]); i++)
		if (bench_table6_rows[i].qps > peak)
			peak = bench_table6_rows[i].qps;
	return peak;
}

void bench_table6_usage(void)
{
	fprintf(stderr,
	        "usage: ilnpdns-bench table6 -s ADDR@PORT -f QUERYFILE [-d SECONDS]\n"
	        "         [--max-duration SECONDS] [-c OUTSTANDING] [--ttl 0|30|1800|all]\n"
	        "         [--csv]\n"
	        "  Measures the maximum closed-loop rate (-c in flight, default 100, for\n"
	        "  --max-duration s, default 5), then replays each query rate of the paper's\n"
	        "  Table VI (A record queries/s at a site DNS, TTL 1800/30/0 s: mean, ~95%%,\n"
	        "  ~99%%, max) in open loop for -d s each (default 5; at least 20 queries)\n"
	        "  and prints latencies at those rates and the headroom: max rate / 369\n"
	        "  (the TTL 0 peak). --ttl: only the rows of one TTL (default all).\n");
}

static bool parse_num(const char *s, double min, double max, double *out)
{
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (*s == '\0' || *end != '\0' || errno || v < min || v > max)
		return false;
	*out = v;
	return true;
}

static double ms(int64_t ns)
{
	return (double)ns / 1e6;
}

int bench_table6_main(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"server", required_argument, NULL, 's'},
	    {"file", required_argument, NULL, 'f'},
	    {"duration", required_argument, NULL, 'd'},
	    {"max-duration", required_argument, NULL, 'M'},
	    {"outstanding", required_argument, NULL, 'c'},
	    {"ttl", required_argument, NULL, 't'},
	    {"csv", no_argument, NULL, 'v'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct bench_qopts o = {.outstanding = 100, .conns = 4, .timeout_ms = 1000};
	double seconds = 5, max_seconds = 5, v;
	const char *file = NULL;
	bool csv = false;
	int ttl = -1, c;
	char err[512];

	optind = 1;
	while ((c = getopt_long(argc, argv, "s:f:d:c:h", longopts, NULL)) != -1) {
		switch (c) {
		case 's':
			o.server_text = optarg;
			if (bench_addr_parse(optarg, &o.server) < 0)
				goto bad;
			break;
		case 'f':
			file = optarg;
			break;
		case 'd':
			if (!parse_num(optarg, 0.1, 3600, &seconds))
				goto bad;
			break;
		case 'M':
			if (!parse_num(optarg, 0.1, 3600, &max_seconds))
				goto bad;
			break;
		case 'c':
			if (!parse_num(optarg, 1, 60000, &v))
				goto bad;
			o.outstanding = (unsigned)v;
			break;
		case 't':
			if (strcmp(optarg, "all") == 0)
				ttl = -1;
			else if (parse_num(optarg, 0, 1800, &v) && (v == 0 || v == 30 || v == 1800))
				ttl = (int)v;
			else
				goto bad;
			break;
		case 'v':
			csv = true;
			break;
		default:
			bench_table6_usage();
			return 2;
		}
	}
	if (optind != argc || !file || !o.server_text) {
		bench_table6_usage();
		return 2;
	}
	if (!bench_addr_is_loopback(&o.server)) {
		fprintf(stderr, "ilnpdns-bench table6: %s is not a loopback address\n",
		        o.server_text);
		return 2;
	}
	struct bench_qset qs;
	if (bench_qset_load(&qs, file, 0, err, sizeof(err)) < 0) {
		fprintf(stderr, "ilnpdns-bench table6: %s\n", err);
		return 2;
	}

	struct bench_qresult max, res;
	int rc = 2;
	o.seconds = max_seconds;
	int e = bench_query_run(&o, &qs, &max);
	if (e < 0) {
		fprintf(stderr, "ilnpdns-bench table6: %s: %s\n", o.server_text,
		        ilnpdns_strerror(e));
		goto out;
	}
	double peak = bench_table6_peak(), headroom = max.qps / peak;
	if (csv)
		printf("ttl,stat,paper_qps,sent,answered,lost,p50_ms,p99_ms,p999_ms,max_ms\n");
	else
		printf(
		    "Maximum closed-loop rate: %.0f queries/s (%u in flight, %.1f s, p50 %.3f ms, "
		    "p99 %.3f ms, %" PRIu64 " lost)\n"
		    "Headroom: %.0fx the paper's TTL 0 peak of %.0f queries/s\n\n"
		    "| TTL | statistic | paper queries/s | sent | answered | lost | p50 ms | "
		    "p99 ms | p99.9 ms | max ms |\n"
		    "|---|---|---|---|---|---|---|---|---|---|\n",
		    max.qps, o.outstanding, max.elapsed_s, ms(max.p50), ms(max.p99), max.lost,
		    headroom, peak);
	rc = 0;
	for (size_t i = 0; i < sizeof(bench_table6_rows) / sizeof(bench_table6_rows[0]); i++) {
		const struct bench_table6_row *row = &bench_table6_rows[i];
		if (ttl >= 0 && row->ttl != (unsigned)ttl)
			continue;
		o.rate = row->qps;
		/* At 3 queries/s a few seconds give a handful of samples:
		 * stretch the run to at least 20 queries. */
		o.seconds = seconds * row->qps >= 20 ? seconds : 20 / row->qps;
		if ((e = bench_query_run(&o, &qs, &res)) < 0) {
			fprintf(stderr, "ilnpdns-bench table6: %s\n", ilnpdns_strerror(e));
			rc = 2;
			goto out;
		}
		if (res.lost)
			rc = 1;
		printf(csv ? "%u,%s,%.2f,%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%.4f,%.4f,%.4f,%.4f\n"
		           : "| %u s | %s | %.2f | %" PRIu64 " | %" PRIu64 " | %" PRIu64
		             " | %.3f | %.3f | %.3f | %.3f |\n",
		       row->ttl, row->stat, row->qps, res.sent, res.answered, res.lost, ms(res.p50),
		       ms(res.p99), ms(res.p999), ms(res.max));
		fflush(stdout);
	}
	if (csv)
		printf("max,closed,%.1f,%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%.4f,%.4f,%.4f,%.4f\n",
		       max.qps, max.sent, max.answered, max.lost, ms(max.p50), ms(max.p99),
		       ms(max.p999), ms(max.max));
out:
	bench_qset_free(&qs);
	return rc;
bad:
	fprintf(stderr, "ilnpdns-bench table6: bad value '%s'\n", optarg);
	return 2;
}
