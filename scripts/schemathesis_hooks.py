"""Schemathesis hooks for scripts/schemathesis.sh (loaded through SCHEMATHESIS_HOOKS).

Signs POST /v1/webhooks/razorpay the way Razorpay does (hex HMAC-SHA256 of the raw body with the webhook
secret in $FIELDPAY_RAZORPAY_SECRET), so generated webhooks get past the signature check and reach the
event handling. A case with the signature header left out (missing-header and negative tests) is left as
generated, and so still exercises the 401 path.

Keeps GET /v1/events short: `wait` (a long-poll of up to 60 s) is clamped to 1 s, and a request never asks for
the endless Server-Sent Events variant (`Accept: text/event-stream`), so no request outlives the run's
--request-timeout. Only values the hub would take as a wait of 2..60 s change, so a negative case stays as
negative as it was generated.

Makes schema-valid PUT /v1/payments/{uuid} bodies valid for the hub too, outside the coverage phase: the
allocations and advance are made to add up to the amount, a cheque gets a cheque number and bank, a utr is
dropped from a method other than upi, receipt_number is cut to 64 UTF-8 bytes, a upi_reference that is not
the enrolled device's is dropped, and the body is signed with the device's receipt key (FPR2). Generated bodies break those
rules nearly always, so without this the fuzzing and stateful phases would only ever see 422 and never store
a payment for GET /v1/payments/{uuid} and PUT .../utr to find. The coverage phase's bodies go as generated and
keep testing the 422s.
"""

import base64
import hashlib
import hmac
import json
import os
import re

import schemathesis

from fieldpay_receipts import DeviceKey

SECRET = os.environ.get("FIELDPAY_RAZORPAY_SECRET", "")
EVENTS_PATH = "/v1/events"
MAX_WAIT = 1
# What Swift's Int(String) parses (the hub reads `wait` with it): an optional sign, then ASCII digits.
SWIFT_INT = re.compile(r"[+-]?[0-9]+")


PAYMENT_PATH = "/v1/payments/{uuid}"
# The enrolled device's receipt key and code (scripts/schemathesis.sh): a consistent payment is also signed, as a
# device signs it, and names only a QR reference of its own.
DEVICE_KEY = DeviceKey(base64.b64decode(os.environ["FIELDPAY_DEVICE_KEY"])) if os.environ.get("FIELDPAY_DEVICE_KEY") else None
DEVICE_CODE = "SCHEMA1"
MONEY = re.compile(r"0?[0-9]{1,16}[.][0-9]{2}")
RECEIPT_BYTES = 64


@schemathesis.hook
def before_call(ctx, case, kwargs):
    if case.operation.path == EVENTS_PATH:
        _shorten_events(case, kwargs)
    elif case.operation.path == PAYMENT_PATH and case.method.upper() == "PUT":
        _make_payment_consistent(case)
    else:
        _sign_webhook(case, kwargs)


def _paise(text):
    return int(text.replace(".", "")) if isinstance(text, str) and MONEY.fullmatch(text) else None


def _money(paise):
    return f"{paise // 100}.{paise % 100:02d}"


def _body_is_positive(case):
    meta = case.meta
    if meta is None or meta.phase.name == "coverage":
        return False
    body = next((info for location, info in meta.components.items() if location == "body"), None)
    return body is not None and body.mode == "positive"


def _make_payment_consistent(case):
    body = case.body
    if not isinstance(body, dict) or not _body_is_positive(case):
        return
    amount = _paise(body.get("amount"))
    allocations = body.get("allocations")
    if amount is None or not isinstance(allocations, list):
        return
    kept, allocated = [], 0
    for allocation in allocations:  # the allocations that fit in the amount, the rest as advance
        part = _paise(allocation.get("amount")) if isinstance(allocation, dict) else None
        if part is None or allocated + part > amount:
            break
        kept.append(allocation)
        allocated += part
    body["allocations"] = kept
    body["advance"] = _money(amount - allocated)
    method = body.get("method")
    if method == "cheque":
        if not body.get("cheque_number"):
            body["cheque_number"] = "000123"
        if not body.get("bank"):
            body["bank"] = "State Bank of India"
    if method != "upi" and body.get("utr") is not None:
        body["utr"] = None
    receipt = body.get("receipt_number")
    if isinstance(receipt, str) and len(receipt.encode("utf-8")) > RECEIPT_BYTES:
        body["receipt_number"] = receipt.encode("utf-8")[:RECEIPT_BYTES].decode("utf-8", "ignore")
    reference = body.get("upi_reference")
    if reference is not None and not (isinstance(reference, str) and reference.startswith(DEVICE_CODE)):
        body["upi_reference"] = None
    uuid = (case.path_parameters or {}).get("uuid")
    if DEVICE_KEY is not None and isinstance(uuid, str):
        try:
            DEVICE_KEY.sign(body, uuid)
        except (KeyError, TypeError, ValueError, AttributeError):
            pass  # a field of the wrong type: left unsigned, the hub answers 422


def _clamp_wait(value):
    """`value` with a wait the hub would honour for more than MAX_WAIT seconds replaced by MAX_WAIT."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return MAX_WAIT if MAX_WAIT < value <= 60 else value
    if isinstance(value, str) and SWIFT_INT.fullmatch(value) and MAX_WAIT < int(value) <= 60:
        return str(MAX_WAIT)
    return value


def _shorten_events(case, kwargs):
    query = case.query
    if query:
        for name in [key for key in query if key.lower() == "wait"]:
            value = query[name]
            query[name] = [_clamp_wait(v) for v in value] if isinstance(value, (list, tuple)) else _clamp_wait(value)
    # No SSE: an Accept that names text/event-stream becomes application/json (the long-poll's answer).
    for headers in (case.headers, kwargs.get("headers")):
        if not headers:
            continue
        for name in [key for key in headers if key.lower() == "accept"]:
            if "event-stream" in str(headers[name]).lower():
                headers[name] = "application/json"


def _sign_webhook(case, kwargs):
    if not SECRET or case.operation.path != "/v1/webhooks/razorpay" or case.method.upper() != "POST":
        return
    headers = case.headers or {}
    name = next((key for key in headers if key.lower() == "x-razorpay-signature"), None)
    if name is None or isinstance(case.body, (bytes, bytearray)):
        return
    try:
        raw = json.dumps(case.body, allow_nan=False).encode("utf-8")
    except (TypeError, ValueError):
        return  # not JSON (a negative case); send it as generated, unsigned
    # Send exactly the bytes signed: a body passed in kwargs replaces the one Schemathesis would serialize.
    kwargs["data"] = raw
    headers[name] = hmac.new(SECRET.encode(), raw, hashlib.sha256).hexdigest()
    case.headers = headers
