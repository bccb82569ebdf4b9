/* SPDX-License-Identifier: BSD-2-Clause */
/* zonedump.c -- print a stored zone as a master file that BIND, NSD and Knot accept. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ldns/ldns.h>

#include "ilnpdns/dname.h"
#include "ilnpdns/error.h"
#include "ilnpdns/ilnp.h"
#include "ilnpdns/wire.h"
#include "store.h"
#include "zoneload.h"

struct dump {
	const struct store_zone *zone;
	FILE *out;
	uint8_t *wire; /* scratch RR for ldns_wire2rr */
	size_t wire_cap;
	int rc;
};

/* RFC 3597 5 generic form: always parseable, whatever the type. */
static void print_generic(FILE *out, const uint8_t *rd, uint16_t rdlen)
{
	fprintf(out, "\\# %u", rdlen);
	if (rdlen)
		fputc(' ', out);
	for (uint16_t i = 0; i < rdlen; i++)
		fprintf(out, "%02x", rd[i]);
}

/*
 * Does ldns read text back as exactly this RDATA? Its printer writes some
 * values that its parser refuses or changes (WKS ports by service name, a
 * KEY without key data): those go out in the generic form.
 */
static bool reads_back(uint16_t type, const char *text, const uint8_t *rd, uint16_t rdlen)
{
	char *line = NULL;
	ldns_rr *rr = NULL;
	ldns_buffer *b = ldns_buffer_new(rdlen + 16u);
	bool same = false;
	if (b && asprintf(&line, ". 0 IN %s %s", ldns_rr_descript(type)->_name, text) >= 0 &&
	    ldns_rr_new_frm_str(&rr, line, 0, NULL, NULL) == LDNS_STATUS_OK &&
	    ldns_rr_get_type(rr) == type && ldns_rr_rdata2buffer_wire(b, rr) == LDNS_STATUS_OK)
		same = ldns_buffer_position(b) == rdlen &&
		       memcmp(ldns_buffer_begin(b), rd, rdlen) == 0;
	ldns_rr_free(rr);
	ldns_buffer_free(b);
	free(line);
	return same;
}

/* RDATA through ldns's printer; false when ldns cannot parse, print or read it back. */
static bool print_ldns(struct dump *d, uint16_t type, const uint8_t *rd, uint16_t rdlen)
{
	size_t need = 1 + 10 + (size_t)rdlen;
	if (need > d->wire_cap) {
		uint8_t *w = realloc(d->wire, need);
		if (!w)
			return false;
		d->wire = w;
		d->wire_cap = need;
	}
	/* Root owner, type, class IN, TTL 0, RDLENGTH, RDATA. */
	uint8_t *w = d->wire;
	w[0] = 0;
	ilnpdns_put16(w + 1, type);
	ilnpdns_put16(w + 3, ILNPDNS_C_IN);
	ilnpdns_put32(w + 5, 0);
	ilnpdns_put16(w + 9, rdlen);
	memcpy(w + 11, rd, rdlen);

	ldns_rr *rr = NULL;
	size_t pos = 0;
	if (ldns_wire2rr(&rr, w, need, &pos, LDNS_SECTION_ANSWER) != LDNS_STATUS_OK)
		return false;
	bool ok = pos == need && ldns_rr_rd_count(rr) > 0;
	char *parts[64];
	size_t n = ldns_rr_rd_count(rr);
	if (n > 64)
		ok = false;
	size_t done = 0;
	for (; ok && done < n; done++) {
		const ldns_rdf *f = ldns_rr_rdf(rr, done);
		/* Names through our printer: ldns leaves '"' unescaped, which the
		 * import then reads as the start of a string (RFC 1035 5.1). */
		if (ldns_rdf_get_type(f) == LDNS_RDF_TYPE_DNAME) {
			size_t cap = 4 * ILNPDNS_DNAME_MAXLEN + 1;
			if (!(parts[done] = malloc(cap)) ||
			    ilnpdns_dname_to_str(ldns_rdf_data(f), parts[done], cap) < 0) {
				free(parts[done]);
				ok = false;
				break;
			}
			continue;
		}
		/* ldns prints an unknown-type rdf as hex without the \# header. */
		if (ldns_rdf_get_type(f) == LDNS_RDF_TYPE_UNKNOWN ||
		    !(parts[done] = ldns_rdf2str(f))) {
			ok = false;
			break;
		}
	}
	char *text = NULL;
	size_t textlen = 0;
	FILE *t = ok ? open_memstream(&text, &textlen) : NULL;
	if (t) {
		for (size_t i = 0; i < n; i++)
			fprintf(t, "%s%s", i ? " " : "", parts[i]);
		ok = fclose(t) == 0 && reads_back(type, text, rd, rdlen);
	}
	if (ok && t)
		fputs(text, d->out);
	free(text);
	for (size_t i = 0; i < done; i++)
		free(parts[i]);
	ldns_rr_free(rr);
	return ok && t;
}

