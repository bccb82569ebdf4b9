/* SPDX-License-Identifier: BSD-2-Clause */
/* conf.c -- the ilnpdnsd option table and its conversion into struct conf. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/un.h>
#include <syslog.h>
#include <unistd.h>

#include "conf.h"
#include "ilnpdns/base64.h"
#include "ilnpdns/error.h"
#include "ilnpdns/log.h"
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
 * Issue 3 added the TSIG keys (key:, key-file:), the update limits and a
 * zone's update policy; their checks need the whole file (a policy names keys
 * that may come later in it), so conf_build() makes them, pointing at the
 * line each item was read from. Issue 4 adds a zone's notify: targets and
 * allow-transfer: items the same way (both may name keys), and
 * journal-max-entries.
 */

#define WORKERS_MAX   1024
#define LISTEN_MAX    64
#define TTL_MAX       2147483647u /* RFC 2181 section 8 */
#define CONF_ERR_SIZE 512
#define RULES_MAX     1024 /* update-policy rules per zone */
#define PREFIXES_MAX  1024 /* allow-update-unsigned prefixes per zone */
#define KEY_FILES_MAX 64
#define NOTIFY_MAX    64   /* notify: targets per zone */
#define ACL_MAX       1024 /* allow-transfer: items per zone */
#define JOURNAL_MAX   100000000u
#define NAME_TEXT_MAX (4 * ILNPDNS_DNAME_MAXLEN + 1) /* ilnpdns_dname_to_str() */

/* The quick start's published key and what it may change (zones/ilnpdnsd.yaml). */
#define DEFAULT_KEY_FILE "zones/example.ilnp.keys"
static const char *const default_policy[] = {
    "grant mn-key.example.ilnp. self mn.example.ilnp. NID L32 L64 LP",
    "grant mn-key.example.ilnp. subdomain example.ilnp. L64 L32",
};

struct key_parse {
	char *id;
	char *algorithm;
	char *secret;
	bool allow_md5;
	unsigned id_line, algorithm_line, secret_line;
};

/* A notify: or allow-transfer: item: "text" or {address: text, key: KEYID}. */
struct item_parse {
	char *address;
	char *key;
	unsigned address_line, key_line;
};

struct zone_parse {
	struct conf_zone z;
	bool ilnp_ttl_set;
	struct yconf_str *policy; /* update-policy */
	size_t npolicy;
	struct yconf_str *unsigned_from; /* allow-update-unsigned */
	size_t nunsigned_from;
	struct item_parse *notify;
	size_t nnotify;
	struct item_parse *xfr_acl; /* allow-transfer */
	size_t nxfr_acl;
};

struct conf_parse {
	struct conf c; /* scalar server options go straight here */
	struct yconf_addr *listen;
	size_t nlisten;
	struct yconf_addr *metrics;
	size_t nmetrics;
	struct zone_parse *zones;
	size_t nzones;
	struct key_parse *keys;
	size_t nkeys;
	struct yconf_str *key_files;
	size_t nkey_files;
	char *cookie_secret; /* server.cookie-secret as written (wiped when freed) */
};

static const struct yconf_name ttl_names[] = {
    {"keep", STORE_ILNP_TTL_KEEP},
    {NULL, 0},
};

