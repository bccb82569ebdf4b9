/* SPDX-License-Identifier: BSD-2-Clause */
/* writer.c -- the update writer thread: queue, authentication, group commit, answers. */
#include "config.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "conf.h"
#include "cookie.h"
#include "ilnpdns/dname.h"
#include "ilnpdns/error.h"
#include "ilnpdns/log.h"
#include "ilnpdns/sig0.h"
#include "ilnpdns/tsig.h"
#include "ilnpdns/wire.h"
#include "stats.h"
#include "store.h"
#include "tsig_answer.h"
#include "update.h"
#include "writer.h"

#define FAIL_WINDOW       60  /* seconds: the failure limit counts per minute */
#define FAIL_WAYS         4   /* entries per bucket of the failure table */
#define REPLAY_MARGIN     5   /* seconds kept beyond Time Signed + fudge, for clock steps */
#define REPLAY_PRUNE      256 /* expired replay entries deleted per batch, at most */
#define REPLAY_MAC_PREFIX 10  /* MAC octets in the replay digest */

/* One source address and its failed signature checks in the current minute. */
struct fail_entry {
	uint8_t addr[16];
	uint8_t family; /* 0: free */
	uint32_t count;
	uint64_t since; /* start of the counting minute */
};

struct writer {
	struct store *store;
	struct stats *stats;
	struct ilnpdns_tsig_ctx *tsig;
	struct ilnpdns_sig0_ctx *sig0;
	struct cookie_ctx *cookies;               /* RFC 7873 cookies of the answers */
	uint8_t cookie_secret[COOKIE_SECRET_LEN]; /* the one set in cookies */
	bool cookie_secret_set;
	uint64_t (*now)(void *arg);
	void *now_arg;

	/* Failure limit: only the processing thread touches it. */
	struct fail_entry *fails; /* WRITER_FAIL_SLOTS, FAIL_WAYS-way buckets */
	uint64_t seed;

	/* The queue. */
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct writer_req *head, *tail;
	size_t queued;
	bool running;  /* the thread accepts requests */
	bool stopping; /* drain, then exit */
	pthread_t thread;
	bool thread_started;
	struct conf *(*conf_get)(void *arg);
	void *conf_arg;

	/* After a durable commit (writer_set_commit_hook()). */
	void (*hook)(const struct writer_change *ch, void *arg);
	bool (*want_rrs)(void *arg);
	void *hook_arg;
	/* Where the last journal entry of a zone was, so finding the newest
	 * one does not walk the whole journal (any earlier start is correct). */
	struct {
		uint32_t zone_id;
		uint64_t seq;
	} jcache[16];
};

/* One update's committed change, held until the batch commit is durable. */
struct change {
	bool changed;
	uint8_t apex[ILNPDNS_DNAME_MAXLEN];
	uint32_t old_serial, new_serial, removed, added;
	uint8_t *rrs; /* malloc'd copy of the journal entry's RRs, or NULL */
	size_t rrs_len;
};

/* What the writer reads from a request before deciding anything. */
struct req_scan {
	uint16_t id, flags;
	bool zone_ok; /* exactly one zone, parsed: it can be echoed */
	uint8_t zname[ILNPDNS_DNAME_MAXLEN];
	uint16_t ztype, zclass;
	bool edns; /* an OPT was found in the additional section */
	uint8_t opt_version;
	const uint8_t *cookie; /* the first COOKIE option's data in the OPT, or NULL */
	uint16_t cookie_len;
	uint16_t arcount;
};

static uint64_t real_now(void *arg)
{
	(void)arg;
	return (uint64_t)time(NULL);
}

/* ---- requests ---- */

struct writer_req *writer_req_new(const uint8_t *msg, size_t len)
{
	struct writer_req *r = calloc(1, sizeof(*r) + len);
	if (!r)
		return NULL;
	r->fd = -1;
	r->len = len;
	memcpy(r->msg, msg, len);
	return r;
}

void writer_req_free(struct writer_req *req)
{
	free(req);
}

/* ---- per-source failure limit ---- */

static void addr_of(const struct sockaddr_storage *ss, uint8_t *family, uint8_t addr[16])
{
	memset(addr, 0, 16);
	*family = (uint8_t)ss->ss_family;
	if (ss->ss_family == AF_INET)
		memcpy(addr, &((const struct sockaddr_in *)ss)->sin_addr, 4);
	else if (ss->ss_family == AF_INET6)
		memcpy(addr, &((const struct sockaddr_in6 *)ss)->sin6_addr, 16);
}

static struct fail_entry *fail_bucket(struct writer *w, uint8_t family, const uint8_t addr[16])
{
	/* FNV-1a with a random seed, so that clients cannot aim at one bucket. */
	uint64_t h = 0xcbf29ce484222325ULL ^ w->seed;
	h = (h ^ family) * 0x100000001b3ULL;
	for (int i = 0; i < 16; i++)
		h = (h ^ addr[i]) * 0x100000001b3ULL;
	size_t nb = WRITER_FAIL_SLOTS / FAIL_WAYS;
	return &w->fails[((h ^ (h >> 32)) % nb) * FAIL_WAYS];
}

