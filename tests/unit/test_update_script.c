/* SPDX-License-Identifier: BSD-2-Clause */
/* test_update_script.c -- ilnpdns-update's parser: every command, every error with its line, RR
 * text. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <ldns/ldns.h>

#include "ilnpdns/error.h"
#include "ilnpdns/wire.h"
#include "updcli.h"

/*
 * The send hook of the tests: it builds the message for the session's zone
 * (example.ilnp. unless "zone" said otherwise) exactly as the real hook
 * does, renders it and keeps it parsed by ldns, so each check looks at the
 * wire form a server would get.
 */
struct sent {
	int calls;
	int result;     /* what the hook returns */
	ldns_pkt *last; /* the last message sent */
	int build_rc;
};

static int fake_send(struct updcli_session *s, void *arg)
{
	struct sent *st = arg;
	struct ilnpdns_upd_msg *m = NULL;
	uint8_t zone[ILNPDNS_DNAME_MAXLEN], buf[ILNPDNS_MSG_MAX];
	size_t len;

	st->calls++;
	if (s->have_zone)
		memcpy(zone, s->zone, ilnpdns_dname_len(s->zone));
	else
		assert_true(ilnpdns_dname_from_str("example.ilnp.", zone) > 0);
	st->build_rc = updcli_session_build(s, zone, &m);
	if (st->build_rc < 0)
		return 1;
	assert_int_equal(ilnpdns_upd_msg_render(m, buf, sizeof(buf), &len), 0);
	ilnpdns_upd_msg_free(m);
	if (st->last != NULL)
		ldns_pkt_free(st->last);
	assert_int_equal(ldns_wire2pkt(&st->last, buf, len), LDNS_STATUS_OK);
	return st->result;
}

struct fixture {
	struct updcli_session s;
	struct sent sent;
	char *outbuf;
	size_t outlen;
	FILE *out;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->out = open_memstream(&f->outbuf, &f->outlen);
	assert_non_null(f->out);
	updcli_session_init(&f->s, fake_send, &f->sent, f->out);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	updcli_session_fini(&f->s);
	fclose(f->out);
	free(f->outbuf);
	if (f->sent.last != NULL)
		ldns_pkt_free(f->sent.last);
	free(f);
	return 0;
}

/* Run lines (a NULL-terminated list); each must succeed. */
static void ok_lines(struct fixture *f, ...)
{
	va_list ap;
	const char *l;

	va_start(ap, f);
	while ((l = va_arg(ap, const char *)) != NULL) {
		int rc = updcli_script_line(&f->s, l);

		if (rc != 0)
			fail_msg("'%s' returned %d: %s", l, rc, f->s.err);
	}
	va_end(ap);
}

/* One line that must be a syntax error whose message contains want. */
static void bad_line(struct fixture *f, const char *line, const char *want)
{
	int rc = updcli_script_line(&f->s, line);

	if (rc != ILNPDNS_ESYNTAX)
		fail_msg("'%s' returned %d, not a syntax error", line, rc);
	if (strstr(f->s.err, want) == NULL)
		fail_msg("'%s': message '%s' lacks '%s'", line, f->s.err, want);
}

/* The RR i of section sec of the last message, as ldns prints it (without the newline). */
static char *rr_text(struct fixture *f, ldns_pkt_section sec, size_t i)
{
	ldns_rr_list *l;
	char *s, *nl;

	assert_non_null(f->sent.last);
	l = sec == LDNS_SECTION_ANSWER ? ldns_pkt_answer(f->sent.last)
	                               : ldns_pkt_authority(f->sent.last);
	assert_true(i < ldns_rr_list_rr_count(l));
	s = ldns_rr2str(ldns_rr_list_rr(l, i));
	assert_non_null(s);
	if ((nl = strchr(s, '\n')) != NULL)
		*nl = '\0';
	for (char *p = s; *p; p++)
		if (*p == '\t')
			*p = ' ';
	return s;
}

