/* SPDX-License-Identifier: BSD-2-Clause */
/* conf.c -- the ilnpdns-locmgr option table and the checks that need the whole file. */
#include "config.h"

#include <net/if.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>
#include <syslog.h>

#include "ilnpdns/error.h"
#include "ilnpdns/ilnp.h"
#include "ilnpdns/keys.h"
#include "ilnpdns/log.h"
#include "ilnpdns/sig0.h"
#include "locmgr.h"

/*
 * One row per option, as in server/conf.c: the same table reads the file,
 * gives the defaults and writes the sample (ilnpdns-locmgr -n -v prints it).
 * The format is issue 5's; keys the issue did not name have defaults that
 * keep its example valid.
 */

#define SERVERS_MAX 8
#define NIDS_MAX    8
#define HOOK_ARGS   32

static const struct yconf_name mode_names[] = {
    {"host", LOCMGR_HOST},
    {"site", LOCMGR_SITE},
    {NULL, 0},
};

static const struct yconf_name guard_names[] = {
    {"marker", ILNPDNS_UPD_GUARD_MARKER},
    {"rrset", ILNPDNS_UPD_GUARD_RRSET},
    {NULL, 0},
};



static int check_ifname(void *obj, void *field, void *user, char *why, size_t whylen)
{
	const char *name = *(char **)field;
	if (name[0] == '\0' || strlen(name) >= IF_NAMESIZE) {
		snprintf(why, whylen, "an interface name has 1 to %d characters", IF_NAMESIZE - 1);
		return -1;
	}
	return 0;
}

static int check_socket_path(void *obj, void *field, void *user, char *why, size_t whylen)
{
	struct sockaddr_un sun;
	if (strlen(*(char **)field) >= sizeof(sun.sun_path)) {
		snprintf(why, whylen, "socket path longer than %zu characters",
		         sizeof(sun.sun_path) - 1);
		return -1;
	}
	return 0;
}

#define N(field) offsetof(struct locmgr_conf, field)
#define W(field) sizeof(((struct locmgr_conf *)0)->field)

static const struct yconf_key if_keys[] = {
    {.key = "name",
     .type = YCONF_STRING,
     .offset = offsetof(struct locmgr_ifparse, name),
     .flags = YCONF_REQUIRED,
     .check = check_ifname,
     .help = "interface to watch (an uplink)"},
    {.key = "preference",
     .type = YCONF_UINT,
     .offset = offsetof(struct locmgr_ifparse, pref),
     .width = 2,
     .min = 0,
     .max = LOC_PREF_MAX,
     .dflt = "10",
     .help = "L64/L32 preference of its locators, lower is preferred (RFC 6742 2.3)"},
    {.key = NULL},
};

static const struct yconf_key key_keys[] = {
    {.key = "id",
     .type = YCONF_STRING,
     .offset = 0,
     .flags = YCONF_REQUIRED,
     .help = "the TSIG key's name"},
    {.key = "algorithm",
     .type = YCONF_STRING,
     .offset = sizeof(char *),
     .dflt = "hmac-sha256",
     .help = "hmac-sha256, hmac-sha384, hmac-sha512, hmac-sha224 or hmac-sha1"},
    {.key = "secret",
     .type = YCONF_STRING,
     .offset = 2 * sizeof(char *),
     .flags = YCONF_REQUIRED,
     .help = "the shared secret, base64"},
    {.key = NULL},
};

