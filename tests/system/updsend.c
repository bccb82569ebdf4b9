/* SPDX-License-Identifier: BSD-2-Clause */
/* updsend.c -- send signed RFC 2136 updates one after another and print each answer's RCODE. */
/*
 * Usage: updsend [-u] [-y ALG:NAME:SECRET | -k KFILE] [-T OFFSET] [-n COUNT] [-i FIRST]
 *                [-a RR]... [-d SECONDS] [-w FILE] -z ZONE ADDR@PORT
 *        updsend [-u] -r FILE ADDR@PORT
 *
 * The system tests use it where nsupdate cannot do the job:
 *  - crash safety (tests/system/crash): COUNT updates over one TCP
 *    connection, each adding its own record, with one output line per
 *    update ("<i> NOERROR") flushed before the next is sent, so the line
 *    exists for every NOERROR the server gave before it was killed;
 *  - a signature made with a clock OFFSET seconds away from now (-T), for
 *    BADTIME and expired SIG(0) without faketime (which hangs nsupdate: its
 *    jemalloc reads the clock while libfaketime initialises);
 *  - replay (-w saves the last signed request exactly as sent, -r resends
 *    a saved request unchanged).
 *
 * Each update's update section holds the -a records (presentation form,
 * every "%u" replaced by the update's index), by default one record
 * "u%u.ZONE 0 IN TXT \"%u\"". -y signs with TSIG (RFC 8945; the answer's
 * TSIG is verified too), -k with SIG(0) using a dnssec-keygen key pair
 * (RFC 2931). The output line is "<i> RCODE", with the TSIG error in
 * parentheses as nsupdate prints it ("NOTAUTH(BADSIG)"), and " UNVERIFIED"
 * appended when the answer to a TSIG-signed request does not verify. A
 * connection that breaks or an answer that does not come within 5 s ends
 * the run with a line "<i> NOANSWER" and exit status 3. Exit status 0
 * otherwise (whatever the RCODEs), 2 for usage or set-up errors.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ldns/ldns.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "ilnpdns/error.h"
#include "ilnpdns/keys.h"
#include "ilnpdns/sig0.h"
#include "ilnpdns/tsig.h"
#include "sysutil.h"

#define MAXMSG     65535
#define MAXRRS     16
#define ANSWER_MS  5000
#define DEFAULT_RR "u%u.%s 0 IN TXT \"%u\""

struct opts {
	bool udp;
	const char *tsig; /* -y */
	const char *sig0; /* -k */
	long offset;      /* -T */
	unsigned long count;
	unsigned long first;
	const char *rrs[MAXRRS];
	size_t nrrs;
	double deadline;    /* -d, seconds; 0: none */
	const char *save;   /* -w */
	const char *resend; /* -r */
	const char *zone;
	struct sockaddr_storage ss;
	socklen_t sslen;
};

static uint64_t sig0_clock_value;

static uint64_t sig0_clock(void *arg)
{
	(void)arg;
	return sig0_clock_value;
}

static uint64_t now_with_offset(long offset)
{
	return (uint64_t)((int64_t)time(NULL) + offset);
}

/* Replace every "%u" in tmpl by i and every "%s" by zone. */
static void expand(char *out, size_t cap, const char *tmpl, unsigned long i, const char *zone)
{
	size_t n = 0;
	for (const char *p = tmpl; *p && n + 1 < cap; p++) {
		if (p[0] == '%' && (p[1] == 'u' || p[1] == 's')) {
			int w = p[1] == 'u' ? snprintf(out + n, cap - n, "%lu", i)
			                    : snprintf(out + n, cap - n, "%s", zone);
			n += w > 0 ? (size_t)w : 0;
			if (n >= cap)
				n = cap - 1;
			p++;
		} else {
			out[n++] = *p;
		}
	}
	out[n] = '\0';
}

