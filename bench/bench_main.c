/* SPDX-License-Identifier: BSD-2-Clause */
/* bench_main.c -- ilnpdns-bench: pick the subcommand and run it. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "bench_echo.h"
#include "bench_failover.h"
#include "bench_impair.h"
#include "bench_query.h"
#include "bench_table6.h"
#include "bench_update.h"

/* One record per subcommand; each lives in its own bench_<name>.c. */
static const struct command {
	const char *name;
	int (*run)(int argc, char **argv);
	void (*usage)(void);
	const char *help;
} commands[] = {
    {"update", bench_update_main, bench_update_usage,
     "TSIG-signed RFC 2136 updates: updates/s, ack and update-to-visible latency"},
    {"query", bench_query_main, bench_query_usage,
     "query load from a dnsperf file, closed or open loop: queries/s, latency, losses"},
    {"responder", bench_echo_main, bench_echo_usage,
     "trivial UDP responder: the generator's own ceiling"},
    {"table6", bench_table6_main, bench_table6_usage,
     "the query rates of the paper's Table VI: latency there, and the headroom"},
    {"impair", bench_impair_main, bench_impair_usage,
     "UDP relay adding one-way delay and random loss (userspace netem)"},
    {"failover", bench_failover_main, bench_failover_usage,
     "the paper's failover experiment: rendezvous delay, f-overhead, stale answers"},
};

static void usage(FILE *f)
{
	fprintf(f, "usage: ilnpdns-bench COMMAND [options]   (ilnpdns-bench help COMMAND)\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-9s %s\n", commands[i].name, commands[i].help);
}

static const struct command *find(const char *name)
{
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

int main(int argc, char **argv)
{
	const struct command *cmd;

	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (strcmp(argv[1], "help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "--help") == 0) {
		if (argc > 2 && (cmd = find(argv[2])) != NULL) {
			cmd->usage();
			return 0;
		}
		usage(stdout);
		return 0;
	}
	if ((cmd = find(argv[1])) == NULL) {
		fprintf(stderr, "ilnpdns-bench: unknown command '%s'\n", argv[1]);
		usage(stderr);
		return 2;
	}
	/* The subcommand sees its own name as argv[0], as getopt expects. */
	return cmd->run(argc - 1, argv + 1);
}
