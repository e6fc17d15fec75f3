#!/usr/bin/env python3
"""What a shipped gallery file holds and what is left, with an estimated time:
    python3 scripts/gallery-status.py ID FILE "COMMAND" [PLAN]   (make-gallery-runs.sh --status)
PLAN (a study's or generations run's): the output of its command with --out FILE, the --reuse
files the script gives and --print-plan: every planned run's spec, and which another shipped
file already holds (taken at no cost when the script runs). A study's runs left are estimated
from the wall time of its finished runs: from the same cell where one is done, else from the
training time of runs with the same net and training in any shipped study (per net: a
two-model run trains two) plus this file's time outside training, else from the finished runs
scaled by the net's size (width^2 x depth, the cost of its matrix products), else unknown."""
import glob, json, os, sys

id, path, cmd = sys.argv[1:4]
plan = json.load(open(sys.argv[4])) if len(sys.argv) > 4 and sys.argv[4] else None
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

total = len(f["cells"]) * f["seeds"]
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

def training(spec):
    """What a run's training time depends on: the net's shape and the training's length."""
    m, t = spec.get("model", {}), spec.get("training", {})
    return (spec.get("dim"), m.get("depth"), m.get("width"), t.get("iters"), t.get("batch"))

def nets(spec):
    return 2 if (spec.get("training") or {}).get("two_model") is not None else 1

# Seconds of training per net, by training, over the finished runs of every shipped study.
per_net = {}
for other in glob.glob(os.path.join(os.path.dirname(path) or ".", "*.json")):
    try:
        o = json.load(open(other))
    except (OSError, ValueError):
        continue
    if not (isinstance(o, dict) and "cells" in o and "runs" in o):
        continue
    for r in o["runs"]:
        t = ((r.get("result") or {}).get("timings") or {}).get("train_s")
        if t and not r.get("error") and "spec" in r:
            per_net.setdefault(training(r["spec"]), []).append(t / nets(r["spec"]))
outside = [secs(r) - ((r.get("result") or {}).get("timings") or {}).get("train_s", 0) for r in timed]
outside = sum(outside) / len(outside) if outside else 0.0
# A missing run's spec, as the study plans it (--print-plan); a generations chain's, its base's.
planned = {r["index"]: r for r in plan["runs"]} if plan else {}
def spec_of(i):
    return planned[i]["spec"] if i in planned else f["base"]

left = 0.0
unknown = 0
basis = set()
# Runs another shipped file holds: taken, not trained, when the script runs.
taken = [i for i in missing if planned.get(i, {}).get("done") == "reuse"]
for i in missing:
    if i in taken:
        continue
    # Runs are planned cell by cell, seeds innermost (study::plan).
    c = i // f["seeds"]
    spec = spec_of(i)
    same = per_net.get(training(spec))
    if c in by_cell:
        left += sum(by_cell[c]) / len(by_cell[c])
        basis.add("this cell's runs")
    elif same:
        left += sum(same) / len(same) * nets(spec) + outside
        basis.add("the training time of the same nets in the shipped studies")
    elif rate:
        left += sum(rate) / len(rate) * cost(f["cells"][c]["settings"], f["base"])
        basis.add("the costliest runs done, scaled by width^2 x depth")
    else:
        unknown += 1
state = "complete" if not missing else "partial"
eta = f"~{left / 3600:.1f} h from {' and '.join(sorted(basis))} (their machines, threads and load)" if basis and not unknown else ("unknown (no run finished yet)" if unknown else "0")
from_others = f" ({len(taken)} of them from another shipped file, at no cost)" if taken else ""
print(f"{id}: {state}, {total - len(missing)} of {total} runs done ({len(failed)} failed), {len(missing)} left{from_others}: {eta}")
