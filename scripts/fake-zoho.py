#!/usr/bin/env python3
"""A stand-in for Zoho Books API v3 and Zoho's accounts server on 127.0.0.1, for the ERP tests and benchmarks.

Usage: fake-zoho.py PORT --organization ID --client-id ID --client-secret S --refresh-token T
                     [--invoices N] [--customers N] [--token-seconds 3600] [--per-minute 100] [--log FILE]

Written from Zoho's documented API, not from FieldPay's code:
- POST /oauth/v2/token (grant_type=refresh_token): a new access token for an hour (--token-seconds); a wrong
  client or refresh token is HTTP 200 with {"error": "invalid_code"}, as Zoho answers; more than 10 tokens in 10
  minutes is {"error": "Access Denied", "error_description": "You have made too many requests continuously…"}.
- /books/v3/…: `Authorization: Zoho-oauthtoken T` with a live token, else 401 {"code": 57, …}; organization_id on
  every call, else {"code": 2, …}; more than --per-minute calls in a minute: 429 {"code": 44, …} with Retry-After.
  GET /invoices (invoice_number=, filter_by=Status.Unpaid, page, per_page with page_context.has_more_page),
  GET /contacts?contact_name=, GET /customerpayments (reference_number=, date=, paged), POST /customerpayments,
  DELETE /customerpayments/{payment_id} (gives the applied amounts back to the invoices)
  (JSON: customer_id, payment_mode, amount, date, reference_number, description, invoices[{invoice_id,
  amount_applied}]; checked: the customer exists, each invoice is theirs, nothing applied beyond an invoice's
  balance or the payment's amount; 201 {"code": 0, "message": "The payment has been created.", "payment": …}).
- Not Zoho's, for tests: GET /fake/payments, POST /fake/delete?payment_id=, POST /fake/expire (every token
  dies), POST /fake/throttle?count=N (the next N calls answer 429), GET /fake/stats.
Success is "code": 0 in the body. Amounts are exact (Decimal). Prints "listening on 127.0.0.1:PORT".
"""
import argparse
import json
import os
import random
import socket
import threading
import time
import uuid
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse


