/* SPDX-License-Identifier: BSD-2-Clause */
/* interactive.c -- ilnpdns-update at a terminal: a prompt, and syntax errors that do not stop it.
 */
#include <stdio.h>
#include <stdlib.h>

#include "ilnpdns/error.h"
#include "updcli.h"

/*
 * nsupdate prints "> " before each command when its input is a terminal,
 * and a mistyped command only costs that command. End of input (^D) drops
 * what is pending, as in a script.
 */
int updcli_interactive_run(struct updcli_session *s, FILE *in, FILE *errf)
{
	char *line = NULL;
	size_t cap = 0;
	int rc = 0;

	while (!s->quit) {
		fputs("> ", stdout);
		fflush(stdout);
		if (getline(&line, &cap, in) < 0)
			break;
		rc = updcli_script_line(s, line);
		if (rc == ILNPDNS_ESYNTAX)
			fprintf(errf, "%s\n", s->err);
		else if (rc < 0)
			break;
		fflush(stdout);
	}
	free(line);
	return rc < 0 || s->failed > 0 ? UPDCLI_EXIT_FAIL : UPDCLI_EXIT_OK;
}
