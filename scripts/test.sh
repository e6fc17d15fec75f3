#!/usr/bin/env bash
# Runs every test of Collapse Lab (the README's test command; .ci/run calls it).
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/collapse-lab-target}"
export PATH="$HOME/.cargo/bin:$PATH"

# Everything the tests need, before any test runs (the GPU tests need Mesa's Vulkan driver, the
# page test Chromium, trunk, wasm-bindgen and the npm tools, the PyTorch-script test PyTorch);
# present parts are skipped.
export PATH="$PWD/node_modules/.bin:$PATH"
bash scripts/setup.sh all torch
export COLLAPSE_LAB_PYTHON="${COLLAPSE_LAB_TORCH_VENV:-$HOME/.cache/collapse-lab/torch-venv}/bin/python"

echo "== the core compiles to wasm32 (SIMD128), as the browser build uses it"
cargo build --lib --release --target wasm32-unknown-unknown --quiet

echo "== a one-node Slurm cluster on 127.0.0.1 for tests/slurm.rs (Debian's slurm-wlm and munge)"
slurm_dir="$(mktemp -d /tmp/collapse-lab-slurm.XXXXXX)"
if bash scripts/setup.sh slurm; then
  set +e
  conf="$(bash scripts/slurm-cluster.sh start "$slurm_dir")"
  rc=$?
  set -e
  if [ $rc -eq 0 ]; then
    export COLLAPSE_LAB_SLURM_CONF="$conf"
    trap 'bash scripts/slurm-cluster.sh stop "$slurm_dir"' EXIT
  elif [ $rc -eq 3 ]; then
    echo "SKIPPED: the Slurm tests need root to run slurmd here (see above)"
  else
    echo "the one-node Slurm cluster did not start (logs in $slurm_dir)" >&2
    exit 1
  fi
else
  echo "SKIPPED: slurm-wlm and munge could not be installed; the Slurm tests do not run"
fi

echo "== native tests: unit, integration, CLI and Slurm"
cargo test --quiet 2>&1

echo "== the page in headless Chromium (build with trunk, train and sample in-page)"
bash scripts/e2e.sh
