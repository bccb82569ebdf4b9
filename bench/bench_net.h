/* SPDX-License-Identifier: BSD-2-Clause */
/* bench_net.h -- server addresses and client sockets for the ilnpdns-bench subcommands. */
#ifndef ILNPDNS_BENCH_NET_H
#define ILNPDNS_BENCH_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

struct bench_addr {
	struct sockaddr_storage ss;
	socklen_t len;
};

/*
 * Parse "ADDR@PORT" or "ADDR" (port 53), ADDR a numeric IPv4 or IPv6
 * address, the notation of ilnpdnsd's listen key. Returns 0 or
 * ILNPDNS_ESYNTAX.
 */
int bench_addr_parse(const char *text, struct bench_addr *addr);

/* True for 127.0.0.0/8 and ::1: the only targets a benchmark may load. */
bool bench_addr_is_loopback(const struct bench_addr *addr);

/*
 * A non-blocking socket connected to addr: SOCK_DGRAM or SOCK_STREAM (the
 * connect has completed when this returns, with TCP_NODELAY set, so that
 * pipelined requests leave at once). Returns the descriptor or a negated
 * errno.
 */
int bench_connect(const struct bench_addr *addr, int type);

/* "ADDR@PORT" of addr into buf (64 octets always suffice). */
void bench_addr_format(const struct bench_addr *addr, char *buf, size_t cap);

/*
 * A UDP socket bound to addr (port 0: the kernel picks one, and addr is
 * updated to the bound address), with large buffers. Blocking. Returns the
 * descriptor or a negated errno.
 */
int bench_bind_udp(struct bench_addr *addr);

#endif /* ILNPDNS_BENCH_NET_H */
