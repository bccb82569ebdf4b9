/* SPDX-License-Identifier: BSD-2-Clause */
/* dnsdiff.c -- ask two servers the same queries and compare the replies section by section. */
/*
 * Usage: dnsdiff [-v] [-w MS] -q QUERIES -a ALLOW REF@PORT TEST@PORT
 *
 * REF is the reference server (NSD), TEST the server under test (ilnpdnsd).
 * Both get byte-identical queries. The replies are compared on: RCODE (the
 * 12-bit value, EDNS extended bits included), the AA/TC/RD/RA/AD/CD flags,
 * the question section byte for byte (QNAME case included, RFC 4343 4.1),
 * OPT presence/version/size/DO, and the answer, authority and additional
 * sections as multisets of RRs in presentation form, TTLs included.
 *
 * QUERIES: one query a line, "NAME TYPE [option...]" where option is
 *   udp | tcp               transport (default udp)
 *   noedns | edns | edns=N  no OPT (default), OPT with payload 1232 or N
 *   ver=N  do  rd  cd       EDNS version, DO bit, RD and CD header bits
 *   class=CLASS             QCLASS (default IN)
 *   opcode=N                header OPCODE (NOTIMP cases, RFC 8906 3.1.4)
 *   qd=0 | qd=2             no question, or the question twice (RFC 9619)
 *   opt2                    a second OPT record (RFC 6891 6.1.1: FORMERR)
 * ALLOW: one allowed difference a line,
 *   "QNAME-GLOB QTYPE-GLOB OPTS-GLOB WHAT REASON..."
 * where the globs are fnmatch(3) patterns (QNAME lower-cased first) matched
 * against the query's name, type and normalised option string (as printed,
 * e.g. "udp,noedns"), WHAT is rcode, aa, tc, rd, ra, ad, cd, question,
 * edns, reply, a section (answer, authority, additional) or ttl, the last
 * four optionally restricted to RR types ("additional:L64,L32,LP": allowed
 * only when every differing RR has one of those types), and REASON must
 * cite an RFC. RRs equal but for their TTL count as a "ttl" difference, not
 * as a difference of their section.
 * '#' starts a comment in both files.
 *
 * Exit status: 0 when every difference is allowed, 1 when some is not, 2 on
 * a usage or I/O error. Allow entries that never matched are listed.
 */
#include <ctype.h>
#include <errno.h>
#include <fnmatch.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <ldns/ldns.h>

#define MAXMSG   65535
#define MAXALLOW 512

struct server {
	struct sockaddr_storage ss;
	socklen_t sslen;
	const char *text;
};

struct query {
	char name[512];
	char type[32];
	char opts[128]; /* normalised option string, as matched by ALLOW */
	ldns_rr_type rrtype;
	ldns_rr_class rrclass;
	bool tcp;
	int edns; /* payload size, 0 = no OPT */
	int version;
	bool dobit, rd, cd;
	int opcode;
	int qd; /* QDCOUNT to send: -1 leaves the one question */
	bool opt2;
};

struct allow {
	char qname[256], qtype[32], opts[128], what[64];
	char types[128]; /* comma list, empty = any */
	char reason[512];
	int line;
	unsigned hits;
};

struct reply {
	uint8_t wire[MAXMSG];
	size_t len;
	ldns_pkt *pkt;
};

static struct allow allows[MAXALLOW];
static size_t nallows;
static const char *allow_file;
static bool verbose;
static int timeout_ms = 2000;
static unsigned ndiff_allowed, ndiff_bad, nqueries;

