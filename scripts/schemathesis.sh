#!/usr/bin/env bash
# Runs schemathesis (property-based API testing, from PyPI) against a real hub, with the protocol spec
# Sources/HubAPI/openapi.yaml. Starts the hub on a free 127.0.0.1 port in a fresh data folder with the sample
# invoices, enrolls a device for a bearer token, runs schemathesis, stops the hub. Exit status: schemathesis's
# (1 when it found failures), or 2 when the rig itself could not start.
#   scripts/schemathesis.sh                          # the hub in .build/debug/fieldpay-hub
#   scripts/schemathesis.sh /path/to/fieldpay-hub    # or FIELDPAY_HUB=/path/to/fieldpay-hub
#   ST_MAX_EXAMPLES=500 ST_SEED=7 scripts/schemathesis.sh    # longer / another seed
# The venv is .build/schemathesis-venv (created on first use, about 15 s). Reports (JUnit, NDJSON with every
# request and response) go to .build/schemathesis/report/; a failure prints its curl reproducer.
# Per-operation settings are in scripts/schemathesis.toml, request rewriting in scripts/schemathesis_hooks.py.
# Needs curl and python3 with venv (Debian: python3-venv); the run takes about a minute.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

hub=${1:-${FIELDPAY_HUB:-.build/debug/fieldpay-hub}}
[ -x "$hub" ] || { echo "schemathesis: no hub binary at $hub (build it, or pass its path)" >&2; exit 2; }
spec=$root/Sources/HubAPI/openapi.yaml
config=$root/scripts/schemathesis.toml  # per-operation settings (expected statuses, timeouts)
venv=$root/.build/schemathesis-venv
version=${SCHEMATHESIS_VERSION:-4.32.5}
max_examples=${ST_MAX_EXAMPLES:-100}
seed=${ST_SEED:-20261130}
state=$root/.build/schemathesis  # its working folder: .schemathesis/ and .hypothesis/ land there, not in the repo
reports=$state/report
# Every check but unsupported_method: Hummingbird answers 404, not 405, to a method a path does not have,
# and that is the framework's router, not the protocol.
checks=not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance
checks+=,response_schema_conformance,negative_data_rejection,positive_data_acceptance,missing_required_header
checks+=,ignored_auth,use_after_free,ensure_resource_availability

# The venv, once (quiet; a pinned version so that runs compare).
# It sees Debian's python3-cryptography (the hooks sign payment receipts with it).
if ! "$venv/bin/python" -c "import cryptography, importlib.metadata as m, sys; sys.exit(m.version('schemathesis') != '$version')" 2>/dev/null; then
    echo "schemathesis: installing schemathesis $version into $venv"
    rm -rf "$venv"
    python3 -m venv --system-site-packages "$venv"
    timeout 300 "$venv/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$version"
fi

work=$(mktemp -d)
hub_pid=
cleanup() {
    if [ -n "$hub_pid" ] && kill -0 "$hub_pid" 2>/dev/null; then
        kill -TERM "$hub_pid" 2>/dev/null || true
        for _ in $(seq 50); do kill -0 "$hub_pid" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$hub_pid" 2>/dev/null || true
        wait "$hub_pid" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

"$hub" invoices import "$root/samples/invoices.csv" --data "$work/data" >/dev/null
code=$("$hub" devices enroll --rep Schemathesis --data "$work/data")
FIELDPAY_MANAGER_TOKEN=$("$hub" managers add --name Schemathesis --data "$work/data")
export FIELDPAY_MANAGER_TOKEN  # scripts/schemathesis.toml sends it to the managers' endpoints
export FIELDPAY_RAZORPAY_SECRET=whsec_schemathesis  # the hooks sign webhooks with it

# The fuzzer sends wrong tokens on purpose, the enrolled device's id among them: the lockout after ten failures a
# minute (tested by HubTests' RateLimitTests) would answer the rest of the run 429, so this hub allows a million.
printf '[hub]\nauth_failure_limit = 1000000\n' >"$work/hub.toml"

# A free port (the kernel's pick); if another process takes it first, the hub fails and we try again.
for attempt in 1 2 3; do
    port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    "$hub" serve --config "$work/hub.toml" --data "$work/data" --host 127.0.0.1 --port "$port" >"$work/hub.log" 2>&1 </dev/null &
    hub_pid=$!
    for _ in $(seq 100); do  # up to 10 s
        curl -fsS --max-time 1 "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break
        kill -0 "$hub_pid" 2>/dev/null || break
        sleep 0.1
    done
    curl -fsS --max-time 1 "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break
    kill "$hub_pid" 2>/dev/null || true
    wait "$hub_pid" 2>/dev/null || true
    hub_pid=
    [ "$attempt" = 3 ] && { echo "schemathesis: the hub did not start:" >&2; cat "$work/hub.log" >&2; exit 2; }
done
base=http://127.0.0.1:$port

# The device's receipt key: enrolled here, and the hooks sign the payments they make valid with it.
FIELDPAY_DEVICE_KEY=$(cd "$root/scripts" && python3 -c 'import base64; from fieldpay_receipts import DeviceKey; print(base64.b64encode(DeviceKey().seed).decode())')
export FIELDPAY_DEVICE_KEY
public_key=$(cd "$root/scripts" && python3 -c 'import base64, os; from fieldpay_receipts import DeviceKey; print(DeviceKey(base64.b64decode(os.environ["FIELDPAY_DEVICE_KEY"])).public)')
enrolled=$(curl -fsS --max-time 10 -X POST "$base/v1/devices/enroll" -H 'Content-Type: application/json' \
    -d "{\"code\":\"$code\",\"device_name\":\"schemathesis\",\"public_key\":\"$public_key\",\"device_code\":\"SCHEMA1\"}")
token=$(python3 -c 'import json, sys; r = json.load(sys.stdin); print(r["device_id"] + "." + r["secret"])' <<<"$enrolled")
export FIELDPAY_DEVICE_TOKEN=$token  # and this one to the rest

rm -rf "$reports"
mkdir -p "$reports"
echo "schemathesis: hub $hub on $base; $max_examples examples per operation, seed $seed"
status=0
# One worker and no example database: the same seed makes the same run. timeout bounds a hung run.
(cd "$state" && CI=true PYTHONDONTWRITEBYTECODE=1 PYTHONPATH="$root/scripts" SCHEMATHESIS_HOOKS=schemathesis_hooks \
    timeout --kill-after=10 300 "$venv/bin/schemathesis" --config-file "$config" run "$spec" \
    --url "$base" \
    --checks "$checks" \
    --max-examples "$max_examples" \
    --seed "$seed" \
    --workers 1 \
    --generation-database none \
    --request-timeout 10 \
    --no-color \
    --report junit,ndjson --report-dir "$reports" </dev/null) || status=$?

if ! kill -0 "$hub_pid" 2>/dev/null; then
    echo "schemathesis: the hub died during the run:" >&2
    tail -20 "$work/hub.log" >&2
    status=1
fi
exit "$status"
