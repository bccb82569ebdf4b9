/* SPDX-License-Identifier: BSD-2-Clause */
/* rrl.c -- response rate limiting for UDP: per client prefix token buckets in a fixed table. */
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "ilnpdns/dname.h"
#include "ilnpdns/wire.h"
#include "rrl.h"

#define MILLI     1000u      /* tokens are kept in thousandths of a response */
#define SLOTS_MAX (1u << 24) /* 24 octets each: 384 MiB would be absurd already */

/* One key's bucket; key 0 marks a free slot. */
struct rrl_bucket {
	uint64_t key;
	uint64_t stamp;   /* now_ms of the last refill */
	uint32_t tokens;  /* thousandths of a response, at most rate * MILLI */
	uint32_t limited; /* responses refused since the key took the slot (slip count) */
};

struct rrl {
	struct rrl_params p;
	uint64_t seed;
	size_t mask;
	struct rrl_bucket *slots;
};

struct rrl *rrl_new(const struct rrl_params *p, uint64_t seed)
{
	struct rrl *t = calloc(1, sizeof(*t));
	if (t == NULL)
		return NULL;
	t->p = *p;
	if (t->p.rate == 0)
		t->p.rate = 1;
	/* Capped so that rate * MILLI fits the 32-bit token count. */
	if (t->p.rate > 1000000)
		t->p.rate = 1000000;
	size_t n = 2;
	while (n < p->slots && n < SLOTS_MAX)
		n <<= 1;
	t->mask = n - 1;
	t->slots = calloc(n, sizeof(*t->slots));
	if (t->slots == NULL) {
		free(t);
		return NULL;
	}
	if (seed == 0 && getrandom(&seed, sizeof(seed), 0) != sizeof(seed))
		seed = (uint64_t)(uintptr_t)t ^
		       0x9e3779b97f4a7c15u; /* no entropy: still per process */
	t->seed = seed;
	return t;
}

void rrl_free(struct rrl *t)
{
	if (t == NULL)
		return;
	free(t->slots);
	free(t);
}

size_t rrl_slots(const struct rrl *t)
{
	return t->mask + 1;
}

/* Skip the question; the first name is copied into qname. */
static bool skip_question(const uint8_t *resp, size_t len, size_t *pos, uint8_t *qname,
                          uint16_t *qtype)
{
	if (len < ILNPDNS_HDR_LEN || ilnpdns_get16(resp + 4) != 1)
		return false;
	*pos = ILNPDNS_HDR_LEN;
	if (ilnpdns_dname_unpack(resp, len, pos, qname) < 0 || *pos + 4 > len)
		return false;
	*qtype = ilnpdns_get16(resp + *pos);
	*pos += 4;
	return true;
}

enum rrl_kind rrl_classify(const uint8_t *resp, size_t len, uint8_t *name, uint16_t *qtype)
{
	size_t pos;
	name[0] = 0;
	*qtype = 0;
	if (!skip_question(resp, len, &pos, name, qtype)) {
		name[0] = 0;
		return RRL_ERROR;
	}
	unsigned rcode = resp[3] & 0xf, an = ilnpdns_get16(resp + 6), ns = ilnpdns_get16(resp + 8);
	if (rcode == ILNPDNS_RCODE_NOERROR && an > 0)
		return RRL_ANSWER;
	if (rcode != ILNPDNS_RCODE_NOERROR && rcode != ILNPDNS_RCODE_NXDOMAIN) {
		name[0] = 0;
		return RRL_ERROR;
	}
	/* The zone: the owner of the first authority record (the SOA of a
	 * negative answer, the NS of a referral), after any answer records
	 * (a CNAME chain into a name that does not exist). */
	uint8_t owner[ILNPDNS_DNAME_MAXLEN];
	for (unsigned i = 0; i < an + ns; i++) {
		if (ilnpdns_dname_unpack(resp, len, &pos, owner) < 0 || pos + 10 > len)
			break;
		if (i == an) {
			memcpy(name, owner, ilnpdns_dname_len(owner));
			break;
		}
		pos += 10u + ilnpdns_get16(resp + pos + 8);
	}
	return rcode == ILNPDNS_RCODE_NXDOMAIN ? RRL_NXDOMAIN : RRL_NODATA;
}

/* FNV-1a over octets, started from the seed; the caller finishes with mix(). */
static uint64_t fnv(uint64_t h, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		h ^= p[i];
		h *= 0x100000001b3u;
	}
	return h;
}

/* The splitmix64 finaliser: every input bit reaches every output bit. */
static uint64_t mix(uint64_t h)
{
	h ^= h >> 30;
	h *= 0xbf58476d1ce4e5b9u;
	h ^= h >> 27;
	h *= 0x94d049bb133111ebu;
	h ^= h >> 31;
	return h;
}

