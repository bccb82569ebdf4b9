/* SPDX-License-Identifier: BSD-2-Clause */
/* pktsend.c -- send hand-crafted malformed DNS messages over UDP and TCP and check each reply. */
/*
 * Usage: pktsend [-v] [-w MS] -n NAME -t TYPE ADDR@PORT
 *
 * Every case in the table below is sent over UDP and then over TCP. The
 * expected outcome follows the request screening rules (PROTOCOLS.md 7.1,
 * RFC 1035 4.1, RFC 6891 6.1.1, RFC 8906, RFC 9619): messages shorter than a
 * header and responses (QR=1) are dropped; unknown opcodes get NOTIMP; every
 * other malformed message with a readable header gets FORMERR with the ID
 * and opcode copied. After every case a well-formed query for NAME/TYPE must
 * still get NOERROR with AA and at least one answer, proving the server
 * survived. A first check sends three pipelined queries on one TCP
 * connection (RFC 7766 6.2.1.1). Exit status 0 when every check passed, 1
 * otherwise, 2 on usage.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "sysutil.h"

#define MAXMSG 65535

enum expect {
	EXPECT_DROP,
	EXPECT_FORMERR,
	EXPECT_NOTIMP,
	EXPECT_ANSWERED, /* any response that is not FORMERR (a valid edge case) */
};

struct pcase {
	const char *what;
	enum expect expect;
	void (*build)(struct su_msg *m);
};

static struct sockaddr_storage server;
static socklen_t serverlen;
static const char *qname_text;
static uint16_t qtype_num;
static int wait_ms = 1000;
static int drop_wait_ms = 300;
static bool verbose;
static unsigned nfail, nok;

/* --- message building -------------------------------------------------- */

/* Header with ID 0x1234 and the given flags word and counts. */
static void header(struct su_msg *m, unsigned flags, unsigned qd, unsigned an, unsigned ns,
                   unsigned ar)
{
	su_header(m, 0x1234, flags, qd, an, ns, ar);
}

static void question(struct su_msg *m)
{
	su_putname(m, qname_text);
	su_put16(m, qtype_num);
	su_put16(m, 1);
}

/* OPT RR (RFC 6891 6.1.2): root owner, payload 1232, version 0, no options. */
static void opt(struct su_msg *m)
{
	su_put8(m, 0);
	su_put16(m, 41);
	su_put16(m, 1232);
	su_put32(m, 0);
	su_put16(m, 0);
}

/* --- the cases --------------------------------------------------------- */

static void b_empty(struct su_msg *m)
{
	m->len = 0;
}

static void b_short5(struct su_msg *m)
{
	header(m, 0, 1, 0, 0, 0);
	m->len = 5;
}

static void b_short11(struct su_msg *m)
{
	header(m, 0, 1, 0, 0, 0);
	m->len = 11;
}

static void b_qr(struct su_msg *m)
{
	header(m, 0x8000, 1, 0, 0, 0);
	question(m);
}

static void b_qr_opt(struct su_msg *m)
{
	header(m, 0x8400, 1, 0, 0, 1);
	question(m);
	opt(m);
}

static void b_opcode1(struct su_msg *m)
{
	header(m, 1 << 11, 1, 0, 0, 0);
	question(m);
}

static void b_opcode2(struct su_msg *m)
{
	header(m, 2 << 11, 1, 0, 0, 0);
	question(m);
}

static void b_opcode3(struct su_msg *m)
{
	header(m, 3 << 11, 1, 0, 0, 0);
	question(m);
}

static void b_opcode15(struct su_msg *m)
{
	header(m, 15u << 11, 1, 0, 0, 0);
	question(m);
}

static void b_qd0(struct su_msg *m)
{
	header(m, 0, 0, 0, 0, 0);
}

static void b_qd2(struct su_msg *m)
{
	header(m, 0, 2, 0, 0, 0);
	question(m);
	question(m);
}

