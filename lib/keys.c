/* SPDX-License-Identifier: BSD-2-Clause */
/* keys.c -- TSIG keys: algorithms, BIND key files, nsupdate -y strings, secret file checks. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "ilnpdns/base64.h"
#include "ilnpdns/error.h"
#include "ilnpdns/keys.h"

/* RFC 8945 section 6 names; the wire names are what a TSIG RR carries. */
static const struct {
	const char *name;
	const uint8_t *wire;
	uint16_t hash_len;
	const char *digest;
} keys_algs[ILNPDNS_TSIG_ALG_COUNT + 1] = {
    [ILNPDNS_TSIG_HMAC_MD5] = {"hmac-md5.sig-alg.reg.int",
                               (const uint8_t *)"\10hmac-md5\7sig-alg\3reg\3int", 16, "MD5"},
    [ILNPDNS_TSIG_HMAC_SHA1] = {"hmac-sha1", (const uint8_t *)"\11hmac-sha1", 20, "SHA1"},
    [ILNPDNS_TSIG_HMAC_SHA224] = {"hmac-sha224", (const uint8_t *)"\13hmac-sha224", 28, "SHA224"},
    [ILNPDNS_TSIG_HMAC_SHA256] = {"hmac-sha256", (const uint8_t *)"\13hmac-sha256", 32, "SHA256"},
    [ILNPDNS_TSIG_HMAC_SHA384] = {"hmac-sha384", (const uint8_t *)"\13hmac-sha384", 48, "SHA384"},
    [ILNPDNS_TSIG_HMAC_SHA512] = {"hmac-sha512", (const uint8_t *)"\13hmac-sha512", 64, "SHA512"},
};

/* Largest presentation-form token we accept: a 255-octet name fully escaped. */
#define KEYS_TOKEN_MAX 1100
#define KEYS_FILE_MAX  (1u << 20)

static bool alg_valid(enum ilnpdns_tsig_alg alg)
{
	return alg >= ILNPDNS_TSIG_HMAC_MD5 && alg <= ILNPDNS_TSIG_HMAC_SHA512;
}

const uint8_t *ilnpdns_tsig_alg_wire(enum ilnpdns_tsig_alg alg)
{
	return alg_valid(alg) ? keys_algs[alg].wire : NULL;
}

const char *ilnpdns_tsig_alg_name(enum ilnpdns_tsig_alg alg)
{
	return alg_valid(alg) ? keys_algs[alg].name : "?";
}

uint16_t ilnpdns_tsig_alg_hash_len(enum ilnpdns_tsig_alg alg)
{
	return alg_valid(alg) ? keys_algs[alg].hash_len : 0;
}

const char *ilnpdns_tsig_alg_digest(enum ilnpdns_tsig_alg alg)
{
	return alg_valid(alg) ? keys_algs[alg].digest : NULL;
}

enum ilnpdns_tsig_alg ilnpdns_tsig_alg_from_wire(const uint8_t *name)
{
	for (int a = ILNPDNS_TSIG_HMAC_MD5; a <= ILNPDNS_TSIG_HMAC_SHA512; a++)
		if (ilnpdns_dname_equal(name, keys_algs[a].wire))
			return (enum ilnpdns_tsig_alg)a;
	return 0;
}

/* Exact (case-insensitive) name match, "hmac-md5" standing for the long md5 name. */
static enum ilnpdns_tsig_alg alg_lookup(const char *s, size_t len)
{
	if (len == 8 && strncasecmp(s, "hmac-md5", 8) == 0)
		return ILNPDNS_TSIG_HMAC_MD5;
	for (int a = ILNPDNS_TSIG_HMAC_MD5; a <= ILNPDNS_TSIG_HMAC_SHA512; a++)
		if (strlen(keys_algs[a].name) == len && strncasecmp(s, keys_algs[a].name, len) == 0)
			return (enum ilnpdns_tsig_alg)a;
	return 0;
}

