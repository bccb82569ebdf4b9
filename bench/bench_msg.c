/* SPDX-License-Identifier: BSD-2-Clause */
/* bench_msg.c -- build UPDATE and query messages, read query files, check and fake answers. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

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

static const struct {
	const char *name;
	uint16_t type;
} type_names[] = {
    {"A", ILNPDNS_T_A},           {"NS", ILNPDNS_T_NS},       {"CNAME", ILNPDNS_T_CNAME},
    {"SOA", ILNPDNS_T_SOA},       {"PTR", ILNPDNS_T_PTR},     {"HINFO", ILNPDNS_T_HINFO},
    {"MX", ILNPDNS_T_MX},         {"TXT", ILNPDNS_T_TXT},     {"KEY", ILNPDNS_T_KEY},
    {"AAAA", ILNPDNS_T_AAAA},     {"SRV", ILNPDNS_T_SRV},     {"DNAME", ILNPDNS_T_DNAME},
    {"DS", ILNPDNS_T_DS},         {"RRSIG", ILNPDNS_T_RRSIG}, {"NSEC", ILNPDNS_T_NSEC},
    {"DNSKEY", ILNPDNS_T_DNSKEY}, {"NID", ILNPDNS_T_NID},     {"L32", ILNPDNS_T_L32},
    {"L64", ILNPDNS_T_L64},       {"LP", ILNPDNS_T_LP},       {"IXFR", ILNPDNS_T_IXFR},
    {"AXFR", ILNPDNS_T_AXFR},     {"ANY", ILNPDNS_T_ANY},
};

int bench_msg_type_from_str(const char *s, uint16_t *type)
{
	for (size_t i = 0; i < sizeof(type_names) / sizeof(type_names[0]); i++)
		if (strcasecmp(s, type_names[i].name) == 0) {
			*type = type_names[i].type;
			return 0;
		}
	/* RFC 3597 5: TYPE followed by the decimal number, no leading sign. */
	if (strncasecmp(s, "TYPE", 4) == 0 && isdigit((unsigned char)s[4])) {
		char *end;
		errno = 0;
		unsigned long v = strtoul(s + 4, &end, 10);
		if (*end == '\0' && errno == 0 && v <= 65535) {
			*type = (uint16_t)v;
			return 0;
		}
	}
	return ILNPDNS_ESYNTAX;
}

int bench_msg_query_edns(uint8_t *buf, size_t cap, uint16_t id, const uint8_t *qname,
                         uint16_t qtype, uint16_t edns_size)
{
	int len = bench_msg_query(buf, cap, id, qname, qtype);
	if (len < 0 || edns_size == 0)
		return len;
	if ((size_t)len + 11 > cap)
		return ILNPDNS_ETRUNC;
	/* RFC 6891 6.1.2: root owner, CLASS = payload size, TTL = ext. rcode,
	 * version 0 and flags 0, no options. */
	uint8_t *p = buf + len;
	p[0] = 0;
	p = put_rr_fixed(p + 1, ILNPDNS_T_OPT, edns_size, 0, 0);
	ilnpdns_put16(buf + 10, 1);
	return (int)(p - buf);
}

int bench_msg_parse_qline(const char *line, uint8_t *qname, uint16_t *qtype)
{
	char name[1024], type[32], extra[2];

	while (isspace((unsigned char)*line))
		line++;
	if (*line == '\0' || *line == '#' || *line == ';')
		return 0;
	/* Exactly two fields; the widths keep sscanf inside the buffers. */
	if (sscanf(line, "%1023s %31s %1s", name, type, extra) != 2)
		return ILNPDNS_ESYNTAX;
	int rc = ilnpdns_dname_from_str(name, qname);
	if (rc < 0)
		return rc;
	if (bench_msg_type_from_str(type, qtype) < 0)
		return ILNPDNS_ESYNTAX;
	return 1;
}

void bench_qset_free(struct bench_qset *qs)
{
	free(qs->wire);
	free(qs->off);
	free(qs->len);
	memset(qs, 0, sizeof(*qs));
}

/* Grow the three arrays of qs so that one more message of up to
 * BENCH_QUERY_MAX octets fits. */
static int qset_reserve(struct bench_qset *qs, size_t *cap, size_t *wcap, size_t wlen)
{
	if (qs->n == *cap) {
		size_t c = *cap ? *cap * 2 : 1024;
		size_t *off = realloc(qs->off, c * sizeof(*off));
		if (off == NULL)
			return ILNPDNS_ENOMEM;
		qs->off = off;
		uint16_t *len = realloc(qs->len, c * sizeof(*len));
		if (len == NULL)
			return ILNPDNS_ENOMEM;
		qs->len = len;
		*cap = c;
	}
	if (wlen + BENCH_QUERY_MAX > *wcap) {
		size_t c = *wcap ? *wcap * 2 : 65536;
		uint8_t *w = realloc(qs->wire, c);
		if (w == NULL)
			return ILNPDNS_ENOMEM;
		qs->wire = w;
		*wcap = c;
	}
	return 0;
}

