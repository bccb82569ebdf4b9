/* SPDX-License-Identifier: BSD-2-Clause */
/* updater.h -- client library for signed RFC 2136 updates: build, sign, send, retransmit, check. */
#ifndef ILNPDNS_UPDATER_H
#define ILNPDNS_UPDATER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "ilnpdns/keys.h"
#include "ilnpdns/sig0.h"
#include "ilnpdns/tsig.h"

struct event_base;

/*
 * Three layers, each usable alone:
 *
 * 1. Messages (struct ilnpdns_upd_msg): an UPDATE for one zone of class IN,
 *    built from prerequisites and updates (RFC 2136 2.4 and 2.5) given as
 *    wire pieces or presentation text. Pure data, no I/O.
 *
 * 2. A client (struct ilnpdns_upd_client): the servers of one zone (tried in
 *    order), one key (TSIG or SIG(0)), the retransmission state per server
 *    and the libevent base it runs on. It sends messages and calls back with
 *    a struct ilnpdns_upd_result. Keep ONE client for the life of the
 *    process: the RTT estimates live in it (the locator manager's fast
 *    retransmission depends on that).
 *
 * 3. set locators: replace a name's L64 (and L32) RRsets in one guarded
 *    update, safe against late retransmissions (see "SET LOCATORS" below).
 *
 * Every function with a _sync suffix runs the client's event base until its
 * own request ends (a client made with base NULL has a private base); never
 * call one from inside a callback of the same base.
 *
 * Names are uncompressed wire form (ilnpdns_dname_from_str() makes them);
 * the _str variants take presentation text. Return values are the codes of
 * ilnpdns/error.h. Threads: a client and its messages belong to one thread.
 */

/* ------------------------------------------------------------------ */
/* 1. Messages                                                         */
/* ------------------------------------------------------------------ */

struct ilnpdns_upd_msg;

/*
 * New empty UPDATE for zone (wire; the _str form takes "example.ilnp.").
 * Header: opcode UPDATE, all flags clear (RD included: ldns sets it, RFC
 * 2136 defines only QR), a random ID (RAND_bytes) that the client replaces
 * with a fresh random ID for every copy it sends. Returns 0, ILNPDNS_ENAME,
 * ILNPDNS_ENOMEM.
 */
int ilnpdns_upd_msg_new(const uint8_t *zone, struct ilnpdns_upd_msg **out);
int ilnpdns_upd_msg_new_str(const char *zone, struct ilnpdns_upd_msg **out);
void ilnpdns_upd_msg_free(struct ilnpdns_upd_msg *m);
/* A deep copy (the client copies what it sends, so the caller may free m). */
int ilnpdns_upd_msg_clone(const struct ilnpdns_upd_msg *m, struct ilnpdns_upd_msg **out);

const uint8_t *ilnpdns_upd_msg_zone(const struct ilnpdns_upd_msg *m);
uint16_t ilnpdns_upd_msg_id(const struct ilnpdns_upd_msg *m);
void ilnpdns_upd_msg_set_id(struct ilnpdns_upd_msg *m, uint16_t id);
unsigned ilnpdns_upd_msg_prcount(const struct ilnpdns_upd_msg *m);
unsigned ilnpdns_upd_msg_upcount(const struct ilnpdns_upd_msg *m);

/*
 * Prerequisites (RFC 2136 2.4). Each name must be at or below the zone
 * (otherwise ILNPDNS_EZONE: the server would say NOTZONE). TTL is always 0.
 *   yxdomain  name is in use                  ANY  ANY  (fails NXDOMAIN)
 *   nxdomain  name is not in use              NONE ANY  (fails YXDOMAIN)
 *   yxrrset   RRset exists, any value         ANY  type (fails NXRRSET)
 *   nxrrset   RRset does not exist            NONE type (fails YXRRSET)
 *   rr        value-dependent: call once per RR; together the calls for one
 *             <name, type> state the RRset's exact content    (NXRRSET)
 */
int ilnpdns_upd_prereq_yxdomain(struct ilnpdns_upd_msg *m, const uint8_t *name);
int ilnpdns_upd_prereq_nxdomain(struct ilnpdns_upd_msg *m, const uint8_t *name);
int ilnpdns_upd_prereq_yxrrset(struct ilnpdns_upd_msg *m, const uint8_t *name, uint16_t type);
int ilnpdns_upd_prereq_nxrrset(struct ilnpdns_upd_msg *m, const uint8_t *name, uint16_t type);
int ilnpdns_upd_prereq_rr(struct ilnpdns_upd_msg *m, const uint8_t *name, uint16_t type,
                          const uint8_t *rdata, uint16_t rdlen);

