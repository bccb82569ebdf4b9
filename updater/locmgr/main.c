/* SPDX-License-Identifier: BSD-2-Clause */
/* main.c -- ilnpdns-locmgr: options, start-up, and the loop joining netlink, state machine and
 * publisher. */
#include "config.h"

#include <errno.h>
#include <event2/event.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ilnpdns/error.h"
#include "ilnpdns/log.h"
#include "locmgr.h"
#include "netlink.h"

/*
 * The loop owns three things: the netlink socket (netlink.c), the state
 * machine (locators.c), fed with every event and asked after each batch and
 * at its own deadline what to publish, and the publisher (publish.c). The
 * order at start is: subscribe, then dump (so nothing between the two is
 * missed; an event seen twice changes nothing), then loc_start(), which
 * hands out the current set at once: a restart during a failover
 * reconciles the server with the host.
 */

#define DEFAULT_CONF SYSCONFDIR "/ilnpdns/locmgr.yaml"

struct engine {
	const struct locmgr_conf *c;
	struct event_base *base;
	struct nl_sock nl;
	struct event *nl_ev;
	struct event *timer;
	struct loc_machine m;
	struct publisher *pub;
	uint64_t window_event_us; /* realtime of the first event of the open window */
	uint64_t events_total;
	uint64_t overruns;
};

uint64_t locmgr_mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

uint64_t locmgr_real_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

static int feed(const struct nl_event *ev, void *arg)
{
	struct engine *e = arg;
	bool was_pending = e->m.pending;
	e->events_total++;
	if (ilnpdns_log_enabled(LOG_DEBUG)) {
		char text[128];
		nl_event_to_str(ev, text, sizeof(text));
		log_debug("netlink: %s", text);
	}
	if (loc_event(&e->m, ev, locmgr_mono_ms()) && !was_pending)
		e->window_event_us = locmgr_real_us();
	return 0;
}

/* Hand out what is due and re-arm the timer for the next deadline. */
static void run_due(struct engine *e)
{
	struct ilnpdns_upd_locset set;
	struct loc_trigger why;
	uint64_t now = locmgr_mono_ms();
	if (loc_due(&e->m, now, &set, &why)) {
		char text[512];
		uint64_t ev_us = e->window_event_us;
		if (ev_us == 0 || why.grace || why.reconcile)
			ev_us = locmgr_real_us() - (now - why.first_ms) * 1000;
		loc_set_to_str(&set, text, sizeof(text));
		log_info("locator set: %s (%s, %u events)", text, why.what, why.events);
		publish_set(e->pub, &set, &why, ev_us);
	}
	if (!e->m.pending)
		e->window_event_us = 0;
	uint64_t due = loc_next_due(&e->m);
	evtimer_del(e->timer);
	if (due != UINT64_MAX) {
		uint64_t d = due > now ? due - now : 0;
		struct timeval tv = {(time_t)(d / 1000), (suseconds_t)(d % 1000) * 1000};
		evtimer_add(e->timer, &tv);
	}
}

static void resync(struct engine *e)
{
	e->overruns++;
	log_warnx("netlink overrun: events were lost, reading the whole state again");
	loc_resync_begin(&e->m);
	int rc = nl_dump_all(feed, e);
	if (rc < 0)
		log_warnx("netlink dump: %s", ilnpdns_strerror(rc));
	loc_resync_end(&e->m, locmgr_mono_ms());
	if (e->window_event_us == 0)
		e->window_event_us = locmgr_real_us();
}

static void on_netlink(evutil_socket_t fd, short what, void *arg)
{
	struct engine *e = arg;
	(void)fd;
	(void)what;
	int rc = nl_read(&e->nl, feed, e);
	if (rc == ILNPDNS_EAGAIN)
		resync(e);
	else if (rc < 0)
		log_warnx("netlink: %s", ilnpdns_strerror(rc));
	/* With no window (coalesce-ms 0) this publishes right here. */
	run_due(e);
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	run_due(arg);
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
	struct engine *e = arg;
	(void)what;
	if (sig == SIGCHLD) {
		hook_reap();
		return;
	}
	log_notice("signal %d: exiting", (int)sig);
	event_base_loopbreak(e->base);
}

static int render_status(char *buf, size_t cap, void *arg)
{
	struct engine *e = arg;
	const struct locmgr_conf *c = e->c;
	struct ilnpdns_upd_locset now;
	char text[512], pub[1200];
	size_t off = 0;
	int n;
#define ADD(...)                                                                                   \
	do {                                                                                       \
		n = snprintf(buf + off, cap - off, __VA_ARGS__);                                   \
		if (n < 0 || (size_t)n >= cap - off)                                               \
			return (int)off;                                                           \
		off += (size_t)n;                                                                  \
	} while (0)

	loc_compute(&e->m, &now);
	loc_set_to_str(&now, text, sizeof(text));
	publish_describe(e->pub, pub, sizeof(pub));
	ADD("name: %s\nzone: %s\nmode: %s\n", c->name_text, c->zone_text,
	    c->mode == LOCMGR_SITE ? "site" : "host");
	ADD("current: %s\n%s", now.n64 + now.n32 ? text : "(empty)", pub);
	for (size_t i = 0; i < c->nifs; i++) {
		const struct loc_if *f = &e->m.ifs[i];
		ADD("interface %s: preference %u, %s%s\n", c->ifs[i].name, c->ifs[i].pref,
		    f->ifindex == 0 ? "absent"
		    : f->up         ? "up"
		                    : "down",
		    f->routes6 || f->routes4 ? ", default route" : "");
	}
	ADD("netlink events: %llu, overruns: %llu\n", (unsigned long long)e->events_total,
	    (unsigned long long)e->overruns);
	const struct failover *recent[FAILOVER_RING];
	size_t k = failover_recent(recent, 10);
	ADD("last failovers (%zu):\n", k);
	for (size_t i = 0; i < k; i++) {
		n = failover_to_json(recent[i], c->name_text, buf + off, cap - off);
		if (n < 0 || (size_t)n >= cap - off - 1)
			return (int)off;
		off += (size_t)n;
		buf[off++] = '\n';
	}
	return (int)off;
#undef ADD
}

