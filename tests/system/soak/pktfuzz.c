/* SPDX-License-Identifier: BSD-2-Clause */
/* pktfuzz.c -- soak ilnpdnsd with random and mutated packets, or check real answers meanwhile. */
/*
 * Usage: pktfuzz fuzz -z ZONE -n COUNT [-s SEED] [-d SECONDS] ADDR@PORT...
 *        pktfuzz check -e FILE -S STOPFILE [-d SECONDS] ADDR@PORT...
 *
 * fuzz sends COUNT packets (at most SECONDS long), each of a kind chosen at
 * random: random bytes; mutated queries for names of ZONE (bit flips,
 * truncation, inserted and overwritten bytes); UPDATEs of ZONE with a TSIG
 * RR whose MAC cannot verify (RFC 8945 5.2: the server must answer NOTAUTH
 * and change nothing); AXFR and IXFR requests (RFC 5936, RFC 1995);
 * queries with random EDNS options (RFC 6891 6.1.2) and lying option
 * lengths; compression pointer loops and forward pointers (RFC 1035 4.1.4);
 * and huge section counts. Every packet goes over UDP (most) or over a TCP
 * connection that carries several of them (some with a length prefix that
 * promises more than follows, RFC 7766 8), to each ADDR in turn. Replies are
 * read and counted, never judged: the server may drop what it cannot parse.
 * The last line gives the figures per kind.
 *
 * check queries, until STOPFILE exists (or SECONDS pass), every (owner,
 * type) of the records in FILE (presentation form, one RR a line, as the
 * server must answer them: TTL included) over UDP and TCP to each ADDR in
 * turn, and requires each answer to be NOERROR with AA and exactly those
 * records with those TTLs. A UDP query lost under load is retried (up to 5
 * tries); one that never gets an answer counts as a failure. Exit status 0
 * when every answer was right, 1 otherwise, 2 on usage.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <ldns/ldns.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "../sysutil.h"

#define MAXADDRS 4
#define MAXNAMES 256
#define TCP_MSGS 12 /* messages per fuzzing TCP connection */

struct peer {
	struct sockaddr_storage ss;
	socklen_t len;
	const char *text;
	int udp; /* fuzz: one UDP socket per address */
	int tcp; /* fuzz: the current TCP connection, or -1 */
	unsigned tcp_sent;
};

static struct peer peers[MAXADDRS];
static size_t npeers;
static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

/* ---- helpers ---- */

static uint64_t rnd(void)
{
	/* xorshift64*: reproducible from the seed printed at the start. */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dULL;
}

static unsigned rndn(unsigned n)
{
	return n ? (unsigned)(rnd() % n) : 0;
}

static int parse_addr(const char *text, struct peer *p)
{
	memset(p, 0, sizeof(*p));
	p->text = text;
	p->tcp = -1;
	return su_parse_addr(text, &p->ss, &p->len);
}

/* Wait up to ms for fd to become readable; true if it did. */
static bool wait_readable(int fd, int ms)
{
	struct pollfd pfd = {.fd = fd, .events = POLLIN};
	return poll(&pfd, 1, ms) > 0;
}

static int tcp_connect(const struct peer *p, int ms)
{
	int fd = socket(p->ss.ss_family, SOCK_STREAM, 0);
	if (fd < 0)
		return -1;
	struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (const struct sockaddr *)&p->ss, p->len) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static bool send_all(int fd, const uint8_t *b, size_t n)
{
	while (n) {
		ssize_t w = send(fd, b, n, MSG_NOSIGNAL);
		if (w <= 0)
			return false;
		b += w;
		n -= (size_t)w;
	}
	return true;
}

static bool recv_all(int fd, uint8_t *b, size_t n)
{
	while (n) {
		ssize_t r = recv(fd, b, n, 0);
		if (r <= 0)
			return false;
		b += r;
		n -= (size_t)r;
	}
	return true;
}

/* ---- message building ---- */

