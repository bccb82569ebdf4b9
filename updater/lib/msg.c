/* SPDX-License-Identifier: BSD-2-Clause */
/* msg.c -- RFC 2136 UPDATE messages: prerequisites and updates from wire pieces or text, rendering.
 */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ldns/ldns.h>
#include <openssl/rand.h>

#include "ilnpdns/dname.h"
#include "ilnpdns/error.h"
#include "ilnpdns/ilnp.h"
#include "ilnpdns/updater.h"
#include "ilnpdns/wire.h"
#include "updater_int.h"

/* One RR of the prerequisite or update section, owner uncompressed. */
struct upd_rr {
	uint8_t name[ILNPDNS_DNAME_MAXLEN];
	uint16_t type;
	uint16_t class;
	uint32_t ttl;
	uint16_t rdlen;
	uint8_t *rdata;
};

struct upd_section {
	struct upd_rr *rr;
	size_t n;
	size_t cap;
};

struct ilnpdns_upd_msg {
	uint8_t zone[ILNPDNS_DNAME_MAXLEN];
	uint16_t id;
	struct upd_section pre; /* answer section */
	struct upd_section upd; /* authority section */
};

uint16_t upd_random_id(void)
{
	uint16_t id = 0;

	/* RAND_bytes only fails when the DRBG cannot be seeded; the ID then
	 * still has to be unpredictable-ish, so fall back to random(). */
	if (RAND_bytes((unsigned char *)&id, sizeof(id)) != 1)
		id = (uint16_t)random();
	return id;
}

int ilnpdns_upd_msg_new(const uint8_t *zone, struct ilnpdns_upd_msg **out)
{
	struct ilnpdns_upd_msg *m;

	*out = NULL;
	if (zone == NULL || ilnpdns_dname_len(zone) > ILNPDNS_DNAME_MAXLEN)
		return ILNPDNS_ENAME;
	m = calloc(1, sizeof(*m));
	if (m == NULL)
		return ILNPDNS_ENOMEM;
	memcpy(m->zone, zone, ilnpdns_dname_len(zone));
	m->id = upd_random_id();
	*out = m;
	return 0;
}

int ilnpdns_upd_msg_new_str(const char *zone, struct ilnpdns_upd_msg **out)
{
	uint8_t wire[ILNPDNS_DNAME_MAXLEN];
	int rc = ilnpdns_dname_from_str(zone, wire);

	if (rc < 0) {
		*out = NULL;
		return rc;
	}
	return ilnpdns_upd_msg_new(wire, out);
}

static void section_free(struct upd_section *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->rr[i].rdata);
	free(s->rr);
	memset(s, 0, sizeof(*s));
}

void ilnpdns_upd_msg_free(struct ilnpdns_upd_msg *m)
{
	if (m == NULL)
		return;
	section_free(&m->pre);
	section_free(&m->upd);
	free(m);
}

static int section_push(struct upd_section *s, const uint8_t *name, uint16_t type, uint16_t class,
                        uint32_t ttl, const uint8_t *rdata, uint16_t rdlen)
{
	struct upd_rr *rr;

	if (s->n == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 8;
		struct upd_rr *n = realloc(s->rr, cap * sizeof(*n));

		if (n == NULL)
			return ILNPDNS_ENOMEM;
		s->rr = n;
		s->cap = cap;
	}
	rr = &s->rr[s->n];
	memset(rr, 0, sizeof(*rr));
	memcpy(rr->name, name, ilnpdns_dname_len(name));
	rr->type = type;
	rr->class = class;
	rr->ttl = ttl;
	rr->rdlen = rdlen;
	if (rdlen > 0) {
		rr->rdata = malloc(rdlen);
		if (rr->rdata == NULL)
			return ILNPDNS_ENOMEM;
		memcpy(rr->rdata, rdata, rdlen);
	}
	s->n++;
	return 0;
}

