/* SPDX-License-Identifier: BSD-2-Clause */
/* exec.c -- ilnpdns-update's send: key, servers, zone discovery by SOA query, outcome printing. */
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include <ldns/ldns.h>

#include "ilnpdns/error.h"
#include "ilnpdns/sig0.h"
#include "ilnpdns/wire.h"
#include "updcli.h"

/* The first key of a BIND key file is the one used (nsupdate -k does the same). */
static int first_key(const struct ilnpdns_tsig_key *key, void *arg)
{
	struct ilnpdns_tsig_key *dst = arg;

	if (dst->secret_len == 0)
		*dst = *key;
	return 0;
}

/* dnssec-keygen names its files K<name>.+<alg>+<tag>.{key,private}. */
static bool is_dnssec_key_path(const char *path)
{
	const char *base = strrchr(path, '/');

	base = base ? base + 1 : path;
	return base[0] == 'K' && strstr(base, ".+") != NULL;
}

static void trace(const char *line, void *arg)
{
	fprintf(arg, ";; %s\n", line);
}

int updcli_exec_init(struct updcli_exec *ex, const struct updcli_params *p, FILE *errf, char *err,
                     size_t errlen)
{
	struct ilnpdns_upd_config cfg;
	int rc;

	memset(ex, 0, sizeof(*ex));
	ex->params = p;
	ex->errf = errf;
	ex->auth.kind = ILNPDNS_UPD_AUTH_NONE;
	if (p->y != NULL) {
		char why[256];

		if ((rc = ilnpdns_tsig_key_from_y(&ex->auth.tsig, p->y, 0, why, sizeof(why))) < 0) {
			snprintf(err, errlen, "-y: %s", why);
			return rc;
		}
		ex->auth.kind = ILNPDNS_UPD_AUTH_TSIG;
	} else if (p->keyfile != NULL && is_dnssec_key_path(p->keyfile)) {
		if ((rc = ilnpdns_sig0_key_load(p->keyfile, &ex->sig0)) < 0) {
			snprintf(err, errlen, "-k %s: %s", p->keyfile, ilnpdns_strerror(rc));
			return rc;
		}
		if (!ilnpdns_sig0_key_has_private(ex->sig0)) {
			snprintf(err, errlen, "-k %s: no private key", p->keyfile);
			return ILNPDNS_EBADKEY;
		}
		ex->auth.kind = ILNPDNS_UPD_AUTH_SIG0;
		ex->auth.sig0 = ex->sig0;
	} else if (p->keyfile != NULL) {
		rc = ilnpdns_keyfile_load(p->keyfile, 0, first_key, &ex->auth.tsig, err, errlen);
		if (rc < 0)
			return rc;
		if (ex->auth.tsig.secret_len == 0) {
			snprintf(err, errlen, "-k %s: no key in the file", p->keyfile);
			return ILNPDNS_ECONF;
		}
		ex->auth.kind = ILNPDNS_UPD_AUTH_TSIG;
	}
	ilnpdns_upd_config_default(&cfg);
	cfg.tcp = p->tcp;
	if (p->timeout_s > 0)
		cfg.deadline_ms = p->timeout_s * 1000;
	if ((rc = ilnpdns_upd_client_new(NULL, &cfg, &ex->client)) < 0) {
		snprintf(err, errlen, "client: %s", ilnpdns_strerror(rc));
		return rc;
	}
	if (p->debug)
		ilnpdns_upd_client_set_trace(ex->client, trace, errf);
	return 0;
}

void updcli_exec_fini(struct updcli_exec *ex)
{
	if (ex->client != NULL)
		ilnpdns_upd_client_free(ex->client);
	ilnpdns_sig0_key_free(ex->sig0);
	memset(ex, 0, sizeof(*ex));
}

/* Add every address of host (a literal or a name) at port; returns how many. */
static int add_host(struct updcli_exec *ex, const char *host, uint16_t port)
{
	struct addrinfo hints = {0}, *res, *ai;
	char serv[8];
	int n = 0;

	hints.ai_socktype = SOCK_DGRAM;
	hints.ai_flags = AI_ADDRCONFIG;
	snprintf(serv, sizeof(serv), "%u", port);
	if (getaddrinfo(host, serv, &hints, &res) != 0)
		return 0;
	for (ai = res; ai != NULL && n < ILNPDNS_UPD_SERVERS_MAX; ai = ai->ai_next)
		if (ilnpdns_upd_client_add_server_sa(ex->client, ai->ai_addr, ai->ai_addrlen) == 0)
			n++;
	freeaddrinfo(res);
	return n;
}

