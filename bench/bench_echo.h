/* SPDX-License-Identifier: BSD-2-Clause */
/* bench_echo.h -- the trivial responder that measures ilnpdns-bench's own ceiling. */
#ifndef ILNPDNS_BENCH_ECHO_H
#define ILNPDNS_BENCH_ECHO_H

#include "bench_net.h"

struct bench_echo;

/*
 * Start a responder thread on a UDP socket bound to 127.0.0.1, port chosen
 * by the kernel; *addr receives the address. It answers every query with
 * bench_msg_echo_answer() until bench_echo_stop(), and for an hour at
 * most. Returns 0 or a negative error.
 */
int bench_echo_start(struct bench_echo **out, struct bench_addr *addr);

/* Stop and join the thread; NULL is a no-op. */
void bench_echo_stop(struct bench_echo *echo);

/*
 * ilnpdns-bench responder -l ADDR@PORT [-d SECONDS]: the same responder in
 * the foreground (so that it can be pinned to a core of its own) until
 * SIGINT/SIGTERM or the duration (default 3600 s). Returns the exit status.
 */
int bench_echo_main(int argc, char **argv);
void bench_echo_usage(void);

#endif /* ILNPDNS_BENCH_ECHO_H */