static int section_copy(struct upd_section *dst, const struct upd_section *src)
{
	for (size_t i = 0; i < src->n; i++) {
		const struct upd_rr *r = &src->rr[i];
		int rc = section_push(dst, r->name, r->type, r->class, r->ttl, r->rdata, r->rdlen);

		if (rc < 0)
			return rc;
	}
	return 0;
}

int ilnpdns_upd_msg_clone(const struct ilnpdns_upd_msg *m, struct ilnpdns_upd_msg **out)
{
	struct ilnpdns_upd_msg *c;
	int rc = ilnpdns_upd_msg_new(m->zone, &c);

	if (rc < 0)
		return rc;
	c->id = m->id;
	if ((rc = section_copy(&c->pre, &m->pre)) < 0 ||
	    (rc = section_copy(&c->upd, &m->upd)) < 0) {
		ilnpdns_upd_msg_free(c);
		*out = NULL;
		return rc;
	}
	*out = c;
	return 0;
}

const uint8_t *ilnpdns_upd_msg_zone(const struct ilnpdns_upd_msg *m)
{
	return m->zone;
}

uint16_t ilnpdns_upd_msg_id(const struct ilnpdns_upd_msg *m)
{
	return m->id;
}

void ilnpdns_upd_msg_set_id(struct ilnpdns_upd_msg *m, uint16_t id)
{
	m->id = id;
}

unsigned ilnpdns_upd_msg_prcount(const struct ilnpdns_upd_msg *m)
{
	return (unsigned)m->pre.n;
}

unsigned ilnpdns_upd_msg_upcount(const struct ilnpdns_upd_msg *m)
{
	return (unsigned)m->upd.n;
}

/* Meta types may appear only as TYPE ANY in the forms that allow it. */
static bool is_data_type(uint16_t type)
{
	if (type == 0 || type == ILNPDNS_T_OPT || type == ILNPDNS_T_SIG)
		return false;
	return type < 128 || type > 255; /* 128-255: meta and q-types (RFC 6895 3.1) */
}

/* RFC 2136 1.2: "in the zone" is at or below ZNAME; the server says NOTZONE otherwise. */
static int check_name(const struct ilnpdns_upd_msg *m, const uint8_t *name)
{
	if (name == NULL)
		return ILNPDNS_EINVAL;
	if (!ilnpdns_dname_is_under(name, m->zone))
		return ILNPDNS_EZONE;
	return 0;
}

/* The RFC 2136 forms that name a whole name: TYPE ANY, no RDATA. */
static int push_name(struct ilnpdns_upd_msg *m, struct upd_section *sec, const uint8_t *name,
                     uint16_t class)
{
	int rc = check_name(m, name);

	return rc < 0 ? rc : section_push(sec, name, ILNPDNS_T_ANY, class, 0, NULL, 0);
}

/* The forms about one RRset or RR: a name in the zone and a data type. */
static int push_typed(struct ilnpdns_upd_msg *m, struct upd_section *sec, const uint8_t *name,
                      uint16_t type, uint16_t class, uint32_t ttl, const uint8_t *rdata,
                      uint16_t rdlen)
{
	int rc = check_name(m, name);

	if (rc < 0)
		return rc;
	if (!is_data_type(type))
		return ILNPDNS_EINVAL;
	return section_push(sec, name, type, class, ttl, rdata, rdlen);
}

/* Prerequisites, RFC 2136 2.4 (the CLASS says which form). */
int ilnpdns_upd_prereq_yxdomain(struct ilnpdns_upd_msg *m, const uint8_t *name)
{
	return push_name(m, &m->pre, name, ILNPDNS_C_ANY);
}

int ilnpdns_upd_prereq_nxdomain(struct ilnpdns_upd_msg *m, const uint8_t *name)
{
	return push_name(m, &m->pre, name, ILNPDNS_C_NONE);
}

int ilnpdns_upd_prereq_yxrrset(struct ilnpdns_upd_msg *m, const uint8_t *name, uint16_t type)
{
	return push_typed(m, &m->pre, name, type, ILNPDNS_C_ANY, 0, NULL, 0);
}

