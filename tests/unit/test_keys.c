/* SPDX-License-Identifier: BSD-2-Clause */
/* test_keys.c -- TSIG keys: tsig-keygen files, several keys, comments, file:line errors, -y,
 * base64. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/evp.h>

#include "ilnpdns/base64.h"
#include "ilnpdns/error.h"
#include "ilnpdns/keys.h"

/* Keys a parse handed to the callback, copied. */
struct collected {
	struct ilnpdns_tsig_key key[8];
	int n;
	int stop_after; /* return 42 once this many were seen; 0: never */
};

static int collect(const struct ilnpdns_tsig_key *key, void *arg)
{
	struct collected *c = arg;
	assert_true(c->n < 8);
	c->key[c->n++] = *key;
	return c->stop_after != 0 && c->n == c->stop_after ? 42 : 0;
}

static int parse(const char *text, unsigned flags, struct collected *c, char *err, size_t errlen)
{
	memset(c, 0, sizeof(*c));
	err[0] = '\0';
	return ilnpdns_keyfile_parse(text, strlen(text), "t.conf", flags, collect, c, err, errlen);
}

/* The oracle for secrets: OpenSSL's decoder on unpadded multiples of 3. */
static size_t openssl_b64(const char *s, uint8_t *out)
{
	int n = EVP_DecodeBlock(out, (const unsigned char *)s, (int)strlen(s));
	assert_true(n > 0);
	return (size_t)n;
}

static void test_tsig_keygen_file(void **state)
{
	struct collected c = {0};
	char err[512] = "";
	int rc = ilnpdns_keyfile_load(KEYS_DATADIR "/tsig-keygen-k1.key", 0, collect, &c, err,
	                              sizeof(err));
	if (rc != 0)
		fail_msg("%s", err);
	assert_int_equal(c.n, 1);
	assert_memory_equal(c.key[0].name, "\2k1", 4);
	assert_int_equal(c.key[0].alg, ILNPDNS_TSIG_HMAC_SHA384);
	assert_int_equal(c.key[0].mac_len, 48);
	uint8_t want[64];
	size_t n =
	    openssl_b64("48CCfAfiXlFFrBnQJ3LKPdw++94B8KGRTCin2482nvtDMnnXgkm7JJvl0RLxjMwH", want);
	assert_int_equal(n, 48);
	assert_int_equal(c.key[0].secret_len, 48);
	assert_memory_equal(c.key[0].secret, want, 48);
}