/* The unsigned update for index i, in wire form; 0 or -1. */
static int build_update(const struct opts *o, unsigned long i, uint8_t *buf, size_t *len)
{
	ldns_rdf *zone = ldns_dname_new_frm_str(o->zone);
	ldns_rr_list *up = ldns_rr_list_new();
	int rc = -1;
	if (!zone || !up)
		goto out;
	for (size_t k = 0; k < (o->nrrs ? o->nrrs : 1); k++) {
		char text[1024];
		ldns_rr *rr = NULL;
		expand(text, sizeof(text), o->nrrs ? o->rrs[k] : DEFAULT_RR, i, o->zone);
		if (ldns_rr_new_frm_str(&rr, text, 0, NULL, NULL) != LDNS_STATUS_OK) {
			fprintf(stderr, "updsend: cannot parse RR '%s'\n", text);
			goto out;
		}
		ldns_rr_list_push_rr(up, rr);
	}
	/* Built by hand: ldns_update_pkt_new() replaces the packet's own empty
	 * section lists without freeing them (a leak under LeakSanitizer), and
	 * sets RD (LDNS-COVERAGE 8). */
	ldns_pkt *pkt = ldns_pkt_new();
	ldns_rr *zrr = ldns_rr_new();
	if (!pkt || !zrr) {
		ldns_pkt_free(pkt);
		ldns_rr_free(zrr);
		goto out;
	}
	ldns_pkt_set_opcode(pkt, LDNS_PACKET_UPDATE);
	ldns_rr_set_owner(zrr, ldns_rdf_clone(zone));
	ldns_rr_set_type(zrr, LDNS_RR_TYPE_SOA);
	ldns_rr_set_class(zrr, LDNS_RR_CLASS_IN);
	ldns_rr_set_question(zrr, true);
	ldns_pkt_push_rr(pkt, LDNS_SECTION_QUESTION, zrr); /* zone section */
	ldns_pkt_push_rr_list(pkt, LDNS_SECTION_AUTHORITY, up); /* update section */
	ldns_rr_list_free(up); /* the RRs belong to pkt now, not the list */
	up = NULL;
	ldns_pkt_set_random_id(pkt);
	uint8_t *wire = NULL;
	size_t wlen = 0;
	if (ldns_pkt2wire(&wire, pkt, &wlen) == LDNS_STATUS_OK && wlen <= *len) {
		memcpy(buf, wire, wlen);
		*len = wlen;
		rc = 0;
	}
	free(wire);
	ldns_pkt_free(pkt);
out:
	ldns_rdf_deep_free(zone);
	if (up)
		ldns_rr_list_deep_free(up);
	return rc;
}

static int connect_to(const struct opts *o)
{
	int fd = socket(o->ss.ss_family, o->udp ? SOCK_DGRAM : SOCK_STREAM, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, (const struct sockaddr *)&o->ss, o->sslen) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Wait up to ANSWER_MS for fd to become readable; false on timeout/error. */
static bool wait_readable(int fd)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};
	return poll(&p, 1, ANSWER_MS) == 1;
}

static bool read_full(int fd, uint8_t *b, size_t n)
{
	size_t got = 0;
	while (got < n) {
		if (!wait_readable(fd))
			return false;
		ssize_t r = read(fd, b + got, n - got);
		if (r <= 0)
			return false;
		got += (size_t)r;
	}
	return true;
}

/* Send one message and read its answer (matching ID); the answer's length or -1. */
static ssize_t exchange(const struct opts *o, int fd, const uint8_t *msg, size_t len, uint8_t *ans)
{
	if (o->udp) {
		if (send(fd, msg, len, 0) != (ssize_t)len)
			return -1;
		for (;;) {
			if (!wait_readable(fd))
				return -1;
			ssize_t r = recv(fd, ans, MAXMSG, 0);
			if (r < 0)
				return -1;
			if (r >= 12 && ans[0] == msg[0] && ans[1] == msg[1])
				return r;
		}
	}
	uint8_t pre[2] = {(uint8_t)(len >> 8), (uint8_t)len};
	struct iovec iov[2] = {{pre, 2}, {(void *)msg, len}};
	struct msghdr mh = {.msg_iov = iov, .msg_iovlen = 2};
	if (sendmsg(fd, &mh, MSG_NOSIGNAL) != (ssize_t)(len + 2))
		return -1;
	if (!read_full(fd, pre, 2))
		return -1;
	size_t alen = (size_t)pre[0] << 8 | pre[1];
	if (alen < 12 || !read_full(fd, ans, alen))
		return -1;
	return (ssize_t)alen;
}