static void assert_rr(struct fixture *f, ldns_pkt_section sec, size_t i, const char *want)
{
	char *s = rr_text(f, sec, i);

	if (strcmp(s, want) != 0)
		fail_msg("RR %zu is '%s', want '%s'", i, s, want);
	free(s);
}

#define UPD LDNS_SECTION_AUTHORITY
#define PRE LDNS_SECTION_ANSWER

static size_t count(struct fixture *f, ldns_pkt_section sec)
{
	return sec == PRE ? ldns_pkt_ancount(f->sent.last) : ldns_pkt_nscount(f->sent.last);
}

/* ---- settings ---- */

static void test_server(void **state)
{
	struct fixture *f = *state;

	assert_string_equal(f->s.server, "");
	ok_lines(f, "server 127.0.0.1", NULL);
	assert_string_equal(f->s.server, "127.0.0.1");
	assert_int_equal(f->s.server_port, 53);
	ok_lines(f, "server ::1 5353", NULL);
	assert_string_equal(f->s.server, "::1");
	assert_int_equal(f->s.server_port, 5353);
	bad_line(f, "server", "address missing");
	bad_line(f, "server 127.0.0.1 0", "out of range");
	bad_line(f, "server 127.0.0.1 65536", "out of range");
	bad_line(f, "server 127.0.0.1 5x", "out of range");
	bad_line(f, "server 127.0.0.1 53 more", "unexpected 'more'");
}

static void test_local(void **state)
{
	struct fixture *f = *state;
	struct sockaddr_in *a4 = (struct sockaddr_in *)&f->s.local;
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&f->s.local;

	ok_lines(f, "local 127.0.0.2", NULL);
	assert_true(f->s.have_local);
	assert_int_equal(a4->sin_family, AF_INET);
	assert_int_equal(ntohl(a4->sin_addr.s_addr), 0x7f000002);
	assert_int_equal(a4->sin_port, 0);
	ok_lines(f, "local ::1 4000", NULL);
	assert_int_equal(a6->sin6_family, AF_INET6);
	assert_int_equal(ntohs(a6->sin6_port), 4000);
	assert_int_equal(f->s.local_len, sizeof(struct sockaddr_in6));
	bad_line(f, "local", "address missing");
	bad_line(f, "local host.example.", "invalid address");
	bad_line(f, "local 127.0.0.1 70000", "out of range");
}

static void test_zone_class_ttl(void **state)
{
	struct fixture *f = *state;

	ok_lines(f, "zone Example.ILNP", NULL);
	assert_true(f->s.have_zone);
	assert_memory_equal(f->s.zone, "\7Example\4ILNP", 14);
	bad_line(f, "zone", "name missing");
	bad_line(f, "zone a..b", "bad zone name");
	bad_line(f, "zone a. b.", "unexpected 'b.'");

	ok_lines(f, "class IN", "class in", NULL);
	bad_line(f, "class", "name missing");
	bad_line(f, "class CH", "only IN");
	bad_line(f, "class XY", "unknown class");

	assert_false(f->s.have_ttl);
	ok_lines(f, "ttl 0", NULL);
	assert_true(f->s.have_ttl);
	assert_int_equal(f->s.default_ttl, 0);
	ok_lines(f, "ttl 2147483647", NULL);
	assert_int_equal(f->s.default_ttl, 2147483647u);
	ok_lines(f, "ttl none", NULL);
	assert_false(f->s.have_ttl);
	bad_line(f, "ttl", "value missing");
	bad_line(f, "ttl 2147483648", "not a number");
	bad_line(f, "ttl 1h", "not a number");
	bad_line(f, "ttl -1", "not a number");
}

