/* SPDX-License-Identifier: BSD-2-Clause */
/* fuzz_update.c -- libFuzzer target: UPDATE requests through TSIG, SIG(0), update and the writer.
 */
#include "config.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "fuzz_util.h"
#include "ilnpdns/dname.h"
#include "ilnpdns/error.h"
#include "ilnpdns/sig0.h"
#include "ilnpdns/tsig.h"
#include "ilnpdns/wire.h"
#include "stats.h"
#include "store.h"
#include "update.h"
#include "writer.h"

/*
 * One input is one UPDATE request as received. It goes through the same
 * steps as in ilnpdnsd, twice:
 *
 * 1. By hand, each module on its own: ilnpdns_tsig_find() and
 *    ilnpdns_tsig_verify_request() with the keys of tests/fuzz/data/fuzz.yaml;
 *    ilnpdns_sig0_find(), the time check and ilnpdns_sig0_verify() with
 *    host1's three SIG(0) keys (RSA, P-256, Ed25519); then update_process()
 *    on a nested write transaction that is always thrown away, for the
 *    message cut before its signature. The principal is the verified signer,
 *    or for an unsigned message one picked by the low bits of the ID (none,
 *    fuzz-key., other-key., host1.example.ilnp.) so the policy is fuzzed
 *    too, since mutated signatures never verify.
 * 2. Through writer_process_batch(), which authenticates, applies and
 *    commits, from a source the ID picks (10.9/16 may update unsigned); a
 *    committed change is undone by re-importing the zone, so every input
 *    meets the same zone.
 *
 * The clock of both is fuzz_now(), when the signed seeds were made. Checked
 * beyond the sanitizers (abort() is the finding): update_process() writes
 * nothing unless NOERROR, moves the serial forward when it changes the zone
 * and the zone then shows that serial; answers are walkable messages with
 * the request's ID that fit WRITER_ANSWER_MAX.
 */

#define WRITER_RENEW 100000 /* inputs per writer: its failure table never fills up */

static const char *const sig0_keys[] = {
    "Khost1.example.ilnp.+008+33061",
    "Khost1.example.ilnp.+013+22777",
    "Khost1.example.ilnp.+015+63052",
};
#define NKEYS (sizeof(sig0_keys) / sizeof(sig0_keys[0]))

static struct store *st;
static struct conf *conf;
static const struct conf_zone *czone;
static struct ilnpdns_tsig_ctx *tctx;
static struct ilnpdns_sig0_ctx *sctx;
static struct ilnpdns_sig0_key *keys[NKEYS];
static struct writer *writer;
static struct stats wstats;
static unsigned writer_uses;
static uint8_t principals[4][ILNPDNS_DNAME_MAXLEN];

