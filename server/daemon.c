/* SPDX-License-Identifier: BSD-2-Clause */
/* daemon.c -- life cycle of ilnpdnsd: start-up order, signals, reload, stop. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/thread.h>

#include "conf.h"
#include "daemon.h"
#include "ilnpdns/dname.h"
#include "ilnpdns/error.h"
#include "ilnpdns/log.h"
#include "notify.h"
#include "querylog.h"
#include "server.h"
#include "store.h"
#include "writer.h"
#include "zoneload.h"

/* Process-wide facts of this run that the configuration does not hold. */
static int verbosity;     /* -v count */
static int ready_fd = -1; /* pipe to the waiting parent, unless -f */

static int log_level_for(const struct conf *conf)
{
	int level = conf->log_level + verbosity;
	return level > LOG_DEBUG ? LOG_DEBUG : level;
}

static const char *ttl_text(uint32_t ttl, char *buf, size_t cap)
{
	if (ttl == STORE_ILNP_TTL_KEEP)
		return "keep";
	snprintf(buf, cap, "%u", ttl);
	return buf;
}

/* ---- zones: the database is the truth once a zone is in it ---- */

static int zone_sync_one(struct store *st, const struct conf_zone *z, char *err, size_t errlen)
{
	struct store_txn *t;
	struct store_zone sz;
	char a[16], b[16];
	int rc;

	if ((rc = store_txn_begin(st, false, &t)) != 0)
		goto store_fail;
	rc = store_zone_get(t, z->apex, &sz);
	store_txn_abort(t);
	if (rc == ILNPDNS_ENOENT) {
		if (!z->file) {
			snprintf(err, errlen, "zone %s: not in the database and no file to import",
			         z->domain);
			return ILNPDNS_ENOENT;
		}
		struct zoneload_result res;
		char zerr[512] = "";
		rc = zoneload_file(st, z->apex, z->file, z->ilnp_ttl, &res, zerr, sizeof(zerr));
		if (rc) {
			snprintf(err, errlen, "zone %s: import failed: %s", z->domain,
			         zerr[0] ? zerr : ilnpdns_strerror(rc));
			return rc;
		}
		log_notice("zone %s: imported %zu records in %zu RRsets from %s, serial %u, "
		           "%.3f s",
		           z->domain, res.records, res.rrsets, z->file, res.serial, res.seconds);
		return 0;
	}
	if (rc)
		goto store_fail;
	if (sz.ilnp_ttl == z->ilnp_ttl)
		return 0;

	if ((rc = store_txn_begin(st, true, &t)) != 0)
		goto store_fail;
	if ((rc = store_zone_get(t, z->apex, &sz)) != 0 ||
	    (rc = store_zone_set_ilnp_ttl(t, &sz, z->ilnp_ttl)) != 0) {
		store_txn_abort(t);
		goto store_fail;
	}
	if ((rc = store_txn_commit(t)) != 0)
		goto store_fail;
	log_notice("zone %s: ILNP TTL %s (was %s)", z->domain, ttl_text(z->ilnp_ttl, a, sizeof(a)),
	           ttl_text(sz.ilnp_ttl, b, sizeof(b)));
	return 0;

store_fail:
	snprintf(err, errlen, "zone %s: store: %s", z->domain, ilnpdns_strerror(rc));
	return rc;
}

/*
 * Import every configured zone the database does not hold yet and apply
 * the ILNP TTL settings. Every zone is tried; each failure is logged and the
 * first one is returned, with err saying why.
 */
static int zones_sync(struct store *st, const struct conf *conf, char *err, size_t errlen)
{
	int first = 0;
	for (size_t i = 0; i < conf->nzones; i++) {
		char msg[768];
		int rc = zone_sync_one(st, &conf->zones[i], msg, sizeof(msg));
		if (rc == 0)
			continue;
		log_err("%s", msg);
		if (!first) {
			first = rc;
			snprintf(err, errlen, "%s", msg);
		}
	}
	return first;
}

static int note_unconfigured(const struct store_zone *zone, void *arg)
{
	const struct conf *conf = arg;
	if (conf_zone_find(conf, zone->apex))
		return 0;
	char name[1024];
	if (ilnpdns_dname_to_str(zone->apex, name, sizeof(name)) < 0)
		snprintf(name, sizeof(name), "(unprintable)");
	log_notice("zone %s is in the database but not in the configuration", name);
	return 0;
}

