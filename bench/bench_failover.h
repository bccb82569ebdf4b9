/* SPDX-License-Identifier: BSD-2-Clause */
/* bench_failover.h -- the failover subcommand: the paper's failover experiment on the rendezvous.
 */
#ifndef ILNPDNS_BENCH_FAILOVER_H
#define ILNPDNS_BENCH_FAILOVER_H

/*
 * ilnpdns-bench failover [options] -- LOCMGR-COMMAND... (see
 * bench_failover_usage(); bench/failover.sh builds the namespaces and calls
 * it). Runs in the server's network namespace: an impairment relay in front
 * of the server, a checker that queries the server directly every
 * millisecond, and failovers made by netlink in the host's namespace, where
 * the locator manager (started per condition from LOCMGR-COMMAND) publishes
 * each through the relay. For each delay x loss condition and each run it
 * measures the rendezvous delay (failover to the first answer with the new
 * L64), the update copies the relay saw (f-overhead) and the stale answers
 * after the acknowledgement. Prints a markdown table; CSV and JSON on
 * request. Returns 0 when every failover converged with no stale answer, 1
 * otherwise (the figures are printed anyway), 2 for usage or set-up errors.
 */
int bench_failover_main(int argc, char **argv);
void bench_failover_usage(void);

#endif /* ILNPDNS_BENCH_FAILOVER_H */
