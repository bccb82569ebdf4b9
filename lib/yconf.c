/* SPDX-License-Identifier: BSD-2-Clause */
/* yconf.c -- walk a libyaml document tree against a yconf_key schema. */
#include <syslog.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <yaml.h>

#include "ilnpdns/error.h"
#include "ilnpdns/yconf.h"

/*
 * The reader loads the whole document with yaml_parser_load() and walks the
 * node tree: configuration files are small, and a tree gives every node its
 * line, which the event interface would make us track by hand. Values and
 * defaults go through the same conversion functions, so a default is
 * written in the same syntax as the file and checked the same way.
 */

#define PATH_MAX_LEN  256
#define SCHEMA_MAXKEY 64 /* records per map, for the duplicate-key bitmap */
#define WHY_LEN       192

struct walk {
	const char *name; /* file name for messages */
	yaml_document_t *doc;
	void *user;
	char *err;
	size_t errlen;
};

static int walk_fail(struct walk *w, const yaml_node_t *node, const char *path, const char *fmt,
                     ...) __attribute__((format(printf, 4, 5)));

static int walk_fail(struct walk *w, const yaml_node_t *node, const char *path, const char *fmt,
                     ...)
{
	char why[WHY_LEN];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	if (w->err != NULL && w->errlen > 0)
		snprintf(w->err, w->errlen, "%s:%zu: %s: %s", w->name,
		         (size_t)node->start_mark.line + 1, path, why);
	return ILNPDNS_ECONF;
}

static void *field_at(void *base, size_t offset)
{
	return (char *)base + offset;
}

static void store_uint(void *field, unsigned width, uint64_t v)
{
	switch (width) {
	case 1: {
		uint8_t x = (uint8_t)v;
		memcpy(field, &x, 1);
		break;
	}
	case 2: {
		uint16_t x = (uint16_t)v;
		memcpy(field, &x, 2);
		break;
	}
	case 4: {
		uint32_t x = (uint32_t)v;
		memcpy(field, &x, 4);
		break;
	}
	default: {
		uint64_t x = v;
		memcpy(field, &x, 8);
		break;
	}
	}
}

/* The largest value a field of this width holds. */
static uint64_t width_max(unsigned width)
{
	return width >= 8 ? UINT64_MAX : ((uint64_t)1 << (8 * width)) - 1;
}

/*
 * Strict decimal: digits only, no sign, no spaces. *end is the first
 * non-digit. Returns 0, -1 when there is no digit, or -2 on overflow (*end
 * still set, *out saturated to UINT64_MAX).
 */
static int parse_decimal(const char *s, uint64_t *out, const char **end)
{
	uint64_t v = 0;
	bool overflow = false;
	const char *p = s;
	if (*p < '0' || *p > '9')
		return -1;
	for (; *p >= '0' && *p <= '9'; p++) {
		unsigned d = (unsigned)(*p - '0');
		if (v > (UINT64_MAX - d) / 10)
			overflow = true;
		else
			v = v * 10 + d;
	}
	*out = overflow ? UINT64_MAX : v;
	*end = p;
	return overflow ? -2 : 0;
}

static void fmt_duration(uint64_t ms, char *buf, size_t cap)
{
	static const struct {
		const char *unit;
		uint64_t ms;
	} units[] = {{"d", 86400000}, {"h", 3600000}, {"m", 60000}, {"s", 1000}};
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (ms != 0 && ms % units[i].ms == 0) {
			snprintf(buf, cap, "%llu%s", (unsigned long long)(ms / units[i].ms),
			         units[i].unit);
			return;
		}
	}
	snprintf(buf, cap, "%llums", (unsigned long long)ms);
}

static void fmt_size(uint64_t v, char *buf, size_t cap)
{
	static const char suffix[] = "kMGT";
	unsigned i = 0;
	while (v != 0 && v % 1024 == 0 && i < 4) {
		v /= 1024;
		i++;
	}
	if (i == 0)
		snprintf(buf, cap, "%llu", (unsigned long long)v);
	else
		snprintf(buf, cap, "%llu%c", (unsigned long long)v, suffix[i - 1]);
}

