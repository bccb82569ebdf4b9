/* SPDX-License-Identifier: BSD-2-Clause */
/* replay_main.c -- without libFuzzer: run every seed and crash reproducer of a target as a test. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz_util.h"

/*
 * make check runs this once per target with no arguments: it replays the
 * folders named by FUZZ_REPLAY_DIRS (the checked-in corpus/<target>/ and
 * <target>.repro/, colon-separated), so every crash ever found stays fixed.
 * Arguments, when given, are files or folders to replay instead (a new
 * reproducer from a fuzz run, say). A crash or sanitizer report fails the
 * test by itself; a folder that holds no file at all fails it too, since a
 * replay of nothing proves nothing. Each file is named before it runs, so a
 * crash log says which input did it.
 */

#ifndef FUZZ_REPLAY_DIRS
#define FUZZ_REPLAY_DIRS ""
#endif

static int replay_file(const char *path, size_t *count)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		return -1;
	}
	size_t cap = 1 << 16, n = 0, got;
	uint8_t *buf = malloc(cap);
	while (buf != NULL && (got = fread(buf + n, 1, cap - n, f)) > 0) {
		n += got;
		if (n == cap) {
			uint8_t *bigger = realloc(buf, cap * 2);
			if (bigger == NULL)
				free(buf);
			buf = bigger;
			cap *= 2;
		}
	}
	fclose(f);
	if (buf == NULL) {
		fprintf(stderr, "%s: out of memory\n", path);
		return -1;
	}
	fprintf(stderr, "replay %s (%zu octets)\n", path, n);
	/* An exact-size copy, so that ASan sees any read past the input's end. */
	uint8_t *exact = malloc(n ? n : 1);
	if (exact == NULL) {
		free(buf);
		return -1;
	}
	memcpy(exact, buf, n);
	free(buf);
	LLVMFuzzerTestOneInput(exact, n);
	free(exact);
	(*count)++;
	return 0;
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Replay a file, or every regular file of a folder in name order. missing_ok: no such folder. */
static int replay_path(const char *path, bool missing_ok, size_t *count)
{
	struct stat st;
	if (stat(path, &st) != 0) {
		if (missing_ok && errno == ENOENT)
			return 0;
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode))
		return replay_file(path, count);

	DIR *d = opendir(path);
	if (d == NULL) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		return -1;
	}
	char **names = NULL;
	size_t n = 0, cap = 0;
	int rc = 0;
	struct dirent *de;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue; /* ., .. and hidden files such as .gitignore */
		if (n == cap) {
			cap = cap ? 2 * cap : 64;
			char **bigger = realloc(names, cap * sizeof(*names));
			if (bigger == NULL) {
				rc = -1;
				break;
			}
			names = bigger;
		}
		if (asprintf(&names[n], "%s/%s", path, de->d_name) < 0) {
			rc = -1;
			break;
		}
		n++;
	}
	closedir(d);
	if (n > 1) /* qsort(NULL, 0, ...) is undefined */
		qsort(names, n, sizeof(*names), name_cmp);
	for (size_t i = 0; i < n; i++) {
		if (rc == 0 && stat(names[i], &st) == 0 && S_ISREG(st.st_mode))
			rc = replay_file(names[i], count);
		free(names[i]);
	}
	free(names);
	return rc;
}

int main(int argc, char **argv)
{
	size_t count = 0;
	int rc = 0;
	if (argc > 1) {
		for (int i = 1; i < argc && rc == 0; i++)
			rc = replay_path(argv[i], false, &count);
	} else {
		/* The corpus folder must exist; a .repro folder exists once something was found. */
		char *dirs = strdup(FUZZ_REPLAY_DIRS), *save = NULL;
		bool first = true;
		for (char *d = strtok_r(dirs, ":", &save); d && rc == 0;
		     d = strtok_r(NULL, ":", &save)) {
			rc = replay_path(d, !first, &count);
			first = false;
		}
		free(dirs);
	}
	if (rc == 0 && count == 0) {
		fprintf(stderr, "no input replayed\n");
		rc = -1;
	}
	if (rc == 0)
		fprintf(stderr, "%s: %zu inputs replayed, no failure\n", argv[0], count);
	return rc == 0 ? 0 : 1;
}
