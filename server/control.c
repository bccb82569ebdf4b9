/* SPDX-License-Identifier: BSD-2-Clause */
/* control.c -- the control socket of ilnpdnsd: one command per connection, served in the main loop.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <ldns/ldns.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>

#include "conf.h"
#include "daemon.h"
#include "ilnpdns/dname.h"
#include "ilnpdns/base64.h"
#include "ilnpdns/error.h"
#include "ilnpdns/log.h"
#include "ilnpdns/wire.h"
#include "notify.h"
#include "server.h"
#include "stats.h"
#include "store.h"
#include "writer.h"
#include "zoneload.h"

/*
 * PROTOCOL. A UNIX stream socket at server.control, mode 0600 (whoever can
 * open it controls the daemon, so only its owner may). The client sends one
 * request line and the server answers and closes:
 *
 *   request  = command *(" " argument) LF        at most 4096 octets
 *   argument = octets other than space, "%", CR and LF; those four are sent
 *              percent-encoded ("%20", "%25", "%0D", "%0A") so that a file
 *              name may contain them
 *   reply    = *data-line status-line
 *   data-line   = text LF; a line that starts with "." is sent with one more
 *                 "." in front (dot-stuffing as in RFC 5321 section 4.5.2)
 *   status-line = ". ok" LF  /  ". error: " message LF
 *
 * Because every data line that begins with "." is stuffed, the status line
 * is the only line that starts with ". ", so the client needs no length
 * prefix and a zone dump can stream straight from the store.
 *
 * Commands:
 *   status                 "key: value" lines: version, pid, started, uptime
 *                          (seconds), config, database, workers, zones
 *   stats                  one JSON object (stats_write_json()) summed over
 *                          the workers
 *   zone-list              one line per zone: apex TAB "serial N" TAB
 *                          "imported TIME" TAB "ilnp-ttl N|keep"; configured
 *                          zones missing from the database show "not loaded"
 *   zone-import ZONE FILE  replace ZONE with the master file FILE (an
 *                          absolute path: ilnpdns-ctl resolves it), in one
 *                          transaction; the zone's configured ilnp-ttl (or
 *                          server.ilnp-ttl) applies
 *   zone-dump ZONE         the zone as a master file
 *   zone-status ZONE       the zone's serial, then one line per notify
 *                          target (see cmd_zone_status())
 *   wait-serial ZONE SERIAL [SECONDS]
 *                          reply once every notify target of ZONE answered
 *                          our SOA query with SERIAL or later (serves it,
 *                          notify_zone_reached(); "reached SERIAL", ok), or
 *                          after SECONDS (default 60; the lagging targets,
 *                          then ". error: timeout ..." naming them)
 *   events                 the change feed: one JSON object per line per
 *                          committed update, until the client closes
 *                          (see events_line()); no status line unless the
 *                          daemon stops (ok) or drops the subscriber (error)
 *   reload                 daemon_reload(): re-read the configuration
 *   stop                   answer, then daemon_stop()
 *   help                   the command list
 *
 * The commands run to completion in the main thread (the query workers are
 * other threads and keep answering), except wait-serial and events, which
 * stay on the loop (a timer polls, the feed is pushed) and never block it. Reading the request is
 * event-driven with a timeout; writing the reply is a blocking send with a send timeout, because
 * zone-import and zone-dump are synchronous calls into the store and a slow reader must only delay
 * the control loop, never the queries.
 */

#define REQUEST_MAX   4096
#define MAX_ARGS      4
#define READ_TIMEOUT  10 /* seconds to send the request line */
#define SEND_TIMEOUT  30 /* seconds a client may stall a reply */
#define REPLY_BUFSIZE 65536
#define WAIT_DEFAULT  60        /* seconds wait-serial waits without an explicit limit */
#define WAIT_MAX      86400     /* the longest it may be asked to */
#define WAIT_POLL_MS  100       /* how often it looks (a confirmation also wakes it) */
#define EVENTS_QUEUE  4096      /* changes queued between the writer and the loop */
#define EVENTS_BEHIND (4 << 20) /* octets a subscriber may lag before it is dropped */

struct waiter;
struct subscriber;

static struct {
	struct server *srv;
	struct evconnlistener *listener;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	struct waiter *waiters;  /* wait-serial requests in progress */
	struct subscriber *subs; /* events subscribers */
	struct event *events_ev; /* wakes the loop to drain the change queue */
} ctl;

/* ---- the change queue: the writer publishes, the loop drains ---- */

struct change_item {
	struct change_item *next;
	uint8_t apex[ILNPDNS_DNAME_MAXLEN];
	uint32_t old_serial, new_serial, removed, added;
	uint64_t time;
	size_t rrs_len;
	uint8_t rrs[];
};

static struct {
	pthread_mutex_t lock;
	struct change_item *head, *tail;
	size_t count;
	bool overflow;    /* a change was lost: the subscribers must go */
	unsigned nsubs;   /* atomic: read by the writer without the lock */
	struct event *ev; /* ctl.events_ev while the control socket runs */
} feed = {.lock = PTHREAD_MUTEX_INITIALIZER};

/* ---- the reply stream: dot-stuffing on top of blocking sends ---- */

struct reply {
	int fd;
	bool bol;    /* the next octet starts a line */
	bool failed; /* the client went away or stalled */
};

static int send_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

static ssize_t reply_write(void *cookie, const char *buf, size_t len)
{
	struct reply *r = cookie;
	char out[2 * 4096];
	size_t o = 0;

	if (r->failed)
		return -1;
	for (size_t i = 0; i < len; i++) {
		if (o + 2 > sizeof(out)) {
			if (send_all(r->fd, out, o) != 0)
				goto fail;
			o = 0;
		}
		if (r->bol && buf[i] == '.')
			out[o++] = '.';
		out[o++] = buf[i];
		r->bol = buf[i] == '\n';
	}
	if (send_all(r->fd, out, o) != 0)
		goto fail;
	return (ssize_t)len;
fail:
	r->failed = true;
	return -1;
}

