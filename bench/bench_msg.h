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

/* Largest query message the query set holds: header, name, question, OPT. */
#define BENCH_QUERY_MAX (12 + 255 + 4 + 11)

/*
 * The RR type of a mnemonic (A, NS, CNAME, SOA, PTR, MX, TXT, AAAA, SRV,
 * NID, L32, L64, LP, ANY, ..., case-insensitive) or of the generic
 * "TYPEnnn" of RFC 3597 section 5. Returns 0 or ILNPDNS_ESYNTAX.
 */
int bench_msg_type_from_str(const char *s, uint16_t *type);

/*
 * A standard query like bench_msg_query(), with an OPT RR advertising
 * edns_size octets (RFC 6891 6.1.2, version 0, no options) when edns_size is
 * not 0. Returns the length or ILNPDNS_ETRUNC.
 */
int bench_msg_query_edns(uint8_t *buf, size_t cap, uint16_t id, const uint8_t *qname,
                         uint16_t qtype, uint16_t edns_size);

/*
 * One line of a dnsperf-format query file: "NAME TYPE", blanks around,
 * NAME absolute or not (made absolute), a '#' or ';' line a comment.
 * Returns 1 with *qname (wire form) and *qtype set, 0 for a blank or
 * comment line, ILNPDNS_ESYNTAX or ILNPDNS_ENAME for a bad line.
 */
int bench_msg_parse_qline(const char *line, uint8_t *qname, uint16_t *qtype);

/* The queries of a query file, built once, ID 0; the sender sets the ID. */
struct bench_qset {
	uint8_t *wire; /* owned: the messages back to back */
	size_t *off;   /* owned: message i starts at wire + off[i] */
	uint16_t *len; /* owned */
	size_t n;
};

/*
 * Read a dnsperf-format file into qs (zero-initialised), with an OPT RR of
 * edns_size when not 0. On a bad line, writes "FILE:LINE: reason" to err.
 * Returns 0, ILNPDNS_EIO (unreadable), ILNPDNS_ESYNTAX/ENAME (bad line, or
 * no query at all) or ILNPDNS_ENOMEM.
 */
int bench_qset_load(struct bench_qset *qs, const char *path, uint16_t edns_size, char *err,
                    size_t errlen);

/* Release what bench_qset_load() allocated. */
void bench_qset_free(struct bench_qset *qs);

/*
 * Does the answer ans (alen octets) answer the query q (qlen octets, one
 * question)? QR set, one question, the same octet for octet (names are
 * echoed as sent, RFC 1035 4.1.2). The ID is the caller's to match (the
 * stored queries carry none). Returns 1 or 0.
 */
int bench_msg_answers(const uint8_t *ans, size_t alen, const uint8_t *q, size_t qlen);

/*
 * The trivial responder's answer, built in place: msg (len octets, room
 * for cap) becomes a NOERROR answer to its first question, AA set, with one
 * fixed answer RR (TTL 0) for A, AAAA, NID and L64 and none for other
 * types; any other section of the query is dropped. Returns the answer's
 * length, or ILNPDNS_EMALF for something that is not a one-question query
 * (which the responder drops).
 */
int bench_msg_echo_answer(uint8_t *msg, size_t len, size_t cap);

#endif /* ILNPDNS_BENCH_MSG_H */
