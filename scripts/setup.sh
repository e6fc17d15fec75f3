#!/usr/bin/env bash
# Installs what Collapse Lab needs, from the package registries only, and skips what is present.
#   scripts/setup.sh [all | rust-tools | wasm-target | wasm-bindgen | trunk | npm | chromium | vulkan | slurm | torch] ...
# Cold, on 2 cores: ~25 min for `all` (wasm-bindgen-cli and trunk compile ~10 min each).
set -euo pipefail
cd "$(dirname "$0")/.."

WASM_BINDGEN_VERSION=0.2.130   # must equal the wasm-bindgen pin in Cargo.toml
TRUNK_VERSION=0.21.14          # 0.22 needs a newer rustc than 1.95
TORCH_VERSION=2.15.0           # for tests/torch_script.rs: the exported PyTorch script, run for real
TORCH_VENV="${COLLAPSE_LAB_TORCH_VENV:-$HOME/.cache/collapse-lab/torch-venv}"

say() { printf '[setup] %s\n' "$*" >&2; }

need_root_apt() {
  local pkgs=("$@") missing=()
  for p in "${pkgs[@]}"; do
    dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && { say "apt: ${pkgs[*]} present"; return; }
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  say "apt: installing ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
}

# rustfmt and clippy, for the test command's first step (`cargo fmt --check`, `cargo clippy`).
rust_tools() {
  if cargo fmt --version >/dev/null 2>&1 && cargo clippy --version >/dev/null 2>&1; then
    say "rustup components rustfmt and clippy present"
    return
  fi
  say "adding rustup components rustfmt and clippy"
  rustup component add rustfmt clippy
  # Their rustup proxies, where this toolchain came without them (a rustup install has them; a
  # toolchain linked in by hand, as scripts/fresh-check.sh does, may not): cargo finds
  # `cargo-fmt` and `cargo-clippy` in $CARGO_HOME/bin.
  if ! cargo fmt --version >/dev/null 2>&1 || ! cargo clippy --version >/dev/null 2>&1; then
    local bin="${CARGO_HOME:-$HOME/.cargo}/bin" rustup_bin
    rustup_bin="$(command -v rustup)"
    mkdir -p "$bin"
    for p in cargo-fmt rustfmt cargo-clippy clippy-driver; do
      [ -e "$bin/$p" ] || ln -s "$rustup_bin" "$bin/$p"
    done
    cargo fmt --version >/dev/null && cargo clippy --version >/dev/null
  fi
}

wasm_target() {
  if rustup target list --installed | grep -qx wasm32-unknown-unknown; then
    say "rust target wasm32-unknown-unknown present"
  else
    say "adding rust target wasm32-unknown-unknown"
    rustup target add wasm32-unknown-unknown
  fi
}

wasm_bindgen() {
  if wasm-bindgen --version 2>/dev/null | grep -q " $WASM_BINDGEN_VERSION\$"; then
    say "wasm-bindgen-cli $WASM_BINDGEN_VERSION present"
  else
    say "installing wasm-bindgen-cli $WASM_BINDGEN_VERSION (~10 min on 2 cores)"
    # No --locked: its lockfile names a crate version the registry lacks.
    cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION"
  fi
}

trunk() {
  if command trunk --version 2>/dev/null | grep -q " $TRUNK_VERSION\$"; then
    say "trunk $TRUNK_VERSION present"
  else
    say "installing trunk $TRUNK_VERSION (~10 min on 2 cores)"
    cargo install trunk --version "$TRUNK_VERSION" --locked
  fi
}

npm_tools() {
  if [ -x node_modules/.bin/wasm-opt ] && [ -d node_modules/playwright-core ] \
     && node_modules/.bin/wasm-opt --version | grep -q "version_132" && [ -f node_modules/axe-core/axe.min.js ] \
     && [ -x node_modules/.bin/prettier ] && [ -x node_modules/.bin/eslint ] && [ -d node_modules/@eslint/js ]; then
    say "npm tools (binaryen 132, playwright-core, axe-core, prettier, eslint) present"
  else
    command -v npm >/dev/null || need_root_apt nodejs npm
    say "npm: installing the pinned tools (binaryen, playwright-core, axe-core, prettier, eslint)"
    npm ci --no-audit --no-fund --silent
  fi
}

chromium() {
  need_root_apt chromium chromium-driver
}

vulkan() {
  need_root_apt mesa-vulkan-drivers
}

# Only the tests need it (a one-node cluster for tests/slurm.rs); not part of `all`.
slurm() {
  need_root_apt slurm-wlm munge
}

# Only the tests need it (tests/torch_script.rs runs the exported script); not part of `all`.
# PyPI's Linux wheel brings CUDA libraries: ~5 GB in the venv, ~1-2 min to install here.
torch() {
  if "$TORCH_VENV/bin/python" -c "import torch, sys; sys.exit(torch.__version__.split('+')[0] != '$TORCH_VERSION')" 2>/dev/null; then
    say "PyTorch $TORCH_VERSION present in $TORCH_VENV"
    return
  fi
  command -v python3 >/dev/null || need_root_apt python3 python3-venv
  rm -rf "$TORCH_VENV"
  mkdir -p "$(dirname "$TORCH_VENV")"
  if ! python3 -m venv "$TORCH_VENV" 2>/dev/null; then
    need_root_apt python3-venv
    rm -rf "$TORCH_VENV"
    python3 -m venv "$TORCH_VENV"
  fi
  say "pip: installing torch $TORCH_VERSION into $TORCH_VENV (~5 GB with its CUDA libraries)"
  "$TORCH_VENV/bin/pip" install --quiet --disable-pip-version-check "torch==$TORCH_VERSION" numpy
  "$TORCH_VENV/bin/python" -c "import torch; print('[setup] torch', torch.__version__)" >&2
}

[ $# -gt 0 ] || set -- all
for what in "$@"; do
  case "$what" in
    all) rust_tools; wasm_target; npm_tools; chromium; vulkan; wasm_bindgen; trunk ;;
    rust-tools) rust_tools ;;
    wasm-target) wasm_target ;;
    wasm-bindgen) wasm_bindgen ;;
    trunk) trunk ;;
    npm) npm_tools ;;
    chromium) chromium ;;
    vulkan) vulkan ;;
    slurm) slurm ;;
    torch) torch ;;
    *) echo "setup.sh: unknown component '$what'" >&2; exit 2 ;;
  esac
done
