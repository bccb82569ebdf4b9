/* SPDX-License-Identifier: BSD-2-Clause */
/* fuzz_store.c -- the store-backed fuzz targets' throw-away store holding the fuzz zone. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz_util.h"
#include "ilnpdns/dname.h"
#include "store.h"
#include "update.h"
#include "zoneload.h"

void fuzz_store_reload(struct store *st)
{
	uint8_t apex[ILNPDNS_DNAME_MAXLEN];
	struct zoneload_result res;
	char err[512] = "";
	if (ilnpdns_dname_from_str(FUZZ_ZONE, apex) <= 0)
		FUZZ_ABORT();
	if (zoneload_file(st, apex, fuzz_data_path("fuzz.zone"), 0, &res, err, sizeof(err)) != 0) {
		fprintf(stderr, "fuzz: cannot load the fuzz zone: %s\n", err);
		FUZZ_ABORT();
	}
}

struct store *fuzz_store_new(size_t mapsize)
{
	char dir[64], cmd[128];
	struct store *st = NULL;
	snprintf(dir, sizeof(dir), "%s/ilnpdns-fuzz-XXXXXX",
	         access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
	if (mkdtemp(dir) == NULL) {
		perror("fuzz: mkdtemp");
		FUZZ_ABORT();
	}
	int rc = store_open(&st, dir, mapsize, 0);
	/* The open environment keeps its files; nothing is left behind after a crash. */
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0 || rc != 0) {
		fprintf(stderr, "fuzz: store_open %s: %d\n", dir, rc);
		FUZZ_ABORT();
	}
	fuzz_store_reload(st);
	return st;
}

void fuzz_store_add_journal(struct store *st, unsigned n)
{
	/* RFC 2136 2.5.1 add, built by hand: zone example.ilnp. SOA IN, one A of TTL 0. */
	static const uint8_t zname[] = "\007example\004ilnp";
	static const uint8_t owner[] = "\007journal\007example\004ilnp";
	for (unsigned i = 0; i < n; i++) {
		uint8_t msg[128];
		size_t len = 0;
		static const uint8_t hdr[12] = {0, 1, 0x28, 0, 0, 1, 0, 0, 0, 1, 0, 0};
		memcpy(msg, hdr, sizeof(hdr));
		len = sizeof(hdr);
		memcpy(msg + len, zname, sizeof(zname));
		len += sizeof(zname);
		static const uint8_t zq[4] = {0, 6, 0, 1};
		memcpy(msg + len, zq, 4);
		len += 4;
		memcpy(msg + len, owner, sizeof(owner));
		len += sizeof(owner);
		const uint8_t rr[14] = {0, 1, 0, 1,   0, 0, 0,
		                        0, 0, 4, 192, 0, 2, (uint8_t)(100 + i)};
		memcpy(msg + len, rr, sizeof(rr));
		len += sizeof(rr);

		struct store_txn *txn;
		struct update_opts opts = {.signer = NULL, .policy = NULL};
		struct update_result res;
		if (store_txn_begin(st, true, &txn) != 0)
			FUZZ_ABORT();
		if (update_process(txn, msg, len, 0, &opts, &res) != 0 || res.rcode != 0 ||
		    !res.changed) {
			fprintf(stderr, "fuzz: journal update %u: rcode %d (%s)\n", i, res.rcode,
			        res.why ? res.why : "");
			FUZZ_ABORT();
		}
		if (store_txn_commit(txn) != 0)
			FUZZ_ABORT();
	}
}
