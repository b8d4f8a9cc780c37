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
        -pointsize 16 -draw "text 40,100 'GSTIN 27AAACA1234F1ZA  ·  Bhiwandi, Maharashtra'" \
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
# A GST e-invoice signed QR (IRP style: a compact JWS, RS256, the invoice fields in the "data" claim), signed
# with a demo key made here. Its public half goes to devices/keys/demo-irp.pem, which devices/demo.toml trusts.
b64url() { openssl base64 -A | tr '+/' '-_' | tr -d '='; }
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$tmp/irp.key" 2>/dev/null
openssl pkey -in "$tmp/irp.key" -pubout -out devices/keys/demo-irp.pem
irn=5f3c9a1e8b7d6c4f2a1e0d9c8b7a6f5e4d3c2b1a0f9e8d7c6b5a4f3e2d1c0b9a
data='{"SellerGstin":"27AAACA1234F1ZA","BuyerGstin":"29AAGFR7310M1ZT","DocNo":"INV/2026-27/004520","DocTyp":"INV","DocDt":"15/10/2026","TotInvVal":118000.5,"ItemCnt":4,"MainHsnCode":"19053100","Irn":"'$irn'","IrnDt":"2026-10-15 11:42:00"}'
claims=$(printf '%s' "$data" | python3 -c 'import json,sys; print(json.dumps({"data": sys.stdin.read(), "iss": "NIC"}, separators=(",", ":")), end="")')
signing_input="$(printf '%s' '{"alg":"RS256","kid":"demo-irp","typ":"JWT"}' | b64url).$(printf '%s' "$claims" | b64url)"
signature=$(printf '%s' "$signing_input" | openssl dgst -sha256 -sign "$tmp/irp.key" -binary | b64url)
printf '%s' "$signing_input.$signature" | qrencode -o "$tmp/einv.png" -s 3 -m 4 -l M
convert -size 760x900 xc:white -font "$font" -fill black -pointsize 24 -draw "text 30,50 'e-Invoice  ·  IRN ${irn:0:16}…'" \
    -pointsize 16 -draw "text 30,85 'Ack No 112610150042  ·  Rao & Sons, Hubli'" \
    \( "$tmp/einv.png" \) -geometry +40+120 -composite -colorspace Gray -strip -define png:color-type=0 "$out/e-invoice-qr.png"

# A GS1-128 payment slip: payee GLN (415), payment reference (8020) and amount payable in paise (3902).
zint -b GS1_128 -d '[415]8901234000007[8020]INV/2026-27/004518[3902]236000' --scale=1 --height=60 --notext -o "$tmp/gs1.png" >/dev/null
convert -size 1000x300 xc:white -font "$font" -fill black -pointsize 20 -draw "text 60,40 'PAYMENT SLIP  ·  Gupta Medicals  ·  ₹2,360.00'" \
    \( "$tmp/gs1.png" \) -geometry +60+70 -composite -colorspace Gray -strip -define png:color-type=0 "$out/gs1-payment-slip.png"

# A distributor's own shelf label: ACME*<invoice>*<amount>*<date> in a small QR (devices/demo.toml's pattern).
printf '%s' 'ACME*INV/2026-27/004530*6725.25*20/11/2026' | qrencode -o "$tmp/label.png" -s 4 -m 4
convert "$tmp/label.png" -bordercolor white -border 20 -colorspace Gray -strip -define png:color-type=0 "$out/acme-label.png"
ls -la "$out"