/* ---- NOTIFY (RFC 1996) ---- */

#define NOTIFY_FIRST_RETRY_MS 250
#define NOTIFY_MAX_RETRY_MS   60000
#define NOTIFY_MAX_SENDS      6

void daemon_notify_zone(struct server *srv, const uint8_t *apex)
{
	struct store_txn *t;
	struct store_zone sz;
	if (!srv->notify || store_txn_begin(srv->store, false, &t) != 0)
		return;
	int rc = store_zone_get(t, apex, &sz);
	uint32_t serial = sz.serial;
	store_txn_abort(t);
	/* ILNPDNS_ENOENT from notify: a zone without targets, nothing to do. */
	if (rc == 0)
		notify_zone_changed(srv->notify, apex, serial);
}

void daemon_notify_config(struct server *srv, const struct conf *old)
{
	const struct conf *conf = srv->conf;
	if (!srv->notify)
		return;
	for (size_t i = 0; old && i < old->nzones; i++)
		if (!conf_zone_find(conf, old->zones[i].apex))
			notify_zone_set(srv->notify, old->zones[i].apex, NULL, 0);
	for (size_t i = 0; i < conf->nzones; i++) {
		const struct conf_zone *z = &conf->zones[i];
		if (notify_zone_set(srv->notify, z->apex, z->notify, z->nnotify) != 0)
			log_warnx("zone %s: cannot set its notify targets", z->domain);
		else
			daemon_notify_zone(srv, z->apex);
	}
}

/* The writer's commit hook: the change is durable; tell the secondaries and the feed. */
static void on_commit(const struct writer_change *ch, void *arg)
{
	struct server *srv = arg;
	if (srv->notify)
		notify_zone_changed(srv->notify, ch->apex, ch->new_serial);
	if (control_events_wanted())
		control_events_publish(ch);
}

static bool events_wanted(void *arg)
{
	return control_events_wanted();
}

/* ---- reload ---- */