static void die(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("dnsdiff: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(2);
}

/* "ADDR@PORT", IPv4 or IPv6 literal. */
static void parse_server(const char *text, struct server *s)
{
	char addr[128];
	const char *at = strrchr(text, '@');
	if (!at || (size_t)(at - text) >= sizeof(addr))
		die("bad server '%s' (want ADDR@PORT)", text);
	memcpy(addr, text, at - text);
	addr[at - text] = 0;
	int port = atoi(at + 1);
	if (port <= 0 || port > 65535)
		die("bad port in '%s'", text);
	memset(s, 0, sizeof(*s));
	s->text = text;
	struct sockaddr_in *in4 = (struct sockaddr_in *)&s->ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&s->ss;
	if (inet_pton(AF_INET, addr, &in4->sin_addr) == 1) {
		in4->sin_family = AF_INET;
		in4->sin_port = htons(port);
		s->sslen = sizeof(*in4);
	} else if (inet_pton(AF_INET6, addr, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(port);
		s->sslen = sizeof(*in6);
	} else {
		die("bad address in '%s'", text);
	}
}

static long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000;
}

/* Wait for fd to become readable before the deadline; false on timeout. */
static bool wait_readable(int fd, long deadline)
{
	for (;;) {
		long left = deadline - now_ms();
		if (left <= 0)
			return false;
		struct pollfd p = {.fd = fd, .events = POLLIN};
		int r = poll(&p, 1, (int)left);
		if (r > 0)
			return true;
		if (r < 0 && errno != EINTR)
			return false;
	}
}

/* One UDP exchange, one retry; only a reply with our ID counts. */
static bool send_udp(const struct server *s, const uint8_t *q, size_t qlen, struct reply *r)
{
	int fd = socket(s->ss.ss_family, SOCK_DGRAM, 0);
	if (fd < 0 || connect(fd, (const struct sockaddr *)&s->ss, s->sslen) < 0)
		die("udp socket to %s: %s", s->text, strerror(errno));
	bool ok = false;
	for (int attempt = 0; attempt < 2 && !ok; attempt++) {
		if (send(fd, q, qlen, 0) != (ssize_t)qlen)
			break;
		long deadline = now_ms() + timeout_ms;
		while (!ok && wait_readable(fd, deadline)) {
			ssize_t n = recv(fd, r->wire, sizeof(r->wire), 0);
			if (n >= 2 && memcmp(r->wire, q, 2) == 0) {
				r->len = (size_t)n;
				ok = true;
			}
			if (n < 0 && errno == ECONNREFUSED)
				break;
		}
	}
	close(fd);
	return ok;
}

static bool read_full(int fd, uint8_t *buf, size_t len, long deadline)
{
	size_t got = 0;
	while (got < len) {
		if (!wait_readable(fd, deadline))
			return false;
		ssize_t n = read(fd, buf + got, len - got);
		if (n <= 0)
			return false;
		got += (size_t)n;
	}
	return true;
}

/* One TCP exchange with RFC 1035 4.2.2 two-octet length framing. */
static bool send_tcp(const struct server *s, const uint8_t *q, size_t qlen, struct reply *r)
{
	int fd = socket(s->ss.ss_family, SOCK_STREAM, 0);
	if (fd < 0)
		die("tcp socket: %s", strerror(errno));
	bool ok = false;
	uint8_t buf[MAXMSG + 2];
	buf[0] = (uint8_t)(qlen >> 8);
	buf[1] = (uint8_t)qlen;
	memcpy(buf + 2, q, qlen);
	long deadline = now_ms() + timeout_ms;
	if (connect(fd, (const struct sockaddr *)&s->ss, s->sslen) == 0 &&
	    write(fd, buf, qlen + 2) == (ssize_t)(qlen + 2) && read_full(fd, buf, 2, deadline)) {
		size_t len = (size_t)buf[0] << 8 | buf[1];
		if (read_full(fd, r->wire, len, deadline)) {
			r->len = len;
			ok = true;
		}
	}
	close(fd);
	return ok;
}

/* Drop trailing white space (ldns ends RR text with a newline). */
static void rstrip(char *s)
{
	size_t n = strlen(s);
	while (n && isspace((unsigned char)s[n - 1]))
		s[--n] = 0;
}

/* A line of QUERIES or ALLOW without its '#' comment. */
static void trim(char *s)
{
	char *h = strchr(s, '#');
	if (h)
		*h = 0;
	rstrip(s);
}

/* Parse "NAME TYPE [option...]"; false (with a message) on a bad line. */
static bool parse_query(char *line, struct query *q, const char *file, int lineno)
{
	memset(q, 0, sizeof(*q));
	q->rrclass = LDNS_RR_CLASS_IN;
	q->qd = -1;
	char *save = NULL;
	char *name = strtok_r(line, " \t", &save);
	char *type = strtok_r(NULL, " \t", &save);
	if (!name || !type || strlen(name) >= sizeof(q->name) || strlen(type) >= sizeof(q->type)) {
		fprintf(stderr, "%s:%d: want NAME TYPE [options]\n", file, lineno);
		return false;
	}
	strcpy(q->name, name);
	strcpy(q->type, type);
	q->rrtype = ldns_get_rr_type_by_name(type);
	if (q->rrtype == 0 && strcmp(type, "TYPE0") != 0) {
		fprintf(stderr, "%s:%d: unknown type %s\n", file, lineno, type);
		return false;
	}
	char extra[96] = "";
	for (char *o; (o = strtok_r(NULL, " \t", &save));) {
		if (!strcmp(o, "udp")) {
			q->tcp = false;
		} else if (!strcmp(o, "tcp")) {
			q->tcp = true;
		} else if (!strcmp(o, "noedns")) {
			q->edns = 0;
		} else if (!strcmp(o, "edns")) {
			q->edns = 1232;
		} else if (!strncmp(o, "edns=", 5)) {
			q->edns = atoi(o + 5);
			if (q->edns < 1 || q->edns > 65535)
				goto bad;
		} else if (!strncmp(o, "ver=", 4)) {
			q->version = atoi(o + 4);
		} else if (!strcmp(o, "do")) {
			q->dobit = true;
		} else if (!strcmp(o, "rd")) {
			q->rd = true;
		} else if (!strcmp(o, "cd")) {
			q->cd = true;
		} else if (!strncmp(o, "opcode=", 7)) {
			q->opcode = atoi(o + 7);
			if (q->opcode < 0 || q->opcode > 15)
				goto bad;
		} else if (!strcmp(o, "qd=0") || !strcmp(o, "qd=2")) {
			q->qd = o[3] - '0';
		} else if (!strcmp(o, "opt2")) {
			q->opt2 = true;
		} else if (!strncmp(o, "class=", 6)) {
			q->rrclass = ldns_get_rr_class_by_name(o + 6);
			if (q->rrclass == 0)
				goto bad;
		} else {
			goto bad;
		}
		if (strncmp(o, "udp", 3) && strncmp(o, "tcp", 3) && strncmp(o, "edns", 4) &&
		    strcmp(o, "noedns") && strlen(extra) + strlen(o) + 2 < sizeof(extra)) {
			strcat(extra, ",");
			strcat(extra, o);
		}
		continue;
	bad:
		fprintf(stderr, "%s:%d: bad option '%s'\n", file, lineno, o);
		return false;
	}
	if ((q->version || q->dobit) && !q->edns)
		q->edns = 1232;
	char e[16] = "noedns";
	if (q->edns)
		snprintf(e, sizeof(e), "edns=%d", q->edns);
	snprintf(q->opts, sizeof(q->opts), "%s,%s%s", q->tcp ? "tcp" : "udp", e, extra);
	return true;
}

static void load_allow(const char *file)
{
	FILE *f = fopen(file, "r");
	if (!f)
		die("%s: %s", file, strerror(errno));
	char line[1024];
	int lineno = 0;
	while (fgets(line, sizeof(line), f)) {
		lineno++;
		trim(line);
		if (!*line)
			continue;
		if (nallows == MAXALLOW)
			die("%s:%d: too many entries", file, lineno);
		struct allow *a = &allows[nallows];
		int off = 0;
		if (sscanf(line, "%255s %31s %127s %63s %n", a->qname, a->qtype, a->opts, a->what,
		           &off) != 4 ||
		    !off)
			die("%s:%d: want QNAME QTYPE OPTS WHAT REASON", file, lineno);
		snprintf(a->reason, sizeof(a->reason), "%s", line + off);
		if (!strstr(a->reason, "RFC"))
			die("%s:%d: the reason must cite an RFC", file, lineno);
		char *colon = strchr(a->what, ':');
		if (colon) {
			snprintf(a->types, sizeof(a->types), "%s", colon + 1);
			*colon = 0;
		}
		static const char *const whats[] = {
		    "rcode",    "aa",   "tc",    "rd",     "ra",        "ad",         "cd",
		    "question", "edns", "reply", "answer", "authority", "additional", "ttl",
		};
		bool known = false;
		for (size_t i = 0; i < sizeof(whats) / sizeof(whats[0]); i++)
			known |= !strcmp(a->what, whats[i]);
		if (!known)
			die("%s:%d: unknown difference kind '%s'", file, lineno, a->what);
		a->line = lineno;
		nallows++;
	}
	fclose(f);
}

/* Is type (mnemonic) in the comma list? */
static bool type_listed(const char *list, const char *type)
{
	size_t n = strlen(type);
	for (const char *p = list; *p;) {
		const char *end = strchr(p, ',');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		if (len == n && !strncasecmp(p, type, n))
			return true;
		if (!end)
			break;
		p = end + 1;
	}
	return false;
}

/*
 * Find the allow entry covering difference `what` of query q. For sections,
 * rrtypes lists the types of every differing RR (space separated).
 */
static const struct allow *find_allow(const struct query *q, const char *what, const char *rrtypes)
{
	/* Names compare case-insensitively (RFC 4343); allow.txt is written in lower case. */
	char lname[sizeof(q->name)];
	size_t k = 0;
	for (; q->name[k]; k++)
		lname[k] = (char)tolower((unsigned char)q->name[k]);
	lname[k] = 0;
	for (size_t i = 0; i < nallows; i++) {
		struct allow *a = &allows[i];
		if (strcmp(a->what, what) || fnmatch(a->qname, lname, 0) ||
		    fnmatch(a->qtype, q->type, 0) || fnmatch(a->opts, q->opts, 0))
			continue;
		if (*a->types && rrtypes) {
			char copy[4096];
			snprintf(copy, sizeof(copy), "%s", rrtypes);
			bool all = true;
			char *save = NULL;
			for (char *t = strtok_r(copy, " ", &save); t;
			     t = strtok_r(NULL, " ", &save))
				all &= type_listed(a->types, t);
			if (!all)
				continue;
		}
		a->hits++;
		return a;
	}
	return NULL;
}

/* Report one difference; detail lines are printed for unexplained ones or with -v. */
static void difference(const struct query *q, const char *what, const char *rrtypes,
                       const char *detail)
{
	const struct allow *a = find_allow(q, what, rrtypes);
	if (a) {
		ndiff_allowed++;
		if (verbose)
			printf("allowed %s %s %s: %s (%s:%d %s)\n%s", q->name, q->type, q->opts,
			       what, allow_file, a->line, a->reason, detail);
		return;
	}
	ndiff_bad++;
	printf("DIFF %s %s %s: %s\n%s", q->name, q->type, q->opts, what, detail);
}

static unsigned full_rcode(const ldns_pkt *p)
{
	return (unsigned)ldns_pkt_edns_extended_rcode(p) << 4 | ldns_pkt_get_rcode(p);
}

static void compare_value(const struct query *q, const char *what, long ref, long test)
{
	if (ref == test)
		return;
	char d[128];
	snprintf(d, sizeof(d), "    ref %ld, test %ld\n", ref, test);
	difference(q, what, NULL, d);
}

/* Octets of the question section as received (names may be compressed). */
static size_t question_span(const uint8_t *w, size_t len)
{
	if (len < 12)
		return 0;
	unsigned qd = (unsigned)w[4] << 8 | w[5];
	size_t pos = 12;
	for (unsigned i = 0; i < qd; i++) {
		while (pos < len) {
			uint8_t l = w[pos];
			if (l == 0) {
				pos++;
				break;
			}
			if ((l & 0xc0) == 0xc0) {
				pos += 2;
				break;
			}
			pos += 1 + l;
		}
		pos += 4;
	}
	return pos > len ? len - 12 : pos - 12;
}

/* One RR of a section: presentation text with and without its TTL. */
struct rrline {
	char *key;  /* the RR with TTL 0: what must match */
	char *line; /* the RR as received */
	char type[16];
	uint32_t ttl;
};

static int rrline_cmp(const void *a, const void *b)
{
	const struct rrline *x = a, *y = b;
	int c = strcmp(x->key, y->key);
	return c ? c : (x->ttl > y->ttl) - (x->ttl < y->ttl);
}

/* The RRs of a section, sorted (caller frees with free_lines). */
static struct rrline *section_lines(const ldns_rr_list *l, size_t *n)
{
	*n = l ? ldns_rr_list_rr_count(l) : 0;
	struct rrline *v = calloc(*n + 1, sizeof(*v));
	if (!v)
		die("out of memory");
	for (size_t i = 0; i < *n; i++) {
		const ldns_rr *rr = ldns_rr_list_rr(l, i);
		ldns_rr *copy = ldns_rr_clone(rr);
		if (!copy)
			die("out of memory");
		ldns_rr_set_ttl(copy, 0);
		v[i].key = ldns_rr2str(copy);
		v[i].line = ldns_rr2str(rr);
		ldns_rr_free(copy);
		if (!v[i].key || !v[i].line)
			die("out of memory");
		rstrip(v[i].key);
		rstrip(v[i].line);
		v[i].ttl = ldns_rr_ttl(rr);
		char *t = ldns_rr_type2str(ldns_rr_get_type(rr));
		snprintf(v[i].type, sizeof(v[i].type), "%s", t ? t : "?");
		free(t);
	}
	qsort(v, *n, sizeof(*v), rrline_cmp);
	return v;
}

static void free_lines(struct rrline *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].key);
		free(v[i].line);
	}
	free(v);
}

