"""Insurers' receipt files (insurance_arrears/receipt_files.py), read without Odoo."""

import io
import json
import re
import zipfile
from datetime import date, datetime
from decimal import Decimal

import openpyxl
import pytest
from insurance_arrears import receipt_files
from insurance_arrears.receipt_files import LineProblem, Profile, ReceiptFileError, ReceiptLine

# An insurer's own layout: its headers, French dates and decimals, Latin-1 as its old system writes.
AXA_LIKE = Profile(
    file_format="csv",
    columns={
        "policy": "N° police",
        "reference": "N° quittance",
        "period_start": "Début",
        "period_end": "Fin",
        "date_due": "Échéance",
        "amount_total": "Prime TTC",
        "amount_tax": "Taxes",
        "amount_fee": "Frais",
        "commission": "Commission",
        "kind": "Type",
    },
    encoding="latin-1",
    delimiter=";",
    date_format="%d/%m/%Y",
    decimal_separator=",",
    thousands_separator=" ",
)
HEADER = "N° police;N° quittance;Début;Fin;Échéance;Prime TTC;Taxes;Frais;Commission;Type"


def csv_file(*rows, header=HEADER, encoding="latin-1"):
    return "\r\n".join([header, *rows]).encode(encoding)


def test_an_insurers_csv_is_read_with_its_own_headers_dates_and_decimals():
    lines = receipt_files.read(
        csv_file(
            "POL-001;Q-2026-0001;01/01/2026;31/03/2026;05/01/2026;1 234,56;111,11;10,00;98,40;",
            "POL-002;Q-2026-0002;01/01/2026;31/12/2026;;300,00;;;;Annulation",
        ),
        AXA_LIKE,
    )
    assert lines == [
        ReceiptLine(
            row=2,
            policy="POL-001",
            reference="Q-2026-0001",
            period_start=date(2026, 1, 1),
            period_end=date(2026, 3, 31),
            date_due=date(2026, 1, 5),
            amount_total=Decimal("1234.56"),
            amount_tax=Decimal("111.11"),
            amount_fee=Decimal("10.00"),
            commission=Decimal("98.40"),
        ),
        ReceiptLine(
            row=3,
            policy="POL-002",
            reference="Q-2026-0002",
            period_start=date(2026, 1, 1),
            period_end=date(2026, 12, 31),
            date_due=date(2026, 1, 1),  # no due date: the period's first day
            amount_total=Decimal("300.00"),
            amount_tax=Decimal(0),
            amount_fee=Decimal(0),
            commission=None,
            kind="cancellation",
        ),
    ]
    assert lines[0].amount_net == Decimal("1113.45")


def test_a_file_in_another_encoding_than_the_profiles_is_refused_whole():
    data = csv_file("POL-001;Q-1;01/01/2026;31/03/2026;;100,00;;;;").decode("latin-1").encode("utf-16")
    with pytest.raises(ReceiptFileError, match="encoding"):
        receipt_files.read(data, AXA_LIKE)
    with pytest.raises(ReceiptFileError, match="encoding"):
        receipt_files.read(csv_file("POL-É;Q-1;01/01/2026;31/03/2026;;100,00;;;;"), Profile(columns=AXA_LIKE.columns))
    with pytest.raises(ReceiptFileError, match="Unknown encoding"):
        receipt_files.read(b"x", Profile(encoding="klingon"))


def test_a_utf8_file_with_a_byte_order_mark_is_read():
    profile = Profile(columns=AXA_LIKE.columns, encoding="utf-8")
    data = "\ufeff".encode() + csv_file("POL-001;Q-1;01/01/2026;31/03/2026;;100,00;;;;", encoding="utf-8")
    assert [line.policy for line in receipt_files.read(data, profile)] == ["POL-001"]


def test_missing_columns_are_all_named_and_nothing_is_read():
    data = csv_file("POL-001;01/01/2026;100,00", header="N° police;Début;Prime TTC")
    with pytest.raises(ReceiptFileError) as error:
        receipt_files.read(data, AXA_LIKE)
    assert "N° quittance" in str(error.value)
    assert "Fin" in str(error.value)


