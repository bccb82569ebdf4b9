/* SPDX-License-Identifier: BSD-2-Clause */
/* lmdbhold.c -- hold the write lock of an LMDB environment from another process, for the system
 * tests. */
/*
 * Usage: lmdbhold DBDIR SECONDS
 *
 * Opens the environment (read-write, MDB_NOTLS, as ilnpdnsd does), begins a
 * write transaction, which takes LMDB's single writer lock, prints "held",
 * then waits until its standard input ends (or a line comes) or SECONDS
 * pass, whichever is first, aborts the transaction (nothing is written) and
 * prints "released". Meanwhile ilnpdnsd's update writer cannot begin its own
 * write transaction; readers are not affected (LMDB MVCC).
 * Exit status 0, 2 on usage or LMDB errors.
 */
#include <lmdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: lmdbhold DBDIR SECONDS\n");
		return 2;
	}
	int secs = atoi(argv[2]);
	MDB_env *env;
	MDB_txn *txn;
	int rc = mdb_env_create(&env);
	if (rc == 0)
		rc = mdb_env_set_maxdbs(env, 16);
	if (rc == 0)
		rc = mdb_env_open(env, argv[1], MDB_NOTLS, 0640);
	if (rc == 0)
		rc = mdb_txn_begin(env, NULL, 0, &txn);
	if (rc) {
		fprintf(stderr, "lmdbhold: %s: %s\n", argv[1], mdb_strerror(rc));
		return 2;
	}
	printf("held\n");
	fflush(stdout);
	struct pollfd p = {.fd = STDIN_FILENO, .events = POLLIN};
	poll(&p, 1, secs > 0 ? secs * 1000 : 0);
	mdb_txn_abort(txn);
	mdb_env_close(env);
	printf("released\n");
	return 0;
}
