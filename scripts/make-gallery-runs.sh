#!/usr/bin/env bash
# Regenerates the trained runs the page ships for the gallery's paper-size runs:
# www/runs/ID.json, one saved run (spec, trained parameters, results) per preset, made by the
# lab's own CLI on the CPU engine (`collapse-lab run --preset ID --size paper --save-run`), so
# a reader who opens such a link gets the figure in seconds instead of training for minutes.
#   scripts/make-gallery-runs.sh [ID ...]     (default: `collapse-lab gallery --shipped`; ~1 min each on 2 cores)
# tests/shipped_runs.rs samples every shipped file again and requires its figures: rerun this
# script after a change to the samplers, the metrics or the presets' paper settings.
# Not shipped: the n-D see-saw runs (2 x 1000 nets: hours on a CPU; train them on a GPU) and the
# exact-score control (nothing to train; its link reproduces it in seconds).
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/collapse-lab-target}"
export PATH="$HOME/.cargo/bin:$PATH"

cargo build --release --quiet
bin="$CARGO_TARGET_DIR/release/collapse-lab"
# The list lives in the lab (presets::SHIPPED), so the page and the tests know it too.
mapfile -t IDS < <("$bin" gallery --shipped)
[ $# -gt 0 ] && IDS=("$@")
mkdir -p www/runs
for id in "${IDS[@]}"; do
  start=$SECONDS
  "$bin" run --preset "$id" --size paper --engine cpu --quiet --save-run "www/runs/$id.json.part" >/dev/null
  mv "www/runs/$id.json.part" "www/runs/$id.json"
  echo "www/runs/$id.json: $(( SECONDS - start )) s, $(du -k "www/runs/$id.json" | cut -f1) KB"
done
