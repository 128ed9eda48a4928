"""CFONB 120 account statements: unpaid SEPA direct debits (B3/B4 movements) as return lines.

Every record is written here zone by zone after the CFONB layout ("Evolutions du relevé
de compte 120 caractères", v2.0, March 2010: positions from 1, 120 characters); no bank
sample is read from disk.
"""

import datetime as dt
import io
import zipfile
from decimal import Decimal

import pytest
from sepa_dunning.iso20022 import returns
from sepa_dunning.iso20022.returns import BankFileError, ReturnLine

CREDITOR_IBAN = "FR76 3000 6000 0112 3456 7890 189"
ACCOUNT = ((3, "30006"), (12, "00001"), (17, "EUR"), (20, "2"), (22, "12345678901"))
DAY = "200126"
DATE = dt.date(2026, 1, 20)


def record(code, *zones, account=ACCOUNT):
    """A 120-character record: ``code`` then ``(position, value)`` zones, blanks elsewhere."""
    chars = [" "] * 120
    for position, value in ((1, code), *account, *zones):
        chars[position - 1 : position - 1 + len(value)] = value
    assert len(chars) == 120
    return "".join(chars)


def balance(code, amount="0000000100000{", day=DAY):
    return record(code, (35, day), (91, amount))


def movement(operation, amount, label, reference="", reason="", decimals="2", day=DAY):
    zones = [(20, decimals), (33, operation), (35, day), (43, day), (49, label), (91, amount), (105, reference)]
    return record("04", *zones, *([(41, reason)] if reason else []))


def complement(operation, qualifier, text):
    return record("05", (33, operation), (35, DAY), (46, qualifier), (49, text))


def statement(*lines, end="\r\n"):
    return "".join(f"{line}{end}" for line in (balance("01"), *lines, balance("07"))).encode("latin-1")


def parse_one(data, filename="releve.txt"):
    messages = returns.parse(data, filename)
    assert len(messages) == 1
    return messages[0]


def zip_of(*members):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in members:
            archive.writestr(name, data)
    return buffer.getvalue()


MIXED = [
    movement("18", "0000000010401G", "VIR INST MA JOLIE BOUTIQUE"),  # transfer received
    complement("18", "NPY", "MA JOLIE BOUTIQUE"),
    movement("B3", "0000000000459R", "PRLV SEPA IMPAYE", reference="RJ0000000000001"),
    complement("B3", "NPY", "DUPONT JEAN"),
    complement("B3", "RCN", "SD-2026-0001-00007".ljust(35) + "INSURANCE PREMIUM"),
    complement("B3", "RUM", "MNDT-00042".ljust(35) + "RCUR"),
    complement("B3", "LIB", "MOTIF AM04 PROVISION INSUFFISANTE"),
    movement("B1", "0000000000199R", "PRLV SEPA FREE MOBILE"),  # a debit we paid
    complement("B1", "RCN", "fmpmt-1168225394"),
    movement("B4", "0000000012000}", "PRLV SEPA B2B IMPAYE", reference="RJ0000000000002"),
    complement("B4", "RCN", "SD-2026-0001-00008"),
    complement("B4", "LCC", "COMPTE CLOTURE AC04"),
    movement("A1", "0000000250000{", "REMISE PRLV SEPA"),  # the collection credited
    movement("B3", "0000000003000}", "IMPAYE PRLV SEPA MD01", reference="RJ0000000000003", reason="66"),
]


def test_statement_with_returns_and_ordinary_movements():
    message = parse_one(statement(*MIXED))
    assert (message.message_type, message.version, message.message_id) == ("cfonb120", "cfonb120", "")
    assert (message.created, message.filename) == (DATE, "releve.txt")
    assert message.lines == [
        ReturnLine(
            end_to_end_id="SD-2026-0001-00007",
            mandate_id="MNDT-00042",
            amount=Decimal("45.99"),
            currency="EUR",
            reason_code="AM04",
            additional_info="PRLV SEPA IMPAYE / MOTIF AM04 PROVISION INSUFFISANTE / payer DUPONT JEAN",
            date=DATE,
            kind="return",
            bank_reference="RJ0000000000001",
        ),
        ReturnLine(
            end_to_end_id="SD-2026-0001-00008",
            amount=Decimal("1200.00"),
            currency="EUR",
            reason_code="AC04",
            additional_info="PRLV SEPA B2B IMPAYE / COMPTE CLOTURE AC04",
            date=DATE,
            kind="return",
            bank_reference="RJ0000000000002",
        ),
        # No complement: no end-to-end id, the label and the CFONB reason are kept.
        ReturnLine(
            amount=Decimal("300.00"),
            currency="EUR",
            reason_code="MD01",
            additional_info="IMPAYE PRLV SEPA MD01 / CFONB reason 66",
            date=DATE,
            kind="return",
            bank_reference="RJ0000000000003",
        ),
    ]
    assert message.ignored == 5  # 3 ordinary movements, the opening and the closing balance