static const struct yconf_key node_keys[] = {
    {.key = "name",
     .type = YCONF_STRING,
     .offset = N(name_text),
     .flags = YCONF_REQUIRED,
     .help = "the node's name (host mode) or the site name its hosts' LP records name (site)"},
    {.key = "zone",
     .type = YCONF_STRING,
     .offset = N(zone_text),
     .flags = YCONF_REQUIRED,
     .help = "the zone the name is in (the UPDATE's zone section)"},
    {.key = "mode",
     .type = YCONF_ENUM,
     .offset = N(mode),
     .width = W(mode),
     .names = mode_names,
     .dflt = "host",
     .help = "host (the node's own L64/L32) or site (a border router's site name)"},
    {.key = "servers",
     .type = YCONF_ADDRS,
     .offset = N(servers),
     .count_offset = N(nservers),
     .min = 1,
     .max = SERVERS_MAX,
     .default_port = 53,
     .flags = YCONF_REQUIRED,
     .help = "primary servers of the zone, tried in order (ip@port)"},
    {.key = "key",
     .type = YCONF_MAP,
     .offset = N(key),
     .sub = key_keys,
     .flags = YCONF_MARK,
     .mark_offset = N(key_set),
     .help = "TSIG key { id, algorithm, secret }"},
    {.key = "key-file",
     .type = YCONF_STRING,
     .offset = N(key_file),
     .help = "BIND key file (tsig-keygen); its first key is used"},
    {.key = "sig0-key-file",
     .type = YCONF_STRING,
     .offset = N(sig0_key_file),
     .help = "SIG(0) key pair (dnssec-keygen -T KEY), either file or their stem"},
    {.key = "nids",
     .type = YCONF_STRINGS,
     .offset = N(nids),
     .count_offset = N(nnids),
     .max = NIDS_MAX,
     .help = "the node's NIDs (host mode): checked, not published (NIDs are not locators)"},
    {.key = "interfaces",
     .type = YCONF_LIST,
     .offset = N(ifs),
     .count_offset = N(nifs),
     .elem_size = sizeof(struct locmgr_ifparse),
     .sub = if_keys,
     .flags = YCONF_REQUIRED,
     .help = "interfaces to watch, each { name, preference }"},
    {.key = "coalesce-ms",
     .type = YCONF_UINT,
     .offset = N(coalesce_ms),
     .width = W(coalesce_ms),
     .min = 0,
     .max = 10000,
     .dflt = "20",
     .help = "changes within this many ms of the first make one update"},
    {.key = "soft-handoff-grace-s",
     .type = YCONF_UINT,
     .offset = N(grace_s),
     .width = W(grace_s),
     .min = 0,
     .max = 86400,
     .dflt = "5",
     .help = "seconds an old locator stays published after a new one appeared"},
    {.key = "ula",
     .type = YCONF_BOOL,
     .offset = N(ula),
     .dflt = "false",
     .help = "count unique local addresses (fc00::/7) as locators (labs, tests)"},
    {.key = "l32",
     .type = YCONF_BOOL,
     .offset = N(l32),
     .dflt = "false",
     .help = "publish L32 records from the interfaces' IPv4 addresses too"},
    {.key = "require-default-route",
     .type = YCONF_BOOL,
     .offset = N(need_route),
     .dflt = "false",
     .help = "a locator counts only while its interface carries a default route"},
    {.key = "guard",
     .type = YCONF_ENUM,
     .offset = N(guard),
     .width = W(guard),
     .names = guard_names,
     .dflt = "marker",
     .help = "marker (TXT ilnp-seq=N, needs TXT rights) or rrset (L64 set prerequisite)"},
    {.key = "marker-name",
     .type = YCONF_STRING,
     .offset = N(marker_text),
     .help = "owner of the marker TXT record (default: the name itself)"},
    {.key = "retry-max-s",
     .type = YCONF_UINT,
     .offset = N(retry_max_s),
     .width = W(retry_max_s),
     .min = 1,
     .max = 3600,
     .dflt = "30",
     .help = "longest wait between tries while the servers do not answer"},
    {.key = "first-timeout-ms",
     .type = YCONF_UINT,
     .offset = N(first_timeout_ms),
     .width = W(first_timeout_ms),
     .min = 1,
     .max = 10000,
     .dflt = "50",
     .help = "retransmission timeout before the first RTT sample"},
    {.key = NULL},
};

static const struct yconf_key daemon_keys[] = {
    {.key = "control",
     .type = YCONF_STRING,
     .offset = N(control),
     .dflt = "/run/ilnpdns-locmgr.sock",
     .check = check_socket_path,
     .help = "status socket read by ilnpdns-locmgr --status (mode 0600)"},
    {.key = "failover-log",
     .type = YCONF_STRING,
     .offset = N(failover_log),
     .help = "file that gets one JSON line per failover (default: the log only)"},
    {.key = "hook",
     .type = YCONF_STRINGS,
     .offset = N(hook),
     .count_offset = N(nhook),
     .max = HOOK_ARGS,
     .help = "command and arguments run after each acknowledged update (no shell)"},
    {.key = "log-level",
     .type = YCONF_ENUM,
     .offset = N(log_level),
     .width = W(log_level),
     .names = yconf_log_levels,
     .dflt = "notice",
     .help = "error, warning, notice, info or debug"},
    {.key = "log",
     .type = YCONF_ENUM,
     .offset = N(log_syslog),
     .width = W(log_syslog),
     .names = yconf_log_targets,
     .dflt = "stderr",
     .help = "stderr or syslog (facility daemon)"},
    {.key = NULL},
};

static const struct yconf_key top_keys[] = {
    {.key = "node",
     .type = YCONF_MAP,
     .offset = 0,
     .sub = node_keys,
     .flags = YCONF_REQUIRED,
     .help = "what to publish, where, with which key"},
    {.key = "daemon", .type = YCONF_MAP, .offset = 0, .sub = daemon_keys, .help = "the process"},
    {.key = NULL},
};