static void usage(FILE *out)
{
	fprintf(out, "usage: ilnpdns-locmgr [-dfn] [-c file] [--status]\n"
	             "  -c file    configuration (default " DEFAULT_CONF ")\n"
	             "  -f         stay in the foreground, log to stderr\n"
	             "  -n         check the configuration and exit\n"
	             "  -d         debug logging (every netlink event)\n"
	             "  --status   print the running daemon's state\n"
	             "  --sample   print a sample configuration\n");
}

static int run(const struct locmgr_conf *c, bool foreground)
{
	struct engine e;
	struct status_srv *st = NULL;
	struct event *sigs[4] = {NULL};
	static const int signums[4] = {SIGINT, SIGTERM, SIGHUP, SIGCHLD};
	int rc, status = 1;

	memset(&e, 0, sizeof(e));
	e.c = c;
	e.nl.fd = -1;
	loc_init(&e.m, &c->loc);
	if (!foreground && daemon(0, 0) < 0) {
		log_warn("daemon");
		return 1;
	}
	signal(SIGPIPE, SIG_IGN);
	e.base = event_base_new();
	if (e.base == NULL)
		return 1;
	if ((rc = nl_open(&e.nl)) < 0) {
		log_warnx("netlink socket: %s", ilnpdns_strerror(rc));
		goto out;
	}
	if ((rc = publish_new(e.base, c, &e.pub)) < 0) {
		log_warnx("update client: %s", ilnpdns_strerror(rc));
		goto out;
	}
	if ((rc = status_open(e.base, c->control, render_status, &e, &st)) < 0) {
		log_warnx("status socket %s: %s", c->control, ilnpdns_strerror(rc));
		goto out;
	}
	e.nl_ev = event_new(e.base, e.nl.fd, EV_READ | EV_PERSIST, on_netlink, &e);
	e.timer = evtimer_new(e.base, on_timer, &e);
	if (e.nl_ev == NULL || e.timer == NULL || event_add(e.nl_ev, NULL) < 0)
		goto out;
	for (int i = 0; i < 4; i++) {
		sigs[i] = evsignal_new(e.base, signums[i], on_signal, &e);
		if (sigs[i] == NULL || event_add(sigs[i], NULL) < 0)
			goto out;
	}
	if ((rc = nl_dump_all(feed, &e)) < 0) {
		log_warnx("netlink dump: %s", ilnpdns_strerror(rc));
		goto out;
	}
	loc_start(&e.m, locmgr_mono_ms());
	log_notice("started: %s %s in %s, %zu interfaces, %zu servers",
	           c->mode == LOCMGR_SITE ? "site" : "host", c->name_text, c->zone_text, c->nifs,
	           c->nservers);
	run_due(&e);
	event_base_dispatch(e.base);
	status = 0;
out:
	for (int i = 0; i < 4; i++)
		if (sigs[i] != NULL)
			event_free(sigs[i]);
	status_close(st);
	publish_free(e.pub);
	if (e.nl_ev != NULL)
		event_free(e.nl_ev);
	if (e.timer != NULL)
		event_free(e.timer);
	nl_close(&e.nl);
	event_base_free(e.base);
	return status;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"status", no_argument, NULL, 'S'},
	    {"sample", no_argument, NULL, 'P'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const char *path = DEFAULT_CONF;
	bool foreground = false, check = false, debug = false, status = false;
	struct locmgr_conf c;
	char err[512];
	int ch, rc;

	while ((ch = getopt_long(argc, argv, "c:dfnh", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			path = optarg;
			break;
		case 'd':
			debug = true;
			break;
		case 'f':
			foreground = true;
			break;
		case 'n':
			check = true;
			break;
		case 'S':
			status = true;
			break;
		case 'P':
			locmgr_conf_sample(stdout);
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	ilnpdns_log_init("ilnpdns-locmgr", LOG_NOTICE, false);
	rc = locmgr_conf_load(path, &c, err, sizeof(err));
	if (rc < 0) {
		fprintf(stderr, "ilnpdns-locmgr: %s\n",
		        rc == ILNPDNS_ECONF ? err : ilnpdns_strerror(rc));
		locmgr_conf_free(&c);
		return 1;
	}
	if (check) {
		printf("%s: OK (%s %s, %zu interfaces)\n", path,
		       c.mode == LOCMGR_SITE ? "site" : "host", c.name_text, c.nifs);
		locmgr_conf_free(&c);
		return 0;
	}
	if (status) {
		rc = status_query(c.control);
		locmgr_conf_free(&c);
		return rc;
	}
	ilnpdns_log_init("ilnpdns-locmgr", debug ? LOG_DEBUG : c.log_level,
	                 !foreground && c.log_syslog);
	rc = run(&c, foreground);
	locmgr_conf_free(&c);
	return rc;
}