/* ---- commands ---- */

struct request {
	int argc;
	char *argv[MAX_ARGS + 1];
};

/* Each command writes data lines to out; on failure it returns non-zero and sets err. */
typedef int (*command_fn)(struct request *req, FILE *out, char *err, size_t errlen);

static void fmt_time(uint64_t t, char *buf, size_t cap)
{
	time_t tt = (time_t)t;
	struct tm tm;
	if (t == 0 || gmtime_r(&tt, &tm) == NULL ||
	    strftime(buf, cap, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, cap, "never");
}

static int count_zone(const struct store_zone *zone, void *arg)
{
	(*(size_t *)arg)++;
	return 0;
}

static int cmd_status(struct request *req, FILE *out, char *err, size_t errlen)
{
	struct server *srv = ctl.srv;
	struct store_txn *txn;
	size_t zones = 0;
	char started[32];
	int rc;

	if ((rc = store_txn_begin(srv->store, false, &txn)) != 0) {
		snprintf(err, errlen, "database: %s", ilnpdns_strerror(rc));
		return rc;
	}
	store_zone_foreach(txn, count_zone, &zones);
	store_txn_abort(txn);
	fmt_time((uint64_t)srv->started, started, sizeof(started));
	fprintf(out, "version: %s\n", PACKAGE_VERSION);
	fprintf(out, "pid: %ld\n", (long)getpid());
	fprintf(out, "started: %s\n", started);
	fprintf(out, "uptime: %lld\n", (long long)(time(NULL) - srv->started));
	fprintf(out, "config: %s\n", srv->conf->path ? srv->conf->path : "built-in defaults");
	fprintf(out, "database: %s\n", srv->conf->database);
	fprintf(out, "workers: %zu\n", srv->nworkers);
	fprintf(out, "zones: %zu\n", zones);
	return 0;
}

static int cmd_stats(struct request *req, FILE *out, char *err, size_t errlen)
{
	struct stats sum;
	stats_sum(ctl.srv->stats, ctl.srv->nstats, &sum);
	stats_write_json(&sum, out);
	return 0;
}

struct list_state {
	FILE *out;
	const struct conf *conf;
	bool *listed; /* per configured zone: seen in the database */
};

static void fmt_ttl(uint32_t ttl, char *buf, size_t cap)
{
	if (ttl == STORE_ILNP_TTL_KEEP)
		snprintf(buf, cap, "keep");
	else
		snprintf(buf, cap, "%u", ttl);
}

static int list_zone(const struct store_zone *zone, void *arg)
{
	struct list_state *ls = arg;
	char apex[4 * ILNPDNS_DNAME_MAXLEN + 1], when[32], ttl[16];
	if (ilnpdns_dname_to_str(zone->apex, apex, sizeof(apex)) < 0)
		snprintf(apex, sizeof(apex), "?");
	for (size_t i = 0; i < ls->conf->nzones; i++)
		if (ilnpdns_dname_equal(ls->conf->zones[i].apex, zone->apex))
			ls->listed[i] = true;
	fmt_time(zone->imported, when, sizeof(when));
	fmt_ttl(zone->ilnp_ttl, ttl, sizeof(ttl));
	fprintf(ls->out, "%s\tserial %u\timported %s\tilnp-ttl %s\n", apex, zone->serial, when,
	        ttl);
	return 0;
}

static int cmd_zone_list(struct request *req, FILE *out, char *err, size_t errlen)
{
	const struct conf *conf = ctl.srv->conf;
	struct list_state ls = {.out = out, .conf = conf};
	struct store_txn *txn;
	int rc;

	ls.listed = calloc(conf->nzones + 1, sizeof(bool));
	if (ls.listed == NULL)
		return ILNPDNS_ENOMEM;
	if ((rc = store_txn_begin(ctl.srv->store, false, &txn)) != 0) {
		free(ls.listed);
		snprintf(err, errlen, "database: %s", ilnpdns_strerror(rc));
		return rc;
	}
	rc = store_zone_foreach(txn, list_zone, &ls);
	store_txn_abort(txn);
	for (size_t i = 0; rc == 0 && i < conf->nzones; i++)
		if (!ls.listed[i])
			fprintf(out, "%s\tnot loaded\n", conf->zones[i].domain);
	free(ls.listed);
	if (rc != 0)
		snprintf(err, errlen, "database: %s", ilnpdns_strerror(rc));
	return rc;
}

static int parse_zone(const char *text, uint8_t *apex, char *err, size_t errlen)
{
	int rc = ilnpdns_dname_from_str(text, apex);
	if (rc < 0) {
		snprintf(err, errlen, "\"%s\" is not a valid zone name (%s)", text,
		         ilnpdns_strerror(rc));
		return rc;
	}
	return 0;
}

static int cmd_zone_import(struct request *req, FILE *out, char *err, size_t errlen)
{
	const struct conf *conf = ctl.srv->conf;
	uint8_t apex[ILNPDNS_DNAME_MAXLEN];
	struct zoneload_result res = {0};
	const struct conf_zone *cz;
	uint32_t ttl;
	int rc;

	if ((rc = parse_zone(req->argv[1], apex, err, errlen)) != 0)
		return rc;
	/* The daemon's working directory is not the operator's: no relative paths. */
	if (req->argv[2][0] != '/') {
		snprintf(err, errlen, "file \"%s\" is not an absolute path", req->argv[2]);
		return ILNPDNS_EINVAL;
	}
	cz = conf_zone_find(conf, apex);
	ttl = cz != NULL ? cz->ilnp_ttl : conf->ilnp_ttl;
	rc = zoneload_file(ctl.srv->store, apex, req->argv[2], ttl, &res, err, errlen);
	if (rc != 0) {
		log_warnx("zone-import %s from %s failed: %s", req->argv[1], req->argv[2], err);
		return rc;
	}
	log_notice("zone-import %s from %s: serial %u, %zu records, %zu RRsets, %zu warnings, "
	           "%.3f s",
	           req->argv[1], req->argv[2], res.serial, res.records, res.rrsets, res.warnings,
	           res.seconds);
	/* RFC 1996 4: the secondaries learn of the new content. */
	daemon_notify_zone(ctl.srv, apex);
	fprintf(out, "imported %s: serial %u, %zu records, %zu RRsets, %zu warnings in %.3f s",
	        req->argv[1], res.serial, res.records, res.rrsets, res.warnings, res.seconds);
	if (res.seconds > 0)
		fprintf(out, " (%.0f records/s)", (double)res.records / res.seconds);
	fputc('\n', out);
	if (cz == NULL)
		fprintf(out, "warning: %s is not in the configuration; it is served anyway\n",
		        req->argv[1]);
	return 0;
}

static int cmd_zone_dump(struct request *req, FILE *out, char *err, size_t errlen)
{
	uint8_t apex[ILNPDNS_DNAME_MAXLEN];
	struct store_txn *txn;
	struct store_zone zone;
	int rc;

	if ((rc = parse_zone(req->argv[1], apex, err, errlen)) != 0)
		return rc;
	if ((rc = store_txn_begin(ctl.srv->store, false, &txn)) != 0) {
		snprintf(err, errlen, "database: %s", ilnpdns_strerror(rc));
		return rc;
	}
	rc = store_zone_get(txn, apex, &zone);
	if (rc == ILNPDNS_ENOENT)
		snprintf(err, errlen, "no zone %s in the database", req->argv[1]);
	else if (rc != 0)
		snprintf(err, errlen, "database: %s", ilnpdns_strerror(rc));
	else if ((rc = zonedump_write(txn, &zone, out)) != 0)
		snprintf(err, errlen, "dump of %s failed: %s", req->argv[1], ilnpdns_strerror(rc));
	store_txn_abort(txn);
	return rc;
}

static void fmt_sockaddr(const struct sockaddr_storage *ss, char *buf, size_t cap)
{
	char a[INET6_ADDRSTRLEN] = "?";
	unsigned port = 0;
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)ss;
		inet_ntop(AF_INET, &s4->sin_addr, a, sizeof(a));
		port = ntohs(s4->sin_port);
	} else if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)ss;
		inet_ntop(AF_INET6, &s6->sin6_addr, a, sizeof(a));
		port = ntohs(s6->sin6_port);
	}
	snprintf(buf, cap, "%s@%u", a, port);
}