/* A growing string for difference details. */
struct text {
	char *s;
	size_t len, cap;
};

static void append(struct text *t, const char *s)
{
	size_t n = strlen(s);
	if (t->len + n + 1 > t->cap) {
		t->cap = (t->len + n + 1) * 2;
		t->s = realloc(t->s, t->cap);
		if (!t->s)
			die("out of memory");
	}
	memcpy(t->s + t->len, s, n + 1);
	t->len += n;
}

/*
 * RRs that match except for the TTL are reported as a "ttl" difference;
 * RRs present on one side only as a difference of the section itself.
 */
static void compare_section(const struct query *q, const char *what, const ldns_rr_list *ref,
                            const ldns_rr_list *test)
{
	size_t nr, nt;
	struct rrline *r = section_lines(ref, &nr);
	struct rrline *t = section_lines(test, &nt);
	struct text detail = {0}, types = {0}, tdetail = {0}, ttypes = {0};
	size_t i = 0, j = 0;
	append(&detail, "");
	append(&types, "");
	append(&tdetail, "");
	append(&ttypes, "");
	while (i < nr || j < nt) {
		int c = i == nr ? 1 : j == nt ? -1 : strcmp(r[i].key, t[j].key);
		if (c == 0) {
			if (r[i].ttl != t[j].ttl) {
				char d[64];
				snprintf(d, sizeof(d), "    %s ttl ref %u test %u: ", what,
				         r[i].ttl, t[j].ttl);
				append(&tdetail, d);
				append(&tdetail, t[j].line);
				append(&tdetail, "\n");
				append(&ttypes, t[j].type);
				append(&ttypes, " ");
			}
			i++, j++;
			continue;
		}
		const struct rrline *l = c < 0 ? &r[i++] : &t[j++];
		append(&detail, c < 0 ? "    only ref:  " : "    only test: ");
		append(&detail, l->line);
		append(&detail, "\n");
		append(&types, l->type);
		append(&types, " ");
	}
	if (detail.len)
		difference(q, what, types.s, detail.s);
	if (tdetail.len)
		difference(q, "ttl", ttypes.s, tdetail.s);
	free_lines(r, nr);
	free_lines(t, nt);
	free(detail.s);
	free(types.s);
	free(tdetail.s);
	free(ttypes.s);
}

