/* SPDX-License-Identifier: BSD-2-Clause */
/* locators.h -- the locator manager's state machine: events in, the locator set to publish out. */
#ifndef LOCMGR_LOCATORS_H
#define LOCMGR_LOCATORS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ilnpdns/updater.h"
#include "netlink.h"

/*
 * A pure state machine (no I/O, no clock: every call is given "now" in
 * milliseconds of a monotonic clock), so unit tests drive it with fake
 * events. The rules:
 *
 *  - A usable address is on a watched interface that is up (IFF_UP and
 *    carrier), IPv6 of global scope, not link-local, loopback, multicast
 *    or unspecified, not tentative and not dadfailed (RFC 4862 5.4: an
 *    address is not ours until DAD ends); ULAs (fc00::/7, RFC 4193) only
 *    when conf.ula. With conf.with_l32, IPv4 addresses other than 0/8,
 *    127/8, 169.254/16 and multicast give L32 locators. With
 *    conf.need_route, an address counts only while its interface carries
 *    a default route of its family.
 *  - The L64 locator is the address's first 64 bits (RFC 6740 3.1); an L32
 *    is the IPv4 address. Addresses sharing a locator give it once, with
 *    the best (lowest, RFC 6742 2.3) preference among them.
 *  - Preference: the interface's from the configuration; an address in
 *    soft handoff (below) ranks LOC_PREF_RETIRING after it, a deprecated
 *    one (RFC 4862 5.5.4) LOC_PREF_DEPRECATED after it, so both rank after
 *    every working locator.
 *  - Soft handoff (the paper's Fig. 2b): when an address that was never
 *    usable becomes usable on an interface that already has usable
 *    addresses of other locators, after the start-up dump, those become
 *    RETIRING: still published, ranked after the new one, until they leave
 *    the host or conf.grace_ms passes, after which they are SUPERSEDED and
 *    left out -- unless their interface has nothing better left.
 *  - Every change of state opens a coalescing window of conf.coalesce_ms
 *    from its first event (not extended by later ones, so the delay is
 *    bounded); when it closes the set is computed, and if it differs from
 *    the last set handed out it is a failover: one publication. So a link
 *    that goes down and the addresses that then leave it, or a dead link
 *    withdrawn while the survivor is promoted, make one update.
 *  - An empty set is never handed out: withdrawing every locator helps no
 *    correspondent, and a host booting without addresses must not wipe its
 *    records. loc_start() hands out the first set at once (the reconcile).
 */

#define LOC_IF_MAX          16
#define LOC_ADDR_MAX        128
#define LOC_PREF_MAX        499 /* configured preferences */
#define LOC_PREF_RETIRING   500
#define LOC_PREF_DEPRECATED 1000

struct loc_ifconf {
	char name[16]; /* IF_NAMESIZE */
	uint16_t pref;
};

struct loc_conf {
	struct loc_ifconf ifs[LOC_IF_MAX];
	size_t nifs;
	bool ula;
	bool with_l32;
	bool need_route;
	uint32_t coalesce_ms;
	uint32_t grace_ms;
};

enum loc_addr_state {
	LOC_ACTIVE,
	LOC_RETIRING,   /* soft handoff: published, ranked after the new locator */
	LOC_SUPERSEDED, /* grace over: left out while the interface has better */
};

struct loc_addr {
	int ifindex;
	uint8_t family;
	uint8_t addr[16];
	uint8_t plen;
	uint32_t aflags;
	bool ever_usable;
	enum loc_addr_state state;
	uint64_t retire_at; /* LOC_RETIRING: when it becomes SUPERSEDED */
	bool seen;          /* during a resync: reported again by the dump */
};

struct loc_if {
	int ifindex; /* 0 while no link of that name is known */
	bool up;
	unsigned routes4, routes6; /* default routes through it */
};

/* Why a set is handed out (for the failover log). */
struct loc_trigger {
	uint64_t first_ms; /* first event of the window (monotonic) */
	unsigned events;   /* state changes coalesced */
	bool reconcile;    /* loc_start() */
	bool grace;        /* a soft handoff's grace time ran out */
	char what[96];     /* the first change, as text */
};

struct loc_machine {
	struct loc_conf conf;
	struct loc_if ifs[LOC_IF_MAX];
	struct loc_addr addrs[LOC_ADDR_MAX];
	size_t naddrs;
	bool started;
	bool resyncing;
	bool pending;    /* a window is open */
	uint64_t due_ms; /* when it closes */
	struct loc_trigger trig;
	bool have_last;
	struct ilnpdns_upd_locset last; /* the last set handed out */
	uint64_t dropped;               /* addresses ignored for lack of room */
	uint64_t empty;                 /* windows that ended with an empty set */
};

/* Start with no links and no addresses. conf is copied. */
void loc_init(struct loc_machine *m, const struct loc_conf *conf);

/*
 * One event at now_ms. Returns true when it changed anything the set
 * depends on (a window is then open).
 */
bool loc_event(struct loc_machine *m, const struct nl_event *ev, uint64_t now_ms);

/* The start-up dump is in: from now on new addresses start soft handoffs, and
 * the current set is handed out at once. */
void loc_start(struct loc_machine *m, uint64_t now_ms);

/* Forget links and addresses before a full re-dump (after a netlink overrun);
 * soft handoff states survive for the addresses that come back. */
void loc_resync_begin(struct loc_machine *m);
void loc_resync_end(struct loc_machine *m, uint64_t now_ms);

/* When loc_due() should be called next; UINT64_MAX when nothing is pending. */
uint64_t loc_next_due(const struct loc_machine *m);

/*
 * Close what is due at now_ms (windows, grace times). Returns true with the
 * set in *out and the reason in *why (may be NULL) when a new set must be
 * published.
 */
bool loc_due(struct loc_machine *m, uint64_t now_ms, struct ilnpdns_upd_locset *out,
             struct loc_trigger *why);

/* The set as it stands now (sorted: preference, then value). */
void loc_compute(const struct loc_machine *m, struct ilnpdns_upd_locset *out);

/* Sets in canonical order compare equal (preferences included). */
bool loc_set_equal(const struct ilnpdns_upd_locset *a, const struct ilnpdns_upd_locset *b);

/* "10 fd00:1:0:0, 20 fd00:2:0:0" (L64) and "; L32 ..." when there are any. */
int loc_set_to_str(const struct ilnpdns_upd_locset *s, char *buf, size_t cap);

#endif /* LOCMGR_LOCATORS_H */
