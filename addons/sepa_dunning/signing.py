"""A mandate signed online with a one-time code: the code, its checks, and what the evidence shows.

A simple electronic signature: the debtor proves it holds the phone or the mailbox of its
record by typing back a code sent there. No Odoo import: plain values, tested by ``tests/``.
"""

import hashlib
import hmac
import secrets
from datetime import timedelta

CODE_DIGITS = 6
CODE_VALIDITY = timedelta(minutes=10)
MAX_ATTEMPTS = 5

# What a code typed back gives (the page's answers).
SIGNED = "signed"
WRONG = "wrong"  # another try is allowed
EXPIRED = "expired"  # too late: a new code must be asked for
TOO_MANY = "too_many"  # the last try allowed was wrong: a new code must be asked for


def new_code():
    """A code of :data:`CODE_DIGITS` digits from the system's secure generator."""
    return f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"


def code_digest(secret, signature_id, code):
    """What is stored of a code: an HMAC keyed by the database secret, bound to its signature.

    The code itself is never stored: reading the database does not give it.
    """
    message = f"{signature_id}:{normalise(code)}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def normalise(code):
    """The digits of a code as typed (spaces, dashes and dots a phone may add are dropped)."""
    return "".join(char for char in (code or "") if char.isdigit())


def check(typed_digest, stored_digest, sent_at, now, attempts):
    """The outcome of a code typed back.

    :param attempts: the tries already made with this code, this one not counted
    :return: :data:`SIGNED`, :data:`WRONG`, :data:`EXPIRED` or :data:`TOO_MANY`
    """
    if attempts >= MAX_ATTEMPTS:
        return TOO_MANY
    if now > sent_at + CODE_VALIDITY:
        return EXPIRED
    if hmac.compare_digest(typed_digest, stored_digest):
        return SIGNED
    return TOO_MANY if attempts + 1 >= MAX_ATTEMPTS else WRONG


def mask_phone(number):
    """A phone number as the evidence shows it: its country code and last two digits."""
    digits = "".join(char for char in number or "" if char.isdigit() or char == "+")
    if len(digits) < 6:
        return "*" * len(digits)
    head = digits[:3] if digits.startswith("+") else digits[:2]
    return head + "*" * (len(digits) - len(head) - 2) + digits[-2:]


def mask_email(address):
    """An e-mail address as the evidence shows it: the first letter of the name, the domain."""
    name, _at, domain = (address or "").strip().partition("@")
    if not domain:
        return "*" * len(name)
    return f"{name[:1]}{'*' * max(len(name) - 1, 2)}@{domain}"


def document_hash(data):
    """The SHA-256 of the signed mandate's document, in hex: kept with the mandate as evidence."""
    return hashlib.sha256(data).hexdigest()
