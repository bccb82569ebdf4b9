/* SPDX-License-Identifier: BSD-2-Clause */
/* test_conf.c -- ilnpdnsd configuration: every key, defaults, and every error message. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include <cmocka.h>

#include "conf.h"
#include "ilnpdns/dname.h"
#include "ilnpdns/error.h"
#include "store.h"

static char tmpfile_path[64];

/* Write text to a fresh temporary file; its path is tmpfile_path. */
static const char *write_file(const char *text)
{
	strcpy(tmpfile_path, "/tmp/ilnpdns-test-conf-XXXXXX");
	int fd = mkstemp(tmpfile_path);
	assert_true(fd >= 0);
	FILE *f = fdopen(fd, "w");
	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
	return tmpfile_path;
}

static struct conf *load_ok(const char *text)
{
	struct conf *c = NULL;
	char err[512] = "";
	const char *path = write_file(text);
	int rc = conf_load(path, &c, err, sizeof(err));
	if (rc != 0)
		fail_msg("unexpected error: %s", err);
	unlink(path);
	assert_non_null(c);
	assert_string_equal(c->path, path);
	return c;
}

/* Load text, expect failure, and compare the message after "path:". */
static void load_fails(const char *text, const char *expect)
{
	struct conf *c = (struct conf *)1;
	char err[512] = "", full[600];
	const char *path = write_file(text);
	assert_int_equal(conf_load(path, &c, err, sizeof(err)), ILNPDNS_ECONF);
	assert_null(c);
	snprintf(full, sizeof(full), "%s:%s", path, expect);
	unlink(path);
	assert_string_equal(err, full);
}

static uint16_t port_of(const struct conf_addr *a)
{
	if (a->ss.ss_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)&a->ss)->sin_port);
	return ntohs(((const struct sockaddr_in6 *)&a->ss)->sin6_port);
}

static unsigned nproc(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	return n < 1 ? 1 : (unsigned)n;
}

static void check_defaults_server(const struct conf *c)
{
	assert_int_equal(c->nlisten, 2);
	assert_string_equal(c->listen[0].text, "127.0.0.1@5300");
	assert_int_equal(c->listen[0].ss.ss_family, AF_INET);
	assert_int_equal(c->listen[0].len, sizeof(struct sockaddr_in));
	assert_int_equal(port_of(&c->listen[0]), 5300);
	assert_int_equal(((const struct sockaddr_in *)&c->listen[0].ss)->sin_addr.s_addr,
	                 htonl(INADDR_LOOPBACK));
	assert_string_equal(c->listen[1].text, "::1@5300");
	assert_int_equal(c->listen[1].ss.ss_family, AF_INET6);
	assert_int_equal(c->listen[1].len, sizeof(struct sockaddr_in6));
	assert_int_equal(port_of(&c->listen[1]), 5300);
	assert_true(
	    IN6_IS_ADDR_LOOPBACK(&((const struct sockaddr_in6 *)&c->listen[1].ss)->sin6_addr));
	assert_string_equal(c->database, "var/ilnpdns");
	assert_int_equal(c->mapsize, (size_t)4 << 30);
	assert_int_equal(c->workers, nproc());
	assert_int_equal(c->ilnp_ttl, 0);
	assert_string_equal(c->control, "var/ilnpdns.sock");
	assert_null(c->metrics);
	assert_int_equal(c->edns_size, 1232);
	assert_int_equal(c->tcp_idle_ms, 10000);
	assert_int_equal(c->tcp_max_clients, 1000);
	assert_int_equal(c->tcp_max_per_source, 32);
	assert_int_equal(c->log_level, LOG_NOTICE);
	assert_false(c->log_syslog);
	assert_null(c->user);
}

static void check_default_zone(const struct conf *c)
{
	uint8_t apex[ILNPDNS_DNAME_MAXLEN];
	assert_int_equal(c->nzones, 1);
	assert_string_equal(c->zones[0].domain, "example.ilnp.");
	assert_string_equal(c->zones[0].file, "zones/example.ilnp.zone");
	assert_int_equal(c->zones[0].ilnp_ttl, 0);
	assert_true(ilnpdns_dname_from_str("example.ilnp.", apex) > 0);
	assert_true(ilnpdns_dname_equal(c->zones[0].apex, apex));
	assert_ptr_equal(conf_zone_find(c, apex), &c->zones[0]);
}