static void b_qd2_missing(struct su_msg *m)
{
	header(m, 0, 2, 0, 0, 0);
	question(m);
}

static void b_label_0x40(struct su_msg *m)
{
	header(m, 0, 1, 0, 0, 0);
	su_put8(m, 0x41); /* RFC 6891 5: extended label type 0b01, deprecated */
	su_putbytes(m, "abcdefgh", 8);
	su_put8(m, 0);
	su_put16(m, 1);
	su_put16(m, 1);
}

static void b_label_0x80(struct su_msg *m)
{
	header(m, 0, 1, 0, 0, 0);
	su_put8(m, 0x80); /* RFC 1035 4.1.4: 10 is reserved */
	su_putbytes(m, "abc", 3);
	su_put8(m, 0);
	su_put16(m, 1);
	su_put16(m, 1);
}

static void b_label_overrun(struct su_msg *m)
{
	header(m, 0, 1, 0, 0, 0);
	su_put8(m, 40); /* 40-octet label, 5 octets present */
	su_putbytes(m, "short", 5);
}

static void b_name_unterminated(struct su_msg *m)
{
	header(m, 0, 1, 0, 0, 0);
	su_put8(m, 4);
	su_putbytes(m, "host", 4);
}

static void b_ptr_self(struct su_msg *m)
{
	header(m, 0, 1, 0, 0, 0);
	su_put16(m, 0xc00c); /* points at itself */
	su_put16(m, 1);
	su_put16(m, 1);
}

static void b_ptr_loop(struct su_msg *m)
{
	header(m, 0, 1, 0, 0, 0);
	su_put8(m, 1);
	su_put8(m, 'a');
	su_put16(m, 0xc00c); /* backwards, but back to "a" again: an endless name */
	su_put16(m, 1);
	su_put16(m, 1);
}

static void b_ptr_forward(struct su_msg *m)
{
	header(m, 0, 1, 0, 0, 0);
	su_put16(m, 0xc000 | 18); /* forward, to the name after QTYPE/QCLASS */
	su_put16(m, qtype_num);
	su_put16(m, 1);
	su_putname(m, qname_text);
}

static void b_ptr_past_end(struct su_msg *m)
{
	header(m, 0, 1, 0, 0, 0);
	su_put16(m, 0xc000 | 0x3000);
	su_put16(m, 1);
	su_put16(m, 1);
}

/* QNAME of `total` octets: 63-octet labels of 'x', then the rest under the root. */
static void long_name(struct su_msg *m, size_t total)
{
	size_t left = total - 1;
	while (left > 0) {
		size_t n = left - 1 > 63 ? 63 : left - 1;
		su_put8(m, n);
		for (size_t i = 0; i < n; i++)
			su_put8(m, 'x');
		left -= n + 1;
	}
	su_put8(m, 0);
}

static void b_name256(struct su_msg *m)
{
	header(m, 0, 1, 0, 0, 0);
	long_name(m, 256);
	su_put16(m, 1);
	su_put16(m, 1);
}

static void b_name320(struct su_msg *m)
{
	header(m, 0, 1, 0, 0, 0);
	for (int i = 0; i < 5; i++) {
		su_put8(m, 63);
		for (int j = 0; j < 63; j++)
			su_put8(m, 'a' + i);
	}
	su_put8(m, 0);
	su_put16(m, 1);
	su_put16(m, 1);
}

static void b_name255(struct su_msg *m)
{
	header(m, 0, 1, 0, 0, 0);
	long_name(m, 255);
	su_put16(m, 1);
	su_put16(m, 1);
}

static void b_no_qtype(struct su_msg *m)
{
	header(m, 0, 1, 0, 0, 0);
	su_putname(m, qname_text);
}

static void b_half_qclass(struct su_msg *m)
{
	header(m, 0, 1, 0, 0, 0);
	su_putname(m, qname_text);
	su_put16(m, qtype_num);
	su_put8(m, 0);
}

