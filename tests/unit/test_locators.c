/* SPDX-License-Identifier: BSD-2-Clause */
/* test_locators.c -- the locator manager's state machine driven by fake netlink events, rule by
 * rule. */
#include "config.h"

#include <arpa/inet.h>
#include <linux/if_addr.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "locators.h"

#define IF_A 3 /* uplink "a", preference 10 */
#define IF_B 4 /* uplink "b", preference 20 */
#define IF_X 9 /* not watched */

static struct loc_machine *m;

static void conf_two(struct loc_conf *c)
{
	memset(c, 0, sizeof(*c));
	c->nifs = 2;
	snprintf(c->ifs[0].name, sizeof(c->ifs[0].name), "a");
	c->ifs[0].pref = 10;
	snprintf(c->ifs[1].name, sizeof(c->ifs[1].name), "b");
	c->ifs[1].pref = 20;
	c->ula = true;
	c->coalesce_ms = 20;
	c->grace_ms = 5000;
}

static bool link_ev(int idx, const char *name, bool up, uint64_t now)
{
	struct nl_event ev = {.type = NL_EV_LINK, .ifindex = idx, .up = up};
	snprintf(ev.ifname, sizeof(ev.ifname), "%s", name);
	ev.ifflags = up ? (IFF_UP | IFF_RUNNING) : 0;
	return loc_event(m, &ev, now);
}

static bool addr_ev(enum nl_ev_type t, int idx, const char *text, uint32_t flags, uint64_t now)
{
	struct nl_event ev = {.type = t, .ifindex = idx, .aflags = flags, .plen = 64};
	if (strchr(text, ':') != NULL) {
		ev.family = AF_INET6;
		assert_int_equal(inet_pton(AF_INET6, text, ev.addr), 1);
	} else {
		ev.family = AF_INET;
		ev.plen = 24;
		assert_int_equal(inet_pton(AF_INET, text, ev.addr), 1);
	}
	return loc_event(m, &ev, now);
}

static bool add(int idx, const char *text, uint64_t now)
{
	return addr_ev(NL_EV_ADDR_NEW, idx, text, IFA_F_PERMANENT, now);
}

static bool del(int idx, const char *text, uint64_t now)
{
	return addr_ev(NL_EV_ADDR_DEL, idx, text, IFA_F_PERMANENT, now);
}

static bool route_ev(enum nl_ev_type t, int idx, int af, uint64_t now)
{
	struct nl_event ev = {.type = t, .ifindex = idx, .family = (uint8_t)af};
	return loc_event(m, &ev, now);
}

/* Build the expected set from "pref prefix" pairs ("10 fd00:1::"). */
static void want64(struct ilnpdns_upd_locset *s, size_t n, ...)
{
	va_list ap;
	memset(s, 0, sizeof(*s));
	va_start(ap, n);
	for (size_t i = 0; i < n; i++) {
		uint8_t a[16];
		s->l64[i].pref = (uint16_t)va_arg(ap, int);
		assert_int_equal(inet_pton(AF_INET6, va_arg(ap, const char *), a), 1);
		memcpy(s->l64[i].loc, a, 8);
	}
	va_end(ap);
	s->n64 = n;
}

static void assert_set(const struct ilnpdns_upd_locset *got, const struct ilnpdns_upd_locset *want)
{
	char g[512], w[512];
	loc_set_to_str(got, g, sizeof(g));
	loc_set_to_str(want, w, sizeof(w));
	if (!loc_set_equal(got, want))
		fail_msg("set \"%s\", expected \"%s\"", g, w);
}

static void assert_now(const struct ilnpdns_upd_locset *want)
{
	struct ilnpdns_upd_locset got;
	loc_compute(m, &got);
	assert_set(&got, want);
}

/* Two uplinks up, one address each, dump done, reconcile published at t=0. */
static int setup_two(void **state)
{
	struct loc_conf c;
	struct ilnpdns_upd_locset set;
	(void)state;
	m = calloc(1, sizeof(*m));
	if (m == NULL)
		return -1;
	conf_two(&c);
	loc_init(m, &c);
	link_ev(IF_A, "a", true, 0);
	link_ev(IF_B, "b", true, 0);
	add(IF_A, "fd00:1::10", 0);
	add(IF_B, "fd00:2::10", 0);
	loc_start(m, 0);
	if (!loc_due(m, 0, &set, NULL))
		return -1;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	free(m);
	m = NULL;
	return 0;
}

