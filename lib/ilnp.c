/* SPDX-License-Identifier: BSD-2-Clause */
/* ilnp.c -- RFC 6742 NID, L32, L64 and LP RDATA: strict parsing, checking and printing. */
#include <stdio.h>
#include <string.h>

#include "ilnpdns/dname.h"
#include "ilnpdns/base64.h"
#include "ilnpdns/error.h"
#include "ilnpdns/ilnp.h"
#include "ilnpdns/wire.h"


static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

int ilnpdns_ilnp_pref_from_str(const char *s, size_t len, uint16_t *pref)
{
	uint32_t v = 0;

	/* ldns's strtol-based reader wraps 65536 to 0 and takes "-1" as 65535:
	 * accept plain decimal digits only and range-check while reading. */
	if (len == 0)
		return ILNPDNS_ERDATA;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return ILNPDNS_ERDATA;
		v = v * 10 + (uint32_t)(s[i] - '0');
		if (v > UINT16_MAX)
			return ILNPDNS_ERDATA;
	}
	*pref = (uint16_t)v;
	return 0;
}

int ilnpdns_ilnp_loc64_from_str(const char *s, size_t len, uint8_t out[8])
{
	size_t i = 0;

	for (unsigned g = 0; g < 4; g++) {
		unsigned v = 0, digits = 0;
		if (g > 0) {
			if (i >= len || s[i] != ':')
				return ILNPDNS_ERDATA;
			i++;
		}
		while (i < len && s[i] != ':') {
			int h = ilnpdns_hexval(s[i]);
			if (h < 0 || ++digits > 4)
				return ILNPDNS_ERDATA;
			v = v << 4 | (unsigned)h;
			i++;
		}
		/* An empty group is the "::" shorthand, which RFC 6742 2.1.2 bans. */
		if (digits == 0)
			return ILNPDNS_ERDATA;
		out[2 * g] = (uint8_t)(v >> 8);
		out[2 * g + 1] = (uint8_t)v;
	}
	return i == len ? 0 : ILNPDNS_ERDATA;
}

int ilnpdns_ilnp_loc32_from_str(const char *s, size_t len, uint8_t out[4])
{
	size_t i = 0;

	for (unsigned o = 0; o < 4; o++) {
		unsigned v = 0, digits = 0;
		if (o > 0) {
			if (i >= len || s[i] != '.')
				return ILNPDNS_ERDATA;
			i++;
		}
		size_t start = i;
		while (i < len && s[i] >= '0' && s[i] <= '9') {
			if (++digits > 3)
				return ILNPDNS_ERDATA;
			v = v * 10 + (unsigned)(s[i] - '0');
			i++;
		}
		if (digits == 0 || v > 255 || (digits > 1 && s[start] == '0'))
			return ILNPDNS_ERDATA;
		out[o] = (uint8_t)v;
	}
	return i == len ? 0 : ILNPDNS_ERDATA;
}

/* True when the text ends in a dot that is not escaped by a backslash. */
static bool ends_absolute(const char *s, size_t len)
{
	if (len == 0 || s[len - 1] != '.')
		return false;
	size_t bs = 0;
	while (bs + 1 < len && s[len - 2 - bs] == '\\')
		bs++;
	return bs % 2 == 0;
}

int ilnpdns_ilnp_name_from_str(const char *s, size_t len, const uint8_t *origin, uint8_t *out)
{
	char buf[4 * ILNPDNS_DNAME_MAXLEN + 2];

	if (len == 0)
		return ILNPDNS_ESYNTAX;
	if (len == 1 && s[0] == '@') {
		if (!origin)
			return ILNPDNS_ESYNTAX;
		size_t ol = ilnpdns_dname_len(origin);
		memcpy(out, origin, ol);
		return (int)ol;
	}
	if (len >= sizeof(buf) - 1)
		return ILNPDNS_ENAME;
	memcpy(buf, s, len);
	buf[len] = '\0';
	if (ends_absolute(s, len) || !origin)
		return ilnpdns_dname_from_str(buf, out);
	/* Relative: parse as if absolute, then replace the root label by origin. */
	buf[len] = '.';
	buf[len + 1] = '\0';
	int n = ilnpdns_dname_from_str(buf, out);
	if (n < 0)
		return n;
	size_t ol = ilnpdns_dname_len(origin);
	if ((size_t)n - 1 + ol > ILNPDNS_DNAME_MAXLEN)
		return ILNPDNS_ENAME;
	memcpy(out + n - 1, origin, ol);
	return (int)((size_t)n - 1 + ol);
}

