/* SPDX-License-Identifier: BSD-2-Clause */
/* query.c -- screen one request (header, question, OPT) and produce its response. */
#include <stdlib.h>
#include <string.h>

#include "ilnpdns/dname.h"
#include "ilnpdns/error.h"
#include "ilnpdns/wire.h"
#include "answer.h"
#include "query.h"
#include "response.h"

#define EDNS_OPT_COOKIE 10

/* Per-worker state: everything a request needs, allocated once. */
struct query_ctx {
	struct response resp;
	struct answer_scratch ans;
	uint16_t edns_size;
	uint8_t qname[ILNPDNS_DNAME_MAXLEN];
	uint8_t scratch[ILNPDNS_DNAME_MAXLEN]; /* names read only to be skipped */
};

/* What screening learned about the request. */
struct request {
	uint16_t id;
	uint16_t flags;
	uint16_t qdcount;
	uint16_t qtype;
	uint16_t qclass;
	bool question; /* the first question parsed */
	bool formerr;  /* malformed somewhere */
	bool opt_seen; /* an OPT was present, good or bad */
	bool edns;     /* exactly one acceptable OPT: echo one (RFC 6891 6.1.1) */
	uint16_t udp_size;
	uint8_t version;
	bool dnssec_ok;
};

struct query_ctx *query_ctx_new(void)
{
	struct query_ctx *ctx = calloc(1, sizeof(*ctx));
	if (ctx)
		ctx->edns_size = ILNPDNS_EDNS_SIZE;
	return ctx;
}

void query_ctx_free(struct query_ctx *ctx)
{
	free(ctx);
}

void query_ctx_set_edns_size(struct query_ctx *ctx, uint16_t size)
{
	/* Below 512 would advertise less than plain DNS guarantees. */
	ctx->edns_size = size < ILNPDNS_UDP_MIN ? ILNPDNS_UDP_MIN : size;
}

/*
 * OPT RDATA is a sequence of {code, length, data} that must fill it exactly
 * (RFC 6891 6.1.2). Unknown options are ignored, but a COOKIE must be 8 or
 * 16..40 octets long (RFC 7873 5.2.2).
 */
static bool opt_options_ok(const uint8_t *p, size_t len)
{
	size_t i = 0;
	while (i < len) {
		if (i + 4 > len)
			return false;
		uint16_t code = ilnpdns_get16(p + i), olen = ilnpdns_get16(p + i + 2);
		if (i + 4 + olen > len)
			return false;
		if (code == EDNS_OPT_COOKIE && olen != 8 && (olen < 16 || olen > 40))
			return false;
		i += 4u + olen;
	}
	return true;
}

/*
 * Walk the whole message once: every question, every RR of the answer,
 * authority and additional sections (sizes only), and the OPT. Any overrun,
 * bad name, misplaced or duplicate OPT, misplaced TSIG or trailing octet
 * makes it a FORMERR (PROTOCOLS.md 7.1).
 */
static void parse(struct query_ctx *ctx, const uint8_t *req, size_t len, struct request *q)
{
	unsigned an = ilnpdns_get16(req + 6), ns = ilnpdns_get16(req + 8);
	unsigned ar = ilnpdns_get16(req + 10), total = an + ns + ar;
	size_t pos = ILNPDNS_HDR_LEN;

	for (unsigned i = 0; i < q->qdcount; i++) {
		if (ilnpdns_dname_unpack(req, len, &pos, i == 0 ? ctx->qname : ctx->scratch) < 0 ||
		    pos + 4 > len) {
			q->formerr = true;
			return;
		}
		if (i == 0) {
			q->qtype = ilnpdns_get16(req + pos);
			q->qclass = ilnpdns_get16(req + pos + 2);
			q->question = true;
		}
		pos += 4;
	}
	for (unsigned i = 0; i < total; i++) {
		int nlen = ilnpdns_dname_unpack(req, len, &pos, ctx->scratch);
		if (nlen < 0 || pos + 10 > len) {
			q->formerr = true;
			return;
		}
		uint16_t type = ilnpdns_get16(req + pos), rdlen = ilnpdns_get16(req + pos + 8);
		const uint8_t *rdata = req + pos + 10;
		if (pos + 10 + rdlen > len) {
			q->formerr = true;
			return;
		}
		bool additional = i >= an + ns;
		if (type == ILNPDNS_T_OPT) {
			/* RFC 6891 6.1.1: one OPT, in additional, owned by the root. */
			bool first = !q->opt_seen;
			q->opt_seen = true;
			if (!first || !additional || nlen != 1 || !opt_options_ok(rdata, rdlen)) {
				q->edns = false;
				q->formerr = true;
				return;
			}
			q->edns = true;
			q->udp_size = ilnpdns_get16(req + pos + 2);
			q->version = req[pos + 5];
			q->dnssec_ok = (req[pos + 6] & 0x80) != 0;
		} else if (type == ILNPDNS_T_TSIG && (!additional || i != total - 1)) {
			/* RFC 8945 5.1: the TSIG is the last record, and only one. */
			q->formerr = true;
			return;
		}
		pos += 10u + rdlen;
	}
	if (pos != len)
		q->formerr = true; /* trailing octets (decision, PROTOCOLS.md 7.1) */
}

