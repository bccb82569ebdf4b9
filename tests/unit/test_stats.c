/* SPDX-License-Identifier: BSD-2-Clause */
/* test_stats.c -- counting, summing, and the JSON and Prometheus renderings. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ilnpdns/wire.h"
#include "stats.h"

static void count(struct stats *s, enum query_transport t, uint16_t qtype, uint8_t rcode, bool tc,
                  bool dropped, bool edns)
{
	struct query_info info = {.qtype = qtype,
	                          .rcode = rcode,
	                          .opcode = ILNPDNS_OP_QUERY,
	                          .truncated = tc,
	                          .dropped = dropped,
	                          .edns = edns};
	stats_count(s, t, &info);
}

static char *render(const struct stats *s, bool json)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	assert_non_null(f);
	if (json)
		stats_write_json(s, f);
	else
		stats_write_prometheus(s, f);
	assert_int_equal(fclose(f), 0);
	return buf;
}

static void test_count(void **state)
{
	struct stats s;
	memset(&s, 0, sizeof(s));
	count(&s, QUERY_UDP, ILNPDNS_T_L64, ILNPDNS_RCODE_NOERROR, false, false, true);
	count(&s, QUERY_UDP, ILNPDNS_T_L64, ILNPDNS_RCODE_NXDOMAIN, false, false, false);
	count(&s, QUERY_TCP, ILNPDNS_T_A, ILNPDNS_RCODE_NOERROR, false, false, false);
	count(&s, QUERY_UDP, ILNPDNS_T_TXT, ILNPDNS_RCODE_NOERROR, true, false, false);
	count(&s, QUERY_UDP, 0, 0, false, true, false);
	count(&s, QUERY_UDP, 65280, ILNPDNS_RCODE_BADVERS, false, false, true);

	assert_int_equal(s.queries[QUERY_UDP], 5);
	assert_int_equal(s.queries[QUERY_TCP], 1);
	assert_int_equal(s.qtype[ILNPDNS_T_L64], 2);
	assert_int_equal(s.qtype[ILNPDNS_T_A], 1);
	assert_int_equal(s.qtype[ILNPDNS_T_TXT], 1);
	assert_int_equal(s.qtype[0], 0); /* the dropped request has no question counted */
	assert_int_equal(s.qtype_other, 1);
	assert_int_equal(s.rcode[ILNPDNS_RCODE_NOERROR], 3);
	assert_int_equal(s.rcode[ILNPDNS_RCODE_NXDOMAIN], 1);
	assert_int_equal(s.rcode[ILNPDNS_RCODE_BADVERS], 1);
	assert_int_equal(s.opcode[ILNPDNS_OP_QUERY], 5);
	assert_int_equal(s.truncated, 1);
	assert_int_equal(s.dropped, 1);
	assert_int_equal(s.edns, 2);
}

static void test_sum(void **state)
{
	struct stats blocks[3], total;
	memset(blocks, 0, sizeof(blocks));
	for (int i = 0; i < 3; i++) {
		for (int j = 0; j <= i; j++)
			count(&blocks[i], QUERY_UDP, ILNPDNS_T_NID, 0, false, false, false);
		count(&blocks[i], QUERY_TCP, ILNPDNS_T_LP, ILNPDNS_RCODE_REFUSED, true, false,
		      true);
		blocks[i].tcp_accepted = 10u * (unsigned)(i + 1);
		blocks[i].tcp_refused = 1;
		blocks[i].tcp_timeouts = 2;
	}
	memset(&total, 0xff, sizeof(total)); /* stats_sum must clear its output */
	stats_sum(blocks, 3, &total);
	assert_int_equal(total.queries[QUERY_UDP], 6);
	assert_int_equal(total.queries[QUERY_TCP], 3);
	assert_int_equal(total.qtype[ILNPDNS_T_NID], 6);
	assert_int_equal(total.qtype[ILNPDNS_T_LP], 3);
	assert_int_equal(total.qtype[ILNPDNS_T_A], 0);
	assert_int_equal(total.rcode[0], 6);
	assert_int_equal(total.rcode[ILNPDNS_RCODE_REFUSED], 3);
	assert_int_equal(total.truncated, 3);
	assert_int_equal(total.edns, 3);
	assert_int_equal(total.tcp_accepted, 60);
	assert_int_equal(total.tcp_refused, 3);
	assert_int_equal(total.tcp_timeouts, 6);
	stats_sum(blocks, 0, &total);
	assert_int_equal(total.queries[QUERY_UDP], 0);
}

