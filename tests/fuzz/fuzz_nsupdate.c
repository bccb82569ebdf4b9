/* SPDX-License-Identifier: BSD-2-Clause */
/* fuzz_nsupdate.c -- libFuzzer target: nsupdate scripts through ilnpdns-update's command parser. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"
#include "ilnpdns/error.h"
#include "ilnpdns/updater.h"
#include "ilnpdns/wire.h"
#include "updcli.h"

/*
 * One input is one script. It runs twice: once through updcli_script_run()
 * as `ilnpdns-update file` would (stops at the first syntax error), once
 * line by line through updcli_script_line() as at a terminal (an error costs
 * only its line), so the commands after a bad line are reached too. The send
 * hook does what exec.c does short of the network: build the message for
 * the session's zone, render it, print it in nsupdate's layout and keep it
 * as the "answer", so show/answer have something to print. The rendered
 * message must be a DNS message of the size the renderer said.
 */

static FILE *devnull;
static uint8_t wire[ILNPDNS_MSG_MAX];

static int fake_send(struct updcli_session *s, void *arg)
{
	static const uint8_t root[1] = {0};
	struct ilnpdns_upd_msg *m = NULL;
	size_t len = 0;
	(void)arg;
	if (updcli_session_first_name(s) == NULL && s->nrec > 0)
		FUZZ_ABORT(); /* records pending, yet no name to look the zone up for */
	int rc = updcli_session_build(s, s->have_zone ? s->zone : root, &m);
	if (rc < 0)
		return 1; /* the update "failed", the script goes on */
	rc = ilnpdns_upd_msg_render(m, wire, sizeof(wire), &len);
	ilnpdns_upd_msg_free(m);
	if (rc < 0)
		return 1;
	if (len < ILNPDNS_HDR_LEN || len > sizeof(wire))
		FUZZ_ABORT();
	updcli_print_message(s->out, "Outgoing update query:", wire, len);
	/* The first octet of the ID decides the outcome, so both paths are taken. */
	if (updcli_session_set_answer(s, wire, len) < 0)
		return -1;
	return wire[0] & 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct updcli_session s;
	if (devnull == NULL) {
		fuzz_quiet();
		devnull = fopen("/dev/null", "w");
		if (devnull == NULL)
			FUZZ_ABORT();
	}

	/* As a script file. */
	FILE *in = fmemopen((void *)data, size, "r");
	if (in == NULL)
		return 0; /* fmemopen refuses size 0 on old C libraries */
	updcli_session_init(&s, fake_send, NULL, devnull);
	int rc = updcli_script_run(&s, in, "fuzz", devnull);
	if (rc != UPDCLI_EXIT_OK && rc != UPDCLI_EXIT_FAIL)
		FUZZ_ABORT();
	updcli_session_fini(&s);
	fclose(in);

	/* Line by line, going on after a syntax error. */
	char *text = malloc(size + 1);
	if (text == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	updcli_session_init(&s, fake_send, NULL, devnull);
	/* strsep, not strtok: a blank line is a command ("send"). */
	char *rest = text, *line;
	while ((line = strsep(&rest, "\n")) != NULL && !s.quit) {
		rc = updcli_script_line(&s, line);
		if (rc == ILNPDNS_ESYNTAX && memchr(s.err, '\0', sizeof(s.err)) == NULL)
			FUZZ_ABORT(); /* the reason must be a terminated string */
		if (rc < 0 && rc != ILNPDNS_ESYNTAX)
			break;
	}
	updcli_session_fini(&s);
	free(text);
	return 0;
}
