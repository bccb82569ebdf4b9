/* SPDX-License-Identifier: BSD-2-Clause */
/* conf.c -- the ilnpdnsd option table and its conversion into struct conf. */
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>
#include <syslog.h>
#include <unistd.h>

#include "conf.h"
#include "ilnpdns/error.h"
#include "ilnpdns/yconf.h"
#include "store.h"

/*
 * Every option is one row of the tables below (key, type, bounds, default,
 * help); the YAML walker in lib/yconf.c reads the file against them, and the
 * built-in defaults of conf_defaults() come from the same rows, so a key
 * cannot have one default in the file and another without it. The man page
 * server/ilnpdnsd.conf.5 documents the same rows.
 *
 * The reader fills struct conf_parse, which mirrors the file (addresses as
 * struct yconf_addr, zones with a "was ilnp-ttl given" mark); conf_build()
 * then turns it into the struct conf the daemon uses, resolving what depends
 * on more than one key (a zone's ilnp-ttl defaults to the server's,
 * server.workers to the number of CPUs).
 *
 * Issues 3 and 4 add keys (key:, acl:, remote:, a zone's update and transfer
 * policy) as new rows; a key is only accepted once something implements it.
 */

#define WORKERS_MAX   1024
#define LISTEN_MAX    64
#define TTL_MAX       2147483647u /* RFC 2181 section 8 */
#define CONF_ERR_SIZE 512

struct zone_parse {
	struct conf_zone z;
	bool ilnp_ttl_set;
};

struct conf_parse {
	struct conf c; /* scalar server options go straight here */
	struct yconf_addr *listen;
	size_t nlisten;
	struct yconf_addr *metrics;
	size_t nmetrics;
	struct zone_parse *zones;
	size_t nzones;
};

static const struct yconf_name ttl_names[] = {
    {"keep", STORE_ILNP_TTL_KEEP},
    {NULL, 0},
};

static const struct yconf_name level_names[] = {
    {"error", LOG_ERR}, {"warning", LOG_WARNING}, {"notice", LOG_NOTICE},
    {"info", LOG_INFO}, {"debug", LOG_DEBUG},     {NULL, 0},
};

static const struct yconf_name log_names[] = {
    {"stderr", 0},
    {"syslog", 1},
    {NULL, 0},
};

static int check_control(void *obj, void *field, void *user, char *why, size_t whylen)
{
	const char *path = *(char **)field;
	struct sockaddr_un sun;
	if (strlen(path) >= sizeof(sun.sun_path)) {
		snprintf(why, whylen, "socket path longer than %zu characters",
		         sizeof(sun.sun_path) - 1);
		return -1;
	}
	return 0;
}

static int check_user(void *obj, void *field, void *user, char *why, size_t whylen)
{
	const char *name = *(char **)field;
	/* Checked here so that "ilnpdnsd -n" catches a typo before a restart does. */
	if (getpwnam(name) == NULL) {
		snprintf(why, whylen, "no such user \"%s\"", name);
		return -1;
	}
	return 0;
}

static int check_domain(void *obj, void *field, void *user, char *why, size_t whylen)
{
	struct zone_parse *zp = obj;
	const struct conf_parse *p = user;
	const char *domain = *(char **)field;
	int rc = ilnpdns_dname_from_str(domain, zp->z.apex);
	if (rc < 0) {
		snprintf(why, whylen, "\"%s\" is not a valid domain name (%s)", domain,
		         ilnpdns_strerror(rc));
		return -1;
	}
	/* The reader counts an element before filling it: zp is the last one. */
	for (size_t i = 0; i < p->nzones; i++) {
		if (&p->zones[i] != zp && p->zones[i].z.domain != NULL &&
		    ilnpdns_dname_equal(p->zones[i].z.apex, zp->z.apex)) {
			snprintf(why, whylen, "zone \"%s\" is already configured", domain);
			return -1;
		}
	}
	return 0;
}

#define S(field) offsetof(struct conf_parse, c.field)
#define W(field) sizeof(((struct conf_parse *)0)->c.field)

