/* SPDX-License-Identifier: BSD-2-Clause */
/* querylog.c -- format one request as a log line for server.log-queries. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>

#include "ilnpdns/dname.h"
#include "ilnpdns/log.h"
#include "ilnpdns/wire.h"
#include "querylog.h"
#include "stats.h"

#define NAME_TEXT_MAX (4 * ILNPDNS_DNAME_MAXLEN + 1) /* ilnpdns_dname_to_str() */

bool querylog_enabled;

void querylog_set(bool on)
{
	__atomic_store_n(&querylog_enabled, on, __ATOMIC_RELAXED);
}

static void peer_text(const struct sockaddr *sa, char *buf, size_t cap)
{
	char a[INET6_ADDRSTRLEN] = "?";
	unsigned port = 0;
	if (sa != NULL && sa->sa_family == AF_INET) {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)sa;
		inet_ntop(AF_INET, &s4->sin_addr, a, sizeof(a));
		port = ntohs(s4->sin_port);
	} else if (sa != NULL && sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)sa;
		inet_ntop(AF_INET6, &s6->sin6_addr, a, sizeof(a));
		port = ntohs(s6->sin6_port);
	}
	snprintf(buf, cap, "%s@%u", a, port);
}

/* The first question's name, or "-" when the request has none that parses. */
static void qname_text(const uint8_t *req, size_t len, char *buf, size_t cap)
{
	uint8_t name[ILNPDNS_DNAME_MAXLEN];
	size_t pos = ILNPDNS_HDR_LEN;
	if (len < ILNPDNS_HDR_LEN || ilnpdns_get16(req + 4) == 0 ||
	    ilnpdns_dname_unpack(req, len, &pos, name) < 0 ||
	    ilnpdns_dname_to_str(name, buf, cap) < 0)
		snprintf(buf, cap, "-");
}

void querylog_write(enum query_transport transport, const struct sockaddr *peer, const uint8_t *req,
                    size_t len, const struct query_info *info)
{
	char who[INET6_ADDRSTRLEN + 8], name[NAME_TEXT_MAX], tbuf[16], rbuf[16];

	peer_text(peer, who, sizeof(who));
	qname_text(req, len, name, sizeof(name));
	const char *tr = transport == QUERY_TCP ? "tcp" : "udp";
	if (info->dropped) {
		log_notice("query %s %s %s dropped", tr, who, name);
		return;
	}
	log_notice("query %s %s %s %s %s%s%s", tr, who, name,
	           stats_qtype_label(info->qtype, tbuf, sizeof(tbuf)),
	           stats_rcode_label(info->rcode, rbuf, sizeof(rbuf)), info->truncated ? " tc" : "",
	           info->edns ? " edns" : "");
}