/* The client's network (family, then the prefix's octets, the rest zeroed). */
static size_t network(const struct rrl *t, const struct sockaddr *sa, uint8_t out[17])
{
	const uint8_t *a;
	unsigned bits, n;
	if (sa->sa_family == AF_INET) {
		a = (const uint8_t *)&((const struct sockaddr_in *)sa)->sin_addr;
		bits = t->p.v4_prefix;
		n = 4;
	} else if (sa->sa_family == AF_INET6) {
		const struct in6_addr *a6 = &((const struct sockaddr_in6 *)sa)->sin6_addr;
		a = a6->s6_addr;
		bits = t->p.v6_prefix;
		n = 16;
		if (IN6_IS_ADDR_V4MAPPED(a6)) {
			a += 12;
			bits = t->p.v4_prefix;
			n = 4;
		}
	} else {
		return 0;
	}
	memset(out, 0, 17);
	out[0] = (uint8_t)n;
	if (bits > n * 8)
		bits = n * 8;
	memcpy(out + 1, a, bits / 8);
	if (bits % 8)
		out[1 + bits / 8] = (uint8_t)(a[bits / 8] & (0xff << (8 - bits % 8)));
	return 1 + n;
}

static uint64_t make_key(const struct rrl *t, const struct sockaddr *from, enum rrl_kind kind,
                         const uint8_t *name, uint16_t qtype)
{
	uint8_t net[17], head[3];
	size_t n = network(t, from, net);
	uint64_t h = fnv(t->seed ^ 0xcbf29ce484222325u, net, n);
	head[0] = (uint8_t)kind;
	ilnpdns_put16(head + 1, kind == RRL_ANSWER ? qtype : 0);
	h = fnv(h, head, sizeof(head));
	if (kind != RRL_ERROR && name != NULL) {
		/* Case-folded: 0x20-randomised names must not get a bucket each. */
		for (size_t i = 0, len = ilnpdns_dname_len(name); i < len; i++) {
			uint8_t c = name[i];
			if (c >= 'A' && c <= 'Z')
				c = (uint8_t)(c + ('a' - 'A'));
			h = fnv(h, &c, 1);
		}
	}
	h = mix(h);
	return h ? h : 1; /* 0 marks a free slot */
}

/* The key's bucket, or a slot taken over for it (full bucket). */
static struct rrl_bucket *bucket(struct rrl *t, uint64_t key, uint64_t now_ms)
{
	size_t i = (size_t)key & t->mask, j = i ^ 1;
	struct rrl_bucket *a = &t->slots[i], *b = &t->slots[j];
	if (a->key == key)
		return a;
	if (b->key == key)
		return b;
	struct rrl_bucket *v = a->key == 0                           ? a
	                       : b->key == 0                         ? b
	                       : (int64_t)(a->stamp - b->stamp) <= 0 ? a
	                                                             : b;
	v->key = key;
	v->stamp = now_ms;
	v->tokens = t->p.rate * MILLI;
	v->limited = 0;
	return v;
}

enum rrl_action rrl_check(struct rrl *t, const struct sockaddr *from, enum rrl_kind kind,
                          const uint8_t *name, uint16_t qtype, uint64_t now_ms)
{
	if (from == NULL || (from->sa_family != AF_INET && from->sa_family != AF_INET6))
		return RRL_PASS;
	struct rrl_bucket *bk = bucket(t, make_key(t, from, kind, name, qtype), now_ms);
	uint32_t cap = t->p.rate * MILLI;
	/* Refill: rate responses per 1000 ms is rate thousandths per ms. */
	if (now_ms > bk->stamp) {
		uint64_t add = (now_ms - bk->stamp) * t->p.rate;
		bk->tokens = add >= cap - bk->tokens ? cap : bk->tokens + (uint32_t)add;
		bk->stamp = now_ms;
	}
	if (bk->tokens >= MILLI) {
		bk->tokens -= MILLI;
		return RRL_PASS;
	}
	bk->limited++;
	if (t->p.slip > 0 && bk->limited % t->p.slip == 0)
		return RRL_SLIP;
	return RRL_DROP;
}

size_t rrl_slip(uint8_t *resp, size_t len)
{
	uint8_t name[ILNPDNS_DNAME_MAXLEN];
	uint16_t qtype;
	size_t pos, qend;
	if (!skip_question(resp, len, &pos, name, &qtype))
		return 0;
	qend = pos;
	/* Keep the OPT (RFC 6891 6.1.1: a request with OPT gets one back). */
	unsigned total =
	    (unsigned)ilnpdns_get16(resp + 6) + ilnpdns_get16(resp + 8) + ilnpdns_get16(resp + 10);
	size_t opt = 0, optlen = 0;
	for (unsigned i = 0; i < total; i++) {
		size_t start = pos;
		if (ilnpdns_dname_unpack(resp, len, &pos, name) < 0 || pos + 10 > len)
			break;
		size_t end = pos + 10u + ilnpdns_get16(resp + pos + 8);
		if (end > len)
			break;
		if (ilnpdns_get16(resp + pos) == ILNPDNS_T_OPT) {
			opt = start;
			optlen = end - start;
		}
		pos = end;
	}
	if (optlen > 0)
		memmove(resp + qend, resp + opt, optlen);
	uint16_t flags = ilnpdns_get16(resp + 2);
	/* AA off: the message holds no authoritative data. */
	flags = (uint16_t)((flags | ILNPDNS_FLAG_TC) & ~ILNPDNS_FLAG_AA);
	ilnpdns_put16(resp + 2, flags);
	ilnpdns_put16(resp + 6, 0);
	ilnpdns_put16(resp + 8, 0);
	ilnpdns_put16(resp + 10, optlen > 0 ? 1 : 0);
	return qend + optlen;
}
