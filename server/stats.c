/* SPDX-License-Identifier: BSD-2-Clause */
/* stats.c -- count requests and updates per thread; render the sums as JSON or Prometheus text. */
#include <inttypes.h>
#include <stdbool.h>
#include <string.h>

#include "cookie.h"
#include "ilnpdns/wire.h"
#include "stats.h"

/*
 * Names follow the IANA registries' mnemonics so that JSON keys and
 * Prometheus labels read like dig output; a type without a name here is
 * shown as TYPEnnn (RFC 3597 section 5), an unnamed RCODE as its number.
 */
static const char *type_name(unsigned t)
{
	switch (t) {
	case ILNPDNS_T_A:
		return "A";
	case ILNPDNS_T_NS:
		return "NS";
	case ILNPDNS_T_CNAME:
		return "CNAME";
	case ILNPDNS_T_SOA:
		return "SOA";
	case ILNPDNS_T_PTR:
		return "PTR";
	case ILNPDNS_T_HINFO:
		return "HINFO";
	case ILNPDNS_T_MX:
		return "MX";
	case ILNPDNS_T_TXT:
		return "TXT";
	case ILNPDNS_T_SIG:
		return "SIG";
	case ILNPDNS_T_KEY:
		return "KEY";
	case ILNPDNS_T_AAAA:
		return "AAAA";
	case ILNPDNS_T_SRV:
		return "SRV";
	case 35:
		return "NAPTR";
	case ILNPDNS_T_DNAME:
		return "DNAME";
	case ILNPDNS_T_OPT:
		return "OPT";
	case ILNPDNS_T_DS:
		return "DS";
	case 44:
		return "SSHFP";
	case ILNPDNS_T_RRSIG:
		return "RRSIG";
	case ILNPDNS_T_NSEC:
		return "NSEC";
	case ILNPDNS_T_DNSKEY:
		return "DNSKEY";
	case 50:
		return "NSEC3";
	case 51:
		return "NSEC3PARAM";
	case 52:
		return "TLSA";
	case 64:
		return "SVCB";
	case 65:
		return "HTTPS";
	case ILNPDNS_T_NID:
		return "NID";
	case ILNPDNS_T_L32:
		return "L32";
	case ILNPDNS_T_L64:
		return "L64";
	case ILNPDNS_T_LP:
		return "LP";
	case ILNPDNS_T_TKEY:
		return "TKEY";
	case ILNPDNS_T_TSIG:
		return "TSIG";
	case ILNPDNS_T_IXFR:
		return "IXFR";
	case ILNPDNS_T_AXFR:
		return "AXFR";
	case ILNPDNS_T_MAILB:
		return "MAILB";
	case ILNPDNS_T_MAILA:
		return "MAILA";
	case ILNPDNS_T_ANY:
		return "ANY";
	default:
		return NULL;
	}
}

static const char *const rcode_names[STATS_RCODES] = {
    [ILNPDNS_RCODE_NOERROR] = "NOERROR",
    [ILNPDNS_RCODE_FORMERR] = "FORMERR",
    [ILNPDNS_RCODE_SERVFAIL] = "SERVFAIL",
    [ILNPDNS_RCODE_NXDOMAIN] = "NXDOMAIN",
    [ILNPDNS_RCODE_NOTIMP] = "NOTIMP",
    [ILNPDNS_RCODE_REFUSED] = "REFUSED",
    [ILNPDNS_RCODE_YXDOMAIN] = "YXDOMAIN",
    [ILNPDNS_RCODE_YXRRSET] = "YXRRSET",
    [ILNPDNS_RCODE_NXRRSET] = "NXRRSET",
    [ILNPDNS_RCODE_NOTAUTH] = "NOTAUTH",
    [ILNPDNS_RCODE_NOTZONE] = "NOTZONE",
    [ILNPDNS_RCODE_BADVERS] = "BADVERS",
    [17] = "BADKEY",
    [18] = "BADTIME",
    [19] = "BADMODE",
    [20] = "BADNAME",
    [21] = "BADALG",
    [22] = "BADTRUNC",
    [ILNPDNS_RCODE_BADCOOKIE] = "BADCOOKIE",
};