int ilnpdns_tsig_alg_from_str(const char *str, unsigned flags, enum ilnpdns_tsig_alg *alg,
                              uint16_t *mac_len)
{
	size_t len = strlen(str);
	if (len > 0 && str[len - 1] == '.')
		len--;
	enum ilnpdns_tsig_alg a = alg_lookup(str, len);
	unsigned bits = 0;
	if (a == 0) {
		/* BIND's "hmac-sha256-128": the algorithm with a MAC cut to 128 bits. */
		const char *dash = NULL;
		for (size_t i = 0; i < len; i++)
			if (str[i] == '-')
				dash = str + i;
		if (dash == NULL || dash + 1 == str + len)
			return ILNPDNS_ENOENT;
		for (const char *p = dash + 1; p < str + len; p++) {
			if (*p < '0' || *p > '9' || bits > 10000)
				return ILNPDNS_ENOENT;
			bits = bits * 10 + (unsigned)(*p - '0');
		}
		a = alg_lookup(str, (size_t)(dash - str));
		if (a == 0)
			return ILNPDNS_ENOENT;
	}
	if (a == ILNPDNS_TSIG_HMAC_MD5 && !(flags & ILNPDNS_KEY_ALLOW_MD5))
		return ILNPDNS_EBADKEY;
	uint16_t hash = keys_algs[a].hash_len, len_octets = hash;
	if (bits != 0) {
		/* RFC 8945 5.2.2.1: whole octets, at least max(10, half the hash). */
		unsigned least = hash / 2 + hash % 2 > 10 ? hash / 2 + hash % 2 : 10;
		if (bits % 8 != 0 || bits / 8 < least || bits / 8 > hash)
			return ILNPDNS_ERANGE;
		len_octets = (uint16_t)(bits / 8);
	}
	*alg = a;
	*mac_len = len_octets;
	return 0;
}

