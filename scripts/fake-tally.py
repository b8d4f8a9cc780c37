#!/usr/bin/env python3
"""A stand-in for TallyPrime's XML-over-HTTP server on 127.0.0.1, for the ERP tests, the harness and make demo-erp.

Usage: fake-tally.py PORT --company NAME [--ledger NAME ...] [--bills N] [--parties N] [--seed N] [--log FILE]

It answers like Tally, written from Tally's documented XML, not from FieldPay's code:
- POST / with an <ENVELOPE> "Import Data" of Vouchers: each <VOUCHER> is checked as Tally checks it (the
  company is the loaded one, the voucher type and every ledger exist with exactly that name, the date is
  YYYYMMDD, debits and credits balance, a party's bill allocations add up to its line, bill types are Tally's)
  and created, or altered when its REMOTEID is already a voucher (never a second one). A <VOUCHER ACTION="Cancel">
  names one by REMOTEID, type and date and cancels it (kept, with no effect on the bills); one that does not exist
  is a LINEERROR. The answer is HTTP 200
  whatever happened, with CREATED, ALTERED, DELETED, LASTVCHID, IGNORED, ERRORS, CANCELLED, EXCEPTIONS and a
  LINEERROR per fault ("Ledger 'X' does not exist!").
- POST / with an "Export" of a Collection: Bills of Sundry Debtors with a closing balance (the bills
  receivable: the --bills generated at start less every Agst Ref allocation received), or the Vouchers of the
  Receipt type between SVFROMDATE and SVTODATE.
- Not Tally's, for tests and the demo: GET /fake/vouchers (JSON), POST /fake/delete?remoteid=ID (a voucher
  deleted by hand), POST /fake/ledgers (JSON list of names to create), GET /fake/stats.
Every voucher created, altered, cancelled or deleted is a JSON line in --log. Prints "listening" once ready.
Standard library only.
"""
import argparse
import json
import os
import random
import re
import socket
import sys
import threading
import time
import xml.etree.ElementTree as ET
from decimal import Decimal, InvalidOperation
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

VOUCHER_TYPES = {"Receipt", "Payment", "Contra", "Journal", "Sales", "Purchase", "Credit Note", "Debit Note"}
BILL_TYPES = {"Agst Ref", "New Ref", "On Account", "Advance"}


def money(text):
    """Tally's amount: a plain signed decimal with at most two places; None otherwise."""
    text = (text or "").strip()
    if not re.fullmatch(r"-?\d{1,15}(\.\d{1,2})?", text):
        return None
    return Decimal(text)


def tally_amount(value):
    return f"{value:.2f}"


def valid_date(text):
    if not re.fullmatch(r"\d{8}", text or ""):
        return False
    y, m, d = int(text[:4]), int(text[4:6]), int(text[6:])
    return 1 <= m <= 12 and 1 <= d <= 31 and 1900 < y < 2200