int ilnpdns_ilnp_rdata_from_str(uint16_t type, const char *text, const uint8_t *owner,
                                const uint8_t *origin, uint8_t *out, unsigned *flags,
                                const char **why)
{
	const char *tok[3];
	size_t toklen[3];
	unsigned ntok = 0;
	const char *dummy;
	int rc;

	if (!why)
		why = &dummy;
	if (flags)
		*flags = 0;
	if (!ilnpdns_type_is_ilnp(type)) {
		*why = "not an ILNP type";
		return ILNPDNS_EINVAL;
	}
	for (const char *p = text; *p;) {
		while (*p && is_blank(*p))
			p++;
		if (!*p)
			break;
		const char *start = p;
		while (*p && !is_blank(*p))
			p += (*p == '\\' && p[1]) ? 2 : 1; /* an escaped blank stays in the token */
		if (ntok == 3)
			break;
		tok[ntok] = start;
		toklen[ntok++] = (size_t)(p - start);
	}
	if (ntok != 2) {
		*why = "expected a preference and one value";
		return ILNPDNS_ERDATA;
	}
	uint16_t pref;
	if (ilnpdns_ilnp_pref_from_str(tok[0], toklen[0], &pref)) {
		*why = "preference must be a decimal number 0..65535";
		return ILNPDNS_ERDATA;
	}
	ilnpdns_put16(out, pref);
	switch (type) {
	case ILNPDNS_T_NID:
	case ILNPDNS_T_L64:
		if (ilnpdns_ilnp_loc64_from_str(tok[1], toklen[1], out + 2)) {
			*why = "expected four colon-separated groups of 1-4 hex digits (no \"::\")";
			return ILNPDNS_ERDATA;
		}
		return 10;
	case ILNPDNS_T_L32:
		if (ilnpdns_ilnp_loc32_from_str(tok[1], toklen[1], out + 2)) {
			*why = "expected a dotted quad without leading zeros";
			return ILNPDNS_ERDATA;
		}
		return 6;
	default: /* LP */
		rc = ilnpdns_ilnp_name_from_str(tok[1], toklen[1], origin, out + 2);
		if (rc < 0) {
			*why = "bad LP domain name";
			return ILNPDNS_ENAME;
		}
		if (owner && flags && ilnpdns_dname_equal(owner, out + 2))
			*flags |= ILNPDNS_ILNP_LP_SELF;
		return 2 + rc;
	}
}

/* Length of an uncompressed wire name within buf[0..len), or -1. */
static int name_len_within(const uint8_t *buf, size_t len)
{
	size_t p = 0;
	while (p < len) {
		uint8_t l = buf[p];
		if (l & 0xc0)
			return -1; /* compression or obsolete label types: not in stored data */
		if (p + 1 + l > len)
			return -1;
		p += 1 + (size_t)l;
		if (l == 0)
			return p <= ILNPDNS_DNAME_MAXLEN ? (int)p : -1;
	}
	return -1;
}

int ilnpdns_ilnp_rdata_check(uint16_t type, const uint8_t *rdata, size_t rdlen)
{
	switch (type) {
	case ILNPDNS_T_NID:
	case ILNPDNS_T_L64:
		return rdlen == 10 ? 0 : ILNPDNS_EMALF;
	case ILNPDNS_T_L32:
		return rdlen == 6 ? 0 : ILNPDNS_EMALF;
	case ILNPDNS_T_LP: {
		if (rdlen < 3)
			return ILNPDNS_EMALF;
		int n = name_len_within(rdata + 2, rdlen - 2);
		return (n > 0 && (size_t)n == rdlen - 2) ? 0 : ILNPDNS_EMALF;
	}
	default:
		return ILNPDNS_EINVAL;
	}
}

int ilnpdns_ilnp_rdata_unpack(uint16_t type, const uint8_t *pkt, size_t pktlen, size_t pos,
                              uint16_t rdlen, uint8_t *out)
{
	if (!ilnpdns_type_is_ilnp(type))
		return ILNPDNS_EINVAL;
	if (pos > pktlen || rdlen > pktlen - pos)
		return ILNPDNS_EMALF;
	if (type != ILNPDNS_T_LP) {
		if (ilnpdns_ilnp_rdata_check(type, pkt + pos, rdlen))
			return ILNPDNS_EMALF;
		memcpy(out, pkt + pos, rdlen);
		return rdlen;
	}
	if (rdlen < 3)
		return ILNPDNS_EMALF;
	memcpy(out, pkt + pos, 2);
	/* Read the name against the RDATA's end, not the message's: a name
	 * running past RDLENGTH is malformed even when the packet holds it. */
	size_t p = pos + 2;
	int n = ilnpdns_dname_unpack(pkt, pos + rdlen, &p, out + 2);
	if (n < 0)
		return n;
	if (p != pos + rdlen)
		return ILNPDNS_EMALF;
	return 2 + n;
}

bool ilnpdns_ilnp_lp_is_self(const uint8_t *owner, const uint8_t *rdata, size_t rdlen)
{
	return rdlen >= 3 && ilnpdns_dname_equal(owner, rdata + 2);
}

int ilnpdns_ilnp_rdata_to_str(uint16_t type, const uint8_t *rdata, size_t rdlen, char *buf,
                              size_t cap)
{
	int rc = ilnpdns_ilnp_rdata_check(type, rdata, rdlen);
	if (rc)
		return rc == ILNPDNS_EINVAL ? rc : ILNPDNS_EMALF;
	char tmp[ILNPDNS_ILNP_STR_MAX];
	int n = snprintf(tmp, sizeof(tmp), "%u ", ilnpdns_get16(rdata));
	switch (type) {
	case ILNPDNS_T_NID:
	case ILNPDNS_T_L64:
		/* Always 4 digits: BIND's short form "14:4fff:..." is refused by Knot. */
		n += snprintf(tmp + n, sizeof(tmp) - (size_t)n, "%04x:%04x:%04x:%04x",
		              ilnpdns_get16(rdata + 2), ilnpdns_get16(rdata + 4),
		              ilnpdns_get16(rdata + 6), ilnpdns_get16(rdata + 8));
		break;
	case ILNPDNS_T_L32:
		n += snprintf(tmp + n, sizeof(tmp) - (size_t)n, "%u.%u.%u.%u", rdata[2], rdata[3],
		              rdata[4], rdata[5]);
		break;
	default: {
		int m = ilnpdns_dname_to_str(rdata + 2, tmp + n, sizeof(tmp) - (size_t)n);
		if (m < 0)
			return m;
		n += m;
	}
	}
	if ((size_t)n + 1 > cap)
		return ILNPDNS_ETRUNC;
	memcpy(buf, tmp, (size_t)n + 1);
	return n;
}
