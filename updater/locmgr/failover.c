/* SPDX-License-Identifier: BSD-2-Clause */
/* failover.c -- failover records: one JSON line each, to a file and the log, and the recent ones.
 */
#include "config.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "ilnpdns/log.h"
#include "locmgr.h"

/*
 * The JSON line is the record of a failover: when the kernel told
 * us (event), when the first update left (sent), when it was acknowledged,
 * how many messages and updates it took, the rcode, and the sets before and
 * after. Times are microseconds since the epoch, so lines from several hosts
 * and the server's log line up.
 */

static struct failover ring[FAILOVER_RING];
static size_t ring_next, ring_count;

static int set_json(const struct ilnpdns_upd_locset *s, char *buf, size_t cap)
{
	size_t off = 0;
	int n = snprintf(buf, cap, "{\"l64\":[");
	if (n < 0 || (size_t)n >= cap)
		return -1;
	off = (size_t)n;
	for (size_t i = 0; i < s->n64; i++) {
		const uint8_t *l = s->l64[i].loc;
		n = snprintf(buf + off, cap - off, "%s[%u,\"%x:%x:%x:%x\"]", i ? "," : "",
		             s->l64[i].pref, l[0] << 8 | l[1], l[2] << 8 | l[3], l[4] << 8 | l[5],
		             l[6] << 8 | l[7]);
		if (n < 0 || (size_t)n >= cap - off)
			return -1;
		off += (size_t)n;
	}
	n = snprintf(buf + off, cap - off, "],\"l32\":[");
	if (n < 0 || (size_t)n >= cap - off)
		return -1;
	off += (size_t)n;
	for (size_t i = 0; i < s->n32; i++) {
		const uint8_t *l = s->l32[i].loc;
		n = snprintf(buf + off, cap - off, "%s[%u,\"%u.%u.%u.%u\"]", i ? "," : "",
		             s->l32[i].pref, l[0], l[1], l[2], l[3]);
		if (n < 0 || (size_t)n >= cap - off)
			return -1;
		off += (size_t)n;
	}
	n = snprintf(buf + off, cap - off, "]}");
	if (n < 0 || (size_t)n >= cap - off)
		return -1;
	return (int)(off + (size_t)n);
}

/* what comes from nl_event_to_str(): no quotes or backslashes, but be safe. */
static void json_clean(const char *in, char *out, size_t cap)
{
	size_t j = 0;
	for (size_t i = 0; in[i] != '\0' && j + 1 < cap; i++)
		out[j++] =
		    (in[i] == '"' || in[i] == '\\' || (unsigned char)in[i] < 0x20) ? '?' : in[i];
	out[j] = '\0';
}

int failover_to_json(const struct failover *f, const char *name, char *buf, size_t cap)
{
	char olds[1024], news[1024], what[128];
	if (f->old_known)
		set_json(&f->old_set, olds, sizeof(olds));
	else
		snprintf(olds, sizeof(olds), "null");
	set_json(&f->new_set, news, sizeof(news));
	json_clean(f->what, what, sizeof(what));
	double ms = f->acked_us && f->event_us ? (double)(f->acked_us - f->event_us) / 1000.0 : -1;
	return snprintf(
	    buf, cap,
	    "{\"failover\":%llu,\"name\":\"%s\",\"outcome\":\"%s\",\"reconcile\":%s,"
	    "\"trigger\":\"%s\",\"events\":%u,\"event_us\":%llu,\"sent_us\":%llu,"
	    "\"acked_us\":%llu,\"event_to_ack_ms\":%.3f,\"attempts\":%u,"
	    "\"updates\":%u,\"tries\":%u,\"rcode\":%d,\"err\":%d,\"old\":%s,\"new\":%s}",
	    (unsigned long long)f->id, name, f->outcome, f->reconcile ? "true" : "false", what,
	    f->events, (unsigned long long)f->event_us, (unsigned long long)f->sent_us,
	    (unsigned long long)f->acked_us, ms, f->attempts, f->updates, f->tries, f->rcode,
	    f->err, olds, news);
}

void failover_record(const struct failover *f, const char *name, const char *path)
{
	char line[4096];
	int n = failover_to_json(f, name, line, sizeof(line) - 1);
	if (n < 0 || (size_t)n >= sizeof(line) - 1)
		return;
	ring[ring_next] = *f;
	ring_next = (ring_next + 1) % FAILOVER_RING;
	if (ring_count < FAILOVER_RING)
		ring_count++;
	log_notice("%s", line);
	if (path == NULL)
		return;
	line[n++] = '\n';
	/* O_APPEND and one write: concurrent readers never see half a line. */
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
	if (fd < 0) {
		log_warn("failover log %s", path);
		return;
	}
	if (write(fd, line, (size_t)n) != n)
		log_warn("failover log %s", path);
	close(fd);
}

size_t failover_recent(const struct failover **out, size_t n)
{
	if (n > ring_count)
		n = ring_count;
	size_t start = (ring_next + FAILOVER_RING - n) % FAILOVER_RING;
	for (size_t i = 0; i < n; i++)
		out[i] = &ring[(start + i) % FAILOVER_RING];
	return n;
}