static void test_key(void **state)
{
	struct fixture *f = *state;

	ok_lines(f, "key hmac-sha512:k1.example. c2VjcmV0c2VjcmV0", NULL);
	assert_true(f->s.have_key);
	assert_int_equal(f->s.key.alg, ILNPDNS_TSIG_HMAC_SHA512);
	assert_memory_equal(f->s.key.name, "\2k1\7example", 12);
	assert_int_equal(f->s.key.secret_len, 12);
	assert_memory_equal(f->s.key.secret, "secretsecret", 12);
	/* Without an algorithm: hmac-sha256 (nsupdate would say hmac-md5). */
	ok_lines(f, "key k2 c2VjcmV0c2VjcmV0", NULL);
	assert_int_equal(f->s.key.alg, ILNPDNS_TSIG_HMAC_SHA256);
	bad_line(f, "key", "name missing");
	bad_line(f, "key k3", "secret missing");
	bad_line(f, "key k3 not*base64", "key:");
	bad_line(f, "key hmac-sha999:k3 c2VjcmV0", "key:");
	bad_line(f, "key k3 c2VjcmV0 extra", "unexpected 'extra'");
}

/* ---- prerequisites ---- */

static void test_prereq_forms(void **state)
{
	struct fixture *f = *state;

	ok_lines(f, "prereq nxdomain new.example.ilnp.", "prereq yxdomain host1.example.ilnp",
	         "prereq nxrrset host1.example.ilnp. L32",
	         "prereq yxrrset host1.example.ilnp. IN L64",
	         "prereq yxrrset host1.example.ilnp. L64 10 2001:db8:1:2",
	         "prereq yxrrset host1.example.ilnp. IN NID 20 0014:4fff:ff20:ee64",
	         "prereq nxrrset gone.example.ilnp. ANY", "prereq yxrrset here.example.ilnp. ANY",
	         "update add x.example.ilnp. 1 A 192.0.2.1", "send", NULL);
	assert_int_equal(f->sent.calls, 1);
	assert_int_equal(count(f, PRE), 8);
	/* RFC 2136 2.4: NONE ANY, ANY ANY, NONE type, ANY type, then IN with RDATA. */
	assert_rr(f, PRE, 0, "new.example.ilnp. 0 NONE ANY \\# 0");
	assert_rr(f, PRE, 1, "host1.example.ilnp. 0 ANY ANY \\# 0");
	assert_rr(f, PRE, 2, "host1.example.ilnp. 0 NONE L32 \\# 0");
	assert_rr(f, PRE, 3, "host1.example.ilnp. 0 ANY L64 \\# 0");
	assert_rr(f, PRE, 4, "host1.example.ilnp. 0 IN L64 10 2001:0db8:0001:0002");
	assert_rr(f, PRE, 5, "host1.example.ilnp. 0 IN NID 20 0014:4fff:ff20:ee64");
	/* Type ANY is the domain form of each. */
	assert_rr(f, PRE, 6, "gone.example.ilnp. 0 NONE ANY \\# 0");
	assert_rr(f, PRE, 7, "here.example.ilnp. 0 ANY ANY \\# 0");
}

static void test_prereq_errors(void **state)
{
	struct fixture *f = *state;

	bad_line(f, "prereq", "condition missing");
	bad_line(f, "prereq maybe x.", "unknown condition 'maybe'");
	bad_line(f, "prereq nxdomain", "name missing");
	bad_line(f, "prereq nxdomain a..b", "bad owner name");
	bad_line(f, "prereq nxdomain x. A", "unexpected 'A'");
	bad_line(f, "prereq yxdomain x. y.", "unexpected 'y.'");
	bad_line(f, "prereq nxrrset x.", "type missing");
	bad_line(f, "prereq nxrrset x. IN", "type missing");
	bad_line(f, "prereq nxrrset x. CH A", "class mismatch");
	bad_line(f, "prereq nxrrset x. FOO", "not a valid class or type");
	bad_line(f, "prereq nxrrset x. A 192.0.2.1", "unexpected rdata");
	bad_line(f, "prereq yxrrset x. L64 10 2001:db8::1", "invalid L64 rdata");
	bad_line(f, "prereq yxrrset x. ANY 1", "takes no rdata");
	bad_line(f, "prereq yxrrset x. AXFR", "cannot be updated");
	assert_int_equal(f->s.nrec, 0);
}