static const struct yconf_name serial_names[] = {
    {"increment", UPDATE_SERIAL_INCREMENT},
    {"unixtime", UPDATE_SERIAL_UNIXTIME},
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

/* server.cookie-secret: 32 hex digits, decoded into the conf (RFC 9018 4.4: 16 octets). */
static int check_cookie_secret(void *obj, void *field, void *user, char *why, size_t whylen)
{
	struct conf_parse *p = obj;
	const char *hex = *(char **)field;
	size_t n = sizeof(p->c.cookie_secret);
	if (strlen(hex) != 2 * n) {
		snprintf(why, whylen, "want %zu hex digits (%zu octets)", 2 * n, n);
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		int hi = ilnpdns_hexval(hex[2 * i]), lo = ilnpdns_hexval(hex[2 * i + 1]);
		if (hi < 0 || lo < 0) {
			snprintf(why, whylen, "not a hex digit at position %zu",
			         2 * i + (hi < 0 ? 1 : 2));
			return -1;
		}
		p->c.cookie_secret[i] = (uint8_t)(hi << 4 | lo);
	}
	p->c.cookie_secret_set = true;
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
    {.key = "tcp-message-timeout",
     .type = YCONF_DURATION,
     .offset = S(tcp_message_ms),
     .width = W(tcp_message_ms),
     .min = 100,
     .max = 3600000,
     .dflt = "5s",
     .help = "a TCP message begun must arrive whole within this (slow senders)"},
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
     .names = yconf_log_levels,
     .dflt = "notice",
     .help = "error, warning, notice, info or debug"},
    {.key = "log",
     .type = YCONF_ENUM,
     .offset = S(log_syslog),
     .width = W(log_syslog),
     .names = yconf_log_targets,
     .dflt = "stderr",
     .help = "stderr or syslog (facility daemon)"},
    {.key = "log-queries",
     .type = YCONF_BOOL,
     .offset = S(log_queries),
     .dflt = "false",
     .help = "log one line per request at level notice (busy servers: leave off)"},
    {.key = "user",
     .type = YCONF_STRING,
     .offset = S(user),
     .check = check_user,
     .help = "user to switch to after binding the sockets (default: stay)"},
    {.key = "update-batch-max",
     .type = YCONF_UINT,
     .offset = S(update_batch_max),
     .width = W(update_batch_max),
     .min = 1,
     .max = 4096,
     .dflt = "64",
     .help = "updates applied in one group commit (one transaction, one fsync) at most"},
    {.key = "update-fail-limit",
     .type = YCONF_UINT,
     .offset = S(sig0_fail_limit),
     .width = W(sig0_fail_limit),
     .min = 1,
     .max = 1000000,
     .dflt = "20",
     .help = "failed TSIG/SIG(0) checks per source address and minute before it is refused"},
    {.key = "cookie-secret",
     .type = YCONF_STRING,
     .offset = offsetof(struct conf_parse, cookie_secret),
     .check = check_cookie_secret,
     .help = "DNS cookie secret, 32 hex digits, shared by anycast peers (default: random)"},
    {.key = NULL},
};

static const struct yconf_key update_keys[] = {
    {.key = "require-cookie-or-tcp",
     .type = YCONF_BOOL,
     .offset = S(update_require_cookie),
     .dflt = "false",
     .help = "SIG(0) updates over UDP need a valid DNS cookie before any verification"},
    {.key = "max-rrs",
     .type = YCONF_UINT,
     .offset = S(update_max_rrs),
     .width = W(update_max_rrs),
     .min = 1,
     .max = 65535,
     .dflt = "1000",
     .help = "prerequisite and update RRs one UPDATE may hold; more are REFUSED"},
    {.key = NULL},
};

static const struct yconf_key rrl_keys[] = {
    {.key = "enable",
     .type = YCONF_BOOL,
     .offset = S(rrl_enable),
     .dflt = "false",
     .help = "limit UDP responses per client network (response rate limiting)"},
    {.key = "responses-per-second",
     .type = YCONF_UINT,
     .offset = S(rrl_rate),
     .width = W(rrl_rate),
     .min = 1,
     .max = 1000000,
     .dflt = "20",
     .help = "responses per second per network, response kind and name"},
    {.key = "slip",
     .type = YCONF_UINT,
     .offset = S(rrl_slip),
     .width = W(rrl_slip),
     .min = 0,
     .max = 10,
     .dflt = "2",
     .help = "every slip-th limited response is sent truncated (TC=1); 0: drop all"},
    {.key = "ipv4-prefix-length",
     .type = YCONF_UINT,
     .offset = S(rrl_v4_prefix),
     .width = W(rrl_v4_prefix),
     .min = 8,
     .max = 32,
     .dflt = "24",
     .help = "IPv4 clients are counted per network of this length"},
    {.key = "ipv6-prefix-length",
     .type = YCONF_UINT,
     .offset = S(rrl_v6_prefix),
     .width = W(rrl_v6_prefix),
     .min = 16,
     .max = 128,
     .dflt = "56",
     .help = "IPv6 clients are counted per network of this length"},
    {.key = "table-size",
     .type = YCONF_UINT,
     .offset = S(rrl_table_size),
     .width = W(rrl_table_size),
     .min = 16,
     .max = 1 << 24,
     .dflt = "65536",
     .help = "buckets per worker (rounded up to a power of two)"},
    {.key = NULL},
};

#define I(field) offsetof(struct item_parse, field)

/* The first key is what the short form (a plain string item) sets. */
static const struct yconf_key notify_keys[] = {
    {.key = "address",
     .type = YCONF_STRING,
     .offset = I(address),
     .flags = YCONF_REQUIRED | YCONF_LINE,
     .line_offset = I(address_line),
     .help = "the secondary, ip@port (port 53 if left out)"},
    {.key = "key",
     .type = YCONF_STRING,
     .offset = I(key),
     .flags = YCONF_LINE,
     .line_offset = I(key_line),
     .help = "TSIG key id the NOTIFY is signed with"},
    {.key = NULL},
};