/*
 * Updates (RFC 2136 2.5).
 *   add       add an RR (class IN, the given TTL)
 *   del_rrset delete the RRset <name, type>        ANY  type, empty RDATA
 *   del_name  delete every RRset at name           ANY  ANY
 *   del_rr    delete one RR <name, type, rdata>    NONE type
 * type must be a data type (no meta type, no ANY): ILNPDNS_EINVAL otherwise.
 */
int ilnpdns_upd_add(struct ilnpdns_upd_msg *m, const uint8_t *name, uint16_t type, uint32_t ttl,
                    const uint8_t *rdata, uint16_t rdlen);
int ilnpdns_upd_del_rrset(struct ilnpdns_upd_msg *m, const uint8_t *name, uint16_t type);
int ilnpdns_upd_del_name(struct ilnpdns_upd_msg *m, const uint8_t *name);
int ilnpdns_upd_del_rr(struct ilnpdns_upd_msg *m, const uint8_t *name, uint16_t type,
                       const uint8_t *rdata, uint16_t rdlen);

/*
 * Presentation text. A name that does not end in a dot is relative to the
 * zone. RDATA is parsed by ldns (every type it knows, RFC 3597 "\# n hex"
 * too), except NID/L32/L64/LP which use the strict ilnp.h parsers.
 *
 * ilnpdns_upd_add_str: "name [ttl] [IN] type rdata", e.g.
 *   "mn.example.ilnp. 0 IN L64 10 2001:db8:1:2"; a missing TTL is
 *   default_ttl (never ldns's 3600).
 * ilnpdns_upd_del_str: "name [ttl] [IN|ANY|NONE] [type [rdata]]": no type =
 *   del_name, type only = del_rrset, with rdata = del_rr (nsupdate's
 *   "update delete" forms; the TTL and class tokens are ignored).
 * ilnpdns_upd_prereq_rr_str: "name [IN] type rdata" (value-dependent).
 * ilnpdns_upd_rdata_from_str: RDATA text of type into out (cap octets);
 *   returns its length. origin (may be NULL) completes relative names.
 * ilnpdns_upd_type_from_str: "L64", "TYPE106" ... ; 0 when unknown.
 * Return ILNPDNS_ESYNTAX / ILNPDNS_ERDATA / ILNPDNS_ENAME / ILNPDNS_EZONE;
 * a message for people goes to err (may be NULL).
 */
int ilnpdns_upd_add_str(struct ilnpdns_upd_msg *m, const char *text, uint32_t default_ttl,
                        char *err, size_t errlen);
int ilnpdns_upd_del_str(struct ilnpdns_upd_msg *m, const char *text, char *err, size_t errlen);
int ilnpdns_upd_prereq_rr_str(struct ilnpdns_upd_msg *m, const char *text, char *err,
                              size_t errlen);
int ilnpdns_upd_rdata_from_str(uint16_t type, const char *text, const uint8_t *origin, uint8_t *out,
                               size_t cap);
uint16_t ilnpdns_upd_type_from_str(const char *s);

/*
 * The unsigned message in wire form: header (ID, opcode 5, flags 0), zone
 * section, prerequisites in the answer section, updates in the authority
 * section, names uncompressed. Returns 0 or ILNPDNS_ETRUNC.
 */
int ilnpdns_upd_msg_render(const struct ilnpdns_upd_msg *m, uint8_t *buf, size_t cap, size_t *len);

/* Human-readable dump (the CLI's "show"), ldns presentation; caller frees. */
char *ilnpdns_upd_msg_to_str(const struct ilnpdns_upd_msg *m);

/* ------------------------------------------------------------------ */
/* Signing and answer checking (used by the client; public for tests)  */
/* ------------------------------------------------------------------ */