/* ---- updates ---- */

static void test_add_forms(void **state)
{
	struct fixture *f = *state;

	ok_lines(f, "update add mn.example.ilnp. 0 NID 10 0014:4fff:ff20:ee64",
	         "update add mn.example.ilnp 0 IN L64 10 2001:DB8:1140:1000",
	         "update add mn.example.ilnp. 0 L32 10 10.1.2.0",
	         "update add mn.example.ilnp. 30 LP 10 site1.example.ilnp.",
	         "update add mn.example.ilnp. 30 LP 20 site2",
	         "update add example.ilnp. 600 MX 10 mail",
	         "update add txt.example.ilnp. 5 TXT \"a b\" c  ",
	         "update add raw.example.ilnp. 5 TYPE65280 \\# 2 abcd",
	         "add short.example.ilnp. 7 A 192.0.2.7",
	         "UPDATE ADD up.example.ilnp. 8 A 192.0.2.8", "send", NULL);
	assert_int_equal(count(f, UPD), 10);
	assert_rr(f, UPD, 0, "mn.example.ilnp. 0 IN NID 10 0014:4fff:ff20:ee64");
	assert_rr(f, UPD, 1, "mn.example.ilnp. 0 IN L64 10 2001:0db8:1140:1000");
	assert_rr(f, UPD, 2, "mn.example.ilnp. 0 IN L32 10 10.1.2.0");
	assert_rr(f, UPD, 3, "mn.example.ilnp. 30 IN LP 10 site1.example.ilnp.");
	/* Relative names are relative to the root, RDATA names too (as nsupdate). */
	assert_rr(f, UPD, 4, "mn.example.ilnp. 30 IN LP 20 site2.");
	assert_rr(f, UPD, 5, "example.ilnp. 600 IN MX 10 mail.");
	assert_rr(f, UPD, 6, "txt.example.ilnp. 5 IN TXT \"a b\" \"c\"");
	assert_rr(f, UPD, 7, "raw.example.ilnp. 5 IN TYPE65280 \\# 2 abcd");
	assert_rr(f, UPD, 8, "short.example.ilnp. 7 IN A 192.0.2.7");
	assert_rr(f, UPD, 9, "up.example.ilnp. 8 IN A 192.0.2.8");
}

static void test_add_ttl_default(void **state)
{
	struct fixture *f = *state;

	/* Without "ttl" the TTL is required, as in nsupdate. */
	bad_line(f, "update add a.example.ilnp. A 192.0.2.1", "ttl 'A': not a valid number");
	ok_lines(f, "ttl 77", "update add a.example.ilnp. A 192.0.2.1",
	         "update add b.example.ilnp. IN A 192.0.2.2",
	         "update add c.example.ilnp. 5 A 192.0.2.3", "ttl none", "send", NULL);
	assert_rr(f, UPD, 0, "a.example.ilnp. 77 IN A 192.0.2.1");
	assert_rr(f, UPD, 1, "b.example.ilnp. 77 IN A 192.0.2.2");
	assert_rr(f, UPD, 2, "c.example.ilnp. 5 IN A 192.0.2.3");
	bad_line(f, "update add a.example.ilnp. A 192.0.2.1", "not a valid number");
}

