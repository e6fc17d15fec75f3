#!/usr/bin/env bash
# Runs the README's test command as on a fresh machine: a fresh clone of this repository's HEAD,
# run with an empty home folder, so that nothing installed by hand for this user is found:
# no cargo-installed tools (trunk, wasm-bindgen-cli), no npm packages or npm cache, no PyTorch
# venv, no build caches. Only the Rust toolchain is taken from this machine (a fresh machine has
# one: the brief's Rust 1.95), through links to its rustup proxies. System packages (apt:
# Chromium, Mesa's Vulkan driver, Slurm) are not removed; scripts/setup.sh checks them with dpkg
# and installs what is missing.
#   scripts/fresh-check.sh [DIR]     (default /tmp/collapse-lab-fresh; DIR is emptied first)
# Its log is DIR/log; cold, on this project's 2-core machine, it takes about an hour.
set -euo pipefail
cd "$(dirname "$0")/.."
dir="${1:-/tmp/collapse-lab-fresh}"
rustup_home="${RUSTUP_HOME:-$HOME/.rustup}"
cargo_bin="$(dirname "$(command -v cargo)")"
rm -rf "$dir"
mkdir -p "$dir/home" "$dir/toolbin"
for t in cargo rustc rustup rustdoc; do
  ln -s "$cargo_bin/$t" "$dir/toolbin/$t"
done
git clone -q . "$dir/clone"
echo "fresh check of $(git rev-parse --short HEAD) in $dir (log: $dir/log)"
cd "$dir/clone"
start=$(date +%s)
set +e
# PATH has no sbin, as a login without root's profile: slurm-cluster.sh must find its daemons itself.
env -i HOME="$dir/home" USER="${USER:-root}" PATH="$dir/toolbin:/usr/local/bin:/usr/bin:/bin" \
  RUSTUP_HOME="$rustup_home" CARGO_HOME="$dir/home/.cargo" CI=true LANG=C.UTF-8 \
  bash .ci/run > "$dir/log" 2>&1
rc=$?
set -e
echo "exit $rc after $(( ($(date +%s) - start) / 60 )) min; the set-up's lines:"
grep '^\[setup\]' "$dir/log" || true
tail -3 "$dir/log"
exit $rc
