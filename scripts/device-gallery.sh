#!/usr/bin/env bash
# The long shipped studies on a lent GPU machine (the session's device tool), where the WGSL
# engine trains a 2 x 1000 net in seconds instead of ten minutes: what is left of Fig. 9's
# width-1000 runs and the recursive-training chains fits one device call. Three steps:
#
#   bash scripts/device-gallery.sh --prepare        here: builds the release binary and puts it,
#                                                   the commit and the Vulkan loader's packages in
#                                                   .device/ (ignored by git: carried, not committed)
#   device run, carry [".device"], command:
#     bash scripts/device-gallery.sh --run 480 [ID ...]
#                                                   there: unpacks the loader, runs
#                                                   make-gallery-runs.sh with ENGINE=gpu for at most
#                                                   480 s (then stops it: finished runs are kept) and
#                                                   copies the grown files to $OUT
#   (BENCH=SECONDS before --run: afterwards, for at most that long, `collapse-lab bench` with
#   PyTorch CUDA side by side, the GPU speed figures docs/engine.md keeps, into $OUT/bench.txt)
#   bash scripts/device-gallery.sh --take DIR       here: the files that came back (files_at) into
#                                                   www/runs/, each checked to be the study,
#                                                   generations run or index it replaces
#
# Default IDs: every shipped study or generations file with runs still missing. JOBS (default 4)
# runs at a time share the GPU. The device machine has no cargo and no git checkout, hence the
# carried binary and commit. Each run's result names its engine; the provenance names the GPU.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/collapse-lab-target}"
export PATH="$HOME/.cargo/bin:$PATH"

# The shipped files with runs or chains still missing, by id.
partial() {
  python3 - <<'EOF'
import glob, json, os
for p in sorted(glob.glob("www/runs/*.json")):
    try:
        f = json.load(open(p))
    except ValueError:
        continue
    if isinstance(f, dict) and "cells" in f and f.get("missing"):
        print(os.path.basename(p)[:-5])
EOF
}

case "${1:-}" in
  --prepare)
    grep -qx '/.device/' .git/info/exclude 2>/dev/null || echo '/.device/' >> .git/info/exclude
    cargo build --release --quiet
    rm -rf .device && mkdir -p .device/gl
    cp "$CARGO_TARGET_DIR/release/collapse-lab" .device/
    # The PyTorch CUDA reference the bench times beside the WGSL engine (the brief's shared/).
    [ -f ../shared/bench/torch_gpu_reference.py ] && mkdir -p .device/bench && cp ../shared/bench/torch_gpu_reference.py .device/bench/
    echo "$(git rev-parse HEAD)$(git diff --quiet HEAD -- src shaders Cargo.toml Cargo.lock || echo '+changes')" > .device/commit
    # The Vulkan loader (the device README's recipe): amd64 packages, whatever this processor.
    lists="$(mktemp -d)"; mkdir -p "$lists/partial"
    o=(-oAPT::Architecture=amd64 -oAPT::Architectures=amd64 "-oDir::State::Lists=$lists")
    apt-get "${o[@]}" update -qq
    (cd .device/gl && apt-get "${o[@]}" download -qq libvulkan1)
    echo "ready: .device ($(du -sh .device | cut -f1)); partial files: $(partial | tr '\n' ' ')"
    ;;
  --run)
    secs="${2:?--run SECONDS [ID ...]}"; shift 2
    [ -x .device/collapse-lab ] || { echo ".device/collapse-lab missing: run --prepare here and carry .device" >&2; exit 2; }
    for f in .device/gl/*.deb; do dpkg -x "$f" /; done
    ldconfig
    # Where the loader finds no driver by itself (the device README).
    icd=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
    [ -f "$icd" ] && export VK_DRIVER_FILES="$icd"
    ids=("$@")
    [ ${#ids[@]} -gt 0 ] || mapfile -t ids < <(partial)
    echo "on $(nvidia-smi --query-gpu=name --format=csv,noheader 2>/dev/null | head -1), for at most $secs s: ${ids[*]}"
    set +e
    # JOBS runs share the GPU; the cores are split among them for what runs on the CPU.
    jobs="${JOBS:-4}"
    ENGINE=gpu BIN=.device/collapse-lab COMMIT="$(cat .device/commit)" THREADS="${THREADS:-$(( $(nproc) / jobs > 0 ? $(nproc) / jobs : 1 ))}" JOBS="$jobs" \
      timeout -s TERM "$secs" bash scripts/make-gallery-runs.sh "${ids[@]}"
    rc=$?
    set -e
    [ $rc -eq 124 ] || [ $rc -eq 130 ] || [ $rc -eq 0 ] || echo "make-gallery-runs.sh ended with $rc" >&2
    BIN=.device/collapse-lab bash scripts/make-gallery-runs.sh --status "${ids[@]}" || true
    if [ -n "${OUT:-}" ]; then
      for id in "${ids[@]}"; do [ -f "www/runs/$id.json" ] && cp "www/runs/$id.json" "$OUT/"; done
      cp www/runs/provenance.json "$OUT/"
    fi
    if [ -n "${BENCH:-}" ]; then
      torch=()
      [ -f .device/bench/torch_gpu_reference.py ] && torch=(--torch-gpu python3 --bench-dir .device/bench)
      timeout -s TERM "$BENCH" .device/collapse-lab bench --steps 300 "${torch[@]}" 2>&1 | tee "${OUT:-/tmp}/bench.txt" || true
    fi
    ;;
  --take)
    dir="${2:?--take DIR}"
    # Every file checked before any is taken.
    taken=()
    for f in "$dir"/*.json; do
      name="$(basename "$f")"
      [ -f "www/runs/$name" ] || { echo "$name: not a shipped file, left" >&2; continue; }
      # The same kind of file, and a study or generations run of the same plan.
      python3 - "$f" "www/runs/$name" <<'EOF'
import json, sys
new, old = (json.load(open(p)) for p in sys.argv[1:])
if "cells" in old:
    same = all(new.get(k) == old.get(k) for k in ("base", "axes", "seeds", "cells"))
    assert same, f"{sys.argv[1]}: not the plan of {sys.argv[2]}"
    assert len(new["runs"]) >= len(old["runs"]), f"{sys.argv[1]}: fewer runs than {sys.argv[2]}"
else:
    assert set(old) <= set(new), f"{sys.argv[1]}: the index lost entries"
EOF
      taken+=("$f")
    done
    for f in "${taken[@]}"; do cp "$f" "www/runs/$(basename "$f")"; echo "took $(basename "$f")"; done
    ;;
  *)
    sed -n '2,/^set -euo/p' "$0" | grep '^#' >&2
    exit 2
    ;;
esac
