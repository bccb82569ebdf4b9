# SPDX-License-Identifier: BSD-2-Clause
# cases.sh -- the dynamic update cases: RFC 2136/3007 forms, TSIG and policy, each with its RCODE and zone check.
#
# Sourced by update/run.sh (against ilnpdnsd) and update-bind/run.sh
# (against ilnpdnsd and BIND side by side). The drivers (common.sh and the
# run.sh files) define:
#   u SPEC RCODE DESC      nsupdate with the key SPEC (common.sh upd_key_args;
#                          "+tcp" for TCP), commands on stdin; the RCODE as
#                          nsupdate prints it ("NOTAUTH(BADSIG)")
#   k SPEC RCODE DESC      the same through knsupdate (SPEC@OFFSET: faketime)
#   x SPEC RCODE DESC ARG.. updsend (tests/system/updsend.c) with the key SPEC,
#                          or SPEC "resend": the last request it sent, again
#   ch DESC / nc DESC      the serial moved by exactly one / did not move
#                          since before the last u, k or x
#   sr SERIAL DESC         the serial is SERIAL
#   z NAME TYPE RDATA DESC the NAME/TYPE RRset served is exactly RDATA (dig
#                          form, lower case, sorted, joined by " | "; ""
#                          for none)
#   zsoa FIELDS DESC       the apex SOA without its serial
#   zx NAME STATUS DESC    a query for NAME TXT gets STATUS (NXDOMAIN, ...)
# UPD_SERIAL is the serial seen after the last update.
# Expected RCODEs follow RFC 2136 sections 2.4, 3.2-3.4, RFC 3007 and RFC
# 8945 5.2; the section is named where it decides.

. "$top_srcdir/tests/system/update/rfc2136.sh"

# --- signatures (RFC 3007 2, RFC 8945 5.2) --------------------------------

u none REFUSED "unsigned update: REFUSED" <<'EOF'
update add p17.example.ilnp. 300 TXT "unsigned"
EOF
nc "unsigned: serial kept"
z p17.example.ilnp. TXT '' "unsigned: nothing added"

u none REFUSED "unsigned update with a false prerequisite: still REFUSED" <<'EOF'
prereq yxdomain nope.example.ilnp.
update add p17.example.ilnp. 300 TXT "unsigned"
EOF
nc "unsigned with prerequisite: serial kept"

u stranger 'NOTAUTH(BADKEY)' "unknown key: BADKEY (5.2.1)" <<'EOF'
update add p17.example.ilnp. 300 TXT "stranger"
EOF
nc "BADKEY: serial kept"
z p17.example.ilnp. TXT '' "BADKEY: nothing added"

u wrongalg 'NOTAUTH(BADKEY)' "known key name with another algorithm: BADKEY (5.2.1)" <<'EOF'
update add p17.example.ilnp. 300 TXT "wrong algorithm"
EOF
nc "wrong algorithm: serial kept"

u badsecret 'NOTAUTH(BADSIG)' "wrong secret: BADSIG (5.2.2)" <<'EOF'
update add p17.example.ilnp. 300 TXT "bad secret"
EOF
nc "BADSIG: serial kept"
z p17.example.ilnp. TXT '' "BADSIG: nothing added"

u mac80 FORMERR "MAC truncated to 80 bits, below half the hash: FORMERR (5.2.2.1)" <<'EOF'
update add p17.example.ilnp. 300 TXT "mac80"
EOF
nc "80-bit MAC: serial kept"

u mac128 'NOTAUTH(BADTRUNC)' "MAC truncated to 128 bits for a full-length key: BADTRUNC (5.2.4)" <<'EOF'
update add p17.example.ilnp. 300 TXT "mac128"
EOF
nc "128-bit MAC, full key: serial kept"
z p17.example.ilnp. TXT '' "truncated MACs: nothing added"

u trunc NOERROR "MAC of 128 bits for a key configured hmac-sha256-128" <<'EOF'
update add t128.alg.example.ilnp. 300 TXT "trunc"
EOF
ch "128-bit key: serial +1"
z t128.alg.example.ilnp. TXT '"trunc"' "128-bit key: TXT added"

for a in sha1 sha224 sha384 sha512; do
	u $a NOERROR "hmac-$a key" <<EOF
