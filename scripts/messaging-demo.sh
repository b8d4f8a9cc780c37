#!/usr/bin/env bash
# Messages to customers on a demo book (make demo-messaging): the collections demo book (36 customers with
# mobile numbers, ~240 payments uploaded through the hub, the day's reminders), a hub whose [messaging.whatsapp]
# points at scripts/fake-whatsapp.py on 127.0.0.1 (which logs every message it takes and sends back signed
# sent/delivered/read statuses, as Meta's Cloud API does), and the dashboard's Messages page. Everything lives
# in .build/demo-messaging; the fake's log is .build/demo-messaging/whatsapp.jsonl.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${BIN:-.build/release}
work=.build/demo-messaging
port=${PORT:-8091}
fake_port=${FAKE_PORT:-8092}
rm -rf "$work"
mkdir -p "$work/secrets"
hub() { echo "\$ fieldpay-hub $*" >&2; "$bin/fieldpay-hub" "$@" --data "$work/hub"; }
url=http://127.0.0.1:$port
printf 'EAAG-demo-token\n' >"$work/secrets/whatsapp-token"
printf 'demo-app-secret\n' >"$work/secrets/whatsapp-app-secret"
chmod 600 "$work/secrets/"*
cat >"$work/hub.toml" <<TOML
[hub]
data = "hub"

[messaging]
public_url = "$url"
upi_vpa = "sharma.distributors@okaxis"
payee_name = "Sharma Distributors"
quiet_start = 0     # the demo runs at any hour; a real hub keeps 21:00-09:00 quiet
quiet_end = 0

[messaging.whatsapp]
api_base = "http://127.0.0.1:$fake_port"
phone_number_id = "106540352242922"
access_token_file = "secrets/whatsapp-token"
app_secret_file = "secrets/whatsapp-app-secret"
TOML

echo "== A demo book at the hub (its payments queue their receipts; the run queues one reminder per overdue customer)"
hub collections demo-book | head -1
token=$(hub managers add --name "Demo manager")
python3 scripts/fake-whatsapp.py "$fake_port" --token EAAG-demo-token --phone-number-id 106540352242922 \
    --log "$work/whatsapp.jsonl" --webhook "$url/v1/messaging/whatsapp" --app-secret demo-app-secret >"$work/fake.log" 2>&1 </dev/null &
fake_pid=$!
"$bin/fieldpay-hub" serve --config "$work/hub.toml" --port "$port" >"$work/hub.log" 2>&1 </dev/null &
hub_pid=$!
trap 'kill $hub_pid $fake_pid 2>/dev/null; wait $hub_pid $fake_pid 2>/dev/null || true' EXIT
for _ in $(seq 100); do curl -fsS --max-time 1 "$url/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
curl -fsS --max-time 1 "$url/healthz" >/dev/null || { echo "the hub did not start (port $port taken? PORT=N make demo-messaging):" >&2; cat "$work/hub.log" >&2; exit 1; }

echo
echo "== The hub sends them (WhatsApp fake on 127.0.0.1:$fake_port)"
for _ in $(seq 300); do
    waiting=$("$bin/fieldpay-hub" messages list --state queued --limit 5000 --data "$work/hub" | tail -n +2 | wc -l)
    [ "$waiting" -eq 0 ] && break
    sleep 0.2
done
sleep 3  # the fake's delivered and read statuses come back a moment later
python3 - "$work/whatsapp.jsonl" <<'PY'
import collections, json, sys
taken = [json.loads(line) for line in open(sys.argv[1]) if line.strip()]
print(f"the fake WhatsApp took {len(taken)} messages: " + ", ".join(f"{n} {t}" for t, n in collections.Counter(m["template"] for m in taken).items()))
PY
hub messages list --limit 8

echo
echo "FieldPay messages: open $url/manage/messages (sign in with the manager token below); each customer's page"
echo "lists theirs. A receipt's link, as the customer gets it: see the text of any receipt message."
echo "  $token"
if [ -n "${DEMO_SECONDS:-}" ]; then
    sleep "$DEMO_SECONDS"
else
    echo "(Ctrl-C stops the hub and the fake)"
    wait $hub_pid
fi
