/* SPDX-License-Identifier: BSD-2-Clause */
/* base64.c -- RFC 4648 base64 for key secrets, strict about padding, tolerant of whitespace. */
#include <stdbool.h>

#include "ilnpdns/base64.h"
#include "ilnpdns/error.h"

static const char b64_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* Value of a base64 digit, -1 for '=', -2 for anything else. */
static int b64_value(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	if (c == '=')
		return -1;
	return -2;
}

static bool b64_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

int ilnpdns_b64_decode(const char *in, size_t inlen, uint8_t *out, size_t cap)
{
	size_t outlen = 0;
	unsigned quad[4], n = 0;
	bool done = false; /* a padded quartet was seen: only whitespace may follow */

	for (size_t i = 0; i < inlen; i++) {
		if (b64_space(in[i]))
			continue;
		if (done)
			return ILNPDNS_ESYNTAX;
		int v = b64_value(in[i]);
		if (v == -2)
			return ILNPDNS_ESYNTAX;
		/* '=' may stand only in the last two positions of a quartet,
		 * and after a '=' only another '=' (RFC 4648 section 4). */
		if (v == -1 && n < 2)
			return ILNPDNS_ESYNTAX;
		if (v >= 0 && n == 3 && quad[2] == 64)
			return ILNPDNS_ESYNTAX;
		quad[n++] = v < 0 ? 64 : (unsigned)v;
		if (n < 4)
			continue;
		size_t k = quad[2] == 64 ? 1 : quad[3] == 64 ? 2 : 3;
		if (outlen + k > cap)
			return ILNPDNS_ETRUNC;
		uint32_t bits =
		    quad[0] << 18 | quad[1] << 12 | (quad[2] & 63) << 6 | (quad[3] & 63);
		out[outlen++] = (uint8_t)(bits >> 16);
		if (k > 1)
			out[outlen++] = (uint8_t)(bits >> 8);
		if (k > 2)
			out[outlen++] = (uint8_t)bits;
		done = k < 3;
		n = 0;
	}
	if (n != 0)
		return ILNPDNS_ESYNTAX;
	return (int)outlen;
}

int ilnpdns_b64_encode(const uint8_t *in, size_t len, char *out, size_t cap)
{
	size_t need = (len + 2) / 3 * 4;
	if (need + 1 > cap)
		return ILNPDNS_ETRUNC;
	size_t o = 0;
	for (size_t i = 0; i < len; i += 3) {
		uint32_t bits = (uint32_t)in[i] << 16;
		if (i + 1 < len)
			bits |= (uint32_t)in[i + 1] << 8;
		if (i + 2 < len)
			bits |= in[i + 2];
		out[o++] = b64_alphabet[bits >> 18 & 63];
		out[o++] = b64_alphabet[bits >> 12 & 63];
		out[o++] = i + 1 < len ? b64_alphabet[bits >> 6 & 63] : '=';
		out[o++] = i + 2 < len ? b64_alphabet[bits & 63] : '=';
	}
	out[o] = '\0';
	return (int)o;
}

int ilnpdns_hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}
