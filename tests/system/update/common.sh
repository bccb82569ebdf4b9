# SPDX-License-Identifier: BSD-2-Clause
# common.sh -- keys, zone, configs (ilnpdnsd and BIND named) and update/check drivers for the update tests.
#
# Sourced after tests/system/lib.sh by tests/system/update/run.sh,
# update-bind/run.sh, sig0/run.sh, sig0-bind/run.sh and crash/run.sh. The case list
# (update/cases.sh) only calls u, k, x, z, ch, nc and sr; the functions
# here carry them out against one server (UPD_PORT) and record what
# happened in UPD_LAST_RCODE, UPD_PREV_SERIAL and UPD_SERIAL.

UPD_ZONE=example.ilnp.
UPD_UPDSEND="$top_builddir/tests/system/updsend"
# TSIG keys the servers know. Their secrets are made at test time.
UPD_KEYS_LIST="admin-key sha1-key sha224-key sha384-key sha512-key"
UPD_KEYS_FILE="host1-key site-key ops-key trunc-key"

# The policy, in ilnpdnsd's syntax (policy.h), first match wins. BIND gets the
# same rules with self/selfsub NAME written as name/subdomain NAME (BIND's
# self ignores the NAME field and matches the key's own name instead).
upd_policy()
{
	cat <<'EOF'
grant admin-key subdomain example.ilnp. ANY
grant host1-key self host1.example.ilnp. NID L64 L32 LP
grant host1-key selfsub host1.example.ilnp. TXT
deny site-key subdomain l64-subnet3.example.ilnp. ANY
grant site-key subdomain example.ilnp. L64 L32 LP
grant ops-key name www.example.ilnp. AAAA A
grant sha1-key subdomain alg.example.ilnp. TXT
grant sha224-key subdomain alg.example.ilnp. TXT
grant sha384-key subdomain alg.example.ilnp. TXT
grant sha512-key subdomain alg.example.ilnp. TXT
grant trunc-key subdomain alg.example.ilnp. TXT
deny host1-key name example.ilnp. ANY
EOF
}

# upd_make_keys: tsig-keygen files in $ST_DIR/keys, one per key, mode 0600;
# stranger-key is made but given to no server.
upd_make_keys()
{
	local k alg
	UPD_KEYDIR="$ST_DIR/keys"
	mkdir -p "$UPD_KEYDIR"
	for k in $UPD_KEYS_LIST $UPD_KEYS_FILE stranger-key; do
		case $k in
		sha*-key) alg=hmac-${k%-key} ;;
		*) alg=hmac-sha256 ;;
		esac
		(umask 077 && tsig-keygen -a "$alg" "$k" >"$UPD_KEYDIR/$k.key") ||
			st_fatal "tsig-keygen $k failed"
	done
	# trunc-key accepts MACs of 128 bits and more (BIND's hmac-sha256-128);
	# nsupdate -k then signs with 128-bit MACs.
	sed -i 's/algorithm hmac-sha256;/algorithm hmac-sha256-128;/' "$UPD_KEYDIR/trunc-key.key"
	# One file holding the key-file: keys, as ilnpdnsd and named read them.
	(umask 077 && for k in $UPD_KEYS_FILE; do cat "$UPD_KEYDIR/$k.key"; done \
		>"$UPD_KEYDIR/file-keys.conf")
}

upd_secret() { sed -n 's/.*secret "\(.*\)".*/\1/p' "$UPD_KEYDIR/$1.key"; }
upd_alg() { sed -n 's/.*algorithm \([^;]*\);.*/\1/p' "$UPD_KEYDIR/$1.key"; }

# upd_make_zone OUT: the example zone flattened into one file (its $INCLUDE
# is relative to the source tree), so BIND and ilnpdnsd start from the same
# records.
upd_make_zone()
{
	(cd "$top_srcdir" && named-checkzone -q -D -o "$1" "$UPD_ZONE" zones/example.ilnp.zone) ||
		st_fatal "cannot flatten the example zone"
}