static const char *rcode_name(int rcode)
{
	static const char *const names[] = {
	    "NOERROR",  "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP",  "REFUSED",
	    "YXDOMAIN", "YXRRSET", "NXRRSET",  "NOTAUTH",  "NOTZONE",
	};
	if (rcode < 0)
		return "-";
	if ((size_t)rcode < sizeof(names) / sizeof(names[0]))
		return names[rcode];
	return "other";
}

/* The configured zone named by text, or NULL with err set. */
static const struct conf_zone *configured_zone(const char *text, uint8_t *apex, char *err,
                                               size_t errlen)
{
	if (parse_zone(text, apex, err, errlen) != 0)
		return NULL;
	const struct conf_zone *z = conf_zone_find(ctl.srv->conf, apex);
	if (z == NULL)
		snprintf(err, errlen, "zone %s is not configured", text);
	return z;
}

/* One notify target's state: where, which key, then "name value" fields (see the man page). */
static void print_target(FILE *out, const struct notify_status *t, const struct conf_zone *z)
{
	char addr[80], acked[32], xfr[32], serving[32], key[4 * ILNPDNS_DNAME_MAXLEN + 1] = "-";
	fmt_sockaddr(&t->addr, addr, sizeof(addr));
	for (size_t i = 0; t->has_key && i < z->nnotify; i++)
		if (z->notify[i].has_key && z->notify[i].addrlen == t->addrlen &&
		    memcmp(&z->notify[i].addr, &t->addr, t->addrlen) == 0 &&
		    ilnpdns_dname_to_str(z->notify[i].key.name, key, sizeof(key)) < 0)
			snprintf(key, sizeof(key), "?");
	fmt_time(t->acked_time, acked, sizeof(acked));
	fmt_time(t->xfr_time, xfr, sizeof(xfr));
	fmt_time(t->serving_time, serving, sizeof(serving));
	fprintf(out, "target %s\tkey %s\t", addr, key);
	if (t->acked_time)
		fprintf(out, "acked %u %s\t", t->acked_serial, acked);
	else
		fprintf(out, "acked - never\t");
	if (t->xfr_time)
		fprintf(out, "transferred %s %u %s\t",
		        t->xfr_type == ILNPDNS_T_AXFR ? "AXFR" : "IXFR", t->xfr_serial, xfr);
	else
		fprintf(out, "transferred - never\t");
	if (t->serving_time)
		fprintf(out, "serving %u %s\t", t->serving_serial, serving);
	else
		fprintf(out, "serving - never\t");
	fprintf(out, "sent %llu\tfailures %llu\tlast-rcode %s\t", (unsigned long long)t->sent,
	        (unsigned long long)t->failures, rcode_name(t->last_rcode));
	if (t->in_flight)
		fprintf(out, "notifying %u\t", t->pending_serial);
	else
		fprintf(out, "notifying -\t");
	fprintf(out, "probes %llu\tprobing %s\n", (unsigned long long)t->probes,
	        t->probing ? "yes" : "no");
}

