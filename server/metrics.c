/* SPDX-License-Identifier: BSD-2-Clause */
/* metrics.c -- Prometheus text at /metrics on server.metrics, through libevent's HTTP server. */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>

#include "conf.h"
#include "daemon.h"
#include "ilnpdns/error.h"
#include "ilnpdns/log.h"
#include "server.h"
#include "stats.h"

/*
 * The listener runs in the main loop next to the control socket. A scrape
 * sums the per-worker blocks (stats.h explains why reading them unlocked is
 * fine) and renders them with stats_write_prometheus(), plus two gauges that
 * only the daemon knows. Only GET and HEAD of /metrics are served; every
 * other path is 404. The socket is ours (not evhttp_bind_socket()) so that
 * the address parsed from the config, scope id included, is used as is.
 */

#define HTTP_TIMEOUT 10 /* seconds per request */

static struct {
	struct evhttp *http;
	struct server *srv;
} met;

static void on_metrics(struct evhttp_request *req, void *arg)
{
	struct server *srv = arg;
	struct stats sum;
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);
	struct evbuffer *body;

	if (out == NULL) {
		evhttp_send_error(req, HTTP_INTERNAL, NULL);
		return;
	}
	stats_sum(srv->stats, srv->nstats, &sum);
	stats_write_prometheus(&sum, out);
	fprintf(out,
	        "# HELP ilnpdns_start_time_seconds Start time of ilnpdnsd since the Unix epoch.\n"
	        "# TYPE ilnpdns_start_time_seconds gauge\n"
	        "ilnpdns_start_time_seconds %lld\n"
	        "# HELP ilnpdns_workers Query worker threads running.\n"
	        "# TYPE ilnpdns_workers gauge\n"
	        "ilnpdns_workers %zu\n",
	        (long long)srv->started, srv->nworkers);
	if (fclose(out) != 0 || (body = evbuffer_new()) == NULL) {
		free(text);
		evhttp_send_error(req, HTTP_INTERNAL, NULL);
		return;
	}
	evbuffer_add(body, text, len);
	free(text);
	evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
	                  "text/plain; version=0.0.4; charset=utf-8");
	evhttp_send_reply(req, HTTP_OK, "OK", body);
	evbuffer_free(body);
}

static void on_other(struct evhttp_request *req, void *arg)
{
	evhttp_send_error(req, HTTP_NOTFOUND, NULL);
}

int metrics_start(struct server *srv)
{
	const struct conf_addr *a = srv->conf->metrics;
	int fd, one = 1, rc;

	if (a == NULL)
		return 0;
	fd = socket(a->ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (a->ss.ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(fd, (const struct sockaddr *)&a->ss, a->len) != 0 || listen(fd, 64) != 0) {
		rc = -errno;
		log_err("metrics %s: %s", a->text, strerror(-rc));
		close(fd);
		return rc;
	}
	met.http = evhttp_new(srv->base);
	if (met.http == NULL) {
		close(fd);
		return ILNPDNS_ENOMEM;
	}
	evhttp_set_allowed_methods(met.http, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD);
	evhttp_set_timeout(met.http, HTTP_TIMEOUT);
	evhttp_set_cb(met.http, "/metrics", on_metrics, srv);
	evhttp_set_gencb(met.http, on_other, NULL);
	if (evhttp_accept_socket_with_handle(met.http, fd) == NULL) {
		evhttp_free(met.http);
		met.http = NULL;
		close(fd);
		return ILNPDNS_ENOMEM;
	}
	met.srv = srv;
	log_info("metrics listener on %s, path /metrics", a->text);
	return 0;
}

void metrics_stop(struct server *srv)
{
	if (met.http == NULL)
		return;
	/* evhttp_free() closes the listening socket and open connections. */
	evhttp_free(met.http);
	met.http = NULL;
	met.srv = NULL;
}