int bench_qset_load(struct bench_qset *qs, const char *path, uint16_t edns_size, char *err,
                    size_t errlen)
{
	uint8_t qname[ILNPDNS_DNAME_MAXLEN];
	char line[2048];
	size_t cap = 0, wcap = 0, wlen = 0;
	unsigned long lineno = 0;
	uint16_t qtype;
	int rc = 0;

	FILE *f = fopen(path, "r");
	if (f == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return ILNPDNS_EIO;
	}
	memset(qs, 0, sizeof(*qs));
	while (fgets(line, sizeof(line), f) != NULL) {
		lineno++;
		rc = bench_msg_parse_qline(line, qname, &qtype);
		if (rc == 0)
			continue;
		if (rc < 0) {
			snprintf(err, errlen, "%s:%lu: not \"NAME TYPE\"", path, lineno);
			break;
		}
		if ((rc = qset_reserve(qs, &cap, &wcap, wlen)) < 0) {
			snprintf(err, errlen, "%s: out of memory", path);
			break;
		}
		rc = bench_msg_query_edns(qs->wire + wlen, BENCH_QUERY_MAX, 0, qname, qtype,
		                          edns_size);
		if (rc < 0)
			break; /* cannot happen: BENCH_QUERY_MAX holds the largest */
		qs->off[qs->n] = wlen;
		qs->len[qs->n] = (uint16_t)rc;
		qs->n++;
		wlen += (size_t)rc;
		rc = 0;
	}
	if (rc == 0 && ferror(f)) {
		snprintf(err, errlen, "%s: read error", path);
		rc = ILNPDNS_EIO;
	}
	if (rc == 0 && qs->n == 0) {
		snprintf(err, errlen, "%s: no queries", path);
		rc = ILNPDNS_ESYNTAX;
	}
	fclose(f);
	if (rc < 0)
		bench_qset_free(qs);
	return rc;
}

/* Octets of the first question of a message (name and the four octets of
 * type and class), or 0 when it has none or it runs past len. */
static size_t question_len(const uint8_t *msg, size_t len)
{
	size_t pos = ILNPDNS_HDR_LEN;

	if (len < ILNPDNS_HDR_LEN || ilnpdns_get16(msg + 4) == 0)
		return 0;
	/* Labels only: a query's question is never compressed. */
	while (pos < len && msg[pos] != 0) {
		if (msg[pos] > 63)
			return 0;
		pos += 1 + msg[pos];
	}
	if (pos >= len || len - pos - 1 < 4)
		return 0;
	return pos + 1 + 4 - ILNPDNS_HDR_LEN;
}

int bench_msg_answers(const uint8_t *ans, size_t alen, const uint8_t *q, size_t qlen)
{
	size_t ql = question_len(q, qlen);

	if (ql == 0 || alen < ILNPDNS_HDR_LEN + ql || !(ilnpdns_get16(ans + 2) & ILNPDNS_FLAG_QR))
		return 0;
	if (ilnpdns_get16(ans + 4) != 1)
		return 0;
	return memcmp(ans + ILNPDNS_HDR_LEN, q + ILNPDNS_HDR_LEN, ql) == 0;
}

int bench_msg_echo_answer(uint8_t *msg, size_t len, size_t cap)
{
	/* Fixed RDATA: 2001:db8::1 for AAAA, 192.0.2.1 for A, preference 10
	 * and a fixed 64-bit value for NID and L64 (RFC 6742 2.1, 2.3). */
	static const uint8_t aaaa[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0,
	                                 0,    0,    0,    0,    0, 0, 0, 1};
	static const uint8_t a[4] = {192, 0, 2, 1};
	static const uint8_t ilnp64[10] = {0, 10, 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 1};
	size_t ql = question_len(msg, len);
	const uint8_t *rdata = NULL;
	size_t rdlen = 0;

	if (ql == 0 || ilnpdns_get16(msg + 2) & ILNPDNS_FLAG_QR ||
	    ILNPDNS_OPCODE(ilnpdns_get16(msg + 2)) != ILNPDNS_OP_QUERY ||
	    ilnpdns_get16(msg + 4) != 1)
		return ILNPDNS_EMALF;
	size_t end = ILNPDNS_HDR_LEN + ql;
	switch (ilnpdns_get16(msg + end - 4)) {
	case ILNPDNS_T_A:
		rdata = a, rdlen = sizeof(a);
		break;
	case ILNPDNS_T_AAAA:
		rdata = aaaa, rdlen = sizeof(aaaa);
		break;
	case ILNPDNS_T_NID:
	case ILNPDNS_T_L64:
		rdata = ilnp64, rdlen = sizeof(ilnp64);
		break;
	}
	if (rdata && end + 2 + 10 + rdlen > cap)
		return ILNPDNS_ETRUNC;
	uint16_t flags = ilnpdns_get16(msg + 2);
	put_header(msg, ilnpdns_get16(msg),
	           (uint16_t)(ILNPDNS_FLAG_QR | ILNPDNS_FLAG_AA | (flags & ILNPDNS_FLAG_RD)), 1,
	           rdata ? 1 : 0, 0, 0);
	if (rdata == NULL)
		return (int)end;
	uint8_t *p = msg + end;
	ilnpdns_put16(p, 0xc000 | ILNPDNS_HDR_LEN); /* the owner is the qname */
	p = put_rr_fixed(p + 2, ilnpdns_get16(msg + end - 4), ILNPDNS_C_IN, 0, (uint16_t)rdlen);
	memcpy(p, rdata, rdlen);
	return (int)(p + rdlen - msg);
}
