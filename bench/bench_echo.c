/* SPDX-License-Identifier: BSD-2-Clause */
/* bench_echo.c -- ilnpdns-bench responder: a fixed NOERROR answer to every query, in batches. */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "ilnpdns/error.h"
#include "bench_echo.h"
#include "bench_msg.h"
#include "bench_stats.h"

/*
 * The responder does as little as a DNS server possibly can: one recvmmsg()
 * of up to BATCH queries, each turned into its answer in place, one
 * sendmmsg() back. A load generator that cannot saturate this is measuring
 * itself, not the server; its rate here is the generator's ceiling.
 */

#define BATCH    64
#define MSG_CAP  4096
#define MAX_LIFE 3600 /* seconds: the thread's own bound */

struct bench_echo {
	int fd;
	pthread_t thread;
	atomic_bool stop;
	double seconds;
	uint64_t answered;
};

static volatile sig_atomic_t got_signal;

static void on_signal(int sig)
{
	(void)sig;
	got_signal = 1;
}

static void serve(struct bench_echo *e)
{
	static _Thread_local uint8_t buf[BATCH][MSG_CAP];
	struct sockaddr_storage from[BATCH];
	struct mmsghdr in[BATCH], out[BATCH];
	struct iovec iov[BATCH], oiov[BATCH];
	int64_t end = bench_now_ns() + (int64_t)(e->seconds * 1e9);

	while (!atomic_load_explicit(&e->stop, memory_order_relaxed) && !got_signal &&
	       bench_now_ns() < end) {
		for (int i = 0; i < BATCH; i++) {
			iov[i] = (struct iovec){.iov_base = buf[i], .iov_len = MSG_CAP};
			memset(&in[i], 0, sizeof(in[i]));
			in[i].msg_hdr.msg_iov = &iov[i];
			in[i].msg_hdr.msg_iovlen = 1;
			in[i].msg_hdr.msg_name = &from[i];
			in[i].msg_hdr.msg_namelen = sizeof(from[i]);
		}
		/* Blocks for the first datagram (SO_RCVTIMEO bounds it), then
		 * takes whatever else is queued. */
		int n = recvmmsg(e->fd, in, BATCH, MSG_WAITFORONE, NULL);
		if (n <= 0)
			continue; /* timeout or EINTR: look at the stop conditions */
		int k = 0;
		for (int i = 0; i < n; i++) {
			int len = bench_msg_echo_answer(buf[i], in[i].msg_len, MSG_CAP);
			if (len < 0)
				continue;
			oiov[k] = (struct iovec){.iov_base = buf[i], .iov_len = (size_t)len};
			memset(&out[k], 0, sizeof(out[k]));
			out[k].msg_hdr.msg_iov = &oiov[k];
			out[k].msg_hdr.msg_iovlen = 1;
			out[k].msg_hdr.msg_name = &from[i];
			out[k].msg_hdr.msg_namelen = in[i].msg_hdr.msg_namelen;
			k++;
		}
		/* A full send buffer drops answers: the generator counts them lost. */
		for (int done = 0, tries = 0; done < k && tries < 4; tries++) {
			int m = sendmmsg(e->fd, out + done, (unsigned)(k - done), 0);
			if (m <= 0)
				break;
			done += m;
			e->answered += (uint64_t)m;
		}
	}
}

static void *thread_main(void *arg)
{
	serve(arg);
	return NULL;
}

static int open_socket(struct bench_echo *e, struct bench_addr *addr)
{
	struct timeval tv = {.tv_sec = 0, .tv_usec = 100000};
	e->fd = bench_bind_udp(addr);
	if (e->fd < 0)
		return e->fd;
	setsockopt(e->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	return 0;
}

int bench_echo_start(struct bench_echo **out, struct bench_addr *addr)
{
	struct bench_echo *e = calloc(1, sizeof(*e));
	int rc;

	*out = NULL;
	if (e == NULL)
		return ILNPDNS_ENOMEM;
	if ((rc = bench_addr_parse("127.0.0.1@1", addr)) < 0)
		goto fail;
	/* Port 0: whatever is free. bench_addr_parse() refuses 0 as a port. */
	((struct sockaddr_in *)&addr->ss)->sin_port = 0;
	if ((rc = open_socket(e, addr)) < 0)
		goto fail;
	e->seconds = MAX_LIFE;
	if ((rc = pthread_create(&e->thread, NULL, thread_main, e)) != 0) {
		close(e->fd);
		rc = -rc;
		goto fail;
	}
	*out = e;
	return 0;
fail:
	free(e);
	return rc;
}

void bench_echo_stop(struct bench_echo *e)
{
	if (e == NULL)
		return;
	atomic_store(&e->stop, true);
	pthread_join(e->thread, NULL); /* within one SO_RCVTIMEO */
	close(e->fd);
	free(e);
}

void bench_echo_usage(void)
{
	fprintf(stderr, "usage: ilnpdns-bench responder -l ADDR@PORT [-d SECONDS]\n"
	                "  Answers every UDP query with a fixed NOERROR answer (recvmmsg/sendmmsg\n"
	                "  batches) until SIGINT/SIGTERM or -d seconds (default 3600). Run\n"
	                "  ilnpdns-bench query against it to see the generator's own ceiling.\n"
	                "  Loopback only.\n");
}

int bench_echo_main(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"listen", required_argument, NULL, 'l'},
	    {"duration", required_argument, NULL, 'd'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct bench_echo e = {.fd = -1, .seconds = MAX_LIFE};
	struct bench_addr addr;
	const char *listen = NULL;
	char *end;
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "l:d:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'l':
			listen = optarg;
			break;
		case 'd':
			e.seconds = strtod(optarg, &end);
			if (*end != '\0' || !(e.seconds > 0 && e.seconds <= 86400)) {
				fprintf(stderr, "ilnpdns-bench responder: bad -d '%s'\n", optarg);
				return 2;
			}
			break;
		default:
			bench_echo_usage();
			return 2;
		}
	}
	if (optind != argc || listen == NULL) {
		bench_echo_usage();
		return 2;
	}
	if (bench_addr_parse(listen, &addr) < 0 || !bench_addr_is_loopback(&addr)) {
		fprintf(stderr, "ilnpdns-bench responder: -l %s: not a loopback ADDR@PORT\n",
		        listen);
		return 2;
	}
	int rc = open_socket(&e, &addr);
	if (rc < 0) {
		fprintf(stderr, "ilnpdns-bench responder: %s: %s\n", listen, ilnpdns_strerror(rc));
		return 2;
	}
	struct sigaction sa = {.sa_handler = on_signal};
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	serve(&e);
	close(e.fd);
	fprintf(stderr, "ilnpdns-bench responder: %llu answers\n", (unsigned long long)e.answered);
	return 0;
}