update add $a.alg.example.ilnp. 300 TXT "$a"
EOF
	ch "hmac-$a: serial +1"
	z $a.alg.example.ilnp. TXT "\"$a\"" "hmac-$a: TXT added"
done

k admin@-1h 'NOTAUTH(BADTIME)' "clock 1 h behind, beyond the fudge: BADTIME (5.2.3)" <<'EOF'
update add p18.example.ilnp. 300 TXT "past"
EOF
nc "BADTIME past: serial kept"
k admin@+1h 'NOTAUTH(BADTIME)' "clock 1 h ahead: BADTIME (5.2.3)" <<'EOF'
update add p18.example.ilnp. 300 TXT "future"
EOF
nc "BADTIME future: serial kept"
z p18.example.ilnp. TXT '' "BADTIME: nothing added"
k admin@-200 NOERROR "clock 200 s behind, inside the 300 s fudge" <<'EOF'
update add p18.example.ilnp. 300 TXT "skewed"
EOF
ch "inside the fudge: serial +1"
z p18.example.ilnp. TXT '"skewed"' "inside the fudge: TXT added"

x admin 'NOTAUTH(BADTIME)' "updsend: Time Signed 400 s ago: BADTIME" -T -400 \
	-a 'p19.example.ilnp. 0 IN TXT "crafted past"'
nc "crafted BADTIME: serial kept"
x admin NOERROR "replay: the original update" -a 'p19.example.ilnp. 0 IN TXT "once"'
ch "replay original: serial +1"
x resend 'NOTAUTH(BADTIME)' "replay: the same signed bytes again are refused"
nc "replay: serial kept"
z p19.example.ilnp. TXT '"once"' "replay: the record once"

# --- update policy (RFC 3007 3; server/policy.h) --------------------------

u host1 NOERROR "policy: host1-key adds an L64 at host1 (self)" <<'EOF'
update add host1.example.ilnp. 0 L64 40 2001:db8:1:40
EOF
ch "host1-key L64: serial +1"
z host1.example.ilnp. L64 '10 2001:db8:1140:1000 | 20 2001:db8:2140:2000 | 30 2001:db8:3140:3000 | 40 2001:db8:1:40' \
	"host1-key L64: added"

u host1 NOERROR "policy: host1-key replaces its L32 RRset" <<'EOF'
update delete host1.example.ilnp. L32
update add host1.example.ilnp. 0 L32 10 10.77.0.0
EOF
ch "host1-key L32: serial +1"
z host1.example.ilnp. L32 '10 10.77.0.0' "host1-key L32: replaced"

u host1 REFUSED "policy: host1-key may not add an AAAA at host1" <<'EOF'
update add host1.example.ilnp. 0 AAAA 2001:db8::bad
EOF
nc "host1-key AAAA: serial kept"
u host1 REFUSED "policy: host1-key may not touch host2" <<'EOF'
update add host2.example.ilnp. 0 L64 10 2001:db8:bad:1
EOF
nc "host1-key host2: serial kept"
z host2.example.ilnp. L64 '10 2001:db8:4140:4000' "host1-key host2: L64 unchanged"
u host1 REFUSED "policy: deny rule, host1-key at the apex" <<'EOF'
update add example.ilnp. 300 TXT "host1 was here"
EOF
nc "host1-key apex: serial kept"
u host1 NOERROR "policy: host1-key adds a TXT below host1 (selfsub)" <<'EOF'
update add sub.host1.example.ilnp. 300 TXT "selfsub"
EOF
ch "host1-key selfsub: serial +1"
z sub.host1.example.ilnp. TXT '"selfsub"' "host1-key selfsub: TXT added"
u host1 REFUSED "policy: host1-key may not delete every RRset at host1" <<'EOF'
update delete host1.example.ilnp.
EOF
nc "host1-key delete all: serial kept"
u host1 REFUSED "policy: one forbidden RR refuses the whole update" <<'EOF'
update add host1.example.ilnp. 0 L64 50 2001:db8:1:50
update add host1.example.ilnp. 0 AAAA 2001:db8::bad
EOF
nc "mixed update: serial kept"
z host1.example.ilnp. L64 '10 2001:db8:1140:1000 | 20 2001:db8:2140:2000 | 30 2001:db8:3140:3000 | 40 2001:db8:1:40' \
	"mixed update: the allowed L64 was not added"
