#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# run.sh -- bench/failover.sh --quick end to end: the nine conditions run, every failover
# converges, no stale answer after an acknowledgement, and the relay's count of update
# copies agrees with the manager's own. Figures are printed, never asserted.
. "$(dirname "$0")/../lib.sh"

st_need ip python3 tsig-keygen
st_need_built "$top_builddir/bench/ilnpdns-bench" "$top_builddir/updater/ilnpdns-locmgr" \
	"$ST_ILNPDNSD"
[ "$(id -u)" = 0 ] || st_skip "network namespaces need root (uid $(id -u))"
st_init

OUT="$ST_DIR/out"
"$top_srcdir/bench/failover.sh" --quick --builddir "$top_builddir" --out "$OUT" \
	>"$ST_DIR/stdout" 2>"$ST_DIR/stderr"
rc=$?
cat "$ST_DIR/stdout" >&2
[ $rc = 77 ] && st_skip "bench/failover.sh: $(tail -n 1 "$ST_DIR/stderr")"
if [ $rc != 0 ]; then
	tail -n 40 "$ST_DIR/stderr" >&2
	st_fail "bench/failover.sh --quick exited $rc"
	st_done
fi
st_pass "bench/failover.sh --quick exited 0"

# The markdown table: a header, a rule and one row per condition, stale 0 in each.
rows=$(grep -c '^| [0-9.]* ms | [0-9.]* % |' "$OUT/failover.md")
st_eq "markdown table has the nine conditions" 9 "$rows"
st_grep "markdown table header" '^\| one-way delay \| loss \| runs \| converged \|' \
	"$(cat "$OUT/failover.md")"
st_eq "every markdown row ends with stale 0" 9 \
	"$(grep -c '^| [0-9.]* ms .* | 0 |$' "$OUT/failover.md")"

# CSV and JSON: well-formed and consistent, checked field by field.
python3 - "$OUT/failover.csv" "$OUT/failover.json" >"$ST_DIR/check.out" 2>&1 <<'PY'
import csv, json, sys
errors = []
rows = list(csv.DictReader(open(sys.argv[1])))
doc = json.load(open(sys.argv[2]))
conds = doc["conditions"]
want = {(d, l) for d in (0, 10, 100) for l in (0, 5, 10)}
if {(float(r["delay_ms"]), float(r["loss_pct"])) for r in rows} != want:
    errors.append("CSV conditions: %s" % [(r["delay_ms"], r["loss_pct"]) for r in rows])
if {(c["delay_ms"], c["loss_pct"]) for c in conds} != want:
    errors.append("JSON conditions differ from the nine")
for r in rows:
    tag = "%s ms %s %%" % (r["delay_ms"], r["loss_pct"])
    if int(r["runs"]) != doc["runs"] or int(r["converged"]) != int(r["runs"]):
        errors.append("%s: %s of %s converged" % (tag, r["converged"], r["runs"]))
    if int(r["stale"]) != 0:
        errors.append("%s: %s stale answers" % (tag, r["stale"]))
    if float(r["f_overhead"]) < 1 or float(r["rendezvous_median_ms"]) <= 0:
        errors.append("%s: f-overhead %s, rendezvous %s" % (tag, r["f_overhead"],
                                                            r["rendezvous_median_ms"]))
    # 1/(1-p)^2, p the loss in each direction.
    p = float(r["loss_pct"]) / 100
    if abs(float(r["f_overhead_ideal"]) - 1 / (1 - p) ** 2) > 1e-3:
        errors.append("%s: minimum %s" % (tag, r["f_overhead_ideal"]))
for c in conds:
    tag = "%s ms %s %%" % (c["delay_ms"], c["loss_pct"])
    if len(c["failovers"]) != doc["runs"]:
        errors.append("%s: %d failovers recorded" % (tag, len(c["failovers"])))
    for f in c["failovers"]:
        # Converged: the server answered the new L64 and the manager had its ack.
        if not f["converged"] or f["rendezvous_ms"] <= 0 or f["ack_ms"] <= 0:
            errors.append("%s run %d: not converged %s" % (tag, f["run"], f))
        if f["stale"] != 0 or f["regressions"] != 0:
            errors.append("%s run %d: stale %d, regressions %d" % (tag, f["run"], f["stale"],
                                                                  f["regressions"]))
        # Every copy the manager sent passed the relay, and each failover took one.
        if f["updates"] < 1 or f["updates"] != f["locmgr_attempts"]:
            errors.append("%s run %d: relay saw %d updates, manager sent %d" % (
                tag, f["run"], f["updates"], f["locmgr_attempts"]))
        if f["updates_dropped"] > f["updates"]:
            errors.append("%s run %d: more drops than copies" % (tag, f["run"]))
print("\n".join(errors) if errors else "consistent")
sys.exit(1 if errors else 0)
PY
rc=$?
cat "$ST_DIR/check.out" >&2
st_eq "CSV and JSON well-formed, every failover converged, nothing stale" 0 "$rc"
st_done
