/* SPDX-License-Identifier: BSD-2-Clause */
/* netlink.c -- the rtnetlink socket: dumps, notifications, message validation into nl_events. */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_addr.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "ilnpdns/error.h"
#include "netlink.h"

/*
 * Every length is checked before it is used: the message header against the
 * buffer, the fixed body (ifinfomsg, ifaddrmsg, rtmsg) against the message,
 * each attribute against what is left of its message, and each attribute's
 * payload against the size its type needs. Only the kernel (port 0) is
 * believed: another process may send to our port, never to our groups.
 */

#define NL_BUF_SIZE  65536
#define NL_RCVBUF    (4 << 20)
#define DUMP_TIMEOUT 2 /* seconds per recv of a dump */

struct attr_walk {
	const uint8_t *p;
	size_t left;
};

/* The next attribute, or NULL at the end; *bad on a malformed one. */
static const struct rtattr *attr_next(struct attr_walk *w, bool *bad)
{
	if (w->left < sizeof(struct rtattr)) {
		if (w->left != 0)
			*bad = true;
		return NULL;
	}
	const struct rtattr *rta = (const struct rtattr *)(const void *)w->p;
	if (rta->rta_len < sizeof(struct rtattr) || rta->rta_len > w->left) {
		*bad = true;
		return NULL;
	}
	size_t step = RTA_ALIGN(rta->rta_len);
	if (step > w->left)
		step = w->left;
	w->p += step;
	w->left -= step;
	return rta;
}

static size_t attr_len(const struct rtattr *rta)
{
	return rta->rta_len - sizeof(struct rtattr);
}

static const void *attr_data(const struct rtattr *rta)
{
	return (const uint8_t *)rta + RTA_LENGTH(0);
}

static uint32_t attr_u32(const struct rtattr *rta)
{
	uint32_t v;
	memcpy(&v, attr_data(rta), 4);
	return v;
}

static int parse_link(const struct nlmsghdr *h, nl_event_fn fn, void *arg, int *count)
{
	struct ifinfomsg ifi;
	struct nl_event ev;
	bool bad = false;
	if (h->nlmsg_len < NLMSG_LENGTH(sizeof(ifi)))
		return ILNPDNS_EMALF;
	memcpy(&ifi, NLMSG_DATA(h), sizeof(ifi));
	memset(&ev, 0, sizeof(ev));
	ev.type = h->nlmsg_type == RTM_NEWLINK ? NL_EV_LINK : NL_EV_LINK_DEL;
	ev.ifindex = ifi.ifi_index;
	ev.ifflags = ifi.ifi_flags;
	ev.up = (ifi.ifi_flags & IFF_UP) && (ifi.ifi_flags & IFF_RUNNING);
	struct attr_walk w = {(const uint8_t *)NLMSG_DATA(h) + NLMSG_ALIGN(sizeof(ifi)),
	                      h->nlmsg_len - NLMSG_LENGTH(NLMSG_ALIGN(sizeof(ifi)))};
	if (h->nlmsg_len < NLMSG_LENGTH(NLMSG_ALIGN(sizeof(ifi))))
		w.left = 0;
	const struct rtattr *rta;
	while ((rta = attr_next(&w, &bad)) != NULL) {
		if (rta->rta_type != IFLA_IFNAME)
			continue;
		size_t n = attr_len(rta);
		const char *s = attr_data(rta);
		/* A NUL-terminated name that fits IF_NAMESIZE, or the message is bad. */
		if (n == 0 || n > IF_NAMESIZE || memchr(s, '\0', n) == NULL)
			return ILNPDNS_EMALF;
		memcpy(ev.ifname, s, strlen(s) + 1);
	}
	if (bad || ev.ifindex <= 0)
		return ILNPDNS_EMALF;
	(*count)++;
	return fn(&ev, arg);
}