/* The zone's targets (up to 64, the configuration's limit), or 0 with *n 0. */
static int zone_targets(const uint8_t *apex, struct notify_status *st, size_t cap, size_t *n)
{
	*n = 0;
	if (ctl.srv->notify == NULL)
		return 0;
	int rc = notify_status(ctl.srv->notify, apex, st, cap, n);
	if (rc == ILNPDNS_ENOENT) {
		*n = 0;
		return 0;
	}
	if (*n > cap)
		*n = cap;
	return rc;
}

/*
 * zone-status ZONE:
 *   zone NAME TAB serial N TAB targets K
 *   target ADDR@PORT TAB key KEY|- TAB acked SERIAL TIME|acked - never TAB
 *     transferred AXFR|IXFR SERIAL TIME|transferred - never TAB
 *     serving SERIAL TIME|serving - never TAB sent N TAB failures N TAB
 *     last-rcode RCODE|- TAB notifying SERIAL|- TAB probes N TAB probing yes|no
 */
static int cmd_zone_status(struct request *req, FILE *out, char *err, size_t errlen)
{
	uint8_t apex[ILNPDNS_DNAME_MAXLEN];
	struct notify_status st[64];
	struct store_txn *txn;
	struct store_zone zone;
	size_t n;
	int rc;

	const struct conf_zone *z = configured_zone(req->argv[1], apex, err, errlen);
	if (z == NULL)
		return ILNPDNS_ENOENT;
	if ((rc = store_txn_begin(ctl.srv->store, false, &txn)) != 0) {
		snprintf(err, errlen, "database: %s", ilnpdns_strerror(rc));
		return rc;
	}
	rc = store_zone_get(txn, apex, &zone);
	uint32_t serial = zone.serial;
	store_txn_abort(txn);
	if (rc != 0) {
		snprintf(err, errlen, "zone %s: %s", req->argv[1],
		         rc == ILNPDNS_ENOENT ? "not loaded" : ilnpdns_strerror(rc));
		return rc;
	}
	if ((rc = zone_targets(apex, st, 64, &n)) != 0) {
		snprintf(err, errlen, "notify: %s", ilnpdns_strerror(rc));
		return rc;
	}
	fprintf(out, "zone %s\tserial %u\ttargets %zu\n", z->domain, serial, n);
	for (size_t i = 0; i < n; i++)
		print_target(out, &st[i], z);
	return 0;
}

static int cmd_reload(struct request *req, FILE *out, char *err, size_t errlen)
{
	return daemon_reload(ctl.srv, err, errlen);
}

static int cmd_stop(struct request *req, FILE *out, char *err, size_t errlen)
{
	/* daemon_stop() runs after the reply is sent (see serve_request()). */
	return 0;
}

static int cmd_help(struct request *req, FILE *out, char *err, size_t errlen);

static const struct command {
	const char *name;
	int nargs;
	const char *args;
	command_fn fn;
} commands[] = {
    {"status", 0, "", cmd_status},
    {"stats", 0, "", cmd_stats},
    {"zone-list", 0, "", cmd_zone_list},
    {"zone-import", 2, " ZONE FILE", cmd_zone_import},
    {"zone-dump", 1, " ZONE", cmd_zone_dump},
    {"zone-status", 1, " ZONE", cmd_zone_status},
    /* Served on the loop (serve_async()); listed here for help. */
    {"wait-serial", -1, " ZONE SERIAL [SECONDS]", NULL},
    {"events", 0, "", NULL},
    {"reload", 0, "", cmd_reload},
    {"stop", 0, "", cmd_stop},
    {"help", 0, "", cmd_help},
};

static int cmd_help(struct request *req, FILE *out, char *err, size_t errlen)
{
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(out, "%s%s\n", commands[i].name, commands[i].args);
	return 0;
}


/* Split and percent-decode the request line in place. */
static int parse_request(char *line, struct request *req, char *err, size_t errlen)
{
	req->argc = 0;
	for (char *p = line; *p != '\0';) {
		char *w = p, *start = p;
		if (req->argc == MAX_ARGS) {
			snprintf(err, errlen, "too many arguments");
			return ILNPDNS_EINVAL;
		}
		while (*p != '\0' && *p != ' ') {
			if (*p == '%') {
				int hi = ilnpdns_hexval(p[1]), lo = hi < 0 ? -1 : ilnpdns_hexval(p[2]);
				if (hi < 0 || lo < 0 || (hi == 0 && lo == 0)) {
					snprintf(err, errlen, "bad %% escape in the request");
					return ILNPDNS_EINVAL;
				}
				*w++ = (char)(hi << 4 | lo);
				p += 3;
			} else {
				*w++ = *p++;
			}
		}
		if (*p == ' ')
			p++;
		*w = '\0';
		if (w == start) {
			snprintf(err, errlen, "empty argument in the request");
			return ILNPDNS_EINVAL;
		}
		req->argv[req->argc++] = start;
	}
	req->argv[req->argc] = NULL;
	if (req->argc == 0) {
		snprintf(err, errlen, "empty request");
		return ILNPDNS_EINVAL;
	}
	return 0;
}