static void fmt_value(const struct yconf_key *k, uint64_t v, char *buf, size_t cap)
{
	if (k->type == YCONF_DURATION)
		fmt_duration(v, buf, cap);
	else if (k->type == YCONF_SIZE)
		fmt_size(v, buf, cap);
	else
		snprintf(buf, cap, "%llu", (unsigned long long)v);
}

static int range_error(const struct yconf_key *k, char *why, size_t whylen)
{
	uint64_t max = k->max < width_max(k->width) ? k->max : width_max(k->width);
	char lo[32], hi[32];
	fmt_value(k, k->min, lo, sizeof(lo));
	fmt_value(k, max, hi, sizeof(hi));
	snprintf(why, whylen, "out of range (%s to %s)", lo, hi);
	return -1;
}

static int check_range(const struct yconf_key *k, uint64_t v, char *why, size_t whylen)
{
	uint64_t max = k->max < width_max(k->width) ? k->max : width_max(k->width);
	if (v < k->min || v > max)
		return range_error(k, why, whylen);
	return 0;
}

static int conv_uint(const struct yconf_key *k, const char *s, uint64_t *out, char *why,
                     size_t whylen)
{
	const char *end;
	uint64_t v;
	for (const struct yconf_name *n = k->names; n != NULL && n->name != NULL; n++) {
		if (strcmp(s, n->name) == 0) {
			*out = n->value;
			return 0;
		}
	}
	int rc = parse_decimal(s, &v, &end);
	if (rc == -1 || *end != '\0') {
		if (k->names != NULL && k->names[0].name != NULL)
			snprintf(why, whylen, "expected an integer or \"%s\", not \"%s\"",
			         k->names[0].name, s);
		else
			snprintf(why, whylen, "expected an integer, not \"%s\"", s);
		return -1;
	}
	if (rc == -2 || check_range(k, v, why, whylen) != 0)
		return range_error(k, why, whylen);
	*out = v;
	return 0;
}

/* Multiply with overflow detection. */
static int scale(uint64_t v, uint64_t mul, uint64_t *out)
{
	if (mul != 0 && v > UINT64_MAX / mul)
		return -1;
	*out = v * mul;
	return 0;
}

static int conv_size(const struct yconf_key *k, const char *s, uint64_t *out, char *why,
                     size_t whylen)
{
	static const char suffixes[] = "kMGT";
	const char *end;
	uint64_t v;
	unsigned shift = 0;
	int rc = parse_decimal(s, &v, &end);
	if (rc != -1 && end[0] != '\0') {
		/* "k" and "K" both mean 1024; the larger units are upper case only. */
		const char *p = end[0] == 'K' ? suffixes : strchr(suffixes, end[0]);
		if (p == NULL || end[1] != '\0')
			rc = -1;
		else
			shift = 10 * (unsigned)(p - suffixes + 1);
	}
	if (rc == -1) {
		snprintf(why, whylen, "expected a size such as 512M or 4G, not \"%s\"", s);
		return -1;
	}
	if (rc == -2 || scale(v, (uint64_t)1 << shift, &v) != 0)
		return range_error(k, why, whylen);
	if (check_range(k, v, why, whylen) != 0)
		return -1;
	*out = v;
	return 0;
}

static int conv_duration(const struct yconf_key *k, const char *s, uint64_t *out, char *why,
                         size_t whylen)
{
	static const struct {
		const char *suffix;
		uint64_t ms;
	} units[] = {{"", 1000},   {"ms", 1},      {"s", 1000},
	             {"m", 60000}, {"h", 3600000}, {"d", 86400000}};
	const char *end;
	uint64_t v;
	int rc = parse_decimal(s, &v, &end);
	if (rc != -1) {
		for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
			if (strcmp(end, units[i].suffix) != 0)
				continue;
			if (rc == -2 || scale(v, units[i].ms, &v) != 0)
				return range_error(k, why, whylen);
			if (check_range(k, v, why, whylen) != 0)
				return -1;
			*out = v;
			return 0;
		}
	}
	snprintf(why, whylen, "expected a duration such as 10s, 500ms or 5m, not \"%s\"", s);
	return -1;
}

