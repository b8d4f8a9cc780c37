#!/usr/bin/env bash
# Renders the sample invoice images `make demo` scans (committed in samples/invoices). Needs zint, qrencode,
# ImageMagick and the DejaVu fonts; run only to change the samples.
set -euo pipefail
cd "$(dirname "$0")/.."
out=samples/invoices
mkdir -p "$out"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
font=DejaVu-Sans

# A tax invoice page: header, lines of items, a Code 128 invoice number and a QR with the invoice reference.
page() { # page NUMBER AMOUNT OUT
    local number=$1 amount=$2 dest=$3
    zint -b CODE128 -d "$number" --scale=2 --height=30 --notext -o "$tmp/c128.png" >/dev/null
    printf '%s' "upi://pay?pa=acme.traders@okhdfcbank&pn=Acme%20Traders&am=${amount}&cu=INR&tr=${number//\//}&tn=Invoice%20${number//\//%2F}" |
        qrencode -o "$tmp/qr.png" -s 5 -m 2
    convert -size 1000x1200 xc:white -font "$font" -fill black \
        -pointsize 30 -draw "text 40,70 'ACME DISTRIBUTORS PVT LTD'" \
        -pointsize 16 -draw "text 40,100 'GSTIN 27AAACA1234F1Z5  ·  Bhiwandi, Maharashtra'" \
        -pointsize 26 -draw "text 40,170 'TAX INVOICE'" \
        -pointsize 18 -draw "text 40,210 'Invoice No: ${number}'" -draw "text 40,240 'Date: 02/11/2026   Due: 02/12/2026'" \
        -draw "text 40,280 'Bill to: Sharma General Stores, Pune'" \
        -draw "line 40,320 860,320" -draw "text 40,350 'Item'" -draw "text 600,350 'Qty'" -draw "text 740,350 'Amount'" \
        -draw "line 40,365 860,365" \
        -draw "text 40,400 'Parle-G 800g (case)'" -draw "text 600,400 '12'" -draw "text 740,400 '7,560.00'" \
        -draw "text 40,435 'Tata Salt 1kg (bag)'" -draw "text 600,435 '20'" -draw "text 740,435 '5,400.00'" \
        -draw "text 40,470 'Surf Excel 1kg'" -draw "text 600,470 '10'" -draw "text 740,470 '2,150.00'" \
        -draw "line 40,500 860,500" -pointsize 22 -draw "text 520,540 'Total ₹${amount}'" \
        -pointsize 16 -draw "text 40,1150 'Scan to pay by UPI. Thank you for your business.'" \
        \( "$tmp/c128.png" \) -geometry +40+600 -composite \
        \( "$tmp/qr.png" \) -geometry +620+820 -composite \
        -colorspace Gray "$dest"
}

page 'INV/2026-27/004512' '15110.00' "$tmp/page1.png"
convert "$tmp/page1.png" -strip -define png:color-type=0 "$out/tax-invoice.png"

# The same page photographed: tilted, in dim uneven light, slightly out of focus, JPEG from a phone.
page 'INV/2026-27/004513' '8240.50' "$tmp/page2.png"
convert "$tmp/page2.png" -virtual-pixel white -distort Perspective '0,0 40,30  1000,0 950,0  0,1200 0,1180  1000,1200 980,1200' \
    -blur 0x1.2 \( -size 1000x1200 gradient:'gray(150)-gray(60)' \) -compose Multiply -composite \
    -seed 11 -attenuate 0.6 +noise Gaussian -resize 75% -quality 55 -strip "$out/invoice-photo.jpg"

# A payment QR on a phone screen: light modules on a dark background.
printf '%s' 'upi://pay?pa=acme.traders@okhdfcbank&pn=Acme%20Traders&am=2999.00&cu=INR&tr=INV2026270045' |
    qrencode -o "$tmp/qr.png" -s 6 -m 3
convert "$tmp/qr.png" -negate -bordercolor 'gray(25)' -border 60 -strip -define png:color-type=0 "$out/upi-on-screen.png"

# A delivery challan with its number in Code 39, printed sideways.
zint -b CODE39 -d 'DC2026004512' --scale=2 --height=40 -o "$tmp/c39.png" >/dev/null
convert -size 700x820 xc:'gray(245)' -font "$font" -pointsize 24 -draw "text 30,50 'DELIVERY CHALLAN'" \
    \( "$tmp/c39.png" -rotate 90 \) -geometry +480+40 -composite -depth 8 -strip -define png:color-type=0 "$out/delivery-challan.png"
ls -la "$out"
