#!/usr/bin/env bash
# Searches for the cheapest setting that shows the see-saw, with the lab's own study runner:
# each candidate is a study of a mixture (10-D, n-D or 1-D) over widths x {full training, fixed t = 1}, and
# it passes when, over its seeds,
#   1. MAE(t = 1) of full training rises from the narrowest to the widest net with ± sd bars apart,
#   2. MAE(t = 0.1) of full training falls or stays (the widest's mean at most the narrowest's
#      mean + its sd), and
#   3. the fixed-t = 1 control's MAE(t = 1) stays below full training's at the widest net.
#   scripts/seesaw-search.sh [OUT_DIR]   (default out/seesaw-search; a finished candidate is kept)
# Prints one Markdown row per candidate: its settings, the figures, pass/fail and its time; the
# table is in docs/seesaw-search.md.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/collapse-lab-target}"
export PATH="$HOME/.cargo/bin:$PATH"
cargo build --release --quiet
bin="$(mktemp -d)/collapse-lab"
cp "$CARGO_TARGET_DIR/release/collapse-lab" "$bin"
out="${1:-out/seesaw-search}"
mkdir -p "$out"
common="--diagnostics=1 --samplers ode --n-samples 1000 --steps ode=100 --diag-points 4000 --diag-trajectories 64 --eps 0.02,0.05,0.1 --record-times 1,0 --trajectories 2"
# name | widths | run settings | seeds (default 3: seeds base..base+2, base 0 unless --seed)
candidates=(
  "quick-today|8,32,128|--dataset mog-nd --depth 2 --iters 1500 --batch 256"
  "w16-256-it3000-b256|16,64,256|--dataset mog-nd --depth 2 --iters 3000 --batch 256"
  "w16-256-it3000-b1000|16,64,256|--dataset mog-nd --depth 2 --iters 3000 --batch 1000"
  "w32-512-it2000-b500|32,128,512|--dataset mog-nd --depth 2 --iters 2000 --batch 500"
  "w16-256-it6000-b500|16,64,256|--dataset mog-nd --depth 2 --iters 6000 --batch 500"
  "w16-256-it3000-b500-lr2e-3|16,64,256|--dataset mog-nd --depth 2 --iters 3000 --batch 500 --lr 2e-3"
  "dim4-w16-256-it3000-b500|16,64,256|--dataset mog-nd --dim 4 --depth 2 --iters 3000 --batch 500"
  "mog1d-w10-100-it3000-b500|10,30,100|--dataset mog1d --depth 3 --iters 3000 --batch 500"
  "mog1d-w10-100-it10000-b2000|10,30,100|--dataset mog1d --depth 3 --iters 10000 --batch 2000"
  "mog1d-w10-400-it6000-b1000|10,100,400|--dataset mog1d --depth 3 --iters 6000 --batch 1000"
  "mog1d-w10-300-it4000-b1000|10,100,300|--dataset mog1d --depth 3 --iters 4000 --batch 1000"
  "dim2-w16-256-it6000-b1000|16,64,256|--dataset mog-nd --dim 2 --depth 2 --iters 6000 --batch 1000"
  "mog1d-d2-w10-400-it6000-b500|10,100,400|--dataset mog1d --depth 2 --iters 6000 --batch 500"
  "mog1d-d2-w10-400-it6000-b500-seeds3-5|10,100,400|--dataset mog1d --depth 2 --iters 6000 --batch 500 --seed 3"
  "mog1d-d2-w10-400-it4000-b500|10,100,400|--dataset mog1d --depth 2 --iters 4000 --batch 500"
  "mog1d-d2-w10-100-it6000-b500-s6|10,30,100|--dataset mog1d --depth 2 --iters 6000 --batch 500|6"
  "mog1d-d2-w10-400-it6000-b500-lr2e-3-s6|10,100,400|--dataset mog1d --depth 2 --iters 6000 --batch 500 --lr 2e-3|6"
  "mog1d-d2-w10-100-it6000-b2000-s6|10,30,100|--dataset mog1d --depth 2 --iters 6000 --batch 2000|6"
  "mog1d-d2-w10-400-it3000-b2000-s6|10,100,400|--dataset mog1d --depth 2 --iters 3000 --batch 2000|6"
)
echo "| candidate | widths | settings | seeds | MAE(1) narrowest | MAE(1) widest | MAE(0.1) narrowest | MAE(0.1) widest | control MAE(1) widest | passes | wall (s, $(nproc) cores) |"
echo "|---|---|---|---|---|---|---|---|---|---|---|"
for c in "${candidates[@]}"; do
  IFS='|' read -r name widths settings seeds <<< "$c"
  file="$out/$name.json"
  start=$SECONDS
  # shellcheck disable=SC2086
  "$bin" study $common $settings --vary "width=$widths" --vary fixed-t=none,1 --seeds "${seeds:-3}" --engine cpu --quiet --out "$file" > /dev/null
  wall=$(( SECONDS - start ))
  [ -f "$file.wall" ] && [ "$wall" -lt 5 ] && wall=$(cat "$file.wall") || echo "$wall" > "$file.wall"
  python3 - "$file" "$name" "$widths" "$settings" "$wall" "${seeds:-3}" <<'PY'
import json, sys
f, name, widths, settings, wall, k = sys.argv[1:]
s = json.load(open(f))
ws = widths.split(",")
def cell(w, ft):
    return next(c for c in s["cells"] if c["settings"]["width"] == w and c["settings"]["fixed-t"] == ft)["metrics"]
def ms(m):
    return m["mean"], (m["std"] or 0.0)
lo1, hi1 = ms(cell(ws[0], "none")["mae_velocity@1"]), ms(cell(ws[-1], "none")["mae_velocity@1"])
lo01, hi01 = ms(cell(ws[0], "none")["mae_velocity@0.1"]), ms(cell(ws[-1], "none")["mae_velocity@0.1"])
ctl = ms(cell(ws[-1], "1")["mae_velocity@1"])
c1 = lo1[0] + lo1[1] < hi1[0] - hi1[1]
c2 = hi01[0] <= lo01[0] + lo01[1]
c3 = ctl[0] < hi1[0]
f2 = lambda m: f"{m[0]:.3f} ± {m[1]:.3f}"
verdict = "**yes**" if c1 and c2 and c3 else "no (" + ", ".join(w for w, ok in [("MAE(1) does not rise clearly", c1), ("MAE(0.1) rises", c2), ("control above", c3)] if not ok) + ")"
base = int(settings.split("--seed ")[1].split()[0]) if "--seed " in settings else 0
print(f"| {name} | {widths} | `{settings}` | {base}–{base + int(k) - 1} | {f2(lo1)} | {f2(hi1)} | {f2(lo01)} | {f2(hi01)} | {f2(ctl)} | {verdict} | {wall} |")
PY
done
