/* SPDX-License-Identifier: BSD-2-Clause */
/* bench_query.c -- ilnpdns-bench query: closed- or open-loop query load, UDP batches or TCP
 * pipelines.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ilnpdns/error.h"
#include "ilnpdns/wire.h"
#include "bench_echo.h"
#include "bench_query.h"
#include "bench_stats.h"

/*
 * One thread, one loop, no per-query allocation. Each socket (UDP) or
 * connection (TCP) has its own 16-bit message ID space, so a query is a
 * slot numbered conn * 65536 + ID. In-flight slots form a list in send
 * order, so the oldest is at the head and the loss timer only ever looks
 * there. UDP queries leave in sendmmsg() batches spread round-robin over
 * the sockets (so that a server's SO_REUSEPORT group sees several flows),
 * answers come back through recvmmsg(); TCP queries are framed (RFC 1035
 * 4.2.2) and pipelined (RFC 7766 6.2.1.1) on each connection.
 */

#define BATCH        64
#define SLOTS_PER    65536
#define TICK_NS      2000000 /* loss timer granularity */
#define RECV_ROUNDS  8       /* recvmmsg batches per socket per turn, for fairness */
#define TCP_RESETS   10      /* reconnections per connection before giving up */
#define ANSWER_CAP   65535
#define LATE_SEND_NS 1000000

struct conn {
	int fd;
	uint16_t next_id;
	unsigned inflight;
	unsigned resets;
	/* TCP: pending output and partial input. */
	uint8_t *out;
	size_t outlen, outcap;
	uint8_t *in;
	size_t inlen;
};

struct qrun {
	const struct bench_qopts *o;
	const struct bench_qset *qs;
	struct bench_qresult *res;
	struct conn *conns;
	unsigned nconns, next_conn;
	/* Per slot: origin time (0: free), query index, send-order list. */
	int64_t *t_origin;
	uint32_t *qidx;
	int32_t *prev, *next;
	int32_t head, tail;
	unsigned inflight;
	uint64_t seq; /* queries sent */
	int64_t t_first, t_last;
	struct bench_samples lat;
	uint8_t (*rbuf)[ANSWER_CAP + 1];
};

static void list_append(struct qrun *r, int32_t s)
{
	r->prev[s] = r->tail;
	r->next[s] = -1;
	if (r->tail >= 0)
		r->next[r->tail] = s;
	else
		r->head = s;
	r->tail = s;
}

static void list_remove(struct qrun *r, int32_t s)
{
	if (r->prev[s] >= 0)
		r->next[r->prev[s]] = r->next[s];
	else
		r->head = r->next[s];
	if (r->next[s] >= 0)
		r->prev[r->next[s]] = r->prev[s];
	else
		r->tail = r->prev[s];
}

static void slot_free(struct qrun *r, int32_t s)
{
	list_remove(r, s);
	r->t_origin[s] = 0;
	r->conns[s / SLOTS_PER].inflight--;
	r->inflight--;
}

/* A free message ID on connection c, or -1 when all 65536 are in flight. */
static int32_t slot_alloc(struct qrun *r, unsigned c)
{
	struct conn *cn = &r->conns[c];
	for (unsigned i = 0; i < SLOTS_PER; i++) {
		int32_t s = (int32_t)(c * SLOTS_PER + cn->next_id++);
		if (r->t_origin[s] == 0)
			return s;
	}
	return -1;
}

static bool more_to_send(const struct qrun *r, int64_t t, int64_t begin)
{
	const struct bench_qopts *o = r->o;
	if (o->count && r->seq >= o->count)
		return false;
	return o->seconds == 0 || t - begin < (int64_t)(o->seconds * 1e9);
}

/* The scheduled time of query number seq in open loop, from the start each
 * time so that rounding never adds up. */
static int64_t due(const struct qrun *r, int64_t begin, uint64_t seq)
{
	return begin + (int64_t)((double)seq * 1e9 / r->o->rate);
}

static void take_slot(struct qrun *r, int32_t s, int64_t origin, int64_t now)
{
	r->t_origin[s] = origin > 0 ? origin : 1;
	r->qidx[s] = (uint32_t)(r->seq % r->qs->n);
	list_append(r, s);
	r->conns[s / SLOTS_PER].inflight++;
	r->inflight++;
	r->seq++;
	if (now - origin > LATE_SEND_NS)
		r->res->late_sends++;
	if (r->t_first == 0)
		r->t_first = now;
}

