#!/usr/bin/env python3
"""What a shipped gallery file holds and what is left, with an estimated time:
    python3 scripts/gallery-status.py ID FILE "COMMAND"   (make-gallery-runs.sh --status runs it)
A study's runs left are estimated from the wall time of its finished runs: from the same cell
where one is done, else from the finished runs scaled by the net's size (width^2 x depth, the
cost of its matrix products), else unknown."""
import json, sys

id, path, cmd = sys.argv[1:4]
try:
    f = json.load(open(path))
except FileNotFoundError:
    print(f"{id}: not made yet ({cmd.split()[1]}; `scripts/make-gallery-runs.sh {id}` makes it)")
    sys.exit(0)
if "format" in f:  # a saved run
    print(f"{id}: a saved run, complete")
    sys.exit(0)
if not ("cells" in f and "runs" in f):
    print(f"{id}: {path} is neither a saved run nor a study or generations JSON")
    sys.exit(0)

planned = len(f["cells"]) * f["seeds"]
missing = f.get("missing", [])
done = [r for r in f["runs"] if not r.get("error")]
failed = [r for r in f["runs"] if r.get("error")]

def cost(settings, base):
    w = float(settings.get("width", base["model"]["width"]))
    d = float(settings.get("depth", base["model"]["depth"]))
    return w * w * d

def secs(r):
    t = (r.get("result") or {}).get("timings") or {}
    # a study's run, or a generations chain (its seconds)
    return t.get("total_s") or r.get("metrics", {}).get("total_s") or r.get("seconds")

by_cell = {}
for r in done:
    s = secs(r)
    if s:
        by_cell.setdefault(r["cell"], []).append(s)
# Seconds per unit of cost from the costliest runs done: small nets' time is mostly fixed
# overhead (data, sampling, TID), which would inflate the estimate for large ones.
timed = [r for r in done if secs(r)]
top = max((cost(r["settings"], f["base"]) for r in timed), default=None)
rate = [secs(r) / cost(r["settings"], f["base"]) for r in timed if cost(r["settings"], f["base"]) == top]
left = 0.0
unknown = 0
for i in missing:
    # Runs are planned cell by cell, seeds innermost (study::plan).
    c = i // f["seeds"]
    if c in by_cell:
        left += sum(by_cell[c]) / len(by_cell[c])
    elif rate:
        left += sum(rate) / len(rate) * cost(f["cells"][c]["settings"], f["base"])
    else:
        unknown += 1
state = "complete" if not missing else "partial"
eta = f"~{left / 3600:.1f} h at the pace of the costliest runs done so far (their machine, threads and load)" if missing and not unknown else ("unknown (no run finished yet)" if unknown else "0")
print(f"{id}: {state}, {planned - len(missing)} of {planned} runs done ({len(failed)} failed), {len(missing)} left: {eta}")