static void test_add_errors(void **state)
{
	struct fixture *f = *state;

	bad_line(f, "update", "add or delete missing");
	bad_line(f, "update change x. 1 A 192.0.2.1", "unknown operation 'change'");
	bad_line(f, "update add", "name missing");
	bad_line(f, "update add x.", "ttl missing");
	bad_line(f, "update add x. 1", "type missing");
	bad_line(f, "update add x. 2147483648 A 192.0.2.1", "out of range");
	bad_line(f, "update add x. 1 CH A 192.0.2.1", "class mismatch");
	bad_line(f, "update add x. 1 IN", "type missing");
	bad_line(f, "update add x. 1 BOGUS 1", "not a valid class or type");
	bad_line(f, "update add x. 1 A", "rdata missing");
	bad_line(f, "update add x. 1 ANY 1", "cannot be updated");
	bad_line(f, "update add x. 1 TSIG 1", "cannot be updated");
	bad_line(f, "update add x. 1 A 192.0.2", "invalid A rdata");
	bad_line(f, "update add x. 1 L64 10 2001:db8::", "invalid L64 rdata");
	bad_line(f, "update add x. 1 L64 70000 1:2:3:4", "invalid L64 rdata");
	bad_line(f, "update add x. 1 L32 10 10.1.02.0", "invalid L32 rdata");
	bad_line(f, "update add x. 1 NID 10 1:2:3", "invalid NID rdata");
	bad_line(f, "update add x. 1 LP 10", "invalid LP rdata");
	bad_line(f, "add a..b. 1 A 192.0.2.1", "bad owner name");
	assert_int_equal(f->s.nrec, 0);
}

static void test_delete_forms(void **state)
{
	struct fixture *f = *state;

	ok_lines(f, "update delete a.example.ilnp.", "update delete b.example.ilnp. ANY",
	         "update delete c.example.ilnp. 300 IN", "update delete d.example.ilnp. 300",
	         "update delete e.example.ilnp. IN ANY", "update delete f.example.ilnp. L64",
	         "update delete g.example.ilnp. 300 IN L32", "del h.example.ilnp. NID",
	         "delete i.example.ilnp. L64 10 2001:db8:1:2",
	         "update del j.example.ilnp. 0 IN LP 10 site1.example.ilnp.", "send", NULL);
	assert_int_equal(count(f, UPD), 10);
	/* RFC 2136 2.5.3: delete all RRsets = ANY ANY, TTL 0. */
	assert_rr(f, UPD, 0, "a.example.ilnp. 0 ANY ANY \\# 0");
	assert_rr(f, UPD, 1, "b.example.ilnp. 0 ANY ANY \\# 0");
	assert_rr(f, UPD, 2, "c.example.ilnp. 0 ANY ANY \\# 0");
	assert_rr(f, UPD, 3, "d.example.ilnp. 0 ANY ANY \\# 0");
	assert_rr(f, UPD, 4, "e.example.ilnp. 0 ANY ANY \\# 0");
	/* 2.5.2: delete an RRset = ANY type. */
	assert_rr(f, UPD, 5, "f.example.ilnp. 0 ANY L64 \\# 0");
	assert_rr(f, UPD, 6, "g.example.ilnp. 0 ANY L32 \\# 0");
	assert_rr(f, UPD, 7, "h.example.ilnp. 0 ANY NID \\# 0");
	/* 2.5.4: delete an RR = NONE with RDATA, TTL 0. */
	assert_rr(f, UPD, 8, "i.example.ilnp. 0 NONE L64 10 2001:0db8:0001:0002");
	assert_rr(f, UPD, 9, "j.example.ilnp. 0 NONE LP 10 site1.example.ilnp.");
}

static void test_delete_errors(void **state)
{
	struct fixture *f = *state;

	bad_line(f, "update delete", "name missing");
	bad_line(f, "update delete x. CH A", "class mismatch");
	bad_line(f, "update delete x. NONE A 192.0.2.1", "class mismatch");
	bad_line(f, "update delete x. ANY A", "unexpected 'A'");
	bad_line(f, "update delete x. FOO", "not a valid class or type");
	bad_line(f, "update delete x. A 300.1.1.1", "invalid A rdata");
	bad_line(f, "del x. L32 10 10.1.2", "invalid L32 rdata");
	bad_line(f, "update delete x. IXFR", "cannot be updated");
	assert_int_equal(f->s.nrec, 0);
}

