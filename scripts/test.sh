#!/usr/bin/env bash
# Runs the tests of Collapse Lab (the README's test command; .ci/run calls it).
#   bash scripts/test.sh           every test (about 30-40 min on 2 cores with warm caches)
#   bash scripts/test.sh --quick   the edit-test loop (about 5 min with warm caches): the same
#                                  set-up, rustfmt and clippy, the same builds, every unit test, the
#                                  CLI's fast tests (QUICK_TESTS below) and a page smoke set in
#                                  headless Chromium (QUICK_PAGE: the landing result, a small run,
#                                  a small study, the verdicts view); no Slurm cluster, PyTorch,
#                                  GPU, doc, see-saw or shipped-run tests (the full command has them)
# First the tools of the trade: `cargo fmt --check` and `cargo clippy -D warnings` (every native
# target, and the library for wasm32); a finding there fails the command (at its end: the tests
# still run, so one failure does not hide another).
# One release build of the CLI serves the native CLI tests (COLLAPSE_LAB_BIN), the PyTorch-script
# tests and the page tests; the page is built once. At the end: every step's time and the 10
# slowest tests (native test binaries and page tests), with the total; a test that skips (it
# prints "SKIPPED: test: reason" on stderr) is counted as skipped, not passed.
set -euo pipefail
cd "$(dirname "$0")/.."
quick=0
for arg in "$@"; do
  case "$arg" in
    --quick) quick=1 ;;
    -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "test.sh: unknown argument '$arg' (bash scripts/test.sh [--quick])" >&2; exit 2 ;;
  esac
done
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/collapse-lab-target}"
export PATH="$HOME/.cargo/bin:$PWD/node_modules/.bin:$PATH"
t_start=$SECONDS
times="$(mktemp)"
skips="$(mktemp)"
slurm_dir="" page_pid="" test_build_pid=""
failed=()

# The quick tier's native tests: each test binary with the arguments that narrow it (empty: all
# of it). Left out: the see-saw study (~11 min), the shipped runs sampled again (~5 min), the
# GPU, PyTorch-script and Slurm tests, the doc tests.
declare -A QUICK_TESTS=(
  [cli]="" [docs]="" [bad_input]="" [cli_run]="" [cli_generations]="" [training]=""
  [cli_study]="--skip the_quick_seesaw_and_cure_presets_show_the_seesaw_and_the_cures"
  [shipped_runs]="--skip every_shipped_run_is_its_presets_paper_run_and_samples_to_its_figures_again"
)
# The quick tier's page tests (tests/e2e/e2e.mjs, E2E_ONLY): the landing result at one size
# (13 s), a tiny run on the CPU engine (100 iterations, the ODE: 3 s), a tiny study against
# the CLI's numbers (8 runs of 60 iterations: 4 s), the verdicts view against the CLI's.
QUICK_PAGE='^(the_bare_url_shows_the_shipped_result_at_once_1366x768|without_webgpu_the_cpu_engine_runs_and_says_so|a_study_runs_in_parallel_workers_and_matches_the_cli|the_verdicts_view_shows_the_clis_verdicts_and_every_link_opens_its_figure)$'

# On any exit: the page lane stopped if it still runs, the Slurm cluster stopped, temporaries gone.
cleanup() {
  [ -n "$test_build_pid" ] && { pkill -TERM -P "$test_build_pid" 2>/dev/null; kill "$test_build_pid" 2>/dev/null; }
  [ -n "$page_pid" ] && { pkill -TERM -P "$page_pid" 2>/dev/null; kill "$page_pid" 2>/dev/null; }
  [ -n "$slurm_dir" ] && [ -n "${COLLAPSE_LAB_SLURM_CONF:-}" ] && bash scripts/slurm-cluster.sh stop "$slurm_dir"
  rm -f "$times" "$skips"
}
trap cleanup EXIT
# step NAME SECONDS: a line of the final table.
step() { printf '%s\t%s\n' "$2" "$1" >> "$times"; }

# Everything the tests need, before any test runs (rustfmt and clippy, the GPU tests need Mesa's
# Vulkan driver, the page test Chromium, trunk, wasm-bindgen and the npm tools, the
# PyTorch-script test PyTorch); present parts are skipped. The quick tier needs no PyTorch.
t=$SECONDS
if [ $quick -eq 1 ]; then
  bash scripts/setup.sh all
  step "set-up (scripts/setup.sh all)" $((SECONDS - t))
