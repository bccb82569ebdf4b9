/* SPDX-License-Identifier: BSD-2-Clause */
/* base64.h -- RFC 4648 base64 for key secrets, strict about padding, tolerant of whitespace. */
#ifndef ILNPDNS_BASE64_H
#define ILNPDNS_BASE64_H

#include <stddef.h>
#include <stdint.h>

/* Decoded size bound for inlen characters of base64 (whitespace included). */
#define ILNPDNS_B64_DECODED_MAX(inlen) (((inlen) / 4 + 1) * 3)

/*
 * Decode inlen characters of base64 (RFC 4648 section 4 alphabet) into out.
 * Whitespace anywhere is skipped, as in BIND key files where a secret may be
 * split over lines. The remaining characters must form whole quartets, with
 * '=' padding only at the very end ("QQ==", "QUI="); unpadded input is
 * refused. OpenSSL's EVP_DecodeBlock() is not used because it counts padding
 * as decoded zero octets and does not skip whitespace.
 *
 * Returns the number of octets written, ILNPDNS_ESYNTAX for bad input or
 * ILNPDNS_ETRUNC when the result does not fit in cap octets.
 */
int ilnpdns_b64_decode(const char *in, size_t inlen, uint8_t *out, size_t cap);

/*
 * Encode len octets as padded base64 into out, NUL-terminated. Returns the
 * string length, or ILNPDNS_ETRUNC when cap cannot hold it and its NUL
 * (4 * ceil(len / 3) + 1 octets always suffice).
 */
int ilnpdns_b64_encode(const uint8_t *in, size_t len, char *out, size_t cap);

/* Value of one hex digit (either case), or -1 when c is not one. */
int ilnpdns_hexval(char c);

#endif /* ILNPDNS_BASE64_H */
