/* SPDX-License-Identifier: BSD-2-Clause */
/* log.h -- levelled logging to stderr or syslog for the daemons and tools. */
#ifndef ILNPDNS_LOG_H
#define ILNPDNS_LOG_H

#include <stdbool.h>
#include <syslog.h>

/*
 * Levels are syslog's (LOG_ERR, LOG_WARNING, LOG_NOTICE, LOG_INFO,
 * LOG_DEBUG). Lines go to stderr as "ident[pid]: level: message" or to
 * syslog. Thread-safe: each line is written with one call. Library code
 * (lib/) never logs; the daemons and CLIs do.
 */
void ilnpdns_log_init(const char *ident, int level, bool use_syslog);
void ilnpdns_log_set_level(int level);
bool ilnpdns_log_enabled(int level);

void ilnpdns_log(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The _warn forms append ": strerror(errno)". */
void log_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_notice(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif /* ILNPDNS_LOG_H */