/* ---- send, show, answer, quit, comments ---- */

static void test_send_and_blank_line(void **state)
{
	struct fixture *f = *state;

	/* Nothing pending: neither "send" nor a blank line calls the hook. */
	ok_lines(f, "send", "", "   \t", NULL);
	assert_int_equal(f->sent.calls, 0);
	ok_lines(f, "add a.example.ilnp. 1 A 192.0.2.1", "", NULL);
	assert_int_equal(f->sent.calls, 1);
	assert_int_equal(f->s.nrec, 0);
	assert_int_equal(count(f, UPD), 1);
	ok_lines(f, "add b.example.ilnp. 1 A 192.0.2.2", "add c.example.ilnp. 1 A 192.0.2.3",
	         "send", NULL);
	assert_int_equal(f->sent.calls, 2);
	assert_int_equal(count(f, UPD), 2);
	assert_rr(f, UPD, 0, "b.example.ilnp. 1 IN A 192.0.2.2");
	/* A failed send is counted; the session goes on. */
	f->sent.result = 1;
	assert_int_equal(updcli_script_line(&f->s, "add d.example.ilnp. 1 A 192.0.2.4"), 0);
	assert_int_equal(updcli_script_line(&f->s, "send"), 1);
	assert_int_equal(f->s.failed, 1);
	assert_int_equal(f->s.sent, 3);
	bad_line(f, "send now", "unexpected 'now'");
}

static void test_comments(void **state)
{
	struct fixture *f = *state;

	ok_lines(f, "; a comment", "# another", "   ;indented", "add a.example.ilnp. 1 A 192.0.2.1",
	         "; not a blank line", NULL);
	assert_int_equal(f->sent.calls, 0);
	assert_int_equal(f->s.nrec, 1);
}

static void test_show_and_answer(void **state)
{
	struct fixture *f = *state;
	/* A minimal NOERROR answer to an UPDATE of example.ilnp. */
	static const uint8_t ans[] = {0x12, 0x34, 0xa8, 0x00, 0,   1,   0,   0,   0,   0,
	                              0,    0,    7,    'e',  'x', 'a', 'm', 'p', 'l', 'e',
	                              4,    'i',  'l',  'n',  'p', 0,   0,   6,   0,   1};

	ok_lines(f, "answer", NULL); /* nothing yet: prints nothing */
	ok_lines(f, "zone example.ilnp.", "prereq nxdomain mn.example.ilnp.",
	         "add mn.example.ilnp. 0 L64 10 2001:db8:1:2", "show", NULL);
	fflush(f->out);
	assert_non_null(strstr(f->outbuf, "Outgoing update query:"));
	assert_non_null(strstr(f->outbuf, ";; ZONE SECTION:\n;example.ilnp."));
	assert_non_null(strstr(f->outbuf, ";; PREREQUISITE SECTION:\nmn.example.ilnp."));
	assert_non_null(strstr(f->outbuf, ";; UPDATE SECTION:\nmn.example.ilnp."));
	assert_non_null(strstr(f->outbuf, "L64\t10 2001:0db8:0001:0002"));
	assert_null(strstr(f->outbuf, "Answer:"));
	assert_int_equal(f->s.nrec, 2); /* show sends nothing */
	assert_int_equal(updcli_session_set_answer(&f->s, ans, sizeof(ans)), 0);
	ok_lines(f, "answer", NULL);
	fflush(f->out);
	assert_non_null(strstr(f->outbuf,
	                       "Answer:\n;; ->>HEADER<<- opcode: UPDATE, status: NOERROR, "
	                       "id:  4660\n;; flags: qr; ZONE: 1"));
	bad_line(f, "show all", "unexpected 'all'");
	bad_line(f, "answer me", "unexpected 'me'");
}

