#!/usr/bin/env bash
# Regenerates the small committed test images in Tests/ScanningTests/Fixtures and Tests/ImagingTests/Fixtures.
# Needs zint, qrencode and ImageMagick (`make fixtures-tools` installs them). The results are committed so
# the tests never depend on these tools' versions; run this only to add or change a fixture.
set -euo pipefail
cd "$(dirname "$0")/.."
out=Tests/ScanningTests/Fixtures
img=Tests/ImagingTests/Fixtures
mkdir -p "$out" "$img"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Grey PNG, code on white with a quiet margin, no metadata (so files are byte-stable).
finish() { convert "$1" -colorspace Gray -bordercolor white -border "${3:-24}" -strip -define png:color-type=0 "$2"; }
code() { # code ZINT_TYPE DATA OUT [extra zint args...]
    local type=$1 data=$2 dest=$3; shift 3
    zint -b "$type" -d "$data" --scale=2 --notext -o "$tmp/z.png" "$@" >/dev/null
    finish "$tmp/z.png" "$dest" "${BORDER:-24}"
}
qr() { # qr DATA OUT [qrencode args...]
    local data=$1 dest=$2; shift 2
    printf '%s' "$data" | qrencode -o "$tmp/q.png" -s 4 -m 0 "$@"
    finish "$tmp/q.png" "$dest"
}