static const char *rcode_name(unsigned rc)
{
	static const char *const names[] = {"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN",
	                                    "NOTIMP",  "REFUSED", "YXDOMAIN", "YXRRSET",
	                                    "NXRRSET", "NOTAUTH", "NOTZONE"};
	return rc < sizeof(names) / sizeof(names[0]) ? names[rc] : "RCODE?";
}

static const char *tsig_error_name(unsigned e)
{
	switch (e) {
	case ILNPDNS_TSIG_BADSIG:
		return "BADSIG";
	case ILNPDNS_TSIG_BADKEY:
		return "BADKEY";
	case ILNPDNS_TSIG_BADTIME:
		return "BADTIME";
	case ILNPDNS_TSIG_BADTRUNC:
		return "BADTRUNC";
	default:
		return "TSIGERROR?";
	}
}

/* One line for the answer: "RCODE", "RCODE(TSIGERR)", plus " UNVERIFIED". */
static void print_answer(unsigned long i, const uint8_t *ans, size_t len, int verified)
{
	struct ilnpdns_tsig_rr rr;
	char err[32] = "";
	if (ilnpdns_tsig_find(ans, len, &rr) == 1 && rr.error)
		snprintf(err, sizeof(err), "(%s)", tsig_error_name(rr.error));
	printf("%lu %s%s%s\n", i, rcode_name(ans[3] & 0x0f), err,
	       verified < 0 ? " UNVERIFIED" : "");
	fflush(stdout);
}

static int write_file(const char *path, const uint8_t *b, size_t n)
{
	FILE *f = fopen(path, "wb");
	if (!f || fwrite(b, 1, n, f) != n) {
		if (f)
			fclose(f);
		return -1;
	}
	return fclose(f) ? -1 : 0;
}

static int resend(const struct opts *o)
{
	static uint8_t msg[MAXMSG], ans[MAXMSG];
	FILE *f = fopen(o->resend, "rb");
	if (!f) {
		perror(o->resend);
		return 2;
	}
	size_t len = fread(msg, 1, sizeof(msg), f);
	fclose(f);
	int fd = connect_to(o);
	if (len < 12 || fd < 0) {
		fprintf(stderr, "updsend: cannot resend %s\n", o->resend);
		return 2;
	}
	ssize_t alen = exchange(o, fd, msg, len, ans);
	close(fd);
	if (alen < 0) {
		printf("0 NOANSWER\n");
		return 3;
	}
	print_answer(0, ans, (size_t)alen, 0);
	return 0;
}

static void usage(void)
{
	fprintf(stderr, "usage: updsend [-u] [-y ALG:NAME:SECRET | -k KFILE] [-T OFFSET] [-n COUNT]"
	                " [-i FIRST] [-a RR]... [-d SECONDS] [-w FILE] -z ZONE ADDR@PORT\n"
	                "       updsend [-u] -r FILE ADDR@PORT\n");
	exit(2);
}

static void parse_opts(int argc, char **argv, struct opts *o)
{
	int c;
	o->count = 1;
	while ((c = getopt(argc, argv, "uy:k:T:n:i:a:d:w:r:z:")) != -1) {
		switch (c) {
		case 'u':
			o->udp = true;
			break;
		case 'y':
			o->tsig = optarg;
			break;
		case 'k':
			o->sig0 = optarg;
			break;
		case 'T':
			o->offset = strtol(optarg, NULL, 10);
			break;
		case 'n':
			o->count = strtoul(optarg, NULL, 10);
			break;
		case 'i':
			o->first = strtoul(optarg, NULL, 10);
			break;
		case 'a':
			if (o->nrrs == MAXRRS)
				usage();
			o->rrs[o->nrrs++] = optarg;
			break;
		case 'd':
			o->deadline = strtod(optarg, NULL);
			break;
		case 'w':
			o->save = optarg;
			break;
		case 'r':
			o->resend = optarg;
			break;
		case 'z':
			o->zone = optarg;
			break;
		default:
			usage();
		}
	}
	if (optind + 1 != argc || su_parse_addr(argv[optind], &o->ss, &o->sslen) < 0 ||
	    (!o->resend && !o->zone) || (o->tsig && o->sig0))
		usage();
}

