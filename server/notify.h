/* SPDX-License-Identifier: BSD-2-Clause */
/* notify.h -- RFC 1996 NOTIFY: the sender (coalesced, retried, TSIG), SOA probes, the inbound
 * answer. */
#ifndef ILNPDNS_NOTIFY_H
#define ILNPDNS_NOTIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "ilnpdns/keys.h"

struct event_base;
struct store;
struct store_txn;
struct ilnpdns_tsig_ctx;
struct ilnpdns_tsig_state;

/* One secondary to notify: where, and the TSIG key it expects (has_key). */
struct notify_target {
	struct sockaddr_storage addr;
	socklen_t addrlen;
	bool has_key;
	struct ilnpdns_tsig_key key; /* copied */
};

struct notify_opts {
	unsigned first_retry_ms; /* first retransmission after; 0: 250 (loopback-friendly) */
	unsigned max_retry_ms;   /* backoff doubles up to this; 0: 60000 (RFC 1996 3.6 interval) */
	unsigned max_sends;      /* first send + retransmissions; 0: 6 (RFC 1996 3.6: 5 retries) */
	unsigned first_probe_ms; /* first SOA probe interval; 0: 5 */
	unsigned max_probe_ms;   /* probe backoff doubles up to this; 0: 250 */
	unsigned max_probes;     /* SOA queries per probe round; 0: 60 (about 14 s) */
};

/*
 * Fetch the zone's current SOA RDATA (uncompressed) for the answer-section
 * hint (RFC 1996 3.7). Returns 0 with *rdlen and *ttl set, or non-zero to
 * send the NOTIFY without it. Called on the loop thread.
 */
typedef int (*notify_soa_fn)(const uint8_t *apex, uint8_t *rdata, size_t cap, uint16_t *rdlen,
                             uint32_t *ttl, void *arg);

/* A notify_soa_fn reading the store (arg: struct store *), one read transaction per call. */
int notify_soa_from_store(const uint8_t *apex, uint8_t *rdata, size_t cap, uint16_t *rdlen,
                          uint32_t *ttl, void *arg);

struct notify;

/*
 * The sender lives on base's loop (it adds a wake-up pipe, and per target a
 * connected UDP socket and a timer, all created on the loop thread).
 * soa_fn may be NULL (no SOA hint). Returns NULL when out of memory or
 * descriptors.
 */
struct notify *notify_new(struct event_base *base, const struct notify_opts *opts,
                          notify_soa_fn soa_fn, void *soa_arg);

/* Stop and free; call on the loop thread (or after the loop ended). */
void notify_free(struct notify *n);

/*
 * Set the targets of the zone apex (replacing any earlier list; count 0
 * removes the zone). Thread-safe. Status of targets whose address and key
 * stay the same is kept across a reconfiguration.
 */
int notify_zone_set(struct notify *n, const uint8_t *apex, const struct notify_target *targets,
                    size_t count);

/*
 * The zone changed (or was imported, or the server started): every target
 * gets a NOTIFY for serial. Thread-safe and cheap: it records the serial and
 * wakes the loop. Coalescing: one NOTIFY per target is outstanding at a time;
 * changes meanwhile make one more, with the newest serial, once that one is
 * answered or given up. Returns 0, or ILNPDNS_ENOENT for a zone without
 * targets (nothing to do).
 */
int notify_zone_changed(struct notify *n, const uint8_t *apex, uint32_t serial);

/*
 * A secondary at peer (address compared, port ignored) finished an AXFR or
 * IXFR (qtype ILNPDNS_T_AXFR or ILNPDNS_T_IXFR) reaching serial: recorded
 * for the target(s) with that address, which are then probed (a transfer
 * is not yet serving: the secondary still has to apply it). Thread-safe.
 */
void notify_xfr_done(struct notify *n, const uint8_t *apex, const struct sockaddr *peer,
                     uint16_t qtype, uint32_t serial);

