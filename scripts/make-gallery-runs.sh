#!/usr/bin/env bash
# Makes the files the page ships for the gallery's paper-size links, with the lab's own CLI, so a
# reader who opens such a link gets the figure at once instead of training for minutes or hours:
#   run          www/runs/ID.json  a saved run (spec, trained parameters, results): run --save-run
#   study        www/runs/ID.json  the study JSON (study --out); resumes from the file that is
#                                  there, so a long study grows over several sessions (commit the
#                                  partial file: the page shows it as partial)
#   generations  www/runs/ID.json  the generations JSON (generations --out); resumes from the
#                                  file's finished chains, as a study does
# and records where each file comes from in www/runs/provenance.json: the command, the commit,
# the machine, the date and the wall time (summed over the sessions that grew a study).
#
#   scripts/make-gallery-runs.sh [ID ...]           (default: `collapse-lab gallery --shipped`)
#   scripts/make-gallery-runs.sh --status [ID ...]  runs done and left per file, with an ETA
#   scripts/make-gallery-runs.sh --figures [ID ...] www/runs/ID.figures.json of each shipped run
#                                  from its saved nets (sampled again, no training)
# A run also ships www/runs/ID.figures.json (run --save-figures: its samples and recordings), so
# its link draws the figures at once while the page samples the nets again to check them.
# Environment: THREADS (per run, default all cores), JOBS (study runs at a time, default 1),
# NICE (default 0; 19 to run in the background while other work goes on), ENGINE (cpu, the
# default, or gpu: the WGSL engine on a hardware GPU; the engine is named in the provenance and
# in each run's result), BIN (a built collapse-lab to use instead of building one: on a machine
# without cargo, e.g. the device machine, scripts/device-gallery.sh) and COMMIT (the commit to
# record where there is no git checkout).
# tests/shipped_runs.rs checks every shipped file against today's code: rerun this script after a
# change to the samplers, the metrics or the presets' paper settings.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/collapse-lab-target}"
export PATH="$HOME/.cargo/bin:$PATH"

status=0
figures=0
if [ "${1:-}" = "--status" ]; then status=1; shift; fi
if [ "${1:-}" = "--figures" ]; then figures=1; shift; fi

engine="${ENGINE:-cpu}"
case "$engine" in cpu|gpu) ;; *) echo "ENGINE=$engine: cpu or gpu" >&2; exit 2 ;; esac
# A copy, so that a rebuild while a long study runs does not swap the binary under it.
bin="$(mktemp -d)/collapse-lab"
if [ -n "${BIN:-}" ]; then
  cp "$BIN" "$bin"
else
  cargo build --release --quiet
  cp "$CARGO_TARGET_DIR/release/collapse-lab" "$bin"