static void compare(const struct query *q, const struct reply *ref, const struct reply *test)
{
	const ldns_pkt *a = ref->pkt, *b = test->pkt;
	compare_value(q, "rcode", full_rcode(a), full_rcode(b));
	compare_value(q, "aa", ldns_pkt_aa(a), ldns_pkt_aa(b));
	compare_value(q, "tc", ldns_pkt_tc(a), ldns_pkt_tc(b));
	compare_value(q, "rd", ldns_pkt_rd(a), ldns_pkt_rd(b));
	compare_value(q, "ra", ldns_pkt_ra(a), ldns_pkt_ra(b));
	compare_value(q, "ad", ldns_pkt_ad(a), ldns_pkt_ad(b));
	compare_value(q, "cd", ldns_pkt_cd(a), ldns_pkt_cd(b));

	size_t qa = question_span(ref->wire, ref->len), qb = question_span(test->wire, test->len);
	if (qa != qb || memcmp(ref->wire + 12, test->wire + 12, qa) ||
	    ldns_pkt_qdcount(a) != ldns_pkt_qdcount(b)) {
		char *sa = ldns_rr_list2str(ldns_pkt_question(a));
		char *sb = ldns_rr_list2str(ldns_pkt_question(b));
		char d[2048];
		snprintf(d, sizeof(d), "    ref  (%zu octets): %s    test (%zu octets): %s", qa,
		         sa ? sa : "?\n", qb, sb ? sb : "?\n");
		difference(q, "question", NULL, d);
		free(sa);
		free(sb);
	}

	bool ea = ldns_pkt_edns(a), eb = ldns_pkt_edns(b);
	if (ea != eb || (ea && (ldns_pkt_edns_version(a) != ldns_pkt_edns_version(b) ||
	                        ldns_pkt_edns_udp_size(a) != ldns_pkt_edns_udp_size(b) ||
	                        ldns_pkt_edns_do(a) != ldns_pkt_edns_do(b)))) {
		char d[256];
		snprintf(d, sizeof(d),
		         "    ref  opt=%d version=%u size=%u do=%d\n"
		         "    test opt=%d version=%u size=%u do=%d\n",
		         ea, ldns_pkt_edns_version(a), ldns_pkt_edns_udp_size(a),
		         ldns_pkt_edns_do(a), eb, ldns_pkt_edns_version(b),
		         ldns_pkt_edns_udp_size(b), ldns_pkt_edns_do(b));
		difference(q, "edns", NULL, d);
	}
	compare_section(q, "answer", ldns_pkt_answer(a), ldns_pkt_answer(b));
	compare_section(q, "authority", ldns_pkt_authority(a), ldns_pkt_authority(b));
	compare_section(q, "additional", ldns_pkt_additional(a), ldns_pkt_additional(b));
}