static int conv_bool(const char *s, bool *out, char *why, size_t whylen)
{
	static const char *const yes[] = {"true", "yes", "on"};
	static const char *const no[] = {"false", "no", "off"};
	for (size_t i = 0; i < 3; i++) {
		if (strcasecmp(s, yes[i]) == 0) {
			*out = true;
			return 0;
		}
		if (strcasecmp(s, no[i]) == 0) {
			*out = false;
			return 0;
		}
	}
	snprintf(why, whylen, "expected true or false, not \"%s\"", s);
	return -1;
}

static int conv_enum(const struct yconf_key *k, const char *s, uint64_t *out, char *why,
                     size_t whylen)
{
	size_t used;
	for (const struct yconf_name *n = k->names; n->name != NULL; n++) {
		if (strcmp(s, n->name) == 0) {
			*out = n->value;
			return 0;
		}
	}
	used = (size_t)snprintf(why, whylen, "expected one of");
	for (const struct yconf_name *n = k->names; n->name != NULL && used < whylen; n++)
		used += (size_t)snprintf(why + used, whylen - used, "%s %s",
		                         n == k->names ? "" : ",", n->name);
	if (used < whylen)
		snprintf(why + used, whylen - used, ", not \"%s\"", s);
	return -1;
}

int yconf_addr_parse(const char *text, uint16_t default_port, struct yconf_addr *out, char *why,
                     size_t whylen)
{
	char host[64];
	const char *at = strrchr(text, '@');
	size_t hostlen = at != NULL ? (size_t)(at - text) : strlen(text);
	uint64_t port = default_port;
	struct addrinfo hints = {0}, *ai = NULL;

	if (strlen(text) >= sizeof(out->text) || hostlen >= sizeof(host)) {
		snprintf(why, whylen, "address \"%s\" is too long", text);
		return ILNPDNS_ESYNTAX;
	}
	if (at != NULL) {
		const char *end;
		if (parse_decimal(at + 1, &port, &end) != 0 || *end != '\0' || port == 0 ||
		    port > 65535) {
			snprintf(why, whylen, "bad port in \"%s\" (expected 1 to 65535)", text);
			return ILNPDNS_ESYNTAX;
		}
	} else if (default_port == 0) {
		snprintf(why, whylen, "\"%s\" has no port (write ip@port)", text);
		return ILNPDNS_ESYNTAX;
	}
	memcpy(host, text, hostlen);
	host[hostlen] = '\0';
	/* Numeric only: a configuration that resolves names at start-up is fragile. */
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_DGRAM;
	if (hostlen == 0 || getaddrinfo(host, NULL, &hints, &ai) != 0 || ai == NULL) {
		snprintf(why, whylen, "\"%s\" is not an IP address (write ip@port)", text);
		return ILNPDNS_ESYNTAX;
	}
	memset(out, 0, sizeof(*out));
	memcpy(&out->ss, ai->ai_addr, ai->ai_addrlen);
	out->len = (socklen_t)ai->ai_addrlen;
	freeaddrinfo(ai);
	if (out->ss.ss_family == AF_INET)
		((struct sockaddr_in *)&out->ss)->sin_port = htons((uint16_t)port);
	else
		((struct sockaddr_in6 *)&out->ss)->sin6_port = htons((uint16_t)port);
	snprintf(out->text, sizeof(out->text), "%s", text);
	return 0;
}

/*
 * Convert one scalar for a scalar-typed key and store it. Returns 0, -1 with
 * why filled, or ILNPDNS_ENOMEM.
 */
static int apply_scalar(const struct yconf_key *k, void *base, const char *s, char *why,
                        size_t whylen)
{
	void *field = field_at(base, k->offset);
	uint64_t v = 0;
	int rc;

	switch (k->type) {
	case YCONF_STRING: {
		char *copy = strdup(s);
		if (copy == NULL)
			return ILNPDNS_ENOMEM;
		free(*(char **)field);
		*(char **)field = copy;
		return 0;
	}
	case YCONF_BOOL:
		return conv_bool(s, (bool *)field, why, whylen);
	case YCONF_UINT:
		rc = conv_uint(k, s, &v, why, whylen);
		break;
	case YCONF_SIZE:
		rc = conv_size(k, s, &v, why, whylen);
		break;
	case YCONF_DURATION:
		rc = conv_duration(k, s, &v, why, whylen);
		break;
	case YCONF_ENUM:
		rc = conv_enum(k, s, &v, why, whylen);
		break;
	default:
		snprintf(why, whylen, "not a scalar key");
		return -1;
	}
	if (rc == 0)
		store_uint(field, k->width, v);
	return rc;
}

