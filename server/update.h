/* SPDX-License-Identifier: BSD-2-Clause */
/* update.h -- RFC 2136 UPDATE semantics applied to the store inside one write transaction. */
#ifndef ILNPDNS_UPDATE_H
#define ILNPDNS_UPDATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct store_txn;
struct policy;

/* zone.serial-policy: how the SOA serial moves when an update changes the zone. */
enum update_serial_policy {
	UPDATE_SERIAL_INCREMENT, /* serial + 1 (RFC 1982, skipping 0) */
	UPDATE_SERIAL_UNIXTIME,  /* max(now, serial + 1) in RFC 1982 order */
};

struct update_opts {
	/*
	 * The authenticated principal: TSIG key name or SIG(0) signer name,
	 * uncompressed wire form. NULL means the caller admitted an unsigned
	 * update (allow-update-unsigned, labs only); then the policy is not
	 * consulted, the address list was the whole policy.
	 */
	const uint8_t *signer;
	/* The zone's policy; NULL allows everything (tests, unsigned labs). */
	const struct policy *policy;
	enum update_serial_policy serial_policy;
	/* Unix time for UPDATE_SERIAL_UNIXTIME; 0 reads the clock. */
	uint64_t now;
	/* update.max-rrs: more prerequisite + update RRs are REFUSED; 0: no limit. */
	unsigned max_rrs;
};

struct update_result {
	int rcode;           /* the DNS RCODE to answer with */
	const char *why;     /* static text explaining a non-NOERROR rcode (for the log) */
	bool changed;        /* the zone changed: serial bumped, journal entry written */
	uint32_t old_serial; /* serial before the update (0 when the zone was not found) */
	uint32_t new_serial; /* serial after it (== old_serial when nothing changed) */
	uint32_t removed;    /* RRs in the journal entry's removed list, old SOA included */
	uint32_t added;      /* RRs in its added list, new SOA included */
	uint16_t prereqs;    /* prerequisite RRs in the message */
	uint16_t updates;    /* update RRs in the message */
};

/*
 * Process one UPDATE request (RFC 2136 section 3) against the store.
 *
 * msg/len is the request in wire form, cut before the TSIG or SIG(0) RR,
 * which the caller has already verified (octets after the last RR counted
 * are ignored). adcount is the number of additional RRs to read (ARCOUNT
 * less the signature RR); they are checked for form and otherwise ignored,
 * as RFC 2136 2.6 allows. txn is a write transaction, normally a nested one
 * per update (store_txn_begin_nested) so a batch shares one commit.
 *
 * Order: zone section (FORMERR, NOTAUTH), the RR count (REFUSED when
 * PRCOUNT + UPCOUNT exceeds opts->max_rrs, before anything is parsed or
 * allocated for them), parse every RR (FORMERR), the
 * policy for every update RR in the zone (REFUSED: checked before the
 * prerequisites, so that a principal without rights learns nothing about
 * the zone from YXDOMAIN/NXRRSET answers, RFC 3007 2), prerequisites (3.2),
 * prescan (3.4.1: NOTZONE, FORMERR; an LP naming its own owner is REFUSED),
 * then apply (3.4.2). If the zone changed, the SOA serial moves once (3.6)
 * and one journal entry with the RRs actually removed and added, the old SOA
 * first among the removed and the new SOA first among the added, is
 * appended: all in txn.
 *
 * Returns 0 with res->rcode set; nothing has been written unless rcode is
 * NOERROR. A negative ilnpdns_err (ILNPDNS_EMAPFULL, ILNPDNS_ESTORE,
 * ILNPDNS_ENOMEM, ILNPDNS_EZONE for a zone without one valid SOA, ...) is a
 * system failure: txn may hold part of the change and must be aborted, and
 * the client gets SERVFAIL (3.4.2.1).
 *
 * Journal RRs carry lowercased owner names (the store keeps no other case),
 * class IN, and RDATA as stored.
 *
 * Comparisons (RFC 2136 1.1.1): owner names case-insensitively, TTLs never,
 * RDATA octet by octet after decompression, except that the name in LP
 * RDATA compares case-insensitively (a decision, see PROTOCOLS.md 2.2).
 */
int update_process(struct store_txn *txn, const uint8_t *msg, size_t len, uint16_t adcount,
                   const struct update_opts *opts, struct update_result *res);

/* RFC 1982 serial arithmetic: is a greater than b? */
bool update_serial_gt(uint32_t a, uint32_t b);

/* The next serial under a policy (never 0, RFC 2136 7.11). */
uint32_t update_serial_next(uint32_t serial, enum update_serial_policy policy, uint64_t now);

#endif /* ILNPDNS_UPDATE_H */
