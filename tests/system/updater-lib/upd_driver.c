/* SPDX-License-Identifier: BSD-2-Clause */
/* upd_driver.c -- drives the updater library from a line script for the updater-lib system test. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ilnpdns/dname.h"
#include "ilnpdns/error.h"
#include "ilnpdns/ilnp.h"
#include "ilnpdns/updater.h"
#include "ilnpdns/wire.h"

/*
 * upd_driver -z ZONE -s SERVER [-s SERVER...] [-y alg:name:secret] [-k sig0-key]
 *            [-r first-rto-ms] [-a attempts-per-server] [-T] [-d]
 * then reads commands, one per line, from stdin:
 *   add RR-TEXT | del TEXT | prereq RR-TEXT | yxdomain NAME | nxdomain NAME |
 *   yxrrset NAME TYPE | nxrrset NAME TYPE        build the pending message
 *   send                                          send it, print the result
 *   setloc NAME PREF/LOC64[,PREF/LOC64...]        set locators (or "-": none)
 *   guard marker|rrset   read NAME   forget NAME   rtt   sleep MS
 * Each result is one line of key=value pairs on stdout.
 */

static struct ilnpdns_upd_client *client;
static struct ilnpdns_upd_msg *pending;
static uint8_t zone[ILNPDNS_DNAME_MAXLEN];
static struct ilnpdns_upd_locopts locopts;

static void trace(const char *line, void *arg)
{
	(void)arg;
	fprintf(stderr, "trace: %s\n", line);
}

static void print_result(const char *what, const struct ilnpdns_upd_result *res)
{
	const struct ilnpdns_upd_rtt *r =
	    ilnpdns_upd_client_rtt(client, res->server >= 0 ? (size_t)res->server : 0);

	printf("%s rcode=%d tsig_error=%u err=%d attempts=%u queries=%u rounds=%u confirmed=%d "
	       "servers=%u "
	       "server=%s tcp=%d elapsed_us=%llu srtt_us=%u rto_us=%u offset=%lld\n",
	       what, res->rcode, res->tsig_error, res->err, res->attempts, res->queries,
	       res->rounds, res->confirmed_by_query, res->servers_tried,
	       res->server >= 0 ? res->server_str : "-", res->tcp,
	       (unsigned long long)res->elapsed_us, r ? r->srtt_us : 0, r ? r->rto_us : 0,
	       (long long)res->clock_offset);
	fflush(stdout);
}

static int ensure_pending(void)
{
	if (pending == NULL)
		return ilnpdns_upd_msg_new(zone, &pending);
	return 0;
}

static int name_arg(const char *s, uint8_t *out)
{
	return ilnpdns_ilnp_name_from_str(s, strlen(s), zone, out) < 0 ? -1 : 0;
}

static int parse_locs(char *list, struct ilnpdns_upd_locset *set)
{
	memset(set, 0, sizeof(*set));
	if (strcmp(list, "-") == 0)
		return 0;
	for (char *tok = strtok(list, ","); tok != NULL; tok = strtok(NULL, ",")) {
		char *slash = strchr(tok, '/');

		if (slash == NULL || set->n64 == ILNPDNS_UPD_LOC_MAX)
			return -1;
		if (ilnpdns_ilnp_pref_from_str(tok, (size_t)(slash - tok),
		                               &set->l64[set->n64].pref) < 0 ||
		    ilnpdns_ilnp_loc64_from_str(slash + 1, strlen(slash + 1),
		                                set->l64[set->n64].loc) < 0)
			return -1;
		set->n64++;
	}
	return 0;
}