static void putrand(struct su_msg *m, size_t n)
{
	for (size_t i = 0; i < n; i++)
		su_put8(m, (unsigned)rnd());
}

/* A header with a random ID, the given flags word and counts. */
static void header(struct su_msg *m, unsigned flags, unsigned qd, unsigned an, unsigned ns,
                   unsigned ar)
{
	su_header(m, rndn(65536), flags, qd, an, ns, ar);
}

static const char *zone_apex;
static char *names[MAXNAMES];
static size_t nnames;

static const char *some_name(void)
{
	return nnames ? names[rndn((unsigned)nnames)] : zone_apex;
}

static const unsigned qtypes[] = {1, 2, 6, 15, 16, 28, 33, 104, 105, 106, 107, 255, 252, 251, 0};

static void question(struct su_msg *m, const char *name, unsigned type)
{
	su_putname(m, name);
	su_put16(m, type);
	su_put16(m, 1);
}

static void opt_rr(struct su_msg *m, unsigned payload, uint32_t ext, const struct su_msg *opts)
{
	su_put8(m, 0);
	su_put16(m, 41);
	su_put16(m, payload);
	su_put32(m, ext);
	su_put16(m, (unsigned)opts->len);
	su_putbytes(m, opts->b, opts->len);
}

/* ---- the kinds of packet ---- */

enum kind { K_RANDOM, K_QUERY, K_UPDATE, K_XFR, K_EDNS, K_POINTER, K_COUNTS, K_NKINDS };

static const char *const kind_names[K_NKINDS] = {
    "random", "mutated-query", "update-tsig", "xfr", "edns-options", "pointer", "huge-counts"};

static void mutate(struct su_msg *m, unsigned rounds)
{
	for (unsigned r = 0; r < rounds && m->len; r++) {
		size_t at = rndn((unsigned)m->len);
		switch (rndn(6)) {
		case 0: /* bit flip */
			m->b[at] ^= (uint8_t)(1u << rndn(8));
			break;
		case 1: /* overwrite with an interesting value */
		{
			static const uint8_t v[] = {0x00, 0x01, 0x3f, 0x40, 0x7f, 0x80, 0xc0, 0xff};
			m->b[at] = v[rndn(sizeof(v))];
			break;
		}
		case 2: /* truncate */
			m->len = at;
			break;
		case 3: /* insert random bytes */
		{
			size_t n = 1 + rndn(8);
			if (m->len + n >= SU_MAXMSG)
				break;
			memmove(m->b + at + n, m->b + at, m->len - at);
			for (size_t i = 0; i < n; i++)
				m->b[at + i] = (uint8_t)rnd();
			m->len += n;
			break;
		}
		case 4: /* a compression pointer somewhere */
			if (at + 1 < m->len) {
				m->b[at] = (uint8_t)(0xc0 | rndn(0x40));
				m->b[at + 1] = (uint8_t)rndn((unsigned)m->len + 16);
			}
			break;
		default: /* a header count set to something big */
			if (m->len >= 12) {
				unsigned c = 4 + 2 * rndn(4);
				m->b[c] = (uint8_t)rnd();
				m->b[c + 1] = (uint8_t)rnd();
			}
			break;
		}
	}
}

static void build_random(struct su_msg *m)
{
	m->len = 0;
	putrand(m, rndn(8) ? rndn(600) : rndn(4000));
}

static void build_query(struct su_msg *m)
{
	header(m, rndn(2) ? 0x0100 : 0, 1, 0, 0, 0);
	question(m, some_name(), qtypes[rndn(sizeof(qtypes) / sizeof(qtypes[0]))]);
	if (rndn(2)) {
		struct su_msg none = {.len = 0};
		m->b[11] = 1;
		opt_rr(m, 512 + rndn(4000), rndn(2) ? 0x8000 : 0, &none);
	}
	mutate(m, 1 + rndn(6));
}