/* Run one request line and send the whole reply on the (now blocking) fd. */
static void serve_request(int fd, char *line)
{
	struct reply r = {.fd = fd, .bol = true};
	cookie_io_functions_t io = {.write = reply_write};
	struct request req;
	char err[1024] = "", status[1100];
	const struct command *cmd = NULL;
	bool stop = false;
	FILE *out;
	int rc;

	out = fopencookie(&r, "w", io);
	if (out == NULL) {
		log_warn("control: cannot set up a reply");
		return;
	}
	setvbuf(out, NULL, _IOFBF, REPLY_BUFSIZE);
	rc = parse_request(line, &req, err, sizeof(err));
	if (rc == 0) {
		for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
			if (strcmp(commands[i].name, req.argv[0]) == 0)
				cmd = &commands[i];
		if (cmd == NULL) {
			snprintf(err, sizeof(err), "unknown command \"%s\" (try help)",
			         req.argv[0]);
			rc = ILNPDNS_EINVAL;
		} else if (req.argc - 1 != cmd->nargs) {
			snprintf(err, sizeof(err), "usage: %s%s", cmd->name, cmd->args);
			rc = ILNPDNS_EINVAL;
		}
	}
	if (rc == 0) {
		log_info("control: %s", req.argv[0]);
		rc = cmd->fn(&req, out, err, sizeof(err));
		stop = rc == 0 && cmd->fn == cmd_stop;
	}
	if (!r.bol)
		fputc('\n', out);
	fflush(out);
	if (rc != 0 && err[0] == '\0')
		snprintf(err, sizeof(err), "%s", ilnpdns_strerror(rc));
	/* Newlines inside a message would end the status line early. */
	for (char *p = err; *p != '\0'; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	if (rc == 0)
		snprintf(status, sizeof(status), ". ok\n");
	else
		snprintf(status, sizeof(status), ". error: %s\n", err);
	if (!r.failed && send_all(fd, status, strlen(status)) != 0)
		r.failed = true;
	if (r.failed)
		log_info("control: client went away during the reply");
	fclose(out);
	if (stop) {
		log_notice("control: stop requested");
		daemon_stop(ctl.srv);
	}
}

/* ---- replies of the commands that stay on the loop ---- */

/* Send data (dot-stuffed) and the status line, blocking with the send timeout, and close. */
static void reply_close(int fd, const char *data, int rc, const char *err)
{
	struct reply r = {.fd = fd, .bol = true};
	struct timeval tv = {.tv_sec = SEND_TIMEOUT};
	char status[1100];
	int flags = fcntl(fd, F_GETFL);
	if (flags >= 0)
		fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (data && *data)
		reply_write(&r, data, strlen(data));
	if (rc == 0)
		snprintf(status, sizeof(status), "%s. ok\n", r.bol ? "" : "\n");
	else
		snprintf(status, sizeof(status), "%s. error: %s\n", r.bol ? "" : "\n", err);
	if (!r.failed)
		send_all(fd, status, strlen(status));
	close(fd);
}

/*
 * ---- wait-serial: notify_zone_reached() on each confirmation (on_confirm()) and on a timer ----
 */

struct waiter {
	struct waiter *prev, *next;
	int fd;
	struct event *tick;
	uint8_t apex[ILNPDNS_DNAME_MAXLEN];
	char zone[256];
	uint32_t serial;
	struct timeval deadline;
};

static void waiter_end(struct waiter *wt, int rc, const char *data, const char *err)
{
	if (wt->prev)
		wt->prev->next = wt->next;
	else
		ctl.waiters = wt->next;
	if (wt->next)
		wt->next->prev = wt->prev;
	event_free(wt->tick);
	reply_close(wt->fd, data, rc, err);
	free(wt);
}

/*
 * Lines (as zone-status prints them) for the targets not known to serve the
 * serial, for a timeout; names gets "ADDR@PORT serves N|nothing confirmed", ...
 */
static char *lagging_targets(const struct waiter *wt, size_t *lag, size_t *total, char *names,
                             size_t ncap)
{
	struct notify_status st[64];
	char *text = NULL, addr[80];
	size_t len = 0, n = 0, used = 0;
	*lag = 0;
	names[0] = '\0';
	zone_targets(wt->apex, st, 64, &n);
	*total = n;
	FILE *out = open_memstream(&text, &len);
	if (out == NULL)
		return NULL;
	const struct conf_zone *z = conf_zone_find(ctl.srv->conf, wt->apex);
	for (size_t i = 0; z && i < n; i++) {
		if (notify_status_serves(&st[i], wt->serial))
			continue;
		(*lag)++;
		print_target(out, &st[i], z);
		fmt_sockaddr(&st[i].addr, addr, sizeof(addr));
		int w;
		if (st[i].serving_time)
			w = snprintf(names + used, ncap - used, "%s%s serves %u", used ? ", " : "",
			             addr, st[i].serving_serial);
		else
			w = snprintf(names + used, ncap - used, "%s%s nothing confirmed",
			             used ? ", " : "", addr);
		if (w > 0)
			used = used + (size_t)w < ncap ? used + (size_t)w : ncap - 1;
	}
	fclose(out);
	return text;
}

static void waiter_tick(evutil_socket_t fd, short what, void *arg)
{
	struct waiter *wt = arg;
	struct timeval now, poll = {0, WAIT_POLL_MS * 1000};
	char line[64], err[1024], names[768];

	if (ctl.srv->notify == NULL || notify_zone_reached(ctl.srv->notify, wt->apex, wt->serial)) {
		snprintf(line, sizeof(line), "reached %u\n", wt->serial);
		waiter_end(wt, 0, line, NULL);
		return;
	}
	gettimeofday(&now, NULL);
	if (timercmp(&now, &wt->deadline, >=)) {
		size_t lag, total;
		char *data = lagging_targets(wt, &lag, &total, names, sizeof(names));
		snprintf(err, sizeof(err),
		         "timeout: %zu of %zu secondaries of %s below serial %u: %s", lag, total,
		         wt->zone, wt->serial, names);
		waiter_end(wt, ILNPDNS_ETIMEDOUT, data, err);
		free(data);
		return;
	}
	evtimer_add(wt->tick, &poll);
}

static bool parse_u32(const char *s, uint32_t max, uint32_t *out)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (*s < '0' || *s > '9' || *end != '\0' || errno != 0 || v > max)
		return false;
	*out = (uint32_t)v;
	return true;
}

