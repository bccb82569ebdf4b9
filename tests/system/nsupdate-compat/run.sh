#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# run.sh -- every script of the corpus through BIND's nsupdate and through ilnpdns-update, each
# against a fresh BIND named serving the same zone: same exit status, same printed failures,
# same zone afterwards (AXFR, sorted, SOA serial ignored). Then both tools against ilnpdnsd, which
# must end where nsupdate against BIND did.
#
# A script may carry these comment lines:
#   ; expect-rc: N          nsupdate's exit status (guards against a corpus that tests nothing)
#   ; args: ...             extra options for both tools (e.g. -v)
#   ; key: none|mn          which -k the tools get (default mn)
# and the placeholders @PORT@, @MNSECRET@, @LIMSECRET@.
# nsupdate exits 1 on a syntax error where ilnpdns-update exits 2 (documented in
# ilnpdns-update(1)); that pair counts as equal when both reported the error.

. "$(dirname "$0")/../lib.sh"

st_need named nsupdate dig tsig-keygen named-checkconf named-checkzone
UPD="$top_builddir/updater/ilnpdns-update"
st_need_built "$UPD"
st_init

HERE="$top_srcdir/tests/system/nsupdate-compat"
ZONE="$HERE/example.ilnp.zone"
PORT=$(st_free_port) || st_fatal "no port"

# Keys made fresh for this run: nothing secret is committed.
tsig-keygen -a hmac-sha256 mn-key.example.ilnp. >"$ST_DIR/mn.key"
tsig-keygen -a hmac-sha256 limited-key.example.ilnp. >"$ST_DIR/limited.key"
chmod 600 "$ST_DIR"/*.key
secret_of() { sed -n 's/.*secret "\(.*\)".*/\1/p' "$1"; }
MNSECRET=$(secret_of "$ST_DIR/mn.key")
LIMSECRET=$(secret_of "$ST_DIR/limited.key")

# start_named: a fresh named on 127.0.0.1@PORT from a fresh copy of the zone.
start_named()
{
	local d="$ST_DIR/named"
	rm -rf "$d"
	mkdir -p "$d"
	cp "$ZONE" "$d/example.ilnp.zone"
	cat >"$d/named.conf" <<EOF
options {
	directory "$d";
	pid-file "$d/named.pid";
	session-keyfile "$d/session.key";
	managed-keys-directory "$d";
	listen-on port $PORT { 127.0.0.1; };
	listen-on-v6 { none; };
	recursion no;
	dnssec-validation no;
	notify no;
	allow-transfer { 127.0.0.1; };
};
controls { };
include "$ST_DIR/mn.key";
include "$ST_DIR/limited.key";
zone "example.ilnp." {
	type primary;
	file "$d/example.ilnp.zone";
	update-policy {
		grant limited-key.example.ilnp. name limited.example.ilnp. A;
		grant mn-key.example.ilnp. subdomain example.ilnp. ANY;
	};
};
EOF
	named-checkconf "$d/named.conf" || st_fatal "bad named.conf"
	st_spawn "$d/named.log" named -g -c "$d/named.conf"
	NAMED_PID=$ST_PID
	st_wait_answer "$NAMED_PID" 127.0.0.1 "$PORT" example.ilnp. 20 ||
		st_fatal "named did not start"
}

stop_named()
{
	st_stop_pid "$NAMED_PID"
	st_forget "$NAMED_PID"
}

# canon: master-file text on stdin -> one RR a line in named-checkzone's
# canonical form, sorted, the SOA serial blanked (ilnpdnsd and BIND may step
# it differently; the records are what must agree).
canon()
{
	cat >"$ST_DIR/canon.in"
	named-checkzone -q -i none -k ignore -D -o - example.ilnp. "$ST_DIR/canon.in" |
		awk 'BEGIN { OFS = "\t" } $4 == "SOA" { $7 = "SERIAL" } { print }' | sort -u
}

# The zone as the server at PORT transfers it (AXFR), or, for ilnpdnsd when
# DUMP_CTL is set, as ilnpdns-ctl zone-dump prints it.
axfr()
{
	if [ -n "${DUMP_CTL:-}" ]; then
		"$ST_CTL" -s "$DUMP_CTL" zone-dump example.ilnp. | canon
		return
	fi
	dig +noall +answer +nocmd +tries=2 +time=3 -p "$PORT" @127.0.0.1 example.ilnp. AXFR \
		-k "$ST_DIR/mn.key" | canon
}