static struct fail_entry *fail_find(struct writer *w, const struct sockaddr_storage *ss, bool add,
                                    uint64_t now)
{
	uint8_t family, addr[16];
	addr_of(ss, &family, addr);
	struct fail_entry *b = fail_bucket(w, family, addr), *victim = &b[0];
	for (int i = 0; i < FAIL_WAYS; i++) {
		if (b[i].family == family && memcmp(b[i].addr, addr, 16) == 0)
			return &b[i];
		/* Free or expired slots first, else the one counting longest. */
		bool free_i = b[i].family == 0 || now - b[i].since >= FAIL_WINDOW;
		bool free_v = victim->family == 0 || now - victim->since >= FAIL_WINDOW;
		if ((free_i && !free_v) || (free_i == free_v && b[i].since < victim->since))
			victim = &b[i];
	}
	if (!add)
		return NULL;
	memcpy(victim->addr, addr, 16);
	victim->family = family;
	victim->count = 0;
	victim->since = now;
	return victim;
}

/* Has this source used up its failures for the current minute? */
static bool fail_limited(struct writer *w, const struct sockaddr_storage *ss, unsigned limit,
                         uint64_t now)
{
	struct fail_entry *e = fail_find(w, ss, false, now);
	return limit && e && now - e->since < FAIL_WINDOW && e->count >= limit;
}

static void fail_note(struct writer *w, const struct sockaddr_storage *ss, uint64_t now)
{
	struct fail_entry *e = fail_find(w, ss, true, now);
	if (now - e->since >= FAIL_WINDOW) {
		e->since = now;
		e->count = 0;
	}
	e->count++;
}

/* ---- life cycle ---- */

int writer_new(struct writer **out, struct store *st, struct stats *stats)
{
	struct writer *w = calloc(1, sizeof(*w));
	if (!w)
		return ILNPDNS_ENOMEM;
	w->store = st;
	w->stats = stats;
	w->now = real_now;
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->cond, NULL);
	w->fails = calloc(WRITER_FAIL_SLOTS, sizeof(*w->fails));
	w->tsig = ilnpdns_tsig_ctx_new();
	w->cookies = cookie_ctx_new();
	int rc = ilnpdns_sig0_ctx_new(&w->sig0);
	if (rc == 0 && !w->fails)
		rc = ILNPDNS_ENOMEM;
	if (rc == 0 && (!w->tsig || !w->cookies))
		rc = ILNPDNS_ECRYPTO;
	if (rc) {
		writer_free(w);
		return rc;
	}
	if (getrandom(&w->seed, sizeof(w->seed), 0) != (ssize_t)sizeof(w->seed))
		w->seed = (uint64_t)time(NULL) ^ (uint64_t)getpid();
	*out = w;
	return 0;
}

void writer_free(struct writer *w)
{
	if (!w)
		return;
	writer_stop(w);
	while (w->head) {
		struct writer_req *r = w->head;
		w->head = r->next;
		writer_req_free(r);
	}
	pthread_mutex_destroy(&w->lock);
	pthread_cond_destroy(&w->cond);
	ilnpdns_tsig_ctx_free(w->tsig);
	ilnpdns_sig0_ctx_free(w->sig0);
	cookie_ctx_free(w->cookies);
	explicit_bzero(w->cookie_secret, sizeof(w->cookie_secret));
	free(w->fails);
	free(w);
}

void writer_set_commit_hook(struct writer *w, void (*fn)(const struct writer_change *ch, void *arg),
                            bool (*want_rrs)(void *arg), void *arg)
{
	w->hook = fn;
	w->want_rrs = want_rrs;
	w->hook_arg = arg;
}

void writer_set_clock(struct writer *w, uint64_t (*fn)(void *arg), void *arg)
{
	w->now = fn ? fn : real_now;
	w->now_arg = fn ? arg : NULL;
	ilnpdns_sig0_ctx_set_clock(w->sig0, fn, arg);
}

/* ---- reading the request ---- */

/* The first COOKIE option among the OPT's options (RFC 6891 6.1.2), if any. */
static void scan_cookie(const uint8_t *p, size_t len, struct req_scan *sc)
{
	for (size_t i = 0; len - i >= 4;) {
		uint16_t code = ilnpdns_get16(p + i), olen = ilnpdns_get16(p + i + 2);
		if (len - i - 4 < olen)
			return;
		if (code == COOKIE_OPT_CODE) {
			sc->cookie = p + i + 4;
			sc->cookie_len = olen;
			return;
		}
		i += 4u + olen;
	}
}

/*
 * Header, zone section and the OPT, if any. A message that cannot be walked
 * to its end is left to update_process() to call FORMERR; only what was
 * read before the damage is used (the zone for the echo, the OPT).
 */
