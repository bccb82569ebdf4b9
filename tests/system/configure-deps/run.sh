#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# run.sh -- configure-deps: a missing dependency stops configure, naming its Debian package.
#
# Each case runs "$top_srcdir/configure" in its own scratch build directory with one dependency
# made to look missing: a pkg-config module by pointing PKG_CONFIG_LIBDIR at a directory of
# symlinks to every real .pc file except that one (or with a too-old fake), a header or library
# check by presetting its autoconf cache variable. A control run with nothing removed must pass
# every check, so a failure can only come from what a case removed. configure writes only into
# the scratch directory, so this also runs from the read-only tree of make distcheck.
. "$(dirname "$0")/../lib.sh"

st_need pkg-config
st_init
CONFIGURE="$top_srcdir/configure"
[ -x "$CONFIGURE" ] || st_fatal "$CONFIGURE is missing (run autoreconf -fi)"

# The modules configure.ac asks pkg-config for; their .pc directories also hold the modules
# they require (libevent_pthreads needs libevent). lmdb.pc is optional: configure falls back
# to a header and library check when it is absent.
MODULES="ldns libevent libevent_pthreads libcrypto yaml-0.1 cmocka"
PC_DIRS=
for m in $MODULES lmdb; do
	d=$(pkg-config --variable pcfiledir "$m" 2>/dev/null)
	if [ -z "$d" ]; then
		[ "$m" = lmdb ] && continue
		st_fatal "pkg-config does not find $m: the build itself could not be configured"
	fi
	case " $PC_DIRS " in *" $d "*) ;; *) PC_DIRS="$PC_DIRS $d" ;; esac
done

