/* SPDX-License-Identifier: BSD-2-Clause */
/* dname.c -- domain names in wire form: reading, comparing, canonical lookup keys. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "ilnpdns/dname.h"
#include "ilnpdns/error.h"

static inline uint8_t lower(uint8_t c)
{
	return (c >= 'A' && c <= 'Z') ? (uint8_t)(c + ('a' - 'A')) : c;
}

int ilnpdns_dname_unpack(const uint8_t *pkt, size_t pktlen, size_t *pos, uint8_t *out)
{
	size_t p = *pos, outlen = 0, end = 0;
	bool jumped = false;
	/* Every pointer must go strictly backwards; remember the lowest offset
	 * reached so far so that a pointer never revisits data (no loops). */
	size_t limit = *pos;

	for (;;) {
		if (p >= pktlen)
			return ILNPDNS_EMALF;
		uint8_t len = pkt[p];
		if ((len & 0xc0) == 0xc0) {
			if (p + 1 >= pktlen)
				return ILNPDNS_EMALF;
			size_t target = ((size_t)(len & 0x3f) << 8) | pkt[p + 1];
			if (!jumped) {
				end = p + 2;
				jumped = true;
			}
			if (target >= limit)
				return ILNPDNS_EMALF;
			limit = target;
			p = target;
			continue;
		}
		if (len & 0xc0)
			return ILNPDNS_EMALF; /* 01 and 10 label types are obsolete/undefined */
		if (p + 1 + len > pktlen)
			return ILNPDNS_EMALF;
		if (outlen + 1 + len > ILNPDNS_DNAME_MAXLEN)
			return ILNPDNS_ENAME;
		memcpy(out + outlen, pkt + p, 1 + (size_t)len);
		outlen += 1 + (size_t)len;
		p += 1 + (size_t)len;
		if (len == 0)
			break;
	}
	*pos = jumped ? end : p;
	return (int)outlen;
}

size_t ilnpdns_dname_len(const uint8_t *name)
{
	const uint8_t *p = name;
	while (*p)
		p += 1 + *p;
	return (size_t)(p - name) + 1;
}

unsigned ilnpdns_dname_labels(const uint8_t *name)
{
	unsigned n = 0;
	for (const uint8_t *p = name; *p; p += 1 + *p)
		n++;
	return n;
}

bool ilnpdns_dname_equal(const uint8_t *a, const uint8_t *b)
{
	for (;;) {
		if (*a != *b)
			return false;
		uint8_t len = *a;
		if (len == 0)
			return true;
		for (uint8_t i = 1; i <= len; i++)
			if (lower(a[i]) != lower(b[i]))
				return false;
		a += 1 + len;
		b += 1 + len;
	}
}

const uint8_t *ilnpdns_dname_skip(const uint8_t *name, unsigned n)
{
	while (n-- > 0 && *name)
		name += 1 + *name;
	return name;
}

bool ilnpdns_dname_is_under(const uint8_t *name, const uint8_t *parent)
{
	unsigned nl = ilnpdns_dname_labels(name), pl = ilnpdns_dname_labels(parent);
	if (nl < pl)
		return false;
	return ilnpdns_dname_equal(ilnpdns_dname_skip(name, nl - pl), parent);
}

void ilnpdns_dname_lower(uint8_t *name)
{
	while (*name) {
		uint8_t len = *name;
		for (uint8_t i = 1; i <= len; i++)
			name[i] = lower(name[i]);
		name += 1 + len;
	}
}

/* Collect label start pointers, root first, so names compare from the right. */
static unsigned label_stack(const uint8_t *name, const uint8_t **labels)
{
	unsigned n = 0;
	for (const uint8_t *p = name; *p; p += 1 + *p)
		labels[n++] = p;
	return n;
}

int ilnpdns_dname_compare(const uint8_t *a, const uint8_t *b)
{
	const uint8_t *la[ILNPDNS_DNAME_MAXLABELS], *lb[ILNPDNS_DNAME_MAXLABELS];
	unsigned na = label_stack(a, la), nb = label_stack(b, lb);

	while (na > 0 && nb > 0) {
		const uint8_t *x = la[--na], *y = lb[--nb];
		unsigned lx = x[0], ly = y[0], m = lx < ly ? lx : ly;
		for (unsigned i = 1; i <= m; i++) {
			int d = (int)lower(x[i]) - (int)lower(y[i]);
			if (d)
				return d;
		}
		if (lx != ly)
			return (int)lx - (int)ly;
	}
	return (int)na - (int)nb;
}

