/* SPDX-License-Identifier: BSD-2-Clause */
/* locators.c -- "set locators": replace a name's L64/L32 sets in one update guarded against late
 * copies. */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ilnpdns/dname.h"
#include "ilnpdns/error.h"
#include "ilnpdns/updater.h"
#include "ilnpdns/wire.h"
#include "updater_int.h"

#define MARKER_PREFIX "ilnp-seq="
/* Re-read and rebuild at most this often before reporting the prerequisite failure. */
#define SETLOC_ROUNDS_MAX 3

struct upd_belief {
	struct upd_belief *next;
	uint8_t name[ILNPDNS_DNAME_MAXLEN];
	struct ilnpdns_upd_locstate st;
};

void upd_beliefs_free(struct upd_belief *b)
{
	while (b != NULL) {
		struct upd_belief *n = b->next;

		free(b);
		b = n;
	}
}

static struct upd_belief *belief_find(struct upd_belief *b, const uint8_t *name)
{
	for (; b != NULL; b = b->next)
		if (ilnpdns_dname_equal(b->name, name))
			return b;
	return NULL;
}

static void belief_set(struct ilnpdns_upd_client *c, const uint8_t *name,
                       const struct ilnpdns_upd_locstate *st)
{
	struct upd_belief **head = upd_client_beliefs(c);
	struct upd_belief *b = belief_find(*head, name);

	if (b == NULL) {
		b = calloc(1, sizeof(*b));
		if (b == NULL)
			return; /* without memory the next call just reads first */
		memcpy(b->name, name, ilnpdns_dname_len(name));
		b->next = *head;
		*head = b;
	}
	b->st = *st;
	b->st.known = true;
}

const struct ilnpdns_upd_locstate *ilnpdns_upd_belief(const struct ilnpdns_upd_client *c,
                                                      const uint8_t *name)
{
	struct upd_belief *b = belief_find((struct upd_belief *)upd_client_beliefs_c(c), name);

	return b != NULL && b->st.known ? &b->st : NULL;
}

void ilnpdns_upd_forget(struct ilnpdns_upd_client *c, const uint8_t *name)
{
	struct upd_belief *b = belief_find(*upd_client_beliefs(c), name);

	if (b != NULL)
		b->st.known = false;
}

/* ---- sets ---- */

static bool has64(const struct ilnpdns_upd_locset *s, size_t upto,
                  const struct ilnpdns_upd_loc64 *l)
{
	for (size_t i = 0; i < upto; i++)
		if (s->l64[i].pref == l->pref && memcmp(s->l64[i].loc, l->loc, 8) == 0)
			return true;
	return false;
}

static bool has32(const struct ilnpdns_upd_locset *s, size_t upto,
                  const struct ilnpdns_upd_loc32 *l)
{
	for (size_t i = 0; i < upto; i++)
		if (s->l32[i].pref == l->pref && memcmp(s->l32[i].loc, l->loc, 4) == 0)
			return true;
	return false;
}

bool ilnpdns_upd_locset_equal(const struct ilnpdns_upd_locset *a,
                              const struct ilnpdns_upd_locset *b, bool with_l32)
{
	/* Sets: each member of one is in the other (RFC 2136 1.1.1 equality, TTL aside). */
	for (size_t i = 0; i < a->n64; i++)
		if (!has64(b, b->n64, &a->l64[i]))
			return false;
	for (size_t i = 0; i < b->n64; i++)
		if (!has64(a, a->n64, &b->l64[i]))
			return false;
	if (!with_l32)
		return true;
	for (size_t i = 0; i < a->n32; i++)
		if (!has32(b, b->n32, &a->l32[i]))
			return false;
	for (size_t i = 0; i < b->n32; i++)
		if (!has32(a, a->n32, &b->l32[i]))
			return false;
	return true;
}

static size_t marker_rdata(uint64_t seq, uint8_t *out)
{
	int n = snprintf((char *)out + 1, 40, MARKER_PREFIX "%" PRIu64, seq);

	out[0] = (uint8_t)n;
	return (size_t)n + 1;
}

static void rdata64(const struct ilnpdns_upd_loc64 *l, uint8_t *rd)
{
	ilnpdns_put16(rd, l->pref);
	memcpy(rd + 2, l->loc, 8);
}

static void rdata32(const struct ilnpdns_upd_loc32 *l, uint8_t *rd)
{
	ilnpdns_put16(rd, l->pref);
	memcpy(rd + 2, l->loc, 4);
}

