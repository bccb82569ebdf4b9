/* SPDX-License-Identifier: BSD-2-Clause */
/* fuzz_util.h -- what the fuzz targets share: a throw-away store holding the fuzz zone, quiet logs.
 */
#ifndef ILNPDNS_FUZZ_UTIL_H
#define ILNPDNS_FUZZ_UTIL_H

#include <stddef.h>
#include <stdint.h>

struct store;

/* The zone every store-backed target serves (tests/fuzz/data/fuzz.zone). */
#define FUZZ_ZONE "example.ilnp."

/*
 * The fixed clock of the targets, seconds since the epoch: the time the signed
 * seeds were made (data/seed-time, written by make-seeds.sh), so they verify.
 */
uint64_t fuzz_now(void);

/*
 * A broken promise of the code under test (or a broken set-up): say where, then
 * abort() so libFuzzer and the replay test count it as a crash.
 */
#define FUZZ_ABORT() fuzz_abort(__FILE__, __LINE__)
void fuzz_abort(const char *file, int line) __attribute__((noreturn));

/* libFuzzer's entry point, defined by each target; replay_main.c calls it too. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Silence the project's log lines (a logged line per input would dominate the run). */
void fuzz_quiet(void);

/* Path of a file in tests/fuzz/data/ (a static buffer). */
const char *fuzz_data_path(const char *name);

/*
 * A new store in a fresh folder (on /dev/shm when there is one, so commits cost
 * no disk flush) with the fuzz zone imported. The folder is removed at once:
 * LMDB keeps its open files, and a crashing run leaves nothing behind.
 * Aborts on failure: a target without its store cannot fuzz anything.
 */
struct store *fuzz_store_new(size_t mapsize);

/* Re-import the fuzz zone into st (undoes what an update committed). */
void fuzz_store_reload(struct store *st);

/* Read a whole file (aborts on failure); *len gets its size. Free the result. */
char *fuzz_read_file(const char *path, size_t *len);

/*
 * Commit n small updates (a changing A record of journal.example.ilnp.) so
 * the zone has a journal: IXFR requests then meet difference sequences.
 */
void fuzz_store_add_journal(struct store *st, unsigned n);

#endif /* ILNPDNS_FUZZ_UTIL_H */