static void test_reconcile_at_start(void **state)
{
	struct loc_conf c;
	struct ilnpdns_upd_locset set, want;
	struct loc_trigger why;
	(void)state;
	conf_two(&c);
	loc_init(m, &c);
	link_ev(IF_A, "a", true, 0);
	link_ev(IF_B, "b", true, 0);
	add(IF_B, "fd00:2::10", 0);
	add(IF_A, "fd00:1::10", 0);
	/* Before loc_start nothing is handed out, however long we wait. */
	assert_false(loc_due(m, 100, &set, NULL));
	loc_start(m, 1000);
	assert_int_equal(loc_next_due(m), 1000);
	assert_true(loc_due(m, 1000, &set, &why));
	assert_true(why.reconcile);
	want64(&want, 2, 10, "fd00:1::", 20, "fd00:2::");
	assert_set(&set, &want);
	/* Dump addresses are not "new": no soft handoff started. */
	for (size_t i = 0; i < m->naddrs; i++)
		assert_int_equal(m->addrs[i].state, LOC_ACTIVE);
	assert_int_equal(loc_next_due(m), UINT64_MAX);
}

static void test_unusable_addresses(void **state)
{
	struct loc_conf c;
	struct ilnpdns_upd_locset want;
	(void)state;
	conf_two(&c);
	c.ula = false;
	loc_init(m, &c);
	link_ev(IF_A, "a", true, 0);
	link_ev(IF_X, "x", true, 0);
	loc_start(m, 0);
	add(IF_A, "fe80::1", 0);   /* link-local */
	add(IF_A, "ff02::1", 0);   /* multicast */
	add(IF_A, "::1", 0);       /* loopback */
	add(IF_A, "fd00:9::1", 0); /* ULA, not allowed here */
	add(IF_A, "10.0.0.1", 0);  /* IPv4 without with_l32 */
	addr_ev(NL_EV_ADDR_NEW, IF_A, "2001:db8:1::1", IFA_F_TENTATIVE, 0);
	addr_ev(NL_EV_ADDR_NEW, IF_A, "2001:db8:2::1", IFA_F_DADFAILED | IFA_F_TENTATIVE, 0);
	add(IF_X, "2001:db8:3::1", 0); /* unwatched interface */
	want64(&want, 0);
	assert_now(&want);
	/* DAD ends for the first: now it counts. */
	addr_ev(NL_EV_ADDR_NEW, IF_A, "2001:db8:1::1", 0, 0);
	want64(&want, 1, 10, "2001:db8:1::");
	assert_now(&want);
}

static void test_same_prefix_once_best_pref(void **state)
{
	struct ilnpdns_upd_locset want;
	(void)state;
	/* The same /64 on both uplinks (and twice on a): one locator, the best preference. */
	add(IF_B, "fd00:1::20", 10);
	add(IF_A, "fd00:1::11", 10);
	want64(&want, 2, 10, "fd00:1::", 20, "fd00:2::");
	assert_now(&want);
	del(IF_A, "fd00:1::10", 20);
	del(IF_A, "fd00:1::11", 20);
	want64(&want, 2, 20, "fd00:1::", 20, "fd00:2::");
	assert_now(&want);
}

static void test_deprecated_ranked_last(void **state)
{
	struct ilnpdns_upd_locset set, want;
	(void)state;
	addr_ev(NL_EV_ADDR_NEW, IF_A, "fd00:1::10", IFA_F_DEPRECATED, 100);
	assert_true(loc_due(m, 120, &set, NULL));
	want64(&want, 2, 20, "fd00:2::", 10 + LOC_PREF_DEPRECATED, "fd00:1::");
	assert_set(&set, &want);
	/* A preferred lifetime renewed: back in front. */
	addr_ev(NL_EV_ADDR_NEW, IF_A, "fd00:1::10", 0, 200);
	assert_true(loc_due(m, 220, &set, NULL));
	want64(&want, 2, 10, "fd00:1::", 20, "fd00:2::");
	assert_set(&set, &want);
}

