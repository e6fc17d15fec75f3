#!/usr/bin/env bash
# ms per training step of the default net (3 x 100, batch 2000, 2D) and the paper's 10-D net
# (2 x 1000, batch 2000) on every engine the lab has, in one table, with what each GPU step asks
# of the device (dispatches, submissions, readbacks per step):
#   - the CPU engine natively (collapse-lab bench, all cores),
#   - the native WGSL engine (Vulkan: a hardware GPU, or lavapipe here),
#   - the page's CPU engine on Web Workers and its WGSL engine on WebGPU in headless Chromium
#     (the hardware adapter, or SwiftShader here),
#   - PyTorch CUDA (shared/bench/torch_gpu_reference.py), where PYTHON has torch with CUDA.
#
#   bash scripts/device-check.sh [--software]
# --software: no hardware GPU (this project's machines): time lavapipe and SwiftShader anyway
# (correct, far slower than the CPU engine: never a speed reference). On a lent GPU machine run
# it without --software, with BIN (a built collapse-lab) and DIST (the built page) carried there
# when that machine has no cargo or trunk. PYTHON (default python3) for PyTorch; STEPS (native
# steps per net, default 20); PAGE_ITERS (page steps for the default net, default 20; the paper
# net gets a fifth, at least 2).
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/collapse-lab-target}"
export PATH="$HOME/.cargo/bin:$PWD/node_modules/.bin:$PATH"
software=0
for arg in "$@"; do
  case "$arg" in
    --software) software=1 ;;
    *) echo "device-check.sh: unknown argument '$arg' (bash scripts/device-check.sh [--software])" >&2; exit 2 ;;
  esac
done
bin="${BIN:-}"
if [ -z "$bin" ]; then
  cargo build --release --quiet
  bin="$CARGO_TARGET_DIR/release/collapse-lab"
fi
dist="${DIST:-dist}"
if [ ! -f "$dist/index.html" ]; then trunk build --offline; dist=dist; fi
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
py="${PYTHON:-python3}"

echo "== native: collapse-lab bench (CPU engine, WGSL engine$([ -n "${PYTHON:-}" ] && echo ', PyTorch CUDA'))"
bench=(bench --only train --steps "${STEPS:-20}")
[ $software -eq 1 ] && bench+=(--gpu-software)
if "$py" -c 'import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)' 2>/dev/null; then
  bench+=(--torch-gpu "$py")
fi
"$bin" "${bench[@]}" | tee "$out/bench.txt"

echo "== the page in headless Chromium ($([ $software -eq 1 ] && echo 'SwiftShader' || echo 'the hardware adapter'))"
mode=hardware
[ $software -eq 1 ] && mode=software
iters="${PAGE_ITERS:-20}"
paper_iters=$(( iters / 5 < 2 ? 2 : iters / 5 ))
chromium="${CHROMIUM:-/usr/bin/chromium}"
no_page=""
# The page half needs node, playwright-core and a Chromium on this machine. The lent GPU
# machines' image lists neither node nor Chromium, and Debian's Chromium package (81 MB) is more
# than one call carries (64 MiB): there the native half is measured and the page half says why not.
if ! command -v node >/dev/null 2>&1; then no_page="no node on this machine"
elif [ ! -x "$chromium" ]; then no_page="no Chromium at $chromium (CHROMIUM names another)"
elif [ ! -d node_modules/playwright-core ]; then no_page="no node_modules/playwright-core (scripts/setup.sh npm)"
fi
if [ -n "$no_page" ]; then
  echo "  not measured: $no_page"
else
  node scripts/page-engines.mjs "$dist" "dataset=chessboard&depth=3&width=100&batch=2000" "$iters" "$mode" | tee "$out/page-default.jsonl" || true
  node scripts/page-engines.mjs "$dist" "dataset=mog-nd&dim=10&depth=2&width=1000&batch=2000" "$paper_iters" "$mode" | tee "$out/page-paper.jsonl" || true
fi

echo
echo "== ms per training step, one table (device work per GPU step: dispatches / submissions / readbacks)"
NO_PAGE="$no_page" python3 - "$out" <<'EOF'
import json, re, sys, os
out = sys.argv[1]
rows = []
# bench: sections "3x100 tanh, batch 2000 (...)" and "2x1000 tanh, batch 2000 (...)".
section = None
for line in open(os.path.join(out, "bench.txt")):
    m = re.match(r"^(\d+x\d+) tanh, batch (\d+)", line)
    if m:
        section = {"3x100": "default", "2x1000": "paper"}.get(m.group(1))
        continue
    if section is None:
        continue
    m = re.search(r"cpu engine, (\d+) thread\(s\):\s+([\d.]+) ms/step", line)
    if m:
        rows.append((section, f"CPU engine, native ({m.group(1)} threads)", float(m.group(2)), ""))
    m = re.search(r"gpu engine \(WGSL\), (.*?):\s+([\d.]+) ms/step", line)
    if m:
        rows.append((section, f"WGSL engine, native ({m.group(1)})", float(m.group(2)), ""))
    m = re.search(r"per step: (\d+) dispatches, ([\d.]+) submissions, [\d.]+ buffer writes, ([\d.]+) readbacks", line)
    if m and rows and rows[-1][0] == section and rows[-1][1].startswith("WGSL"):
        s, n, d, _ = rows[-1]
        rows[-1] = (s, n, d, f"{m.group(1)} / {m.group(2)} / {m.group(3)}")
    m = re.search(r"pytorch.*?(eager|graph)[^\d]*([\d.]+) ms/step", line, re.I)
    if m:
        rows.append((section, f"PyTorch CUDA ({m.group(1)})", float(m.group(2)), ""))
    if "not measured" in line:
        rows.append((section, line.strip().split(":")[0], None, line.strip().split("(", 1)[-1].rstrip(")")[:60]))
for net in ("default", "paper"):
    path = os.path.join(out, f"page-{net}.jsonl")
    for line in open(path) if os.path.exists(path) else []:
        try:
            r = json.loads(line)
        except ValueError:
            continue
        name = "page, CPU engine (Web Workers)" if r["engine"] == "cpu workers" else f"page, WebGPU ({r.get('adapter', '?')})"
        if "error" in r:
            rows.append((net, name, None, r["error"][:60]))
            continue
        g = r.get("gpu")
        work = f"{g['dispatches_per_step']:.0f} / {g['submissions_per_step']:.3f} / {g['readbacks_per_step']:.3f}" if g else ""
        rows.append((net, name, r["ms_per_step"], work))
print(f"{'net':<8} {'engine':<72} {'ms/step':>10}  device work per step")
for net, name, ms, work in rows:
    print(f"{net:<8} {name[:72]:<72} {('%.3f' % ms) if ms is not None else '-':>10}  {work}")
if os.environ.get("NO_PAGE"):
    sys.exit(f"the page was not measured: {os.environ['NO_PAGE']} (the native rows above stand)")
if not any(r[2] is not None and r[1].startswith("page, WebGPU") for r in rows):
    sys.exit("no WebGPU figure from the page")
EOF