static const char *const opcode_names[16] = {
    [ILNPDNS_OP_QUERY] = "QUERY",   [1] = "IQUERY", [2] = "STATUS", [ILNPDNS_OP_NOTIFY] = "NOTIFY",
    [ILNPDNS_OP_UPDATE] = "UPDATE", [6] = "DSO",
};

void stats_count(struct stats *s, enum query_transport transport, const struct query_info *info)
{
	s->queries[transport == QUERY_TCP ? QUERY_TCP : QUERY_UDP]++;
	/*
	 * A dropped request has no RCODE and maybe no readable question: it
	 * counts as a drop only, so the by-type and by-rcode sums are those of
	 * the responses sent.
	 */
	if (info->dropped) {
		s->dropped++;
		return;
	}
	s->opcode[info->opcode & 0xf]++;
	if (info->qtype < 256)
		s->qtype[info->qtype]++;
	else
		s->qtype_other++;
	if (info->edns)
		s->edns++;
	if (info->rcode < STATS_RCODES)
		s->rcode[info->rcode]++;
	if (info->truncated)
		s->truncated++;
	switch (info->cookie) {
	case COOKIE_CLIENT_ONLY:
		s->cookie_client_only++;
		break;
	case COOKIE_VALID:
		s->cookie_valid++;
		break;
	case COOKIE_INVALID:
		s->cookie_invalid++;
		break;
	default:
		break;
	}
}

void stats_count_update(struct stats *s, enum query_transport transport, uint8_t rcode, bool edns)
{
	unsigned t = transport == QUERY_TCP ? QUERY_TCP : QUERY_UDP;
	s->queries[t]++;
	s->opcode[ILNPDNS_OP_UPDATE]++;
	s->update.received[t]++;
	if (edns)
		s->edns++;
	if (rcode < STATS_RCODES) {
		s->rcode[rcode]++;
		s->update.rcode[rcode]++;
	}
}

void stats_count_batch(struct stats *s, size_t n, bool ok)
{
	s->update.batches++;
	s->update.batched += n;
	if (!ok)
		s->update.commit_failures++;
	unsigned b = n <= 1 ? 0 : n <= 4 ? 1 : n <= 16 ? 2 : n <= 64 ? 3 : 4;
	s->update.batch_size[b]++;
}

static void update_sum(const struct stats_update *u, struct stats_update *out)
{
	for (size_t i = 0; i < 2; i++)
		out->received[i] += u->received[i];
	for (size_t i = 0; i < STATS_RCODES; i++)
		out->rcode[i] += u->rcode[i];
	out->tsig_failures += u->tsig_failures;
	out->sig0_failures += u->sig0_failures;
	out->limited += u->limited;
	out->batches += u->batches;
	out->batched += u->batched;
	out->commit_failures += u->commit_failures;
	for (size_t i = 0; i < 5; i++)
		out->batch_size[i] += u->batch_size[i];
	out->queue_full += u->queue_full;
}

void stats_sum(const struct stats *blocks, size_t n, struct stats *out)
{
	memset(out, 0, sizeof(*out));
	for (size_t b = 0; b < n; b++) {
		const struct stats *s = &blocks[b];
		for (size_t i = 0; i < 2; i++)
			out->queries[i] += s->queries[i];
		for (size_t i = 0; i < 256; i++)
			out->qtype[i] += s->qtype[i];
		out->qtype_other += s->qtype_other;
		for (size_t i = 0; i < STATS_RCODES; i++)
			out->rcode[i] += s->rcode[i];
		for (size_t i = 0; i < 16; i++)
			out->opcode[i] += s->opcode[i];
		out->truncated += s->truncated;
		out->dropped += s->dropped;
		out->edns += s->edns;
		out->tcp_accepted += s->tcp_accepted;
		out->tcp_refused += s->tcp_refused;
		out->tcp_timeouts += s->tcp_timeouts;
		out->cookie_client_only += s->cookie_client_only;
		out->cookie_valid += s->cookie_valid;
		out->cookie_invalid += s->cookie_invalid;
		out->rrl_dropped += s->rrl_dropped;
		out->rrl_slipped += s->rrl_slipped;
		update_sum(&s->update, &out->update);
	}
}

