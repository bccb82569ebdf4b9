/* SPDX-License-Identifier: BSD-2-Clause */
/* netlink.h -- the rtnetlink socket of ilnpdns-locmgr and the events it turns messages into. */
#ifndef LOCMGR_NETLINK_H
#define LOCMGR_NETLINK_H

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * netlink.c owns the socket and is the only file that knows the rtnetlink
 * wire format (as slaacd's frontend owns the route socket): each message is
 * validated (lengths, attribute walk) and becomes one or more struct
 * nl_event, the only thing the state machine in locators.c ever sees.
 */

enum nl_ev_type {
	NL_EV_LINK,      /* RTM_NEWLINK: a link exists, with its name and state */
	NL_EV_LINK_DEL,  /* RTM_DELLINK */
	NL_EV_ADDR_NEW,  /* RTM_NEWADDR: new address or changed flags/lifetimes */
	NL_EV_ADDR_DEL,  /* RTM_DELADDR */
	NL_EV_ROUTE_NEW, /* RTM_NEWROUTE of a default route (dst_len 0, main table) */
	NL_EV_ROUTE_DEL, /* RTM_DELROUTE of a default route */
};

struct nl_event {
	enum nl_ev_type type;
	int ifindex;
	/* LINK */
	char ifname[IF_NAMESIZE]; /* IFLA_IFNAME, "" when absent */
	unsigned ifflags;         /* ifi_flags (IFF_UP, IFF_RUNNING, ...) */
	bool up;                  /* administratively up and carrier (IFF_UP && IFF_RUNNING) */
	/* ADDR, ROUTE */
	uint8_t family; /* AF_INET6 or AF_INET */
	/* ADDR */
	uint8_t addr[16]; /* IFA_LOCAL (v4) or IFA_ADDRESS (v6); v4 in the first 4 */
	uint8_t plen;
	uint8_t scope;          /* RT_SCOPE_* */
	uint32_t aflags;        /* IFA_F_*, the 32-bit IFA_FLAGS when present */
	uint32_t preferred_lft; /* IFA_CACHEINFO, seconds; UINT32_MAX = forever */
	uint32_t valid_lft;
};

/* Called once per event; a non-zero return stops the walk and is returned. */
typedef int (*nl_event_fn)(const struct nl_event *ev, void *arg);

/*
 * Walk a buffer of netlink messages as one recv() returned it and call fn
 * for each event. Messages of other types (and NLMSG_DONE) are skipped; a
 * truncated header, a length that runs past the buffer, a body shorter than
 * its fixed part or a malformed attribute makes that message -- and, when
 * its length cannot be trusted, the rest of the buffer -- ILNPDNS_EMALF.
 * NLMSG_ERROR with an error gives its negated errno. Returns the number of
 * events, or a negative code (fn's non-zero return included).
 */
int nl_parse(const uint8_t *buf, size_t len, nl_event_fn fn, void *arg);

/* One event as text for logs and tests ("addr-new if=3 fd00:1::10/64 flags=0x80"). */
int nl_event_to_str(const struct nl_event *ev, char *buf, size_t cap);

/* Address of a RTM_NEWADDR event is tentative, dadfailed, deprecated. */
bool nl_addr_is_tentative(const struct nl_event *ev);
bool nl_addr_is_dadfailed(const struct nl_event *ev);
bool nl_addr_is_deprecated(const struct nl_event *ev);

/* ----- the socket ----- */

struct nl_sock {
	int fd;
	uint32_t seq;
	uint64_t overruns; /* ENOBUFS seen: events were lost, a resync is due */
};

/*
 * Open a NETLINK_ROUTE socket subscribed to links, IPv4 and IPv6
 * addresses and routes (non-blocking, close-on-exec, a large receive
 * buffer so a burst of changes is not lost). Returns 0 or a negated errno.
 */
int nl_open(struct nl_sock *s);
void nl_close(struct nl_sock *s);

/*
 * Dump links, then addresses, then routes, on a private blocking socket,
 * calling fn for each. Links come first so that every address finds its
 * interface name. Returns 0 or a negative code.
 */
int nl_dump_all(nl_event_fn fn, void *arg);

/*
 * Read what is waiting on the subscribed socket (until EAGAIN) and call fn
 * per event. Returns the number of events, or ILNPDNS_EAGAIN after an
 * overrun (ENOBUFS: the caller must resync with nl_dump_all), or another
 * negative code.
 */
int nl_read(struct nl_sock *s, nl_event_fn fn, void *arg);

#endif /* LOCMGR_NETLINK_H */