static const struct yconf_key acl_keys[] = {
    {.key = "address",
     .type = YCONF_STRING,
     .offset = I(address),
     .flags = YCONF_LINE,
     .line_offset = I(address_line),
     .help = "client address prefix, ip or ip/length"},
    {.key = "key",
     .type = YCONF_STRING,
     .offset = I(key),
     .flags = YCONF_LINE,
     .line_offset = I(key_line),
     .help = "TSIG key id the transfer request must be signed with"},
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
    {.key = "update-policy",
     .type = YCONF_STRINGS,
     .offset = offsetof(struct zone_parse, policy),
     .count_offset = offsetof(struct zone_parse, npolicy),
     .max = RULES_MAX,
     .help = "ordered rules \"grant|deny KEY self|selfsub|name|subdomain [NAME] TYPE...\""},
    {.key = "allow-update-unsigned",
     .type = YCONF_STRINGS,
     .offset = offsetof(struct zone_parse, unsigned_from),
     .count_offset = offsetof(struct zone_parse, nunsigned_from),
     .max = PREFIXES_MAX,
     .help = "address prefixes whose unsigned updates are accepted (labs only)"},
    {.key = "serial-policy",
     .type = YCONF_ENUM,
     .offset = Z(serial_policy),
     .width = sizeof(enum update_serial_policy),
     .names = serial_names,
     .dflt = "increment",
     .help = "increment or unixtime: how an update moves the SOA serial"},
    {.key = "notify",
     .type = YCONF_LIST,
     .offset = offsetof(struct zone_parse, notify),
     .count_offset = offsetof(struct zone_parse, nnotify),
     .elem_size = sizeof(struct item_parse),
     .sub = notify_keys,
     .flags = YCONF_ITEM_VALUE,
     .help = "secondaries to NOTIFY: \"ip@port\" or {address: \"ip@port\", key: KEYID}"},
    {.key = "allow-transfer",
     .type = YCONF_LIST,
     .offset = offsetof(struct zone_parse, xfr_acl),
     .count_offset = offsetof(struct zone_parse, nxfr_acl),
     .elem_size = sizeof(struct item_parse),
     .sub = acl_keys,
     .flags = YCONF_ITEM_VALUE,
     .help = "who may AXFR/IXFR: \"prefix\" or {address: prefix, key: KEYID}; none: REFUSED"},
    {.key = "journal-max-entries",
     .type = YCONF_UINT,
     .offset = Z(journal_max_entries),
     .width = 4,
     .min = 1,
     .max = JOURNAL_MAX,
     .dflt = "1000",
     .help = "update journal entries kept for IXFR; the oldest go first"},
    {.key = NULL},
};

#define K(field) offsetof(struct key_parse, field)

static const struct yconf_key key_keys[] = {
    {.key = "id",
     .type = YCONF_STRING,
     .offset = K(id),
     .flags = YCONF_REQUIRED | YCONF_LINE,
     .line_offset = K(id_line),
     .help = "the key's name, as the TSIG record carries it (e.g. host1-key.)"},
    {.key = "algorithm",
     .type = YCONF_STRING,
     .offset = K(algorithm),
     .flags = YCONF_REQUIRED | YCONF_LINE,
     .line_offset = K(algorithm_line),
     .help = "hmac-sha256, hmac-sha384, hmac-sha512, hmac-sha224 or hmac-sha1"},
    {.key = "secret",
     .type = YCONF_STRING,
     .offset = K(secret),
     .flags = YCONF_REQUIRED | YCONF_LINE,
     .line_offset = K(secret_line),
     .help = "the shared secret, base64 (tsig-keygen makes one)"},
    {.key = "allow-md5",
     .type = YCONF_BOOL,
     .offset = K(allow_md5),
     .dflt = "false",
     .help = "accept algorithm hmac-md5 for this key (RFC 8945 6: MUST NOT use)"},
    {.key = NULL},
};