static const struct yconf_key server_keys[] = {
    {.key = "listen",
     .type = YCONF_ADDRS,
     .offset = offsetof(struct conf_parse, listen),
     .count_offset = offsetof(struct conf_parse, nlisten),
     .min = 1,
     .max = LISTEN_MAX,
     .dflt = "127.0.0.1@5300 ::1@5300",
     .default_port = 53,
     .help = "addresses to answer queries on, UDP and TCP (ip@port, port 53 if left out)"},
    {.key = "database",
     .type = YCONF_STRING,
     .offset = S(database),
     .dflt = "var/ilnpdns",
     .help = "LMDB environment directory holding the zones"},
    {.key = "mapsize",
     .type = YCONF_SIZE,
     .offset = S(mapsize),
     .width = W(mapsize),
     .min = 1 << 20,
     .max = (uint64_t)1 << 40,
     .dflt = "4G",
     .help = "LMDB map size: the largest the database may grow"},
    {.key = "workers",
     .type = YCONF_UINT,
     .offset = S(workers),
     .width = W(workers),
     .min = 1,
     .max = WORKERS_MAX,
     .help = "query threads (default: one per online CPU)"},
    {.key = "ilnp-ttl",
     .type = YCONF_UINT,
     .offset = S(ilnp_ttl),
     .width = W(ilnp_ttl),
     .min = 0,
     .max = TTL_MAX,
     .names = ttl_names,
     .dflt = "0",
     .help = "TTL served for NID, L32, L64 and LP records, or keep for the zone data's"},
    {.key = "control",
     .type = YCONF_STRING,
     .offset = S(control),
     .dflt = "var/ilnpdns.sock",
     .check = check_control,
     .help = "control socket for ilnpdns-ctl (mode 0600)"},
    {.key = "metrics",
     .type = YCONF_ADDRS,
     .offset = offsetof(struct conf_parse, metrics),
     .count_offset = offsetof(struct conf_parse, nmetrics),
     .min = 0,
     .max = 1,
     .help = "Prometheus metrics listener, ip@port (default: none)"},
    {.key = "edns-size",
     .type = YCONF_UINT,
     .offset = S(edns_size),
     .width = W(edns_size),
     .min = 512,
     .max = 4096,
     .dflt = "1232",
     .help = "EDNS(0) UDP payload size advertised and used as the response limit"},
    {.key = "tcp-idle-timeout",
     .type = YCONF_DURATION,
     .offset = S(tcp_idle_ms),
     .width = W(tcp_idle_ms),
     .min = 100,
     .max = 3600000,
     .dflt = "10s",
     .help = "close TCP connections idle this long (RFC 7766 6.2.3)"},
    {.key = "tcp-max-clients",
     .type = YCONF_UINT,
     .offset = S(tcp_max_clients),
     .width = W(tcp_max_clients),
     .min = 1,
     .max = 1000000,
     .dflt = "1000",
     .help = "open TCP connections per worker"},
    {.key = "tcp-max-per-source",
     .type = YCONF_UINT,
     .offset = S(tcp_max_per_source),
     .width = W(tcp_max_per_source),
     .min = 1,
     .max = 1000000,
     .dflt = "32",
     .help = "open TCP connections per client address"},
    {.key = "log-level",
     .type = YCONF_ENUM,
     .offset = S(log_level),
     .width = W(log_level),
     .names = level_names,
     .dflt = "notice",
     .help = "error, warning, notice, info or debug"},
    {.key = "log",
     .type = YCONF_ENUM,
     .offset = S(log_syslog),
     .width = W(log_syslog),
     .names = log_names,
     .dflt = "stderr",
     .help = "stderr or syslog (facility daemon)"},
    {.key = "user",
     .type = YCONF_STRING,
     .offset = S(user),
     .check = check_user,
     .help = "user to switch to after binding the sockets (default: stay)"},
    {.key = NULL},
};

#define Z(field) offsetof(struct zone_parse, z.field)

static const struct yconf_key zone_keys[] = {
    {.key = "domain",
     .type = YCONF_STRING,
     .offset = Z(domain),
     .flags = YCONF_REQUIRED,
     .check = check_domain,
     .help = "zone apex, e.g. example.ilnp."},
    {.key = "file",
     .type = YCONF_STRING,
     .offset = Z(file),
     .help = "master file imported when the database does not hold the zone yet"},
    {.key = "ilnp-ttl",
     .type = YCONF_UINT,
     .offset = Z(ilnp_ttl),
     .width = 4,
     .min = 0,
     .max = TTL_MAX,
     .names = ttl_names,
     .flags = YCONF_MARK,
     .mark_offset = offsetof(struct zone_parse, ilnp_ttl_set),
     .help = "this zone's ILNP TTL (default: server.ilnp-ttl)"},
    {.key = NULL},
};

static const struct yconf_key top_keys[] = {
    {.key = "server", .type = YCONF_MAP, .offset = 0, .sub = server_keys, .help = "server options"},
    {.key = "zone",
     .type = YCONF_LIST,
     .offset = offsetof(struct conf_parse, zones),
     .count_offset = offsetof(struct conf_parse, nzones),
     .elem_size = sizeof(struct zone_parse),
     .sub = zone_keys,
     .help = "zones served"},
    {.key = NULL},
};