static bool str_same(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static bool listen_same(const struct conf *a, const struct conf *b)
{
	if (a->nlisten != b->nlisten)
		return false;
	for (size_t i = 0; i < a->nlisten; i++) {
		if (strcmp(a->listen[i].text, b->listen[i].text) != 0)
			return false;
	}
	return true;
}

/* Replace *to with a copy of from (strings; NULL stays NULL). */
static int keep_str(char **to, const char *from)
{
	char *copy = NULL;
	if (from && !(copy = strdup(from)))
		return ILNPDNS_ENOMEM;
	free(*to);
	*to = copy;
	return 0;
}

/* Replace *to (n elements) with a copy of from. */
static int keep_mem(void **to, const void *from, size_t n, size_t size)
{
	void *copy = NULL;
	if (from && n && !(copy = malloc(n * size)))
		return ILNPDNS_ENOMEM;
	if (copy)
		memcpy(copy, from, n * size);
	free(*to);
	*to = copy;
	return 0;
}

/*
 * Settings bound to sockets, threads or the open database cannot change in
 * a running daemon. Copy the running values into the new configuration, so
 * that it describes what runs, and say which ones wait for a restart. The
 * running configuration is not touched: other threads hold references to it
 * and read it without locks.
 */
static int keep_restart_settings(const struct conf *running, struct conf *next)
{
	const char *changed[12];
	size_t n = 0;
	int rc = 0;

	if (!listen_same(running, next)) {
		changed[n++] = "listen";
		rc |= keep_mem((void **)&next->listen, running->listen, running->nlisten,
		               sizeof(*running->listen));
		next->nlisten = running->nlisten;
	}
	if (!str_same(running->database, next->database) || running->mapsize != next->mapsize) {
		changed[n++] = "database";
		rc |= keep_str(&next->database, running->database);
		next->mapsize = running->mapsize;
	}
	if (running->workers != next->workers) {
		changed[n++] = "workers";
		next->workers = running->workers;
	}
	if (!str_same(running->control, next->control)) {
		changed[n++] = "control";
		rc |= keep_str(&next->control, running->control);
	}
	bool metrics_same = (!running->metrics && !next->metrics) ||
	                    (running->metrics && next->metrics &&
	                     strcmp(running->metrics->text, next->metrics->text) == 0);
	if (!metrics_same) {
		changed[n++] = "metrics";
		rc |= keep_mem((void **)&next->metrics, running->metrics, 1,
		               sizeof(*running->metrics));
	}
	if (running->tcp_idle_ms != next->tcp_idle_ms ||
	    running->tcp_message_ms != next->tcp_message_ms ||
	    running->tcp_max_clients != next->tcp_max_clients ||
	    running->tcp_max_per_source != next->tcp_max_per_source) {
		changed[n++] = "tcp limits";
		next->tcp_idle_ms = running->tcp_idle_ms;
		next->tcp_message_ms = running->tcp_message_ms;
		next->tcp_max_clients = running->tcp_max_clients;
		next->tcp_max_per_source = running->tcp_max_per_source;
	}
	if (running->log_syslog != next->log_syslog) {
		changed[n++] = "log destination";
		next->log_syslog = running->log_syslog;
	}
	if (running->edns_size != next->edns_size) {
		changed[n++] = "edns size";
		next->edns_size = running->edns_size;
	}
	if (!str_same(running->user, next->user)) {
		changed[n++] = "user";
		rc |= keep_str(&next->user, running->user);
	}
	if (rc)
		return ILNPDNS_ENOMEM;
	for (size_t i = 0; i < n; i++)
		log_notice("reload: %s changed; takes effect at the next restart", changed[i]);
	return 0;
}

struct conf *server_conf_acquire(struct server *srv)
{
	pthread_mutex_lock(&srv->conf_lock);
	struct conf *conf = conf_ref(srv->conf);
	pthread_mutex_unlock(&srv->conf_lock);
	return conf;
}

/* The writer's way to the current configuration (writer_start()). */
static struct conf *writer_conf(void *arg)
{
	return server_conf_acquire(arg);
}

int daemon_reload(struct server *srv, char *err, size_t errlen)
{
	struct conf *next = NULL;
	int rc;

	if (srv->conf->path) {
		rc = conf_load(srv->conf->path, &next, err, errlen);
	} else if ((rc = conf_defaults(&next)) != 0) {
		snprintf(err, errlen, "built-in defaults: %s", ilnpdns_strerror(rc));
	}
	if (rc)
		return rc;
	/* New zones come from their files; zones already held stay as they
	 * are (dynamic updates may have changed them since the import). */
	if ((rc = zones_sync(srv->store, next, err, errlen)) != 0) {
		conf_free(next);
		return rc;
	}
	if (keep_restart_settings(srv->conf, next) != 0) {
		snprintf(err, errlen, "out of memory");
		conf_free(next);
		return ILNPDNS_ENOMEM;
	}
	/* Threads that hold the old one keep it until their conf_unref(). */
	struct conf *old = srv->conf;
	pthread_mutex_lock(&srv->conf_lock);
	/* Atomic: workers compare the pointer without the lock (worker.c). */
	__atomic_store_n(&srv->conf, next, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&srv->conf_lock);
	/* Targets may have changed; zones new in this configuration were imported. */
	daemon_notify_config(srv, old);
	conf_unref(old);
	ilnpdns_log_set_level(log_level_for(srv->conf));
	querylog_set(srv->conf->log_queries);
	log_notice("configuration reloaded from %s",
	           srv->conf->path ? srv->conf->path : "built-in defaults");
	return 0;
}

void daemon_stop(struct server *srv)
{
	srv->stopping = true;
	event_base_loopbreak(srv->base);
}

/* ---- signals ---- */

static void on_stop_signal(evutil_socket_t sig, short what, void *arg)
{
	log_notice("signal %d: stopping", (int)sig);
	daemon_stop(arg);
}

static void on_reload_signal(evutil_socket_t sig, short what, void *arg)
{
	char err[768];
	if (daemon_reload(arg, err, sizeof(err)) != 0)
		log_err("reload failed, keeping the old configuration: %s", err);
}

/* ---- process set-up ---- */

/*
 * Detach, but keep the parent until the child is serving: the parent's exit
 * status then says whether the daemon started, which scripts and service
 * managers can act on.
 */
static int detach(void)
{
	int p[2];
	if (pipe2(p, O_CLOEXEC) != 0)
		return -errno;
	pid_t pid = fork();
	if (pid < 0) {
		int rc = -errno;
		close(p[0]);
		close(p[1]);
		return rc;
	}
	if (pid > 0) {
		char c = 0;
		ssize_t r;
		close(p[1]);
		do
			r = read(p[0], &c, 1);
		while (r < 0 && errno == EINTR);
		_exit(r == 1 && c == 'R' ? 0 : 1);
	}
	close(p[0]);
	setsid();
	ready_fd = p[1];
	return 0;
}

static void announce_ready(const struct conf *conf)
{
	log_notice("ilnpdnsd ready");
	if (ready_fd < 0)
		return;
	int null = open("/dev/null", O_RDWR);
	if (null >= 0) {
		dup2(null, STDIN_FILENO);
		dup2(null, STDOUT_FILENO);
		/* stderr stays when it is where the logs go. */
		if (conf->log_syslog)
			dup2(null, STDERR_FILENO);
		if (null > STDERR_FILENO)
			close(null);
	}
	if (write(ready_fd, "R", 1) != 1)
		log_warn("cannot tell the parent process we are ready");
	close(ready_fd);
	ready_fd = -1;
}

static void chown_db(const char *dir, uid_t uid, gid_t gid)
{
	static const char *const files[] = {"", "/data.mdb", "/lock.mdb"};
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		char path[PATH_MAX];
		snprintf(path, sizeof(path), "%s%s", dir, files[i]);
		if (chown(path, uid, gid) != 0)
			log_warn("chown %s", path);
	}
}