static int parse_addr(const struct nlmsghdr *h, nl_event_fn fn, void *arg, int *count)
{
	struct ifaddrmsg ifa;
	struct nl_event ev;
	bool bad = false, have_addr = false, have_local = false;
	uint8_t local[16];
	if (h->nlmsg_len < NLMSG_LENGTH(NLMSG_ALIGN(sizeof(ifa))))
		return ILNPDNS_EMALF;
	memcpy(&ifa, NLMSG_DATA(h), sizeof(ifa));
	if (ifa.ifa_family != AF_INET && ifa.ifa_family != AF_INET6)
		return 0; /* not ours to judge */
	size_t alen = ifa.ifa_family == AF_INET6 ? 16 : 4;
	memset(&ev, 0, sizeof(ev));
	ev.type = h->nlmsg_type == RTM_NEWADDR ? NL_EV_ADDR_NEW : NL_EV_ADDR_DEL;
	ev.ifindex = (int)ifa.ifa_index;
	ev.family = ifa.ifa_family;
	ev.plen = ifa.ifa_prefixlen;
	ev.scope = ifa.ifa_scope;
	ev.aflags = ifa.ifa_flags;
	ev.preferred_lft = ev.valid_lft = UINT32_MAX;
	if (ev.plen > alen * 8 || ev.ifindex <= 0)
		return ILNPDNS_EMALF;
	struct attr_walk w = {(const uint8_t *)NLMSG_DATA(h) + NLMSG_ALIGN(sizeof(ifa)),
	                      h->nlmsg_len - NLMSG_LENGTH(NLMSG_ALIGN(sizeof(ifa)))};
	const struct rtattr *rta;
	while ((rta = attr_next(&w, &bad)) != NULL) {
		switch (rta->rta_type) {
		case IFA_ADDRESS:
			if (attr_len(rta) != alen)
				return ILNPDNS_EMALF;
			memcpy(ev.addr, attr_data(rta), alen);
			have_addr = true;
			break;
		case IFA_LOCAL:
			if (attr_len(rta) != alen)
				return ILNPDNS_EMALF;
			memcpy(local, attr_data(rta), alen);
			have_local = true;
			break;
		case IFA_FLAGS:
			/* The 8-bit ifa_flags cannot hold the newer flags (Linux 3.14). */
			if (attr_len(rta) != 4)
				return ILNPDNS_EMALF;
			ev.aflags = attr_u32(rta);
			break;
		case IFA_CACHEINFO: {
			struct ifa_cacheinfo ci;
			if (attr_len(rta) < sizeof(ci))
				return ILNPDNS_EMALF;
			memcpy(&ci, attr_data(rta), sizeof(ci));
			ev.preferred_lft = ci.ifa_prefered;
			ev.valid_lft = ci.ifa_valid;
			break;
		}
		default:
			break;
		}
	}
	if (bad)
		return ILNPDNS_EMALF;
	/* IFA_LOCAL is our own address on point-to-point links; IFA_ADDRESS the peer. */
	if (have_local)
		memcpy(ev.addr, local, alen);
	else if (!have_addr)
		return ILNPDNS_EMALF;
	(*count)++;
	return fn(&ev, arg);
}

static int route_emit(struct nl_event *ev, int oif, nl_event_fn fn, void *arg, int *count)
{
	if (oif <= 0)
		return 0;
	ev->ifindex = oif;
	(*count)++;
	return fn(ev, arg);
}

static int parse_route(const struct nlmsghdr *h, nl_event_fn fn, void *arg, int *count)
{
	struct rtmsg rtm;
	struct nl_event ev;
	bool bad = false;
	uint32_t table;
	int oif = 0, rc;
	const struct rtattr *mp = NULL;
	if (h->nlmsg_len < NLMSG_LENGTH(NLMSG_ALIGN(sizeof(rtm))))
		return ILNPDNS_EMALF;
	memcpy(&rtm, NLMSG_DATA(h), sizeof(rtm));
	table = rtm.rtm_table;
	struct attr_walk w = {(const uint8_t *)NLMSG_DATA(h) + NLMSG_ALIGN(sizeof(rtm)),
	                      h->nlmsg_len - NLMSG_LENGTH(NLMSG_ALIGN(sizeof(rtm)))};
	const struct rtattr *rta;
	while ((rta = attr_next(&w, &bad)) != NULL) {
		if (rta->rta_type == RTA_OIF || rta->rta_type == RTA_TABLE) {
			if (attr_len(rta) != 4)
				return ILNPDNS_EMALF;
			if (rta->rta_type == RTA_OIF)
				oif = (int)attr_u32(rta);
			else
				table = attr_u32(rta);
		} else if (rta->rta_type == RTA_MULTIPATH) {
			mp = rta;
		}
	}
	if (bad)
		return ILNPDNS_EMALF;
	/* Only default unicast routes of the main table say "this uplink works". */
	if ((rtm.rtm_family != AF_INET && rtm.rtm_family != AF_INET6) || rtm.rtm_dst_len != 0 ||
	    table != RT_TABLE_MAIN || rtm.rtm_type != RTN_UNICAST)
		return 0;
	memset(&ev, 0, sizeof(ev));
	ev.type = h->nlmsg_type == RTM_NEWROUTE ? NL_EV_ROUTE_NEW : NL_EV_ROUTE_DEL;
	ev.family = rtm.rtm_family;
	if ((rc = route_emit(&ev, oif, fn, arg, count)) != 0)
		return rc;
	if (mp != NULL) {
		const uint8_t *p = attr_data(mp);
		size_t left = attr_len(mp);
		while (left >= sizeof(struct rtnexthop)) {
			struct rtnexthop nh;
			memcpy(&nh, p, sizeof(nh));
			if (nh.rtnh_len < sizeof(nh) || nh.rtnh_len > left)
				return ILNPDNS_EMALF;
			if ((rc = route_emit(&ev, nh.rtnh_ifindex, fn, arg, count)) != 0)
				return rc;
			size_t step = RTNH_ALIGN(nh.rtnh_len);
			if (step > left)
				step = left;
			p += step;
			left -= step;
		}
	}
	return 0;
}

