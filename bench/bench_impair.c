/* SPDX-License-Identifier: BSD-2-Clause */
/* bench_impair.c -- ilnpdns-bench impair: a UDP relay with one-way delay and seeded random loss. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ilnpdns/error.h"
#include "bench_impair.h"
#include "bench_stats.h"

/*
 * One thread, one poll loop. A datagram that survives the loss draw goes
 * into a FIFO with its due time; since every datagram waits the same delay,
 * the FIFO is also ordered by due time and the loop sleeps until its head
 * is due. The kernel here has no netem (sch_netem), so this is the only
 * way to give the namespaces a slow, lossy path.
 */

#define SLOT_CAP  4096 /* larger datagrams are counted and dropped */
#define QUEUE_LEN 2048
#define FLOWS     64
#define TCP_PAIRS 16

struct slot {
	int64_t due_ns;
	int fd; /* where it goes: the listen socket (to dst) or a flow socket */
	bool to_client;
	struct sockaddr_storage dst;
	socklen_t dstlen;
	uint16_t len;
	uint8_t data[SLOT_CAP];
};

struct flow {
	struct sockaddr_storage client;
	socklen_t clen;
	int fd; /* connected to upstream; -1 = free */
	int64_t used_ns;
};

struct bench_impair {
	struct bench_impair_conf conf;
	int udp, tcp, wake;
	pthread_t thread;
	bool running;
	atomic_bool stop;
	pthread_mutex_t mu; /* conditions, generator and counters */
	uint32_t delay_us;
	double loss;
	uint64_t rng;
	struct bench_impair_counts counts;
	struct slot *q; /* ring of QUEUE_LEN */
	size_t qhead, qlen;
	struct flow flows[FLOWS];
	int pairs[TCP_PAIRS][2];
};

bool bench_impair_target_ok(const struct bench_addr *a)
{
	if (bench_addr_is_loopback(a))
		return true;
	if (a->ss.ss_family != AF_INET6)
		return false;
	const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)&a->ss;
	return (s6->sin6_addr.s6_addr[0] & 0xfe) == 0xfc; /* fc00::/7, RFC 4193 */
}