/* The RRset part of one set: a value-dependent prerequisite, or "absent". */
static int guard_sets(struct ilnpdns_upd_msg *m, const uint8_t *name,
                      const struct ilnpdns_upd_locset *cur, bool with_l32)
{
	uint8_t rd[10];
	int rc = 0;

	if (cur->n64 == 0)
		rc = ilnpdns_upd_prereq_nxrrset(m, name, ILNPDNS_T_L64);
	for (size_t i = 0; rc == 0 && i < cur->n64; i++) {
		if (has64(cur, i, &cur->l64[i]))
			continue;
		rdata64(&cur->l64[i], rd);
		rc = ilnpdns_upd_prereq_rr(m, name, ILNPDNS_T_L64, rd, 10);
	}
	if (rc < 0 || !with_l32)
		return rc;
	if (cur->n32 == 0)
		rc = ilnpdns_upd_prereq_nxrrset(m, name, ILNPDNS_T_L32);
	for (size_t i = 0; rc == 0 && i < cur->n32; i++) {
		if (has32(cur, i, &cur->l32[i]))
			continue;
		rdata32(&cur->l32[i], rd);
		rc = ilnpdns_upd_prereq_rr(m, name, ILNPDNS_T_L32, rd, 6);
	}
	return rc;
}

int ilnpdns_upd_locators_msg(const uint8_t *zone, const uint8_t *name,
                             const struct ilnpdns_upd_locopts *opts,
                             const struct ilnpdns_upd_locstate *cur,
                             const struct ilnpdns_upd_locset *want, struct ilnpdns_upd_msg **out)
{
	static const struct ilnpdns_upd_locopts defaults;
	const uint8_t *marker;
	struct ilnpdns_upd_msg *m;
	uint8_t rd[64];
	int rc;

	*out = NULL;
	if (opts == NULL)
		opts = &defaults;
	marker = opts->marker_name != NULL ? opts->marker_name : name;
	if (want->n64 > ILNPDNS_UPD_LOC_MAX || want->n32 > ILNPDNS_UPD_LOC_MAX)
		return ILNPDNS_ERANGE;
	if (opts->guard == ILNPDNS_UPD_GUARD_MARKER && cur->foreign_txt)
		return ILNPDNS_EEXIST; /* the marker's TXT RRset is not ours alone */
	rc = ilnpdns_upd_msg_new(zone, &m);
	if (rc < 0)
		return rc;
	if (opts->guard == ILNPDNS_UPD_GUARD_MARKER) {
		size_t n;

		/* Prerequisite: the marker is exactly what we last saw. */
		if (cur->has_marker) {
			n = marker_rdata(cur->seq, rd);
			rc = ilnpdns_upd_prereq_rr(m, marker, ILNPDNS_T_TXT, rd, (uint16_t)n);
			if (rc == 0)
				rc = ilnpdns_upd_del_rr(m, marker, ILNPDNS_T_TXT, rd, (uint16_t)n);
		} else {
			rc = ilnpdns_upd_prereq_nxrrset(m, marker, ILNPDNS_T_TXT);
		}
		if (rc == 0) {
			n = marker_rdata(cur->has_marker ? cur->seq + 1 : 1, rd);
			rc = ilnpdns_upd_add(m, marker, ILNPDNS_T_TXT, opts->ttl, rd, (uint16_t)n);
		}
	} else {
		rc = guard_sets(m, name, &cur->set, opts->with_l32);
	}
	/* Delete RRset + add in one message: atomic (RFC 2136 3.7), so no
	 * query sees the name without locators. */
	if (rc == 0)
		rc = ilnpdns_upd_del_rrset(m, name, ILNPDNS_T_L64);
	for (size_t i = 0; rc == 0 && i < want->n64; i++) {
		if (has64(want, i, &want->l64[i]))
			continue;
		rdata64(&want->l64[i], rd);
		rc = ilnpdns_upd_add(m, name, ILNPDNS_T_L64, opts->ttl, rd, 10);
	}
	if (rc == 0 && opts->with_l32)
		rc = ilnpdns_upd_del_rrset(m, name, ILNPDNS_T_L32);
	for (size_t i = 0; rc == 0 && opts->with_l32 && i < want->n32; i++) {
		if (has32(want, i, &want->l32[i]))
			continue;
		rdata32(&want->l32[i], rd);
		rc = ilnpdns_upd_add(m, name, ILNPDNS_T_L32, opts->ttl, rd, 6);
	}
	if (rc < 0) {
		ilnpdns_upd_msg_free(m);
		return rc;
	}
	*out = m;
	return 0;
}