/* done: set when NLMSG_DONE (or an error answer) ends a dump. */
static int parse_buf(const uint8_t *buf, size_t len, nl_event_fn fn, void *arg, bool *done)
{
	int count = 0, result = 0, rc;
	while (len > 0) {
		struct nlmsghdr h;
		if (len < sizeof(h))
			return ILNPDNS_EMALF;
		memcpy(&h, buf, sizeof(h));
		if (h.nlmsg_len < sizeof(h) || h.nlmsg_len > len)
			return ILNPDNS_EMALF; /* the rest cannot be framed */
		/* The bodies are read with memcpy: alignment of buf does not matter. */
		const struct nlmsghdr *hp = (const struct nlmsghdr *)(const void *)buf;
		rc = 0;
		switch (h.nlmsg_type) {
		case NLMSG_DONE:
			if (done != NULL)
				*done = true;
			break;
		case NLMSG_ERROR: {
			struct nlmsgerr e;
			if (h.nlmsg_len < NLMSG_LENGTH(sizeof(e.error)))
				return ILNPDNS_EMALF;
			memcpy(&e.error, NLMSG_DATA(hp), sizeof(e.error));
			if (e.error != 0) {
				if (done != NULL)
					*done = true;
				return e.error < 0 ? e.error : -e.error;
			}
			break;
		}
		case RTM_NEWLINK:
		case RTM_DELLINK:
			rc = parse_link(hp, fn, arg, &count);
			break;
		case RTM_NEWADDR:
		case RTM_DELADDR:
			rc = parse_addr(hp, fn, arg, &count);
			break;
		case RTM_NEWROUTE:
		case RTM_DELROUTE:
			rc = parse_route(hp, fn, arg, &count);
			break;
		default:
			break;
		}
		if (rc == ILNPDNS_EMALF)
			result = rc; /* this message only: its length was sound */
		else if (rc != 0)
			return rc;
		size_t step = NLMSG_ALIGN(h.nlmsg_len);
		if (step > len)
			step = len;
		buf += step;
		len -= step;
	}
	return result < 0 ? result : count;
}

int nl_parse(const uint8_t *buf, size_t len, nl_event_fn fn, void *arg)
{
	return parse_buf(buf, len, fn, arg, NULL);
}

bool nl_addr_is_tentative(const struct nl_event *ev)
{
	return (ev->aflags & IFA_F_TENTATIVE) != 0;
}

bool nl_addr_is_dadfailed(const struct nl_event *ev)
{
	return (ev->aflags & IFA_F_DADFAILED) != 0;
}

bool nl_addr_is_deprecated(const struct nl_event *ev)
{
	return (ev->aflags & IFA_F_DEPRECATED) != 0;
}

int nl_event_to_str(const struct nl_event *ev, char *buf, size_t cap)
{
	char a[INET6_ADDRSTRLEN];
	switch (ev->type) {
	case NL_EV_LINK:
	case NL_EV_LINK_DEL:
		return snprintf(buf, cap, "%s if=%d %s %s",
		                ev->type == NL_EV_LINK ? "link" : "link-del", ev->ifindex,
		                ev->ifname[0] ? ev->ifname : "?", ev->up ? "up" : "down");
	case NL_EV_ADDR_NEW:
	case NL_EV_ADDR_DEL:
		inet_ntop(ev->family, ev->addr, a, sizeof(a));
		return snprintf(buf, cap, "%s if=%d %s/%u flags=0x%x",
		                ev->type == NL_EV_ADDR_NEW ? "addr-new" : "addr-del", ev->ifindex,
		                a, ev->plen, ev->aflags);
	case NL_EV_ROUTE_NEW:
	case NL_EV_ROUTE_DEL:
		return snprintf(buf, cap, "%s if=%d %s default",
		                ev->type == NL_EV_ROUTE_NEW ? "route-new" : "route-del",
		                ev->ifindex, ev->family == AF_INET6 ? "inet6" : "inet");
	}
	return snprintf(buf, cap, "?");
}

