/* SPDX-License-Identifier: BSD-2-Clause */
/* error.c -- names for the error codes of error.h. */
#include <string.h>

#include "ilnpdns/error.h"

const char *ilnpdns_strerror(int err)
{
	switch (err) {
	case ILNPDNS_OK:
		return "success";
	case ILNPDNS_EMALF:
		return "malformed wire data";
	case ILNPDNS_ENAME:
		return "invalid domain name";
	case ILNPDNS_ESYNTAX:
		return "syntax error";
	case ILNPDNS_ERDATA:
		return "invalid RDATA";
	case ILNPDNS_ETRUNC:
		return "does not fit in the buffer";
	case ILNPDNS_EZONE:
		return "invalid zone content";
	case ILNPDNS_ESTORE:
		return "database failure";
	case ILNPDNS_EMAPFULL:
		return "database map full (raise server.mapsize)";
	case ILNPDNS_ESCHEMA:
		return "database schema version mismatch";
	case ILNPDNS_ECONF:
		return "configuration error";
	case ILNPDNS_ECRYPTO:
		return "cryptographic library failure";
	case ILNPDNS_EBADKEY:
		return "bad or unknown key";
	case ILNPDNS_EBADSIG:
		return "bad signature";
	case ILNPDNS_EBADTIME:
		return "signature time outside its window";
	default:
		if (err < 0 && err > -1000)
			return strerror(-err);
		return "unknown error";
	}
}
