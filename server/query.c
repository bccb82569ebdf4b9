/* SPDX-License-Identifier: BSD-2-Clause */
/* query.c -- screen one request (header, question, OPT) and produce its response. */
#include <stdlib.h>
#include <string.h>

#include "ilnpdns/dname.h"
#include "ilnpdns/error.h"
#include "ilnpdns/tsig.h"
#include "ilnpdns/wire.h"
#include "answer.h"
#include "cookie.h"
#include "query.h"
#include "response.h"
#include "tsig_answer.h"

/* Per-worker state: everything a request needs, allocated once. */
struct query_ctx {
	struct response resp;
	struct answer_scratch ans;
	uint16_t edns_size;
	uint8_t qname[ILNPDNS_DNAME_MAXLEN];
	uint8_t scratch[ILNPDNS_DNAME_MAXLEN]; /* names read only to be skipped */
	/* TSIG: the HMAC contexts, the keys, and one exchange's state. */
	struct ilnpdns_tsig_ctx *tsig;
	ilnpdns_tsig_lookup_fn lookup;
	void *lookup_arg;
	struct ilnpdns_tsig_replay *replay;
	uint64_t (*now)(void);
	struct ilnpdns_tsig_state tsig_state;
	struct query_handoff_info handoff;
	/* DNS cookies: the SipHash context, this request's option and our reply's. */
	struct cookie_ctx *cookies;
	struct cookie cookie;
	uint8_t cookie_opt[COOKIE_OPT_SPACE];
	size_t cookie_opt_len;
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
	bool tsig;     /* the last RR is a TSIG (RFC 8945 5.1) */
	uint16_t udp_size;
	uint8_t version;
	bool dnssec_ok;
	const uint8_t *cookie; /* the first COOKIE option's data in the OPT, or NULL */
	uint16_t cookie_len;
};

struct query_ctx *query_ctx_new(void)
{
	struct query_ctx *ctx = calloc(1, sizeof(*ctx));
	if (ctx == NULL)
		return NULL;
	/* Made once here so that a signed query allocates nothing of ours. */
	ctx->tsig = ilnpdns_tsig_ctx_new();
	ctx->cookies = cookie_ctx_new();
	if (ctx->tsig == NULL || ctx->cookies == NULL) {
		query_ctx_free(ctx);
		return NULL;
	}
	ctx->edns_size = ILNPDNS_EDNS_SIZE;
	ctx->now = ilnpdns_tsig_now;
	return ctx;
}

void query_ctx_free(struct query_ctx *ctx)
{
	if (ctx == NULL)
		return;
	ilnpdns_tsig_ctx_free(ctx->tsig);
	cookie_ctx_free(ctx->cookies);
	free(ctx);
}

void query_ctx_set_tsig(struct query_ctx *ctx, ilnpdns_tsig_lookup_fn lookup, void *arg,
                        struct ilnpdns_tsig_replay *replay)
{
	ctx->lookup = lookup;
	ctx->lookup_arg = arg;
	ctx->replay = replay;
}

struct cookie_ctx *query_ctx_cookie(struct query_ctx *ctx)
{
	return ctx->cookies;
}

const struct query_handoff_info *query_ctx_handoff(const struct query_ctx *ctx)
{
	return &ctx->handoff;
}

void query_ctx_set_clock(struct query_ctx *ctx, uint64_t (*now)(void))
{
	ctx->now = now != NULL ? now : ilnpdns_tsig_now;
}