static void test_defaults(void **state)
{
	struct conf *c = NULL;
	assert_int_equal(conf_defaults(&c), 0);
	assert_null(c->path);
	check_defaults_server(c);
	check_default_zone(c);
	conf_free(c);
}

/* zones/ilnpdnsd.yaml documents the built-in defaults: it must load to the same values. */
static void test_example_file_is_defaults(void **state)
{
	const char *top = getenv("top_srcdir");
	char path[1024], err[512] = "";
	struct conf *c = NULL;
	snprintf(path, sizeof(path), "%s/zones/ilnpdnsd.yaml", top != NULL ? top : ".");
	if (conf_load(path, &c, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	check_defaults_server(c);
	check_default_zone(c);
	conf_free(c);
}

static void test_empty_file(void **state)
{
	struct conf *c = load_ok("");
	check_defaults_server(c);
	assert_int_equal(c->nzones, 0);
	conf_free(c);
	c = load_ok("# only a comment\n");
	check_defaults_server(c);
	conf_free(c);
	c = load_ok("server:\nzone:\n");
	check_defaults_server(c);
	assert_int_equal(c->nzones, 0);
	conf_free(c);
}

static void test_every_key(void **state)
{
	struct conf *c =
	    load_ok("server:\n"
	            "  listen: [ \"192.0.2.1@53\", \"2001:db8::1@5353\", \"10.0.0.1\" ]\n"
	            "  database: /srv/ilnpdns/db\n"
	            "  mapsize: 512M\n"
	            "  workers: 3\n"
	            "  ilnp-ttl: 60\n"
	            "  control: /run/ilnpdns.sock\n"
	            "  metrics: 127.0.0.1@9153\n"
	            "  edns-size: 4096\n"
	            "  tcp-idle-timeout: 2500ms\n"
	            "  tcp-max-clients: 50\n"
	            "  tcp-max-per-source: 5\n"
	            "  log-level: debug\n"
	            "  log: syslog\n"
	            "  user: root\n"
	            "zone:\n"
	            "  - domain: example.ilnp\n"
	            "    file: zones/example.ilnp.zone\n"
	            "  - domain: Other.Test.\n"
	            "    ilnp-ttl: keep\n"
	            "  - domain: third.test.\n"
	            "    file: third.zone\n"
	            "    ilnp-ttl: 0\n");
	uint8_t apex[ILNPDNS_DNAME_MAXLEN];

	assert_int_equal(c->nlisten, 3);
	assert_string_equal(c->listen[0].text, "192.0.2.1@53");
	assert_int_equal(port_of(&c->listen[0]), 53);
	assert_string_equal(c->listen[1].text, "2001:db8::1@5353");
	assert_int_equal(c->listen[1].ss.ss_family, AF_INET6);
	assert_int_equal(port_of(&c->listen[1]), 5353);
	/* Without "@port" a listen address takes port 53. */
	assert_string_equal(c->listen[2].text, "10.0.0.1");
	assert_int_equal(port_of(&c->listen[2]), 53);
	assert_string_equal(c->database, "/srv/ilnpdns/db");
	assert_int_equal(c->mapsize, (size_t)512 << 20);
	assert_int_equal(c->workers, 3);
	assert_int_equal(c->ilnp_ttl, 60);
	assert_string_equal(c->control, "/run/ilnpdns.sock");
	assert_non_null(c->metrics);
	assert_string_equal(c->metrics->text, "127.0.0.1@9153");
	assert_int_equal(port_of(c->metrics), 9153);
	assert_int_equal(c->edns_size, 4096);
	assert_int_equal(c->tcp_idle_ms, 2500);
	assert_int_equal(c->tcp_max_clients, 50);
	assert_int_equal(c->tcp_max_per_source, 5);
	assert_int_equal(c->log_level, LOG_DEBUG);
	assert_true(c->log_syslog);
	assert_string_equal(c->user, "root");

	assert_int_equal(c->nzones, 3);
	assert_string_equal(c->zones[0].domain, "example.ilnp");
	assert_string_equal(c->zones[0].file, "zones/example.ilnp.zone");
	assert_int_equal(c->zones[0].ilnp_ttl, 60); /* inherited from server.ilnp-ttl */
	assert_string_equal(c->zones[1].domain, "Other.Test.");
	assert_null(c->zones[1].file);
	assert_int_equal(c->zones[1].ilnp_ttl, STORE_ILNP_TTL_KEEP);
	assert_int_equal(c->zones[2].ilnp_ttl, 0);
	/* Lookup is case-insensitive. */
	assert_true(ilnpdns_dname_from_str("other.TEST.", apex) > 0);
	assert_ptr_equal(conf_zone_find(c, apex), &c->zones[1]);
	assert_true(ilnpdns_dname_from_str("nothere.test.", apex) > 0);
	assert_null(conf_zone_find(c, apex));
	conf_free(c);
}

/* The zone default follows server.ilnp-ttl even when "server:" comes after "zone:". */
static void test_zone_ttl_inherits_in_any_order(void **state)
{
	struct conf *c = load_ok("zone:\n  - domain: a.test.\nserver:\n  ilnp-ttl: keep\n");
	assert_int_equal(c->ilnp_ttl, STORE_ILNP_TTL_KEEP);
	assert_int_equal(c->zones[0].ilnp_ttl, STORE_ILNP_TTL_KEEP);
	conf_free(c);
}

static void test_value_forms(void **state)
{
	struct conf *c = load_ok("server:\n  listen: \"::1@53\"\n  mapsize: 2G\n"
	                         "  tcp-idle-timeout: 2m\n  ilnp-ttl: 2147483647\n");
	assert_int_equal(c->nlisten, 1); /* a single address without brackets */
	assert_int_equal(c->mapsize, (size_t)2 << 30);
	assert_int_equal(c->tcp_idle_ms, 120000);
	assert_int_equal(c->ilnp_ttl, 2147483647u);
	conf_free(c);
	c = load_ok("server:\n  mapsize: 1048576\n  tcp-idle-timeout: 30\n  workers: 1024\n"
	            "  log-level: error\n");
	assert_int_equal(c->mapsize, 1048576);
	assert_int_equal(c->tcp_idle_ms, 30000); /* a bare number is seconds */
	assert_int_equal(c->workers, 1024);
	assert_int_equal(c->log_level, LOG_ERR);
	conf_free(c);
	c = load_ok("server: { workers: 2, log-level: warning, mapsize: 3072k }\n");
	assert_int_equal(c->workers, 2);
	assert_int_equal(c->log_level, LOG_WARNING);
	assert_int_equal(c->mapsize, 3 << 20);
	conf_free(c);
}

static void test_unknown_keys(void **state)
{
	load_fails("bogus: 1\n", "1: bogus: unknown key");
	load_fails("server:\n  workers: 2\n  workres: 2\n", "3: server.workres: unknown key");
	load_fails("zone:\n  - domain: a.test.\n    master: a.zone\n",
	           "3: zone.master: unknown key");
	/* Keys of later issues are not accepted before they do something. */
	load_fails("key:\n  - id: k1\n", "1: key: unknown key");
	load_fails("server:\n  [a]: 1\n", "2: server: keys must be plain words");
}

static void test_duplicate_keys(void **state)
{
	load_fails("server:\n  workers: 2\n  workers: 3\n", "3: server.workers: duplicate key");
	load_fails("server:\n  workers: 2\nzone: []\nserver:\n  workers: 3\n",
	           "4: server: duplicate key");
	load_fails("zone:\n  - domain: a.test.\n    file: a\n    file: b\n",
	           "4: zone.file: duplicate key");
}

static void test_wrong_types(void **state)
{
	load_fails("server:\n  workers: two\n",
	           "2: server.workers: expected an integer, not \"two\"");
	load_fails("server:\n  workers: -1\n",
	           "2: server.workers: expected an integer, not \"-1\"");
	load_fails("server:\n  workers: [ 1 ]\n",
	           "2: server.workers: expected a single value, not a list");
	load_fails("server:\n  database: { a: b }\n",
	           "2: server.database: expected a single value, not a map");
	load_fails("server: 5\n", "1: server: expected a map of keys");
	load_fails("- server\n", "1: (top): expected a map of keys such as \"server:\"");
	load_fails("zone:\n  domain: a.test.\n",
	           "2: zone: expected a list (each item starting with \"- \")");
	load_fails("zone:\n  - a.test.\n", "2: zone: expected a map in each list item");
	load_fails("server:\n  database:\n  workers: 1\n", "2: server.database: missing value");
	load_fails("server:\n  control: \"\"\n", "2: server.control: empty value");
	load_fails("server:\n  ilnp-ttl: forever\n",
	           "2: server.ilnp-ttl: expected an integer or \"keep\", not \"forever\"");
	load_fails("server:\n  mapsize: 4X\n",
	           "2: server.mapsize: expected a size such as 512M or 4G, not \"4X\"");
	load_fails("server:\n  tcp-idle-timeout: 10 s\n",
	           "2: server.tcp-idle-timeout: expected a duration such as 10s, 500ms or 5m, "
	           "not \"10 s\"");
	load_fails("server:\n  log-level: loud\n",
	           "2: server.log-level: expected one of error, warning, notice, info, debug, "
	           "not \"loud\"");
	load_fails("server:\n  log: file\n",
	           "2: server.log: expected one of stderr, syslog, not \"file\"");
	load_fails("server:\n  listen: { a: b }\n",
	           "2: server.listen: expected an address or a list of addresses");
}

static void test_out_of_range(void **state)
{
	load_fails("server:\n  workers: 0\n", "2: server.workers: out of range (1 to 1024)");
	load_fails("server:\n  workers: 1025\n", "2: server.workers: out of range (1 to 1024)");
	load_fails("server:\n  workers: 99999999999999999999999\n",
	           "2: server.workers: out of range (1 to 1024)");
	load_fails("server:\n  edns-size: 511\n",
	           "2: server.edns-size: out of range (512 to 4096)");
	load_fails("server:\n  ilnp-ttl: 2147483648\n",
	           "2: server.ilnp-ttl: out of range (0 to 2147483647)");
	load_fails("server:\n  mapsize: 1k\n", "2: server.mapsize: out of range (1M to 1T)");
	load_fails("server:\n  mapsize: 2T\n", "2: server.mapsize: out of range (1M to 1T)");
	load_fails("server:\n  tcp-idle-timeout: 2h\n",
	           "2: server.tcp-idle-timeout: out of range (100ms to 1h)");
	load_fails("server:\n  tcp-idle-timeout: 99ms\n",
	           "2: server.tcp-idle-timeout: out of range (100ms to 1h)");
	load_fails("server:\n  tcp-max-clients: 0\n",
	           "2: server.tcp-max-clients: out of range (1 to 1000000)");
	load_fails("server:\n  tcp-max-per-source: 1000001\n",
	           "2: server.tcp-max-per-source: out of range (1 to 1000000)");
	load_fails("zone:\n  - domain: a.test.\n    ilnp-ttl: 4294967295\n",
	           "3: zone.ilnp-ttl: out of range (0 to 2147483647)");
}

static void test_bad_addresses(void **state)
{
	load_fails("server:\n  listen: [ \"127.0.0.1@5300\", \"300.1.1.1@53\" ]\n",
	           "2: server.listen: \"300.1.1.1@53\" is not an IP address (write ip@port)");
	load_fails("server:\n  listen:\n    - ::1@53\n    - ns1.example@53\n",
	           "4: server.listen: \"ns1.example@53\" is not an IP address (write ip@port)");
	load_fails("server:\n  listen: ::1@70000\n",
	           "2: server.listen: bad port in \"::1@70000\" (expected 1 to 65535)");
	load_fails("server:\n  listen: ::1@0\n",
	           "2: server.listen: bad port in \"::1@0\" (expected 1 to 65535)");
	load_fails("server:\n  listen: \"@53\"\n",
	           "2: server.listen: \"@53\" is not an IP address (write ip@port)");
	load_fails("server:\n  listen: []\n",
	           "2: server.listen: expected 1 to 64 addresses, got 0");
	load_fails("server:\n  listen: [ 127.0.0.1@53, 127.0.0.1@53 ]\n",
	           "2: server.listen: address \"127.0.0.1@53\" listed twice");
	load_fails("server:\n  metrics: 127.0.0.1\n",
	           "2: server.metrics: \"127.0.0.1\" has no port (write ip@port)");
	load_fails("server:\n  metrics: [ 127.0.0.1@1, 127.0.0.1@2 ]\n",
	           "2: server.metrics: expected at most one address, got 2");
	load_fails("server:\n  listen: [ [ 127.0.0.1@53 ] ]\n",
	           "2: server.listen: expected a single value, not a list");
}

static void test_bad_zones(void **state)
{
	load_fails(
	    "zone:\n  - domain: bad..name.\n",
	    "2: zone.domain: \"bad..name.\" is not a valid domain name (invalid domain name)");
	load_fails(
	    "zone:\n  - domain: "
	    "a234567890123456789012345678901234567890123456789012345678901234.test\n",
	    "2: zone.domain: \"a234567890123456789012345678901234567890123456789012345678901234"
	    ".test\" is not a valid domain name (invalid domain name)");
	load_fails("zone:\n  - domain: a.test.\n  - domain: b.test.\n  - domain: A.TEST\n",
	           "4: zone.domain: zone \"A.TEST\" is already configured");
	load_fails("zone:\n  - file: a.zone\n", "2: zone.domain: missing (required)");
}

static void test_other_checks(void **state)
{
	char longpath[300], text[400];
	memset(longpath, 'x', 120);
	longpath[120] = '\0';
	snprintf(text, sizeof(text), "server:\n  control: /%s\n", longpath);
	load_fails(text, "2: server.control: socket path longer than 107 characters");
	load_fails("server:\n  user: no-such-user-ilnpdns\n",
	           "2: server.user: no such user \"no-such-user-ilnpdns\"");
	load_fails("server: {}\n---\nzone: []\n", "3: (top): only one YAML document is allowed");
}

static void test_syntax_and_io_errors(void **state)
{
	struct conf *c = (struct conf *)1;
	char err[512];
	const char *path = write_file("server:\n  listen: [ \"a@1\"\n  workers: 2\n");
	assert_int_equal(conf_load(path, &c, err, sizeof(err)), ILNPDNS_ECONF);
	assert_null(c);
	char prefix[128];
	snprintf(prefix, sizeof(prefix), "%s:", path);
	assert_memory_equal(err, prefix, strlen(prefix));
	assert_non_null(strstr(err, ": YAML syntax: "));
	unlink(path);

	assert_int_equal(conf_load("/nonexistent/ilnpdnsd.yaml", &c, err, sizeof(err)),
	                 ILNPDNS_ECONF);
	assert_string_equal(err, "/nonexistent/ilnpdnsd.yaml: No such file or directory");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_defaults),
	    cmocka_unit_test(test_example_file_is_defaults),
	    cmocka_unit_test(test_empty_file),
	    cmocka_unit_test(test_every_key),
	    cmocka_unit_test(test_zone_ttl_inherits_in_any_order),
	    cmocka_unit_test(test_value_forms),
	    cmocka_unit_test(test_unknown_keys),
	    cmocka_unit_test(test_duplicate_keys),
	    cmocka_unit_test(test_wrong_types),
	    cmocka_unit_test(test_out_of_range),
	    cmocka_unit_test(test_bad_addresses),
	    cmocka_unit_test(test_bad_zones),
	    cmocka_unit_test(test_other_checks),
	    cmocka_unit_test(test_syntax_and_io_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