const char *stats_qtype_label(unsigned t, char *buf, size_t cap)
{
	const char *n = t < 65536 ? type_name(t) : NULL;
	if (n != NULL)
		return n;
	snprintf(buf, cap, "TYPE%u", t);
	return buf;
}

const char *stats_rcode_label(unsigned r, char *buf, size_t cap)
{
	if (r < STATS_RCODES && rcode_names[r] != NULL)
		return rcode_names[r];
	snprintf(buf, cap, "RCODE%u", r);
	return buf;
}

static const char *opcode_label(unsigned o, char *buf, size_t cap)
{
	if (opcode_names[o] != NULL)
		return opcode_names[o];
	snprintf(buf, cap, "OPCODE%u", o);
	return buf;
}

static const char *const batch_labels[5] = {"1", "2-4", "5-16", "17-64", "65+"};

/* The "update" member: received by transport, answers by RCODE (non-zero only), the rest always. */
static void update_write_json(const struct stats_update *u, FILE *out)
{
	char buf[16];
	bool first = true;

	fprintf(out,
	        "\"update\":{\"received\":{\"udp\":%" PRIu64 ",\"tcp\":%" PRIu64 "},\"rcode\":{",
	        u->received[QUERY_UDP], u->received[QUERY_TCP]);
	for (unsigned r = 0; r < STATS_RCODES; r++) {
		if (u->rcode[r] == 0)
			continue;
		fprintf(out, "%s\"%s\":%" PRIu64, first ? "" : ",",
		        stats_rcode_label(r, buf, sizeof(buf)), u->rcode[r]);
		first = false;
	}
	fprintf(out,
	        "},\"tsig_failures\":%" PRIu64 ",\"sig0_failures\":%" PRIu64 ",\"limited\":%" PRIu64
	        ",\"batches\":%" PRIu64 ",\"batched\":%" PRIu64 ",\"commit_failures\":%" PRIu64
	        ",\"batch_size\":{",
	        u->tsig_failures, u->sig0_failures, u->limited, u->batches, u->batched,
	        u->commit_failures);
	for (unsigned b = 0; b < 5; b++)
		fprintf(out, "%s\"%s\":%" PRIu64, b ? "," : "", batch_labels[b], u->batch_size[b]);
	fprintf(out, "},\"queue_full\":%" PRIu64 "}", u->queue_full);
}

/*
 * JSON: counts of zero are left out of the by-type, by-rcode and by-opcode
 * objects (256 mostly empty entries help nobody); the fixed counters are
 * always present.
 */
