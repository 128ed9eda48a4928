"""Receipt files sent by insurers that issue their own receipts, read into plain lines.

An insurer that issues its receipts ("quittancement compagnie") sends the broker
a file of them: a CSV or XLSX export laid out its own way, or our JSON format.
A ``Profile`` says how to read one insurer's files (which column holds what,
the date and number formats, the encoding); ``read`` turns a file into
``ReceiptLine`` values, each checked on its own (``LineProblem`` for a line
that cannot be read), and refuses the whole file (``ReceiptFileError``) when
it cannot be read at all. An insurer's commission statement (what it says it
owes the broker, receipt by receipt) is read the same way into
``CommissionLine`` values. Nothing here knows of contracts: matching a line to
its contract is the Odoo side's.

No Odoo import: taken and returned as plain values, tested by ``tests/``.
"""

import csv
import io
import json
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

CENT = Decimal("0.01")
# 100,000 receipt lines are some 12 MB: a larger file is not an insurer's export.
MAX_BYTES = 32 * 1024 * 1024
MAX_UNZIPPED = 8 * MAX_BYTES  # a workbook whose sheets unpack beyond this is a zip bomb

# What a line says, and whether a file must have a column for it.
FIELDS = {
    "policy": True,  # the policy number, or the insurer's own reference of the contract
    "reference": True,  # the insurer's number of the receipt
    "period_start": True,
    "period_end": True,
    "date_due": False,  # the first day of the period when absent
    "amount_total": True,  # premium, taxes and fees included
    "amount_tax": False,
    "amount_fee": False,
    "commission": False,  # what the insurer grants the broker on this receipt
    "kind": False,  # "receipt" (default) or "cancellation"
}
# What a line of a commission statement says: the insurer's count of what it owes the broker.
COMMISSION_FIELDS = {
    "policy": True,
    "reference": False,  # the insurer's receipt number, or ours; else the period tells the receipt
    "period_start": False,
    "commission": True,
}
CANCELLATION_WORDS = {"cancellation", "cancel", "cancelled", "annulation", "annule", "annulé", "ann", "x"}
RECEIPT_WORDS = {"", "receipt", "quittance", "q", "emission", "émission"}


class ReceiptFileError(ValueError):
    """The file cannot be read at all: nothing of it is taken."""


@dataclass(frozen=True)
class Profile:
    """How one insurer's files are laid out."""

    file_format: str = "csv"  # csv, xlsx or json
    columns: dict = field(default_factory=dict)  # our field -> the file's header (our name when absent)
    encoding: str = "utf-8"
    delimiter: str = ";"
    date_format: str = "%d/%m/%Y"
    decimal_separator: str = ","
    thousands_separator: str = ""
    header_row: int = 1  # the row holding the headers (1 = first); rows above it are the insurer's title

    def header(self, name):
        return (self.columns.get(name) or name).strip()


@dataclass(frozen=True)
class ReceiptLine:
    """One receipt the insurer issued, or cancelled."""

    row: int
    policy: str
    reference: str
    period_start: date
    period_end: date
    date_due: date
    amount_total: Decimal
    amount_tax: Decimal
    amount_fee: Decimal
    commission: Decimal | None  # None: the file does not say
    kind: str = "receipt"

    @property
    def amount_net(self):
        """The premium before taxes and fees."""
        return self.amount_total - self.amount_tax - self.amount_fee

    def same_amounts(self, other):
        return (self.amount_total, self.amount_tax, self.amount_fee, self.commission) == (
            other.amount_total,
            other.amount_tax,
            other.amount_fee,
            other.commission,
        )


@dataclass(frozen=True)
class CommissionLine:
    """One receipt's commission as the insurer's statement gives it."""

    row: int
    policy: str
    reference: str
    period_start: date | None
    commission: Decimal


@dataclass(frozen=True)
class LineProblem:
    """A line of the file that cannot be taken, and why (in English; the caller translates by ``code``)."""

    row: int
    code: str
    detail: str
    policy: str = ""
    reference: str = ""