static void test_quit_and_unknown(void **state)
{
	struct fixture *f = *state;

	bad_line(f, "bogus", "unknown command 'bogus'");
	bad_line(f, "prerequisite nxdomain x.", "unknown command");
	bad_line(f, "quit now", "unexpected 'now'");
	assert_false(f->s.quit);
	ok_lines(f, "QUIT", NULL);
	assert_true(f->s.quit);
	ok_lines(f, "help", NULL);
	fflush(f->out);
	assert_non_null(strstr(f->outbuf, "prereq nxdomain"));
}

/* ---- whole scripts ---- */

/* Run text as a script named where; returns the exit status, stderr in err. */
static int run_text(struct fixture *f, const char *text, const char *where, char *err, size_t cap)
{
	FILE *in = fmemopen((void *)text, strlen(text), "r");
	FILE *ef = fmemopen(err, cap, "w");
	int rc;

	assert_non_null(in);
	assert_non_null(ef);
	memset(err, 0, cap);
	rc = updcli_script_run(&f->s, in, where, ef);
	fclose(in);
	fclose(ef);
	return rc;
}

static void test_run_error_line(void **state)
{
	struct fixture *f = *state;
	char err[512];
	int rc = run_text(f,
	                  "; header\nzone example.ilnp.\nadd a.example.ilnp. 1 A 192.0.2.1\n\n"
	                  "add b.example.ilnp. 1 L64 10 2001:db8::\nsend\n"
	                  "add c.example.ilnp. 1 A 192.0.2.3\nsend\n",
	                  "upd.txt", err, sizeof(err));

	assert_int_equal(rc, UPDCLI_EXIT_FAIL);
	assert_string_equal(err, "upd.txt:5: invalid L64 rdata '10 2001:db8::'\n");
	/* Only the update before the error was sent. */
	assert_int_equal(f->sent.calls, 1);
	assert_rr(f, UPD, 0, "a.example.ilnp. 1 IN A 192.0.2.1");
}

static void test_run_stdin_label_and_eof(void **state)
{
	struct fixture *f = *state;
	char err[512];
	int rc = run_text(
	    f, "add a.example.ilnp. 1 A 192.0.2.1\nsend\nadd b.example.ilnp. 1 A 192.0.2.2\n",
	    "stdin", err, sizeof(err));

	/* The end of the input drops "b" (nsupdate 9.18 does too). */
	assert_int_equal(rc, UPDCLI_EXIT_OK);
	assert_string_equal(err, "");
	assert_int_equal(f->sent.calls, 1);
	rc = run_text(f, "add c.example.ilnp. 1 A 192.0.2.3\nserver 127.0.0.1 99999\n", "stdin",
	              err, sizeof(err));
	assert_int_equal(rc, UPDCLI_EXIT_FAIL);
	assert_string_equal(err, "stdin:2: port '99999' is out of range (1 to 65535)\n");
}

static void test_run_quit_and_failures(void **state)
{
	struct fixture *f = *state;
	char err[512];
	int rc;

	f->sent.result = 1;
	rc = run_text(f,
	              "add a.example.ilnp. 1 A 192.0.2.1\nsend\nadd b.example.ilnp. 1 A 192.0.2.2\n"
	              "send\nadd c.example.ilnp. 1 A 192.0.2.3\nquit\nthis is not parsed\n",
	              "s", err, sizeof(err));
	/* Failed updates do not stop the script, but decide the exit status. */
	assert_int_equal(rc, UPDCLI_EXIT_FAIL);
	assert_int_equal(f->sent.calls, 2);
	assert_int_equal(f->s.failed, 2);
	assert_string_equal(err, "");
	assert_int_equal(f->s.nrec, 1); /* "c" was dropped by quit, never sent */
}

static void test_build_out_of_zone(void **state)
{
	struct fixture *f = *state;

	/* The library refuses a name outside the zone: the real hook reports NOTZONE. */
	ok_lines(f, "zone example.ilnp.", "add www.example.org. 1 A 192.0.2.1", NULL);
	assert_int_equal(updcli_script_line(&f->s, "send"), 1);
	assert_int_equal(f->sent.build_rc, ILNPDNS_EZONE);
}

