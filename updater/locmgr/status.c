/* SPDX-License-Identifier: BSD-2-Clause */
/* status.c -- the status socket: the daemon writes its state to each connection; --status reads it.
 */
#include "config.h"

#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "ilnpdns/error.h"
#include "ilnpdns/log.h"
#include "locmgr.h"

/*
 * No protocol to speak of: connect, read until the daemon closes. The text
 * is made fresh per connection by the daemon's render callback. The socket
 * is mode 0600 (it shows the network state of the host); a client that
 * does not read is cut off after a short send timeout, so it cannot stall
 * the daemon's loop.
 */

#define STATUS_BUF   65536
#define SEND_TIMEOUT 1    /* seconds */
#define READ_TIMEOUT 3000 /* ms, --status */

struct status_srv {
	int fd;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	struct event *ev;
	status_render_fn fn;
	void *arg;
};

static void on_accept(evutil_socket_t fd, short what, void *arg)
{
	struct status_srv *s = arg;
	static char buf[STATUS_BUF];
	(void)what;
	int c = accept4(fd, NULL, NULL, SOCK_CLOEXEC);
	if (c < 0)
		return;
	struct timeval tv = {SEND_TIMEOUT, 0};
	(void)setsockopt(c, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	int n = s->fn(buf, sizeof(buf), s->arg);
	size_t off = 0;
	while (n > 0 && off < (size_t)n) {
		ssize_t w = send(c, buf + off, (size_t)n - off, MSG_NOSIGNAL);
		if (w <= 0)
			break;
		off += (size_t)w;
	}
	close(c);
}

int status_open(struct event_base *base, const char *path, status_render_fn fn, void *arg,
                struct status_srv **out)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	struct status_srv *s = calloc(1, sizeof(*s));
	int rc;
	if (s == NULL)
		return ILNPDNS_ENOMEM;
	if (strlen(path) >= sizeof(sun.sun_path)) {
		free(s);
		return ILNPDNS_EINVAL;
	}
	memcpy(sun.sun_path, path, strlen(path) + 1);
	memcpy(s->path, path, strlen(path) + 1);
	s->fn = fn;
	s->arg = arg;
	s->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s->fd < 0) {
		rc = -errno;
		free(s);
		return rc;
	}
	/* A stale socket of an earlier run is replaced; a live daemon is not. */
	if (connect(s->fd, (struct sockaddr *)&sun, sizeof(sun)) == 0) {
		close(s->fd);
		free(s);
		return ILNPDNS_EEXIST;
	}
	close(s->fd);
	s->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s->fd < 0) {
		rc = -errno;
		free(s);
		return rc;
	}
	(void)unlink(path);
	mode_t old = umask(077);
	rc = bind(s->fd, (struct sockaddr *)&sun, sizeof(sun));
	umask(old);
	if (rc < 0 || listen(s->fd, 8) < 0) {
		rc = -errno;
		close(s->fd);
		free(s);
		return rc;
	}
	s->ev = event_new(base, s->fd, EV_READ | EV_PERSIST, on_accept, s);
	if (s->ev == NULL || event_add(s->ev, NULL) < 0) {
		status_close(s);
		return ILNPDNS_ENOMEM;
	}
	*out = s;
	return 0;
}

void status_close(struct status_srv *s)
{
	if (s == NULL)
		return;
	if (s->ev != NULL)
		event_free(s->ev);
	close(s->fd);
	(void)unlink(s->path);
	free(s);
}

int status_query(const char *path)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	char buf[4096];
	if (strlen(path) >= sizeof(sun.sun_path))
		return 2;
	memcpy(sun.sun_path, path, strlen(path) + 1);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		fprintf(stderr, "ilnpdns-locmgr: %s: %s (is the daemon running?)\n", path,
		        strerror(errno));
		if (fd >= 0)
			close(fd);
		return 1;
	}
	for (;;) {
		struct pollfd pfd = {fd, POLLIN, 0};
		if (poll(&pfd, 1, READ_TIMEOUT) <= 0) {
			fprintf(stderr, "ilnpdns-locmgr: %s: no answer\n", path);
			close(fd);
			return 1;
		}
		ssize_t n = read(fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		fwrite(buf, 1, (size_t)n, stdout);
	}
	close(fd);
	return 0;
}