static const struct yconf_key top_keys[] = {
    {.key = "server", .type = YCONF_MAP, .offset = 0, .sub = server_keys, .help = "server options"},
    {.key = "update", .type = YCONF_MAP, .offset = 0, .sub = update_keys, .help = "update options"},
    {.key = "rrl",
     .type = YCONF_MAP,
     .offset = 0,
     .sub = rrl_keys,
     .help = "response rate limiting (UDP)"},
    {.key = "key",
     .type = YCONF_LIST,
     .offset = offsetof(struct conf_parse, keys),
     .count_offset = offsetof(struct conf_parse, nkeys),
     .elem_size = sizeof(struct key_parse),
     .sub = key_keys,
     .help = "TSIG keys"},
    {.key = "key-file",
     .type = YCONF_STRINGS,
     .offset = offsetof(struct conf_parse, key_files),
     .count_offset = offsetof(struct conf_parse, nkey_files),
     .max = KEY_FILES_MAX,
     .help = "files of BIND key statements, as tsig-keygen writes them"},
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

/* Where conf_build() reports: the file's name (NULL: the built-in defaults). */
struct build {
	const char *name;
	char *err;
	size_t errlen;
	struct conf *c;
};

static int build_fail(struct build *b, unsigned line, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* "file:line: key: problem", as the reader words its own errors. */
static int build_fail(struct build *b, unsigned line, const char *key, const char *fmt, ...)
{
	char why[CONF_ERR_SIZE];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	if (b->name != NULL)
		snprintf(b->err, b->errlen, "%s:%u: %s: %s", b->name, line, key, why);
	else
		snprintf(b->err, b->errlen, "built-in defaults: %s: %s", key, why);
	return ILNPDNS_ECONF;
}

static void name_text(const uint8_t *name, char *buf, size_t cap)
{
	if (ilnpdns_dname_to_str(name, buf, cap) < 0)
		snprintf(buf, cap, "?");
}

/* Append a key unless its name is taken. Returns 0, ILNPDNS_EEXIST or ILNPDNS_ENOMEM. */
static int key_add(struct conf *c, const struct ilnpdns_tsig_key *key)
{
	if (conf_key_find(c, key->name) != NULL)
		return ILNPDNS_EEXIST;
	struct ilnpdns_tsig_key *grown = realloc(c->keys, (c->nkeys + 1) * sizeof(*grown));
	if (grown == NULL)
		return ILNPDNS_ENOMEM;
	c->keys = grown;
	c->keys[c->nkeys++] = *key;
	return 0;
}

/* A key file's keys, one callback each; the name of a duplicate is kept for the message. */
struct keyfile_walk {
	struct conf *c;
	uint8_t dup[ILNPDNS_DNAME_MAXLEN];
};

static int keyfile_key(const struct ilnpdns_tsig_key *key, void *arg)
{
	struct keyfile_walk *kw = arg;
	int rc = key_add(kw->c, key);
	if (rc == ILNPDNS_EEXIST)
		memcpy(kw->dup, key->name, ilnpdns_dname_len(key->name));
	return rc;
}

/*
 * key: entries, then the key files in order. Key names are unique across
 * both, so a TSIG record names exactly one key. Key files cannot enable
 * hmac-md5: that takes the explicit allow-md5 of a key: entry.
 */
static int build_keys(struct build *b, struct conf_parse *p)
{
	struct conf *c = b->c;
	char why[CONF_ERR_SIZE], text[NAME_TEXT_MAX];
	struct ilnpdns_tsig_key key;

	for (size_t i = 0; i < p->nkeys; i++) {
		const struct key_parse *kp = &p->keys[i];
		int rc = ilnpdns_tsig_key_init(&key, kp->id, kp->algorithm, kp->secret,
		                               kp->allow_md5 ? ILNPDNS_KEY_ALLOW_MD5 : 0, why,
		                               sizeof(why));
		if (rc == ILNPDNS_ENAME)
			return build_fail(b, kp->id_line, "key.id", "%s", why);
		if (rc == ILNPDNS_ESYNTAX)
			return build_fail(b, kp->secret_line, "key.secret", "%s", why);
		if (rc != 0)
			return build_fail(b, kp->algorithm_line, "key.algorithm", "%s", why);
		rc = key_add(c, &key);
		explicit_bzero(&key, sizeof(key));
		if (rc == ILNPDNS_EEXIST)
			return build_fail(b, kp->id_line, "key.id",
			                  "key \"%s\" is already configured", kp->id);
		if (rc != 0)
			return rc;
	}
	for (size_t i = 0; i < p->nkey_files; i++) {
		const struct yconf_str *f = &p->key_files[i];
		struct keyfile_walk kw = {.c = c};
		bool exposed = false;
		int rc = ilnpdns_keyfile_load(f->text, 0, keyfile_key, &kw, why, sizeof(why));
		if (rc == ILNPDNS_EEXIST) {
			name_text(kw.dup, text, sizeof(text));
			return build_fail(b, f->line, "key-file",
			                  "%s: key \"%s\" is already configured", f->text, text);
		}
		if (rc == ILNPDNS_ENOMEM)
			return rc;
		if (rc != 0)
			return build_fail(b, f->line, "key-file", "%s", why);
		/* Loading succeeded, so stat(2) will too; a failure just skips the warning. */
		if (ilnpdns_keyfile_exposed(f->text, &exposed) == 0 && exposed)
			log_warnx("key file %s is readable by group or others: its secrets are "
			          "exposed (chmod 600 it)",
			          f->text);
	}
	return 0;
}

/*
 * "ip" or "ip/len" into a prefix. Bits set beyond the length are refused:
 * "10.1.2.3/8" is more likely a typo than a wish for 10.0.0.0/8.
 */
static int prefix_parse(const char *text, struct conf_prefix *out, char *why, size_t whylen)
{
	char addr[INET6_ADDRSTRLEN + 1];
	const char *slash = strchr(text, '/');
	size_t alen = slash != NULL ? (size_t)(slash - text) : strlen(text);
	uint8_t bytes[16];
	unsigned max, bits;

	memset(out, 0, sizeof(*out));
	if (alen == 0 || alen >= sizeof(addr))
		goto bad;
	memcpy(addr, text, alen);
	addr[alen] = '\0';
	if (inet_pton(AF_INET, addr, bytes) == 1) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&out->ss;
		sin->sin_family = AF_INET;
		memcpy(&sin->sin_addr, bytes, 4);
		max = 32;
	} else if (inet_pton(AF_INET6, addr, bytes) == 1) {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&out->ss;
		sin6->sin6_family = AF_INET6;
		memcpy(&sin6->sin6_addr, bytes, 16);
		max = 128;
	} else {
		goto bad;
	}
	bits = max;
	if (slash != NULL) {
		const char *d = slash + 1;
		if (*d == '\0' || strlen(d) > 3)
			goto bad;
		bits = 0;
		for (; *d != '\0'; d++) {
			if (*d < '0' || *d > '9')
				goto bad;
			bits = bits * 10 + (unsigned)(*d - '0');
		}
		if (bits > max) {
			snprintf(why, whylen, "prefix length of \"%s\" is over %u", text, max);
			return -1;
		}
	}
	for (unsigned i = bits; i < max; i++) {
		if (bytes[i / 8] & (0x80 >> (i % 8))) {
			snprintf(why, whylen, "\"%s\" has address bits set beyond /%u", text, bits);
			return -1;
		}
	}
	out->bits = bits;
	snprintf(out->text, sizeof(out->text), "%s", text);
	return 0;
bad:
	snprintf(why, whylen, "\"%s\" is not an address prefix (write ip or ip/length)", text);
	return -1;
}

/*
 * A zone's update policy and unsigned-update sources. A rule must name a
 * configured TSIG key, or a name inside the zone: that is where a SIG(0)
 * signer's KEY record lives (RFC 2931, RFC 3007), so such names cannot be
 * checked against anything here.
 */
static int build_zone_update(struct build *b, struct zone_parse *zp, struct conf_zone *z)
{
	char why[CONF_ERR_SIZE], text[NAME_TEXT_MAX];

	policy_init(&z->update_policy);
	for (size_t i = 0; i < zp->npolicy; i++) {
		const struct yconf_str *r = &zp->policy[i];
		int rc = policy_add_rule(&z->update_policy, r->text, why, sizeof(why));
		if (rc == ILNPDNS_ENOMEM)
			return rc;
		if (rc != 0)
			return build_fail(b, r->line, "zone.update-policy", "%s", why);
		const uint8_t *principal = z->update_policy.rules[z->update_policy.count - 1].key;
		if (conf_key_find(b->c, principal) == NULL &&
		    !ilnpdns_dname_is_under(principal, z->apex)) {
			name_text(principal, text, sizeof(text));
			return build_fail(b, r->line, "zone.update-policy",
			                  "key \"%s\" is not configured (key: or key-file:) and "
			                  "is no name in the zone (a SIG(0) signer)",
			                  text);
		}
	}
	if (zp->nunsigned_from > 0) {
		z->allow_unsigned = calloc(zp->nunsigned_from, sizeof(*z->allow_unsigned));
		if (z->allow_unsigned == NULL)
			return ILNPDNS_ENOMEM;
	}
	for (size_t i = 0; i < zp->nunsigned_from; i++) {
		const struct yconf_str *a = &zp->unsigned_from[i];
		if (prefix_parse(a->text, &z->allow_unsigned[i], why, sizeof(why)) != 0)
			return build_fail(b, a->line, "zone.allow-update-unsigned", "%s", why);
		z->nallow_unsigned = i + 1;
	}
	return 0;
}

/* A key id of a notify: or allow-transfer: item, which must be a configured key. */
static int item_key(struct build *b, const struct item_parse *it, const char *key, uint8_t *name,
                    const struct ilnpdns_tsig_key **found)
{
	int rc = ilnpdns_dname_from_str(it->key, name);
	if (rc < 0)
		return build_fail(b, it->key_line, key, "\"%s\" is not a valid key name (%s)",
		                  it->key, ilnpdns_strerror(rc));
	if ((*found = conf_key_find(b->c, name)) == NULL)
		return build_fail(b, it->key_line, key,
		                  "key \"%s\" is not configured (key: or key-file:)", it->key);
	return 0;
}

/* notify: targets and allow-transfer: items of one zone (keys must be configured). */
static int build_zone_xfr(struct build *b, struct zone_parse *zp, struct conf_zone *z)
{
	char why[CONF_ERR_SIZE];
	uint8_t name[ILNPDNS_DNAME_MAXLEN];
	const struct ilnpdns_tsig_key *key;
	int rc;

	if (zp->nnotify > NOTIFY_MAX)
		return build_fail(b, zp->notify[NOTIFY_MAX].address_line, "zone.notify",
		                  "more than %d targets", NOTIFY_MAX);
	if (zp->nnotify > 0 && (z->notify = calloc(zp->nnotify, sizeof(*z->notify))) == NULL)
		return ILNPDNS_ENOMEM;
	for (size_t i = 0; i < zp->nnotify; i++) {
		const struct item_parse *it = &zp->notify[i];
		struct notify_target *t = &z->notify[i];
		if (notify_target_parse(it->address, t) != 0)
			return build_fail(b, it->address_line, "zone.notify",
			                  "\"%s\" is not an address (write ip or ip@port)",
			                  it->address);
		z->nnotify = i + 1;
		for (size_t j = 0; j < i; j++)
			if (z->notify[j].addrlen == t->addrlen &&
			    memcmp(&z->notify[j].addr, &t->addr, t->addrlen) == 0)
				return build_fail(b, it->address_line, "zone.notify",
				                  "\"%s\" listed twice", it->address);
		if (it->key == NULL)
			continue;
		if ((rc = item_key(b, it, "zone.notify", name, &key)) != 0)
			return rc;
		t->has_key = true;
		t->key = *key;
	}
	if (zp->nxfr_acl > ACL_MAX)
		return build_fail(b, zp->xfr_acl[ACL_MAX].address_line, "zone.allow-transfer",
		                  "more than %d items", ACL_MAX);
	if (zp->nxfr_acl > 0 &&
	    (z->allow_transfer = calloc(zp->nxfr_acl, sizeof(*z->allow_transfer))) == NULL)
		return ILNPDNS_ENOMEM;
	for (size_t i = 0; i < zp->nxfr_acl; i++) {
		const struct item_parse *it = &zp->xfr_acl[i];
		struct conf_acl *a = &z->allow_transfer[i];
		z->nallow_transfer = i + 1;
		if (it->address == NULL && it->key == NULL)
			return build_fail(b, it->address_line, "zone.allow-transfer",
			                  "an item needs an address, a key or both");
		if (it->address != NULL) {
			if (prefix_parse(it->address, &a->prefix, why, sizeof(why)) != 0)
				return build_fail(b, it->address_line, "zone.allow-transfer", "%s",
				                  why);
			a->has_prefix = true;
		}
		if (it->key != NULL) {
			if ((rc = item_key(b, it, "zone.allow-transfer", a->key, &key)) != 0)
				return rc;
			a->has_key = true;
		}
	}
	return 0;
}

/*
 * Move the parse result into a new struct conf. Strings change owner (they
 * are cleared in p); p keeps only what yconf_free() releases afterwards.
 * Errors that need the whole file (keys, policies) go to err.
 */
static int conf_build(struct conf_parse *p, const char *path, const char *name, struct conf **out,
                      char *err, size_t errlen)
{
	struct conf *c = calloc(1, sizeof(*c));
	int rc;
	if (c == NULL)
		return ILNPDNS_ENOMEM;
	*c = p->c;
	memset(&p->c, 0, sizeof(p->c));
	c->refs = 1;
	c->listen = NULL;
	c->metrics = NULL;
	c->zones = NULL;
	c->keys = NULL;
	c->nlisten = 0;
	c->nzones = 0;
	c->nkeys = 0;
	if (c->workers == 0)
		c->workers = online_cpus();
	/* Without a configured secret, a random one per load: a reload rolls
	 * it over (the workers keep accepting the previous one). */
	if (!c->cookie_secret_set &&
	    getrandom(c->cookie_secret, sizeof(c->cookie_secret), 0) != sizeof(c->cookie_secret)) {
		conf_free(c);
		return ILNPDNS_ECRYPTO;
	}

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
		/* Counted now so that conf_free() releases what a failure leaves. */
		c->nzones = i + 1;
	}

	struct build b = {.name = name, .err = err, .errlen = errlen, .c = c};
	rc = build_keys(&b, p);
	for (size_t i = 0; rc == 0 && i < p->nzones; i++)
		rc = build_zone_update(&b, &p->zones[i], &c->zones[i]);
	for (size_t i = 0; rc == 0 && i < p->nzones; i++)
		rc = build_zone_xfr(&b, &p->zones[i], &c->zones[i]);
	if (rc != 0) {
		conf_free(c);
		return rc;
	}
	*out = c;
	return 0;
}