fi
mapfile -t SHIPPED < <("$bin" gallery --shipped)
IDS=("${SHIPPED[@]}")
[ $# -gt 0 ] && IDS=("$@")
mkdir -p www/runs
prov=www/runs/provenance.json

# reuse_for ID VERB: sets `reuse` to --reuse FILE for every other shipped file of the same kind.
# A run or chain another shipped file already made (the same spec and seed, or for a study a
# run that sampled more samplers: Fig. 9a's single nets are Fig. 9b's plain ones; the ODE-vs-SDE
# figure's SDE chains are Fig. 1's, each seed computed once for both) is taken from it, not
# computed again.
reuse_for() {
  reuse=()
  for other in "${SHIPPED[@]}"; do
    [ "$other" != "$1" ] && [ -f "www/runs/$other.json" ] && [[ "$("$bin" gallery --command "$other")" == "collapse-lab $2 "* ]] && reuse+=(--reuse "www/runs/$other.json")
  done
  return 0
}

if [ $status -eq 1 ]; then
  for id in "${IDS[@]}"; do
    cmd="$("$bin" gallery --command "$id")"
    read -ra args <<< "${cmd#collapse-lab }"
    # A study's or generations run's plan as the script would run it (its file, the other
    # files it takes runs or chains from).
    plan=""
    if [ -f "www/runs/$id.json" ] && [[ "${args[0]}" =~ ^(study|generations)$ ]]; then
      reuse_for "$id" "${args[0]}"
      plan="$(mktemp)"
      out="www/runs/$id.json"
      # A generations run reads its folder's generations.json.
      if [ "${args[0]}" = generations ]; then out="$(mktemp -d)"; cp "www/runs/$id.json" "$out/generations.json"; fi
      "$bin" "${args[@]}" --out "$out" "${reuse[@]}" --print-plan > "$plan" 2>/dev/null || plan=""
    fi
    python3 scripts/gallery-status.py "$id" "www/runs/$id.json" "$cmd" "$plan"
    [ -n "$plan" ] && rm -f "$plan"
    [ "${args[0]}" = generations ] && [ -d "${out:-}" ] && rm -rf "$out"
  done
  exit 0
fi

if [ $figures -eq 1 ]; then
  for id in "${IDS[@]}"; do
    [[ "$("$bin" gallery --command "$id")" == "collapse-lab run "* ]] || continue
    nice -n "${NICE:-0}" "$bin" run --load-run "www/runs/$id.json" --threads "${THREADS:-$(nproc)}" --quiet --save-figures "www/runs/$id.figures.json" >/dev/null
    echo "www/runs/$id.figures.json: $(du -k "www/runs/$id.figures.json" | cut -f1) KB"
  done
  exit 0
fi

# provenance ID KIND COMMAND WALL_S: this file's entry in www/runs/provenance.json.
provenance() {
  python3 - "$prov" "$@" "$commit" "$machine" "www/runs/$1.json" <<'EOF'
import json, os, sys, datetime, fcntl, tempfile
path, id, kind, cmd, wall, commit, machine, out = sys.argv[1:]
# Two copies of this script (two long runs in the background) may stop at once: one at a time
# reads, changes and writes the index, each through its own temporary file.
lock = open(os.path.join(tempfile.gettempdir(), "collapse-lab-provenance.lock"), "w")
fcntl.flock(lock, fcntl.LOCK_EX)
try:
    index = json.load(open(path))
except FileNotFoundError:
    index = {}
old = index.get(id, {})
# A study (or generations run) resumed from its file adds this session's time to the earlier sessions'.
earlier = old.get("wall_s", 0) if kind in ("study", "generations") and old.get("command") == cmd else 0
# A study grown on several machines names each, in the order they joined (one already named
# keeps the list as it was: it had been cut to that one machine).
if earlier and old.get("machine"):
    machine = old["machine"] if machine in old["machine"] else f"{old['machine']}; then {machine}"
index[id] = {"kind": kind, "command": cmd, "commit": commit, "machine": machine,
             "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
             "wall_s": earlier + int(wall),
             "sessions": (old.get("sessions", 0) if earlier else 0) + 1}
# A note on how the file was made beyond its command (chains taken from another file, radii
# measured again) stays while the command does.
if kind in ("study", "generations") and old.get("command") == cmd and "note" in old:
    index[id]["note"] = old["note"]
# A study grown under another command (more seeds, another axis) keeps the runs of the earlier
# one that its plan still has: where they came from stays, as the earlier entries (newest first).
if kind in ("study", "generations") and old and old.get("command") != cmd:
    before = {k: old[k] for k in ("command", "commit", "machine", "date", "wall_s", "sessions", "note") if k in old}
    index[id]["earlier"] = [before] + old.get("earlier", [])
elif "earlier" in old:
    index[id]["earlier"] = old["earlier"]
# How far a study or generations run is (runs or chains done of planned), for the gallery to
# say so before the file is opened (tests/shipped_runs.rs checks it against the file).
if kind in ("study", "generations") and os.path.exists(out):
    f = json.load(open(out))
    index[id]["planned"] = len(f["cells"]) * f["seeds"]
    index[id]["done"] = index[id]["planned"] - len(f["missing"])
tmp = f"{path}.{os.getpid()}.tmp"
with open(tmp, "w") as f:
    json.dump(dict(sorted(index.items())), f, indent=1)
    f.write("\n")
os.replace(tmp, path)
EOF
}

# A generations run's chains finished so far, moved into the shipped file (whole: written
# beside it, then renamed), where the next run resumes them.
keep_chains() {
  if [ "$verb" = generations ] && [ -f "$dir/generations.json" ]; then
    cp "$dir/generations.json" "$out.tmp" && mv "$out.tmp" "$out"
  fi
}

commit="${COMMIT:-$(git rev-parse HEAD)$(git diff --quiet HEAD -- src shaders Cargo.toml Cargo.lock || echo '+changes')}"
machine="$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), $(nproc) cores"
# On the GPU engine the GPU is the machine that counts.
if [ "$engine" = gpu ]; then
  gpu="$(nvidia-smi --query-gpu=name --format=csv,noheader 2>/dev/null | head -1 || true)"
  machine="${gpu:-the Vulkan adapter named in each run result} (the WGSL engine), beside $machine"
fi
# How it ran on that machine, where not alone with every core (the wall time depends on it).
how=()
[ -n "${THREADS:-}" ] && how+=("${THREADS} thread(s) per run")
[ "${NICE:-0}" != 0 ] && how+=("niced, beside other work")
if [ ${#how[@]} -gt 0 ]; then
  joined=""
  for h in "${how[@]}"; do joined+="${joined:+, }$h"; done
  machine+=" ($joined)"
fi
# A command at NICE: in a session of its own whose scheduling group is niced too, as Linux
# shares the CPU between sessions' groups first (sched_autogroup): a plain `nice` still took
# half the cores from the work beside it.
# Called with `&`: it replaces its subshell, so $! is the command's pid (the trap kills it).
niced() {
  if [ "${NICE:-0}" = 0 ]; then exec "$@"; fi
  exec setsid sh -c 'echo "$0" > /proc/self/autogroup 2>/dev/null; exec nice -n "$0" "$@"' "$NICE" "$@"
}
for id in "${IDS[@]}"; do
  cmd="$("$bin" gallery --command "$id")"
  read -ra args <<< "${cmd#collapse-lab }"
  verb="${args[0]}"
  out="www/runs/$id.json"
  threads=(--threads "${THREADS:-$(nproc)}")
  start=$SECONDS
  reuse_for "$id" "$verb"
  set +e
  case "$verb" in
    run)
      niced "$bin" "${args[@]}" --engine "$engine" "${threads[@]}" --quiet --save-run "$out" --save-figures "www/runs/$id.figures.json" >/dev/null & ;;
    study)
      niced "$bin" "${args[@]}" --engine "$engine" "${threads[@]}" --jobs "${JOBS:-1}" --out "$out" "${reuse[@]}" >/dev/null & ;;
    generations)
      dir="$(mktemp -d)"
      # Resumed from the shipped file, as a study: a long one grows over several sessions.
      [ -f "$out" ] && cp "$out" "$dir/generations.json"
      niced "$bin" "${args[@]}" --engine "$engine" "${threads[@]}" --jobs "${JOBS:-1}" --out "$dir" "${reuse[@]}" >/dev/null & ;;
    *) echo "$id: nothing to ship for '$cmd'" >&2; continue ;;
  esac
  child=$!
  # Stopped (Ctrl-C, the end of a session): the study keeps its finished runs, and its
  # provenance this session's time.
  trap 'kill $child 2>/dev/null; wait $child; keep_chains; provenance "$id" "$verb" "$cmd" $(( SECONDS - start )); "$bin" verdicts --runs www/runs --json > www/verdicts.json.tmp 2>/dev/null && mv www/verdicts.json.tmp www/verdicts.json; echo "$out: stopped, kept what is done" >&2; exit 130' INT TERM
  wait $child
  rc=$?
  trap - INT TERM
  set -e
  [ $rc -eq 0 ] && keep_chains
  [ $rc -eq 0 ] || { echo "$id: $cmd failed (exit $rc)" >&2; exit $rc; }
  wall=$(( SECONDS - start ))
  provenance "$id" "$verb" "$cmd" "$wall"
  echo "$out: $wall s, $(du -k "$out" | cut -f1) KB"
done
# The page's "What reproduces" view: the verdicts computed from the files as they are now
# (tests/shipped_runs.rs checks that www/verdicts.json is current).
"$bin" verdicts --runs www/runs --json > www/verdicts.json.tmp && mv www/verdicts.json.tmp www/verdicts.json
