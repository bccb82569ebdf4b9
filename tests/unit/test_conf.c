/* SPDX-License-Identifier: BSD-2-Clause */
/* test_conf.c -- ilnpdnsd configuration: every key, defaults, and every error message. */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include <cmocka.h>

#include "conf.h"
#include "ilnpdns/dname.h"
#include "ilnpdns/error.h"
#include "ilnpdns/log.h"
#include "ilnpdns/wire.h"
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
	assert_int_equal(c->tcp_message_ms, 5000);
	assert_int_equal(c->tcp_max_clients, 1000);
	assert_int_equal(c->tcp_max_per_source, 32);
	assert_int_equal(c->log_level, LOG_NOTICE);
	assert_false(c->log_syslog);
	assert_null(c->user);
	assert_int_equal(c->update_batch_max, 64);
	assert_int_equal(c->sig0_fail_limit, 20);
	assert_int_equal(c->update_max_rrs, 1000);
	assert_false(c->update_require_cookie);
	assert_false(c->log_queries);
	assert_false(c->cookie_secret_set);
	assert_false(c->rrl_enable);
	assert_int_equal(c->rrl_rate, 20);
	assert_int_equal(c->rrl_slip, 2);
	assert_int_equal(c->rrl_v4_prefix, 24);
	assert_int_equal(c->rrl_v6_prefix, 56);
	assert_int_equal(c->rrl_table_size, 65536);
	assert_int_equal(c->refs, 1);
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
	/* No secondaries and no transfers by default. */
	assert_int_equal(c->zones[0].nnotify, 0);
	assert_int_equal(c->zones[0].nallow_transfer, 0);
	assert_int_equal(c->zones[0].journal_max_entries, 1000);
}

static uint8_t *wire(const char *name)
{
	/* A ring: a test may hold up to 16 names at once. */
	static uint8_t buf[16][ILNPDNS_DNAME_MAXLEN];
	static unsigned next;
	uint8_t *w = buf[next++ % 16];
	assert_true(ilnpdns_dname_from_str(name, w) > 0);
	return w;
}

/* The example key, its policy and the other update settings of the quick start. */
static void check_default_update(const struct conf *c)
{
	static const uint8_t secret[] = {0x19, 0xb8, 0xe8, 0xe3, 0x6c, 0xd2, 0x99, 0xc4,
	                                 0xe4, 0x57, 0xa9, 0xe9, 0x46, 0x38, 0x27, 0xcd,
	                                 0x84, 0x6b, 0xc6, 0xd5, 0x92, 0xbe, 0x22, 0x12,
	                                 0xa6, 0xe2, 0x72, 0x89, 0xa2, 0x1b, 0x28, 0xf4};
	const struct conf_zone *z = &c->zones[0];
	const uint8_t *key = wire("mn-key.example.ilnp.");

	assert_int_equal(c->nkeys, 1);
	assert_ptr_equal(conf_key_find(c, key), &c->keys[0]);
	assert_int_equal(c->keys[0].alg, ILNPDNS_TSIG_HMAC_SHA256);
	assert_int_equal(c->keys[0].mac_len, 32);
	assert_int_equal(c->keys[0].secret_len, sizeof(secret));
	assert_memory_equal(c->keys[0].secret, secret, sizeof(secret));

	assert_int_equal(z->update_policy.count, 2);
	assert_int_equal(z->serial_policy, UPDATE_SERIAL_INCREMENT);
	assert_int_equal(z->nallow_unsigned, 0);
	/* The key may move every locator of mn, and L64/L32 anywhere in the zone. */
	const uint8_t *mn = wire("mn.example.ilnp."), *h1 = wire("host1.example.ilnp.");
	assert_true(policy_allows(&z->update_policy, key, mn, ILNPDNS_T_NID));
	assert_true(policy_allows(&z->update_policy, key, mn, ILNPDNS_T_LP));
	assert_true(policy_allows(&z->update_policy, key, h1, ILNPDNS_T_L64));
	assert_true(policy_allows(&z->update_policy, key, h1, ILNPDNS_T_L32));
	assert_false(policy_allows(&z->update_policy, key, h1, ILNPDNS_T_NID));
	assert_false(policy_allows(&z->update_policy, key, mn, ILNPDNS_T_A));
	assert_false(policy_allows(&z->update_policy, NULL, mn, ILNPDNS_T_L64));
}

/* The example key file is named relative to the top of the source tree. */
static void chdir_top(char *saved, size_t cap)
{
	const char *top = getenv("top_srcdir");
	assert_non_null(getcwd(saved, cap));
	assert_int_equal(chdir(top != NULL ? top : "."), 0);
}

static void test_defaults(void **state)
{
	struct conf *c = NULL;
	char cwd[1024];
	chdir_top(cwd, sizeof(cwd));
	assert_int_equal(conf_defaults(&c), 0);
	assert_int_equal(chdir(cwd), 0);
	assert_null(c->path);
	check_defaults_server(c);
	check_default_zone(c);
	check_default_update(c);
	conf_unref(c);
}

/* Without zones/example.ilnp.keys at hand the defaults fail, and say why. */
static void test_defaults_need_key_file(void **state)
{
	struct conf *c = (struct conf *)1;
	char cwd[1024], log[1024] = "";
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	assert_int_equal(chdir("/"), 0);
	int saved = dup(STDERR_FILENO);
	FILE *tmp = tmpfile();
	assert_non_null(tmp);
	dup2(fileno(tmp), STDERR_FILENO);
	int rc = conf_defaults(&c);
	dup2(saved, STDERR_FILENO);
	close(saved);
	assert_int_equal(chdir(cwd), 0);
	rewind(tmp);
	size_t n = fread(log, 1, sizeof(log) - 1, tmp);
	log[n] = '\0';
	fclose(tmp);
	assert_int_equal(rc, ILNPDNS_ECONF);
	assert_null(c);
	assert_non_null(strstr(log, "built-in defaults: key-file: zones/example.ilnp.keys: "));
}