/* An UPDATE of the zone's locators with a TSIG RR whose MAC is random. */
static void build_update(struct su_msg *m)
{
	char owner[300];
	header(m, 5 << 11, 1, 0, 1 + rndn(3), 1);
	question(m, zone_apex, 6);
	for (unsigned i = 0; i < m->b[9]; i++) {
		snprintf(owner, sizeof(owner), "%s", some_name());
		su_putname(m, owner);
		su_put16(m, rndn(2) ? 106 : 104); /* L64 or NID */
		su_put16(m, rndn(4) ? 1 : 255);   /* add, or delete an RRset */
		su_put32(m, 0);
		su_put16(m, 10);
		su_put16(m, rndn(100));
		putrand(m, 8);
	}
	/* TSIG (RFC 8945 4.2): a configured key name, hmac-sha256, now. */
	su_putname(m, rndn(3) ? "soak-key." : "no-such-key.");
	su_put16(m, 250);
	su_put16(m, 255);
	su_put32(m, 0);
	size_t rdlen_at = m->len;
	su_put16(m, 0);
	su_putname(m, "hmac-sha256.");
	uint64_t now = (uint64_t)time(NULL);
	su_put16(m, (unsigned)(now >> 32));
	su_put32(m, (uint32_t)now);
	su_put16(m, 300);
	su_put16(m, 32);
	putrand(m, 32);
	su_put16(m, (unsigned)(((unsigned)m->b[0] << 8) | m->b[1]));
	su_put16(m, 0);
	su_put16(m, 0);
	unsigned rdlen = (unsigned)(m->len - rdlen_at - 2);
	m->b[rdlen_at] = (uint8_t)(rdlen >> 8);
	m->b[rdlen_at + 1] = (uint8_t)rdlen;
	if (rndn(2))
		mutate(m, 1 + rndn(4));
}

static void build_xfr(struct su_msg *m)
{
	bool ixfr = rndn(2);
	header(m, 0, 1, 0, ixfr ? 1 : 0, 0);
	question(m, rndn(4) ? zone_apex : some_name(), ixfr ? 251 : 252);
	if (ixfr) {
		/* RFC 1995 3: the client's SOA in the authority section. */
		su_putname(m, zone_apex);
		su_put16(m, 6);
		su_put16(m, 1);
		su_put32(m, 0);
		su_put16(m, 22);
		su_put8(m, 0);
		su_put8(m, 0);
		su_put32(m, (uint32_t)rnd());
		putrand(m, 16);
	}
	if (rndn(2))
		mutate(m, 1 + rndn(3));
}

static void build_edns(struct su_msg *m)
{
	struct su_msg o = {.len = 0};
	unsigned n = 1 + rndn(5);
	for (unsigned i = 0; i < n; i++) {
		static const unsigned codes[] = {10, 10, 12, 8, 11, 15, 3, 5, 65001, 0};
		unsigned code = codes[rndn(sizeof(codes) / sizeof(codes[0]))];
		/* Cookies (RFC 7873 4): 8 bytes, or 16 to 40; the rest anything. */
		unsigned len = code == 10 ? (rndn(3) ? 8 + 16 * rndn(2) : rndn(48)) : rndn(40);
		su_put16(&o, code);
		su_put16(&o, rndn(8) ? len : len + 1 + rndn(300)); /* sometimes a lying length */
		putrand(&o, len);
	}
	header(m, 0, 1, 0, 0, rndn(8) ? 1 : 2);
	question(m, some_name(), qtypes[rndn(sizeof(qtypes) / sizeof(qtypes[0]))]);
	/* A version above 0 must get BADVERS (RFC 6891 6.1.3). */
	opt_rr(m, rndn(700), (rndn(6) ? 0 : (rndn(255) + 1) << 16) | (rndn(2) ? 0x8000 : 0), &o);
	if (m->b[11] == 2) {
		struct su_msg none = {.len = 0};
		opt_rr(m, 1232, 0, &none);
	}
	if (rndn(3) == 0)
		mutate(m, 1 + rndn(2));
}