def test_return_without_complement_or_code_keeps_its_label_for_an_unmatched_line():
    line = parse_one(statement(movement("B3", "0000000001000}", "PRLV SEPA ASSUR HABITATION"))).lines[0]
    assert (line.end_to_end_id, line.mandate_id, line.reason_code) == ("", "", "")
    assert line.additional_info == "PRLV SEPA ASSUR HABITATION"


def test_md06_is_a_refund():
    data = statement(movement("B3", "0000000001000}", "PRLV SEPA REMBOURSE"), complement("B3", "LIB", "MD06"))
    assert parse_one(data).lines[0].kind == "refund"


def test_returned_debit_booked_as_a_credit_is_ignored():
    message = parse_one(statement(movement("B3", "0000000001000{", "ANNUL IMPAYE PRLV")))
    assert (message.lines, message.ignored) == ([], 3)


def test_debtor_side_rejection_codes_are_ordinary_movements():
    data = statement(movement("A3", "0000000001000{", "REJET PRLV"), movement("A4", "0000000001000}", "REJET"))
    message = parse_one(data)
    assert (message.lines, message.ignored) == ([], 4)


def test_statement_without_movement_is_an_empty_message():
    message = parse_one(statement())
    assert (message.lines, message.ignored, message.created) == ([], 2, DATE)


def test_several_statements_in_one_file():
    first = statement(movement("B3", "0000000001000}", "IMPAYE 1"))
    second = statement(movement("B4", "0000000002000}", "IMPAYE 2")).replace(DAY.encode(), b"210126")
    message = parse_one(first + second)
    assert [line.amount for line in message.lines] == [Decimal("100.00"), Decimal("200.00")]
    assert [line.date for line in message.lines] == [DATE, dt.date(2026, 1, 21)]
    assert (message.ignored, message.created) == (4, dt.date(2026, 1, 21))


# -----------------------------------------------------------------------------
# Amounts: sign on the last character, number of decimals in position 20
# -----------------------------------------------------------------------------


@pytest.mark.parametrize("digit", range(10))
def test_negative_last_character_gives_the_digit_of_a_debit(digit):
    raw = f"0000000012{digit}".rjust(13, "0") + "}JKLMNOPQR"[digit]
    assert parse_one(statement(movement("B3", raw, "IMPAYE"))).lines[0].amount == Decimal(f"12{digit}{digit}") / 100


@pytest.mark.parametrize("digit", range(10))
def test_positive_last_character_is_a_credit(digit):
    raw = "0000000001234"[:13] + "{ABCDEFGHI"[digit]
    message = parse_one(statement(movement("B3", raw, "IMPAYE")))
    assert (message.lines, message.ignored) == ([], 3)


@pytest.mark.parametrize(
    ("decimals", "raw", "amount"),
    [
        ("2", "0000000012345N", Decimal("1234.55")),
        ("0", "0000000012345N", Decimal("123455")),
        ("3", "0000000012345N", Decimal("12345.5") / 100),
        ("2", "0000000000000J", Decimal("0.01")),
        ("2", "           12J", Decimal("1.21")),  # blanks instead of leading zeros
        ("0", "0000000000750}", Decimal("7500")),  # XPF: no decimals
    ],
)
def test_number_of_decimals_places_the_point(decimals, raw, amount):
    line = parse_one(statement(movement("B3", raw, "IMPAYE", decimals=decimals))).lines[0]
    assert line.amount == amount
    assert line.amount.as_tuple().exponent == -int(decimals)


def test_balances_with_blank_decimals_and_negative_amounts_are_read():
    opening = record("01", (20, " "), (35, DAY), (91, "0000000100000}"))
    data = f"{opening}\r\n{balance('07', amount='0000000000000{')}\r\n".encode()
    assert parse_one(data).ignored == 2


# -----------------------------------------------------------------------------
# Line breaks and characters
# -----------------------------------------------------------------------------

EXPECTED = parse_one(statement(*MIXED)).lines


