/* SPDX-License-Identifier: BSD-2-Clause */
/* bench_failover.c -- ilnpdns-bench failover: rendezvous delay, f-overhead and stale answers. */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ilnpdns/dname.h"
#include "ilnpdns/error.h"
#include "bench_failover.h"
#include "bench_impair.h"
#include "bench_msg.h"
#include "bench_stats.h"

/*
 * The experiment of the paper's section V (Tables II and IV), with the DNS
 * rendezvous (section IV-D) in place of the LU/LU-ACK handshake:
 *
 *   host netns: ilnpdns-locmgr --UPDATE--> relay (delay D, loss p) --> server
 *   server netns: checker --L64 query every 1 ms, direct--> server
 *
 * A failover moves the host from one uplink to the other: the new uplink's
 * address is added, then the old one's deleted (make before break, one
 * netlink message each, within the manager's coalescing window). Its time
 * is taken just before the first message. Per failover:
 *  - rendezvous delay: until the checker first receives an answer holding
 *    exactly the new L64 set (the server applied the update);
 *  - ack delay: until the manager got the server's acknowledgement (its
 *    acked_us), the paper's f-delay of a handshake;
 *  - f-overhead: UPDATE messages the relay received from the host while the
 *    failover lasted (copies, lost ones included), the paper's number of
 *    handshakes; 1 is optimal;
 *  - stale answers: answers to queries sent after the acknowledgement that
 *    do not hold the new set (must be 0: an acknowledged update is visible).
 */

#define T_L64          106 /* RFC 6742 */
#define MAX_UPLINKS    2
#define MAX_CONDS      16
#define MAX_RUNS       1000
#define POLL_NS        1000000LL /* the checker's period */
#define ANSWER_WAIT_MS 20

struct uplink {
	char ifname[IF_NAMESIZE];
	int ifindex;
	struct in6_addr addr;
	uint16_t pref;
	uint8_t rdata[BENCH_L64_RDLEN];
	char json[64]; /* how the manager's failover log writes the set {pref, L64} */
};

struct fo {
	int run;
	bool seen, acked, converged;
	int64_t ev_ns, seen_ns, ack_ns; /* CLOCK_REALTIME, comparable with the manager's log */
	unsigned lm_attempts, lm_updates, superseded;
	uint64_t updates, updates_dropped, queries, up_dropped, down_dropped;
	unsigned answers_after_ack, stale, regressions;
};

struct cond {
	double delay_ms, loss_pct;
	struct fo fo[MAX_RUNS];
	int n;
	bool started;
};

struct opts {
	struct bench_addr server, relay;
	uint8_t qname[256];
	const char *host_netns;
	struct uplink up[MAX_UPLINKS];
	int nup;
	const char *failover_log, *locmgr_log, *csv, *json;
	int runs;
	int interval_ms, timeout_s;
	double delays[MAX_CONDS], losses[MAX_CONDS];
	int ndelays, nlosses;
	uint64_t seed;
	char **locmgr_argv;
};

/* The state of one experiment. */
struct bench {
	struct opts *o;
	int nl; /* rtnetlink socket in the host's namespace */
	int dns;
	uint16_t qid;
	struct bench_impair *relay;
	pid_t locmgr;
	int live; /* the uplink holding the address */
	int logfd;
	char logbuf[65536];
	size_t loglen;
};

static volatile sig_atomic_t got_signal;

static void on_signal(int sig)
{
	(void)sig;
	got_signal = 1;
}

static int64_t real_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* --- netlink in the host's namespace ----------------------------------- */

/* The socket and the interface indexes are taken inside netns, then we come back. */
static int nl_open(struct bench *b)
{
	char path[256];
	int self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC), rc = 0;
	snprintf(path, sizeof(path), "/run/netns/%s", b->o->host_netns);
	int target = open(path, O_RDONLY | O_CLOEXEC);
	if (self < 0 || target < 0 || setns(target, CLONE_NEWNET) < 0) {
		fprintf(stderr, "ilnpdns-bench failover: cannot enter netns %s: %s\n",
		        b->o->host_netns, strerror(errno));
		rc = -1;
		goto out;
	}
	b->nl = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	for (int i = 0; i < b->o->nup; i++) {
		b->o->up[i].ifindex = (int)if_nametoindex(b->o->up[i].ifname);
		if (b->o->up[i].ifindex == 0) {
			fprintf(stderr, "ilnpdns-bench failover: no interface %s in %s\n",
			        b->o->up[i].ifname, b->o->host_netns);
			rc = -1;
		}
	}
	if (b->nl < 0)
		rc = -1;
	if (setns(self, CLONE_NEWNET) < 0) {
		perror("ilnpdns-bench failover: setns back");
		rc = -1;
	}