/* FUZZ_TRACE=1 in the environment: one line per step (to see what the seeds reach). */
static void trace(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void trace(const char *fmt, ...)
{
	static int on = -1;
	if (on < 0)
		on = getenv("FUZZ_TRACE") != NULL;
	if (!on)
		return;
	va_list ap;
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static uint64_t fixed_clock(void *arg)
{
	(void)arg;
	return fuzz_now();
}

static void new_writer(void)
{
	writer_free(writer);
	memset(&wstats, 0, sizeof(wstats));
	if (writer_new(&writer, st, &wstats) != 0)
		FUZZ_ABORT();
	writer_set_clock(writer, fixed_clock, NULL);
	writer_uses = 0;
}

static void init(void)
{
	char err[512] = "", path[1024];
	fuzz_quiet();
	st = fuzz_store_new(64u << 20);
	if (conf_load(fuzz_data_path("fuzz.yaml"), &conf, err, sizeof(err)) != 0) {
		fprintf(stderr, "fuzz: %s\n", err);
		FUZZ_ABORT();
	}
	czone = &conf->zones[0];
	tctx = ilnpdns_tsig_ctx_new();
	if (tctx == NULL || ilnpdns_sig0_ctx_new(&sctx) != 0)
		FUZZ_ABORT();
	ilnpdns_sig0_ctx_set_clock(sctx, fixed_clock, NULL);
	for (size_t i = 0; i < NKEYS; i++) {
		snprintf(path, sizeof(path), "%s/../../unit/data/sig0/%s", fuzz_data_path(""),
		         sig0_keys[i]);
		if (ilnpdns_sig0_key_load(path, &keys[i]) != 0) {
			fprintf(stderr, "fuzz: cannot load %s\n", path);
			FUZZ_ABORT();
		}
	}
	static const char *const names[4] = {".", "fuzz-key.", "other-key.", "host1.example.ilnp."};
	for (int i = 0; i < 4; i++)
		if (ilnpdns_dname_from_str(names[i], principals[i]) <= 0)
			FUZZ_ABORT();
	new_writer();
}

/* The message must be a DNS message that can be walked to its end. */
static void check_message(const uint8_t *m, size_t len, size_t cap)
{
	struct ilnpdns_tsig_rr rr;
	if (len < ILNPDNS_HDR_LEN || len > cap || ilnpdns_tsig_find(m, len, &rr) < 0)
		FUZZ_ABORT();
}

/* Step 1: the modules by hand. */
static void by_hand(const uint8_t *msg, size_t len)
{
	struct ilnpdns_tsig_rr rr;
	struct ilnpdns_tsig_state tst;
	struct ilnpdns_sig0_info si;
	const uint8_t *signer = NULL;
	size_t cut = len;
	uint16_t adcount = len >= ILNPDNS_HDR_LEN ? ilnpdns_get16(msg + 10) : 0;

	int found = ilnpdns_tsig_find(msg, len, &rr);
	if (found == 1) {
		if (rr.start > len || adcount == 0)
			FUZZ_ABORT(); /* a found TSIG is an additional RR inside the message */
		cut = rr.start;
		adcount--;
		int rc = ilnpdns_tsig_verify_request(tctx, msg, len, conf_tsig_lookup, conf, NULL,
		                                     fuzz_now(), &tst);
		trace("tsig %d", rc);
		if (rc == 0) {
			if (tst.key == NULL)
				FUZZ_ABORT();
			signer = tst.key->name;
		}
	}
	int s = ilnpdns_sig0_find(msg, len, &si);
	if (s == 0) {
		if (found == 1 || si.sig_off > len || si.sig_len > len || adcount == 0)
			FUZZ_ABORT(); /* sig0.h: never with a TSIG; inside the message */
		cut = si.sig_off;
		adcount--;
		if (ilnpdns_sig0_check_time(sctx, &si) == 0) {
			const struct ilnpdns_sig0_key *used = NULL;
			int rc = ilnpdns_sig0_verify(sctx, msg, len, &si, NULL, 0,
			                             (const struct ilnpdns_sig0_key *const *)keys,
			                             NKEYS, &used);
			trace("sig0 %d", rc);
			if (rc == 0) {
				if (used == NULL)
					FUZZ_ABORT();
				signer = si.signer;
			}
		}
	}
	if (len < ILNPDNS_HDR_LEN)
		return;
	struct update_opts opts = {
	    .signer = signer,
	    .policy = &czone->update_policy,
	    .serial_policy = (msg[1] & 4) ? UPDATE_SERIAL_UNIXTIME : UPDATE_SERIAL_INCREMENT,
	    .now = fuzz_now(),
	};
	if (signer == NULL && (msg[1] & 3) == 0)
		opts.policy = NULL; /* an admitted unsigned update: no policy */
	else if (signer == NULL)
		opts.signer = principals[msg[1] & 3];

	struct store_txn *outer, *txn;
	struct update_result res;
	struct store_zone before, after;
	/* LMDB: a parent with a live child may do nothing but commit or abort. */
	if (store_txn_begin(st, true, &outer) != 0 ||
	    store_zone_get(outer, czone->apex, &before) != 0 ||
	    store_txn_begin_nested(outer, &txn) != 0)
		FUZZ_ABORT();
	memset(&res, 0, sizeof(res));
	int rc = update_process(txn, msg, cut, adcount, &opts, &res);
	trace("update %d rcode %d%s", rc, res.rcode, res.changed ? " changed" : "");
	if (rc == 0 && res.rcode == ILNPDNS_RCODE_NOERROR) {
		if (store_txn_commit(txn) != 0)
			FUZZ_ABORT();
		if (store_zone_get(outer, czone->apex, &after) != 0)
			FUZZ_ABORT();
		if (res.changed && (!update_serial_gt(res.new_serial, before.serial) ||
		                    after.serial != res.new_serial))
			FUZZ_ABORT(); /* RFC 2136 3.6: the serial moves forward, and is the zone's
			               */
		if (!res.changed && after.serial != before.serial)
			FUZZ_ABORT();
	} else {
		if (rc == 0 && (res.changed || res.rcode < 0 || res.rcode > 0xfff))
			FUZZ_ABORT();
		store_txn_abort(txn);
	}
	store_txn_abort(outer);
}

/* Step 2: the writer, as the daemon runs it. */
static void through_writer(const uint8_t *msg, size_t len)
{
	if (len < ILNPDNS_HDR_LEN)
		return; /* is_update() passes on nothing shorter */
	struct writer_req *r = writer_req_new(msg, len);
	if (r == NULL)
		return;
	struct sockaddr_in *peer = (struct sockaddr_in *)&r->peer;
	peer->sin_family = AF_INET;
	peer->sin_port = htons(40000);
	bool unsigned_ok = (msg[1] & 8) != 0;
	inet_pton(AF_INET, unsigned_ok ? "10.9.1.2" : "192.0.2.200", &peer->sin_addr);
	r->peerlen = sizeof(*peer);
	r->transport = (msg[1] & 16) ? QUERY_TCP : QUERY_UDP;

	struct writer_req *reqs[1] = {r};
	(void)writer_process_batch(writer, conf, reqs, 1);
	trace("writer rcode %d tsig-error %u%s", r->rcode, r->tsig_error,
	      r->changed ? " changed" : "");
	if (r->anslen > 0) {
		check_message(r->ans, r->anslen, WRITER_ANSWER_MAX);
		if (memcmp(r->ans, msg, 2) != 0)
			FUZZ_ABORT();
	}
	if (r->changed)
		fuzz_store_reload(st);
	writer_req_free(r);
	if (++writer_uses == WRITER_RENEW)
		new_writer();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (st == NULL)
		init();
	uint8_t *msg = malloc(size ? size : 1);
	if (msg == NULL)
		return 0;
	memcpy(msg, data, size);
	/* Workers hand the writer only QR 0, opcode UPDATE (worker.c is_update()): make every
	 * input one, a no-op for the seeds, so no input is spent on the screening. */
	if (size >= ILNPDNS_HDR_LEN)
		msg[2] = (uint8_t)((msg[2] & 0x07) | (ILNPDNS_OP_UPDATE << 3));
	by_hand(msg, size);
	through_writer(msg, size);
	free(msg);
	return 0;
}
