/* SPDX-License-Identifier: BSD-2-Clause */
/* test_netlink.c -- rtnetlink parsing on datagrams captured from a real kernel, and malformed ones.
 */
#include "config.h"

#include <arpa/inet.h>
#include <linux/if_addr.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "ilnpdns/error.h"
#include "locators.h"
#include "netlink.h"

/* See tests/unit/data/netlink/README for how the captures were made. */

#define MAX_EV  64
#define MAX_DGM 32

struct capture {
	uint8_t data[65536];
	size_t len;
	size_t off[MAX_DGM], dlen[MAX_DGM];
	size_t ndgm;
};

struct evs {
	struct nl_event ev[MAX_EV];
	size_t n;
	size_t stop_after; /* 0: never */
};

static int collect(const struct nl_event *ev, void *arg)
{
	struct evs *e = arg;
	if (e->n < MAX_EV)
		e->ev[e->n++] = *ev;
	if (e->stop_after != 0 && e->n == e->stop_after)
		return -4242;
	return 0;
}

static void load(const char *name, struct capture *c)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", NETLINK_DATADIR, name);
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	c->len = fread(c->data, 1, sizeof(c->data), f);
	fclose(f);
	c->ndgm = 0;
	for (size_t o = 0; o + 4 <= c->len;) {
		size_t l = (size_t)c->data[o] << 24 | (size_t)c->data[o + 1] << 16 |
		           (size_t)c->data[o + 2] << 8 | c->data[o + 3];
		o += 4;
		assert_true(o + l <= c->len);
		assert_true(c->ndgm < MAX_DGM);
		c->off[c->ndgm] = o;
		c->dlen[c->ndgm++] = l;
		o += l;
	}
	assert_true(c->ndgm > 0);
}

/* Parse every datagram of a capture; each must parse without error. */
static void parse_all(const char *name, struct evs *e)
{
	static struct capture c;
	memset(e, 0, sizeof(*e));
	load(name, &c);
	for (size_t i = 0; i < c.ndgm; i++)
		assert_true(nl_parse(c.data + c.off[i], c.dlen[i], collect, e) >= 0);
}

static void assert_addr(const struct nl_event *ev, int af, const char *text)
{
	uint8_t want[16];
	assert_int_equal(ev->family, af);
	assert_int_equal(inet_pton(af, text, want), 1);
	assert_memory_equal(ev->addr, want, af == AF_INET6 ? 16 : 4);
}

static void test_link_add_and_up(void **state)
{
	struct evs e;
	(void)state;
	parse_all("00-link-add.bin", &e);
	assert_int_equal(e.n, 2);
	assert_int_equal(e.ev[1].type, NL_EV_LINK);
	assert_string_equal(e.ev[1].ifname, "up0");
	assert_int_equal(e.ev[1].ifindex, 3);
	assert_false(e.ev[1].up);

	parse_all("01-link-up.bin", &e);
	/* Up without carrier first (the peer is not up yet), then up and running. */
	assert_int_equal(e.n, 4);
	assert_string_equal(e.ev[1].ifname, "up0");
	assert_true(e.ev[1].ifflags & 0x1); /* IFF_UP */
	assert_false(e.ev[1].up);
	assert_string_equal(e.ev[2].ifname, "up0");
	assert_true(e.ev[2].up);
	assert_string_equal(e.ev[3].ifname, "up0p");
	assert_true(e.ev[3].up);
}

static void test_addr_tentative_then_dad_done(void **state)
{
	struct evs e;
	(void)state;
	parse_all("02-addr6-tentative.bin", &e);
	assert_int_equal(e.n, 1);
	assert_int_equal(e.ev[0].type, NL_EV_ADDR_NEW);
	assert_int_equal(e.ev[0].ifindex, 3);
	assert_int_equal(e.ev[0].plen, 64);
	assert_addr(&e.ev[0], AF_INET6, "fd00:1::10");
	assert_true(nl_addr_is_tentative(&e.ev[0]));
	assert_false(nl_addr_is_deprecated(&e.ev[0]));

	parse_all("03-addr6-dad-done.bin", &e);
	assert_int_equal(e.n, 3);
	/* Link-locals of both ends, scope link; then ours without TENTATIVE. */
	assert_int_equal(e.ev[0].scope, RT_SCOPE_LINK);
	assert_int_equal(e.ev[0].addr[0], 0xfe);
	assert_addr(&e.ev[2], AF_INET6, "fd00:1::10");
	assert_int_equal(e.ev[2].scope, RT_SCOPE_UNIVERSE);
	assert_false(nl_addr_is_tentative(&e.ev[2]));
	assert_false(nl_addr_is_dadfailed(&e.ev[2]));
	assert_int_equal(e.ev[2].preferred_lft, UINT32_MAX);
}

