/* SPDX-License-Identifier: BSD-2-Clause */
/* client.c -- the update client: servers in order, adaptive UDP retransmission, TCP, outcome. */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "ilnpdns/dname.h"
#include "ilnpdns/error.h"
#include "ilnpdns/updater.h"
#include "ilnpdns/wire.h"
#include "updater_int.h"

/* Copies of one request we remember answers for: max_attempts is capped here. */
#define UPD_COPIES_MAX 32

struct upd_server {
	struct sockaddr_storage sa;
	socklen_t salen;
	char str[64];
	struct ilnpdns_upd_rtt rtt;  /* UPDATE exchanges */
	struct ilnpdns_upd_rtt qrtt; /* queries: no commit to disk behind them */
};

struct ilnpdns_upd_client {
	struct event_base *base;
	bool own_base;
	struct ilnpdns_upd_config cfg;
	struct upd_server server[ILNPDNS_UPD_SERVERS_MAX];
	size_t nservers;
	struct sockaddr_storage local;
	socklen_t locallen;
	struct ilnpdns_upd_auth auth;
	struct ilnpdns_upd_crypto cr;
	ilnpdns_upd_trace_fn trace;
	void *trace_arg;
	struct ilnpdns_upd_req *reqs; /* pending, for client_free */
	struct upd_belief *beliefs;
};

/* One copy sent: its own ID and TSIG state, so its answer can be told apart. */
struct upd_copy {
	uint16_t id;
	uint64_t sent_us;
	struct ilnpdns_tsig_state st;
};

enum tcp_phase { TCP_CONNECT, TCP_WRITE, TCP_READ };

struct ilnpdns_upd_req {
	struct ilnpdns_upd_client *c;
	struct ilnpdns_upd_req *prev, *next;
	enum upd_kind kind;
	upd_done_fn done;
	void *arg;
	ilnpdns_upd_cb ucb; /* public API callback (pub_done) */
	void *uarg;
	uint8_t *base; /* the unsigned request; each copy patches the ID */
	size_t baselen;
	uint8_t *out; /* the signed copy last sent (ILNPDNS_MSG_MAX + 2 for TCP) */
	size_t outlen;
	struct upd_copy copy[UPD_COPIES_MAX];
	unsigned ncopies;      /* all copies, all servers */
	unsigned first_on_srv; /* index of the first copy sent to the current server */
	size_t srv;            /* current server */
	unsigned srv_copies;   /* copies sent to it in this turn */
	unsigned moves;        /* servers left behind */
	unsigned tried_mask;   /* servers sent to at least once */
	bool tcp;
	int udp_fd;
	struct event *udp_ev;
	int tcp_fd;
	struct event *tcp_ev;
	enum tcp_phase tcp_phase;
	size_t tcp_pos;
	size_t tcp_want;
	uint8_t *tcp_in;
	struct event *timer;
	uint64_t start_us;
	uint64_t deadline_us;
	int64_t clock_offset;
	bool badtime_retried;
	int last_err;
	int last_rcode;
	uint16_t last_tsig_error;
	/* set locators: the request is a shell around the running sub-request */
	void *op;
	void (*op_abort)(void *op);
};

uint64_t upd_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static void trace(struct ilnpdns_upd_client *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void trace(struct ilnpdns_upd_client *c, const char *fmt, ...)
{
	char line[256];
	va_list ap;

	if (c->trace == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	c->trace(line, c->trace_arg);
}

void ilnpdns_upd_config_default(struct ilnpdns_upd_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	ilnpdns_upd_rtt_params_default(&cfg->rtt);
	/* Three copies per server: with the RTO doubling, the third goes out
	 * after 3 RTOs, long enough to call a server dead on a loss burst of a
	 * few packets and move on (RFC 2136 4.6); 16 copies / 10 s bound a
	 * request whatever the number of servers. */
	cfg->attempts_per_server = 3;
	cfg->max_attempts = 16;
	cfg->deadline_ms = 10000;
	cfg->tcp_timeout_ms = 3000;
	cfg->tcp = false;
}

int ilnpdns_upd_client_new(struct event_base *base, const struct ilnpdns_upd_config *cfg,
                           struct ilnpdns_upd_client **out)
{
	struct ilnpdns_upd_client *c = calloc(1, sizeof(*c));
	int rc;

	*out = NULL;
	if (c == NULL)
		return ILNPDNS_ENOMEM;
	if (cfg != NULL)
		c->cfg = *cfg;
	else
		ilnpdns_upd_config_default(&c->cfg);
	if (base == NULL) {
		base = event_base_new();
		if (base == NULL) {
			free(c);
			return ILNPDNS_ENOMEM;
		}
		c->own_base = true;
	}
	c->base = base;
	rc = ilnpdns_upd_crypto_init(&c->cr);
	if (rc < 0) {
		if (c->own_base)
			event_base_free(base);
		free(c);
		return rc;
	}
	*out = c;
	return 0;
}

void ilnpdns_upd_client_free(struct ilnpdns_upd_client *c)
{
	if (c == NULL)
		return;
	while (c->reqs != NULL)
		ilnpdns_upd_cancel(c->reqs);
	upd_beliefs_free(c->beliefs);
	ilnpdns_upd_crypto_fini(&c->cr);
	if (c->own_base)
		event_base_free(c->base);
	free(c);
}

struct event_base *ilnpdns_upd_client_base(struct ilnpdns_upd_client *c)
{
	return c->base;
}

void ilnpdns_upd_client_set_config(struct ilnpdns_upd_client *c,
                                   const struct ilnpdns_upd_config *cfg)
{
	c->cfg = *cfg;
}

struct upd_belief **upd_client_beliefs(struct ilnpdns_upd_client *c)
{
	return &c->beliefs;
}

const struct upd_belief *upd_client_beliefs_c(const struct ilnpdns_upd_client *c)
{
	return c->beliefs;
}

static void sa_to_str(const struct sockaddr *sa, char *buf, size_t cap)
{
	char host[INET6_ADDRSTRLEN] = "?";
	unsigned port = 0;

	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)sa;

		inet_ntop(AF_INET, &s4->sin_addr, host, sizeof(host));
		port = ntohs(s4->sin_port);
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)sa;

		inet_ntop(AF_INET6, &s6->sin6_addr, host, sizeof(host));
		port = ntohs(s6->sin6_port);
	}
	snprintf(buf, cap, "%s@%u", host, port);
}