u host1 REFUSED "policy: forbidden update with a false prerequisite" <<'EOF'
prereq nxdomain host1.example.ilnp.
update add host2.example.ilnp. 0 L64 10 2001:db8:bad:2
EOF
nc "forbidden with false prerequisite: serial kept"

u site NOERROR "policy: site-key adds an L64 at l64-subnet1 (subdomain)" <<'EOF'
update add l64-subnet1.example.ilnp. 0 L64 20 2001:db8:1141:1001
EOF
ch "site-key L64: serial +1"
z l64-subnet1.example.ilnp. L64 '10 2001:db8:1140:1000 | 20 2001:db8:1141:1001' "site-key L64: added"
u site NOERROR "policy: site-key adds an L32 at a new name" <<'EOF'
update add new.site.example.ilnp. 0 L32 10 10.66.0.0
EOF
ch "site-key new L32: serial +1"
u site REFUSED "policy: site-key may not add a NID" <<'EOF'
update add l64-subnet1.example.ilnp. 0 NID 10 0014:4fff:ff20:cc01
EOF
nc "site-key NID: serial kept"
u site REFUSED "policy: deny before grant, site-key at l64-subnet3" <<'EOF'
update add l64-subnet3.example.ilnp. 0 L64 30 2001:db8:4142:4002
EOF
nc "site-key l64-subnet3: serial kept"
z l64-subnet3.example.ilnp. L64 '10 2001:db8:4140:4000 | 20 2001:db8:4141:4001' "site-key l64-subnet3: unchanged"

u ops NOERROR "policy: ops-key may add an AAAA at www, but www is a CNAME" <<'EOF'
update add www.example.ilnp. 300 AAAA 2001:db8::80
EOF
nc "ops-key AAAA at a CNAME: serial kept"
u ops REFUSED "policy: ops-key may not add a TXT at www" <<'EOF'
update add www.example.ilnp. 300 TXT "ops"
EOF
nc "ops-key TXT: serial kept"
u ops REFUSED "policy: ops-key may not add an A at www2" <<'EOF'
update add www2.example.ilnp. 300 A 192.0.2.80
EOF
nc "ops-key www2: serial kept"
z www2.example.ilnp. A '' "ops-key www2: nothing added"

# --- knsupdate (Knot DNS client): TSIG, prerequisites, add and delete ------
# (Knot's parser wants all four groups of an L64 written with four digits.)

k admin NOERROR "knsupdate: add with a true nxrrset prerequisite" <<'EOF'
prereq nxrrset k1.example.ilnp. L64
update add k1.example.ilnp. 0 L64 10 2001:0db8:00c1:0001
update add k1.example.ilnp. 0 NID 10 0014:4fff:ff20:c101
EOF
ch "knsupdate add: serial +1"
z k1.example.ilnp. L64 '10 2001:db8:c1:1' "knsupdate add: L64"
k admin NXRRSET "knsupdate: false yxrrset prerequisite" <<'EOF'
prereq yxrrset k1.example.ilnp. L64 10 2001:0db8:00c1:0002
update delete k1.example.ilnp. L64
EOF
nc "knsupdate false prerequisite: serial kept"
k admin+tcp NOERROR "knsupdate over TCP: delete one L64 RR with a true prerequisite" <<'EOF'
prereq yxrrset k1.example.ilnp. L64 10 2001:0db8:00c1:0001
update delete k1.example.ilnp. L64 10 2001:0db8:00c1:0001
EOF
ch "knsupdate delete: serial +1"
z k1.example.ilnp. L64 '' "knsupdate delete: L64 gone"
z k1.example.ilnp. NID '10 14:4fff:ff20:c101' "knsupdate delete: NID stays"
k host1 REFUSED "knsupdate: policy refusal" <<'EOF'
update add k1.example.ilnp. 0 L64 10 2001:0db8:00c1:0003
EOF
nc "knsupdate refused: serial kept"
k badsecret 'NOTAUTH(BADSIG)' "knsupdate: wrong secret" <<'EOF'
update add k1.example.ilnp. 0 L64 10 2001:0db8:00c1:0004
EOF
nc "knsupdate BADSIG: serial kept"