static void start_wait(int fd, struct request *req)
{
	char err[512] = "";
	uint32_t secs = WAIT_DEFAULT;
	struct waiter *wt = NULL;

	if (req->argc < 3 || req->argc > 4) {
		reply_close(fd, NULL, -1, "usage: wait-serial ZONE SERIAL [SECONDS]");
		return;
	}
	if ((wt = calloc(1, sizeof(*wt))) == NULL) {
		reply_close(fd, NULL, -1, "out of memory");
		return;
	}
	if (configured_zone(req->argv[1], wt->apex, err, sizeof(err)) == NULL)
		goto fail;
	if (!parse_u32(req->argv[2], UINT32_MAX, &wt->serial)) {
		snprintf(err, sizeof(err), "\"%s\" is not a serial (0 to 4294967295)",
		         req->argv[2]);
		goto fail;
	}
	if (req->argc == 4 && !parse_u32(req->argv[3], WAIT_MAX, &secs)) {
		snprintf(err, sizeof(err), "\"%s\" is not a number of seconds (0 to %d)",
		         req->argv[3], WAIT_MAX);
		goto fail;
	}
	if ((wt->tick = evtimer_new(ctl.srv->base, waiter_tick, wt)) == NULL) {
		snprintf(err, sizeof(err), "out of memory");
		goto fail;
	}
	snprintf(wt->zone, sizeof(wt->zone), "%s", req->argv[1]);
	wt->fd = fd;
	struct timeval now, add = {.tv_sec = secs};
	gettimeofday(&now, NULL);
	timeradd(&now, &add, &wt->deadline);
	wt->next = ctl.waiters;
	if (ctl.waiters)
		ctl.waiters->prev = wt;
	ctl.waiters = wt;
	log_info("control: wait-serial %s %u (%u s)", wt->zone, wt->serial, secs);
	/* Probe the secondaries not known to serve it, for as long as we wait. */
	if (ctl.srv->notify)
		notify_zone_watch(ctl.srv->notify, wt->apex, wt->serial, secs);
	waiter_tick(-1, 0, wt); /* maybe reached already */
	return;
fail:
	free(wt);
	reply_close(fd, NULL, -1, err);
}

/* A target's confirmed serial moved (notify.c, on the loop): the zone's waiters look now. */
static void on_confirm(const uint8_t *apex, void *arg)
{
	for (struct waiter *wt = ctl.waiters; wt; wt = wt->next)
		if (ilnpdns_dname_equal(wt->apex, apex))
			event_active(wt->tick, EV_TIMEOUT, 1);
}

/* ---- events: the change feed ---- */

struct subscriber {
	struct subscriber *prev, *next;
	struct bufferevent *bev;
};

static void sub_drop(struct subscriber *sb, const char *status)
{
	if (sb->prev)
		sb->prev->next = sb->next;
	else
		ctl.subs = sb->next;
	if (sb->next)
		sb->next->prev = sb->prev;
	__atomic_sub_fetch(&feed.nsubs, 1, __ATOMIC_RELAXED);
	int fd = (int)bufferevent_getfd(sb->bev);
	bufferevent_free(sb->bev);
	if (status != NULL)
		send(fd, status, strlen(status), MSG_NOSIGNAL | MSG_DONTWAIT);
	close(fd);
	free(sb);
}

bool control_events_wanted(void)
{
	return __atomic_load_n(&feed.nsubs, __ATOMIC_RELAXED) > 0;
}

void control_events_publish(const struct writer_change *ch)
{
	if (ch->rrs == NULL)
		return; /* taken before anyone subscribed */
	struct change_item *it = malloc(sizeof(*it) + ch->rrs_len);
	pthread_mutex_lock(&feed.lock);
	if (it == NULL || feed.count >= EVENTS_QUEUE) {
		/* Never wait for the loop: the subscribers lose this change, so
		 * they are dropped rather than shown a feed with a hole. */
		feed.overflow = true;
		free(it);
		it = NULL;
	} else {
		memcpy(it->apex, ch->apex, ilnpdns_dname_len(ch->apex));
		it->old_serial = ch->old_serial;
		it->new_serial = ch->new_serial;
		it->removed = ch->removed;
		it->added = ch->added;
		it->time = (uint64_t)time(NULL);
		it->rrs_len = ch->rrs_len;
		memcpy(it->rrs, ch->rrs, ch->rrs_len);
		it->next = NULL;
		if (feed.tail)
			feed.tail->next = it;
		else
			feed.head = it;
		feed.tail = it;
		feed.count++;
	}
	if (feed.ev)
		event_active(feed.ev, 0, 0);
	pthread_mutex_unlock(&feed.lock);
}

/* JSON string contents: quote, backslash and control characters escaped. */
static void json_str(struct evbuffer *b, const char *s)
{
	evbuffer_add(b, "\"", 1);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			evbuffer_add_printf(b, "\\%c", c);
		else if (c < 0x20)
			evbuffer_add_printf(b, "\\u%04x", c);
		else
			evbuffer_add(b, s, 1);
	}
	evbuffer_add(b, "\"", 1);
}

/* Length of the uncompressed wire name at p (at most len octets), or 0 if malformed. */
static size_t wire_name_len(const uint8_t *p, size_t len)
{
	size_t i = 0;
	while (i < len && i < ILNPDNS_DNAME_MAXLEN) {
		if (p[i] == 0)
			return i + 1;
		if (p[i] > 63)
			return 0;
		i += 1 + (size_t)p[i];
	}
	return 0;
}

/* One journal RR in presentation form ("owner TTL IN TYPE rdata", single spaces). */
static void rr_text(struct evbuffer *b, const uint8_t *rr, size_t len)
{
	ldns_rr *r = NULL;
	size_t pos = 0;
	char *text = NULL;
	if (ldns_wire2rr(&r, rr, len, &pos, LDNS_SECTION_ANSWER) == LDNS_STATUS_OK)
		text = ldns_rr2str(r);
	if (text == NULL) {
		json_str(b, "(unprintable)");
	} else {
		char *w = text;
		for (char *p = text; *p; p++) {
			if (*p == '\n')
				continue;
			if (*p == '\t' || *p == ' ') {
				if (w > text && w[-1] == ' ')
					continue;
				*w++ = ' ';
			} else {
				*w++ = *p;
			}
		}
		while (w > text && w[-1] == ' ')
			w--;
		*w = '\0';
		json_str(b, text);
	}
	free(text);
	ldns_rr_free(r);
}