/* Replace the address array of k with addrs[0..n). Takes ownership of addrs. */
static void set_addrs(const struct yconf_key *k, void *base, struct yconf_addr *addrs, size_t n)
{
	struct yconf_addr **field = field_at(base, k->offset);
	free(*field);
	*field = addrs;
	*(size_t *)field_at(base, k->count_offset) = n;
}

/* Free a string list and clear its field and count. */
static void clear_strings(const struct yconf_key *k, void *base)
{
	struct yconf_str **field = field_at(base, k->offset);
	size_t *count = field_at(base, k->count_offset);
	for (size_t i = 0; i < *count; i++)
		free((*field)[i].text);
	free(*field);
	*field = NULL;
	*count = 0;
}

static int check_count(const struct yconf_key *k, size_t n, char *why, size_t whylen)
{
	if (n < k->min || n > k->max) {
		if (k->min == 0 && k->max == 1)
			snprintf(why, whylen, "expected at most one address, got %zu", n);
		else if (k->min == k->max)
			snprintf(why, whylen, "expected %llu address%s, got %zu",
			         (unsigned long long)k->min, k->min == 1 ? "" : "es", n);
		else
			snprintf(why, whylen, "expected %llu to %llu addresses, got %zu",
			         (unsigned long long)k->min, (unsigned long long)k->max, n);
		return -1;
	}
	return 0;
}

static int apply_default(const struct yconf_key *k, void *base, char *why, size_t whylen);

static int defaults_into(const struct yconf_key *schema, void *base, const char *prefix, char *err,
                         size_t errlen)
{
	for (const struct yconf_key *k = schema; k->key != NULL; k++) {
		char why[WHY_LEN];
		int rc;
		if (k->type == YCONF_MAP) {
			char path[PATH_MAX_LEN];
			snprintf(path, sizeof(path), "%s%s%s", prefix, *prefix ? "." : "", k->key);
			rc = defaults_into(k->sub, field_at(base, k->offset), path, err, errlen);
			if (rc != 0)
				return rc;
			continue;
		}
		rc = apply_default(k, base, why, sizeof(why));
		if (rc == ILNPDNS_ENOMEM)
			return rc;
		if (rc != 0) {
			if (err != NULL && errlen > 0)
				snprintf(err, errlen, "built-in default: %s%s%s: %s", prefix,
				         *prefix ? "." : "", k->key, why);
			return ILNPDNS_ECONF;
		}
	}
	return 0;
}

static int apply_default(const struct yconf_key *k, void *base, char *why, size_t whylen)
{
	if (k->type == YCONF_LIST || k->type == YCONF_STRINGS) {
		/* Lists start empty; dflt does not apply. */
		return 0;
	}
	if (k->type == YCONF_ADDRS) {
		struct yconf_addr *addrs = NULL;
		size_t n = 0;
		const char *p = k->dflt != NULL ? k->dflt : "";
		while (*p != '\0') {
			char one[sizeof(addrs->text)];
			size_t len = strcspn(p, " ");
			struct yconf_addr *grown;
			if (len == 0) {
				p++;
				continue;
			}
			snprintf(one, sizeof(one), "%.*s", (int)len, p);
			p += len;
			grown = realloc(addrs, (n + 1) * sizeof(*addrs));
			if (grown == NULL) {
				free(addrs);
				return ILNPDNS_ENOMEM;
			}
			addrs = grown;
			if (yconf_addr_parse(one, k->default_port, &addrs[n], why, whylen) != 0) {
				free(addrs);
				return -1;
			}
			n++;
		}
		set_addrs(k, base, addrs, n);
		return 0;
	}
	if (k->dflt == NULL)
		return 0;
	return apply_scalar(k, base, k->dflt, why, whylen);
}

int yconf_defaults(const struct yconf_key *schema, void *base, char *err, size_t errlen)
{
	return defaults_into(schema, base, "", err, errlen);
}

static int walk_map(struct walk *w, const struct yconf_key *schema, void *base, yaml_node_t *node,
                    const char *prefix);

