#!/usr/bin/env bash
# Collections at the hub, on a demo book (make demo-collections): a hub filled with a distributor's last five
# months (36 customers, 4 reps with a device each, payments, rules that allocate the overdue invoices,
# follow-ups, a dispute, reminders), a manager's token for the dashboard, and Ravi's handheld enrolled with
# "assigned" scope so that it receives only what is allocated to Ravi. Then the dashboard is served until
# Ctrl-C (or for DEMO_SECONDS). Everything lives in .build/demo-collections.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${BIN:-.build/release}
work=.build/demo-collections
port=${PORT:-8090}
rm -rf "$work"
mkdir -p "$work"
sed -e 's|^path = .*|path = "device.sqlite"|' -e 's|^key = .*|key = "device.key"|' \
    -e 's|"keys/demo-irp.pem"|"'"$PWD"'/devices/keys/demo-irp.pem"|' -e 's|"\.\./samples/|"'"$PWD"'/samples/|' devices/demo.toml >"$work/device.toml"
fieldpay() { echo "\$ fieldpay $*" >&2; "$bin/fieldpay" "$@" --profile "$work/device.toml"; }
hub() { echo "\$ fieldpay-hub $*" >&2; "$bin/fieldpay-hub" "$@" --data "$work/hub"; }
url=http://127.0.0.1:$port
export FIELDPAY_RAZORPAY_SECRET=whsec_demo

echo "== A demo book at the hub"
hub collections demo-book | head -1
token=$(hub managers add --name "Demo manager")
code=$(hub devices enroll --rep Ravi --no-qr)
"$bin/fieldpay-hub" serve --data "$work/hub" --port "$port" >"$work/hub.log" 2>&1 </dev/null &
hub_pid=$!
trap 'kill $hub_pid 2>/dev/null; wait $hub_pid 2>/dev/null || true' EXIT
for _ in $(seq 100); do curl -fsS --max-time 1 "$url/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
curl -fsS --max-time 1 "$url/healthz" >/dev/null || { echo "the hub did not start (port $port taken? PORT=N make demo-collections):" >&2; cat "$work/hub.log" >&2; exit 1; }

echo
echo "== Ravi's handheld receives only what is allocated to Ravi"
curl -fsS -X PUT "$url/v1/reps/Ravi" -H "Authorization: Bearer $token" -H 'Content-Type: application/json' -d '{"scope":"assigned"}'
echo
fieldpay enroll --hub "$url" --code "$code"
fieldpay sync --once
fieldpay invoices digest
echo "(the hub's allocation board lists the same count for Ravi)"

echo
echo "== The collections reports, from the command line"
hub report aging --limit 5
hub report dso

echo
echo "FieldPay collections dashboard: open $url/manage and sign in with this manager token:"
echo "  $token"
if [ -n "${DEMO_SECONDS:-}" ]; then
    sleep "$DEMO_SECONDS"
else
    echo "(Ctrl-C stops the hub)"
    wait $hub_pid
fi
