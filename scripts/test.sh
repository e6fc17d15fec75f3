#!/usr/bin/env bash
# Runs every test of Collapse Lab (the README's test command; .ci/run calls it).
# One release build of the CLI serves the native CLI tests (COLLAPSE_LAB_BIN), the PyTorch-script
# tests and the page tests; the page is built once. At the end: every step's time and the 10
# slowest tests (native test binaries and page tests), with the total.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/collapse-lab-target}"
export PATH="$HOME/.cargo/bin:$PWD/node_modules/.bin:$PATH"
t_start=$SECONDS
times="$(mktemp)"
slurm_dir="" page_pid="" test_build_pid=""
# On any exit: the page lane stopped if it still runs, the Slurm cluster stopped, temporaries gone.
cleanup() {
  [ -n "$test_build_pid" ] && { pkill -TERM -P "$test_build_pid" 2>/dev/null; kill "$test_build_pid" 2>/dev/null; }
  [ -n "$page_pid" ] && { pkill -TERM -P "$page_pid" 2>/dev/null; kill "$page_pid" 2>/dev/null; }
  [ -n "$slurm_dir" ] && [ -n "${COLLAPSE_LAB_SLURM_CONF:-}" ] && bash scripts/slurm-cluster.sh stop "$slurm_dir"
  rm -f "$times"
}
trap cleanup EXIT
# step NAME SECONDS: a line of the final table.
step() { printf '%s\t%s\n' "$2" "$1" >> "$times"; }

# Everything the tests need, before any test runs (the GPU tests need Mesa's Vulkan driver, the
# page test Chromium, trunk, wasm-bindgen and the npm tools, the PyTorch-script test PyTorch);
# present parts are skipped.
t=$SECONDS
bash scripts/setup.sh all torch
export COLLAPSE_LAB_PYTHON="${COLLAPSE_LAB_TORCH_VENV:-$HOME/.cache/collapse-lab/torch-venv}/bin/python"
step "set-up (scripts/setup.sh all torch)" $((SECONDS - t))

# The three builds at once: the native tests' (cargo's dev/test folder) beside the release CLI's
# and then the page's (both hold cargo's release folder, one after the other). Each compiles
# mostly on one core at its end (one codegen unit, LTO, wasm-opt).
echo "== the native tests' build, beside the release CLI's and the page's (their log follows)"
test_build_log="$(mktemp)"
t_all=$SECONDS
( t=$SECONDS; set +e; cargo test --no-run --quiet > "$test_build_log" 2>&1; echo $? > "$test_build_log.rc"; echo $((SECONDS - t)) > "$test_build_log.secs" ) &
test_build_pid=$!

echo "== one release build of the CLI, shared by the native, PyTorch and page tests"
t=$SECONDS
cargo build --release --quiet
export COLLAPSE_LAB_BIN="$CARGO_TARGET_DIR/release/collapse-lab"
step "build: the release CLI (beside the tests' build)" $((SECONDS - t))

echo "== the page (trunk, offline): the core compiled to wasm32 (SIMD128), as the browser runs it"
t=$SECONDS
trunk build --offline
step "build: the page (trunk; beside the tests' build)" $((SECONDS - t))

wait "$test_build_pid" || true
test_build_pid=""
cat "$test_build_log"
if [ "$(cat "$test_build_log.rc" 2>/dev/null || echo 1)" -ne 0 ]; then
  echo "the native tests did not build (above)" >&2
  exit 1
fi
step "build: the native tests (beside the two above)" "$(cat "$test_build_log.secs")"
rm -f "$test_build_log" "$test_build_log.rc" "$test_build_log.secs"
step "builds, all three (wall)" $((SECONDS - t_all))