/* zones/ilnpdnsd.yaml documents the built-in defaults: it must load to the same values. */
static void test_example_file_is_defaults(void **state)
{
	char path[1024], err[512] = "", cwd[1024];
	struct conf *c = NULL, *d = NULL;
	chdir_top(cwd, sizeof(cwd));
	snprintf(path, sizeof(path), "zones/ilnpdnsd.yaml");
	if (conf_load(path, &c, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	assert_int_equal(conf_defaults(&d), 0);
	assert_int_equal(chdir(cwd), 0);
	check_defaults_server(c);
	check_default_zone(c);
	check_default_update(c);
	/* Rule for rule, key for key. */
	const struct policy *a = &c->zones[0].update_policy, *b = &d->zones[0].update_policy;
	assert_int_equal(a->count, b->count);
	for (size_t i = 0; i < a->count; i++) {
		const struct policy_rule *x = &a->rules[i], *y = &b->rules[i];
		assert_int_equal(x->grant, y->grant);
		assert_int_equal(x->kind, y->kind);
		assert_int_equal(x->has_name, y->has_name);
		assert_int_equal(x->any_type, y->any_type);
		assert_int_equal(x->ntypes, y->ntypes);
		assert_memory_equal(x->types, y->types, x->ntypes * sizeof(uint16_t));
		assert_true(ilnpdns_dname_equal(x->key, y->key));
		assert_true(!x->has_name || ilnpdns_dname_equal(x->name, y->name));
	}
	assert_int_equal(c->nkeys, d->nkeys);
	assert_memory_equal(c->keys, d->keys, c->nkeys * sizeof(*c->keys));
	assert_int_equal(c->zones[0].serial_policy, d->zones[0].serial_policy);
	conf_free(c);
	conf_free(d);
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
	load_fails("acl:\n  - id: a1\n", "1: acl: unknown key");
	load_fails("zone:\n  - domain: a.test.\n    also-notify: [ 127.0.0.1 ]\n",
	           "3: zone.also-notify: unknown key");
	load_fails("key:\n  - id: k1\n    algorithm: hmac-sha256\n    secret: AAAA\n    "
	           "fudge: 300\n",
	           "5: key.fudge: unknown key");
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

/* ---- issue 3: keys, key files, update policy ---- */

static char keyfile_path[64];

/* Write a key file with the given mode; its path is keyfile_path. */
static const char *write_keyfile(const char *text, mode_t mode)
{
	strcpy(keyfile_path, "/tmp/ilnpdns-test-keys-XXXXXX");
	int fd = mkstemp(keyfile_path);
	assert_true(fd >= 0);
	assert_int_equal(fchmod(fd, mode), 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	assert_int_equal(close(fd), 0);
	return keyfile_path;
}

/* Run conf_load on a file of the given mode with stderr captured into log (for log_warnx). */
static int load_logged_mode(const char *text, mode_t mode, struct conf **c, char *err,
                            size_t errlen, char *log, size_t loglen)
{
	const char *path = write_file(text);
	assert_int_equal(chmod(path, mode), 0);
	int saved = dup(STDERR_FILENO);
	FILE *tmp = tmpfile();
	assert_non_null(tmp);
	fflush(stderr);
	dup2(fileno(tmp), STDERR_FILENO);
	int rc = conf_load(path, c, err, errlen);
	dup2(saved, STDERR_FILENO);
	close(saved);
	unlink(path);
	rewind(tmp);
	size_t n = fread(log, 1, loglen - 1, tmp);
	log[n] = '\0';
	fclose(tmp);
	return rc;
}

static int load_logged(const char *text, struct conf **c, char *err, size_t errlen, char *log,
                       size_t loglen)
{
	return load_logged_mode(text, 0600, c, err, errlen, log, loglen);
}

/* A config file holding inline secrets is itself a key file: warn when others can read it. */
static void test_inline_secrets_exposed(void **state)
{
	static const char with_key[] = "key:\n  - { id: k1, algorithm: hmac-sha256, secret: AQID }\n";
	char err[512] = "", log[1024];
	struct conf *c = NULL;

	(void)state;
	ilnpdns_log_init("test_conf", LOG_DEBUG, false);
	assert_int_equal(load_logged_mode(with_key, 0644, &c, err, sizeof(err), log, sizeof(log)),
	                 0);
	assert_non_null(strstr(log, "holds secrets and is readable by group or others"));
	conf_free(c);
	assert_int_equal(load_logged_mode(with_key, 0640, &c, err, sizeof(err), log, sizeof(log)),
	                 0);
	assert_non_null(strstr(log, "holds secrets and is readable by group or others"));
	conf_free(c);
	assert_int_equal(load_logged_mode(with_key, 0600, &c, err, sizeof(err), log, sizeof(log)),
	                 0);
	assert_null(strstr(log, "readable"));
	conf_free(c);
	/* No secrets in it: nothing to protect. */
	assert_int_equal(load_logged_mode("server:\n  workers: 1\n", 0644, &c, err, sizeof(err),
	                                  log, sizeof(log)),
	                 0);
	assert_null(strstr(log, "readable"));
	conf_free(c);
}

static void test_keys(void **state)
{
	struct conf *c = load_ok("key:\n"
	                         "  - id: Host1-Key\n"
	                         "    algorithm: hmac-sha256\n"
	                         "    secret: \"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\"\n"
	                         "  - { id: old., algorithm: hmac-sha1, secret: AQID }\n"
	                         "  - id: short\n"
	                         "    algorithm: hmac-sha384-192\n"
	                         "    secret: AQID\n"
	                         "  - id: legacy\n"
	                         "    algorithm: hmac-md5\n"
	                         "    allow-md5: true\n"
	                         "    secret: AQID\n"
	                         "  - { id: s224, algorithm: hmac-sha224, secret: AQID }\n"
	                         "  - { id: s512, algorithm: HMAC-SHA512., secret: AQID }\n");
	assert_int_equal(c->nkeys, 6);
	/* Names are wire form, lowercased; lookup ignores case. */
	assert_memory_equal(c->keys[0].name, "\x09host1-key\x00", 11);
	assert_ptr_equal(conf_key_find(c, wire("HOST1-KEY.")), &c->keys[0]);
	assert_ptr_equal(conf_tsig_lookup(wire("host1-key"), c), &c->keys[0]);
	assert_null(conf_key_find(c, wire("host2-key.")));
	assert_int_equal(c->keys[0].alg, ILNPDNS_TSIG_HMAC_SHA256);
	assert_int_equal(c->keys[0].secret_len, 32);
	for (int i = 0; i < 32; i++)
		assert_int_equal(c->keys[0].secret[i], i);
	assert_int_equal(c->keys[1].alg, ILNPDNS_TSIG_HMAC_SHA1);
	assert_int_equal(c->keys[1].mac_len, 20);
	assert_int_equal(c->keys[2].alg, ILNPDNS_TSIG_HMAC_SHA384);
	assert_int_equal(c->keys[2].mac_len, 24); /* 192 bits: BIND's truncated form */
	assert_int_equal(c->keys[3].alg, ILNPDNS_TSIG_HMAC_MD5);
	assert_int_equal(c->keys[4].alg, ILNPDNS_TSIG_HMAC_SHA224);
	assert_int_equal(c->keys[5].alg, ILNPDNS_TSIG_HMAC_SHA512);
	assert_int_equal(c->keys[3].secret_len, 3);
	conf_free(c);
}

static void test_key_errors(void **state)
{
	load_fails("key:\n  - id: k1\n    algorithm: hmac-md5\n    secret: AQID\n",
	           "3: key.algorithm: algorithm \"hmac-md5\" not allowed (hmac-md5 is refused "
	           "by default)");
	load_fails("key:\n  - id: k1\n    algorithm: hmac-md5\n    allow-md5: false\n"
	           "    secret: AQID\n",
	           "3: key.algorithm: algorithm \"hmac-md5\" not allowed (hmac-md5 is refused "
	           "by default)");
	load_fails("key:\n  - id: k1\n    algorithm: hmac-sha3\n    secret: AQID\n",
	           "3: key.algorithm: unknown algorithm \"hmac-sha3\"");
	load_fails("key:\n  - id: k1\n    algorithm: hmac-sha256-64\n    secret: AQID\n",
	           "3: key.algorithm: algorithm \"hmac-sha256-64\": MAC truncation out of range");
	load_fails("key:\n  - id: k1\n    algorithm: hmac-sha256\n    secret: \"not base64!\"\n",
	           "4: key.secret: secret is not valid base64");
	load_fails("key:\n  - secret: AQID\n    algorithm: hmac-sha256\n    id: bad..name\n",
	           "4: key.id: invalid key name \"bad..name\"");
	load_fails("key:\n  - { id: k1, algorithm: hmac-sha256, secret: AQID }\n"
	           "  - { id: K1., algorithm: hmac-sha1, secret: AQID }\n",
	           "3: key.id: key \"K1.\" is already configured");
	load_fails("key:\n  - id: k1\n    algorithm: hmac-sha256\n",
	           "2: key.secret: missing (required)");
	load_fails("key:\n  - { id: k1, secret: AQID }\n", "2: key.algorithm: missing (required)");
	load_fails("key:\n  - { id: k1, algorithm: hmac-sha256, secret: AQID, allow-md5: maybe }\n",
	           "2: key.allow-md5: expected true or false, not \"maybe\"");
	load_fails("key: { id: k1 }\n", "1: key: expected a list (each item starting with \"- \")");
}

static const char keyfile_two[] = "# test keys\n"
                                  "key \"file-a.\" {\n"
                                  "\talgorithm hmac-sha512;\n"
                                  "\tsecret \"AQIDBA==\";\n"
                                  "};\n"
                                  "key file-b { algorithm hmac-sha256; secret \"BQYH\"; };\n";

static void test_key_files(void **state)
{
	char text[512], err[512] = "", log[1024];
	struct conf *c = NULL;

	/* One path without brackets, after two key: entries; mode 0600: no warning. */
	const char *kf = write_keyfile(keyfile_two, 0600);
	snprintf(text, sizeof(text),
	         "key-file: %s\nkey:\n  - { id: k1, algorithm: hmac-sha256, secret: AQID }\n", kf);
	ilnpdns_log_init("test_conf", LOG_DEBUG, false);
	assert_int_equal(load_logged(text, &c, err, sizeof(err), log, sizeof(log)), 0);
	assert_int_equal(c->nkeys, 3);
	assert_ptr_equal(conf_key_find(c, wire("k1.")), &c->keys[0]);
	const struct ilnpdns_tsig_key *a = conf_key_find(c, wire("FILE-A."));
	assert_ptr_equal(a, &c->keys[1]);
	assert_int_equal(a->alg, ILNPDNS_TSIG_HMAC_SHA512);
	assert_int_equal(a->secret_len, 4);
	assert_memory_equal(a->secret, "\x01\x02\x03\x04", 4);
	assert_int_equal(conf_key_find(c, wire("file-b"))->alg, ILNPDNS_TSIG_HMAC_SHA256);
	assert_null(strstr(log, "readable"));
	conf_free(c);

	/* A list of files; one readable by others draws a warning naming it. */
	char first[64];
	strcpy(first, kf);
	const char *kf2 =
	    write_keyfile("key \"third\" { algorithm hmac-sha1; secret \"CAkK\"; };\n", 0644);
	snprintf(text, sizeof(text), "key-file:\n  - %s\n  - %s\n", first, kf2);
	assert_int_equal(load_logged(text, &c, err, sizeof(err), log, sizeof(log)), 0);
	assert_int_equal(c->nkeys, 3);
	assert_non_null(conf_key_find(c, wire("third.")));
	char expect[256];
	snprintf(expect, sizeof(expect),
	         "warning: key file %s is readable by group or others: its secrets are exposed",
	         kf2);
	assert_non_null(strstr(log, expect));
	assert_null(strstr(log, first)); /* the 0600 file is not named */
	conf_free(c);
	/* Group-readable counts as exposed too. */
	assert_int_equal(chmod(kf2, 0640), 0);
	assert_int_equal(load_logged(text, &c, err, sizeof(err), log, sizeof(log)), 0);
	assert_non_null(strstr(log, expect));
	conf_free(c);
	unlink(kf2);

	/* hmac-md5 from a key file is refused: only a key: entry can allow it. */
	const char *kf3 =
	    write_keyfile("key \"m\" { algorithm hmac-md5; secret \"CAkK\"; };\n", 0600);
	char third[64];
	strcpy(third, kf3);
	snprintf(text, sizeof(text), "key-file: [ %s ]\n", third);
	snprintf(expect, sizeof(expect),
	         "1: key-file: %s:1: key \"m\": algorithm \"hmac-md5\" not allowed", third);
	c = (struct conf *)1;
	const char *path = write_file(text);
	assert_int_equal(conf_load(path, &c, err, sizeof(err)), ILNPDNS_ECONF);
	assert_null(c);
	if (strstr(err, expect) == NULL)
		fail_msg("got \"%s\", expected \"%s\"", err, expect);
	unlink(path);
	unlink(third);
	unlink(first);
}

static void test_key_file_errors(void **state)
{
	char text[512], expect[512], kf[64];

	load_fails("key-file: /nonexistent/ilnpdns.keys\n",
	           "1: key-file: /nonexistent/ilnpdns.keys: No such file or directory");
	load_fails("key-file: { a: b }\n", "1: key-file: expected a value or a list of values");
	load_fails("key-file: [ [ a ] ]\n", "1: key-file: expected a single value, not a list");

	/* A syntax error names the key file's own line after the config's. */
	strcpy(kf, write_keyfile("key \"x\" {\n\talgorithm hmac-sha256;\n};\n", 0600));
	snprintf(text, sizeof(text), "server: {}\nkey-file: %s\n", kf);
	snprintf(expect, sizeof(expect), "2: key-file: %s:", kf);
	struct conf *c = (struct conf *)1;
	char err[512];
	const char *path = write_file(text);
	assert_int_equal(conf_load(path, &c, err, sizeof(err)), ILNPDNS_ECONF);
	assert_null(c);
	assert_non_null(strstr(err, expect));
	unlink(path);
	unlink(kf);

	/* The same name in key: and in a key file. */
	strcpy(kf, write_keyfile(keyfile_two, 0600));
	snprintf(text, sizeof(text),
	         "key:\n  - { id: file-b, algorithm: hmac-sha256, secret: AQID }\n"
	         "key-file:\n  - %s\n",
	         kf);
	snprintf(expect, sizeof(expect), "4: key-file: %s: key \"file-b.\" is already configured",
	         kf);
	load_fails(text, expect);
	/* The same file twice. */
	snprintf(text, sizeof(text), "key-file: [ %s, %s ]\n", kf, kf);
	snprintf(expect, sizeof(expect), "1: key-file: %s: key \"file-a.\" is already configured",
	         kf);
	load_fails(text, expect);
	unlink(kf);
}

static void test_update_settings(void **state)
{
	char text[1024];
	struct conf *c = NULL;
	const char *kf = write_keyfile(keyfile_two, 0600);
	snprintf(text, sizeof(text),
	         "server:\n"
	         "  update-batch-max: 4096\n"
	         "  update-fail-limit: 5\n"
	         "zone:\n"
	         "  - domain: example.ilnp.\n"
	         "    update-policy:\n"
	         "      - grant host1-key self host1.example.ilnp. NID L64 L32 LP\n"
	         "      - deny file-a name www.example.ilnp. ANY\n"
	         "      - grant file-a subdomain example.ilnp. L64 L32 LP\n"
	         "      - grant host2.example.ilnp. self L64\n"
	         "    allow-update-unsigned: [ 127.0.0.1, \"10.0.0.0/8\", \"::1/128\", "
	         "\"2001:db8::/32\", 192.0.2.128/25 ]\n"
	         "    serial-policy: unixtime\n"
	         "  - domain: other.test.\n"
	         "    update-policy: \"grant file-b name a.other.test. A\"\n"
	         "    allow-update-unsigned: \"0.0.0.0/0\"\n"
	         "key:\n"
	         "  - { id: host1-key, algorithm: hmac-sha256, secret: AQID }\n"
	         "key-file: %s\n",
	         kf);
	c = load_ok(text);
	unlink(kf);
	assert_int_equal(c->update_batch_max, 4096);
	assert_int_equal(c->sig0_fail_limit, 5);

	const struct conf_zone *z = &c->zones[0];
	assert_int_equal(z->serial_policy, UPDATE_SERIAL_UNIXTIME);
	assert_int_equal(z->update_policy.count, 4);
	const uint8_t *h1k = wire("host1-key."), *fa = wire("file-a.");
	assert_true(
	    policy_allows(&z->update_policy, h1k, wire("host1.example.ilnp."), ILNPDNS_T_LP));
	assert_false(
	    policy_allows(&z->update_policy, h1k, wire("host2.example.ilnp."), ILNPDNS_T_LP));
	/* Order matters: the deny before the subdomain grant wins for www. */
	assert_false(
	    policy_allows(&z->update_policy, fa, wire("www.example.ilnp."), ILNPDNS_T_L64));
	assert_true(policy_allows(&z->update_policy, fa, wire("x.example.ilnp."), ILNPDNS_T_L64));
	/* A SIG(0) signer named in the zone needs no key: entry. */
	const uint8_t *h2 = wire("host2.example.ilnp.");
	assert_true(policy_allows(&z->update_policy, h2, h2, ILNPDNS_T_L64));
	assert_int_equal(c->zones[1].serial_policy, UPDATE_SERIAL_INCREMENT);
	assert_int_equal(c->zones[1].update_policy.count, 1);

	assert_int_equal(z->nallow_unsigned, 5);
	assert_string_equal(z->allow_unsigned[0].text, "127.0.0.1");
	assert_int_equal(z->allow_unsigned[0].bits, 32);
	assert_int_equal(z->allow_unsigned[1].bits, 8);
	assert_int_equal(z->allow_unsigned[2].bits, 128);
	assert_int_equal(z->allow_unsigned[2].ss.ss_family, AF_INET6);
	assert_int_equal(z->allow_unsigned[4].bits, 25);

	struct sockaddr_in v4 = {.sin_family = AF_INET};
	struct sockaddr_in6 v6 = {.sin6_family = AF_INET6};
	const struct sockaddr *a4 = (const struct sockaddr *)&v4,
	                      *a6 = (const struct sockaddr *)&v6;
	const struct conf_prefix *p = z->allow_unsigned;
	size_t n = z->nallow_unsigned;
	static const struct {
		const char *addr;
		bool match;
	} cases[] = {
	    {"127.0.0.1", true},
	    {"127.0.0.2", false},
	    {"10.255.1.2", true},
	    {"11.0.0.1", false},
	    {"192.0.2.128", true},
	    {"192.0.2.255", true},
	    {"192.0.2.127", false},
	    {"::1", true},
	    {"::2", false},
	    {"2001:db8:ffff::1", true},
	    {"2001:db9::1", false},
	    {"::ffff:10.1.2.3", true},
	    {"::ffff:11.1.2.3", false},
	    {"::ffff:127.0.0.1", true},
	    {"::a00:1", false},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		bool got = !cases[i].match;
		if (inet_pton(AF_INET, cases[i].addr, &v4.sin_addr) == 1)
			got = conf_prefix_match(p, n, a4);
		else if (inet_pton(AF_INET6, cases[i].addr, &v6.sin6_addr) == 1)
			got = conf_prefix_match(p, n, a6);
		else
			fail_msg("bad test address %s", cases[i].addr);
		if (got != cases[i].match)
			fail_msg("%s: expected %s", cases[i].addr,
			         cases[i].match ? "match" : "none");
	}
	/* 0.0.0.0/0 takes every IPv4 source and no IPv6 one; no list takes nothing. */
	assert_true(inet_pton(AF_INET, "203.0.113.9", &v4.sin_addr) == 1);
	assert_true(conf_prefix_match(c->zones[1].allow_unsigned, 1, a4));
	assert_true(inet_pton(AF_INET6, "2001:db8::9", &v6.sin6_addr) == 1);
	assert_false(conf_prefix_match(c->zones[1].allow_unsigned, 1, a6));
	assert_false(conf_prefix_match(NULL, 0, a4));
	assert_false(conf_prefix_match(p, n, NULL));
	conf_free(c);

	/* Empty lists are allowed and mean none. */
	c = load_ok("zone:\n  - domain: a.test.\n    update-policy: []\n"
	            "    allow-update-unsigned:\n");
	assert_int_equal(c->zones[0].update_policy.count, 0);
	assert_int_equal(c->zones[0].nallow_unsigned, 0);
	conf_free(c);
}

static void test_update_errors(void **state)
{
	static const char key[] = "key:\n  - { id: k1, algorithm: hmac-sha256, secret: AQID }\n";
	char text[512];

	load_fails("server:\n  update-batch-max: 0\n",
	           "2: server.update-batch-max: out of range (1 to 4096)");
	load_fails("server:\n  update-batch-max: 4097\n",
	           "2: server.update-batch-max: out of range (1 to 4096)");
	load_fails("server:\n  update-fail-limit: 0\n",
	           "2: server.update-fail-limit: out of range (1 to 1000000)");
	load_fails("zone:\n  - domain: a.test.\n    serial-policy: date\n",
	           "3: zone.serial-policy: expected one of increment, unixtime, not \"date\"");

	/* A rule's error names its own line, also after the key: list. */
	snprintf(text, sizeof(text),
	         "zone:\n  - domain: a.test.\n    update-policy:\n"
	         "      - grant k1 name a.test. A\n"
	         "      - grant k1 name b.a.test. FOO\n%s",
	         key);
	load_fails(text, "5: zone.update-policy: unknown type 'FOO'");
	snprintf(
	    text, sizeof(text),
	    "%szone:\n  - domain: a.test.\n    update-policy:\n      - allow k1 name a.test. A\n",
	    key);
	load_fails(text, "6: zone.update-policy: expected 'grant' or 'deny', got 'allow'");
	/* Keys named in rules must exist (the key: list may come after the zone). */
	load_fails("zone:\n  - domain: a.test.\n    update-policy:\n"
	           "      - grant k2 subdomain a.test. ANY\n",
	           "4: zone.update-policy: key \"k2.\" is not configured (key: or key-file:) "
	           "and is no name in the zone (a SIG(0) signer)");
	snprintf(text, sizeof(text),
	         "zone:\n  - domain: a.test.\n  - domain: b.test.\n    update-policy:\n"
	         "      - grant k1 subdomain b.test. ANY\n"
	         "      - grant x.a.test. subdomain b.test. ANY\n%s",
	         key);
	load_fails(text, "6: zone.update-policy: key \"x.a.test.\" is not configured (key: or "
	                 "key-file:) and is no name in the zone (a SIG(0) signer)");
	load_fails("zone:\n  - domain: a.test.\n    update-policy: { a: b }\n",
	           "3: zone.update-policy: expected a value or a list of values");

	load_fails("zone:\n  - domain: a.test.\n    allow-update-unsigned: [ 127.0.0.1, "
	           "localhost ]\n",
	           "3: zone.allow-update-unsigned: \"localhost\" is not an address prefix "
	           "(write ip or ip/length)");
	load_fails("zone:\n  - domain: a.test.\n    allow-update-unsigned:\n      - ::1\n"
	           "      - 10.1.2.3/8\n",
	           "5: zone.allow-update-unsigned: \"10.1.2.3/8\" has address bits set beyond /8");
	load_fails("zone:\n  - domain: a.test.\n    allow-update-unsigned: 10.0.0.0/33\n",
	           "3: zone.allow-update-unsigned: prefix length of \"10.0.0.0/33\" is over 32");
	load_fails("zone:\n  - domain: a.test.\n    allow-update-unsigned: \"::/129\"\n",
	           "3: zone.allow-update-unsigned: prefix length of \"::/129\" is over 128");
	load_fails("zone:\n  - domain: a.test.\n    allow-update-unsigned: \"10.0.0.0/\"\n",
	           "3: zone.allow-update-unsigned: \"10.0.0.0/\" is not an address prefix "
	           "(write ip or ip/length)");
	load_fails("zone:\n  - domain: a.test.\n    allow-update-unsigned: \"10.0.0.0/8x\"\n",
	           "3: zone.allow-update-unsigned: \"10.0.0.0/8x\" is not an address prefix "
	           "(write ip or ip/length)");
	load_fails("zone:\n  - domain: a.test.\n    allow-update-unsigned: 127.0.0.1@53\n",
	           "3: zone.allow-update-unsigned: \"127.0.0.1@53\" is not an address prefix "
	           "(write ip or ip/length)");
}

/* References from many threads; only the last unref frees (ASan checks the rest). */
static struct sockaddr *sa4(const char *ip, struct sockaddr_in *sin)
{
	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	assert_int_equal(inet_pton(AF_INET, ip, &sin->sin_addr), 1);
	return (struct sockaddr *)sin;
}

/* notify:, allow-transfer: (both forms of item) and journal-max-entries. */
static void test_transfer_settings(void **state)
{
	struct sockaddr_in sin;
	struct sockaddr_in6 sin6 = {.sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT};
	struct conf *c =
	    load_ok("key:\n"
	            "  - { id: xfr-key, algorithm: hmac-sha256, secret: AQID }\n"
	            "  - { id: other, algorithm: hmac-sha256, secret: BAUG }\n"
	            "zone:\n"
	            "  - domain: a.test.\n"
	            "    notify: [ \"127.0.0.1@5301\", { address: \"::1@5302\", key: xfr-key },\n"
	            "              192.0.2.1 ]\n"
	            "    allow-transfer:\n"
	            "      - 127.0.0.1\n"
	            "      - { address: \"10.0.0.0/8\", key: xfr-key. }\n"
	            "      - { key: other }\n"
	            "      - \"::1\"\n"
	            "    journal-max-entries: 5\n"
	            "  - domain: b.test.\n");
	const struct conf_zone *z = &c->zones[0];
	assert_int_equal(z->journal_max_entries, 5);
	assert_int_equal(z->nnotify, 3);
	const struct sockaddr_in *t0 = (const struct sockaddr_in *)&z->notify[0].addr;
	assert_int_equal(t0->sin_family, AF_INET);
	assert_int_equal(ntohs(t0->sin_port), 5301);
	assert_false(z->notify[0].has_key);
	const struct sockaddr_in6 *t1 = (const struct sockaddr_in6 *)&z->notify[1].addr;
	assert_int_equal(t1->sin6_family, AF_INET6);
	assert_int_equal(ntohs(t1->sin6_port), 5302);
	assert_true(z->notify[1].has_key);
	assert_true(ilnpdns_dname_equal(z->notify[1].key.name, wire("xfr-key.")));
	assert_int_equal(z->notify[1].key.secret_len, 3);
	assert_int_equal(ntohs(((const struct sockaddr_in *)&z->notify[2].addr)->sin_port), 53);

	assert_int_equal(z->nallow_transfer, 4);
	const uint8_t *k = wire("xfr-key."), *o = wire("other."), *none = wire("nokey.");
	/* Address only: any key or none. */
	assert_true(conf_transfer_allowed(z, sa4("127.0.0.1", &sin), NULL));
	assert_true(conf_transfer_allowed(z, sa4("127.0.0.1", &sin), none));
	assert_false(conf_transfer_allowed(z, sa4("127.0.0.2", &sin), NULL));
	/* Address and key: both must match. */
	assert_true(conf_transfer_allowed(z, sa4("10.1.2.3", &sin), k));
	assert_false(conf_transfer_allowed(z, sa4("10.1.2.3", &sin), NULL));
	assert_false(conf_transfer_allowed(z, sa4("11.1.2.3", &sin), k));
	/* Key only: any address. */
	assert_true(conf_transfer_allowed(z, sa4("198.51.100.7", &sin), o));
	assert_false(conf_transfer_allowed(z, sa4("198.51.100.7", &sin), none));
	assert_true(conf_transfer_allowed(z, (struct sockaddr *)&sin6, NULL));
	/* No allow-transfer: nothing is allowed; the journal default applies. */
	z = &c->zones[1];
	assert_int_equal(z->nallow_transfer, 0);
	assert_int_equal(z->nnotify, 0);
	assert_int_equal(z->journal_max_entries, 1000);
	assert_false(conf_transfer_allowed(z, sa4("127.0.0.1", &sin), k));
	conf_free(c);
}

/* The update:, rrl: and remaining server: keys of issues 3-7, each set away from its default. */
static void test_every_key_later_sections(void **state)
{
	static const uint8_t secret[16] = {0xe5, 0xe9, 0x73, 0xe5, 0xa6, 0xb2, 0xa4, 0x3f,
	                                   0x48, 0xe7, 0xdc, 0x84, 0x9e, 0x37, 0xbf, 0xcf};
	struct conf *c = load_ok("server:\n"
	                         "  tcp-message-timeout: 750ms\n"
	                         "  log-queries: true\n"
	                         "  update-batch-max: 8\n"
	                         "  update-fail-limit: 3\n"
	                         "  cookie-secret: E5E973E5A6B2A43F48E7DC849E37BFCF\n"
	                         "update:\n"
	                         "  require-cookie-or-tcp: yes\n"
	                         "  max-rrs: 12\n"
	                         "rrl:\n"
	                         "  enable: true\n"
	                         "  responses-per-second: 7\n"
	                         "  slip: 0\n"
	                         "  ipv4-prefix-length: 32\n"
	                         "  ipv6-prefix-length: 64\n"
	                         "  table-size: 1024\n");
	assert_int_equal(c->tcp_message_ms, 750);
	assert_true(c->log_queries);
	assert_int_equal(c->update_batch_max, 8);
	assert_int_equal(c->sig0_fail_limit, 3);
	assert_true(c->cookie_secret_set);
	assert_memory_equal(c->cookie_secret, secret, sizeof(secret));
	assert_true(c->update_require_cookie);
	assert_int_equal(c->update_max_rrs, 12);
	assert_true(c->rrl_enable);
	assert_int_equal(c->rrl_rate, 7);
	assert_int_equal(c->rrl_slip, 0);
	assert_int_equal(c->rrl_v4_prefix, 32);
	assert_int_equal(c->rrl_v6_prefix, 64);
	assert_int_equal(c->rrl_table_size, 1024);
	conf_free(c);
}

/*
 * Every section reports an unknown key and a bad value with the file, the
 * line and the dotted key (the path of load_fails() is the file).
 */
static void test_errors_in_every_section(void **state)
{
	/* server: */
	load_fails("server:\n  workers: 2\n\n  log-querys: true\n",
	           "4: server.log-querys: unknown key");
	load_fails("server:\n  log-queries: often\n",
	           "2: server.log-queries: expected true or false, not \"often\"");
	load_fails("server:\n  tcp-message-timeout: 2h\n",
	           "2: server.tcp-message-timeout: out of range (100ms to 1h)");
	/* update: */
	load_fails("update:\n  max-rrs: 5\n  max-rr: 5\n", "3: update.max-rr: unknown key");
	load_fails("update:\n  max-rrs: 0\n", "2: update.max-rrs: out of range (1 to 65535)");
	load_fails("update:\n  max-rrs: 65536\n", "2: update.max-rrs: out of range (1 to 65535)");
	load_fails("update: [ 1 ]\n", "1: update: expected a map of keys");
	/* rrl: */
	load_fails("rrl:\n  enable: true\n  window: 15\n", "3: rrl.window: unknown key");
	load_fails("rrl:\n  enable: on-demand\n",
	           "2: rrl.enable: expected true or false, not \"on-demand\"");
	load_fails("rrl:\n  responses-per-second: 0\n",
	           "2: rrl.responses-per-second: out of range (1 to 1000000)");
	load_fails("rrl:\n  slip: 11\n", "2: rrl.slip: out of range (0 to 10)");
	load_fails("rrl:\n  ipv4-prefix-length: 33\n",
	           "2: rrl.ipv4-prefix-length: out of range (8 to 32)");
	load_fails("rrl:\n  ipv6-prefix-length: 8\n",
	           "2: rrl.ipv6-prefix-length: out of range (16 to 128)");
	load_fails("rrl:\n  table-size: lots\n",
	           "2: rrl.table-size: expected an integer, not \"lots\"");
	/* key: */
	load_fails("key:\n  - id: k1\n    algorithm: hmac-sha256\n    secret: AQID\n"
	           "    secret-file: /x\n",
	           "5: key.secret-file: unknown key");
	load_fails("key:\n  - id: k1\n    algorithm: hmac-sha999\n    secret: AQID\n",
	           "3: key.algorithm: unknown algorithm \"hmac-sha999\"");
	/* key-file: */
	load_fails("key-file: [ /nonexistent/keys.conf ]\n",
	           "1: key-file: /nonexistent/keys.conf: No such file or directory");
	/* zone: and its update-policy, notify and allow-transfer items */
	load_fails("zone:\n  - domain: a.test.\n    ilnp-ttl: 5\n    ilnp_ttl: 5\n",
	           "4: zone.ilnp_ttl: unknown key");
	load_fails("zone:\n  - domain: a.test.\n    file: [ a, b ]\n",
	           "3: zone.file: expected a single value, not a list");
	load_fails(
	    "zone:\n  - domain: a.test.\n    update-policy:\n"
	    "      - grant a.test. self a.test. L64\n"
	    "      - grant a.test. everywhere a.test. L64\n",
	    "5: zone.update-policy: unknown kind 'everywhere' (self, selfsub, name or subdomain)");
	load_fails("zone:\n  - domain: a.test.\n    allow-update-unsigned: [ 127.0.0.1/33 ]\n",
	           "3: zone.allow-update-unsigned: prefix length of \"127.0.0.1/33\" is over 32");
	load_fails("zone:\n  - domain: a.test.\n    notify:\n      - { address: 127.0.0.1, "
	           "port: 53 }\n",
	           "4: zone.notify.port: unknown key");
	load_fails("zone:\n  - domain: a.test.\n    allow-transfer:\n      - address: 10.0.0.0/8\n"
	           "        tsig: k1\n",
	           "5: zone.allow-transfer.tsig: unknown key");
}

static void test_transfer_errors(void **state)
{
	static const char key[] = "key:\n  - { id: k1, algorithm: hmac-sha256, secret: AQID }\n";
	char text[512];

	load_fails("zone:\n  - domain: a.test.\n    notify: [ \"127.0.0.1@x\" ]\n",
	           "3: zone.notify: \"127.0.0.1@x\" is not an address (write ip or ip@port)");
	load_fails("zone:\n  - domain: a.test.\n    notify:\n      - 127.0.0.1\n"
	           "      - { address: 127.0.0.1@53 }\n",
	           "5: zone.notify: \"127.0.0.1@53\" listed twice");
	load_fails("zone:\n  - domain: a.test.\n    notify: [ { key: k1 } ]\n",
	           "3: zone.notify.address: missing (required)");
	load_fails("zone:\n  - domain: a.test.\n    notify:\n      - address: 127.0.0.1\n"
	           "        key: k2\n",
	           "5: zone.notify: key \"k2\" is not configured (key: or key-file:)");
	load_fails("zone:\n  - domain: a.test.\n    notify: 127.0.0.1\n",
	           "3: zone.notify: expected a list (each item starting with \"- \")");
	load_fails("zone:\n  - domain: a.test.\n    allow-transfer:\n      - 10.0.0.1/8\n",
	           "4: zone.allow-transfer: \"10.0.0.1/8\" has address bits set beyond /8");
	load_fails("zone:\n  - domain: a.test.\n    allow-transfer:\n      - { key: k9 }\n",
	           "4: zone.allow-transfer: key \"k9\" is not configured (key: or key-file:)");
	load_fails("zone:\n  - domain: a.test.\n    allow-transfer:\n      - [ 1 ]\n",
	           "4: zone.allow-transfer: expected a map in each list item");
	load_fails("zone:\n  - domain: a.test.\n    allow-transfer:\n      - { adress: 1 }\n",
	           "4: zone.allow-transfer.adress: unknown key");
	snprintf(text, sizeof(text), "%szone:\n  - domain: a.test.\n    journal-max-entries: 0\n",
	         key);
	load_fails(text, "5: zone.journal-max-entries: out of range (1 to 100000000)");
}

static void *ref_worker(void *arg)
{
	struct conf *c = arg;
	for (int i = 0; i < 100000; i++) {
		struct conf *mine = conf_ref(c);
		assert_ptr_equal(mine, c);
		conf_unref(mine);
	}
	return NULL;
}

static void test_refcount(void **state)
{
	struct conf *c = load_ok("key:\n  - { id: k1, algorithm: hmac-sha256, secret: AQID }\n");
	pthread_t t[4];
	assert_int_equal(c->refs, 1);
	for (int i = 0; i < 4; i++)
		assert_int_equal(pthread_create(&t[i], NULL, ref_worker, c), 0);
	for (int i = 0; i < 4; i++)
		assert_int_equal(pthread_join(t[i], NULL), 0);
	assert_int_equal(c->refs, 1);
	assert_ptr_equal(conf_ref(c), c);
	assert_int_equal(c->refs, 2);
	conf_unref(c);
	assert_int_equal(c->refs, 1);
	assert_non_null(conf_key_find(c, wire("k1"))); /* still alive */
	conf_unref(c);                                 /* frees: LeakSanitizer would see a leak */
	conf_unref(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_defaults),
	    cmocka_unit_test(test_defaults_need_key_file),
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
	    cmocka_unit_test(test_keys),
	    cmocka_unit_test(test_key_errors),
	    cmocka_unit_test(test_key_files),
	    cmocka_unit_test(test_inline_secrets_exposed),
	    cmocka_unit_test(test_key_file_errors),
	    cmocka_unit_test(test_update_settings),
	    cmocka_unit_test(test_update_errors),
	    cmocka_unit_test(test_transfer_settings),
	    cmocka_unit_test(test_transfer_errors),
	    cmocka_unit_test(test_every_key_later_sections),
	    cmocka_unit_test(test_errors_in_every_section),
	    cmocka_unit_test(test_refcount),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