out:
	if (self >= 0)
		close(self);
	if (target >= 0)
		close(target);
	return rc;
}

/* Add or delete the uplink's /64 address (no DAD: usable at once). Returns 0 or -errno. */
static int nl_addr(struct bench *b, const struct uplink *u, bool add)
{
	struct {
		struct nlmsghdr nh;
		struct ifaddrmsg ifa;
		char attrs[64];
	} req;
	memset(&req, 0, sizeof(req));
	req.nh.nlmsg_len = NLMSG_LENGTH(sizeof(struct ifaddrmsg));
	req.nh.nlmsg_type = add ? RTM_NEWADDR : RTM_DELADDR;
	req.nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | (add ? NLM_F_CREATE | NLM_F_REPLACE : 0);
	req.nh.nlmsg_seq = ++b->qid;
	req.ifa.ifa_family = AF_INET6;
	req.ifa.ifa_prefixlen = 64;
	req.ifa.ifa_flags = IFA_F_NODAD;
	req.ifa.ifa_index = (unsigned)u->ifindex;
	for (int t = 0; t < 2; t++) {
		struct rtattr *a = (struct rtattr *)((char *)&req + NLMSG_ALIGN(req.nh.nlmsg_len));
		a->rta_type = t == 0 ? IFA_LOCAL : IFA_ADDRESS;
		a->rta_len = RTA_LENGTH(sizeof(u->addr));
		memcpy(RTA_DATA(a), &u->addr, sizeof(u->addr));
		req.nh.nlmsg_len = NLMSG_ALIGN(req.nh.nlmsg_len) + RTA_ALIGN(a->rta_len);
	}
	if (send(b->nl, &req, req.nh.nlmsg_len, 0) < 0)
		return -errno;
	char buf[4096];
	struct pollfd p = {.fd = b->nl, .events = POLLIN};
	while (poll(&p, 1, 2000) == 1) {
		ssize_t n = recv(b->nl, buf, sizeof(buf), 0);
		if (n < 0)
			return -errno;
		for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, (size_t)n);
		     h = NLMSG_NEXT(h, n)) {
			if (h->nlmsg_seq == req.nh.nlmsg_seq && h->nlmsg_type == NLMSG_ERROR)
				return ((struct nlmsgerr *)NLMSG_DATA(h))->error;
		}
	}
	return -ETIMEDOUT;
}

/* Move the host to uplink `to`: its address first, then the other's goes. */
static int move_to(struct bench *b, int to)
{
	int rc = nl_addr(b, &b->o->up[to], true);
	if (rc < 0 && rc != -EEXIST)
		return rc;
	rc = nl_addr(b, &b->o->up[1 - to], false);
	if (rc < 0 && rc != -EADDRNOTAVAIL && rc != -ENODEV)
		return rc;
	b->live = to;
	return 0;
}

/* --- the checker ------------------------------------------------------- */

/*
 * One query to the server, direct: 1 when the answer holds exactly the live
 * uplink's L64, 0 when it holds anything else, -1 when no answer came.
 */
static int check_once(struct bench *b, int64_t *recv_ns)
{
	uint8_t q[BENCH_QUERY_MAX], a[4096];
	uint16_t id = ++b->qid;
	int len = bench_msg_query(q, sizeof(q), id, b->o->qname, T_L64);
	if (len < 0 || send(b->dns, q, (size_t)len, 0) < 0)
		return -1;
	struct pollfd p = {.fd = b->dns, .events = POLLIN};
	while (poll(&p, 1, ANSWER_WAIT_MS) == 1) {
		ssize_t n = recv(b->dns, a, sizeof(a), MSG_DONTWAIT);
		if (n < 12 || (a[0] << 8 | a[1]) != id || !(a[2] & 0x80))
			continue;
		*recv_ns = real_ns();
		/* NOERROR, one answer RR, the live uplink's L64 (RFC 6742 2.3). */
		int ancount = a[6] << 8 | a[7];
		return (a[3] & 0x0f) == 0 && ancount == 1 &&
		       bench_msg_answer_has(a, (size_t)n, T_L64, b->o->up[b->live].rdata,
		                            BENCH_L64_RDLEN) == 1;
	}
	return -1;
}

