#!/usr/bin/env bash
# The hub and TallyPrime (make demo-erp), on this machine: scripts/fake-tally.py stands in for TallyPrime's XML
# server (company "Sharma Distributors", 40 outstanding bills of 8 debtors). The hub pulls those bills as its
# invoice book, a device enrolls and syncs them, a rep takes a cash part-payment on one bill, the device uploads
# it, and the hub pushes it to Tally by itself: a Receipt voucher with its Agst Ref allocation, in the fake's
# log (.build/demo-erp/tally.jsonl). Then `erp reconcile` for today is clean and a second pull shows the bill
# lowered in Tally. Everything lives in .build/demo-erp; the hub and the fake are stopped at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${BIN:-.build/release}
work=.build/demo-erp
rm -rf "$work"
mkdir -p "$work"
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
port=${PORT:-$(free_port)}
url=http://127.0.0.1:$port

sed -e 's|^path = .*|path = "device.sqlite"|' -e 's|^key = .*|key = "device.key"|' \
    -e 's|"keys/demo-irp.pem"|"'"$PWD"'/devices/keys/demo-irp.pem"|' -e 's|"\.\./samples/|"'"$PWD"'/samples/|' devices/demo.toml >"$work/device.toml"
fieldpay() { echo "\$ fieldpay $*" >&2; "$bin/fieldpay" "$@" --profile "$work/device.toml"; }
hub() { echo "\$ fieldpay-hub $*" >&2; "$bin/fieldpay-hub" "$@"; }

echo "== A stand-in for TallyPrime on 127.0.0.1 (scripts/fake-tally.py): company 'Sharma Distributors', 40 bills receivable"
python3 scripts/fake-tally.py 0 --company "Sharma Distributors" --ledger "HDFC Bank" --bills 40 --parties 8 --seed 7 \
    --log "$work/tally.jsonl" >"$work/tally.out" 2>&1 </dev/null &
tally_pid=$!
trap 'kill $tally_pid ${hub_pid:-} 2>/dev/null; wait $tally_pid ${hub_pid:-} 2>/dev/null || true' EXIT
for _ in $(seq 100); do grep -q listening "$work/tally.out" 2>/dev/null && break; sleep 0.1; done
tally_port=$(sed -n 's/.*127\.0\.0\.1:\([0-9]*\).*/\1/p' "$work/tally.out")
cat "$work/tally.out"
cat >"$work/hub.toml" <<TOML
[hub]
data = "hub"

[erp.tally]
url = "http://127.0.0.1:$tally_port"   # a real TallyPrime: http://<its address>:9000
company = "Sharma Distributors"
upi_ledger = "HDFC Bank"
cash_ledger = "Cash"
cheque_ledger = "HDFC Bank"
TOML

echo
echo "== The hub pulls Tally's outstanding bills as its invoice book"
hub erp pull --config "$work/hub.toml"
hub invoices list --data "$work/hub" >"$work/invoices.txt"
head -6 "$work/invoices.txt"
code=$(hub devices enroll --rep Ravi --scope all --no-qr --data "$work/hub")
"$bin/fieldpay-hub" serve --config "$work/hub.toml" --port "$port" >"$work/hub.log" 2>&1 </dev/null &
hub_pid=$!
for _ in $(seq 100); do curl -fsS --max-time 1 "$url/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
curl -fsS --max-time 1 "$url/healthz" >/dev/null || { echo "the hub did not start (port $port taken? PORT=N make demo-erp):" >&2; cat "$work/hub.log" >&2; exit 1; }

echo
echo "== A device enrolls, syncs the bills, and takes Rs 500 in cash on bill TB/000003"
fieldpay enroll --hub "$url" --code "$code"
fieldpay sync --once
fieldpay lookup TB/000003 >"$work/lookup.txt"
head -3 "$work/lookup.txt"
fieldpay pay --invoice TB/000003 --amount 500.00 --cash >"$work/receipt.txt"
head -4 "$work/receipt.txt"
fieldpay sync --once

echo
echo "== The hub pushes it to Tally by itself (no command): the Receipt voucher Tally holds"
for _ in $(seq 100); do grep -q '"created"' "$work/tally.jsonl" 2>/dev/null && break; sleep 0.1; done
python3 - "$work/tally.jsonl" <<'PY'
import json, sys
for line in open(sys.argv[1]):
    v = json.loads(line)
    print(f"{v['event']}: {v['type']} voucher dated {v['date']}, REMOTEID {v['remote_id']}, reference {v['reference']}")
    print(f"  narration: {v['narration']}")
    for entry in v["lines"]:
        print(f"  {entry['ledger']:<28} {entry['amount']:>10}" + "".join(f"   {b['type']} {b.get('name') or ''} {b['amount']}" for b in entry["bills"]))
PY
hub erp status --config "$work/hub.toml"

echo
echo "== Today's reconciliation: the hub's payments against Tally's receipts"
hub erp reconcile --config "$work/hub.toml"
echo
echo "== Pulled again: Tally's bill is Rs 500 lower, and so is the hub's"
hub erp pull --config "$work/hub.toml"
hub invoices list --invoice TB/000003 --data "$work/hub"
echo
echo "== The customer's cash turns out short: the payment is reversed at the hub, and the running hub cancels the voucher in Tally"
receipt=$(hub payments list --limit 1 --data "$work/hub" | head -1 | cut -f1)
hub payments reverse "$receipt" --reason "counterfeit notes found at the bank" --data "$work/hub"
for _ in $(seq 100); do grep -q '"event": "cancelled"' "$work/tally.jsonl" 2>/dev/null && break; sleep 0.1; done
python3 - "$work/tally.jsonl" <<'PY'
import json, sys
for line in open(sys.argv[1]):
    v = json.loads(line)
    if v["event"] == "cancelled":
        print(f"cancelled in Tally: REMOTEID {v['remote_id']}, kept as a cancelled voucher; narration: {v['narration']}")
PY
hub erp status --config "$work/hub.toml"
hub invoices list --invoice TB/000003 --data "$work/hub"
echo
echo "Tally's log of every voucher: $work/tally.jsonl; the hub's: $work/hub.log"
