/* SPDX-License-Identifier: BSD-2-Clause */
/* tsig_answer.c -- a minimal response to a request (header, first section echoed), TSIG-signed. */
#include <string.h>

#include "ilnpdns/dname.h"
#include "ilnpdns/error.h"
#include "ilnpdns/tsig.h"
#include "ilnpdns/wire.h"
#include "response.h"
#include "tsig_answer.h"

int tsig_answer_build(struct ilnpdns_tsig_ctx *tctx, struct ilnpdns_tsig_state *st,
                      const uint8_t *req, size_t reqlen, int rcode, uint16_t edns_payload,
                      uint64_t now, uint8_t *out, size_t cap, size_t *outlen)
{
	return tsig_answer_build_opt(tctx, st, req, reqlen, rcode, edns_payload, NULL, 0, now, out,
	                             cap, outlen);
}

int tsig_answer_build_opt(struct ilnpdns_tsig_ctx *tctx, struct ilnpdns_tsig_state *st,
                          const uint8_t *req, size_t reqlen, int rcode, uint16_t edns_payload,
                          const uint8_t *optdata, size_t optlen, uint64_t now, uint8_t *out,
                          size_t cap, size_t *outlen)
{
	struct response r;
	uint8_t name[ILNPDNS_DNAME_MAXLEN];
	size_t pos = ILNPDNS_HDR_LEN;

	if (reqlen < ILNPDNS_HDR_LEN)
		return ILNPDNS_EINVAL;
	int rc = response_init(&r, out, cap);
	if (rc == 0 && st != NULL)
		rc = response_reserve(&r, ilnpdns_tsig_space(st));
	if (rc == 0 && edns_payload != 0)
		rc = response_reserve(&r, RESPONSE_OPT_LEN + optlen);
	if (rc != 0)
		return rc;

	/* The echo is a courtesy: a section that does not parse or fit is left out. */
	uint16_t flags = ilnpdns_get16(req + 2);
	if (ilnpdns_get16(req + 4) == 1 && ilnpdns_dname_unpack(req, reqlen, &pos, name) > 0 &&
	    pos + 4 <= reqlen && r.len + ilnpdns_dname_len(name) + 4 <= r.limit)
		rc = response_question(&r, name, ilnpdns_get16(req + pos),
		                       ilnpdns_get16(req + pos + 2));
	if (rc == 0 && edns_payload != 0)
		rc = response_add_opt_data(&r, edns_payload, (uint8_t)(rcode >> 4), false, optdata,
		                           optlen);
	if (rc != 0)
		return rc;
	size_t len = response_finish(&r);
	ilnpdns_put16(out, ilnpdns_get16(req));
	ilnpdns_put16(out + 2,
	              (uint16_t)(ILNPDNS_FLAG_QR | (flags & (0xf << 11)) |
	                         (flags & (ILNPDNS_FLAG_RD | ILNPDNS_FLAG_CD)) | (rcode & 0xf)));
	if (st != NULL && (rc = ilnpdns_tsig_sign_answer(tctx, st, out, &len, cap, now)) != 0)
		return rc;
	*outlen = len;
	return 0;
}
