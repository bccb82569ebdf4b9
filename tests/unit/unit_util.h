/* SPDX-License-Identifier: BSD-2-Clause */
/* unit_util.h -- helpers the server's unit tests share: a config loaded from text, an address. */
#ifndef ILNPDNS_TESTS_UNIT_UTIL_H
#define ILNPDNS_TESTS_UNIT_UTIL_H

/* Include after <arpa/inet.h>, <cmocka.h>, <stdlib.h>, <string.h>, <unistd.h> and "conf.h". */

/* Load a config from text; returns the conf or NULL with the error in err. */
static inline struct conf *unit_load_conf(const char *text, char *err, size_t errlen)
{
	char path[] = "/tmp/ilnpdns-test-conf-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	struct conf *c = NULL;
	int rc = conf_load(path, &c, err, errlen);
	unlink(path);
	assert_true((rc == 0) == (c != NULL));
	return c;
}

/* An IPv4 or IPv6 address (port 0) from its text form. */
static inline struct sockaddr_storage unit_addr(const char *text)
{
	struct sockaddr_storage ss;
	memset(&ss, 0, sizeof(ss));
	struct sockaddr_in *a4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&ss;
	if (inet_pton(AF_INET, text, &a4->sin_addr) == 1) {
		a4->sin_family = AF_INET;
	} else {
		assert_int_equal(inet_pton(AF_INET6, text, &a6->sin6_addr), 1);
		a6->sin6_family = AF_INET6;
	}
	return ss;
}

#endif