static void test_dead_link_one_update(void **state)
{
	struct ilnpdns_upd_locset set, want;
	struct loc_trigger why;
	(void)state;
	/* Link a dies, then the kernel removes its address: one window, one set. */
	assert_true(link_ev(IF_A, "a", false, 100));
	assert_int_equal(loc_next_due(m), 120);
	assert_true(del(IF_A, "fd00:1::10", 105));
	assert_int_equal(loc_next_due(m), 120); /* not extended */
	assert_false(loc_due(m, 119, &set, NULL));
	assert_true(loc_due(m, 120, &set, &why));
	assert_int_equal(why.events, 2);
	assert_int_equal(why.first_ms, 100);
	assert_non_null(strstr(why.what, "link"));
	want64(&want, 1, 20, "fd00:2::");
	assert_set(&set, &want);
	assert_false(loc_due(m, 500, &set, NULL));
	assert_int_equal(loc_next_due(m), UINT64_MAX);
}

static void test_carrier_loss_withdraws(void **state)
{
	struct ilnpdns_upd_locset set, want;
	(void)state;
	/* Carrier lost: the kernel keeps the address, the locator still goes. */
	link_ev(IF_B, "b", false, 100);
	assert_true(loc_due(m, 120, &set, NULL));
	want64(&want, 1, 10, "fd00:1::");
	assert_set(&set, &want);
	/* And comes back with the carrier, without a soft handoff. */
	link_ev(IF_B, "b", true, 200);
	assert_true(loc_due(m, 220, &set, NULL));
	want64(&want, 2, 10, "fd00:1::", 20, "fd00:2::");
	assert_set(&set, &want);
}

static void test_no_change_no_update(void **state)
{
	struct ilnpdns_upd_locset set;
	(void)state;
	/* Gone and back within the window: same set, nothing to send. */
	assert_true(del(IF_B, "fd00:2::10", 100));
	assert_true(add(IF_B, "fd00:2::10", 110));
	assert_false(loc_due(m, 120, &set, NULL));
	/* A repeated identical RTM_NEWADDR changes nothing at all. */
	assert_false(add(IF_B, "fd00:2::10", 200));
	assert_int_equal(loc_next_due(m), UINT64_MAX);
}

static void test_soft_handoff_grace(void **state)
{
	struct ilnpdns_upd_locset set, want;
	struct loc_trigger why;
	(void)state;
	/* A new prefix on a while fd00:1 works: both, the new one preferred. */
	add(IF_A, "fd00:3::10", 1000);
	assert_true(loc_due(m, 1020, &set, NULL));
	want64(&want, 3, 10, "fd00:3::", 20, "fd00:2::", 10 + LOC_PREF_RETIRING, "fd00:1::");
	assert_set(&set, &want);
	/* The grace time ends: the old one is dropped in its own update. */
	assert_int_equal(loc_next_due(m), 6000);
	assert_false(loc_due(m, 5999, &set, NULL));
	assert_true(loc_due(m, 6000, &set, &why));
	assert_true(why.grace);
	want64(&want, 2, 10, "fd00:3::", 20, "fd00:2::");
	assert_set(&set, &want);
	/* The superseded address is still there: if the new one leaves, it is back. */
	del(IF_A, "fd00:3::10", 7000);
	assert_true(loc_due(m, 7020, &set, NULL));
	want64(&want, 2, 10, "fd00:1::", 20, "fd00:2::");
	assert_set(&set, &want);
}

static void test_soft_handoff_old_leaves(void **state)
{
	struct ilnpdns_upd_locset set, want;
	(void)state;
	add(IF_A, "fd00:3::10", 1000);
	assert_true(loc_due(m, 1020, &set, NULL));
	/* The old locator leaves the host before the grace time: dropped at once. */
	del(IF_A, "fd00:1::10", 2000);
	assert_true(loc_due(m, 2020, &set, NULL));
	want64(&want, 2, 10, "fd00:3::", 20, "fd00:2::");
	assert_set(&set, &want);
	assert_int_equal(loc_next_due(m), UINT64_MAX);
}

