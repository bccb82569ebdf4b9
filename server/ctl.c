/* SPDX-License-Identifier: BSD-2-Clause */
/* ctl.c -- ilnpdns-ctl: send one command to ilnpdnsd's control socket and print the reply. */
#include "config.h"

#include <errno.h>
#include <stdbool.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "conf.h"
#include "ilnpdns/error.h"

/*
 * The client half of the protocol described at the top of control.c. It
 * only knows the command names and argument counts (to fail early with a
 * usage line) and resolves zone-import's FILE to an absolute path, since
 * the daemon runs in its own working directory. wait-serial's --timeout S
 * becomes a third argument. events keeps the connection open both ways
 * (the daemon drops the subscriber when it reads the end of the stream)
 * and prints each line as it comes. Nothing here calls into
 * the daemon's modules: with -c it reads the configuration through
 * conf_load() only, so this program links without the server's code.
 */

#define DEFAULT_SOCKET "var/ilnpdns.sock"

static const struct {
	const char *name;
	int nargs;
	const char *args;
} commands[] = {
    {"status", 0, ""},
    {"stats", 0, ""},
    {"zone-list", 0, ""},
    {"zone-import", 2, " ZONE FILE"},
    {"zone-dump", 1, " ZONE"},
    {"zone-status", 1, " ZONE"},
    {"wait-serial", 2, " ZONE SERIAL [--timeout S]"},
    {"events", 0, ""},
    {"reload", 0, ""},
    {"stop", 0, ""},
    {"help", 0, ""},
};

static void usage(void)
{
	fprintf(stderr, "usage: ilnpdns-ctl [-s socket] [-c config] command [args]\ncommands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(stderr, "  %s%s\n", commands[i].name, commands[i].args);
	exit(1);
}

/* Append arg to buf, percent-encoding the octets the protocol reserves. */
static int append_arg(char *buf, size_t cap, size_t *len, const char *arg)
{
	if (*len > 0) {
		if (*len + 1 >= cap)
			return -1;
		buf[(*len)++] = ' ';
	}
	for (const char *p = arg; *p != '\0'; p++) {
		if (*len + 4 >= cap)
			return -1;
		if (*p == ' ' || *p == '%' || *p == '\r' || *p == '\n')
			*len +=
			    (size_t)snprintf(buf + *len, cap - *len, "%%%02X", (unsigned char)*p);
		else
			buf[(*len)++] = *p;
	}
	buf[*len] = '\0';
	return 0;
}

static int connect_socket(const char *path)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	int fd;
	if (strlen(path) >= sizeof(sun.sun_path)) {
		fprintf(stderr, "ilnpdns-ctl: socket path too long: %s\n", path);
		return -1;
	}
	memcpy(sun.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sun, sizeof(sun)) != 0) {
		fprintf(stderr, "ilnpdns-ctl: cannot connect to %s: %s (is ilnpdnsd running?)\n",
		        path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

static int send_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Print the data lines (undoing the dot-stuffing) and return 0 for ". ok", 1 otherwise. */
static int read_reply(int fd, bool stream)
{
	FILE *in = fdopen(fd, "r");
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	int status = -1;

	if (in == NULL) {
		close(fd);
		return 1;
	}
	while (status < 0 && (n = getline(&line, &cap, in)) > 0) {
		if (strcmp(line, ". ok\n") == 0) {
			status = 0;
		} else if (strncmp(line, ". error: ", 9) == 0) {
			fprintf(stderr, "ilnpdns-ctl: %s", line + 9);
			status = 1;
		} else {
			fputs(line[0] == '.' ? line + 1 : line, stdout);
			/* A feed is read by pipes (jq, scripts): each line at once. */
			if (stream)
				fflush(stdout);
		}
	}
	if (status < 0) {
		fprintf(stderr, "ilnpdns-ctl: the daemon closed the connection without a status\n");
		status = 1;
	}
	free(line);
	fclose(in);
	if (fflush(stdout) != 0) {
		fprintf(stderr, "ilnpdns-ctl: writing the output: %s\n", strerror(errno));
		status = 1;
	}
	return status;
}

int main(int argc, char **argv)
{
	const char *sock = NULL, *config = NULL;
	char request[4096], resolved[PATH_MAX];
	size_t len = 0;
	struct conf *conf = NULL;
	int opt, fd, cmd = -1, status;

	while ((opt = getopt(argc, argv, "+s:c:h")) != -1) {
		switch (opt) {
		case 's':
			sock = optarg;
			break;
		case 'c':
			config = optarg;
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1)
		usage();
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(argv[0], commands[i].name) == 0)
			cmd = (int)i;
	if (cmd < 0) {
		fprintf(stderr, "ilnpdns-ctl: unknown command \"%s\"\n", argv[0]);
		usage();
	}
	/* wait-serial ZONE SERIAL [--timeout S]: the daemon takes S as a third argument. */
	if (strcmp(argv[0], "wait-serial") == 0 && argc == 5 && strcmp(argv[3], "--timeout") == 0) {
		argv[3] = argv[4];
		argc = 4;
	} else if (argc - 1 != commands[cmd].nargs) {
		fprintf(stderr, "usage: ilnpdns-ctl [-s socket] [-c config] %s%s\n",
		        commands[cmd].name, commands[cmd].args);
		return 1;
	}
	if (strcmp(argv[0], "zone-import") == 0) {
		if (realpath(argv[2], resolved) == NULL) {
			fprintf(stderr, "ilnpdns-ctl: %s: %s\n", argv[2], strerror(errno));
			return 1;
		}
		argv[2] = resolved;
	}

	/* The socket: -s, else the configuration's server.control, else the default. */
	if (sock == NULL && config != NULL) {
		char err[512];
		if (conf_load(config, &conf, err, sizeof(err)) != 0) {
			fprintf(stderr, "ilnpdns-ctl: %s\n", err);
			return 1;
		}
		sock = conf->control;
	}
	if (sock == NULL)
		sock = DEFAULT_SOCKET;

	for (int i = 0; i < argc; i++) {
		if (append_arg(request, sizeof(request) - 1, &len, argv[i]) != 0) {
			fprintf(stderr, "ilnpdns-ctl: command too long\n");
			conf_free(conf);
			return 1;
		}
	}
	request[len++] = '\n';
	fd = connect_socket(sock);
	conf_free(conf);
	if (fd < 0)
		return 1;
	if (send_all(fd, request, len) != 0) {
		fprintf(stderr, "ilnpdns-ctl: sending the command: %s\n", strerror(errno));
		close(fd);
		return 1;
	}
	/* The request is complete: tell the daemon nothing more follows. A
	 * subscriber keeps its side open: its close is what ends the feed. */
	bool stream = strcmp(argv[0], "events") == 0;
	if (!stream)
		shutdown(fd, SHUT_WR);
	status = read_reply(fd, stream);
	return status;
}