int nl_open(struct nl_sock *s)
{
	struct sockaddr_nl sa;
	int size = NL_RCVBUF;
	memset(s, 0, sizeof(*s));
	s->fd = socket(AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (s->fd < 0)
		return -errno;
	/* FORCE needs CAP_NET_ADMIN; otherwise the plain request, capped by rmem_max. */
	if (setsockopt(s->fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)) < 0)
		(void)setsockopt(s->fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	memset(&sa, 0, sizeof(sa));
	sa.nl_family = AF_NETLINK;
	sa.nl_groups = RTMGRP_LINK | RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR | RTMGRP_IPV4_ROUTE |
	               RTMGRP_IPV6_ROUTE;
	if (bind(s->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int e = -errno;
		close(s->fd);
		s->fd = -1;
		return e;
	}
	return 0;
}

void nl_close(struct nl_sock *s)
{
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
}

/* One datagram from the kernel; 0 and *len, ILNPDNS_EAGAIN, or a negated errno. */
static int recv_kernel(int fd, uint8_t *buf, size_t cap, size_t *len)
{
	struct sockaddr_nl from;
	struct iovec iov = {buf, cap};
	struct msghdr msg = {
	    .msg_name = &from, .msg_namelen = sizeof(from), .msg_iov = &iov, .msg_iovlen = 1};
	for (;;) {
		ssize_t n = recvmsg(fd, &msg, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return ILNPDNS_EAGAIN;
			return -errno;
		}
		if (msg.msg_flags & MSG_TRUNC)
			return ILNPDNS_EMALF;
		if (msg.msg_namelen != sizeof(from) || from.nl_pid != 0) {
			msg.msg_namelen = sizeof(from);
			continue; /* not the kernel */
		}
		*len = (size_t)n;
		return 0;
	}
}

int nl_read(struct nl_sock *s, nl_event_fn fn, void *arg)
{
	static uint8_t buf[NL_BUF_SIZE];
	int total = 0;
	for (;;) {
		size_t len;
		int rc = recv_kernel(s->fd, buf, sizeof(buf), &len);
		if (rc == ILNPDNS_EAGAIN)
			return total;
		if (rc == -ENOBUFS) {
			s->overruns++;
			return ILNPDNS_EAGAIN;
		}
		if (rc < 0)
			return rc;
		rc = nl_parse(buf, len, fn, arg);
		if (rc < 0 && rc != ILNPDNS_EMALF)
			return rc;
		/* A malformed message is dropped; the others in the datagram were used. */
		if (rc > 0)
			total += rc;
	}
}

static int dump_one(int fd, uint16_t type, uint32_t seq, nl_event_fn fn, void *arg)
{
	static uint8_t buf[NL_BUF_SIZE];
	struct {
		struct nlmsghdr h;
		struct rtgenmsg g;
		uint8_t pad[3];
	} req;
	memset(&req, 0, sizeof(req));
	req.h.nlmsg_len = NLMSG_LENGTH(sizeof(req.g));
	req.h.nlmsg_type = type;
	req.h.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	req.h.nlmsg_seq = seq;
	req.g.rtgen_family = AF_UNSPEC;
	struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
	if (sendto(fd, &req, req.h.nlmsg_len, 0, (struct sockaddr *)&kernel, sizeof(kernel)) < 0)
		return -errno;
	bool done = false;
	while (!done) {
		size_t len;
		int rc = recv_kernel(fd, buf, sizeof(buf), &len);
		if (rc == ILNPDNS_EAGAIN)
			return ILNPDNS_ETIMEDOUT;
		if (rc < 0)
			return rc;
		rc = parse_buf(buf, len, fn, arg, &done);
		if (rc < 0 && rc != ILNPDNS_EMALF)
			return rc;
	}
	return 0;
}

int nl_dump_all(nl_event_fn fn, void *arg)
{
	static const uint16_t types[] = {RTM_GETLINK, RTM_GETADDR, RTM_GETROUTE};
	struct timeval tv = {DUMP_TIMEOUT, 0};
	int rc = 0;
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0)
		return -errno;
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]) && rc == 0; i++)
		rc = dump_one(fd, types[i], (uint32_t)i + 1, fn, arg);
	close(fd);
	return rc;
}
