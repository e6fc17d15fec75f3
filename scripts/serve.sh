#!/usr/bin/env bash
# Sets up everything on a fresh machine, then runs the lab. Until the browser page lands (issue
# "The browser lab"), "serving" the lab means running the default experiment natively: the
# paper's chessboard setting, with TID(e) for the ODE and SDE samplers printed as a table
# (stderr) and as JSON (out/result.json), and the samples written to out/*.csv.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/collapse-lab-target}"
export PATH="$HOME/.cargo/bin:$PWD/node_modules/.bin:$PATH"

bash scripts/setup.sh all
cargo build --release --quiet
mkdir -p out
"$CARGO_TARGET_DIR/release/collapse-lab" run --samples-out out "$@" > out/result.json
echo "result: out/result.json, samples: out/*.csv" >&2
