#!/usr/bin/env python3
"""A stand-in for Meta's WhatsApp Business Cloud API on 127.0.0.1, for the messaging fault harness.

    fake-whatsapp.py PORT --token TOKEN --phone-number-id ID --log FILE [--slow 0.1] [--seed N]
                     [--webhook URL --app-secret SECRET]

POST /{version}/{phone-number-id}/messages with `Authorization: Bearer TOKEN` and a template message is taken:
one JSON line per accepted message goes to FILE (`{"id", "to", "template", "key"}`, the key being the
request's biz_opaque_callback_data) before the answer is written, as the real service records a message it
then may or may not manage to answer for. Its answers are the Graph API's: 200 with
`{"messaging_product": "whatsapp", "contacts": [...], "messages": [{"id": "wamid..."}]}`; 401 with error 190
for a wrong token; 400 with 100 for an unknown phone number id, 131009 for a bad `to`, 132000 for a template
without body parameters. `--slow P`: that share of accepted messages is answered only after 3 s (a client
with a shorter timeout, or a hub killed meanwhile, never hears of it). `--webhook URL`: as Meta does, each taken
message's statuses (sent, then delivered, then read) are POSTed to URL a moment later, signed with
X-Hub-Signature-256 (HMAC-SHA256 of the body with --app-secret). Prints "listening PORT" when ready.
Standard library only.
"""
import argparse
import hashlib
import hmac
import json
import urllib.request
import random
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("port", type=int)
    parser.add_argument("--token", required=True)
    parser.add_argument("--phone-number-id", required=True)
    parser.add_argument("--log", required=True)
    parser.add_argument("--slow", type=float, default=0.0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--webhook", help="where to POST status webhooks (the hub's /v1/messaging/whatsapp)")
    parser.add_argument("--app-secret", default="", help="signs the status webhooks")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    lock = threading.Lock()
    log = open(args.log, "a", buffering=1)

    def report(message_id, to, key):
        for delay, status in ((0.3, "sent"), (0.7, "delivered"), (1.5, "read")):
            time.sleep(delay)
            entry = {"id": message_id, "status": status, "timestamp": str(int(time.time())), "recipient_id": to}
            if key:
                entry["biz_opaque_callback_data"] = key
            body = json.dumps({"object": "whatsapp_business_account", "entry": [{"id": "102290129340398", "changes": [
                {"field": "messages", "value": {"messaging_product": "whatsapp",
                                                "metadata": {"display_phone_number": "15550000000", "phone_number_id": args.phone_number_id},
                                                "statuses": [entry]}}]}]}).encode()
            signature = "sha256=" + hmac.new(args.app_secret.encode(), body, hashlib.sha256).hexdigest()
            request = urllib.request.Request(args.webhook, data=body, method="POST",
                                             headers={"Content-Type": "application/json", "X-Hub-Signature-256": signature})
            try:
                urllib.request.urlopen(request, timeout=5).read()
            except Exception:
                pass  # Meta retries for a day; the demo does not

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *_):
            pass

        def answer(self, status, body):
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            try:
                self.end_headers()
            except (BrokenPipeError, ConnectionResetError):
                return
            try:
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (its timeout) or was killed: the message stays taken

        def error(self, status, code, message):
            self.answer(status, {"error": {"message": message, "type": "OAuthException", "code": code,
                                           "error_data": {"messaging_product": "whatsapp", "details": message},
                                           "fbtrace_id": "AbCdEfFake"}})

        def do_POST(self):
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length)
            parts = self.path.strip("/").split("/")
            if self.headers.get("Authorization") != f"Bearer {args.token}":
                return self.error(401, 190, "Invalid OAuth access token - Cannot parse access token")
            if len(parts) != 3 or parts[2] != "messages" or parts[1] != args.phone_number_id:
                return self.error(400, 100, "Unsupported post request. Object with ID does not exist")
            try:
                body = json.loads(raw)
            except ValueError:
                return self.error(400, 100, "Invalid JSON")
            to = body.get("to", "")
            if body.get("messaging_product") != "whatsapp" or not to.isdigit() or not 10 <= len(to) <= 15:
                return self.error(400, 131009, "Parameter value is not valid")
            template = body.get("template") or {}
            components = template.get("components") or []
            if body.get("type") != "template" or not components or not components[0].get("parameters"):
                return self.error(400, 132000, "Number of parameters does not match the expected number of params")
            message_id = "wamid.HBgM" + uuid.uuid4().hex[:24]
            with lock:
                log.write(json.dumps({"id": message_id, "to": to, "template": template.get("name"),
                                      "key": body.get("biz_opaque_callback_data")}) + "\n")
                slow = rng.random() < args.slow
            if args.webhook:
                threading.Thread(target=report, args=(message_id, to, body.get("biz_opaque_callback_data")), daemon=True).start()
            if slow:
                time.sleep(3)
            self.answer(200, {"messaging_product": "whatsapp", "contacts": [{"input": to, "wa_id": to}],
                              "messages": [{"id": message_id}]})

    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    server.daemon_threads = True
    print(f"listening {args.port}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    sys.exit(main())
