/* SPDX-License-Identifier: BSD-2-Clause */
/* sysutil.h -- what the system tests' C tools share: a clock, ADDR@PORT, a DNS message builder. */
#ifndef ILNPDNS_TESTS_SYSUTIL_H
#define ILNPDNS_TESTS_SYSUTIL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define SU_MAXMSG 65535

/* A DNS message being built; writes past SU_MAXMSG octets are dropped. */
struct su_msg {
	uint8_t b[SU_MAXMSG];
	size_t len;
};

/* CLOCK_MONOTONIC in seconds. */
double su_mono(void);

/* "ADDR@PORT" (IPv4 or IPv6) into *ss and *len; -1 when it is not one. */
int su_parse_addr(const char *text, struct sockaddr_storage *ss, socklen_t *len);

void su_put8(struct su_msg *m, unsigned v);
void su_put16(struct su_msg *m, unsigned v);
void su_put32(struct su_msg *m, uint32_t v);
void su_putbytes(struct su_msg *m, const void *p, size_t n);
/* A presentation name ("a.b.c." or "." for the root) as uncompressed wire labels. */
void su_putname(struct su_msg *m, const char *name);
/* Starts m again with a header: ID, flags word and the four counts. */
void su_header(struct su_msg *m, unsigned id, unsigned flags, unsigned qd, unsigned an, unsigned ns,
               unsigned ar);

#endif