static void test_first_name_and_rcodes(void **state)
{
	struct fixture *f = *state;
	char b[16];

	assert_null(updcli_session_first_name(&f->s));
	ok_lines(f, "prereq yxdomain p.example.ilnp.", NULL);
	assert_memory_equal(updcli_session_first_name(&f->s), "\1p\7example", 10);
	/* An update's name wins over a prerequisite's (nsupdate looks the zone up from it). */
	ok_lines(f, "add u.example.ilnp. 1 A 192.0.2.1", NULL);
	assert_memory_equal(updcli_session_first_name(&f->s), "\1u\7example", 10);
	assert_string_equal(updcli_rcode_name(0, b, sizeof(b)), "NOERROR");
	assert_string_equal(updcli_rcode_name(7, b, sizeof(b)), "YXRRSET");
	assert_string_equal(updcli_rcode_name(8, b, sizeof(b)), "NXRRSET");
	assert_string_equal(updcli_rcode_name(10, b, sizeof(b)), "NOTZONE");
	assert_string_equal(updcli_rcode_name(12, b, sizeof(b)), "RCODE12");
}

/* ---- the command line ---- */

static int parse_argv(struct updcli_params *p, char *err, ...)
{
	char *argv[16];
	int argc = 0;
	va_list ap;
	char *a;

	argv[argc++] = "ilnpdns-update";
	va_start(ap, err);
	while ((a = va_arg(ap, char *)) != NULL)
		argv[argc++] = a;
	va_end(ap);
	argv[argc] = NULL;
	err[0] = '\0';
	return updcli_params_parse(argc, argv, p, err, 256);
}

static void test_params(void **state)
{
	struct updcli_params p;
	char err[256];

	(void)state;
	assert_int_equal(parse_argv(&p, err, NULL), 0);
	assert_false(p.debug || p.tcp);
	assert_null(p.file);
	assert_int_equal(
	    parse_argv(&p, err, "-d", "-v", "-t", "7", "-y", "k:c2VjcmV0", "upd.txt", NULL), 0);
	assert_true(p.debug && p.tcp);
	assert_int_equal(p.timeout_s, 7);
	assert_string_equal(p.y, "k:c2VjcmV0");
	assert_string_equal(p.file, "upd.txt");
	assert_int_equal(parse_argv(&p, err, "-k", "K.key", "-", NULL), 0);
	assert_string_equal(p.keyfile, "K.key");
	assert_null(p.file);
	assert_int_equal(parse_argv(&p, err, "-h", NULL), 1);
	assert_int_equal(parse_argv(&p, err, "-t", "x", NULL), ILNPDNS_ESYNTAX);
	assert_string_equal(err, "-t: bad timeout 'x'");
	assert_int_equal(parse_argv(&p, err, "-t", NULL), ILNPDNS_ESYNTAX);
	assert_string_equal(err, "-t needs an argument");
	assert_int_equal(parse_argv(&p, err, "-q", NULL), ILNPDNS_ESYNTAX);
	assert_string_equal(err, "unknown option -q");
	assert_int_equal(parse_argv(&p, err, "-y", "a:b", "-k", "f", NULL), ILNPDNS_ESYNTAX);
	assert_int_equal(parse_argv(&p, err, "a", "b", NULL), ILNPDNS_ESYNTAX);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_server, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_local, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_zone_class_ttl, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_key, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_prereq_forms, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_prereq_errors, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_add_forms, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_add_ttl_default, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_add_errors, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_delete_forms, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_delete_errors, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_send_and_blank_line, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_comments, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_show_and_answer, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_quit_and_unknown, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_run_error_line, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_run_stdin_label_and_eof, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_run_quit_and_failures, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_build_out_of_zone, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_first_name_and_rcodes, setup, teardown),
	    cmocka_unit_test(test_params),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
