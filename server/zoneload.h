/* SPDX-License-Identifier: BSD-2-Clause */
/* zoneload.h -- import RFC 1035 master files into the store; dump zones back out. */
#ifndef ILNPDNS_ZONELOAD_H
#define ILNPDNS_ZONELOAD_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct store;
struct store_txn;
struct store_zone;

struct zoneload_result {
	uint32_t serial;     /* SOA serial of the imported zone */
	size_t records;      /* RRs imported */
	size_t rrsets;       /* RRsets written */
	size_t warnings;     /* e.g. LP pointing at its own owner */
	double seconds;      /* wall time, parse + commit */
};

/*
 * Replace zone `apex` (wire form) with the content of the master file at
 * `path`, in one write transaction: on any error nothing changes and `err`
 * holds "file:line: problem" (the file named is the one where the error is,
 * which may be an $INCLUDEd file). Supports $ORIGIN, $TTL (0 included),
 * $INCLUDE (relative to the including file's folder), RFC 3597 \# syntax and
 * the RFC 6742 types with strict validation. ilnp_ttl is the zone's effective
 * setting stored with it (STORE_ILNP_TTL_KEEP to serve file TTLs). Returns 0
 * or an ilnpdns_err.
 */
int zoneload_file(struct store *st, const uint8_t *apex, const char *path, uint32_t ilnp_ttl,
		  struct zoneload_result *res, char *err, size_t errlen);

/*
 * Same as zoneload_file() from an open stream; `name` is used in error
 * messages and $INCLUDE paths are resolved relative to the current
 * directory. Used by tests with fmemopen().
 */
int zoneload_stream(struct store *st, const uint8_t *apex, FILE *in, const char *name,
		    uint32_t ilnp_ttl, struct zoneload_result *res, char *err, size_t errlen);

/*
 * Write the zone as a master file (SOA first, absolute names, one RR per
 * line, the effective TTL: the zone's ilnp_ttl applied to NID/L32/L64/LP)
 * that named-checkzone, nsd-checkzone and kzonecheck accept.
 */
int zonedump_write(struct store_txn *txn, const struct store_zone *zone, FILE *out);

#endif /* ILNPDNS_ZONELOAD_H */
