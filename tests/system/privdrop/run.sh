#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# run.sh -- least privilege: the systemd units, server.user drops root, control socket 0600, key-file modes.
#
# The units built from contrib/*.service.in must pass systemd-analyze verify
# and carry the sandboxing options. Run as root, ilnpdnsd with "user: nobody"
# must, once bound, run with every Uid and Gid of nobody (/proc/PID/status)
# and still answer; its control socket is mode 0600. A key file others can
# read is warned about; a 0600 one is not.
. "${top_srcdir:-$(dirname "$0")/../../..}/tests/system/lib.sh"

st_need dig systemd-analyze
st_need_built "$ST_ILNPDNSD" "$ST_CTL"
st_init

UNITS="$top_builddir/contrib"
PORT=$(st_free_port)
CONF="$ST_DIR/ilnpdnsd.conf"
LOG="$ST_DIR/ilnpdnsd.log"

# ---- the systemd units ---------------------------------------------------

for u in ilnpdnsd ilnpdns-locmgr; do
	[ -f "$UNITS/$u.service" ] || st_fatal "$UNITS/$u.service has not been built (run make first)"
	for opt in 'ProtectSystem=strict' 'NoNewPrivileges=yes' 'PrivateTmp=yes' \
		'RestrictAddressFamilies=.*AF_INET6' 'ProtectHome=yes' 'UMask=0077'; do
		st_grep "$u.service: $opt" "^$opt" "$(cat "$UNITS/$u.service")"
	done
done
st_grep "ilnpdnsd.service: only the capabilities to bind and drop privileges" \
	"^CapabilityBoundingSet=CAP_NET_BIND_SERVICE CAP_SETUID CAP_SETGID CAP_CHOWN$" \
	"$(cat "$UNITS/ilnpdnsd.service")"
st_grep "ilnpdnsd.service: writes only its state directory" "^ReadWritePaths=/.*/lib/ilnpdns$" \
	"$(cat "$UNITS/ilnpdnsd.service")"
st_grep "ilnpdns-locmgr.service: no capability at all" "^CapabilityBoundingSet=$" \
	"$(cat "$UNITS/ilnpdns-locmgr.service")"
st_grep "ilnpdns-locmgr.service: rtnetlink allowed" "^RestrictAddressFamilies=.*AF_NETLINK" \
	"$(cat "$UNITS/ilnpdns-locmgr.service")"
# verify wants ExecStart to exist: point it at the built programs.
sed "s#^ExecStart=[^ ]*/ilnpdnsd #ExecStart=$ST_ILNPDNSD #" "$UNITS/ilnpdnsd.service" \
	>"$ST_DIR/ilnpdnsd.service"
sed "s#^ExecStart=[^ ]*/ilnpdns-locmgr #ExecStart=$top_builddir/updater/ilnpdns-locmgr #" \
	"$UNITS/ilnpdns-locmgr.service" >"$ST_DIR/ilnpdns-locmgr.service"
out=$(timeout 30 systemd-analyze verify --man=no "$ST_DIR/ilnpdnsd.service" \
	"$ST_DIR/ilnpdns-locmgr.service" 2>&1)
st_eq "systemd-analyze verify accepts both units ($out)" 0 $?

# ---- key-file permissions --------------------------------------------------

cat >"$ST_DIR/k.key" <<'EOF'
key "upd-key." {
	algorithm hmac-sha256;
	secret "cHJpdmRyb3AtdGVzdC1rZXktbm90LWZvci1yZWFsLXVzZQ==";
};
EOF
st_ilnpdnsd_conf "$CONF" "$PORT" "$ST_DIR/db" "$ST_ZONE"
printf 'key-file: [ %s ]\n' "$ST_DIR/k.key" >>"$CONF"
chmod 0644 "$ST_DIR/k.key"
out=$("$ST_ILNPDNSD" -n -c "$CONF" 2>&1)
st_grep "a key file mode 0644 is warned about" "k\.key is readable by group or others.*chmod 600" "$out"
chmod 0600 "$ST_DIR/k.key"
out=$("$ST_ILNPDNSD" -n -c "$CONF" 2>&1)
st_nogrep "a key file mode 0600 is not" "readable by group or others" "$out"

# ---- server.user ---------------------------------------------------------------

if [ "$(id -u)" != 0 ] || ! id nobody >/dev/null 2>&1; then
	st_log "not root (or no user nobody): the privilege drop is not tested"
	st_done
fi
sed -i "s/^server:$/server:\\n  user: nobody\\n  log-level: info/" "$CONF"
st_start_ilnpdnsd "$CONF"
uid=$(id -u nobody)
gid=$(id -g nobody)
st_eq "user: nobody: every Uid of the running server is nobody's" "$uid $uid $uid $uid" \
	"$(awk '/^Uid:/ { print $2, $3, $4, $5 }' "/proc/$ILNPDNSD_PID/status")"
st_eq "user: nobody: every Gid is nobody's" "$gid $gid $gid $gid" \
	"$(awk '/^Gid:/ { print $2, $3, $4, $5 }' "/proc/$ILNPDNSD_PID/status")"
st_eq "user: nobody: no capability left" 0000000000000000 \
	"$(awk '/^CapEff:/ { print $2 }' "/proc/$ILNPDNSD_PID/status")"
st_grep "the log says so" "running as user nobody" "$(cat "$LOG")"
st_eq "control socket is mode 0600" "srw-------" "$(stat -c %A "$ST_DIR/ctl.sock")"
out=$(dig +norec +time=3 +tries=2 -p "$PORT" @127.0.0.1 host1.example.ilnp. L64 2>&1)
st_grep "the server answers after dropping root" "status: NOERROR" "$out"
st_grep "the database was handed to nobody" "^nobody$" "$(stat -c %U "$ST_DIR/db/data.mdb" 2>&1)"
st_done
