/* SPDX-License-Identifier: BSD-2-Clause */
/* test_log.c -- log levels, the stderr line format and the syslog path (syslog(3) wrapped). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "ilnpdns/log.h"

/*
 * The link wraps openlog/closelog/syslog (and glibc's fortified
 * __syslog_chk), so the syslog path is observed without a syslog daemon.
 */
static struct {
	int opened, closed, calls;
	char ident[64];
	int option, facility, priority;
	char line[2048];
} sl;

void __wrap_openlog(const char *ident, int option, int facility);
void __wrap_closelog(void);
void __wrap_syslog(int priority, const char *fmt, ...);
void __wrap___syslog_chk(int priority, int flag, const char *fmt, ...);

void __wrap_openlog(const char *ident, int option, int facility)
{
	sl.opened++;
	snprintf(sl.ident, sizeof(sl.ident), "%s", ident);
	sl.option = option;
	sl.facility = facility;
}

void __wrap_closelog(void)
{
	sl.closed++;
}

static void record(int priority, const char *fmt, va_list ap)
{
	sl.calls++;
	sl.priority = priority;
	vsnprintf(sl.line, sizeof(sl.line), fmt, ap);
}

void __wrap_syslog(int priority, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	record(priority, fmt, ap);
	va_end(ap);
}

void __wrap___syslog_chk(int priority, int flag, const char *fmt, ...)
{
	va_list ap;
	(void)flag;
	va_start(ap, fmt);
	record(priority, fmt, ap);
	va_end(ap);
}

/* stderr is redirected to a temporary file for each test. */
static FILE *captured;
static int saved_stderr = -1;

static int capture(void **state)
{
	(void)state;
	memset(&sl, 0, sizeof(sl));
	captured = tmpfile();
	assert_non_null(captured);
	saved_stderr = dup(STDERR_FILENO);
	assert_true(saved_stderr >= 0);
	assert_int_equal(dup2(fileno(captured), STDERR_FILENO), STDERR_FILENO);
	return 0;
}

static int release(void **state)
{
	(void)state;
	ilnpdns_log_init("test_log", LOG_NOTICE, false);
	dup2(saved_stderr, STDERR_FILENO);
	close(saved_stderr);
	fclose(captured);
	return 0;
}

/* Everything written to stderr since the test began. */
static const char *output(void)
{
	static char buf[4096];
	rewind(captured);
	size_t n = fread(buf, 1, sizeof(buf) - 1, captured);
	buf[n] = '\0';
	fseek(captured, 0, SEEK_END);
	return buf;
}

static void test_stderr_levels_and_format(void **state)
{
	char expect[256];
	(void)state;

	ilnpdns_log_init("ilnpdnsd", LOG_NOTICE, false);
	assert_true(ilnpdns_log_enabled(LOG_ERR));
	assert_true(ilnpdns_log_enabled(LOG_NOTICE));
	assert_false(ilnpdns_log_enabled(LOG_INFO));
	log_info("hidden %d", 1);
	log_debug("hidden %d", 2);
	assert_string_equal(output(), "");

	log_notice("zone %s loaded", "example.ilnp.");
	log_err("bad %s", "thing");
	snprintf(expect, sizeof(expect),
	         "ilnpdnsd[%ld]: notice: zone example.ilnp. loaded\n"
	         "ilnpdnsd[%ld]: error: bad thing\n",
	         (long)getpid(), (long)getpid());
	assert_string_equal(output(), expect);

	/* -v or a reload raises the level at run time. */
	ilnpdns_log_set_level(LOG_DEBUG);
	log_debug("now shown");
	assert_non_null(strstr(output(), "]: debug: now shown\n"));
	ilnpdns_log_set_level(LOG_ERR);
	log_warnx("not shown");
	assert_null(strstr(output(), "not shown"));
	assert_int_equal(sl.calls, 0);
	assert_int_equal(sl.opened, 0);
}

static void test_warn_appends_errno_and_keeps_it(void **state)
{
	(void)state;
	ilnpdns_log_init("t", LOG_INFO, false);
	errno = ENOENT;
	log_warn("open %s", "x.zone");
	assert_int_equal(errno, ENOENT);
	char expect[128];
	snprintf(expect, sizeof(expect), "warning: open x.zone: %s\n", strerror(ENOENT));
	assert_non_null(strstr(output(), expect));
	/* Only log_warn decorates: a stale errno never reaches log_err or log_warnx. */
	errno = EACCES;
	log_err("plain");
	log_warnx("plainer");
	assert_int_equal(errno, EACCES);
	assert_null(strstr(output(), strerror(EACCES)));
}

static void test_long_line_cut_with_newline(void **state)
{
	char big[3000];
	(void)state;
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	ilnpdns_log_init("t", LOG_NOTICE, false);
	log_notice("%s", big);
	const char *out = output();
	size_t len = strlen(out);
	assert_true(len > 900 && len <= 1024);
	assert_int_equal(out[len - 1], '\n');
	assert_ptr_equal(strchr(out, '\n'), out + len - 1); /* one line */
}

static void test_syslog_target(void **state)
{
	(void)state;
	ilnpdns_log_init("ilnpdnsd", LOG_NOTICE, true);
	assert_int_equal(sl.opened, 1);
	assert_string_equal(sl.ident, "ilnpdnsd");
	assert_int_equal(sl.option, LOG_PID | LOG_NDELAY);
	assert_int_equal(sl.facility, LOG_DAEMON);

	log_warnx("update refused from %s", "192.0.2.1");
	assert_int_equal(sl.calls, 1);
	assert_int_equal(sl.priority, LOG_WARNING);
	/* syslog adds ident and pid itself: the line is the bare message. */
	assert_string_equal(sl.line, "update refused from 192.0.2.1");
	log_err("e");
	assert_int_equal(sl.priority, LOG_ERR);
	log_info("filtered");
	assert_int_equal(sl.calls, 2);
	assert_string_equal(output(), ""); /* nothing on stderr */

	/* Back to stderr (a reload with log: stderr) closes the syslog connection. */
	ilnpdns_log_init("ilnpdnsd", LOG_NOTICE, false);
	assert_int_equal(sl.closed, 1);
	log_notice("to stderr");
	assert_int_equal(sl.calls, 2);
	assert_non_null(strstr(output(), "notice: to stderr\n"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_stderr_levels_and_format, capture, release),
	    cmocka_unit_test_setup_teardown(test_warn_appends_errno_and_keeps_it, capture, release),
	    cmocka_unit_test_setup_teardown(test_long_line_cut_with_newline, capture, release),
	    cmocka_unit_test_setup_teardown(test_syslog_target, capture, release),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