/* The credential of a client or of one signing call. */
struct ilnpdns_upd_auth {
	enum { ILNPDNS_UPD_AUTH_NONE, ILNPDNS_UPD_AUTH_TSIG, ILNPDNS_UPD_AUTH_SIG0 } kind;
	struct ilnpdns_tsig_key tsig;        /* kind TSIG */
	uint16_t fudge;                      /* TSIG; 0 = ILNPDNS_TSIG_FUDGE */
	const struct ilnpdns_sig0_key *sig0; /* kind SIG0: borrowed, with private key */
};

/* Crypto contexts for signing and checking (one per client). */
struct ilnpdns_upd_crypto {
	struct ilnpdns_tsig_ctx *tsig;
	struct ilnpdns_sig0_ctx *sig0;
};
int ilnpdns_upd_crypto_init(struct ilnpdns_upd_crypto *cr);
void ilnpdns_upd_crypto_fini(struct ilnpdns_upd_crypto *cr);

/*
 * Sign the rendered message in buf (len octets, cap room): TSIG with Time
 * Signed = now + clock_offset (st receives the request MAC for checking the
 * answer), or SIG(0) (st is zeroed). Kind NONE leaves it as it is.
 * Returns 0, ILNPDNS_ETRUNC, ILNPDNS_EBADKEY, ILNPDNS_ECRYPTO.
 */
int ilnpdns_upd_sign(struct ilnpdns_upd_crypto *cr, const struct ilnpdns_upd_auth *auth,
                     uint8_t *buf, size_t *len, size_t cap, uint64_t now, int64_t clock_offset,
                     struct ilnpdns_tsig_state *st);

/* What a checked answer says. */
struct ilnpdns_upd_answer {
	uint16_t id;
	uint16_t flags;
	int rcode;           /* header RCODE (4 bits; UPDATE answers carry no OPT we need) */
	uint16_t tsig_error; /* TSIG Error field (RFC 8945 4.2), 0 if none or unsigned */
	bool tc;
	bool signed_ok;       /* TSIG verified (false for SIG(0) and unsigned requests) */
	uint64_t server_time; /* BADTIME: the server's clock from Other Data, else 0 */
};

/*
 * Check an answer against the request it claims to answer (req is the
 * request as sent, signed; st its TSIG state or NULL when not TSIG-signed):
 *  - ILNPDNS_EMALF: shorter than a header, not QR, cannot be walked;
 *  - ILNPDNS_ENOENT: another ID, opcode or zone section (not ours: ignore);
 *  - for a TSIG request, ilnpdns_tsig_verify_answer() at now + clock_offset:
 *    0 when authentic; ILNPDNS_EBADSIG / ILNPDNS_EBADKEY with ans->tsig_error
 *    set for an (unsigned, unauthenticated) BADSIG/BADKEY/BADTRUNC answer;
 *    ILNPDNS_EBADTIME for a verified BADTIME answer (ans->server_time set),
 *    ILNPDNS_EBADSIG for an unsigned answer or a wrong MAC;
 *  - a TC answer is returned with 0 and ans->tc before any TSIG check (a
 *    truncated answer is only a hint to retry over TCP).
 * ans is filled whenever the header could be read.
 */
int ilnpdns_upd_check_answer(struct ilnpdns_upd_crypto *cr, const uint8_t *req, size_t reqlen,
                             struct ilnpdns_tsig_state *st, const uint8_t *ansmsg, size_t anslen,
                             uint64_t now, int64_t clock_offset, struct ilnpdns_upd_answer *ans);

/* ------------------------------------------------------------------ */
/* Retransmission timer (RFC 6298 adapted to DNS UPDATE), per server   */
/* ------------------------------------------------------------------ */

