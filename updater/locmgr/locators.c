/* SPDX-License-Identifier: BSD-2-Clause */
/* locators.c -- decide the locator set from link and address events (no I/O, no clock). */
#include "config.h"

#include <linux/if_addr.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "locators.h"

/* The rules are in locators.h; the set is recomputed from the tables each time. */

void loc_init(struct loc_machine *m, const struct loc_conf *conf)
{
	memset(m, 0, sizeof(*m));
	m->conf = *conf;
	if (m->conf.nifs > LOC_IF_MAX)
		m->conf.nifs = LOC_IF_MAX;
}

static int if_slot_by_index(const struct loc_machine *m, int ifindex)
{
	if (ifindex <= 0)
		return -1;
	for (size_t i = 0; i < m->conf.nifs; i++)
		if (m->ifs[i].ifindex == ifindex)
			return (int)i;
	return -1;
}

static int if_slot_by_name(const struct loc_machine *m, const char *name)
{
	for (size_t i = 0; i < m->conf.nifs; i++)
		if (strcmp(m->conf.ifs[i].name, name) == 0)
			return (int)i;
	return -1;
}

static bool v6_usable_scope(const struct loc_machine *m, const uint8_t *a)
{
	static const uint8_t zero[16];
	if (a[0] == 0xff)
		return false; /* multicast */
	if (a[0] == 0xfe && (a[1] & 0xc0) == 0x80)
		return false; /* link-local fe80::/10 */
	if (memcmp(a, zero, 15) == 0 && (a[15] == 0 || a[15] == 1))
		return false; /* :: and ::1 */
	if (memcmp(a, zero, 10) == 0 && a[10] == 0xff && a[11] == 0xff)
		return false; /* IPv4-mapped */
	if ((a[0] & 0xfe) == 0xfc)
		return m->conf.ula; /* RFC 4193 */
	return true;
}

static bool v4_usable(const uint8_t *a)
{
	if (a[0] == 0 || a[0] == 127 || a[0] >= 224)
		return false;
	return !(a[0] == 169 && a[1] == 254);
}

/* Whether the address may give a locator now (state aside). */
static bool addr_usable(const struct loc_machine *m, const struct loc_addr *ad)
{
	int i = if_slot_by_index(m, ad->ifindex);
	if (i < 0 || !m->ifs[i].up)
		return false;
	if (ad->family == AF_INET6) {
		if (ad->aflags & (IFA_F_TENTATIVE | IFA_F_DADFAILED))
			return false;
		if (m->conf.need_route && m->ifs[i].routes6 == 0)
			return false;
		return v6_usable_scope(m, ad->addr);
	}
	if (ad->family == AF_INET && m->conf.with_l32) {
		if (m->conf.need_route && m->ifs[i].routes4 == 0)
			return false;
		return v4_usable(ad->addr);
	}
	return false;
}

static bool same_loc(const struct loc_addr *a, const struct loc_addr *b)
{
	if (a->family != b->family)
		return false;
	return memcmp(a->addr, b->addr, a->family == AF_INET6 ? 8 : 4) == 0;
}

static struct loc_addr *addr_find(struct loc_machine *m, const struct nl_event *ev)
{
	size_t alen = ev->family == AF_INET6 ? 16 : 4;
	for (size_t i = 0; i < m->naddrs; i++) {
		struct loc_addr *a = &m->addrs[i];
		if (a->ifindex == ev->ifindex && a->family == ev->family &&
		    memcmp(a->addr, ev->addr, alen) == 0)
			return a;
	}
	return NULL;
}

static void open_window(struct loc_machine *m, uint64_t now, const char *what)
{
	if (!m->pending) {
		m->pending = true;
		m->due_ms = now + m->conf.coalesce_ms;
		memset(&m->trig, 0, sizeof(m->trig));
		m->trig.first_ms = now;
		snprintf(m->trig.what, sizeof(m->trig.what), "%s", what);
	}
	m->trig.events++;
}

/*
 * A never-usable address just became usable on its interface: the other
 * locators of that interface go into soft handoff (after the start-up dump
 * only: at start there is no "old" locator, just the current ones).
 */
static void start_handoff(struct loc_machine *m, const struct loc_addr *fresh, uint64_t now)
{
	if (!m->started)
		return;
	/* A second address of a locator the host already has is nothing new. */
	for (size_t i = 0; i < m->naddrs; i++) {
		const struct loc_addr *a = &m->addrs[i];
		if (a != fresh && same_loc(a, fresh) && addr_usable(m, a))
			return;
	}
	for (size_t i = 0; i < m->naddrs; i++) {
		struct loc_addr *a = &m->addrs[i];
		if (a == fresh || a->ifindex != fresh->ifindex || a->family != fresh->family)
			continue;
		if (same_loc(a, fresh) || a->state != LOC_ACTIVE || !addr_usable(m, a))
			continue;
		a->state = LOC_RETIRING;
		a->retire_at = now + m->conf.grace_ms;
	}
}

