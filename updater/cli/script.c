/* SPDX-License-Identifier: BSD-2-Clause */
/* script.c -- nsupdate's command language: the command table and the parser of one line. */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <ldns/ldns.h>

#include "ilnpdns/error.h"
#include "ilnpdns/wire.h"
#include "updcli.h"

/*
 * nsupdate(1) reads one command per line; words are separated by blanks and
 * RDATA is the rest of the line after the type. Names are absolute whether
 * or not they end in a dot (nsupdate parses them relative to the root, and
 * so do we, RDATA names included). Settings (server, zone, key, ...) stay
 * for the rest of the script; records accumulate until "send" or a blank
 * line.
 */

#define TTL_MAX   2147483647u /* RFC 2181 8: TTLs are 31 bits; nsupdate's limit too */
#define TOKEN_MAX 1100        /* a name with every octet escaped is 4 * 255 */

/* The rest of a line, read word by word. */
struct cursor {
	const char *p;
};

static int fail(struct updcli_session *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int fail(struct updcli_session *s, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(s->err, sizeof(s->err), fmt, ap);
	va_end(ap);
	return ILNPDNS_ESYNTAX;
}

static void skip_blanks(struct cursor *c)
{
	while (*c->p == ' ' || *c->p == '\t' || *c->p == '\r' || *c->p == '\n')
		c->p++;
}

/* The next word into tok (NUL-terminated); false at the end of the line. */
static bool next_word(struct cursor *c, char *tok, size_t cap)
{
	size_t n = 0;

	skip_blanks(c);
	if (*c->p == '\0')
		return false;
	while (*c->p != '\0' && *c->p != ' ' && *c->p != '\t' && *c->p != '\r' && *c->p != '\n') {
		if (n + 1 < cap)
			tok[n++] = *c->p;
		c->p++;
	}
	tok[n] = '\0';
	return true;
}

/* What follows the current word, without trailing blanks, into buf. */
static size_t rest_of_line(struct cursor *c, char *buf, size_t cap)
{
	size_t n;

	skip_blanks(c);
	n = strlen(c->p);
	while (n > 0 && isspace((unsigned char)c->p[n - 1]))
		n--;
	if (n >= cap)
		n = cap - 1;
	memcpy(buf, c->p, n);
	buf[n] = '\0';
	c->p += strlen(c->p);
	return n;
}

static bool at_end(struct cursor *c)
{
	skip_blanks(c);
	return *c->p == '\0';
}

static int no_more(struct updcli_session *s, struct cursor *c, const char *cmd)
{
	char tok[TOKEN_MAX];

	if (next_word(c, tok, sizeof(tok)))
		return fail(s, "%s: unexpected '%s'", cmd, tok);
	return 0;
}

/* Decimal only, as nsupdate: "1h" is not a TTL in a script. */
static bool parse_u32(const char *tok, uint32_t max, uint32_t *out)
{
	unsigned long long v = 0;

	if (*tok == '\0')
		return false;
	for (const char *p = tok; *p != '\0'; p++) {
		if (*p < '0' || *p > '9')
			return false;
		v = v * 10 + (unsigned)(*p - '0');
		if (v > max)
			return false;
	}
	*out = (uint32_t)v;
	return true;
}

static bool all_digits(const char *tok)
{
	if (*tok == '\0')
		return false;
	for (; *tok != '\0'; tok++)
		if (*tok < '0' || *tok > '9')
			return false;
	return true;
}

static int parse_name(struct updcli_session *s, const char *tok, uint8_t *out, const char *what)
{
	if (ilnpdns_dname_from_str(tok, out) < 0)
		return fail(s, "bad %s '%s'", what, tok);
	return 0;
}

/* A class word: IN, CH, HS, NONE, ANY, CLASSn. Returns the class or 0. */
static uint16_t class_of(const char *tok)
{
	return (uint16_t)ldns_get_rr_class_by_name(tok);
}

static int parse_port(struct updcli_session *s, const char *tok, uint16_t *port)
{
	uint32_t v;

	if (!parse_u32(tok, 65535, &v) || v == 0)
		return fail(s, "port '%s' is out of range (1 to 65535)", tok);
	*port = (uint16_t)v;
	return 0;
}

static int push(struct updcli_session *s, enum updcli_op op, const uint8_t *name, uint16_t type,
                uint32_t ttl, const uint8_t *rdata, size_t rdlen)
{
	struct updcli_rec *r;

	if (s->nrec == s->caprec) {
		size_t cap = s->caprec ? 2 * s->caprec : 16;
		struct updcli_rec *n = realloc(s->rec, cap * sizeof(*n));

		if (n == NULL)
			return ILNPDNS_ENOMEM;
		s->rec = n;
		s->caprec = cap;
	}
	r = &s->rec[s->nrec];
	memset(r, 0, sizeof(*r));
	r->op = op;
	memcpy(r->name, name, ilnpdns_dname_len(name));
	r->type = type;
	r->ttl = ttl;
	if (rdlen > 0) {
		r->rdata = malloc(rdlen);
		if (r->rdata == NULL)
			return ILNPDNS_ENOMEM;
		memcpy(r->rdata, rdata, rdlen);
		r->rdlen = (uint16_t)rdlen;
	}
	s->nrec++;
	return 0;
}

/* A type word, which must name a data type (RFC 6895 3.1: not a meta or q-type). */
static int parse_type(struct updcli_session *s, const char *tok, bool any_ok, uint16_t *type)
{
	uint16_t t = ilnpdns_upd_type_from_str(tok);

	if (t == 0)
		return fail(s, "'%s' is not a valid class or type", tok);
	if (t == ILNPDNS_T_ANY && any_ok) {
		*type = t;
		return 0;
	}
	if (t == ILNPDNS_T_OPT || t == ILNPDNS_T_SIG || (t >= 128 && t <= 255))
		return fail(s, "type %s cannot be updated", tok);
	*type = t;
	return 0;
}

/* RDATA text of type, relative names completed with the root as nsupdate does. */
static int parse_rdata(struct updcli_session *s, uint16_t type, const char *text, uint8_t *out,
                       size_t cap)
{
	static const uint8_t root[1] = {0};
	int n = ilnpdns_upd_rdata_from_str(type, text, root, out, cap);

	if (n < 0) {
		char tname[32];

		if (ldns_rr_descript(type) != NULL && ldns_rr_descript(type)->_name != NULL)
			snprintf(tname, sizeof(tname), "%s", ldns_rr_descript(type)->_name);
		else
			snprintf(tname, sizeof(tname), "TYPE%u", type);
		return fail(s, "invalid %s rdata '%s'", tname, text);
	}
	return n;
}

/* ---- the commands ---- */

static int cmd_server(struct updcli_session *s, struct cursor *c)
{
	char tok[TOKEN_MAX];
	uint16_t port = 53;
	int rc;

	if (!next_word(c, tok, sizeof(tok)))
		return fail(s, "server: address missing");
	if (strlen(tok) >= sizeof(s->server))
		return fail(s, "server: name too long");
	snprintf(s->server, sizeof(s->server), "%s", tok);
	if (next_word(c, tok, sizeof(tok)) && (rc = parse_port(s, tok, &port)) < 0)
		return rc;
	s->server_port = port;
	return no_more(s, c, "server");
}

static int cmd_local(struct updcli_session *s, struct cursor *c)
{
	char tok[TOKEN_MAX];
	uint16_t port = 0;
	int rc;

	if (!next_word(c, tok, sizeof(tok)))
		return fail(s, "local: address missing");
	memset(&s->local, 0, sizeof(s->local));
	struct sockaddr_in *a4 = (struct sockaddr_in *)&s->local;
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&s->local;
	if (inet_pton(AF_INET, tok, &a4->sin_addr) == 1) {
		a4->sin_family = AF_INET;
		s->local_len = sizeof(*a4);
	} else if (inet_pton(AF_INET6, tok, &a6->sin6_addr) == 1) {
		a6->sin6_family = AF_INET6;
		s->local_len = sizeof(*a6);
	} else {
		return fail(s, "local: invalid address '%s'", tok);
	}
	if (next_word(c, tok, sizeof(tok)) && (rc = parse_port(s, tok, &port)) < 0)
		return rc;
	if (s->local.ss_family == AF_INET)
		a4->sin_port = htons(port);
	else
		a6->sin6_port = htons(port);
	s->have_local = true;
	return no_more(s, c, "local");
}

static int cmd_zone(struct updcli_session *s, struct cursor *c)
{
	char tok[TOKEN_MAX];
	int rc;

	if (!next_word(c, tok, sizeof(tok)))
		return fail(s, "zone: name missing");
	if ((rc = parse_name(s, tok, s->zone, "zone name")) < 0)
		return rc;
	s->have_zone = true;
	return no_more(s, c, "zone");
}

static int cmd_class(struct updcli_session *s, struct cursor *c)
{
	char tok[TOKEN_MAX];
	uint16_t cl;

	if (!next_word(c, tok, sizeof(tok)))
		return fail(s, "class: name missing");
	cl = class_of(tok);
	if (cl == 0)
		return fail(s, "class: unknown class '%s'", tok);
	/* The updater speaks class IN only (RFC 6742 records are IN). */
	if (cl != ILNPDNS_C_IN)
		return fail(s, "class: only IN is supported, not '%s'", tok);
	return no_more(s, c, "class");
}

static int cmd_ttl(struct updcli_session *s, struct cursor *c)
{
	char tok[TOKEN_MAX];
	uint32_t ttl;

	if (!next_word(c, tok, sizeof(tok)))
		return fail(s, "ttl: value missing");
	if (strcasecmp(tok, "none") == 0) {
		s->have_ttl = false;
		s->default_ttl = 0;
	} else if (parse_u32(tok, TTL_MAX, &ttl)) {
		s->have_ttl = true;
		s->default_ttl = ttl;
	} else {
		return fail(s, "ttl '%s' is not a number from 0 to %u", tok, TTL_MAX);
	}
	return no_more(s, c, "ttl");
}

static int cmd_key(struct updcli_session *s, struct cursor *c)
{
	char name[TOKEN_MAX], secret[TOKEN_MAX], y[2 * TOKEN_MAX + 2], why[256];

	if (!next_word(c, name, sizeof(name)))
		return fail(s, "key: name missing");
	if (!next_word(c, secret, sizeof(secret)))
		return fail(s, "key: secret missing");
	/* "key [alg:]name secret" is -y's "[alg:]name:secret" split in two. */
	snprintf(y, sizeof(y), "%s:%s", name, secret);
	if (ilnpdns_tsig_key_from_y(&s->key, y, 0, why, sizeof(why)) < 0)
		return fail(s, "key: %s", why);
	s->have_key = true;
	return no_more(s, c, "key");
}

/* "prereq nxdomain|yxdomain|nxrrset|yxrrset name [class] [type [rdata]]" */
static int cmd_prereq(struct updcli_session *s, struct cursor *c)
{
	char kind[TOKEN_MAX], tok[TOKEN_MAX], text[ILNPDNS_MSG_MAX];
	uint8_t name[ILNPDNS_DNAME_MAXLEN], rdata[ILNPDNS_MSG_MAX];
	enum updcli_op op;
	uint16_t type;
	int rc;

	if (!next_word(c, kind, sizeof(kind)))
		return fail(s, "prereq: condition missing");
	if (strcasecmp(kind, "nxdomain") == 0)
		op = UPDCLI_PRE_NXDOMAIN;
	else if (strcasecmp(kind, "yxdomain") == 0)
		op = UPDCLI_PRE_YXDOMAIN;
	else if (strcasecmp(kind, "nxrrset") == 0)
		op = UPDCLI_PRE_NXRRSET;
	else if (strcasecmp(kind, "yxrrset") == 0)
		op = UPDCLI_PRE_YXRRSET;
	else
		return fail(s, "prereq: unknown condition '%s'", kind);
	if (!next_word(c, tok, sizeof(tok)))
		return fail(s, "prereq %s: name missing", kind);
	if ((rc = parse_name(s, tok, name, "owner name")) < 0)
		return rc;
	if (op == UPDCLI_PRE_NXDOMAIN || op == UPDCLI_PRE_YXDOMAIN) {
		if ((rc = no_more(s, c, kind)) < 0)
			return rc;
		return push(s, op, name, ILNPDNS_T_ANY, 0, NULL, 0);
	}
	if (!next_word(c, tok, sizeof(tok)))
		return fail(s, "prereq %s: type missing", kind);
	if (class_of(tok) != 0 && ilnpdns_upd_type_from_str(tok) == 0) {
		if (class_of(tok) != ILNPDNS_C_IN)
			return fail(s, "prereq %s: class mismatch '%s'", kind, tok);
		if (!next_word(c, tok, sizeof(tok)))
			return fail(s, "prereq %s: type missing", kind);
	}
	if ((rc = parse_type(s, tok, true, &type)) < 0)
		return rc;
	if (at_end(c)) {
		/* NONE/ANY with type ANY is the domain form (RFC 2136 2.4.4, 2.4.2). */
		if (type == ILNPDNS_T_ANY)
			op = op == UPDCLI_PRE_NXRRSET ? UPDCLI_PRE_NXDOMAIN : UPDCLI_PRE_YXDOMAIN;
		return push(s, op, name, type, 0, NULL, 0);
	}
	if (op == UPDCLI_PRE_NXRRSET)
		return fail(s, "prereq nxrrset: unexpected rdata");
	if (type == ILNPDNS_T_ANY)
		return fail(s, "prereq yxrrset: type ANY takes no rdata");
	rest_of_line(c, text, sizeof(text));
	if ((rc = parse_rdata(s, type, text, rdata, sizeof(rdata))) < 0)
		return rc;
	return push(s, UPDCLI_PRE_RR, name, type, 0, rdata, (size_t)rc);
}

/* "update add name [ttl] [class] type rdata" (the ttl only when "ttl" set a default) */
static int do_add(struct updcli_session *s, struct cursor *c)
{
	char tok[TOKEN_MAX], text[ILNPDNS_MSG_MAX];
	uint8_t name[ILNPDNS_DNAME_MAXLEN], rdata[ILNPDNS_MSG_MAX];
	uint32_t ttl;
	uint16_t type;
	int rc;

	if (!next_word(c, tok, sizeof(tok)))
		return fail(s, "add: name missing");
	if ((rc = parse_name(s, tok, name, "owner name")) < 0)
		return rc;
	if (!next_word(c, tok, sizeof(tok)))
		return fail(s, "add: ttl missing");
	if (all_digits(tok)) {
		if (!parse_u32(tok, TTL_MAX, &ttl))
			return fail(s, "ttl '%s' is out of range (0 to %u)", tok, TTL_MAX);
		if (!next_word(c, tok, sizeof(tok)))
			return fail(s, "add: type missing");
	} else if (s->have_ttl) {
		ttl = s->default_ttl;
	} else {
		return fail(s, "ttl '%s': not a valid number", tok);
	}
	if (class_of(tok) != 0 && ilnpdns_upd_type_from_str(tok) == 0) {
		if (class_of(tok) != ILNPDNS_C_IN)
			return fail(s, "add: class mismatch '%s'", tok);
		if (!next_word(c, tok, sizeof(tok)))
			return fail(s, "add: type missing");
	}
	if ((rc = parse_type(s, tok, false, &type)) < 0)
		return rc;
	if (rest_of_line(c, text, sizeof(text)) == 0)
		return fail(s, "add: rdata missing");
	if ((rc = parse_rdata(s, type, text, rdata, sizeof(rdata))) < 0)
		return rc;
	return push(s, UPDCLI_ADD, name, type, ttl, rdata, (size_t)rc);
}

/* "update delete name [ttl] [class] [type [rdata]]": TTL ignored (RFC 2136 2.5.2-2.5.4: 0). */
static int do_delete(struct updcli_session *s, struct cursor *c)
{
	char tok[TOKEN_MAX], text[ILNPDNS_MSG_MAX];
	uint8_t name[ILNPDNS_DNAME_MAXLEN], rdata[ILNPDNS_MSG_MAX];
	uint32_t ttl;
	uint16_t type, cl;
	int rc;

	if (!next_word(c, tok, sizeof(tok)))
		return fail(s, "delete: name missing");
	if ((rc = parse_name(s, tok, name, "owner name")) < 0)
		return rc;
	if (!next_word(c, tok, sizeof(tok)))
		return push(s, UPDCLI_DEL_NAME, name, ILNPDNS_T_ANY, 0, NULL, 0);
	if (all_digits(tok)) {
		(void)parse_u32(tok, UINT32_MAX, &ttl);
		if (!next_word(c, tok, sizeof(tok)))
			return push(s, UPDCLI_DEL_NAME, name, ILNPDNS_T_ANY, 0, NULL, 0);
	}
	cl = class_of(tok);
	if (cl != 0 && ilnpdns_upd_type_from_str(tok) == 0) {
		bool more = next_word(c, tok, sizeof(tok));

		/* "delete name ANY" is nsupdate's delete-all form; IN may precede a type. */
		if (cl == ILNPDNS_C_ANY && !more)
			return push(s, UPDCLI_DEL_NAME, name, ILNPDNS_T_ANY, 0, NULL, 0);
		if (cl != ILNPDNS_C_IN)
			return fail(s, "delete: class mismatch");
		if (!more)
			return push(s, UPDCLI_DEL_NAME, name, ILNPDNS_T_ANY, 0, NULL, 0);
	}
	if ((rc = parse_type(s, tok, true, &type)) < 0)
		return rc;
	if (type == ILNPDNS_T_ANY) {
		if ((rc = no_more(s, c, "delete ANY")) < 0)
			return rc;
		return push(s, UPDCLI_DEL_NAME, name, type, 0, NULL, 0);
	}
	if (rest_of_line(c, text, sizeof(text)) == 0)
		return push(s, UPDCLI_DEL_RRSET, name, type, 0, NULL, 0);
	if ((rc = parse_rdata(s, type, text, rdata, sizeof(rdata))) < 0)
		return rc;
	return push(s, UPDCLI_DEL_RR, name, type, 0, rdata, (size_t)rc);
}

static int cmd_update(struct updcli_session *s, struct cursor *c)
{
	char tok[TOKEN_MAX];

	if (!next_word(c, tok, sizeof(tok)))
		return fail(s, "update: add or delete missing");
	if (strcasecmp(tok, "add") == 0)
		return do_add(s, c);
	if (strcasecmp(tok, "delete") == 0 || strcasecmp(tok, "del") == 0)
		return do_delete(s, c);
	return fail(s, "update: unknown operation '%s'", tok);
}

static int do_send(struct updcli_session *s)
{
	int rc;

	if (s->nrec == 0)
		return 0; /* nothing to send: nsupdate sends nothing either */
	s->sent++;
	rc = s->send(s, s->send_arg);
	updcli_session_clear_update(s);
	if (rc > 0)
		s->failed++;
	return rc;
}

static int cmd_send(struct updcli_session *s, struct cursor *c)
{
	int rc = no_more(s, c, "send");

	return rc < 0 ? rc : do_send(s);
}

/*
 * A message in nsupdate's layout: the sections under their RFC 2136 names
 * (zone, prerequisite, update) for an UPDATE, the usual ones otherwise.
 */
void updcli_print_message(FILE *f, const char *title, const uint8_t *wire, size_t len)
{
	static const char *const upd_names[] = {"ZONE", "PREREQUISITE", "UPDATE", "ADDITIONAL"};
	static const char *const qry_names[] = {"QUESTION", "ANSWER", "AUTHORITY", "ADDITIONAL"};
	ldns_pkt *pkt = NULL;
	char b[16];

	fprintf(f, "%s\n", title);
	if (ldns_wire2pkt(&pkt, wire, len) != LDNS_STATUS_OK) {
		fprintf(f, ";; (a message of %zu octets that cannot be shown)\n", len);
		return;
	}
	bool upd = ldns_pkt_get_opcode(pkt) == LDNS_PACKET_UPDATE;
	const char *const *names = upd ? upd_names : qry_names;
	ldns_rr_list *sec[4] = {ldns_pkt_question(pkt), ldns_pkt_answer(pkt),
	                        ldns_pkt_authority(pkt), ldns_pkt_additional(pkt)};

	fprintf(f, ";; ->>HEADER<<- opcode: %s, status: %s, id: %5u\n", upd ? "UPDATE" : "QUERY",
	        updcli_rcode_name(ldns_pkt_get_rcode(pkt), b, sizeof(b)), ldns_pkt_id(pkt));
	fprintf(f, ";; flags:%s%s; %s: %zu, %s: %zu, %s: %zu, %s: %zu\n",
	        ldns_pkt_qr(pkt) ? " qr" : "", ldns_pkt_aa(pkt) ? " aa" : "",
	        upd ? "ZONE" : "QUERY", ldns_rr_list_rr_count(sec[0]), upd ? "PREREQ" : "ANSWER",
	        ldns_rr_list_rr_count(sec[1]), upd ? "UPDATE" : "AUTHORITY",
	        ldns_rr_list_rr_count(sec[2]), "ADDITIONAL", ldns_rr_list_rr_count(sec[3]));
	for (int i = 0; i < 4; i++) {
		size_t n = ldns_rr_list_rr_count(sec[i]);

		if (n == 0)
			continue;
		fprintf(f, ";; %s SECTION:\n", names[i]);
		for (size_t j = 0; j < n; j++) {
			if (i == 0)
				fputc(';', f);
			ldns_rr_print(f, ldns_rr_list_rr(sec[i], j));
		}
		fputc('\n', f);
	}
	ldns_pkt_free(pkt);
}

static int cmd_answer(struct updcli_session *s, struct cursor *c)
{
	int rc = no_more(s, c, "answer");

	if (rc < 0)
		return rc;
	if (s->answer != NULL)
		updcli_print_message(s->out, "Answer:", s->answer, s->answer_len);
	return 0;
}

static int cmd_show(struct updcli_session *s, struct cursor *c)
{
	static const uint8_t root[1] = {0};
	struct ilnpdns_upd_msg *m = NULL;
	uint8_t *buf;
	size_t len;
	int rc = no_more(s, c, "show");

	if (rc < 0)
		return rc;
	/* Before the zone is known, show the records under the root zone. */
	rc = updcli_session_build(s, s->have_zone ? s->zone : root, &m);
	if (rc < 0) {
		fprintf(s->out, ";; cannot show: %s\n", ilnpdns_strerror(rc));
		return 0;
	}
	buf = malloc(ILNPDNS_MSG_MAX);
	if (buf != NULL && ilnpdns_upd_msg_render(m, buf, ILNPDNS_MSG_MAX, &len) == 0)
		updcli_print_message(s->out, "Outgoing update query:", buf, len);
	free(buf);
	ilnpdns_upd_msg_free(m);
	return 0;
}

static int cmd_quit(struct updcli_session *s, struct cursor *c)
{
	int rc = no_more(s, c, "quit");

	if (rc < 0)
		return rc;
	s->quit = true;
	return 0;
}

static int cmd_help(struct updcli_session *s, struct cursor *c);

/* One row per command: nsupdate's names, "add" and "del" as its shorthands. */
static const struct command {
	const char *name;
	int (*fn)(struct updcli_session *s, struct cursor *c);
	const char *help;
} commands[] = {
    {"server", cmd_server, "server address [port]   where to send updates"},
    {"local", cmd_local, "local address [port]    source address of the updates"},
    {"zone", cmd_zone, "zone name               the zone to update (else an SOA query)"},
    {"class", cmd_class, "class IN                the zone class (IN only)"},
    {"ttl", cmd_ttl, "ttl seconds|none        default TTL of \"update add\""},
    {"key", cmd_key, "key [alg:]name secret   TSIG key for the following updates"},
    {"prereq", cmd_prereq,
     "prereq nxdomain|yxdomain name | nxrrset|yxrrset name [IN] type "
     "[rdata]"},
    {"update", cmd_update, "update add|delete ...   add or delete records"},
    {"add", do_add, "add name [ttl] [IN] type rdata"},
    {"delete", do_delete, "delete name [ttl] [IN] [type [rdata]]"},
    {"del", do_delete, "del ...                 same as delete"},
    {"send", cmd_send, "send                    send the update (a blank line too)"},
    {"answer", cmd_answer, "answer                  print the last answer"},
    {"show", cmd_show, "show                    print the update being built"},
    {"quit", cmd_quit, "quit                    stop reading (pending records are dropped)"},
    {"help", cmd_help, "help                    this list"},
};

static int cmd_help(struct updcli_session *s, struct cursor *c)
{
	(void)c;
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(s->out, "%s\n", commands[i].help);
	return 0;
}

int updcli_script_line(struct updcli_session *s, const char *line)
{
	struct cursor c = {line};
	char word[TOKEN_MAX];

	s->err[0] = '\0';
	if (!next_word(&c, word, sizeof(word)))
		return do_send(s); /* a blank line sends */
	if (word[0] == ';' || word[0] == '#')
		return 0;
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcasecmp(word, commands[i].name) == 0)
			return commands[i].fn(s, &c);
	return fail(s, "unknown command '%s'", word);
}

