/* SPDX-License-Identifier: BSD-2-Clause */
/* bench_net.c -- parse server addresses and open connected non-blocking client sockets. */
#include "config.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ilnpdns/error.h"
#include "bench_net.h"

int bench_addr_parse(const char *text, struct bench_addr *addr)
{
	char host[64];
	const char *at = strrchr(text, '@');
	size_t hlen = at ? (size_t)(at - text) : strlen(text);
	unsigned long port = 53;

	if (hlen == 0 || hlen >= sizeof(host))
		return ILNPDNS_ESYNTAX;
	memcpy(host, text, hlen);
	host[hlen] = '\0';
	if (at) {
		char *end;
		errno = 0;
		port = strtoul(at + 1, &end, 10);
		if (at[1] == '\0' || *end != '\0' || errno || port == 0 || port > 65535)
			return ILNPDNS_ESYNTAX;
	}
	memset(addr, 0, sizeof(*addr));
	struct sockaddr_in *sin = (struct sockaddr_in *)&addr->ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&addr->ss;
	if (inet_pton(AF_INET, host, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)port);
		addr->len = sizeof(*sin);
	} else if (inet_pton(AF_INET6, host, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)port);
		addr->len = sizeof(*sin6);
	} else {
		return ILNPDNS_ESYNTAX;
	}
	return 0;
}

bool bench_addr_is_loopback(const struct bench_addr *addr)
{
	if (addr->ss.ss_family == AF_INET) {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)&addr->ss;
		return (ntohl(sin->sin_addr.s_addr) >> 24) == 127;
	}
	if (addr->ss.ss_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)&addr->ss;
		return IN6_IS_ADDR_LOOPBACK(&sin6->sin6_addr);
	}
	return false;
}

int bench_connect(const struct bench_addr *addr, int type)
{
	int fd = socket(addr->ss.ss_family, type | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (type == SOCK_STREAM) {
		int one = 1;
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	} else {
		/* Room for a burst of answers while the loop is busy elsewhere. */
		int size = 1 << 20;
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	}
	/* Blocking connect (loopback: immediate), then non-blocking use. */
	if (connect(fd, (const struct sockaddr *)&addr->ss, addr->len) < 0 ||
	    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) < 0) {
		int err = -errno;
		close(fd);
		return err;
	}
	return fd;
}

void bench_addr_format(const struct bench_addr *addr, char *buf, size_t cap)
{
	char host[INET6_ADDRSTRLEN] = "?";
	unsigned port = 0;
	if (addr->ss.ss_family == AF_INET) {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)&addr->ss;
		inet_ntop(AF_INET, &sin->sin_addr, host, sizeof(host));
		port = ntohs(sin->sin_port);
	} else if (addr->ss.ss_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)&addr->ss;
		inet_ntop(AF_INET6, &sin6->sin6_addr, host, sizeof(host));
		port = ntohs(sin6->sin6_port);
	}
	snprintf(buf, cap, "%s@%u", host, port);
}

int bench_bind_udp(struct bench_addr *addr)
{
	int fd = socket(addr->ss.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	int size = 4 << 20;
	if (fd < 0)
		return -errno;
	/* Bursts of a whole generator window must not overflow the queue. */
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof(size));
	if (bind(fd, (const struct sockaddr *)&addr->ss, addr->len) < 0 ||
	    getsockname(fd, (struct sockaddr *)&addr->ss, &addr->len) < 0) {
		int err = -errno;
		close(fd);
		return err;
	}
	return fd;
}