static int fail(char *err, size_t errlen, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int fail(char *err, size_t errlen, const char *path, const char *fmt, ...)
{
	char why[384];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	snprintf(err, errlen, "%s: %s", path, why);
	return ILNPDNS_ECONF;
}

static int first_key(const struct ilnpdns_tsig_key *key, void *arg)
{
	struct ilnpdns_tsig_key *out = arg;
	if (out->secret_len == 0)
		*out = *key;
	return 0;
}

static int build_auth(const char *path, struct locmgr_conf *c, char *err, size_t errlen)
{
	char why[256];
	int given = c->key_set + (c->key_file != NULL) + (c->sig0_key_file != NULL);
	int rc;
	if (given != 1)
		return fail(err, errlen, path,
		            "node: exactly one of key, key-file, sig0-key-file is needed");
	if (c->key_set) {
		c->auth.kind = ILNPDNS_UPD_AUTH_TSIG;
		rc = ilnpdns_tsig_key_init(&c->auth.tsig, c->key.id, c->key.algorithm,
		                           c->key.secret, 0, why, sizeof(why));
		if (rc < 0)
			return fail(err, errlen, path, "node.key: %s", why);
	} else if (c->key_file != NULL) {
		c->auth.kind = ILNPDNS_UPD_AUTH_TSIG;
		rc = ilnpdns_keyfile_load(c->key_file, 0, first_key, &c->auth.tsig, why,
		                          sizeof(why));
		if (rc < 0)
			return fail(err, errlen, path, "node.key-file: %s", why);
		if (c->auth.tsig.secret_len == 0)
			return fail(err, errlen, path, "node.key-file: %s holds no key",
			            c->key_file);
	} else {
		rc = ilnpdns_sig0_key_load(c->sig0_key_file, &c->sig0);
		if (rc < 0)
			return fail(err, errlen, path, "node.sig0-key-file: %s: %s",
			            c->sig0_key_file, ilnpdns_strerror(rc));
		if (!ilnpdns_sig0_key_has_private(c->sig0))
			return fail(err, errlen, path, "node.sig0-key-file: no private key");
		c->auth.kind = ILNPDNS_UPD_AUTH_SIG0;
		c->auth.sig0 = c->sig0;
	}
	return 0;
}

int locmgr_conf_load(const char *path, struct locmgr_conf *c, char *err, size_t errlen)
{
	int rc;
	memset(c, 0, sizeof(*c));
	rc = yconf_parse(top_keys, path, c, c, err, errlen);
	if (rc < 0)
		return rc;
	if (ilnpdns_dname_from_str(c->name_text, c->name) < 0)
		return fail(err, errlen, path, "node.name: \"%s\" is not a domain name",
		            c->name_text);
	if (ilnpdns_dname_from_str(c->zone_text, c->zone) < 0)
		return fail(err, errlen, path, "node.zone: \"%s\" is not a domain name",
		            c->zone_text);
	ilnpdns_dname_lower(c->name);
	ilnpdns_dname_lower(c->zone);
	if (!ilnpdns_dname_is_under(c->name, c->zone))
		return fail(err, errlen, path, "node.name: %s is not in zone %s", c->name_text,
		            c->zone_text);
	if (c->marker_text != NULL) {
		if (ilnpdns_dname_from_str(c->marker_text, c->marker) < 0 ||
		    !ilnpdns_dname_is_under(c->marker, c->zone))
			return fail(err, errlen, path,
			            "node.marker-name: \"%s\" is not a name in %s", c->marker_text,
			            c->zone_text);
		c->have_marker = true;
	}
	for (size_t i = 0; i < c->nnids; i++) {
		const char *t = c->nids[i].text;
		if (ilnpdns_ilnp_loc64_from_str(t, strlen(t), c->nid[i]) < 0)
			return fail(err, errlen, path, "node.nids: \"%s\" (line %u) is not a NID",
			            t, c->nids[i].line);
	}
	if (c->nifs == 0 || c->nifs > LOC_IF_MAX)
		return fail(err, errlen, path, "node.interfaces: 1 to %d interfaces", LOC_IF_MAX);
	c->loc.nifs = c->nifs;
	for (size_t i = 0; i < c->nifs; i++) {
		for (size_t j = 0; j < i; j++)
			if (strcmp(c->ifs[i].name, c->ifs[j].name) == 0)
				return fail(err, errlen, path,
				            "node.interfaces: %s is listed twice", c->ifs[i].name);
		snprintf(c->loc.ifs[i].name, sizeof(c->loc.ifs[i].name), "%s", c->ifs[i].name);
		c->loc.ifs[i].pref = c->ifs[i].pref;
	}
	c->loc.ula = c->ula;
	c->loc.with_l32 = c->l32;
	c->loc.need_route = c->need_route;
	c->loc.coalesce_ms = c->coalesce_ms;
	c->loc.grace_ms = c->grace_s * 1000;
	if (c->nhook > 0 && c->hook[0].text[0] != '/')
		return fail(err, errlen, path, "daemon.hook: the command needs an absolute path");
	return build_auth(path, c, err, errlen);
}

void locmgr_conf_free(struct locmgr_conf *c)
{
	if (c->key.secret != NULL)
		explicit_bzero(c->key.secret, strlen(c->key.secret));
	yconf_free(top_keys, c);
	if (c->sig0 != NULL)
		ilnpdns_sig0_key_free(c->sig0);
	explicit_bzero(&c->auth, sizeof(c->auth));
	c->sig0 = NULL;
}

void locmgr_conf_sample(FILE *out)
{
	yconf_write_sample(top_keys, out);
}