static void scan(const uint8_t *msg, size_t len, struct req_scan *sc)
{
	uint8_t name[ILNPDNS_DNAME_MAXLEN];
	memset(sc, 0, sizeof(*sc));
	sc->id = ilnpdns_get16(msg);
	sc->flags = ilnpdns_get16(msg + 2);
	unsigned zo = ilnpdns_get16(msg + 4), pr = ilnpdns_get16(msg + 6);
	unsigned up = ilnpdns_get16(msg + 8), ad = ilnpdns_get16(msg + 10);
	sc->arcount = (uint16_t)ad;
	size_t pos = ILNPDNS_HDR_LEN;
	for (unsigned i = 0; i < zo; i++) {
		if (ilnpdns_dname_unpack(msg, len, &pos, i == 0 ? sc->zname : name) < 0 ||
		    len - pos < 4)
			return;
		if (i == 0) {
			sc->ztype = ilnpdns_get16(msg + pos);
			sc->zclass = ilnpdns_get16(msg + pos + 2);
			sc->zone_ok = zo == 1;
		}
		pos += 4;
	}
	for (unsigned i = 0; i < pr + up + ad; i++) {
		if (ilnpdns_dname_unpack(msg, len, &pos, name) < 0 || len - pos < 10)
			return;
		uint16_t type = ilnpdns_get16(msg + pos), rdlen = ilnpdns_get16(msg + pos + 8);
		if (len - pos - 10 < rdlen)
			return;
		if (type == ILNPDNS_T_OPT && i >= pr + up && !sc->edns) {
			sc->edns = true;
			sc->opt_version = msg[pos + 5];
			scan_cookie(msg + pos + 10, rdlen, sc);
		}
		pos += 10u + rdlen;
	}
}

/* ---- authentication ---- */

/*
 * Verify a SIG(0) against the KEY RRset at the signer's name in the zone
 * that holds it, cheapest checks first (CVE-2024-1975): the time window, then
 * a bounded walk of the KEY records for a matching algorithm and key tag,
 * and only then at most ILNPDNS_SIG0_MAX_VERIFY public-key operations.
 */
static int sig0_check(struct writer *w, struct store_txn *txn, const struct writer_req *r,
                      const struct ilnpdns_sig0_info *info, const char **why)
{
	int rc = ilnpdns_sig0_check_time(w->sig0, info);
	if (rc) {
		*why = "SIG(0) outside its validity window";
		return rc;
	}
	struct store_zone z;
	struct store_rrset rs;
	uint8_t key[ILNPDNS_DNAME_KEYMAX];
	*why = "no KEY at the SIG(0) signer's name";
	if (store_zone_find(txn, info->signer, &z) != 0)
		return ILNPDNS_EBADKEY;
	size_t keylen = store_owner_key(&z, info->signer, key);
	if (store_rrset_get(txn, &z, key, keylen, ILNPDNS_T_KEY, &rs) != 0)
		return ILNPDNS_EBADKEY;

	struct ilnpdns_sig0_key *cand[ILNPDNS_SIG0_MAX_VERIFY];
	size_t n = 0, seen = 0, pos = 0;
	const uint8_t *rd;
	uint16_t rdlen;
	while (n < ILNPDNS_SIG0_MAX_VERIFY && seen < ILNPDNS_SIG0_MAX_KEYS &&
	       store_rrset_next_rdata(&rs, &pos, &rd, &rdlen)) {
		seen++;
		if (rdlen < 4 || rd[3] != info->alg || ilnpdns_sig0_keytag(rd, rdlen) != info->tag)
			continue;
		if (ilnpdns_sig0_key_from_rdata(info->signer, rd, rdlen, &cand[n]) == 0)
			n++;
	}
	if (n == 0) {
		*why = "no usable KEY matches the SIG(0)";
		return ILNPDNS_EBADKEY;
	}
	rc = ilnpdns_sig0_verify(w->sig0, r->msg, r->len, info, NULL, 0,
	                         (const struct ilnpdns_sig0_key *const *)cand, n, NULL);
	for (size_t i = 0; i < n; i++)
		ilnpdns_sig0_key_free(cand[i]);
	*why = rc == ILNPDNS_EBADTIME  ? "SIG(0) outside its validity window"
	       : rc == ILNPDNS_EBADKEY ? "no usable KEY matches the SIG(0)"
	       : rc                    ? "SIG(0) does not verify"
	                               : NULL;
	return rc;
}

static int finish(struct writer_req *r, int rcode, const char *why)
{
	r->rcode = (uint8_t)rcode;
	r->why = why;
	return rcode;
}

/*
 * Step 1 of the design: who sent it. Returns -1 when the request is
 * authentic or admitted unsigned (*cut is the message length before its
 * signature), else the RCODE to answer with.
 */
static int authenticate(struct writer *w, const struct conf *conf, struct store_txn *txn,
                        struct writer_req *r, const struct req_scan *sc, size_t *cut, uint64_t now)
{
	struct ilnpdns_tsig_rr trr;
	struct ilnpdns_sig0_info info;
	unsigned limit = conf->sig0_fail_limit;