/*
 * Apply the header-level options that ldns cannot express to the query wire
 * (w, *len octets, room for 600): OPCODE, QDCOUNT 0 or 2, a second OPT.
 */
static void malform(const struct query *q, uint8_t *w, size_t *len)
{
	static const uint8_t opt[] = {0, 0, 41, 0x04, 0xd0, 0, 0, 0, 0, 0, 0};
	size_t qs = question_span(w, *len);
	w[2] = (uint8_t)((w[2] & 0x87) | q->opcode << 3);
	if (q->qd == 0) {
		memmove(w + 12, w + 12 + qs, *len - 12 - qs);
		*len -= qs;
	} else if (q->qd == 2 && *len + qs <= 600) {
		memmove(w + 12 + 2 * qs, w + 12 + qs, *len - 12 - qs);
		memcpy(w + 12 + qs, w + 12, qs);
		*len += qs;
	}
	if (q->qd >= 0)
		w[5] = (uint8_t)q->qd;
	if (q->opt2 && *len + sizeof(opt) <= 600) {
		memcpy(w + *len, opt, sizeof(opt));
		*len += sizeof(opt);
		w[11]++;
	}
}

static bool exchange(const struct server *s, const struct query *q, const uint8_t *wire, size_t len,
                     struct reply *r)
{
	r->pkt = NULL;
	r->len = 0;
	bool ok = q->tcp ? send_tcp(s, wire, len, r) : send_udp(s, wire, len, r);
	if (!ok)
		return false;
	if (ldns_wire2pkt(&r->pkt, r->wire, r->len) != LDNS_STATUS_OK)
		r->pkt = NULL;
	return true;
}