/* Undo take_slot() for a query that did not leave. */
static void untake_slot(struct qrun *r, int32_t s)
{
	slot_free(r, s);
	r->seq--;
}

static int tcp_flush(struct conn *c)
{
	size_t done = 0;
	while (done < c->outlen) {
		ssize_t n = send(c->fd, c->out + done, c->outlen - done, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				break;
			return -errno;
		}
		done += (size_t)n;
	}
	memmove(c->out, c->out + done, c->outlen - done);
	c->outlen -= done;
	return 0;
}

/*
 * Send up to BATCH queries whose origins are given by the caller's mode:
 * closed loop (origin = now) or open loop (origin = the scheduled time).
 * Returns how many left, or a negative error.
 */
static int send_batch(struct qrun *r, int64_t begin, int64_t now)
{
	const struct bench_qopts *o = r->o;
	struct mmsghdr mm[BATCH];
	struct iovec iov[BATCH];
	uint8_t msg[BATCH][BENCH_QUERY_MAX];
	int32_t slot[BATCH];
	unsigned c = r->next_conn;
	int k = 0;

	r->next_conn = (r->next_conn + 1) % r->nconns;
	while (k < BATCH && r->inflight < o->outstanding) {
		int64_t origin = now;
		if (o->rate > 0) {
			origin = due(r, begin, r->seq);
			if (origin > now || !more_to_send(r, origin, begin))
				break;
		} else if (!more_to_send(r, now, begin)) {
			break;
		}
		int32_t s = slot_alloc(r, c);
		if (s < 0)
			break;
		take_slot(r, s, origin, now);
		uint32_t qi = r->qidx[s];
		uint16_t len = r->qs->len[qi];
		memcpy(msg[k], r->qs->wire + r->qs->off[qi], len);
		ilnpdns_put16(msg[k], (uint16_t)(s % SLOTS_PER));
		iov[k] = (struct iovec){.iov_base = msg[k], .iov_len = len};
		memset(&mm[k], 0, sizeof(mm[k]));
		mm[k].msg_hdr.msg_iov = &iov[k];
		mm[k].msg_hdr.msg_iovlen = 1;
		slot[k++] = s;
	}
	if (k == 0)
		return 0;
	struct conn *cn = &r->conns[c];
	if (!o->tcp) {
		int n = sendmmsg(cn->fd, mm, (unsigned)k, MSG_DONTWAIT);
		if (n < 0) {
			if (errno != EAGAIN && errno != ENOBUFS && errno != ECONNREFUSED)
				r->res->send_errors++;
			n = 0;
		}
		/* What did not leave is taken back (in reverse, so seq stays right);
		 * a full socket buffer only means "later". */
		for (int i = k - 1; i >= n; i--)
			untake_slot(r, slot[i]);
		return n;
	}
	size_t need = 0;
	for (int i = 0; i < k; i++)
		need += 2 + iov[i].iov_len;
	if (cn->outlen + need > cn->outcap) {
		size_t cap = cn->outcap * 2 + need;
		uint8_t *p = realloc(cn->out, cap);
		if (p == NULL) {
			for (int i = k - 1; i >= 0; i--)
				untake_slot(r, slot[i]);
			return ILNPDNS_ENOMEM;
		}
		cn->out = p;
		cn->outcap = cap;
	}
	for (int i = 0; i < k; i++) {
		ilnpdns_put16(cn->out + cn->outlen, (uint16_t)iov[i].iov_len);
		memcpy(cn->out + cn->outlen + 2, iov[i].iov_base, iov[i].iov_len);
		cn->outlen += 2 + iov[i].iov_len;
	}
	return k;
}

static void handle_answer(struct qrun *r, unsigned c, const uint8_t *msg, size_t len, int64_t now)
{
	struct bench_qresult *res = r->res;
	if (len < ILNPDNS_HDR_LEN) {
		res->malformed++;
		return;
	}
	int32_t s = (int32_t)(c * SLOTS_PER + ilnpdns_get16(msg));
	if (r->t_origin[s] == 0) {
		res->late++;
		return;
	}
	uint32_t qi = r->qidx[s];
	const uint8_t *q = r->qs->wire + r->qs->off[qi];
	if (!bench_msg_answers(msg, len, q, r->qs->len[qi])) {
		res->mismatched++;
		return;
	}
	uint16_t flags = ilnpdns_get16(msg + 2);
	res->answered++;
	res->rcodes[ILNPDNS_RCODE(flags)]++;
	if (flags & ILNPDNS_FLAG_TC)
		res->truncated++;
	bench_samples_add(&r->lat, now - r->t_origin[s]);
	r->t_last = now;
	slot_free(r, s);
}