	*cut = r->len;
	int found = ilnpdns_tsig_find(r->msg, r->len, &trr);
	if (found < 0)
		return finish(r, ILNPDNS_RCODE_FORMERR, "malformed TSIG");
	if (found == 1) {
		r->auth = WRITER_TSIG;
		memcpy(r->signer, trr.key_name, ilnpdns_dname_len(trr.key_name));
		if (fail_limited(w, &r->peer, limit, now)) {
			w->stats->update.limited++;
			return finish(r, ILNPDNS_RCODE_REFUSED,
			              "too many failed signatures from source");
		}
		int rc = ilnpdns_tsig_verify_request(w->tsig, r->msg, r->len, conf_tsig_lookup,
		                                     (void *)conf, NULL, now, &r->tsig);
		switch (rc) {
		case 0:
			r->tsig_answer = true;
			r->authentic = true;
			*cut = trr.start;
			return -1;
		case ILNPDNS_EBADKEY:
		case ILNPDNS_EBADSIG:
		case ILNPDNS_EBADTIME:
			/* RFC 8945 5.2: NOTAUTH with the TSIG error; the sign step
			 * knows which errors go out unsigned. */
			r->tsig_answer = true;
			r->tsig_error = r->tsig.error;
			w->stats->update.tsig_failures++;
			fail_note(w, &r->peer, now);
			return finish(r, ILNPDNS_RCODE_NOTAUTH,
			              r->tsig.replay                           ? "TSIG replay"
			              : r->tsig.error == ILNPDNS_TSIG_BADKEY   ? "TSIG BADKEY"
			              : r->tsig.error == ILNPDNS_TSIG_BADTIME  ? "TSIG BADTIME"
			              : r->tsig.error == ILNPDNS_TSIG_BADTRUNC ? "TSIG BADTRUNC"
			                                                       : "TSIG BADSIG");
		case ILNPDNS_EMALF:
			return finish(r, ILNPDNS_RCODE_FORMERR, "malformed TSIG");
		default:
			return finish(r, ILNPDNS_RCODE_SERVFAIL, "TSIG crypto failure");
		}
	}

	int rc = ilnpdns_sig0_find(r->msg, r->len, &info);
	if (rc == 0) {
		r->auth = WRITER_SIG0;
		memcpy(r->signer, info.signer, ilnpdns_dname_len(info.signer));
		if (fail_limited(w, &r->peer, limit, now)) {
			w->stats->update.limited++;
			return finish(r, ILNPDNS_RCODE_REFUSED,
			              "too many failed signatures from source");
		}
		const char *why = NULL;
		rc = sig0_check(w, txn, r, &info, &why);
		if (rc == 0) {
			r->authentic = true;
			*cut = info.sig_off;
			return -1;
		}
		/* RFC 2931 has no error field: unauthenticated is REFUSED (RFC 3007 2). */
		w->stats->update.sig0_failures++;
		fail_note(w, &r->peer, now);
		return finish(
		    r, rc == ILNPDNS_ECRYPTO ? ILNPDNS_RCODE_SERVFAIL : ILNPDNS_RCODE_REFUSED, why);
	}
	if (rc != ILNPDNS_ENOENT)
		return finish(r, ILNPDNS_RCODE_FORMERR, "malformed SIG(0)");

	/* Unsigned: the zone's address list is the whole policy. The zone
	 * section is read first only because the list belongs to a zone. */
	r->auth = WRITER_UNSIGNED;
	if (!sc->zone_ok || sc->ztype != ILNPDNS_T_SOA)
		return finish(r, ILNPDNS_RCODE_FORMERR, "bad zone section");
	const struct conf_zone *z = conf_zone_find(conf, sc->zname);
	if (!z || sc->zclass != ILNPDNS_C_IN)
		return finish(r, ILNPDNS_RCODE_NOTAUTH, "zone not served");
	if (!conf_prefix_match(z->allow_unsigned, z->nallow_unsigned,
	                       (const struct sockaddr *)&r->peer))
		return finish(r, ILNPDNS_RCODE_REFUSED,
		              "unsigned, source not in allow-update-unsigned");
	return -1;
}

/* ---- the journal ---- */

struct last_entry {
	struct store_journal_entry e;
	bool found;
};

static int keep_last(const struct store_journal_entry *e, void *arg)
{
	struct last_entry *l = arg;
	l->e = *e;
	l->found = true;
	return 0;
}

/* Copy the newest journal entry of the zone (the one this update wrote). */
static int capture_entry(struct writer *w, struct store_txn *txn, const struct store_zone *zone,
                         struct change *ch)
{
	struct last_entry l = {.found = false};
	size_t slot = zone->id % (sizeof(w->jcache) / sizeof(w->jcache[0]));
	uint64_t from = w->jcache[slot].zone_id == zone->id ? w->jcache[slot].seq : 0;
	int rc = store_journal_foreach(txn, zone, from, keep_last, &l);
	if (rc == 0 && !l.found && from > 0) /* the journal restarted (re-import) */
		rc = store_journal_foreach(txn, zone, 0, keep_last, &l);
	if (rc || !l.found)
		return rc;
	w->jcache[slot].zone_id = zone->id;
	w->jcache[slot].seq = l.e.seq;
	if ((ch->rrs = malloc(l.e.rrs_len ? l.e.rrs_len : 1)) == NULL)
		return ILNPDNS_ENOMEM;
	memcpy(ch->rrs, l.e.rrs, l.e.rrs_len);
	ch->rrs_len = l.e.rrs_len;
	return 0;
}

/*
 * The update wrote a journal entry: make room under journal-max-entries in
 * the same transaction (the oldest entries go), and copy the entry for the
 * change feed when asked.
 */
static int journal_after(struct writer *w, struct store_txn *txn, const struct conf_zone *z,
                         struct change *ch)
{
	struct store_zone zone;
	size_t dropped = 0;
	int rc = store_zone_get(txn, z->apex, &zone);
	if (rc == 0)
		rc = store_journal_trim(txn, &zone, z->journal_max_entries, &dropped);
	if (rc == 0 && ch)
		rc = capture_entry(w, txn, &zone, ch);
	return rc;
}

