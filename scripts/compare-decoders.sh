#!/usr/bin/env bash
# Compares `zbarimg` with `fieldpay scan` on a corpus written by scripts/hard-corpus.py.
set -euo pipefail

usage() {
    cat <<'EOF'
usage: scripts/compare-decoders.sh [--details FILE] CORPUSDIR FIELDPAY_BINARY

Runs two decoders over every image listed in CORPUSDIR/manifest.csv (as written by
scripts/hard-corpus.py: columns file,symbology,payload,distortion) and prints markdown tables
of how often each one read the expected payload, per distortion, per distortion and level, per
symbology, and overall, plus each tool's total wall time.

  zbarimg        run as a user would: `zbarimg --quiet --raw FILE` with its default settings
                 (its own charset guessing for QR text included). Each output line is one
                 symbol; bytes are compared after stripping the trailing newline.
  zbarimg-tuned  zbarimg set up for the corpus: -Sean2.enable -Sean5.enable -Scomposite.enable
                 -Supca.enable -Supce.enable (add-ons joined to their codes, UPC-A/E as such)
  fieldpay       `FIELDPAY_BINARY scan --json FILE`: one JSON object per line per decoded
                 symbol with at least "symbology" and "text"; exit 0 found, 4 nothing found,
                 2 bad input.

Counting, per image:
  correct        some symbol's text is exactly the manifest payload (UTF-8 bytes); for an image
                 with no code (empty payload, symbology "none"): nothing was read
  misread        every symbol whose text is not the payload counts as one misread, even when
                 the right one was also found
  errors         a crash, a timeout (30 s), an exit code other than 0 or 4 (fieldpay's 2 too),
                 or fieldpay output that is not JSON; shown under the tables when any

Options:
  --details FILE  also write one CSV row per image (file, distortion, symbology, expected,
                  both tools' outcomes and texts, milliseconds) to FILE
  -h, --help      show this help

Needs zbarimg (Debian zbar-tools) and Debian's /usr/bin/python3 (standard library only).
Runs the images one at a time, zbarimg then fieldpay, so the wall times are comparable.
Example:
  /usr/bin/python3 scripts/hard-corpus.py .build/hard-corpus
  scripts/compare-decoders.sh .build/hard-corpus .build/release/fieldpay
EOF
}

details=""
positional=()
while [[ $# -gt 0 ]]; do
    case "$1" in
        -h | --help) usage; exit 0 ;;
        --details)
            [[ $# -ge 2 ]] || { echo "error: --details needs a FILE" >&2; exit 2; }
            details=$2; shift 2 ;;
        --details=*) details=${1#--details=}; shift ;;
        --) shift; positional+=("$@"); break ;;
        -*) echo "error: unknown option $1 (see --help)" >&2; exit 2 ;;
        *) positional+=("$1"); shift ;;
    esac
done
if [[ ${#positional[@]} -ne 2 ]]; then
    usage >&2
    exit 2
fi
corpus=${positional[0]}
fieldpay=${positional[1]}

python=/usr/bin/python3
[[ -x "$python" ]] || { echo "error: $python not found (Debian's python3 is needed)" >&2; exit 2; }
command -v zbarimg >/dev/null || { echo "error: zbarimg not found; install it with: apt-get install -y zbar-tools" >&2; exit 2; }
[[ -f "$corpus/manifest.csv" ]] || {
    echo "error: $corpus/manifest.csv not found; generate a corpus first: /usr/bin/python3 scripts/hard-corpus.py $corpus" >&2
    exit 2
}
if [[ "$fieldpay" != */* && ! -e "$fieldpay" ]] && command -v "$fieldpay" >/dev/null; then
    fieldpay=$(command -v "$fieldpay") # a bare name found on PATH
fi
if [[ ! -e "$fieldpay" ]]; then
    echo "error: fieldpay binary '$fieldpay' does not exist; build it first (make release, or swift build -c release --product fieldpay)" >&2
    exit 2
fi
if [[ -d "$fieldpay" || ! -x "$fieldpay" ]]; then
    echo "error: '$fieldpay' is not an executable file" >&2
    exit 2
fi
# Run a relative binary path from anywhere.
[[ "$fieldpay" == */* ]] && fieldpay=$(cd "$(dirname "$fieldpay")" && pwd)/$(basename "$fieldpay")

exec "$python" - "$corpus" "$fieldpay" "$details" <<'PYTHON'
import csv
import json
import os
import subprocess
import sys
import time
from collections import OrderedDict, defaultdict

corpus, fieldpay, details_path = sys.argv[1], sys.argv[2], sys.argv[3]
TIMEOUT = 30


def run(args):
    started = time.monotonic()
    try:
        proc = subprocess.run(args, stdin=subprocess.DEVNULL, capture_output=True, timeout=TIMEOUT)
        code, out, err = proc.returncode, proc.stdout, proc.stderr
    except subprocess.TimeoutExpired:
        code, out, err = "timeout", b"", b""
    return code, out, err, time.monotonic() - started


ZBAR_TUNED = ["-Sean2.enable", "-Sean5.enable", "-Scomposite.enable", "-Supca.enable", "-Supce.enable"]


def zbar_texts(path, settings=()):
    code, out, err, elapsed = run(["zbarimg", "--quiet", "--raw", *settings, path])
    error = None
    if code not in (0, 4):
        error = f"exit {code}: {err.decode(errors='replace').strip()[-200:]}"
    if out.endswith(b"\n"):
        out = out[:-1]
    texts = out.split(b"\n") if out else []
    return texts, out, error, elapsed


def zbar_tuned_texts(path):
    """zbarimg set up for this corpus: add-ons joined, UPC-A and UPC-E reported as such."""
    return zbar_texts(path, ZBAR_TUNED)


def fieldpay_texts(path):
    code, out, err, elapsed = run([fieldpay, "scan", "--json", path])
    error = None
    if code not in (0, 4):
        error = f"exit {code}: {err.decode(errors='replace').strip()[-200:]}"
    texts = []
    for line in out.decode("utf-8", errors="replace").splitlines():
        line = line.strip()
        if not line:
            continue
        try:
            record = json.loads(line)
            texts.append(str(record["text"]).encode("utf-8"))
        except (ValueError, KeyError, TypeError) as problem:
            error = error or f"bad JSON line ({problem}): {line[:120]}"
    return texts, None, error, elapsed


def judge(texts, whole, expected):
    """(correct, misreads) for one image. An image without a code (empty payload) is correct when
    nothing is read, and everything read there is a misread (a false positive)."""
    if not expected:
        return not texts and not whole, len(texts)
    if whole is not None and whole == expected:  # zbarimg: the whole output is the payload
        return True, 0
    correct = any(t == expected for t in texts)
    return correct, sum(1 for t in texts if t != expected)


with open(os.path.join(corpus, "manifest.csv"), newline="", encoding="utf-8") as handle:
    rows = list(csv.DictReader(handle))
if not rows:
    sys.exit("error: the manifest lists no images")
missing = [r["file"] for r in rows if not os.path.exists(os.path.join(corpus, r["file"]))]
if missing:
    sys.exit(f"error: {len(missing)} images in the manifest are missing, e.g. {missing[0]}")

TOOLS = ("zbarimg", "zbarimg-tuned", "fieldpay")
results = []
wall = {tool: 0.0 for tool in TOOLS}
errors = []
print(f"Comparing zbarimg and {fieldpay} on {len(rows)} images in {corpus} ...", file=sys.stderr)
for n, row in enumerate(rows, 1):
    path = os.path.join(corpus, row["file"])
    expected = row["payload"].encode("utf-8")
    outcome = {"row": row}
    for tool, fn in (("zbarimg", zbar_texts), ("zbarimg-tuned", zbar_tuned_texts), ("fieldpay", fieldpay_texts)):
        texts, whole, error, elapsed = fn(path)
        wall[tool] += elapsed
        correct, misreads = judge(texts, whole, expected)
        outcome[tool] = {"correct": correct, "misreads": misreads, "texts": texts, "error": error,
                         "ms": elapsed * 1000}
        if error:
            errors.append((tool, row["file"], error))
    results.append(outcome)
    if n % 40 == 0:
        print(f"  {n}/{len(rows)}", file=sys.stderr)


def primary(distortion):
    return distortion.split("+")[0].split("/")[0]


def primary_level(distortion):
    return distortion.split("+")[0]


def table(title, column, key, order=None):
    groups = OrderedDict()
    for r in results:
        groups.setdefault(key(r), []).append(r)
    names = list(groups)
    if order:
        names.sort(key=lambda name: order(name))
    print(f"### {title}\n")
    print(f"| {column} | images | " + " | ".join(f"{t} correct" for t in TOOLS) + " | "
          + " | ".join(f"{t} misreads" for t in TOOLS) + " |")
    print("|---|---:|" + "---:|" * (2 * len(TOOLS)))
    everything = [(name, groups[name]) for name in names] + [("**overall**", results)]
    for name, group in everything:
        n = len(group)
        cells = [name, str(n)]
        for tool in TOOLS:
            ok = sum(1 for r in group if r[tool]["correct"])
            cells.append(f"{100.0 * ok / n:.1f}% ({ok})")
        for tool in TOOLS:
            cells.append(str(sum(r[tool]["misreads"] for r in group)))
        print("| " + " | ".join(cells) + " |")
    print()


DIST_ORDER = ["clean", "blur", "perspective", "noise", "lowlight", "illumination", "jpeg", "small", "rotation", "inverted",
              "torn", "skew", "screen", "worn"]
LEVEL_ORDER = ["easy", "medium", "hard"]


def dist_rank(name):
    base, _, level = name.partition("/")
    return (DIST_ORDER.index(base) if base in DIST_ORDER else len(DIST_ORDER), base,
            LEVEL_ORDER.index(level) if level in LEVEL_ORDER else -1)


print(f"## Decoder comparison: {len(results)} images in {corpus}\n")
table("Per distortion", "distortion", lambda r: primary(r["row"]["distortion"]), dist_rank)
table("Per distortion and level", "distortion/level", lambda r: primary_level(r["row"]["distortion"]), dist_rank)
table("Per symbology", "symbology", lambda r: r["row"]["symbology"], lambda name: name)
print("### Wall time\n")
print("| tool | total | per image |")
print("|---|---:|---:|")
for tool in TOOLS:
    print(f"| {tool} | {wall[tool]:.2f} s | {1000 * wall[tool] / len(results):.1f} ms |")
print()
print("Distortion groups use the first (primary) distortion of each image; a second one, when present, "
      "is always easy. A misread is any symbol whose text is not the expected payload.")

misread_examples = [(tool, r["row"], t) for r in results for tool in TOOLS
                    for t in r[tool]["texts"] if t != r["row"]["payload"].encode("utf-8")]
if misread_examples:
    print("\n### Misreads\n")
    print("| tool | file | expected | read |")
    print("|---|---|---|---|")
    for tool, row, text in misread_examples[:60]:
        shown = text.decode("utf-8", errors="backslashreplace").replace("|", "\\|")
        print(f"| {tool} | {row['file']} | {row['payload'].replace('|', chr(92) + '|')} | {shown} |")
    if len(misread_examples) > 60:
        print(f"\n({len(misread_examples) - 60} more not shown)")
if errors:
    print("\n### Errors\n")
    for tool, name, error in errors[:40]:
        print(f"- {tool} on {name}: {error}")
    if len(errors) > 40:
        print(f"- ... {len(errors) - 40} more")

if details_path:
    with open(details_path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["file", "distortion", "symbology", "expected"]
                        + [f"{t}_{c}" for t in TOOLS for c in ("correct", "misreads", "texts", "ms")])
        for r in results:
            row = r["row"]
            cells = [row["file"], row["distortion"], row["symbology"], row["payload"]]
            for tool in TOOLS:
                o = r[tool]
                texts = " | ".join(t.decode("utf-8", errors="backslashreplace") for t in o["texts"])
                cells += [int(o["correct"]), o["misreads"], texts if not o["error"] else f"ERROR {o['error']}",
                          f"{o['ms']:.1f}"]
            writer.writerow(cells)
    print(f"\n(per-image details written to {details_path})")
PYTHON
