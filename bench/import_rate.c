/* SPDX-License-Identifier: BSD-2-Clause */
/* import_rate.c -- import a master file into a scratch store and report records per second. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ilnpdns/dname.h"
#include "ilnpdns/error.h"
#include "store.h"
#include "zoneload.h"

static void usage(void)
{
	fprintf(stderr, "usage: import-rate FILE [ZONE [DBDIR]]\n"
	                "  ZONE defaults to example.ilnp., DBDIR to a fresh folder under /tmp\n");
	exit(2);
}

int main(int argc, char **argv)
{
	if (argc < 2 || argc > 4)
		usage();
	const char *file = argv[1], *zone = argc > 2 ? argv[2] : "example.ilnp.";
	char tmp[] = "/tmp/ilnpdns-import-rate-XXXXXX";
	const char *dir = argc > 3 ? argv[3] : mkdtemp(tmp);
	uint8_t apex[ILNPDNS_DNAME_MAXLEN];
	struct store *st;
	struct zoneload_result res;
	char err[1024];
	int rc;

	if (!dir || ilnpdns_dname_from_str(zone, apex) < 0)
		usage();
	/* A map larger than any test zone; LMDB only reserves address space. */
	if ((rc = store_open(&st, dir, (size_t)16 << 30, 0))) {
		fprintf(stderr, "import-rate: %s: %s\n", dir, ilnpdns_strerror(rc));
		return 1;
	}
	rc = zoneload_file(st, apex, file, 0, &res, err, sizeof(err));
	store_close(st);
	if (argc <= 3) {
		char cmd[128];
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		if (system(cmd) != 0)
			fprintf(stderr, "import-rate: could not remove %s\n", dir);
	}
	if (rc) {
		fprintf(stderr, "import-rate: %s\n", err);
		return 1;
	}
	printf("%zu records, %zu RRsets, %zu warnings in %.3f s: %.0f records/s\n", res.records,
	       res.rrsets, res.warnings, res.seconds,
	       res.seconds > 0 ? (double)res.records / res.seconds : 0.0);
	return 0;
}