def read(data, profile, kind="receipts"):
    """The lines of a receipt file (or, with ``kind="commissions"``, of a commission statement), in file order.

    :param data: the file's bytes
    :return: a list of ``ReceiptLine`` (``CommissionLine``) and ``LineProblem``
    :raise ReceiptFileError: the file is empty, too large, not of the profile's
        format or encoding, or lacks a column the profile needs
    """
    if not data:
        raise ReceiptFileError("The file is empty.")
    if len(data) > MAX_BYTES:
        raise ReceiptFileError(f"The file is larger than {MAX_BYTES // (1024 * 1024)} MB.")
    fields, make_line = (COMMISSION_FIELDS, _commission_line) if kind == "commissions" else (FIELDS, _line)
    if profile.file_format == "json":
        return _read_json(data, kind, fields, make_line)
    if profile.file_format == "xlsx":
        rows = _xlsx_rows(data)
    elif profile.file_format == "csv":
        rows = _csv_rows(data, profile)
    else:
        raise ReceiptFileError(f"Unknown file format {profile.file_format!r}.")
    return _read_rows(rows, profile, fields, make_line)


def _csv_rows(data, profile):
    try:
        text = data.decode(profile.encoding)
    except (UnicodeDecodeError, LookupError) as error:
        raise ReceiptFileError(
            f"The file is not in the profile's encoding ({profile.encoding}): {error.reason} at byte {error.start}."
            if isinstance(error, UnicodeDecodeError)
            else f"Unknown encoding {profile.encoding!r}."
        ) from error
    if "\x00" in text:
        # Single-byte encodings decode anything: a UTF-16 file read as Latin-1 shows its NUL bytes.
        raise ReceiptFileError(f"The file is not in the profile's encoding ({profile.encoding}).")
    text = text.removeprefix("\ufeff")
    return list(csv.reader(io.StringIO(text, newline=""), delimiter=profile.delimiter or ";"))


def _xlsx_rows(data):
    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise ReceiptFileError("The file is not an XLSX workbook.")
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        if sum(member.file_size for member in archive.infolist()) > MAX_UNZIPPED:
            raise ReceiptFileError(f"The workbook unpacks to more than {MAX_UNZIPPED // (1024 * 1024)} MB.")
    import openpyxl  # Odoo's own requirement, only needed for workbooks

    try:
        # data_only: a formula is read as the value the spreadsheet last computed, never evaluated here.
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises whatever its parsers raise on a broken workbook
        raise ReceiptFileError(f"The workbook cannot be read: {error}") from error
    try:
        sheet = book.worksheets[0]
        return [list(row) for row in sheet.iter_rows(values_only=True)]
    finally:
        book.close()


def _read_rows(rows, profile, fields, make_line):
    start = max(profile.header_row, 1) - 1
    if len(rows) <= start:
        raise ReceiptFileError("The file has no header row.")
    headers = [_text(cell) for cell in rows[start]]
    positions = {}
    missing = []
    for name, required in fields.items():
        header = profile.header(name)
        if header in headers:
            positions[name] = headers.index(header)
        elif required:
            missing.append(header)
    if missing:
        raise ReceiptFileError(f"Columns missing from the file: {', '.join(missing)}.")
    lines = []
    for number, row in enumerate(rows[start + 1 :], start=start + 2):
        if not any(_text(cell) for cell in row):
            continue
        values = {name: (row[index] if index < len(row) else None) for name, index in positions.items()}
        lines.append(make_line(number, values, profile))
    return lines


def _read_json(data, kind, fields, make_line):
    """Our own format: ``{"receipts": [{"policy": ..., "reference": ..., ...}]}``, ISO dates, amounts as strings.

    A commission statement is ``{"commissions": [{"policy": ..., "reference": ..., "commission": ...}]}``.
    """
    try:
        document = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ReceiptFileError(f"The file is not JSON: {error}") from error
    receipts = document.get(kind) if isinstance(document, dict) else None
    if not isinstance(receipts, list):
        raise ReceiptFileError(f'The JSON document has no "{kind}" list.')
    iso = Profile(file_format="json", date_format="%Y-%m-%d", decimal_separator=".")
    lines = []
    for number, item in enumerate(receipts, start=1):
        if not isinstance(item, dict):
            lines.append(LineProblem(number, "unreadable", "Each line must be an object."))
            continue
        lines.append(make_line(number, {name: item.get(name) for name in fields}, iso))
    return lines