/*
 * Without "server", nsupdate asks the resolvers of /etc/resolv.conf (and
 * 127.0.0.1 when it names none); we send the update to them too (nsupdate
 * would go on to the SOA's MNAME: see the man page).
 */
static int add_default_servers(struct updcli_exec *ex)
{
	FILE *f = fopen("/etc/resolv.conf", "r");
	char line[512], addr[256];
	int n = 0;

	if (f != NULL) {
		while (fgets(line, sizeof(line), f) != NULL)
			if (sscanf(line, " nameserver %255s", addr) == 1)
				n += add_host(ex, addr, 53);
		fclose(f);
	}
	if (n == 0)
		n = add_host(ex, "127.0.0.1", 53);
	return n;
}

/* The owner of the first SOA in section sec of pkt, into zone; false if none. */
static bool soa_owner(const ldns_pkt *pkt, ldns_pkt_section sec, uint8_t *zone)
{
	ldns_rr_list *l = ldns_pkt_get_section_clone(pkt, sec);
	bool found = false;

	for (size_t i = 0; l != NULL && i < ldns_rr_list_rr_count(l) && !found; i++) {
		ldns_rr *rr = ldns_rr_list_rr(l, i);
		ldns_rdf *o = ldns_rr_owner(rr);

		if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_SOA &&
		    ldns_rdf_size(o) <= ILNPDNS_DNAME_MAXLEN) {
			memcpy(zone, ldns_rdf_data(o), ldns_rdf_size(o));
			found = true;
		}
	}
	ldns_rr_list_deep_free(l);
	return found;
}

/*
 * Find the zone of name as nsupdate does: an SOA query for the name; an SOA
 * in the answer or authority section names the zone; without one, try the
 * parent. Prints the reason and returns false when it cannot.
 */
static bool find_zone(struct updcli_exec *ex, struct updcli_session *s, const uint8_t *name,
                      uint8_t *zone)
{
	const uint8_t *q = name;

	for (;;) {
		struct ilnpdns_upd_result res;
		ldns_pkt *pkt = NULL;
		bool found = false;
		int rc = ilnpdns_upd_query_sync(ex->client, q, ILNPDNS_T_SOA, &res);

		if (rc < 0 || res.answer == NULL) {
			fprintf(ex->errf, "; Communication with server failed: %s\n",
			        ilnpdns_strerror(rc < 0 ? rc : ILNPDNS_EMALF));
			ilnpdns_upd_result_clear(&res);
			return false;
		}
		if (res.rcode != ILNPDNS_RCODE_NOERROR && res.rcode != ILNPDNS_RCODE_NXDOMAIN) {
			char b[16];

			fprintf(ex->errf, "response to SOA query was unsuccessful: %s\n",
			        updcli_rcode_name(res.rcode, b, sizeof(b)));
			ilnpdns_upd_result_clear(&res);
			return false;
		}
		if (ex->params->debug)
			fprintf(ex->errf, ";; SOA query for the zone answered %zu octets\n",
			        res.answer_len);
		if (ldns_wire2pkt(&pkt, res.answer, res.answer_len) == LDNS_STATUS_OK) {
			found = soa_owner(pkt, LDNS_SECTION_ANSWER, zone) ||
			        soa_owner(pkt, LDNS_SECTION_AUTHORITY, zone);
			ldns_pkt_free(pkt);
		}
		(void)updcli_session_set_answer(s, res.answer, res.answer_len);
		ilnpdns_upd_result_clear(&res);
		if (found)
			return true;
		if (q[0] == 0)
			break;
		q = ilnpdns_dname_skip(q, 1);
	}
	fprintf(ex->errf, "could not find enclosing zone\n");
	return false;
}

/* RFC 8945 4.2 error names, as nsupdate prints them after NOTAUTH. */
static const char *tsig_error_name(uint16_t err, char *buf, size_t cap)
{
	switch (err) {
	case ILNPDNS_TSIG_BADSIG:
		return "BADSIG";
	case ILNPDNS_TSIG_BADKEY:
		return "BADKEY";
	case ILNPDNS_TSIG_BADTIME:
		return "BADTIME";
	case ILNPDNS_TSIG_BADTRUNC:
		return "BADTRUNC";
	default:
		snprintf(buf, cap, "%u", err);
		return buf;
	}
}