int ilnpdns_upd_prereq_nxrrset(struct ilnpdns_upd_msg *m, const uint8_t *name, uint16_t type)
{
	return push_typed(m, &m->pre, name, type, ILNPDNS_C_NONE, 0, NULL, 0);
}

int ilnpdns_upd_prereq_rr(struct ilnpdns_upd_msg *m, const uint8_t *name, uint16_t type,
                          const uint8_t *rdata, uint16_t rdlen)
{
	return push_typed(m, &m->pre, name, type, ILNPDNS_C_IN, 0, rdata, rdlen);
}

/* Updates, RFC 2136 2.5. */
int ilnpdns_upd_add(struct ilnpdns_upd_msg *m, const uint8_t *name, uint16_t type, uint32_t ttl,
                    const uint8_t *rdata, uint16_t rdlen)
{
	int rc = check_name(m, name);

	if (rc < 0)
		return rc;
	if (is_data_type(type) && ilnpdns_type_is_ilnp(type) &&
	    ilnpdns_ilnp_rdata_check(type, rdata, rdlen) < 0)
		return ILNPDNS_ERDATA;
	return push_typed(m, &m->upd, name, type, ILNPDNS_C_IN, ttl, rdata, rdlen);
}

int ilnpdns_upd_del_rrset(struct ilnpdns_upd_msg *m, const uint8_t *name, uint16_t type)
{
	return push_typed(m, &m->upd, name, type, ILNPDNS_C_ANY, 0, NULL, 0);
}

int ilnpdns_upd_del_name(struct ilnpdns_upd_msg *m, const uint8_t *name)
{
	return push_name(m, &m->upd, name, ILNPDNS_C_ANY);
}

int ilnpdns_upd_del_rr(struct ilnpdns_upd_msg *m, const uint8_t *name, uint16_t type,
                       const uint8_t *rdata, uint16_t rdlen)
{
	return push_typed(m, &m->upd, name, type, ILNPDNS_C_NONE, 0, rdata, rdlen);
}

/* ---- presentation text ---- */

uint16_t ilnpdns_upd_type_from_str(const char *s)
{
	return (uint16_t)ldns_get_rr_type_by_name(s);
}

int ilnpdns_upd_rdata_from_str(uint16_t type, const char *text, const uint8_t *origin, uint8_t *out,
                               size_t cap)
{
	ldns_rr *rr = NULL;
	ldns_rdf *orig = NULL;
	ldns_buffer *buf;
	char *line, *tname;
	int rc;

	if (ilnpdns_type_is_ilnp(type)) {
		uint8_t tmp[ILNPDNS_ILNP_RDATA_MAX];

		rc = ilnpdns_ilnp_rdata_from_str(type, text, NULL, origin, tmp, NULL, NULL);
		if (rc < 0)
			return rc == ILNPDNS_EINVAL ? ILNPDNS_ERDATA : rc;
		if ((size_t)rc > cap)
			return ILNPDNS_ETRUNC;
		memcpy(out, tmp, (size_t)rc);
		return rc;
	}
	/* ldns reads whole RRs only: give it a dummy owner and an explicit TTL
	 * (its default would be 3600, LDNS-COVERAGE 3). */
	tname = ldns_rr_type2str((ldns_rr_type)type);
	if (tname == NULL)
		return ILNPDNS_ENOMEM;
	rc = asprintf(&line, ". 0 IN %s %s", tname, text);
	free(tname);
	if (rc < 0)
		return ILNPDNS_ENOMEM;
	if (origin != NULL)
		orig =
		    ldns_rdf_new_frm_data(LDNS_RDF_TYPE_DNAME, ilnpdns_dname_len(origin), origin);
	if (ldns_rr_new_frm_str(&rr, line, 0, orig, NULL) != LDNS_STATUS_OK) {
		free(line);
		ldns_rdf_deep_free(orig);
		return ILNPDNS_ERDATA;
	}
	free(line);
	ldns_rdf_deep_free(orig);
	buf = ldns_buffer_new(256);
	if (buf == NULL) {
		ldns_rr_free(rr);
		return ILNPDNS_ENOMEM;
	}
	if (ldns_rr_rdata2buffer_wire(buf, rr) != LDNS_STATUS_OK) {
		rc = ILNPDNS_ERDATA;
	} else if (ldns_buffer_position(buf) > cap) {
		rc = ILNPDNS_ETRUNC;
	} else {
		rc = (int)ldns_buffer_position(buf);
		memcpy(out, ldns_buffer_begin(buf), (size_t)rc);
	}
	ldns_buffer_free(buf);
	ldns_rr_free(rr);
	return rc;
}