static void build_pointer(struct su_msg *m)
{
	header(m, 0, 1, rndn(2), 0, 0);
	switch (rndn(4)) {
	case 0: /* a pointer to itself */
		su_put16(m, 0xc00c);
		break;
	case 1: /* a loop of two labels */
		su_put8(m, 1);
		su_put8(m, 'a');
		su_put16(m, 0xc00c);
		break;
	case 2: /* a forward pointer past the end */
		su_put16(m, 0xc000 | (unsigned)(20 + rndn(2000)));
		break;
	default: /* a chain of pointers, each to the one before */
		su_put8(m, 1);
		su_put8(m, 'x');
		su_put8(m, 0);
		for (unsigned i = 0; i < 1 + rndn(120); i++)
			su_put16(m, 0xc000 | (unsigned)(m->len - 2 >= 12 ? m->len - 2 : 12));
		break;
	}
	su_put16(m, 1);
	su_put16(m, 1);
	if (m->b[7]) {
		/* An answer RR whose owner points into the question. */
		su_put16(m, 0xc000 | (unsigned)(12 + rndn(8)));
		su_put16(m, 1);
		su_put16(m, 1);
		su_put32(m, 0);
		su_put16(m, 4);
		putrand(m, 4);
	}
}

static void build_counts(struct su_msg *m)
{
	header(m, 0, rndn(2) ? 65535 : 1, rndn(65536), rndn(65536), rndn(65536));
	question(m, some_name(), 106);
	putrand(m, rndn(64));
}

static void build(enum kind k, struct su_msg *m)
{
	switch (k) {
	case K_RANDOM:
		build_random(m);
		break;
	case K_QUERY:
		build_query(m);
		break;
	case K_UPDATE:
		build_update(m);
		break;
	case K_XFR:
		build_xfr(m);
		break;
	case K_EDNS:
		build_edns(m);
		break;
	case K_POINTER:
		build_pointer(m);
		break;
	default:
		build_counts(m);
		break;
	}
}

/* ---- fuzz ---- */

struct figures {
	unsigned long udp[K_NKINDS], tcp[K_NKINDS];
	unsigned long replies, tcp_conns, tcp_lies, send_errors;
};

static void drain_udp(struct peer *p, struct figures *f, int ms)
{
	uint8_t buf[SU_MAXMSG];
	while (wait_readable(p->udp, ms)) {
		if (recv(p->udp, buf, sizeof(buf), MSG_DONTWAIT) <= 0)
			break;
		f->replies++;
		ms = 0;
	}
}

/* Read whatever answers the connection has for us, then close it. */
static void tcp_finish(struct peer *p, struct figures *f)
{
	uint8_t buf[4096];
	shutdown(p->tcp, SHUT_WR);
	double end = su_mono() + 0.5;
	while (su_mono() < end && wait_readable(p->tcp, 100)) {
		ssize_t r = recv(p->tcp, buf, sizeof(buf), 0);
		if (r <= 0)
			break;
		f->replies++; /* counts reads, roughly answers */
	}
	close(p->tcp);
	p->tcp = -1;
}

static void fuzz_tcp(struct peer *p, const struct su_msg *m, struct figures *f)
{
	uint8_t pre[2];
	if (p->tcp < 0) {
		if ((p->tcp = tcp_connect(p, 2000)) < 0) {
			f->send_errors++;
			return;
		}
		f->tcp_conns++;
		p->tcp_sent = 0;
	}
	bool lie = rndn(40) == 0;
	size_t n = lie ? m->len + 1 + rndn(1000) : m->len;
	if (n > 65535)
		n = 65535;
	pre[0] = (uint8_t)(n >> 8);
	pre[1] = (uint8_t)n;
	if (!send_all(p->tcp, pre, 2) || !send_all(p->tcp, m->b, m->len)) {
		f->send_errors++;
		close(p->tcp);
		p->tcp = -1;
		return;
	}
	/* A lie leaves the stream out of step: nothing after it makes sense. */
	if (lie) {
		f->tcp_lies++;
		tcp_finish(p, f);
	} else if (++p->tcp_sent >= TCP_MSGS) {
		tcp_finish(p, f);
	}
}