# upd_setup: the keys, the flattened zone in $zone, a free $PORT and an
# ilnpdnsd config for them in $conf (database $ST_DIR/db): the start most
# single-server update tests share.
upd_setup()
{
	upd_make_keys
	zone="$ST_DIR/example.ilnp.zone"
	upd_make_zone "$zone"
	PORT=$(st_free_port)
	conf="$ST_DIR/ilnpdnsd.yaml"
	upd_ilnp_conf "$conf" "$PORT" "$ST_DIR/db" "$zone"
}

# upd_ilnp_conf FILE PORT DB ZONEFILE [EXTRA-RULE...]: an ilnpdnsd config with
# the keys (key: list and key-file:), the policy plus EXTRA rules placed
# first, and a failure limit high enough for the many failures the tests
# provoke on purpose (UPD_FAIL_LIMIT overrides it).
upd_ilnp_conf()
{
	local file=$1 port=$2 db=$3 zone=$4 k r
	shift 4
	{
		echo "server:"
		echo "  listen: [ \"127.0.0.1@$port\" ]"
		echo "  database: $db"
		echo "  workers: 2"
		echo "  control: $ST_DIR/ctl.sock"
		echo "  update-fail-limit: ${UPD_FAIL_LIMIT:-100000}"
		echo "key:"
		for k in $UPD_KEYS_LIST; do
			echo "  - id: $k"
			echo "    algorithm: $(upd_alg "$k")"
			echo "    secret: \"$(upd_secret "$k")\""
		done
		echo "key-file: [ $UPD_KEYDIR/file-keys.conf ]"
		echo "zone:"
		echo "  - domain: $UPD_ZONE"
		echo "    file: $zone"
		echo "    serial-policy: increment"
		echo "    update-policy:"
		for r in "$@"; do
			echo "      - $r"
		done
		upd_policy | sed 's/^/      - /'
	} >"$file"
}

# upd_start_named PORT ZONEFILE [RULES]: BIND named -g on 127.0.0.1 with the
# same keys and the policy translated, after RULES (update-policy lines,
# one a line, taken as they are); everything it writes stays in
# $ST_DIR/named. Sets NAMED_PID.
upd_start_named()
{
	local port=$1 zone=$2 rules=${3:-} nd="$ST_DIR/named" k
	mkdir -p "$nd"
	cp "$zone" "$nd/example.ilnp.zone"
	{
		cat <<EOF
options {
	directory "$nd";
	listen-on port $port { 127.0.0.1; };
	listen-on-v6 { none; };
	pid-file "$nd/named.pid";
	session-keyfile "$nd/session.key";
	managed-keys-directory "$nd";
	recursion no;
	dnssec-validation no;
	notify no;
	minimal-responses yes;
};
controls { };
EOF
		for k in $UPD_KEYS_LIST $UPD_KEYS_FILE; do
			echo "include \"$UPD_KEYDIR/$k.key\";"
		done
		echo "zone \"example.ilnp\" {"
		echo "	type primary;"
		echo "	file \"$nd/example.ilnp.zone\";"
		echo "	update-policy {"
		{
			[ -z "$rules" ] || printf '%s\n' "$rules"
			upd_policy | sed -e 's/ selfsub / subdomain /' -e 's/ self / name /'
		} | sed -e 's/^/		/' -e 's/$/;/'
		echo "	};"
		echo "};"
	} >"$nd/named.conf"
	named-checkconf "$nd/named.conf" || st_fatal "named-checkconf failed"
	st_spawn "$ST_DIR/named.log" named -g -c "$nd/named.conf"
	NAMED_PID=$ST_PID
	# Not "running": named prints "running on Linux ..." before it loads the zone.
	st_wait_log "$NAMED_PID" "$ST_DIR/named.log" "all zones loaded" 20 || st_fatal "named did not start"
}

