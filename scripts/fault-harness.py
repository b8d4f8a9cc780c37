#!/usr/bin/env python3
"""The sync fault harness: no fault loses or doubles a payment, and an interrupted sync converges.

    fault-harness.py payments --bin DIR [--payments 1000] [--devices 2] [--seed N]
    fault-harness.py sync     --bin DIR [--invoices 1000000] [--interruptions 20] [--seed N]
    fault-harness.py messaging --bin DIR [--payments 500] [--seed N]
    fault-harness.py erp      --bin DIR [--payments 1000] [--bills 100000] [--seed N]

`payments`: a real hub on 127.0.0.1, scripts/fault-proxy.py in front of it (drops 15% of requests, drops 15%
of replies after the hub applied them, duplicates 5%, delays some), and per device two processes through the
proxy, each SIGKILLed every 50-500 ms and restarted: one recording Rs 1 cash payments
(`fieldpay ledger-torture`), one syncing (`fieldpay sync`). When the devices hold N payments between them the
recording stops, sync runs to an empty queue through the same faults, and the hub's SQLite file is read
directly: it must hold exactly the devices' payments, each once, with receipt numbers gap-free per device.

`sync`: a hub holding --invoices invoices (plus deletions and changes made while the device syncs), a device
syncing with `fieldpay sync --once` SIGKILLed --interruptions times at random moments, then run to the end;
the device's `fieldpay invoices digest` must equal the hub's.

`messaging`: a real hub sending receipts to scripts/fake-whatsapp.py (which records every message it takes
before it answers, and answers a tenth of them only after the hub's 2 s timeout), SIGKILLed every 0.3-1.5 s and
restarted while --payments cash payments are uploaded to it. Then the hub runs to an empty outbox, the fake's
status webhooks for everything it took are posted to it (signed), and a manager's retry is made for every
message still unconfirmed. The checks: one receipt message per payment; the fake took no message twice, and
took every payment's receipt once in the end; every message delivered.

`erp`: a real hub with [erp.tally] pointing through the fault proxy at scripts/fake-tally.py, SIGKILLed every
0.5-2 s and restarted while --payments cash payments (some split over two invoices) are uploaded to it, and on
until its ERP outbox is all sent. The checks: the fake holds exactly one Receipt voucher per payment, none
created twice, each with the hub's bill allocations and amount; then --reversals of them reversed at the hub's
command line while the killing goes on: exactly their vouchers cancelled in the fake, no other, the outbox all
sent or cancelled; reconcile finds a voucher deleted in the fake,
sends it again and is then clean; and --bills outstanding bills pulled from another fake into a new hub. Then
--zoho-payments payments the same way to scripts/fake-zoho.py (Zoho has no idempotency key: the hub searches
by reference number before it creates), --reversals of them reversed: Zoho must hold exactly one customer payment
per payment not reversed, none twice, none for a reversed one.

Exit status 0 when every check holds, 1 with the failed checks printed. The standard library, and Debian's
python3-cryptography for the messaging mode's receipt signatures (scripts/fieldpay_receipts.py); every wait is
bounded.
"""
import argparse
import json
import os
import random
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from fieldpay_receipts import DeviceKey  # noqa: E402 (next to this script)


def log(message):
    print(f"[harness {time.strftime('%H:%M:%S')}] {message}", flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_listening(port, process, seconds=30):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"process {process.args[0]} exited with {process.returncode} before listening")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise SystemExit(f"nothing listening on port {port} after {seconds} s")


def run(args, env=None, timeout=600, check=True):
    result = subprocess.run(args, env=env, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)
    if check and result.returncode != 0:
        raise SystemExit(f"{' '.join(args)} exited {result.returncode}:\n{result.stdout}\n{result.stderr}")
    return result


class Hub:
    def __init__(self, bin_dir, work):
        self.bin = os.path.join(bin_dir, "fieldpay-hub")
        self.data = os.path.join(work, "hub")
        self.process = None
        self.port = None

    def cli(self, *args, timeout=600, check=True):
        return run([self.bin, *args, "--data", self.data], timeout=timeout, check=check)

    def start(self):
        self.port = free_port()
        env = dict(os.environ, FIELDPAY_RAZORPAY_SECRET="whsec_harness")
        self.log = open(os.path.join(self.data, "serve.log"), "ab")
        self.process = subprocess.Popen(
            [self.bin, "serve", "--data", self.data, "--port", str(self.port)],
            env=env, stdin=subprocess.DEVNULL, stdout=self.log, stderr=self.log)
        wait_listening(self.port, self.process)
        return f"http://127.0.0.1:{self.port}"

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def query(self, sql, args=()):
        with sqlite3.connect(f"file:{os.path.join(self.data, 'hub.sqlite')}?mode=ro", uri=True, timeout=30) as db:
            return db.execute(sql, args).fetchall()


class Proxy:
    def __init__(self, upstream_port, seed, work, duplicate="0.05", drop="0.15", delay="0.2"):
        self.port = free_port()
        self.process = subprocess.Popen(
            [sys.executable, os.path.join(HERE, "fault-proxy.py"), str(self.port), str(upstream_port),
             "--drop-request", drop, "--drop-reply", drop, "--duplicate", duplicate, "--delay", delay,
             "--seed", str(seed), "--log", os.path.join(work, "proxy.log")],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, text=True)
        line = self.process.stdout.readline()
        if "listening" not in line:
            raise SystemExit(f"the fault proxy did not start: {line!r}")
        self.url = f"http://127.0.0.1:{self.port}"

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=10)