static int run_fuzz(unsigned long count, double secs)
{
	struct figures f = {0};
	static struct su_msg m;
	double end = su_mono() + secs;
	unsigned long i;

	for (size_t a = 0; a < npeers; a++) {
		peers[a].udp = socket(peers[a].ss.ss_family, SOCK_DGRAM, 0);
		if (peers[a].udp < 0 ||
		    connect(peers[a].udp, (struct sockaddr *)&peers[a].ss, peers[a].len) != 0) {
			perror("pktfuzz: udp socket");
			return 2;
		}
	}
	for (i = 0; i < count && su_mono() < end; i++) {
		struct peer *p = &peers[i % npeers];
		enum kind k = (enum kind)rndn(K_NKINDS);
		build(k, &m);
		if (rndn(10) < 7) {
			/* A refused send (ECONNREFUSED from an earlier ICMP) is not fatal. */
			if (send(p->udp, m.b, m.len, 0) < 0)
				f.send_errors++;
			f.udp[k]++;
			/* Pace: a burst of 32 at most before reading the replies, so that
			 * the checker's queries are not lost in a full socket buffer. */
			drain_udp(p, &f, f.udp[k] % 32 == 0 ? 5 : 0);
		} else {
			fuzz_tcp(p, &m, &f);
			f.tcp[k]++;
		}
	}
	for (size_t a = 0; a < npeers; a++) {
		if (peers[a].tcp >= 0)
			tcp_finish(&peers[a], &f);
		drain_udp(&peers[a], &f, 200);
		close(peers[a].udp);
	}
	unsigned long tu = 0, tt = 0;
	printf("pktfuzz: sent %lu packets:", i);
	for (int k = 0; k < K_NKINDS; k++) {
		printf(" %s %lu/%lu", kind_names[k], f.udp[k], f.tcp[k]);
		tu += f.udp[k];
		tt += f.tcp[k];
	}
	printf(" (udp/tcp); udp %lu tcp %lu on %lu connections (%lu lying prefixes); "
	       "%lu replies read, %lu send errors\n",
	       tu, tt, f.tcp_conns, f.tcp_lies, f.replies, f.send_errors);
	return i == count ? 0 : 1;
}

/* ---- check ---- */

struct expect {
	ldns_rdf *owner;
	ldns_rr_type type;
	ldns_rr_list *rrs; /* sorted */
	char text[300];
};

static struct expect expects[MAXNAMES];
static size_t nexpects;

static int load_expect(const char *path)
{
	FILE *fp = fopen(path, "r");
	char line[1024];
	if (!fp) {
		perror(path);
		return -1;
	}
	while (fgets(line, sizeof(line), fp)) {
		ldns_rr *rr;
		if (line[0] == '\n' || line[0] == ';' || line[0] == '#')
			continue;
		if (ldns_rr_new_frm_str(&rr, line, 0, NULL, NULL) != LDNS_STATUS_OK) {
			fprintf(stderr, "pktfuzz: %s: cannot parse: %s", path, line);
			fclose(fp);
			return -1;
		}
		size_t i;
		for (i = 0; i < nexpects; i++)
			if (expects[i].type == ldns_rr_get_type(rr) &&
			    ldns_dname_compare(expects[i].owner, ldns_rr_owner(rr)) == 0)
				break;
		if (i == nexpects) {
			if (nexpects == MAXNAMES)
				break;
			expects[i].owner = ldns_rdf_clone(ldns_rr_owner(rr));
			expects[i].type = ldns_rr_get_type(rr);
			expects[i].rrs = ldns_rr_list_new();
			char *o = ldns_rdf2str(expects[i].owner);
			char *t = ldns_rr_type2str(expects[i].type);
			snprintf(expects[i].text, sizeof(expects[i].text), "%s %s", o, t);
			free(o);
			free(t);
			nexpects++;
		}
		ldns_rr_list_push_rr(expects[i].rrs, rr);
	}
	fclose(fp);
	for (size_t i = 0; i < nexpects; i++)
		ldns_rr_list_sort(expects[i].rrs);
	return nexpects ? 0 : -1;
}