static void addr_copy(struct conf_addr *to, const struct yconf_addr *from)
{
	memcpy(&to->ss, &from->ss, sizeof(to->ss));
	to->len = from->len;
	snprintf(to->text, sizeof(to->text), "%s", from->text);
}

static unsigned online_cpus(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	if (n < 1)
		return 1;
	return n > WORKERS_MAX ? WORKERS_MAX : (unsigned)n;
}

/*
 * Move the parse result into a new struct conf. Strings change owner (they
 * are cleared in p); p keeps only what yconf_free() releases afterwards.
 */
static int conf_build(struct conf_parse *p, const char *path, struct conf **out)
{
	struct conf *c = calloc(1, sizeof(*c));
	if (c == NULL)
		return ILNPDNS_ENOMEM;
	*c = p->c;
	memset(&p->c, 0, sizeof(p->c));
	c->listen = NULL;
	c->metrics = NULL;
	c->zones = NULL;
	c->nlisten = 0;
	c->nzones = 0;
	if (c->workers == 0)
		c->workers = online_cpus();

	if ((path != NULL && (c->path = strdup(path)) == NULL) ||
	    (c->listen = calloc(p->nlisten ? p->nlisten : 1, sizeof(*c->listen))) == NULL ||
	    (c->zones = calloc(p->nzones ? p->nzones : 1, sizeof(*c->zones))) == NULL ||
	    (p->nmetrics > 0 && (c->metrics = calloc(1, sizeof(*c->metrics))) == NULL)) {
		conf_free(c);
		return ILNPDNS_ENOMEM;
	}
	for (size_t i = 0; i < p->nlisten; i++)
		addr_copy(&c->listen[i], &p->listen[i]);
	c->nlisten = p->nlisten;
	if (p->nmetrics > 0)
		addr_copy(c->metrics, &p->metrics[0]);
	for (size_t i = 0; i < p->nzones; i++) {
		struct zone_parse *zp = &p->zones[i];
		c->zones[i] = zp->z;
		if (!zp->ilnp_ttl_set)
			c->zones[i].ilnp_ttl = c->ilnp_ttl;
		zp->z.domain = NULL;
		zp->z.file = NULL;
	}
	c->nzones = p->nzones;
	*out = c;
	return 0;
}

int conf_load(const char *path, struct conf **out, char *err, size_t errlen)
{
	struct conf_parse p;
	char buf[CONF_ERR_SIZE];
	int rc;

	if (err == NULL || errlen == 0) {
		err = buf;
		errlen = sizeof(buf);
	}
	*out = NULL;
	memset(&p, 0, sizeof(p));
	rc = yconf_parse(top_keys, path, &p, &p, err, errlen);
	if (rc == 0)
		rc = conf_build(&p, path, out);
	yconf_free(top_keys, &p);
	return rc;
}

int conf_defaults(struct conf **out)
{
	struct conf_parse p;
	struct zone_parse zone;
	char err[CONF_ERR_SIZE];
	int rc;

	*out = NULL;
	memset(&p, 0, sizeof(p));
	memset(&zone, 0, sizeof(zone));
	rc = yconf_defaults(top_keys, &p, err, sizeof(err));
	if (rc == 0) {
		/* The quick start's zone, as zones/ilnpdnsd.yaml lists it. */
		zone.z.domain = strdup("example.ilnp.");
		zone.z.file = strdup("zones/example.ilnp.zone");
		if (zone.z.domain == NULL || zone.z.file == NULL)
			rc = ILNPDNS_ENOMEM;
		else if (ilnpdns_dname_from_str(zone.z.domain, zone.z.apex) < 0)
			rc = ILNPDNS_ECONF;
	}
	if (rc == 0) {
		p.zones = &zone;
		p.nzones = 1;
		rc = conf_build(&p, NULL, out);
		p.zones = NULL;
		p.nzones = 0;
	}
	free(zone.z.domain);
	free(zone.z.file);
	yconf_free(top_keys, &p);
	return rc;
}

void conf_free(struct conf *conf)
{
	if (conf == NULL)
		return;
	free(conf->path);
	free(conf->listen);
	free(conf->database);
	free(conf->control);
	free(conf->metrics);
	free(conf->user);
	for (size_t i = 0; i < conf->nzones; i++) {
		free(conf->zones[i].domain);
		free(conf->zones[i].file);
	}
	free(conf->zones);
	free(conf);
}

const struct conf_zone *conf_zone_find(const struct conf *conf, const uint8_t *apex)
{
	for (size_t i = 0; i < conf->nzones; i++)
		if (ilnpdns_dname_equal(conf->zones[i].apex, apex))
			return &conf->zones[i];
	return NULL;
}