static void test_json(void **state)
{
	struct stats s;
	memset(&s, 0, sizeof(s));
	count(&s, QUERY_UDP, ILNPDNS_T_L64, ILNPDNS_RCODE_NOERROR, false, false, true);
	count(&s, QUERY_TCP, ILNPDNS_T_NID, ILNPDNS_RCODE_NXDOMAIN, false, false, false);
	count(&s, QUERY_UDP, 999, ILNPDNS_RCODE_NOERROR, true, false, false);
	count(&s, QUERY_UDP, 200, ILNPDNS_RCODE_NOERROR, false, false, false);
	count(&s, QUERY_UDP, 0, 0, false, true, false);
	s.tcp_accepted = 7;
	char *j = render(&s, true);
	assert_string_equal(j,
	                    "{\"queries\":{\"udp\":4,\"tcp\":1,\"total\":5},"
	                    "\"qtype\":{\"NID\":1,\"L64\":1,\"TYPE200\":1,\"other\":1},"
	                    "\"rcode\":{\"NOERROR\":3,\"NXDOMAIN\":1},"
	                    "\"opcode\":{\"QUERY\":4},"
	                    "\"truncated\":1,\"dropped\":1,\"edns\":1,"
	                    "\"tcp\":{\"accepted\":7,\"refused\":0,\"timeouts\":0},"
	                    "\"cookies\":{\"client_only\":0,\"valid\":0,\"invalid\":0},"
	                    "\"rrl\":{\"dropped\":0,\"slipped\":0},"
	                    "\"update\":{\"received\":{\"udp\":0,\"tcp\":0},\"rcode\":{},"
	                    "\"tsig_failures\":0,\"sig0_failures\":0,\"limited\":0,\"batches\":0,"
	                    "\"batched\":0,\"commit_failures\":0,"
	                    "\"batch_size\":{\"1\":0,\"2-4\":0,\"5-16\":0,\"17-64\":0,\"65+\":0},"
	                    "\"queue_full\":0}}\n");
	free(j);

	memset(&s, 0, sizeof(s));
	j = render(&s, true);
	assert_string_equal(j,
	                    "{\"queries\":{\"udp\":0,\"tcp\":0,\"total\":0},\"qtype\":{},"
	                    "\"rcode\":{},\"opcode\":{},\"truncated\":0,\"dropped\":0,"
	                    "\"edns\":0,\"tcp\":{\"accepted\":0,\"refused\":0,\"timeouts\":0},"
	                    "\"cookies\":{\"client_only\":0,\"valid\":0,\"invalid\":0},"
	                    "\"rrl\":{\"dropped\":0,\"slipped\":0},"
	                    "\"update\":{\"received\":{\"udp\":0,\"tcp\":0},\"rcode\":{},"
	                    "\"tsig_failures\":0,\"sig0_failures\":0,\"limited\":0,\"batches\":0,"
	                    "\"batched\":0,\"commit_failures\":0,"
	                    "\"batch_size\":{\"1\":0,\"2-4\":0,\"5-16\":0,\"17-64\":0,\"65+\":0},"
	                    "\"queue_full\":0}}\n");
	free(j);
}

/* The names the query log and the renderings share. */
static void test_labels(void **state)
{
	char buf[16];
	assert_string_equal(stats_qtype_label(ILNPDNS_T_L64, buf, sizeof(buf)), "L64");
	assert_string_equal(stats_qtype_label(ILNPDNS_T_NID, buf, sizeof(buf)), "NID");
	assert_string_equal(stats_qtype_label(200, buf, sizeof(buf)), "TYPE200");
	assert_string_equal(stats_qtype_label(65280, buf, sizeof(buf)), "TYPE65280");
	assert_string_equal(stats_rcode_label(ILNPDNS_RCODE_NXDOMAIN, buf, sizeof(buf)),
	                    "NXDOMAIN");
	assert_string_equal(stats_rcode_label(ILNPDNS_RCODE_BADVERS, buf, sizeof(buf)), "BADVERS");
	assert_string_equal(stats_rcode_label(12, buf, sizeof(buf)), "RCODE12");
	assert_string_equal(stats_rcode_label(4000, buf, sizeof(buf)), "RCODE4000");
}