int main(int argc, char **argv)
{
	static struct opts o;
	static uint8_t msg[MAXMSG], ans[MAXMSG];
	struct ilnpdns_tsig_key key;
	struct ilnpdns_tsig_ctx *tctx = NULL;
	struct ilnpdns_sig0_ctx *sctx = NULL;
	struct ilnpdns_sig0_key *skey = NULL;
	char err[256];

	parse_opts(argc, argv, &o);
	if (o.resend)
		return resend(&o);
	if (o.tsig) {
		if (ilnpdns_tsig_key_from_y(&key, o.tsig, ILNPDNS_KEY_ALLOW_MD5, err, sizeof(err)) <
		    0) {
			fprintf(stderr, "updsend: -y: %s\n", err);
			return 2;
		}
		if (!(tctx = ilnpdns_tsig_ctx_new()))
			return 2;
	}
	if (o.sig0) {
		if (ilnpdns_sig0_key_load(o.sig0, &skey) < 0 || ilnpdns_sig0_ctx_new(&sctx) < 0) {
			fprintf(stderr, "updsend: cannot load SIG(0) key %s\n", o.sig0);
			return 2;
		}
		ilnpdns_sig0_ctx_set_clock(sctx, sig0_clock, NULL);
	}
	int status = 0;
	int fd = connect_to(&o);
	if (fd < 0) {
		printf("%lu NOANSWER\n", o.first);
		status = 3;
		goto done;
	}
	double end = o.deadline > 0 ? su_mono() + o.deadline : 0;
	for (unsigned long i = o.first; i < o.first + o.count; i++) {
		if (end && su_mono() > end)
			break;
		size_t len = sizeof(msg) - 1024; /* room for the signature */
		if (build_update(&o, i, msg, &len) < 0) {
			status = 2;
			break;
		}
		struct ilnpdns_tsig_state st;
		uint64_t now = now_with_offset(o.offset);
		if (tctx && ilnpdns_tsig_sign_request(tctx, &st, &key, ILNPDNS_TSIG_FUDGE, msg,
		                                      &len, sizeof(msg), now) < 0) {
			status = 2;
			break;
		}
		if (sctx) {
			sig0_clock_value = now;
			int n = ilnpdns_sig0_sign(sctx, skey, msg, len, sizeof(msg), NULL, 0);
			if (n < 0) {
				status = 2;
				break;
			}
			len = (size_t)n;
		}
		if (o.save && write_file(o.save, msg, len) < 0) {
			perror(o.save);
			status = 2;
			break;
		}
		ssize_t alen = exchange(&o, fd, msg, len, ans);
		if (alen < 0) {
			printf("%lu NOANSWER\n", i);
			fflush(stdout);
			status = 3;
			break;
		}
		int verified = 0;
		if (tctx) {
			int rc = ilnpdns_tsig_verify_answer(tctx, &st, ans, (size_t)alen,
			                                    now_with_offset(o.offset));
			/* TSIG error answers are reported by their error field;
			 * anything else that fails to verify is marked. */
			if (rc < 0 && !st.error)
				verified = -1;
		}
		print_answer(i, ans, (size_t)alen, verified);
	}
	close(fd);
done:
	ilnpdns_tsig_ctx_free(tctx);
	ilnpdns_sig0_key_free(skey);
	ilnpdns_sig0_ctx_free(sctx);
	return status;
}