/* ---- reading a name back ---- */

/* Walk the answer section of ans; call fn for RRs of <owner, type, IN>. */
static int walk_answer(const uint8_t *ans, size_t len, const uint8_t *owner, uint16_t type,
                       int (*fn)(const uint8_t *rd, uint16_t rdlen, void *arg), void *arg)
{
	uint8_t nm[ILNPDNS_DNAME_MAXLEN];
	size_t pos = ILNPDNS_HDR_LEN;
	unsigned qd, an;
	int rc;

	if (len < ILNPDNS_HDR_LEN)
		return ILNPDNS_EMALF;
	qd = ilnpdns_get16(ans + 4);
	an = ilnpdns_get16(ans + 6);
	for (unsigned i = 0; i < qd; i++) {
		if (ilnpdns_dname_unpack(ans, len, &pos, nm) < 0 || pos + 4 > len)
			return ILNPDNS_EMALF;
		pos += 4;
	}
	for (unsigned i = 0; i < an; i++) {
		uint16_t t, cl, rdlen;

		if (ilnpdns_dname_unpack(ans, len, &pos, nm) < 0 || pos + 10 > len)
			return ILNPDNS_EMALF;
		t = ilnpdns_get16(ans + pos);
		cl = ilnpdns_get16(ans + pos + 2);
		rdlen = ilnpdns_get16(ans + pos + 8);
		pos += 10;
		if (pos + rdlen > len)
			return ILNPDNS_EMALF;
		if (t == type && cl == ILNPDNS_C_IN && ilnpdns_dname_equal(nm, owner)) {
			rc = fn(ans + pos, rdlen, arg);
			if (rc < 0)
				return rc;
		}
		pos += rdlen;
	}
	return 0;
}

static int take64(const uint8_t *rd, uint16_t rdlen, void *arg)
{
	struct ilnpdns_upd_locset *s = arg;

	if (rdlen != 10)
		return ILNPDNS_EMALF;
	if (s->n64 == ILNPDNS_UPD_LOC_MAX)
		return ILNPDNS_ERANGE;
	s->l64[s->n64].pref = ilnpdns_get16(rd);
	memcpy(s->l64[s->n64].loc, rd + 2, 8);
	s->n64++;
	return 0;
}

static int take32(const uint8_t *rd, uint16_t rdlen, void *arg)
{
	struct ilnpdns_upd_locset *s = arg;

	if (rdlen != 6)
		return ILNPDNS_EMALF;
	if (s->n32 == ILNPDNS_UPD_LOC_MAX)
		return ILNPDNS_ERANGE;
	s->l32[s->n32].pref = ilnpdns_get16(rd);
	memcpy(s->l32[s->n32].loc, rd + 2, 4);
	s->n32++;
	return 0;
}

static int take_txt(const uint8_t *rd, uint16_t rdlen, void *arg)
{
	struct ilnpdns_upd_locstate *st = arg;
	size_t pl = strlen(MARKER_PREFIX);
	uint64_t v = 0;

	/* Our marker is one character-string "ilnp-seq=N"; anything else is foreign. */
	if (rdlen < 1 || rd[0] + 1u != rdlen || rd[0] <= pl ||
	    memcmp(rd + 1, MARKER_PREFIX, pl) != 0) {
		st->foreign_txt = true;
		return 0;
	}
	for (size_t i = 1 + pl; i < rdlen; i++) {
		if (rd[i] < '0' || rd[i] > '9' || v > (UINT64_MAX - 9) / 10) {
			st->foreign_txt = true;
			return 0;
		}
		v = v * 10 + (uint64_t)(rd[i] - '0');
	}
	if (st->has_marker)
		st->foreign_txt = true; /* two markers: the prerequisite could never hold */
	if (!st->has_marker || v > st->seq)
		st->seq = v;
	st->has_marker = true;
	return 0;
}

int ilnpdns_upd_locstate_from_answers(const uint8_t *name, const uint8_t *marker_name,
                                      const uint8_t *txt_ans, size_t txt_len,
                                      const uint8_t *l64_ans, size_t l64_len,
                                      const uint8_t *l32_ans, size_t l32_len,
                                      struct ilnpdns_upd_locstate *st)
{
	int rc = 0;