/* Is the answer right? Sets *why when it is not. */
static bool judge(const struct expect *e, uint16_t id, const uint8_t *b, size_t n, const char **why)
{
	ldns_pkt *pkt = NULL;
	bool ok = false;
	if (ldns_wire2pkt(&pkt, b, n) != LDNS_STATUS_OK) {
		*why = "unparsable answer";
		return false;
	}
	ldns_rr_list *an = ldns_rr_list_clone(ldns_pkt_answer(pkt));
	ldns_rr_list_sort(an);
	if (ldns_pkt_id(pkt) != id || !ldns_pkt_qr(pkt))
		*why = "wrong ID or QR";
	else if (ldns_pkt_get_rcode(pkt) != LDNS_RCODE_NOERROR)
		*why = "rcode not NOERROR";
	else if (!ldns_pkt_aa(pkt))
		*why = "AA not set";
	else if (ldns_pkt_tc(pkt))
		*why = "TC set";
	else if (ldns_rr_list_rr_count(an) != ldns_rr_list_rr_count(e->rrs))
		*why = "wrong number of answer records";
	else {
		ok = true;
		for (size_t i = 0; ok && i < ldns_rr_list_rr_count(an); i++) {
			ldns_rr *x = ldns_rr_list_rr(an, i), *y = ldns_rr_list_rr(e->rrs, i);
			if (ldns_rr_compare(x, y) != 0) {
				*why = "wrong answer data";
				ok = false;
			} else if (ldns_rr_ttl(x) != ldns_rr_ttl(y)) {
				*why = "wrong TTL";
				ok = false;
			}
		}
	}
	ldns_rr_list_deep_free(an);
	ldns_pkt_free(pkt);
	return ok;
}

static size_t make_query(const struct expect *e, uint16_t id, bool edns, uint8_t *out)
{
	struct su_msg m;
	uint8_t wire[LDNS_MAX_DOMAINLEN + 1];
	header(&m, 0, 1, 0, 0, edns ? 1 : 0);
	m.b[0] = (uint8_t)(id >> 8);
	m.b[1] = (uint8_t)id;
	size_t wl = ldns_rdf_size(e->owner);
	memcpy(wire, ldns_rdf_data(e->owner), wl);
	su_putbytes(&m, wire, wl);
	su_put16(&m, e->type);
	su_put16(&m, 1);
	if (edns) {
		struct su_msg none = {.len = 0};
		opt_rr(&m, 1232, 0, &none);
	}
	memcpy(out, m.b, m.len);
	return m.len;
}

/* One query over UDP (retried when lost) or TCP; 0 ok, 1 wrong, 2 no answer. */
static int check_one(const struct peer *p, const struct expect *e, bool tcp, const char **why)
{
	static uint8_t q[512], a[SU_MAXMSG];
	uint16_t id = (uint16_t)rnd();
	size_t ql = make_query(e, id, rndn(2), q);
	ssize_t n = -1;

	if (tcp) {
		uint8_t pre[2] = {(uint8_t)(ql >> 8), (uint8_t)ql};
		int fd = tcp_connect(p, 5000);
		if (fd >= 0 && send_all(fd, pre, 2) && send_all(fd, q, ql) &&
		    recv_all(fd, pre, 2)) {
			size_t len = ((size_t)pre[0] << 8) | pre[1];
			if (recv_all(fd, a, len))
				n = (ssize_t)len;
		}
		if (fd >= 0)
			close(fd);
	} else {
		int fd = socket(p->ss.ss_family, SOCK_DGRAM, 0);
		if (fd >= 0 && connect(fd, (const struct sockaddr *)&p->ss, p->len) == 0) {
			for (int tries = 0; tries < 5 && n < 0; tries++) {
				if (send(fd, q, ql, 0) < 0)
					continue;
				double end = su_mono() + 1.0;
				while (n < 0 && su_mono() < end && wait_readable(fd, 100)) {
					n = recv(fd, a, sizeof(a), MSG_DONTWAIT);
					if (n >= 2 && (((unsigned)a[0] << 8) | a[1]) != id)
						n = -1; /* a late answer to an earlier try */
				}
			}
		}
		if (fd >= 0)
			close(fd);
	}
	if (n < 0) {
		*why = "no answer";
		return 2;
	}
	return judge(e, id, a, (size_t)n, why) ? 0 : 1;
}