static void test_several_keys_and_comments(void **state)
{
	static const char text[] =
	    "# tsig-keygen output, three keys\n"
	    "key \"Host1-Key.Example.\" {\n"
	    "\talgorithm hmac-sha256; // the default\n"
	    "\tsecret \"NoTCJU+DMqFWywaPyxSijrDEA/eC3nK0xi3AMEZuPVk=\";\n"
	    "};\n"
	    "/* a C comment\n spanning lines, with key \"fake\" { } inside */\n"
	    "key site-key{algorithm \"HMAC-SHA512.\";secret \"AAEC\n  AwQF\";};"
	    "key \"md5-key\" { secret \"AAECAwQF\"; algorithm hmac-md5.sig-alg.reg.int; };\n"
	    "// end\n";
	struct collected c;
	char err[512];
	/* md5 refused by default, accepted with the flag. */
	assert_int_equal(parse(text, 0, &c, err, sizeof(err)), ILNPDNS_ECONF);
	assert_int_equal(c.n, 2);
	/* line 9: the site-key secret spans two lines */
	assert_string_equal(err,
	                    "t.conf:9: key \"md5-key\": algorithm \"hmac-md5.sig-alg.reg.int\" "
	                    "not allowed (hmac-md5 is refused by default)");
	if (parse(text, ILNPDNS_KEY_ALLOW_MD5, &c, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	assert_int_equal(c.n, 3);
	assert_memory_equal(c.key[0].name, "\11host1-key\7example", 19);
	assert_int_equal(c.key[0].alg, ILNPDNS_TSIG_HMAC_SHA256);
	assert_int_equal(c.key[0].secret_len, 32);
	assert_int_equal(c.key[0].secret[0], 0x36);
	assert_memory_equal(c.key[1].name, "\10site-key", 10);
	assert_int_equal(c.key[1].alg, ILNPDNS_TSIG_HMAC_SHA512);
	assert_int_equal(c.key[1].mac_len, 64);
	assert_int_equal(c.key[1].secret_len, 6);
	assert_memory_equal(c.key[1].secret, "\0\1\2\3\4\5", 6);
	assert_int_equal(c.key[2].alg, ILNPDNS_TSIG_HMAC_MD5);
	assert_int_equal(c.key[2].mac_len, 16);

	/* An empty file, and one with only comments, hold no keys. */
	assert_int_equal(parse("", 0, &c, err, sizeof(err)), 0);
	assert_int_equal(parse("# nothing\n/* */ // here", 0, &c, err, sizeof(err)), 0);
	assert_int_equal(c.n, 0);
	/* The callback can stop the parse. */
	memset(&c, 0, sizeof(c));
	c.stop_after = 1;
	assert_int_equal(ilnpdns_keyfile_parse(text, strlen(text), "t.conf", ILNPDNS_KEY_ALLOW_MD5,
	                                       collect, &c, err, sizeof(err)),
	                 42);
	assert_int_equal(c.n, 1);
}

static void expect_error(const char *text, const char *message)
{
	struct collected c;
	char err[512];
	assert_int_equal(parse(text, 0, &c, err, sizeof(err)), ILNPDNS_ECONF);
	if (strcmp(err, message) != 0)
		fail_msg("for %s\n got: %s\nwant: %s", text, err, message);
}

static void test_errors_name_file_line(void **state)
{
	expect_error("key a {\n algorithm hmac-sha256;\n algorithm hmac-sha999;\n};",
	             "t.conf:3: key \"a\": duplicate algorithm");
	expect_error("\nkey a {\n\n algorithm hmac-sha999;\n secret \"AAAA\";\n};",
	             "t.conf:4: key \"a\": unknown algorithm \"hmac-sha999\"");
	expect_error("key a {\n algorithm hmac-sha256;\n secret \"AA!A\";\n};",
	             "t.conf:3: key \"a\": secret is not valid base64");
	expect_error("key a {\n algorithm hmac-sha256;\n secret \"AAA\";\n};",
	             "t.conf:3: key \"a\": secret is not valid base64");
	expect_error("key a {\n algorithm hmac-sha256;\n secret \"\";\n};",
	             "t.conf:3: key \"a\": secret is empty");
	expect_error("# one\nkey a {\n algorithm hmac-sha256;\n};",
	             "t.conf:2: key \"a\": no secret clause");
	expect_error("key a { secret \"AAAA\"; };", "t.conf:1: key \"a\": no algorithm clause");
	expect_error("key a { algorithm hmac-sha256; secret \"AAAA\"; }\nkey b {};",
	             "t.conf:2: expected ';' before 'key'");
	expect_error("key a { algorithm hmac-sha256 secret \"AAAA\"; };",
	             "t.conf:1: expected ';' before 'secret'");
	expect_error("options {\n};", "t.conf:1: expected 'key', got 'options'");
	expect_error("key a {\n algorithm hmac-sha256;\n /* oops\n\n",
	             "t.conf:3: unterminated /* comment");
	expect_error("key \"a\n", "t.conf:1: unterminated string");
	expect_error("key a {\n algorithm hmac-sha256;\n",
	             "t.conf:3: key \"a\": unknown clause "
	             "'end of file' (expected algorithm, secret or '}')");
	expect_error("key a {\n\tkeyid 5;\n};", "t.conf:2: key \"a\": unknown clause 'keyid' "
	                                        "(expected algorithm, secret or '}')");
	expect_error("key {", "t.conf:1: expected a key name after 'key'");
	expect_error("key a..b { };", "t.conf:1: key \"a..b\": invalid key name \"a..b\"");
	expect_error(
	    "key a {\n algorithm hmac-sha256-64;\n};",
	    "t.conf:2: key \"a\": algorithm \"hmac-sha256-64\": MAC truncation out of range");
	expect_error("key a {\n secret ;\n};", "t.conf:2: key \"a\": expected a value for secret");

	/* A file that cannot be read names itself and the reason. */
	struct collected c = {0};
	char err[512];
	assert_int_equal(
	    ilnpdns_keyfile_load("/nonexistent/k.key", 0, collect, &c, err, sizeof(err)), -ENOENT);
	assert_string_equal(err, "/nonexistent/k.key: No such file or directory");
	/* The file name given to load is the one in the message. */
	char path[] = "/tmp/test_keys_XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "\n\nkey x { algorithm md5; };\n", 28), 28);
	close(fd);
	assert_int_equal(ilnpdns_keyfile_load(path, 0, collect, &c, err, sizeof(err)),
	                 ILNPDNS_ECONF);
	char want[600];
	snprintf(want, sizeof(want), "%s:3: key \"x\": unknown algorithm \"md5\"", path);
	assert_string_equal(err, want);
	unlink(path);
}

static void test_y_strings(void **state)
{
	struct ilnpdns_tsig_key key;
	char err[256];
	assert_int_equal(ilnpdns_tsig_key_from_y(&key, "testkey:AAECAwQF", 0, err, sizeof(err)), 0);
	assert_memory_equal(key.name, "\7testkey", 9);
	assert_int_equal(key.alg, ILNPDNS_TSIG_HMAC_SHA256);
	assert_int_equal(key.secret_len, 6);
	assert_int_equal(
	    ilnpdns_tsig_key_from_y(&key, "hmac-sha512:TestKey.:AAECAwQF", 0, err, sizeof(err)), 0);
	assert_memory_equal(key.name, "\7testkey", 9);
	assert_int_equal(key.alg, ILNPDNS_TSIG_HMAC_SHA512);
	assert_int_equal(
	    ilnpdns_tsig_key_from_y(&key, "hmac-sha256-128:k:AAECAwQF", 0, err, sizeof(err)), 0);
	assert_int_equal(key.mac_len, 16);
	assert_int_equal(ilnpdns_tsig_key_from_y(&key, "hmac-md5:k:AAECAwQF", 0, err, sizeof(err)),
	                 ILNPDNS_EBADKEY);
	assert_int_equal(ilnpdns_tsig_key_from_y(&key, "hmac-md5:k:AAECAwQF", ILNPDNS_KEY_ALLOW_MD5,
	                                         err, sizeof(err)),
	                 0);
	assert_int_equal(key.alg, ILNPDNS_TSIG_HMAC_MD5);
	assert_int_equal(ilnpdns_tsig_key_from_y(&key, "justakey", 0, err, sizeof(err)),
	                 ILNPDNS_ESYNTAX);
	assert_string_equal(err, "expected [algorithm:]name:secret");
	assert_int_equal(ilnpdns_tsig_key_from_y(&key, "a:b:c:d", 0, err, sizeof(err)),
	                 ILNPDNS_ESYNTAX);
	assert_int_equal(ilnpdns_tsig_key_from_y(&key, "k:not*base64", 0, err, sizeof(err)),
	                 ILNPDNS_ESYNTAX);
	assert_int_equal(ilnpdns_tsig_key_from_y(&key, "hmac-sha3:k:AAAA", 0, err, sizeof(err)),
	                 ILNPDNS_ENOENT);
	assert_string_equal(err, "unknown algorithm \"hmac-sha3\"");
	/* A failed parse leaves no secret behind. */
	assert_int_equal(key.secret_len, 0);
	assert_int_equal(key.secret[0], 0);
}

static void test_key_init_limits(void **state)
{
	struct ilnpdns_tsig_key key;
	char err[256], big[600];
	assert_int_equal(
	    ilnpdns_tsig_key_init(&key, ".", "hmac-sha256", "AAAA", 0, err, sizeof(err)),
	    ILNPDNS_ENAME);
	/* 256 octets is the most; 259 is one quartet too many. */
	memset(big, 'A', 344);
	big[344] = '\0';
	big[343] = '=';
	big[342] = '=';
	assert_int_equal(ilnpdns_tsig_key_init(&key, "k", "hmac-sha256", big, 0, err, sizeof(err)),
	                 0);
	assert_int_equal(key.secret_len, 256);
	memset(big, 'A', 348);
	big[348] = '\0';
	assert_int_equal(ilnpdns_tsig_key_init(&key, "k", "hmac-sha256", big, 0, err, sizeof(err)),
	                 ILNPDNS_ESYNTAX);
	assert_string_equal(err, "secret longer than 256 octets");
}

static void test_algorithm_names(void **state)
{
	enum ilnpdns_tsig_alg alg;
	uint16_t len;
	static const struct {
		const char *name;
		enum ilnpdns_tsig_alg alg;
		uint16_t mac_len;
	} good[] = {
	    {"hmac-sha1", ILNPDNS_TSIG_HMAC_SHA1, 20},
	    {"HMAC-SHA224.", ILNPDNS_TSIG_HMAC_SHA224, 28},
	    {"hmac-sha256", ILNPDNS_TSIG_HMAC_SHA256, 32},
	    {"hmac-sha384", ILNPDNS_TSIG_HMAC_SHA384, 48},
	    {"hmac-sha512.", ILNPDNS_TSIG_HMAC_SHA512, 64},
	    {"hmac-md5.sig-alg.reg.int.", ILNPDNS_TSIG_HMAC_MD5, 16},
	    {"hmac-md5", ILNPDNS_TSIG_HMAC_MD5, 16},
	    {"hmac-sha1-80", ILNPDNS_TSIG_HMAC_SHA1, 10},
	    {"hmac-sha256-128", ILNPDNS_TSIG_HMAC_SHA256, 16},
	    {"hmac-sha384-192", ILNPDNS_TSIG_HMAC_SHA384, 24},
	    {"hmac-sha512-256", ILNPDNS_TSIG_HMAC_SHA512, 32},
	    {"hmac-sha224-112", ILNPDNS_TSIG_HMAC_SHA224, 14},
	};
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		if (ilnpdns_tsig_alg_from_str(good[i].name, ILNPDNS_KEY_ALLOW_MD5, &alg, &len) != 0)
			fail_msg("%s refused", good[i].name);
		assert_int_equal(alg, good[i].alg);
		assert_int_equal(len, good[i].mac_len);
	}
	static const struct {
		const char *name;
		int rc;
	} bad[] = {
	    {"hmac-sha257", ILNPDNS_ENOENT},     {"sha256", ILNPDNS_ENOENT},
	    {"hmac-sha256-", ILNPDNS_ENOENT},    {"hmac-sha256-12x", ILNPDNS_ENOENT},
	    {"hmac-sha256-120", ILNPDNS_ERANGE}, {"hmac-sha256-129", ILNPDNS_ERANGE},
	    {"hmac-sha256-264", ILNPDNS_ERANGE}, {"hmac-sha1-72", ILNPDNS_ERANGE},
	    {"hmac-md5", ILNPDNS_EBADKEY},       {"", ILNPDNS_ENOENT},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (ilnpdns_tsig_alg_from_str(bad[i].name, 0, &alg, &len) != bad[i].rc)
			fail_msg("%s: want %d", bad[i].name, bad[i].rc);

	/* Wire names: canonical, round trip, case-blind, and the hash sizes. */
	static const uint16_t hash[] = {0, 16, 20, 28, 32, 48, 64};
	for (int a = ILNPDNS_TSIG_HMAC_MD5; a <= ILNPDNS_TSIG_HMAC_SHA512; a++) {
		const uint8_t *w = ilnpdns_tsig_alg_wire((enum ilnpdns_tsig_alg)a);
		assert_int_equal(ilnpdns_tsig_alg_from_wire(w), a);
		assert_int_equal(ilnpdns_tsig_alg_hash_len((enum ilnpdns_tsig_alg)a), hash[a]);
		char str[300];
		assert_true(ilnpdns_dname_to_str(w, str, sizeof(str)) > 0);
		str[strlen(str) - 1] = '\0';
		assert_string_equal(str, ilnpdns_tsig_alg_name((enum ilnpdns_tsig_alg)a));
	}
	assert_int_equal(ilnpdns_tsig_alg_from_wire((const uint8_t *)"\13HMAC-SHA384"),
	                 ILNPDNS_TSIG_HMAC_SHA384);
	assert_int_equal(ilnpdns_tsig_alg_from_wire((const uint8_t *)"\17hmac-sha256-128"), 0);
	assert_int_equal(ilnpdns_tsig_alg_from_wire((const uint8_t *)"\10gss-tsig"), 0);
	assert_null(ilnpdns_tsig_alg_wire(0));
	assert_int_equal(ilnpdns_tsig_alg_hash_len(7), 0);
}

static void test_base64(void **state)
{
	/* RFC 4648 section 10. */
	static const char *const enc[] = {"",         "Zg==",     "Zm8=",    "Zm9v",
	                                  "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy"};
	static const char *const dec[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
	uint8_t out[64];
	char str[128];
	for (int i = 0; i < 7; i++) {
		assert_int_equal(ilnpdns_b64_decode(enc[i], strlen(enc[i]), out, sizeof(out)),
		                 (int)strlen(dec[i]));
		assert_memory_equal(out, dec[i], strlen(dec[i]));
		assert_int_equal(
		    ilnpdns_b64_encode((const uint8_t *)dec[i], strlen(dec[i]), str, sizeof(str)),
		    (int)strlen(enc[i]));
		assert_string_equal(str, enc[i]);
	}
	/* Whitespace anywhere is skipped. */
	assert_int_equal(ilnpdns_b64_decode(" Zm9v\n\tYm\r\nFy ", 14, out, sizeof(out)), 6);
	assert_memory_equal(out, "foobar", 6);
	/* Padding rules: whole quartets, '=' only at the end. */
	static const char *const bad[] = {
	    "Zg", "Zg=", "Zm9", "Z===", "=Zg=", "Zg=a", "Zg==Zg==", "Zm9v!", "Zm9v=", "Zg== Zg=="};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (ilnpdns_b64_decode(bad[i], strlen(bad[i]), out, sizeof(out)) != ILNPDNS_ESYNTAX)
			fail_msg("\"%s\" accepted", bad[i]);
	/* Output space. */
	assert_int_equal(ilnpdns_b64_decode("Zm9vYmFy", 8, out, 5), ILNPDNS_ETRUNC);
	assert_int_equal(ilnpdns_b64_encode((const uint8_t *)"foo", 3, str, 4), ILNPDNS_ETRUNC);
	/* Against OpenSSL's encoder, every length up to 60. */
	uint8_t bytes[60], back[64];
	char ref[128];
	for (int i = 0; i < 60; i++)
		bytes[i] = (uint8_t)(i * 37 + 11);
	for (size_t n = 0; n <= 60; n++) {
		int m = EVP_EncodeBlock((unsigned char *)ref, bytes, (int)n);
		assert_int_equal(ilnpdns_b64_encode(bytes, n, str, sizeof(str)), m);
		assert_string_equal(str, ref);
		assert_int_equal(ilnpdns_b64_decode(str, (size_t)m, back, sizeof(back)), (int)n);
		assert_memory_equal(back, bytes, n);
	}
}

static void test_exposed(void **state)
{
	char path[] = "/tmp/test_keys_XXXXXX";
	int fd = mkstemp(path);
	bool exposed = true;
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(chmod(path, 0600), 0);
	assert_int_equal(ilnpdns_keyfile_exposed(path, &exposed), 0);
	assert_false(exposed);
	assert_int_equal(chmod(path, 0640), 0);
	assert_int_equal(ilnpdns_keyfile_exposed(path, &exposed), 0);
	assert_true(exposed);
	assert_int_equal(chmod(path, 0604), 0);
	assert_int_equal(ilnpdns_keyfile_exposed(path, &exposed), 0);
	assert_true(exposed);
	assert_int_equal(chmod(path, 0620), 0); /* group may write but not read */
	assert_int_equal(ilnpdns_keyfile_exposed(path, &exposed), 0);
	assert_false(exposed);
	unlink(path);
	assert_int_equal(ilnpdns_keyfile_exposed(path, &exposed), -ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_tsig_keygen_file),
	    cmocka_unit_test(test_several_keys_and_comments),
	    cmocka_unit_test(test_errors_name_file_line),
	    cmocka_unit_test(test_y_strings),
	    cmocka_unit_test(test_key_init_limits),
	    cmocka_unit_test(test_algorithm_names),
	    cmocka_unit_test(test_base64),
	    cmocka_unit_test(test_exposed),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
