/* SPDX-License-Identifier: BSD-2-Clause */
/* response.h -- write a DNS response into a caller's buffer: compression, size limit, whole RRsets.
 */
#ifndef ILNPDNS_RESPONSE_H
#define ILNPDNS_RESPONSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct store_rrset;

/*
 * Names written into the message that later names may point at. 128 covers
 * a full 512-octet UDP answer many times over; once full, names are still
 * compressed against what is there, new suffixes are just not remembered.
 */
#define RESPONSE_COMP_MAX 128
#define RESPONSE_OPT_LEN  11 /* root name, type, class, ttl, rdlen 0 */

enum response_section {
	RESPONSE_ANSWER = 0,
	RESPONSE_AUTHORITY = 1,
	RESPONSE_ADDITIONAL = 2,
};

struct response_comp {
	uint16_t off;   /* where the suffix starts in the message */
	uint8_t labels; /* labels in that suffix, root not counted */
};

/*
 * One response being built. Lives in the worker's query_ctx and is reset by
 * response_init() for every request: no allocation. Sections must be filled
 * in order (answer, authority, additional).
 */
struct response {
	uint8_t *buf;
	size_t limit; /* octets the message may take, OPT reserve already deducted */
	size_t len;
	size_t reserve; /* octets held back for the OPT */
	uint16_t qdcount;
	uint16_t count[3]; /* answer, authority, additional (OPT included) */
	enum response_section section;
	unsigned ncomp;
	struct response_comp comp[RESPONSE_COMP_MAX];
};

/*
 * Start a response in buf with room for limit octets (the transport's size
 * limit, never more than the buffer). The 12-octet header is left for the
 * caller (response_header()); len starts at 12. Returns ILNPDNS_ETRUNC when
 * limit cannot even hold a header.
 */
int response_init(struct response *r, uint8_t *buf, size_t limit);

/*
 * Hold back n octets at the end: for the OPT written by response_add_opt(),
 * and for a TSIG the caller appends after response_finish(). Reservations add
 * up; response_add_opt() takes back RESPONSE_OPT_LEN of them, the rest stays
 * out of reach of the sections (so truncation leaves room for the TSIG).
 */
int response_reserve(struct response *r, size_t n);

/*
 * Write the question: qname (uncompressed, case as received) then qtype and
 * qclass, and remember its suffixes so answer owners compress against it
 * and take the query's case. Call once, before any RRset.
 */
int response_question(struct response *r, const uint8_t *qname, uint16_t qtype, uint16_t qclass);

/*
 * Append an RRset whole (RFC 2181 9): owner, class IN, ttl for every RR,
 * RDATA from the store view. Owner names are compressed; RDATA names are
 * compressed for NS, CNAME, PTR, MX and SOA only (RFC 3597 4; never for
 * LP, RFC 6742 2.4.1.2). Returns 0, or ILNPDNS_ETRUNC when it does not fit,
 * in which case nothing of it was written. ILNPDNS_EINVAL when a section
 * earlier than the current one is asked for.
 */
int response_add_rrset(struct response *r, enum response_section sec, const uint8_t *owner,
                       uint32_t ttl, const struct store_rrset *rrset);

/*
 * Append the OPT pseudo-RR (RFC 6891 6.1.2) into the reserved space:
 * advertised payload size, extended RCODE high bits, version 0, DO.
 */
int response_add_opt(struct response *r, uint16_t payload, uint8_t ext_rcode, bool dnssec_ok);

/*
 * The same with options: data (datalen octets of {code, length, value}, a
 * COOKIE for instance) as the OPT RDATA. The caller reserved
 * RESPONSE_OPT_LEN + datalen octets for it.
 */
int response_add_opt_data(struct response *r, uint16_t payload, uint8_t ext_rcode, bool dnssec_ok,
                          const uint8_t *data, size_t datalen);

/* Write the section counts into the header. Returns the message length. */
size_t response_finish(struct response *r);

#endif /* ILNPDNS_RESPONSE_H */