/* Split off the next blank-separated token; returns its length (0 at the end). */
static size_t next_token(const char **p, const char **tok)
{
	const char *s = *p;
	size_t n = 0;

	while (*s == ' ' || *s == '\t')
		s++;
	*tok = s;
	while (s[n] != '\0' && s[n] != ' ' && s[n] != '\t' && s[n] != '\n')
		n++;
	*p = s + n;
	return n;
}

static bool token_is(const char *tok, size_t len, const char *word)
{
	return strlen(word) == len && strncasecmp(tok, word, len) == 0;
}

static bool token_is_ttl(const char *tok, size_t len, uint32_t *ttl)
{
	uint64_t v = 0;

	if (len == 0 || len > 10)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (!isdigit((unsigned char)tok[i]))
			return false;
		v = v * 10 + (uint64_t)(tok[i] - '0');
	}
	if (v > UINT32_MAX)
		return false;
	*ttl = (uint32_t)v;
	return true;
}

static void seterr(char *err, size_t errlen, const char *fmt, const char *tok, size_t len)
{
	if (err != NULL && errlen > 0)
		snprintf(err, errlen, fmt, (int)len, tok);
}

/*
 * The common head of the text forms: "name [ttl] [class] [type] rest".
 * *type is 0 when none follows; *rest points at what follows the type.
 */
struct text_rr {
	uint8_t name[ILNPDNS_DNAME_MAXLEN];
	bool has_ttl;
	uint32_t ttl;
	uint16_t class; /* 0 when not given */
	uint16_t type;
	const char *rest;
};

static int parse_head(const struct ilnpdns_upd_msg *m, const char *text, struct text_rr *t,
                      char *err, size_t errlen)
{
	const char *p = text, *tok;
	size_t len;
	char word[32];
	int rc;

	memset(t, 0, sizeof(*t));
	len = next_token(&p, &tok);
	if (len == 0) {
		seterr(err, errlen, "missing owner name%.*s", "", 0);
		return ILNPDNS_ESYNTAX;
	}
	rc = ilnpdns_ilnp_name_from_str(tok, len, m->zone, t->name);
	if (rc < 0) {
		seterr(err, errlen, "bad name '%.*s'", tok, len);
		return ILNPDNS_ENAME;
	}
	if (!ilnpdns_dname_is_under(t->name, m->zone)) {
		seterr(err, errlen, "'%.*s' is not in the zone", tok, len);
		return ILNPDNS_EZONE;
	}
	len = next_token(&p, &tok);
	if (len > 0 && token_is_ttl(tok, len, &t->ttl)) {
		t->has_ttl = true;
		len = next_token(&p, &tok);
	}
	if (len > 0 &&
	    (token_is(tok, len, "IN") || token_is(tok, len, "ANY") || token_is(tok, len, "NONE"))) {
		t->class = token_is(tok, len, "IN")    ? ILNPDNS_C_IN
		           : token_is(tok, len, "ANY") ? ILNPDNS_C_ANY
		                                       : ILNPDNS_C_NONE;
		len = next_token(&p, &tok);
	} else if (len > 0 && (token_is(tok, len, "CH") || token_is(tok, len, "HS") ||
	                       token_is(tok, len, "CHAOS") || token_is(tok, len, "HESIOD"))) {
		seterr(err, errlen, "class %.*s: only IN zones are supported", tok, len);
		return ILNPDNS_ESYNTAX;
	}
	if (len > 0) {
		if (len >= sizeof(word)) {
			seterr(err, errlen, "unknown type '%.*s'", tok, len);
			return ILNPDNS_ESYNTAX;
		}
		memcpy(word, tok, len);
		word[len] = '\0';
		t->type = ilnpdns_upd_type_from_str(word);
		if (t->type == 0) {
			seterr(err, errlen, "unknown type '%.*s'", tok, len);
			return ILNPDNS_ESYNTAX;
		}
	}
	while (*p == ' ' || *p == '\t')
		p++;
	t->rest = p;
	return 0;
}

