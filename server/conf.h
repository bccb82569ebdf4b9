/* SPDX-License-Identifier: BSD-2-Clause */
/* conf.h -- ilnpdnsd configuration: the parsed YAML file or the built-in defaults. */
#ifndef ILNPDNS_CONF_H
#define ILNPDNS_CONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "ilnpdns/dname.h"
#include "ilnpdns/keys.h"
#include "notify.h"
#include "policy.h"
#include "update.h"

struct conf_addr {
	struct sockaddr_storage ss;
	socklen_t len;
	char text[64]; /* as written: "127.0.0.1@5300", "::1@5300" */
};

/* An address prefix (allow-update-unsigned, later allow-transfer). */
struct conf_prefix {
	struct sockaddr_storage ss; /* address, port 0 */
	unsigned bits;              /* prefix length */
	char text[64];              /* as written: "127.0.0.1/32", "::1" */
};

/*
 * One allow-transfer item: every field given must match (has_prefix: the
 * client's address lies in prefix; has_key: the request is TSIG-signed with
 * that key). An item with only a key admits any address signed with it.
 */
struct conf_acl {
	bool has_prefix;
	struct conf_prefix prefix;
	bool has_key;
	uint8_t key[ILNPDNS_DNAME_MAXLEN]; /* wire form, a configured key */
};

struct conf_zone {
	char *domain;                       /* as written, e.g. "example.ilnp." */
	uint8_t apex[ILNPDNS_DNAME_MAXLEN]; /* wire form */
	char *file;                         /* master file for the first import, or NULL */
	uint32_t ilnp_ttl;                  /* effective: zone override or server default */

	/* Dynamic update (issue 3). */
	struct policy update_policy;        /* ordered grant/deny rules; none: deny all */
	struct conf_prefix *allow_unsigned; /* sources whose unsigned updates are taken (labs) */
	size_t nallow_unsigned;
	enum update_serial_policy serial_policy; /* serial-policy: increment | unixtime */

	/* Transfers and NOTIFY (issue 4). */
	struct notify_target *notify; /* notify: secondaries to NOTIFY (keys copied) */
	size_t nnotify;
	struct conf_acl *allow_transfer; /* allow-transfer: none: every transfer REFUSED */
	size_t nallow_transfer;
	uint32_t journal_max_entries; /* journal-max-entries: entries kept for IXFR (>= 1) */
};

/*
 * LIFETIME. A struct conf is immutable once built and is shared by every
 * thread: workers look keys and policies up in it while the main thread may
 * load its successor (ilnpdns-ctl reload). It is reference counted:
 * conf_load() and conf_defaults() return it holding one reference; each
 * thread that keeps using it across a reload takes its own with conf_ref()
 * and drops it with conf_unref(). The last conf_unref() calls conf_free(),
 * the destructor, which releases everything the conf owns, the update
 * policies and the TSIG key material (wiped) included. Pointers into a conf
 * (keys, zones, policies, as from conf_key_find()) are valid while the
 * caller holds a reference. conf_free() itself ignores the count: call it
 * directly only on a conf no other thread can see.
 */
struct conf {
	char *path;    /* file it came from, NULL for built-in defaults */
	unsigned refs; /* conf_ref()/conf_unref(); atomic builtins only */

	/* server: */
	struct conf_addr *listen;
	size_t nlisten;
	char *database;              /* LMDB directory */
	size_t mapsize;              /* bytes */
	unsigned workers;            /* query threads, default: one per core */
	uint32_t ilnp_ttl;           /* STORE_ILNP_TTL_KEEP for "keep" */
	char *control;               /* control socket path */
	struct conf_addr *metrics;   /* Prometheus listener or NULL */
	uint16_t edns_size;          /* advertised and maximum UDP payload, default 1232 */
	unsigned tcp_idle_ms;        /* idle timeout, default 10000 */
	unsigned tcp_message_ms;     /* a begun message must arrive whole within, default 5000 */
	unsigned tcp_max_clients;    /* connections per worker, default 1000 */
	unsigned tcp_max_per_source; /* connections per client address, default 32 */
	int log_level;               /* LOG_ERR..LOG_DEBUG */
	bool log_syslog;             /* false: stderr */
	bool log_queries;            /* one line per request (querylog.h), default false */
	char *user;                  /* drop to this user after binding, or NULL */

