/* SPDX-License-Identifier: BSD-2-Clause */
/* locmgr.h -- what the parts of ilnpdns-locmgr (config, publisher, failover log, hook, status)
 * share. */
#ifndef LOCMGR_LOCMGR_H
#define LOCMGR_LOCMGR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ilnpdns/dname.h"
#include "ilnpdns/updater.h"
#include "ilnpdns/yconf.h"
#include "locators.h"

struct event_base;

enum locmgr_mode { LOCMGR_HOST = 0, LOCMGR_SITE = 1 };

/* ----- conf.c: the YAML file (zones/locmgr.yaml shows every key) ----- */

struct locmgr_ifparse {
	char *name;
	uint16_t pref;
};

struct locmgr_conf {
	/* node: */
	char *name_text;
	char *zone_text;
	uint8_t mode; /* enum locmgr_mode */
	struct yconf_addr *servers;
	size_t nservers;
	struct {
		char *id, *algorithm, *secret;
	} key;
	bool key_set;
	char *key_file;
	char *sig0_key_file;
	struct yconf_str *nids;
	size_t nnids;
	struct locmgr_ifparse *ifs;
	size_t nifs;
	uint32_t coalesce_ms;
	uint32_t grace_s;
	bool ula;
	bool l32;
	bool need_route;
	uint8_t guard; /* enum ilnpdns_upd_guard */
	char *marker_text;
	uint32_t retry_max_s;
	uint32_t first_timeout_ms;
	/* daemon: */
	char *control;
	char *failover_log;
	struct yconf_str *hook;
	size_t nhook;
	uint8_t log_level;
	uint8_t log_syslog;

	/* Built from the above by locmgr_conf_load(). */
	uint8_t name[ILNPDNS_DNAME_MAXLEN];
	uint8_t zone[ILNPDNS_DNAME_MAXLEN];
	uint8_t marker[ILNPDNS_DNAME_MAXLEN];
	bool have_marker;
	uint8_t nid[8][8]; /* NIDs, validated (host mode publishes none: they are not locators) */
	struct ilnpdns_upd_auth auth;
	struct ilnpdns_sig0_key *sig0;
	struct loc_conf loc;
};

/* Read and check path; err says "file:line: key: problem". Returns 0 or ILNPDNS_ECONF/ENOMEM. */
int locmgr_conf_load(const char *path, struct locmgr_conf *c, char *err, size_t errlen);
void locmgr_conf_free(struct locmgr_conf *c);
/* The sample configuration (every key, default and help) to out. */
void locmgr_conf_sample(FILE *out);

/* ----- failover.c: one record per failover, JSON lines, the recent ones ----- */

#define FAILOVER_RING 32

struct failover {
	uint64_t id;
	uint64_t event_us; /* realtime: the first event of the window */
	uint64_t sent_us;  /* first update sent (0: not yet) */
	uint64_t acked_us; /* acknowledged (0: not) */
	unsigned events;   /* kernel events coalesced */
	unsigned attempts; /* messages sent, reads included, all tries */
	unsigned updates;  /* UPDATE messages among them (rounds) */
	unsigned tries;    /* set-locators calls (1 + retries after failures) */
	int rcode;         /* -1: no answer */
	int err;
	bool reconcile;
	const char *outcome; /* "acked", "superseded", "failed" (still retrying) */
	char what[96];
	bool old_known;
	struct ilnpdns_upd_locset old_set, new_set;
};

/* JSON object on one line, no newline. */
int failover_to_json(const struct failover *f, const char *name, char *buf, size_t cap);
/* Append to the ring and to the log file (path may be NULL), and log it. */
void failover_record(const struct failover *f, const char *name, const char *path);
/* The last n records, oldest first; returns how many. */
size_t failover_recent(const struct failover **out, size_t n);

/* ----- hook.c ----- */

/* Run argv (not through a shell) with ILNPDNS_* variables describing f; never waits. */
void hook_run(const struct yconf_str *argv, size_t argc, const struct locmgr_conf *c,
              const struct failover *f);
/* Reap finished hooks (on SIGCHLD). */
void hook_reap(void);

/* ----- publish.c ----- */

struct publisher;

int publish_new(struct event_base *base, const struct locmgr_conf *c, struct publisher **out);
void publish_free(struct publisher *p);
/* Publish set now (cancelling whatever is in flight or waiting): a failover. */
void publish_set(struct publisher *p, const struct ilnpdns_upd_locset *set,
                 const struct loc_trigger *why, uint64_t event_us);
/* For --status: what is acknowledged, and what is in flight. */
void publish_describe(const struct publisher *p, char *buf, size_t cap);

/* ----- status.c ----- */

typedef int (*status_render_fn)(char *buf, size_t cap, void *arg);
struct status_srv;
int status_open(struct event_base *base, const char *path, status_render_fn fn, void *arg,
                struct status_srv **out);
void status_close(struct status_srv *s);
/* ilnpdns-locmgr --status: print what the daemon at path says; returns an exit code. */
int status_query(const char *path);

/* ----- time ----- */
uint64_t locmgr_mono_ms(void);
uint64_t locmgr_real_us(void);

#endif /* LOCMGR_LOCMGR_H */
