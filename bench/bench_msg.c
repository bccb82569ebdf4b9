/* SPDX-License-Identifier: BSD-2-Clause */
/* bench_msg.c -- build UPDATE and query messages and look for an RR in an answer. */
#include "config.h"

#include <string.h>

#include "ilnpdns/dname.h"
#include "ilnpdns/error.h"
#include "ilnpdns/wire.h"
#include "bench_msg.h"

static void put_header(uint8_t *buf, uint16_t id, uint16_t flags, uint16_t qd, uint16_t an,
                       uint16_t ns, uint16_t ar)
{
	ilnpdns_put16(buf, id);
	ilnpdns_put16(buf + 2, flags);
	ilnpdns_put16(buf + 4, qd);
	ilnpdns_put16(buf + 6, an);
	ilnpdns_put16(buf + 8, ns);
	ilnpdns_put16(buf + 10, ar);
}

/* RR fixed part after the owner: TYPE CLASS TTL RDLENGTH. */
static uint8_t *put_rr_fixed(uint8_t *p, uint16_t type, uint16_t class, uint32_t ttl,
                             uint16_t rdlen)
{
	ilnpdns_put16(p, type);
	ilnpdns_put16(p + 2, class);
	ilnpdns_put32(p + 4, ttl);
	ilnpdns_put16(p + 8, rdlen);
	return p + 10;
}

int bench_msg_update_l64(uint8_t *buf, size_t cap, uint16_t id, const uint8_t *zone,
                         const uint8_t *owner, const uint8_t rdata[BENCH_L64_RDLEN])
{
	size_t zlen = ilnpdns_dname_len(zone), olen = ilnpdns_dname_len(owner);
	size_t need = ILNPDNS_HDR_LEN + zlen + 4 + olen + 10 + 2 + 10 + BENCH_L64_RDLEN;
	uint8_t *p = buf;

	if (need > cap)
		return ILNPDNS_ETRUNC;
	/* ZOCOUNT 1, PRCOUNT 0, UPCOUNT 2, ADCOUNT 0 (RFC 2136 2.2). */
	put_header(p, id, ILNPDNS_OP_UPDATE << 11, 1, 0, 2, 0);
	p += ILNPDNS_HDR_LEN;
	memcpy(p, zone, zlen);
	p += zlen;
	ilnpdns_put16(p, ILNPDNS_T_SOA);
	ilnpdns_put16(p + 2, ILNPDNS_C_IN);
	p += 4;
	size_t owner_off = (size_t)(p - buf);
	memcpy(p, owner, olen);
	p += olen;
	p = put_rr_fixed(p, ILNPDNS_T_L64, ILNPDNS_C_ANY, 0, 0);
	ilnpdns_put16(p, (uint16_t)(0xc000 | owner_off));
	p += 2;
	p = put_rr_fixed(p, ILNPDNS_T_L64, ILNPDNS_C_IN, 0, BENCH_L64_RDLEN);
	memcpy(p, rdata, BENCH_L64_RDLEN);
	p += BENCH_L64_RDLEN;
	return (int)(p - buf);
}

int bench_msg_query(uint8_t *buf, size_t cap, uint16_t id, const uint8_t *qname, uint16_t qtype)
{
	size_t qlen = ilnpdns_dname_len(qname);

	if (ILNPDNS_HDR_LEN + qlen + 4 > cap)
		return ILNPDNS_ETRUNC;
	put_header(buf, id, ILNPDNS_OP_QUERY << 11, 1, 0, 0, 0);
	memcpy(buf + ILNPDNS_HDR_LEN, qname, qlen);
	ilnpdns_put16(buf + ILNPDNS_HDR_LEN + qlen, qtype);
	ilnpdns_put16(buf + ILNPDNS_HDR_LEN + qlen + 2, ILNPDNS_C_IN);
	return (int)(ILNPDNS_HDR_LEN + qlen + 4);
}

int bench_msg_answer_has(const uint8_t *msg, size_t len, uint16_t type, const uint8_t *rdata,
                         size_t rdlen)
{
	uint8_t name[ILNPDNS_DNAME_MAXLEN];
	size_t pos = ILNPDNS_HDR_LEN;

	if (len < ILNPDNS_HDR_LEN)
		return ILNPDNS_EMALF;
	unsigned qd = ilnpdns_get16(msg + 4), an = ilnpdns_get16(msg + 6);
	for (unsigned i = 0; i < qd; i++) {
		if (ilnpdns_dname_unpack(msg, len, &pos, name) < 0 || len - pos < 4)
			return ILNPDNS_EMALF;
		pos += 4;
	}
	for (unsigned i = 0; i < an; i++) {
		if (ilnpdns_dname_unpack(msg, len, &pos, name) < 0 || len - pos < 10)
			return ILNPDNS_EMALF;
		uint16_t t = ilnpdns_get16(msg + pos), c = ilnpdns_get16(msg + pos + 2);
		size_t rl = ilnpdns_get16(msg + pos + 8);
		pos += 10;
		if (len - pos < rl)
			return ILNPDNS_EMALF;
		if (t == type && c == ILNPDNS_C_IN && rl == rdlen &&
		    memcmp(msg + pos, rdata, rl) == 0)
			return 1;
		pos += rl;
	}
	return 0;
}
