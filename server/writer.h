/* SPDX-License-Identifier: BSD-2-Clause */
/* writer.h -- the single update writer: authenticate, apply in group commits, answer after the
 * commit. */
#ifndef ILNPDNS_WRITER_H
#define ILNPDNS_WRITER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "ilnpdns/dname.h"
#include "ilnpdns/tsig.h"
#include "query.h"

/*
 * DESIGN. Query workers never write the store. A worker that receives an
 * UPDATE (opcode 5, QR 0) copies it into a struct writer_req, says how the
 * answer must leave (reply callback, socket, addresses) and hands it over
 * with writer_submit(), which only appends to a queue under a mutex: an
 * update never blocks query answering.
 *
 * The writer thread takes up to server.update-batch-max queued requests at a
 * time and opens ONE write transaction for them. For each request, in order:
 *  1. authentication first, so that an unauthenticated client learns nothing
 *     about the zone from the RCODE (RFC 3007 2, PROTOCOLS.md 2.3 step 3):
 *     - TSIG (RFC 8945): key looked up in the current configuration, MAC,
 *       time, truncation, and an exact (key, MAC) replay within the fudge
 *       window refused with BADTIME (the pairs are kept in the store's
 *       replay table, written in the batch transaction and committed even
 *       when the update fails, so a restart or any number of other updates
 *       forgets none of them); failures are answered NOTAUTH with the
 *       TSIG error (BADSIG/BADKEY unsigned, BADTIME/BADTRUNC signed);
 *     - SIG(0) (RFC 2931): time window, then the KEY RRset at the signer's
 *       name in the served zone, of which at most ILNPDNS_SIG0_MAX_KEYS
 *       records are looked at and at most ILNPDNS_SIG0_MAX_VERIFY matching
 *       (algorithm, key tag) keys are tried; any failure is REFUSED;
 *     - unsigned: only from a source inside the zone's
 *       allow-update-unsigned prefixes, else REFUSED;
 *     a source address whose TSIG/SIG(0) checks failed
 *     server.update-fail-limit times within a minute gets REFUSED for its
 *     signed updates, without any crypto, until that minute has passed
 *     (a fixed table of WRITER_FAIL_SLOTS sources; when a bucket is full the
 *     oldest entry is replaced, so memory never grows);
 *  2. the zone: NOTAUTH unless the zone section names a configured zone;
 *  3. update_process() in a nested transaction with the principal (TSIG key
 *     name or SIG(0) signer), the zone's update policy and serial policy
 *     and update.max-rrs (more RRs: REFUSED, one log line with the count);
 *     the nested transaction is committed on NOERROR and aborted otherwise,
 *     so each update is all or nothing and a failed one undoes nothing of
 *     the others; a store failure (map full, ...) is SERVFAIL.
 * Then the parent transaction is committed: one fsync for the whole batch
 * (group commit). Only after that commit returned are the answers built and
 * sent, each as soon as it is built (before the batch's log lines and commit
 * hooks); if it failed, every update that said NOERROR is answered SERVFAIL.
 * The next read transaction any worker begins sees the change.
 *
 * Answers (RFC 2136 3.8, PROTOCOLS.md 2.1): QR 1, the request's ID and
 * opcode, the zone section echoed (ZOCOUNT 1, PR/UP/AD 0), the RCODE, an OPT
 * if the request had one, with a COOKIE (RFC 7873 5.2, our RFC 9018 server
 * cookie, the workers' secrets) if it had one; a COOKIE of a wrong length
 * is FORMERR. For a TSIG-signed request a TSIG signed with
 * the request MAC. Answers to SIG(0)-signed requests are not signed (RFC
 * 2931 allows it; nsupdate accepts it, PROTOCOLS.md 4.5). One notice-level
 * log line per update: zone, source, principal, RCODE (and why), serial.
 */

#define WRITER_ANSWER_MAX 1024 /* header, zone, OPT and the longest TSIG fit */
#define WRITER_QUEUE_MAX  8192 /* queued requests beyond which writer_submit() refuses */
#define WRITER_CTL_MAX    64   /* room for one pktinfo control message */
#define WRITER_FAIL_SLOTS 4096 /* sources remembered by the failure limit */

struct conf;
struct stats;
struct store;
struct writer;
struct writer_req;

/*
 * Called on the writer thread once req->ans holds the answer (after the
 * commit), or with req->anslen 0 when there is nothing to send. From then on
 * the callback owns req (and frees it with writer_req_free(), maybe later).
 */
typedef void (*writer_reply_fn)(struct writer_req *req);