/* ---- replays ---- */

/*
 * Beyond RFC 8945 (issue 3): remember the (key, MAC) of every authentic TSIG
 * request in the store, in a child of the batch transaction of its own, so
 * that it is committed even when the update fails and a full map fails only
 * this request. The replay check of ilnpdns_tsig_verify_request() is not
 * used here: its table lives in memory only and evicts live entries.
 * Returns 0, ILNPDNS_EEXIST for a replay, or an ilnpdns_err.
 */
static int replay_note(struct store_txn *txn, const struct ilnpdns_tsig_state *st, uint64_t now)
{
	uint8_t buf[ILNPDNS_DNAME_MAXLEN + ILNPDNS_TSIG_MAC_MAX], md[EVP_MAX_MD_SIZE];
	size_t klen = ilnpdns_dname_len(st->key_name);
	unsigned mdlen = 0;

	/* Only the first 10 octets of the MAC (the shortest any key accepts,
	 * RFC 8945 5.2.2.1): a copy cut to another permitted length is the
	 * same request and must hit the same entry. */
	size_t mlen = st->mac_len < REPLAY_MAC_PREFIX ? st->mac_len : REPLAY_MAC_PREFIX;
	memcpy(buf, st->key_name, klen);
	memcpy(buf + klen, st->mac, mlen);
	if (!EVP_Digest(buf, klen + mlen, md, &mdlen, EVP_sha256(), NULL) ||
	    mdlen < STORE_REPLAY_DIGEST_LEN)
		return ILNPDNS_ECRYPTO;
	/* The request's window closes at Time Signed + fudge (RFC 8945 5.2.3). */
	uint64_t expiry = st->time_signed + st->fudge + REPLAY_MARGIN;
	struct store_txn *child;
	int rc = store_txn_begin_nested(txn, &child);
	if (rc)
		return rc;
	rc = store_replay_check_add(child, md, expiry, now);
	if (rc == 0)
		return store_txn_commit(child);
	store_txn_abort(child);
	return rc;
}

/* Expired entries go, a bounded number per batch, in a child transaction
 * so that a full map costs nothing but the pruning. */
static void replay_prune(struct store_txn *txn, uint64_t now)
{
	struct store_txn *child;
	size_t n;
	if (store_txn_begin_nested(txn, &child) != 0)
		return;
	if (store_replay_prune(child, now, REPLAY_PRUNE, &n) == 0 && n > 0)
		store_txn_commit(child);
	else
		store_txn_abort(child);
}

/* ---- one update ---- */

static void peer_text(const struct writer_req *r, char *buf, size_t cap);

/*
 * One request in the batch transaction txn. *durable is set when the request
 * wrote something the batch must commit even if no zone changed (its replay
 * entry).
 */
static void process_one(struct writer *w, const struct conf *conf, struct store_txn *txn,
                        struct writer_req *r, uint64_t now, struct change *ch, bool capture,
                        bool *durable)
{
	struct req_scan sc;
	size_t cut;

	scan(r->msg, r->len, &sc);
	if (authenticate(w, conf, txn, r, &sc, &cut, now) >= 0)
		return;
	if (r->auth == WRITER_TSIG) {
		int rc = replay_note(txn, &r->tsig, now);
		if (rc == ILNPDNS_EEXIST) {
			/* Answered as a stale Time Signed is: BADTIME, signed (5.2.3). */
			r->authentic = false;
			r->tsig.replay = true;
			r->tsig.error = r->tsig_error = ILNPDNS_TSIG_BADTIME;
			w->stats->update.tsig_failures++;
			fail_note(w, &r->peer, now);
			finish(r, ILNPDNS_RCODE_NOTAUTH, "TSIG replay");
			return;
		}
		if (rc) {
			log_err("update: cannot record the TSIG MAC: %s", ilnpdns_strerror(rc));
			finish(r, ILNPDNS_RCODE_SERVFAIL, "store failure");
			return;
		}
		*durable = true;
	}
	/* RFC 6891 6.1.3, answered once the TSIG is known so it can be signed. */
	if (sc.edns && sc.opt_version > 0) {
		finish(r, ILNPDNS_RCODE_BADVERS, "EDNS version not supported");
		return;
	}
	/* RFC 7873 5.2.2: a COOKIE of a wrong length is FORMERR. */
	if (sc.cookie && sc.cookie_len != COOKIE_CLIENT_LEN &&
	    (sc.cookie_len < 16 || sc.cookie_len > 40)) {
		finish(r, ILNPDNS_RCODE_FORMERR, "malformed COOKIE");
		return;
	}
	if (!sc.zone_ok || sc.ztype != ILNPDNS_T_SOA) {
		finish(r, ILNPDNS_RCODE_FORMERR, "bad zone section");
		return;
	}
	const struct conf_zone *z = conf_zone_find(conf, sc.zname);
	if (!z || sc.zclass != ILNPDNS_C_IN) {
		finish(r, ILNPDNS_RCODE_NOTAUTH, "zone not served");
		return;
	}

	struct update_opts opts = {
	    .signer = r->authentic ? r->signer : NULL,
	    .policy = &z->update_policy,
	    .serial_policy = z->serial_policy,
	    .now = now,
	    .max_rrs = conf->update_max_rrs,
	};
	struct update_result res;
	struct store_txn *child;
	uint16_t adcount = (uint16_t)(sc.arcount - (r->authentic ? 1 : 0));
	int rc = store_txn_begin_nested(txn, &child);
	if (rc == 0) {
		rc = update_process(child, r->msg, cut, adcount, &opts, &res);
		if (rc == 0 && res.rcode == ILNPDNS_RCODE_NOERROR && res.changed)
			rc = journal_after(w, child, z, capture ? ch : NULL);
		if (rc == 0 && res.rcode == ILNPDNS_RCODE_NOERROR)
			rc = store_txn_commit(child); /* into the parent: all or nothing */
		else
			store_txn_abort(child);
	}
	if (rc) {
		/* ilnpdns_strerror() of a full map says to raise server.mapsize. */
		log_err("update %s: store failure: %s", z->domain, ilnpdns_strerror(rc));
		finish(r, ILNPDNS_RCODE_SERVFAIL, "store failure");
		return;
	}
	if (res.rcode == ILNPDNS_RCODE_REFUSED && opts.max_rrs &&
	    (unsigned)res.prereqs + res.updates > opts.max_rrs) {
		char peer[INET6_ADDRSTRLEN + 8];
		peer_text(r, peer, sizeof(peer));
		log_warnx("update %s from %s: %u prerequisite and update RRs, update.max-rrs is %u",
		          z->domain, peer, (unsigned)res.prereqs + res.updates, opts.max_rrs);
	}
	finish(r, res.rcode, res.why);
	r->changed = res.rcode == ILNPDNS_RCODE_NOERROR && res.changed;
	r->new_serial = res.new_serial;
	if (r->changed) {
		ch->changed = true;
		memcpy(ch->apex, z->apex, ilnpdns_dname_len(z->apex));
		ch->old_serial = res.old_serial;
		ch->new_serial = res.new_serial;
		ch->removed = res.removed;
		ch->added = res.added;
	}
}