int updcli_script_run(struct updcli_session *s, FILE *f, const char *where, FILE *errf)
{
	char *line = NULL;
	size_t cap = 0;
	unsigned lineno = 0;
	int rc = 0;

	while (!s->quit && getline(&line, &cap, f) >= 0) {
		lineno++;
		rc = updcli_script_line(s, line);
		if (rc == ILNPDNS_ESYNTAX) {
			fprintf(errf, "%s:%u: %s\n", where, lineno, s->err);
			break;
		}
		if (rc < 0) {
			fprintf(errf, "%s:%u: %s\n", where, lineno, ilnpdns_strerror(rc));
			break;
		}
	}
	free(line);
	/* The end of the input, like "quit", drops what is pending: nsupdate
	 * 9.18 sends nothing there either (tests/system/nsupdate-compat 14). */
	if (rc < 0 || s->failed > 0)
		return UPDCLI_EXIT_FAIL;
	return UPDCLI_EXIT_OK;
}

/* ---- the session ---- */

void updcli_session_init(struct updcli_session *s, updcli_send_fn send, void *arg, FILE *out)
{
	memset(s, 0, sizeof(*s));
	s->server_port = 53;
	s->send = send;
	s->send_arg = arg;
	s->out = out;
}

void updcli_session_clear_update(struct updcli_session *s)
{
	for (size_t i = 0; i < s->nrec; i++)
		free(s->rec[i].rdata);
	s->nrec = 0;
}

