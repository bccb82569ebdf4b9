/* SPDX-License-Identifier: BSD-2-Clause */
/* response.c -- write a DNS response into a caller's buffer: compression, size limit, whole RRsets.
 */
#include <string.h>

#include "ilnpdns/dname.h"
#include "ilnpdns/error.h"
#include "ilnpdns/wire.h"
#include "response.h"
#include "store.h"

#define PTR_MAX 0x3fff /* highest offset a 14-bit compression pointer reaches */

static inline uint8_t lower(uint8_t c)
{
	return (c >= 'A' && c <= 'Z') ? (uint8_t)(c + ('a' - 'A')) : c;
}

int response_init(struct response *r, uint8_t *buf, size_t limit)
{
	if (limit < ILNPDNS_HDR_LEN)
		return ILNPDNS_ETRUNC;
	r->buf = buf;
	r->limit = limit;
	r->len = ILNPDNS_HDR_LEN;
	r->reserve = 0;
	r->qdcount = 0;
	r->count[0] = r->count[1] = r->count[2] = 0;
	r->section = RESPONSE_ANSWER;
	r->ncomp = 0;
	return 0;
}

int response_reserve(struct response *r, size_t n)
{
	if (r->len + n > r->limit)
		return ILNPDNS_ETRUNC;
	r->limit -= n;
	r->reserve += n;
	return 0;
}

/*
 * Does the name written at off equal name, ASCII case ignored? Only names we
 * wrote ourselves are in the table, so every pointer met goes backwards and
 * the walk ends.
 */
static bool name_at(const uint8_t *buf, size_t off, const uint8_t *name)
{
	for (;;) {
		uint8_t len = buf[off];
		while ((len & 0xc0) == 0xc0) {
			off = (size_t)(len & 0x3f) << 8 | buf[off + 1];
			len = buf[off];
		}
		if (len != *name)
			return false;
		if (len == 0)
			return true;
		for (uint8_t i = 1; i <= len; i++)
			if (lower(buf[off + i]) != lower(name[i]))
				return false;
		off += 1u + len;
		name += 1u + len;
	}
}

/*
 * Write name at the end of the message. With compress, the longest suffix
 * already in the message becomes a pointer (RFC 1035 4.1.4); with remember,
 * the suffixes written in full become pointer targets for later names.
 */
static int put_name(struct response *r, const uint8_t *name, bool compress, bool remember)
{
	unsigned labels = ilnpdns_dname_labels(name), n = labels;
	const uint8_t *suffix = name;
	long ptr = -1;

	if (compress) {
		for (; n > 0; n--, suffix += 1u + *suffix) {
			for (unsigned i = 0; i < r->ncomp; i++) {
				if (r->comp[i].labels == n &&
				    name_at(r->buf, r->comp[i].off, suffix)) {
					ptr = r->comp[i].off;
					goto found;
				}
			}
		}
		/* suffix now points at the root label */
	} else {
		suffix = name + ilnpdns_dname_len(name) - 1;
	}
found:;
	size_t plain = (size_t)(suffix - name);
	size_t need = plain + (ptr >= 0 ? 2 : 1);
	if (r->len + need > r->limit)
		return ILNPDNS_ETRUNC;
	if (remember) {
		unsigned k = labels;
		for (const uint8_t *p = name; p < suffix && r->ncomp < RESPONSE_COMP_MAX;
		     p += 1u + *p, k--) {
			size_t off = r->len + (size_t)(p - name);
			if (off > PTR_MAX)
				break;
			r->comp[r->ncomp].off = (uint16_t)off;
			r->comp[r->ncomp].labels = (uint8_t)k;
			r->ncomp++;
		}
	}
	memcpy(r->buf + r->len, name, plain);
	r->len += plain;
	if (ptr >= 0) {
		ilnpdns_put16(r->buf + r->len, (uint16_t)(0xc000 | ptr));
		r->len += 2;
	} else {
		r->buf[r->len++] = 0;
	}
	return 0;
}

/* Length of an uncompressed name at p within n octets, 0 when it is not one. */
static size_t rdata_name_len(const uint8_t *p, size_t n)
{
	size_t i = 0;
	while (i < n) {
		uint8_t len = p[i];
		if (len & 0xc0)
			return 0;
		i += 1u + len;
		if (len == 0)
			return i <= ILNPDNS_DNAME_MAXLEN ? i : 0;
	}
	return 0;
}

static int put_bytes(struct response *r, const uint8_t *p, size_t n)
{
	if (r->len + n > r->limit)
		return ILNPDNS_ETRUNC;
	memcpy(r->buf + r->len, p, n);
	r->len += n;
	return 0;
}

/*
 * RDATA of the types whose embedded names RFC 1035 allows to be compressed
 * (RFC 3597 4): head octets, then nnames names, then tail octets. Anything
 * that does not have exactly that shape is copied as it is.
 */
static int put_rdata_names(struct response *r, const uint8_t *rd, uint16_t rdlen, size_t head,
                           unsigned nnames, size_t tail)
{
	size_t pos = head, lens[2];
	for (unsigned i = 0; i < nnames; i++) {
		if (pos > rdlen || (lens[i] = rdata_name_len(rd + pos, rdlen - pos)) == 0)
			return put_bytes(r, rd, rdlen);
		pos += lens[i];
	}
	if (pos + tail != rdlen)
		return put_bytes(r, rd, rdlen);
	int rc = put_bytes(r, rd, head);
	pos = head;
	for (unsigned i = 0; rc == 0 && i < nnames; i++) {
		rc = put_name(r, rd + pos, true, true);
		pos += lens[i];
	}
	return rc ? rc : put_bytes(r, rd + pos, tail);
}