static bool echo_question(const struct request *q)
{
	return q->question && q->qdcount == 1;
}

/* Start the response: header space, OPT reserve, question. */
static int begin(struct query_ctx *ctx, const struct request *q, uint8_t *resp, size_t limit)
{
	int rc = response_init(&ctx->resp, resp, limit);
	if (rc == 0 && q->edns)
		rc = response_reserve(&ctx->resp, RESPONSE_OPT_LEN);
	if (rc == 0 && echo_question(q))
		rc = response_question(&ctx->resp, ctx->qname, q->qtype, q->qclass);
	return rc;
}

/* The RCODE decided before any lookup, or -1 when the question is to be answered. */
static int screen(const struct request *q)
{
	if (ILNPDNS_OPCODE(q->flags) != ILNPDNS_OP_QUERY)
		return ILNPDNS_RCODE_NOTIMP; /* NOTIFY/UPDATE: issues 3 and 4; RFC 8906 3.1.4 */
	if (q->qdcount != 1 || q->formerr)
		return ILNPDNS_RCODE_FORMERR; /* RFC 9619 for QDCOUNT */
	if (q->edns && q->version > 0)
		return ILNPDNS_RCODE_BADVERS; /* RFC 6891 6.1.3 */
	switch (q->qtype) {
	case ILNPDNS_T_OPT:
	case ILNPDNS_T_TSIG:
	case ILNPDNS_T_TKEY:
		return ILNPDNS_RCODE_FORMERR; /* meta types only in additional (RFC 6895 3.1) */
	case ILNPDNS_T_AXFR:
	case ILNPDNS_T_IXFR:
	case ILNPDNS_T_MAILA:
	case ILNPDNS_T_MAILB:
		return ILNPDNS_RCODE_NOTIMP; /* transfers: issue 4 */
	default:
		break;
	}
	if (q->qclass != ILNPDNS_C_IN)
		return ILNPDNS_RCODE_REFUSED;
	return -1;
}

size_t query_process(struct query_ctx *ctx, struct store_txn *txn, const uint8_t *req,
                     size_t reqlen, enum query_transport transport, const struct sockaddr *from,
                     uint8_t *resp, size_t respcap, struct query_info *info)
{
	struct request q = {0};
	struct answer_result ar = {.rcode = ILNPDNS_RCODE_NOERROR};

	memset(info, 0, sizeof(*info));
	/* Too short for a header, or a response: never answer (RFC 1035 4.1.1; no loops). */
	if (reqlen < ILNPDNS_HDR_LEN || (ilnpdns_get16(req + 2) & ILNPDNS_FLAG_QR)) {
		info->dropped = true;
		return 0;
	}
	q.id = ilnpdns_get16(req);
	q.flags = ilnpdns_get16(req + 2);
	q.qdcount = ilnpdns_get16(req + 4);
	parse(ctx, req, reqlen, &q);

	/* RFC 6891 7 and PROTOCOLS.md 6.1: 512 without EDNS, else the
	 * requestor's size clamped to [512, ours]; TCP is never truncated
	 * below the 64 KiB message limit (RFC 7766 8). */
	size_t limit = ILNPDNS_MSG_MAX;
	if (transport == QUERY_UDP) {
		limit = ILNPDNS_UDP_MIN;
		if (q.edns && q.udp_size > ILNPDNS_UDP_MIN)
			limit = q.udp_size < ctx->edns_size ? q.udp_size : ctx->edns_size;
	}
	if (limit > respcap)
		limit = respcap;

	info->opcode = (uint8_t)ILNPDNS_OPCODE(q.flags);
	info->qtype = echo_question(&q) ? q.qtype : 0;
	info->edns = q.opt_seen;
	if (begin(ctx, &q, resp, limit) != 0)
		goto drop;

	int rcode = screen(&q);
	if (rcode < 0) {
		answer_query(&ctx->ans, txn, ctx->qname, q.qtype, transport == QUERY_TCP,
		             &ctx->resp, &ar);
		rcode = ar.rcode;
		/* A store failure leaves half a message: restart it bare. */
		if (rcode == ILNPDNS_RCODE_SERVFAIL) {
			ar.aa = ar.tc = false;
			if (begin(ctx, &q, resp, limit) != 0)
				goto drop;
		}
	}
	if (q.edns &&
	    response_add_opt(&ctx->resp, ctx->edns_size, (uint8_t)(rcode >> 4), q.dnssec_ok) != 0)
		goto drop;
	size_t len = response_finish(&ctx->resp);

	/* Copy ID, opcode, RD, CD; RA, AD and Z stay 0 (PROTOCOLS.md 7.4). */
	uint16_t flags =
	    (uint16_t)(ILNPDNS_FLAG_QR | (q.flags & (0xf << 11)) |
	               (q.flags & (ILNPDNS_FLAG_RD | ILNPDNS_FLAG_CD)) | (rcode & 0xf));
	if (ar.aa)
		flags |= ILNPDNS_FLAG_AA;
	if (ar.tc)
		flags |= ILNPDNS_FLAG_TC;
	ilnpdns_put16(resp, q.id);
	ilnpdns_put16(resp + 2, flags);

	info->rcode = (uint8_t)rcode;
	info->truncated = ar.tc;
	return len;

drop:
	info->dropped = true;
	return 0;
}
