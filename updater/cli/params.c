/* SPDX-License-Identifier: BSD-2-Clause */
/* params.c -- ilnpdns-update's command line: nsupdate's options that we implement. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ilnpdns/error.h"
#include "updcli.h"

/* One option: its letter, whether it takes an argument, its help. */
struct opt {
	char letter;
	const char *arg;
	const char *help;
};

static const struct opt opts[] = {
    {'d', NULL, "debug: print each message sent and received"},
    {'v', NULL, "use TCP for the updates (RFC 2136 7.8)"},
    {'t', "timeout", "give up on an update after timeout seconds (0: default 10)"},
    {'y', "[alg:]name:secret", "TSIG key (alg default hmac-sha256)"},
    {'k', "keyfile", "BIND TSIG key file, or a dnssec-keygen K*.private for SIG(0)"},
    {'h', NULL, "this help"},
};

void updcli_params_usage(FILE *f)
{
	fprintf(f, "usage: ilnpdns-update [-dv] [-t timeout] [-y [alg:]name:secret | -k keyfile] "
	           "[file]\n");
	for (size_t i = 0; i < sizeof(opts) / sizeof(opts[0]); i++)
		fprintf(f, "  -%c %-18s %s\n", opts[i].letter, opts[i].arg ? opts[i].arg : "",
		        opts[i].help);
}

static int parse_timeout(const char *s, uint32_t *out)
{
	char *end;
	unsigned long v;

	if (*s < '0' || *s > '9')
		return ILNPDNS_ESYNTAX;
	errno = 0;
	v = strtoul(s, &end, 10);
	/* The library counts milliseconds in 32 bits. */
	if (errno != 0 || *end != '\0' || v > 4000000)
		return ILNPDNS_ESYNTAX;
	*out = (uint32_t)v;
	return 0;
}

int updcli_params_parse(int argc, char **argv, struct updcli_params *p, char *err, size_t errlen)
{
	char optstr[2 * sizeof(opts) / sizeof(opts[0]) + 2];
	size_t n = 0;
	int c;

	memset(p, 0, sizeof(*p));
	optstr[n++] = ':';
	for (size_t i = 0; i < sizeof(opts) / sizeof(opts[0]); i++) {
		optstr[n++] = opts[i].letter;
		if (opts[i].arg != NULL)
			optstr[n++] = ':';
	}
	optstr[n] = '\0';
	optind = 1;
	opterr = 0;
	while ((c = getopt(argc, argv, optstr)) != -1) {
		switch (c) {
		case 'd':
			p->debug = true;
			break;
		case 'v':
			p->tcp = true;
			break;
		case 't':
			if (parse_timeout(optarg, &p->timeout_s) < 0) {
				snprintf(err, errlen, "-t: bad timeout '%s'", optarg);
				return ILNPDNS_ESYNTAX;
			}
			break;
		case 'y':
			p->y = optarg;
			break;
		case 'k':
			p->keyfile = optarg;
			break;
		case 'h':
			return 1;
		case ':':
			snprintf(err, errlen, "-%c needs an argument", optopt);
			return ILNPDNS_ESYNTAX;
		default:
			snprintf(err, errlen, "unknown option -%c", optopt);
			return ILNPDNS_ESYNTAX;
		}
	}
	/* nsupdate refuses both at once too: one key per run. */
	if (p->y != NULL && p->keyfile != NULL) {
		snprintf(err, errlen, "-y and -k are mutually exclusive");
		return ILNPDNS_ESYNTAX;
	}
	if (argc - optind > 1) {
		snprintf(err, errlen, "more than one script file given");
		return ILNPDNS_ESYNTAX;
	}
	if (argc - optind == 1 && strcmp(argv[optind], "-") != 0)
		p->file = argv[optind];
	return 0;
}