size_t ilnpdns_dname_to_key(const uint8_t *name, unsigned skip, uint8_t *key)
{
	const uint8_t *labels[ILNPDNS_DNAME_MAXLABELS];
	unsigned n = label_stack(name, labels);
	size_t k = 0;

	for (unsigned i = skip < n ? n - skip : 0; i-- > 0;) {
		const uint8_t *l = labels[i];
		for (uint8_t j = 1; j <= l[0]; j++) {
			uint8_t c = lower(l[j]);
			if (c <= 0x01) {
				key[k++] = 0x01;
				key[k++] = (uint8_t)(c + 1);
			} else {
				key[k++] = c;
			}
		}
		key[k++] = 0x00;
	}
	return k;
}

int ilnpdns_dname_from_key(const uint8_t *key, size_t keylen, const uint8_t *apex, uint8_t *out)
{
	/* The key lists labels root-first; wire form wants them owner-first, so
	 * decode into a scratch stack and emit in reverse. */
	uint8_t labels[ILNPDNS_DNAME_MAXLABELS][ILNPDNS_LABEL_MAXLEN];
	uint8_t lens[ILNPDNS_DNAME_MAXLABELS];
	unsigned n = 0;
	size_t i = 0;

	while (i < keylen) {
		if (n >= ILNPDNS_DNAME_MAXLABELS)
			return ILNPDNS_ENAME;
		uint8_t len = 0;
		while (i < keylen && key[i] != 0x00) {
			uint8_t c = key[i++];
			if (c == 0x01) {
				if (i >= keylen || (key[i] != 0x01 && key[i] != 0x02))
					return ILNPDNS_EMALF;
				c = (uint8_t)(key[i++] - 1);
			}
			if (len >= ILNPDNS_LABEL_MAXLEN)
				return ILNPDNS_ENAME;
			labels[n][len++] = c;
		}
		if (i >= keylen || len == 0)
			return ILNPDNS_EMALF; /* missing terminator or empty label */
		i++;
		lens[n++] = len;
	}
	size_t apexlen = ilnpdns_dname_len(apex), o = 0;
	while (n-- > 0) {
		if (o + 1 + lens[n] + apexlen > ILNPDNS_DNAME_MAXLEN)
			return ILNPDNS_ENAME;
		out[o++] = lens[n];
		memcpy(out + o, labels[n], lens[n]);
		o += lens[n];
	}
	if (o + apexlen > ILNPDNS_DNAME_MAXLEN)
		return ILNPDNS_ENAME;
	memcpy(out + o, apex, apexlen);
	return (int)(o + apexlen);
}

int ilnpdns_dname_to_str(const uint8_t *name, char *buf, size_t cap)
{
	size_t o = 0;

	if (*name == 0) {
		if (cap < 2)
			return ILNPDNS_ETRUNC;
		buf[0] = '.';
		buf[1] = '\0';
		return 1;
	}
	for (const uint8_t *p = name; *p; p += 1 + *p) {
		for (uint8_t j = 1; j <= p[0]; j++) {
			uint8_t c = p[j];
			char tmp[5];
			size_t tl;
			if (c == '.' || c == '\\' || c == '"' || c == ';' || c == '(' || c == ')' ||
			    c == '@' || c == '$') {
				tmp[0] = '\\';
				tmp[1] = (char)c;
				tl = 2;
			} else if (c <= 0x20 || c >= 0x7f) {
				snprintf(tmp, sizeof(tmp), "\\%03u", c);
				tl = 4;
			} else {
				tmp[0] = (char)c;
				tl = 1;
			}
			if (o + tl + 2 > cap)
				return ILNPDNS_ETRUNC;
			memcpy(buf + o, tmp, tl);
			o += tl;
		}
		buf[o++] = '.';
	}
	buf[o] = '\0';
	return (int)o;
}

int ilnpdns_dname_from_str(const char *str, uint8_t *out)
{
	size_t o = 0;
	const char *s = str;

	if (strcmp(s, ".") == 0) {
		out[0] = 0;
		return 1;
	}
	if (*s == '\0')
		return ILNPDNS_ESYNTAX;
	while (*s) {
		size_t lenpos = o++;
		uint8_t len = 0;
		while (*s && *s != '.') {
			int c = (unsigned char)*s++;
			if (c == '\\') {
				if (isdigit((unsigned char)s[0]) && isdigit((unsigned char)s[1]) &&
				    isdigit((unsigned char)s[2])) {
					c = (s[0] - '0') * 100 + (s[1] - '0') * 10 + (s[2] - '0');
					if (c > 255)
						return ILNPDNS_ESYNTAX;
					s += 3;
				} else if (*s) {
					c = (unsigned char)*s++;
				} else {
					return ILNPDNS_ESYNTAX;
				}
			}
			if (len >= ILNPDNS_LABEL_MAXLEN || o + 2 > ILNPDNS_DNAME_MAXLEN)
				return ILNPDNS_ENAME;
			out[o++] = (uint8_t)c;
			len++;
		}
		if (len == 0)
			return ILNPDNS_ENAME; /* empty label ("a..b" or leading dot) */
		out[lenpos] = len;
		if (*s == '.')
			s++;
	}
	out[o++] = 0;
	return (int)o;
}