# --- ilnpdnsd and BIND compared -------------------------------------------

# upd_allow_init ALLOWFILE: start comparing against ALLOWFILE, whose lines
# are DESC | ilnpdnsd outcome | BIND outcome | rule (# starts a comment).
# UPD_DIFFS counts the allowed differences met.
upd_allow_init()
{
	UPD_ALLOW=$1
	UPD_USED="$ST_DIR/allow.used"
	: >"$UPD_USED"
	UPD_DIFFS=0
}

# upd_allowed DESC ILNP BIND: print the rule if the allow file accepts this
# difference.
upd_allowed()
{
	awk -F ' *[|] *' -v d="$1" -v a="$2" -v b="$3" '
		/^#/ || NF < 4 { next }
		$1 == d && $2 == a && $3 == b { print $4; found = 1; exit }
		END { exit !found }' "$UPD_ALLOW"
}

# upd_same DESC ILNP BIND: pass when equal; an allowed difference passes and
# is logged with its rule; anything else fails.
upd_same()
{
	local rule
	if [ "$2" = "$3" ]; then
		st_pass "$1: ilnpdnsd and BIND agree ($2)"
	elif rule=$(upd_allowed "$1" "$2" "$3"); then
		st_pass "$1: differs as allowed: ilnpdnsd '$2', BIND '$3' -- $rule"
		printf '%s\n' "$1" >>"$UPD_USED"
		UPD_DIFFS=$((UPD_DIFFS + 1))
	else
		st_fail "$1: ilnpdnsd '$2', BIND '$3' (not in allow.txt)"
	fi
}

# upd_allow_all_used: every entry of the allow file must still describe a
# real difference, so the list stays true.
upd_allow_all_used()
{
	local line d
	while IFS= read -r line; do
		case $line in '#'* | '') continue ;; esac
		d=$(printf '%s\n' "$line" | awk -F ' *[|] *' '{ print $1 }')
		if grep -qxF -- "$d" "$UPD_USED"; then
			st_pass "allow.txt entry used: $d"
		else
			st_fail "allow.txt entry matches no difference any more: $d"
		fi
	done <"$UPD_ALLOW"
}

# --- running updates ------------------------------------------------------

# upd_key_args SPEC: nsupdate options for a key spec of the case list:
# none, NAME (a configured key, -k file), stranger (a key no server has),
# badsecret (admin-key's name, another key's secret), mac80 / mac128
# (admin-key's secret with a MAC truncated to 80 / 128 bits), wrongalg
# (admin-key's name and secret, hmac-sha512 instead of sha256).
upd_key_args()
{
	case $1 in
	none) ;;
	badsecret) echo "-y hmac-sha256:admin-key:$(upd_secret stranger-key)" ;;
	mac80) echo "-y hmac-sha256-80:admin-key:$(upd_secret admin-key)" ;;
	mac128) echo "-y hmac-sha256-128:admin-key:$(upd_secret admin-key)" ;;
	wrongalg) echo "-y hmac-sha512:admin-key:$(upd_secret admin-key)" ;;
	*) echo "-k $UPD_KEYDIR/$1-key.key" ;;
	esac
}

# upd_nsupdate_rcode: read nsupdate's output and print the answer's RCODE as
# nsupdate shows it ("NOERROR", "NXRRSET", "NOTAUTH(BADSIG)"); a failure
# without an answer prints ERROR:<last line>.
upd_nsupdate_rcode()
{
	local out=$1 rc=$2 r
	r=$(printf '%s\n' "$out" | sed -n 's/^update failed: \([A-Z0-9()]*\).*/\1/p' | head -n 1)
	if [ -n "$r" ]; then
		echo "$r"
	elif [ "$rc" -eq 0 ] && ! printf '%s\n' "$out" | grep -q 'error'; then
		echo NOERROR
	else
		echo "ERROR:$(printf '%s\n' "$out" | tail -n 1 | tr -s ' ' _)"
	fi
}