/* ---- answers ---- */

static void answer_build(struct writer *w, const struct conf *conf, struct writer_req *r,
                         uint64_t now)
{
	struct req_scan sc;
	uint16_t payload = conf->edns_size ? conf->edns_size : ILNPDNS_EDNS_SIZE;

	uint8_t ck[COOKIE_OPT_SPACE];
	size_t cklen = 0;

	/* RFC 2136 3.8: QR, ID and opcode copied, the zone section echoed, the
	 * other sections empty; an OPT if the request had one, with a COOKIE
	 * if it had one (RFC 7873 5.2, as for queries); the TSIG. */
	scan(r->msg, r->len, &sc);
	if (sc.edns && sc.cookie) {
		struct cookie c;
		cookie_parse(sc.cookie, sc.cookie_len, &c);
		cookie_verify(w->cookies, &c, (const struct sockaddr *)&r->peer, (uint32_t)now);
		cklen = cookie_write_option(w->cookies, &c, (const struct sockaddr *)&r->peer,
		                            (uint32_t)now, ck);
	}
	int rc = tsig_answer_build_opt(w->tsig, r->tsig_answer ? &r->tsig : NULL, r->msg, r->len,
	                               r->rcode, sc.edns ? payload : 0, ck, cklen, now, r->ans,
	                               WRITER_ANSWER_MAX, &r->anslen);
	if (rc && r->tsig_answer) {
		log_warnx("update: cannot sign the answer: %s", ilnpdns_strerror(rc));
		rc = tsig_answer_build_opt(w->tsig, NULL, r->msg, r->len, r->rcode,
		                           sc.edns ? payload : 0, ck, cklen, now, r->ans,
		                           WRITER_ANSWER_MAX, &r->anslen);
	}
	if (rc)
		r->anslen = 0;
}

static void peer_text(const struct writer_req *r, char *buf, size_t cap)
{
	char addr[INET6_ADDRSTRLEN] = "?";
	unsigned port = 0;
	if (r->peer.ss_family == AF_INET) {
		const struct sockaddr_in *s = (const struct sockaddr_in *)&r->peer;
		inet_ntop(AF_INET, &s->sin_addr, addr, sizeof(addr));
		port = ntohs(s->sin_port);
	} else if (r->peer.ss_family == AF_INET6) {
		const struct sockaddr_in6 *s = (const struct sockaddr_in6 *)&r->peer;
		inet_ntop(AF_INET6, &s->sin6_addr, addr, sizeof(addr));
		port = ntohs(s->sin6_port);
	}
	snprintf(buf, cap, "%s#%u", addr, port);
}

static const char *rcode_text(unsigned rcode)
{
	static const char *const names[] = {
	    "NOERROR",  "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP",  "REFUSED",
	    "YXDOMAIN", "YXRRSET", "NXRRSET",  "NOTAUTH",  "NOTZONE",
	};
	if (rcode < sizeof(names) / sizeof(names[0]))
		return names[rcode];
	return rcode == ILNPDNS_RCODE_BADVERS ? "BADVERS" : "RCODE?";
}