static void drain_udp(struct qrun *r, unsigned c)
{
	struct mmsghdr mm[BATCH];
	struct iovec iov[BATCH];

	for (int round = 0; round < RECV_ROUNDS; round++) {
		for (int i = 0; i < BATCH; i++) {
			iov[i] = (struct iovec){.iov_base = r->rbuf[i], .iov_len = ANSWER_CAP};
			memset(&mm[i], 0, sizeof(mm[i]));
			mm[i].msg_hdr.msg_iov = &iov[i];
			mm[i].msg_hdr.msg_iovlen = 1;
		}
		int n = recvmmsg(r->conns[c].fd, mm, BATCH, MSG_DONTWAIT, NULL);
		if (n <= 0)
			return; /* EAGAIN, or an ICMP error: the loss timer covers both */
		int64_t now = bench_now_ns();
		for (int i = 0; i < n; i++)
			handle_answer(r, c, r->rbuf[i], mm[i].msg_len, now);
		if (n < BATCH)
			return;
	}
}

/* Everything in flight on a broken connection is lost; connect again. */
static int tcp_reset(struct qrun *r, unsigned c, int64_t now)
{
	struct conn *cn = &r->conns[c];
	(void)now;
	r->res->tcp_resets++;
	for (int32_t s = (int32_t)(c * SLOTS_PER); s < (int32_t)((c + 1) * SLOTS_PER); s++)
		if (r->t_origin[s]) {
			r->res->lost++;
			slot_free(r, s);
		}
	close(cn->fd);
	cn->outlen = cn->inlen = 0;
	cn->fd = -1;
	if (++cn->resets > TCP_RESETS)
		return ILNPDNS_EIO;
	cn->fd = bench_connect(&r->o->server, SOCK_STREAM);
	return cn->fd < 0 ? cn->fd : 0;
}

static int drain_tcp(struct qrun *r, unsigned c)
{
	struct conn *cn = &r->conns[c];
	for (int round = 0; round < RECV_ROUNDS; round++) {
		ssize_t n = recv(cn->fd, cn->in + cn->inlen, 2 + ANSWER_CAP - cn->inlen, 0);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return 0;
		int64_t now = bench_now_ns();
		if (n <= 0)
			return tcp_reset(r, c, now);
		cn->inlen += (size_t)n;
		size_t pos = 0;
		while (cn->inlen - pos >= 2) {
			size_t mlen = ilnpdns_get16(cn->in + pos);
			if (cn->inlen - pos - 2 < mlen)
				break;
			handle_answer(r, c, cn->in + pos + 2, mlen, now);
			pos += 2 + mlen;
		}
		memmove(cn->in, cn->in + pos, cn->inlen - pos);
		cn->inlen -= pos;
	}
	return 0;
}

/* Queries at the head of the send-order list older than the timeout are lost. */
static void expire(struct qrun *r, int64_t now)
{
	int64_t limit = (int64_t)r->o->timeout_ms * 1000000;
	while (r->head >= 0 && now - r->t_origin[r->head] > limit) {
		r->res->lost++;
		slot_free(r, r->head);
	}
}

