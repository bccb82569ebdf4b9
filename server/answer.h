/* SPDX-License-Identifier: BSD-2-Clause */
/* answer.h -- authoritative lookup: zone, cuts, exact match, CNAME, wildcards, negative answers. */
#ifndef ILNPDNS_ANSWER_H
#define ILNPDNS_ANSWER_H

#include <stdbool.h>
#include <stdint.h>

#include "ilnpdns/dname.h"
#include "store.h"

struct response;
struct store_txn;

/* CNAMEs followed inside a zone before giving up (RFC 1034 3.6.2 loops). */
#define ANSWER_CHAIN_MAX 8

/*
 * Scratch state for one lookup, embedded in the worker's query_ctx so a
 * query allocates nothing: the names of the CNAME chain (qname first), the
 * lookup keys and the nodes read from the store.
 */
struct answer_scratch {
	uint8_t names[ANSWER_CHAIN_MAX + 1][ILNPDNS_DNAME_MAXLEN];
	uint8_t key[ILNPDNS_DNAME_KEYMAX];
	uint8_t wkey[ILNPDNS_DNAME_KEYMAX];
	uint8_t tkey[ILNPDNS_DNAME_KEYMAX];
	struct store_node node;  /* the name (or wildcard) being answered */
	struct store_node tnode; /* an LP target or glue owner */
};

struct answer_result {
	uint8_t rcode; /* NOERROR, NXDOMAIN, REFUSED or SERVFAIL */
	bool aa;
	bool tc; /* required data (RFC 2181 9, RFC 9471) did not fit */
};

/*
 * Fill the answer, authority and additional sections of resp (whose
 * question is already written) for qname/qtype in class IN, from the
 * snapshot txn. qname is uncompressed with the query's letter case; answer
 * owners equal to it come out in that case. tcp selects the full ANY
 * answer (RFC 8482 4.1 leaves UDP to one RRset). Never allocates.
 */
void answer_query(struct answer_scratch *s, struct store_txn *txn, const uint8_t *qname,
                  uint16_t qtype, bool tcp, struct response *resp, struct answer_result *res);

#endif /* ILNPDNS_ANSWER_H */