/* RDATA text is whatever follows the type, without a trailing newline. */
static int rest_rdata(const struct ilnpdns_upd_msg *m, const struct text_rr *t, uint8_t *rdata,
                      char *err, size_t errlen)
{
	char *copy = strdup(t->rest);
	size_t n;
	int rc;

	if (copy == NULL)
		return ILNPDNS_ENOMEM;
	n = strlen(copy);
	while (n > 0 && (copy[n - 1] == '\n' || copy[n - 1] == '\r' || copy[n - 1] == ' ' ||
	                 copy[n - 1] == '\t'))
		copy[--n] = '\0';
	rc = ilnpdns_upd_rdata_from_str(t->type, copy, m->zone, rdata, ILNPDNS_MSG_MAX);
	if (rc < 0)
		seterr(err, errlen, "bad RDATA '%.*s'", copy, n);
	free(copy);
	return rc;
}

static bool rest_empty(const struct text_rr *t)
{
	const char *p = t->rest;

	while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
		p++;
	return *p == '\0';
}

int ilnpdns_upd_add_str(struct ilnpdns_upd_msg *m, const char *text, uint32_t default_ttl,
                        char *err, size_t errlen)
{
	struct text_rr t;
	uint8_t *rdata;
	int rc = parse_head(m, text, &t, err, errlen);

	if (rc < 0)
		return rc;
	if (t.class != 0 && t.class != ILNPDNS_C_IN) {
		seterr(err, errlen, "an added RR must be class IN%.*s", "", 0);
		return ILNPDNS_ESYNTAX;
	}
	if (t.type == 0 || rest_empty(&t)) {
		seterr(err, errlen, "add needs a type and RDATA%.*s", "", 0);
		return ILNPDNS_ESYNTAX;
	}
	rdata = malloc(ILNPDNS_MSG_MAX);
	if (rdata == NULL)
		return ILNPDNS_ENOMEM;
	rc = rest_rdata(m, &t, rdata, err, errlen);
	if (rc >= 0)
		rc = ilnpdns_upd_add(m, t.name, t.type, t.has_ttl ? t.ttl : default_ttl, rdata,
		                     (uint16_t)rc);
	free(rdata);
	return rc;
}

int ilnpdns_upd_del_str(struct ilnpdns_upd_msg *m, const char *text, char *err, size_t errlen)
{
	struct text_rr t;
	uint8_t *rdata;
	int rc = parse_head(m, text, &t, err, errlen);

	if (rc < 0)
		return rc;
	if (t.type == 0) {
		if (!rest_empty(&t)) {
			seterr(err, errlen, "unexpected '%.*s'", t.rest, strlen(t.rest));
			return ILNPDNS_ESYNTAX;
		}
		return ilnpdns_upd_del_name(m, t.name);
	}
	if (rest_empty(&t))
		return ilnpdns_upd_del_rrset(m, t.name, t.type);
	rdata = malloc(ILNPDNS_MSG_MAX);
	if (rdata == NULL)
		return ILNPDNS_ENOMEM;
	rc = rest_rdata(m, &t, rdata, err, errlen);
	if (rc >= 0)
		rc = ilnpdns_upd_del_rr(m, t.name, t.type, rdata, (uint16_t)rc);
	free(rdata);
	return rc;
}

