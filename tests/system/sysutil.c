/* SPDX-License-Identifier: BSD-2-Clause */
/* sysutil.c -- what the system tests' C tools share: a clock, ADDR@PORT, a DNS message builder. */
#include "sysutil.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

double su_mono(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

int su_parse_addr(const char *text, struct sockaddr_storage *ss, socklen_t *len)
{
	char host[128];
	const char *at = strrchr(text, '@');
	if (!at || (size_t)(at - text) >= sizeof(host))
		return -1;
	memcpy(host, text, (size_t)(at - text));
	host[at - text] = '\0';
	long port = strtol(at + 1, NULL, 10);
	if (port <= 0 || port > 65535)
		return -1;
	memset(ss, 0, sizeof(*ss));
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
	if (inet_pton(AF_INET, host, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)port);
		*len = sizeof(*s4);
		return 0;
	}
	if (inet_pton(AF_INET6, host, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)port);
		*len = sizeof(*s6);
		return 0;
	}
	return -1;
}

void su_put8(struct su_msg *m, unsigned v)
{
	if (m->len < SU_MAXMSG)
		m->b[m->len++] = (uint8_t)v;
}

void su_put16(struct su_msg *m, unsigned v)
{
	su_put8(m, v >> 8);
	su_put8(m, v & 0xff);
}

void su_put32(struct su_msg *m, uint32_t v)
{
	su_put16(m, v >> 16);
	su_put16(m, v & 0xffff);
}

void su_putbytes(struct su_msg *m, const void *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		su_put8(m, ((const uint8_t *)p)[i]);
}

void su_putname(struct su_msg *m, const char *name)
{
	while (*name && *name != '.') {
		const char *dot = strchr(name, '.');
		size_t n = dot ? (size_t)(dot - name) : strlen(name);
		su_put8(m, (unsigned)n);
		su_putbytes(m, name, n);
		name += n;
		if (*name == '.')
			name++;
	}
	su_put8(m, 0);
}

void su_header(struct su_msg *m, unsigned id, unsigned flags, unsigned qd, unsigned an, unsigned ns,
               unsigned ar)
{
	m->len = 0;
	su_put16(m, id);
	su_put16(m, flags);
	su_put16(m, qd);
	su_put16(m, an);
	su_put16(m, ns);
	su_put16(m, ar);
}