struct writer_req {
	/* Filled by the submitter. */
	enum query_transport transport;
	struct sockaddr_storage peer; /* the client */
	socklen_t peerlen;
	writer_reply_fn reply;
	void *owner; /* the submitter's: its worker */
	void *conn;  /* TCP: the connection, kept alive by a reference */
	int fd;      /* UDP: the socket the request came in on */
	struct {
		/* aligned as a cmsghdr, which cannot be a member itself: it
		 * ends in a flexible array in glibc */
		_Alignas(struct cmsghdr) uint8_t buf[WRITER_CTL_MAX];
	} ctl;                   /* UDP: control message choosing the source address */
	size_t ctllen;           /* 0: none */
	struct writer_req *next; /* the writer's queue link; the owner's once replied */

	/* Filled by the writer. */
	uint8_t rcode;       /* RCODE of the answer (extended ones included) */
	uint16_t tsig_error; /* TSIG error carried (BADSIG...), 0 if none */
	const char *why;     /* static text for a non-NOERROR rcode, or NULL */
	bool changed;        /* the zone changed (and the change is committed) */
	uint32_t new_serial; /* serial after the update */
	size_t anslen;       /* 0: no answer */
	uint8_t ans[WRITER_ANSWER_MAX];

	/* The writer's own, per request. */
	struct ilnpdns_tsig_state tsig;
	bool tsig_answer; /* answer carries a TSIG (signed or error) */
	enum { WRITER_UNSIGNED, WRITER_TSIG, WRITER_SIG0 } auth;
	bool authentic;                       /* TSIG/SIG(0) verified */
	uint8_t signer[ILNPDNS_DNAME_MAXLEN]; /* principal when authentic */

	size_t len;
	uint8_t msg[]; /* the request as received (no TCP length prefix) */
};

/* A request holding a copy of msg; every other field zero (fd -1). NULL if out of memory. */
struct writer_req *writer_req_new(const uint8_t *msg, size_t len);
void writer_req_free(struct writer_req *req);

/*
 * A writer over the store; stats is the writer's counter block (written
 * only by the thread that processes batches). Returns 0, ILNPDNS_ENOMEM or
 * ILNPDNS_ECRYPTO.
 */
int writer_new(struct writer **out, struct store *st, struct stats *stats);

/* Stop (if started) and free. Requests still queued are freed unanswered. */
void writer_free(struct writer *w);

/* The clock, seconds since the epoch, for TSIG, SIG(0), the failure limit
 * and serial-policy unixtime (tests); fn NULL restores the real one. */
void writer_set_clock(struct writer *w, uint64_t (*fn)(void *arg), void *arg);

/*
 * Start the thread. conf_get returns the current configuration with a
 * reference taken; the thread takes one per batch and drops it with
 * conf_unref() once the batch is answered.
 */
int writer_start(struct writer *w, struct conf *(*conf_get)(void *arg), void *arg);

/*
 * Queue a request (any thread). Returns 0, or ILNPDNS_ENOSPC when
 * WRITER_QUEUE_MAX requests are waiting, ILNPDNS_EAGAIN when the writer is
 * not running: the caller keeps req then.
 */
int writer_submit(struct writer *w, struct writer_req *req);

/*
 * Stop accepting requests, process and answer every request already queued
 * (their reply callbacks run), then join the thread.
 */
void writer_stop(struct writer *w);

/* A committed change, as the commit hook sees it (NOTIFY, the change feed). */
struct writer_change {
	const uint8_t *apex; /* the zone, wire form */
	uint32_t old_serial, new_serial;
	uint32_t removed, added; /* RRs of the journal entry, SOAs included */
	const uint8_t *rrs;      /* the entry's RRs (store.h journal form), or NULL */
	size_t rrs_len;
};

/*
 * fn runs on the writer thread once per update that changed a zone, after
 * the batch's commit is durable, in commit order. want_rrs (may be NULL) is
 * asked once per batch: true makes the writer copy each change's journal
 * entry for fn (the change feed has subscribers); otherwise rrs is NULL.
 * Set before writer_start().
 */
void writer_set_commit_hook(struct writer *w, void (*fn)(const struct writer_change *ch, void *arg),
                            bool (*want_rrs)(void *arg), void *arg);

/*
 * Process reqs[0..n) as one group commit under conf and build their answers
 * (req->rcode, req->ans); reply callbacks are not called. Returns 0, or the
 * error of the batch's transaction (begin or commit), in which case every
 * request that would have been NOERROR is SERVFAIL. This is what the thread
 * does per batch; tests call it on a writer that was not started.
 */
int writer_process_batch(struct writer *w, const struct conf *conf, struct writer_req *const *reqs,
                         size_t n);

#endif /* ILNPDNS_WRITER_H */