/* Per-target state for `ilnpdns-ctl zone-status`. Times are unix seconds, 0 = never. */
struct notify_status {
	struct sockaddr_storage addr;
	socklen_t addrlen;
	bool has_key;
	uint32_t acked_serial; /* last serial a NOERROR answer acknowledged */
	uint64_t acked_time;
	uint32_t xfr_serial; /* last serial it transferred */
	uint64_t xfr_time;
	uint16_t xfr_type;       /* ILNPDNS_T_AXFR or ILNPDNS_T_IXFR of that transfer */
	uint32_t serving_serial; /* the serial its SOA answer showed: confirmed served */
	uint64_t serving_time;   /* when that serial was first seen (0: nothing confirmed) */
	uint64_t probes;         /* SOA queries sent, retransmissions included */
	bool probing;            /* a probe round is running */
	int probe_rcode;         /* of the last SOA answer, -1 before any */
	uint32_t pending_serial; /* the serial being notified (valid when in_flight) */
	bool in_flight;
	uint64_t sent;     /* NOTIFY messages sent, retransmissions included */
	uint64_t failures; /* rounds given up after max_sends */
	int last_rcode;    /* of the last answer, -1 before any */
};

/*
 * Copy up to cap target states of the zone into out; *count gets the number
 * of targets. Thread-safe. ILNPDNS_ENOENT for an unknown zone.
 */
int notify_status(struct notify *n, const uint8_t *apex, struct notify_status *out, size_t cap,
                  size_t *count);

/* Does this target serve serial or a later one (RFC 1982), by its confirmed SOA? */
bool notify_status_serves(const struct notify_status *st, uint32_t serial);

/*
 * True when every target of the zone has been seen to serve serial or a
 * later one (RFC 1982), by the SOA it answered to our probe; an
 * acknowledged NOTIFY or a finished transfer is not enough. For
 * `ilnpdns-ctl wait-serial`. True for a zone without targets. Thread-safe.
 */
bool notify_zone_reached(struct notify *n, const uint8_t *apex, uint32_t serial);

/*
 * Someone waits for serial (wait-serial): for the next seconds, targets
 * below it are probed (with backoff) even past max_probes, and a probe
 * round starts now for each target not known to serve it. Thread-safe.
 */
void notify_zone_watch(struct notify *n, const uint8_t *apex, uint32_t serial, unsigned seconds);

/*
 * fn(apex, arg) runs on the loop thread, without the lock, whenever a
 * target's confirmed serial changes (so a waiter need not poll). One
 * callback per sender; fn NULL removes it.
 */
typedef void (*notify_confirm_fn)(const uint8_t *apex, void *arg);
void notify_on_confirm(struct notify *n, notify_confirm_fn fn, void *arg);

/*
 * "addr", "addr@port" (IPv4 or IPv6, no brackets; port default 53) into t
 * (no key). Returns 0 or ILNPDNS_ESYNTAX.
 */
int notify_target_parse(const char *str, struct notify_target *t);

/*
 * Answer an inbound NOTIFY (opcode 4, QR 0: the caller screened that) for a
 * server that is primary only: NOERROR (logged) when the question names a
 * zone we serve (txn), NOTAUTH for any other zone, FORMERR when QDCOUNT is
 * not 1, the question does not parse or its type is not SOA (RFC 1996 3.7,
 * RFC 9619). The answer echoes the question and is signed when the request
 * was (tsig_answer_build()). peer is for the log. *rcode gets the RCODE.
 * Returns 0, or an error from tsig_answer_build().
 */
int notify_answer(struct store_txn *txn, struct ilnpdns_tsig_ctx *tctx,
                  struct ilnpdns_tsig_state *tsig, const uint8_t *req, size_t reqlen,
                  uint16_t edns_payload, const char *peer, uint64_t now, uint8_t *out, size_t cap,
                  size_t *outlen, int *rcode);

#endif /* ILNPDNS_NOTIFY_H */
