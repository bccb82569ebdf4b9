/* SPDX-License-Identifier: BSD-2-Clause */
/* fuzz_util.c -- what every fuzz target shares: quiet logs, data file paths, reading a file. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "fuzz_util.h"
#include "ilnpdns/log.h"

#ifndef FUZZ_DATADIR
#error "FUZZ_DATADIR must name tests/fuzz/data"
#endif

void fuzz_abort(const char *file, int line)
{
	fprintf(stderr, "fuzz: check failed at %s:%d\n", file, line);
	abort();
}

void fuzz_quiet(void)
{
	/* Below LOG_EMERG: not even critical lines, the sanitizers speak for failures. */
	ilnpdns_log_init("fuzz", -1, false);
}

const char *fuzz_data_path(const char *name)
{
	static char path[1024];
	snprintf(path, sizeof(path), "%s/%s", FUZZ_DATADIR, name);
	return path;
}

char *fuzz_read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL) {
		perror(path);
		abort();
	}
	size_t cap = 4096, n = 0;
	char *buf = malloc(cap + 1);
	size_t got;
	while (buf != NULL && (got = fread(buf + n, 1, cap - n, f)) > 0) {
		n += got;
		if (n == cap) {
			char *bigger = realloc(buf, 2 * cap + 1);
			if (bigger == NULL)
				free(buf);
			buf = bigger;
			cap *= 2;
		}
	}
	fclose(f);
	if (buf == NULL)
		abort();
	buf[n] = '\0';
	*len = n;
	return buf;
}

uint64_t fuzz_now(void)
{
	static uint64_t now;
	if (now == 0) {
		size_t len;
		char *text = fuzz_read_file(fuzz_data_path("seed-time"), &len);
		now = strtoull(text, NULL, 10);
		free(text);
		if (now == 0)
			abort();
	}
	return now;
}