static int loop(struct qrun *r)
{
	const struct bench_qopts *o = r->o;
	int64_t begin = bench_now_ns(), next_tick = begin + TICK_NS;
	int64_t limit = (int64_t)o->timeout_ms * 1000000;
	int64_t hard_end = begin + (int64_t)(o->seconds * 1e9) + limit + 5000000000LL;
	struct pollfd pfd[BENCH_QUERY_CONNS_MAX];
	int rc;

	if (o->seconds == 0)
		hard_end = INT64_MAX; /* count-bounded: the loss timer ends every query */
	for (;;) {
		int64_t now = bench_now_ns();
		if (now > hard_end)
			break;
		int sent = 0;
		/* Several batches per turn while there is room, one per connection. */
		for (unsigned i = 0; i < r->nconns; i++) {
			if ((rc = send_batch(r, begin, now)) < 0)
				return rc;
			sent += rc;
		}
		if (o->tcp)
			for (unsigned c = 0; c < r->nconns; c++)
				if (r->conns[c].outlen && (rc = tcp_flush(&r->conns[c])) < 0 &&
				    (rc = tcp_reset(r, c, now)) < 0)
					return rc;
		bool sending = more_to_send(r, o->rate > 0 ? due(r, begin, r->seq) : now, begin);
		if (!sending && r->inflight == 0)
			break;
		if (now >= next_tick) {
			expire(r, now);
			next_tick = now + TICK_NS;
		}
		/* Wait for answers unless there is more to send right now. */
		int64_t wait = next_tick - now;
		if (sending && r->inflight < o->outstanding) {
			if (o->rate == 0)
				wait = sent ? 0 : wait;
			else if (due(r, begin, r->seq) - now < wait)
				wait = due(r, begin, r->seq) - now;
		}
		for (unsigned c = 0; c < r->nconns; c++) {
			pfd[c].fd = r->conns[c].fd;
			pfd[c].events = POLLIN;
			if (o->tcp && r->conns[c].outlen)
				pfd[c].events |= POLLOUT;
		}
		struct timespec ts = {.tv_sec = 0, .tv_nsec = wait > 0 ? wait : 0};
		if (ppoll(pfd, r->nconns, &ts, NULL) < 0 && errno != EINTR)
			return -errno;
		for (unsigned c = 0; c < r->nconns; c++) {
			if (!(pfd[c].revents & (POLLIN | POLLERR | POLLHUP)))
				continue;
			if (!o->tcp)
				drain_udp(r, c);
			else if ((rc = drain_tcp(r, c)) < 0)
				return rc;
		}
	}
	/* Whatever is still in flight at the hard end is lost. */
	while (r->head >= 0) {
		r->res->lost++;
		slot_free(r, r->head);
	}
	return 0;
}

static void qrun_free(struct qrun *r)
{
	if (r->conns)
		for (unsigned c = 0; c < r->nconns; c++) {
			if (r->conns[c].fd >= 0)
				close(r->conns[c].fd);
			free(r->conns[c].out);
			free(r->conns[c].in);
		}
	free(r->conns);
	free(r->t_origin);
	free(r->qidx);
	free(r->prev);
	free(r->next);
	free(r->rbuf);
	bench_samples_free(&r->lat);
}

int bench_query_run(const struct bench_qopts *o, const struct bench_qset *qs,
                    struct bench_qresult *res)
{
	struct qrun r = {.o = o, .qs = qs, .res = res, .head = -1, .tail = -1};
	unsigned n = o->conns ? o->conns : 1;
	size_t slots = (size_t)n * SLOTS_PER;
	int rc = ILNPDNS_ENOMEM;

	memset(res, 0, sizeof(*res));
	if (n > BENCH_QUERY_CONNS_MAX || qs->n == 0 || o->outstanding == 0)
		return ILNPDNS_EINVAL;
	r.nconns = n;
	r.conns = calloc(n, sizeof(*r.conns));
	r.t_origin = calloc(slots, sizeof(*r.t_origin));
	r.qidx = calloc(slots, sizeof(*r.qidx));
	r.prev = calloc(slots, sizeof(*r.prev));
	r.next = calloc(slots, sizeof(*r.next));
	r.rbuf = malloc(BATCH * sizeof(*r.rbuf));
	if (!r.conns || !r.t_origin || !r.qidx || !r.prev || !r.next || !r.rbuf)
		goto out;
	for (unsigned c = 0; c < n; c++)
		r.conns[c].fd = -1;
	for (unsigned c = 0; c < n; c++) {
		struct conn *cn = &r.conns[c];
		if (getrandom(&cn->next_id, sizeof(cn->next_id), 0) != sizeof(cn->next_id))
			cn->next_id = (uint16_t)(c * 7919);
		if (o->tcp && (cn->in = malloc(2 + ANSWER_CAP)) == NULL)
			goto out;
		if ((cn->fd = bench_connect(&o->server, o->tcp ? SOCK_STREAM : SOCK_DGRAM)) < 0) {
			rc = cn->fd;
			goto out;
		}
	}
	if ((rc = loop(&r)) < 0)
		goto out;
	res->sent = r.seq;
	res->elapsed_s = r.t_last > r.t_first ? (double)(r.t_last - r.t_first) / 1e9 : 0;
	res->qps = res->elapsed_s > 0 ? (double)res->answered / res->elapsed_s : 0;
	res->p50 = bench_samples_pct(&r.lat, 50);
	res->p99 = bench_samples_pct(&r.lat, 99);
	res->p999 = bench_samples_pct(&r.lat, 99.9);
	res->max = bench_samples_pct(&r.lat, 100);
	rc = 0;
out:
	qrun_free(&r);
	return rc;
}

