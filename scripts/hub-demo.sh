#!/usr/bin/env bash
# The hub and a device, end to end, on this machine (make demo-hub): a hub on 127.0.0.1 with the sample
# invoices, a device enrolled with it, a UPI payment recorded on the device, a signed PSP webhook, and the
# invoice paid on both sides. Everything lives in .build/demo-hub and the hub is stopped at the end.
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
url=http://127.0.0.1:$port
export FIELDPAY_RAZORPAY_SECRET=whsec_demo

echo "== The hub: the sample invoices, a one-time code for Ravi's handheld, then serve on $url"
hub invoices import samples/invoices.csv --data "$work/hub"
code=$(hub devices enroll --rep Ravi --scope all --no-qr --data "$work/hub")
echo "$code"
"$bin/fieldpay-hub" serve --data "$work/hub" --port "$port" >"$work/hub.log" 2>&1 </dev/null &
hub_pid=$!
trap 'kill $hub_pid 2>/dev/null; wait $hub_pid 2>/dev/null || true' EXIT
for _ in $(seq 100); do curl -fsS --max-time 1 "$url/healthz" >/dev/null 2>&1 && break; sleep 0.1; done

echo
echo "== The device: enroll, pull the invoices, check its health"
fieldpay enroll --hub "$url" --code "$code"
fieldpay sync --once
fieldpay doctor --no-camera || true

echo
echo "== A UPI payment for INV/2026-27/004512, uploaded; then the PSP credits the QR"
tr=DEMO01INV202627004512DEMO01
fieldpay pay --invoice INV/2026-27/004512 --amount 15110 --upi --reference "$tr" >"$work/receipt.txt"
head -4 "$work/receipt.txt"
fieldpay sync --once
hub fake-psp --hub "$url" --tr "$tr" --amount 15110.00 --utr 412345678901
fieldpay sync --once

echo
echo "== Paid on both sides"
fieldpay lookup INV/2026-27/004512
hub invoices list --invoice INV/2026-27/004512 --data "$work/hub"
hub payments --data "$work/hub"
fieldpay invoices digest
hub invoices digest --data "$work/hub"
echo
echo "The hub's metrics (curl $url/metrics):"
curl -fsS "$url/metrics" | grep -E '^fieldpay_hub_(payments|credits|invoices)' || true