/*
 * Create the folders above path (mkdir -p of its dirname), so that the
 * quick start's var/ilnpdns works in a fresh checkout; store_open() creates
 * the last component itself.
 */
static int make_parents(const char *path)
{
	char buf[PATH_MAX];
	if (snprintf(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf))
		return ILNPDNS_ENAME;
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0750) != 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	return 0;
}

/*
 * After every socket is bound and the store is open: the database files are
 * handed to the user so that the next start (and writes by this process)
 * work without root.
 */
static int drop_privileges(const struct conf *conf)
{
	struct passwd *pw = getpwnam(conf->user);
	if (!pw) {
		log_warnx("user %s: no such user", conf->user);
		return ILNPDNS_ECONF;
	}
	chown_db(conf->database, pw->pw_uid, pw->pw_gid);
	if (setgroups(1, &pw->pw_gid) != 0 || setgid(pw->pw_gid) != 0 || setuid(pw->pw_uid) != 0) {
		int rc = -errno;
		log_warn("cannot become user %s", conf->user);
		return rc;
	}
	if (pw->pw_uid != 0 && setuid(0) == 0) {
		log_warnx("could regain root after dropping to %s", conf->user);
		return ILNPDNS_EINVAL;
	}
	log_info("running as user %s", conf->user);
	return 0;
}

