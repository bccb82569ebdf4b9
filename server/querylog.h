/* SPDX-License-Identifier: BSD-2-Clause */
/* querylog.h -- one log line per request, only when server.log-queries asks for it. */
#ifndef ILNPDNS_QUERYLOG_H
#define ILNPDNS_QUERYLOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "query.h"

/*
 * Off by default: a busy server answers far more queries than any log can
 * take. The daemon sets it from server.log-queries at start and on every
 * reload; workers test it before each call (one relaxed load, no lock).
 */
extern bool querylog_enabled;

static inline bool querylog_on(void)
{
	return __atomic_load_n(&querylog_enabled, __ATOMIC_RELAXED);
}

void querylog_set(bool on);

/*
 * Log one processed request at level notice, for example
 * "query udp 192.0.2.1@40000 host1.example.ilnp. L64 NOERROR edns", from
 * the request (req, len), its client and what query_process() reported.
 */
void querylog_write(enum query_transport transport, const struct sockaddr *peer, const uint8_t *req,
                    size_t len, const struct query_info *info);

#endif /* ILNPDNS_QUERYLOG_H */
