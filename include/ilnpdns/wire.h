/* SPDX-License-Identifier: BSD-2-Clause */
/* wire.h -- DNS message constants and big-endian accessors. */
#ifndef ILNPDNS_WIRE_H
#define ILNPDNS_WIRE_H

#include <stdint.h>

/* RR types (IANA; RFC 6742 for the ILNP four). */
enum {
	ILNPDNS_T_A = 1,
	ILNPDNS_T_NS = 2,
	ILNPDNS_T_CNAME = 5,
	ILNPDNS_T_SOA = 6,
	ILNPDNS_T_PTR = 12,
	ILNPDNS_T_HINFO = 13,
	ILNPDNS_T_MX = 15,
	ILNPDNS_T_TXT = 16,
	ILNPDNS_T_SIG = 24,
	ILNPDNS_T_KEY = 25,
	ILNPDNS_T_AAAA = 28,
	ILNPDNS_T_SRV = 33,
	ILNPDNS_T_DNAME = 39,
	ILNPDNS_T_OPT = 41,
	ILNPDNS_T_DS = 43,
	ILNPDNS_T_RRSIG = 46,
	ILNPDNS_T_NSEC = 47,
	ILNPDNS_T_DNSKEY = 48,
	ILNPDNS_T_NID = 104,
	ILNPDNS_T_L32 = 105,
	ILNPDNS_T_L64 = 106,
	ILNPDNS_T_LP = 107,
	ILNPDNS_T_TKEY = 249,
	ILNPDNS_T_TSIG = 250,
	ILNPDNS_T_IXFR = 251,
	ILNPDNS_T_AXFR = 252,
	ILNPDNS_T_MAILB = 253,
	ILNPDNS_T_MAILA = 254,
	ILNPDNS_T_ANY = 255,
};

enum {
	ILNPDNS_C_IN = 1,
	ILNPDNS_C_CH = 3,
	ILNPDNS_C_HS = 4,
	ILNPDNS_C_NONE = 254,
	ILNPDNS_C_ANY = 255,
};

enum {
	ILNPDNS_OP_QUERY = 0,
	ILNPDNS_OP_NOTIFY = 4,
	ILNPDNS_OP_UPDATE = 5,
};

enum {
	ILNPDNS_RCODE_NOERROR = 0,
	ILNPDNS_RCODE_FORMERR = 1,
	ILNPDNS_RCODE_SERVFAIL = 2,
	ILNPDNS_RCODE_NXDOMAIN = 3,
	ILNPDNS_RCODE_NOTIMP = 4,
	ILNPDNS_RCODE_REFUSED = 5,
	ILNPDNS_RCODE_YXDOMAIN = 6,
	ILNPDNS_RCODE_YXRRSET = 7,
	ILNPDNS_RCODE_NXRRSET = 8,
	ILNPDNS_RCODE_NOTAUTH = 9,
	ILNPDNS_RCODE_NOTZONE = 10,
	ILNPDNS_RCODE_BADVERS = 16, /* extended, needs OPT */
	ILNPDNS_RCODE_BADCOOKIE = 23,
};

/* Header layout (RFC 1035 4.1.1). */
#define ILNPDNS_HDR_LEN    12
#define ILNPDNS_FLAG_QR    0x8000
#define ILNPDNS_FLAG_AA    0x0400
#define ILNPDNS_FLAG_TC    0x0200
#define ILNPDNS_FLAG_RD    0x0100
#define ILNPDNS_FLAG_RA    0x0080
#define ILNPDNS_FLAG_AD    0x0020
#define ILNPDNS_FLAG_CD    0x0010
#define ILNPDNS_OPCODE(f)  (((f) >> 11) & 0xf)
#define ILNPDNS_RCODE(f)   ((f) & 0xf)

#define ILNPDNS_UDP_MIN    512  /* without EDNS (RFC 1035 4.2.1) */
#define ILNPDNS_EDNS_SIZE  1232 /* advertised and default cap (DNS Flag Day 2020) */
#define ILNPDNS_MSG_MAX    65535

static inline uint16_t ilnpdns_get16(const uint8_t *p)
{
	return (uint16_t)((unsigned)p[0] << 8 | p[1]);
}

static inline uint32_t ilnpdns_get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline void ilnpdns_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void ilnpdns_put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* True for the RFC 6742 types whose TTL server.ilnp-ttl overrides. */
static inline int ilnpdns_type_is_ilnp(uint16_t type)
{
	return type >= ILNPDNS_T_NID && type <= ILNPDNS_T_LP;
}

#endif /* ILNPDNS_WIRE_H */
