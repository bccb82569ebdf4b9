/* SPDX-License-Identifier: BSD-2-Clause */
/* bench_query.h -- the query subcommand of ilnpdns-bench: a UDP/TCP query load and its figures. */
#ifndef ILNPDNS_BENCH_QUERY_H
#define ILNPDNS_BENCH_QUERY_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "bench_msg.h"
#include "bench_net.h"

#define BENCH_QUERY_CONNS_MAX 64

/* What one load run does. */
struct bench_qopts {
	struct bench_addr server;
	const char *server_text;
	double seconds;       /* send for this long (0: bounded by count only) */
	uint64_t count;       /* send this many queries (0: bounded by seconds only) */
	unsigned outstanding; /* closed loop: in flight; open loop: the cap */
	double rate;          /* queries/s, 0: closed loop */
	bool tcp;
	unsigned conns;      /* UDP sockets or pipelined TCP connections */
	unsigned timeout_ms; /* a query unanswered this long is lost */
};

/* What it measured. Latencies in nanoseconds. */
struct bench_qresult {
	uint64_t sent, answered, lost;
	uint64_t truncated;  /* answers with TC set (counted as answered) */
	uint64_t late;       /* answers to queries already counted lost */
	uint64_t mismatched; /* answers whose question is not the query's */
	uint64_t malformed, send_errors, tcp_resets;
	uint64_t late_sends; /* open loop: sent over 1 ms after the scheduled time */
	uint64_t rcodes[16];
	double elapsed_s; /* first send to last answer */
	double qps;       /* answered / elapsed_s */
	int64_t p50, p99, p999, max;
};

/*
 * Run one load against o->server with the queries of qs, taken in order
 * and round and round. Latency counts from the send, or in open loop from
 * the scheduled send time (coordinated omission). Every loop is bounded:
 * sending stops at the count or duration, then the run waits at most the
 * timeout for the last answers. Returns 0 or a negative error (set-up
 * failure; the result is then meaningless).
 */
int bench_query_run(const struct bench_qopts *o, const struct bench_qset *qs,
                    struct bench_qresult *res);

enum bench_format { BENCH_TEXT, BENCH_JSON, BENCH_CSV };

/* Print a result under label ("ilnpdnsd", "ceiling", ...) as text, JSON
 * (one key per line, for shell scripts) or CSV (a header line, one row). */
void bench_query_print(FILE *f, enum bench_format fmt, const char *label,
                       const struct bench_qopts *o, const struct bench_qresult *res);

/* The name of an rcode (NOERROR ... NOTZONE, RCODEn beyond). */
const char *bench_rcode_name(int rcode);

/*
 * ilnpdns-bench query -s ADDR@PORT -f FILE [options] (bench_query_usage()).
 * Returns the exit status: 0 when every query was answered, 1 when some
 * were lost, 2 for a usage or set-up error.
 */
int bench_query_main(int argc, char **argv);
void bench_query_usage(void);

#endif /* ILNPDNS_BENCH_QUERY_H */
