/* SPDX-License-Identifier: BSD-2-Clause */
/* publish.c -- send each new locator set with the updater library; retry with backoff; newest wins.
 */
#include "config.h"

#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ilnpdns/error.h"
#include "ilnpdns/log.h"
#include "ilnpdns/wire.h"
#include "locmgr.h"

/*
 * At most one set-locators request is in flight, and it always carries the
 * newest set: a new set cancels the request in flight (or the wait before
 * a retry) and goes out at once. A cancelled request may still have
 * reached the server; the library's guard (a marker or the L64 set as a
 * prerequisite) makes its late copies fail rather than overwrite, and the
 * next request re-reads and rebuilds when its own guard fails.
 *
 * When no server answers (or one refuses), the same newest set is tried
 * again after a backoff that doubles from RETRY_FIRST_MS up to retry-max-s:
 * a server that comes back is updated within one backoff step, and a host
 * cut off for hours sends a few messages per minute, not a flood.
 */

#define RETRY_FIRST_MS  250
#define REQ_DEADLINE_MS 5000

struct publisher {
	const struct locmgr_conf *c;
	struct ilnpdns_upd_client *client;
	struct ilnpdns_upd_locopts opts;
	struct event *retry_ev;
	struct ilnpdns_upd_req *req; /* in flight, or NULL */
	bool active;                 /* a failover not yet acknowledged */
	struct failover cur;
	uint32_t backoff_ms;
	uint64_t next_id;
	bool acked_known;
	struct ilnpdns_upd_locset acked; /* the set the server last acknowledged */
	uint64_t last_ack_us;
};

static void send_now(struct publisher *p);

static void on_result(const struct ilnpdns_upd_result *res, void *arg)
{
	struct publisher *p = arg;
	char line[256];

	p->req = NULL;
	p->cur.attempts += res->attempts;
	p->cur.updates += res->rounds;
	p->cur.rcode = res->rcode;
	p->cur.err = res->err;
	ilnpdns_upd_result_to_str(res, line, sizeof(line));
	if (ilnpdns_upd_result_ok(res)) {
		p->cur.acked_us = locmgr_real_us();
		p->cur.outcome = "acked";
		p->acked = p->cur.new_set;
		p->acked_known = true;
		p->last_ack_us = p->cur.acked_us;
		p->active = false;
		p->backoff_ms = 0;
		log_info("failover %llu acknowledged: %s%s", (unsigned long long)p->cur.id, line,
		         res->confirmed_by_query ? " (confirmed by query)" : "");
		failover_record(&p->cur, p->c->name_text, p->c->failover_log);
		hook_run(p->c->hook, p->c->nhook, p->c, &p->cur);
		return;
	}
	/* No answer, or a refusal: the same (newest) set again, later. */
	p->backoff_ms = p->backoff_ms == 0 ? RETRY_FIRST_MS : p->backoff_ms * 2;
	if (p->backoff_ms > p->c->retry_max_s * 1000)
		p->backoff_ms = p->c->retry_max_s * 1000;
	log_warnx("failover %llu: %s%s%s; retrying in %u ms", (unsigned long long)p->cur.id, line,
	          res->err != 0 ? ": " : "", res->err != 0 ? ilnpdns_strerror(res->err) : "",
	          p->backoff_ms);
	struct timeval tv = {p->backoff_ms / 1000, (p->backoff_ms % 1000) * 1000};
	evtimer_add(p->retry_ev, &tv);
}

static void send_now(struct publisher *p)
{
	int rc;
	p->cur.tries++;
	if (p->cur.sent_us == 0)
		p->cur.sent_us = locmgr_real_us();
	rc = ilnpdns_upd_set_locators(p->client, p->c->zone, p->c->name, &p->cur.new_set, &p->opts,
	                              on_result, p, &p->req);
	if (rc < 0) {
		struct ilnpdns_upd_result res;
		memset(&res, 0, sizeof(res));
		res.err = rc;
		res.rcode = -1;
		res.server = -1;
		on_result(&res, p);
	}
}