else
  bash scripts/setup.sh all torch
  export COLLAPSE_LAB_PYTHON="${COLLAPSE_LAB_TORCH_VENV:-$HOME/.cache/collapse-lab/torch-venv}/bin/python"
  step "set-up (scripts/setup.sh all torch)" $((SECONDS - t))
fi

# The tools of the trade: the tree as rustfmt.toml formats it, and no clippy warning on any
# native target (lib, CLI, tests) or on the library as the page compiles it (wasm32: src/web/).
echo "== the tools of the trade: cargo fmt --check, cargo clippy -D warnings (native, all targets; wasm32, the library), prettier --check and eslint (the page, the test scripts)"
t=$SECONDS
tools_ok=1
if ! cargo fmt --check; then
  echo "FAILED: cargo fmt --check: the tree is not formatted as rustfmt.toml says (the diff is above; \`cargo fmt\` fixes it)" >&2
  failed+=("tools: cargo fmt --check (run cargo fmt)")
  tools_ok=0
fi
if ! cargo clippy --quiet --all-targets -- -D warnings; then
  echo "FAILED: cargo clippy --all-targets -- -D warnings (its findings are above)" >&2
  failed+=("tools: cargo clippy --all-targets -- -D warnings")
  tools_ok=0
fi
if ! cargo clippy --quiet --target wasm32-unknown-unknown --lib -- -D warnings; then
  echo "FAILED: cargo clippy --target wasm32-unknown-unknown --lib -- -D warnings (its findings are above)" >&2
  failed+=("tools: cargo clippy --target wasm32-unknown-unknown --lib -- -D warnings")
  tools_ok=0
fi
# The page's and the test scripts' JavaScript: prettier's format and eslint's recommended rules
# (both pinned in package.json, installed by setup.sh's npm part, run offline).
if ! node_modules/.bin/prettier --check www tests/e2e scripts eslint.config.mjs > /dev/null; then
  node_modules/.bin/prettier --list-different www tests/e2e scripts eslint.config.mjs >&2 || true
  echo "FAILED: prettier --check: the files above are not formatted (node_modules/.bin/prettier --write www tests/e2e scripts fixes it)" >&2
  failed+=("tools: prettier --check (the page's and the test scripts' format)")
  tools_ok=0
fi
if ! node_modules/.bin/eslint www tests/e2e scripts; then
  echo "FAILED: eslint www tests/e2e scripts (its findings are above)" >&2
  failed+=("tools: eslint (the page's and the test scripts' lint)")
  tools_ok=0
fi
[ $tools_ok -eq 1 ] || echo "the tools of the trade found the above: the tests run on, and the command fails at the end" >&2
step "the tools of the trade (cargo fmt --check, clippy -D warnings: native, wasm32; prettier, eslint)" $((SECONDS - t))

# The test binaries this run builds and runs (cargo's target selection); all of them in full.
test_targets=()
if [ $quick -eq 1 ]; then
  test_targets=(--lib --bins)
  for name in "${!QUICK_TESTS[@]}"; do test_targets+=(--test "$name"); done
fi

# The three builds at once: the native tests' (cargo's dev/test folder) beside the release CLI's
# and then the page's (both hold cargo's release folder, one after the other). Each compiles
# mostly on one core at its end (one codegen unit, LTO, wasm-opt).
echo "== the native tests' build, beside the release CLI's and the page's (their log follows)"
test_build_log="$(mktemp)"
t_all=$SECONDS
( t=$SECONDS; set +e; cargo test --no-run --quiet "${test_targets[@]}" > "$test_build_log" 2>&1; echo $? > "$test_build_log.rc"; echo $((SECONDS - t)) > "$test_build_log.secs" ) &
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

# Under this command the Slurm tests fail without a cluster, unless it is said here why they
# cannot run (COLLAPSE_LAB_SLURM_SKIP); under plain `cargo test` they say they skip.
export COLLAPSE_LAB_TEST_COMMAND=1
if [ $quick -eq 0 ]; then
  echo "== a one-node Slurm cluster on 127.0.0.1 for tests/slurm.rs (Debian's slurm-wlm and munge)"
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
fi

