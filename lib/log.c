/* SPDX-License-Identifier: BSD-2-Clause */
/* log.c -- levelled log lines to stderr or syslog, one write per line. */
#include <errno.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "ilnpdns/log.h"

/*
 * The state is written once at start-up (ilnpdns_log_init()) before threads
 * exist; only the level changes later (-v, reload), hence the atomic. Each
 * line is formatted into a stack buffer and handed to the kernel with one
 * write(2), so lines from several workers never interleave.
 *
 * As log.h says, only log_warn() appends ": strerror(errno)" (OpenBSD's
 * log_warn/log_warnx pair); log_err() and the others print the message as
 * given, so a stale errno never decorates an unrelated error.
 */

#define LINE_MAX_LEN 1024

static char log_ident[32] = "ilnpdns";
static atomic_int log_level = LOG_NOTICE;
static bool log_syslog;

void ilnpdns_log_init(const char *ident, int level, bool use_syslog)
{
	if (ident != NULL)
		snprintf(log_ident, sizeof(log_ident), "%s", ident);
	atomic_store(&log_level, level);
	if (log_syslog && !use_syslog)
		closelog();
	log_syslog = use_syslog;
	if (use_syslog)
		openlog(log_ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

void ilnpdns_log_set_level(int level)
{
	atomic_store(&log_level, level);
}

bool ilnpdns_log_enabled(int level)
{
	return level <= atomic_load(&log_level);
}

static const char *level_name(int level)
{
	switch (level) {
	case LOG_EMERG:
	case LOG_ALERT:
	case LOG_CRIT:
		return "critical";
	case LOG_ERR:
		return "error";
	case LOG_WARNING:
		return "warning";
	case LOG_NOTICE:
		return "notice";
	case LOG_INFO:
		return "info";
	default:
		return "debug";
	}
}

static void log_vline(int level, int errnum, const char *fmt, va_list ap)
{
	char line[LINE_MAX_LEN];
	size_t len = 0;
	int n;

	if (!ilnpdns_log_enabled(level))
		return;
	if (!log_syslog) {
		n = snprintf(line, sizeof(line), "%s[%ld]: %s: ", log_ident, (long)getpid(),
		             level_name(level));
		len = n > 0 ? (size_t)n : 0;
	}
	n = vsnprintf(line + len, sizeof(line) - len, fmt, ap);
	if (n > 0)
		len += (size_t)n;
	if (len >= sizeof(line))
		len = sizeof(line) - 1;
	if (errnum != 0 && len < sizeof(line) - 1) {
		n = snprintf(line + len, sizeof(line) - len, ": %s", strerror(errnum));
		if (n > 0)
			len += (size_t)n;
		if (len >= sizeof(line))
			len = sizeof(line) - 1;
	}
	if (log_syslog) {
		syslog(level, "%s", line);
		return;
	}
	/* Keep room for the newline even when the message was cut. */
	if (len > sizeof(line) - 2)
		len = sizeof(line) - 2;
	line[len++] = '\n';
	/* Nothing useful can be done if stderr is gone. */
	ssize_t w = write(STDERR_FILENO, line, len);
	(void)w;
}

void ilnpdns_log(int level, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	log_vline(level, 0, fmt, ap);
	va_end(ap);
}

#define LOG_FN(name, level, with_errno)                                                            \
	void name(const char *fmt, ...)                                                            \
	{                                                                                          \
		int saved = errno;                                                                 \
		va_list ap;                                                                        \
		va_start(ap, fmt);                                                                 \
		log_vline(level, with_errno ? saved : 0, fmt, ap);                                 \
		va_end(ap);                                                                        \
		errno = saved;                                                                     \
	}

LOG_FN(log_err, LOG_ERR, false)
LOG_FN(log_warn, LOG_WARNING, true)
LOG_FN(log_warnx, LOG_WARNING, false)
LOG_FN(log_notice, LOG_NOTICE, false)
LOG_FN(log_info, LOG_INFO, false)
LOG_FN(log_debug, LOG_DEBUG, false)