int ilnpdns_upd_client_add_server_sa(struct ilnpdns_upd_client *c, const struct sockaddr *sa,
                                     socklen_t salen)
{
	struct upd_server *s;

	if (c->nservers == ILNPDNS_UPD_SERVERS_MAX)
		return ILNPDNS_ENOSPC;
	if ((sa->sa_family != AF_INET && sa->sa_family != AF_INET6) || salen > sizeof(s->sa))
		return ILNPDNS_EINVAL;
	s = &c->server[c->nservers++];
	memset(s, 0, sizeof(*s));
	memcpy(&s->sa, sa, salen);
	s->salen = salen;
	sa_to_str(sa, s->str, sizeof(s->str));
	ilnpdns_upd_rtt_init(&s->rtt, &c->cfg.rtt);
	ilnpdns_upd_rtt_init(&s->qrtt, &c->cfg.rtt);
	return 0;
}

/* "addr", "addr@port", "[v6]:port", "v4:port" (numeric). */
static int parse_server(const char *spec, struct sockaddr_storage *ss, socklen_t *len)
{
	char host[INET6_ADDRSTRLEN + 2];
	const char *port = NULL, *at;
	size_t hl;
	unsigned long p = 53;

	if (spec[0] == '[') {
		const char *end = strchr(spec, ']');

		if (end == NULL)
			return ILNPDNS_ESYNTAX;
		hl = (size_t)(end - spec - 1);
		if (hl >= sizeof(host))
			return ILNPDNS_ESYNTAX;
		memcpy(host, spec + 1, hl);
		host[hl] = '\0';
		if (end[1] == ':' || end[1] == '@')
			port = end + 2;
		else if (end[1] != '\0')
			return ILNPDNS_ESYNTAX;
	} else {
		at = strchr(spec, '@');
		if (at == NULL && strchr(spec, ':') == strrchr(spec, ':'))
			at = strchr(spec, ':'); /* v4:port */
		hl = at ? (size_t)(at - spec) : strlen(spec);
		if (hl >= sizeof(host))
			return ILNPDNS_ESYNTAX;
		memcpy(host, spec, hl);
		host[hl] = '\0';
		if (at != NULL)
			port = at + 1;
	}
	if (port != NULL) {
		char *end;

		p = strtoul(port, &end, 10);
		if (*port == '\0' || *end != '\0' || p == 0 || p > 65535)
			return ILNPDNS_ESYNTAX;
	}
	memset(ss, 0, sizeof(*ss));
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
	if (inet_pton(AF_INET, host, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)p);
		*len = sizeof(*s4);
		return 0;
	}
	if (inet_pton(AF_INET6, host, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)p);
		*len = sizeof(*s6);
		return 0;
	}
	return ILNPDNS_ESYNTAX;
}

int ilnpdns_upd_client_add_server(struct ilnpdns_upd_client *c, const char *spec)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int rc = parse_server(spec, &ss, &len);

	if (rc < 0)
		return rc;
	return ilnpdns_upd_client_add_server_sa(c, (struct sockaddr *)&ss, len);
}

void ilnpdns_upd_client_clear_servers(struct ilnpdns_upd_client *c)
{
	c->nservers = 0;
}