static void keys_msg(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void keys_msg(char *err, size_t errlen, const char *fmt, ...)
{
	if (err == NULL || errlen == 0)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

static int key_set_name(struct ilnpdns_tsig_key *key, const char *name, char *err, size_t errlen)
{
	int n = ilnpdns_dname_from_str(name, key->name);
	if (n < 0) {
		keys_msg(err, errlen, "invalid key name \"%s\"", name);
		return n;
	}
	if (key->name[0] == 0) {
		/* The root as a key name is legal DNS but surely a typo here. */
		keys_msg(err, errlen, "key name must not be the root");
		return ILNPDNS_ENAME;
	}
	ilnpdns_dname_lower(key->name);
	return 0;
}

static int key_set_alg(struct ilnpdns_tsig_key *key, const char *alg, unsigned flags, char *err,
                       size_t errlen)
{
	int rc = ilnpdns_tsig_alg_from_str(alg, flags, &key->alg, &key->mac_len);
	if (rc == ILNPDNS_ENOENT)
		keys_msg(err, errlen, "unknown algorithm \"%s\"", alg);
	else if (rc == ILNPDNS_EBADKEY)
		keys_msg(err, errlen,
		         "algorithm \"%s\" not allowed (hmac-md5 is refused by default)", alg);
	else if (rc == ILNPDNS_ERANGE)
		keys_msg(err, errlen, "algorithm \"%s\": MAC truncation out of range", alg);
	return rc;
}

static int key_set_secret(struct ilnpdns_tsig_key *key, const char *secret, char *err,
                          size_t errlen)
{
	int n = ilnpdns_b64_decode(secret, strlen(secret), key->secret, sizeof(key->secret));
	if (n == ILNPDNS_ETRUNC) {
		keys_msg(err, errlen, "secret longer than %d octets", ILNPDNS_TSIG_SECRET_MAX);
		return ILNPDNS_ESYNTAX;
	}
	if (n < 0) {
		keys_msg(err, errlen, "secret is not valid base64");
		return ILNPDNS_ESYNTAX;
	}
	if (n == 0) {
		keys_msg(err, errlen, "secret is empty");
		return ILNPDNS_ESYNTAX;
	}
	key->secret_len = (uint16_t)n;
	return 0;
}

int ilnpdns_tsig_key_init(struct ilnpdns_tsig_key *key, const char *name, const char *alg,
                          const char *secret, unsigned flags, char *err, size_t errlen)
{
	memset(key, 0, sizeof(*key));
	int rc = key_set_name(key, name, err, errlen);
	if (rc == 0)
		rc = key_set_alg(key, alg, flags, err, errlen);
	if (rc == 0)
		rc = key_set_secret(key, secret, err, errlen);
	if (rc != 0)
		OPENSSL_cleanse(key, sizeof(*key));
	return rc;
}

int ilnpdns_tsig_key_from_y(struct ilnpdns_tsig_key *key, const char *str, unsigned flags,
                            char *err, size_t errlen)
{
	/* Base64 has no ':' and a key name in practice neither, so the fields
	 * are split at every colon, as nsupdate does. */
	char buf[KEYS_TOKEN_MAX + 16];
	const char *field[3];
	unsigned n = 0;
	size_t len = strlen(str);
	memset(key, 0, sizeof(*key));
	if (len >= sizeof(buf)) {
		keys_msg(err, errlen, "-y string too long");
		return ILNPDNS_ESYNTAX;
	}
	memcpy(buf, str, len + 1);
	field[n++] = buf;
	for (char *p = buf; *p; p++) {
		if (*p != ':')
			continue;
		if (n == 3) {
			n = 4;
			break;
		}
		*p = '\0';
		field[n++] = p + 1;
	}
	int rc;
	if (n < 2 || n > 3) {
		keys_msg(err, errlen, "expected [algorithm:]name:secret");
		rc = ILNPDNS_ESYNTAX;
	} else if (n == 2) {
		rc = ilnpdns_tsig_key_init(key, field[0], "hmac-sha256", field[1], flags, err,
		                           errlen);
	} else {
		rc = ilnpdns_tsig_key_init(key, field[1], field[0], field[2], flags, err, errlen);
	}
	OPENSSL_cleanse(buf, sizeof(buf));
	return rc;
}

/* ---- named.conf-style key files ---- */

enum keys_tok_kind {
	KEYS_TOK_EOF,
	KEYS_TOK_WORD,   /* bare word: key, algorithm, hmac-sha256, unquoted names */
	KEYS_TOK_STRING, /* "quoted", quotes removed, backslash sequences kept */
	KEYS_TOK_PUNCT,  /* { } ; */
};

struct keys_lexer {
	const char *p, *end;
	const char *fname;
	unsigned line;
	char *err;
	size_t errlen;
};

struct keys_token {
	enum keys_tok_kind kind;
	unsigned line;
	char text[KEYS_TOKEN_MAX + 1];
};

static int lex_error(struct keys_lexer *lx, unsigned line, const char *what)
{
	keys_msg(lx->err, lx->errlen, "%s:%u: %s", lx->fname, line, what);
	return ILNPDNS_ECONF;
}

/* Skip whitespace and the three comment styles of named.conf. */
static int lex_skip(struct keys_lexer *lx)
{
	while (lx->p < lx->end) {
		char c = *lx->p;
		if (c == '\n') {
			lx->line++;
			lx->p++;
		} else if (c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v') {
			lx->p++;
		} else if (c == '#' || (c == '/' && lx->p + 1 < lx->end && lx->p[1] == '/')) {
			while (lx->p < lx->end && *lx->p != '\n')
				lx->p++;
		} else if (c == '/' && lx->p + 1 < lx->end && lx->p[1] == '*') {
			unsigned start = lx->line;
			lx->p += 2;
			for (;;) {
				if (lx->p + 1 >= lx->end)
					return lex_error(lx, start, "unterminated /* comment");
				if (lx->p[0] == '*' && lx->p[1] == '/')
					break;
				if (*lx->p == '\n')
					lx->line++;
				lx->p++;
			}
			lx->p += 2;
		} else {
			break;
		}
	}
	return 0;
}

static int lex_next(struct keys_lexer *lx, struct keys_token *t)
{
	int rc = lex_skip(lx);
	if (rc != 0)
		return rc;
	size_t n = 0;
	t->line = lx->line;
	t->text[0] = '\0';
	if (lx->p >= lx->end) {
		t->kind = KEYS_TOK_EOF;
		return 0;
	}
	char c = *lx->p;
	if (c == '{' || c == '}' || c == ';') {
		t->kind = KEYS_TOK_PUNCT;
		t->text[0] = c;
		t->text[1] = '\0';
		lx->p++;
		return 0;
	}
	if (c == '"') {
		t->kind = KEYS_TOK_STRING;
		lx->p++;
		for (;;) {
			if (lx->p >= lx->end)
				return lex_error(lx, t->line, "unterminated string");
			c = *lx->p++;
			if (c == '"')
				break;
			if (c == '\n')
				lx->line++;
			/* Keep "\x" whole so that an escaped quote does not end the
			 * string and the name parser sees its RFC 1035 escapes. */
			if (c == '\\' && lx->p < lx->end) {
				if (n + 2 > KEYS_TOKEN_MAX)
					return lex_error(lx, t->line, "string too long");
				t->text[n++] = c;
				c = *lx->p++;
				if (c == '\n')
					lx->line++;
			}
			if (n + 1 > KEYS_TOKEN_MAX)
				return lex_error(lx, t->line, "string too long");
			t->text[n++] = c;
		}
		t->text[n] = '\0';
		return 0;
	}
	t->kind = KEYS_TOK_WORD;
	while (lx->p < lx->end) {
		c = *lx->p;
		if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '{' || c == '}' ||
		    c == ';' || c == '"' || c == '#')
			break;
		if (c == '/' && lx->p + 1 < lx->end && (lx->p[1] == '/' || lx->p[1] == '*'))
			break;
		if (n + 1 > KEYS_TOKEN_MAX)
			return lex_error(lx, t->line, "word too long");
		t->text[n++] = c;
		lx->p++;
	}
	t->text[n] = '\0';
	return 0;
}

static const char *tok_show(const struct keys_token *t)
{
	return t->kind == KEYS_TOK_EOF ? "end of file" : t->text;
}

static int lex_expect(struct keys_lexer *lx, struct keys_token *t, const char *punct)
{
	int rc = lex_next(lx, t);
	if (rc != 0)
		return rc;
	if (t->kind != KEYS_TOK_PUNCT || t->text[0] != punct[0]) {
		char msg[128];
		snprintf(msg, sizeof(msg), "expected '%s' before '%.40s'", punct, tok_show(t));
		return lex_error(lx, t->line, msg);
	}
	return 0;
}

/* Prefix a message from the key_set_* helpers with the position. */
static int key_error(struct keys_lexer *lx, unsigned line, const char *keyname, const char *msg)
{
	keys_msg(lx->err, lx->errlen, "%s:%u: key \"%.300s\": %s", lx->fname, line, keyname, msg);
	return ILNPDNS_ECONF;
}

/* One "key NAME { clauses };" statement after its "key" word. */
static int parse_key(struct keys_lexer *lx, struct keys_token *t, unsigned flags,
                     struct ilnpdns_tsig_key *key)
{
	char msg[512], name[KEYS_TOKEN_MAX + 1];
	unsigned key_line = t->line;
	bool have_alg = false, have_secret = false;
	int rc;

	memset(key, 0, sizeof(*key));
	if ((rc = lex_next(lx, t)) != 0)
		return rc;
	if (t->kind != KEYS_TOK_WORD && t->kind != KEYS_TOK_STRING)
		return lex_error(lx, t->line, "expected a key name after 'key'");
	memcpy(name, t->text, sizeof(name));
	if (key_set_name(key, name, msg, sizeof(msg)) != 0)
		return key_error(lx, t->line, name, msg);
	if ((rc = lex_expect(lx, t, "{")) != 0)
		return rc;
	for (;;) {
		if ((rc = lex_next(lx, t)) != 0)
			return rc;
		if (t->kind == KEYS_TOK_PUNCT && t->text[0] == '}')
			break;
		bool is_alg = t->kind == KEYS_TOK_WORD && strcasecmp(t->text, "algorithm") == 0;
		bool is_secret = t->kind == KEYS_TOK_WORD && strcasecmp(t->text, "secret") == 0;
		if (!is_alg && !is_secret) {
			snprintf(msg, sizeof(msg),
			         "unknown clause '%.40s' (expected algorithm, secret or '}')",
			         tok_show(t));
			return key_error(lx, t->line, name, msg);
		}
		if ((is_alg && have_alg) || (is_secret && have_secret)) {
			snprintf(msg, sizeof(msg), "duplicate %s", is_alg ? "algorithm" : "secret");
			return key_error(lx, t->line, name, msg);
		}
		if ((rc = lex_next(lx, t)) != 0)
			return rc;
		if (t->kind != KEYS_TOK_WORD && t->kind != KEYS_TOK_STRING) {
			snprintf(msg, sizeof(msg), "expected a value for %s",
			         is_alg ? "algorithm" : "secret");
			return key_error(lx, t->line, name, msg);
		}
		if (is_alg) {
			if (key_set_alg(key, t->text, flags, msg, sizeof(msg)) != 0)
				return key_error(lx, t->line, name, msg);
			have_alg = true;
		} else {
			if (key_set_secret(key, t->text, msg, sizeof(msg)) != 0)
				return key_error(lx, t->line, name, msg);
			have_secret = true;
		}
		if ((rc = lex_expect(lx, t, ";")) != 0)
			return rc;
	}
	if (!have_alg)
		return key_error(lx, key_line, name, "no algorithm clause");
	if (!have_secret)
		return key_error(lx, key_line, name, "no secret clause");
	return lex_expect(lx, t, ";");
}

int ilnpdns_keyfile_parse(const char *text, size_t len, const char *fname, unsigned flags,
                          ilnpdns_keyfile_fn fn, void *arg, char *err, size_t errlen)
{
	struct keys_lexer lx = {text, text + len, fname, 1, err, errlen};
	struct keys_token t;
	struct ilnpdns_tsig_key key;
	int rc;

	for (;;) {
		if ((rc = lex_next(&lx, &t)) != 0)
			break;
		if (t.kind == KEYS_TOK_EOF)
			break;
		if (t.kind != KEYS_TOK_WORD || strcasecmp(t.text, "key") != 0) {
			char msg[128];
			snprintf(msg, sizeof(msg), "expected 'key', got '%.40s'", tok_show(&t));
			rc = lex_error(&lx, t.line, msg);
			break;
		}
		if ((rc = parse_key(&lx, &t, flags, &key)) != 0)
			break;
		if ((rc = fn(&key, arg)) != 0)
			break;
	}
	/* The token buffer held a secret in text form. */
	OPENSSL_cleanse(&t, sizeof(t));
	OPENSSL_cleanse(&key, sizeof(key));
	return rc;
}

int ilnpdns_keyfile_load(const char *path, unsigned flags, ilnpdns_keyfile_fn fn, void *arg,
                         char *err, size_t errlen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		int e = errno;
		keys_msg(err, errlen, "%s: %s", path, strerror(e));
		return -e;
	}
	struct stat st;
	char *buf = NULL;
	size_t len = 0;
	int rc = 0;
	if (fstat(fd, &st) != 0) {
		rc = -errno;
		goto io_fail;
	}
	if (!S_ISREG(st.st_mode) || st.st_size > (off_t)KEYS_FILE_MAX) {
		rc = ILNPDNS_EINVAL;
		keys_msg(err, errlen, "%s: not a regular file of at most %u octets", path,
		         KEYS_FILE_MAX);
		goto out;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (buf == NULL) {
		rc = ILNPDNS_ENOMEM;
		goto io_fail;
	}
	while (len < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + len, (size_t)st.st_size - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = -errno;
			goto io_fail;
		}
		if (n == 0)
			break; /* shrank under us: parse what we have */
		len += (size_t)n;
	}
	rc = ilnpdns_keyfile_parse(buf, len, path, flags, fn, arg, err, errlen);
	goto out;
io_fail:
	keys_msg(err, errlen, "%s: %s", path, strerror(-rc));
out:
	if (buf != NULL) {
		OPENSSL_cleanse(buf, len);
		free(buf);
	}
	close(fd);
	return rc;
}

int ilnpdns_keyfile_exposed(const char *path, bool *exposed)
{
	struct stat st;
	if (stat(path, &st) != 0)
		return -errno;
	*exposed = (st.st_mode & (S_IRGRP | S_IROTH)) != 0;
	return 0;
}