@pytest.mark.parametrize(
    "build",
    [
        lambda: statement(*MIXED, end="\r\n"),
        lambda: statement(*MIXED, end="\n"),
        lambda: statement(*MIXED, end="\r"),
        lambda: statement(*MIXED, end="\r\n")[:-2],  # no final line break
        lambda: statement(*MIXED, end="\n") + b"\n\n",
        lambda: statement(*MIXED, end=""),  # no line break at all: 120-character records
        lambda: statement(*MIXED, end="\r\n") + b"\x1a",  # DOS end-of-file mark
        lambda: b"\xef\xbb\xbf" + statement(*MIXED, end="\n"),
    ],
    ids=["crlf", "lf", "cr", "no-final-break", "blank-lines-at-end", "no-breaks", "ctrl-z", "bom"],
)
def test_line_breaks_do_not_change_what_is_read(build):
    assert parse_one(build()).lines == EXPECTED


@pytest.mark.parametrize("encoding", ["latin-1", "utf-8"])
def test_accented_labels_are_read_in_latin_1_or_utf_8(encoding):
    text = statement(movement("B3", "0000000001000}", "IMPAYÉ PRÉLÈVEMENT")).decode("latin-1")
    assert parse_one(text.encode(encoding)).lines[0].additional_info == "IMPAYÉ PRÉLÈVEMENT"


def test_text_that_is_not_cfonb_is_still_read_as_xml():
    with pytest.raises(BankFileError, match=r"^bank\.csv is not well-formed XML"):
        returns.parse(b"01/02/2026;12,50;AM04\n", "bank.csv")


# -----------------------------------------------------------------------------
# Zip archives
# -----------------------------------------------------------------------------


def test_zip_of_a_cfonb_statement_and_an_xml_status_report():
    xml = returns.status_report("MSG-1", [("MSG-1-RCUR", "E2E-9", "10.00", "MD07")], DATE)
    data = zip_of(("2026-01/releve.txt", statement(*MIXED)), ("status.xml", xml))
    cfonb, pain002 = returns.parse(data, "bank.zip")
    assert (cfonb.message_type, cfonb.filename, cfonb.lines) == ("cfonb120", "2026-01/releve.txt", EXPECTED)
    assert (pain002.message_type, [line.end_to_end_id for line in pain002.lines]) == ("pain.002", ["E2E-9"])


def test_zip_member_with_a_bad_record_is_refused_with_its_name():
    data = zip_of(("releve.txt", statement(*MIXED)[:-3]))
    with pytest.raises(BankFileError, match=r"^releve\.txt, line 16: a record is 120 characters, not 119$"):
        returns.parse(data, "bank.zip")


# -----------------------------------------------------------------------------
# Errors
# -----------------------------------------------------------------------------


def lines_of(*records, end="\r\n"):
    return "".join(f"{line}{end}" for line in records).encode("latin-1")


OK_MOVEMENT = movement("B3", "0000000001000}", "IMPAYE")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (lines_of(balance("01"), OK_MOVEMENT[:119], balance("07")), r"line 2: a record is 120 characters, not 119"),
        (lines_of(balance("01"), OK_MOVEMENT + " ", balance("07")), r"line 2: a record is 120 characters, not 121"),
        (lines_of(balance("01"), "", balance("07")), r"line 2: a record is 120 characters, not 0"),
        (lines_of(balance("01"), balance("07"), end="")[:-1], r"line 2: a record is 120 characters, not 119"),
        (lines_of(balance("01"), "03" + OK_MOVEMENT[2:]), r"line 2: unknown record code '03'"),
        (lines_of(balance("01"), complement("B3", "RCN", "E2E")), r"line 2: a complement \(05\) with no movement"),
        (
            lines_of(balance("01"), OK_MOVEMENT, balance("07"), complement("B3", "RCN", "E2E")),
            r"line 4: a complement \(05\) with no movement \(04\) before it",
        ),
        (lines_of(balance("01"), OK_MOVEMENT.replace("1000}", "10X0}")), r"line 2: amount '00000000010X0}' is not"),
        (lines_of(balance("01"), OK_MOVEMENT.replace("1000}", "10000")), r"line 2: amount '00000000010000' is not"),
        (lines_of(balance("01", amount=" " * 14)), r"line 1: amount '              ' is not a CFONB amount"),
        (lines_of(balance("01"), movement("B3", "0000000001000}", "X", decimals="A")), r"line 2: number of decimals"),
        (lines_of(balance("01"), movement("B3", "0000000001000}", "X", day="320126")), r"line 2: date '320126' is"),
        (lines_of(balance("01"), movement("B3", "0000000001000}", "X", day="2001AB")), r"line 2: date '2001AB' is"),
        (lines_of(balance("01"), movement("B3", "0000000001000}", "X", day="      ")), r"line 2: date '      ' is"),
        (lines_of(balance("01", day="310226")), r"line 1: date '310226' is not a date \(DDMMYY\)"),
        (lines_of(balance("01"), OK_MOVEMENT.replace("IMPAYE", "IMP\x00YE")), r"line 2: character '\\x00' is not"),
        (lines_of(balance("01"), OK_MOVEMENT.replace("IMPAYE", "IMP\x85YE")), r"line 2: character '\\x85' is not"),
    ],
    ids=[
        "short",
        "long",
        "empty-line",
        "no-breaks-incomplete",
        "unknown-code",
        "complement-after-opening",
        "complement-after-closing",
        "amount-letter",
        "amount-no-sign",
        "amount-blank",
        "decimals",
        "day-32",
        "date-letters",
        "movement-without-date",
        "31-february",
        "nul",
        "c1-control",
    ],
)
def test_bad_file_is_refused_naming_the_line(data, message):
    with pytest.raises(BankFileError, match=rf"^releve\.txt, {message}"):
        returns.parse(data, "releve.txt")
    with pytest.raises(BankFileError, match=rf"^The file, {message}"):
        returns.parse_cfonb120(data)