echo "== a one-node Slurm cluster on 127.0.0.1 for tests/slurm.rs (Debian's slurm-wlm and munge)"
# Under this command the Slurm tests fail without a cluster, unless it is said here why they
# cannot run (COLLAPSE_LAB_SLURM_SKIP); under plain `cargo test` they say they skip.
export COLLAPSE_LAB_TEST_COMMAND=1
slurm_dir="$(mktemp -d /tmp/collapse-lab-slurm.XXXXXX)"
if bash scripts/setup.sh slurm; then
  set +e
  conf="$(bash scripts/slurm-cluster.sh start "$slurm_dir")"
  rc=$?
  set -e
  if [ $rc -eq 0 ]; then
    export COLLAPSE_LAB_SLURM_CONF="$conf"
  elif [ $rc -eq 3 ]; then
    echo "SKIPPED: the Slurm tests need root to run slurmd here (see above)"
    export COLLAPSE_LAB_SLURM_SKIP="slurmd needs root here"
  else
    echo "the one-node Slurm cluster did not start (logs in $slurm_dir)" >&2
    exit 1
  fi
else
  echo "SKIPPED: slurm-wlm and munge could not be installed; the Slurm tests do not run"
  export COLLAPSE_LAB_SLURM_SKIP="slurm-wlm and munge could not be installed"
fi

# The page tests run beside the native tests (two lanes: many of either kind wait on a browser,
# a process or a file more than on the CPU); their log is printed after the native tests'. The
# page tests whose time is a claim (figures within 5 s of a link) run first, alone: the native
# tests start when they end (E2E_QUIET_DONE).
echo "== the page tests start in headless Chromium, beside the native tests (their log follows)"
e2e_log="$(mktemp)"
t=$SECONDS
(
  t=$SECONDS
  set +e
  E2E_QUIET_DONE="$e2e_log.quiet" node tests/e2e/e2e.mjs dist "$COLLAPSE_LAB_BIN" out/e2e > "$e2e_log" 2>&1
  echo $? > "$e2e_log.rc"
  echo $((SECONDS - t)) > "$e2e_log.secs"
) &
page_pid=$!
while [ ! -f "$e2e_log.quiet" ] && kill -0 "$page_pid" 2>/dev/null; do sleep 1; done
step "page tests timed alone (the native tests wait)" $((SECONDS - t))

echo "== native tests: unit, integration, CLI, GPU (lavapipe), PyTorch script, shipped runs, Slurm"
failed=()
# Each test binary on its own, timed (cargo test runs the same binaries, one after another).
mapfile -t exes < <(cargo test --no-run --message-format=json 2>/dev/null | python3 -c '
import json, sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m.get("executable") and m["profile"]["test"]:
        print(m["executable"])' | sort -u)
for exe in "${exes[@]}"; do
  name="$(basename "$exe" | sed 's/-[0-9a-f]*$//')"
  [ "$name" = collapse_lab ] && name="unit tests (src/)"
  t=$SECONDS
  if "$exe" --quiet; then :; else failed+=("native: $name"); fi
  step "native: $name" $((SECONDS - t))
done
t=$SECONDS
cargo test --doc --quiet 2>&1 || failed+=("native: doc tests")
step "native: doc tests" $((SECONDS - t))

echo "== the page in headless Chromium (train and sample in-page), run beside the native tests"
wait "$page_pid" || true
page_pid=""
cat "$e2e_log"
rc="$(cat "$e2e_log.rc" 2>/dev/null || echo 1)"
[ "$rc" -eq 0 ] || failed+=("page tests")
step "page tests (all, beside the native tests)" "$(cat "$e2e_log.secs" 2>/dev/null || echo 0)"
# Each page test's own time, for the table.
sed -nE 's/^test (.*) \.\.\. ok \(([0-9.]+) s\)$/\2\tpage: \1/p' "$e2e_log" | awk -F'\t' '{printf "%d\t%s\n", $1 + 0.5, $2}' >> "$times"
rm -f "$e2e_log" "$e2e_log.rc" "$e2e_log.secs" "$e2e_log.quiet"

echo
echo "== the 10 slowest (seconds): native test binaries, page tests and builds"
grep -v "page tests (all" "$times" | sort -t$'\t' -k1,1nr | head -10 | awk -F'\t' '{printf "%6d  %s\n", $1, $2}'
echo "== total: $((SECONDS - t_start)) s"
if [ ${#failed[@]} -gt 0 ]; then
  printf 'FAILED: %s\n' "${failed[@]}" >&2
  exit 1
fi
echo "all tests passed"