static void b_trailing(struct su_msg *m)
{
	header(m, 0, 1, 0, 0, 0);
	question(m);
	su_putbytes(m, "garbage", 7);
}

static void b_ar_missing(struct su_msg *m)
{
	header(m, 0, 1, 0, 0, 1);
	question(m);
}

static void b_opt_rdlen_overrun(struct su_msg *m)
{
	header(m, 0, 1, 0, 0, 1);
	question(m);
	su_put8(m, 0);
	su_put16(m, 41);
	su_put16(m, 1232);
	su_put32(m, 0);
	su_put16(m, 100); /* RDLENGTH 100, 4 octets follow */
	su_put32(m, 0x000a0008);
}

static void b_opt_option_overrun(struct su_msg *m)
{
	header(m, 0, 1, 0, 0, 1);
	question(m);
	su_put8(m, 0);
	su_put16(m, 41);
	su_put16(m, 1232);
	su_put32(m, 0);
	su_put16(m, 6);
	su_put16(m, 3);  /* NSID */
	su_put16(m, 20); /* OPTION-LENGTH 20 inside a 6-octet RDATA */
	su_put16(m, 0);
}

static void b_opt_option_truncated(struct su_msg *m)
{
	header(m, 0, 1, 0, 0, 1);
	question(m);
	su_put8(m, 0);
	su_put16(m, 41);
	su_put16(m, 1232);
	su_put32(m, 0);
	su_put16(m, 3); /* three octets: not even an option header */
	su_put8(m, 0);
	su_put8(m, 3);
	su_put8(m, 0);
}

static void b_opt_owner(struct su_msg *m)
{
	header(m, 0, 1, 0, 0, 1);
	question(m);
	su_putname(m, "opt.");
	su_put16(m, 41);
	su_put16(m, 1232);
	su_put32(m, 0);
	su_put16(m, 0);
}

static void b_opt_two(struct su_msg *m)
{
	header(m, 0, 1, 0, 0, 2);
	question(m);
	opt(m);
	opt(m);
}

static void b_opt_authority(struct su_msg *m)
{
	header(m, 0, 1, 0, 1, 0);
	question(m);
	opt(m);
}

static void b_cookie12(struct su_msg *m)
{
	header(m, 0, 1, 0, 0, 1);
	question(m);
	su_put8(m, 0);
	su_put16(m, 41);
	su_put16(m, 1232);
	su_put32(m, 0);
	su_put16(m, 16);
	su_put16(m, 10); /* COOKIE, RFC 7873 5.2.2: length must be 8 or 16..40 */
	su_put16(m, 12);
	su_putbytes(m, "0123456789ab", 12);
}

static void b_qtype_opt(struct su_msg *m)
{
	header(m, 0, 1, 0, 0, 0);
	su_putname(m, qname_text);
	su_put16(m, 41);
	su_put16(m, 1);
}

static void b_an_truncated(struct su_msg *m)
{
	header(m, 0, 1, 1, 0, 0);
	question(m);
	su_putname(m, qname_text);
	su_put16(m, 1);
	su_put16(m, 1);
	su_put32(m, 0);
	su_put16(m, 4); /* RDLENGTH 4, 2 octets present */
	su_put16(m, 0);
}

static void b_all_counts_max(struct su_msg *m)
{
	header(m, 0, 0xffff, 0xffff, 0xffff, 0xffff);
	question(m);
}

