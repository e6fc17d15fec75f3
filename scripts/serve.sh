#!/usr/bin/env bash
# Sets up everything on a fresh machine, builds the release wasm with trunk (offline, pinned
# tools) and serves the lab at http://127.0.0.1:8080/ (PORT=... to change). The default
# experiment (the paper's chessboard) is ready to run: press Train.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/collapse-lab-target}"
export PATH="$HOME/.cargo/bin:$PWD/node_modules/.bin:$PATH"
bash scripts/setup.sh all
cargo build --release --quiet   # the native CLI, target/release/collapse-lab
trunk serve --offline --disable-address-lookup --address 127.0.0.1 --port "${PORT:-8080}"