@pytest.mark.parametrize(
    ("row", "code", "words"),
    [
        (";Q-1;01/01/2026;31/03/2026;;100,00;;;;", "incomplete", "policy number"),
        ("POL-1;Q-1;2026-01-01;31/03/2026;;100,00;;;;", "unreadable", "not a date"),
        ("POL-1;Q-1;01/04/2026;31/03/2026;;100,00;;;;", "period", "end not before"),
        ("POL-1;Q-1;01/01/2026;31/03/2026;;100.00;;;;", "unreadable", "for decimals"),
        ("POL-1;Q-1;01/01/2026;31/03/2026;;cent;;;;", "unreadable", "not an amount"),
        ("POL-1;Q-1;01/01/2026;31/03/2026;;100,001;;;;", "unreadable", "in cents"),
        ("POL-1;Q-1;01/01/2026;31/03/2026;;=1+99;;;;", "unreadable", "not an amount"),
        ("POL-1;Q-1;01/01/2026;31/03/2026;;0,00;;;;", "amounts", "positive"),
        ("POL-1;Q-1;01/01/2026;31/03/2026;;100,00;80,00;30,00;;", "amounts", "within the total"),
        ("POL-1;Q-1;01/01/2026;31/03/2026;;100,00;10,00;;95,00;", "amounts", "commission"),
        ("POL-1;Q-1;01/01/2026;31/03/2026;;100,00;;;;Peut-être", "unreadable", "kind"),
    ],
)
def test_a_line_that_cannot_be_taken_says_why_and_the_others_are_read(row, code, words):
    good = "POL-9;Q-9;01/01/2026;31/03/2026;;100,00;;;;"
    first, second = receipt_files.read(csv_file(row, good), AXA_LIKE)
    assert isinstance(first, LineProblem)
    assert (first.row, first.code) == (2, code)
    assert words in first.detail
    assert isinstance(second, ReceiptLine)
    assert second.row == 3


def test_blank_lines_are_skipped_and_rows_keep_their_number_in_the_file():
    lines = receipt_files.read(csv_file(";;;;;;;;;", "POL-1;Q-1;01/01/2026;31/03/2026;;100,00;;;;"), AXA_LIKE)
    assert [line.row for line in lines] == [3]


def test_rows_above_the_header_are_the_insurers_title():
    profile = Profile(columns=AXA_LIKE.columns, encoding="latin-1", header_row=3)
    data = b"Bordereau de quittancement\r\nCourtier 12345\r\n" + csv_file("POL-1;Q-1;01/01/2026;31/03/2026;;100,00;;;;")
    (line,) = receipt_files.read(data, profile)
    assert (line.row, line.policy) == (4, "POL-1")


def xlsx_file(rows):
    book = openpyxl.Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


XLSX = Profile(file_format="xlsx", columns=AXA_LIKE.columns)
XLSX_HEADER = HEADER.split(";")


def test_a_workbook_is_read_with_its_typed_cells():
    data = xlsx_file(
        [
            XLSX_HEADER,
            [1234567, "Q-1", datetime(2026, 1, 1), datetime(2026, 3, 31), None, 1234.56, 111.11, 10, 98.4, None],
        ]
    )
    (line,) = receipt_files.read(data, XLSX)
    assert line.policy == "1234567", "a policy number typed as digits is not read as 1234567.0"
    assert (line.period_start, line.amount_total, line.amount_fee) == (date(2026, 1, 1), Decimal("1234.56"), 10)
    assert line.commission == Decimal("98.40")