/* True when ldns has a descriptor with a mnemonic for type (not a gap entry). */
static bool type_known(uint16_t type)
{
	const ldns_rr_descriptor *desc = ldns_rr_descript(type);
	return type != 0 && desc && desc->_type == type && desc->_name &&
	       strncmp(desc->_name, "TYPE", 4) != 0;
}

static void type_str(uint16_t type, char *buf, size_t cap)
{
	if (type_known(type))
		snprintf(buf, cap, "%s", ldns_rr_descript(type)->_name);
	else
		snprintf(buf, cap, "TYPE%u", type);
}

static int print_rrset(struct dump *d, const uint8_t *owner, const struct store_rrset *rs)
{
	char name[4 * ILNPDNS_DNAME_MAXLEN + 1], type[32], ilnp[ILNPDNS_ILNP_STR_MAX];
	uint32_t ttl = store_served_ttl(d->zone, rs);

	if (ilnpdns_dname_to_str(owner, name, sizeof(name)) < 0)
		return ILNPDNS_ENAME;
	type_str(rs->type, type, sizeof(type));
	bool known = type_known(rs->type);

	size_t pos = 0;
	const uint8_t *rd;
	uint16_t rdlen;
	while (store_rrset_next_rdata(rs, &pos, &rd, &rdlen)) {
		fprintf(d->out, "%s\t%u\tIN\t%s\t", name, ttl, type);
		if (ilnpdns_type_is_ilnp(rs->type) &&
		    ilnpdns_ilnp_rdata_to_str(rs->type, rd, rdlen, ilnp, sizeof(ilnp)) >= 0)
			fputs(ilnp, d->out);
		else if (!known || !print_ldns(d, rs->type, rd, rdlen))
			print_generic(d->out, rd, rdlen);
		fputc('\n', d->out);
	}
	return ferror(d->out) ? ILNPDNS_EIO : 0;
}

static int dump_one(const uint8_t *key, size_t keylen, const struct store_rrset *rs, void *arg)
{
	struct dump *d = arg;
	uint8_t owner[ILNPDNS_DNAME_MAXLEN];

	if (keylen == 0 && rs->type == ILNPDNS_T_SOA)
		return 0; /* printed first */
	int n = ilnpdns_dname_from_key(key, keylen, d->zone->apex, owner);
	if (n < 0)
		return d->rc = n;
	int rc = print_rrset(d, owner, rs);
	return rc ? (d->rc = rc) : 0;
}

int zonedump_write(struct store_txn *txn, const struct store_zone *zone, FILE *out)
{
	struct dump d = {.zone = zone, .out = out};
	struct store_rrset soa;
	uint8_t apex[ILNPDNS_DNAME_MAXLEN], nokey[1] = {0};
	int rc;

	/* The SOA first (RFC 1035 5.2: it starts the zone); the rest in
	 * canonical order, which is the store's key order. */
	memcpy(apex, zone->apex, zone->apex_len);
	if ((rc = store_rrset_get(txn, zone, nokey, 0, ILNPDNS_T_SOA, &soa)))
		return rc == ILNPDNS_ENOENT ? ILNPDNS_EZONE : rc;
	if ((rc = print_rrset(&d, apex, &soa)))
		goto out;
	rc = store_zone_foreach_rrset(txn, zone, dump_one, &d);
	if (d.rc)
		rc = d.rc;
	if (rc == 0 && fflush(out) != 0)
		rc = ILNPDNS_EIO;
out:
	free(d.wire);
	return rc;
}
