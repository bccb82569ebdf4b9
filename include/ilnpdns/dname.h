/* SPDX-License-Identifier: BSD-2-Clause */
/* dname.h -- domain names in wire form: reading, comparing, canonical lookup keys. */
#ifndef ILNPDNS_DNAME_H
#define ILNPDNS_DNAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ILNPDNS_DNAME_MAXLEN   255 /* wire octets, root label included (RFC 1035 2.3.4) */
#define ILNPDNS_LABEL_MAXLEN   63
#define ILNPDNS_DNAME_MAXLABELS 128 /* root counted */
/*
 * A lookup key is at most twice the label octets (escaping) plus one
 * terminator per label: 2 * 253 + 127 = 633 octets.
 */
#define ILNPDNS_DNAME_KEYMAX 640

/*
 * Names here are uncompressed wire form: length-prefixed labels ending with
 * the zero-length root label. Functions that take a name trust it to be
 * well formed (it came from ilnpdns_dname_unpack() or the store); functions
 * that read packets check everything.
 */

/*
 * Read a possibly compressed name from pkt[*pos] into out (uncompressed, case
 * kept). Compression pointers must point strictly backwards (RFC 1035 4.1.4;
 * this also rules out loops). Advances *pos past the name as it appears in the
 * packet. Returns the uncompressed length, or ILNPDNS_EMALF (runs past the
 * end, bad label type) or ILNPDNS_ENAME (label > 63, name > 255 octets).
 * out must hold ILNPDNS_DNAME_MAXLEN octets.
 */
int ilnpdns_dname_unpack(const uint8_t *pkt, size_t pktlen, size_t *pos, uint8_t *out);

/* Length in octets of a well-formed uncompressed name, root label included. */
size_t ilnpdns_dname_len(const uint8_t *name);

/* Number of labels, the root label not counted ("." is 0, "a.b." is 2). */
unsigned ilnpdns_dname_labels(const uint8_t *name);

/* Case-insensitive (ASCII) equality of two uncompressed names. */
bool ilnpdns_dname_equal(const uint8_t *a, const uint8_t *b);

/* True when name is parent or lies below it (case-insensitive). */
bool ilnpdns_dname_is_under(const uint8_t *name, const uint8_t *parent);

/* Pointer to the suffix of name that drops its first n labels (n <= labels). */
const uint8_t *ilnpdns_dname_skip(const uint8_t *name, unsigned n);

/* Lowercase a name in place (ASCII only, as RFC 4034 6.2). */
void ilnpdns_dname_lower(uint8_t *name);

/*
 * RFC 4034 6.1 canonical order: negative, zero or positive as a sorts before,
 * equal to or after b.
 */
int ilnpdns_dname_compare(const uint8_t *a, const uint8_t *b);

/*
 * Lookup key of the labels of name that lie below its last skip labels (skip
 * = the apex's label count gives the key relative to the zone apex; 0 gives
 * the absolute key). The key lists those labels from the root towards the
 * owner, lowercased, each escaped (0x00 -> 01 01, 0x01 -> 01 02) and
 * terminated by 0x00, so that memcmp order of keys is canonical order and a
 * subtree is one contiguous range of keys sharing the subtree root's key as
 * prefix. The apex itself has the empty key. Returns the key length; key must
 * hold ILNPDNS_DNAME_KEYMAX octets.
 */
size_t ilnpdns_dname_to_key(const uint8_t *name, unsigned skip, uint8_t *key);

/*
 * Inverse of ilnpdns_dname_to_key(): rebuild the wire name from a relative key
 * and the apex name it is relative to. Returns the name length, or
 * ILNPDNS_EMALF for a corrupt key or ILNPDNS_ENAME when it would exceed 255.
 * out must hold ILNPDNS_DNAME_MAXLEN octets.
 */
int ilnpdns_dname_from_key(const uint8_t *key, size_t keylen, const uint8_t *apex, uint8_t *out);

/*
 * Presentation form ("www.example.", "." for the root) with RFC 1035 5.1
 * escapes. Returns the string length, or ILNPDNS_ETRUNC when cap is too small
 * (4 * 255 + 1 always suffices).
 */
int ilnpdns_dname_to_str(const uint8_t *name, char *buf, size_t cap);

/*
 * Parse an absolute presentation-form name ("a.example." or "a.example",
 * always taken as absolute) into wire form. Returns the wire length or
 * ILNPDNS_ENAME / ILNPDNS_ESYNTAX. out must hold ILNPDNS_DNAME_MAXLEN octets.
 */
int ilnpdns_dname_from_str(const char *str, uint8_t *out);

#endif /* ILNPDNS_DNAME_H */
