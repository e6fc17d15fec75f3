#!/usr/bin/env bash
# Builds the page (trunk, offline, pinned tools) and runs the headless-Chromium end-to-end test.
# Screenshots land in out/e2e/.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/collapse-lab-target}"
export PATH="$HOME/.cargo/bin:$PWD/node_modules/.bin:$PATH"
bash scripts/setup.sh wasm-target npm chromium wasm-bindgen trunk
trunk build --offline
cargo build --release --quiet
node tests/e2e/e2e.mjs dist "$CARGO_TARGET_DIR/release/collapse-lab" out/e2e
