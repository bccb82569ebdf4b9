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

SOA_REST='ns1.example.ilnp. hostmaster.example.ilnp. 7200 3600 1209600 300'

# --- prerequisites (RFC 2136 2.4, 3.2), all five forms, true and false ----

u admin NOERROR "yxdomain true (host1 is in use)" <<'EOF'
prereq yxdomain host1.example.ilnp.
update add p1.example.ilnp. 300 TXT "p1"
EOF
ch "yxdomain true: serial +1"
z p1.example.ilnp. TXT '"p1"' "yxdomain true: TXT added"

u admin NXDOMAIN "yxdomain false (nope is not in use)" <<'EOF'
prereq yxdomain nope.example.ilnp.
update add p1.example.ilnp. 300 TXT "p1-again"
EOF
nc "yxdomain false: serial kept"
z p1.example.ilnp. TXT '"p1"' "yxdomain false: nothing added"

u admin NXDOMAIN "yxdomain false at an empty non-terminal (2.4.4)" <<'EOF'
prereq yxdomain ent.example.ilnp.
update add p2.example.ilnp. 300 TXT "p2"
EOF
nc "yxdomain at an ENT: serial kept"
z p2.example.ilnp. TXT '' "yxdomain at an ENT: nothing added"

u admin NOERROR "nxdomain true (nope is not in use)" <<'EOF'
prereq nxdomain nope.example.ilnp.
update add p3.example.ilnp. 300 TXT "p3"
EOF
ch "nxdomain true: serial +1"
z p3.example.ilnp. TXT '"p3"' "nxdomain true: TXT added"

u admin YXDOMAIN "nxdomain false (host1 is in use)" <<'EOF'
prereq nxdomain host1.example.ilnp.
update add p4.example.ilnp. 300 TXT "p4"
EOF
nc "nxdomain false: serial kept"
z p4.example.ilnp. TXT '' "nxdomain false: nothing added"

u admin NOERROR "nxdomain true at an empty non-terminal (2.4.5)" <<'EOF'
prereq nxdomain ent.example.ilnp.
update add p5.example.ilnp. 300 TXT "p5"
EOF
ch "nxdomain at an ENT: serial +1"
z p5.example.ilnp. TXT '"p5"' "nxdomain at an ENT: TXT added"

u admin NOERROR "yxrrset value-independent true (host1 NID)" <<'EOF'
prereq yxrrset host1.example.ilnp. NID
update add p6.example.ilnp. 300 TXT "p6"
EOF
ch "yxrrset true: serial +1"
z p6.example.ilnp. TXT '"p6"' "yxrrset true: TXT added"

u admin NXRRSET "yxrrset value-independent false (host1 TXT)" <<'EOF'
prereq yxrrset host1.example.ilnp. TXT
update add p7.example.ilnp. 300 TXT "p7"
EOF
nc "yxrrset false: serial kept"
z p7.example.ilnp. TXT '' "yxrrset false: nothing added"

u admin NOERROR "nxrrset true (host1 TXT)" <<'EOF'
prereq nxrrset host1.example.ilnp. TXT
update add p8.example.ilnp. 300 TXT "p8"
EOF
ch "nxrrset true: serial +1"
z p8.example.ilnp. TXT '"p8"' "nxrrset true: TXT added"

u admin YXRRSET "nxrrset false (host1 L64)" <<'EOF'
prereq nxrrset host1.example.ilnp. L64
update add p9.example.ilnp. 300 TXT "p9"
EOF
nc "nxrrset false: serial kept"
z p9.example.ilnp. TXT '' "nxrrset false: nothing added"

u admin NOERROR "yxrrset value-dependent true (host2 L64)" <<'EOF'
prereq yxrrset host2.example.ilnp. L64 10 2001:db8:4140:4000
update add p10.example.ilnp. 300 TXT "p10"
EOF
ch "value-dependent true: serial +1"
z p10.example.ilnp. TXT '"p10"' "value-dependent true: TXT added"