def _line(number, values, profile):
    policy = _text(values.get("policy"))
    reference = _text(values.get("reference"))

    def problem(code, detail):
        return LineProblem(number, code, detail, policy=policy, reference=reference)

    if not policy or not reference:
        return problem("incomplete", "The policy number and the receipt number are required.")
    try:
        start = _date(values.get("period_start"), profile)
        end = _date(values.get("period_end"), profile)
        due = _date(values.get("date_due"), profile) if _text(values.get("date_due")) else start
        total = _amount(values.get("amount_total"), profile)
        tax = _amount(values.get("amount_tax"), profile, default=Decimal(0))
        fee = _amount(values.get("amount_fee"), profile, default=Decimal(0))
        commission = _amount(values.get("commission"), profile, default=None)
    except ValueError as error:
        return problem("unreadable", str(error))
    kind_word = _text(values.get("kind")).lower()
    if kind_word in CANCELLATION_WORDS:
        kind = "cancellation"
    elif kind_word in RECEIPT_WORDS:
        kind = "receipt"
    else:
        return problem("unreadable", f"Unknown kind of line {kind_word!r}.")
    if start is None or end is None or end < start:
        return problem("period", "The period must have a start and an end, the end not before the start.")
    if total is None:
        return problem("unreadable", "The total premium is required.")
    if kind == "receipt" and total <= 0:
        return problem("amounts", "A receipt's total must be positive.")
    if min(tax, fee) < 0 or tax + fee > abs(total):
        return problem("amounts", "Taxes and fees must be positive and within the total.")
    if commission is not None and (commission < 0 or commission > abs(total) - tax - fee):
        return problem("amounts", "The commission must be positive and within the premium before taxes.")
    return ReceiptLine(number, policy, reference, start, end, due, total, tax, fee, commission, kind)


def _commission_line(number, values, profile):
    policy = _text(values.get("policy"))
    reference = _text(values.get("reference"))
    try:
        start = _date(values.get("period_start"), profile)
        commission = _amount(values.get("commission"), profile)
    except ValueError as error:
        return LineProblem(number, "unreadable", str(error), policy=policy, reference=reference)
    if not policy or not (reference or start):
        return LineProblem(
            number,
            "incomplete",
            "The policy number and the receipt number or the period are required.",
            policy=policy,
            reference=reference,
        )
    if commission is None:
        return LineProblem(number, "unreadable", "The commission is required.", policy=policy, reference=reference)
    return CommissionLine(number, policy, reference, start, commission)


def _text(value):
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        # A spreadsheet keeps a policy number typed as digits as a number.
        value = int(value)
    return str(value).strip()


def _date(value, profile):
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = _text(value)
    try:
        return datetime.strptime(text, profile.date_format).date()
    except ValueError:
        raise ValueError(f"{text!r} is not a date in the format {profile.date_format}.") from None


def _amount(value, profile, default=None):
    if value is None or _text(value) == "":
        return default
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not an amount.")
    if isinstance(value, int | float | Decimal):
        number = Decimal(str(value))
    else:
        text = _text(value).replace("\u00a0", "").replace(" ", "")
        if profile.thousands_separator:
            text = text.replace(profile.thousands_separator, "")
        if profile.decimal_separator != ".":
            if "." in text and profile.thousands_separator != ".":
                raise ValueError(f"{_text(value)!r} is not an amount with {profile.decimal_separator!r} for decimals.")
            text = text.replace(profile.decimal_separator, ".")
        try:
            number = Decimal(text)
        except InvalidOperation:
            raise ValueError(f"{_text(value)!r} is not an amount.") from None
    if not number.is_finite() or number != number.quantize(CENT):
        raise ValueError(f"{_text(value)!r} is not an amount in cents.")
    return number.quantize(CENT)