# One file per symbology FieldPay reads.
qr 'INV/2026-27/004512' "$out/qr-invoice.png"
qr 'upi://pay?pa=acme.traders@okhdfcbank&pn=Acme%20Traders&am=1234.50&cu=INR&tr=INV004512&tn=Invoice%20004512' "$out/qr-upi.png"
qr 'बिल 4512 — ₹1,234.50 बकाया' "$out/qr-utf8.png"
printf '\x00\x01\x02\x7f\x80\x9f\xa0\xc3\x28\xff\xfe\xfd' > "$tmp/bin"
qrencode -8 -r "$tmp/bin" -o "$tmp/q.png" -s 4 -m 0 && finish "$tmp/q.png" "$out/qr-binary.png"
code CODE128 'INV-2026-004512' "$out/code128-invoice.png" --height=40
BORDER=48 code CODE128 'INV-4512' "$out/code128-short.png" --height=40   # the benchmark's: a full quiet zone
code CODE39 'INV2026004512' "$out/code39.png" --height=40
code CODE93 'INV-4512' "$out/code93.png" --height=40
code CODABAR 'A40156B' "$out/codabar.png" --height=40
code C25INTER '20260045120' "$out/i25.png" --height=40         # zint pads to an even length: 020260045120
code EANX '890123456789' "$out/ean13.png" --height=50          # check digit added: 8901234567892
code EANX '8901234' "$out/ean8.png" --height=50                 # 89012343
code UPCA '03600029145' "$out/upca.png" --height=50            # 036000291452
code UPCE '0425261' "$out/upce.png" --height=50                 # 04252614
code DBAR_OMN '0950110153001' "$out/databar.png" --height=40    # (01)09501101530010
code DBAR_EXP '[01]98898765432106[3202]012345[15]991231' "$out/databar-exp.png"
code EANX '890123456789+12345' "$out/ean13-addon5.png" --height=50
code UPCA '03600029145+12' "$out/upca-addon2.png" --height=50     # 03600029145212
code EANX '12345' "$out/ean5-alone.png" --height=50               # an add-on with no code beside it
code EXCODE39 'Inv-abc' "$out/code39-fullascii.png" --height=40  # I+N+V-+A+B+C as plain Code 39
# The add-on's bars visible but its start guard scratched off: zbar cannot read it.
/usr/bin/python3 - "$out/ean13-addon5.png" "$out/ean13-addon-scratched.png" <<'PY'
import sys
from PIL import Image
image = Image.open(sys.argv[1]).convert("L")
w, h = image.size
row = [image.getpixel((x, h // 2)) < 128 for x in range(w)]
dark = [x for x in range(w) if row[x]]
# The widest light gap between the first and last bar is the one before the add-on.
gaps = [(b - a, a, b) for a, b in zip(dark, dark[1:]) if b - a > 1]
_, _, addon = max(gaps)
for x in range(addon, addon + 8):  # 4 modules at 2 px: the guard's bars
    for y in range(h):
        image.putpixel((x, y), 255)
image.save(sys.argv[2], optimize=False)
PY
# QR text in other character sets: Shift JIS and ISO-8859-1 without an ECI (zint's defaults), and declared.
code QRCODE '請求書 No.4512 合計 1,234円' "$out/qr-sjis.png" 2>/dev/null
code QRCODE 'Müller & Söhne, Rechnung 4512' "$out/qr-latin1.png"
code QRCODE 'Счёт № 4512' "$out/qr-eci7.png" --eci=7
code QRCODE '納品書 4512' "$out/qr-eci20.png" --eci=20

# upce-inside-ean13.png is not made here: it is the top left 400x180 of image 0189 (an EAN-13 with 1.3 px
# modules) of `scripts/hard-corpus.py --count 560 --seed 1`, where zbar reads a UPC-E inside the EAN-13.

# Several codes in one image.
convert -size 1040x480 xc:white \
    \( "$out/qr-invoice.png" \) -geometry +40+40 -composite \
    \( "$out/code128-invoice.png" \) -geometry +220+40 -composite \
    \( "$out/ean13.png" \) -geometry +220+260 -composite \
    -colorspace Gray -strip -define png:color-type=0 "$out/multi.png"

# Hard but fair: rotated, inverted, noisy, low contrast, small, blurred.
convert "$out/qr-invoice.png" -background white -rotate 33 -strip -define png:color-type=0 "$out/qr-rotated.png"
convert "$out/code128-invoice.png" -background white -rotate 90 -strip -define png:color-type=0 "$out/code128-rotated90.png"
convert "$out/code128-invoice.png" -background white -rotate 20 -strip -define png:color-type=0 "$out/code128-rotated20.png"
convert "$out/qr-invoice.png" -negate -strip -define png:color-type=0 "$out/qr-inverted.png"
convert "$out/code128-invoice.png" -negate -strip -define png:color-type=0 "$out/code128-inverted.png"
convert "$out/qr-upi.png" -seed 7 -attenuate 1.6 +noise Gaussian -colorspace Gray -strip -define png:color-type=0 "$out/qr-noisy.png"
convert "$out/code128-invoice.png" -level -45%,145% -evaluate add 20% -strip -define png:color-type=0 "$out/code128-lowcontrast.png"
convert "$out/qr-invoice.png" -level -42%,142% -strip -define png:color-type=0 "$out/qr-lowcontrast.png"
convert "$out/qr-upi.png" -blur 0x1.6 -strip -define png:color-type=0 "$out/qr-blurred.png"

# Each container format the loaders read.
convert "$out/qr-invoice.png" -quality 85 -strip "$out/qr-invoice.jpg"
convert "$out/code128-invoice.png" -strip pgm:"$out/code128-invoice.pgm"
convert "$out/qr-invoice.png" -colorspace sRGB -type TrueColor -strip ppm:"$out/qr-invoice.ppm"
convert "$out/qr-invoice.png" -colorspace sRGB -type TrueColor -strip -define png:color-type=2 "$out/qr-invoice-rgb.png"
printf '%s' 'INV/2026-27/004512' | qrencode -o "$tmp/a.png" -s 4 -m 4 --foreground=000000FF --background=00000000
convert "$tmp/a.png" -strip "$out/qr-transparent.png"

# Nothing to find: paper texture and text-like strokes.
convert -size 640x480 xc:'gray(235)' -seed 3 -attenuate 0.4 +noise Gaussian \
    -fill 'gray(60)' -draw 'rectangle 40,40 400,52' -draw 'rectangle 40,70 320,80' -draw 'rectangle 40,100 500,110' \
    -colorspace Gray -strip -quality 80 "$out/empty.jpg"

# Loader fixtures: small images in every encoding the PNM, PNG and JPEG loaders accept.
convert -size 4x3 gradient:black-white -colorspace Gray -strip pgm:"$img/gradient.pgm"
convert -size 4x3 gradient:black-white -colorspace Gray -strip -compress none pgm:"$img/gradient-ascii.pgm"
convert -size 4x3 gradient:black-white -colorspace Gray -depth 16 -strip pgm:"$img/gradient-16bit.pgm"
convert -size 4x3 xc:red -strip ppm:"$img/red.ppm"
convert -size 4x3 xc:red -strip -define png:color-type=2 "$img/red.png"
convert -size 16x16 xc:'gray(100)' -quality 95 -strip "$img/gray100.jpg"
convert -size 2x2 xc:white -strip gif:"$img/white.gif"
echo "fixtures written to $out and $img"