static void log_update(const struct writer_req *r)
{
	struct req_scan sc;
	char zone[1024] = "?", who[1040] = "unsigned", peer[INET6_ADDRSTRLEN + 8], serial[32] = "";

	scan(r->msg, r->len, &sc);
	if (sc.zone_ok && ilnpdns_dname_to_str(sc.zname, zone, sizeof(zone)) < 0)
		snprintf(zone, sizeof(zone), "?");
	peer_text(r, peer, sizeof(peer));
	if (r->auth != WRITER_UNSIGNED) {
		char name[1024];
		if (ilnpdns_dname_to_str(r->signer, name, sizeof(name)) < 0)
			snprintf(name, sizeof(name), "?");
		snprintf(who, sizeof(who), "%s %s", r->auth == WRITER_TSIG ? "key" : "sig0", name);
	}
	if (r->changed)
		snprintf(serial, sizeof(serial), ", serial %u", r->new_serial);
	else if (r->rcode == ILNPDNS_RCODE_NOERROR)
		snprintf(serial, sizeof(serial), ", no change");
	log_notice("update %s from %s %s%s: %s%s%s%s%s", zone, peer, who,
	           r->transport == QUERY_TCP ? " tcp" : "", rcode_text(r->rcode),
	           r->why ? " (" : "", r->why ? r->why : "", r->why ? ")" : "", serial);
}

/* ---- the batch ---- */

/* A batch between its processing and its answers. */
struct batch {
	struct writer_req **reqs;
	size_t n, cap;
	struct change *chs; /* n entries, or NULL (out of memory: no hook calls) */
	uint64_t now;
};

/*
 * Steps 1-3 of the design for every request of the batch in one write
 * transaction, left open in *txn (NULL if it could not begin: every request
 * is SERVFAIL then). *must_commit: the transaction must be committed (some update
 * changed a zone, or a signed request left its replay entry).
 */
static void batch_apply(struct writer *w, const struct conf *conf, struct batch *b,
                        struct store_txn **txn, bool *must_commit)
{
	bool durable = false;
	bool capture = w->hook && w->want_rrs && w->want_rrs(w->hook_arg);
	b->chs = calloc(b->n ? b->n : 1, sizeof(*b->chs));
	int rc = store_txn_begin(w->store, true, txn);
	if (rc) {
		log_err("update: cannot begin a write transaction: %s", ilnpdns_strerror(rc));
		*txn = NULL;
	}
	*must_commit = false;
	if (rc == 0)
		replay_prune(*txn, b->now);
	for (size_t i = 0; i < b->n; i++) {
		struct writer_req *r = b->reqs[i];
		struct change scratch;
		r->rcode = 0;
		r->why = NULL;
		r->changed = false;
		r->tsig_answer = r->authentic = false;
		r->tsig_error = 0;
		r->auth = WRITER_UNSIGNED;
		r->anslen = 0;
		if (r->len < ILNPDNS_HDR_LEN)
			continue; /* nothing to answer with (the worker drops these) */
		if (rc) {
			finish(r, ILNPDNS_RCODE_SERVFAIL, "store failure");
			continue;
		}
		memset(&scratch, 0, sizeof(scratch));
		process_one(w, conf, *txn, r, b->now, b->chs ? &b->chs[i] : &scratch,
		            capture && b->chs, &durable);
		free(scratch.rrs);
		*must_commit |= r->changed;
	}
	/* A replay entry must be durable before its answer leaves, even when
	 * no update changed a zone (a failed prerequisite cannot be replayed
	 * after a restart either): the caller commits when *must_commit. */
	*must_commit |= durable;
}

/*
 * After the commit (rc its result, or the flush's that made it durable):
 * the answers, counters and log lines, each answer sent at once when reply
 * is set (before the log line and the hooks, which nobody waits for), then
 * the commit hook per change, in commit order.
 */
static void batch_finish(struct writer *w, const struct conf *conf, struct batch *b, int rc,
                         bool reply)
{
	/* The workers' cookie secrets (worker.c): the previous one stays good
	 * for cookies given out before a reload. */
	if (!w->cookie_secret_set ||
	    memcmp(w->cookie_secret, conf->cookie_secret, COOKIE_SECRET_LEN) != 0) {
		cookie_ctx_set_secrets(w->cookies, conf->cookie_secret,
		                       w->cookie_secret_set ? w->cookie_secret : NULL);
		memcpy(w->cookie_secret, conf->cookie_secret, COOKIE_SECRET_LEN);
		w->cookie_secret_set = true;
	}
	stats_count_batch(w->stats, b->n, rc == 0);
	for (size_t i = 0; i < b->n; i++) {
		struct writer_req *r = b->reqs[i];
		if (r->len < ILNPDNS_HDR_LEN)
			continue;
		if (rc && r->rcode == ILNPDNS_RCODE_NOERROR) {
			finish(r, ILNPDNS_RCODE_SERVFAIL, "commit failed");
			r->changed = false;
		}
		answer_build(w, conf, r, b->now);
		struct req_scan sc;
		scan(r->msg, r->len, &sc);
		stats_count_update(w->stats, r->transport, r->rcode, sc.edns);
		if (reply) {
			/* From here the reply callback owns r; keep what the log needs. */
			r->next = NULL;
			if (ilnpdns_log_enabled(LOG_NOTICE))
				log_update(r);
			b->reqs[i] = NULL;
			r->reply(r);
		} else if (ilnpdns_log_enabled(LOG_NOTICE)) {
			log_update(r);
		}
	}
	/* Durable now: secondaries may be told (RFC 1996 4), the feed may see it. */
	for (size_t i = 0; b->chs && i < b->n; i++) {
		if (rc == 0 && w->hook && b->chs[i].changed) {
			struct writer_change wc = {
			    .apex = b->chs[i].apex,
			    .old_serial = b->chs[i].old_serial,
			    .new_serial = b->chs[i].new_serial,
			    .removed = b->chs[i].removed,
			    .added = b->chs[i].added,
			    .rrs = b->chs[i].rrs,
			    .rrs_len = b->chs[i].rrs_len,
			};
			w->hook(&wc, w->hook_arg);
		}
		free(b->chs[i].rrs);
	}
	free(b->chs);
	b->chs = NULL;
}