size_t ilnpdns_upd_client_server_count(const struct ilnpdns_upd_client *c)
{
	return c->nservers;
}

const struct ilnpdns_upd_rtt *ilnpdns_upd_client_rtt(const struct ilnpdns_upd_client *c,
                                                     size_t server)
{
	return server < c->nservers ? &c->server[server].rtt : NULL;
}

int ilnpdns_upd_client_set_local(struct ilnpdns_upd_client *c, const struct sockaddr *sa,
                                 socklen_t salen)
{
	if (sa == NULL) {
		c->locallen = 0;
		return 0;
	}
	if (salen > sizeof(c->local))
		return ILNPDNS_EINVAL;
	memcpy(&c->local, sa, salen);
	c->locallen = salen;
	return 0;
}

void ilnpdns_upd_client_set_auth(struct ilnpdns_upd_client *c, const struct ilnpdns_upd_auth *auth)
{
	if (auth == NULL)
		memset(&c->auth, 0, sizeof(c->auth));
	else
		c->auth = *auth;
}

void ilnpdns_upd_client_set_trace(struct ilnpdns_upd_client *c, ilnpdns_upd_trace_fn fn, void *arg)
{
	c->trace = fn;
	c->trace_arg = arg;
}

/* ---- results ---- */

void ilnpdns_upd_result_clear(struct ilnpdns_upd_result *res)
{
	free(res->answer);
	res->answer = NULL;
	res->answer_len = 0;
}

bool ilnpdns_upd_result_ok(const struct ilnpdns_upd_result *res)
{
	return res->err == 0 && res->rcode == ILNPDNS_RCODE_NOERROR;
}

static const char *rcode_name(int rcode)
{
	static const char *const names[] = {"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN",
	                                    "NOTIMP",  "REFUSED", "YXDOMAIN", "YXRRSET",
	                                    "NXRRSET", "NOTAUTH", "NOTZONE"};

	if (rcode >= 0 && rcode < (int)(sizeof(names) / sizeof(names[0])))
		return names[rcode];
	return rcode < 0 ? "none" : "RCODE?";
}

static const char *tsig_error_name(uint16_t e)
{
	switch (e) {
	case ILNPDNS_TSIG_BADSIG:
		return "BADSIG";
	case ILNPDNS_TSIG_BADKEY:
		return "BADKEY";
	case ILNPDNS_TSIG_BADTIME:
		return "BADTIME";
	case ILNPDNS_TSIG_BADTRUNC:
		return "BADTRUNC";
	default:
		return "";
	}
}

int ilnpdns_upd_result_to_str(const struct ilnpdns_upd_result *res, char *buf, size_t cap)
{
	int n = snprintf(buf, cap, "%s%s%s%s%s attempts=%u servers=%u server=%s%s %.3f ms",
	                 rcode_name(res->rcode), res->tsig_error ? "/" : "",
	                 tsig_error_name(res->tsig_error), res->err ? " err=" : "",
	                 res->err ? ilnpdns_strerror(res->err) : "", res->attempts,
	                 res->servers_tried, res->server >= 0 ? res->server_str : "-",
	                 res->tcp ? " tcp" : "", (double)res->elapsed_us / 1000.0);

	if (n < 0 || (size_t)n >= cap)
		return ILNPDNS_ETRUNC;
	return n;
}

int upd_result_copy(struct ilnpdns_upd_result *dst, const struct ilnpdns_upd_result *src)
{
	*dst = *src;
	dst->answer = NULL;
	dst->answer_len = 0;
	if (src->answer != NULL && src->answer_len > 0) {
		dst->answer = malloc(src->answer_len);
		if (dst->answer == NULL)
			return ILNPDNS_ENOMEM;
		memcpy(dst->answer, src->answer, src->answer_len);
		dst->answer_len = src->answer_len;
	}
	return 0;
}

/* ---- the request engine ---- */

int upd_query_render(const uint8_t *name, uint16_t type, uint8_t *buf, size_t cap, size_t *len)
{
	size_t nl = ilnpdns_dname_len(name);

	if (cap < ILNPDNS_HDR_LEN + nl + 4)
		return ILNPDNS_ETRUNC;
	memset(buf, 0, ILNPDNS_HDR_LEN);
	ilnpdns_put16(buf, upd_random_id());
	ilnpdns_put16(buf + 4, 1);
	memcpy(buf + ILNPDNS_HDR_LEN, name, nl);
	ilnpdns_put16(buf + ILNPDNS_HDR_LEN + nl, type);
	ilnpdns_put16(buf + ILNPDNS_HDR_LEN + nl + 2, ILNPDNS_C_IN);
	*len = ILNPDNS_HDR_LEN + nl + 4;
	return 0;
}