static const struct pcase cases[] = {
    {"empty message", EXPECT_DROP, b_empty},
    {"truncated header (5 octets)", EXPECT_DROP, b_short5},
    {"truncated header (11 octets)", EXPECT_DROP, b_short11},
    {"QR=1 (a response)", EXPECT_DROP, b_qr},
    {"QR=1 AA=1 with OPT", EXPECT_DROP, b_qr_opt},
    {"opcode 1 (IQUERY)", EXPECT_NOTIMP, b_opcode1},
    {"opcode 2 (STATUS)", EXPECT_NOTIMP, b_opcode2},
    {"opcode 3 (unassigned)", EXPECT_NOTIMP, b_opcode3},
    {"opcode 15 (unassigned)", EXPECT_NOTIMP, b_opcode15},
    {"QDCOUNT 0", EXPECT_FORMERR, b_qd0},
    {"QDCOUNT 2", EXPECT_FORMERR, b_qd2},
    {"QDCOUNT 2, one question present", EXPECT_FORMERR, b_qd2_missing},
    {"label type 0x40", EXPECT_FORMERR, b_label_0x40},
    {"label type 0x80", EXPECT_FORMERR, b_label_0x80},
    {"label longer than the message", EXPECT_FORMERR, b_label_overrun},
    {"name without root label", EXPECT_FORMERR, b_name_unterminated},
    {"compression pointer to itself", EXPECT_FORMERR, b_ptr_self},
    {"compression loop (label, pointer back)", EXPECT_FORMERR, b_ptr_loop},
    {"forward compression pointer", EXPECT_FORMERR, b_ptr_forward},
    {"compression pointer past the end", EXPECT_FORMERR, b_ptr_past_end},
    {"name of 256 octets", EXPECT_FORMERR, b_name256},
    {"name of 320 octets", EXPECT_FORMERR, b_name320},
    {"name of exactly 255 octets", EXPECT_ANSWERED, b_name255},
    {"question without QTYPE/QCLASS", EXPECT_FORMERR, b_no_qtype},
    {"question with half a QCLASS", EXPECT_FORMERR, b_half_qclass},
    {"trailing octets after the question", EXPECT_FORMERR, b_trailing},
    {"ARCOUNT 1, no record", EXPECT_FORMERR, b_ar_missing},
    {"OPT RDLENGTH past the end", EXPECT_FORMERR, b_opt_rdlen_overrun},
    {"OPT option longer than RDATA", EXPECT_FORMERR, b_opt_option_overrun},
    {"OPT RDATA shorter than an option header", EXPECT_FORMERR, b_opt_option_truncated},
    {"OPT with a non-root owner", EXPECT_FORMERR, b_opt_owner},
    {"two OPT records", EXPECT_FORMERR, b_opt_two},
    {"OPT in the authority section", EXPECT_FORMERR, b_opt_authority},
    {"COOKIE option of 12 octets", EXPECT_FORMERR, b_cookie12},
    {"QTYPE OPT", EXPECT_FORMERR, b_qtype_opt},
    {"answer RR with RDLENGTH past the end", EXPECT_FORMERR, b_an_truncated},
    {"all counts 65535", EXPECT_FORMERR, b_all_counts_max},
};

/* --- transport --------------------------------------------------------- */

static long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000;
}

/* Readable before the deadline? */
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

static int connect_to(int type)
{
	int fd = socket(server.ss_family, type, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&server, serverlen) < 0) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

/*
 * Send m and wait up to ms for a reply; returns the reply length, 0 when no
 * reply came (or the TCP connection was closed), -1 when sending failed.
 */
static ssize_t exchange(bool tcp, const struct su_msg *m, struct su_msg *r, int ms)
{
	int fd = connect_to(tcp ? SOCK_STREAM : SOCK_DGRAM);
	if (fd < 0)
		return -1;
	ssize_t ret = 0;
	long deadline = now_ms() + ms;
	if (!tcp) {
		if (send(fd, m->b, m->len, 0) != (ssize_t)m->len) {
			ret = -1;
			goto out;
		}
		if (wait_readable(fd, deadline)) {
			ssize_t n = recv(fd, r->b, sizeof(r->b), 0);
			ret = n > 0 ? n : 0;
		}
		goto out;
	}
	uint8_t buf[MAXMSG + 2];
	buf[0] = (uint8_t)(m->len >> 8);
	buf[1] = (uint8_t)m->len;
	memcpy(buf + 2, m->b, m->len);
	if (write(fd, buf, m->len + 2) != (ssize_t)(m->len + 2)) {
		ret = -1;
		goto out;
	}
	size_t got = 0, want = 2;
	while (got < want && wait_readable(fd, deadline)) {
		ssize_t n = read(fd, buf + got, want - got);
		if (n <= 0)
			break;
		got += (size_t)n;
		if (got == 2 && want == 2)
			want = 2 + ((size_t)buf[0] << 8 | buf[1]);
	}
	if (got == want && want > 2) {
		memcpy(r->b, buf + 2, want - 2);
		ret = (ssize_t)(want - 2);
	}
out:
	close(fd);
	return ret;
}