/* Secrets in the parse result are wiped before they are freed. */
static void parse_free(struct conf_parse *p)
{
	for (size_t i = 0; i < p->nkeys; i++)
		if (p->keys[i].secret != NULL)
			explicit_bzero(p->keys[i].secret, strlen(p->keys[i].secret));
	if (p->cookie_secret != NULL)
		explicit_bzero(p->cookie_secret, strlen(p->cookie_secret));
	explicit_bzero(p->c.cookie_secret, sizeof(p->c.cookie_secret));
	yconf_free(top_keys, p);
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
		rc = conf_build(&p, path, path, out, err, errlen);
	/* Inline secrets make the config file itself a key file. */
	bool exposed = false;
	if (rc == 0 && (p.nkeys > 0 || p.cookie_secret != NULL) &&
	    ilnpdns_keyfile_exposed(path, &exposed) == 0 && exposed)
		log_warnx("config file %s holds secrets and is readable by group or others "
		          "(chmod 600 it)",
		          path);
	parse_free(&p);
	return rc;
}

/* A malloc'd string list for the built-in defaults (line 0: not from a file). */
static int strings_of(const char *const *texts, size_t n, struct yconf_str **out, size_t *count)
{
	*out = calloc(n, sizeof(**out));
	if (*out == NULL)
		return ILNPDNS_ENOMEM;
	for (size_t i = 0; i < n; i++) {
		if (((*out)[i].text = strdup(texts[i])) == NULL)
			return ILNPDNS_ENOMEM;
		*count = i + 1;
	}
	return 0;
}

