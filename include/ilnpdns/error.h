/* SPDX-License-Identifier: BSD-2-Clause */
/* error.h -- the one error code space of libilnpdns, ilnpdnsd and the tools. */
#ifndef ILNPDNS_ERROR_H
#define ILNPDNS_ERROR_H

#include <errno.h>

/*
 * 0 is success, negative is failure. System errors are their negated errno
 * (ILNPDNS_ENOMEM == -ENOMEM); our own codes start at -1000. DNS RCODEs never
 * travel in this space: functions that decide an RCODE return it separately.
 */
enum ilnpdns_err {
	ILNPDNS_OK = 0,
	ILNPDNS_ENOMEM = -ENOMEM,
	ILNPDNS_EINVAL = -EINVAL,
	ILNPDNS_ENOSPC = -ENOSPC,
	ILNPDNS_ENOENT = -ENOENT,
	ILNPDNS_EEXIST = -EEXIST,
	ILNPDNS_ERANGE = -ERANGE,
	ILNPDNS_EIO = -EIO,
	ILNPDNS_EAGAIN = -EAGAIN,
	ILNPDNS_ETIMEDOUT = -ETIMEDOUT,

	ILNPDNS_EMALF = -1000,    /* malformed wire data */
	ILNPDNS_ENAME = -1001,    /* bad domain name (label > 63, name > 255, loop) */
	ILNPDNS_ESYNTAX = -1002,  /* presentation-format syntax error */
	ILNPDNS_ERDATA = -1003,   /* RDATA invalid for its type */
	ILNPDNS_ETRUNC = -1004,   /* output does not fit in the buffer */
	ILNPDNS_EZONE = -1005,    /* zone content invalid (no SOA, out-of-zone data, ...) */
	ILNPDNS_ESTORE = -1006,   /* LMDB failure other than map full */
	ILNPDNS_EMAPFULL = -1007, /* LMDB map full */
	ILNPDNS_ESCHEMA = -1008,  /* database schema version mismatch */
	ILNPDNS_ECONF = -1009,    /* configuration error */
	ILNPDNS_ECRYPTO = -1010,  /* OpenSSL failure */
	ILNPDNS_EBADKEY = -1011,  /* key unknown or unusable */
	ILNPDNS_EBADSIG = -1012,  /* signature does not verify */
	ILNPDNS_EBADTIME = -1013, /* signature outside its time window */
};

/* A static, human-readable description of an ilnpdns_err or negated errno. */
const char *ilnpdns_strerror(int err);

#endif /* ILNPDNS_ERROR_H */