class Books:
    def __init__(self, args):
        self.lock = threading.Lock()
        self.company = args.company
        self.ledgers = set(args.ledger) | {"Cash"}
        self.vouchers = {}  # remote id -> voucher
        self.next_id = 1
        self.log = open(args.log, "a") if args.log else None
        self.stats = {"requests": 0, "created": 0, "altered": 0, "cancelled": 0, "errors": 0, "exports": 0}
        rng = random.Random(args.seed)
        self.bills = []  # (party, name, date, due date, amount)
        parties = [f"Party {n:04d} Traders" for n in range(max(1, args.parties))]
        for n in range(args.bills):
            party = parties[n % len(parties)]
            day = 1 + n % 28
            paise = rng.randrange(10_000, 50_000_000)
            self.bills.append((party, f"TB/{n:06d}", f"202611{day:02d}", f"202612{day:02d}", Decimal(paise) / 100))
        self.ledgers.update(parties)

    def record(self, event, voucher):
        if self.log:
            self.log.write(json.dumps({"event": event, **voucher}) + "\n")
            self.log.flush()

    def import_vouchers(self, root):
        result = {"CREATED": 0, "ALTERED": 0, "DELETED": 0, "LASTVCHID": 0, "LASTMID": 0, "COMBINED": 0, "IGNORED": 0,
                  "ERRORS": 0, "CANCELLED": 0, "EXCEPTIONS": 0}
        errors = []
        company = root.findtext(".//REQUESTDESC/STATICVARIABLES/SVCURRENTCOMPANY")
        if company is not None and company != self.company:
            result["ERRORS"] = 1
            return result, [f"Could not set 'SVCurrentCompany' to '{company}'"]
        for element in root.iter("VOUCHER"):
            action = (element.get("ACTION") or "Create").strip()
            if action == "Cancel":
                # A cancellation names the voucher (here by REMOTEID), its type and date; it carries no entries.
                remote_id = element.get("REMOTEID") or ""
                vtype = element.findtext("VOUCHERTYPENAME") or element.get("VCHTYPE") or ""
                date = element.findtext("DATE") or ""
                existing = self.vouchers.get(remote_id)
                problem = None
                if vtype not in VOUCHER_TYPES:
                    problem = f"Voucher Type '{vtype}' does not exist!"
                elif existing is None:
                    problem = f"Voucher with REMOTEID '{remote_id}' does not exist!"
                elif existing["date"] != date:
                    problem = f"Voucher date '{date}' does not match the voucher's date '{existing['date']}'!"
                if problem:
                    result["ERRORS"] += 1
                    errors.append(problem)
                    continue
                existing["cancelled"] = True
                existing["narration"] = element.findtext("NARRATION") or existing["narration"]
                result["CANCELLED"] += 1
                self.stats["cancelled"] += 1
                self.record("cancelled", existing)
                continue
            problems, voucher = self.check(element)
            if problems:
                result["ERRORS"] += 1
                errors.extend(problems)
                continue
            existing = self.vouchers.get(voucher["remote_id"])
            if existing is not None:
                voucher["vchid"] = existing["vchid"]
                voucher["number"] = existing["number"]
                self.vouchers[voucher["remote_id"]] = voucher
                result["ALTERED"] += 1
                self.stats["altered"] += 1
                self.record("altered", voucher)
            else:
                voucher["vchid"] = self.next_id
                voucher["number"] = str(self.next_id)
                self.next_id += 1
                self.vouchers[voucher["remote_id"]] = voucher
                result["CREATED"] += 1
                self.stats["created"] += 1
                self.record("created", voucher)
            result["LASTVCHID"] = voucher["vchid"]
        self.stats["errors"] += result["ERRORS"]
        return result, errors

    def check(self, element):
        problems = []
        remote_id = element.get("REMOTEID") or ""
        vtype = element.findtext("VOUCHERTYPENAME") or element.get("VCHTYPE") or ""
        date = element.findtext("DATE") or ""
        if vtype not in VOUCHER_TYPES:
            problems.append(f"Voucher Type '{vtype}' does not exist!")
        if not valid_date(date):
            problems.append(f"Invalid date '{date}'!")
        entries = element.findall("ALLLEDGERENTRIES.LIST") + element.findall("LEDGERENTRIES.LIST")
        if not entries:
            problems.append("No entries in Voucher!")
        total = Decimal(0)
        lines = []
        party = element.findtext("PARTYLEDGERNAME") or ""
        if party and party not in self.ledgers:
            problems.append(f"Ledger '{party}' does not exist!")
        for entry in entries:
            name = entry.findtext("LEDGERNAME") or ""
            amount = money(entry.findtext("AMOUNT"))
            if name not in self.ledgers:
                if name != party:
                    problems.append(f"Ledger '{name}' does not exist!")
            if amount is None:
                problems.append(f"Invalid amount '{entry.findtext('AMOUNT')}' for ledger '{name}'")
                continue
            deemed = (entry.findtext("ISDEEMEDPOSITIVE") or "").strip()
            if (deemed == "Yes") != (amount < 0):
                problems.append(f"ISDEEMEDPOSITIVE does not match the sign of {tally_amount(amount)} for ledger '{name}'")
            total += amount
            bills = []
            bill_total = Decimal(0)
            for bill in entry.findall("BILLALLOCATIONS.LIST"):
                btype = (bill.findtext("BILLTYPE") or "").strip()
                bamount = money(bill.findtext("AMOUNT"))
                if btype not in BILL_TYPES:
                    problems.append(f"Bill type '{btype}' is not valid!")
                if bamount is None:
                    problems.append(f"Invalid bill amount '{bill.findtext('AMOUNT')}'")
                    continue
                if btype in ("Agst Ref", "New Ref") and not (bill.findtext("NAME") or "").strip():
                    problems.append("Bill name is missing!")
                bill_total += bamount
                bills.append({"name": bill.findtext("NAME"), "type": btype, "amount": tally_amount(bamount)})
            if bills and bill_total != amount:
                problems.append(f"Bill allocations {tally_amount(bill_total)} do not match ledger '{name}' amount {tally_amount(amount)}!")
            lines.append({"ledger": name, "amount": tally_amount(amount), "bills": bills})
        if entries and total != 0:
            problems.append(f"Voucher totals do not match! Difference: {tally_amount(total)}")
        if not remote_id:
            problems.append("REMOTEID is missing (this fake keys vouchers on it, as FieldPay does)")
        party_line = next((line for line in lines if line["ledger"] == party), None)
        voucher = {"remote_id": remote_id, "type": vtype, "date": date, "party": party,
                   "amount": party_line["amount"] if party_line else "0.00", "lines": lines,
                   "reference": element.findtext("REFERENCE"), "narration": element.findtext("NARRATION"), "cancelled": False}
        return problems, voucher

    def outstanding_bills(self):
        received = {}
        for voucher in self.vouchers.values():
            if voucher["cancelled"] or voucher["type"] != "Receipt":
                continue
            for line in voucher["lines"]:
                for bill in line["bills"]:
                    if bill["type"] == "Agst Ref":
                        key = (line["ledger"], bill["name"])
                        received[key] = received.get(key, Decimal(0)) + Decimal(bill["amount"])
        out = []
        for party, name, date, due, amount in self.bills:
            pending = amount - received.get((party, name), Decimal(0))
            if pending != 0:
                out.append((party, name, date, due, pending))
        return out

    def export(self, root):
        collection = root.findtext(".//HEADER/ID") or ""
        statics = root.find(".//STATICVARIABLES")
        company = statics.findtext("SVCURRENTCOMPANY") if statics is not None else None
        if company is not None and company != self.company:
            return f"<ENVELOPE><LINEERROR>Could not set 'SVCurrentCompany' to '{esc(company)}'</LINEERROR></ENVELOPE>"
        tdl = root.find(".//TDL/TDLMESSAGE/COLLECTION")
        kind = tdl.findtext("TYPE") if tdl is not None else None
        self.stats["exports"] += 1
        if kind in ("Bills", "Bill"):
            parts = ["<ENVELOPE><HEADER><VERSION>1</VERSION><STATUS>1</STATUS></HEADER><BODY><DESC></DESC><DATA><COLLECTION>"]
            for party, name, date, due, pending in self.outstanding_bills():
                # Receivable: a debit balance, negative in Tally's XML.
                parts.append(f'<BILL NAME="{esc(name)}"><PARENT TYPE="String">{esc(party)}</PARENT><BILLDATE TYPE="Date">{date}</BILLDATE>'
                             f'<BILLCREDITPERIOD TYPE="Due Date" P="{due}">{due}</BILLCREDITPERIOD>'
                             f'<CLOSINGBALANCE TYPE="Amount">{tally_amount(-pending)}</CLOSINGBALANCE></BILL>')
            parts.append("</COLLECTION></DATA></BODY></ENVELOPE>")
            return "".join(parts)
        if kind == "Voucher":
            start = statics.findtext("SVFROMDATE") if statics is not None else None
            end = statics.findtext("SVTODATE") if statics is not None else None
            wanted = re.search(r'\$VoucherTypeName = "([^"]*)"', ET.tostring(root, encoding="unicode"))
            parts = ["<ENVELOPE><HEADER><VERSION>1</VERSION><STATUS>1</STATUS></HEADER><BODY><DESC></DESC><DATA><COLLECTION>"]
            for voucher in sorted(self.vouchers.values(), key=lambda v: v["vchid"]):
                if start and voucher["date"] < start or end and voucher["date"] > end:
                    continue
                if wanted and voucher["type"] != wanted.group(1):
                    continue
                parts.append(f'<VOUCHER REMOTEID="{esc(voucher["remote_id"])}" VCHTYPE="{esc(voucher["type"])}">'
                             f'<DATE TYPE="Date">{voucher["date"]}</DATE><VOUCHERTYPENAME>{esc(voucher["type"])}</VOUCHERTYPENAME>'
                             f'<VOUCHERNUMBER>{voucher["number"]}</VOUCHERNUMBER><PARTYLEDGERNAME>{esc(voucher["party"])}</PARTYLEDGERNAME>'
                             f'<AMOUNT TYPE="Amount">{voucher["amount"]}</AMOUNT><ISCANCELLED>{"Yes" if voucher["cancelled"] else "No"}</ISCANCELLED>'
                             f'<GUID>{esc(voucher["remote_id"])}</GUID></VOUCHER>')
            parts.append("</COLLECTION></DATA></BODY></ENVELOPE>")
            return "".join(parts)
        return f"<ENVELOPE><LINEERROR>Could not find Collection '{esc(collection)}'</LINEERROR></ENVELOPE>"