int conf_defaults(struct conf **out)
{
	static const char *const key_files[] = {DEFAULT_KEY_FILE};
	struct conf_parse p;
	char err[CONF_ERR_SIZE] = "";
	int rc;

	*out = NULL;
	memset(&p, 0, sizeof(p));
	rc = yconf_defaults(top_keys, &p, err, sizeof(err));
	if (rc == 0 && (p.zones = calloc(1, sizeof(*p.zones))) == NULL)
		rc = ILNPDNS_ENOMEM;
	if (rc == 0) {
		/* The quick start's zone, as zones/ilnpdnsd.yaml lists it. */
		struct zone_parse *zone = &p.zones[0];
		p.nzones = 1;
		rc = yconf_defaults(zone_keys, zone, err, sizeof(err));
		if (rc == 0 && ((zone->z.domain = strdup("example.ilnp.")) == NULL ||
		                (zone->z.file = strdup("zones/example.ilnp.zone")) == NULL))
			rc = ILNPDNS_ENOMEM;
		if (rc == 0 && ilnpdns_dname_from_str(zone->z.domain, zone->z.apex) < 0)
			rc = ILNPDNS_ECONF;
		if (rc == 0)
			rc = strings_of(default_policy,
			                sizeof(default_policy) / sizeof(default_policy[0]),
			                &zone->policy, &zone->npolicy);
	}
	if (rc == 0)
		rc = strings_of(key_files, 1, &p.key_files, &p.nkey_files);
	if (rc == 0)
		rc = conf_build(&p, NULL, NULL, out, err, sizeof(err));
	if (rc == ILNPDNS_ECONF)
		log_err("%s", err);
	parse_free(&p);
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
	if (conf->keys != NULL)
		explicit_bzero(conf->keys, conf->nkeys * sizeof(*conf->keys));
	explicit_bzero(conf->cookie_secret, sizeof(conf->cookie_secret));
	free(conf->keys);
	for (size_t i = 0; i < conf->nzones; i++) {
		free(conf->zones[i].domain);
		free(conf->zones[i].file);
		policy_clear(&conf->zones[i].update_policy);
		free(conf->zones[i].allow_unsigned);
		if (conf->zones[i].notify != NULL)
			explicit_bzero(conf->zones[i].notify,
			               conf->zones[i].nnotify * sizeof(*conf->zones[i].notify));
		free(conf->zones[i].notify);
		free(conf->zones[i].allow_transfer);
	}
	free(conf->zones);
	free(conf);
}