int updcli_exec_send(struct updcli_session *s, void *arg)
{
	struct updcli_exec *ex = arg;
	struct ilnpdns_upd_auth auth = ex->auth;
	struct ilnpdns_upd_result res;
	struct ilnpdns_upd_msg *m = NULL;
	uint8_t zone[ILNPDNS_DNAME_MAXLEN];
	char b[16];
	int rc, n;

	/* A "key" command overrides -y / -k from then on (as in nsupdate). */
	if (s->have_key) {
		auth.kind = ILNPDNS_UPD_AUTH_TSIG;
		auth.tsig = s->key;
	}
	ilnpdns_upd_client_set_auth(ex->client, &auth);
	ilnpdns_upd_client_clear_servers(ex->client);
	n = s->server[0] ? add_host(ex, s->server, s->server_port) : add_default_servers(ex);
	if (n == 0) {
		fprintf(ex->errf, "could not resolve server '%s'\n", s->server);
		return 1;
	}
	rc = ilnpdns_upd_client_set_local(ex->client,
	                                  s->have_local ? (struct sockaddr *)&s->local : NULL,
	                                  s->have_local ? s->local_len : 0);
	if (rc < 0) {
		fprintf(ex->errf, "local: %s\n", ilnpdns_strerror(rc));
		return 1;
	}
	if (s->have_zone)
		memcpy(zone, s->zone, ilnpdns_dname_len(s->zone));
	else if (!find_zone(ex, s, updcli_session_first_name(s), zone))
		return 1;

	rc = updcli_session_build(s, zone, &m);
	if (rc < 0) {
		char zs[1024];

		ilnpdns_dname_to_str(zone, zs, sizeof(zs));
		/* nsupdate would send it and the server answer NOTZONE (RFC 2136 3.1.2). */
		if (rc == ILNPDNS_EZONE)
			fprintf(ex->errf,
			        "update failed: NOTZONE (a name is outside %s; not sent)\n", zs);
		else
			fprintf(ex->errf, "update not sent: %s\n", ilnpdns_strerror(rc));
		return 1;
	}
	if (ex->params->debug) {
		uint8_t *buf = malloc(ILNPDNS_MSG_MAX);
		size_t len;

		if (buf != NULL && ilnpdns_upd_msg_render(m, buf, ILNPDNS_MSG_MAX, &len) == 0)
			updcli_print_message(ex->errf, "Outgoing update query:", buf, len);
		free(buf);
	}
	rc = ilnpdns_upd_send_sync(ex->client, m, &res);
	ilnpdns_upd_msg_free(m);
	if (res.answer != NULL) {
		(void)updcli_session_set_answer(s, res.answer, res.answer_len);
		if (ex->params->debug)
			updcli_print_message(ex->errf, "Reply from update query:", res.answer,
			                     res.answer_len);
	}
	if (rc < 0 && res.rcode < 0) {
		fprintf(ex->errf, "; Communication with server failed: %s\n", ilnpdns_strerror(rc));
		ilnpdns_upd_result_clear(&res);
		return 1;
	}
	if (rc < 0) {
		/* An answer that failed TSIG checks, or an unsigned TSIG error:
		 * nsupdate's two lines, "update failed: NOTAUTH(BADKEY)". */
		fprintf(ex->errf, "; TSIG error with server: %s\n", ilnpdns_strerror(rc));
		fprintf(ex->errf, "update failed: %s", updcli_rcode_name(res.rcode, b, sizeof(b)));
		if (res.tsig_error != 0)
			fprintf(ex->errf, "(%s)", tsig_error_name(res.tsig_error, b, sizeof(b)));
		fputc('\n', ex->errf);
		ilnpdns_upd_result_clear(&res);
		return 1;
	}
	if (res.rcode != ILNPDNS_RCODE_NOERROR) {
		fprintf(ex->errf, "update failed: %s\n",
		        updcli_rcode_name(res.rcode, b, sizeof(b)));
		ilnpdns_upd_result_clear(&res);
		return 1;
	}
	ilnpdns_upd_result_clear(&res);
	return 0;
}