class Books:
    def __init__(self, args):
        self.lock = threading.Lock()
        self.args = args
        self.tokens = {}  # token -> expiry (monotonic)
        self.refreshes = []
        self.calls = []
        self.throttle = 0
        self.stats = {"calls": 0, "created": 0, "deleted": 0, "refused": 0, "tokens": 0, "unauthorized": 0, "rate_limited": 0}
        self.log = open(args.log, "a") if args.log else None
        rng = random.Random(args.seed)
        self.contacts = {}
        for n in range(max(1, args.customers)):
            self.contacts[str(460000000010000 + n)] = f"Zoho Customer {n:04d}"
        ids = list(self.contacts)
        self.invoices = {}
        for n in range(args.invoices):
            customer = ids[n % len(ids)]
            total = Decimal(rng.randrange(10_000, 50_000_000)) / 100
            self.invoices[str(460000000020000 + n)] = {
                "invoice_id": str(460000000020000 + n), "invoice_number": f"ZB-{n:06d}", "customer_id": customer,
                "customer_name": self.contacts[customer], "date": f"2026-11-{1 + n % 28:02d}", "due_date": f"2026-12-{1 + n % 28:02d}",
                "total": total, "balance": total, "status": "overdue"}
        self.payments = {}

    def answer(self, status, body, headers=None):
        return status, body, headers or {}

    def token(self, params):
        now = time.monotonic()
        if (params.get("client_id") != self.args.client_id or params.get("client_secret") != self.args.client_secret
                or params.get("refresh_token") != self.args.refresh_token or params.get("grant_type") != "refresh_token"):
            return self.answer(200, {"error": "invalid_code"})
        self.refreshes = [t for t in self.refreshes if now - t < 600]
        if len(self.refreshes) >= 10:
            return self.answer(400, {"error": "Access Denied",
                                     "error_description": "You have made too many requests continuously. Please try again after some time."})
        self.refreshes.append(now)
        value = "1000." + uuid.uuid4().hex
        self.tokens[value] = now + self.args.token_seconds
        self.stats["tokens"] += 1
        return self.answer(200, {"access_token": value, "api_domain": "https://www.zohoapis.in", "token_type": "Bearer",
                                 "expires_in": self.args.token_seconds})

    def books(self, method, path, query, headers, body):
        now = time.monotonic()
        self.stats["calls"] += 1
        auth = headers.get("Authorization") or ""
        if not auth.startswith("Zoho-oauthtoken ") or self.tokens.get(auth.split(" ", 1)[1], 0) <= now:
            self.stats["unauthorized"] += 1
            return self.answer(401, {"code": 57, "message": "You are not authorized to perform this operation"})
        if query.get("organization_id") != self.args.organization:
            return self.answer(400, {"code": 2, "message": "Invalid value passed for organization_id"})
        self.calls = [t for t in self.calls if now - t < 60]
        if self.throttle > 0 or len(self.calls) >= self.args.per_minute:
            self.throttle = max(0, self.throttle - 1)
            self.stats["rate_limited"] += 1
            return self.answer(429, {"code": 44, "message": "You have exceeded the maximum number of API requests per minute."},
                               {"Retry-After": "1"})
        self.calls.append(now)
        page = int(query.get("page", "1"))
        per_page = min(200, int(query.get("per_page", "200")))

        def paged(items, key):
            start = (page - 1) * per_page
            chunk = items[start:start + per_page]
            return self.answer(200, {"code": 0, "message": "success", key: chunk,
                                     "page_context": {"page": page, "per_page": per_page, "has_more_page": start + per_page < len(items)}})

        if method == "GET" and path == "/books/v3/invoices":
            items = list(self.invoices.values())
            if "invoice_number" in query:
                items = [i for i in items if i["invoice_number"] == query["invoice_number"]]
            if query.get("filter_by") == "Status.Unpaid":
                items = [i for i in items if i["balance"] > 0]
            return paged([dict(i, total=float(i["total"]), balance=float(i["balance"])) for i in items], "invoices")
        if method == "GET" and path == "/books/v3/contacts":
            items = [{"contact_id": k, "contact_name": v} for k, v in self.contacts.items()
                     if "contact_name" not in query or v == query["contact_name"]]
            return paged(items, "contacts")
        if method == "GET" and path == "/books/v3/customerpayments":
            items = list(self.payments.values())
            if "reference_number" in query:
                items = [p for p in items if p["reference_number"] == query["reference_number"]]
            if "date" in query:
                items = [p for p in items if p["date"] == query["date"]]
            return paged([dict(p, amount=float(p["amount"])) for p in items], "customerpayments")
        if method == "POST" and path == "/books/v3/customerpayments":
            try:
                data = json.loads(body, parse_float=Decimal)
            except ValueError:
                return self.answer(400, {"code": 4, "message": "Invalid value passed for JSONString"})
            problem = self.check(data)
            if problem:
                self.stats["refused"] += 1
                return self.answer(400, problem)
            for part in data.get("invoices", []):
                self.invoices[part["invoice_id"]]["balance"] -= Decimal(str(part["amount_applied"]))
            payment = {"payment_id": str(460000000090000 + len(self.payments) + 1), "customer_id": data["customer_id"],
                       "customer_name": self.contacts[data["customer_id"]], "payment_mode": data.get("payment_mode", ""),
                       "amount": Decimal(str(data["amount"])), "date": data["date"], "reference_number": data.get("reference_number", ""),
                       "description": data.get("description", ""),
                       "invoices": [{"invoice_id": p["invoice_id"], "amount_applied": str(p["amount_applied"])} for p in data.get("invoices", [])]}
            self.payments[payment["payment_id"]] = payment
            self.stats["created"] += 1
            if self.log:
                self.log.write(json.dumps(dict(payment, amount=str(payment["amount"]))) + "\n")
                self.log.flush()
            return self.answer(201, {"code": 0, "message": "The payment has been created.", "payment": dict(payment, amount=float(payment["amount"]))})
        if method == "DELETE" and path.startswith("/books/v3/customerpayments/"):
            payment = self.payments.pop(path.rsplit("/", 1)[1], None)
            if payment is None:
                return self.answer(404, {"code": 1002, "message": "Payment does not exist."})
            for part in payment["invoices"]:
                self.invoices[part["invoice_id"]]["balance"] += Decimal(part["amount_applied"])
            self.stats["deleted"] += 1
            if self.log:
                self.log.write(json.dumps(dict(payment, amount=str(payment["amount"]), deleted=True)) + "\n")
                self.log.flush()
            return self.answer(200, {"code": 0, "message": "The payment has been deleted."})
        return self.answer(404, {"code": 5, "message": "Invalid URL Passed"})

    def check(self, data):
        customer = data.get("customer_id")
        if customer not in self.contacts:
            return {"code": 1002, "message": "Customer does not exist."}
        amount = data.get("amount")
        if not isinstance(amount, Decimal) or amount <= 0 or amount != amount.quantize(Decimal("0.01")):
            return {"code": 15, "message": "Please enter a valid amount."}
        if not isinstance(data.get("date"), str) or len(data["date"]) != 10:
            return {"code": 15, "message": "Please enter a valid date."}
        applied = Decimal(0)
        for part in data.get("invoices", []):
            invoice = self.invoices.get(part.get("invoice_id"))
            value = part.get("amount_applied")
            if invoice is None:
                return {"code": 1002, "message": "Invoice does not exist."}
            if invoice["customer_id"] != customer:
                return {"code": 24012, "message": f"Invoice {invoice['invoice_number']} does not belong to this customer."}
            if not isinstance(value, Decimal) or value <= 0 or value > invoice["balance"]:
                return {"code": 24016, "message": f"The amount applied to {invoice['invoice_number']} is more than its balance due."}
            applied += value
        if applied > amount:
            return {"code": 24017, "message": "The amount applied to invoices is more than the amount received."}
        return None


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("port", type=int)
    parser.add_argument("--organization", required=True)
    parser.add_argument("--client-id", required=True)
    parser.add_argument("--client-secret", required=True)
    parser.add_argument("--refresh-token", required=True)
    parser.add_argument("--invoices", type=int, default=0)
    parser.add_argument("--customers", type=int, default=10)
    parser.add_argument("--token-seconds", type=int, default=3600)
    parser.add_argument("--per-minute", type=int, default=100)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--log", default=None)
    args = parser.parse_args()
    books = Books(args)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *a):
            pass

        def setup(self):
            super().setup()
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

        def reply(self, status, body, headers=None):
            data = json.dumps(body, default=str).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json;charset=UTF-8")
            self.send_header("Content-Length", str(len(data)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

        def handle_any(self, method):
            url = urlparse(self.path)
            query = {k: v[0] for k, v in parse_qs(url.query).items()}
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            with books.lock:
                if url.path == "/oauth/v2/token" and method == "POST":
                    params = dict(query)
                    params.update({k: v[0] for k, v in parse_qs(body.decode()).items()})
                    return self.reply(*books.token(params))
                if url.path == "/fake/payments":
                    return self.reply(200, list(books.payments.values()))
                if url.path == "/fake/stats":
                    return self.reply(200, dict(books.stats, payments=len(books.payments)))
                if url.path == "/fake/expire":
                    books.tokens.clear()
                    return self.reply(200, {"expired": True})
                if url.path == "/fake/throttle":
                    books.throttle = int(query.get("count", "1"))
                    return self.reply(200, {"throttle": books.throttle})
                if url.path == "/fake/delete":
                    gone = books.payments.pop(query.get("payment_id", ""), None)
                    return self.reply(200 if gone else 404, {"deleted": bool(gone)})
                if url.path.startswith("/books/v3/"):
                    return self.reply(*books.books(method, url.path, query, self.headers, body))
                self.reply(404, {"code": 5, "message": "Invalid URL Passed"})

        def do_GET(self):
            self.handle_any("GET")

        def do_POST(self):
            self.handle_any("POST")

        def do_DELETE(self):
            self.handle_any("DELETE")

    parent = os.getppid()

    def watch_parent():
        while os.getppid() == parent:
            time.sleep(1)
        os._exit(0)

    threading.Thread(target=watch_parent, daemon=True).start()
    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    server.daemon_threads = True
    print(f"listening on 127.0.0.1:{server.server_address[1]} with {len(books.invoices)} invoices", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