/* --- checks ------------------------------------------------------------ */

static void result(bool ok, const char *transport, const char *what, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	if (ok)
		nok++;
	else
		nfail++;
	if (ok && !verbose) {
		va_end(ap);
		return;
	}
	printf("%s %s: %s: ", ok ? "ok  " : "FAIL", transport, what);
	vprintf(fmt, ap);
	putchar('\n');
	va_end(ap);
}

static unsigned rcode_of(const struct su_msg *r)
{
	return r->b[3] & 0x0f;
}

static unsigned opcode_of(const uint8_t *b)
{
	return (b[2] >> 3) & 0x0f;
}

static void check_case(const struct pcase *c, bool tcp)
{
	const char *tr = tcp ? "tcp" : "udp";
	static struct su_msg m, r;
	memset(&m, 0, sizeof(m));
	c->build(&m);
	int ms = c->expect == EXPECT_DROP ? drop_wait_ms : wait_ms;
	ssize_t n = exchange(tcp, &m, &r, ms);
	if (n < 0) {
		result(false, tr, c->what, "could not send: %s", strerror(errno));
		return;
	}
	r.len = (size_t)n;
	if (c->expect == EXPECT_DROP) {
		result(n == 0, tr, c->what, n == 0 ? "dropped" : "got a %zd-octet reply, rcode %u",
		       n, n >= 4 ? rcode_of(&r) : 0);
		return;
	}
	if (n < 12) {
		result(false, tr, c->what, n ? "short reply (%zd octets)" : "no reply", n);
		return;
	}
	bool same_id = r.b[0] == 0x12 && r.b[1] == 0x34;
	bool qr = r.b[2] & 0x80;
	bool same_opcode = m.len >= 3 && opcode_of(r.b) == opcode_of(m.b);
	unsigned rc = rcode_of(&r);
	if (!same_id || !qr || !same_opcode) {
		result(false, tr, c->what, "reply has id %02x%02x qr %d opcode %u", r.b[0], r.b[1],
		       qr, opcode_of(r.b));
		return;
	}
	switch (c->expect) {
	case EXPECT_FORMERR:
		result(rc == 1, tr, c->what, "rcode %u (want FORMERR)", rc);
		break;
	case EXPECT_NOTIMP:
		result(rc == 4, tr, c->what, "rcode %u (want NOTIMP)", rc);
		break;
	default:
		result(rc != 1 && rc != 2, tr, c->what, "rcode %u (want an answer)", rc);
		break;
	}
}

/* A well-formed query for NAME/TYPE must get NOERROR, AA and an answer. */
static void check_alive(const char *after, bool tcp)
{
	const char *tr = tcp ? "tcp" : "udp";
	static struct su_msg m, r;
	header(&m, 0, 1, 0, 0, 0);
	question(&m);
	char what[160];
	snprintf(what, sizeof(what), "normal query after '%s'", after);
	ssize_t n = exchange(tcp, &m, &r, wait_ms);
	if (n < 12) {
		result(false, tr, what, n < 0 ? "send failed" : "no reply: server dead?");
		return;
	}
	unsigned an = (unsigned)r.b[6] << 8 | r.b[7];
	bool ok = r.b[0] == 0x12 && r.b[1] == 0x34 && (r.b[2] & 0x80) && (r.b[2] & 0x04) &&
	          (r.b[3] & 0x0f) == 0 && an > 0 && n >= (ssize_t)m.len &&
	          memcmp(r.b + 12, m.b + 12, m.len - 12) == 0;
	result(ok, tr, what, "rcode %u aa %d ancount %u", r.b[3] & 0x0f, !!(r.b[2] & 0x04), an);
}