const char *bench_rcode_name(int rcode)
{
	static const char *const names[11] = {"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN",
	                                      "NOTIMP",  "REFUSED", "YXDOMAIN", "YXRRSET",
	                                      "NXRRSET", "NOTAUTH", "NOTZONE"};
	static const char *const other[5] = {"RCODE11", "RCODE12", "RCODE13", "RCODE14", "RCODE15"};
	rcode &= 15;
	return rcode < 11 ? names[rcode] : other[rcode - 11];
}

static double ms(int64_t ns)
{
	return (double)ns / 1e6;
}

void bench_query_print(FILE *f, enum bench_format fmt, const char *label,
                       const struct bench_qopts *o, const struct bench_qresult *res)
{
	const char *tr = o->tcp ? "tcp" : "udp";
	if (fmt == BENCH_JSON) {
		fprintf(f, "{\n");
		fprintf(f, "  \"label\": \"%s\",\n", label);
		fprintf(f, "  \"server\": \"%s\",\n", o->server_text);
		fprintf(f, "  \"transport\": \"%s\",\n", tr);
		fprintf(f, "  \"mode\": \"%s\",\n", o->rate > 0 ? "open" : "closed");
		fprintf(f, "  \"rate\": %.3f,\n", o->rate);
		fprintf(f, "  \"outstanding\": %u,\n", o->outstanding);
		fprintf(f, "  \"conns\": %u,\n", o->conns);
		fprintf(f, "  \"sent\": %" PRIu64 ",\n", res->sent);
		fprintf(f, "  \"answered\": %" PRIu64 ",\n", res->answered);
		fprintf(f, "  \"lost\": %" PRIu64 ",\n", res->lost);
		fprintf(f, "  \"truncated\": %" PRIu64 ",\n", res->truncated);
		fprintf(f, "  \"late_answers\": %" PRIu64 ",\n", res->late);
		fprintf(f, "  \"mismatched\": %" PRIu64 ",\n", res->mismatched);
		fprintf(f, "  \"malformed\": %" PRIu64 ",\n", res->malformed);
		fprintf(f, "  \"send_errors\": %" PRIu64 ",\n", res->send_errors);
		fprintf(f, "  \"tcp_resets\": %" PRIu64 ",\n", res->tcp_resets);
		fprintf(f, "  \"late_sends\": %" PRIu64 ",\n", res->late_sends);
		fprintf(f, "  \"rcodes\": {");
		for (int i = 0, first = 1; i < 16; i++)
			if (res->rcodes[i]) {
				fprintf(f, "%s\"%s\": %" PRIu64, first ? "" : ", ",
				        bench_rcode_name(i), res->rcodes[i]);
				first = 0;
			}
		fprintf(f, "},\n");
		fprintf(f, "  \"elapsed_s\": %.6f,\n", res->elapsed_s);
		fprintf(f, "  \"queries_per_s\": %.1f,\n", res->qps);
		fprintf(f, "  \"p50_ms\": %.4f,\n", ms(res->p50));
		fprintf(f, "  \"p99_ms\": %.4f,\n", ms(res->p99));
		fprintf(f, "  \"p999_ms\": %.4f,\n", ms(res->p999));
		fprintf(f, "  \"max_ms\": %.4f\n", ms(res->max));
		fprintf(f, "}\n");
		return;
	}
	if (fmt == BENCH_CSV) {
		fprintf(f,
		        "label,server,transport,mode,rate,outstanding,sent,answered,lost,truncated,"
		        "mismatched,queries_per_s,p50_ms,p99_ms,p999_ms,max_ms,noerror,nxdomain,"
		        "other_rcodes\n");
		uint64_t other = res->answered - res->rcodes[0] - res->rcodes[3];
		fprintf(f,
		        "%s,%s,%s,%s,%.3f,%u,%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64
		        ",%" PRIu64 ",%.1f,%.4f,%.4f,%.4f,%.4f,%" PRIu64 ",%" PRIu64 ",%" PRIu64
		        "\n",
		        label, o->server_text, tr, o->rate > 0 ? "open" : "closed", o->rate,
		        o->outstanding, res->sent, res->answered, res->lost, res->truncated,
		        res->mismatched, res->qps, ms(res->p50), ms(res->p99), ms(res->p999),
		        ms(res->max), res->rcodes[0], res->rcodes[3], other);
		return;
	}
	fprintf(f, "ilnpdns-bench query (%s): %s, %s, ", label, o->server_text,
	        o->tcp ? "TCP" : "UDP");
	if (o->rate > 0)
		fprintf(f, "open loop %.1f/s (cap %u in flight)", o->rate, o->outstanding);
	else
		fprintf(f, "closed loop, %u in flight", o->outstanding);
	fprintf(f, ", %u %s\n", o->conns, o->tcp ? "connections" : "sockets");
	fprintf(f,
	        "  sent %" PRIu64 ", answered %" PRIu64 ", lost %" PRIu64
	        " (%.3f%%), truncated %" PRIu64 "\n",
	        res->sent, res->answered, res->lost,
	        res->sent ? 100.0 * (double)res->lost / (double)res->sent : 0.0, res->truncated);
	fprintf(f, "  rcodes:");
	for (int i = 0; i < 16; i++)
		if (res->rcodes[i])
			fprintf(f, " %s %" PRIu64, bench_rcode_name(i), res->rcodes[i]);
	fprintf(f, "\n");
	fprintf(f, "  queries/s   %.1f  (answers per second over %.3f s)\n", res->qps,
	        res->elapsed_s);
	fprintf(f, "  latency     p50 %.3f ms  p99 %.3f ms  p99.9 %.3f ms  max %.3f ms\n",
	        ms(res->p50), ms(res->p99), ms(res->p999), ms(res->max));
	if (res->late || res->mismatched || res->malformed || res->send_errors || res->tcp_resets ||
	    res->late_sends)
		fprintf(f,
		        "  late answers %" PRIu64 ", mismatched %" PRIu64 ", malformed %" PRIu64
		        ", send errors %" PRIu64 ", TCP resets %" PRIu64
		        ", sent over 1 ms late %" PRIu64 "\n",
		        res->late, res->mismatched, res->malformed, res->send_errors,
		        res->tcp_resets, res->late_sends);
}