# The page tests run beside the native tests (two lanes: many of either kind wait on a browser,
# a process or a file more than on the CPU); their log is printed after the native tests'. The
# page tests whose time is a claim (figures within 5 s of a link) run first, alone: the native
# tests start when they end (E2E_QUIET_DONE). The quick tier runs its smoke set (QUICK_PAGE).
if [ $quick -eq 1 ]; then
  export E2E_ONLY="$QUICK_PAGE"
  echo "== the page's smoke set starts in headless Chromium, beside the native tests (their log follows)"
else
  echo "== the page tests start in headless Chromium, beside the native tests (their log follows)"
fi
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

if [ $quick -eq 1 ]; then
  echo "== native tests: unit, and the CLI's fast tests (the quick tier)"
else
  echo "== native tests: unit, integration, CLI, GPU (lavapipe), PyTorch script, shipped runs, Slurm"
fi
# Each test binary on its own, timed (cargo test runs the same binaries, one after another).
mapfile -t exes < <(cargo test --no-run --message-format=json "${test_targets[@]}" 2>/dev/null | python3 -c '
import json, sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m.get("executable") and m["profile"]["test"]:
        print(m["executable"])' | sort -u)
errs="$(mktemp)"
for exe in "${exes[@]}"; do
  name="$(basename "$exe" | sed 's/-[0-9a-f]*$//')"
  narrow=()
  [ $quick -eq 1 ] && [ -n "${QUICK_TESTS[$name]:-}" ] && read -ra narrow <<< "${QUICK_TESTS[$name]}"
  [ "$name" = collapse_lab ] && name="unit tests (src/)"
  t=$SECONDS
  # Its stderr shown as it comes and kept: a test that skips says so there ("SKIPPED: ...").
  if { "$exe" --quiet "${narrow[@]}" 2>&1 1>&3 3>&- | tee "$errs" >&2; } 3>&1; then :; else failed+=("native: $name"); fi
  step "native: $name${narrow[*]:+ (its quick part)}" $((SECONDS - t))
  n_skipped="$(grep -c '^SKIPPED: ' "$errs" || true)"
  if [ "$n_skipped" -gt 0 ]; then
    # "SKIPPED: test: reason" (or "SKIPPED: reason"): the reason, under the binary's name.
    grep '^SKIPPED: ' "$errs" | sed -E 's/^SKIPPED: //; s/^[A-Za-z0-9_:]+: //' | awk -v n="$name" '{print n "\t" $0}' >> "$skips"
    # A cluster was started for them: a Slurm test that skips anyway checked nothing.
    if [ "$name" = slurm ] && [ -n "${COLLAPSE_LAB_SLURM_CONF:-}" ]; then
      failed+=("native: slurm: $n_skipped tests skipped though the cluster started (COLLAPSE_LAB_SLURM_CONF=$COLLAPSE_LAB_SLURM_CONF)")
    fi
  fi
done
rm -f "$errs"
if [ $quick -eq 0 ]; then
  t=$SECONDS
  cargo test --doc --quiet 2>&1 || failed+=("native: doc tests")
  step "native: doc tests" $((SECONDS - t))
fi

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
# Skipped tests, counted apart from the passed ones: how many, and why (per test binary).
n_skips=$(wc -l < "$skips")
skipped=""
if [ "$n_skips" -gt 0 ]; then
  why="$(awk -F'\t' '{k = $1 ": " $2; if (!(k in c)) o[++n] = k; c[k]++}
    END {if (n == 1) printf "%s", o[1]; else for (i = 1; i <= n; i++) printf "%s%d x %s", (i > 1 ? "; " : ""), c[o[i]], o[i]}' "$skips")"
  skipped="$n_skips skipped ($why)"
  echo "== $skipped"
fi
[ $quick -eq 1 ] && echo "== the quick tier: the Slurm, PyTorch-script, GPU, doc, see-saw and shipped-run tests and the other page tests did not run (bash scripts/test.sh runs them)"
if [ ${#failed[@]} -gt 0 ]; then
  printf 'FAILED: %s\n' "${failed[@]}" >&2
  exit 1
fi
if [ -n "$skipped" ]; then
  echo "all tests that ran passed; $skipped"
else
  echo "all tests passed"
fi