	memset(st, 0, sizeof(*st));
	if (marker_name == NULL)
		marker_name = name;
	if (txt_ans != NULL)
		rc = walk_answer(txt_ans, txt_len, marker_name, ILNPDNS_T_TXT, take_txt, st);
	if (rc == 0 && l64_ans != NULL)
		rc = walk_answer(l64_ans, l64_len, name, ILNPDNS_T_L64, take64, &st->set);
	if (rc == 0 && l32_ans != NULL)
		rc = walk_answer(l32_ans, l32_len, name, ILNPDNS_T_L32, take32, &st->set);
	if (rc < 0)
		return rc;
	st->known = true;
	return 0;
}

/* ---- the operation ---- */

enum setloc_phase { PH_READ_TXT, PH_READ_L64, PH_READ_L32, PH_UPDATE };

struct setloc_op {
	struct ilnpdns_upd_client *c;
	struct ilnpdns_upd_req *shell;
	struct ilnpdns_upd_req *child;
	uint8_t zone[ILNPDNS_DNAME_MAXLEN];
	uint8_t name[ILNPDNS_DNAME_MAXLEN];
	uint8_t marker[ILNPDNS_DNAME_MAXLEN];
	struct ilnpdns_upd_locopts opts;
	struct ilnpdns_upd_locset want;
	bool read_only; /* read_locators: stop after reading */
	bool verifying; /* reading after a failed prerequisite */
	struct ilnpdns_upd_locstate cur;
	uint64_t sent_seq; /* marker value of the update in flight */
	enum setloc_phase phase;
	uint8_t *ans[3];
	size_t anslen[3];
	unsigned rounds;
	unsigned attempts;
	unsigned queries;
	uint64_t start_us;
	ilnpdns_upd_cb cb;
	void *arg;
};

static void op_free(struct setloc_op *op)
{
	for (int i = 0; i < 3; i++)
		free(op->ans[i]);
	free(op);
}

static void op_abort(void *arg)
{
	struct setloc_op *op = arg;

	if (op->child != NULL)
		upd_req_abort(op->child);
	upd_req_shell_free(op->shell);
	op_free(op);
}

static void op_finish(struct setloc_op *op, struct ilnpdns_upd_result *res, bool confirmed)
{
	res->rounds = op->rounds;
	res->attempts = op->attempts;
	res->queries = op->queries;
	res->elapsed_us = upd_now_us() - op->start_us;
	res->confirmed_by_query = confirmed;
	if (confirmed) {
		res->err = 0;
		res->rcode = ILNPDNS_RCODE_NOERROR;
	}
	op->child = NULL;
	op->cb(res, op->arg);
	upd_req_shell_free(op->shell);
	op_free(op);
}

static int op_step(struct setloc_op *op);
static int op_read(struct setloc_op *op);
static void op_fail_start(struct setloc_op *op, int rc);