class Device:
    def __init__(self, bin_dir, work, code):
        self.bin = os.path.join(bin_dir, "fieldpay")
        self.code = code
        self.dir = os.path.join(work, code)
        os.makedirs(self.dir)
        self.profile = os.path.join(self.dir, "device.toml")
        with open(self.profile, "w") as f:
            f.write(f'[device]\ncode = "{code}"\nname = "Harness {code}"\ntimezone = "Asia/Kolkata"\n\n'
                    '[store]\npath = "device.sqlite"\n\n[upi]\nvpa = "acme.traders@okhdfcbank"\nname = "Acme Distributors"\n')
        self.env = dict(os.environ, FIELDPAY_PROFILE=self.profile)
        self.db = os.path.join(self.dir, "device.sqlite")

    def cli(self, *args, timeout=600, check=True):
        return run([self.bin, *args], env=self.env, timeout=timeout, check=check)

    def spawn(self, *args):
        return subprocess.Popen([self.bin, *args], env=self.env, stdin=subprocess.DEVNULL,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def enroll(self, hub, direct_url, via_url):
        code = hub.cli("devices", "enroll", "--rep", f"Rep {self.code}", "--scope", "all").stdout.strip()
        self.cli("enroll", "--hub", direct_url, "--code", code)
        # Enrolled directly; from now on every request goes through the fault proxy.
        credentials_path = os.path.join(self.dir, "hub.json")
        with open(credentials_path) as f:
            credentials = json.load(f)
        self.device_id = credentials["deviceID"]
        credentials["hubURL"] = via_url
        with open(credentials_path, "w") as f:
            json.dump(credentials, f)

    def query(self, sql, args=()):
        if not os.path.exists(self.db):
            return []
        with sqlite3.connect(f"file:{self.db}?mode=ro", uri=True, timeout=30) as db:
            return db.execute(sql, args).fetchall()

    def sync_until(self, done, attempts=400):
        for attempt in range(attempts):
            result = self.cli("sync", "--once", check=False, timeout=120)
            if result.returncode == 0 and done():
                return attempt + 1
        raise SystemExit(f"{self.code}: sync did not finish in {attempts} rounds; last: {result.stderr.strip()}")


def kill(process):
    if process and process.poll() is None:
        process.send_signal(signal.SIGKILL)
        process.wait()


def payments(args):
    rng = random.Random(args.seed)
    work = tempfile.mkdtemp(prefix="fieldpay-harness-")
    hub = Hub(args.bin, work)
    os.makedirs(hub.data)
    invoices = os.path.join(work, "invoices.csv")
    codes = [f"FH{n:02d}" for n in range(1, args.devices + 1)]
    with open(invoices, "w") as f:
        f.write("invoice_number,invoice_date,due_date,customer_code,customer_name,total\n")
        for code in codes:
            f.write(f"BULK/{code},2026-11-01,2026-12-31,C{code},Harness customer {code},10000000.00\n")
    hub.cli("invoices", "import", invoices)
    direct = hub.start()
    proxy = Proxy(hub.port, args.seed, work)
    log(f"hub {direct}, fault proxy {proxy.url}, work in {work}")
    failures = []
    try:
        devices = [Device(args.bin, work, code) for code in codes]
        for device in devices:
            device.enroll(hub, direct, proxy.url)
            device.sync_until(lambda d=device: d.query("SELECT 1 FROM invoice WHERE number = ?", (f"BULK/{d.code}",)) != [])
        share = [args.payments // len(devices) + (1 if i < args.payments % len(devices) else 0) for i in range(len(devices))]
        recorded = lambda d: d.query("SELECT COUNT(*) FROM payment")[0][0] if d.query("SELECT name FROM sqlite_master WHERE name = 'payment'") else 0
        # Each device: a recorder and a syncer, each killed every 50-500 ms and restarted.
        processes = {}
        deadlines = {}
        kills = 0
        started = time.monotonic()
        last_report = started
        unsent = lambda d: d.query("SELECT COUNT(*) FROM outbox WHERE state IN ('pending', 'retrying')")[0][0] if recorded(d) else 0
        rejected = lambda d: d.query("SELECT COUNT(*) FROM outbox WHERE state = 'rejected'")[0][0] if recorded(d) else 0
        while True:
            # Until every payment is recorded and uploaded, with the kills going on all the while.
            remaining = [share[i] - recorded(d) for i, d in enumerate(devices)]
            if all(r <= 0 for r in remaining) and all(unsent(d) == 0 for d in devices):
                break
            if any(rejected(d) for d in devices):
                # The hub refused an upload for good: that payment will never arrive. Stop and say which.
                for d in devices:
                    for row in d.query("SELECT receiptNumber, lastError FROM outbox WHERE state = 'rejected' LIMIT 3"):
                        failures.append(f"{d.code}: the hub rejected {row[0]}: {row[1]}")
                raise SystemExit("\n".join(failures))
            if time.monotonic() - started > args.max_seconds:
                raise SystemExit(f"not done in {args.max_seconds} s: to record {remaining}, to upload {[unsent(d) for d in devices]}")
            now = time.monotonic()
            for i, device in enumerate(devices):
                for role in ("record", "sync"):
                    key = (device.code, role)
                    process = processes.get(key)
                    if process is not None and (now >= deadlines[key] or process.poll() is not None):
                        if process.poll() not in (None, 0):
                            # Only a kill may end them early: a recorder that found the ledger broken exits 3.
                            failures.append(f"{device.code}: {role} exited {process.returncode} on its own")
                            raise SystemExit("\n".join(failures))
                        if process.poll() is None:
                            kill(process)
                            kills += 1
                        processes[key] = process = None
                    if process is None:
                        if role == "record":
                            left = share[i] - recorded(device)
                            if left <= 0:
                                continue
                            process = device.spawn("ledger-torture", "--invoice", f"BULK/{device.code}", "--count", str(left))
                        else:
                            process = device.spawn("sync", "--interval", "0.05")
                        processes[key] = process
                        deadlines[key] = now + rng.uniform(0.05, 0.5)
            if now - last_report > 10:
                last_report = now
                log(f"recorded {[recorded(d) for d in devices]} of {share}, not yet uploaded {[unsent(d) for d in devices]}; {kills} kills so far")
            time.sleep(0.01)
        for process in processes.values():
            kill(process)
        log(f"{args.payments} payments recorded and uploaded in {time.monotonic() - started:.1f} s with {kills} SIGKILLs")
        for device in devices:
            device.sync_until(lambda: True)  # one clean round: the hub has nothing more to say

        # The checks: the hub's file against each device's file.
        for i, device in enumerate(devices):
            local = device.query("SELECT id, receiptNumber FROM payment")
            rejected = device.query("SELECT COUNT(*) FROM outbox WHERE state = 'rejected'")[0][0]
            at_hub = hub.query("SELECT id, receiptNumber FROM payment WHERE deviceId = ?", (device.device_id,))
            local_ids = {row[0] for row in local}
            hub_ids = [row[0] for row in at_hub]
            sequences = sorted(int(row[1].rsplit("-", 1)[1]) for row in at_hub)
            if len(local) != share[i]:
                failures.append(f"{device.code}: the device holds {len(local)} payments, expected {share[i]}")
            if rejected:
                failures.append(f"{device.code}: {rejected} uploads were rejected by the hub")
            if len(hub_ids) != len(set(hub_ids)):
                failures.append(f"{device.code}: the hub holds a payment twice")
            if set(hub_ids) != local_ids:
                failures.append(f"{device.code}: the hub holds {len(set(hub_ids))} payments, the device {len(local_ids)}; "
                                f"missing at the hub {len(local_ids - set(hub_ids))}, unknown to the device {len(set(hub_ids) - local_ids)}")
            if sequences != list(range(1, len(sequences) + 1)):
                failures.append(f"{device.code}: receipt numbers at the hub are not gap-free 1..{len(sequences)}")
            outstanding = hub.query("SELECT outstandingPaise FROM invoice WHERE number = ?", (f"BULK/{device.code}",))[0][0]
            if outstanding != 1_000_000_000 - 100 * share[i]:
                failures.append(f"{device.code}: the hub's invoice outstanding is {outstanding} paise, expected {1_000_000_000 - 100 * share[i]}")
        total = hub.query("SELECT COUNT(*) FROM payment")[0][0]
        if total != args.payments:
            failures.append(f"the hub holds {total} payments, expected exactly {args.payments}")
        with open(os.path.join(work, "proxy.log")) as f:
            counts = [line.strip() for line in f if line.startswith("{")]
        log(f"fault proxy: {counts[-1] if counts else 'no connections'}")
        if not failures:
            log(f"ok: the hub holds exactly {total} payments, none twice, receipts gap-free per device, outstanding right")
    finally:
        proxy.stop()
        hub.stop()
    return finish(failures, work, args.keep)


def interrupted_sync(args):
    rng = random.Random(args.seed)
    work = tempfile.mkdtemp(prefix="fieldpay-sync-harness-")
    hub = Hub(args.bin, work)
    os.makedirs(hub.data)
    book = os.path.join(work, "book.csv")
    with open(book, "w") as f:
        f.write("invoice_number,invoice_date,due_date,customer_code,customer_name,total,outstanding\n")
        for i in range(args.invoices):
            c = i % 5000
            day = 1 + i % 28
            f.write(f"INV/{i:07d},2026-10-{day:02d},2026-11-{day:02d},C{c:05d},Customer {c},{1000 + i % 9000}.50,{500 + i % 500}.25\n")
    started = time.monotonic()
    hub.cli("invoices", "import", book, timeout=1800)
    log(f"hub loaded {args.invoices} invoices in {time.monotonic() - started:.1f} s")
    url = hub.start()
    failures = []
    try:
        device = Device(args.bin, work, "SY01")
        device.enroll(hub, url, url)
        interruptions = 0
        changed = 0
        cursors = []
        deadline = time.monotonic() + args.max_seconds
        while interruptions < args.interruptions:
            if time.monotonic() > deadline:
                raise SystemExit(f"only {interruptions} interruptions in {args.max_seconds} s")
            process = device.spawn("sync", "--once")
            time.sleep(rng.uniform(0.2, args.kill_window))
            if process.poll() is not None:
                # It finished before the kill: change the book at the hub so there is more to pull.
                if process.returncode != 0:
                    failures.append(f"sync exited {process.returncode} without being killed")
                    break
            else:
                kill(process)
                interruptions += 1
            cursor = device.query("SELECT value FROM syncState WHERE key = 'cursor'")
            cursors.append(int(cursor[0][0]) if cursor else 0)
            # Meanwhile the book changes at the hub, behind and ahead of the cursor: a twentieth of it edited,
            # a few invoices deleted (tombstones) and some of those brought back.
            edits = os.path.join(work, "edits.csv")
            with open(edits, "w") as f:
                f.write("invoice_number,invoice_date,due_date,customer_code,customer_name,total,outstanding\n")
                for _ in range(max(50, args.invoices // 20)):
                    i = rng.randrange(args.invoices)
                    c = i % 5000
                    f.write(f"INV/{i:07d},2026-10-01,2026-12-01,C{c:05d},Customer {c} renamed,{1000 + i % 9000}.50,{rng.randrange(0, 500)}.00\n")
                    changed += 1
            hub.cli("invoices", "import", edits)
            deleted = hub.cli("invoices", "delete", *[f"INV/{rng.randrange(args.invoices):07d}" for _ in range(20)], check=False)
            if deleted.returncode not in (0, 4):
                raise SystemExit(f"fieldpay-hub invoices delete exited {deleted.returncode}: {deleted.stderr}")
        if any(b < a for a, b in zip(cursors, cursors[1:])):
            failures.append(f"the saved cursor went backwards: {cursors}")
        log(f"{interruptions} interruptions, {changed} edits at the hub meanwhile; cursor after each: {cursors}")
        started = time.monotonic()
        device.sync_until(lambda: True, attempts=3)
        log(f"final sync in {time.monotonic() - started:.1f} s")
        device_digest = device.cli("invoices", "digest").stdout.strip()
        hub_digest = hub.cli("invoices", "digest").stdout.strip()
        log(f"device: {device_digest}")
        log(f"hub:    {hub_digest}")
        if device_digest != hub_digest:
            failures.append(f"the device's cache differs from the hub's book: {device_digest} vs {hub_digest}")
        live = hub.query("SELECT COUNT(*) FROM invoice WHERE deleted = 0")[0][0]
        if not device_digest.startswith(f"{live} invoices") or live < args.invoices * 0.9:
            failures.append(f"expected the hub's {live} live invoices, got {device_digest}")
    finally:
        hub.stop()
    return finish(failures, work, args.keep)



def messaging(args):
    import hashlib
    import hmac
    import urllib.request
    import uuid as uuidlib
    rng = random.Random(args.seed)
    work = tempfile.mkdtemp(prefix="fieldpay-harness-")
    hub = Hub(args.bin, work)
    os.makedirs(hub.data)
    secrets = os.path.join(work, "secrets")
    os.makedirs(secrets)
    for name, value in (("token", "EAAG-harness"), ("app-secret", "app-secret-harness")):
        path = os.path.join(secrets, name)
        with open(path, "w") as f:
            f.write(value + "\n")
        os.chmod(path, 0o600)
    fake_port = free_port()
    fake_log = os.path.join(work, "whatsapp.jsonl")
    fake = subprocess.Popen(
        [sys.executable, os.path.join(HERE, "fake-whatsapp.py"), str(fake_port), "--token", "EAAG-harness", "--phone-number-id", "1065403522",
         "--log", fake_log, "--slow", "0.1", "--seed", str(args.seed)],
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, text=True)
    if "listening" not in fake.stdout.readline():
        raise SystemExit("the WhatsApp fake did not start")
    config = os.path.join(work, "hub.toml")
    with open(config, "w") as f:
        f.write(f'[hub]\ndata = "hub"\n\n[messaging]\npublic_url = "https://pay.example.in"\nquiet_start = 0\nquiet_end = 0\n\n'
                f'[messaging.whatsapp]\napi_base = "http://127.0.0.1:{fake_port}"\nphone_number_id = "1065403522"\n'
                f'access_token_file = "secrets/token"\napp_secret_file = "secrets/app-secret"\ntimeout_seconds = 2\n')
    invoices = os.path.join(work, "invoices.csv")
    with open(invoices, "w") as f:
        f.write("invoice_number,invoice_date,due_date,customer_code,customer_name,total,phone\n")
        for n in range(20):
            f.write(f"MSG/{n},2026-11-01,2026-12-31,C{n},Harness shop {n},10000000.00,+9198220{n:05d}\n")
    hub.cli("invoices", "import", invoices)
    code = hub.cli("devices", "enroll", "--rep", "Harness").stdout.strip()
    failures = []

    def start():
        hub.port = free_port()
        hub.log = open(os.path.join(hub.data, "serve.log"), "ab")
        hub.process = subprocess.Popen([hub.bin, "serve", "--config", config, "--port", str(hub.port)],
                                       stdin=subprocess.DEVNULL, stdout=hub.log, stderr=hub.log)
        wait_listening(hub.port, hub.process)

    def request(method, path, body=None, headers=None, timeout=5):
        data = None if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
        req = urllib.request.Request(f"http://127.0.0.1:{hub.port}{path}", data=data, method=method,
                                     headers={"Content-Type": "application/json", **(headers or {})})
        with urllib.request.urlopen(req, timeout=timeout) as response:
            return response.status, response.read()

    try:
        start()
        key = DeviceKey()  # the harness is the device: it signs every receipt it uploads, as fieldpay does
        _, body = request("POST", "/v1/devices/enroll", {"code": code, "device_name": "harness", "public_key": key.public,
                                                           "device_code": "HARNESS1"})
        enrolled = json.loads(body)
        auth = {"Authorization": f"Bearer {enrolled['device_id']}.{enrolled['secret']}"}
        payments = [(str(uuidlib.UUID(int=rng.getrandbits(128))), n) for n in range(args.payments)]
        bodies = {}
        kills = 0
        next_kill = time.monotonic() + rng.uniform(0.3, 1.5)
        started = time.monotonic()
        index = 0
        pending = lambda: hub.query("SELECT COUNT(*) FROM message WHERE state IN ('queued', 'sending')")[0][0]
        # Uploads a few a second, and on until the outbox is empty: the hub is killed all the while.
        while index < len(payments) or pending():
            if time.monotonic() - started > args.max_seconds:
                raise SystemExit(f"not done in {args.max_seconds} s: {index} of {len(payments)} uploaded, {pending()} messages to send")
            if time.monotonic() >= next_kill:
                kill(hub.process)
                kills += 1
                start()
                next_kill = time.monotonic() + rng.uniform(0.3, 1.5)
            if index == len(payments):
                time.sleep(0.05)
                continue
            time.sleep(rng.uniform(0, 0.04))
            payment_id, n = payments[index]
            if index not in bodies:  # made once: a retry after a kill sends the same signed receipt
                upload = {"receipt_number": f"H-{n + 1:06d}", "method": "cash", "amount": "1.00",
                          "allocations": [{"invoice": f"MSG/{n % 20}", "amount": "1.00"}], "advance": "0.00",
                          "customer_code": f"C{n % 20}", "recorded_at_ms": int(time.time() * 1000)}
                bodies[index] = key.sign(upload, payment_id)
            upload = bodies[index]
            try:
                status, _ = request("PUT", f"/v1/payments/{payment_id}", upload, auth)
                if status in (200, 201):
                    index += 1
            except Exception:
                time.sleep(0.05)  # the hub was killed, or is starting: the same upload again
        log(f"{len(payments)} payments uploaded and their receipts sent, with {kills} SIGKILLs of the hub in {time.monotonic() - started:.1f} s")
        time.sleep(3.5)  # the fake's slow answers are written by now
        with open(fake_log) as f:
            taken = [json.loads(line) for line in f if line.strip()]
        keys = [t["key"] for t in taken]
        states = dict(hub.query("SELECT state, COUNT(*) FROM message GROUP BY state"))
        log(f"after the kills: the fake took {len(taken)} messages; hub states {states}")
        if len(keys) != len(set(keys)):
            failures.append(f"the fake took {len(keys) - len(set(keys))} messages twice")
        # Meta's status webhooks for everything the fake took, signed; then a manager's retry for what is still
        # unconfirmed (the fake never took it); again until nothing is unconfirmed (a retry may time out too).
        manager = hub.cli("managers", "add", "--name", "Harness").stdout.strip()
        reported = set()
        retried = 0
        for _ in range(20):
            with open(fake_log) as f:
                taken = [json.loads(line) for line in f if line.strip()]
            for t in taken:
                if t["id"] in reported:
                    continue
                reported.add(t["id"])
                body = json.dumps({"object": "whatsapp_business_account", "entry": [{"id": "1", "changes": [{"field": "messages", "value": {
                    "messaging_product": "whatsapp", "statuses": [{"id": t["id"], "status": "delivered", "timestamp": "1",
                                                                   "recipient_id": t["to"], "biz_opaque_callback_data": t["key"]}]}}]}]}).encode()
                signature = "sha256=" + hmac.new(b"app-secret-harness", body, hashlib.sha256).hexdigest()
                request("POST", "/v1/messaging/whatsapp", body, {"X-Hub-Signature-256": signature})
            unsettled = [row[0] for row in hub.query("SELECT id FROM message WHERE state = 'unconfirmed'")]
            if not unsettled:
                break
            for message_id in unsettled:
                request("POST", f"/v1/messages/{message_id}/retry", b"", {"Authorization": f"Bearer {manager}"})
            retried += len(unsettled)
            deadline = time.monotonic() + 120
            while pending() and time.monotonic() < deadline:
                time.sleep(0.2)
            time.sleep(3.5)
        with open(fake_log) as f:
            taken = [json.loads(line) for line in f if line.strip()]
        keys = [t["key"] for t in taken]
        expected = {f"receipt:{payment_id}" for payment_id, _ in payments}
        receipts = hub.query("SELECT COUNT(*), COUNT(DISTINCT key) FROM message WHERE kind = 'receipt'")[0]
        if receipts != (len(payments), len(payments)):
            failures.append(f"the hub holds {receipts[0]} receipt messages ({receipts[1]} keys), expected {len(payments)}")
        if len(keys) != len(set(keys)):
            failures.append(f"in the end the fake took {len(keys) - len(set(keys))} messages twice")
        if set(keys) != expected:
            failures.append(f"the fake took {len(set(keys) & expected)} of the {len(expected)} receipts, and {len(set(keys) - expected)} others")
        states = dict(hub.query("SELECT state, COUNT(*) FROM message GROUP BY state"))
        log(f"after the status webhooks and {retried} manager retries: the fake took {len(taken)} messages; hub states {states}")
        if states != {"delivered": len(payments)}:
            failures.append(f"not every receipt is delivered: {states}")
        if not failures:
            log(f"ok: {len(payments)} receipts, each taken by WhatsApp exactly once through {kills} SIGKILLs; the {retried} left unconfirmed by a kill or a timeout were sent again by a person, never by the hub")
    finally:
        hub.stop()
        fake.terminate()
        fake.wait(timeout=10)
    return finish(failures, work, args.keep)

def start_fake_tally(work, name, extra):
    process = subprocess.Popen(
        [sys.executable, os.path.join(HERE, "fake-tally.py"), "0", "--company", "Harness Co", "--log", os.path.join(work, f"{name}.jsonl"), *extra],
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, text=True)
    line = process.stdout.readline()
    if "listening on 127.0.0.1:" not in line:
        raise SystemExit(f"the fake Tally did not start: {line!r}")
    return process, int(line.split("127.0.0.1:")[1].split()[0])


def erp(args):
    import datetime
    import urllib.request
    import uuid as uuidlib
    rng = random.Random(args.seed)
    work = tempfile.mkdtemp(prefix="fieldpay-harness-")
    hub = Hub(args.bin, work)
    os.makedirs(hub.data)
    customers = 20
    ledgers = [f"Harness shop {n}" for n in range(customers)]
    fake, fake_port = start_fake_tally(work, "tally", [arg for name in ledgers + ["HDFC Bank"] for arg in ("--ledger", name)])
    proxy = Proxy(fake_port, args.seed, work)
    config = os.path.join(work, "hub.toml")
    with open(config, "w") as f:
        f.write(f'[hub]\ndata = "hub"\n\n[erp.tally]\nurl = "{proxy.url}"\ncompany = "Harness Co"\nupi_ledger = "HDFC Bank"\n'
                f'cheque_ledger = "HDFC Bank"\ntimeout_seconds = 2\nbatch_size = 3\n')
    invoices = os.path.join(work, "invoices.csv")
    with open(invoices, "w") as f:
        f.write("invoice_number,invoice_date,due_date,customer_code,customer_name,total\n")
        for n in range(customers):
            for k in range(2):
                f.write(f"ERP/{n}/{k},2026-11-01,2026-12-31,C{n},{ledgers[n]},10000000.00\n")
    hub.cli("invoices", "import", invoices)
    code = hub.cli("devices", "enroll", "--rep", "Harness").stdout.strip()
    failures = []

    def fake_get(path):
        with urllib.request.urlopen(f"http://127.0.0.1:{fake_port}{path}", timeout=30) as response:
            return json.loads(response.read())

    def start():
        hub.port = free_port()
        hub.log = open(os.path.join(hub.data, "serve.log"), "ab")
        hub.process = subprocess.Popen([hub.bin, "serve", "--config", config, "--port", str(hub.port)],
                                       stdin=subprocess.DEVNULL, stdout=hub.log, stderr=hub.log)
        wait_listening(hub.port, hub.process)

    def request(method, path, body=None, headers=None, timeout=5):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(f"http://127.0.0.1:{hub.port}{path}", data=data, method=method,
                                     headers={"Content-Type": "application/json", **(headers or {})})
        with urllib.request.urlopen(req, timeout=timeout) as response:
            return response.status, response.read()

    try:
        start()
        key = DeviceKey()
        _, body = request("POST", "/v1/devices/enroll", {"code": code, "device_name": "harness", "public_key": key.public,
                                                           "device_code": "HARNESS1"})
        enrolled = json.loads(body)
        auth = {"Authorization": f"Bearer {enrolled['device_id']}.{enrolled['secret']}"}
        payments = [str(uuidlib.UUID(int=rng.getrandbits(128))) for _ in range(args.payments)]
        bodies = {}
        kills = 0
        next_kill = time.monotonic() + rng.uniform(0.5, 2.0)
        started = time.monotonic()
        index = 0
        unsent = lambda: hub.query("SELECT COUNT(*) FROM erpOutbox WHERE state != 'sent'")[0][0]
        queued = lambda: hub.query("SELECT COUNT(*) FROM erpOutbox")[0][0]
        # Uploads a few a second, and on until every voucher is acknowledged: the hub is killed all the while,
        # and the proxy between it and Tally drops requests, drops replies Tally already acted on, and repeats some.
        while index < len(payments) or queued() < len(payments) or unsent():
            if time.monotonic() - started > args.max_seconds:
                raise SystemExit(f"not done in {args.max_seconds} s: {index} of {len(payments)} uploaded, {unsent()} vouchers unsent")
            if time.monotonic() >= next_kill:
                kill(hub.process)
                kills += 1
                start()
                next_kill = time.monotonic() + rng.uniform(0.5, 2.0)
            if index == len(payments):
                time.sleep(0.1)
                continue
            time.sleep(rng.uniform(0, 0.02))
            n = index
            if n not in bodies:  # made once: a retry after a kill sends the same signed receipt
                customer = n % customers
                whole = rng.randint(100, 99999)
                if n % 3 == 0:  # split over the customer's two invoices
                    first = whole // 2
                    allocations = [{"invoice": f"ERP/{customer}/0", "amount": f"{first}.00"},
                                   {"invoice": f"ERP/{customer}/1", "amount": f"{whole - first}.50"}]
                    amount = f"{whole}.50"
                else:
                    allocations = [{"invoice": f"ERP/{customer}/{n % 2}", "amount": f"{whole}.25"}]
                    amount = f"{whole}.25"
                upload = {"receipt_number": f"H-{n + 1:06d}", "method": "cash", "amount": amount, "allocations": allocations,
                          "advance": "0.00", "customer_code": f"C{customer}", "recorded_at_ms": int(time.time() * 1000)}
                bodies[n] = key.sign(upload, payments[n])
            try:
                status, _ = request("PUT", f"/v1/payments/{payments[n]}", bodies[n], auth)
                if status in (200, 201):
                    index += 1
            except Exception:
                time.sleep(0.05)
        elapsed = time.monotonic() - started
        log(f"{len(payments)} payments uploaded and booked in Tally through the faulty proxy, with {kills} SIGKILLs of the hub in {elapsed:.1f} s")
        vouchers = fake_get("/fake/vouchers")
        stats = fake_get("/fake/stats")
        with open(os.path.join(work, "tally.jsonl")) as f:
            events = [json.loads(line) for line in f if line.strip()]
        created = [e["remote_id"] for e in events if e["event"] == "created"]
        log(f"the fake Tally holds {len(vouchers)} vouchers: {stats['created']} created, {stats['altered']} altered by a resend, "
            f"{stats['errors']} refused, over {stats['requests']} requests")
        if len(created) != len(set(created)):
            failures.append(f"{len(created) - len(set(created))} vouchers were created twice")
        if len(vouchers) != len(payments) or {v["remote_id"] for v in vouchers} != set(payments):
            failures.append(f"the fake holds {len(vouchers)} vouchers for {len({v['remote_id'] for v in vouchers} & set(payments))} of the {len(payments)} payments")
        hub_allocations = {}
        for payment_id, invoice, paise in hub.query(
                "SELECT paymentId, invoiceNumber, SUM(paise) FROM allocation WHERE paymentId IS NOT NULL GROUP BY paymentId, invoiceNumber"):
            hub_allocations.setdefault(payment_id, {})[invoice] = paise
        amounts = dict(hub.query("SELECT id, amountPaise FROM payment"))
        wrong = 0
        for voucher in vouchers:
            party = next((line for line in voucher["lines"] if line["ledger"] == voucher["party"]), None)
            bills = {b["name"]: round(float(b["amount"]) * 100) for b in (party or {"bills": []})["bills"] if b["type"] == "Agst Ref"}
            bank = [line for line in voucher["lines"] if line["ledger"] == "Cash"]
            if bills != hub_allocations.get(voucher["remote_id"]) or not bank or round(float(bank[0]["amount"]) * -100) != amounts.get(voucher["remote_id"]):
                wrong += 1
        if wrong:
            failures.append(f"{wrong} vouchers' bill allocations or amounts differ from the hub's")
        states = dict(hub.query("SELECT state, COUNT(*) FROM erpOutbox GROUP BY state"))
        if states != {"sent": len(payments)}:
            failures.append(f"the outbox is not all sent: {states}")
        # Reversals (bounced cheques, refunds) made at the hub's command line while the hub is still killed and the
        # network still lossy: each one's voucher is cancelled in Tally, once it is acknowledged, and no other.
        reversed_ids = rng.sample(payments, min(args.reversals, len(payments)))
        clock = time.monotonic()
        outstanding = list(reversed_ids)
        pending = lambda: hub.query("SELECT COUNT(*) FROM erpOutbox WHERE state = 'pending'")[0][0]
        while outstanding or pending():
            if time.monotonic() - started > args.max_seconds:
                raise SystemExit(f"not done in {args.max_seconds} s: {len(outstanding)} reversals not made, {pending()} cancellations unsent")
            if time.monotonic() >= next_kill:
                kill(hub.process)
                kills += 1
                start()
                next_kill = time.monotonic() + rng.uniform(0.5, 2.0)
            if outstanding:
                hub.cli("payments", "reverse", outstanding.pop(), "--reason", "harness: cheque bounced")
            else:
                time.sleep(0.1)
        vouchers = fake_get("/fake/vouchers")
        cancelled = {v["remote_id"] for v in vouchers if v["cancelled"]}
        states = dict(hub.query("SELECT state, COUNT(*) FROM erpOutbox GROUP BY state"))
        log(f"{len(reversed_ids)} payments reversed at the hub and cancelled in Tally in {time.monotonic() - clock:.1f} s ({kills} SIGKILLs in all); "
            f"the fake holds {len(vouchers)} vouchers, {len(cancelled)} cancelled; outbox {states}")
        if cancelled != set(reversed_ids) or len(vouchers) != len(payments):
            failures.append(f"Tally holds {len(cancelled)} cancelled vouchers for {len(cancelled & set(reversed_ids))} of the {len(reversed_ids)} reversed "
                            f"payments, {len(cancelled - set(reversed_ids))} others cancelled, {len(vouchers)} vouchers in all")
        if states != {"sent": len(payments) - len(reversed_ids), "cancelled": len(reversed_ids)} and reversed_ids:
            failures.append(f"the outbox after the reversals is {states}")
        hub.stop()
        # Reconcile: a voucher deleted in Tally by hand is found, sent again, and the day is clean.
        today = (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=5, minutes=30)).date().isoformat()
        gone = rng.choice([p for p in payments if p not in set(reversed_ids)])
        urllib.request.urlopen(urllib.request.Request(f"http://127.0.0.1:{fake_port}/fake/delete?remoteid={gone}", data=b"", method="POST"), timeout=10)
        direct = os.path.join(work, "direct.toml")  # reconcile straight to the fake: the proxy's faults are for the push
        with open(config) as f:
            text = f.read().replace(proxy.url, f"http://127.0.0.1:{fake_port}")
        with open(direct, "w") as f:
            f.write(text)
        found = run([hub.bin, "erp", "reconcile", "--config", direct, "--date", today, "--resend-missing"], check=False)
        receipt = hub.query("SELECT receiptNumber FROM payment WHERE id = ?", (gone,))[0][0]
        if found.returncode != 3 or receipt not in found.stdout or "missing-in-erp" not in found.stdout:
            failures.append(f"reconcile did not report the deleted voucher {receipt} (exit {found.returncode}): {found.stdout[-500:]}")
        run([hub.bin, "erp", "push", "--config", direct])
        clean = run([hub.bin, "erp", "reconcile", "--config", direct, "--date", today], check=False)
        if clean.returncode != 0 or "clean" not in clean.stdout:
            failures.append(f"reconcile after the resend is not clean (exit {clean.returncode}): {clean.stdout[-500:]}")
        else:
            log(f"reconcile {today}: found {receipt} deleted in Tally, sent it again, then clean")
        # Pull: --bills outstanding bills from a Tally of their own into a new hub.
        if args.bills:
            big, big_port = start_fake_tally(work, "bills", ["--bills", str(args.bills), "--parties", "2000", "--seed", str(args.seed)])
            try:
                pull_config = os.path.join(work, "pull.toml")
                with open(pull_config, "w") as f:
                    f.write(f'[hub]\ndata = "pull-hub"\n\n[erp.tally]\nurl = "http://127.0.0.1:{big_port}"\ncompany = "Harness Co"\n'
                            f'upi_ledger = "HDFC Bank"\ncheque_ledger = "HDFC Bank"\ntimeout_seconds = 300\n')
                clock = time.monotonic()
                pulled = run([hub.bin, "erp", "pull", "--config", pull_config], check=False)
                seconds = time.monotonic() - clock
                count = 0
                if pulled.returncode == 0:
                    with sqlite3.connect(os.path.join(work, "pull-hub", "hub.sqlite")) as db:
                        count = db.execute("SELECT COUNT(*) FROM invoice WHERE deleted = 0").fetchone()[0]
                if count != args.bills:
                    failures.append(f"the pull of {args.bills} bills left {count} invoices (exit {pulled.returncode}): {pulled.stdout[-300:]} {pulled.stderr[-300:]}")
                else:
                    log(f"pulled {args.bills} outstanding bills into a new hub in {seconds:.1f} s (the command, end to end)")
            finally:
                big.terminate()
                big.wait(timeout=10)
        if not failures:
            log(f"ok: {len(payments)} payments, each one Receipt voucher in Tally with the hub's bill allocations, through {kills} SIGKILLs and a lossy network")
    finally:
        hub.stop()
        proxy.stop()
        fake.terminate()
        fake.wait(timeout=10)
    return finish(failures, work, args.keep)


def erp_zoho(args):
    """Zoho Books has no idempotency key: the hub searches before it creates. Proven here through the same faults."""
    import urllib.request
    import uuid as uuidlib
    rng = random.Random(args.seed)
    work = tempfile.mkdtemp(prefix="fieldpay-harness-")
    hub = Hub(args.bin, work)
    os.makedirs(hub.data)
    process = subprocess.Popen(
        [sys.executable, os.path.join(HERE, "fake-zoho.py"), "0", "--organization", "600123", "--client-id", "1000.H",
         "--client-secret", "harness-secret", "--refresh-token", "1000.harness", "--invoices", "40", "--customers", "20",
         "--per-minute", "1000000", "--seed", str(args.seed)],
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, text=True)
    line = process.stdout.readline()
    if "listening on 127.0.0.1:" not in line:
        raise SystemExit(f"the fake Zoho did not start: {line!r}")
    zoho_port = int(line.split("127.0.0.1:")[1].split()[0])
    # No duplicated requests here: TCP never repeats a request, and Zoho has no idempotency key to make a request
    # sent twice by the network one payment. Retries (a lost reply, a killed hub) are what the search is for.
    # A Zoho push is three requests (search, invoice, create) where Tally's is one: 5% of requests and 5% of
    # replies dropped per request lose about as many pushes (27%) as Tally's 15% and 15% (30%).
    proxy = Proxy(zoho_port, args.seed, work, duplicate="0", drop="0.05", delay="0.05")
    secrets = os.path.join(work, "secrets")
    os.makedirs(secrets)
    for name, value in (("client-secret", "harness-secret"), ("refresh-token", "1000.harness")):
        with open(os.path.join(secrets, name), "w") as f:
            f.write(value + "\n")
        os.chmod(os.path.join(secrets, name), 0o600)

    def config(name, base):
        path = os.path.join(work, name)
        with open(path, "w") as f:
            f.write(f'[hub]\ndata = "hub"\n\n[erp.zoho]\norganization_id = "600123"\nclient_id = "1000.H"\n'
                    f'client_secret_file = "secrets/client-secret"\nrefresh_token_file = "secrets/refresh-token"\n'
                    f'api_base = "{base}/books/v3"\naccounts_base = "{base}"\ntimeout_seconds = 2\nrequests_per_minute = 1000\n')
        return path
    faulty = config("hub.toml", proxy.url)
    direct = config("direct.toml", f"http://127.0.0.1:{zoho_port}")
    failures = []

    def start():
        hub.port = free_port()
        hub.log = open(os.path.join(hub.data, "serve.log"), "ab")
        hub.process = subprocess.Popen([hub.bin, "serve", "--config", faulty, "--port", str(hub.port)],
                                       stdin=subprocess.DEVNULL, stdout=hub.log, stderr=hub.log)
        wait_listening(hub.port, hub.process)

    def request(method, path, body=None, headers=None, timeout=5):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(f"http://127.0.0.1:{hub.port}{path}", data=data, method=method,
                                     headers={"Content-Type": "application/json", **(headers or {})})
        with urllib.request.urlopen(req, timeout=timeout) as response:
            return response.status, response.read()

    try:
        run([hub.bin, "erp", "pull", "--config", direct])  # the book from Zoho, straight (the faults are for the push)
        invoices = hub.query("SELECT number, customerCode FROM invoice WHERE number LIKE 'ZB-%' ORDER BY number")
        code = hub.cli("devices", "enroll", "--rep", "Harness").stdout.strip()
        start()
        key = DeviceKey()
        _, body = request("POST", "/v1/devices/enroll", {"code": code, "device_name": "harness", "public_key": key.public,
                                                           "device_code": "HARNESS1"})
        enrolled = json.loads(body)
        auth = {"Authorization": f"Bearer {enrolled['device_id']}.{enrolled['secret']}"}
        payments = [str(uuidlib.UUID(int=rng.getrandbits(128))) for _ in range(args.zoho_payments)]
        bodies = {}
        kills = 0
        next_kill = time.monotonic() + rng.uniform(0.5, 2.0)
        started = time.monotonic()
        index = 0
        unsent = lambda: hub.query("SELECT COUNT(*) FROM erpOutbox WHERE state != 'sent'")[0][0]
        queued = lambda: hub.query("SELECT COUNT(*) FROM erpOutbox")[0][0]
        while index < len(payments) or queued() < len(payments) or unsent():
            if time.monotonic() - started > args.max_seconds:
                raise SystemExit(f"not done in {args.max_seconds} s: {index} of {len(payments)} uploaded, {unsent()} payments unsent to Zoho")
            if time.monotonic() >= next_kill:
                kill(hub.process)
                kills += 1
                start()
                next_kill = time.monotonic() + rng.uniform(0.5, 2.0)
            if index == len(payments):
                time.sleep(0.1)
                continue
            time.sleep(rng.uniform(0, 0.02))
            n = index
            if n not in bodies:
                number, customer = invoices[n % len(invoices)]
                amount = f"{rng.randint(1, 4)}.{rng.randint(0, 99):02d}"
                upload = {"receipt_number": f"Z-{n + 1:06d}", "method": "cash", "amount": amount,
                          "allocations": [{"invoice": number, "amount": amount}], "advance": "0.00",
                          "customer_code": customer, "recorded_at_ms": int(time.time() * 1000)}
                bodies[n] = key.sign(upload, payments[n])
            try:
                status, _ = request("PUT", f"/v1/payments/{payments[n]}", bodies[n], auth)
                if status in (200, 201):
                    index += 1
            except Exception:
                time.sleep(0.05)
        log(f"{len(payments)} payments uploaded and pushed to Zoho Books through the faulty proxy, with {kills} SIGKILLs of the hub in {time.monotonic() - started:.1f} s")
        # Reversals: each one's customer payment deleted in Zoho (a DELETE whose reply is lost is found gone by the
        # search when it is tried again), and no other.
        reversed_ids = rng.sample(payments, min(args.reversals, len(payments)))
        outstanding = list(reversed_ids)
        pending = lambda: hub.query("SELECT COUNT(*) FROM erpOutbox WHERE state = 'pending'")[0][0]
        clock = time.monotonic()
        while outstanding or pending():
            if time.monotonic() - started > args.max_seconds:
                raise SystemExit(f"not done in {args.max_seconds} s: {len(outstanding)} reversals not made, {pending()} deletions unsent")
            if time.monotonic() >= next_kill:
                kill(hub.process)
                kills += 1
                start()
                next_kill = time.monotonic() + rng.uniform(0.5, 2.0)
            if outstanding:
                hub.cli("payments", "reverse", outstanding.pop(), "--reason", "harness: refund")
            else:
                time.sleep(0.1)
        states = dict(hub.query("SELECT state, COUNT(*) FROM erpOutbox GROUP BY state"))
        log(f"{len(reversed_ids)} payments reversed at the hub and deleted in Zoho in {time.monotonic() - clock:.1f} s; outbox {states}")
        if reversed_ids and states != {"sent": len(payments) - len(reversed_ids), "cancelled": len(reversed_ids)}:
            failures.append(f"the outbox after the reversals is {states}")
        payments = [p for p in payments if p not in set(reversed_ids)]
        with urllib.request.urlopen(f"http://127.0.0.1:{zoho_port}/fake/payments", timeout=30) as response:
            taken = json.loads(response.read())
        with urllib.request.urlopen(f"http://127.0.0.1:{zoho_port}/fake/stats", timeout=30) as response:
            stats = json.loads(response.read())
        log(f"the fake Zoho holds {len(taken)} customer payments; {stats['tokens']} access tokens, {stats['calls']} API calls, {stats['refused']} refused")
        marked = [p["description"].split("FieldPay payment ")[1][:36] for p in taken if "FieldPay payment " in p["description"]]
        if len(taken) != len(payments) or len(set(marked)) != len(marked) or set(marked) != set(payments):
            failures.append(f"Zoho holds {len(taken)} payments for {len(set(marked) & set(payments))} of the {len(payments)} not reversed, "
                            f"{len(marked) - len(set(marked))} of them twice, {len(set(marked) & set(reversed_ids))} reversed ones left")
        amounts = dict(hub.query("SELECT id, amountPaise FROM payment"))
        wrong = sum(1 for p in taken if "FieldPay payment " in p["description"]
                    and round(float(p["amount"]) * 100) != amounts.get(p["description"].split("FieldPay payment ")[1][:36]))
        if wrong:
            failures.append(f"{wrong} Zoho payments' amounts differ from the hub's")
        if not failures:
            log(f"ok: {len(payments)} payments, each one customer payment in Zoho Books (searched before created), {len(reversed_ids)} reversed "
                f"ones deleted there, through {kills} SIGKILLs and a lossy network")
    finally:
        hub.stop()
        proxy.stop()
        process.terminate()
        process.wait(timeout=10)
    return finish(failures, work, args.keep)


def finish(failures, work, keep):
    for failure in failures:
        print(f"FAIL: {failure}", flush=True)
    if failures or keep:
        log(f"files kept in {work}")
    else:
        subprocess.run(["rm", "-rf", work])
    return 1 if failures else 0


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="harness", required=True)
    p = sub.add_parser("payments", help="N payments through a faulty network with the device SIGKILLed")
    p.add_argument("--payments", type=int, default=1000)
    p.add_argument("--devices", type=int, default=2)
    p.add_argument("--max-seconds", type=float, default=900)
    s = sub.add_parser("sync", help="a big invoice sync interrupted by SIGKILL converges to the hub's book")
    s.add_argument("--invoices", type=int, default=1_000_000)
    s.add_argument("--interruptions", type=int, default=20)
    s.add_argument("--kill-window", type=float, default=3.0, help="kill the sync after 0.2 to this many seconds")
    s.add_argument("--max-seconds", type=float, default=1800)
    m = sub.add_parser("messaging", help="receipts sent by a hub SIGKILLed while it sends: none twice, none lost")
    m.add_argument("--payments", type=int, default=500)
    m.add_argument("--max-seconds", type=float, default=600)
    e = sub.add_parser("erp", help="payments booked in a fake Tally through a lossy proxy by a hub SIGKILLed meanwhile: each exactly once")
    e.add_argument("--payments", type=int, default=1000)
    e.add_argument("--bills", type=int, default=100_000, help="outstanding bills pulled into a new hub at the end (0: none)")
    e.add_argument("--reversals", type=int, default=50, help="then this many of the payments reversed at the hub: each voucher cancelled, no other")
    e.add_argument("--max-seconds", type=float, default=900)
    e.add_argument("--zoho-payments", type=int, default=0, help="then this many payments to a fake Zoho Books the same way (0, the default: none; about 2 minutes for 300)")
    for each in (p, s, m, e):
        each.add_argument("--bin", required=True, help="folder holding fieldpay and fieldpay-hub")
        each.add_argument("--seed", type=int, default=int(time.time()))
        each.add_argument("--keep", action="store_true", help="keep the work folder even when every check holds")
    args = parser.parse_args()
    log(f"{args.harness} harness, seed {args.seed}")
    if args.harness == "erp":
        status = erp(args)
        sys.exit(status or (erp_zoho(args) if args.zoho_payments else 0))
    sys.exit({"payments": payments, "sync": interrupted_sync, "messaging": messaging}[args.harness](args))


if __name__ == "__main__":
    main()