/*
 * Defaults and why:
 *  - initial RTO 50 ms (RFC 6298 says 1 s, tuned for TCP over 1990s paths;
 *    the paper's 1 s LU timer fired too early on slow links and too late on
 *    fast ones). 50 ms is above the RTT to any server in the same site or
 *    metro area, so there a lost update is resent after at most 50 ms, not
 *    a second; on a slow path (satellite, 600 ms) only the very first
 *    exchange of a client can fire early, and then only a few harmless
 *    copies (the guard makes duplicates no-ops) -- and the locator manager
 *    primes the estimate with its reconcile query before it updates.
 *  - G = 1 ms clock granularity (libevent's monotonic timers are finer).
 *  - RTO = max(min_rto, SRTT + max(G, 4 * RTTVAR)), at most max_rto; so no
 *    copy is resent before SRTT + G: never before its answer could come.
 *  - min RTO 5 ms: a lost update on a LAN is resent within a few ms, yet
 *    the server's commit to stable storage (RFC 2136 3.5, an fsync) fits.
 *  - backoff: RTO doubles per timeout up to max_rto 2 s; the backed-off RTO
 *    is kept for the next request (RFC 6298 5.5-5.7) until a valid sample.
 *  - Karn: no sample from an ambiguous answer. Every copy carries its own
 *    ID and MAC, so the answer names its copy: the answer to the FIRST copy
 *    a server got is an exact sample even after retransmissions (a 200 ms
 *    path with a 50 ms first RTO learns its RTT from the first exchange);
 *    answers to later copies are not sampled, since they may have queued
 *    behind earlier copies at the server (RFC 6298 3 in spirit).
 *  - Updates and queries are timed apart (an update's answer waits for the
 *    server's commit to disk); before the first update sample a query
 *    estimate may raise the update RTO, never lower it.
 */
struct ilnpdns_upd_rtt {
	uint32_t srtt_us; /* valid when samples > 0 */
	uint32_t rttvar_us;
	uint32_t rto_us; /* current timeout, backoff included */
	uint32_t samples;
	uint32_t backoffs; /* timeouts since the last sample */
};

struct ilnpdns_upd_rtt_params {
	uint32_t initial_rto_us; /* default 50000 */
	uint32_t min_rto_us;     /* default 5000 */
	uint32_t max_rto_us;     /* default 2000000 */
	uint32_t granularity_us; /* default 1000 */
};

void ilnpdns_upd_rtt_params_default(struct ilnpdns_upd_rtt_params *p);
void ilnpdns_upd_rtt_init(struct ilnpdns_upd_rtt *r, const struct ilnpdns_upd_rtt_params *p);
/* A measured RTT; ambiguous = it cannot be trusted (Karn: then the sample
 * is dropped, the backed-off RTO kept, and false returned). */
bool ilnpdns_upd_rtt_sample(struct ilnpdns_upd_rtt *r, const struct ilnpdns_upd_rtt_params *p,
                            uint32_t rtt_us, bool ambiguous);
/* A timeout: double the RTO (capped); returns the new RTO. */
uint32_t ilnpdns_upd_rtt_backoff(struct ilnpdns_upd_rtt *r, const struct ilnpdns_upd_rtt_params *p);

/* ------------------------------------------------------------------ */
/* 2. The client                                                       */
/* ------------------------------------------------------------------ */

struct ilnpdns_upd_config {
	struct ilnpdns_upd_rtt_params rtt;
	unsigned attempts_per_server; /* UDP copies before moving on; default 3 */
	unsigned max_attempts;        /* all copies of one request, all servers; default 16 */
	uint32_t deadline_ms;         /* first send to giving up; default 10000 */
	uint32_t tcp_timeout_ms;      /* one TCP exchange; default 3000 */
	bool tcp;                     /* always TCP (RFC 2136 7.8; nsupdate -v) */
};
void ilnpdns_upd_config_default(struct ilnpdns_upd_config *cfg);

struct ilnpdns_upd_client;
struct ilnpdns_upd_req;

/*
 * base: the caller's libevent base (the daemon), or NULL for a private one
 * (the CLI, tests). cfg NULL = defaults. Returns 0, ILNPDNS_ENOMEM,
 * ILNPDNS_ECRYPTO.
 */
int ilnpdns_upd_client_new(struct event_base *base, const struct ilnpdns_upd_config *cfg,
                           struct ilnpdns_upd_client **out);
/* Cancels pending requests (their callbacks are not called) and frees. */
void ilnpdns_upd_client_free(struct ilnpdns_upd_client *c);
struct event_base *ilnpdns_upd_client_base(struct ilnpdns_upd_client *c);
void ilnpdns_upd_client_set_config(struct ilnpdns_upd_client *c,
                                   const struct ilnpdns_upd_config *cfg);

/*
 * Servers, tried in the order added. spec: "192.0.2.1", "192.0.2.1@5300",
 * "2001:db8::53", "2001:db8::53@5300", "[2001:db8::53]:5300" (numeric only;
 * port 53 by default). Returns 0, ILNPDNS_ESYNTAX, ILNPDNS_ENOSPC (more than
 * ILNPDNS_UPD_SERVERS_MAX). clear_servers drops them and their RTT state.
 */