/*
 * RFC 7766 6.2.1.1: three queries written at once on one TCP connection must
 * all be answered on it (in any order), each matched by its ID.
 */
static void check_pipelined(void)
{
	static struct su_msg m;
	uint8_t out[3 * (MAXMSG + 2)], buf[MAXMSG];
	size_t olen = 0;
	for (unsigned id = 1; id <= 3; id++) {
		header(&m, 0, 1, 0, 0, 0);
		m.b[0] = 0;
		m.b[1] = (uint8_t)id;
		question(&m);
		out[olen++] = (uint8_t)(m.len >> 8);
		out[olen++] = (uint8_t)m.len;
		memcpy(out + olen, m.b, m.len);
		olen += m.len;
	}
	int fd = connect_to(SOCK_STREAM);
	if (fd < 0 || write(fd, out, olen) != (ssize_t)olen) {
		result(false, "tcp", "three pipelined queries", "cannot send");
		if (fd >= 0)
			close(fd);
		return;
	}
	unsigned seen = 0, bad = 0;
	long deadline = now_ms() + wait_ms;
	for (int i = 0; i < 3; i++) {
		size_t got = 0, want = 2;
		while (got < want && wait_readable(fd, deadline)) {
			ssize_t n = read(fd, buf + got, want - got);
			if (n <= 0)
				break;
			got += (size_t)n;
			if (got == 2 && want == 2)
				want = 2 + ((size_t)buf[0] << 8 | buf[1]);
		}
		if (got != want || want < 14)
			break;
		unsigned id = (unsigned)buf[2] << 8 | buf[3];
		if (id >= 1 && id <= 3 && (buf[5] & 0x0f) == 0)
			seen |= 1u << id;
		else
			bad++;
	}
	close(fd);
	result(seen == 0xe && !bad, "tcp", "three pipelined queries", "answered ids mask %#x",
	       seen);
}

static uint16_t type_number(const char *t)
{
	static const struct {
		const char *name;
		uint16_t num;
	} types[] = {{"A", 1},     {"NS", 2},    {"SOA", 6},   {"TXT", 16}, {"AAAA", 28},
	             {"NID", 104}, {"L32", 105}, {"L64", 106}, {"LP", 107}};
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (!strcasecmp(t, types[i].name))
			return types[i].num;
	return (uint16_t)atoi(t);
}

int main(int argc, char **argv)
{
	const char *type = NULL;
	int c;
	while ((c = getopt(argc, argv, "vn:t:w:")) != -1) {
		switch (c) {
		case 'v':
			verbose = true;
			break;
		case 'n':
			qname_text = optarg;
			break;
		case 't':
			type = optarg;
			break;
		case 'w':
			wait_ms = atoi(optarg);
			break;
		default:
			goto usage;
		}
	}
	if (!qname_text || !type || argc - optind != 1 || wait_ms <= 0 ||
	    su_parse_addr(argv[optind], &server, &serverlen) != 0 ||
	    !(qtype_num = type_number(type)) || strlen(qname_text) > 200)
		goto usage;

	check_alive("start", false);
	check_alive("start", true);
	check_pipelined();
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		for (int tcp = 0; tcp < 2; tcp++) {
			check_case(&cases[i], tcp);
			check_alive(cases[i].what, tcp);
		}
	}
	printf("pktsend: %u checks passed, %u failed\n", nok, nfail);
	return nfail ? 1 : 0;
usage:
	fprintf(stderr, "usage: pktsend [-v] [-w MS] -n NAME -t TYPE ADDR@PORT\n");
	return 2;
}