static void run_query(const struct query *q, const struct server *ref, const struct server *test)
{
	static struct reply ra, rb;
	ldns_rdf *name = ldns_dname_new_frm_str(q->name);
	if (!name)
		die("bad name %s", q->name);
	uint16_t flags = (q->rd ? LDNS_RD : 0) | (q->cd ? LDNS_CD : 0);
	ldns_pkt *p = ldns_pkt_query_new(name, q->rrtype, q->rrclass, flags);
	if (!p)
		die("out of memory");
	ldns_pkt_set_random_id(p);
	if (q->edns) {
		ldns_pkt_set_edns_udp_size(p, (uint16_t)q->edns);
		ldns_pkt_set_edns_version(p, (uint8_t)q->version);
		ldns_pkt_set_edns_do(p, q->dobit);
	}
	uint8_t *wire = NULL;
	size_t len = 0;
	if (ldns_pkt2wire(&wire, p, &len) != LDNS_STATUS_OK || len > 512)
		die("cannot build query %s %s", q->name, q->type);
	uint8_t *grown = realloc(wire, 600);
	if (!grown)
		die("out of memory");
	wire = grown;
	malform(q, wire, &len);
	nqueries++;
	bool oka = exchange(ref, q, wire, len, &ra);
	bool okb = exchange(test, q, wire, len, &rb);
	if (!oka || !okb || !ra.pkt || !rb.pkt) {
		char d[256];
		snprintf(d, sizeof(d), "    ref %s, test %s\n",
		         !oka      ? "no reply"
		         : !ra.pkt ? "unparsable reply"
		                   : "replied",
		         !okb      ? "no reply"
		         : !rb.pkt ? "unparsable reply"
		                   : "replied");
		if (oka != okb || !ra.pkt != !rb.pkt)
			difference(q, "reply", NULL, d);
		else if (verbose)
			printf("same %s %s %s: both %s", q->name, q->type, q->opts, d + 8);
	} else {
		unsigned before = ndiff_bad + ndiff_allowed;
		compare(q, &ra, &rb);
		if (verbose && before == ndiff_bad + ndiff_allowed)
			printf("same %s %s %s: rcode %u, %u/%u/%u RRs\n", q->name, q->type, q->opts,
			       full_rcode(rb.pkt), ldns_pkt_ancount(rb.pkt),
			       ldns_pkt_nscount(rb.pkt), ldns_pkt_arcount(rb.pkt));
	}
	ldns_pkt_free(ra.pkt);
	ldns_pkt_free(rb.pkt);
	ra.pkt = rb.pkt = NULL;
	free(wire);
	ldns_pkt_free(p);
}

