/* SPDX-License-Identifier: BSD-2-Clause */
/* daemon.h -- life cycle of ilnpdnsd: start, reload, stop (daemon.c). */
#ifndef ILNPDNS_DAEMON_H
#define ILNPDNS_DAEMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct conf;
struct server;
struct writer_change;

/*
 * Run ilnpdnsd after option parsing (main.c): conf_path is the YAML file,
 * or NULL for the built-in defaults; unless foreground, detach once ready;
 * verbose raises the configured log level by that many steps. Returns the
 * process exit status.
 */
int daemon_main(const char *conf_path, bool foreground, int verbose);

/*
 * Parse the configuration file again; only when the whole file is valid,
 * swap it in (new zones are imported from their files if the database does
 * not hold them yet, ILNP TTL settings are applied). On any error the old
 * configuration stays and err says why. Main thread only. Listen addresses
 * and worker count changes take effect at the next restart (logged).
 */
int daemon_reload(struct server *srv, char *err, size_t errlen);

/* Ask the daemon to stop: workers finish, the store closes, main returns. */
void daemon_stop(struct server *srv);

/*
 * Control socket (control.c): listen on srv->conf->control (mode 0600) in
 * the main loop. Commands and replies are described in control.c.
 */
int control_start(struct server *srv);
void control_stop(struct server *srv);

/*
 * The change feed of `ilnpdns-ctl events` (control.c). Any thread (the
 * writer's commit hook): wanted() is true while someone subscribes; publish()
 * copies the change into a bounded queue the main loop drains to the
 * subscribers, and never blocks (a full queue drops the subscribers, who
 * would otherwise miss changes).
 */
bool control_events_wanted(void);
void control_events_publish(const struct writer_change *ch);

/*
 * NOTIFY (daemon.c): give srv->notify the targets of every configured zone
 * (zones no longer configured lose theirs), then NOTIFY each zone with its
 * current serial. At start, after a reload and after a zone import.
 */
void daemon_notify_config(struct server *srv, const struct conf *old);
void daemon_notify_zone(struct server *srv, const uint8_t *apex);

/* Metrics listener (metrics.c): Prometheus text at /metrics, if configured. */
int metrics_start(struct server *srv);
void metrics_stop(struct server *srv);

#endif /* ILNPDNS_DAEMON_H */
