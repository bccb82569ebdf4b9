/* SPDX-License-Identifier: BSD-2-Clause */
/* ckupd.c -- send one SIG(0)-signed UPDATE over UDP with a DNS COOKIE and print the answer. */
/*
 * Usage: ckupd -k KFILE [-c COOKIEHEX] -z ZONE -o OWNER -t TEXT ADDR@PORT
 *
 * The update adds "OWNER 0 IN TXT TEXT" to ZONE. With -c the request has an
 * OPT holding a COOKIE option of those octets (client cookie, then maybe a
 * server cookie: 16 or 32..80 hex digits); without it no OPT at all. The
 * message is signed with SIG(0) (RFC 2931) by the dnssec-keygen key pair
 * KFILE, after the OPT, as a client must. nsupdate and knsupdate cannot send
 * cookies, hence this helper for tests/system/cookies-rrl.
 *
 * Output, one line: "RCODE COOKIE TC", RCODE with its extended bits
 * (BADCOOKIE), COOKIE the option's hex in the answer or "-", TC "tc" or
 * "-". "NOANSWER" after 5 s. Exit 0 on an answer, 3 without, 2 on usage.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ilnpdns/base64.h"
#include "ilnpdns/dname.h"
#include "ilnpdns/sig0.h"
#include "ilnpdns/wire.h"

#define MAXMSG 4096

static void usage(void)
{
	fprintf(stderr,
	        "usage: ckupd -k KFILE [-c COOKIEHEX] -z ZONE -o OWNER -t TEXT ADDR@PORT\n");
	exit(2);
}

static size_t put_name(uint8_t *m, size_t n, const char *text)
{
	uint8_t w[ILNPDNS_DNAME_MAXLEN];
	if (ilnpdns_dname_from_str(text, w) < 0) {
		fprintf(stderr, "ckupd: bad name %s\n", text);
		exit(2);
	}
	size_t l = ilnpdns_dname_len(w);
	memcpy(m + n, w, l);
	return n + l;
}

static const char *rcode_name(unsigned rc)
{
	static const char *const names[] = {
	    "NOERROR",  "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP",  "REFUSED",
	    "YXDOMAIN", "YXRRSET", "NXRRSET",  "NOTAUTH",  "NOTZONE",
	};
	static char buf[16];
	if (rc < sizeof(names) / sizeof(names[0]))
		return names[rc];
	if (rc == 16)
		return "BADVERS";
	if (rc == 23)
		return "BADCOOKIE";
	snprintf(buf, sizeof(buf), "RCODE%u", rc);
	return buf;
}

/* Print the answer line: RCODE, COOKIE and TC, reading the OPT wherever it is. */
static int print_answer(const uint8_t *a, size_t len)
{
	uint8_t name[ILNPDNS_DNAME_MAXLEN];
	size_t pos = ILNPDNS_HDR_LEN;
	unsigned rc = a[3] & 0xf;
	char cookie[2 * 40 + 1] = "-";
	if (len < ILNPDNS_HDR_LEN)
		return 3;
	unsigned qd = ilnpdns_get16(a + 4);
	unsigned total =
	    (unsigned)ilnpdns_get16(a + 6) + ilnpdns_get16(a + 8) + ilnpdns_get16(a + 10);
	for (unsigned i = 0; i < qd; i++) {
		if (ilnpdns_dname_unpack(a, len, &pos, name) < 0 || pos + 4 > len)
			goto out;
		pos += 4;
	}
	for (unsigned i = 0; i < total; i++) {
		if (ilnpdns_dname_unpack(a, len, &pos, name) < 0 || pos + 10 > len)
			goto out;
		uint16_t type = ilnpdns_get16(a + pos), rdlen = ilnpdns_get16(a + pos + 8);
		if (pos + 10 + rdlen > len)
			goto out;
		if (type == ILNPDNS_T_OPT) {
			rc |= (unsigned)a[pos + 4] << 4;
			for (size_t o = pos + 10; o + 4 <= pos + 10 + rdlen;) {
				uint16_t code = ilnpdns_get16(a + o),
				         olen = ilnpdns_get16(a + o + 2);
				if (code == 10 && olen <= 40)
					for (size_t k = 0; k < olen; k++)
						snprintf(cookie + 2 * k, 3, "%02x", a[o + 4 + k]);
				o += 4u + olen;
			}
		}
		pos += 10u + rdlen;
	}
out:
	printf("%s %s %s\n", rcode_name(rc), cookie,
	       (ilnpdns_get16(a + 2) & ILNPDNS_FLAG_TC) ? "tc" : "-");
	return 0;
}