static void close_udp(struct ilnpdns_upd_req *r)
{
	if (r->udp_ev != NULL) {
		event_free(r->udp_ev);
		r->udp_ev = NULL;
	}
	if (r->udp_fd >= 0) {
		close(r->udp_fd);
		r->udp_fd = -1;
	}
}

static void close_tcp(struct ilnpdns_upd_req *r)
{
	if (r->tcp_ev != NULL) {
		event_free(r->tcp_ev);
		r->tcp_ev = NULL;
	}
	if (r->tcp_fd >= 0) {
		close(r->tcp_fd);
		r->tcp_fd = -1;
	}
	free(r->tcp_in);
	r->tcp_in = NULL;
}

static void req_unlink_free(struct ilnpdns_upd_req *r)
{
	struct ilnpdns_upd_client *c = r->c;

	close_udp(r);
	close_tcp(r);
	if (r->timer != NULL)
		event_free(r->timer);
	if (r->prev != NULL)
		r->prev->next = r->next;
	else if (c->reqs == r)
		c->reqs = r->next;
	if (r->next != NULL)
		r->next->prev = r->prev;
	free(r->base);
	free(r->out);
	free(r);
}

static void finish(struct ilnpdns_upd_req *r, int err, int rcode, uint16_t tsig_error,
                   const uint8_t *ans, size_t anslen, const struct upd_copy *cp)
{
	struct ilnpdns_upd_client *c = r->c;
	struct ilnpdns_upd_result res;
	uint64_t now = upd_now_us();

	memset(&res, 0, sizeof(res));
	res.err = err;
	res.rcode = rcode;
	res.tsig_error = tsig_error;
	res.attempts = r->ncopies;
	res.servers_tried = (unsigned)__builtin_popcount(r->tried_mask);
	res.server = ans != NULL ? (int)r->srv : -1;
	if (ans != NULL)
		snprintf(res.server_str, sizeof(res.server_str), "%s", c->server[r->srv].str);
	res.tcp = ans != NULL && r->tcp;
	res.elapsed_us = r->ncopies > 0 ? now - r->start_us : 0;
	res.rtt_us = cp != NULL ? now - cp->sent_us : 0;
	res.clock_offset = r->clock_offset;
	res.rounds = 1;
	res.answer = (uint8_t *)ans;
	res.answer_len = anslen;
	trace(c, "done: rcode %s tsig %u err %d after %u copies, %.3f ms", rcode_name(rcode),
	      tsig_error, err, r->ncopies, (double)res.elapsed_us / 1000.0);
	if (r->timer != NULL)
		event_del(r->timer);
	/* done may start new requests on the client; r is freed after it. The
	 * sockets close only after done: a TCP answer lives in r's buffer. */
	r->done(r, &res, r->arg);
	close_udp(r);
	close_tcp(r);
	req_unlink_free(r);
}

static void send_copy(struct ilnpdns_upd_req *r);

/*
 * The estimator for this request. Updates and queries are timed apart: an
 * update's answer waits for the server's commit to stable storage (RFC 2136
 * 3.5), so a query RTT would set the update timer too short. Before the
 * first update sample, the query estimate only raises the update RTO (a
 * slow path learnt by the reconcile read), never lowers it.
 */
static struct ilnpdns_upd_rtt *est(struct ilnpdns_upd_req *r)
{
	struct upd_server *s = &r->c->server[r->srv];

	if (r->kind != UPD_KIND_UPDATE)
		return &s->qrtt;
	if (s->rtt.samples == 0 && s->rtt.backoffs == 0 && s->qrtt.samples > 0 &&
	    s->qrtt.rto_us > s->rtt.rto_us)
		s->rtt.rto_us = s->qrtt.rto_us;
	return &s->rtt;
}

static void arm_timer(struct ilnpdns_upd_req *r, uint64_t us)
{
	uint64_t now = upd_now_us();
	struct timeval tv;

	if (now + us > r->deadline_us)
		us = r->deadline_us > now ? r->deadline_us - now : 0;
	tv.tv_sec = (time_t)(us / 1000000u);
	tv.tv_usec = (suseconds_t)(us % 1000000u);
	evtimer_add(r->timer, &tv);
}

/* Leave the current server: timeout, socket error, SERVFAIL or NOTIMP. */
static void next_server(struct ilnpdns_upd_req *r, int err, int rcode, bool answered)
{
	struct ilnpdns_upd_client *c = r->c;

	r->last_err = err;
	if (answered)
		r->last_rcode = rcode;
	close_udp(r);
	close_tcp(r);
	event_del(r->timer);
	r->moves++;
	trace(c, "leaving server %s (%s)", c->server[r->srv].str,
	      answered ? rcode_name(rcode) : ilnpdns_strerror(err));
	/* An answering server that cannot help is final once every server has
	 * had its turn; timeouts go round again until the limits say stop. */
	if ((answered && r->moves >= c->nservers) || r->ncopies >= c->cfg.max_attempts ||
	    r->ncopies >= UPD_COPIES_MAX || upd_now_us() >= r->deadline_us) {
		if (answered)
			finish(r, 0, rcode, 0, NULL, 0, NULL);
		else
			finish(r, err, r->last_rcode, 0, NULL, 0, NULL);
		return;
	}
	r->srv = (r->srv + 1) % c->nservers;
	r->srv_copies = 0;
	r->tcp = c->cfg.tcp;
	send_copy(r);
}

