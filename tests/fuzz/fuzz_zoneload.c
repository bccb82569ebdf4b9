/* SPDX-License-Identifier: BSD-2-Clause */
/* fuzz_zoneload.c -- libFuzzer target: master files through zoneload_stream() into a store. */
#include "config.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "fuzz_util.h"
#include "ilnpdns/dname.h"
#include "ilnpdns/error.h"
#include "store.h"
#include "zoneload.h"

/*
 * One input is one master file for example.ilnp. (its first octet picks the
 * ILNP TTL setting: 0 or keep). It is imported into a store on /dev/shm;
 * an import that succeeds is dumped back with zonedump_write(), the dump
 * imported again and dumped again: both dumps must be equal, so the loader
 * and the dumper agree (the round trip the zone tests rely on).
 *
 * $INCLUDE: the run starts in a private folder holding two files,
 * "inc.zone" (a few records) and "self.zone" (which includes itself, to
 * reach the depth limit). An input whose $INCLUDE names a path with a "/"
 * is skipped, so that a run never reads /dev/zero or a FIFO.
 */

static struct store *st;
static uint8_t apex[ILNPDNS_DNAME_MAXLEN];

static void make_include_files(void)
{
	char dir[64];
	snprintf(dir, sizeof(dir), "%s/ilnpdns-fuzz-inc-XXXXXX",
	         access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
	if (mkdtemp(dir) == NULL || chdir(dir) != 0)
		FUZZ_ABORT();
	FILE *f = fopen("inc.zone", "w");
	if (f == NULL)
		FUZZ_ABORT();
	fputs("inc A 192.0.2.99\ninc L64 10 2001:db8:1:2\n$TTL 0\ninc2 NID 5 1:2:3:4\n", f);
	fclose(f);
	f = fopen("self.zone", "w");
	if (f == NULL)
		FUZZ_ABORT();
	fputs("deep TXT \"again\"\n$INCLUDE self.zone\n", f);
	fclose(f);
}

/* True when some $INCLUDE line of the input names a path with a slash (NULs included). */
static bool includes_elsewhere(const char *text, size_t len)
{
	for (size_t i = 0; i + 8 <= len; i++) {
		if (text[i] != '$' || strncasecmp(text + i, "$include", 8) != 0)
			continue;
		for (size_t j = i + 8; j < len && text[j] != '\n'; j++)
			if (text[j] == '/')
				return true;
	}
	return false;
}

static int import(const char *text, size_t len, uint32_t ilnp_ttl, struct zoneload_result *res)
{
	char err[512];
	err[0] = '\0';
	FILE *in = fmemopen((void *)text, len, "r");
	if (in == NULL)
		return ILNPDNS_ENOMEM;
	int rc = zoneload_stream(st, apex, in, "fuzz.zone", ilnp_ttl, res, err, sizeof(err));
	fclose(in);
	if (memchr(err, '\0', sizeof(err)) == NULL)
		FUZZ_ABORT();
	if (rc != 0 && rc != ILNPDNS_ENOMEM && err[0] == '\0')
		FUZZ_ABORT(); /* zoneload.h: on error err holds "file:line: problem" */
	return rc;
}

/* The zone as zonedump_write() writes it (malloc'd, *len octets). */
static char *dump_zone(size_t *len)
{
	struct store_txn *txn;
	struct store_zone zone;
	char *dump = NULL;
	if (store_txn_begin(st, false, &txn) != 0)
		FUZZ_ABORT();
	if (store_zone_get(txn, apex, &zone) != 0)
		FUZZ_ABORT(); /* imported a moment ago */
	FILE *out = open_memstream(&dump, len);
	if (out == NULL)
		FUZZ_ABORT();
	int rc = zonedump_write(txn, &zone, out);
	fclose(out);
	store_txn_abort(txn);
	if (rc != 0)
		FUZZ_ABORT();
	return dump;
}

/*
 * Dump the zone just imported, import the dump and dump again: the second
 * dump must equal the first, and the serial must survive (the input may
 * hold duplicates that the first import merged, so counts are not compared
 * with the input's).
 */
static void round_trip(uint32_t ilnp_ttl, const struct zoneload_result *first)
{
	size_t len1 = 0, len2 = 0;
	struct zoneload_result again;
	char *dump1 = dump_zone(&len1);
	int rc = import(dump1, len1, ilnp_ttl, &again);
	if (rc != 0 || again.serial != first->serial) {
		fprintf(stderr, "round trip: the dump does not import (%d):\n%s", rc, dump1);
		FUZZ_ABORT();
	}
	char *dump2 = dump_zone(&len2);
	if (len1 != len2 || memcmp(dump1, dump2, len1) != 0) {
		fprintf(stderr, "round trip: dumps differ:\n%s\n----\n%s", dump1, dump2);
		FUZZ_ABORT();
	}
	free(dump1);
	free(dump2);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (st == NULL) {
		fuzz_quiet();
		make_include_files();
		st = fuzz_store_new(256u << 20);
		if (ilnpdns_dname_from_str(FUZZ_ZONE, apex) <= 0)
			FUZZ_ABORT();
	}
	if (size == 0)
		return 0;
	uint32_t ilnp_ttl = (data[0] & 1) ? STORE_ILNP_TTL_KEEP : 0;
	char *text = malloc(size);
	if (text == NULL)
		return 0;
	memcpy(text, data + 1, size - 1);
	text[size - 1] = '\0';
	if (!includes_elsewhere(text, size - 1)) {
		struct zoneload_result res;
		if (import(text, size - 1, ilnp_ttl, &res) == 0)
			round_trip(ilnp_ttl, &res);
	}
	free(text);
	return 0;
}
