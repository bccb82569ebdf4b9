/* SPDX-License-Identifier: BSD-2-Clause */
/* yconf.h -- a table-driven YAML configuration reader on libyaml. */
#ifndef ILNPDNS_YCONF_H
#define ILNPDNS_YCONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/socket.h>

/*
 * A program describes its configuration file as a schema: an array of
 * struct yconf_key records, ended by a record whose key is NULL. Each record
 * names one YAML key, its type and bounds, its default and where the value
 * goes (an offset into the caller's struct). The same table then drives
 * parsing, defaults, freeing and the sample file (yconf_write_sample()), so
 * an option is described in exactly one place.
 *
 * Errors read "file:line: key: problem", where key is the dotted path
 * ("server.workers", "zone.domain") and line is 1-based. The reader rejects
 * unknown keys, duplicate keys, values of the wrong type or shape, and
 * values out of range. A map may have at most 64 keys (the duplicate check
 * keeps one bit per schema record).
 */

/* An address written "ip@port" ("127.0.0.1@5300", "::1@53", "fe80::1%eth0@53"). */
struct yconf_addr {
	struct sockaddr_storage ss;
	socklen_t len;
	char text[64]; /* as written */
};

/* One string of a YCONF_STRINGS list, with the line it was written on. */
struct yconf_str {
	char *text;    /* malloc'd */
	unsigned line; /* 1-based */
};

enum yconf_type {
	/* char *, malloc'd (yconf_free() frees it); NULL when unset without default. */
	YCONF_STRING,
	/* bool: true/false, yes/no, on/off. */
	YCONF_BOOL,
	/*
	 * Unsigned integer in a field of `width` octets (1, 2, 4 or 8), within
	 * [min, max]. `names` optionally lists keywords that stand for values
	 * outside the range ("keep" for UINT32_MAX).
	 */
	YCONF_UINT,
	/* Byte count with optional k, M, G or T suffix (powers of 1024); width, min, max. */
	YCONF_SIZE,
	/*
	 * Duration stored in milliseconds: "250ms", "10s", "5m", "2h", "1d"; a
	 * bare number is seconds. width, min, max (in milliseconds).
	 */
	YCONF_DURATION,
	/*
	 * One "ip@port" or a list of them: a malloc'd array of struct yconf_addr
	 * at offset, its length (size_t) at count_offset. min and max bound the
	 * number of addresses; default_port applies when "@port" is left out
	 * (0: the port is required). An empty value is an empty list.
	 */
	YCONF_ADDRS,
	/* One of `names`, stored like YCONF_UINT in `width` octets. */
	YCONF_ENUM,
	/* A nested map described by `sub`; offsets in sub are relative to offset. */
	YCONF_MAP,
	/*
	 * A list of maps described by `sub`: a malloc'd array of elem_size-octet
	 * elements at offset (a pointer), its length (size_t) at count_offset.
	 * Offsets in sub are relative to an element. Each element starts with the
	 * defaults of sub. An empty value is an empty list.
	 */
	YCONF_LIST,
	/*
	 * One string or a list of strings: a malloc'd array of struct yconf_str
	 * at offset, its length (size_t) at count_offset, each string with its
	 * own line so that a later check can point at the item it rejects. min
	 * and max bound the number of strings (max 0: no bound). An empty value
	 * is an empty list; dflt does not apply (lists start empty).
	 */
	YCONF_STRINGS,
};

struct yconf_name {
	const char *name;
	uint64_t value;
};

/* Record flags. */
#define YCONF_REQUIRED 0x1 /* the key must be present in its map */
#define YCONF_MARK     0x2 /* set the bool at mark_offset when the key is present */
#define YCONF_LINE     0x4 /* store the value's 1-based line in the unsigned at line_offset */
#define YCONF_ITEM_VALUE 0x8 /* LIST: an item may be one value instead of a map; it sets sub[0] */

struct yconf_key {
	const char *key; /* NULL ends the schema */
	enum yconf_type type;
	size_t offset;
	unsigned width;    /* UINT, SIZE, DURATION, ENUM: sizeof the field */
	uint64_t min, max; /* UINT, SIZE, DURATION: value range; ADDRS: count range */
	const char *dflt;  /* default in the file's syntax ("1232", "10s", "a@1 b@2"), or NULL */
	const struct yconf_name *names; /* ENUM values; UINT keywords; ended by a NULL name */
	const struct yconf_key *sub;    /* MAP, LIST */
	size_t elem_size;               /* LIST */
	size_t count_offset;            /* ADDRS, LIST */
	uint16_t default_port;          /* ADDRS */
	unsigned flags;
	size_t mark_offset; /* YCONF_MARK */
	size_t line_offset; /* YCONF_LINE: for checks made after the file is read */
	/*
	 * Optional extra validation after the value is stored: obj is the struct
	 * (or list element) holding the field, user is yconf_parse()'s user
	 * argument. Return 0, or -1 with a reason in why (the reader prefixes
	 * "file:line: key: ").
	 */
	int (*check)(void *obj, void *field, void *user, char *why, size_t whylen);
	const char *help; /* one line, for yconf_write_sample() and --help texts */
};

/*
 * Fill base with the schema's defaults (strings are copied, lists start
 * empty). base should be zeroed first. Returns 0, ILNPDNS_ENOMEM, or
 * ILNPDNS_ECONF when a default in the schema itself is invalid (a
 * programming error, described in err).
 */
int yconf_defaults(const struct yconf_key *schema, void *base, char *err, size_t errlen);

/*
 * Apply the defaults, then parse the YAML file at path into base. The
 * document must be a map (an empty file is an empty map). `user` is passed
 * to check functions. Returns 0, ILNPDNS_ECONF (err says where and why) or
 * ILNPDNS_ENOMEM. On error base holds a partial result: free it with
 * yconf_free() either way.
 */
int yconf_parse(const struct yconf_key *schema, const char *path, void *base, void *user, char *err,
                size_t errlen);

/* Same, from an open stream; name is the file name used in messages. */
int yconf_parse_stream(const struct yconf_key *schema, FILE *in, const char *name, void *base,
                       void *user, char *err, size_t errlen);

/* Free what the reader allocated in base (strings, address arrays, lists). */
void yconf_free(const struct yconf_key *schema, void *base);

/*
 * Parse one "ip@port" address. default_port applies when "@port" is absent
 * (0: required). Returns 0, or ILNPDNS_ESYNTAX with a reason in why.
 */
int yconf_addr_parse(const char *text, uint16_t default_port, struct yconf_addr *out, char *why,
                     size_t whylen);

/*
 * Write a commented sample file showing every key with its default and help
 * text (lists of maps show one commented-out element).
 */
void yconf_write_sample(const struct yconf_key *schema, FILE *out);

/* Shared enum tables: log-level names (syslog levels) and log targets
 * (stderr 0, syslog 1), so every program's config spells them alike. */
extern const struct yconf_name yconf_log_levels[];
extern const struct yconf_name yconf_log_targets[];

#endif /* ILNPDNS_YCONF_H */