static int open_sock(struct ilnpdns_upd_req *r, int type)
{
	struct ilnpdns_upd_client *c = r->c;
	const struct upd_server *s = &c->server[r->srv];
	int fd = socket(s->sa.ss_family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -errno;
	if (c->locallen > 0 && c->local.ss_family == s->sa.ss_family &&
	    bind(fd, (const struct sockaddr *)&c->local, c->locallen) < 0) {
		int e = -errno;

		close(fd);
		return e;
	}
	/* Connected, so ICMP port unreachable comes back as ECONNREFUSED:
	 * a reason to try the next server at once (RFC 2136 4.6). */
	if (connect(fd, (const struct sockaddr *)&s->sa, s->salen) < 0 && errno != EINPROGRESS) {
		int e = -errno;

		close(fd);
		return e;
	}
	return fd;
}

static bool handle_answer(struct ilnpdns_upd_req *r, const uint8_t *msg, size_t len);

static void udp_readable(evutil_socket_t fd, short what, void *arg)
{
	struct ilnpdns_upd_req *r = arg;
	uint8_t buf[ILNPDNS_MSG_MAX];

	(void)what;
	/* One datagram per wake-up: handle_answer() may finish and free r, so
	 * r must not be touched after it. The event is persistent and
	 * level-triggered, so further datagrams wake us again. */
	ssize_t n = recv(fd, buf, sizeof(buf), 0);
	if (n < 0) {
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
			next_server(r, -errno, -1, false);
		return;
	}
	handle_answer(r, buf, (size_t)n);
}

static void tcp_event(evutil_socket_t fd, short what, void *arg);

static int tcp_start(struct ilnpdns_upd_req *r)
{
	int fd = open_sock(r, SOCK_STREAM);

	if (fd < 0)
		return fd;
	r->tcp_fd = fd;
	r->tcp_phase = TCP_CONNECT;
	r->tcp_pos = 0;
	r->tcp_ev = event_new(r->c->base, fd, EV_WRITE | EV_PERSIST, tcp_event, r);
	if (r->tcp_ev == NULL || event_add(r->tcp_ev, NULL) < 0)
		return ILNPDNS_ENOMEM;
	return 0;
}

static void tcp_event(evutil_socket_t fd, short what, void *arg)
{
	struct ilnpdns_upd_req *r = arg;
	ssize_t n;

	(void)what;
	if (r->tcp_phase == TCP_CONNECT) {
		int soerr = 0;
		socklen_t sl = sizeof(soerr);

		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) < 0)
			soerr = errno;
		if (soerr != 0) {
			next_server(r, -soerr, -1, false);
			return;
		}
		r->tcp_phase = TCP_WRITE;
		r->tcp_pos = 0;
	}
	if (r->tcp_phase == TCP_WRITE) {
		/* out holds the 2-octet length prefix and the message (RFC 1035 4.2.2). */
		n = send(fd, r->out + r->tcp_pos, r->outlen + 2 - r->tcp_pos, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				return;
			next_server(r, -errno, -1, false);
			return;
		}
		r->tcp_pos += (size_t)n;
		if (r->tcp_pos < r->outlen + 2)
			return;
		r->tcp_phase = TCP_READ;
		r->tcp_pos = 0;
		r->tcp_want = 2;
		r->tcp_in = malloc(ILNPDNS_MSG_MAX + 2);
		if (r->tcp_in == NULL) {
			next_server(r, ILNPDNS_ENOMEM, -1, false);
			return;
		}
		event_free(r->tcp_ev);
		r->tcp_ev = event_new(r->c->base, fd, EV_READ | EV_PERSIST, tcp_event, r);
		if (r->tcp_ev == NULL || event_add(r->tcp_ev, NULL) < 0)
			next_server(r, ILNPDNS_ENOMEM, -1, false);
		return;
	}
	n = recv(fd, r->tcp_in + r->tcp_pos, r->tcp_want - r->tcp_pos, 0);
	if (n < 0) {
		if (errno == EAGAIN || errno == EINTR)
			return;
		next_server(r, -errno, -1, false);
		return;
	}
	if (n == 0) {
		next_server(r, ILNPDNS_EIO, -1, false);
		return;
	}
	r->tcp_pos += (size_t)n;
	if (r->tcp_pos < r->tcp_want)
		return;
	if (r->tcp_want == 2) {
		size_t mlen = ilnpdns_get16(r->tcp_in);

		if (mlen < ILNPDNS_HDR_LEN) {
			next_server(r, ILNPDNS_EMALF, -1, false);
			return;
		}
		r->tcp_want = 2 + mlen;
		return;
	}
	/* Not ours: one answer per connection, so this server failed. */
	if (!handle_answer(r, r->tcp_in + 2, r->tcp_want - 2))
		next_server(r, ILNPDNS_EMALF, -1, false);
}

