#!/usr/bin/env bash
# Writes the lab as a folder for any plain static host, at any path (a project's GitHub Pages,
# a university web space, a sub-folder of a blog):
#   bash scripts/publish.sh OUT
# - the release build (trunk, offline, pinned tools), with every URL relative (public URL "./"):
#   it works at / and at /any/sub/path/ alike;
# - no development code: `trunk build` injects no live-reload script (only `trunk serve` does),
#   and the folder is checked for one;
# - no stale mix after an update: everything but index.html lives in a folder named by the
#   content hash of its files (v-HASH/), so a new version is a new folder and a cached page
#   loads its own version whole; the previous version's folder is kept beside the new one (a
#   visitor with the old index.html still gets a whole, old page), older ones are removed;
# - a size report: what a visitor downloads on landing, raw and gzip, and the folder's total.
# OUT is created; an existing OUT must be an earlier publish (it holds .collapse-lab-publish):
# anything else is refused rather than overwritten.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ $# -ne 1 ] || [ "${1:0:1}" = "-" ]; then
  echo "usage: bash scripts/publish.sh OUT   (the folder to write; see the comment at the top)" >&2
  exit 2
fi
out="$1"
if [ -e "$out" ] && { [ ! -d "$out" ] || { [ -n "$(ls -A "$out")" ] && [ ! -f "$out/.collapse-lab-publish" ]; }; }; then
  echo "publish: $out exists and is not an earlier publish (no .collapse-lab-publish in it): choose a new or empty folder" >&2
  exit 2
fi
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/collapse-lab-target}"
export PATH="$HOME/.cargo/bin:$PWD/node_modules/.bin:$PATH"
bash scripts/setup.sh wasm-target wasm-bindgen trunk npm >&2
stage="$(mktemp -d)"
trap 'rm -rf "$stage"' EXIT
# --public-url ./ : trunk writes every URL of index.html relative (its preloads and the wasm).
trunk build --offline --release --public-url ./ --dist "$stage/dist" >&2
python3 scripts/publish.py "$stage/dist" "$out"