def test_read_directly_a_file_must_start_with_an_opening_balance():
    with pytest.raises(BankFileError, match=r"^The file, line 1: a statement starts with an opening balance \(01\)"):
        returns.parse_cfonb120(lines_of(OK_MOVEMENT))
    with pytest.raises(BankFileError, match=r"^releve\.txt holds no CFONB 120 record$"):
        returns.parse_cfonb120(b"\r\n", "releve.txt")


def test_file_over_the_size_limit_is_refused(monkeypatch):
    data = statement(*MIXED)
    monkeypatch.setattr(returns, "MAX_FILE_SIZE", len(data))
    assert parse_one(data).lines == EXPECTED
    with pytest.raises(BankFileError, match=r"^releve\.txt is larger than 0 MB$"):
        returns.parse(data + b"\n", "releve.txt")
    with pytest.raises(BankFileError, match=r"^releve\.txt is larger than 0 MB$"):
        returns.parse_cfonb120(data + b"\n", "releve.txt")


# -----------------------------------------------------------------------------
# The writer
# -----------------------------------------------------------------------------

REJECTIONS = [("SD-2026-0001-00007", Decimal("45.99"), "AM04", "MNDT-00042"), ("SD-2026-0001-00008", 1200, "MD06", "")]


def test_statement_written_by_the_module_reads_back():
    data = returns.cfonb120_statement(CREDITOR_IBAN, REJECTIONS, DATE)
    message = parse_one(data)
    assert message.lines == [
        ReturnLine(
            end_to_end_id="SD-2026-0001-00007",
            mandate_id="MNDT-00042",
            amount=Decimal("45.99"),
            currency="EUR",
            reason_code="AM04",
            additional_info="PRLV SEPA IMPAYE / MOTIF AM04",
            date=DATE,
            kind="return",
            bank_reference="RJ20012600000001",
        ),
        ReturnLine(
            end_to_end_id="SD-2026-0001-00008",
            amount=Decimal("1200.00"),
            currency="EUR",
            reason_code="MD06",
            additional_info="PRLV SEPA IMPAYE / MOTIF MD06",
            date=DATE,
            kind="refund",
            bank_reference="RJ20012600000002",
        ),
    ]
    assert (message.ignored, message.created) == (2, DATE)


def test_written_statement_is_made_of_120_character_records_that_balance():
    records = returns.cfonb120_statement(CREDITOR_IBAN, REJECTIONS, DATE).decode("ascii").split("\r\n")
    assert records[-1] == ""
    assert {len(line) for line in records[:-1]} == {120}
    assert [line[:2] for line in records[:-1]] == ["01", "04", "05", "05", "05", "04", "05", "05", "07"]
    assert {line[2:32] for line in records[:-1]} == {"30006    00001EUR2 12345678901"}
    assert records[0][90:104] == "0000000000000{"
    assert records[-2][90:104] == "0000000012459R"  # -(45.99 + 1200.00): the account is debited


def test_writer_with_no_rejection_writes_the_balances_only():
    message = parse_one(returns.cfonb120_statement(CREDITOR_IBAN, [], DATE))
    assert (message.lines, message.ignored) == ([], 2)


@pytest.mark.parametrize(
    ("account", "rejections", "error"),
    [
        ("DE89370400440532013000", [], "is not a French IBAN"),
        (CREDITOR_IBAN, [("E" * 36, 1, "AM04", "")], "is longer than 35 characters"),
        (CREDITOR_IBAN, [("E2E", 10**13, "AM04", "")], "too large for a CFONB amount"),
    ],
)
def test_writer_refuses_what_does_not_fit(account, rejections, error):
    with pytest.raises(ValueError, match=error):
        returns.cfonb120_statement(account, rejections, DATE)