static void test_soft_handoff_tentative_then_usable(void **state)
{
	struct ilnpdns_upd_locset set, want;
	(void)state;
	/* A tentative address starts nothing; the handoff starts when DAD ends. */
	addr_ev(NL_EV_ADDR_NEW, IF_A, "fd00:3::10", IFA_F_TENTATIVE, 1000);
	assert_false(loc_due(m, 1020, &set, NULL));
	want64(&want, 2, 10, "fd00:1::", 20, "fd00:2::");
	assert_now(&want);
	addr_ev(NL_EV_ADDR_NEW, IF_A, "fd00:3::10", 0, 2000);
	assert_true(loc_due(m, 2020, &set, NULL));
	want64(&want, 3, 10, "fd00:3::", 20, "fd00:2::", 10 + LOC_PREF_RETIRING, "fd00:1::");
	assert_set(&set, &want);
	assert_int_equal(loc_next_due(m), 7000);
}

static void test_new_uplink_is_multihoming(void **state)
{
	struct ilnpdns_upd_locset set, want;
	struct loc_conf c;
	(void)state;
	conf_two(&c);
	loc_init(m, &c);
	link_ev(IF_A, "a", true, 0);
	link_ev(IF_B, "b", true, 0);
	add(IF_A, "fd00:1::10", 0);
	loc_start(m, 0);
	assert_true(loc_due(m, 0, &set, NULL));
	/* A locator on another interface is not a handoff: config preferences rule. */
	add(IF_B, "fd00:2::10", 100);
	assert_true(loc_due(m, 120, &set, NULL));
	want64(&want, 2, 10, "fd00:1::", 20, "fd00:2::");
	assert_set(&set, &want);
	assert_int_equal(loc_next_due(m), UINT64_MAX);
}

static void test_empty_never_published(void **state)
{
	struct ilnpdns_upd_locset set;
	(void)state;
	link_ev(IF_A, "a", false, 100);
	link_ev(IF_B, "b", false, 100);
	assert_false(loc_due(m, 120, &set, NULL));
	assert_int_equal(m->empty, 1);
	/* The previous set stays the reference: the same set back is no failover. */
	link_ev(IF_A, "a", true, 200);
	link_ev(IF_B, "b", true, 200);
	assert_false(loc_due(m, 220, &set, NULL));
}

static void test_l32(void **state)
{
	struct loc_conf c;
	struct ilnpdns_upd_locset set;
	(void)state;
	conf_two(&c);
	c.with_l32 = true;
	loc_init(m, &c);
	link_ev(IF_A, "a", true, 0);
	link_ev(IF_B, "b", true, 0);
	add(IF_A, "10.1.0.10", 0);
	add(IF_B, "192.0.2.7", 0);
	add(IF_B, "169.254.1.1", 0);
	add(IF_B, "127.0.0.2", 0);
	loc_start(m, 0);
	assert_true(loc_due(m, 0, &set, NULL));
	assert_int_equal(set.n64, 0);
	assert_int_equal(set.n32, 2);
	assert_int_equal(set.l32[0].pref, 10);
	assert_int_equal(set.l32[0].loc[0], 10);
	assert_int_equal(set.l32[1].pref, 20);
	assert_int_equal(set.l32[1].loc[0], 192);
	char buf[128];
	assert_true(loc_set_to_str(&set, buf, sizeof(buf)) > 0);
	assert_string_equal(buf, "L32 10 10.1.0.10, 20 192.0.2.7");
}

static void test_need_route(void **state)
{
	struct loc_conf c;
	struct ilnpdns_upd_locset set, want;
	(void)state;
	conf_two(&c);
	c.need_route = true;
	loc_init(m, &c);
	link_ev(IF_A, "a", true, 0);
	add(IF_A, "fd00:1::10", 0);
	loc_start(m, 0);
	assert_false(loc_due(m, 0, &set, NULL)); /* no default route: empty */
	assert_true(route_ev(NL_EV_ROUTE_NEW, IF_A, AF_INET6, 100));
	assert_true(loc_due(m, 120, &set, NULL));
	want64(&want, 1, 10, "fd00:1::");
	assert_set(&set, &want);
	/* An IPv4 default route does not make IPv6 usable, nor does its loss matter. */
	assert_false(route_ev(NL_EV_ROUTE_NEW, IF_A, AF_INET, 200));
	assert_true(route_ev(NL_EV_ROUTE_DEL, IF_A, AF_INET6, 300));
	want64(&want, 0);
	assert_now(&want);
}