void updcli_session_fini(struct updcli_session *s)
{
	updcli_session_clear_update(s);
	free(s->rec);
	free(s->answer);
	s->rec = NULL;
	s->answer = NULL;
	s->caprec = 0;
}

int updcli_session_set_answer(struct updcli_session *s, const uint8_t *ans, size_t len)
{
	uint8_t *copy = malloc(len ? len : 1);

	if (copy == NULL)
		return ILNPDNS_ENOMEM;
	memcpy(copy, ans, len);
	free(s->answer);
	s->answer = copy;
	s->answer_len = len;
	return 0;
}

const uint8_t *updcli_session_first_name(const struct updcli_session *s)
{
	/* nsupdate looks the zone up from the first update, else the first prerequisite. */
	for (size_t i = 0; i < s->nrec; i++)
		if (s->rec[i].op >= UPDCLI_ADD)
			return s->rec[i].name;
	return s->nrec > 0 ? s->rec[0].name : NULL;
}

int updcli_session_build(const struct updcli_session *s, const uint8_t *zone,
                         struct ilnpdns_upd_msg **out)
{
	struct ilnpdns_upd_msg *m;
	int rc = ilnpdns_upd_msg_new(zone, &m);

	if (rc < 0)
		return rc;
	for (size_t i = 0; i < s->nrec && rc == 0; i++) {
		const struct updcli_rec *r = &s->rec[i];

		switch (r->op) {
		case UPDCLI_PRE_NXDOMAIN:
			rc = ilnpdns_upd_prereq_nxdomain(m, r->name);
			break;
		case UPDCLI_PRE_YXDOMAIN:
			rc = ilnpdns_upd_prereq_yxdomain(m, r->name);
			break;
		case UPDCLI_PRE_NXRRSET:
			rc = ilnpdns_upd_prereq_nxrrset(m, r->name, r->type);
			break;
		case UPDCLI_PRE_YXRRSET:
			rc = ilnpdns_upd_prereq_yxrrset(m, r->name, r->type);
			break;
		case UPDCLI_PRE_RR:
			rc = ilnpdns_upd_prereq_rr(m, r->name, r->type, r->rdata, r->rdlen);
			break;
		case UPDCLI_ADD:
			rc = ilnpdns_upd_add(m, r->name, r->type, r->ttl, r->rdata, r->rdlen);
			break;
		case UPDCLI_DEL_NAME:
			rc = ilnpdns_upd_del_name(m, r->name);
			break;
		case UPDCLI_DEL_RRSET:
			rc = ilnpdns_upd_del_rrset(m, r->name, r->type);
			break;
		case UPDCLI_DEL_RR:
			rc = ilnpdns_upd_del_rr(m, r->name, r->type, r->rdata, r->rdlen);
			break;
		}
	}
	if (rc < 0) {
		ilnpdns_upd_msg_free(m);
		return rc;
	}
	*out = m;
	return 0;
}

const char *updcli_rcode_name(int rcode, char *buf, size_t cap)
{
	static const char *const names[] = {
	    "NOERROR",  "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP",  "REFUSED",
	    "YXDOMAIN", "YXRRSET", "NXRRSET",  "NOTAUTH",  "NOTZONE",
	};

	if (rcode >= 0 && (size_t)rcode < sizeof(names) / sizeof(names[0]))
		return names[rcode];
	snprintf(buf, cap, "RCODE%d", rcode);
	return buf;
}