int daemon_main(const char *conf_path, bool foreground, int verbose)
{
	struct server srv = {.conf_lock = PTHREAD_MUTEX_INITIALIZER};
	struct event *sig_term = NULL, *sig_int = NULL, *sig_hup = NULL;
	bool control_on = false, metrics_on = false;
	char err[768];
	int rc, status = 1;

	verbosity = verbose;
	ilnpdns_log_init(
	    "ilnpdnsd", LOG_NOTICE + verbose > LOG_DEBUG ? LOG_DEBUG : LOG_NOTICE + verbose, false);
	if (conf_path) {
		rc = conf_load(conf_path, &srv.conf, err, sizeof(err));
		if (rc) {
			log_err("%s", err);
			return 1;
		}
	} else if ((rc = conf_defaults(&srv.conf)) != 0) {
		log_err("built-in defaults: %s", ilnpdns_strerror(rc));
		return 1;
	}
	ilnpdns_log_init("ilnpdnsd", log_level_for(srv.conf), srv.conf->log_syslog);
	querylog_set(srv.conf->log_queries);

	/* Before any thread or event base exists: fork keeps only the caller. */
	if (!foreground && (rc = detach()) != 0) {
		log_err("cannot detach: %s", ilnpdns_strerror(rc));
		goto out;
	}
	/* A client that resets its TCP connection must not kill the server. */
	signal(SIGPIPE, SIG_IGN);
	evthread_use_pthreads();
	if (!(srv.base = event_base_new())) {
		log_err("cannot create the event loop");
		goto out;
	}
	srv.started = time(NULL);

	if ((rc = make_parents(srv.conf->database)) != 0 ||
	    (rc = store_open(&srv.store, srv.conf->database, srv.conf->mapsize, 0)) != 0) {
		log_err("database %s: %s", srv.conf->database, ilnpdns_strerror(rc));
		goto out;
	}
	/* A zone that fails to load is logged and left out; the others serve. */
	zones_sync(srv.store, srv.conf, err, sizeof(err));
	struct store_txn *t;
	if (store_txn_begin(srv.store, false, &t) == 0) {
		store_zone_foreach(t, note_unconfigured, srv.conf);
		store_txn_abort(t);
	}

	/* Counters: one block per worker, then the writer's. */
	srv.nstats = (size_t)workers_count(srv.conf) + 1;
	if (!(srv.stats = calloc(srv.nstats, sizeof(*srv.stats)))) {
		log_err("out of memory");
		goto out;
	}
	/* The NOTIFY sender lives on the main loop; every zone is announced at start. */
	struct notify_opts nopts = {.first_retry_ms = NOTIFY_FIRST_RETRY_MS,
	                            .max_retry_ms = NOTIFY_MAX_RETRY_MS,
	                            .max_sends = NOTIFY_MAX_SENDS};
	if (!(srv.notify = notify_new(srv.base, &nopts, notify_soa_from_store, srv.store))) {
		log_err("cannot start the NOTIFY sender");
		goto out;
	}
	daemon_notify_config(&srv, NULL);
	/* The writer first, so that no worker ever sees an update it cannot hand on. */
	if ((rc = writer_new(&srv.writer, srv.store, &srv.stats[srv.nstats - 1])) == 0)
		writer_set_commit_hook(srv.writer, on_commit, events_wanted, &srv);
	if (rc != 0 || (rc = writer_start(srv.writer, writer_conf, &srv)) != 0) {
		log_err("cannot start the update writer: %s", ilnpdns_strerror(rc));
		goto out;
	}
	if ((rc = workers_start(&srv)) != 0) {
		log_err("cannot start the query workers: %s", ilnpdns_strerror(rc));
		goto out;
	}
	if (srv.conf->control) {
		if ((rc = control_start(&srv)) != 0) {
			log_err("control socket %s: %s", srv.conf->control, ilnpdns_strerror(rc));
			goto out;
		}
		control_on = true;
	}
	if (srv.conf->metrics) {
		if ((rc = metrics_start(&srv)) != 0) {
			log_err("metrics %s: %s", srv.conf->metrics->text, ilnpdns_strerror(rc));
			goto out;
		}
		metrics_on = true;
	}
	if (srv.conf->user && drop_privileges(srv.conf) != 0)
		goto out;

	sig_term = evsignal_new(srv.base, SIGTERM, on_stop_signal, &srv);
	sig_int = evsignal_new(srv.base, SIGINT, on_stop_signal, &srv);
	sig_hup = evsignal_new(srv.base, SIGHUP, on_reload_signal, &srv);
	if (!sig_term || !sig_int || !sig_hup || evsignal_add(sig_term, NULL) != 0 ||
	    evsignal_add(sig_int, NULL) != 0 || evsignal_add(sig_hup, NULL) != 0) {
		log_err("cannot install signal handlers");
		goto out;
	}

	announce_ready(srv.conf);
	event_base_dispatch(srv.base);
	status = 0;

out:
	if (metrics_on)
		metrics_stop(&srv);
	if (control_on)
		control_stop(&srv);
	/* Workers stop reading first; the writer then answers every update
	 * already received (UDP from its own thread, TCP through the workers'
	 * sockets, still open), and only then do the sockets close. */
	if (srv.workers)
		workers_stop(&srv);
	if (srv.writer)
		writer_stop(srv.writer);
	if (srv.workers)
		workers_close(&srv);
	writer_free(srv.writer);
	/* Nobody calls into it any more (writer and workers are gone). */
	notify_free(srv.notify);
	if (sig_term)
		event_free(sig_term);
	if (sig_int)
		event_free(sig_int);
	if (sig_hup)
		event_free(sig_hup);
	store_close(srv.store);
	if (srv.base)
		event_base_free(srv.base);
	free(srv.stats);
	if (status == 0)
		log_notice("stopped");
	conf_unref(srv.conf);
	return status;
}