/* The update writer's counters: per answer, per batch, summed, rendered. */
static void test_update(void **state)
{
	struct stats blocks[2], total;
	memset(blocks, 0, sizeof(blocks));
	stats_count_update(&blocks[1], QUERY_UDP, ILNPDNS_RCODE_NOERROR, true);
	stats_count_update(&blocks[1], QUERY_TCP, ILNPDNS_RCODE_NOERROR, false);
	stats_count_update(&blocks[1], QUERY_UDP, ILNPDNS_RCODE_NOTAUTH, false);
	stats_count_batch(&blocks[1], 1, true);
	stats_count_batch(&blocks[1], 2, true);
	stats_count_batch(&blocks[1], 70, false);
	blocks[1].update.tsig_failures = 1;
	blocks[0].update.queue_full = 4; /* counted by a worker */
	count(&blocks[0], QUERY_UDP, ILNPDNS_T_L64, ILNPDNS_RCODE_NOERROR, false, false, false);

	assert_int_equal(blocks[1].queries[QUERY_UDP], 2);
	assert_int_equal(blocks[1].opcode[ILNPDNS_OP_UPDATE], 3);
	assert_int_equal(blocks[1].rcode[ILNPDNS_RCODE_NOTAUTH], 1);
	assert_int_equal(blocks[1].edns, 1);
	assert_int_equal(blocks[1].update.batch_size[0], 1);
	assert_int_equal(blocks[1].update.batch_size[1], 1);
	assert_int_equal(blocks[1].update.batch_size[4], 1);
	assert_int_equal(blocks[1].update.commit_failures, 1);

	stats_sum(blocks, 2, &total);
	assert_int_equal(total.queries[QUERY_UDP], 3);
	assert_int_equal(total.rcode[ILNPDNS_RCODE_NOERROR], 3);
	assert_int_equal(total.update.received[QUERY_UDP], 2);
	assert_int_equal(total.update.received[QUERY_TCP], 1);
	assert_int_equal(total.update.rcode[ILNPDNS_RCODE_NOERROR], 2);
	assert_int_equal(total.update.batches, 3);
	assert_int_equal(total.update.batched, 73);
	assert_int_equal(total.update.queue_full, 4);

	char *j = render(&total, true);
	assert_non_null(strstr(j, "\"update\":{\"received\":{\"udp\":2,\"tcp\":1},"
	                          "\"rcode\":{\"NOERROR\":2,\"NOTAUTH\":1},\"tsig_failures\":1,"));
	assert_non_null(strstr(j, "\"batch_size\":{\"1\":1,\"2-4\":1,\"5-16\":0,\"17-64\":0,"
	                          "\"65+\":1},\"queue_full\":4}}\n"));
	free(j);
	char *p = render(&total, false);
	assert_non_null(strstr(p, "\nilnpdns_updates_total{transport=\"tcp\"} 1\n"));
	assert_non_null(strstr(p, "\nilnpdns_update_responses_total{rcode=\"NOTAUTH\"} 1\n"));
	assert_non_null(strstr(p, "\nilnpdns_update_responses_total{rcode=\"NXRRSET\"} 0\n"));
	assert_non_null(strstr(p, "\nilnpdns_update_batches_total 3\n"));
	assert_non_null(strstr(p, "\nilnpdns_update_batched_total 73\n"));
	assert_non_null(strstr(p, "\nilnpdns_update_batches_by_size_total{size=\"65+\"} 1\n"));
	assert_non_null(strstr(p, "\nilnpdns_update_tsig_failures_total 1\n"));
	free(p);
}

/* Each sample line is "name{labels} value" or "name value"; every metric has HELP and TYPE. */
static void test_prometheus(void **state)
{
	struct stats s;
	memset(&s, 0, sizeof(s));
	count(&s, QUERY_UDP, ILNPDNS_T_L32, ILNPDNS_RCODE_NOERROR, false, false, false);
	count(&s, QUERY_UDP, ILNPDNS_T_L32, ILNPDNS_RCODE_BADVERS, false, false, true);
	count(&s, QUERY_TCP, ILNPDNS_T_ANY, ILNPDNS_RCODE_NOERROR, true, false, false);
	s.dropped = 4;
	char *p = render(&s, false);

	assert_non_null(strstr(p, "# TYPE ilnpdns_queries_total counter\n"
	                          "ilnpdns_queries_total{transport=\"udp\"} 2\n"
	                          "ilnpdns_queries_total{transport=\"tcp\"} 1\n"));
	assert_non_null(strstr(p, "\nilnpdns_queries_by_qtype_total{qtype=\"L32\"} 2\n"));
	assert_non_null(strstr(p, "\nilnpdns_queries_by_qtype_total{qtype=\"ANY\"} 1\n"));
	assert_null(strstr(p, "qtype=\"A\""));
	assert_non_null(strstr(p, "\nilnpdns_responses_total{rcode=\"NOERROR\"} 2\n"));
	assert_non_null(strstr(p, "\nilnpdns_responses_total{rcode=\"REFUSED\"} 0\n"));
	assert_non_null(strstr(p, "\nilnpdns_responses_total{rcode=\"BADVERS\"} 1\n"));
	assert_null(strstr(p, "rcode=\"BADCOOKIE\""));
	assert_non_null(strstr(p, "\nilnpdns_truncated_total 1\n"));
	assert_non_null(strstr(p, "\nilnpdns_dropped_total 4\n"));
	assert_non_null(strstr(p, "\nilnpdns_edns_queries_total 1\n"));

	/* Check the exposition format line by line. */
	int samples = 0;
	char *save = NULL;
	for (char *line = strtok_r(p, "\n", &save); line != NULL;
	     line = strtok_r(NULL, "\n", &save)) {
		if (strncmp(line, "# HELP ilnpdns_", 15) == 0)
			continue;
		if (strncmp(line, "# TYPE ilnpdns_", 15) == 0) {
			assert_non_null(strstr(line, " counter"));
			continue;
		}
		assert_memory_equal(line, "ilnpdns_", 8);
		char *sp = strrchr(line, ' ');
		assert_non_null(sp);
		char *end;
		strtoull(sp + 1, &end, 10);
		assert_true(end != sp + 1 && *end == '\0');
		samples++;
	}
	assert_true(samples >= 14);
	free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_count),
	    cmocka_unit_test(test_sum),
	    cmocka_unit_test(test_json),
	    cmocka_unit_test(test_prometheus),
	    cmocka_unit_test(test_update),
	    cmocka_unit_test(test_labels),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