u admin NXRRSET "yxrrset value-dependent false: another value" <<'EOF'
prereq yxrrset host2.example.ilnp. L64 10 2001:db8:4140:4001
update add p11.example.ilnp. 300 TXT "p11"
EOF
nc "value-dependent other value: serial kept"

u admin NXRRSET "yxrrset value-dependent false: a subset (host1 L32)" <<'EOF'
prereq yxrrset host1.example.ilnp. L32 10 10.1.2.0
update add p11.example.ilnp. 300 TXT "p11"
EOF
nc "value-dependent subset: serial kept"
z p11.example.ilnp. TXT '' "value-dependent false: nothing added"

u admin NXRRSET "yxrrset value-dependent false: a superset (host2 L64)" <<'EOF'
prereq yxrrset host2.example.ilnp. L64 10 2001:db8:4140:4000
prereq yxrrset host2.example.ilnp. L64 20 2001:db8:4140:4001
update add p11.example.ilnp. 300 TXT "p11"
EOF
nc "value-dependent superset: serial kept"

u admin NOERROR "yxrrset value-dependent true: both host1 L32 RRs" <<'EOF'
prereq yxrrset host1.example.ilnp. L32 10 10.1.2.0
prereq yxrrset host1.example.ilnp. L32 20 10.1.4.0
update add p12.example.ilnp. 300 TXT "p12"
EOF
ch "value-dependent whole set: serial +1"

u admin NOERROR "yxrrset value-dependent: LP target names compare case-insensitively" <<'EOF'
prereq yxrrset mn.example.ilnp. LP 10 MOBILE-NET1.example.ilnp.
prereq yxrrset mn.example.ilnp. LP 20 l64-subnet1.EXAMPLE.ilnp.
update add p13.example.ilnp. 300 TXT "p13"
EOF
ch "LP prerequisite in other case: serial +1"

u admin YXDOMAIN "several prerequisites, the last false" <<'EOF'
prereq yxdomain host1.example.ilnp.
prereq nxrrset host1.example.ilnp. TXT
prereq yxrrset host2.example.ilnp. NID
prereq nxdomain host2.example.ilnp.
update add p14.example.ilnp. 300 TXT "p14"
EOF
nc "several prerequisites: serial kept"
z p14.example.ilnp. TXT '' "several prerequisites: nothing added"

u admin NOTZONE "prerequisite outside the zone (3.2.5)" <<'EOF'
prereq yxdomain www.example.com.
update add p14.example.ilnp. 300 TXT "p14"
EOF
nc "prerequisite NOTZONE: serial kept"

# --- every update form on NID, L32, L64, LP and AAAA (RFC 2136 2.5, 3.4.2) --

u admin NOERROR "add NID L32 L64 LP AAAA at a new name, two of each" <<'EOF'
update add h9.example.ilnp. 0 NID 10 0014:4fff:ff20:aa01
update add h9.example.ilnp. 0 NID 20 0014:4fff:ff20:aa02
update add h9.example.ilnp. 0 L32 10 10.9.1.0
update add h9.example.ilnp. 0 L32 20 10.9.2.0
update add h9.example.ilnp. 0 L64 10 2001:db8:9:1
update add h9.example.ilnp. 0 L64 20 2001:db8:9:2
update add h9.example.ilnp. 0 LP 10 l64-subnet1.example.ilnp.
update add h9.example.ilnp. 0 LP 20 l64-subnet2.example.ilnp.
update add h9.example.ilnp. 0 AAAA 2001:db8:9::1
update add h9.example.ilnp. 0 AAAA 2001:db8:9::2
EOF
ch "ten adds in one update: serial +1 once"
z h9.example.ilnp. NID '10 14:4fff:ff20:aa01 | 20 14:4fff:ff20:aa02' "add: NID"
z h9.example.ilnp. L32 '10 10.9.1.0 | 20 10.9.2.0' "add: L32"
z h9.example.ilnp. L64 '10 2001:db8:9:1 | 20 2001:db8:9:2' "add: L64"
z h9.example.ilnp. LP '10 l64-subnet1.example.ilnp. | 20 l64-subnet2.example.ilnp.' "add: LP"
z h9.example.ilnp. AAAA '2001:db8:9::1 | 2001:db8:9::2' "add: AAAA"