static void test_addr_nodad_deprecated_del(void **state)
{
	struct evs e;
	(void)state;
	parse_all("04-addr6-nodad.bin", &e);
	assert_int_equal(e.n, 1);
	assert_addr(&e.ev[0], AF_INET6, "fd00:2::10");
	assert_true(e.ev[0].aflags & IFA_F_NODAD);
	assert_false(nl_addr_is_tentative(&e.ev[0]));

	parse_all("05-addr6-deprecated.bin", &e);
	assert_int_equal(e.n, 1);
	assert_int_equal(e.ev[0].type, NL_EV_ADDR_NEW);
	assert_true(nl_addr_is_deprecated(&e.ev[0]));
	assert_int_equal(e.ev[0].preferred_lft, 0);

	parse_all("08-addr6-del.bin", &e);
	assert_int_equal(e.n, 1);
	assert_int_equal(e.ev[0].type, NL_EV_ADDR_DEL);
	assert_addr(&e.ev[0], AF_INET6, "fd00:2::10");
}

static void test_route_and_ipv4(void **state)
{
	struct evs e;
	(void)state;
	parse_all("06-route6-default.bin", &e);
	assert_int_equal(e.n, 1);
	assert_int_equal(e.ev[0].type, NL_EV_ROUTE_NEW);
	assert_int_equal(e.ev[0].family, AF_INET6);
	assert_int_equal(e.ev[0].ifindex, 3);

	/* The IPv4 address; its local and broadcast routes are not default routes. */
	parse_all("07-addr4-add.bin", &e);
	assert_int_equal(e.n, 1);
	assert_addr(&e.ev[0], AF_INET, "10.1.0.10");
	assert_int_equal(e.ev[0].plen, 24);
}

static void test_link_down_sequence(void **state)
{
	struct evs e;
	(void)state;
	parse_all("09-link-down.bin", &e);
	assert_int_equal(e.n, 5);
	assert_int_equal(e.ev[0].type, NL_EV_LINK);
	assert_false(e.ev[0].up);
	assert_int_equal(e.ev[1].type, NL_EV_ROUTE_DEL);
	assert_int_equal(e.ev[2].type, NL_EV_ADDR_DEL);
	assert_addr(&e.ev[2], AF_INET6, "fd00:1::10");
	assert_int_equal(e.ev[3].type, NL_EV_ADDR_DEL);
	assert_int_equal(e.ev[4].type, NL_EV_LINK);
	assert_string_equal(e.ev[4].ifname, "up0p");
}

/* The captured steps drive the state machine: what a real kernel says gives the right set. */
static void test_captures_through_state_machine(void **state)
{
	static const char *const steps[] = {
	    "00-link-add.bin",       "01-link-up.bin",     "02-addr6-tentative.bin",
	    "03-addr6-dad-done.bin", "04-addr6-nodad.bin", "05-addr6-deprecated.bin",
	    "06-route6-default.bin", "07-addr4-add.bin",   "08-addr6-del.bin",
	    "09-link-down.bin",
	};
	struct loc_conf conf = {.nifs = 1, .ula = true, .with_l32 = true, .grace_ms = 100000};
	struct loc_machine *m = calloc(1, sizeof(*m));
	struct ilnpdns_upd_locset set;
	struct evs e;
	(void)state;
	assert_non_null(m);
	snprintf(conf.ifs[0].name, sizeof(conf.ifs[0].name), "up0");
	conf.ifs[0].pref = 10;
	loc_init(m, &conf);
	loc_start(m, 0);
	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		parse_all(steps[i], &e);
		for (size_t k = 0; k < e.n; k++)
			loc_event(m, &e.ev[k], 0);
		loc_compute(m, &set);
		switch (i) {
		case 2: /* tentative: nothing yet */
			assert_int_equal(set.n64, 0);
			break;
		case 3:
			assert_int_equal(set.n64, 1);
			assert_int_equal(set.l64[0].loc[3], 0x01);
			assert_int_equal(set.l64[0].pref, 10);
			break;
		case 4: /* fd00:2 arrives while fd00:1 works: soft handoff */
			assert_int_equal(set.n64, 2);
			assert_int_equal(set.l64[0].loc[3], 0x02);
			assert_int_equal(set.l64[0].pref, 10);
			assert_int_equal(set.l64[1].pref, 10 + LOC_PREF_RETIRING);
			break;
		case 5: /* the new one deprecated: now it ranks last */
			assert_int_equal(set.l64[1].loc[3], 0x02);
			assert_true(set.l64[1].pref >= LOC_PREF_DEPRECATED);
			break;
		case 7:
			assert_int_equal(set.n32, 1);
			assert_int_equal(set.l32[0].loc[0], 10);
			break;
		case 8: /* the new one left: the old one is plain again */
			assert_int_equal(set.n64, 1);
			assert_int_equal(set.l64[0].loc[3], 0x01);
			assert_int_equal(set.l64[0].pref, 10);
			break;
		case 9:
			assert_int_equal(set.n64, 0);
			assert_int_equal(set.n32, 0);
			break;
		default:
			break;
		}
	}
	free(m);
}

static size_t put_msg(uint8_t *buf, const uint8_t *msg, size_t len)
{
	memcpy(buf, msg, len);
	return NLMSG_ALIGN(len);
}

