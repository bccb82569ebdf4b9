/* SPDX-License-Identifier: BSD-2-Clause */
/* zoneload.c -- import an RFC 1035 master file into the store in one write transaction. */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <ldns/ldns.h>

#include "ilnpdns/dname.h"
#include "ilnpdns/base64.h"
#include "ilnpdns/error.h"
#include "ilnpdns/ilnp.h"
#include "ilnpdns/log.h"
#include "ilnpdns/wire.h"
#include "store.h"
#include "zoneload.h"

/*
 * The file is parsed completely into memory first (records in one array,
 * keys and RDATA in one arena), sorted into store key order, checked, and
 * only then written in one LMDB write transaction. Parsing never holds the
 * writer lock, a bad file never touches the store, and the write is a
 * sequential walk in key order, which is what LMDB's B-tree likes best.
 *
 * ldns parses the RDATA of the ordinary types. Master-file syntax
 * ($INCLUDE, $TTL 0, parentheses, owners) is ours because ldns lacks
 * $INCLUDE and turns a default TTL of 0 into 3600; the RFC 6742 types, A
 * and AAAA are parsed here too (strict validation, and they are the bulk of
 * large ILNP zones).
 */

#define INCLUDE_DEPTH_MAX 16
#define TTL_MAX           0x7fffffffu /* RFC 2181 8: the top bit must be clear */
#define NO_TTL            UINT32_MAX

struct rec {
	uint32_t key_off; /* owner key (relative to the apex) in the arena */
	uint32_t rd_off;  /* RDATA in the arena */
	uint32_t ttl;
	uint32_t line;
	uint32_t seq; /* file order, to keep the first of duplicates */
	uint16_t key_len;
	uint16_t rdlen;
	uint16_t type;
	uint16_t file; /* index into loader.files */
};

struct loader {
	const uint8_t *apex;
	unsigned apex_labels;
	struct rec *recs;
	size_t nrecs, caprecs;
	uint8_t *arena;
	size_t arena_len, arena_cap;
	char **files;
	size_t nfiles;
	unsigned soa_count;
	uint32_t serial;
	size_t warnings;
	ldns_buffer *wire;                     /* scratch for ldns RDATA output */
	uint8_t rdata[ILNPDNS_ILNP_RDATA_MAX]; /* scratch for our own RDATA parsers */
	char *text;                            /* scratch for ldns input */
	size_t text_cap;
	char *err;
	size_t errlen;
};

/* Parsing state of one file; an $INCLUDEd file gets its own copy. */
struct file_state {
	FILE *in;
	const char *name;
	const char *dir; /* folder for relative $INCLUDE paths, NULL: current */
	uint16_t file;
	unsigned depth;
	unsigned line;
	uint8_t origin[ILNPDNS_DNAME_MAXLEN];
	ldns_rdf *origin_rdf;
	uint8_t prev[ILNPDNS_DNAME_MAXLEN]; /* previous owner */
	bool have_prev;
	uint32_t prev_key_off; /* key of prev in the arena */
	uint16_t prev_key_len;
	uint32_t default_ttl; /* $TTL, NO_TTL when not set */
	uint32_t last_ttl;    /* last explicit TTL (RFC 1035 5.1), NO_TTL when none */
};