static void timer_fired(evutil_socket_t fd, short what, void *arg)
{
	struct ilnpdns_upd_req *r = arg;
	struct ilnpdns_upd_client *c = r->c;
	struct upd_server *s = &c->server[r->srv];

	(void)fd;
	(void)what;
	if (r->ncopies == 0) {
		send_copy(r);
		return;
	}
	if (upd_now_us() >= r->deadline_us) {
		finish(r, ILNPDNS_ETIMEDOUT, r->last_rcode, 0, NULL, 0, NULL);
		return;
	}
	if (r->tcp) {
		next_server(r, ILNPDNS_ETIMEDOUT, -1, false);
		return;
	}
	ilnpdns_upd_rtt_backoff(est(r), &c->cfg.rtt);
	trace(c, "timeout on %s, RTO now %.3f ms", s->str, (double)est(r)->rto_us / 1000.0);
	if (r->srv_copies >= c->cfg.attempts_per_server) {
		next_server(r, ILNPDNS_ETIMEDOUT, -1, false);
		return;
	}
	send_copy(r);
}

static void send_copy(struct ilnpdns_upd_req *r)
{
	struct ilnpdns_upd_client *c = r->c;
	struct upd_server *s = &c->server[r->srv];
	struct upd_copy *cp;
	uint8_t *msg = r->out + 2;
	size_t len = r->baselen;
	unsigned limit =
	    c->cfg.max_attempts < UPD_COPIES_MAX ? c->cfg.max_attempts : UPD_COPIES_MAX;
	int rc;

	if (r->ncopies >= limit) {
		finish(r, r->last_err ? r->last_err : ILNPDNS_ETIMEDOUT, r->last_rcode, 0, NULL, 0,
		       NULL);
		return;
	}
	cp = &r->copy[r->ncopies];
	memset(cp, 0, sizeof(*cp));
	/* A fresh ID and signature per copy: the answer names the copy it
	 * answers, and a server's TSIG replay check never sees the same MAC. */
	cp->id = upd_random_id();
	memcpy(msg, r->base, r->baselen);
	ilnpdns_put16(msg, cp->id);
	if (r->kind == UPD_KIND_UPDATE) {
		rc = ilnpdns_upd_sign(&c->cr, &c->auth, msg, &len, ILNPDNS_MSG_MAX,
		                      ilnpdns_tsig_now(), r->clock_offset, &cp->st);
		if (rc < 0) {
			finish(r, rc, -1, 0, NULL, 0, NULL);
			return;
		}
	}
	r->outlen = len;
	ilnpdns_put16(r->out, (uint16_t)len);
	if (r->srv_copies == 0)
		r->first_on_srv = r->ncopies;
	r->ncopies++;
	r->srv_copies++;
	r->tried_mask |= 1u << r->srv;
	cp->sent_us = upd_now_us();
	if (r->ncopies == 1) {
		r->start_us = cp->sent_us;
		r->deadline_us = r->start_us + (uint64_t)c->cfg.deadline_ms * 1000u;
	}
	if (r->tcp) {
		close_tcp(r);
		rc = tcp_start(r);
		trace(c, "copy %u id %u to %s over TCP", r->ncopies, cp->id, s->str);
		if (rc < 0) {
			next_server(r, rc, -1, false);
			return;
		}
		arm_timer(r, (uint64_t)c->cfg.tcp_timeout_ms * 1000u);
		return;
	}
	if (r->udp_fd < 0) {
		rc = open_sock(r, SOCK_DGRAM);
		if (rc < 0) {
			next_server(r, rc, -1, false);
			return;
		}
		r->udp_fd = rc;
		r->udp_ev = event_new(c->base, rc, EV_READ | EV_PERSIST, udp_readable, r);
		if (r->udp_ev == NULL || event_add(r->udp_ev, NULL) < 0) {
			finish(r, ILNPDNS_ENOMEM, -1, 0, NULL, 0, NULL);
			return;
		}
	}
	trace(c, "copy %u id %u to %s over UDP, RTO %.3f ms", r->ncopies, cp->id, s->str,
	      (double)est(r)->rto_us / 1000.0);
	if (send(r->udp_fd, msg, len, 0) < 0 && errno != EAGAIN) {
		next_server(r, -errno, -1, false);
		return;
	}
	arm_timer(r, est(r)->rto_us);
}