def esc(text):
    return (str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;").replace("'", "&apos;"))


def import_response(result, errors):
    counts = "".join(f"<{name}>{value}</{name}>" for name, value in result.items())
    lines = "".join(f"<LINEERROR>{esc(line)}</LINEERROR>" for line in errors)
    return (f"<ENVELOPE><HEADER><VERSION>1</VERSION><STATUS>1</STATUS></HEADER><BODY><DESC></DESC><DATA>"
            f"<IMPORTRESULT>{counts}</IMPORTRESULT>{lines}</DATA></BODY></ENVELOPE>")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("port", type=int)
    parser.add_argument("--company", required=True)
    parser.add_argument("--ledger", action="append", default=[], help="a ledger the company has (Cash always exists)")
    parser.add_argument("--bills", type=int, default=0, help="outstanding bills to make up at start")
    parser.add_argument("--parties", type=int, default=50, help="the debtors those bills are spread over")
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
            # Headers and body leave at once: without it Nagle and the client's delayed ACK add 40 ms a request.
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

        def reply(self, status, body, content_type="text/xml; charset=utf-8"):
            data = body.encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self):
            url = urlparse(self.path)
            with books.lock:
                if url.path == "/fake/vouchers":
                    return self.reply(200, json.dumps(list(books.vouchers.values())), "application/json")
                if url.path == "/fake/stats":
                    return self.reply(200, json.dumps({**books.stats, "vouchers": len(books.vouchers)}), "application/json")
            # Tally answers a browser's GET with a status line.
            self.reply(200, "<RESPONSE>TallyPrime Server is Running</RESPONSE>")

        def do_POST(self):
            url = urlparse(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            with books.lock:
                books.stats["requests"] += 1
                if url.path == "/fake/delete":
                    remote = parse_qs(url.query).get("remoteid", [""])[0]
                    voucher = books.vouchers.pop(remote, None)
                    if voucher:
                        books.record("deleted", voucher)
                    return self.reply(200 if voucher else 404, json.dumps({"deleted": bool(voucher)}), "application/json")
                if url.path == "/fake/ledgers":
                    books.ledgers.update(json.loads(body or b"[]"))
                    return self.reply(200, json.dumps(sorted(books.ledgers)), "application/json")
                try:
                    root = ET.fromstring(body)
                except ET.ParseError as error:
                    return self.reply(200, f"<ENVELOPE><LINEERROR>Invalid XML: {esc(error)}</LINEERROR></ENVELOPE>")
                request = (root.findtext(".//HEADER/TALLYREQUEST") or "").strip()
                if request in ("Import Data", "Import"):
                    result, errors = books.import_vouchers(root)
                    return self.reply(200, import_response(result, errors))
                if request == "Export":
                    return self.reply(200, books.export(root))
                self.reply(200, "<ENVELOPE><LINEERROR>Unknown Request, cannot be processed</LINEERROR></ENVELOPE>")

    # Gone with the process that started it (a test binary, the harness, the demo), even one killed outright.
    parent = os.getppid()

    def watch_parent():
        while os.getppid() == parent:
            time.sleep(1)
        os._exit(0)

    threading.Thread(target=watch_parent, daemon=True).start()
    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    server.daemon_threads = True
    print(f"listening on 127.0.0.1:{server.server_address[1]} as company '{args.company}' with {len(books.bills)} bills", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
