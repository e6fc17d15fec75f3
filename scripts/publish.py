"""The second half of scripts/publish.sh: moves a trunk build into OUT as index.html plus a
folder named by the content hash of everything else, checks that the page has no absolute URL
and no live-reload code, and prints the size report."""
import gzip
import hashlib
import os
import re
import shutil
import sys

stage, out = sys.argv[1], sys.argv[2]

files = []
for root, _, names in os.walk(stage):
    for n in names:
        files.append(os.path.relpath(os.path.join(root, n), stage))
files.sort()
h = hashlib.sha256()
for f in files:
    if f == "index.html":
        continue
    h.update(f.encode() + b"\0")
    with open(os.path.join(stage, f), "rb") as fh:
        h.update(hashlib.sha256(fh.read()).digest())
version = "v-" + h.hexdigest()[:12]

index = open(os.path.join(stage, "index.html"), encoding="utf-8").read()
# No live-reload or development code anywhere in what is published.
for f in files:
    if f.endswith((".html", ".js")):
        text = open(os.path.join(stage, f), encoding="utf-8", errors="replace").read()
        if "__trunk_address__" in text or "__TRUNK_ADDRESS__" in text or "trunk/reload" in text:
            sys.exit(f"publish: {f} carries trunk's live-reload code")
# Every URL of the page relative: an absolute one ("/x", "http://...") breaks at a sub-path or offline.
absolute = re.findall(r'(?:href|src)="(/[^"]*|https?://[^"]*)"', index) + re.findall(r"""(?:import|from)\s*['"](/[^'"]*)['"]""", index)
if absolute:
    sys.exit(f"publish: index.html names absolute URLs: {absolute}")


# index.html's own URLs (href, src, the module imports trunk writes) now point into the version folder.
def into_version(m):
    # "./" kept: a module import needs it (a bare "v-.../x.js" is not a relative specifier).
    return m.group(1) + "./" + version + "/" + m.group(2)


index = re.sub(r'((?:href|src)=")(?:\./)?(?!data:|#|\?)([^"]+")', into_version, index)
# Any other relative string in trunk's inline start-up script (the module, the wasm it inits).
index = re.sub(r"""(['"])\./(?!v-)([^'"]+['"])""", into_version, index)

os.makedirs(out, exist_ok=True)
kept = sorted(d for d in os.listdir(out) if d.startswith("v-") and d != version)
# The previous version stays (a visitor holding the old index.html); older ones go.
marker = os.path.join(out, ".collapse-lab-publish")
previous = open(marker).read().strip() if os.path.exists(marker) else ""
for d in kept:
    if d != previous:
        shutil.rmtree(os.path.join(out, d))
target = os.path.join(out, version)
if os.path.exists(target):
    shutil.rmtree(target)
for f in files:
    if f == "index.html":
        continue
    dst = os.path.join(target, f)
    os.makedirs(os.path.dirname(dst), exist_ok=True)
    shutil.copy2(os.path.join(stage, f), dst)
tmp = os.path.join(out, "index.html.tmp")
with open(tmp, "w", encoding="utf-8") as fh:
    fh.write(index)
os.replace(tmp, os.path.join(out, "index.html"))
with open(marker, "w") as fh:
    fh.write(version + "\n")


def size(path):
    data = open(path, "rb").read()
    return len(data), len(gzip.compress(data, 6))


# What the bare link downloads: the page, the wasm and its glue, the style, every page module,
# and the landing run (the chessboard, its figures, the provenance index).
landing = ["index.html"]
for f in files:
    if f == "index.html":
        continue
    if f.endswith((".js", ".css", ".wasm")) or f in ("www/runs/fig2-chessboard.json", "www/runs/fig2-chessboard.figures.json", "www/runs/provenance.json", "www/verdicts.json"):
        landing.append(os.path.join(version, f))
raw = gz = 0
rows = []
for f in landing:
    r, g = size(os.path.join(out, f))
    raw += r
    gz += g
    rows.append((g, r, f))
rows.sort(reverse=True)
total = sum(os.path.getsize(os.path.join(dp, n)) for dp, _, ns in os.walk(out) for n in ns)
print(f"published {out} (version {version}; works at any path of a plain static server)")
print(f"on landing: {raw / 1e6:.2f} MB, {gz / 1e6:.2f} MB gzip, in {len(landing)} files; the largest:")
for g, r, f in rows[:6]:
    print(f"  {f:60s} {r / 1e3:9.0f} kB  {g / 1e3:8.0f} kB gzip")
print(f"the whole folder: {total / 1e6:.1f} MB (the shipped runs load only when their link is opened)")