	/* key: then key-file: (TSIG keys, unique names; md5 only if a key: entry says so) */
	struct ilnpdns_tsig_key *keys;
	size_t nkeys;

	/* update: limits of the update path */
	unsigned update_batch_max; /* updates per group commit, default 64 */
	unsigned sig0_fail_limit;  /* failed SIG(0)/TSIG checks per source per minute, default 20 */

	/* DNS cookies (RFC 7873, RFC 9018; cookie.h) */
	uint8_t cookie_secret[16];  /* server.cookie-secret, or random for each load */
	bool cookie_secret_set;     /* from the file (servers sharing an anycast address) */
	bool update_require_cookie; /* update.require-cookie-or-tcp: SIG(0) over UDP needs one */
	unsigned update_max_rrs;    /* update.max-rrs: prerequisite + update RRs, default 1000 */

	/* rrl: response rate limiting (rrl.h), read at start only */
	bool rrl_enable;
	unsigned rrl_rate;       /* responses-per-second, default 20 */
	unsigned rrl_slip;       /* slip, default 2 */
	unsigned rrl_v4_prefix;  /* ipv4-prefix-length, default 24 */
	unsigned rrl_v6_prefix;  /* ipv6-prefix-length, default 56 */
	unsigned rrl_table_size; /* table-size, buckets per worker, default 65536 */

	/* zone: */
	struct conf_zone *zones;
	size_t nzones;
};

/*
 * Parse a YAML configuration file. Unknown keys, bad values and wrong shapes
 * are errors written to err as "file:line: key: problem". Relative paths
 * stay relative to the current directory. Returns 0 or ILNPDNS_ECONF /
 * ILNPDNS_ENOMEM; *out is owned by the caller (conf_free()).
 */
int conf_load(const char *path, struct conf **out, char *err, size_t errlen);

/*
 * The built-in defaults of the quick start: zones/example.ilnp.zone for
 * example.ilnp. on 127.0.0.1@5300 and ::1@5300, database var/ilnpdns,
 * control var/ilnpdns.sock, ILNP TTL 0, the published example key from
 * zones/example.ilnp.keys and an update policy that lets it change the
 * locators of mn.example.ilnp. and the L64/L32 of names in the zone. The key
 * file is read relative to the current directory; if that fails the reason
 * is logged and ILNPDNS_ECONF returned.
 */
int conf_defaults(struct conf **out);

/* The destructor; see LIFETIME above. NULL is ignored. */
void conf_free(struct conf *conf);

/* Take one more reference (atomically); returns conf. */
struct conf *conf_ref(struct conf *conf);

/* Drop one reference (atomically); the last one frees conf. NULL is ignored. */
void conf_unref(struct conf *conf);

/* The TSIG key with this (wire, case-insensitive) name, or NULL. */
const struct ilnpdns_tsig_key *conf_key_find(const struct conf *conf, const uint8_t *name);

/*
 * conf_key_find() in the shape of ilnpdns_tsig_lookup_fn (arg is the
 * struct conf), for ilnpdns_tsig_verify_request() and query_ctx_set_tsig().
 */
const struct ilnpdns_tsig_key *conf_tsig_lookup(const uint8_t *name, void *arg);

/*
 * True when addr (AF_INET or AF_INET6; an IPv4-mapped IPv6 address counts as
 * its IPv4 address) lies inside one of the prefixes.
 */
bool conf_prefix_match(const struct conf_prefix *prefixes, size_t n, const struct sockaddr *addr);

/*
 * May a transfer of zone z go to the client at peer, signed with the TSIG key
 * key_name (wire form, NULL when the request was unsigned)? True when one
 * allow-transfer item matches; false with no items (RFC 5936 5: a server
 * SHOULD restrict transfers).
 */
bool conf_transfer_allowed(const struct conf_zone *z, const struct sockaddr *peer,
                           const uint8_t *key_name);

/* The zone entry with this apex, or NULL. */
const struct conf_zone *conf_zone_find(const struct conf *conf, const uint8_t *apex);

#endif /* ILNPDNS_CONF_H */
