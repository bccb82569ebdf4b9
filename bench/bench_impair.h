/* SPDX-License-Identifier: BSD-2-Clause */
/* bench_impair.h -- a userspace DNS relay that adds one-way delay and random loss (no netem here).
 */
#ifndef ILNPDNS_BENCH_IMPAIR_H
#define ILNPDNS_BENCH_IMPAIR_H

#include <stdbool.h>
#include <stdint.h>

#include "bench_net.h"

/*
 * The relay listens on one address (UDP, and TCP unless disabled) and
 * forwards to one upstream server. Each UDP datagram, in each direction,
 * is dropped with probability loss and otherwise sent delay_us after it
 * arrived (the same delay for every datagram, so order is kept, as on a
 * long wire). The loss draws come from a seeded generator: a given seed
 * and packet sequence drop the same packets. TCP is passed through
 * unimpaired (TCP repairs loss itself; the DNS traffic measured here is
 * UDP). Every client address gets its own upstream socket, so answers find
 * their way back.
 */

struct bench_impair;

struct bench_impair_conf {
	struct bench_addr listen;
	struct bench_addr upstream; /* loopback or a ULA (fc00::/7) only */
	uint32_t delay_us;          /* one way, each direction */
	double loss;                /* 0 <= loss < 1, each direction */
	uint64_t seed;
	bool no_tcp;
};

/* What went through, client to server ("up") and back ("down"). */
struct bench_impair_counts {
	uint64_t up, up_dropped;           /* datagrams from clients */
	uint64_t down, down_dropped;       /* datagrams from the server */
	uint64_t updates, updates_dropped; /* up datagrams with opcode UPDATE (RFC 2136 2.2) */
	uint64_t queries;                  /* up datagrams with opcode QUERY */
	uint64_t oversize;                 /* datagrams too large to queue, dropped */
	uint64_t tcp_conns;
};

/*
 * Bind (port 0 in conf->listen: the kernel picks, and the relay's address
 * tells which) and start the relay thread. Returns 0, ILNPDNS_EINVAL
 * (upstream not local, loss out of range) or a negated errno.
 */
int bench_impair_start(const struct bench_impair_conf *conf, struct bench_impair **out);

/* The bound listen address. */
void bench_impair_addr(const struct bench_impair *r, struct bench_addr *out);

/*
 * New conditions from now on: datagrams still queued are dropped (they
 * belong to the old conditions) and the generator is reseeded.
 */
void bench_impair_set(struct bench_impair *r, uint32_t delay_us, double loss, uint64_t seed);

/* A consistent copy of the counters (they only grow). */
void bench_impair_counts(struct bench_impair *r, struct bench_impair_counts *out);

/* Stop and join the thread, close everything; NULL is a no-op. */
void bench_impair_stop(struct bench_impair *r);

/* Is the address one a benchmark may send to: loopback, or a ULA of our own namespaces? */
bool bench_impair_target_ok(const struct bench_addr *a);

/*
 * ilnpdns-bench impair -l ADDR@PORT -u ADDR@PORT [-D MS] [-p PCT] [-S SEED]
 * [-T] [-d SECONDS]: the relay in the foreground until SIGINT/SIGTERM or the
 * duration; prints the counters at the end. Returns the exit status.
 */
int bench_impair_main(int argc, char **argv);
void bench_impair_usage(void);

#endif /* ILNPDNS_BENCH_IMPAIR_H */