static int command(char *line)
{
	char err[256] = "", *arg, *arg2;
	uint8_t name[ILNPDNS_DNAME_MAXLEN];
	struct ilnpdns_upd_result res;
	int rc = 0;

	line[strcspn(line, "\n")] = '\0';
	arg = strchr(line, ' ');
	if (arg != NULL)
		*arg++ = '\0';
	else
		arg = line + strlen(line);
	if (line[0] == '\0' || line[0] == '#')
		return 0;
	if (strcmp(line, "add") == 0 || strcmp(line, "del") == 0 || strcmp(line, "prereq") == 0) {
		if ((rc = ensure_pending()) < 0)
			return rc;
		if (line[0] == 'a')
			rc = ilnpdns_upd_add_str(pending, arg, 0, err, sizeof(err));
		else if (line[0] == 'd')
			rc = ilnpdns_upd_del_str(pending, arg, err, sizeof(err));
		else
			rc = ilnpdns_upd_prereq_rr_str(pending, arg, err, sizeof(err));
	} else if (strcmp(line, "yxdomain") == 0 || strcmp(line, "nxdomain") == 0) {
		if ((rc = ensure_pending()) < 0 || name_arg(arg, name) < 0)
			return rc < 0 ? rc : ILNPDNS_ENAME;
		rc = line[0] == 'y' ? ilnpdns_upd_prereq_yxdomain(pending, name)
		                    : ilnpdns_upd_prereq_nxdomain(pending, name);
	} else if (strcmp(line, "yxrrset") == 0 || strcmp(line, "nxrrset") == 0) {
		arg2 = strchr(arg, ' ');
		if (arg2 == NULL)
			return ILNPDNS_ESYNTAX;
		*arg2++ = '\0';
		if ((rc = ensure_pending()) < 0 || name_arg(arg, name) < 0)
			return rc < 0 ? rc : ILNPDNS_ENAME;
		uint16_t t = ilnpdns_upd_type_from_str(arg2);
		rc = line[0] == 'y' ? ilnpdns_upd_prereq_yxrrset(pending, name, t)
		                    : ilnpdns_upd_prereq_nxrrset(pending, name, t);
	} else if (strcmp(line, "send") == 0) {
		if ((rc = ensure_pending()) < 0)
			return rc;
		ilnpdns_upd_send_sync(client, pending, &res);
		print_result("send", &res);
		ilnpdns_upd_result_clear(&res);
		ilnpdns_upd_msg_free(pending);
		pending = NULL;
		rc = 0;
	} else if (strcmp(line, "setloc") == 0) {
		struct ilnpdns_upd_locset set;

		arg2 = strchr(arg, ' ');
		if (arg2 == NULL)
			return ILNPDNS_ESYNTAX;
		*arg2++ = '\0';
		if (name_arg(arg, name) < 0 || parse_locs(arg2, &set) < 0)
			return ILNPDNS_ESYNTAX;
		ilnpdns_upd_set_locators_sync(client, zone, name, &set, &locopts, &res);
		print_result("setloc", &res);
		ilnpdns_upd_result_clear(&res);
	} else if (strcmp(line, "read") == 0) {
		struct ilnpdns_upd_locstate st;

		if (name_arg(arg, name) < 0)
			return ILNPDNS_ENAME;
		rc = ilnpdns_upd_read_locators_sync(client, name, &locopts, &st, &res);
		print_result("read", &res);
		if (rc == 0)
			printf("state marker=%d seq=%llu n64=%zu\n", st.has_marker,
			       (unsigned long long)st.seq, st.set.n64);
		ilnpdns_upd_result_clear(&res);
	} else if (strcmp(line, "forget") == 0) {
		if (name_arg(arg, name) < 0)
			return ILNPDNS_ENAME;
		ilnpdns_upd_forget(client, name);
	} else if (strcmp(line, "guard") == 0) {
		locopts.guard =
		    strcmp(arg, "rrset") == 0 ? ILNPDNS_UPD_GUARD_RRSET : ILNPDNS_UPD_GUARD_MARKER;
	} else if (strcmp(line, "rtt") == 0) {
		const struct ilnpdns_upd_rtt *r = ilnpdns_upd_client_rtt(client, 0);

		printf("rtt srtt_us=%u rttvar_us=%u rto_us=%u samples=%u\n", r->srtt_us,
		       r->rttvar_us, r->rto_us, r->samples);
	} else if (strcmp(line, "sleep") == 0) {
		usleep((useconds_t)atoi(arg) * 1000u);
	} else {
		fprintf(stderr, "unknown command '%s'\n", line);
		return ILNPDNS_ESYNTAX;
	}
	if (rc < 0)
		fprintf(stderr, "%s %s: %s %s\n", line, arg, ilnpdns_strerror(rc), err);
	fflush(stdout);
	return rc;
}

int main(int argc, char **argv)
{
	struct ilnpdns_upd_config cfg;
	struct ilnpdns_upd_auth auth = {0};
	struct ilnpdns_sig0_key *sig0 = NULL;
	char line[4096], err[256];
	const char *servers[ILNPDNS_UPD_SERVERS_MAX];
	size_t nservers = 0;
	bool debug = false;
	int opt, rc, status = 0;

	ilnpdns_upd_config_default(&cfg);
	while ((opt = getopt(argc, argv, "z:s:y:k:r:a:Td")) != -1) {
		switch (opt) {
		case 'z':
			if (ilnpdns_dname_from_str(optarg, zone) < 0)
				return 2;
			break;
		case 's':
			if (nservers == ILNPDNS_UPD_SERVERS_MAX)
				return 2;
			servers[nservers++] = optarg;
			break;
		case 'y':
			auth.kind = ILNPDNS_UPD_AUTH_TSIG;
			if (ilnpdns_tsig_key_from_y(&auth.tsig, optarg, 0, err, sizeof(err)) < 0) {
				fprintf(stderr, "-y: %s\n", err);
				return 2;
			}
			break;
		case 'k':
			if ((rc = ilnpdns_sig0_key_load(optarg, &sig0)) < 0) {
				fprintf(stderr, "-k: %s\n", ilnpdns_strerror(rc));
				return 2;
			}
			auth.kind = ILNPDNS_UPD_AUTH_SIG0;
			auth.sig0 = sig0;
			break;
		case 'r':
			cfg.rtt.initial_rto_us = (uint32_t)atoi(optarg) * 1000u;
			break;
		case 'a':
			cfg.attempts_per_server = (unsigned)atoi(optarg);
			break;
		case 'T':
			cfg.tcp = true;
			break;
		case 'd':
			debug = true;
			break;
		default:
			return 2;
		}
	}
	if (ilnpdns_upd_client_new(NULL, &cfg, &client) < 0)
		return 2;
	for (size_t i = 0; i < nservers; i++) {
		if (ilnpdns_upd_client_add_server(client, servers[i]) < 0) {
			fprintf(stderr, "bad server %s\n", servers[i]);
			return 2;
		}
	}
	if (debug)
		ilnpdns_upd_client_set_trace(client, trace, NULL);
	ilnpdns_upd_client_set_auth(client, &auth);
	while (fgets(line, sizeof(line), stdin) != NULL)
		if (command(line) < 0)
			status = 1;
	ilnpdns_upd_msg_free(pending);
	ilnpdns_upd_client_free(client);
	ilnpdns_sig0_key_free(sig0);
	return status;
}