u admin NOERROR "duplicate adds are ignored (1.1.5, 3.4.2.2)" <<'EOF'
update add h9.example.ilnp. 0 NID 10 0014:4fff:ff20:aa01
update add h9.example.ilnp. 0 L32 10 10.9.1.0
update add h9.example.ilnp. 0 L64 10 2001:0db8:0009:0001
update add h9.example.ilnp. 0 LP 10 L64-SUBNET1.example.ilnp.
update add h9.example.ilnp. 0 AAAA 2001:db8:9:0::1
EOF
nc "duplicate adds: serial kept"
z h9.example.ilnp. L64 '10 2001:db8:9:1 | 20 2001:db8:9:2' "duplicate adds: L64 unchanged"
z h9.example.ilnp. LP '10 l64-subnet1.example.ilnp. | 20 l64-subnet2.example.ilnp.' \
	"duplicate adds: LP unchanged"

u admin NOERROR "the same new RR twice in one update" <<'EOF'
update add h9.example.ilnp. 0 L64 30 2001:db8:9:3
update add h9.example.ilnp. 0 L64 30 2001:db8:9:3
EOF
ch "one new RR added twice: serial +1"
z h9.example.ilnp. L64 '10 2001:db8:9:1 | 20 2001:db8:9:2 | 30 2001:db8:9:3' \
	"one new RR added twice: stored once"

for t in NID L32 L64 LP AAAA; do
	case $t in
	NID) rr='20 0014:4fff:ff20:aa02' left='10 14:4fff:ff20:aa01' ;;
	L32) rr='20 10.9.2.0' left='10 10.9.1.0' ;;
	L64) rr='30 2001:db8:9:3' left='10 2001:db8:9:1 | 20 2001:db8:9:2' ;;
	LP) rr='20 l64-subnet2.example.ilnp.' left='10 l64-subnet1.example.ilnp.' ;;
	AAAA) rr='2001:db8:9::2' left='2001:db8:9::1' ;;
	esac
	u admin NOERROR "delete one RR: $t" <<EOF
update delete h9.example.ilnp. $t $rr
EOF
	ch "delete one $t RR: serial +1"
	z h9.example.ilnp. $t "$left" "delete one RR: the other $t RRs stay"
	u admin NOERROR "delete one RR that is not there: $t" <<EOF
update delete h9.example.ilnp. $t $rr
EOF
	nc "delete an absent $t RR: serial kept"
done

u admin NOERROR "add all five types at h8" <<'EOF'
update add h8.example.ilnp. 0 NID 10 0014:4fff:ff20:bb01
update add h8.example.ilnp. 0 L32 10 10.8.1.0
update add h8.example.ilnp. 0 L64 10 2001:db8:8:1
update add h8.example.ilnp. 0 LP 10 l64-subnet1.example.ilnp.
update add h8.example.ilnp. 0 AAAA 2001:db8:8::1
update add h8.example.ilnp. 0 TXT "h8"
EOF
ch "add at h8: serial +1"
for t in NID L32 L64 LP AAAA; do
	u admin NOERROR "delete RRset: $t" <<EOF
update delete h8.example.ilnp. $t
EOF
	ch "delete the $t RRset: serial +1"
	z h8.example.ilnp. $t '' "delete RRset: no $t left"
	u admin NOERROR "delete an absent RRset: $t" <<EOF
update delete h8.example.ilnp. $t
EOF
	nc "delete an absent $t RRset: serial kept"
done
z h8.example.ilnp. TXT '"h8"' "delete RRsets: the TXT stays"

u admin NOERROR "replace the L64 RRset in one update (delete RRset + add)" <<'EOF'
update delete h9.example.ilnp. L64
update add h9.example.ilnp. 0 L64 10 2001:db8:9:99
EOF
ch "replace L64: serial +1"
z h9.example.ilnp. L64 '10 2001:db8:9:99' "replace L64: only the new locator"

