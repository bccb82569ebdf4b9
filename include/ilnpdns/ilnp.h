/* SPDX-License-Identifier: BSD-2-Clause */
/* ilnp.h -- RFC 6742 NID, L32, L64 and LP RDATA: strict parsing, checking and printing. */
#ifndef ILNPDNS_ILNP_H
#define ILNPDNS_ILNP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Largest ILNP RDATA: LP = preference + a 255-octet name (RFC 6742 2.4.1). */
#define ILNPDNS_ILNP_RDATA_MAX (2 + 255)
/* Longest text ilnpdns_ilnp_rdata_to_str() writes, NUL included. */
#define ILNPDNS_ILNP_STR_MAX (6 + 4 * 255 + 1)

/*
 * Flag set by ilnpdns_ilnp_rdata_from_str(): the LP target is the record's
 * own owner, which RFC 6742 2.4.1.2 forbids. The RDATA is still returned so
 * that zone import can warn and load; UPDATE refuses it.
 */
#define ILNPDNS_ILNP_LP_SELF 0x1u

/*
 * Preference: decimal digits only (no sign, no space), value 0..65535.
 * s is len characters, not necessarily NUL-terminated. Returns 0 or
 * ILNPDNS_ERDATA.
 */
int ilnpdns_ilnp_pref_from_str(const char *s, size_t len, uint16_t *pref);

/*
 * 64-bit NodeID or locator: exactly four colon-separated groups of 1-4 hex
 * digits; the "::" form is refused (RFC 6742 2.1.2, 2.3.2). Returns 0 or
 * ILNPDNS_ERDATA.
 */
int ilnpdns_ilnp_loc64_from_str(const char *s, size_t len, uint8_t out[8]);

/*
 * 32-bit locator: a dotted quad of decimal octets 0..255 without leading
 * zeros ("10.1.02.0" is refused, as by BIND, NSD, Knot and ldns). Returns 0
 * or ILNPDNS_ERDATA.
 */
int ilnpdns_ilnp_loc32_from_str(const char *s, size_t len, uint8_t out[4]);

/*
 * A master-file domain name: "@" is origin, a name ending in an unescaped
 * dot is absolute, any other is relative to origin (origin NULL: taken as
 * absolute). RFC 1035 5.1 escapes. Returns the wire length or ILNPDNS_ENAME
 * / ILNPDNS_ESYNTAX. out must hold 255 octets.
 */
int ilnpdns_ilnp_name_from_str(const char *s, size_t len, const uint8_t *origin, uint8_t *out);

/*
 * Presentation RDATA of type (NID, L32, L64 or LP) -- the text after the
 * type, e.g. "10 0014:4fff:ff20:ee64" -- into wire RDATA. Tokens are
 * separated by blanks; exactly two are required. owner (wire, may be NULL)
 * is used for the LP self-pointer check, origin (wire, may be NULL)
 * completes relative LP names. *flags (may be NULL) receives
 * ILNPDNS_ILNP_LP_SELF. *why (may be NULL) receives a static description of
 * a failure. out must hold ILNPDNS_ILNP_RDATA_MAX octets. Returns the RDATA
 * length, ILNPDNS_ERDATA for bad content, ILNPDNS_ENAME for a bad LP name
 * or ILNPDNS_EINVAL when type is not an ILNP type.
 */
int ilnpdns_ilnp_rdata_from_str(uint16_t type, const char *text, const uint8_t *owner,
                                const uint8_t *origin, uint8_t *out, unsigned *flags,
                                const char **why);

/*
 * Check wire RDATA of an ILNP type: RDLENGTH exactly 10 (NID, L64), 6 (L32),
 * or for LP 2 + an uncompressed name that ends exactly at rdlen. Returns 0,
 * ILNPDNS_EMALF, or ILNPDNS_EINVAL when type is not an ILNP type.
 */
int ilnpdns_ilnp_rdata_check(uint16_t type, const uint8_t *rdata, size_t rdlen);

/*
 * RDATA of an ILNP RR inside a message at pkt[pos], rdlen octets, copied to
 * out uncompressed. An LP name may be compressed on input (RFC 6742 2.4.1.2
 * forbids senders to compress but BIND and ldns accept it; so do we), but
 * the name must end exactly at pos + rdlen. Returns the uncompressed RDATA
 * length or ILNPDNS_EMALF / ILNPDNS_ENAME / ILNPDNS_EINVAL. out must hold
 * ILNPDNS_ILNP_RDATA_MAX octets.
 */
int ilnpdns_ilnp_rdata_unpack(uint16_t type, const uint8_t *pkt, size_t pktlen, size_t pos,
                              uint16_t rdlen, uint8_t *out);

/* True when an LP RDATA (already checked) names owner (case-insensitive). */
bool ilnpdns_ilnp_lp_is_self(const uint8_t *owner, const uint8_t *rdata, size_t rdlen);

/*
 * Canonical presentation of checked wire RDATA: the preference in decimal,
 * then 4 lower-case hex digits per group (NID, L64), a dotted quad (L32) or
 * an absolute name (LP). Returns the string length, ILNPDNS_EMALF for bad
 * RDATA or ILNPDNS_ETRUNC when cap is too small (ILNPDNS_ILNP_STR_MAX always
 * suffices).
 */
int ilnpdns_ilnp_rdata_to_str(uint16_t type, const uint8_t *rdata, size_t rdlen, char *buf,
                              size_t cap);

#endif /* ILNPDNS_ILNP_H */