static void test_link_rename_and_delete(void **state)
{
	struct ilnpdns_upd_locset want;
	struct nl_event ev = {.type = NL_EV_LINK_DEL, .ifindex = IF_B};
	(void)state;
	/* b renamed to something unwatched: its addresses no longer count. */
	assert_true(link_ev(IF_B, "other", true, 100));
	want64(&want, 1, 10, "fd00:1::");
	assert_now(&want);
	/* a deleted. */
	ev.ifindex = IF_A;
	assert_true(loc_event(m, &ev, 200));
	want64(&want, 0);
	assert_now(&want);
	/* A new link named a gets a fresh start. */
	link_ev(12, "a", true, 300);
	add(12, "fd00:5::1", 300);
	want64(&want, 1, 10, "fd00:5::");
	assert_now(&want);
}

static void test_resync(void **state)
{
	struct ilnpdns_upd_locset set, want;
	(void)state;
	/* After an overrun the dump reports fd00:1 only: fd00:2 left meanwhile. */
	loc_resync_begin(m);
	link_ev(IF_A, "a", true, 100);
	link_ev(IF_B, "b", true, 100);
	add(IF_A, "fd00:1::10", 100);
	loc_resync_end(m, 100);
	assert_true(loc_due(m, 120, &set, NULL));
	want64(&want, 1, 10, "fd00:1::");
	assert_set(&set, &want);
	/* An address reported again by a resync is no new locator: no handoff. */
	for (size_t i = 0; i < m->naddrs; i++)
		assert_int_equal(m->addrs[i].state, LOC_ACTIVE);
}

static void test_at_most_16(void **state)
{
	struct ilnpdns_upd_locset set;
	char text[64];
	(void)state;
	for (int i = 0; i < 20; i++) {
		snprintf(text, sizeof(text), "2001:db8:%x::1", i + 1);
		add(IF_B, text, 100);
	}
	loc_compute(m, &set);
	assert_int_equal(set.n64, ILNPDNS_UPD_LOC_MAX);
	/* The best preference survives the cut. */
	assert_int_equal(set.l64[0].pref, 10);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_reconcile_at_start, setup_two, teardown),
	    cmocka_unit_test_setup_teardown(test_unusable_addresses, setup_two, teardown),
	    cmocka_unit_test_setup_teardown(test_same_prefix_once_best_pref, setup_two, teardown),
	    cmocka_unit_test_setup_teardown(test_deprecated_ranked_last, setup_two, teardown),
	    cmocka_unit_test_setup_teardown(test_dead_link_one_update, setup_two, teardown),
	    cmocka_unit_test_setup_teardown(test_carrier_loss_withdraws, setup_two, teardown),
	    cmocka_unit_test_setup_teardown(test_no_change_no_update, setup_two, teardown),
	    cmocka_unit_test_setup_teardown(test_soft_handoff_grace, setup_two, teardown),
	    cmocka_unit_test_setup_teardown(test_soft_handoff_old_leaves, setup_two, teardown),
	    cmocka_unit_test_setup_teardown(test_soft_handoff_tentative_then_usable, setup_two,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_new_uplink_is_multihoming, setup_two, teardown),
	    cmocka_unit_test_setup_teardown(test_empty_never_published, setup_two, teardown),
	    cmocka_unit_test_setup_teardown(test_l32, setup_two, teardown),
	    cmocka_unit_test_setup_teardown(test_need_route, setup_two, teardown),
	    cmocka_unit_test_setup_teardown(test_link_rename_and_delete, setup_two, teardown),
	    cmocka_unit_test_setup_teardown(test_resync, setup_two, teardown),
	    cmocka_unit_test_setup_teardown(test_at_most_16, setup_two, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