static bool on_addr_new(struct loc_machine *m, const struct nl_event *ev, uint64_t now)
{
	if (if_slot_by_index(m, ev->ifindex) < 0)
		return false;
	if (ev->family != AF_INET6 && ev->family != AF_INET)
		return false;
	struct loc_addr *a = addr_find(m, ev);
	bool before = false;
	bool changed;
	if (a == NULL) {
		if (m->naddrs == LOC_ADDR_MAX) {
			m->dropped++;
			return false;
		}
		a = &m->addrs[m->naddrs++];
		memset(a, 0, sizeof(*a));
		a->ifindex = ev->ifindex;
		a->family = ev->family;
		memcpy(a->addr, ev->addr, ev->family == AF_INET6 ? 16 : 4);
		a->state = LOC_ACTIVE;
		changed = true;
	} else {
		before = addr_usable(m, a);
		changed = a->aflags != ev->aflags || a->plen != ev->plen;
	}
	a->seen = true;
	a->plen = ev->plen;
	a->aflags = ev->aflags;
	bool now_usable = addr_usable(m, a);
	if (now_usable && !a->ever_usable) {
		a->ever_usable = true;
		if (!m->resyncing)
			start_handoff(m, a, now);
	}
	return changed || before != now_usable;
}

static bool on_addr_del(struct loc_machine *m, const struct nl_event *ev)
{
	struct loc_addr *a = addr_find(m, ev);
	if (a == NULL)
		return false;
	size_t i = (size_t)(a - m->addrs);
	memmove(&m->addrs[i], &m->addrs[i + 1], (m->naddrs - i - 1) * sizeof(*a));
	m->naddrs--;
	return true;
}

static void drop_addrs_of(struct loc_machine *m, int ifindex)
{
	size_t j = 0;
	for (size_t i = 0; i < m->naddrs; i++)
		if (m->addrs[i].ifindex != ifindex)
			m->addrs[j++] = m->addrs[i];
	m->naddrs = j;
}

static bool on_link(struct loc_machine *m, const struct nl_event *ev)
{
	int i = if_slot_by_index(m, ev->ifindex);
	bool renamed = false;
	if (i >= 0 && ev->ifname[0] != '\0' && strcmp(m->conf.ifs[i].name, ev->ifname) != 0) {
		/* Renamed away from a watched name: it is no longer ours. */
		drop_addrs_of(m, ev->ifindex);
		memset(&m->ifs[i], 0, sizeof(m->ifs[i]));
		renamed = true;
		i = -1;
	}
	if (i < 0 && ev->ifname[0] != '\0')
		i = if_slot_by_name(m, ev->ifname);
	if (i < 0)
		return renamed;
	struct loc_if *f = &m->ifs[i];
	bool changed = renamed || f->ifindex != ev->ifindex || f->up != ev->up;
	if (f->ifindex != ev->ifindex) {
		drop_addrs_of(m, f->ifindex);
		f->routes4 = f->routes6 = 0;
	}
	f->ifindex = ev->ifindex;
	f->up = ev->up;
	return changed;
}

static bool on_link_del(struct loc_machine *m, const struct nl_event *ev)
{
	int i = if_slot_by_index(m, ev->ifindex);
	if (i < 0)
		return false;
	drop_addrs_of(m, ev->ifindex);
	memset(&m->ifs[i], 0, sizeof(m->ifs[i]));
	return true;
}

static bool on_route(struct loc_machine *m, const struct nl_event *ev, bool add)
{
	int i = if_slot_by_index(m, ev->ifindex);
	if (i < 0)
		return false;
	unsigned *n = ev->family == AF_INET6 ? &m->ifs[i].routes6 : &m->ifs[i].routes4;
	unsigned old = *n;
	if (add)
		(*n)++;
	else if (*n > 0)
		(*n)--;
	/* Only the presence of a default route of a family we publish matters. */
	if (ev->family != AF_INET6 && !m->conf.with_l32)
		return false;
	return m->conf.need_route && ((old == 0) != (*n == 0));
}

/*
 * A handoff whose new locator left again (or whose link bounced) has nothing
 * to hand off to: the old locators of that interface are plain ones again.
 */
