#!/usr/bin/env bash
# Runs every test of Collapse Lab (the README's test command; .ci/run calls it).
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/collapse-lab-target}"
export PATH="$HOME/.cargo/bin:$PATH"

# Everything the tests need, before any test runs (the GPU tests need Mesa's Vulkan driver, the
# page test Chromium, trunk, wasm-bindgen and the npm tools); present parts are skipped.
export PATH="$PWD/node_modules/.bin:$PATH"
bash scripts/setup.sh all

echo "== the core compiles to wasm32 (SIMD128), as the browser build uses it"
cargo build --lib --release --target wasm32-unknown-unknown --quiet

echo "== native tests: unit, integration and CLI"
cargo test --quiet 2>&1

echo "== the page in headless Chromium (build with trunk, train and sample in-page)"
bash scripts/e2e.sh