/* The key lookup of a server without keys: every key is unknown (BADKEY). */
static const struct ilnpdns_tsig_key *no_keys(const uint8_t *name, void *arg)
{
	return NULL;
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
static bool opt_options_ok(const uint8_t *p, size_t len, struct request *q)
{
	size_t i = 0;
	while (i < len) {
		if (i + 4 > len)
			return false;
		uint16_t code = ilnpdns_get16(p + i), olen = ilnpdns_get16(p + i + 2);
		if (i + 4 + olen > len)
			return false;
		if (code == COOKIE_OPT_CODE) {
			if (olen != COOKIE_CLIENT_LEN && (olen < 16 || olen > 40))
				return false;
			if (q->cookie == NULL) {
				q->cookie = p + i + 4;
				q->cookie_len = olen;
			}
		}
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
			if (!first || !additional || nlen != 1 ||
			    !opt_options_ok(rdata, rdlen, q)) {
				q->edns = false;
				q->formerr = true;
				return;
			}
			q->edns = true;
			q->udp_size = ilnpdns_get16(req + pos + 2);
			q->version = req[pos + 5];
			q->dnssec_ok = (req[pos + 6] & 0x80) != 0;
		} else if (type == ILNPDNS_T_TSIG) {
			/* RFC 8945 5.1: the TSIG is the last record, and only one. */
			if (!additional || i != total - 1) {
				q->formerr = true;
				return;
			}
			q->tsig = true;
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

/* Start the response: header space, TSIG and OPT reserves, question. */
static int begin(struct query_ctx *ctx, const struct request *q, uint8_t *resp, size_t limit,
                 const struct ilnpdns_tsig_state *st)
{
	int rc = response_init(&ctx->resp, resp, limit);
	if (rc == 0 && st != NULL)
		rc = response_reserve(&ctx->resp, ilnpdns_tsig_space(st));
	if (rc == 0 && q->edns)
		rc = response_reserve(&ctx->resp, RESPONSE_OPT_LEN + ctx->cookie_opt_len);
	if (rc == 0 && echo_question(q))
		rc = response_question(&ctx->resp, ctx->qname, q->qtype, q->qclass);
	return rc;
}

/* The RCODE decided before any lookup, or -1 when the question is to be answered. */
static int screen(const struct request *q, enum cookie_state cookie_state)
{
	if (ILNPDNS_OPCODE(q->flags) == ILNPDNS_OP_NOTIFY)
		/* Good ones were handed to the caller (notify_answer()). */
		return q->edns && q->version > 0 ? ILNPDNS_RCODE_BADVERS : ILNPDNS_RCODE_FORMERR;
	if (ILNPDNS_OPCODE(q->flags) != ILNPDNS_OP_QUERY)
		return ILNPDNS_RCODE_NOTIMP; /* RFC 8906 3.1.4 (UPDATE and NOTIFY go elsewhere) */
	if (q->qdcount == 0 && q->cookie != NULL && !q->formerr) {
		/* RFC 7873 5.4: asking for a server cookie. */
		if (q->edns && q->version > 0)
			return ILNPDNS_RCODE_BADVERS;
		return cookie_state == COOKIE_INVALID ? ILNPDNS_RCODE_BADCOOKIE
		                                      : ILNPDNS_RCODE_NOERROR;
	}
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
		/* Class IN ones were handed to the caller (xfr.h). */
		return q->qclass != ILNPDNS_C_IN ? ILNPDNS_RCODE_REFUSED : ILNPDNS_RCODE_NOTIMP;
	case ILNPDNS_T_MAILA:
	case ILNPDNS_T_MAILB:
		return ILNPDNS_RCODE_NOTIMP;
	default:
		break;
	}
	if (q->qclass != ILNPDNS_C_IN)
		return ILNPDNS_RCODE_REFUSED;
	return -1;
}

/* A data-free answer (TSIG errors); 0 and info->dropped when even that fails. */
static size_t minimal(struct query_ctx *ctx, const struct request *q, const uint8_t *req,
                      size_t reqlen, int rcode, struct ilnpdns_tsig_state *st, uint64_t now,
                      uint8_t *resp, size_t limit, struct query_info *info)
{
	size_t len = 0;
	if (tsig_answer_build(ctx->tsig, st, req, reqlen, rcode, q->edns ? ctx->edns_size : 0, now,
	                      resp, limit, &len) != 0) {
		info->dropped = true;
		return 0;
	}
	info->rcode = (uint8_t)rcode;
	return len;
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

	/* RFC 8945 5.2: the TSIG is checked before anything else is done. */
	struct ilnpdns_tsig_state *st = NULL;
	uint64_t now = 0;
	if (q.tsig && !q.formerr) {
		now = ctx->now();
		info->tsig = true;
		int rc = ilnpdns_tsig_verify_request(
		    ctx->tsig, req, reqlen, ctx->lookup != NULL ? ctx->lookup : no_keys,
		    ctx->lookup_arg, ctx->replay, now, &ctx->tsig_state);
		switch (rc) {
		case 0:
			st = &ctx->tsig_state;
			break;
		case ILNPDNS_EBADKEY:
		case ILNPDNS_EBADSIG:
		case ILNPDNS_EBADTIME:
			/* Nothing of the zone for an unauthenticated request:
			 * NOTAUTH, signed or not as tsig_answer_build() decides. */
			info->tsig_error = ctx->tsig_state.error;
			return minimal(ctx, &q, req, reqlen, ILNPDNS_RCODE_NOTAUTH,
			               &ctx->tsig_state, now, resp, limit, info);
		case ILNPDNS_ECRYPTO:
			/* No signature can be made: unsigned. */
			return minimal(ctx, &q, req, reqlen, ILNPDNS_RCODE_SERVFAIL, NULL, now,
			               resp, limit, info);
		default:
			q.formerr = true; /* malformed TSIG or Error != 0: FORMERR, unsigned */
			break;
		}
	}
	/* Transfers and NOTIFY are answered by the caller, after the TSIG
	 * check (RFC 8945 5.2) and the screening that applies to any query. */
	uint8_t opcode = (uint8_t)ILNPDNS_OPCODE(q.flags);
	bool xfr = opcode == ILNPDNS_OP_QUERY && q.qdcount == 1 && !q.formerr &&
	           (q.qtype == ILNPDNS_T_AXFR || q.qtype == ILNPDNS_T_IXFR) &&
	           q.qclass == ILNPDNS_C_IN;
	if ((xfr || (opcode == ILNPDNS_OP_NOTIFY && !q.formerr)) && !(q.edns && q.version > 0)) {
		ctx->handoff = (struct query_handoff_info){
		    .tctx = ctx->tsig,
		    .tsig = st,
		    .edns_payload = q.edns ? ctx->edns_size : 0,
		    .edns_do = q.dnssec_ok,
		    .udp_limit = limit,
		    .now = st != NULL ? now : ctx->now(),
		};
		info->handoff = xfr ? QUERY_HANDOFF_XFR : QUERY_HANDOFF_NOTIFY;
		return 0;
	}
	/* RFC 7873 5.2: a well-formed request's cookie is checked and one
	 * given back (a malformed option made it a FORMERR above). */
	ctx->cookie.state = COOKIE_ABSENT;
	ctx->cookie_opt_len = 0;
	if (q.cookie != NULL && q.edns && !q.formerr) {
		uint32_t secs = (uint32_t)(st != NULL ? now : ctx->now());
		cookie_parse(q.cookie, q.cookie_len, &ctx->cookie);
		cookie_verify(ctx->cookies, &ctx->cookie, from, secs);
		ctx->cookie_opt_len =
		    cookie_write_option(ctx->cookies, &ctx->cookie, from, secs, ctx->cookie_opt);
		info->cookie = (uint8_t)ctx->cookie.state;
	}
	if (begin(ctx, &q, resp, limit, st) != 0)
		goto drop;

	int rcode = screen(&q, ctx->cookie.state);
	if (rcode < 0) {
		answer_query(&ctx->ans, txn, ctx->qname, q.qtype, transport == QUERY_TCP,
		             &ctx->resp, &ar);
		rcode = ar.rcode;
		/* A store failure leaves half a message: restart it bare. */
		if (rcode == ILNPDNS_RCODE_SERVFAIL) {
			ar.aa = ar.tc = false;
			if (begin(ctx, &q, resp, limit, st) != 0)
				goto drop;
		}
	}
	if (q.edns && response_add_opt_data(&ctx->resp, ctx->edns_size, (uint8_t)(rcode >> 4),
	                                    q.dnssec_ok, ctx->cookie_opt, ctx->cookie_opt_len) != 0)
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
	/* Every answer to a verified request is signed, truncated ones too, in
	 * the room begin() kept (RFC 8945 5.3). */
	if (st != NULL && ilnpdns_tsig_sign_answer(ctx->tsig, st, resp, &len, limit, now) != 0)
		goto drop;

	info->rcode = (uint8_t)rcode;
	info->truncated = ar.tc;
	return len;

drop:
	info->dropped = true;
	return 0;
}