static void restore_orphans(struct loc_machine *m)
{
	for (size_t i = 0; i < m->naddrs; i++) {
		struct loc_addr *a = &m->addrs[i];
		if (a->state == LOC_ACTIVE)
			continue;
		bool active_peer = false;
		for (size_t j = 0; j < m->naddrs && !active_peer; j++) {
			const struct loc_addr *b = &m->addrs[j];
			active_peer = b->ifindex == a->ifindex && b->family == a->family &&
			              b->state == LOC_ACTIVE && addr_usable(m, b);
		}
		if (!active_peer)
			a->state = LOC_ACTIVE;
	}
}

bool loc_event(struct loc_machine *m, const struct nl_event *ev, uint64_t now_ms)
{
	bool changed = false;
	switch (ev->type) {
	case NL_EV_LINK:
		changed = on_link(m, ev);
		break;
	case NL_EV_LINK_DEL:
		changed = on_link_del(m, ev);
		break;
	case NL_EV_ADDR_NEW:
		changed = on_addr_new(m, ev, now_ms);
		break;
	case NL_EV_ADDR_DEL:
		changed = on_addr_del(m, ev);
		break;
	case NL_EV_ROUTE_NEW:
	case NL_EV_ROUTE_DEL:
		changed = on_route(m, ev, ev->type == NL_EV_ROUTE_NEW);
		break;
	}
	restore_orphans(m);
	if (changed) {
		char what[96];
		nl_event_to_str(ev, what, sizeof(what));
		open_window(m, now_ms, what);
	}
	return changed;
}

void loc_start(struct loc_machine *m, uint64_t now_ms)
{
	m->started = true;
	m->pending = true;
	m->due_ms = now_ms;
	memset(&m->trig, 0, sizeof(m->trig));
	m->trig.first_ms = now_ms;
	m->trig.reconcile = true;
	snprintf(m->trig.what, sizeof(m->trig.what), "start");
}

void loc_resync_begin(struct loc_machine *m)
{
	m->resyncing = true;
	for (size_t i = 0; i < m->naddrs; i++)
		m->addrs[i].seen = false;
	for (size_t i = 0; i < m->conf.nifs; i++)
		m->ifs[i].routes4 = m->ifs[i].routes6 = 0;
}

void loc_resync_end(struct loc_machine *m, uint64_t now_ms)
{
	size_t j = 0;
	for (size_t i = 0; i < m->naddrs; i++)
		if (m->addrs[i].seen)
			m->addrs[j++] = m->addrs[i];
	m->naddrs = j;
	m->resyncing = false;
	open_window(m, now_ms, "resync");
}

uint64_t loc_next_due(const struct loc_machine *m)
{
	uint64_t due = m->pending ? m->due_ms : UINT64_MAX;
	for (size_t i = 0; i < m->naddrs; i++)
		if (m->addrs[i].state == LOC_RETIRING && m->addrs[i].retire_at < due)
			due = m->addrs[i].retire_at;
	return due;
}

static uint16_t pref_of(const struct loc_machine *m, const struct loc_addr *a)
{
	int i = if_slot_by_index(m, a->ifindex);
	unsigned p = i >= 0 ? m->conf.ifs[i].pref : LOC_PREF_MAX;
	if (a->state != LOC_ACTIVE)
		p += LOC_PREF_RETIRING;
	if (a->family == AF_INET6 && (a->aflags & IFA_F_DEPRECATED))
		p += LOC_PREF_DEPRECATED;
	return (uint16_t)p;
}

/* Does the interface of a have a usable, non-superseded address of its family? */
static bool if_has_better(const struct loc_machine *m, const struct loc_addr *a)
{
	for (size_t i = 0; i < m->naddrs; i++) {
		const struct loc_addr *b = &m->addrs[i];
		if (b->ifindex == a->ifindex && b->family == a->family &&
		    b->state != LOC_SUPERSEDED && addr_usable(m, b))
			return true;
	}
	return false;
}

static int cmp64(const void *x, const void *y)
{
	const struct ilnpdns_upd_loc64 *a = x, *b = y;
	if (a->pref != b->pref)
		return a->pref < b->pref ? -1 : 1;
	return memcmp(a->loc, b->loc, 8);
}

static int cmp32(const void *x, const void *y)
{
	const struct ilnpdns_upd_loc32 *a = x, *b = y;
	if (a->pref != b->pref)
		return a->pref < b->pref ? -1 : 1;
	return memcmp(a->loc, b->loc, 4);
}