#define ILNPDNS_UPD_SERVERS_MAX 8
int ilnpdns_upd_client_add_server(struct ilnpdns_upd_client *c, const char *spec);
int ilnpdns_upd_client_add_server_sa(struct ilnpdns_upd_client *c, const struct sockaddr *sa,
                                     socklen_t salen);
void ilnpdns_upd_client_clear_servers(struct ilnpdns_upd_client *c);
size_t ilnpdns_upd_client_server_count(const struct ilnpdns_upd_client *c);
/* Read access to a server's UPDATE RTT state (for logs, --status and tests). */
const struct ilnpdns_upd_rtt *ilnpdns_upd_client_rtt(const struct ilnpdns_upd_client *c,
                                                     size_t server);
/* Source address to bind (nsupdate's "local"); NULL = any. */
int ilnpdns_upd_client_set_local(struct ilnpdns_upd_client *c, const struct sockaddr *sa,
                                 socklen_t salen);
/* The key (copied; a SIG(0) key stays borrowed and must outlive the client). */
void ilnpdns_upd_client_set_auth(struct ilnpdns_upd_client *c, const struct ilnpdns_upd_auth *auth);

/* Debug trace (the CLI's -d): one line per send, timeout, answer. */
typedef void (*ilnpdns_upd_trace_fn)(const char *line, void *arg);
void ilnpdns_upd_client_set_trace(struct ilnpdns_upd_client *c, ilnpdns_upd_trace_fn fn, void *arg);

/*
 * The outcome of a request. err 0 means an acceptable answer came and rcode
 * holds its RCODE (which may itself be a failure such as YXRRSET); err < 0
 * means there is no trustworthy answer:
 *   ILNPDNS_ETIMEDOUT   no answer within max_attempts / deadline;
 *   ILNPDNS_EBADSIG, ILNPDNS_EBADKEY, ILNPDNS_EBADTIME
 *                       the answer failed TSIG checks, or was an (unsigned)
 *                       BADSIG/BADKEY/BADTRUNC, or BADTIME after the retry;
 *                       rcode (NOTAUTH) and tsig_error tell which;
 *   negated errno       socket failures on every server (e.g. ECONNREFUSED).
 * Final without moving on: REFUSED, NOTAUTH, FORMERR, NOTZONE, YXDOMAIN,
 * YXRRSET, NXDOMAIN, NXRRSET and TSIG errors. SERVFAIL, NOTIMP, timeouts and
 * socket errors move to the next server (RFC 2136 4.6); the result reports
 * the last server's rcode when all fail. BADTIME is retried once on the same
 * server with clock_offset = server time - our time.
 */
struct ilnpdns_upd_result {
	int err;
	int rcode; /* -1 when no answer */
	uint16_t tsig_error;
	unsigned attempts; /* messages sent, all servers, UDP and TCP */
	unsigned servers_tried;
	int server;           /* index of the answering server, -1 if none */
	char server_str[64];  /* "addr@port" of that server */
	bool tcp;             /* the final answer came over TCP */
	uint64_t elapsed_us;  /* first send to the accepted answer (or to giving up) */
	uint64_t rtt_us;      /* send of the answered copy to its answer */
	int64_t clock_offset; /* seconds applied after BADTIME (0 normally) */
	/* set locators only: */
	bool confirmed_by_query; /* a prerequisite failed but the name already held our
	                            set (a duplicate copy had been applied): success */
	unsigned rounds;         /* updates sent (more than 1 after re-read and rebuild) */
	unsigned queries;        /* query messages sent to read the name (attempts counts
	                            UPDATE messages only) */
	uint8_t *answer;         /* the final answer (wire), owned by the result */
	size_t answer_len;
};
/* Free what a result owns (answer); _sync callers must call it. */
void ilnpdns_upd_result_clear(struct ilnpdns_upd_result *res);
/* True when err == 0 and rcode == NOERROR. */
bool ilnpdns_upd_result_ok(const struct ilnpdns_upd_result *res);
/* One line for logs: "NOERROR attempts=1 server=127.0.0.1@53 1.23 ms". */
int ilnpdns_upd_result_to_str(const struct ilnpdns_upd_result *res, char *buf, size_t cap);

