/* SPDX-License-Identifier: BSD-2-Clause */
/* hook.c -- run the configured command after an acknowledged update: fork/exec, no shell. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ilnpdns/log.h"
#include "locmgr.h"

/*
 * The command gets its arguments as written in the configuration, never
 * through /bin/sh, and the set in ILNPDNS_* environment variables, so no
 * locator text is ever parsed as shell syntax. The daemon does not wait:
 * SIGCHLD reaps (hook_reap).
 */

extern char **environ;

#define ENV_MAX 16

static void set_text(const struct ilnpdns_upd_locset *s, bool l32, char *buf, size_t cap)
{
	size_t off = 0;
	buf[0] = '\0';
	size_t n = l32 ? s->n32 : s->n64;
	for (size_t i = 0; i < n && off < cap; i++) {
		int k;
		if (l32) {
			const uint8_t *l = s->l32[i].loc;
			k = snprintf(buf + off, cap - off, "%s%u,%u.%u.%u.%u", i ? " " : "",
			             s->l32[i].pref, l[0], l[1], l[2], l[3]);
		} else {
			const uint8_t *l = s->l64[i].loc;
			k = snprintf(buf + off, cap - off, "%s%u,%x:%x:%x:%x", i ? " " : "",
			             s->l64[i].pref, l[0] << 8 | l[1], l[2] << 8 | l[3],
			             l[4] << 8 | l[5], l[6] << 8 | l[7]);
		}
		if (k < 0)
			break;
		off += (size_t)k;
	}
}

void hook_run(const struct yconf_str *argv, size_t argc, const struct locmgr_conf *c,
              const struct failover *f)
{
	char vars[8][1100];
	char *args[33];
	char *env[ENV_MAX + 512];
	size_t nv = 0, ne = 0;
	char text[1024];

	if (argc == 0)
		return;
	for (size_t i = 0; i < argc && i < 32; i++)
		args[i] = argv[i].text;
	args[argc < 32 ? argc : 32] = NULL;

	snprintf(vars[nv++], sizeof(vars[0]), "ILNPDNS_NAME=%s", c->name_text);
	snprintf(vars[nv++], sizeof(vars[0]), "ILNPDNS_ZONE=%s", c->zone_text);
	snprintf(vars[nv++], sizeof(vars[0]), "ILNPDNS_MODE=%s",
	         c->mode == LOCMGR_SITE ? "site" : "host");
	set_text(&f->new_set, false, text, sizeof(text));
	snprintf(vars[nv++], sizeof(vars[0]), "ILNPDNS_L64=%s", text);
	set_text(&f->new_set, true, text, sizeof(text));
	snprintf(vars[nv++], sizeof(vars[0]), "ILNPDNS_L32=%s", text);
	set_text(&f->old_set, false, text, sizeof(text));
	snprintf(vars[nv++], sizeof(vars[0]), "ILNPDNS_OLD_L64=%s", f->old_known ? text : "");
	snprintf(vars[nv++], sizeof(vars[0]), "ILNPDNS_FAILOVER=%llu", (unsigned long long)f->id);
	snprintf(vars[nv++], sizeof(vars[0]), "ILNPDNS_ATTEMPTS=%u", f->attempts);

	/* Our variables first; the inherited environment, minus any ILNPDNS_ ones. */
	for (size_t i = 0; i < nv; i++)
		env[ne++] = vars[i];
	for (char **e = environ; e != NULL && *e != NULL && ne < sizeof(env) / sizeof(env[0]) - 1;
	     e++)
		if (strncmp(*e, "ILNPDNS_", 8) != 0)
			env[ne++] = *e;
	env[ne] = NULL;

	pid_t pid = fork();
	if (pid < 0) {
		log_warn("hook %s: fork", args[0]);
		return;
	}
	if (pid == 0) {
		execve(args[0], args, env);
		_exit(127);
	}
	log_info("hook %s started (pid %ld) for failover %llu", args[0], (long)pid,
	         (unsigned long long)f->id);
}

void hook_reap(void)
{
	int status;
	pid_t pid;
	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
			log_info("hook pid %ld done", (long)pid);
		else if (WIFEXITED(status))
			log_warnx("hook pid %ld exited with %d", (long)pid, WEXITSTATUS(status));
		else
			log_warnx("hook pid %ld killed by signal %d", (long)pid,
			          WIFSIGNALED(status) ? WTERMSIG(status) : 0);
	}
}