void loc_compute(const struct loc_machine *m, struct ilnpdns_upd_locset *out)
{
	/* Gather every candidate with its best preference, then keep the best 16. */
	struct ilnpdns_upd_loc64 l64[LOC_ADDR_MAX];
	struct ilnpdns_upd_loc32 l32[LOC_ADDR_MAX];
	size_t n64 = 0, n32 = 0;

	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < m->naddrs; i++) {
		const struct loc_addr *a = &m->addrs[i];
		if (!addr_usable(m, a))
			continue;
		if (a->state == LOC_SUPERSEDED && if_has_better(m, a))
			continue;
		uint16_t p = pref_of(m, a);
		if (a->family == AF_INET6) {
			size_t k;
			for (k = 0; k < n64 && memcmp(l64[k].loc, a->addr, 8) != 0; k++)
				;
			if (k == n64) {
				memcpy(l64[n64].loc, a->addr, 8);
				l64[n64++].pref = p;
			} else if (p < l64[k].pref) {
				l64[k].pref = p;
			}
		} else {
			size_t k;
			for (k = 0; k < n32 && memcmp(l32[k].loc, a->addr, 4) != 0; k++)
				;
			if (k == n32) {
				memcpy(l32[n32].loc, a->addr, 4);
				l32[n32++].pref = p;
			} else if (p < l32[k].pref) {
				l32[k].pref = p;
			}
		}
	}
	qsort(l64, n64, sizeof(l64[0]), cmp64);
	qsort(l32, n32, sizeof(l32[0]), cmp32);
	out->n64 = n64 < ILNPDNS_UPD_LOC_MAX ? n64 : ILNPDNS_UPD_LOC_MAX;
	out->n32 = n32 < ILNPDNS_UPD_LOC_MAX ? n32 : ILNPDNS_UPD_LOC_MAX;
	memcpy(out->l64, l64, out->n64 * sizeof(l64[0]));
	memcpy(out->l32, l32, out->n32 * sizeof(l32[0]));
}

bool loc_set_equal(const struct ilnpdns_upd_locset *a, const struct ilnpdns_upd_locset *b)
{
	if (a->n64 != b->n64 || a->n32 != b->n32)
		return false;
	for (size_t i = 0; i < a->n64; i++)
		if (a->l64[i].pref != b->l64[i].pref ||
		    memcmp(a->l64[i].loc, b->l64[i].loc, 8) != 0)
			return false;
	for (size_t i = 0; i < a->n32; i++)
		if (a->l32[i].pref != b->l32[i].pref ||
		    memcmp(a->l32[i].loc, b->l32[i].loc, 4) != 0)
			return false;
	return true;
}

bool loc_due(struct loc_machine *m, uint64_t now_ms, struct ilnpdns_upd_locset *out,
             struct loc_trigger *why)
{
	bool graced = false;
	for (size_t i = 0; i < m->naddrs; i++) {
		struct loc_addr *a = &m->addrs[i];
		if (a->state == LOC_RETIRING && a->retire_at <= now_ms) {
			a->state = LOC_SUPERSEDED;
			graced = true;
		}
	}
	if (graced && !m->pending) {
		/* The handoff completes at the end of its grace time: no extra window. */
		open_window(m, now_ms, "soft-handoff grace over");
		m->due_ms = now_ms;
		m->trig.grace = true;
	}
	/* Nothing goes out before the start-up dump is complete (loc_start). */
	if (!m->started || !m->pending || now_ms < m->due_ms)
		return false;
	m->pending = false;

	struct ilnpdns_upd_locset set;
	loc_compute(m, &set);
	if (set.n64 == 0 && set.n32 == 0) {
		m->empty++;
		return false;
	}
	if (m->have_last && loc_set_equal(&set, &m->last) && !m->trig.reconcile)
		return false;
	m->last = set;
	m->have_last = true;
	*out = set;
	if (why != NULL)
		*why = m->trig;
	return true;
}

int loc_set_to_str(const struct ilnpdns_upd_locset *s, char *buf, size_t cap)
{
	size_t off = 0;
	int n;
	buf[0] = '\0';
	for (size_t i = 0; i < s->n64; i++) {
		const uint8_t *l = s->l64[i].loc;
		n = snprintf(buf + off, cap - off, "%s%u %x:%x:%x:%x", i ? ", " : "",
		             s->l64[i].pref, l[0] << 8 | l[1], l[2] << 8 | l[3], l[4] << 8 | l[5],
		             l[6] << 8 | l[7]);
		if (n < 0 || (size_t)n >= cap - off)
			return -1;
		off += (size_t)n;
	}
	for (size_t i = 0; i < s->n32; i++) {
		const uint8_t *l = s->l32[i].loc;
		n = snprintf(buf + off, cap - off, "%s%u %u.%u.%u.%u",
		             i ? ", " : (s->n64 ? "; L32 " : "L32 "), s->l32[i].pref, l[0], l[1],
		             l[2], l[3]);
		if (n < 0 || (size_t)n >= cap - off)
			return -1;
		off += (size_t)n;
	}
	return (int)off;
}
