/* SPDX-License-Identifier: BSD-2-Clause */
/* sign.c -- signing UPDATE requests (TSIG or SIG(0)) and checking the answers that come back. */
#include "config.h"

#include <string.h>

#include "ilnpdns/dname.h"
#include "ilnpdns/error.h"
#include "ilnpdns/updater.h"
#include "ilnpdns/wire.h"

int ilnpdns_upd_crypto_init(struct ilnpdns_upd_crypto *cr)
{
	memset(cr, 0, sizeof(*cr));
	cr->tsig = ilnpdns_tsig_ctx_new();
	if (cr->tsig == NULL)
		return ILNPDNS_ECRYPTO;
	int rc = ilnpdns_sig0_ctx_new(&cr->sig0);
	if (rc < 0) {
		ilnpdns_tsig_ctx_free(cr->tsig);
		cr->tsig = NULL;
		return rc;
	}
	return 0;
}

void ilnpdns_upd_crypto_fini(struct ilnpdns_upd_crypto *cr)
{
	if (cr->tsig != NULL)
		ilnpdns_tsig_ctx_free(cr->tsig);
	if (cr->sig0 != NULL)
		ilnpdns_sig0_ctx_free(cr->sig0);
	memset(cr, 0, sizeof(*cr));
}

int ilnpdns_upd_sign(struct ilnpdns_upd_crypto *cr, const struct ilnpdns_upd_auth *auth,
                     uint8_t *buf, size_t *len, size_t cap, uint64_t now, int64_t clock_offset,
                     struct ilnpdns_tsig_state *st)
{
	int rc;

	if (st != NULL)
		memset(st, 0, sizeof(*st));
	if (auth == NULL || auth->kind == ILNPDNS_UPD_AUTH_NONE)
		return 0;
	if (auth->kind == ILNPDNS_UPD_AUTH_TSIG) {
		struct ilnpdns_tsig_state tmp;
		uint64_t t = (uint64_t)((int64_t)now + clock_offset);

		/* After BADTIME the server's clock is the one that counts (RFC 8945
		 * 5.2.3): sign with our time shifted by the offset it showed us. */
		return ilnpdns_tsig_sign_request(cr->tsig, st != NULL ? st : &tmp, &auth->tsig,
		                                 auth->fudge ? auth->fudge : ILNPDNS_TSIG_FUDGE,
		                                 buf, len, cap, t);
	}
	if (auth->kind == ILNPDNS_UPD_AUTH_SIG0) {
		if (auth->sig0 == NULL)
			return ILNPDNS_EBADKEY;
		rc = ilnpdns_sig0_sign(cr->sig0, auth->sig0, buf, *len, cap, NULL, 0);
		if (rc < 0)
			return rc;
		*len = (size_t)rc;
		return 0;
	}
	return ILNPDNS_EINVAL;
}

/* The zone (question) section of the answer, when present, must be the request's. */
static bool same_question(const uint8_t *req, size_t reqlen, const uint8_t *ans, size_t anslen)
{
	uint8_t qn[ILNPDNS_DNAME_MAXLEN], an[ILNPDNS_DNAME_MAXLEN];
	size_t rp = ILNPDNS_HDR_LEN, ap = ILNPDNS_HDR_LEN;

	if (ilnpdns_get16(ans + 4) == 0)
		return true; /* RFC 2136 3.8: the sections may be omitted, counts zeroed */
	if (ilnpdns_get16(ans + 4) != 1 || ilnpdns_get16(req + 4) != 1)
		return false;
	if (ilnpdns_dname_unpack(req, reqlen, &rp, qn) < 0 ||
	    ilnpdns_dname_unpack(ans, anslen, &ap, an) < 0)
		return false;
	if (rp + 4 > reqlen || ap + 4 > anslen)
		return false;
	return ilnpdns_dname_equal(qn, an) && memcmp(req + rp, ans + ap, 4) == 0;
}

int ilnpdns_upd_check_answer(struct ilnpdns_upd_crypto *cr, const uint8_t *req, size_t reqlen,
                             struct ilnpdns_tsig_state *st, const uint8_t *ansmsg, size_t anslen,
                             uint64_t now, int64_t clock_offset, struct ilnpdns_upd_answer *ans)
{
	uint16_t rflags;
	int rc;

	memset(ans, 0, sizeof(*ans));
	ans->rcode = -1;
	if (anslen < ILNPDNS_HDR_LEN || reqlen < ILNPDNS_HDR_LEN)
		return ILNPDNS_EMALF;
	ans->id = ilnpdns_get16(ansmsg);
	ans->flags = ilnpdns_get16(ansmsg + 2);
	ans->rcode = ILNPDNS_RCODE(ans->flags);
	ans->tc = (ans->flags & ILNPDNS_FLAG_TC) != 0;
	rflags = ilnpdns_get16(req + 2);
	if (!(ans->flags & ILNPDNS_FLAG_QR))
		return ILNPDNS_EMALF;
	/* Not an answer to this request (a late copy's, a stray or a forgery):
	 * the caller ignores it and keeps waiting. */
	if (ans->id != ilnpdns_get16(req) || ILNPDNS_OPCODE(ans->flags) != ILNPDNS_OPCODE(rflags) ||
	    !same_question(req, reqlen, ansmsg, anslen))
		return ILNPDNS_ENOENT;
	/* A truncated answer only says "ask again over TCP"; its TSIG, if any,
	 * is not worth checking (RFC 8945 5.3 lets the server sign it, or not). */
	if (ans->tc)
		return 0;
	if (st == NULL || st->key == NULL)
		return 0;
	rc = ilnpdns_tsig_verify_answer(cr->tsig, st, ansmsg, anslen,
	                                (uint64_t)((int64_t)now + clock_offset));
	ans->tsig_error = st->error;
	switch (rc) {
	case 0:
		ans->signed_ok = true;
		return 0;
	case ILNPDNS_ENOENT:
		/* RFC 8945 5.3: an unsigned answer to a signed request is a failure
		 * (nsupdate: "expected a TSIG or SIG(0)"). */
		return ILNPDNS_EBADSIG;
	case ILNPDNS_EBADTIME:
		if (st->error == ILNPDNS_TSIG_BADTIME)
			ans->server_time = st->other_time;
		return rc;
	case ILNPDNS_EMALF:
		/* An unsigned BADTRUNC, or a MAC size out of range: nothing authentic. */
		return st->error != 0 ? ILNPDNS_EBADSIG : ILNPDNS_EMALF;
	default:
		return rc;
	}
}