/* Returns false when the answer was ignored (r still waits), true when it was
 * acted on: then r may have been freed and must not be touched. */
static bool handle_answer(struct ilnpdns_upd_req *r, const uint8_t *msg, size_t len)
{
	struct ilnpdns_upd_client *c = r->c;
	struct ilnpdns_upd_answer ans;
	struct upd_copy *cp = NULL;
	uint16_t id;
	int rc;

	if (len < ILNPDNS_HDR_LEN)
		return false;
	id = ilnpdns_get16(msg);
	/* Answers to any copy sent to this server count (a late one too). */
	for (unsigned i = r->first_on_srv; i < r->ncopies; i++)
		if (r->copy[i].id == id)
			cp = &r->copy[i];
	if (cp == NULL)
		return false;
	ilnpdns_put16(r->base, cp->id);
	rc = ilnpdns_upd_check_answer(&c->cr, r->base, r->baselen,
	                              r->kind == UPD_KIND_UPDATE ? &cp->st : NULL, msg, len,
	                              ilnpdns_tsig_now(), r->clock_offset, &ans);
	if (rc == ILNPDNS_ENOENT || rc == ILNPDNS_EMALF) {
		trace(c, "ignored an answer that is not ours (%s)", ilnpdns_strerror(rc));
		return false;
	}
	if (rc == 0 && ans.tc && !r->tcp) {
		trace(c, "TC: retrying over TCP");
		event_del(r->timer);
		close_udp(r);
		r->tcp = true;
		send_copy(r);
		return true;
	}
	if (rc == ILNPDNS_EBADTIME && ans.server_time != 0 && !r->badtime_retried) {
		/* RFC 8945 5.2.3: sign again on the server's clock, once. */
		r->badtime_retried = true;
		r->clock_offset = (int64_t)ans.server_time - (int64_t)ilnpdns_tsig_now();
		trace(c, "BADTIME: retrying with clock offset %lld s", (long long)r->clock_offset);
		event_del(r->timer);
		send_copy(r);
		return true;
	}
	if (rc == 0 && !r->tcp) {
		/* Karn's rule exists because an answer cannot tell which copy it
		 * answers; ours can (every copy has its own ID). The answer to the
		 * first copy a server got is an exact sample even if more copies
		 * followed; answers to later copies are not sampled: they may have
		 * queued behind the earlier ones. Nor after going round the
		 * servers once (earlier copies may be queued at this server). */
		bool clean = (unsigned)(cp - r->copy) == r->first_on_srv && r->moves < c->nservers;
		uint64_t rtt = upd_now_us() - cp->sent_us;

		ilnpdns_upd_rtt_sample(est(r), &c->cfg.rtt,
		                       rtt > UINT32_MAX ? UINT32_MAX : (uint32_t)rtt, !clean);
	}
	if (rc == 0 && (ans.rcode == ILNPDNS_RCODE_SERVFAIL || ans.rcode == ILNPDNS_RCODE_NOTIMP)) {
		next_server(r, 0, ans.rcode, true);
		return true;
	}
	finish(r, rc, ans.rcode, ans.tsig_error, msg, len, cp);
	return true;
}

int upd_req_start(struct ilnpdns_upd_client *c, enum upd_kind kind,
                  const struct ilnpdns_upd_msg *msg, const uint8_t *qname, uint16_t qtype,
                  upd_done_fn done, void *arg, struct ilnpdns_upd_req **out)
{
	struct ilnpdns_upd_req *r;
	int rc;

	if (out != NULL)
		*out = NULL;
	if (c->nservers == 0)
		return ILNPDNS_EINVAL;
	r = calloc(1, sizeof(*r));
	if (r == NULL)
		return ILNPDNS_ENOMEM;
	r->c = c;
	r->kind = kind;
	r->done = done;
	r->arg = arg;
	r->udp_fd = -1;
	r->tcp_fd = -1;
	r->last_rcode = -1;
	r->tcp = c->cfg.tcp;
	r->base = malloc(ILNPDNS_MSG_MAX);
	r->out = malloc(ILNPDNS_MSG_MAX + 2);
	r->timer = evtimer_new(c->base, timer_fired, r);
	if (r->base == NULL || r->out == NULL || r->timer == NULL) {
		rc = ILNPDNS_ENOMEM;
		goto fail;
	}
	if (kind == UPD_KIND_UPDATE)
		rc = ilnpdns_upd_msg_render(msg, r->base, ILNPDNS_MSG_MAX, &r->baselen);
	else
		rc = upd_query_render(qname, qtype, r->base, ILNPDNS_MSG_MAX, &r->baselen);
	if (rc < 0)
		goto fail;
	r->next = c->reqs;
	if (c->reqs != NULL)
		c->reqs->prev = r;
	c->reqs = r;
	r->start_us = upd_now_us();
	r->deadline_us = r->start_us + (uint64_t)c->cfg.deadline_ms * 1000u;
	if (out != NULL)
		*out = r;
	/* The first copy goes out from the loop, so that callbacks never run
	 * inside the call that started the request. */
	arm_timer(r, 0);
	return 0;
fail:
	if (r->timer != NULL)
		event_free(r->timer);
	free(r->base);
	free(r->out);
	free(r);
	return rc;
}