struct conf *conf_ref(struct conf *conf)
{
	__atomic_add_fetch(&conf->refs, 1, __ATOMIC_RELAXED);
	return conf;
}

void conf_unref(struct conf *conf)
{
	/* Release/acquire: every thread's last reads happen before the free. */
	if (conf != NULL && __atomic_sub_fetch(&conf->refs, 1, __ATOMIC_ACQ_REL) == 0)
		conf_free(conf);
}

const struct conf_zone *conf_zone_find(const struct conf *conf, const uint8_t *apex)
{
	for (size_t i = 0; i < conf->nzones; i++)
		if (ilnpdns_dname_equal(conf->zones[i].apex, apex))
			return &conf->zones[i];
	return NULL;
}

const struct ilnpdns_tsig_key *conf_key_find(const struct conf *conf, const uint8_t *name)
{
	/* A handful of keys: a linear scan costs less than the HMAC that follows. */
	for (size_t i = 0; i < conf->nkeys; i++)
		if (ilnpdns_dname_equal(conf->keys[i].name, name))
			return &conf->keys[i];
	return NULL;
}

const struct ilnpdns_tsig_key *conf_tsig_lookup(const uint8_t *name, void *arg)
{
	return conf_key_find(arg, name);
}

/* Do the first bits of a and b agree? */
static bool bits_match(const uint8_t *a, const uint8_t *b, unsigned bits)
{
	unsigned whole = bits / 8, rest = bits % 8;
	if (memcmp(a, b, whole) != 0)
		return false;
	if (rest == 0)
		return true;
	uint8_t mask = (uint8_t)(0xff << (8 - rest));
	return (a[whole] & mask) == (b[whole] & mask);
}

