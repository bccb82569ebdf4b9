/* SPDX-License-Identifier: BSD-2-Clause */
/* fuzz_netlink.c -- libFuzzer target: rtnetlink datagrams through ilnpdns-locmgr's nl_parse(). */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "fuzz_util.h"
#include "ilnpdns/error.h"
#include "netlink.h"

/*
 * One input is one recv() buffer, as the kernel could hand it over: any
 * number of messages, any lengths. Every event is turned into text and
 * asked the address predicates, the way the locator state machine and the
 * logs consume it, and its fields are checked against the promises of
 * netlink.h; a broken promise aborts (a finding like a sanitizer's).
 */

struct seen {
	unsigned events;
	unsigned stop_at; /* the callback asks to stop here (0: never) */
};

static int on_event(const struct nl_event *ev, void *arg)
{
	struct seen *s = arg;
	char text[256];
	/* The name must be a terminated C string within its array. */
	if (memchr(ev->ifname, '\0', sizeof(ev->ifname)) == NULL)
		FUZZ_ABORT();
	int n = nl_event_to_str(ev, text, sizeof(text));
	if (n >= 0 && memchr(text, '\0', sizeof(text)) == NULL)
		FUZZ_ABORT();
	switch (ev->type) {
	case NL_EV_ADDR_NEW:
	case NL_EV_ADDR_DEL:
		if (ev->family != AF_INET && ev->family != AF_INET6)
			FUZZ_ABORT();
		if (ev->plen > (ev->family == AF_INET ? 32 : 128))
			FUZZ_ABORT();
		(void)nl_addr_is_tentative(ev);
		(void)nl_addr_is_dadfailed(ev);
		(void)nl_addr_is_deprecated(ev);
		break;
	case NL_EV_LINK:
	case NL_EV_LINK_DEL:
	case NL_EV_ROUTE_NEW:
	case NL_EV_ROUTE_DEL:
		break;
	default:
		FUZZ_ABORT(); /* an event type netlink.h does not list */
	}
	s->events++;
	if (s->stop_at != 0 && s->events == s->stop_at)
		return -4242;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* A copy with the alignment of a recv() buffer: nl_parse may cast its headers. */
	uint32_t *buf = malloc(size ? size : 1);
	if (buf == NULL)
		return 0;
	memcpy(buf, data, size);

	struct seen all = {0, 0};
	int rc = nl_parse((const uint8_t *)buf, size, on_event, &all);
	if (rc >= 0 && (unsigned)rc != all.events)
		FUZZ_ABORT(); /* the count returned must be the events delivered */

	/* Stopping after the first event must return the callback's value. */
	if (all.events > 0) {
		struct seen one = {0, 1};
		rc = nl_parse((const uint8_t *)buf, size, on_event, &one);
		if (rc != -4242 || one.events != 1)
			FUZZ_ABORT();
	}
	free(buf);
	return 0;
}