void bench_query_usage(void)
{
	fprintf(stderr,
	        "usage: ilnpdns-bench query -s ADDR@PORT -f QUERYFILE [-c OUTSTANDING]\n"
	        "         [-d SECONDS] [-n COUNT] [--rate QPS] [--tcp] [--conns N] [--edns SIZE]\n"
	        "         [--timeout MS] [--json | --csv]\n"
	        "       ilnpdns-bench query --ceiling -f QUERYFILE [same options]\n"
	        "  QUERYFILE: dnsperf format, \"NAME TYPE\" per line, used round and round.\n"
	        "  Closed loop with -c queries in flight (default 100), or open loop at --rate\n"
	        "  queries/s (at most -c in flight). Runs for -d seconds (default 10) or -n\n"
	        "  queries, whichever comes first. UDP over --conns sockets (default 4) with\n"
	        "  sendmmsg/recvmmsg, or --tcp over --conns pipelined connections.\n"
	        "  A query unanswered after --timeout ms (default 1000) is lost.\n"
	        "  --ceiling: the same load against an in-process trivial responder, which\n"
	        "  shows the generator's own limit. Loopback only.\n");
}

static bool parse_num(const char *s, double min, double max, double *out)
{
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (*s == '\0' || *end != '\0' || errno || v < min || v > max)
		return false;
	*out = v;
	return true;
}