static void retry_cb(evutil_socket_t fd, short what, void *arg)
{
	struct publisher *p = arg;
	(void)fd;
	(void)what;
	if (p->active && p->req == NULL)
		send_now(p);
}

int publish_new(struct event_base *base, const struct locmgr_conf *c, struct publisher **out)
{
	struct ilnpdns_upd_config cfg;
	struct publisher *p = calloc(1, sizeof(*p));
	int rc;
	if (p == NULL)
		return ILNPDNS_ENOMEM;
	p->c = c;
	ilnpdns_upd_config_default(&cfg);
	cfg.rtt.initial_rto_us = c->first_timeout_ms * 1000;
	cfg.deadline_ms = REQ_DEADLINE_MS;
	rc = ilnpdns_upd_client_new(base, &cfg, &p->client);
	if (rc < 0)
		goto fail;
	for (size_t i = 0; i < c->nservers; i++) {
		rc = ilnpdns_upd_client_add_server_sa(
		    p->client, (const struct sockaddr *)&c->servers[i].ss, c->servers[i].len);
		if (rc < 0)
			goto fail;
	}
	ilnpdns_upd_client_set_auth(p->client, &c->auth);
	p->opts.guard = (enum ilnpdns_upd_guard)c->guard;
	p->opts.with_l32 = c->l32;
	p->opts.ttl = 0;
	p->opts.marker_name = c->have_marker ? c->marker : NULL;
	p->retry_ev = evtimer_new(base, retry_cb, p);
	if (p->retry_ev == NULL) {
		rc = ILNPDNS_ENOMEM;
		goto fail;
	}
	*out = p;
	return 0;
fail:
	publish_free(p);
	return rc;
}

void publish_free(struct publisher *p)
{
	if (p == NULL)
		return;
	if (p->req != NULL)
		ilnpdns_upd_cancel(p->req);
	if (p->retry_ev != NULL)
		event_free(p->retry_ev);
	if (p->client != NULL)
		ilnpdns_upd_client_free(p->client);
	free(p);
}

void publish_set(struct publisher *p, const struct ilnpdns_upd_locset *set,
                 const struct loc_trigger *why, uint64_t event_us)
{
	if (p->active) {
		/* Superseded before its answer: say so, and send only the newest. */
		if (p->req != NULL) {
			ilnpdns_upd_cancel(p->req);
			p->req = NULL;
		}
		evtimer_del(p->retry_ev);
		p->cur.outcome = "superseded";
		failover_record(&p->cur, p->c->name_text, p->c->failover_log);
	}
	memset(&p->cur, 0, sizeof(p->cur));
	p->cur.id = ++p->next_id;
	p->cur.event_us = event_us;
	p->cur.events = why->events;
	p->cur.reconcile = why->reconcile;
	p->cur.rcode = -1;
	p->cur.outcome = "pending";
	snprintf(p->cur.what, sizeof(p->cur.what), "%s", why->what);
	p->cur.old_known = p->acked_known;
	p->cur.old_set = p->acked;
	p->cur.new_set = *set;
	p->active = true;
	/* A fresh failover starts its backoff from the beginning. */
	p->backoff_ms = 0;
	send_now(p);
}

void publish_describe(const struct publisher *p, char *buf, size_t cap)
{
	char acked[512], want[512];
	if (p->acked_known)
		loc_set_to_str(&p->acked, acked, sizeof(acked));
	else
		snprintf(acked, sizeof(acked), "(none yet)");
	if (!p->active) {
		snprintf(buf, cap, "published: %s\npending: none\n", acked);
		return;
	}
	loc_set_to_str(&p->cur.new_set, want, sizeof(want));
	snprintf(buf, cap,
	         "published: %s\npending: failover %llu: %s (tries %u, attempts %u, %s)\n", acked,
	         (unsigned long long)p->cur.id, want, p->cur.tries, p->cur.attempts,
	         p->req != NULL ? "in flight" : "waiting to retry");
}
