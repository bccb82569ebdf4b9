/* SPDX-License-Identifier: BSD-2-Clause */
/* xfr.h -- outbound zone transfers: AXFR (RFC 5936) and IXFR (RFC 1995) as a message iterator. */
#ifndef ILNPDNS_XFR_H
#define ILNPDNS_XFR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ilnpdns/dname.h"

struct store_txn;
struct store_zone;
struct ilnpdns_tsig_ctx;
struct ilnpdns_tsig_state;

#define XFR_MSG_SIZE 16384 /* default message size; BIND uses 20480, RFC 5936 2.2 leaves it open   \
	                    */

/* A transfer request as the worker parsed it (xfr_parse_request() fills one). */
struct xfr_request {
	uint16_t id;
	uint16_t flags; /* the request's header flags: RD is copied (RFC 5936 2.2.1) */
	uint8_t qname[ILNPDNS_DNAME_MAXLEN]; /* case as received: echoed byte for byte */
	uint16_t qtype;                      /* ILNPDNS_T_AXFR or ILNPDNS_T_IXFR */
	uint16_t qclass;
	bool has_serial;        /* IXFR: an SOA in the authority section (RFC 1995 3) */
	uint32_t client_serial; /* its serial */
};

struct xfr_opts {
	size_t msg_size;       /* most octets per message over TCP; 0: XFR_MSG_SIZE */
	size_t udp_size;       /* non-zero: IXFR over UDP with this response limit */
	uint16_t edns_payload; /* non-zero: the request had an OPT; the first message gets one */
	bool edns_do;          /* the request's DO bit, copied into that OPT */
	bool per_entry;        /* IXFR: one difference sequence per journal entry, not condensed */
	uint64_t now;          /* TSIG clock (tests); 0: the real clock for each message */
};

/* What the answer turned out to be (for logs, metrics and notify_xfr_done()). */
enum xfr_kind {
	XFR_AXFR = 0,         /* RFC 5936 full transfer */
	XFR_IXFR_CURRENT,     /* client is current or newer: one SOA (RFC 1995 2) */
	XFR_IXFR_INCREMENTAL, /* difference sequences from the journal (RFC 1995 4) */
	XFR_IXFR_FULL,        /* journal does not reach back: full zone in IXFR form (RFC 1995 4) */
	XFR_IXFR_UDP_SOA, /* over UDP and too big: one SOA so the client uses TCP (RFC 1995 2) */
};

struct xfr;

/*
 * Parse an AXFR or IXFR query: header, the one question, and for IXFR the
 * SOA in the authority section (only its serial is used). Returns 0,
 * ILNPDNS_EMALF (FORMERR) or ILNPDNS_EINVAL when QTYPE is neither.
 */
int xfr_parse_request(const uint8_t *msg, size_t len, struct xfr_request *req);

/*
 * Start the answer to req for zone (found through txn, whose snapshot the
 * whole transfer reads: one serial, never a mix, RFC 5936 3). txn, zone's
 * apex view and tctx must stay valid until xfr_end(); txn must not be reset.
 * tsig is the state ilnpdns_tsig_verify_request() left for a signed request
 * (copied; its key must stay valid), or NULL. Access control, NOTAUTH and
 * the refusal of AXFR over UDP are the caller's (ILNPDNS_EINVAL here). The
 * IXFR decision is made here: one SOA when the client is current, the
 * journal chain from the client's serial to ours when it is complete and not
 * older than the zone's last import, else the full zone.
 * Returns 0, ILNPDNS_EZONE (no SOA), ILNPDNS_ENOMEM or a store error.
 */
int xfr_begin(struct xfr **out, struct store_txn *txn, const struct store_zone *zone,
              const struct xfr_request *req, struct ilnpdns_tsig_ctx *tctx,
              const struct ilnpdns_tsig_state *tsig, const struct xfr_opts *opts);

/*
 * Write the next message of the answer into buf (at most cap octets, and at
 * most opts->msg_size or, over UDP, opts->udp_size), TSIG-signed when the
 * request was (every message, RFC 8945 5.3.1). Returns 1 when more messages
 * follow, 0 for the last one, or an error: ILNPDNS_ETRUNC when cap cannot
 * hold even one RR (nothing written, try again with more room), ILNPDNS_EINVAL
 * after the last message, a store or TSIG error (then stop: send a SERVFAIL
 * built with tsig_answer_build() and close, RFC 5936 2.2).
 */
int xfr_next(struct xfr *it, uint8_t *buf, size_t cap, size_t *len);

enum xfr_kind xfr_kind(const struct xfr *it);
uint32_t xfr_serial(const struct xfr *it); /* the serial the client reaches */
void xfr_counts(const struct xfr *it, uint64_t *messages, uint64_t *rrs);
void xfr_end(struct xfr *it);

#endif /* ILNPDNS_XFR_H */