static int put_rr(struct response *r, const uint8_t *owner, uint16_t type, uint32_t ttl,
                  const uint8_t *rd, uint16_t rdlen)
{
	int rc = put_name(r, owner, true, true);
	if (rc)
		return rc;
	if (r->len + 10 > r->limit)
		return ILNPDNS_ETRUNC;
	uint8_t *p = r->buf + r->len;
	ilnpdns_put16(p, type);
	ilnpdns_put16(p + 2, ILNPDNS_C_IN);
	ilnpdns_put32(p + 4, ttl);
	size_t rdpos = r->len + 8;
	r->len += 10;
	switch (type) {
	case ILNPDNS_T_NS:
	case ILNPDNS_T_CNAME:
	case ILNPDNS_T_PTR:
		rc = put_rdata_names(r, rd, rdlen, 0, 1, 0);
		break;
	case ILNPDNS_T_MX:
		rc = put_rdata_names(r, rd, rdlen, 2, 1, 0);
		break;
	case ILNPDNS_T_SOA:
		rc = put_rdata_names(r, rd, rdlen, 0, 2, 20);
		break;
	default:
		rc = put_bytes(r, rd, rdlen);
		break;
	}
	if (rc)
		return rc;
	ilnpdns_put16(r->buf + rdpos, (uint16_t)(r->len - rdpos - 2));
	return 0;
}

int response_add_rrset(struct response *r, enum response_section sec, const uint8_t *owner,
                       uint32_t ttl, const struct store_rrset *rrset)
{
	if (sec < r->section)
		return ILNPDNS_EINVAL;
	size_t save_len = r->len, pos = 0;
	unsigned save_comp = r->ncomp, n = 0;
	const uint8_t *rd;
	uint16_t rdlen;
	int rc = 0;

	while (store_rrset_next_rdata(rrset, &pos, &rd, &rdlen)) {
		if ((rc = put_rr(r, owner, rrset->type, ttl, rd, rdlen)))
			goto fail;
		n++;
	}
	if ((unsigned)r->count[sec] + n > UINT16_MAX) {
		rc = ILNPDNS_ETRUNC;
		goto fail;
	}
	r->section = sec;
	r->count[sec] = (uint16_t)(r->count[sec] + n);
	return 0;

fail:
	/* RFC 2181 9: never a partial RRset. */
	r->len = save_len;
	r->ncomp = save_comp;
	return rc;
}

int response_question(struct response *r, const uint8_t *qname, uint16_t qtype, uint16_t qclass)
{
	/* Written in full and first, so the table is empty and the bytes are
	 * the query's own (RFC 1035 7.3; 0x20 case echo). */
	int rc = put_name(r, qname, false, true);
	if (rc)
		return rc;
	if (r->len + 4 > r->limit)
		return ILNPDNS_ETRUNC;
	ilnpdns_put16(r->buf + r->len, qtype);
	ilnpdns_put16(r->buf + r->len + 2, qclass);
	r->len += 4;
	r->qdcount = 1;
	return 0;
}

int response_add_opt(struct response *r, uint16_t payload, uint8_t ext_rcode, bool dnssec_ok)
{
	return response_add_opt_data(r, payload, ext_rcode, dnssec_ok, NULL, 0);
}

int response_add_opt_data(struct response *r, uint16_t payload, uint8_t ext_rcode, bool dnssec_ok,
                          const uint8_t *data, size_t datalen)
{
	/* Take back the OPT's share only: a TSIG reserve stays held for the
	 * signature appended after response_finish() (RFC 8945 5.3). */
	size_t want = RESPONSE_OPT_LEN + datalen;
	size_t give = r->reserve < want ? r->reserve : want;
	r->limit += give;
	r->reserve -= give;
	if (r->len + want > r->limit || datalen > UINT16_MAX)
		return ILNPDNS_ETRUNC;
	uint8_t *p = r->buf + r->len;
	p[0] = 0; /* root owner (RFC 6891 6.1.2) */
	ilnpdns_put16(p + 1, ILNPDNS_T_OPT);
	ilnpdns_put16(p + 3, payload);
	p[5] = ext_rcode;
	p[6] = 0;                       /* version 0 */
	p[7] = dnssec_ok ? 0x80 : 0x00; /* DO copied (RFC 3225 3) */
	p[8] = 0;
	ilnpdns_put16(p + 9, (uint16_t)datalen);
	if (datalen > 0)
		memcpy(p + RESPONSE_OPT_LEN, data, datalen);
	r->len += want;
	r->section = RESPONSE_ADDITIONAL;
	r->count[RESPONSE_ADDITIONAL]++;
	return 0;
}

size_t response_finish(struct response *r)
{
	ilnpdns_put16(r->buf + 4, r->qdcount);
	ilnpdns_put16(r->buf + 6, r->count[RESPONSE_ANSWER]);
	ilnpdns_put16(r->buf + 8, r->count[RESPONSE_AUTHORITY]);
	ilnpdns_put16(r->buf + 10, r->count[RESPONSE_ADDITIONAL]);
	return r->len;
}