# pcdir NAME [OMIT.pc...]: make $ST_DIR/pc-NAME with a symlink to every .pc file in PC_DIRS
# (the first of each name, as pkg-config's own search order) except OMIT; print its path.
pcdir()
{
	local dir="$ST_DIR/pc-$1" d f b
	shift
	mkdir -p "$dir"
	for d in $PC_DIRS; do
		for f in "$d"/*.pc; do
			[ -f "$f" ] || continue
			b=$(basename "$f")
			case " $* " in *" $b "*) continue ;; esac
			[ -e "$dir/$b" ] || ln -s "$f" "$dir/$b"
		done
	done
	printf '%s\n' "$dir"
}

# fake_pc DIR MODULE VERSION: a .pc file for MODULE that is too old but otherwise usable.
fake_pc()
{
	cat >"$1/$2.pc" <<EOF
Name: $2
Description: $2 at a version older than configure accepts
Version: $3
Libs: -l$2
Cflags:
EOF
}

# run_configure NAME PCDIR [VAR=VALUE...]: configure in $ST_DIR/NAME with only PCDIR for
# pkg-config and the given cache presets; sets RC, ERR (stderr) and BUILD. The caller's
# <MODULE>_CFLAGS/_LIBS would bypass pkg-config, PKG_CONFIG_PATH would add directories, a
# config.site could preset results and make's jobserver flags do not belong here: all unset.
run_configure()
{
	local name=$1 pc=$2 t0 t1
	shift 2
	BUILD="$ST_DIR/$name"
	mkdir -p "$BUILD"
	[ -f "$ST_DIR/shared.cache" ] && cp "$ST_DIR/shared.cache" "$BUILD/config.cache"
	t0=$(date +%s%N)
	(cd "$BUILD" &&
		env -u PKG_CONFIG_PATH -u MAKEFLAGS -u MFLAGS -u MAKELEVEL \
			-u LDNS_CFLAGS -u LDNS_LIBS -u LIBEVENT_CFLAGS -u LIBEVENT_LIBS \
			-u CRYPTO_CFLAGS -u CRYPTO_LIBS -u YAML_CFLAGS -u YAML_LIBS \
			-u LMDB_CFLAGS -u LMDB_LIBS -u CMOCKA_CFLAGS -u CMOCKA_LIBS \
			CONFIG_SITE=/dev/null PKG_CONFIG_LIBDIR="$pc" "$@" \
			"$CONFIGURE" --quiet --cache-file=config.cache \
			</dev/null >configure.out 2>configure.err)
	RC=$?
	t1=$(date +%s%N)
	ERR=$(cat "$BUILD/configure.err")
	st_log "$name: configure exit $RC in $(((t1 - t0) / 1000000)) ms"
}

# log_says NAME REGEX: the case's config.log holds pkg-config's own reason, matching REGEX.
log_says()
{
	st_grep "$1: config.log gives pkg-config's reason" "$2" \
		"$(grep -iE 'package|not found|version' "$ST_DIR/$1/config.log" 2>/dev/null)"
}

# expect_missing NAME DEBIAN-PACKAGE MESSAGE-REGEX PCDIR [VAR=VALUE...]: configure must fail
# with its error naming the package, at the check for the dependency this case removed.
expect_missing()
{
	local name=$1 pkg=$2 msg=$3
	shift 3
	run_configure "$name" "$@"
	if [ "$RC" -ne 0 ]; then
		st_pass "$name: configure fails"
	else
		st_fail "$name: configure succeeded with the dependency missing"
	fi
	st_grep "$name: the error names $pkg" \
		"configure: error: $msg.*install the Debian package $pkg( |\$)" "$ERR"
}

T0=$(date +%s)

# Control: nothing removed, no cache. Every dependency check passes and configure finishes.
ALL=$(pcdir all)
run_configure control "$ALL"
st_eq "control: configure with every dependency succeeds" 0 "$RC"
if [ -f "$BUILD/config.status" ] && [ -f "$BUILD/Makefile" ]; then
	st_pass "control: config.status and Makefile written"
else
	st_fail "control: config.status or Makefile missing"
fi
st_nogrep "control: no error on stderr" 'configure: error' "$ERR"
[ "$RC" -eq 0 ] || st_fatal "configure fails with every dependency present:
$ERR
(see $BUILD/config.log)"

# Later runs share the control run's cache for the compiler and libtool checks only: nothing
# about the dependencies (pkg_cv_*, lmdb, pthread, pkg-config) nor the precious variables
# (ac_cv_env_*), which differ between runs.
grep -vE 'pkg_cv_|lmdb|pthread|PKG_CONFIG|ac_cv_env_' "$BUILD/config.cache" >"$ST_DIR/shared.cache"
if grep -qE 'pkg_cv_|lmdb|pthread' "$ST_DIR/shared.cache"; then
	st_fatal "shared cache still holds dependency results"
fi

# pkg-config modules, one missing at a time.
expect_missing no-ldns libldns-dev 'ldns >= 1\.8 not found' "$(pcdir no-ldns ldns.pc)"
# Both libevent modules are named in one check (libevent-dev ships both).
LIBEVENT_MSG='libevent >= 2\.1 libevent_pthreads >= 2\.1 not found'
expect_missing no-libevent libevent-dev "$LIBEVENT_MSG" \
	"$(pcdir no-libevent libevent.pc)"
expect_missing no-libevent-pthreads libevent-dev "$LIBEVENT_MSG" \
	"$(pcdir no-libevent-pthreads libevent_pthreads.pc)"
# config.log tells which of the two pkg-config could not find.
log_says no-libevent-pthreads "libevent_pthreads'?,? .*not found|libevent_pthreads was not found"
expect_missing no-libcrypto libssl-dev 'libcrypto >= 3\.0 not found' \
	"$(pcdir no-libcrypto libcrypto.pc)"
expect_missing no-yaml libyaml-dev 'yaml-0\.1 not found' "$(pcdir no-yaml yaml-0.1.pc)"
expect_missing no-cmocka libcmocka-dev 'cmocka >= 1\.1 not found' "$(pcdir no-cmocka cmocka.pc)"

# Present but too old: ldns before 1.8, OpenSSL 1.1 (the server needs OpenSSL 3).
OLD=$(pcdir old-ldns ldns.pc)
fake_pc "$OLD" ldns 1.7.1
expect_missing old-ldns libldns-dev 'ldns >= 1\.8 not found' "$OLD"
log_says old-ldns "1\\.7\\.1"
OLD=$(pcdir old-openssl libcrypto.pc)
fake_pc "$OLD" libcrypto 1.1.1w
expect_missing old-openssl libssl-dev 'libcrypto >= 3\.0 not found' "$OLD"
log_says old-openssl "1\\.1\\.1w"

# LMDB without lmdb.pc: the header check, then the library check.
NOLMDB=$(pcdir no-lmdb-pc lmdb.pc)
expect_missing no-lmdb-header liblmdb-dev 'lmdb\.h not found' "$NOLMDB" ac_cv_header_lmdb_h=no
expect_missing no-lmdb-lib liblmdb-dev 'liblmdb not found' "$NOLMDB" \
	ac_cv_lib_lmdb_mdb_env_create=no

# pthreads (libevent_pthreads needs them; glibc's come with libc6-dev).
expect_missing no-pthreads libc6-dev 'pthreads not found' "$ALL" ac_cv_search_pthread_create=no

# Without lmdb.pc but with the real header and library, the fallback finds LMDB.
run_configure lmdb-fallback "$NOLMDB"
st_eq "lmdb-fallback: configure without lmdb.pc succeeds" 0 "$RC"
st_grep "lmdb-fallback: links with -llmdb" '^LMDB_LIBS = -llmdb$' \
	"$(cat "$BUILD/Makefile" 2>/dev/null)"

st_log "$(($(date +%s) - T0)) s for all configure runs"
st_done