# run_tool LABEL PROGRAM SCRIPT: run one tool on one script; leaves
# $ST_DIR/LABEL.{rc,out,err,zone}.
run_tool()
{
	local label=$1 prog=$2 script=$3 w="$ST_DIR/$1" args keyarg key rc
	args=$(sed -n 's/^; args: *//p' "$script")
	key=$(sed -n 's/^; key: *//p' "$script")
	keyarg="-k $ST_DIR/mn.key"
	[ "$key" = none ] && keyarg=
	sed -e "s/@PORT@/$PORT/g" -e "s|@MNSECRET@|$MNSECRET|g" -e "s|@LIMSECRET@|$LIMSECRET|g" \
		"$script" >"$w.script"
	# shellcheck disable=SC2086
	timeout 60 "$prog" $args $keyarg "$w.script" >"$w.out" 2>"$w.err"
	rc=$?
	echo "$rc" >"$w.rc"
	axfr >"$w.zone"
}

failures()
{
	grep -o 'update failed: [A-Z0-9]*' "$1" | tr '\n' ' '
}

# compare_runs NAME A B: the checks for one script between runs A and B.
compare_runs()
{
	local name=$1 a="$ST_DIR/$2" b="$ST_DIR/$3" ra rb
	ra=$(cat "$a.rc")
	rb=$(cat "$b.rc")
	if [ "$ra" = "$rb" ]; then
		st_pass "$name: exit status $ra from both"
	elif [ "$ra" = 1 ] && [ "$rb" = 2 ] && grep -q 'syntax error' "$a.err" &&
		grep -Eq '\.script:[0-9]+: ' "$b.err"; then
		st_pass "$name: syntax error stops both (nsupdate 1, ilnpdns-update 2)"
	else
		st_fail "$name: exit status $2=$ra $3=$rb"
		sed 's/^/    | '"$2"': /' "$a.err"
		sed 's/^/    | '"$3"': /' "$b.err"
	fi
	st_eq "$name: printed failures" "$(failures "$a.err")" "$(failures "$b.err")"
	if diff -u "$a.zone" "$b.zone" >"$ST_DIR/zone.diff"; then
		st_pass "$name: same zone ($(wc -l <"$a.zone") RRs)"
	else
		st_fail "$name: zones differ"
		sed 's/^/    | /' "$ST_DIR/zone.diff"
	fi
}

n=0
# NSUPDATE_COMPAT_ONLY=GLOB runs only the matching scripts (by hand, when debugging).
for script in "$HERE"/corpus/${NSUPDATE_COMPAT_ONLY:-*}.txt; do
	name=$(basename "$script" .txt)
	n=$((n + 1))
	for tool in nsupdate ilnpdns; do
		start_named
		if [ $tool = nsupdate ]; then
			run_tool "$name.nsupdate" nsupdate "$script"
		else
			run_tool "$name.ilnpdns" "$UPD" "$script"
		fi
		stop_named
	done
	want=$(sed -n 's/^; expect-rc: *//p' "$script")
	[ -n "$want" ] || st_fatal "$name: no expect-rc line"
	st_eq "$name: nsupdate exit status as the script expects" "$want" \
		"$(cat "$ST_DIR/$name.nsupdate.rc")"
	compare_runs "$name" "$name.nsupdate" "$name.ilnpdns"
done
[ $n -ge 15 ] || [ -n "${NSUPDATE_COMPAT_ONLY:-}" ] || st_fail "the corpus has only $n scripts"

# ---- the same corpus against ilnpdnsd ----
# ilnpdns-update and nsupdate, each against a fresh ilnpdnsd (fresh database
# from the same zone file, the same keys and policy as named), must give what
# nsupdate gave against BIND.
if [ ! -x "$ST_ILNPDNSD" ] || [ ! -x "$ST_CTL" ]; then
	st_fail "ilnpdnsd or ilnpdns-ctl has not been built"
	st_done
