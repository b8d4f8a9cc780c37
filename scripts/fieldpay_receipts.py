"""A FieldPay device's receipt signature, for the scripts that upload payments without a device (the messaging
fault harness, the schemathesis hooks): the version 2 signed text as `SignedReceiptText` in
Sources/FieldPayCore/Payment.swift writes it, signed with Ed25519 (python3-cryptography, from Debian).

FPR2|receipt|payment id|recorded_at_ms|method|amount paise|invoice:paise:balance,…|advance paise|utr|cheque|
customer|upi_reference|bank|cheque_date — every field percent-escaped (% | , :), an absent one "-".
"""

import base64

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey


def _escape(text):
    return text.replace("%", "%25").replace("|", "%7C").replace(",", "%2C").replace(":", "%3A")


def _field(value):
    if value is None:
        return "-"
    return "%2D" if value == "-" else _escape(value)


def _paise(text):
    rupees, _, paise = text.partition(".")
    return int(rupees) * 100 + int(paise)


def receipt_text(upload, payment_id):
    """The text a device signs for `upload` (a PUT /v1/payments body) under `payment_id`."""
    allocations = ",".join(f"{_escape(a['invoice'])}:{_paise(a['amount'])}:0" for a in upload["allocations"])
    cheque = upload.get("cheque_number")
    return "|".join([
        "FPR2", _field(upload["receipt_number"]), payment_id.lower(), str(upload["recorded_at_ms"]), upload["method"],
        str(_paise(upload["amount"])), allocations, str(_paise(upload["advance"])), upload.get("utr") or "-",
        _escape(cheque) if cheque is not None else "-", _field(upload["customer_code"]), _field(upload.get("upi_reference")),
        _field(upload.get("bank")), _field(upload.get("cheque_date")),
    ])


class DeviceKey:
    """An Ed25519 receipt key: `public` is what enrollment sends, `sign` sets an upload's signed_text and signature."""

    def __init__(self, seed=None):
        self.key = Ed25519PrivateKey.from_private_bytes(seed) if seed else Ed25519PrivateKey.generate()
        raw = self.key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        self.public = base64.b64encode(raw).decode()

    @property
    def seed(self):
        return self.key.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption())

    def sign(self, upload, payment_id):
        text = receipt_text(upload, payment_id)
        upload["signed_text"] = text
        upload["signature"] = base64.urlsafe_b64encode(self.key.sign(text.encode())).decode().rstrip("=")
        return upload