/* splitmix64: small, seedable, good enough for loss draws. */
static uint64_t rng_next(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Called with mu held: true when this datagram is lost. */
static bool draw_loss(struct bench_impair *r)
{
	if (r->loss <= 0)
		return false;
	double u = (double)(rng_next(&r->rng) >> 11) * 0x1.0p-53;
	return u < r->loss;
}

static void send_slot(const struct slot *s)
{
	if (s->to_client)
		(void)sendto(s->fd, s->data, s->len, MSG_DONTWAIT, (const struct sockaddr *)&s->dst,
		             s->dstlen);
	else
		(void)send(s->fd, s->data, s->len, MSG_DONTWAIT);
}

/* Account for one datagram, then drop, send now or queue it. */
static void relay_datagram(struct bench_impair *r, const uint8_t *buf, size_t len, int fd,
                           bool to_client, const struct sockaddr_storage *dst, socklen_t dstlen)
{
	/* RFC 1035 4.1.1: QR is the top bit of octet 2, the opcode the next four. */
	bool update = !to_client && len >= 12 && (buf[2] & 0xf8) == (5 << 3);
	bool query = !to_client && len >= 12 && (buf[2] & 0xf8) == 0;
	struct slot now_slot, *s = &now_slot;

	pthread_mutex_lock(&r->mu);
	uint64_t *n = to_client ? &r->counts.down : &r->counts.up;
	uint64_t *lost = to_client ? &r->counts.down_dropped : &r->counts.up_dropped;
	(*n)++;
	r->counts.updates += update;
	r->counts.queries += query;
	if (len > SLOT_CAP || (r->delay_us > 0 && r->qlen == QUEUE_LEN)) {
		r->counts.oversize++;
		(*lost)++;
		r->counts.updates_dropped += update;
		pthread_mutex_unlock(&r->mu);
		return;
	}
	if (draw_loss(r)) {
		(*lost)++;
		r->counts.updates_dropped += update;
		pthread_mutex_unlock(&r->mu);
		return;
	}
	if (r->delay_us > 0)
		s = &r->q[(r->qhead + r->qlen++) % QUEUE_LEN];
	s->due_ns = bench_now_ns() + (int64_t)r->delay_us * 1000;
	s->fd = fd;
	s->to_client = to_client;
	if (dst != NULL)
		memcpy(&s->dst, dst, dstlen);
	s->dstlen = dstlen;
	s->len = (uint16_t)len;
	memcpy(s->data, buf, len);
	pthread_mutex_unlock(&r->mu);
	if (s == &now_slot)
		send_slot(s);
}

/* The upstream socket of a client: an existing flow, or a new one (the oldest goes). */
static int flow_fd(struct bench_impair *r, const struct sockaddr_storage *from, socklen_t flen)
{
	struct flow *victim = &r->flows[0];
	for (int i = 0; i < FLOWS; i++) {
		struct flow *f = &r->flows[i];
		if (f->fd >= 0 && f->clen == flen && memcmp(&f->client, from, flen) == 0) {
			f->used_ns = bench_now_ns();
			return f->fd;
		}
		if (f->fd < 0 || (victim->fd >= 0 && f->used_ns < victim->used_ns))
			victim = f;
	}
	if (victim->fd >= 0)
		close(victim->fd);
	victim->fd = bench_connect(&r->conf.upstream, SOCK_DGRAM);
	if (victim->fd < 0) {
		victim->fd = -1;
		return -1;
	}
	memcpy(&victim->client, from, flen);
	victim->clen = flen;
	victim->used_ns = bench_now_ns();
	return victim->fd;
}

static void on_client(struct bench_impair *r)
{
	uint8_t buf[65536];
	struct sockaddr_storage from;
	for (int i = 0; i < 64; i++) {
		socklen_t flen = sizeof(from);
		ssize_t n = recvfrom(r->udp, buf, sizeof(buf), MSG_DONTWAIT,
		                     (struct sockaddr *)&from, &flen);
		if (n < 0)
			return;
		int fd = flow_fd(r, &from, flen);
		if (fd >= 0)
			relay_datagram(r, buf, (size_t)n, fd, false, NULL, 0);
	}
}

static void on_server(struct bench_impair *r, struct flow *f)
{
	uint8_t buf[65536];
	for (int i = 0; i < 64; i++) {
		ssize_t n = recv(f->fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n < 0)
			return;
		relay_datagram(r, buf, (size_t)n, r->udp, true, &f->client, f->clen);
	}
}

/* Send what is due; returns the ns until the next slot is due, or -1 for none. */
static int64_t flush_due(struct bench_impair *r)
{
	for (;;) {
		pthread_mutex_lock(&r->mu);
		if (r->qlen == 0) {
			pthread_mutex_unlock(&r->mu);
			return -1;
		}
		struct slot *s = &r->q[r->qhead];
		int64_t wait = s->due_ns - bench_now_ns();
		if (wait > 0) {
			pthread_mutex_unlock(&r->mu);
			return wait;
		}
		send_slot(s);
		r->qhead = (r->qhead + 1) % QUEUE_LEN;
		r->qlen--;
		pthread_mutex_unlock(&r->mu);
	}
}

static void tcp_accept(struct bench_impair *r)
{
	int c = accept4(r->tcp, NULL, NULL, SOCK_CLOEXEC);
	if (c < 0)
		return;
	int u = bench_connect(&r->conf.upstream, SOCK_STREAM);
	for (int i = 0; u >= 0 && i < TCP_PAIRS; i++) {
		if (r->pairs[i][0] < 0) {
			int flags = fcntl(c, F_GETFL);
			fcntl(c, F_SETFL, flags | O_NONBLOCK);
			r->pairs[i][0] = c;
			r->pairs[i][1] = u;
			pthread_mutex_lock(&r->mu);
			r->counts.tcp_conns++;
			pthread_mutex_unlock(&r->mu);
			return;
		}
	}
	close(c);
	if (u >= 0)
		close(u);
}

/* Copy what is readable on pair[from] to pair[1 - from]; close the pair on EOF or error. */
static void tcp_pass(struct bench_impair *r, int i, int from)
{
	uint8_t buf[16384];
	ssize_t n = recv(r->pairs[i][from], buf, sizeof(buf), MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	bool ok = n > 0;
	for (ssize_t off = 0; ok && off < n;) {
		struct pollfd p = {.fd = r->pairs[i][1 - from], .events = POLLOUT};
		ssize_t w = send(p.fd, buf + off, (size_t)(n - off), MSG_NOSIGNAL | MSG_DONTWAIT);
		if (w > 0)
			off += w;
		else if (w < 0 && errno == EAGAIN && poll(&p, 1, 1000) == 1)
			continue;
		else
			ok = false;
	}
	if (!ok) {
		close(r->pairs[i][0]);
		close(r->pairs[i][1]);
		r->pairs[i][0] = r->pairs[i][1] = -1;
	}
}

static void *relay_thread(void *arg)
{
	struct bench_impair *r = arg;
	struct pollfd p[3 + FLOWS + 2 * TCP_PAIRS];
	int who[3 + FLOWS + 2 * TCP_PAIRS];

	while (!atomic_load(&r->stop)) {
		int64_t wait = flush_due(r);
		int n = 0;
		p[n] = (struct pollfd){.fd = r->udp, .events = POLLIN};
		who[n++] = -1;
		p[n] = (struct pollfd){.fd = r->wake, .events = POLLIN};
		who[n++] = -2;
		if (r->tcp >= 0) {
			p[n] = (struct pollfd){.fd = r->tcp, .events = POLLIN};
			who[n++] = -3;
		}
		for (int i = 0; i < FLOWS; i++)
			if (r->flows[i].fd >= 0) {
				p[n] = (struct pollfd){.fd = r->flows[i].fd, .events = POLLIN};
				who[n++] = i;
			}
		for (int i = 0; i < TCP_PAIRS; i++)
			for (int k = 0; k < 2 && r->pairs[i][0] >= 0; k++) {
				p[n] = (struct pollfd){.fd = r->pairs[i][k], .events = POLLIN};
				who[n++] = 1000 + 2 * i + k;
			}
		/* At most 100 ms asleep, so that stop is seen even without a wake-up. */
		if (wait < 0 || wait > 100000000)
			wait = 100000000;
		struct timespec ts = {wait / 1000000000, wait % 1000000000};
		if (ppoll(p, (nfds_t)n, &ts, NULL) <= 0)
			continue;
		for (int i = 0; i < n; i++) {
			if (p[i].revents == 0)
				continue;
			if (who[i] == -1)
				on_client(r);
			else if (who[i] == -2) {
				uint64_t v;
				(void)!read(r->wake, &v, sizeof(v));
			} else if (who[i] == -3)
				tcp_accept(r);
			else if (who[i] >= 1000) {
				int k = who[i] - 1000;
				if (r->pairs[k / 2][0] >= 0)
					tcp_pass(r, k / 2, k % 2);
			} else
				on_server(r, &r->flows[who[i]]);
		}
	}
	return NULL;
}

int bench_impair_start(const struct bench_impair_conf *conf, struct bench_impair **out)
{
	struct bench_impair *r;
	int rc;

	if (!bench_impair_target_ok(&conf->upstream) || !(conf->loss >= 0 && conf->loss < 1))
		return ILNPDNS_EINVAL;
	r = calloc(1, sizeof(*r));
	if (r == NULL || (r->q = calloc(QUEUE_LEN, sizeof(*r->q))) == NULL) {
		free(r);
		return ILNPDNS_ENOMEM;
	}
	r->conf = *conf;
	r->udp = r->tcp = r->wake = -1;
	for (int i = 0; i < FLOWS; i++)
		r->flows[i].fd = -1;
	for (int i = 0; i < TCP_PAIRS; i++)
		r->pairs[i][0] = r->pairs[i][1] = -1;
	pthread_mutex_init(&r->mu, NULL);
	r->delay_us = conf->delay_us;
	r->loss = conf->loss;
	r->rng = conf->seed;
	rc = bench_bind_udp(&r->conf.listen);
	if (rc < 0)
		goto fail;
	r->udp = rc;
	if (!conf->no_tcp) {
		int one = 1;
		r->tcp = socket(r->conf.listen.ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (r->tcp < 0 ||
		    setsockopt(r->tcp, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
		    bind(r->tcp, (struct sockaddr *)&r->conf.listen.ss, r->conf.listen.len) < 0 ||
		    listen(r->tcp, 16) < 0) {
			rc = -errno;
			goto fail;
		}
	}
	r->wake = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (r->wake < 0) {
		rc = -errno;
		goto fail;
	}
	rc = -pthread_create(&r->thread, NULL, relay_thread, r);
	if (rc < 0)
		goto fail;
	r->running = true;
	*out = r;
	return 0;
fail:
	bench_impair_stop(r);
	return rc;
}

void bench_impair_addr(const struct bench_impair *r, struct bench_addr *out)
{
	*out = r->conf.listen;
}

void bench_impair_set(struct bench_impair *r, uint32_t delay_us, double loss, uint64_t seed)
{
	pthread_mutex_lock(&r->mu);
	r->delay_us = delay_us;
	r->loss = loss;
	r->rng = seed;
	r->qlen = 0; /* what is queued belongs to the old conditions */
	pthread_mutex_unlock(&r->mu);
	uint64_t one = 1;
	(void)!write(r->wake, &one, sizeof(one));
}

void bench_impair_counts(struct bench_impair *r, struct bench_impair_counts *out)
{
	pthread_mutex_lock(&r->mu);
	*out = r->counts;
	pthread_mutex_unlock(&r->mu);
}

void bench_impair_stop(struct bench_impair *r)
{
	if (r == NULL)
		return;
	if (r->running) {
		uint64_t one = 1;
		atomic_store(&r->stop, true);
		(void)!write(r->wake, &one, sizeof(one));
		pthread_join(r->thread, NULL);
	}
	for (int i = 0; i < FLOWS; i++)
		if (r->flows[i].fd >= 0)
			close(r->flows[i].fd);
	for (int i = 0; i < TCP_PAIRS; i++)
		if (r->pairs[i][0] >= 0) {
			close(r->pairs[i][0]);
			close(r->pairs[i][1]);
		}
	if (r->udp >= 0)
		close(r->udp);
	if (r->tcp >= 0)
		close(r->tcp);
	if (r->wake >= 0)
		close(r->wake);
	pthread_mutex_destroy(&r->mu);
	free(r->q);
	free(r);
}

/* --- the subcommand ---------------------------------------------------- */

static volatile sig_atomic_t got_signal;

static void on_signal(int sig)
{
	(void)sig;
	got_signal = 1;
}

void bench_impair_usage(void)
{
	fprintf(
	    stderr,
	    "usage: ilnpdns-bench impair -l ADDR@PORT -u ADDR@PORT [-D MS] [-p PERCENT] [-S SEED]\n"
	    "                            [-T] [-d SECONDS]\n"
	    "  Relay DNS between clients at -l and the server at -u (loopback or a ULA),\n"
	    "  delaying every UDP datagram by -D ms one way (default 0) and dropping it with\n"
	    "  probability -p %% (default 0), in each direction; -S seeds the loss draws\n"
	    "  (default 1). TCP is passed through unimpaired (-T: no TCP). Runs until\n"
	    "  SIGINT/SIGTERM or -d seconds (default 3600), then prints its counters.\n");
}

int bench_impair_main(int argc, char **argv)
{
	static const struct option longopts[] = {{"listen", required_argument, NULL, 'l'},
	                                         {"upstream", required_argument, NULL, 'u'},
	                                         {"delay", required_argument, NULL, 'D'},
	                                         {"loss", required_argument, NULL, 'p'},
	                                         {"seed", required_argument, NULL, 'S'},
	                                         {"no-tcp", no_argument, NULL, 'T'},
	                                         {"duration", required_argument, NULL, 'd'},
	                                         {"help", no_argument, NULL, 'h'},
	                                         {NULL, 0, NULL, 0}};
	struct bench_impair_conf conf = {.seed = 1};
	const char *listen = NULL, *up = NULL;
	double delay_ms = 0, loss_pct = 0, seconds = 3600;
	char *end;
	int c, rc;

	optind = 1;
	while ((c = getopt_long(argc, argv, "l:u:D:p:S:Td:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'l':
			listen = optarg;
			break;
		case 'u':
			up = optarg;
			break;
		case 'D':
		case 'p':
		case 'd': {
			double v = strtod(optarg, &end);
			if (*end != '\0' || !(v >= 0) || (c == 'p' && v >= 100) || v > 1e6) {
				fprintf(stderr, "ilnpdns-bench impair: bad -%c '%s'\n", c, optarg);
				return 2;
			}
			*(c == 'D' ? &delay_ms : c == 'p' ? &loss_pct : &seconds) = v;
			break;
		}
		case 'S':
			conf.seed = strtoull(optarg, &end, 0);
			if (*end != '\0') {
				fprintf(stderr, "ilnpdns-bench impair: bad -S '%s'\n", optarg);
				return 2;
			}
			break;
		case 'T':
			conf.no_tcp = true;
			break;
		case 'h':
			bench_impair_usage();
			return 0;
		default:
			bench_impair_usage();
			return 2;
		}
	}
	if (listen == NULL || up == NULL || optind != argc) {
		bench_impair_usage();
		return 2;
	}
	if (bench_addr_parse(listen, &conf.listen) < 0 ||
	    bench_addr_parse(up, &conf.upstream) < 0 || !bench_impair_target_ok(&conf.upstream)) {
		fprintf(stderr,
		        "ilnpdns-bench impair: -l/-u: numeric ADDR@PORT; the server must be "
		        "on loopback or a ULA\n");
		return 2;
	}
	conf.delay_us = (uint32_t)(delay_ms * 1000);
	conf.loss = loss_pct / 100;
	struct bench_impair *r;
	if ((rc = bench_impair_start(&conf, &r)) < 0) {
		fprintf(stderr, "ilnpdns-bench impair: %s: %s\n", listen, ilnpdns_strerror(rc));
		return 1;
	}
	struct sigaction sa = {.sa_handler = on_signal};
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	char text[64];
	bench_addr_format(&conf.listen, text, sizeof(text));
	fprintf(stderr, "ilnpdns-bench impair: relaying %s -> %s, %.1f ms one way, %.1f%% loss\n",
	        text, up, delay_ms, loss_pct);
	int64_t stop_at = bench_now_ns() + (int64_t)(seconds * 1e9);
	while (!got_signal && bench_now_ns() < stop_at)
		usleep(20000);
	struct bench_impair_counts k;
	bench_impair_counts(r, &k);
	bench_impair_stop(r);
	printf("up %llu (dropped %llu), down %llu (dropped %llu), updates %llu (dropped %llu), "
	       "queries %llu, oversize %llu, tcp connections %llu\n",
	       (unsigned long long)k.up, (unsigned long long)k.up_dropped,
	       (unsigned long long)k.down, (unsigned long long)k.down_dropped,
	       (unsigned long long)k.updates, (unsigned long long)k.updates_dropped,
	       (unsigned long long)k.queries, (unsigned long long)k.oversize,
	       (unsigned long long)k.tcp_conns);
	return 0;
}