void stats_write_json(const struct stats *s, FILE *out)
{
	char buf[16];
	bool first;

	fprintf(out,
	        "{\"queries\":{\"udp\":%" PRIu64 ",\"tcp\":%" PRIu64 ",\"total\":%" PRIu64 "},",
	        s->queries[QUERY_UDP], s->queries[QUERY_TCP],
	        s->queries[QUERY_UDP] + s->queries[QUERY_TCP]);
	fputs("\"qtype\":{", out);
	first = true;
	for (unsigned t = 0; t < 256; t++) {
		if (s->qtype[t] == 0)
			continue;
		fprintf(out, "%s\"%s\":%" PRIu64, first ? "" : ",",
		        stats_qtype_label(t, buf, sizeof(buf)), s->qtype[t]);
		first = false;
	}
	if (s->qtype_other != 0)
		fprintf(out, "%s\"other\":%" PRIu64, first ? "" : ",", s->qtype_other);
	fputs("},\"rcode\":{", out);
	first = true;
	for (unsigned r = 0; r < STATS_RCODES; r++) {
		if (s->rcode[r] == 0)
			continue;
		fprintf(out, "%s\"%s\":%" PRIu64, first ? "" : ",",
		        stats_rcode_label(r, buf, sizeof(buf)), s->rcode[r]);
		first = false;
	}
	fputs("},\"opcode\":{", out);
	first = true;
	for (unsigned o = 0; o < 16; o++) {
		if (s->opcode[o] == 0)
			continue;
		fprintf(out, "%s\"%s\":%" PRIu64, first ? "" : ",",
		        opcode_label(o, buf, sizeof(buf)), s->opcode[o]);
		first = false;
	}
	fprintf(
	    out,
	    "},\"truncated\":%" PRIu64 ",\"dropped\":%" PRIu64 ",\"edns\":%" PRIu64
	    ",\"tcp\":{\"accepted\":%" PRIu64 ",\"refused\":%" PRIu64 ",\"timeouts\":%" PRIu64 "},",
	    s->truncated, s->dropped, s->edns, s->tcp_accepted, s->tcp_refused, s->tcp_timeouts);
	fprintf(out,
	        "\"cookies\":{\"client_only\":%" PRIu64 ",\"valid\":%" PRIu64
	        ",\"invalid\":%" PRIu64 "},\"rrl\":{\"dropped\":%" PRIu64 ",\"slipped\":%" PRIu64
	        "},",
	        s->cookie_client_only, s->cookie_valid, s->cookie_invalid, s->rrl_dropped,
	        s->rrl_slipped);
	update_write_json(&s->update, out);
	fputs("}\n", out);
}

static void prom_head(FILE *out, const char *name, const char *help)
{
	fprintf(out, "# HELP %s %s\n# TYPE %s counter\n", name, help, name);
}

static void prom_plain(FILE *out, const char *name, const char *help, uint64_t v)
{
	prom_head(out, name, help);
	fprintf(out, "%s %" PRIu64 "\n", name, v);
}

/*
 * Prometheus text exposition format 0.0.4. The transport and the common
 * RCODEs are always exported so that rate() sees a series from zero; qtypes
 * and unusual RCODEs/opcodes appear once counted.
 */