static int fail(struct loader *ld, int rc, const char *file, unsigned line, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static int fail(struct loader *ld, int rc, const char *file, unsigned line, const char *fmt, ...)
{
	va_list ap;
	int n = line ? snprintf(ld->err, ld->errlen, "%s:%u: ", file, line)
	             : snprintf(ld->err, ld->errlen, "%s: ", file);
	if (n >= 0 && (size_t)n < ld->errlen) {
		va_start(ap, fmt);
		vsnprintf(ld->err + n, ld->errlen - (size_t)n, fmt, ap);
		va_end(ap);
	}
	return rc;
}

static void warn(struct loader *ld, const char *file, unsigned line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void warn(struct loader *ld, const char *file, unsigned line, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_warnx("%s:%u: %s", file, line, msg);
	ld->warnings++;
}

/* Append n octets to the arena; returns the offset or -1 when out of memory. */
static int64_t arena_add(struct loader *ld, const void *p, size_t n)
{
	if (ld->arena_len + n > ld->arena_cap) {
		size_t cap = ld->arena_cap ? ld->arena_cap : 1 << 16;
		while (cap < ld->arena_len + n)
			cap *= 2;
		/* Offsets are 32-bit to keep struct rec small (24 octets). */
		if (cap > UINT32_MAX)
			cap = UINT32_MAX;
		if (ld->arena_len + n > cap)
			return -1;
		uint8_t *a = realloc(ld->arena, cap);
		if (!a)
			return -1;
		ld->arena = a;
		ld->arena_cap = cap;
	}
	if (n)
		memcpy(ld->arena + ld->arena_len, p, n);
	ld->arena_len += n;
	return (int64_t)(ld->arena_len - n);
}

/* ---- tokens ---- */

static bool blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Next blank-separated token of *p (backslash escapes and quotes kept). */
static bool next_token(const char **p, const char **tok, size_t *len)
{
	const char *s = *p;
	while (*s && blank(*s))
		s++;
	if (!*s)
		return false;
	const char *start = s;
	bool quoted = false;
	while (*s && (quoted || !blank(*s))) {
		if (*s == '\\' && s[1])
			s++;
		else if (*s == '"')
			quoted = !quoted;
		s++;
	}
	*tok = start;
	*len = (size_t)(s - start);
	*p = s;
	return true;
}

static bool token_is(const char *tok, size_t len, const char *word)
{
	return strlen(word) == len && strncasecmp(tok, word, len) == 0;
}

/* TTL: decimal seconds, or BIND-style units ("1h30m", "2d"). */
static bool parse_ttl(const char *s, size_t len, uint32_t *out)
{
	uint64_t total = 0, v = 0;
	bool digits = false, units = false;

	if (len == 0 || s[0] < '0' || s[0] > '9')
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		if (c >= '0' && c <= '9') {
			v = v * 10 + (uint64_t)(c - '0');
			digits = true;
			if (v > UINT32_MAX)
				return false;
			continue;
		}
		uint64_t mul;
		switch (c | 0x20) {
		case 's':
			mul = 1;
			break;
		case 'm':
			mul = 60;
			break;
		case 'h':
			mul = 3600;
			break;
		case 'd':
			mul = 86400;
			break;
		case 'w':
			mul = 604800;
			break;
		default:
			return false;
		}
		if (!digits)
			return false;
		total += v * mul;
		v = 0;
		digits = false;
		units = true;
	}
	if (digits) {
		if (units)
			return false; /* "1h30" is ambiguous: refuse */
		total += v;
	}
	if (total > UINT32_MAX)
		return false;
	*out = (uint32_t)total;
	return true;
}

static bool is_class_token(const char *tok, size_t len)
{
	if (token_is(tok, len, "IN") || token_is(tok, len, "CH") || token_is(tok, len, "HS") ||
	    token_is(tok, len, "CS") || token_is(tok, len, "NONE") || token_is(tok, len, "ANY"))
		return true;
	if (len > 5 && strncasecmp(tok, "CLASS", 5) == 0) {
		for (size_t i = 5; i < len; i++)
			if (tok[i] < '0' || tok[i] > '9')
				return false;
		return true;
	}
	return false;
}

static bool class_is_in(const char *tok, size_t len)
{
	return token_is(tok, len, "IN") || token_is(tok, len, "CLASS1");
}

/*
 * Type mnemonic to number. ldns_get_rr_type_by_name() walks its whole
 * descriptor table with strlen()/strncasecmp() per entry, which was a third
 * of the import time; the types of bulk ILNP zones are looked up here first.
 */
static uint16_t type_by_name(const char *tok, size_t len)
{
	static const struct {
		const char *name;
		uint16_t type;
	} common[] = {
	    {"NID", ILNPDNS_T_NID}, {"L64", ILNPDNS_T_L64},     {"LP", ILNPDNS_T_LP},
	    {"L32", ILNPDNS_T_L32}, {"AAAA", ILNPDNS_T_AAAA},   {"A", ILNPDNS_T_A},
	    {"NS", ILNPDNS_T_NS},   {"CNAME", ILNPDNS_T_CNAME}, {"TXT", ILNPDNS_T_TXT},
	    {"MX", ILNPDNS_T_MX},   {"PTR", ILNPDNS_T_PTR},     {"SRV", ILNPDNS_T_SRV},
	};
	for (size_t i = 0; i < sizeof(common) / sizeof(common[0]); i++)
		if (token_is(tok, len, common[i].name))
			return common[i].type;
	return ldns_get_rr_type_by_name(tok);
}

/* Types that exist only in messages (RFC 6895 3.1): never zone data. */
static bool type_is_meta(uint16_t type)
{
	return type == ILNPDNS_T_OPT || type == ILNPDNS_T_TKEY || type == ILNPDNS_T_TSIG ||
	       (type >= ILNPDNS_T_IXFR && type <= ILNPDNS_T_ANY) || type == 0;
}

/* ---- RDATA ---- */


/* Length of an uncompressed name at p within n octets, or -1. */
static int wire_name_len(const uint8_t *p, size_t n)
{
	size_t i = 0;
	while (i < n) {
		if (p[i] & 0xc0)
			return -1;
		if (p[i] == 0)
			return (int)i + 1;
		i += 1 + (size_t)p[i];
	}
	return -1;
}

/* RDATA text through ldns: every type it knows, and RFC 3597 \# for all. */
static int rdata_ldns(struct loader *ld, struct file_state *fs, const char *typetok, size_t typelen,
                      uint16_t type, const char *rdtext, const uint8_t **rd, size_t *rdlen)
{
	size_t need = typelen + strlen(rdtext) + 16;
	if (need > ld->text_cap) {
		char *t = realloc(ld->text, need);
		if (!t)
			return fail(ld, ILNPDNS_ENOMEM, fs->name, fs->line, "out of memory");
		ld->text = t;
		ld->text_cap = need;
	}
	/* The owner is irrelevant here and "@" avoids re-escaping it; TTL is
	 * explicit because ldns would replace a missing one by 3600. */
	snprintf(ld->text, ld->text_cap, "@ 0 IN %.*s %s", (int)typelen, typetok, rdtext);
	ldns_rr *rr = NULL;
	ldns_status s = ldns_rr_new_frm_str(&rr, ld->text, 0, fs->origin_rdf, NULL);
	if (s != LDNS_STATUS_OK)
		return fail(ld, ILNPDNS_ESYNTAX, fs->name, fs->line, "bad %.*s RDATA: %s",
		            (int)typelen, typetok, ldns_get_errorstr_by_id(s));
	if (ldns_rr_get_type(rr) != type) {
		ldns_rr_free(rr);
		return fail(ld, ILNPDNS_ESYNTAX, fs->name, fs->line, "bad %.*s record",
		            (int)typelen, typetok);
	}
	ldns_buffer_clear(ld->wire);
	s = ldns_rr_rdata2buffer_wire(ld->wire, rr);
	ldns_rr_free(rr);
	if (s != LDNS_STATUS_OK || !ldns_buffer_status_ok(ld->wire))
		return fail(ld, ILNPDNS_ENOMEM, fs->name, fs->line, "cannot render RDATA");
	*rd = ldns_buffer_begin(ld->wire);
	*rdlen = ldns_buffer_position(ld->wire);
	if (*rdlen > UINT16_MAX)
		return fail(ld, ILNPDNS_ERDATA, fs->name, fs->line, "RDATA longer than 65535");
	return 0;
}

/*
 * RFC 3597 5 generic RDATA after the "\\#" token: a decimal length, then
 * that many octets in hex (blanks allowed between). Ours, because ldns
 * silently drops surplus octets of a known type.
 */
static int rdata_generic(struct loader *ld, struct file_state *fs, const char *p,
                         const uint8_t **rd, size_t *rdlen)
{
	const char *tok;
	size_t len, n = 0;
	uint32_t want = 0;

	if (!next_token(&p, &tok, &len) || len > 5)
		return fail(ld, ILNPDNS_ESYNTAX, fs->name, fs->line, "\\# needs a length");
	for (size_t i = 0; i < len; i++) {
		if (tok[i] < '0' || tok[i] > '9')
			return fail(ld, ILNPDNS_ESYNTAX, fs->name, fs->line, "bad \\# length");
		want = want * 10 + (uint32_t)(tok[i] - '0');
	}
	if (want > UINT16_MAX)
		return fail(ld, ILNPDNS_ESYNTAX, fs->name, fs->line, "bad \\# length");
	ldns_buffer_clear(ld->wire);
	if (!ldns_buffer_reserve(ld->wire, want ? want : 1))
		return fail(ld, ILNPDNS_ENOMEM, fs->name, fs->line, "out of memory");
	uint8_t *out = ldns_buffer_begin(ld->wire);
	int hi = -1;
	while (next_token(&p, &tok, &len)) {
		for (size_t i = 0; i < len; i++) {
			int v = ilnpdns_hexval(tok[i]);
			if (v < 0)
				return fail(ld, ILNPDNS_ESYNTAX, fs->name, fs->line,
				            "bad hex in \\# RDATA");
			if (hi < 0) {
				hi = v;
				continue;
			}
			if (n >= want)
				return fail(ld, ILNPDNS_ERDATA, fs->name, fs->line,
				            "\\# RDATA longer than its length %u", want);
			out[n++] = (uint8_t)(hi << 4 | v);
			hi = -1;
		}
	}
	if (hi >= 0 || n != want)
		return fail(ld, ILNPDNS_ERDATA, fs->name, fs->line,
		            "\\# RDATA has %zu%s octets, its length says %u", n,
		            hi >= 0 ? ".5" : "", want);
	*rd = out;
	*rdlen = n;
	return 0;
}

/* Parse RDATA text of type into wire; checks ILNP and SOA content. */
static int parse_rdata(struct loader *ld, struct file_state *fs, const uint8_t *owner,
                       const char *typetok, size_t typelen, uint16_t type, const char *rdtext,
                       const uint8_t **rd, size_t *rdlen)
{
	uint8_t *fast = ld->rdata;
	const char *p = rdtext, *tok;
	size_t len;
	bool generic = next_token(&p, &tok, &len) && token_is(tok, len, "\\#");
	int rc;

	if (!generic && ilnpdns_type_is_ilnp(type)) {
		unsigned flags;
		const char *why = NULL;
		rc = ilnpdns_ilnp_rdata_from_str(type, rdtext, owner, fs->origin, fast, &flags,
		                                 &why);
		if (rc < 0)
			return fail(ld, rc, fs->name, fs->line, "bad %.*s RDATA \"%s\": %s",
			            (int)typelen, typetok, rdtext, why);
		*rd = fast;
		*rdlen = (size_t)rc;
		if (flags & ILNPDNS_ILNP_LP_SELF)
			return fail(ld, ILNPDNS_ERDATA, fs->name, fs->line,
			            "LP points at its own owner (RFC 6742 2.4.1.2 forbids it)");
		return 0;
	}
	if (!generic && (type == ILNPDNS_T_A || type == ILNPDNS_T_AAAA)) {
		char buf[64];
		const char *q = p;
		const char *extra;
		size_t elen;
		if (len >= sizeof(buf) || next_token(&q, &extra, &elen))
			return fail(ld, ILNPDNS_ERDATA, fs->name, fs->line, "bad %s address \"%s\"",
			            type == ILNPDNS_T_A ? "A" : "AAAA", rdtext);
		memcpy(buf, tok, len);
		buf[len] = '\0';
		if (inet_pton(type == ILNPDNS_T_A ? AF_INET : AF_INET6, buf, fast) != 1)
			return fail(ld, ILNPDNS_ERDATA, fs->name, fs->line, "bad %s address \"%s\"",
			            type == ILNPDNS_T_A ? "A" : "AAAA", buf);
		*rd = fast;
		*rdlen = type == ILNPDNS_T_A ? 4 : 16;
		return 0;
	}
	if (generic)
		rc = rdata_generic(ld, fs, p, rd, rdlen);
	else
		rc = rdata_ldns(ld, fs, typetok, typelen, type, rdtext, rd, rdlen);
	if (rc)
		return rc;
	if (ilnpdns_type_is_ilnp(type)) {
		/* \# form: the length must fit the type. */
		if (ilnpdns_ilnp_rdata_check(type, *rd, *rdlen))
			return fail(ld, ILNPDNS_ERDATA, fs->name, fs->line,
			            "bad %.*s RDATA length %zu", (int)typelen, typetok, *rdlen);
		if (type == ILNPDNS_T_LP && ilnpdns_ilnp_lp_is_self(owner, *rd, *rdlen))
			return fail(ld, ILNPDNS_ERDATA, fs->name, fs->line,
			            "LP points at its own owner (RFC 6742 2.4.1.2 forbids it)");
	}
	if (type == ILNPDNS_T_SOA) {
		int a = wire_name_len(*rd, *rdlen);
		int b = a > 0 ? wire_name_len(*rd + a, *rdlen - (size_t)a) : -1;
		if (b < 0 || (size_t)(a + b) + 20 != *rdlen)
			return fail(ld, ILNPDNS_ERDATA, fs->name, fs->line, "bad SOA RDATA");
	}
	return 0;
}

/* ---- records ---- */

static int add_rec(struct loader *ld, struct file_state *fs, const uint8_t *owner, uint16_t type,
                   uint32_t ttl, const uint8_t *rd, size_t rdlen)
{
	if (ld->nrecs == ld->caprecs) {
		size_t cap = ld->caprecs ? ld->caprecs * 2 : 4096;
		struct rec *r = realloc(ld->recs, cap * sizeof(*r));
		if (!r)
			return fail(ld, ILNPDNS_ENOMEM, fs->name, fs->line, "out of memory");
		ld->recs = r;
		ld->caprecs = cap;
	}
	struct rec *r = &ld->recs[ld->nrecs];
	/* Consecutive records of one owner (the common case) share its key. */
	if (!fs->have_prev || !ilnpdns_dname_equal(owner, fs->prev) ||
	    ilnpdns_dname_len(owner) != ilnpdns_dname_len(fs->prev)) {
		uint8_t key[ILNPDNS_DNAME_KEYMAX];
		size_t kl = ilnpdns_dname_to_key(owner, ld->apex_labels, key);
		int64_t off = arena_add(ld, key, kl);
		if (off < 0)
			return fail(ld, ILNPDNS_ENOMEM, fs->name, fs->line, "out of memory");
		memcpy(fs->prev, owner, ilnpdns_dname_len(owner));
		fs->have_prev = true;
		fs->prev_key_off = (uint32_t)off;
		fs->prev_key_len = (uint16_t)kl;
	}
	int64_t off = arena_add(ld, rd, rdlen);
	if (off < 0)
		return fail(ld, ILNPDNS_ENOMEM, fs->name, fs->line, "out of memory");
	r->key_off = fs->prev_key_off;
	r->key_len = fs->prev_key_len;
	r->rd_off = (uint32_t)off;
	r->rdlen = (uint16_t)rdlen;
	r->type = type;
	r->ttl = ttl;
	r->line = fs->line;
	r->file = fs->file;
	r->seq = (uint32_t)ld->nrecs;
	ld->nrecs++;
	return 0;
}

static int parse_rr(struct loader *ld, struct file_state *fs, const char *text, bool blank_owner)
{
	const char *p = text, *tok;
	size_t len;
	uint8_t owner[ILNPDNS_DNAME_MAXLEN];
	int rc;

	if (blank_owner) {
		if (!fs->have_prev)
			return fail(ld, ILNPDNS_ESYNTAX, fs->name, fs->line,
			            "record with a blank owner but no previous owner");
		memcpy(owner, fs->prev, ilnpdns_dname_len(fs->prev));
	} else {
		next_token(&p, &tok, &len);
		rc = ilnpdns_ilnp_name_from_str(tok, len, fs->origin, owner);
		if (rc < 0)
			return fail(ld, ILNPDNS_ENAME, fs->name, fs->line,
			            "bad owner name \"%.*s\"", (int)len, tok);
		if (!ilnpdns_dname_is_under(owner, ld->apex)) {
			char a[1024];
			ilnpdns_dname_to_str(ld->apex, a, sizeof(a));
			return fail(ld, ILNPDNS_EZONE, fs->name, fs->line,
			            "owner \"%.*s\" is outside the zone %s", (int)len, tok, a);
		}
	}

	/* [TTL] [class] type, or [class] [TTL] type (RFC 1035 5.1). */
	uint32_t ttl = NO_TTL;
	bool have_class = false;
	for (;;) {
		if (!next_token(&p, &tok, &len))
			return fail(ld, ILNPDNS_ESYNTAX, fs->name, fs->line, "missing type");
		if (ttl == NO_TTL && tok[0] >= '0' && tok[0] <= '9') {
			if (!parse_ttl(tok, len, &ttl) || ttl > TTL_MAX)
				return fail(ld, ILNPDNS_ESYNTAX, fs->name, fs->line,
				            "bad TTL \"%.*s\"", (int)len, tok);
			continue;
		}
		if (!have_class && is_class_token(tok, len)) {
			if (!class_is_in(tok, len))
				return fail(ld, ILNPDNS_EZONE, fs->name, fs->line,
				            "class %.*s not supported (IN only)", (int)len, tok);
			have_class = true;
			continue;
		}
		break;
	}
	char typebuf[32];
	if (len >= sizeof(typebuf))
		return fail(ld, ILNPDNS_ESYNTAX, fs->name, fs->line, "unknown type \"%.*s\"",
		            (int)len, tok);
	memcpy(typebuf, tok, len);
	typebuf[len] = '\0';
	uint16_t type = type_by_name(typebuf, len);
	if (type == 0)
		return fail(ld, ILNPDNS_ESYNTAX, fs->name, fs->line, "unknown type \"%s\"",
		            typebuf);
	if (type_is_meta(type))
		return fail(ld, ILNPDNS_EZONE, fs->name, fs->line,
		            "type %s cannot appear in zone data", typebuf);
	while (*p && blank(*p))
		p++;
	if (!*p)
		return fail(ld, ILNPDNS_ESYNTAX, fs->name, fs->line, "%s record without RDATA",
		            typebuf);

	if (ttl != NO_TTL) {
		fs->last_ttl = ttl;
	} else if (fs->default_ttl != NO_TTL) {
		ttl = fs->default_ttl;
	} else if (fs->last_ttl != NO_TTL) {
		ttl = fs->last_ttl;
	} else {
		return fail(ld, ILNPDNS_ESYNTAX, fs->name, fs->line,
		            "no TTL given and no $TTL before this record");
	}

	const uint8_t *rd = NULL;
	size_t rdlen = 0;
	if ((rc = parse_rdata(ld, fs, owner, typebuf, len, type, p, &rd, &rdlen)))
		return rc;
	if (type == ILNPDNS_T_SOA) {
		if (!ilnpdns_dname_equal(owner, ld->apex))
			return fail(ld, ILNPDNS_EZONE, fs->name, fs->line,
			            "SOA record not at the zone apex");
		if (++ld->soa_count > 1)
			return fail(ld, ILNPDNS_EZONE, fs->name, fs->line,
			            "second SOA record (a zone has exactly one)");
		ld->serial = ilnpdns_get32(rd + rdlen - 20);
	}
	return add_rec(ld, fs, owner, type, ttl, rd, rdlen);
}

/* ---- files ---- */

static int load_file(struct loader *ld, FILE *in, const char *name, const char *dir,
                     const uint8_t *origin, const struct file_state *parent);

/* Open file below dir or one of dir's ancestors, or the current directory. */
static FILE *include_open(const char *dir, const char *file, char **path)
{
	char *d = strdup(dir);
	FILE *f = NULL;
	bool cwd_tried = false;

	*path = NULL;
	while (d && !f) {
		if (asprintf(path, "%s/%s", d, file) < 0) {
			*path = NULL;
			break;
		}
		if ((f = fopen(*path, "r")))
			break;
		free(*path);
		*path = NULL;
		if (!cwd_tried) {
			cwd_tried = true;
			if ((*path = strdup(file)) && (f = fopen(*path, "r")))
				break;
			free(*path);
			*path = NULL;
		}
		if (strcmp(d, "/") == 0 || strcmp(d, ".") == 0)
			break;
		char *parent = strdup(dirname(d));
		free(d);
		d = parent;
	}
	free(d);
	if (!f)
		errno = ENOENT;
	return f;
}

static int do_include(struct loader *ld, struct file_state *fs, const char *args)
{
	const char *p = args, *tok, *otok;
	size_t len, olen;
	uint8_t origin[ILNPDNS_DNAME_MAXLEN];

	if (!next_token(&p, &tok, &len))
		return fail(ld, ILNPDNS_ESYNTAX, fs->name, fs->line, "$INCLUDE without a file");
	if (fs->depth + 1 >= INCLUDE_DEPTH_MAX)
		return fail(ld, ILNPDNS_EZONE, fs->name, fs->line,
		            "$INCLUDE nested more than %d deep", INCLUDE_DEPTH_MAX);
	memcpy(origin, fs->origin, ilnpdns_dname_len(fs->origin));
	if (next_token(&p, &otok, &olen)) {
		if (ilnpdns_ilnp_name_from_str(otok, olen, fs->origin, origin) < 0)
			return fail(ld, ILNPDNS_ENAME, fs->name, fs->line,
			            "bad $INCLUDE origin \"%.*s\"", (int)olen, otok);
		if (next_token(&p, &otok, &olen))
			return fail(ld, ILNPDNS_ESYNTAX, fs->name, fs->line,
			            "extra text after $INCLUDE");
	}
	char *file = strndup(tok, len);
	if (!file)
		return fail(ld, ILNPDNS_ENOMEM, fs->name, fs->line, "out of memory");
	if (len >= 2 && file[0] == '"' && file[len - 1] == '"') {
		memmove(file, file + 1, len - 2);
		file[len - 2] = '\0';
	}
	/* Relative to the including file's folder first (as Knot does), then
	 * to the current directory (as BIND and NSD do), then to the folder's
	 * ancestors (a repository-relative path used from a build tree), so one
	 * file loads in all of them. */
	char *path = NULL;
	FILE *f = NULL;
	if (file[0] == '/' || !fs->dir) {
		path = strdup(file);
		f = path ? fopen(path, "r") : NULL;
	} else {
		f = include_open(fs->dir, file, &path);
	}
	if (!f) {
		int e = errno;
		int rc = fail(ld, -e, fs->name, fs->line, "cannot open $INCLUDE file \"%s\": %s",
		              file, strerror(e));
		free(path);
		free(file);
		return rc;
	}
	free(file);
	char *dcopy = strdup(path);
	int rc = dcopy ? load_file(ld, f, path, dirname(dcopy), origin, fs)
	               : fail(ld, ILNPDNS_ENOMEM, fs->name, fs->line, "out of memory");
	fclose(f);
	free(dcopy);
	free(path); /* the name lives on in ld->files */
	return rc;
}

static int set_origin(struct loader *ld, struct file_state *fs, const uint8_t *origin)
{
	size_t ol = ilnpdns_dname_len(origin);
	ldns_rdf *rdf = ldns_dname_new_frm_data((uint16_t)ol, origin);
	if (!rdf)
		return fail(ld, ILNPDNS_ENOMEM, fs->name, fs->line, "out of memory");
	if (fs->origin_rdf)
		ldns_rdf_deep_free(fs->origin_rdf);
	fs->origin_rdf = rdf;
	memmove(fs->origin, origin, ol);
	return 0;
}

static int directive(struct loader *ld, struct file_state *fs, const char *text)
{
	const char *p = text, *tok, *arg, *extra;
	size_t len, alen, elen;
	uint8_t name[ILNPDNS_DNAME_MAXLEN];

	next_token(&p, &tok, &len);
	if (token_is(tok, len, "$INCLUDE"))
		return do_include(ld, fs, p);
	bool have_arg = next_token(&p, &arg, &alen);
	bool have_extra = have_arg && next_token(&p, &extra, &elen);
	if (token_is(tok, len, "$ORIGIN")) {
		if (!have_arg || have_extra)
			return fail(ld, ILNPDNS_ESYNTAX, fs->name, fs->line,
			            "$ORIGIN takes one name");
		if (ilnpdns_ilnp_name_from_str(arg, alen, fs->origin, name) < 0)
			return fail(ld, ILNPDNS_ENAME, fs->name, fs->line, "bad $ORIGIN \"%.*s\"",
			            (int)alen, arg);
		return set_origin(ld, fs, name);
	}
	if (token_is(tok, len, "$TTL")) {
		uint32_t ttl;
		if (!have_arg || have_extra || !parse_ttl(arg, alen, &ttl) || ttl > TTL_MAX)
			return fail(ld, ILNPDNS_ESYNTAX, fs->name, fs->line,
			            "$TTL takes one TTL value (0..%u)", TTL_MAX);
		/* RFC 2308 4: $TTL 0 is a real value here, unlike in ldns. */
		fs->default_ttl = ttl;
		return 0;
	}
	return fail(ld, ILNPDNS_ESYNTAX, fs->name, fs->line, "unsupported directive \"%.*s\"",
	            (int)len, tok);
}

/*
 * Read one logical record: comments dropped, parentheses joined into one
 * line (RFC 1035 5.1). Returns 1 with a record, 0 at EOF, or an error.
 */
static int read_record(struct loader *ld, struct file_state *fs, char **buf, size_t *cap,
                       char **line, size_t *linecap, bool *blank_owner, unsigned *start_line)
{
	size_t o = 0, keep = 0; /* keep: the record's end without trailing blanks */
	int depth = 0;
	bool first = true;

	for (;;) {
		ssize_t n = getline(line, linecap, fs->in);
		if (n < 0) {
			if (ferror(fs->in))
				return fail(ld, ILNPDNS_EIO, fs->name, fs->line, "read error");
			if (depth > 0)
				return fail(ld, ILNPDNS_ESYNTAX, fs->name, *start_line,
				            "unbalanced \"(\"");
			if (!first)
				break;
			return 0;
		}
		fs->line++;
		if (first) {
			*start_line = fs->line;
			*blank_owner =
			    n > 0 && blank((*line)[0]) && (*line)[0] != '\n' && (*line)[0] != '\r';
			first = false;
		}
		if (o + (size_t)n + 2 > *cap) {
			size_t c = *cap ? *cap : 256;
			while (c < o + (size_t)n + 2)
				c *= 2;
			char *b = realloc(*buf, c);
			if (!b)
				return fail(ld, ILNPDNS_ENOMEM, fs->name, fs->line,
				            "out of memory");
			*buf = b;
			*cap = c;
		}
		bool quoted = false;
		for (ssize_t i = 0; i < n; i++) {
			char c = (*line)[i];
			if (c == '\\' && i + 1 < n) {
				(*buf)[o++] = c;
				(*buf)[o++] = (*line)[++i];
				keep = o;
				continue;
			}
			if (c == '"') {
				quoted = !quoted;
			} else if (!quoted) {
				if (c == ';')
					break;
				if (c == '(') {
					depth++;
					c = ' ';
				} else if (c == ')') {
					if (--depth < 0)
						return fail(ld, ILNPDNS_ESYNTAX, fs->name, fs->line,
						            "unbalanced \")\"");
					c = ' ';
				}
			}
			if (c == '\n' || c == '\r')
				c = ' ';
			(*buf)[o++] = c;
			if (!blank(c))
				keep = o;
		}
		if (quoted)
			return fail(ld, ILNPDNS_ESYNTAX, fs->name, fs->line,
			            "unterminated quoted string");
		if (depth == 0)
			break;
		(*buf)[o++] = ' ';
	}
	/* ldns rejects a blank after a final quoted string ("superfluous text",
	 * HINFO "a" "b" ), so the newline turned blank must not end the record. */
	(*buf)[keep] = '\0';
	return 1;
}

static int load_file(struct loader *ld, FILE *in, const char *name, const char *dir,
                     const uint8_t *origin, const struct file_state *parent)
{
	struct file_state fs = {
	    .in = in,
	    .depth = parent ? parent->depth + 1 : 0,
	    .default_ttl = parent ? parent->default_ttl : NO_TTL,
	    .last_ttl = parent ? parent->last_ttl : NO_TTL,
	};
	char *buf = NULL, *line = NULL;
	size_t cap = 0, linecap = 0;
	int rc;

	if (ld->nfiles >= UINT16_MAX)
		return fail(ld, ILNPDNS_EZONE, name, 0, "too many $INCLUDE files");
	char **files = realloc(ld->files, (ld->nfiles + 1) * sizeof(*files));
	if (!files)
		return fail(ld, ILNPDNS_ENOMEM, name, 0, "out of memory");
	ld->files = files;
	if (!(files[ld->nfiles] = strdup(name)))
		return fail(ld, ILNPDNS_ENOMEM, name, 0, "out of memory");
	fs.file = (uint16_t)ld->nfiles++;
	fs.name = files[fs.file];
	fs.dir = dir;
	if ((rc = set_origin(ld, &fs, origin)))
		return rc;

	for (;;) {
		bool blank_owner = false;
		unsigned start = 0;
		rc = read_record(ld, &fs, &buf, &cap, &line, &linecap, &blank_owner, &start);
		if (rc <= 0)
			break;
		unsigned end = fs.line;
		const char *p = buf;
		while (*p && blank(*p))
			p++;
		if (!*p)
			continue;
		/* Errors name the line where the record starts. */
		fs.line = start;
		if (!blank_owner && buf[0] == '$')
			rc = directive(ld, &fs, buf);
		else
			rc = parse_rr(ld, &fs, buf, blank_owner);
		fs.line = end;
		if (rc)
			break;
	}
	free(buf);
	free(line);
	ldns_rdf_deep_free(fs.origin_rdf);
	return rc;
}

/* ---- sort, check, write ---- */

static int rec_cmp(const void *a, const void *b, void *arg)
{
	const struct rec *x = a, *y = b;
	const uint8_t *ar = arg;
	size_t m = x->key_len < y->key_len ? x->key_len : y->key_len;
	int d = memcmp(ar + x->key_off, ar + y->key_off, m);
	if (d)
		return d;
	if (x->key_len != y->key_len)
		return x->key_len < y->key_len ? -1 : 1;
	if (x->type != y->type)
		return x->type < y->type ? -1 : 1;
	m = x->rdlen < y->rdlen ? x->rdlen : y->rdlen;
	d = memcmp(ar + x->rd_off, ar + y->rd_off, m);
	if (d)
		return d;
	if (x->rdlen != y->rdlen)
		return x->rdlen < y->rdlen ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static bool same_owner(const struct loader *ld, const struct rec *a, const struct rec *b)
{
	return a->key_len == b->key_len &&
	       (a->key_off == b->key_off ||
	        memcmp(ld->arena + a->key_off, ld->arena + b->key_off, a->key_len) == 0);
}

static bool same_rr(const struct loader *ld, const struct rec *a, const struct rec *b)
{
	return a->type == b->type && a->rdlen == b->rdlen &&
	       memcmp(ld->arena + a->rd_off, ld->arena + b->rd_off, a->rdlen) == 0;
}

static void owner_str(const struct loader *ld, const struct rec *r, char *buf, size_t cap)
{
	uint8_t name[ILNPDNS_DNAME_MAXLEN];
	if (ilnpdns_dname_from_key(ld->arena + r->key_off, r->key_len, ld->apex, name) < 0 ||
	    ilnpdns_dname_to_str(name, buf, cap) < 0)
		snprintf(buf, cap, "?");
}

/*
 * Drop duplicates (RFC 2181 5: an RRset has no duplicate RRs), give each
 * RRset one TTL (RFC 2181 5.2: the lowest, with a warning), and refuse
 * CNAME beside other data (RFC 1034 3.6.2; RFC 4035 2.5 allows RRSIG and
 * NSEC). Compacts ld->recs in place.
 */
static int check_records(struct loader *ld, const char *name)
{
	size_t out = 0;
	char o[1024];

	for (size_t i = 0; i < ld->nrecs;) {
		/* One RRset: recs[i..j). */
		size_t j = i + 1;
		uint32_t ttl = ld->recs[i].ttl;
		const struct rec *ttl_diff = NULL;
		size_t first = out;
		ld->recs[out++] = ld->recs[i];
		for (; j < ld->nrecs && same_owner(ld, &ld->recs[i], &ld->recs[j]) &&
		       ld->recs[j].type == ld->recs[i].type;
		     j++) {
			if (ld->recs[j].ttl != ttl) {
				if (!ttl_diff || ld->recs[j].seq < ttl_diff->seq)
					ttl_diff = &ld->recs[j];
				if (ld->recs[j].ttl < ttl)
					ttl = ld->recs[j].ttl;
			}
			if (same_rr(ld, &ld->recs[j], &ld->recs[out - 1]))
				continue;
			ld->recs[out++] = ld->recs[j];
		}
		if (ttl_diff) {
			owner_str(ld, &ld->recs[first], o, sizeof(o));
			warn(ld, ld->files[ttl_diff->file], ttl_diff->line,
			     "TTLs differ within the RRset %s type %u; using the lowest, %u (RFC "
			     "2181 5.2)",
			     o, ld->recs[first].type, ttl);
		}
		for (size_t k = first; k < out; k++)
			ld->recs[k].ttl = ttl;
		if (out - first > UINT16_MAX)
			return fail(ld, ILNPDNS_EZONE, ld->files[ld->recs[first].file],
			            ld->recs[first].line, "RRset with more than 65535 records");
		i = j;
	}
	ld->nrecs = out;

	for (size_t i = 0; i < ld->nrecs;) {
		size_t j = i;
		const struct rec *cname = NULL, *other = NULL, *cname2 = NULL;
		for (; j < ld->nrecs && same_owner(ld, &ld->recs[i], &ld->recs[j]); j++) {
			const struct rec *r = &ld->recs[j];
			if (r->type == ILNPDNS_T_CNAME) {
				if (cname && !cname2)
					cname2 = r;
				else if (!cname)
					cname = r;
			} else if (r->type != ILNPDNS_T_RRSIG && r->type != ILNPDNS_T_NSEC &&
			           !other) {
				other = r;
			}
		}
		if (cname && (other || cname2)) {
			const struct rec *late = other ? other : cname2;
			if (cname->seq > late->seq)
				late = cname;
			owner_str(ld, cname, o, sizeof(o));
			return fail(ld, ILNPDNS_EZONE, ld->files[late->file], late->line,
			            other ? "CNAME and other data at %s (RFC 1034 3.6.2)"
			                  : "more than one CNAME at %s",
			            o);
		}
		i = j;
	}
	if (ld->soa_count == 0)
		return fail(ld, ILNPDNS_EZONE, name, 0, "no SOA record at the zone apex");
	return 0;
}

static int write_zone(struct loader *ld, struct store *st, uint32_t ilnp_ttl,
                      struct zoneload_result *res, const char *name)
{
	struct store_txn *txn;
	struct store_zone zone;
	uint8_t *buf = NULL;
	size_t cap = 0;
	int rc = store_txn_begin(st, true, &txn);

	if (rc)
		return fail(ld, rc, name, 0, "cannot begin a write transaction: %s",
		            ilnpdns_strerror(rc));
	if ((rc = store_zone_reset(txn, ld->apex, ilnp_ttl, &zone)))
		goto fail;
	for (size_t i = 0; i < ld->nrecs;) {
		size_t j = i, len = 0;
		for (; j < ld->nrecs && same_owner(ld, &ld->recs[i], &ld->recs[j]) &&
		       ld->recs[j].type == ld->recs[i].type;
		     j++)
			len += 2 + (size_t)ld->recs[j].rdlen;
		if (len > cap) {
			size_t c = cap ? cap : 4096;
			while (c < len)
				c *= 2;
			uint8_t *b = realloc(buf, c);
			if (!b) {
				rc = ILNPDNS_ENOMEM;
				goto fail;
			}
			buf = b;
			cap = c;
		}
		size_t o = 0;
		for (size_t k = i; k < j; k++) {
			ilnpdns_put16(buf + o, ld->recs[k].rdlen);
			memcpy(buf + o + 2, ld->arena + ld->recs[k].rd_off, ld->recs[k].rdlen);
			o += 2 + (size_t)ld->recs[k].rdlen;
		}
		const struct rec *r = &ld->recs[i];
		rc = store_rrset_put(txn, &zone, ld->arena + r->key_off, r->key_len, r->type,
		                     r->ttl, (uint16_t)(j - i), buf, o);
		if (rc) {
			fail(ld, rc, ld->files[r->file], r->line, "cannot store RRset: %s",
			     ilnpdns_strerror(rc));
			goto abort;
		}
		res->rrsets++;
		res->records += j - i;
		i = j;
	}
	if ((rc = store_zone_set_serial(txn, &zone, ld->serial)))
		goto fail;
	/* The old journal no longer leads to this content: IXFR must fall back to a full zone. */
	if ((rc = store_journal_trim(txn, &zone, 0, NULL)))
		goto fail;
	free(buf);
	if ((rc = store_txn_commit(txn)))
		return fail(ld, rc, name, 0, "commit failed: %s", ilnpdns_strerror(rc));
	return 0;

fail:
	fail(ld, rc, name, 0, "store: %s", ilnpdns_strerror(rc));
abort:
	free(buf);
	store_txn_abort(txn);
	res->rrsets = res->records = 0;
	return rc;
}

static int load(struct store *st, const uint8_t *apex, FILE *in, const char *name, const char *dir,
                uint32_t ilnp_ttl, struct zoneload_result *res, char *err, size_t errlen)
{
	struct loader ld = {
	    .apex = apex,
	    .apex_labels = ilnpdns_dname_labels(apex),
	    .err = err,
	    .errlen = errlen,
	};
	struct zoneload_result dummy;
	struct timespec t0, t1;
	int rc;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (!res)
		res = &dummy;
	memset(res, 0, sizeof(*res));
	if (errlen)
		err[0] = '\0';
	/* The arena exists from the start: offsets into it are never taken
	 * from a null pointer, even for a zone of empty keys and RDATA. */
	ld.arena_cap = 1 << 16;
	if (!(ld.wire = ldns_buffer_new(1024)) || !(ld.arena = malloc(ld.arena_cap))) {
		ldns_buffer_free(ld.wire);
		return fail(&ld, ILNPDNS_ENOMEM, name, 0, "out of memory");
	}

	rc = load_file(&ld, in, name, dir, apex, NULL);
	if (rc == 0) {
		if (ld.nrecs > 1) /* qsort_r(NULL, 0, ...) is undefined (UBSan, fuzz_zoneload) */
			qsort_r(ld.recs, ld.nrecs, sizeof(*ld.recs), rec_cmp, ld.arena);
		rc = check_records(&ld, name);
	}
	if (rc == 0)
		rc = write_zone(&ld, st, ilnp_ttl, res, name);
	if (rc == 0) {
		res->serial = ld.serial;
		res->warnings = ld.warnings;
		clock_gettime(CLOCK_MONOTONIC, &t1);
		res->seconds =
		    (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	}
	for (size_t i = 0; i < ld.nfiles; i++)
		free(ld.files[i]);
	free(ld.files);
	free(ld.recs);
	free(ld.arena);
	free(ld.text);
	ldns_buffer_free(ld.wire);
	return rc;
}

int zoneload_stream(struct store *st, const uint8_t *apex, FILE *in, const char *name,
                    uint32_t ilnp_ttl, struct zoneload_result *res, char *err, size_t errlen)
{
	return load(st, apex, in, name, NULL, ilnp_ttl, res, err, errlen);
}

int zoneload_file(struct store *st, const uint8_t *apex, const char *path, uint32_t ilnp_ttl,
                  struct zoneload_result *res, char *err, size_t errlen)
{
	FILE *in = fopen(path, "r");
	if (!in) {
		int e = errno;
		snprintf(err, errlen, "%s: cannot open: %s", path, strerror(e));
		return -e;
	}
	char *dcopy = strdup(path);
	int rc = dcopy ? load(st, apex, in, path, dirname(dcopy), ilnp_ttl, res, err, errlen)
	               : ILNPDNS_ENOMEM;
	free(dcopy);
	fclose(in);
	return rc;
}