static void test_malformed(void **state)
{
	static struct capture c;
	uint8_t buf[4096];
	struct evs e;
	size_t n;
	(void)state;
	load("04-addr6-nodad.bin", &c);
	/* Datagram 1 of that capture is the RTM_NEWADDR. */
	const uint8_t *addr = c.data + c.off[1];
	size_t alen = c.dlen[1];
	struct nlmsghdr h;
	memcpy(&h, addr, sizeof(h));
	assert_int_equal(h.nlmsg_type, RTM_NEWADDR);

	/* Truncated: the header claims more than the buffer holds. */
	memset(&e, 0, sizeof(e));
	assert_int_equal(nl_parse(addr, alen - 4, collect, &e), ILNPDNS_EMALF);
	assert_int_equal(e.n, 0);
	/* Shorter than a header. */
	assert_int_equal(nl_parse(addr, 8, collect, &e), ILNPDNS_EMALF);

	/* A bad attribute length spoils that message only: the next one is used. */
	n = put_msg(buf, addr, alen);
	memcpy(buf + n, addr, alen);
	struct rtattr rta;
	size_t first_attr = NLMSG_LENGTH(sizeof(struct ifaddrmsg));
	memcpy(&rta, buf + first_attr, sizeof(rta));
	rta.rta_len = 0xfff0;
	memcpy(buf + first_attr, &rta, sizeof(rta));
	memset(&e, 0, sizeof(e));
	assert_int_equal(nl_parse(buf, n + alen, collect, &e), ILNPDNS_EMALF);
	assert_int_equal(e.n, 1);

	/* An address attribute of the wrong size. */
	memcpy(buf, addr, alen);
	memcpy(&rta, buf + first_attr, sizeof(rta));
	assert_int_equal(rta.rta_type, IFA_ADDRESS);
	rta.rta_len = RTA_LENGTH(4);
	memcpy(buf + first_attr, &rta, sizeof(rta));
	memset(&e, 0, sizeof(e));
	assert_int_equal(nl_parse(buf, alen, collect, &e), ILNPDNS_EMALF);
	assert_int_equal(e.n, 0);

	/* A prefix length beyond 128. */
	memcpy(buf, addr, alen);
	buf[NLMSG_HDRLEN + offsetof(struct ifaddrmsg, ifa_prefixlen)] = 129;
	assert_int_equal(nl_parse(buf, alen, collect, &e), ILNPDNS_EMALF);

	/* An interface name without its NUL. */
	load("00-link-add.bin", &c);
	const uint8_t *link = c.data + c.off[1];
	size_t llen = c.dlen[1];
	memcpy(buf, link, llen);
	bool found = false;
	for (size_t o = NLMSG_LENGTH(sizeof(struct ifinfomsg)); o + sizeof(rta) <= llen;) {
		memcpy(&rta, buf + o, sizeof(rta));
		if (rta.rta_type == IFLA_IFNAME) {
			memset(buf + o + RTA_LENGTH(0), 'x', rta.rta_len - RTA_LENGTH(0));
			found = true;
			break;
		}
		o += RTA_ALIGN(rta.rta_len);
	}
	assert_true(found);
	memset(&e, 0, sizeof(e));
	assert_int_equal(nl_parse(buf, llen, collect, &e), ILNPDNS_EMALF);
	assert_int_equal(e.n, 0);
}

static void test_error_and_stop(void **state)
{
	static struct capture c;
	uint8_t buf[256];
	struct evs e;
	(void)state;
	struct {
		struct nlmsghdr h;
		struct nlmsgerr err;
	} msg;
	memset(&msg, 0, sizeof(msg));
	msg.h.nlmsg_len = sizeof(msg);
	msg.h.nlmsg_type = NLMSG_ERROR;
	msg.err.error = -EPERM;
	memcpy(buf, &msg, sizeof(msg));
	memset(&e, 0, sizeof(e));
	assert_int_equal(nl_parse(buf, sizeof(msg), collect, &e), -EPERM);
	/* An ACK (error 0) is no error. */
	msg.err.error = 0;
	memcpy(buf, &msg, sizeof(msg));
	assert_int_equal(nl_parse(buf, sizeof(msg), collect, &e), 0);

	/* The callback's non-zero return stops the walk and comes back. */
	load("09-link-down.bin", &c);
	memset(&e, 0, sizeof(e));
	e.stop_after = 1;
	assert_int_equal(nl_parse(c.data + c.off[0], c.dlen[0], collect, &e), -4242);
	assert_int_equal(e.n, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_link_add_and_up),
	    cmocka_unit_test(test_addr_tentative_then_dad_done),
	    cmocka_unit_test(test_addr_nodad_deprecated_del),
	    cmocka_unit_test(test_route_and_ipv4),
	    cmocka_unit_test(test_link_down_sequence),
	    cmocka_unit_test(test_captures_through_state_machine),
	    cmocka_unit_test(test_malformed),
	    cmocka_unit_test(test_error_and_stop),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
