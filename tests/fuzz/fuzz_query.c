/* SPDX-License-Identifier: BSD-2-Clause */
/* fuzz_query.c -- libFuzzer target: one request through query_process() against the fuzz zone. */
#include "config.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "fuzz_util.h"
#include "ilnpdns/dname.h"
#include "ilnpdns/error.h"
#include "ilnpdns/tsig.h"
#include "ilnpdns/wire.h"
#include "notify.h"
#include "query.h"
#include "store.h"
#include "xfr.h"

/*
 * One input is one request as it came off the wire (no TCP length prefix).
 * It is answered twice, over UDP and over TCP, from a read snapshot of a
 * store holding tests/fuzz/data/fuzz.zone and a short update journal, with
 * the TSIG keys of tests/fuzz/data/fuzz.yaml and the clock at fuzz_now() (the
 * signed seeds verify). Requests that query_process() hands off are
 * finished as the worker would: AXFR/IXFR through xfr.h, message after
 * message, and NOTIFY through notify_answer().
 *
 * Beyond the sanitizers, every response is checked against what the server
 * promises (abort() is the finding): it is a walkable DNS message with the
 * request's ID and QR set, no bigger than the buffer, and over UDP no
 * bigger than 512 octets without EDNS and the configured 1232 with it
 * (RFC 1035 4.2.1, RFC 6891 6.2.5).
 */

#define EDNS_SIZE 1232
#define XFR_MSGS  4096 /* a transfer of the fuzz zone needs a handful */

static struct store *st;
static struct store_txn *txn;
static struct query_ctx *qctx;
static struct conf *conf;
static uint8_t resp[ILNPDNS_MSG_MAX];
static uint8_t resp2[ILNPDNS_MSG_MAX];

static uint64_t fixed_clock(void)
{
	return fuzz_now();
}

static void init(void)
{
	char err[512] = "";
	fuzz_quiet();
	st = fuzz_store_new(64u << 20);
	fuzz_store_add_journal(st, 3);
	if (conf_load(fuzz_data_path("fuzz.yaml"), &conf, err, sizeof(err)) != 0) {
		fprintf(stderr, "fuzz: %s\n", err);
		FUZZ_ABORT();
	}
	qctx = query_ctx_new();
	if (qctx == NULL || store_txn_begin(st, false, &txn) != 0)
		FUZZ_ABORT();
	query_ctx_set_edns_size(qctx, EDNS_SIZE);
	query_ctx_set_tsig(qctx, conf_tsig_lookup, conf, NULL);
	query_ctx_set_clock(qctx, fixed_clock);
}

/* A response must be a message that can be walked to its end. */
static void check_message(const uint8_t *m, size_t len, size_t cap)
{
	struct ilnpdns_tsig_rr rr;
	if (len < ILNPDNS_HDR_LEN || len > cap)
		FUZZ_ABORT();
	if (ilnpdns_tsig_find(m, len, &rr) < 0) {
		fprintf(stderr, "fuzz: a response of %zu octets cannot be walked\n", len);
		FUZZ_ABORT();
	}
}

static void check_response(const uint8_t *req, size_t reqlen, size_t len, enum query_transport t,
                           const struct query_info *info)
{
	if (len == 0) {
		if (!info->dropped && info->handoff == QUERY_HANDOFF_NONE)
			FUZZ_ABORT(); /* query.h: 0 means dropped, or handed off */
		return;
	}
	if (info->dropped)
		FUZZ_ABORT();
	check_message(resp, len, sizeof(resp));
	if (reqlen >= 2 && memcmp(resp, req, 2) != 0)
		FUZZ_ABORT(); /* the answer carries the request's ID */
	if (!(resp[2] & 0x80))
		FUZZ_ABORT(); /* QR */
	if (t == QUERY_UDP && len > (info->edns ? EDNS_SIZE : 512)) {
		fprintf(stderr, "fuzz: UDP response of %zu octets (edns %d)\n", len, info->edns);
		FUZZ_ABORT();
	}
}

/* Finish an AXFR/IXFR the way the worker does, checking every message. */
static void transfer(const uint8_t *req, size_t reqlen, enum query_transport t)
{
	const struct query_handoff_info *h = query_ctx_handoff(qctx);
	struct xfr_request xr;
	struct store_zone zone;
	struct xfr *x = NULL;
	if (xfr_parse_request(req, reqlen, &xr) != 0)
		return;
	if (t == QUERY_UDP && xr.qtype == ILNPDNS_T_AXFR)
		return; /* refused by the caller (xfr.h) */
	if (store_zone_get(txn, xr.qname, &zone) != 0)
		return; /* NOTAUTH by the caller */
	struct xfr_opts o = {
	    .udp_size = t == QUERY_UDP ? h->udp_limit : 0,
	    .edns_payload = h->edns_payload,
	    .edns_do = h->edns_do,
	    .now = fuzz_now(),
	};
	if (xfr_begin(&x, txn, &zone, &xr, h->tctx, h->tsig, &o) != 0)
		return;
	size_t cap = t == QUERY_UDP ? h->udp_limit : sizeof(resp2);
	for (int i = 0, more = 1; more == 1 && i < XFR_MSGS; i++) {
		size_t len = 0;
		more = xfr_next(x, resp2, cap, &len);
		if (more >= 0)
			check_message(resp2, len, cap);
		if (i == XFR_MSGS - 1)
			FUZZ_ABORT(); /* a transfer of a small zone that does not end */
	}
	xfr_end(x);
}

static void notify(const uint8_t *req, size_t reqlen)
{
	const struct query_handoff_info *h = query_ctx_handoff(qctx);
	size_t len = 0;
	int rcode = 0;
	if (notify_answer(txn, h->tctx, h->tsig, req, reqlen, h->edns_payload, "fuzz", fuzz_now(),
	                  resp2, sizeof(resp2), &len, &rcode) == 0 &&
	    len > 0)
		check_message(resp2, len, sizeof(resp2));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sockaddr_in from = {.sin_family = AF_INET, .sin_port = htons(40000)};
	struct query_info info;
	if (st == NULL)
		init();
	from.sin_addr.s_addr = htonl(INADDR_LOOPBACK);

	/* An exact copy: the sanitizers see a read one octet too far. */
	uint8_t *req = malloc(size ? size : 1);
	if (req == NULL)
		return 0;
	memcpy(req, data, size);
	for (int t = QUERY_UDP; t <= QUERY_TCP; t++) {
		memset(&info, 0, sizeof(info));
		size_t len =
		    query_process(qctx, txn, req, size, (enum query_transport)t,
		                  (const struct sockaddr *)&from, resp, sizeof(resp), &info);
		check_response(req, size, len, (enum query_transport)t, &info);
		if (info.handoff == QUERY_HANDOFF_XFR)
			transfer(req, size, (enum query_transport)t);
		else if (info.handoff == QUERY_HANDOFF_NOTIFY)
			notify(req, size);
	}
	free(req);
	return 0;
}