u admin NOERROR "delete all RRsets at a name (h9)" <<'EOF'
update delete h9.example.ilnp.
EOF
ch "delete all at h9: serial +1"
for t in NID L32 L64 LP AAAA; do
	z h9.example.ilnp. $t '' "delete all at name: no $t left"
done
zx h9.example.ilnp. NXDOMAIN "delete all at name: h9 is gone"

u admin NOERROR "delete all at a name that does not exist" <<'EOF'
update delete h9.example.ilnp.
EOF
nc "delete all at an absent name: serial kept"

# --- SOA (3.4.2.2, 3.4.2.3, 3.4.2.4, 3.6) -----------------------------------

u admin NOERROR "SOA with a lower serial is ignored" <<EOF
update add example.ilnp. 3600 SOA ns1.example.ilnp. hostmaster.example.ilnp. 1 1111 3600 1209600 300
EOF
nc "lower SOA serial: serial kept"
zsoa "$SOA_REST" "lower SOA serial: SOA unchanged"

u admin NOERROR "SOA with the same serial is ignored" <<EOF
update add example.ilnp. 3600 SOA ns1.example.ilnp. hostmaster.example.ilnp. $UPD_SERIAL 1111 3600 1209600 300
EOF
nc "same SOA serial: serial kept"
zsoa "$SOA_REST" "same SOA serial: SOA unchanged"

soa_new=$((UPD_SERIAL + 100))
u admin NOERROR "SOA with a higher serial replaces the SOA" <<EOF
update add example.ilnp. 3600 SOA ns1.example.ilnp. hostmaster.example.ilnp. $soa_new 7201 3600 1209600 300
EOF
sr $soa_new "higher SOA serial: taken as is, no increment on top (3.6)"
zsoa 'ns1.example.ilnp. hostmaster.example.ilnp. 7201 3600 1209600 300' "higher SOA serial: new SOA"

u admin NOERROR "delete the SOA RRset: ignored" <<'EOF'
update delete example.ilnp. SOA
EOF
nc "SOA RRset delete: serial kept"
u admin NOERROR "delete the SOA RR: ignored (3.4.2.4)" <<EOF
update delete example.ilnp. SOA ns1.example.ilnp. hostmaster.example.ilnp. $soa_new 7201 3600 1209600 300
EOF
nc "SOA RR delete: serial kept"
zsoa 'ns1.example.ilnp. hostmaster.example.ilnp. 7201 3600 1209600 300' "SOA deletes: SOA still there"

u admin NOERROR "SOA below the apex is not created (7.6)" <<EOF
update add p1.example.ilnp. 3600 SOA ns1.example.ilnp. hostmaster.example.ilnp. 5 7200 3600 1209600 300
EOF
nc "SOA below the apex: serial kept"
z p1.example.ilnp. SOA '' "SOA below the apex: none"

# --- apex NS (3.4.2.3, 3.4.2.4) ---------------------------------------------

u admin NOERROR "delete the apex NS RRset: ignored" <<'EOF'
update delete example.ilnp. NS
EOF
nc "apex NS RRset delete: serial kept"
z example.ilnp. NS 'ns1.example.ilnp. | ns2.example.ilnp.' "apex NS RRset delete: both NS stay"

u admin NOERROR "delete one of two apex NS" <<'EOF'
update delete example.ilnp. NS ns2.example.ilnp.
EOF
ch "one apex NS deleted: serial +1"
z example.ilnp. NS 'ns1.example.ilnp.' "one apex NS deleted: one left"

u admin NOERROR "delete the last apex NS: ignored" <<'EOF'
update delete example.ilnp. NS ns1.example.ilnp.
EOF
nc "last apex NS: serial kept"
z example.ilnp. NS 'ns1.example.ilnp.' "last apex NS: still there"