int bench_query_main(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"server", required_argument, NULL, 's'},
	    {"file", required_argument, NULL, 'f'},
	    {"outstanding", required_argument, NULL, 'c'},
	    {"duration", required_argument, NULL, 'd'},
	    {"count", required_argument, NULL, 'n'},
	    {"rate", required_argument, NULL, 'r'},
	    {"tcp", no_argument, NULL, 't'},
	    {"conns", required_argument, NULL, 'C'},
	    {"edns", required_argument, NULL, 'e'},
	    {"timeout", required_argument, NULL, 'T'},
	    {"json", no_argument, NULL, 'j'},
	    {"csv", no_argument, NULL, 'v'},
	    {"ceiling", no_argument, NULL, 'L'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct bench_qopts o = {.outstanding = 100, .conns = 4, .timeout_ms = 1000};
	enum bench_format fmt = BENCH_TEXT;
	const char *file = NULL;
	bool ceiling = false, dset = false;
	double v, edns = 0;
	char err[512];
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "s:f:c:d:n:h", longopts, NULL)) != -1) {
		switch (c) {
		case 's':
			o.server_text = optarg;
			if (bench_addr_parse(optarg, &o.server) < 0) {
				fprintf(stderr, "ilnpdns-bench query: -s %s: not ADDR@PORT\n",
				        optarg);
				return 2;
			}
			break;
		case 'f':
			file = optarg;
			break;
		case 'c':
			if (!parse_num(optarg, 1, 60000, &v))
				goto bad;
			o.outstanding = (unsigned)v;
			break;
		case 'd':
			if (!parse_num(optarg, 0.001, 86400, &o.seconds))
				goto bad;
			dset = true;
			break;
		case 'n':
			if (!parse_num(optarg, 1, 1e12, &v))
				goto bad;
			o.count = (uint64_t)v;
			break;
		case 'r':
			if (!parse_num(optarg, 0.001, 1e8, &o.rate))
				goto bad;
			break;
		case 't':
			o.tcp = true;
			break;
		case 'C':
			if (!parse_num(optarg, 1, BENCH_QUERY_CONNS_MAX, &v))
				goto bad;
			o.conns = (unsigned)v;
			break;
		case 'e':
			if (!parse_num(optarg, 512, 65535, &edns))
				goto bad;
			break;
		case 'T':
			if (!parse_num(optarg, 1, 60000, &v))
				goto bad;
			o.timeout_ms = (unsigned)v;
			break;
		case 'j':
			fmt = BENCH_JSON;
			break;
		case 'v':
			fmt = BENCH_CSV;
			break;
		case 'L':
			ceiling = true;
			break;
		default:
			bench_query_usage();
			return 2;
		}
	}
	if (optind != argc || !file || (!o.server_text) == !ceiling) {
		bench_query_usage();
		return 2;
	}
	/* A duration bound always, unless only a count was asked for. */
	if (!dset && !o.count)
		o.seconds = 10;
	if (!ceiling && !bench_addr_is_loopback(&o.server)) {
		fprintf(stderr, "ilnpdns-bench query: %s is not a loopback address\n",
		        o.server_text);
		return 2;
	}
	struct bench_qset qs;
	if (bench_qset_load(&qs, file, (uint16_t)edns, err, sizeof(err)) < 0) {
		fprintf(stderr, "ilnpdns-bench query: %s\n", err);
		return 2;
	}
	struct bench_echo *echo = NULL;
	char addr_text[64];
	int rc = 2;
	if (ceiling) {
		if (o.tcp) {
			fprintf(stderr, "ilnpdns-bench query: --ceiling measures UDP only\n");
			goto out;
		}
		int e = bench_echo_start(&echo, &o.server);
		if (e < 0) {
			fprintf(stderr, "ilnpdns-bench query: responder: %s\n",
			        ilnpdns_strerror(e));
			goto out;
		}
		bench_addr_format(&o.server, addr_text, sizeof(addr_text));
		o.server_text = addr_text;
	}
	struct bench_qresult res;
	int e = bench_query_run(&o, &qs, &res);
	if (e < 0) {
		fprintf(stderr, "ilnpdns-bench query: %s: %s\n", o.server_text,
		        ilnpdns_strerror(e));
		goto out;
	}
	bench_query_print(stdout, fmt, ceiling ? "ceiling" : "server", &o, &res);
	rc = res.lost ? 1 : 0;
out:
	bench_echo_stop(echo);
	bench_qset_free(&qs);
	return rc;
bad:
	fprintf(stderr, "ilnpdns-bench query: bad value '%s'\n", optarg);
	return 2;
}
