/* SPDX-License-Identifier: BSD-2-Clause */
/* main.c -- ilnpdns-update: send RFC 2136 updates written in nsupdate's command language. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "ilnpdns/error.h"
#include "updcli.h"

int main(int argc, char **argv)
{
	struct updcli_params p;
	struct updcli_exec ex;
	struct updcli_session s;
	char err[512] = "";
	FILE *in = stdin;
	int rc;

	rc = updcli_params_parse(argc, argv, &p, err, sizeof(err));
	if (rc == 1) {
		updcli_params_usage(stdout);
		return UPDCLI_EXIT_OK;
	}
	if (rc < 0) {
		fprintf(stderr, "ilnpdns-update: %s\n", err);
		updcli_params_usage(stderr);
		return UPDCLI_EXIT_USAGE;
	}
	if (p.file != NULL && (in = fopen(p.file, "r")) == NULL) {
		fprintf(stderr, "ilnpdns-update: %s: %s\n", p.file, strerror(errno));
		return UPDCLI_EXIT_USAGE;
	}
	if (updcli_exec_init(&ex, &p, stderr, err, sizeof(err)) < 0) {
		fprintf(stderr, "ilnpdns-update: %s\n", err);
		if (in != stdin)
			fclose(in);
		return UPDCLI_EXIT_USAGE;
	}
	updcli_session_init(&s, updcli_exec_send, &ex, stdout);
	if (p.file == NULL && isatty(STDIN_FILENO))
		rc = updcli_interactive_run(&s, in, stderr);
	else
		rc = updcli_script_run(&s, in, p.file ? p.file : "stdin", stderr);
	updcli_session_fini(&s);
	updcli_exec_fini(&ex);
	if (in != stdin)
		fclose(in);
	return rc;
}