/* Callback: res and its answer are valid during the call only. */
typedef void (*ilnpdns_upd_cb)(const struct ilnpdns_upd_result *res, void *arg);

/*
 * Send an UPDATE (copied: free m when you like). The client gives every copy
 * a fresh random ID and signature, retransmits over UDP with its adaptive
 * timer, switches to TCP on TC, and calls cb exactly once unless cancelled.
 * *req (may be NULL) receives a handle valid until the callback runs.
 * Returns 0 or ILNPDNS_EINVAL (no server), ILNPDNS_ENOMEM.
 */
int ilnpdns_upd_send(struct ilnpdns_upd_client *c, const struct ilnpdns_upd_msg *m,
                     ilnpdns_upd_cb cb, void *arg, struct ilnpdns_upd_req **req);
/* Stop a pending request; its callback will not be called. */
void ilnpdns_upd_cancel(struct ilnpdns_upd_req *req);
/* Blocking: send and wait. Returns res->err; clear res afterwards. */
int ilnpdns_upd_send_sync(struct ilnpdns_upd_client *c, const struct ilnpdns_upd_msg *m,
                          struct ilnpdns_upd_result *res);

/*
 * A plain query (RD clear, unsigned, same servers, timers and TC->TCP
 * fallback) for <name, type, IN>; its RTT feeds the server's query
 * estimator, which primes the update timer on slow paths (see above). The
 * answer is in res->answer.
 */
int ilnpdns_upd_query(struct ilnpdns_upd_client *c, const uint8_t *name, uint16_t type,
                      ilnpdns_upd_cb cb, void *arg, struct ilnpdns_upd_req **req);
int ilnpdns_upd_query_sync(struct ilnpdns_upd_client *c, const uint8_t *name, uint16_t type,
                           struct ilnpdns_upd_result *res);

/* ------------------------------------------------------------------ */
/* 3. SET LOCATORS                                                     */
/* ------------------------------------------------------------------ */

/*
 * Replace the L64 (and, with with_l32, the L32) RRset of a name by a given
 * set in ONE update: delete RRset + add each RR (atomic, RFC 2136 3.7, so
 * no query ever sees an empty set), TTL 0 by default.
 *
 * THE GUARD. A copy of an older update that arrives late (a retransmission
 * delayed in the network, or sent before a newer set superseded it) must
 * never overwrite a newer set. Two guards:
 *
 * ILNPDNS_UPD_GUARD_MARKER (default). A version marker: one TXT RR
 *   "ilnp-seq=N" at marker_name (default: the name itself; choose a name of
 *   its own, e.g. _seq.mn.example.ilnp., if the name holds other TXT data).
 *   Each publication carries the prerequisite "TXT RRset == {ilnp-seq=N}"
 *   (value-dependent) -- or "no TXT RRset" for the first -- and in the same
 *   update deletes that RR and adds "ilnp-seq=N+1". N only grows, so an
 *   older copy always fails its prerequisite (NXRRSET) even when the locator
 *   set has meanwhile gone back to an earlier value (A -> B -> A: a guard on
 *   the L64 set alone would let a late "A -> B" copy through). The update
 *   policy must let the key change TXT at marker_name.
 * ILNPDNS_UPD_GUARD_RRSET. The prerequisite is the L64 (L32) set believed
 *   present (value-dependent, or NXRRSET when empty). Needs no extra record,
 *   but is exposed to the A -> B -> A case above. For servers whose policy
 *   allows only the locator types.
 *
 * What the client believes is present is kept per name in the client and
 * changed only by an acknowledged update or a query. Unknown (first use,
 * after ilnpdns_upd_forget()), it is read first with queries (TXT marker,
 * L64, L32): that is the reconcile after a restart, and it primes the RTT.
 *
 * A FAILED PREREQUISITE (NXRRSET or YXRRSET) is never reported as such at
 * once: the client re-reads the name. If the name already holds the desired
 * set (and, with the marker, the marker we sent), a copy of this very
 * update was applied before the one that failed -- a duplicate of a
 * retransmission, harmless -- and the result is success with
 * confirmed_by_query set. Otherwise someone (a restart of ours, another
 * writer) changed it: the update is rebuilt on what was read and sent again,
 * up to 3 rounds, the newest desired set winning.
 *
 * A pending set_locators for a name is superseded by a newer call for the
 * same name only when the caller cancels it (the locator manager does, so
 * it always sends the newest set); the belief stays what was last
 * acknowledged, so the new update's guard may fail once and be rebuilt.
 */
