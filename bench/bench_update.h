/* SPDX-License-Identifier: BSD-2-Clause */
/* bench_update.h -- the update subcommand of ilnpdns-bench: signed RFC 2136 updates under load. */
#ifndef ILNPDNS_BENCH_UPDATE_H
#define ILNPDNS_BENCH_UPDATE_H

/*
 * ilnpdns-bench update -s ADDR@PORT -z ZONE -y alg:name:secret [options]
 * (see bench_update_usage()). Sends TSIG-signed updates that each replace
 * the L64 RRset of u<i>.ZONE, measures updates/s, acknowledgement latency
 * and the time until a query sees the change, and prints them as text or
 * JSON. Returns the process exit status: 0 when every update got a
 * verified NOERROR, 1 when some did not (the figures are printed anyway),
 * 2 for a usage or set-up error.
 */
int bench_update_main(int argc, char **argv);

/* One-paragraph usage text for the subcommand, to stderr. */
void bench_update_usage(void);

#endif /* ILNPDNS_BENCH_UPDATE_H */