/*
 * One change as a JSON line:
 *   {"zone":"example.ilnp.","serial":N,"old_serial":M,"time":UNIX,
 *    "removed":["owner TTL IN TYPE rdata",...],"added":[...]}
 * The journal entry's SOA pair (old SOA first among the removed, new SOA
 * first among the added) is left out: serial and old_serial say it.
 */
static void events_line(struct evbuffer *b, const struct change_item *it)
{
	char zone[4 * ILNPDNS_DNAME_MAXLEN + 1];
	if (ilnpdns_dname_to_str(it->apex, zone, sizeof(zone)) < 0)
		snprintf(zone, sizeof(zone), "?");
	evbuffer_add_printf(b, "{\"zone\":");
	json_str(b, zone);
	evbuffer_add_printf(b, ",\"serial\":%u,\"old_serial\":%u,\"time\":%llu,\"removed\":[",
	                    it->new_serial, it->old_serial, (unsigned long long)it->time);
	size_t pos = 0;
	uint32_t total = it->removed + it->added;
	bool comma = false, in_added = false;
	for (uint32_t i = 0; i < total; i++) {
		size_t nl = wire_name_len(it->rrs + pos, it->rrs_len - pos);
		if (nl == 0 || pos + nl + 10 > it->rrs_len)
			break;
		size_t rlen = nl + 10 + ilnpdns_get16(it->rrs + pos + nl + 8);
		if (pos + rlen > it->rrs_len)
			break;
		if (i == it->removed) {
			evbuffer_add_printf(b, "],\"added\":[");
			in_added = true;
			comma = false;
		}
		bool soa = ilnpdns_get16(it->rrs + pos + nl) == ILNPDNS_T_SOA;
		if (!(soa && (i == 0 || i == it->removed))) {
			if (comma)
				evbuffer_add(b, ",", 1);
			rr_text(b, it->rrs + pos, rlen);
			comma = true;
		}
		pos += rlen;
	}
	if (!in_added)
		evbuffer_add_printf(b, "],\"added\":[");
	evbuffer_add_printf(b, "]}\n");
}

static void on_feed(evutil_socket_t fd, short what, void *arg)
{
	pthread_mutex_lock(&feed.lock);
	struct change_item *it = feed.head;
	bool overflow = feed.overflow;
	feed.head = feed.tail = NULL;
	feed.count = 0;
	feed.overflow = false;
	pthread_mutex_unlock(&feed.lock);

	struct evbuffer *line = evbuffer_new();
	for (struct change_item *next; it; it = next) {
		next = it->next;
		if (line && ctl.subs) {
			evbuffer_drain(line, evbuffer_get_length(line));
			events_line(line, it);
			size_t n = evbuffer_get_length(line);
			const void *p = evbuffer_pullup(line, -1);
			for (struct subscriber *sb = ctl.subs, *nsb; sb; sb = nsb) {
				nsb = sb->next;
				struct evbuffer *out = bufferevent_get_output(sb->bev);
				/* A slow reader is dropped, never waited for. */
				if (evbuffer_get_length(out) > EVENTS_BEHIND) {
					log_notice("control: events subscriber too slow, dropped");
					sub_drop(sb, NULL);
					continue;
				}
				bufferevent_write(sb->bev, p, n);
			}
		}
		free(it);
	}
	evbuffer_free(line);
	if (overflow) {
		log_warnx("control: change feed overflowed, dropping its subscribers");
		while (ctl.subs)
			sub_drop(ctl.subs, ". error: change feed overflow, changes were lost\n");
	}
}

static void on_sub_event(struct bufferevent *bev, short what, void *arg)
{
	/* The client closed (EOF) or the connection failed. */
	sub_drop(arg, NULL);
}

static void on_sub_read(struct bufferevent *bev, void *arg)
{
	struct evbuffer *in = bufferevent_get_input(bev);
	evbuffer_drain(in, evbuffer_get_length(in)); /* nothing is expected */
}

static void start_events(int fd, struct request *req)
{
	if (req->argc != 1) {
		reply_close(fd, NULL, -1, "usage: events");
		return;
	}
	struct subscriber *sb = calloc(1, sizeof(*sb));
	if (sb == NULL || (sb->bev = bufferevent_socket_new(ctl.srv->base, fd, 0)) == NULL) {
		free(sb);
		reply_close(fd, NULL, -1, "out of memory");
		return;
	}
	bufferevent_setcb(sb->bev, on_sub_read, NULL, on_sub_event, sb);
	bufferevent_enable(sb->bev, EV_READ | EV_WRITE);
	sb->next = ctl.subs;
	if (ctl.subs)
		ctl.subs->prev = sb;
	ctl.subs = sb;
	__atomic_add_fetch(&feed.nsubs, 1, __ATOMIC_RELAXED);
	log_info("control: events subscriber added");
}

/* wait-serial and events stay on the loop; true when line was one of them (fd is taken). */
static bool serve_async(int fd, const char *line)
{
	char copy[REQUEST_MAX + 1], err[256];
	struct request req;
	snprintf(copy, sizeof(copy), "%s", line);
	if (parse_request(copy, &req, err, sizeof(err)) != 0)
		return false;
	if (strcmp(req.argv[0], "wait-serial") == 0)
		start_wait(fd, &req);
	else if (strcmp(req.argv[0], "events") == 0)
		start_events(fd, &req);
	else
		return false;
	return true;
}

