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
struct notify;
struct worker;
struct writer;

struct server {
	/*
	 * Current config. Only the main thread writes the pointer (reload),
	 * under conf_lock; other threads never read it bare but take a
	 * reference with server_conf_acquire() and drop it with conf_unref().
	 */
	struct conf *conf;
	pthread_mutex_t conf_lock;
	struct store *store;
	struct event_base *base; /* main thread loop: signals, control socket, metrics */
	struct worker **workers; /* query workers */
	size_t nworkers;
	struct writer *writer; /* the update writer thread (writer.h), or NULL */
	/* NOTIFY sender and secondary status (notify.h), on the main loop, or NULL */
	struct notify *notify;
	/* nstats blocks: one per worker (indexed like workers), then the writer's */
	struct stats *stats;
	size_t nstats;
	time_t started;
	volatile bool stopping;
};

/*
 * The current configuration with a reference taken (conf_ref()), safe to use
 * from any thread across a reload until the caller's conf_unref().
 */
struct conf *server_conf_acquire(struct server *srv);

/* The number of query workers the configuration asks for (0 in conf: one per core). */
unsigned workers_count(const struct conf *conf);

/*
 * Workers (worker.c). workers_start() binds every listen address on
 * SO_REUSEPORT sockets (one UDP and one TCP socket per address per worker),
 * starts the threads, and returns 0 or an ilnpdns_err after logging which
 * address failed; srv->stats must hold workers_count() + 1 blocks.
 * UPDATE requests go to srv->writer when there is one. workers_stop() asks
 * every loop to finish and joins the threads, but keeps their sockets open,
 * so that the writer, stopped next, can still answer the updates it drains;
 * workers_close() then writes the TCP answers the writer handed back, and
 * closes and frees everything.
 */
int workers_start(struct server *srv);
void workers_stop(struct server *srv);
void workers_close(struct server *srv);

#endif /* ILNPDNS_SERVER_H */
