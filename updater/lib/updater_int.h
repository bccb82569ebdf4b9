/* SPDX-License-Identifier: BSD-2-Clause */
/* updater_int.h -- what the updater library's modules share and nobody else sees. */
#ifndef ILNPDNS_UPDATER_INT_H
#define ILNPDNS_UPDATER_INT_H

#include <stdint.h>

#include "ilnpdns/updater.h"

/* A random message ID (OpenSSL RAND_bytes). */
uint16_t upd_random_id(void);

/* Monotonic clock in microseconds. */
uint64_t upd_now_us(void);

/* Make a one-question query for <name, type, IN>, RD clear, random ID. */
int upd_query_render(const uint8_t *name, uint16_t type, uint8_t *buf, size_t cap, size_t *len);

/*
 * The request engine (client.c) as set locators (locators.c) drives it:
 * kind UPDATE sends msg, kind QUERY sends <qname, qtype>. done is called
 * once with the result; its answer is freed after done returns.
 */
enum upd_kind { UPD_KIND_UPDATE, UPD_KIND_QUERY };
typedef void (*upd_done_fn)(struct ilnpdns_upd_req *req, struct ilnpdns_upd_result *res, void *arg);
int upd_req_start(struct ilnpdns_upd_client *c, enum upd_kind kind,
                  const struct ilnpdns_upd_msg *msg, const uint8_t *qname, uint16_t qtype,
                  upd_done_fn done, void *arg, struct ilnpdns_upd_req **out);
/* Stop and free a request without calling done. */
void upd_req_abort(struct ilnpdns_upd_req *req);

/* A request that only stands for a set-locators operation (its public
 * handle); cancelling it calls op_abort(op), which frees the shell. */
struct ilnpdns_upd_req *upd_req_shell(struct ilnpdns_upd_client *c, void *op,
                                      void (*op_abort)(void *op));
void upd_req_shell_free(struct ilnpdns_upd_req *r);

/* Beliefs of the set-locators layer, kept in the client (locators.c). */
struct upd_belief;
void upd_beliefs_free(struct upd_belief *b);
struct upd_belief **upd_client_beliefs(struct ilnpdns_upd_client *c);
const struct upd_belief *upd_client_beliefs_c(const struct ilnpdns_upd_client *c);

/* Run the client's base until *done is set (the _sync wrappers). */
void upd_client_run_until(struct ilnpdns_upd_client *c, const bool *done);

/* Copy a result, taking a private copy of its answer (for _sync callers). */
int upd_result_copy(struct ilnpdns_upd_result *dst, const struct ilnpdns_upd_result *src);

#endif /* ILNPDNS_UPDATER_INT_H */
