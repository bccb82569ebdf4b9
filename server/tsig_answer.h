/* SPDX-License-Identifier: BSD-2-Clause */
/* tsig_answer.h -- a minimal response to a request (header, first section echoed), TSIG-signed. */
#ifndef ILNPDNS_TSIG_ANSWER_H
#define ILNPDNS_TSIG_ANSWER_H

#include <stddef.h>
#include <stdint.h>

struct ilnpdns_tsig_ctx;
struct ilnpdns_tsig_state;

/*
 * Write into out a response to req that carries no data, then sign it for
 * the TSIG exchange st. The query path uses it for TSIG error answers, the
 * update path for every UPDATE answer (RFC 2136 3.8: the answer echoes the
 * zone section; prerequisite, update and additional sections stay empty).
 *
 * Header: req's ID, QR set, req's opcode, RD and CD copied, the low four
 * bits of rcode; AA, TC, RA, AD and Z clear. The first section (a QUERY's
 * question, an UPDATE's zone section) is echoed, its name uncompressed with
 * the request's letter case, when QDCOUNT is 1, the entry parses and it fits
 * next to the reserves; otherwise QDCOUNT is 0. With edns_payload != 0 an OPT
 * follows (that payload size, version 0, DO clear, extended RCODE rcode >> 4).
 *
 * st is the state ilnpdns_tsig_verify_request() filled, or NULL for an
 * unsigned answer. ilnpdns_tsig_sign_answer() appends the TSIG as last RR:
 * signed for a verified request (whatever rcode is) and for BADTIME and
 * BADTRUNC, unsigned (MAC size 0, error set) for BADKEY and BADSIG
 * (RFC 8945 5.2, 5.3.2). The caller picks rcode: NOTAUTH for any TSIG error.
 * cap is the most the answer may take (the transport's limit); room for the
 * OPT and the TSIG is kept before the echoed section.
 *
 * Returns 0 and the length in *outlen, ILNPDNS_ETRUNC when cap cannot hold
 * a header, the OPT and the TSIG, ILNPDNS_EINVAL when req is shorter than a
 * header or st cannot sign, or ILNPDNS_ECRYPTO. Allocation-free.
 */
int tsig_answer_build(struct ilnpdns_tsig_ctx *tctx, struct ilnpdns_tsig_state *st,
                      const uint8_t *req, size_t reqlen, int rcode, uint16_t edns_payload,
                      uint64_t now, uint8_t *out, size_t cap, size_t *outlen);

/*
 * The same with options in the OPT: optdata (optlen octets of {code,
 * length, value}, a COOKIE for instance; ignored without edns_payload).
 */
int tsig_answer_build_opt(struct ilnpdns_tsig_ctx *tctx, struct ilnpdns_tsig_state *st,
                          const uint8_t *req, size_t reqlen, int rcode, uint16_t edns_payload,
                          const uint8_t *optdata, size_t optlen, uint64_t now, uint8_t *out,
                          size_t cap, size_t *outlen);

#endif /* ILNPDNS_TSIG_ANSWER_H */