bool conf_prefix_match(const struct conf_prefix *prefixes, size_t n, const struct sockaddr *addr)
{
	const uint8_t *v4 = NULL, *v6 = NULL;
	if (addr == NULL)
		return false;
	if (addr->sa_family == AF_INET) {
		v4 = (const uint8_t *)&((const struct sockaddr_in *)addr)->sin_addr;
	} else if (addr->sa_family == AF_INET6) {
		const struct in6_addr *a6 = &((const struct sockaddr_in6 *)addr)->sin6_addr;
		v6 = a6->s6_addr;
		/* A dual-stack socket shows IPv4 clients as ::ffff:a.b.c.d. */
		if (IN6_IS_ADDR_V4MAPPED(a6))
			v4 = a6->s6_addr + 12;
	}
	for (size_t i = 0; i < n; i++) {
		const struct conf_prefix *p = &prefixes[i];
		if (p->ss.ss_family == AF_INET && v4 != NULL &&
		    bits_match(v4, (const uint8_t *)&((const struct sockaddr_in *)&p->ss)->sin_addr,
		               p->bits))
			return true;
		if (p->ss.ss_family == AF_INET6 && v6 != NULL &&
		    bits_match(v6, ((const struct sockaddr_in6 *)&p->ss)->sin6_addr.s6_addr,
		               p->bits))
			return true;
	}
	return false;
}

bool conf_transfer_allowed(const struct conf_zone *z, const struct sockaddr *peer,
                           const uint8_t *key_name)
{
	for (size_t i = 0; i < z->nallow_transfer; i++) {
		const struct conf_acl *a = &z->allow_transfer[i];
		if (a->has_key && (key_name == NULL || !ilnpdns_dname_equal(a->key, key_name)))
			continue;
		if (a->has_prefix && !conf_prefix_match(&a->prefix, 1, peer))
			continue;
		return true;
	}
	return false;
}
