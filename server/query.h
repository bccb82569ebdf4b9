/* SPDX-License-Identifier: BSD-2-Clause */
/* query.h -- turn one request message into one response, allocation-free. */
#ifndef ILNPDNS_QUERY_H
#define ILNPDNS_QUERY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

struct store_txn;

enum query_transport {
	QUERY_UDP = 0,
	QUERY_TCP = 1,
};

/* Per-response facts the caller counts (stats) or acts on. */
struct query_info {
	uint16_t qtype;
	uint8_t rcode;      /* final RCODE, extended included (BADVERS = 16) */
	uint8_t opcode;
	bool truncated;     /* TC set */
	bool dropped;       /* no response must be sent */
	bool edns;
};

/*
 * Per-worker scratch state (compression table and the like), allocated once
 * by the worker with query_ctx_new() and reused for every request.
 */
struct query_ctx;
struct query_ctx *query_ctx_new(void);
void query_ctx_free(struct query_ctx *ctx);
/* The EDNS payload size to advertise and cap UDP answers at (conf edns_size; default 1232). */
void query_ctx_set_edns_size(struct query_ctx *ctx, uint16_t size);

/*
 * Answer req (reqlen octets, as received, without the TCP length prefix)
 * from the store snapshot txn into resp (respcap octets; the caller passes
 * 65535 for TCP and at least 65535 for UDP too: the size limit that applies
 * is derived from the request and transport, not from respcap). from is the
 * client's address (for logs and, later, ACLs). Returns the response length,
 * or 0 when the request must be dropped (info->dropped set). Never allocates.
 */
size_t query_process(struct query_ctx *ctx, struct store_txn *txn, const uint8_t *req,
		     size_t reqlen, enum query_transport transport, const struct sockaddr *from,
		     uint8_t *resp, size_t respcap, struct query_info *info);

#endif /* ILNPDNS_QUERY_H */
