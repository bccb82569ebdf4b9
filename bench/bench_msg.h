/* SPDX-License-Identifier: BSD-2-Clause */
/* bench_msg.h -- the DNS messages ilnpdns-bench sends and the answer checks it makes, on the wire.
 */
#ifndef ILNPDNS_BENCH_MSG_H
#define ILNPDNS_BENCH_MSG_H

#include <stddef.h>
#include <stdint.h>

/* L64 RDATA: Preference (2) and Locator64 (8) (RFC 6742 2.3). */
#define BENCH_L64_RDLEN 10

/*
 * An RFC 2136 UPDATE for zone (wire name) that replaces the L64 RRset of
 * owner (wire name, inside zone) by the single RR "owner 0 IN L64 rdata":
 * header with opcode UPDATE and RD clear (RFC 2136 2.2: the other flags are
 * zero), zone section "zone SOA IN" (2.3), no prerequisites, and two
 * updates: delete the RRset (class ANY, TTL 0, RDLENGTH 0; 2.5.2) and add
 * the RR (2.5.1). The second owner is a compression pointer to the first.
 * The caller signs the result (ARCOUNT is 0). Returns the length or
 * ILNPDNS_ETRUNC when cap is too small.
 */
int bench_msg_update_l64(uint8_t *buf, size_t cap, uint16_t id, const uint8_t *zone,
                         const uint8_t *owner, const uint8_t rdata[BENCH_L64_RDLEN]);

/* A standard query for (qname, qtype, IN), RD clear, no EDNS. Returns the
 * length or ILNPDNS_ETRUNC. */
int bench_msg_query(uint8_t *buf, size_t cap, uint16_t id, const uint8_t *qname, uint16_t qtype);

/*
 * Does the answer msg hold, in its answer section, an RR of class IN and the
 * given type whose RDATA is exactly rdata? (Types whose RDATA holds no
 * compressible name, such as L64, compare octet by octet.) Returns 1 or 0,
 * or ILNPDNS_EMALF for a message that cannot be walked.
 */
int bench_msg_answer_has(const uint8_t *msg, size_t len, uint16_t type, const uint8_t *rdata,
                         size_t rdlen);

#endif /* ILNPDNS_BENCH_MSG_H */