/* --- the manager and its failover log ---------------------------------- */

static int spawn_locmgr(struct bench *b)
{
	posix_spawn_file_actions_t fa;
	extern char **environ;
	int fd = open(b->o->failover_log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
	if (fd < 0) {
		fprintf(stderr, "ilnpdns-bench failover: %s: %s\n", b->o->failover_log,
		        strerror(errno));
		return -1;
	}
	close(fd);
	if (b->logfd >= 0)
		close(b->logfd);
	b->logfd = open(b->o->failover_log, O_RDONLY | O_CLOEXEC);
	b->loglen = 0;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 1, b->o->locmgr_log, O_WRONLY | O_APPEND | O_CREAT,
	                                 0640);
	posix_spawn_file_actions_adddup2(&fa, 1, 2);
	int rc =
	    posix_spawnp(&b->locmgr, b->o->locmgr_argv[0], &fa, NULL, b->o->locmgr_argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (rc != 0) {
		fprintf(stderr, "ilnpdns-bench failover: %s: %s\n", b->o->locmgr_argv[0],
		        strerror(rc));
		b->locmgr = 0;
		return -1;
	}
	return 0;
}

static void stop_locmgr(struct bench *b)
{
	int st;
	if (b->locmgr <= 0)
		return;
	kill(b->locmgr, SIGTERM);
	for (int i = 0; i < 300; i++) {
		if (waitpid(b->locmgr, &st, WNOHANG) == b->locmgr) {
			b->locmgr = 0;
			return;
		}
		usleep(10000);
	}
	kill(b->locmgr, SIGKILL);
	waitpid(b->locmgr, &st, 0);
	b->locmgr = 0;
}

static uint64_t json_num(const char *line, const char *key)
{
	char k[64];
	snprintf(k, sizeof(k), "\"%s\":", key);
	const char *p = strstr(line, k);
	return p != NULL ? strtoull(p + strlen(k), NULL, 10) : 0;
}

/*
 * New lines of the failover log: the first acknowledgement of the live
 * set fills f (ack time and the manager's own counts); superseded failovers
 * are counted. Returns true once f is acknowledged.
 */
static bool read_log(struct bench *b, struct fo *f)
{
	ssize_t n;
	while (b->logfd >= 0 && b->loglen < sizeof(b->logbuf) - 1 &&
	       (n = read(b->logfd, b->logbuf + b->loglen, sizeof(b->logbuf) - 1 - b->loglen)) > 0)
		b->loglen += (size_t)n;
	char *nl, *line = b->logbuf;
	b->logbuf[b->loglen] = '\0';
	while ((nl = strchr(line, '\n')) != NULL) {
		*nl = '\0';
		char want[96];
		snprintf(want, sizeof(want), "\"new\":{\"l64\":[%s]", b->o->up[b->live].json);
		if (strstr(line, "\"outcome\":\"superseded\"") != NULL)
			f->superseded++;
		else if (!f->acked && strstr(line, "\"outcome\":\"acked\"") != NULL &&
		         strstr(line, want) != NULL) {
			f->acked = true;
			f->ack_ns = (int64_t)json_num(line, "acked_us") * 1000;
			f->lm_attempts = (unsigned)json_num(line, "attempts");
			f->lm_updates = (unsigned)json_num(line, "updates");
		}
		line = nl + 1;
	}
	b->loglen -= (size_t)(line - b->logbuf);
	memmove(b->logbuf, line, b->loglen);
	return f->acked;
}

/* --- one failover ------------------------------------------------------ */

struct answer {
	int64_t sent_ns;
	int64_t recv_ns;
	int ok;
};

/*
 * Poll the server every millisecond until the failover f (or, at start-up,
 * the reconcile) has converged and min_ns has passed, or timeout_ns. The
 * answers are kept to count the stale ones once the ack time is known.
 */
static void follow(struct bench *b, struct fo *f, int64_t min_ns, int64_t timeout_ns)
{
	size_t cap = (size_t)(timeout_ns / POLL_NS) + 16, n = 0;
	struct answer *ans = calloc(cap, sizeof(*ans));
	int64_t start = bench_now_ns(), tick = start;
	int64_t next_log = 0;

	while (!got_signal && ans != NULL) {
		int64_t now = bench_now_ns();
		if (now >= next_log) {
			read_log(b, f);
			next_log = now + 5 * POLL_NS;
		}
		if (f->acked && f->seen && now - start >= min_ns &&
		    real_ns() - f->ack_ns >= 50 * POLL_NS)
			break;
		if (now - start >= timeout_ns || n == cap)
			break;
		struct answer *a = &ans[n];
		a->sent_ns = real_ns();
		a->ok = check_once(b, &a->recv_ns);
		if (a->ok >= 0) {
			if (a->ok == 1 && !f->seen && a->sent_ns >= f->ev_ns) {
				f->seen = true;
				f->seen_ns = a->recv_ns;
			}
			n++;
		}
		tick += POLL_NS;
		if (tick < bench_now_ns())
			tick = bench_now_ns();
		struct timespec ts = {tick / 1000000000, tick % 1000000000};
		clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
	}
	read_log(b, f);
	for (size_t i = 0; i < n; i++) {
		if (f->seen && ans[i].sent_ns > f->seen_ns && ans[i].ok == 0)
			f->regressions++;
		if (f->acked && ans[i].sent_ns > f->ack_ns) {
			f->answers_after_ack++;
			f->stale += ans[i].ok == 0;
		}
	}
	free(ans);
	f->converged = f->seen && f->acked;
}

/* One condition: a fresh manager (it primes its timers through the relay), then the runs. */
static int run_condition(struct bench *b, struct cond *c, int index)
{
	struct bench_impair_counts k0, k1;
	uint64_t seed = b->o->seed * 1000 + (uint64_t)index;
	bench_impair_set(b->relay, (uint32_t)(c->delay_ms * 1000), c->loss_pct / 100, seed);
	if (spawn_locmgr(b) < 0)
		return -1;
	struct fo start = {.ev_ns = real_ns()};
	follow(b, &start, 0, (int64_t)b->o->timeout_s * 1000000000);
	if (!start.converged) {
		fprintf(stderr,
		        "ilnpdns-bench failover: the manager did not publish its first set within "
		        "%d s (see %s)\n",
		        b->o->timeout_s, b->o->locmgr_log);
		stop_locmgr(b);
		return -1;
	}
	c->started = true;
	for (int r = 0; r < b->o->runs && !got_signal; r++) {
		struct fo *f = &c->fo[r];
		memset(f, 0, sizeof(*f));
		f->run = r + 1;
		bench_impair_counts(b->relay, &k0);
		f->ev_ns = real_ns();
		int rc = move_to(b, 1 - b->live);
		if (rc < 0) {
			fprintf(stderr, "ilnpdns-bench failover: netlink: %s\n", strerror(-rc));
			stop_locmgr(b);
			return -1;
		}
		follow(b, f, (int64_t)b->o->interval_ms * 1000000,
		       (int64_t)b->o->timeout_s * 1000000000);
		bench_impair_counts(b->relay, &k1);
		f->updates = k1.updates - k0.updates;
		f->updates_dropped = k1.updates_dropped - k0.updates_dropped;
		f->queries = k1.queries - k0.queries;
		f->up_dropped = k1.up_dropped - k0.up_dropped;
		f->down_dropped = k1.down_dropped - k0.down_dropped;
		c->n = r + 1;
		fprintf(
		    stderr,
		    "failover: delay %g ms loss %g%% run %d: %s, rendezvous %.2f ms, ack %.2f ms, "
		    "%llu update(s), %u stale\n",
		    c->delay_ms, c->loss_pct, r + 1, f->converged ? "converged" : "NOT CONVERGED",
		    f->seen ? (double)(f->seen_ns - f->ev_ns) / 1e6 : -1.0,
		    f->acked ? (double)(f->ack_ns - f->ev_ns) / 1e6 : -1.0,
		    (unsigned long long)f->updates, f->stale);
	}
	stop_locmgr(b);
	return 0;
}

/* --- results ----------------------------------------------------------- */

struct summary {
	int runs, converged;
	double rv_med, rv_p90, ack_med, ack_p90; /* ms */
	double fo_mean, fo_ideal, msgs_mean, lm_mean;
	uint64_t stale, regressions, superseded, answers_after_ack;
};

static void summarise(const struct cond *c, struct summary *s)
{
	struct bench_samples rv = {0}, ack = {0};
	uint64_t upd = 0, msgs = 0, lm = 0;
	memset(s, 0, sizeof(*s));
	s->runs = c->n;
	for (int i = 0; i < c->n; i++) {
		const struct fo *f = &c->fo[i];
		s->converged += f->converged;
		if (f->seen)
			bench_samples_add(&rv, f->seen_ns - f->ev_ns);
		if (f->acked)
			bench_samples_add(&ack, f->ack_ns - f->ev_ns);
		upd += f->updates;
		msgs += f->updates + f->queries;
		lm += f->lm_attempts;
		s->stale += f->stale;
		s->regressions += f->regressions;
		s->superseded += f->superseded;
		s->answers_after_ack += f->answers_after_ack;
	}
	s->rv_med = rv.n ? (double)bench_samples_pct(&rv, 50) / 1e6 : -1;
	s->rv_p90 = rv.n ? (double)bench_samples_pct(&rv, 90) / 1e6 : -1;
	s->ack_med = ack.n ? (double)bench_samples_pct(&ack, 50) / 1e6 : -1;
	s->ack_p90 = ack.n ? (double)bench_samples_pct(&ack, 90) / 1e6 : -1;
	s->fo_mean = c->n ? (double)upd / c->n : 0;
	s->msgs_mean = c->n ? (double)msgs / c->n : 0;
	s->lm_mean = c->n ? (double)lm / c->n : 0;
	/*
	 * A copy completes the exchange when the update and its answer both
	 * survive: q = (1-p)^2. With a perfect timer a copy is resent only
	 * when that failed, so the copies are geometric with mean 1/q.
	 */
	double q = (1 - c->loss_pct / 100) * (1 - c->loss_pct / 100);
	s->fo_ideal = 1 / q;
	bench_samples_free(&rv);
	bench_samples_free(&ack);
}

static void print_markdown(FILE *out, const struct cond *conds, int n)
{
	fprintf(out, "| one-way delay | loss | runs | converged | rendezvous median | p90 | "
	             "ack median | p90 | f-overhead | ideal 1/(1-p)^2 | messages | stale |\n");
	fprintf(out, "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
	for (int i = 0; i < n; i++) {
		struct summary s;
		if (!conds[i].started)
			continue;
		summarise(&conds[i], &s);
		fprintf(
		    out,
		    "| %g ms | %g %% | %d | %d | %.2f ms | %.2f ms | %.2f ms | %.2f ms | %.3f | "
		    "%.3f | %.2f | %llu |\n",
		    conds[i].delay_ms, conds[i].loss_pct, s.runs, s.converged, s.rv_med, s.rv_p90,
		    s.ack_med, s.ack_p90, s.fo_mean, s.fo_ideal, s.msgs_mean,
		    (unsigned long long)s.stale);
	}
}

static int write_csv(const char *path, const struct cond *conds, int n)
{
	FILE *f = fopen(path, "w");
	if (f == NULL)
		return -1;
	fprintf(f, "delay_ms,loss_pct,runs,converged,rendezvous_median_ms,rendezvous_p90_ms,"
	           "ack_median_ms,ack_p90_ms,f_overhead,f_overhead_ideal,messages,locmgr_attempts,"
	           "stale,regressions,superseded\n");
	for (int i = 0; i < n; i++) {
		struct summary s;
		if (!conds[i].started)
			continue;
		summarise(&conds[i], &s);
		fprintf(f, "%g,%g,%d,%d,%.3f,%.3f,%.3f,%.3f,%.4f,%.4f,%.3f,%.3f,%llu,%llu,%llu\n",
		        conds[i].delay_ms, conds[i].loss_pct, s.runs, s.converged, s.rv_med,
		        s.rv_p90, s.ack_med, s.ack_p90, s.fo_mean, s.fo_ideal, s.msgs_mean,
		        s.lm_mean, (unsigned long long)s.stale, (unsigned long long)s.regressions,
		        (unsigned long long)s.superseded);
	}
	return fclose(f) == 0 ? 0 : -1;
}

static int write_json(const char *path, const struct opts *o, const struct cond *conds, int n)
{
	FILE *f = fopen(path, "w");
	if (f == NULL)
		return -1;
	fprintf(f, "{\"runs\":%d,\"interval_ms\":%d,\"seed\":%llu,\"conditions\":[", o->runs,
	        o->interval_ms, (unsigned long long)o->seed);
	bool first = true;
	for (int i = 0; i < n; i++) {
		struct summary s;
		if (!conds[i].started)
			continue;
		summarise(&conds[i], &s);
		fprintf(f,
		        "%s\n{\"delay_ms\":%g,\"loss_pct\":%g,\"runs\":%d,\"converged\":%d,"
		        "\"rendezvous_median_ms\":%.3f,\"rendezvous_p90_ms\":%.3f,"
		        "\"ack_median_ms\":%.3f,\"ack_p90_ms\":%.3f,\"f_overhead\":%.4f,"
		        "\"f_overhead_ideal\":%.4f,\"messages\":%.3f,\"locmgr_attempts\":%.3f,"
		        "\"stale\":%llu,\"answers_after_ack\":%llu,\"regressions\":%llu,"
		        "\"superseded\":%llu,\"failovers\":[",
		        first ? "" : ",", conds[i].delay_ms, conds[i].loss_pct, s.runs, s.converged,
		        s.rv_med, s.rv_p90, s.ack_med, s.ack_p90, s.fo_mean, s.fo_ideal,
		        s.msgs_mean, s.lm_mean, (unsigned long long)s.stale,
		        (unsigned long long)s.answers_after_ack, (unsigned long long)s.regressions,
		        (unsigned long long)s.superseded);
		first = false;
		for (int r = 0; r < conds[i].n; r++) {
			const struct fo *x = &conds[i].fo[r];
			fprintf(
			    f,
			    "%s{\"run\":%d,\"converged\":%s,\"rendezvous_ms\":%.3f,\"ack_ms\":%.3f,"
			    "\"updates\":%llu,\"updates_dropped\":%llu,\"queries\":%llu,"
			    "\"up_dropped\":%llu,\"down_dropped\":%llu,\"locmgr_attempts\":%u,"
			    "\"locmgr_updates\":%u,\"stale\":%u,\"regressions\":%u}",
			    r ? "," : "", x->run, x->converged ? "true" : "false",
			    x->seen ? (double)(x->seen_ns - x->ev_ns) / 1e6 : -1.0,
			    x->acked ? (double)(x->ack_ns - x->ev_ns) / 1e6 : -1.0,
			    (unsigned long long)x->updates, (unsigned long long)x->updates_dropped,
			    (unsigned long long)x->queries, (unsigned long long)x->up_dropped,
			    (unsigned long long)x->down_dropped, x->lm_attempts, x->lm_updates,
			    x->stale, x->regressions);
		}
		fprintf(f, "]}");
	}
	fprintf(f, "\n]}\n");
	return fclose(f) == 0 ? 0 : -1;
}

/* --- options ----------------------------------------------------------- */

void bench_failover_usage(void)
{
	fprintf(stderr,
	        "usage: ilnpdns-bench failover -s ADDR@PORT -r ADDR@PORT -n NAME -N HOST-NETNS\n"
	        "         -U IF,ADDR,PREF -U IF,ADDR,PREF -F FAILOVER-LOG -L LOCMGR-LOG\n"
	        "         [-c RUNS] [-i INTERVAL-MS] [-t TIMEOUT-S] [-D MS,MS..] [-p PCT,PCT..]\n"
	        "         [-S SEED] [--csv FILE] [--json FILE] -- LOCMGR-COMMAND...\n"
	        "  Run in the server's network namespace (bench/failover.sh sets it all up).\n"
	        "  -s the server, queried directly every ms; -r the impairment relay's address\n"
	        "  (the manager's server); -N the host's namespace, whose uplinks -U (interface,\n"
	        "  the /64 address, the manager's preference) take turns; -F/-L the manager's\n"
	        "  failover-log and output. Per condition (-D one-way delays, default 0,10,100;\n"
	        "  -p losses, default 0,5,10) LOCMGR-COMMAND is started and -c failovers (default\n"
	        "  20) made, each at least -i ms (default 2000) apart and at most -t s (default\n"
	        "  15) long. Prints a markdown table.\n");
}

static int parse_list(const char *text, double *out, int max, double lim)
{
	int n = 0;
	char *end;
	while (*text != '\0') {
		double v = strtod(text, &end);
		if (end == text || !(v >= 0 && v < lim) || n == max)
			return -1;
		out[n++] = v;
		text = *end == ',' ? end + 1 : end;
		if (*end != ',' && *end != '\0')
			return -1;
	}
	return n > 0 ? n : -1;
}

static int parse_uplink(const char *text, struct uplink *u)
{
	char buf[128], *c1, *c2;
	snprintf(buf, sizeof(buf), "%s", text);
	if ((c1 = strchr(buf, ',')) == NULL || (c2 = strchr(c1 + 1, ',')) == NULL)
		return -1;
	*c1 = *c2 = '\0';
	if (strlen(buf) == 0 || strlen(buf) >= IF_NAMESIZE ||
	    inet_pton(AF_INET6, c1 + 1, &u->addr) != 1)
		return -1;
	snprintf(u->ifname, sizeof(u->ifname), "%s", buf);
	char *end;
	unsigned long pref = strtoul(c2 + 1, &end, 10);
	if (*end != '\0' || pref > 65535)
		return -1;
	u->pref = (uint16_t)pref;
	const uint8_t *a = u->addr.s6_addr;
	u->rdata[0] = (uint8_t)(pref >> 8);
	u->rdata[1] = (uint8_t)pref;
	memcpy(u->rdata + 2, a, 8);
	snprintf(u->json, sizeof(u->json), "[%u,\"%x:%x:%x:%x\"]", u->pref, a[0] << 8 | a[1],
	         a[2] << 8 | a[3], a[4] << 8 | a[5], a[6] << 8 | a[7]);
	return 0;
}

static int parse_opts(int argc, char **argv, struct opts *o)
{
	static const struct option longopts[] = {{"server", required_argument, NULL, 's'},
	                                         {"relay", required_argument, NULL, 'r'},
	                                         {"name", required_argument, NULL, 'n'},
	                                         {"host-netns", required_argument, NULL, 'N'},
	                                         {"uplink", required_argument, NULL, 'U'},
	                                         {"failover-log", required_argument, NULL, 'F'},
	                                         {"locmgr-log", required_argument, NULL, 'L'},
	                                         {"runs", required_argument, NULL, 'c'},
	                                         {"interval-ms", required_argument, NULL, 'i'},
	                                         {"timeout", required_argument, NULL, 't'},
	                                         {"delays", required_argument, NULL, 'D'},
	                                         {"losses", required_argument, NULL, 'p'},
	                                         {"seed", required_argument, NULL, 'S'},
	                                         {"csv", required_argument, NULL, 'C'},
	                                         {"json", required_argument, NULL, 'J'},
	                                         {"help", no_argument, NULL, 'h'},
	                                         {NULL, 0, NULL, 0}};
	const char *server = NULL, *relay = NULL;
	int c;
	char *end;

	o->runs = 20;
	o->interval_ms = 2000;
	o->timeout_s = 15;
	o->seed = 1;
	o->ndelays = o->nlosses = 3;
	o->delays[1] = 10;
	o->delays[2] = 100;
	o->losses[1] = 5;
	o->losses[2] = 10;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+s:r:n:N:U:F:L:c:i:t:D:p:S:h", longopts, NULL)) !=
	       -1) {
		long v;
		switch (c) {
		case 's':
			server = optarg;
			break;
		case 'r':
			relay = optarg;
			break;
		case 'n':
			if (ilnpdns_dname_from_str(optarg, o->qname) < 0)
				goto bad;
			break;
		case 'N':
			o->host_netns = optarg;
			break;
		case 'U':
			if (o->nup == MAX_UPLINKS || parse_uplink(optarg, &o->up[o->nup++]) < 0)
				goto bad;
			break;
		case 'F':
			o->failover_log = optarg;
			break;
		case 'L':
			o->locmgr_log = optarg;
			break;
		case 'c':
		case 'i':
		case 't':
			v = strtol(optarg, &end, 10);
			if (*end != '\0' || v < 1 ||
			    v > (c == 'c'   ? MAX_RUNS
			         : c == 'i' ? 600000
			                    : 600))
				goto bad;
			*(c == 'c'   ? &o->runs
			  : c == 'i' ? &o->interval_ms
			             : &o->timeout_s) = (int)v;
			break;
		case 'D':
			if ((o->ndelays = parse_list(optarg, o->delays, MAX_CONDS, 10000)) < 0)
				goto bad;
			break;
		case 'p':
			if ((o->nlosses = parse_list(optarg, o->losses, MAX_CONDS, 100)) < 0)
				goto bad;
			break;
		case 'S':
			o->seed = strtoull(optarg, &end, 0);
			if (*end != '\0')
				goto bad;
			break;
		case 'C':
			o->csv = optarg;
			break;
		case 'J':
			o->json = optarg;
			break;
		case 'h':
			bench_failover_usage();
			exit(0);
		default:
			bench_failover_usage();
			return -1;
		}
	}
	if (server == NULL || relay == NULL || o->qname[0] == 0 || o->host_netns == NULL ||
	    o->nup != 2 || o->failover_log == NULL || o->locmgr_log == NULL || optind >= argc) {
		bench_failover_usage();
		return -1;
	}
	if (o->ndelays * o->nlosses > MAX_CONDS) {
		fprintf(stderr, "ilnpdns-bench failover: at most %d conditions\n", MAX_CONDS);
		return -1;
	}
	if (bench_addr_parse(server, &o->server) < 0 || bench_addr_parse(relay, &o->relay) < 0 ||
	    !bench_impair_target_ok(&o->server)) {
		fprintf(stderr, "ilnpdns-bench failover: -s/-r: numeric ADDR@PORT, the server on "
		                "loopback or a ULA of the test's own namespaces\n");
		return -1;
	}
	o->locmgr_argv = argv + optind;
	return 0;
bad:
	fprintf(stderr, "ilnpdns-bench failover: bad -%c '%s'\n", c, optarg);
	return -1;
}

int bench_failover_main(int argc, char **argv)
{
	static struct opts o;
	static struct cond conds[MAX_CONDS];
	struct bench b = {.o = &o, .nl = -1, .dns = -1, .logfd = -1};
	int rc = 2, ncond = 0;

	memset(&o, 0, sizeof(o));
	if (parse_opts(argc, argv, &o) < 0)
		return 2;
	for (int d = 0; d < o.ndelays; d++)
		for (int l = 0; l < o.nlosses; l++) {
			memset(&conds[ncond], 0, sizeof(conds[ncond]));
			conds[ncond].delay_ms = o.delays[d];
			conds[ncond++].loss_pct = o.losses[l];
		}
	/* Netlink first: setns() must happen before the relay's thread exists. */
	if (nl_open(&b) < 0)
		goto out;
	struct bench_impair_conf rc_conf = {
	    .listen = o.relay, .upstream = o.server, .seed = o.seed};
	int err = bench_impair_start(&rc_conf, &b.relay);
	if (err < 0) {
		fprintf(stderr, "ilnpdns-bench failover: relay on %s: %s\n", "-r",
		        ilnpdns_strerror(err));
		goto out;
	}
	b.dns = bench_connect(&o.server, SOCK_DGRAM);
	if (b.dns < 0) {
		fprintf(stderr, "ilnpdns-bench failover: server: %s\n", ilnpdns_strerror(b.dns));
		goto out;
	}
	struct sigaction sa = {.sa_handler = on_signal};
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	/* The host starts on the first uplink. */
	if ((err = move_to(&b, 0)) < 0) {
		fprintf(stderr, "ilnpdns-bench failover: netlink: %s\n", strerror(-err));
		goto out;
	}
	for (int i = 0; i < ncond && !got_signal; i++)
		if (run_condition(&b, &conds[i], i) < 0)
			goto out;
	if (got_signal) {
		fprintf(stderr, "ilnpdns-bench failover: interrupted\n");
		goto out;
	}
	print_markdown(stdout, conds, ncond);
	if ((o.csv != NULL && write_csv(o.csv, conds, ncond) < 0) ||
	    (o.json != NULL && write_json(o.json, &o, conds, ncond) < 0)) {
		fprintf(stderr, "ilnpdns-bench failover: cannot write the results: %s\n",
		        strerror(errno));
		goto out;
	}
	rc = 0;
	for (int i = 0; i < ncond; i++) {
		struct summary s;
		summarise(&conds[i], &s);
		if (s.converged != s.runs || s.runs != o.runs || s.stale != 0)
			rc = 1;
	}
out:
	stop_locmgr(&b);
	bench_impair_stop(b.relay);
	if (b.dns >= 0)
		close(b.dns);
	if (b.nl >= 0)
		close(b.nl);
	if (b.logfd >= 0)
		close(b.logfd);
	return rc;
}
