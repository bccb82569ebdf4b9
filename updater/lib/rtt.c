/* SPDX-License-Identifier: BSD-2-Clause */
/* rtt.c -- per-server retransmission timer after RFC 6298: SRTT, RTTVAR, RTO, backoff, Karn. */
#include "config.h"

#include "ilnpdns/updater.h"

void ilnpdns_upd_rtt_params_default(struct ilnpdns_upd_rtt_params *p)
{
	/* The reasons for each figure are in updater.h. */
	p->initial_rto_us = 50000;
	p->min_rto_us = 5000;
	p->max_rto_us = 2000000;
	p->granularity_us = 1000;
}

/*
 * Bounds of RFC 6298 2.4/2.5, except that the cap never brings the RTO
 * below SRTT + G: on a path slower than the cap no copy may be resent
 * before its answer could have come.
 */
static uint32_t clamp_rto(const struct ilnpdns_upd_rtt *r, const struct ilnpdns_upd_rtt_params *p,
                          uint64_t rto)
{
	uint64_t floor = r->samples > 0 ? (uint64_t)r->srtt_us + p->granularity_us : 0;
	uint64_t cap = p->max_rto_us > floor ? p->max_rto_us : floor;

	if (rto < p->min_rto_us)
		rto = p->min_rto_us;
	if (rto > cap)
		rto = cap;
	return rto > UINT32_MAX ? UINT32_MAX : (uint32_t)rto;
}

void ilnpdns_upd_rtt_init(struct ilnpdns_upd_rtt *r, const struct ilnpdns_upd_rtt_params *p)
{
	r->srtt_us = 0;
	r->rttvar_us = 0;
	r->samples = 0;
	r->backoffs = 0;
	/* RFC 6298 2.1: before any sample the RTO is the initial value. */
	r->rto_us = clamp_rto(r, p, p->initial_rto_us);
}

bool ilnpdns_upd_rtt_sample(struct ilnpdns_upd_rtt *r, const struct ilnpdns_upd_rtt_params *p,
                            uint32_t rtt_us, bool ambiguous)
{
	uint64_t var4;

	/* Karn (RFC 6298 3): an ambiguous sample tells nothing reliable about
	 * the path, and the backed-off RTO stays (5.5). */
	if (ambiguous)
		return false;
	if (r->samples == 0) {
		/* 2.2: SRTT = R, RTTVAR = R/2. */
		r->srtt_us = rtt_us;
		r->rttvar_us = rtt_us / 2;
	} else {
		/* 2.3 with alpha 1/8, beta 1/4; RTTVAR first, from the old SRTT. */
		uint32_t diff = r->srtt_us > rtt_us ? r->srtt_us - rtt_us : rtt_us - r->srtt_us;

		r->rttvar_us = (uint32_t)(((uint64_t)r->rttvar_us * 3 + diff) / 4);
		r->srtt_us = (uint32_t)(((uint64_t)r->srtt_us * 7 + rtt_us) / 8);
	}
	r->samples++;
	r->backoffs = 0;
	var4 = 4 * (uint64_t)r->rttvar_us;
	if (var4 < p->granularity_us)
		var4 = p->granularity_us;
	/* 2.2/2.3: RTO = SRTT + max(G, K*RTTVAR), then 2.4/2.5 bounds. */
	r->rto_us = clamp_rto(r, p, (uint64_t)r->srtt_us + var4);
	return true;
}

uint32_t ilnpdns_upd_rtt_backoff(struct ilnpdns_upd_rtt *r, const struct ilnpdns_upd_rtt_params *p)
{
	/* 5.5: double on each expiry, capped at the maximum. */
	r->rto_us = clamp_rto(r, p, 2 * (uint64_t)r->rto_us);
	r->backoffs++;
	return r->rto_us;
}
