/* SPDX-License-Identifier: BSD-2-Clause */
/* main.c -- ilnpdnsd command line: options, configuration check, then the daemon. */
#include "config.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "conf.h"
#include "daemon.h"
#include "ilnpdns/error.h"

static void usage(FILE *out)
{
	fprintf(out, "usage: ilnpdnsd [-fhnv] [-c file]\n"
	             "  -c file  configuration file (default: built-in quick-start settings)\n"
	             "  -f       stay in the foreground\n"
	             "  -n       check the configuration and exit\n"
	             "  -v       log more (repeatable)\n"
	             "  -h       this help\n");
}

/* -n, as OpenBSD daemons do: parse everything, report, exit 0 or 1. */
static int check_config(const char *path)
{
	struct conf *conf = NULL;
	char err[768];
	int rc;

	if (path)
		rc = conf_load(path, &conf, err, sizeof(err));
	else if ((rc = conf_defaults(&conf)) != 0)
		snprintf(err, sizeof(err), "built-in defaults: %s", ilnpdns_strerror(rc));
	if (rc) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	conf_free(conf);
	fprintf(stderr, "configuration OK\n");
	return 0;
}

int main(int argc, char **argv)
{
	const char *path = NULL;
	bool foreground = false, check = false;
	int verbose = 0, ch;

	while ((ch = getopt(argc, argv, "c:fhnv")) != -1) {
		switch (ch) {
		case 'c':
			path = optarg;
			break;
		case 'f':
			foreground = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'n':
			check = true;
			break;
		case 'v':
			verbose++;
			break;
		default:
			usage(stderr);
			return 1;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 1;
	}
	if (check)
		return check_config(path);
	return daemon_main(path, foreground, verbose);
}
