# SPDX-License-Identifier: BSD-2-Clause
# rfc2136.sh -- the RFC 2136 cases (prerequisites, update forms, SOA/NS/CNAME rules, zone section), client-independent.
#
# Sourced by cases.sh (the nsupdate pass) and, on a fresh server, by
# update/run.sh and update-bind/run.sh once more with u carried out by
# knsupdate. Only u, ch, nc, sr, z, zsoa and zx are called (cases.sh
# describes them), so the same lines run through both clients; L64
# locators are written with four digits per group, as Knot's parser wants
# (nsupdate takes them too). The zone must be the fresh example zone.

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
prereq yxrrset host2.example.ilnp. L64 10 2001:0db8:4140:4000
update add p10.example.ilnp. 300 TXT "p10"
EOF
ch "value-dependent true: serial +1"
z p10.example.ilnp. TXT '"p10"' "value-dependent true: TXT added"

u admin NXRRSET "yxrrset value-dependent false: another value" <<'EOF'
prereq yxrrset host2.example.ilnp. L64 10 2001:0db8:4140:4001
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
prereq yxrrset host2.example.ilnp. L64 10 2001:0db8:4140:4000
prereq yxrrset host2.example.ilnp. L64 20 2001:0db8:4140:4001
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
update add h9.example.ilnp. 0 L64 10 2001:0db8:0009:0001
update add h9.example.ilnp. 0 L64 20 2001:0db8:0009:0002
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
update add h9.example.ilnp. 0 L64 30 2001:0db8:0009:0003
update add h9.example.ilnp. 0 L64 30 2001:0db8:0009:0003
EOF
ch "one new RR added twice: serial +1"
z h9.example.ilnp. L64 '10 2001:db8:9:1 | 20 2001:db8:9:2 | 30 2001:db8:9:3' \
	"one new RR added twice: stored once"

for t in NID L32 L64 LP AAAA; do
	case $t in
	NID) rr='20 0014:4fff:ff20:aa02' left='10 14:4fff:ff20:aa01' ;;
	L32) rr='20 10.9.2.0' left='10 10.9.1.0' ;;
	L64) rr='30 2001:0db8:0009:0003' left='10 2001:db8:9:1 | 20 2001:db8:9:2' ;;
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
update add h8.example.ilnp. 0 L64 10 2001:0db8:0008:0001
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
update add h9.example.ilnp. 0 L64 10 2001:0db8:0009:0099
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
update add a.example.ilnp. 0 L64 10 2001:0db8:000a:0001
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