int main(int argc, char **argv)
{
	const char *kfile = NULL, *hex = NULL, *zone = NULL, *owner = NULL, *text = NULL;
	int c;
	while ((c = getopt(argc, argv, "k:c:z:o:t:")) != -1) {
		switch (c) {
		case 'k':
			kfile = optarg;
			break;
		case 'c':
			hex = optarg;
			break;
		case 'z':
			zone = optarg;
			break;
		case 'o':
			owner = optarg;
			break;
		case 't':
			text = optarg;
			break;
		default:
			usage();
		}
	}
	if (!kfile || !zone || !owner || !text || optind != argc - 1 || strlen(text) > 255)
		usage();
	char host[64];
	const char *at = strrchr(argv[optind], '@');
	if (!at || (size_t)(at - argv[optind]) >= sizeof(host))
		usage();
	memcpy(host, argv[optind], (size_t)(at - argv[optind]));
	host[at - argv[optind]] = '\0';
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(at + 1))};
	if (inet_pton(AF_INET, host, &sin.sin_addr) != 1)
		usage();

	uint8_t m[MAXMSG] = {0};
	ilnpdns_put16(m, (uint16_t)getpid());
	ilnpdns_put16(m + 2, ILNPDNS_OP_UPDATE << 11);
	ilnpdns_put16(m + 4, 1); /* zone */
	ilnpdns_put16(m + 8, 1); /* one update RR */
	size_t n = put_name(m, ILNPDNS_HDR_LEN, zone);
	ilnpdns_put16(m + n, ILNPDNS_T_SOA);
	ilnpdns_put16(m + n + 2, ILNPDNS_C_IN);
	n = put_name(m, n + 4, owner);
	ilnpdns_put16(m + n, 16); /* TXT */
	ilnpdns_put16(m + n + 2, ILNPDNS_C_IN);
	ilnpdns_put32(m + n + 4, 0);
	ilnpdns_put16(m + n + 8, (uint16_t)(1 + strlen(text)));
	m[n + 10] = (uint8_t)strlen(text);
	memcpy(m + n + 11, text, strlen(text));
	n += 11 + strlen(text);
	if (hex != NULL) {
		size_t hl = strlen(hex), ol = hl / 2;
		if (hl % 2 || ol > 40)
			usage();
		m[n] = 0;
		ilnpdns_put16(m + n + 1, ILNPDNS_T_OPT);
		ilnpdns_put16(m + n + 3, 1232);
		ilnpdns_put16(m + n + 9, (uint16_t)(4 + ol));
		ilnpdns_put16(m + n + 11, 10);
		ilnpdns_put16(m + n + 13, (uint16_t)ol);
		for (size_t i = 0; i < ol; i++) {
			int hi = ilnpdns_hexval(hex[2 * i]), lo = ilnpdns_hexval(hex[2 * i + 1]);
			if (hi < 0 || lo < 0)
				usage();
			m[n + 15 + i] = (uint8_t)(hi << 4 | lo);
		}
		n += 15 + ol;
		ilnpdns_put16(m + 10, 1);
	}

	struct ilnpdns_sig0_ctx *sctx = NULL;
	struct ilnpdns_sig0_key *key = NULL;
	int rc = ilnpdns_sig0_ctx_new(&sctx);
	if (rc == 0)
		rc = ilnpdns_sig0_key_load(kfile, &key);
	if (rc == 0)
		rc = ilnpdns_sig0_sign(sctx, key, m, n, sizeof(m), NULL, 0);
	if (rc < 0) {
		fprintf(stderr, "ckupd: cannot sign with %s (%d)\n", kfile, rc);
		return 2;
	}
	n = (size_t)rc;
	ilnpdns_sig0_key_free(key);
	ilnpdns_sig0_ctx_free(sctx);

	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sin, sizeof(sin)) != 0 ||
	    send(fd, m, n, 0) != (ssize_t)n) {
		perror("ckupd: send");
		return 2;
	}
	struct pollfd p = {.fd = fd, .events = POLLIN};
	uint8_t a[MAXMSG];
	if (poll(&p, 1, 5000) != 1) {
		printf("NOANSWER\n");
		return 3;
	}
	ssize_t alen = recv(fd, a, sizeof(a), 0);
	close(fd);
	if (alen < ILNPDNS_HDR_LEN) {
		printf("NOANSWER\n");
		return 3;
	}
	return print_answer(a, (size_t)alen);
}