void stats_write_prometheus(const struct stats *s, FILE *out)
{
	char buf[16];

	prom_head(out, "ilnpdns_queries_total", "DNS requests received, by transport.");
	fprintf(out, "ilnpdns_queries_total{transport=\"udp\"} %" PRIu64 "\n",
	        s->queries[QUERY_UDP]);
	fprintf(out, "ilnpdns_queries_total{transport=\"tcp\"} %" PRIu64 "\n",
	        s->queries[QUERY_TCP]);

	prom_head(out, "ilnpdns_queries_by_qtype_total", "DNS requests received, by QTYPE.");
	for (unsigned t = 0; t < 256; t++)
		if (s->qtype[t] != 0)
			fprintf(out, "ilnpdns_queries_by_qtype_total{qtype=\"%s\"} %" PRIu64 "\n",
			        stats_qtype_label(t, buf, sizeof(buf)), s->qtype[t]);
	fprintf(out, "ilnpdns_queries_by_qtype_total{qtype=\"other\"} %" PRIu64 "\n",
	        s->qtype_other);

	prom_head(out, "ilnpdns_queries_by_opcode_total", "DNS requests received, by OPCODE.");
	for (unsigned o = 0; o < 16; o++)
		if (s->opcode[o] != 0 || o == ILNPDNS_OP_QUERY)
			fprintf(out, "ilnpdns_queries_by_opcode_total{opcode=\"%s\"} %" PRIu64 "\n",
			        opcode_label(o, buf, sizeof(buf)), s->opcode[o]);

	prom_head(out, "ilnpdns_responses_total", "DNS responses sent, by RCODE.");
	for (unsigned r = 0; r < STATS_RCODES; r++)
		if (s->rcode[r] != 0 || r <= ILNPDNS_RCODE_REFUSED)
			fprintf(out, "ilnpdns_responses_total{rcode=\"%s\"} %" PRIu64 "\n",
			        stats_rcode_label(r, buf, sizeof(buf)), s->rcode[r]);

	prom_plain(out, "ilnpdns_truncated_total", "Responses sent with TC set.", s->truncated);
	prom_plain(out, "ilnpdns_dropped_total", "Requests not answered.", s->dropped);
	prom_plain(out, "ilnpdns_edns_queries_total", "Requests carrying an EDNS(0) OPT record.",
	           s->edns);
	prom_plain(out, "ilnpdns_tcp_accepted_total", "TCP connections accepted.", s->tcp_accepted);
	prom_plain(out, "ilnpdns_tcp_refused_total",
	           "TCP connections refused over a connection limit.", s->tcp_refused);
	prom_plain(out, "ilnpdns_tcp_timeouts_total", "TCP connections closed for idleness.",
	           s->tcp_timeouts);
	prom_head(out, "ilnpdns_cookie_queries_total",
	          "Requests with a DNS COOKIE option (RFC 7873), by what it held.");
	fprintf(out, "ilnpdns_cookie_queries_total{cookie=\"client_only\"} %" PRIu64 "\n",
	        s->cookie_client_only);
	fprintf(out, "ilnpdns_cookie_queries_total{cookie=\"valid\"} %" PRIu64 "\n",
	        s->cookie_valid);
	fprintf(out, "ilnpdns_cookie_queries_total{cookie=\"invalid\"} %" PRIu64 "\n",
	        s->cookie_invalid);
	prom_plain(out, "ilnpdns_rrl_dropped_total",
	           "UDP responses dropped by response rate limiting.", s->rrl_dropped);
	prom_plain(out, "ilnpdns_rrl_slipped_total",
	           "UDP responses sent truncated (TC=1) instead by response rate limiting.",
	           s->rrl_slipped);

	const struct stats_update *u = &s->update;
	prom_head(out, "ilnpdns_updates_total", "DNS UPDATE requests processed, by transport.");
	fprintf(out, "ilnpdns_updates_total{transport=\"udp\"} %" PRIu64 "\n",
	        u->received[QUERY_UDP]);
	fprintf(out, "ilnpdns_updates_total{transport=\"tcp\"} %" PRIu64 "\n",
	        u->received[QUERY_TCP]);
	prom_head(out, "ilnpdns_update_responses_total", "DNS UPDATE responses sent, by RCODE.");
	for (unsigned r = 0; r < STATS_RCODES; r++)
		if (u->rcode[r] != 0 || r <= ILNPDNS_RCODE_NOTZONE)
			fprintf(out, "ilnpdns_update_responses_total{rcode=\"%s\"} %" PRIu64 "\n",
			        stats_rcode_label(r, buf, sizeof(buf)), u->rcode[r]);
	prom_plain(out, "ilnpdns_update_tsig_failures_total",
	           "UPDATE requests whose TSIG failed (BADKEY, BADSIG, BADTIME, BADTRUNC).",
	           u->tsig_failures);
	prom_plain(out, "ilnpdns_update_sig0_failures_total",
	           "UPDATE requests whose SIG(0) failed to verify.", u->sig0_failures);
	prom_plain(
	    out, "ilnpdns_update_limited_total",
	    "Signed UPDATE requests refused unchecked after too many failures from the source.",
	    u->limited);
	prom_plain(out, "ilnpdns_update_batches_total",
	           "Group commits: write transactions holding a batch of updates.", u->batches);
	prom_plain(out, "ilnpdns_update_batched_total", "Updates processed in group commits.",
	           u->batched);
	prom_plain(out, "ilnpdns_update_commit_failures_total",
	           "Group commits that failed (their updates were answered SERVFAIL).",
	           u->commit_failures);
	prom_head(out, "ilnpdns_update_batches_by_size_total",
	          "Group commits, by number of updates.");
	for (unsigned b = 0; b < 5; b++)
		fprintf(out, "ilnpdns_update_batches_by_size_total{size=\"%s\"} %" PRIu64 "\n",
		        batch_labels[b], u->batch_size[b]);
	prom_plain(out, "ilnpdns_update_queue_full_total",
	           "UPDATE requests dropped because the writer's queue was full.", u->queue_full);
}