# upd_body: the commands of the case on stdin, with the server line first,
# a zone line unless the case names one, and send last.
upd_body()
{
	local port=$1 body
	body=$(cat)
	echo "server 127.0.0.1 $port"
	printf '%s\n' "$body" | grep -q '^zone ' || echo "zone $UPD_ZONE"
	[ -z "$body" ] || printf '%s\n' "$body"
	echo "send"
}

# upd_run_nsupdate PORT SPEC: run the commands on stdin; print the RCODE.
# SPEC may end in +tcp (nsupdate -v).
upd_run_nsupdate()
{
	local port=$1 spec=$2 opts='' out rc
	case $spec in *+tcp) opts=-v spec=${spec%+tcp} ;; esac
	# shellcheck disable=SC2046 # the key arguments are words on purpose
	out=$(upd_body "$port" | timeout 20 nsupdate $opts $(upd_key_args "$spec") 2>&1)
	rc=$?
	upd_nsupdate_rcode "$out" "$rc"
}

# upd_run_knsupdate PORT SPEC: the same with Knot's knsupdate (-y only); SPEC
# may end in @OFFSET (faketime -f OFFSET, e.g. @-1h) and +tcp.
upd_run_knsupdate()
{
	local port=$1 spec=$2 opts='' ft='' out rc st name
	case $spec in *+tcp) opts=-v spec=${spec%+tcp} ;; esac
	case $spec in *@*) ft=${spec#*@} spec=${spec%@*} ;; esac
	case $spec in
	none) ;;
	badsecret) opts="$opts -y hmac-sha256:admin-key:$(upd_secret stranger-key)" ;;
	*)
		name=$spec-key
		opts="$opts -y $(upd_alg "$name"):$name:$(upd_secret "$name")"
		;;
	esac
	if [ -n "$ft" ]; then
		# shellcheck disable=SC2086
		out=$(upd_body "$port" | timeout 20 faketime -f "$ft" knsupdate $opts 2>&1)
	else
		# shellcheck disable=SC2086
		out=$(upd_body "$port" | timeout 20 knsupdate $opts 2>&1)
	fi
	rc=$?
	# knsupdate prints the header of a failed answer; TSIG errors show
	# there as the status.
	st=$(printf '%s\n' "$out" | sed -n 's/.*status: \([A-Z]*\).*/\1/p' | head -n 1)
	case $st in
	BADSIG | BADKEY | BADTIME | BADTRUNC) echo "NOTAUTH($st)" ;;
	?*) echo "$st" ;;
	*)
		if [ "$rc" -eq 0 ]; then
			echo NOERROR
		else
			echo "ERROR:$(printf '%s\n' "$out" | tail -n 1 | tr -s ' ' _)"
		fi
		;;
	esac
}

# upd_serial PORT: the zone's SOA serial as served.
upd_serial()
{
	timeout 10 dig +norec +short +time=2 +tries=1 -p "$1" @127.0.0.1 "$UPD_ZONE" SOA |
		awk '{ print $3 }'
}

# upd_rdata PORT NAME TYPE: the RDATA of the NAME/TYPE RRset in the answer
# (not what a CNAME leads to), lower case, sorted, joined by " | ".
upd_rdata()
{
	timeout 10 dig +norec +noall +answer +time=2 +tries=1 -p "$1" @127.0.0.1 "$2" "$3" |
		awk -v n="$2" -v t="$3" 'tolower($1) == tolower(n) && $4 == t {
			$1 = $2 = $3 = $4 = ""; sub(/^ +/, ""); print tolower($0) }' |
		sort | awk 'NR > 1 { printf " | " } { printf "%s", $0 } END { print "" }'
}

# upd_serial_next S: S + 1 in RFC 1982 arithmetic, never 0.
upd_serial_next()
{
	local n=$((($1 + 1) % 4294967296))
	[ $n -eq 0 ] && n=1
	echo $n
}