static void on_conn_event(struct bufferevent *bev, short what, void *arg)
{
	int fd = (int)bufferevent_getfd(bev);
	if (what & BEV_EVENT_TIMEOUT)
		log_info("control: client sent no request within %d s", READ_TIMEOUT);
	bufferevent_free(bev);
	close(fd);
}

static void on_conn_read(struct bufferevent *bev, void *arg)
{
	struct evbuffer *in = bufferevent_get_input(bev);
	int fd = (int)bufferevent_getfd(bev);
	size_t len;
	char *line = evbuffer_readln(in, &len, EVBUFFER_EOL_CRLF);
	struct timeval tv = {.tv_sec = SEND_TIMEOUT};

	if (line == NULL) {
		if (evbuffer_get_length(in) <= REQUEST_MAX)
			return; /* wait for the rest of the line */
		bufferevent_free(bev);
		send_all(fd, ". error: request too long\n", 26);
		close(fd);
		return;
	}
	bufferevent_free(bev);
	if (len > REQUEST_MAX || strlen(line) != len) {
		send_all(fd, ". error: bad request line\n", 26);
	} else if (serve_async(fd, line)) {
		free(line);
		return;
	} else {
		/* From here on the reply is written synchronously (see the top comment). */
		int flags = fcntl(fd, F_GETFL);
		if (flags >= 0)
			fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
		serve_request(fd, line);
	}
	free(line);
	close(fd);
}

static void on_accept(struct evconnlistener *lev, evutil_socket_t fd, struct sockaddr *sa,
                      int salen, void *arg)
{
	struct event_base *base = evconnlistener_get_base(lev);
	struct bufferevent *bev = bufferevent_socket_new(base, fd, 0);
	struct timeval tv = {.tv_sec = READ_TIMEOUT};
	if (bev == NULL) {
		close(fd);
		return;
	}
	bufferevent_setcb(bev, on_conn_read, NULL, on_conn_event, NULL);
	bufferevent_set_timeouts(bev, &tv, NULL);
	bufferevent_enable(bev, EV_READ);
}

/*
 * A socket file left by a daemon that died is removed; one that still
 * accepts connections belongs to a running daemon and is left alone.
 */
static int clear_stale(const char *path, const struct sockaddr_un *sun)
{
	struct stat st;
	int fd, rc;
	if (lstat(path, &st) != 0)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISSOCK(st.st_mode)) {
		log_err("control socket %s: exists and is not a socket", path);
		return ILNPDNS_EEXIST;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	rc = connect(fd, (const struct sockaddr *)sun, sizeof(*sun));
	close(fd);
	if (rc == 0) {
		log_err("control socket %s: another daemon is listening on it", path);
		return -EADDRINUSE;
	}
	if (unlink(path) != 0 && errno != ENOENT)
		return -errno;
	return 0;
}

/* Create the socket's folder (one level, like var/ in the quick start) if missing. */
static void make_parent(const char *path)
{
	char dir[sizeof(ctl.path)];
	char *slash;
	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (slash == NULL || slash == dir)
		return;
	*slash = '\0';
	if (mkdir(dir, 0755) == 0)
		log_info("created %s for the control socket", dir);
}

int control_start(struct server *srv)
{
	const char *path = srv->conf->control;
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	mode_t old_mask;
	int fd, rc;

	if (path == NULL || strlen(path) >= sizeof(sun.sun_path))
		return ILNPDNS_EINVAL;
	memcpy(sun.sun_path, path, strlen(path) + 1);
	make_parent(path);
	if ((rc = clear_stale(path, &sun)) != 0)
		return rc;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* The umask makes the socket 0600 from its creation: no window for others. */
	old_mask = umask(0177);
	rc = bind(fd, (struct sockaddr *)&sun, sizeof(sun));
	umask(old_mask);
	if (rc != 0 || chmod(path, 0600) != 0 || listen(fd, 16) != 0) {
		rc = -errno;
		log_err("control socket %s: %s", path, strerror(-rc));
		close(fd);
		return rc;
	}
	ctl.listener = evconnlistener_new(srv->base, on_accept, NULL,
	                                  LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, -1, fd);
	if (ctl.listener == NULL) {
		close(fd);
		unlink(path);
		return ILNPDNS_ENOMEM;
	}
	ctl.srv = srv;
	ctl.events_ev = event_new(srv->base, -1, 0, on_feed, NULL);
	if (ctl.events_ev == NULL) {
		evconnlistener_free(ctl.listener);
		ctl.listener = NULL;
		unlink(path);
		return ILNPDNS_ENOMEM;
	}
	pthread_mutex_lock(&feed.lock);
	feed.ev = ctl.events_ev;
	pthread_mutex_unlock(&feed.lock);
	snprintf(ctl.path, sizeof(ctl.path), "%s", path);
	if (srv->notify)
		notify_on_confirm(srv->notify, on_confirm, NULL);
	log_info("control socket on %s", path);
	return 0;
}

void control_stop(struct server *srv)
{
	if (ctl.listener == NULL)
		return;
	evconnlistener_free(ctl.listener);
	ctl.listener = NULL;
	unlink(ctl.path);
	if (srv->notify)
		notify_on_confirm(srv->notify, NULL, NULL);
	while (ctl.waiters)
		waiter_end(ctl.waiters, -1, NULL, "the daemon is stopping");
	while (ctl.subs)
		sub_drop(ctl.subs, ". ok\n");
	pthread_mutex_lock(&feed.lock);
	feed.ev = NULL;
	struct change_item *it = feed.head;
	feed.head = feed.tail = NULL;
	feed.count = 0;
	pthread_mutex_unlock(&feed.lock);
	while (it) {
		struct change_item *next = it->next;
		free(it);
		it = next;
	}
	event_free(ctl.events_ev);
	ctl.events_ev = NULL;
	ctl.srv = NULL;
}