int ilnpdns_upd_prereq_rr_str(struct ilnpdns_upd_msg *m, const char *text, char *err, size_t errlen)
{
	struct text_rr t;
	uint8_t *rdata;
	int rc = parse_head(m, text, &t, err, errlen);

	if (rc < 0)
		return rc;
	if (t.type == 0 || rest_empty(&t)) {
		seterr(err, errlen, "a value-dependent prerequisite needs a type and RDATA%.*s", "",
		       0);
		return ILNPDNS_ESYNTAX;
	}
	rdata = malloc(ILNPDNS_MSG_MAX);
	if (rdata == NULL)
		return ILNPDNS_ENOMEM;
	rc = rest_rdata(m, &t, rdata, err, errlen);
	if (rc >= 0)
		rc = ilnpdns_upd_prereq_rr(m, t.name, t.type, rdata, (uint16_t)rc);
	free(rdata);
	return rc;
}

/* ---- wire ---- */

static int put_rr(const struct upd_rr *r, uint8_t *buf, size_t cap, size_t *pos)
{
	size_t nl = ilnpdns_dname_len(r->name);

	if (*pos + nl + 10 + r->rdlen > cap)
		return ILNPDNS_ETRUNC;
	memcpy(buf + *pos, r->name, nl);
	*pos += nl;
	ilnpdns_put16(buf + *pos, r->type);
	ilnpdns_put16(buf + *pos + 2, r->class);
	ilnpdns_put32(buf + *pos + 4, r->ttl);
	ilnpdns_put16(buf + *pos + 8, r->rdlen);
	*pos += 10;
	if (r->rdlen > 0)
		memcpy(buf + *pos, r->rdata, r->rdlen);
	*pos += r->rdlen;
	return 0;
}

int ilnpdns_upd_msg_render(const struct ilnpdns_upd_msg *m, uint8_t *buf, size_t cap, size_t *len)
{
	size_t pos = ILNPDNS_HDR_LEN, zl = ilnpdns_dname_len(m->zone);
	int rc;

	if (m->pre.n > UINT16_MAX || m->upd.n > UINT16_MAX)
		return ILNPDNS_ERANGE;
	if (cap < ILNPDNS_HDR_LEN + zl + 4)
		return ILNPDNS_ETRUNC;
	ilnpdns_put16(buf, m->id);
	/* Opcode 5 and nothing else: QR is the only flag UPDATE defines (RFC 2136 2.2). */
	ilnpdns_put16(buf + 2, (uint16_t)(ILNPDNS_OP_UPDATE << 11));
	ilnpdns_put16(buf + 4, 1);
	ilnpdns_put16(buf + 6, (uint16_t)m->pre.n);
	ilnpdns_put16(buf + 8, (uint16_t)m->upd.n);
	ilnpdns_put16(buf + 10, 0);
	memcpy(buf + pos, m->zone, zl);
	pos += zl;
	ilnpdns_put16(buf + pos, ILNPDNS_T_SOA);
	ilnpdns_put16(buf + pos + 2, ILNPDNS_C_IN);
	pos += 4;
	for (size_t i = 0; i < m->pre.n; i++)
		if ((rc = put_rr(&m->pre.rr[i], buf, cap, &pos)) < 0)
			return rc;
	for (size_t i = 0; i < m->upd.n; i++)
		if ((rc = put_rr(&m->upd.rr[i], buf, cap, &pos)) < 0)
			return rc;
	*len = pos;
	return 0;
}

char *ilnpdns_upd_msg_to_str(const struct ilnpdns_upd_msg *m)
{
	uint8_t *buf = malloc(ILNPDNS_MSG_MAX);
	ldns_pkt *pkt = NULL;
	size_t len;
	char *s = NULL;

	if (buf == NULL)
		return NULL;
	if (ilnpdns_upd_msg_render(m, buf, ILNPDNS_MSG_MAX, &len) == 0 &&
	    ldns_wire2pkt(&pkt, buf, len) == LDNS_STATUS_OK) {
		s = ldns_pkt2str(pkt);
		ldns_pkt_free(pkt);
	}
	free(buf);
	return s;
}
