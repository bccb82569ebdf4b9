/* SPDX-License-Identifier: BSD-2-Clause */
/* fuzz_conf.c -- libFuzzer target: ilnpdnsd's YAML configuration through conf_load(). */
#include "config.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "conf.h"
#include "fuzz_util.h"
#include "ilnpdns/dname.h"
#include "ilnpdns/error.h"

/*
 * One input is one configuration file. conf_load() takes a path, so the
 * input is written to an anonymous memory file and loaded by its
 * /proc/self/fd name: no file is left anywhere, whatever the run does. A
 * configuration that loads is then used the way the daemon uses one: key
 * and zone lookups, the unsigned-update and transfer ACLs, and its release.
 * Key files named by the input are read as the daemon would read them (the
 * loader refuses anything but small regular files).
 */

static int memfd = -1;
static char path[64];

/* Use what was loaded as the daemon does, and check what conf.h promises of it. */
static void exercise(const struct conf *c)
{
	struct sockaddr_in v4 = {.sin_family = AF_INET, .sin_port = htons(53)};
	struct sockaddr_in6 v6 = {.sin6_family = AF_INET6, .sin6_port = htons(53)};
	inet_pton(AF_INET, "10.9.1.2", &v4.sin_addr);
	inet_pton(AF_INET6, "::ffff:127.0.0.1", &v6.sin6_addr);

	if (c->nlisten > 0 && c->listen == NULL)
		FUZZ_ABORT();
	for (size_t i = 0; i < c->nkeys; i++)
		if (conf_key_find(c, c->keys[i].name) == NULL)
			FUZZ_ABORT(); /* every configured key must be found by its own name */
	for (size_t i = 0; i < c->nzones; i++) {
		const struct conf_zone *z = &c->zones[i];
		if (z->domain == NULL || conf_zone_find(c, z->apex) == NULL)
			FUZZ_ABORT();
		(void)conf_prefix_match(z->allow_unsigned, z->nallow_unsigned,
		                        (const struct sockaddr *)&v4);
		(void)conf_prefix_match(z->allow_unsigned, z->nallow_unsigned,
		                        (const struct sockaddr *)&v6);
		(void)conf_transfer_allowed(z, (const struct sockaddr *)&v6, NULL);
		if (c->nkeys > 0)
			(void)conf_transfer_allowed(z, (const struct sockaddr *)&v4,
			                            c->keys[0].name);
		(void)policy_allows(&z->update_policy, z->apex, z->apex, 1);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (memfd < 0) {
		fuzz_quiet();
		memfd = memfd_create("fuzz-conf.yaml", MFD_CLOEXEC);
		if (memfd < 0)
			FUZZ_ABORT();
		snprintf(path, sizeof(path), "/proc/self/fd/%d", memfd);
	}
	if (ftruncate(memfd, 0) != 0 || pwrite(memfd, data, size, 0) != (ssize_t)size)
		FUZZ_ABORT();

	struct conf *c = NULL;
	char err[512];
	err[0] = '\0';
	int rc = conf_load(path, &c, err, sizeof(err));
	if (memchr(err, '\0', sizeof(err)) == NULL)
		FUZZ_ABORT();
	if (rc == 0) {
		if (c == NULL)
			FUZZ_ABORT();
		exercise(c);
		/* Twice referenced, twice released: the last one frees (LIFETIME in conf.h). */
		conf_ref(c);
		conf_unref(c);
		conf_unref(c);
	} else if (rc == ILNPDNS_ECONF && err[0] == '\0') {
		FUZZ_ABORT(); /* conf.h: an error always says where and why */
	}
	return 0;
}