static void child_done(struct ilnpdns_upd_req *req, struct ilnpdns_upd_result *res, void *arg)
{
	struct setloc_op *op = arg;
	int rc;

	(void)req;
	op->child = NULL;
	if (op->phase != PH_UPDATE)
		op->queries += res->attempts;
	else
		op->attempts += res->attempts;
	if (op->phase != PH_UPDATE) {
		int i = (int)op->phase;

		/* A read: NOERROR (data or not) or NXDOMAIN both say what is there. */
		if (res->err != 0 ||
		    (res->rcode != ILNPDNS_RCODE_NOERROR && res->rcode != ILNPDNS_RCODE_NXDOMAIN)) {
			if (res->err == 0)
				res->err = ILNPDNS_EIO;
			op_finish(op, res, false);
			return;
		}
		free(op->ans[i]);
		op->ans[i] = malloc(res->answer_len);
		if (op->ans[i] == NULL) {
			res->err = ILNPDNS_ENOMEM;
			op_finish(op, res, false);
			return;
		}
		memcpy(op->ans[i], res->answer, res->answer_len);
		op->anslen[i] = res->answer_len;
		op->phase++;
		if (op->phase == PH_READ_L32 && !op->opts.with_l32)
			op->phase++;
		if (op->phase != PH_UPDATE) {
			if ((rc = op_read(op)) < 0)
				op_fail_start(op, rc);
			return;
		}
		struct ilnpdns_upd_locstate st;
		rc = ilnpdns_upd_locstate_from_answers(op->name, op->marker, op->ans[0],
		                                       op->anslen[0], op->ans[1], op->anslen[1],
		                                       op->ans[2], op->anslen[2], &st);
		if (rc < 0) {
			res->err = rc;
			op_finish(op, res, false);
			return;
		}
		if (op->opts.guard != ILNPDNS_UPD_GUARD_MARKER)
			st.has_marker = false, st.foreign_txt = false;
		belief_set(op->c, op->name, &st);
		op->cur = st;
		if (op->read_only) {
			res->rounds = 0;
			op_finish(op, res, false);
			return;
		}
		if (op->verifying) {
			/* After a failed prerequisite: is our set (and our marker) there? */
			bool ours =
			    ilnpdns_upd_locset_equal(&st.set, &op->want, op->opts.with_l32) &&
			    (op->opts.guard != ILNPDNS_UPD_GUARD_MARKER ||
			     (st.has_marker && st.seq == op->sent_seq));

			op->verifying = false;
			if (ours) {
				op_finish(op, res, true);
				return;
			}
			if (op->rounds >= SETLOC_ROUNDS_MAX) {
				res->rcode = ILNPDNS_RCODE_NXRRSET;
				op_finish(op, res, false);
				return;
			}
		}
		if ((rc = op_step(op)) < 0)
			op_fail_start(op, rc);
		return;
	}
	/* The update. */
	if (res->err == 0 && res->rcode == ILNPDNS_RCODE_NOERROR) {
		struct ilnpdns_upd_locstate st = op->cur;

		st.set = op->want;
		if (op->opts.guard == ILNPDNS_UPD_GUARD_MARKER) {
			st.has_marker = true;
			st.seq = op->sent_seq;
		}
		belief_set(op->c, op->name, &st);
		op_finish(op, res, false);
		return;
	}
	if (res->err == 0 &&
	    (res->rcode == ILNPDNS_RCODE_NXRRSET || res->rcode == ILNPDNS_RCODE_YXRRSET)) {
		/* A duplicate of an applied copy, or a stale belief: read and see. */
		op->verifying = true;
		op->phase = op->opts.guard == ILNPDNS_UPD_GUARD_MARKER ? PH_READ_TXT : PH_READ_L64;
		if ((rc = op_read(op)) < 0)
			op_fail_start(op, rc);
		return;
	}
	op_finish(op, res, false);
}

static void op_fail_start(struct setloc_op *op, int rc)
{
	struct ilnpdns_upd_result res;

	memset(&res, 0, sizeof(res));
	res.err = rc;
	res.rcode = -1;
	res.server = -1;
	op_finish(op, &res, false);
}

/* Requests start from the loop, so these never call back synchronously. */
static int op_read(struct setloc_op *op)
{
	static const uint16_t types[3] = {ILNPDNS_T_TXT, ILNPDNS_T_L64, ILNPDNS_T_L32};
	const uint8_t *owner = op->phase == PH_READ_TXT ? op->marker : op->name;

	return upd_req_start(op->c, UPD_KIND_QUERY, NULL, owner, types[op->phase], child_done, op,
	                     &op->child);
}

static int op_step(struct setloc_op *op)
{
	struct ilnpdns_upd_msg *m;
	int rc;

	op->phase = PH_UPDATE;
	rc = ilnpdns_upd_locators_msg(op->zone, op->name, &op->opts, &op->cur, &op->want, &m);
	if (rc < 0)
		return rc;
	op->sent_seq = op->cur.has_marker ? op->cur.seq + 1 : 1;
	op->rounds++;
	rc = upd_req_start(op->c, UPD_KIND_UPDATE, m, NULL, 0, child_done, op, &op->child);
	ilnpdns_upd_msg_free(m);
	return rc;
}

/* Start reading (or updating) from the loop, never inside the caller. */
static int op_new(struct ilnpdns_upd_client *c, const uint8_t *zone, const uint8_t *name,
                  const struct ilnpdns_upd_locset *want, const struct ilnpdns_upd_locopts *opts,
                  ilnpdns_upd_cb cb, void *arg, struct setloc_op **out)
{
	struct setloc_op *op = calloc(1, sizeof(*op));

	if (op == NULL)
		return ILNPDNS_ENOMEM;
	op->c = c;
	if (opts != NULL)
		op->opts = *opts;
	memcpy(op->name, name, ilnpdns_dname_len(name));
	if (zone != NULL)
		memcpy(op->zone, zone, ilnpdns_dname_len(zone));
	if (op->opts.marker_name != NULL)
		memcpy(op->marker, op->opts.marker_name, ilnpdns_dname_len(op->opts.marker_name));
	else
		memcpy(op->marker, name, ilnpdns_dname_len(name));
	op->opts.marker_name = op->marker;
	if (want != NULL)
		op->want = *want;
	op->cb = cb;
	op->arg = arg;
	op->start_us = upd_now_us();
	op->shell = upd_req_shell(c, op, op_abort);
	if (op->shell == NULL) {
		free(op);
		return ILNPDNS_ENOMEM;
	}
	*out = op;
	return 0;
}