static int run_check(const char *stopfile, double secs)
{
	unsigned long checked = 0, wrong = 0, lost = 0, udp = 0, tcp = 0, rounds = 0;
	double end = su_mono() + secs;

	while (su_mono() < end) {
		bool stop = access(stopfile, F_OK) == 0;
		for (size_t i = 0; i < nexpects; i++) {
			const struct peer *p = &peers[(checked + rounds) % npeers];
			bool over_tcp = (checked + i) % 3 == 0;
			const char *why = "";
			int rc = check_one(p, &expects[i], over_tcp, &why);
			checked++;
			over_tcp ? tcp++ : udp++;
			if (rc) {
				rc == 1 ? wrong++ : lost++;
				if (wrong + lost <= 10)
					fprintf(stderr, "pktfuzz: check %s over %s to %s: %s\n",
					        expects[i].text, over_tcp ? "TCP" : "UDP", p->text,
					        why);
			}
		}
		rounds++;
		/* One full round after the stop file appears: the end state counts. */
		if (stop)
			break;
	}
	printf("pktfuzz: checked %lu answers (%lu UDP, %lu TCP) in %lu rounds of %zu names: "
	       "%lu wrong, %lu unanswered\n",
	       checked, udp, tcp, rounds, nexpects, wrong, lost);
	return wrong || lost || !checked ? 1 : 0;
}

/* ---- main ---- */

static int usage(void)
{
	fprintf(stderr, "usage: pktfuzz fuzz -z ZONE -n COUNT [-s SEED] [-d SECONDS] ADDR@PORT...\n"
	                "       pktfuzz check -e FILE -S STOPFILE [-d SECONDS] ADDR@PORT...\n");
	return 2;
}

int main(int argc, char **argv)
{
	const char *expect_file = NULL, *stopfile = NULL;
	unsigned long count = 1000, seed = (unsigned long)time(NULL) ^ (unsigned long)getpid();
	double secs = 60;
	int c;

	if (argc < 2)
		return usage();
	bool fuzz = strcmp(argv[1], "fuzz") == 0;
	if (!fuzz && strcmp(argv[1], "check") != 0)
		return usage();
	optind = 2;
	while ((c = getopt(argc, argv, "z:n:s:d:e:S:N:")) != -1) {
		switch (c) {
		case 'z':
			zone_apex = optarg;
			break;
		case 'N': /* a name of the zone to build queries for */
			if (nnames < MAXNAMES)
				names[nnames++] = optarg;
			break;
		case 'n':
			count = strtoul(optarg, NULL, 10);
			break;
		case 's':
			seed = strtoul(optarg, NULL, 10);
			break;
		case 'd':
			secs = strtod(optarg, NULL);
			break;
		case 'e':
			expect_file = optarg;
			break;
		case 'S':
			stopfile = optarg;
			break;
		default:
			return usage();
		}
	}
	for (; optind < argc && npeers < MAXADDRS; optind++)
		if (parse_addr(argv[optind], &peers[npeers++]) != 0)
			return usage();
	if (!npeers)
		return usage();
	rng_state ^= seed * 0x100000001b3ULL;
	if (!rng_state)
		rng_state = 1;
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (fuzz) {
		if (!zone_apex)
			return usage();
		printf("pktfuzz: seed %lu\n", seed);
		return run_fuzz(count, secs);
	}
	if (!expect_file || !stopfile || load_expect(expect_file) != 0)
		return usage();
	return run_check(stopfile, secs);
}