/* A plain (unquoted) empty, "~" or "null" scalar: YAML's null. */
static bool is_null(const yaml_node_t *node)
{
	if (node->type != YAML_SCALAR_NODE || node->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return false;
	const char *s = (const char *)node->data.scalar.value;
	return node->data.scalar.length == 0 || strcmp(s, "~") == 0 || strcmp(s, "null") == 0 ||
	       strcmp(s, "Null") == 0 || strcmp(s, "NULL") == 0;
}

/* The scalar's text, or NULL after reporting why it is unusable. */
static const char *scalar_text(struct walk *w, yaml_node_t *node, const char *path, int *rc)
{
	if (node->type != YAML_SCALAR_NODE) {
		*rc = walk_fail(w, node, path, "expected a single value, not a %s",
		                node->type == YAML_MAPPING_NODE ? "map" : "list");
		return NULL;
	}
	if (is_null(node)) {
		*rc = walk_fail(w, node, path, "missing value");
		return NULL;
	}
	if (strlen((const char *)node->data.scalar.value) != node->data.scalar.length) {
		*rc = walk_fail(w, node, path, "value contains a NUL character");
		return NULL;
	}
	if (node->data.scalar.length == 0) {
		*rc = walk_fail(w, node, path, "empty value");
		return NULL;
	}
	return (const char *)node->data.scalar.value;
}

static int walk_addrs(struct walk *w, const struct yconf_key *k, void *base, yaml_node_t *node,
                      const char *path)
{
	yaml_node_item_t *items = NULL, single = 0;
	size_t n = 0;
	struct yconf_addr *addrs;
	char why[WHY_LEN];
	int rc = 0;

	if (node->type == YAML_SEQUENCE_NODE) {
		items = node->data.sequence.items.start;
		n = (size_t)(node->data.sequence.items.top - items);
	} else if (node->type == YAML_SCALAR_NODE && !is_null(node)) {
		/* One address may be written without brackets. */
		single = (yaml_node_item_t)(node - w->doc->nodes.start + 1);
		items = &single;
		n = 1;
	} else if (node->type == YAML_MAPPING_NODE) {
		return walk_fail(w, node, path, "expected an address or a list of addresses");
	}
	if (check_count(k, n, why, sizeof(why)) != 0)
		return walk_fail(w, node, path, "%s", why);
	addrs = calloc(n ? n : 1, sizeof(*addrs));
	if (addrs == NULL)
		return ILNPDNS_ENOMEM;
	for (size_t i = 0; i < n; i++) {
		yaml_node_t *item = yaml_document_get_node(w->doc, items[i]);
		const char *s = scalar_text(w, item, path, &rc);
		if (s == NULL)
			break;
		if (yconf_addr_parse(s, k->default_port, &addrs[i], why, sizeof(why)) != 0) {
			rc = walk_fail(w, item, path, "%s", why);
			break;
		}
		for (size_t j = 0; j < i; j++) {
			if (addrs[j].len == addrs[i].len &&
			    memcmp(&addrs[j].ss, &addrs[i].ss, addrs[i].len) == 0) {
				rc = walk_fail(w, item, path, "address \"%s\" listed twice", s);
				break;
			}
		}
		if (rc != 0)
			break;
	}
	if (rc != 0) {
		free(addrs);
		return rc;
	}
	set_addrs(k, base, addrs, n);
	return 0;
}

static int walk_strings(struct walk *w, const struct yconf_key *k, void *base, yaml_node_t *node,
                        const char *path)
{
	yaml_node_item_t *items = NULL, single = 0;
	struct yconf_str **field = field_at(base, k->offset);
	size_t *count = field_at(base, k->count_offset);
	size_t n = 0;
	int rc = 0;

	if (node->type == YAML_SEQUENCE_NODE) {
		items = node->data.sequence.items.start;
		n = (size_t)(node->data.sequence.items.top - items);
	} else if (node->type == YAML_SCALAR_NODE && !is_null(node)) {
		/* One string may be written without brackets. */
		single = (yaml_node_item_t)(node - w->doc->nodes.start + 1);
		items = &single;
		n = 1;
	} else if (node->type == YAML_MAPPING_NODE) {
		return walk_fail(w, node, path, "expected a value or a list of values");
	}
	if (k->max == 0 && n < k->min)
		return walk_fail(w, node, path, "expected at least %llu values, got %zu",
		                 (unsigned long long)k->min, n);
	if (k->max != 0 && (n < k->min || n > k->max))
		return walk_fail(w, node, path, "expected %llu to %llu values, got %zu",
		                 (unsigned long long)k->min, (unsigned long long)k->max, n);
	clear_strings(k, base);
	*field = calloc(n ? n : 1, sizeof(**field));
	if (*field == NULL)
		return ILNPDNS_ENOMEM;
	for (size_t i = 0; i < n; i++) {
		yaml_node_t *item = yaml_document_get_node(w->doc, items[i]);
		const char *s = scalar_text(w, item, path, &rc);
		if (s == NULL)
			return rc;
		if (((*field)[i].text = strdup(s)) == NULL)
			return ILNPDNS_ENOMEM;
		(*field)[i].line = (unsigned)item->start_mark.line + 1;
		/* Counted as filled so that yconf_free() sees it. */
		*count = i + 1;
	}
	return 0;
}

static int walk_value(struct walk *w, const struct yconf_key *k, void *base, yaml_node_t *node,
                      const char *path);

static int walk_list(struct walk *w, const struct yconf_key *k, void *base, yaml_node_t *node,
                     const char *path)
{
	void **array = field_at(base, k->offset);
	size_t *count = field_at(base, k->count_offset);

	if (is_null(node))
		return 0;
	if (node->type != YAML_SEQUENCE_NODE)
		return walk_fail(w, node, path, "expected a list (each item starting with \"- \")");
	for (yaml_node_item_t *it = node->data.sequence.items.start;
	     it < node->data.sequence.items.top; it++) {
		yaml_node_t *item = yaml_document_get_node(w->doc, *it);
		char *grown;
		void *elem;
		int rc;
		bool value = (k->flags & YCONF_ITEM_VALUE) && item->type == YAML_SCALAR_NODE;
		if (item->type != YAML_MAPPING_NODE && !value)
			return walk_fail(w, item, path, "expected a map in each list item");
		grown = realloc(*array, (*count + 1) * k->elem_size);
		if (grown == NULL)
			return ILNPDNS_ENOMEM;
		*array = grown;
		elem = grown + *count * k->elem_size;
		memset(elem, 0, k->elem_size);
		/* Count the element before filling it so that yconf_free() sees it. */
		(*count)++;
		rc = defaults_into(k->sub, elem, path, w->err, w->errlen);
		if (rc == 0 && value) {
			/* The short form: the value of the first key of the map. */
			if (k->sub[0].flags & YCONF_LINE)
				*(unsigned *)field_at(elem, k->sub[0].line_offset) =
				    (unsigned)item->start_mark.line + 1;
			rc = walk_value(w, &k->sub[0], elem, item, path);
		} else if (rc == 0) {
			rc = walk_map(w, k->sub, elem, item, path);
		}
		if (rc != 0)
			return rc;
	}
	return 0;
}

static int walk_value(struct walk *w, const struct yconf_key *k, void *base, yaml_node_t *node,
                      const char *path)
{
	char why[WHY_LEN];
	const char *s;
	int rc = 0;

	switch (k->type) {
	case YCONF_MAP:
		if (is_null(node))
			return 0;
		if (node->type != YAML_MAPPING_NODE)
			return walk_fail(w, node, path, "expected a map of keys");
		return walk_map(w, k->sub, field_at(base, k->offset), node, path);
	case YCONF_LIST:
		return walk_list(w, k, base, node, path);
	case YCONF_ADDRS:
		rc = walk_addrs(w, k, base, node, path);
		break;
	case YCONF_STRINGS:
		rc = walk_strings(w, k, base, node, path);
		break;
	default:
		s = scalar_text(w, node, path, &rc);
		if (s == NULL)
			return rc;
		rc = apply_scalar(k, base, s, why, sizeof(why));
		if (rc == -1)
			return walk_fail(w, node, path, "%s", why);
		break;
	}
	if (rc != 0)
		return rc;
	if (k->check != NULL &&
	    k->check(base, field_at(base, k->offset), w->user, why, sizeof(why)) != 0)
		return walk_fail(w, node, path, "%s", why);
	return 0;
}

static int walk_map(struct walk *w, const struct yconf_key *schema, void *base, yaml_node_t *node,
                    const char *prefix)
{
	bool seen[SCHEMA_MAXKEY] = {false};
	char path[PATH_MAX_LEN];

	for (yaml_node_pair_t *pair = node->data.mapping.pairs.start;
	     pair < node->data.mapping.pairs.top; pair++) {
		yaml_node_t *kn = yaml_document_get_node(w->doc, pair->key);
		yaml_node_t *vn = yaml_document_get_node(w->doc, pair->value);
		const struct yconf_key *k;
		const char *name;
		size_t i;
		int rc;

		if (kn->type != YAML_SCALAR_NODE)
			return walk_fail(w, kn, *prefix ? prefix : "(top)",
			                 "keys must be plain words");
		name = (const char *)kn->data.scalar.value;
		snprintf(path, sizeof(path), "%s%s%s", prefix, *prefix ? "." : "", name);
		for (i = 0, k = schema; k->key != NULL; k++, i++)
			if (strcmp(k->key, name) == 0)
				break;
		if (k->key == NULL)
			return walk_fail(w, kn, path, "unknown key");
		if (i < SCHEMA_MAXKEY) {
			if (seen[i])
				return walk_fail(w, kn, path, "duplicate key");
			seen[i] = true;
		}
		if (k->flags & YCONF_MARK)
			*(bool *)field_at(base, k->mark_offset) = true;
		if (k->flags & YCONF_LINE)
			*(unsigned *)field_at(base, k->line_offset) =
			    (unsigned)vn->start_mark.line + 1;
		rc = walk_value(w, k, base, vn, path);
		if (rc != 0)
			return rc;
	}
	size_t i = 0;
	for (const struct yconf_key *k = schema; k->key != NULL; k++, i++) {
		if ((k->flags & YCONF_REQUIRED) && i < SCHEMA_MAXKEY && !seen[i]) {
			snprintf(path, sizeof(path), "%s%s%s", prefix, *prefix ? "." : "", k->key);
			return walk_fail(w, node, path, "missing (required)");
		}
	}
	return 0;
}

int yconf_parse_stream(const struct yconf_key *schema, FILE *in, const char *name, void *base,
                       void *user, char *err, size_t errlen)
{
	yaml_parser_t parser;
	yaml_document_t doc, extra;
	struct walk w = {.name = name, .doc = &doc, .user = user, .err = err, .errlen = errlen};
	yaml_node_t *root;
	int rc;

	rc = yconf_defaults(schema, base, err, errlen);
	if (rc != 0)
		return rc;
	if (!yaml_parser_initialize(&parser))
		return ILNPDNS_ENOMEM;
	yaml_parser_set_input_file(&parser, in);
	if (!yaml_parser_load(&parser, &doc)) {
		if (parser.error == YAML_MEMORY_ERROR) {
			rc = ILNPDNS_ENOMEM;
		} else {
			snprintf(err, errlen, "%s:%zu: YAML syntax: %s%s%s", name,
			         (size_t)parser.problem_mark.line + 1,
			         parser.problem ? parser.problem : "error",
			         parser.context ? " " : "", parser.context ? parser.context : "");
			rc = ILNPDNS_ECONF;
		}
		yaml_parser_delete(&parser);
		return rc;
	}
	root = yaml_document_get_root_node(&doc);
	if (root == NULL) {
		rc = 0; /* an empty file: all defaults */
	} else if (root->type != YAML_MAPPING_NODE && !is_null(root)) {
		rc = walk_fail(&w, root, "(top)", "expected a map of keys such as \"server:\"");
	} else if (root->type == YAML_MAPPING_NODE) {
		rc = walk_map(&w, schema, base, root, "");
	}
	if (rc == 0 && root != NULL) {
		/* A second document would be silently ignored: refuse it. */
		if (!yaml_parser_load(&parser, &extra)) {
			snprintf(err, errlen, "%s:%zu: YAML syntax: %s", name,
			         (size_t)parser.problem_mark.line + 1,
			         parser.problem ? parser.problem : "error");
			rc = ILNPDNS_ECONF;
		} else {
			yaml_node_t *second = yaml_document_get_root_node(&extra);
			if (second != NULL) {
				w.doc = &extra;
				rc = walk_fail(&w, second, "(top)",
				               "only one YAML document is allowed");
			}
			yaml_document_delete(&extra);
		}
	}
	yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	return rc;
}

int yconf_parse(const struct yconf_key *schema, const char *path, void *base, void *user, char *err,
                size_t errlen)
{
	FILE *in = fopen(path, "r");
	int rc;
	if (in == NULL) {
		int e = errno;
		snprintf(err, errlen, "%s: %s", path, strerror(e));
		/* Defaults still apply so that yconf_free() has a consistent struct. */
		yconf_defaults(schema, base, NULL, 0);
		return ILNPDNS_ECONF;
	}
	rc = yconf_parse_stream(schema, in, path, base, user, err, errlen);
	fclose(in);
	return rc;
}

void yconf_free(const struct yconf_key *schema, void *base)
{
	for (const struct yconf_key *k = schema; k->key != NULL; k++) {
		void *field = field_at(base, k->offset);
		switch (k->type) {
		case YCONF_STRING:
			free(*(char **)field);
			*(char **)field = NULL;
			break;
		case YCONF_ADDRS:
			set_addrs(k, base, NULL, 0);
			break;
		case YCONF_STRINGS:
			clear_strings(k, base);
			break;
		case YCONF_MAP:
			yconf_free(k->sub, field);
			break;
		case YCONF_LIST: {
			char *array = *(char **)field;
			size_t *count = field_at(base, k->count_offset);
			for (size_t i = 0; i < *count; i++)
				yconf_free(k->sub, array + i * k->elem_size);
			free(array);
			*(char **)field = NULL;
			*count = 0;
			break;
		}
		default:
			break;
		}
	}
}

/*
 * One line per key, indented two spaces per level; within a list of maps
 * the element is commented out (lead "# ") since lists start empty.
 */
static void sample_map(const struct yconf_key *schema, FILE *out, int indent, bool in_list,
                       const char *lead)
{
	for (const struct yconf_key *k = schema; k->key != NULL; k++) {
		int pad = indent + (in_list ? 2 : 0);
		const char *dash = in_list && k == schema ? "- " : "";
		int dpad = in_list && k == schema ? indent : pad;
		if (k->help != NULL)
			fprintf(out, "%*s# %s\n", pad, "", k->help);
		/* A key without a default is shown commented out, with no value. */
		bool scalar = k->type != YCONF_MAP && k->type != YCONF_LIST &&
		              k->type != YCONF_ADDRS && k->type != YCONF_STRINGS;
		fprintf(out, "%*s%s%s%s:", dpad, "", scalar && k->dflt == NULL ? "# " : lead, dash,
		        k->key);
		switch (k->type) {
		case YCONF_MAP:
			fputc('\n', out);
			sample_map(k->sub, out, pad + 2, false, lead);
			break;
		case YCONF_LIST:
			fputc('\n', out);
			sample_map(k->sub, out, pad + 2, true, "# ");
			break;
		case YCONF_ADDRS:
			fputs(" [", out);
			for (const char *p = k->dflt != NULL ? k->dflt : ""; *p != '\0';) {
				size_t len = strcspn(p, " ");
				if (len > 0)
					fprintf(out, "%s\"%.*s\"", p == k->dflt ? " " : ", ",
					        (int)len, p);
				p += len;
				p += strspn(p, " ");
			}
			fputs(" ]\n", out);
			break;
		case YCONF_STRINGS:
			fputs(" []\n", out);
			break;
		default:
			fprintf(out, "%s%s\n", k->dflt != NULL ? " " : "",
			        k->dflt != NULL ? k->dflt : "");
			break;
		}
	}
}

void yconf_write_sample(const struct yconf_key *schema, FILE *out)
{
	sample_map(schema, out, 0, false, "");
}

const struct yconf_name yconf_log_levels[] = {
	{"error", LOG_ERR}, {"warning", LOG_WARNING}, {"notice", LOG_NOTICE},
	{"info", LOG_INFO}, {"debug", LOG_DEBUG},     {NULL, 0},
};

const struct yconf_name yconf_log_targets[] = {
	{"stderr", 0},
	{"syslog", 1},
	{NULL, 0},
};