int main(int argc, char **argv)
{
	const char *qfile = NULL, *afile = NULL;
	int c;
	while ((c = getopt(argc, argv, "va:q:w:")) != -1) {
		switch (c) {
		case 'v':
			verbose = true;
			break;
		case 'a':
			afile = optarg;
			break;
		case 'q':
			qfile = optarg;
			break;
		case 'w':
			timeout_ms = atoi(optarg);
			break;
		default:
			goto usage;
		}
	}
	if (!qfile || !afile || argc - optind != 2 || timeout_ms <= 0)
		goto usage;
	struct server ref, test;
	parse_server(argv[optind], &ref);
	parse_server(argv[optind + 1], &test);
	allow_file = afile;
	load_allow(afile);

	FILE *f = fopen(qfile, "r");
	if (!f)
		die("%s: %s", qfile, strerror(errno));
	char line[1024];
	int lineno = 0, bad = 0;
	while (fgets(line, sizeof(line), f)) {
		lineno++;
		trim(line);
		if (!*line)
			continue;
		struct query q;
		if (!parse_query(line, &q, qfile, lineno)) {
			bad++;
			continue;
		}
		run_query(&q, &ref, &test);
	}
	fclose(f);
	if (bad)
		die("%d bad lines in %s", bad, qfile);

	for (size_t i = 0; i < nallows; i++)
		if (!allows[i].hits)
			printf("note: %s:%d never matched (%s %s %s %s)\n", allow_file,
			       allows[i].line, allows[i].qname, allows[i].qtype, allows[i].opts,
			       allows[i].what);
	printf("dnsdiff: %u queries, %u differences allowed, %u unexplained\n", nqueries,
	       ndiff_allowed, ndiff_bad);
	return ndiff_bad ? 1 : 0;
usage:
	fprintf(stderr, "usage: dnsdiff [-v] [-w MS] -q QUERIES -a ALLOW REF@PORT TEST@PORT\n");
	return 2;
}