int ilnpdns_upd_set_locators(struct ilnpdns_upd_client *c, const uint8_t *zone, const uint8_t *name,
                             const struct ilnpdns_upd_locset *want,
                             const struct ilnpdns_upd_locopts *opts, ilnpdns_upd_cb cb, void *arg,
                             struct ilnpdns_upd_req **req)
{
	const struct ilnpdns_upd_locstate *b;
	struct setloc_op *op;
	int rc;

	if (req != NULL)
		*req = NULL;
	if (ilnpdns_upd_client_server_count(c) == 0)
		return ILNPDNS_EINVAL;
	if (!ilnpdns_dname_is_under(name, zone))
		return ILNPDNS_EZONE;
	if (want->n64 > ILNPDNS_UPD_LOC_MAX || want->n32 > ILNPDNS_UPD_LOC_MAX)
		return ILNPDNS_ERANGE;
	rc = op_new(c, zone, name, want, opts, cb, arg, &op);
	if (rc < 0)
		return rc;
	b = ilnpdns_upd_belief(c, name);
	if (b != NULL) {
		op->cur = *b;
		rc = op_step(op);
	} else {
		op->phase = op->opts.guard == ILNPDNS_UPD_GUARD_MARKER ? PH_READ_TXT : PH_READ_L64;
		rc = op_read(op);
	}
	if (rc < 0) {
		upd_req_shell_free(op->shell);
		op_free(op);
		return rc;
	}
	if (req != NULL)
		*req = op->shell;
	return 0;
}

struct sync_wait {
	bool done;
	struct ilnpdns_upd_result *res;
	int rc;
};

static void sync_cb(const struct ilnpdns_upd_result *res, void *arg)
{
	struct sync_wait *w = arg;

	w->rc = upd_result_copy(w->res, res);
	w->done = true;
}

int ilnpdns_upd_set_locators_sync(struct ilnpdns_upd_client *c, const uint8_t *zone,
                                  const uint8_t *name, const struct ilnpdns_upd_locset *want,
                                  const struct ilnpdns_upd_locopts *opts,
                                  struct ilnpdns_upd_result *res)
{
	struct sync_wait w = {.res = res};
	int rc;

	memset(res, 0, sizeof(*res));
	rc = ilnpdns_upd_set_locators(c, zone, name, want, opts, sync_cb, &w, NULL);
	if (rc < 0) {
		res->err = rc;
		res->rcode = -1;
		return rc;
	}
	upd_client_run_until(c, &w.done);
	if (w.rc < 0)
		res->err = w.rc;
	return res->err;
}

int ilnpdns_upd_read_locators_sync(struct ilnpdns_upd_client *c, const uint8_t *name,
                                   const struct ilnpdns_upd_locopts *opts,
                                   struct ilnpdns_upd_locstate *st, struct ilnpdns_upd_result *res)
{
	struct sync_wait w = {.res = res};
	struct setloc_op *op;
	int rc;

	memset(res, 0, sizeof(*res));
	if (ilnpdns_upd_client_server_count(c) == 0)
		return res->err = ILNPDNS_EINVAL;
	rc = op_new(c, NULL, name, NULL, opts, sync_cb, &w, &op);
	if (rc < 0)
		return res->err = rc;
	op->read_only = true;
	op->phase = op->opts.guard == ILNPDNS_UPD_GUARD_MARKER ? PH_READ_TXT : PH_READ_L64;
	rc = op_read(op);
	if (rc < 0) {
		upd_req_shell_free(op->shell);
		op_free(op);
		return res->err = rc;
	}
	upd_client_run_until(c, &w.done);
	if (w.rc < 0)
		res->err = w.rc;
	if (res->err == 0 && st != NULL) {
		const struct ilnpdns_upd_locstate *b = ilnpdns_upd_belief(c, name);

		if (b != NULL)
			*st = *b;
	}
	return res->err;
}
