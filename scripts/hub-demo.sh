#!/usr/bin/env bash
# The hub and a device, end to end, on this machine (make demo-hub): a hub serving HTTPS on 127.0.0.1 with a
# certificate from a private CA made here, the sample invoices, a device enrolled with it (trusting only that
# CA), a UPI payment recorded on the device, a signed PSP webhook, and the invoice paid on both sides.
# Everything lives in .build/demo-hub and the hub is stopped at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${BIN:-.build/release}
work=.build/demo-hub
rm -rf "$work"
mkdir -p "$work"

# The device: the demo profile, with its own database and key in the work folder.
sed -e 's|^path = .*|path = "device.sqlite"|' -e 's|^key = .*|key = "device.key"|' \
    -e 's|"keys/demo-irp.pem"|"'"$PWD"'/devices/keys/demo-irp.pem"|' -e 's|"\.\./samples/|"'"$PWD"'/samples/|' devices/demo.toml >"$work/device.toml"
fieldpay() { echo "\$ fieldpay $*" >&2; "$bin/fieldpay" "$@" --profile "$work/device.toml"; }
hub() { echo "\$ fieldpay-hub $*" >&2; "$bin/fieldpay-hub" "$@"; }

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
url=https://127.0.0.1:$port
export FIELDPAY_RAZORPAY_SECRET=whsec_demo

echo "== A private CA for this demo, and the hub's certificate it issues for 127.0.0.1 (openssl)"
tls=$work/tls
mkdir -p "$tls"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$tls/ca.key" -out "$tls/ca.pem" -days 30 \
    -subj '/CN=FieldPay demo CA' 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$tls/hub.key" -out "$tls/hub.csr" -subj '/CN=127.0.0.1' 2>/dev/null
printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' >"$tls/ext.cnf"
openssl x509 -req -in "$tls/hub.csr" -CA "$tls/ca.pem" -CAkey "$tls/ca.key" -CAcreateserial -out "$tls/hub.pem" -days 30 \
    -extfile "$tls/ext.cnf" 2>/dev/null
chmod 600 "$tls"/*.key
openssl x509 -in "$tls/hub.pem" -noout -subject -issuer -ext subjectAltName

echo
echo "== The hub: the sample invoices, a one-time code for Ravi's handheld, then serve HTTPS on $url"
hub invoices import samples/invoices.csv --data "$work/hub"
code=$(hub devices enroll --rep Ravi --scope all --no-qr --data "$work/hub")
echo "$code"
manager=$(hub managers add --name "Demo manager" --data "$work/hub")
"$bin/fieldpay-hub" serve --data "$work/hub" --port "$port" --tls-cert "$tls/hub.pem" --tls-key "$tls/hub.key" >"$work/hub.log" 2>&1 </dev/null &
hub_pid=$!
trap 'kill $hub_pid 2>/dev/null; wait $hub_pid 2>/dev/null || true' EXIT
for _ in $(seq 100); do curl -fsS --max-time 1 --cacert "$tls/ca.pem" "$url/healthz" >/dev/null 2>&1 && break; sleep 0.1; done

echo
echo "== The device: enroll (trusting only the demo CA for this hub), pull the invoices, check its health"
fieldpay enroll --hub "$url" --code "$code" --ca-file "$tls/ca.pem"
fieldpay sync --once
fieldpay doctor --no-camera || true

echo
echo "== A UPI payment for INV/2026-27/004512, uploaded; then the PSP credits the QR"
tr=DEMO01INV202627004512DEMO01
fieldpay pay --invoice INV/2026-27/004512 --amount 15110 --upi --reference "$tr" >"$work/receipt.txt"
head -4 "$work/receipt.txt"
fieldpay sync --once
hub fake-psp --hub "$url" --ca-file "$tls/ca.pem" --tr "$tr" --amount 15110.00 --utr 412345678901
fieldpay sync --once

echo
echo "== Paid on both sides"
fieldpay lookup INV/2026-27/004512
hub invoices list --invoice INV/2026-27/004512 --data "$work/hub"
hub payments --data "$work/hub"
fieldpay invoices digest
hub invoices digest --data "$work/hub"
echo
echo "The hub's metrics (curl --cacert $tls/ca.pem -H 'Authorization: Bearer <a manager's token>' $url/metrics):"
curl -fsS --cacert "$tls/ca.pem" -H "Authorization: Bearer $manager" "$url/metrics" | grep -E '^fieldpay_hub_(payments|credits|invoices)' || true