int writer_process_batch(struct writer *w, const struct conf *conf, struct writer_req *const *reqs,
                         size_t n)
{
	struct batch b = {.reqs = (struct writer_req **)reqs, .n = n, .now = w->now(w->now_arg)};
	struct store_txn *txn;
	bool must_commit;
	int rc;

	batch_apply(w, conf, &b, &txn, &must_commit);
	if (!txn) {
		rc = ILNPDNS_ESTORE;
	} else if (must_commit) {
		/* One durable commit for the batch; a batch that wrote nothing
		 * (no change, no replay entry) needs no flush at all. */
		rc = store_txn_commit(txn);
		if (rc)
			log_err("update: group commit of %zu updates failed: %s", n,
			        ilnpdns_strerror(rc));
	} else {
		store_txn_abort(txn);
		rc = 0;
	}
	batch_finish(w, conf, &b, rc, false);
	return rc;
}

/* ---- the thread ---- */

static bool batch_reserve(struct batch *b, size_t max)
{
	if (b->cap >= max)
		return true;
	struct writer_req **p = realloc(b->reqs, max * sizeof(*p));
	if (!p)
		return b->cap > 0;
	b->reqs = p;
	b->cap = max;
	return true;
}

static void *writer_main(void *arg)
{
	struct writer *w = arg;
	struct batch b = {0};

	for (;;) {
		pthread_mutex_lock(&w->lock);
		while (!w->head && !w->stopping)
			pthread_cond_wait(&w->cond, &w->lock);
		bool done = !w->head;
		pthread_mutex_unlock(&w->lock);
		if (done)
			break;

		/* A reference per batch: a reload during the batch frees
		 * nothing we use (keys, policies). */
		struct conf *conf = w->conf_get(w->conf_arg);
		size_t max = conf->update_batch_max ? conf->update_batch_max : 64;
		if (!batch_reserve(&b, max)) {
			conf_unref(conf);
			log_err("update writer: out of memory, retrying");
			sleep(1);
			continue;
		}
		if (max > b.cap)
			max = b.cap;
		b.n = 0;
		pthread_mutex_lock(&w->lock);
		while (w->head && b.n < max) {
			b.reqs[b.n++] = w->head;
			w->head = w->head->next;
			w->queued--;
		}
		if (!w->head)
			w->tail = NULL;
		pthread_mutex_unlock(&w->lock);

		b.now = w->now(w->now_arg);
		struct store_txn *txn;
		bool must_commit;
		int rc = ILNPDNS_ESTORE;
		batch_apply(w, conf, &b, &txn, &must_commit);
		if (txn && must_commit) {
			rc = store_txn_commit(txn);
			if (rc)
				log_err("update: group commit of %zu updates failed: %s", b.n,
				        ilnpdns_strerror(rc));
		} else if (txn) {
			store_txn_abort(txn);
			rc = 0;
		}
		/* Each answer leaves as soon as it is built. */
		batch_finish(w, conf, &b, rc, true);
		conf_unref(conf);
	}
	free(b.reqs);
	return NULL;
}

int writer_start(struct writer *w, struct conf *(*conf_get)(void *arg), void *arg)
{
	w->conf_get = conf_get;
	w->conf_arg = arg;
	w->stopping = false;
	int rc = pthread_create(&w->thread, NULL, writer_main, w);
	if (rc)
		return -rc;
	w->thread_started = true;
	pthread_mutex_lock(&w->lock);
	w->running = true;
	pthread_mutex_unlock(&w->lock);
	return 0;
}

int writer_submit(struct writer *w, struct writer_req *req)
{
	int rc = 0;
	req->next = NULL;
	pthread_mutex_lock(&w->lock);
	if (!w->running)
		rc = ILNPDNS_EAGAIN;
	else if (w->queued >= WRITER_QUEUE_MAX)
		rc = ILNPDNS_ENOSPC;
	if (rc == 0) {
		if (w->tail)
			w->tail->next = req;
		else
			w->head = req;
		w->tail = req;
		w->queued++;
		pthread_cond_signal(&w->cond);
	}
	pthread_mutex_unlock(&w->lock);
	return rc;
}

void writer_stop(struct writer *w)
{
	if (!w->thread_started)
		return;
	pthread_mutex_lock(&w->lock);
	w->running = false;
	w->stopping = true;
	pthread_cond_signal(&w->cond);
	pthread_mutex_unlock(&w->lock);
	pthread_join(w->thread, NULL);
	w->thread_started = false;
}
