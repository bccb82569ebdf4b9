/* SPDX-License-Identifier: BSD-2-Clause */
/* updcli.h -- ilnpdns-update internals: options, the script session and its command parser. */
#ifndef ILNPDNS_UPDCLI_H
#define ILNPDNS_UPDCLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/socket.h>

#include "ilnpdns/dname.h"
#include "ilnpdns/keys.h"
#include "ilnpdns/updater.h"

/*
 * The program in three parts, each testable alone:
 *   params.c  the command line (options -> struct updcli_params);
 *   script.c  nsupdate's command language: one line at a time changes a
 *             struct updcli_session (settings and the update being built);
 *             "send" (or a blank line) calls the session's send hook;
 *   exec.c    the send hook for real: zone discovery, the client, printing.
 * The unit tests drive script.c with a send hook of their own.
 */

/* Exit statuses. nsupdate exits 1 on a syntax error; we use 2 (see the man page). */
enum {
	UPDCLI_EXIT_OK = 0,
	UPDCLI_EXIT_USAGE = 1, /* bad command line, unreadable key or file */
	UPDCLI_EXIT_FAIL = 2,  /* syntax error in the script, or an update that failed */
};

/* ---- command line ---- */

struct updcli_params {
	bool debug;          /* -d */
	bool tcp;            /* -v */
	uint32_t timeout_s;  /* -t; 0 = the library's default deadline */
	const char *y;       /* -y [alg:]name:secret */
	const char *keyfile; /* -k */
	const char *file;    /* script; NULL = stdin */
};

/*
 * Parse argv (getopt, POSIX order). Returns 0, 1 for -h (usage wanted) or
 * ILNPDNS_ESYNTAX with a message in err.
 */
int updcli_params_parse(int argc, char **argv, struct updcli_params *p, char *err, size_t errlen);
void updcli_params_usage(FILE *f);

/* ---- the session ---- */

/* One record of the update being built, in the form the library takes. */
enum updcli_op {
	UPDCLI_PRE_NXDOMAIN,
	UPDCLI_PRE_YXDOMAIN,
	UPDCLI_PRE_NXRRSET,
	UPDCLI_PRE_YXRRSET,
	UPDCLI_PRE_RR, /* yxrrset with rdata: value-dependent */
	UPDCLI_ADD,
	UPDCLI_DEL_NAME,
	UPDCLI_DEL_RRSET,
	UPDCLI_DEL_RR,
};

struct updcli_rec {
	enum updcli_op op;
	uint8_t name[ILNPDNS_DNAME_MAXLEN];
	uint16_t type;
	uint32_t ttl;
	uint16_t rdlen;
	uint8_t *rdata; /* owned; NULL when rdlen is 0 */
};

struct updcli_session;

/*
 * Called by "send" and a blank line when records are pending. Returns 0
 * when the update succeeded, 1 when it failed (printed, the script goes on
 * as nsupdate's does), negative to stop the script.
 */
typedef int (*updcli_send_fn)(struct updcli_session *s, void *arg);

#define UPDCLI_SERVER_MAX 300

struct updcli_session {
	/* Settings, kept across sends (nsupdate keeps them too). */
	char server[UPDCLI_SERVER_MAX]; /* "addr" or "host"; "" = none given */
	uint16_t server_port;           /* 53 unless given */
	bool have_local;
	struct sockaddr_storage local;
	socklen_t local_len;
	bool have_zone;
	uint8_t zone[ILNPDNS_DNAME_MAXLEN];
	bool have_ttl; /* "ttl N" given: the TTL of "update add" becomes optional */
	uint32_t default_ttl;
	bool have_key; /* a "key" command: replaces -y / -k from then on */
	struct ilnpdns_tsig_key key;

	/* The update being built; cleared by each send. */
	struct updcli_rec *rec;
	size_t nrec, caprec;

	/* The last answer, for "answer". */
	uint8_t *answer;
	size_t answer_len;

	bool quit;       /* "quit" read */
	unsigned sent;   /* sends attempted */
	unsigned failed; /* sends that failed */

	updcli_send_fn send;
	void *send_arg;
	FILE *out; /* "show", "answer" and "help" print here */

	char err[512]; /* the last syntax error, without position */
};

void updcli_session_init(struct updcli_session *s, updcli_send_fn send, void *arg, FILE *out);
/* Frees the records and the saved answer. */
void updcli_session_fini(struct updcli_session *s);
void updcli_session_clear_update(struct updcli_session *s);
/* Keep a copy of an answer (wire) for "answer". */
int updcli_session_set_answer(struct updcli_session *s, const uint8_t *ans, size_t len);

/*
 * Execute one line (without its newline). Returns 0 on success, 1 when the
 * line made a send that failed, ILNPDNS_ESYNTAX with the reason in s->err,
 * or a negative code from the send hook (the script must stop).
 */
int updcli_script_line(struct updcli_session *s, const char *line);

/*
 * Run a whole script from f; where names it in messages ("stdin" or the
 * file name). A syntax error prints "where:line: reason" to errf and stops.
 * At the end of the input pending records are dropped, as nsupdate does.
 * Returns UPDCLI_EXIT_OK, or UPDCLI_EXIT_FAIL after a syntax error or when
 * any send failed.
 */
int updcli_script_run(struct updcli_session *s, FILE *f, const char *where, FILE *errf);

/* The same at a terminal (interactive.c): a prompt, and a syntax error stops only its line. */
int updcli_interactive_run(struct updcli_session *s, FILE *in, FILE *errf);

/* The records as a library message for zone (wire). */
int updcli_session_build(const struct updcli_session *s, const uint8_t *zone,
                         struct ilnpdns_upd_msg **out);

/* The name the zone is looked up for (first update, else first prerequisite); NULL if none. */
const uint8_t *updcli_session_first_name(const struct updcli_session *s);

/* Print a message (wire) in nsupdate's layout under a title line. */
void updcli_print_message(FILE *f, const char *title, const uint8_t *wire, size_t len);

/* RCODE names as nsupdate prints them ("NXRRSET", "RCODE12" when unnamed). */
const char *updcli_rcode_name(int rcode, char *buf, size_t cap);

/* ---- the real send (exec.c) ---- */

struct updcli_exec {
	const struct updcli_params *params;
	struct ilnpdns_upd_auth auth;  /* from -y / -k */
	struct ilnpdns_sig0_key *sig0; /* -k of a SIG(0) key, owned */
	struct ilnpdns_upd_client *client;
	FILE *errf;
};

/* Read -y / -k into ex->auth; a message goes to err. */
int updcli_exec_init(struct updcli_exec *ex, const struct updcli_params *p, FILE *errf, char *err,
                     size_t errlen);
void updcli_exec_fini(struct updcli_exec *ex);
/* The send hook (arg is the struct updcli_exec). */
int updcli_exec_send(struct updcli_session *s, void *arg);

#endif /* ILNPDNS_UPDCLI_H */