def with_cached_value(data, cell, value):
    """The workbook as a spreadsheet application saves it: the formula of ``cell`` with its last computed value."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for item in source.infolist():
            content = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                text = content.decode()
                text, count = re.subn(
                    rf'(<c r="{cell}"[^>]*>\s*<f>[^<]*</f>)\s*(<v\s*/>|<v></v>)?', rf"\1<v>{value}</v>", text
                )
                assert count == 1
                content = text.encode()
            target.writestr(item, content)
    return out.getvalue()


def test_formulas_in_a_workbook_are_read_as_their_saved_values_never_evaluated():
    row = ["POL-1", "Q-1", datetime(2026, 1, 1), datetime(2026, 3, 31), None, "=100+20", None, None, None, None]
    data = xlsx_file([XLSX_HEADER, row])
    # Saved by a spreadsheet application: the value it computed, whatever the formula would give.
    (line,) = receipt_files.read(with_cached_value(data, "F2", "150"), XLSX)
    assert line.amount_total == Decimal("150.00")
    # Never computed by anyone: no value, and the line says so rather than computing 120.
    (problem,) = receipt_files.read(data, XLSX)
    assert (problem.code, problem.row) == ("unreadable", 2)


def test_a_file_that_is_not_a_workbook_is_refused():
    with pytest.raises(ReceiptFileError, match="not an XLSX"):
        receipt_files.read(csv_file("POL-1;Q-1;01/01/2026;31/03/2026;;100,00;;;;"), XLSX)
    broken = io.BytesIO()
    with zipfile.ZipFile(broken, "w") as archive:
        archive.writestr("hello.txt", "not a workbook")
    with pytest.raises(ReceiptFileError, match="cannot be read"):
        receipt_files.read(broken.getvalue(), XLSX)


def test_our_json_format():
    data = json.dumps(
        {
            "receipts": [
                {
                    "policy": "POL-1",
                    "reference": "Q-1",
                    "period_start": "2026-01-01",
                    "period_end": "2026-03-31",
                    "date_due": "2026-01-10",
                    "amount_total": "120.00",
                    "amount_tax": "10.00",
                    "commission": "15.00",
                },
                {
                    "policy": "POL-1",
                    "reference": "Q-0",
                    "period_start": "2025-10-01",
                    "period_end": "2025-12-31",
                    "amount_total": "120.00",
                    "kind": "cancellation",
                },
                "not an object",
            ]
        }
    ).encode()
    receipt, cancellation, problem = receipt_files.read(data, Profile(file_format="json"))
    assert (receipt.date_due, receipt.amount_total, receipt.amount_net) == (
        date(2026, 1, 10),
        Decimal("120.00"),
        Decimal("110.00"),
    )
    assert cancellation.kind == "cancellation"
    assert (problem.row, problem.code) == (3, "unreadable")


@pytest.mark.parametrize("data", [b"{", b'{"lines": []}', b"[1, 2]", b"\xff\xfe"])
def test_a_json_file_of_another_shape_is_refused(data):
    with pytest.raises(ReceiptFileError):
        receipt_files.read(data, Profile(file_format="json"))


def test_an_empty_or_oversized_file_is_refused_before_it_is_read():
    with pytest.raises(ReceiptFileError, match="empty"):
        receipt_files.read(b"", AXA_LIKE)
    fifty_mb = csv_file() + b"POL-1;Q-1;01/01/2026;31/03/2026;;1,00;;;;\r\n" * 1_250_000
    assert len(fifty_mb) > 50 * 1024 * 1024
    with pytest.raises(ReceiptFileError, match="larger than 32 MB"):
        receipt_files.read(fifty_mb, AXA_LIKE)


def test_a_workbook_that_unpacks_beyond_reason_is_refused_unread():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b"<" + b" " * (300 * 1024 * 1024))
    assert len(out.getvalue()) < receipt_files.MAX_BYTES
    with pytest.raises(ReceiptFileError, match="unpacks to more than"):
        receipt_files.read(out.getvalue(), Profile(file_format="xlsx"))


def test_a_large_file_is_read_whole():
    rows = [f"POL-{n:06d};Q-{n:06d};01/01/2026;31/03/2026;;{n % 900 + 100},00;;;;" for n in range(20000)]
    lines = receipt_files.read(csv_file(*rows), AXA_LIKE)
    assert len(lines) == 20000
    assert all(isinstance(line, ReceiptLine) for line in lines)
    assert lines[-1].reference == "Q-019999"


COMMISSIONS = Profile(
    columns={"policy": "Police", "reference": "Quittance", "period_start": "Debut", "commission": "Commission"},
    date_format="%d/%m/%Y",
)


def test_a_commission_statement_is_read_by_receipt_number_or_period():
    data = "\r\n".join(
        [
            "Police;Quittance;Debut;Commission",
            "POL-1;Q-1;;37,50",
            "POL-2;;01/04/2026;12,00",
            "POL-3;;;5,00",
            "POL-4;Q-4;;",
            "POL-5;Q-5;;1,234",
        ]
    ).encode()
    lines = receipt_files.read(data, COMMISSIONS, kind="commissions")
    assert lines[0] == receipt_files.CommissionLine(2, "POL-1", "Q-1", None, Decimal("37.50"))
    assert lines[1] == receipt_files.CommissionLine(3, "POL-2", "", date(2026, 4, 1), Decimal("12.00"))
    assert [(line.row, line.code) for line in lines[2:]] == [(4, "incomplete"), (5, "unreadable"), (6, "unreadable")]


def test_a_commission_statement_needs_its_policy_and_commission_columns_only():
    with pytest.raises(ReceiptFileError, match="Columns missing from the file: Commission"):
        receipt_files.read(b"Police;Quittance\r\nPOL-1;Q-1\r\n", COMMISSIONS, kind="commissions")
    lines = receipt_files.read(b"Police;Commission;Debut\r\nPOL-1;3,00;01/01/2026\r\n", COMMISSIONS, kind="commissions")
    assert lines == [receipt_files.CommissionLine(2, "POL-1", "", date(2026, 1, 1), Decimal("3.00"))]


def test_a_commission_statement_in_our_json_format():
    data = json.dumps({"commissions": [{"policy": "POL-1", "reference": "Q-1", "commission": "37.50"}, 4]}).encode()
    lines = receipt_files.read(data, Profile(file_format="json"), kind="commissions")
    assert lines[0] == receipt_files.CommissionLine(1, "POL-1", "Q-1", None, Decimal("37.50"))
    assert lines[1].code == "unreadable"
    with pytest.raises(ReceiptFileError, match='no "commissions" list'):
        receipt_files.read(b'{"receipts": []}', Profile(file_format="json"), kind="commissions")
