/* SPDX-License-Identifier: BSD-2-Clause */
/* control.c -- the control socket of ilnpdnsd: one command per connection, served in the main loop.
 */
#include "config.h"

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

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>

#include "conf.h"
#include "daemon.h"
#include "ilnpdns/dname.h"
#include "ilnpdns/error.h"
#include "ilnpdns/log.h"
#include "server.h"
#include "stats.h"
#include "store.h"
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
 *   reload                 daemon_reload(): re-read the configuration
 *   stop                   answer, then daemon_stop()
 *   help                   the command list
 *
 * The commands run to completion in the main thread (the query workers are
 * other threads and keep answering). Reading the request is event-driven
 * with a timeout; writing the reply is a blocking send with a send timeout,
 * because zone-import and zone-dump are synchronous calls into the store and
 * a slow reader must only delay the control loop, never the queries.
 */

#define REQUEST_MAX   4096
#define MAX_ARGS      4
#define READ_TIMEOUT  10 /* seconds to send the request line */
#define SEND_TIMEOUT  30 /* seconds a client may stall a reply */
#define REPLY_BUFSIZE 65536

static struct {
	struct server *srv;
	struct evconnlistener *listener;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
} ctl;

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

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
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
				int hi = hexval(p[1]), lo = hi < 0 ? -1 : hexval(p[2]);
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
	snprintf(ctl.path, sizeof(ctl.path), "%s", path);
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
	ctl.srv = NULL;
}