void upd_req_abort(struct ilnpdns_upd_req *req)
{
	req_unlink_free(req);
}

/* A shell request for set locators: no I/O of its own, listed for client_free. */
struct ilnpdns_upd_req *upd_req_shell(struct ilnpdns_upd_client *c, void *op,
                                      void (*op_abort)(void *op))
{
	struct ilnpdns_upd_req *r = calloc(1, sizeof(*r));

	if (r == NULL)
		return NULL;
	r->c = c;
	r->udp_fd = -1;
	r->tcp_fd = -1;
	r->op = op;
	r->op_abort = op_abort;
	r->next = c->reqs;
	if (c->reqs != NULL)
		c->reqs->prev = r;
	c->reqs = r;
	return r;
}

void upd_req_shell_free(struct ilnpdns_upd_req *r)
{
	req_unlink_free(r);
}

void ilnpdns_upd_cancel(struct ilnpdns_upd_req *req)
{
	if (req == NULL)
		return;
	if (req->op_abort != NULL)
		req->op_abort(req->op); /* frees the shell too */
	else
		req_unlink_free(req);
}

/* ---- public send and query ---- */

static void pub_done(struct ilnpdns_upd_req *req, struct ilnpdns_upd_result *res, void *arg)
{
	(void)arg;
	if (req->ucb != NULL)
		req->ucb(res, req->uarg);
}

static int start_pub(struct ilnpdns_upd_client *c, enum upd_kind kind,
                     const struct ilnpdns_upd_msg *msg, const uint8_t *qname, uint16_t qtype,
                     ilnpdns_upd_cb cb, void *arg, struct ilnpdns_upd_req **out)
{
	struct ilnpdns_upd_req *r;
	int rc = upd_req_start(c, kind, msg, qname, qtype, pub_done, NULL, &r);

	if (out != NULL)
		*out = NULL;
	if (rc < 0)
		return rc;
	/* Safe: the first copy goes out from the event loop, never from here. */
	r->ucb = cb;
	r->uarg = arg;
	if (out != NULL)
		*out = r;
	return 0;
}

int ilnpdns_upd_send(struct ilnpdns_upd_client *c, const struct ilnpdns_upd_msg *m,
                     ilnpdns_upd_cb cb, void *arg, struct ilnpdns_upd_req **req)
{
	return start_pub(c, UPD_KIND_UPDATE, m, NULL, 0, cb, arg, req);
}

int ilnpdns_upd_query(struct ilnpdns_upd_client *c, const uint8_t *name, uint16_t type,
                      ilnpdns_upd_cb cb, void *arg, struct ilnpdns_upd_req **req)
{
	return start_pub(c, UPD_KIND_QUERY, NULL, name, type, cb, arg, req);
}

void upd_client_run_until(struct ilnpdns_upd_client *c, const bool *done)
{
	while (!*done)
		if (event_base_loop(c->base, EVLOOP_ONCE) < 0)
			break;
}

struct sync_wait {
	bool done;
	struct ilnpdns_upd_result *res;
	int rc;
};

static void sync_cb(const struct ilnpdns_upd_result *res, void *arg)
{
	struct sync_wait *w = arg;

	w->rc = upd_result_copy(w->res, res);
	w->done = true;
}

int ilnpdns_upd_send_sync(struct ilnpdns_upd_client *c, const struct ilnpdns_upd_msg *m,
                          struct ilnpdns_upd_result *res)
{
	struct sync_wait w = {.res = res};
	int rc;

	memset(res, 0, sizeof(*res));
	rc = ilnpdns_upd_send(c, m, sync_cb, &w, NULL);
	if (rc < 0) {
		res->err = rc;
		res->rcode = -1;
		return rc;
	}
	upd_client_run_until(c, &w.done);
	if (w.rc < 0)
		res->err = w.rc;
	return res->err;
}

int ilnpdns_upd_query_sync(struct ilnpdns_upd_client *c, const uint8_t *name, uint16_t type,
                           struct ilnpdns_upd_result *res)
{
	struct sync_wait w = {.res = res};
	int rc;

	memset(res, 0, sizeof(*res));
	rc = ilnpdns_upd_query(c, name, type, sync_cb, &w, NULL);
	if (rc < 0) {
		res->err = rc;
		res->rcode = -1;
		return rc;
	}
	upd_client_run_until(c, &w.done);
	if (w.rc < 0)
		res->err = w.rc;
	return res->err;
}
