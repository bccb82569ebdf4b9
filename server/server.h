/* SPDX-License-Identifier: BSD-2-Clause */
/* server.h -- the running daemon's shared state, owned by daemon.c. */
#ifndef ILNPDNS_SERVER_H
#define ILNPDNS_SERVER_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "stats.h"

struct conf;
struct store;
struct event_base;
struct worker;

struct server {
	struct conf *conf;        /* current config; swapped whole by reload (main thread only) */
	struct store *store;
	struct event_base *base;  /* main thread loop: signals, control socket, metrics */
	struct worker **workers;  /* conf->workers query workers */
	size_t nworkers;
	struct stats *stats;      /* one block per worker, indexed like workers */
	time_t started;
	volatile bool stopping;
};

/*
 * Workers (worker.c). workers_start() binds every listen address on
 * SO_REUSEPORT sockets (one UDP and one TCP socket per address per worker),
 * starts the threads, and returns 0 or an ilnpdns_err after logging which
 * address failed. workers_stop() asks every loop to finish and joins them.
 */
int workers_start(struct server *srv);
void workers_stop(struct server *srv);

#endif /* ILNPDNS_SERVER_H */