#define ILNPDNS_UPD_LOC_MAX 16

struct ilnpdns_upd_loc64 {
	uint16_t pref;
	uint8_t loc[8];
};
struct ilnpdns_upd_loc32 {
	uint16_t pref;
	uint8_t loc[4];
};
struct ilnpdns_upd_locset {
	size_t n64;
	struct ilnpdns_upd_loc64 l64[ILNPDNS_UPD_LOC_MAX];
	size_t n32;
	struct ilnpdns_upd_loc32 l32[ILNPDNS_UPD_LOC_MAX];
};

enum ilnpdns_upd_guard {
	ILNPDNS_UPD_GUARD_MARKER = 0,
	ILNPDNS_UPD_GUARD_RRSET = 1,
};

struct ilnpdns_upd_locopts {
	enum ilnpdns_upd_guard guard;
	bool with_l32;              /* manage the L32 RRset as well */
	uint32_t ttl;               /* default 0 (RFC 6742 3.1; the paper's zero TTL) */
	const uint8_t *marker_name; /* NULL = the name itself */
};

/* What a name holds (or is believed to hold). */
struct ilnpdns_upd_locstate {
	bool known;
	bool has_marker;
	uint64_t seq;     /* marker value when has_marker */
	bool foreign_txt; /* marker_name holds TXT that is not our marker */
	struct ilnpdns_upd_locset set;
};

/* Set equality, order-insensitive (duplicates count once). */
bool ilnpdns_upd_locset_equal(const struct ilnpdns_upd_locset *a,
                              const struct ilnpdns_upd_locset *b, bool with_l32);

/*
 * The update message for one round (pure; used by the client, public for
 * tests): zone, name, what is believed present (cur) and the desired set.
 * With the marker guard the new marker is cur->seq + 1 (1 without marker).
 */
int ilnpdns_upd_locators_msg(const uint8_t *zone, const uint8_t *name,
                             const struct ilnpdns_upd_locopts *opts,
                             const struct ilnpdns_upd_locstate *cur,
                             const struct ilnpdns_upd_locset *want, struct ilnpdns_upd_msg **out);

/*
 * Fill st from query answers (wire) for the marker TXT, L64 and L32 of name
 * (each may be NULL = not asked). Answers with NXDOMAIN or no data give
 * empty sets. Returns 0 or ILNPDNS_EMALF.
 */
int ilnpdns_upd_locstate_from_answers(const uint8_t *name, const uint8_t *marker_name,
                                      const uint8_t *txt_ans, size_t txt_len,
                                      const uint8_t *l64_ans, size_t l64_len,
                                      const uint8_t *l32_ans, size_t l32_len,
                                      struct ilnpdns_upd_locstate *st);

/* opts NULL = defaults (marker guard, L64 only, TTL 0). */
int ilnpdns_upd_set_locators(struct ilnpdns_upd_client *c, const uint8_t *zone, const uint8_t *name,
                             const struct ilnpdns_upd_locset *want,
                             const struct ilnpdns_upd_locopts *opts, ilnpdns_upd_cb cb, void *arg,
                             struct ilnpdns_upd_req **req);
int ilnpdns_upd_set_locators_sync(struct ilnpdns_upd_client *c, const uint8_t *zone,
                                  const uint8_t *name, const struct ilnpdns_upd_locset *want,
                                  const struct ilnpdns_upd_locopts *opts,
                                  struct ilnpdns_upd_result *res);

/* Read the name now (queries) and store it as the belief; st may be NULL. */
int ilnpdns_upd_read_locators_sync(struct ilnpdns_upd_client *c, const uint8_t *name,
                                   const struct ilnpdns_upd_locopts *opts,
                                   struct ilnpdns_upd_locstate *st, struct ilnpdns_upd_result *res);
/* The belief about name, or NULL when unknown. */
const struct ilnpdns_upd_locstate *ilnpdns_upd_belief(const struct ilnpdns_upd_client *c,
                                                      const uint8_t *name);
/* Drop the belief: the next set_locators reads first. */
void ilnpdns_upd_forget(struct ilnpdns_upd_client *c, const uint8_t *name);

#endif /* ILNPDNS_UPDATER_H */