fi
start_ilnpdnsd()
{
	local d="$ST_DIR/ilnpdnsd"
	rm -rf "$d"
	mkdir -p "$d"
	cat >"$d/ilnpdnsd.yaml" <<EOF
server:
  listen: [ "127.0.0.1@$PORT" ]
  database: $d/db
  workers: 2
  ilnp-ttl: keep
  control: $d/ctl.sock
key-file: [ $ST_DIR/mn.key, $ST_DIR/limited.key ]
zone:
  - domain: example.ilnp.
    file: ${ILNPDNSD_ZONE:-$ZONE}
    update-policy:
      - grant limited-key.example.ilnp. name limited.example.ilnp. A
      - grant mn-key.example.ilnp. subdomain example.ilnp. ANY
      - grant sig0host.example.ilnp. self sig0host.example.ilnp. L64 NID
EOF
	st_start_ilnpdnsd "$d/ilnpdnsd.yaml"
	DUMP_CTL="$d/ctl.sock"
}

for script in "$HERE"/corpus/${NSUPDATE_COMPAT_ONLY:-*}.txt; do
	name=$(basename "$script" .txt)
	start_ilnpdnsd
	[ -n "$(axfr)" ] || st_fatal "ilnpdns-ctl zone-dump shows no zone"
	run_tool "$name.ilnpdnsd-ilnpdns" "$UPD" "$script"
	st_stop_ilnpdnsd || st_fail "ilnpdnsd needed KILL"
	start_ilnpdnsd
	run_tool "$name.ilnpdnsd-nsupdate" nsupdate "$script"
	st_stop_ilnpdnsd || st_fail "ilnpdnsd needed KILL"
	DUMP_CTL=
	compare_runs "$name: ilnpdns-update@ilnpdnsd vs nsupdate@named" "$name.nsupdate" \
		"$name.ilnpdnsd-ilnpdns"
	compare_runs "$name: nsupdate@ilnpdnsd vs nsupdate@named" "$name.nsupdate" \
		"$name.ilnpdnsd-nsupdate"
done

# SIG(0) (-k with a dnssec-keygen KEY pair), against ilnpdnsd only: named
# 9.18.28 and later no longer verify SIG(0) (CVE-2024-1975). The KEY RR is
# published at the signer's name; the policy lets it change its own L64/NID.
if command -v dnssec-keygen >/dev/null 2>&1; then
	(cd "$ST_DIR" && dnssec-keygen -q -T KEY -a ECDSAP256SHA256 -n HOST \
		sig0host.example.ilnp. >"$ST_DIR/sig0.name") || st_fatal "dnssec-keygen failed"
	SIG0="$ST_DIR/$(cat "$ST_DIR/sig0.name").private"
	{
		cat "$ZONE"
		grep -v '^;' "${SIG0%.private}.key"
	} >"$ST_DIR/sig0.zone"
	ILNPDNSD_ZONE="$ST_DIR/sig0.zone"
	start_ilnpdnsd
	printf 'server 127.0.0.1 %s\nzone example.ilnp.\n%s\nsend\n' "$PORT" \
		'update add sig0host.example.ilnp. 0 L64 10 2001:db8:51:1' >"$ST_DIR/sig0.ok"
	printf 'server 127.0.0.1 %s\nzone example.ilnp.\n%s\nsend\n' "$PORT" \
		'update add host1.example.ilnp. 0 L64 90 2001:db8:51:2' >"$ST_DIR/sig0.refused"
	out=$(timeout 30 "$UPD" -k "$SIG0" "$ST_DIR/sig0.ok" 2>&1)
	st_eq "SIG(0): ilnpdns-update -k K*.private adds its own L64 (exit)" 0 "$?"
	st_grep "SIG(0): the L64 is in the zone" \
		'^sig0host\.example\.ilnp\.[[:space:]].*L64[[:space:]]+10 2001:db8:51:1' "$(axfr)"
	out=$(timeout 30 "$UPD" -k "$SIG0" "$ST_DIR/sig0.refused" 2>&1)
	st_eq "SIG(0): outside the policy (exit)" 2 "$?"
	st_grep "SIG(0): outside the policy is REFUSED" '^update failed: REFUSED$' "$out"
	st_stop_ilnpdnsd || st_fail "ilnpdnsd needed KILL"
	DUMP_CTL=
else
	st_log "dnssec-keygen is not installed: the SIG(0) checks did not run"
	st_fail "SIG(0) checks need dnssec-keygen"
fi

st_done