u admin NOERROR "add the apex NS back" <<'EOF'
update add example.ilnp. 3600 NS ns2.example.ilnp.
EOF
ch "apex NS added: serial +1"

u admin NOERROR "delete all at the apex keeps SOA and NS" <<'EOF'
update delete example.ilnp.
EOF
ch "delete all at the apex: serial +1"
z example.ilnp. NS 'ns1.example.ilnp. | ns2.example.ilnp.' "delete all at the apex: NS kept"
z example.ilnp. MX '' "delete all at the apex: MX gone"
z example.ilnp. TXT '' "delete all at the apex: TXT gone"
zsoa 'ns1.example.ilnp. hostmaster.example.ilnp. 7201 3600 1209600 300' "delete all at the apex: SOA kept"

# --- CNAME and other data (3.4.2.2) ---------------------------------------

u admin NOERROR "other data at a CNAME is ignored" <<'EOF'
update add a.example.ilnp. 0 AAAA 2001:db8::a
update add a.example.ilnp. 0 L64 10 2001:db8:a:1
EOF
nc "data at a CNAME: serial kept"
z a.example.ilnp. AAAA '' "data at a CNAME: no AAAA"
z a.example.ilnp. CNAME 'b.example.ilnp.' "data at a CNAME: CNAME kept"

u admin NOERROR "a CNAME where other data exists is ignored" <<'EOF'
update add host2.example.ilnp. 300 CNAME host1.example.ilnp.
EOF
nc "CNAME at data: serial kept"
z host2.example.ilnp. CNAME '' "CNAME at data: none"
z host2.example.ilnp. NID '10 16:6fff:ff22:ee66' "CNAME at data: NID kept"

u admin NOERROR "a CNAME replaces a CNAME" <<'EOF'
update add a.example.ilnp. 300 CNAME host3.example.ilnp.
EOF
ch "CNAME replaced: serial +1"
z a.example.ilnp. CNAME 'host3.example.ilnp.' "CNAME replaced: new target"

u admin NOERROR "CNAME then TXT at a new name in one update" <<'EOF'
update add c1.example.ilnp. 300 CNAME host1.example.ilnp.
update add c1.example.ilnp. 300 TXT "after the CNAME"
EOF
ch "CNAME then TXT: serial +1"
z c1.example.ilnp. CNAME 'host1.example.ilnp.' "CNAME then TXT: CNAME added"
z c1.example.ilnp. TXT '' "CNAME then TXT: TXT ignored"

u admin NOERROR "delete a CNAME and add data in one update" <<'EOF'
update delete c1.example.ilnp. CNAME
update add c1.example.ilnp. 300 TXT "no longer an alias"
EOF
ch "CNAME to data: serial +1"
z c1.example.ilnp. TXT '"no longer an alias"' "CNAME to data: TXT added"
z c1.example.ilnp. CNAME '' "CNAME to data: CNAME gone"

# --- zone section and names (3.1, 3.4.1.3) -------------------------------

u admin NOTZONE "an update outside the zone: NOTZONE" <<'EOF'
update add www.example.com. 300 A 192.0.2.1
EOF
nc "NOTZONE: serial kept"

u admin NOTZONE "one RR outside the zone refuses the whole update" <<'EOF'
update add p15.example.ilnp. 300 TXT "p15"
update add www.example.com. 300 A 192.0.2.1
EOF
nc "NOTZONE with a good RR: serial kept"
z p15.example.ilnp. TXT '' "NOTZONE with a good RR: nothing added"

u admin NOTAUTH "a zone this server does not serve: NOTAUTH" <<'EOF'
zone other.ilnp.
update add x.other.ilnp. 300 TXT "x"
EOF
nc "NOTAUTH: serial kept"

u admin NOERROR "an empty update is accepted" </dev/null
nc "empty update: serial kept"

u admin+tcp NOERROR "an update over TCP" <<'EOF'
update add p16.example.ilnp. 300 TXT "over tcp"
EOF
ch "TCP: serial +1"
z p16.example.ilnp. TXT '"over tcp"' "TCP: TXT added"

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
