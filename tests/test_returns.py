"""Bank R-transaction files: ``pain.002`` status reports, ``camt.054`` / ``camt.053`` returns.

Every input is written here, element by element, after the ISO 20022 message definitions
(element names and order of pain.002.001.03/.10, camt.054.001.02/.08, camt.053.001.02);
no bank sample is read from disk.
"""

import dataclasses
import datetime as dt
import io
import re
import zipfile
from decimal import Decimal
from xml.sax.saxutils import escape, quoteattr

import pytest
from lxml import etree
from sepa_dunning.iso20022 import returns
from sepa_dunning.iso20022.returns import BankFileError, ReturnLine, ReturnMessage

ISO = "urn:iso:std:iso:20022:tech:xsd:"
P03 = "pain.002.001.03"
P10 = "pain.002.001.10"
C54_02 = "camt.054.001.02"
C54_08 = "camt.054.001.08"
C53_02 = "camt.053.001.02"
PAIN002_VERSIONS = [P03, P10]
CAMT054_VERSIONS = [C54_02, C54_08]
ALL_VERSIONS = [P03, P10, C54_02, C54_08, C53_02]

# Agent BIC element: BIC up to the 2009 messages, BICFI from the 2019 ones.
AGENT_BIC = {P03: "BIC", P10: "BICFI", C54_02: "BIC", C54_08: "BICFI", C53_02: "BIC"}
# Organisation BIC element of a reason originator.
ORIGINATOR_BIC = {P03: "BICOrBEI", P10: "AnyBIC", C54_02: "BICOrBEI", C54_08: "AnyBIC", C53_02: "BICOrBEI"}
# From 2019 a party in a transaction reference is a Party40Choice (Pty or Agt).
PARTY_CHOICE = {P03: False, P10: True, C54_02: False, C54_08: True, C53_02: False}

ORIGINAL_MESSAGE_ID = "MSG-2026-0001"
CREDITOR_IBAN = "FR7630006000011234567890189"
DEBTOR_IBAN = "DE89370400440532013000"
BANK_BIC = "AGRIFRPP"
REPORT_DATE = dt.date(2026, 1, 20)


# -----------------------------------------------------------------------------
# A small XML writer: a tree of tuples, rendered with or without indentation,
# comments, whitespace inside values, and a namespace prefix.
# -----------------------------------------------------------------------------


def el(tag, *children, **attrib):
    """An element: ``tag``, its attributes, and its children (elements, or one text)."""
    return (tag, attrib, [child for child in children if child is not None])


def render(node, *, prefix="", indent=0, pad_values=False, comments=False, level=0):
    tag, attrib, children = node
    name = f"{prefix}:{tag}" if prefix else tag
    attrs = "".join(f" {key}={quoteattr(str(value))}" for key, value in attrib.items())
    here = "\n" + " " * indent * level if indent else ""
    inner = "\n" + " " * indent * (level + 1) if indent else ""
    if all(isinstance(child, str) for child in children):
        text = escape("".join(children))
        if pad_values:
            text = f"{inner}{text}{here}"
        if comments:
            text += f"<!-- {tag} -->"
        return f"<{name}{attrs}>{text}</{name}>"
    parts = []
    for child in children:
        parts.append(
            inner
            + render(child, prefix=prefix, indent=indent, pad_values=pad_values, comments=comments, level=level + 1)
        )
        if comments:
            parts.append(f"{inner}<!-- end of {child[0]} -->")
    return f"<{name}{attrs}>{''.join(parts)}{here}</{name}>"


def document(
    version,
    body,
    *,
    namespace=None,
    prefix="",
    indent=0,
    pad_values=False,
    comments=False,
    encoding="UTF-8",
    declaration=True,
    bom=False,
):
    """The bytes of ``<Document>`` holding ``body``, in the namespace of ``version``."""
    namespace = f"{ISO}{version}" if namespace is None else namespace
    attrib = {}
    if namespace:
        attrib[f"xmlns:{prefix}" if prefix else "xmlns"] = namespace
    text = render(
        el("Document", body, **attrib), prefix=prefix, indent=indent, pad_values=pad_values, comments=comments
    )
    if comments:
        text = f"<!-- Bank R-transactions -->\n{text}\n<!-- end of file -->"
    if declaration:
        text = f'<?xml version="1.0" encoding="{encoding}"?>\n{text}'
    data = text.encode({"UTF-8": "utf-8", "ISO-8859-1": "latin-1", "UTF-16": "utf-16"}[encoding])
    return b"\xef\xbb\xbf" + data if bom else data


def zip_of(*members, compression=zipfile.ZIP_DEFLATED):
    """A zip archive of ``(name, bytes)`` members; a name ending with ``/`` is a folder."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=compression) as archive:
        for name, data in members:
            archive.writestr(name, data)
    return buffer.getvalue()


def parse_one(data, filename=""):
    messages = returns.parse(data, filename)
    assert len(messages) == 1
    return messages[0]


# -----------------------------------------------------------------------------
# pain.002 builders
# -----------------------------------------------------------------------------


def agent(version, bic=BANK_BIC):
    return el("FinInstnId", el(AGENT_BIC[version], bic))


def party(version, name):
    return el("Pty", el("Nm", name)) if PARTY_CHOICE[version] else el("Nm", name)


def reason(version, code, *info, proprietary=False):
    """A ``StsRsnInf`` (pain.002) with its originator, code and additional information."""
    return el(
        "StsRsnInf",
        el("Orgtr", el("Id", el("OrgId", el(ORIGINATOR_BIC[version], BANK_BIC)))),
        el("Rsn", el("Prtry" if proprietary else "Cd", code)),
        *(el("AddtlInf", text) for text in info),
    )


def pain_tx(version, e2e, status="RJCT", why=None, amount="100.00", currency="EUR", mandate="", status_id=""):
    amount_attrib = {"Ccy": currency} if currency else {}
    return el(
        "TxInfAndSts",
        el("StsId", status_id) if status_id else None,
        el("OrgnlInstrId", f"INSTR-{e2e}"),
        el("OrgnlEndToEndId", e2e),
        el("TxSts", status) if status else None,  # None: the transaction says no status of its own
        why,
        el(
            "OrgnlTxRef",
            el("Amt", el("InstdAmt", amount, **amount_attrib)),
            el("ReqdColltnDt", "2026-01-15"),
            el("PmtTpInf", el("SvcLvl", el("Cd", "SEPA")), el("LclInstrm", el("Cd", "CORE")), el("SeqTp", "RCUR")),
            el("PmtMtd", "DD"),
            el("MndtRltdInf", el("MndtId", mandate), el("DtOfSgntr", "2025-01-01")) if mandate else None,
            el("Dbtr", party(version, "Jean Dupont")),
            el("DbtrAcct", el("Id", el("IBAN", DEBTOR_IBAN))),
            el("DbtrAgt", agent(version, "DEUTDEFF")),
            el("CdtrAgt", agent(version)),
            el("Cdtr", party(version, "Cabinet Durand Courtage")),
            el("CdtrAcct", el("Id", el("IBAN", CREDITOR_IBAN))),
        ),
    )


def payment_block(info_id, *transactions, status=None, why=None):
    return el(
        "OrgnlPmtInfAndSts",
        el("OrgnlPmtInfId", info_id),
        el("OrgnlNbOfTxs", str(len(transactions) or 1)),
        el("PmtInfSts", status) if status else None,
        why,
        *transactions,
    )


def pain002(version, *blocks, group_status=None, group_why=None, msg_id="STS-2026-0042", created="2026-01-20T09:15:00"):
    return el(
        "CstmrPmtStsRpt",
        el("GrpHdr", el("MsgId", msg_id), el("CreDtTm", created), el("CdtrAgt", agent(version))),
        el(
            "OrgnlGrpInfAndSts",
            el("OrgnlMsgId", ORIGINAL_MESSAGE_ID),
            el("OrgnlMsgNmId", "pain.008.001.02" if version == P03 else "pain.008.001.08"),
            el("OrgnlCreDtTm", "2026-01-10T08:00:00"),
            el("GrpSts", group_status) if group_status else None,
            group_why,
        ),
        *blocks,
    )


def sample_pain002(version):
    """Two payment blocks, three rejected debits and one accepted."""
    return pain002(
        version,
        payment_block(
            "PMT-FRST",
            pain_tx(
                version,
                "E2E-000001",
                why=reason(version, "AC04", "Compte clôturé"),
                amount="120.50",
                mandate="UMR-000001",
                status_id="RJCT-0001",
            ),
            pain_tx(version, "E2E-000002", status="ACCP", amount="80.00", mandate="UMR-000002"),
            status="PART",
        ),
        payment_block(
            "PMT-RCUR",
            pain_tx(
                version,
                "E2E-000003",
                why=reason(version, "AM04", "INSUFFICIENT FUNDS", "RETRY LATER"),
                amount="1234.56",
                mandate="UMR-000003",
                status_id="RJCT-0002",
            ),
            pain_tx(version, "E2E-000004", why=reason(version, "MD07"), amount="9.99", mandate="UMR-000004"),
            status="PART",
        ),
        group_status="PART",
    )


def expected_pain002(version, filename=""):
    def line(e2e, info_id, mandate, amount, code, info, reference):
        return ReturnLine(
            end_to_end_id=e2e,
            original_message_id=ORIGINAL_MESSAGE_ID,
            original_payment_info_id=info_id,
            mandate_id=mandate,
            amount=Decimal(amount),
            currency="EUR",
            reason_code=code,
            additional_info=info,
            date=REPORT_DATE,
            kind="reject",
            bank_reference=reference,
        )

    return ReturnMessage(
        message_type="pain.002",
        version=version,
        message_id="STS-2026-0042",
        created=REPORT_DATE,
        filename=filename,
        lines=[
            line("E2E-000001", "PMT-FRST", "UMR-000001", "120.50", "AC04", "Compte clôturé", "RJCT-0001"),
            line(
                "E2E-000003", "PMT-RCUR", "UMR-000003", "1234.56", "AM04", "INSUFFICIENT FUNDS RETRY LATER", "RJCT-0002"
            ),
            line("E2E-000004", "PMT-RCUR", "UMR-000004", "9.99", "MD07", "", ""),
        ],
        ignored=1,
    )


# -----------------------------------------------------------------------------
# camt.054 / camt.053 builders
# -----------------------------------------------------------------------------


def is_v02(version):
    return version.endswith(".02")


def camt_tx(
    version,
    e2e,
    code="AM04",
    *info,
    amount="100.00",
    currency="EUR",
    mandate="",
    msg_id="",
    info_id="",
    reference="",
    returned=True,
    proprietary=False,
    with_amount=True,
    indicator="DBIT",
):
    """A ``TxDtls``: the amount in AmtDtls/InstdAmt (02) or TxDtls/Amt (08)."""
    v02 = is_v02(version)
    return el(
        "TxDtls",
        el(
            "Refs",
            el("MsgId", msg_id) if msg_id else None,
            el("AcctSvcrRef", reference) if reference else None,
            el("PmtInfId", info_id) if info_id else None,
            el("EndToEndId", e2e),
            el("MndtId", mandate) if mandate else None,
        ),
        el("Amt", amount, Ccy=currency) if with_amount and not v02 else None,
        el("CdtDbtInd", indicator) if not v02 else None,
        el("AmtDtls", el("InstdAmt", el("Amt", amount, Ccy=currency))) if with_amount and v02 else None,
        el("RltdPties", el("Dbtr", party(version, "Jean Dupont")), el("DbtrAcct", el("Id", el("IBAN", DEBTOR_IBAN)))),
        el("RmtInf", el("Ustrd", f"Prime {e2e}")),
        el(
            "RtrInf",
            el("Orgtr", el("Id", el("OrgId", el(ORIGINATOR_BIC[version], "DEUTDEFF")))),
            el("Rsn", el("Prtry" if proprietary else "Cd", code)),
            *(el("AddtlInf", text) for text in info),
        )
        if returned
        else None,
    )


def entry(
    version,
    *transactions,
    amount="100.00",
    credit=False,
    booked="2026-01-20",
    booked_as="Dt",
    valued="2026-01-19",
    reference="",
    reversal=False,
):
    return el(
        "Ntry",
        el("Amt", amount, Ccy="EUR"),
        el("CdtDbtInd", "CRDT" if credit else "DBIT"),
        el("RvslInd", "true") if reversal else None,
        el("Sts", "BOOK") if is_v02(version) else el("Sts", el("Cd", "BOOK")),
        el("BookgDt", el(booked_as, booked)) if booked else None,
        el("ValDt", el("Dt", valued)) if valued else None,
        el("AcctSvcrRef", reference) if reference else None,
        el(
            "BkTxCd",
            el(
                "Domn",
                el("Cd", "PMNT"),
                el("Fmly", el("Cd", "IDDT"), el("SubFmlyCd", "UPDD" if not credit else "ESDD")),
            ),
        ),
        el("NtryDtls", *transactions) if transactions else None,
    )


def account():
    return el("Acct", el("Id", el("IBAN", CREDITOR_IBAN)), el("Ccy", "EUR"))


def camt054(version, *notifications, msg_id="NTF-2026-0007", created="2026-01-21T06:30:00"):
    return el(
        "BkToCstmrDbtCdtNtfctn",
        el("GrpHdr", el("MsgId", msg_id), el("CreDtTm", created)),
        *notifications,
    )


def notification(*entries, ntf_id="NTF-2026-0007-1", created="2026-01-21T06:30:00"):
    return el("Ntfctn", el("Id", ntf_id), el("CreDtTm", created), account(), *entries)


def balance(code, amount, day):
    return el(
        "Bal",
        el("Tp", el("CdOrPrtry", el("Cd", code))),
        el("Amt", amount, Ccy="EUR"),
        el("CdtDbtInd", "CRDT"),
        el("Dt", el("Dt", day)),
    )


def camt053(*entries, msg_id="STMT-2026-0020", created="2026-01-21T05:00:00"):
    return el(
        "BkToCstmrStmt",
        el("GrpHdr", el("MsgId", msg_id), el("CreDtTm", created)),
        el(
            "Stmt",
            el("Id", "STMT-2026-0020-1"),
            el("ElctrncSeqNb", "20"),
            el("CreDtTm", created),
            account(),
            balance("OPBD", "5000.00", "2026-01-20"),
            balance("CLBD", "5779.50", "2026-01-20"),
            *entries,
        ),
    )


def sample_camt054(version):
    """Two return entries (one of three details, one without return information) in two notifications."""
    return camt054(
        version,
        notification(
            entry(
                version,
                camt_tx(
                    version,
                    "E2E-000011",
                    "AM04",
                    "/RTYP/RTRN",
                    amount="120.45",
                    mandate="UMR-000011",
                    msg_id=ORIGINAL_MESSAGE_ID,
                    info_id="PMT-RCUR",
                    reference="RTR-0001",
                ),
                camt_tx(
                    version,
                    "E2E-000012",
                    "MD06",
                    "/RTYP/RFND",
                    "DEBTOR REQUEST",
                    amount="99.55",
                    mandate="UMR-000012",
                    msg_id=ORIGINAL_MESSAGE_ID,
                    info_id="PMT-RCUR",
                ),
                camt_tx(version, "E2E-000099", amount="3.50", returned=False),
                amount="223.50",
                reference="BOOK-0001",
            ),
        ),
        notification(
            entry(
                version,
                camt_tx(version, "E2E-000013", "MD01", "/RTYP/RFND", amount="45.00", mandate="UMR-000013"),
                amount="45.00",
                booked="2026-01-22",
                valued="2026-01-21",
            ),
            ntf_id="NTF-2026-0007-2",
        ),
    )


def expected_camt054(version, filename=""):
    return ReturnMessage(
        message_type="camt.054",
        version=version,
        message_id="NTF-2026-0007",
        created=dt.date(2026, 1, 21),
        filename=filename,
        lines=[
            ReturnLine(
                end_to_end_id="E2E-000011",
                original_message_id=ORIGINAL_MESSAGE_ID,
                original_payment_info_id="PMT-RCUR",
                mandate_id="UMR-000011",
                amount=Decimal("120.45"),
                currency="EUR",
                reason_code="AM04",
                additional_info="/RTYP/RTRN",
                date=dt.date(2026, 1, 20),
                kind="return",
                bank_reference="RTR-0001",
            ),
            ReturnLine(
                end_to_end_id="E2E-000012",
                original_message_id=ORIGINAL_MESSAGE_ID,
                original_payment_info_id="PMT-RCUR",
                mandate_id="UMR-000012",
                amount=Decimal("99.55"),
                currency="EUR",
                reason_code="MD06",
                additional_info="/RTYP/RFND DEBTOR REQUEST",
                date=dt.date(2026, 1, 20),
                kind="refund",
                bank_reference="BOOK-0001",
            ),
            ReturnLine(
                end_to_end_id="E2E-000013",
                original_message_id="",
                original_payment_info_id="",
                mandate_id="UMR-000013",
                amount=Decimal("45.00"),
                currency="EUR",
                reason_code="MD01",
                additional_info="/RTYP/RFND",
                date=dt.date(2026, 1, 22),
                kind="refund",
                bank_reference="",
            ),
        ],
        ignored=1,
    )


def sample_camt053(version=C53_02):
    """A statement: the settlement of a collection (credit) and the return of one of its debits."""
    return camt053(
        entry(
            version,
            camt_tx(
                version,
                "E2E-000021",
                "AC04",
                "/RTYP/RTRN",
                "COMPTE SOLDE",
                amount="220.50",
                mandate="UMR-000021",
                msg_id=ORIGINAL_MESSAGE_ID,
                info_id="PMT-FRST",
            ),
            amount="220.50",
            reference="BOOK-0021",
        ),
        entry(
            version,
            camt_tx(version, "E2E-000022", amount="1000.00", returned=False, indicator="CRDT"),
            amount="1000.00",
            credit=True,
            reference="BOOK-0022",
        ),
    )


def expected_camt053(version=C53_02, filename=""):
    return ReturnMessage(
        message_type="camt.053",
        version=version,
        message_id="STMT-2026-0020",
        created=dt.date(2026, 1, 21),
        filename=filename,
        lines=[
            ReturnLine(
                end_to_end_id="E2E-000021",
                original_message_id=ORIGINAL_MESSAGE_ID,
                original_payment_info_id="PMT-FRST",
                mandate_id="UMR-000021",
                amount=Decimal("220.50"),
                currency="EUR",
                reason_code="AC04",
                additional_info="/RTYP/RTRN COMPTE SOLDE",
                date=dt.date(2026, 1, 20),
                kind="return",
                bank_reference="BOOK-0021",
            )
        ],
        entries=[
            returns.StatementEntry(
                amount=Decimal("-220.50"),
                currency="EUR",
                date=dt.date(2026, 1, 20),
                bank_reference="BOOK-0021",
                account_iban=CREDITOR_IBAN,
                transactions=(
                    returns.StatementTx(
                        end_to_end_id="E2E-000021",
                        payment_info_id="PMT-FRST",
                        message_id=ORIGINAL_MESSAGE_ID,
                        amount=Decimal("220.50"),
                    ),
                ),
                returns=True,
            ),
            returns.StatementEntry(
                amount=Decimal("1000.00"),
                currency="EUR",
                date=dt.date(2026, 1, 20),
                bank_reference="BOOK-0022",
                account_iban=CREDITOR_IBAN,
                transactions=(returns.StatementTx(end_to_end_id="E2E-000022", amount=Decimal("1000.00")),),
            ),
        ],
        ignored=0,
    )


SAMPLES = {
    P03: (sample_pain002, expected_pain002),
    P10: (sample_pain002, expected_pain002),
    C54_02: (sample_camt054, expected_camt054),
    C54_08: (sample_camt054, expected_camt054),
    C53_02: (sample_camt053, expected_camt053),
}


def sample(version, **options):
    return document(version, SAMPLES[version][0](version), **options)


def expected(version, filename=""):
    return SAMPLES[version][1](version, filename=filename)


# -----------------------------------------------------------------------------
# pain.002 status reports
# -----------------------------------------------------------------------------


@pytest.mark.parametrize("version", PAIN002_VERSIONS)
def test_pain002_rejected_debits_become_lines_with_every_field(version):
    assert returns.parse(sample(version), "status.xml") == [expected_pain002(version, "status.xml")]


@pytest.mark.parametrize("version", PAIN002_VERSIONS)
def test_pain002_amounts_are_exact_decimals(version):
    amounts = [line.amount for line in parse_one(sample(version)).lines]
    assert all(type(amount) is Decimal for amount in amounts)
    assert [str(amount) for amount in amounts] == ["120.50", "1234.56", "9.99"]


@pytest.mark.parametrize("status", ["ACCP", "ACSC", "ACSP", "ACTC", "ACWC", "PDNG"])
@pytest.mark.parametrize("version", PAIN002_VERSIONS)
def test_pain002_transaction_not_rejected_is_counted_in_ignored(version, status):
    body = pain002(
        version,
        payment_block(
            "PMT-RCUR", pain_tx(version, "E2E-000001", status=status), pain_tx(version, "E2E-000002", status=status)
        ),
        group_status="ACCP",
    )
    message = parse_one(document(version, body))
    assert message.lines == []
    assert message.ignored == 2


@pytest.mark.parametrize("version", PAIN002_VERSIONS)
def test_pain002_rejected_payment_block_without_transactions_gives_one_line(version):
    body = pain002(
        version,
        payment_block("PMT-FRST", status="RJCT", why=reason(version, "DT01", "INVALID COLLECTION DATE")),
        payment_block("PMT-RCUR", pain_tx(version, "E2E-000003", why=reason(version, "AM04"), amount="10.00")),
        group_status="PART",
    )
    message = parse_one(document(version, body))
    assert message.lines == [
        ReturnLine(
            end_to_end_id="",
            original_message_id=ORIGINAL_MESSAGE_ID,
            original_payment_info_id="PMT-FRST",
            mandate_id="",
            amount=None,
            currency="",
            reason_code="DT01",
            additional_info="",
            date=REPORT_DATE,
            kind="reject",
            bank_reference="",
        ),
        ReturnLine(
            end_to_end_id="E2E-000003",
            original_message_id=ORIGINAL_MESSAGE_ID,
            original_payment_info_id="PMT-RCUR",
            amount=Decimal("10.00"),
            currency="EUR",
            reason_code="AM04",
            date=REPORT_DATE,
            kind="reject",
        ),
    ]
    assert message.ignored == 0


@pytest.mark.parametrize("status", ["ACCP", "PART", "PDNG"])
@pytest.mark.parametrize("version", PAIN002_VERSIONS)
def test_pain002_payment_block_not_rejected_and_without_transactions_gives_nothing(version, status):
    body = pain002(version, payment_block("PMT-FRST", status=status), group_status=status)
    message = parse_one(document(version, body))
    assert (message.lines, message.ignored) == ([], 0)


@pytest.mark.parametrize("version", PAIN002_VERSIONS)
def test_pain002_rejected_group_without_detail_gives_one_line_with_the_original_message(version):
    body = pain002(version, group_status="RJCT", group_why=reason(version, "FF01", "INVALID FILE FORMAT"))
    message = parse_one(document(version, body))
    assert message == ReturnMessage(
        message_type="pain.002",
        version=version,
        message_id="STS-2026-0042",
        created=REPORT_DATE,
        lines=[
            ReturnLine(
                end_to_end_id="",
                original_message_id=ORIGINAL_MESSAGE_ID,
                original_payment_info_id="",
                mandate_id="",
                amount=None,
                currency="",
                reason_code="FF01",
                additional_info="",
                date=REPORT_DATE,
                kind="reject",
                bank_reference="",
            )
        ],
        ignored=0,
    )


@pytest.mark.parametrize("version", PAIN002_VERSIONS)
def test_pain002_rejected_group_with_detail_gives_the_detailed_lines_only(version):
    body = pain002(
        version,
        payment_block("PMT-RCUR", pain_tx(version, "E2E-000001", why=reason(version, "AM04"))),
        group_status="RJCT",
        group_why=reason(version, "NARR"),
    )
    lines = parse_one(document(version, body)).lines
    assert [(line.end_to_end_id, line.reason_code) for line in lines] == [("E2E-000001", "AM04")]


# A transaction's status: its own TxSts, else its block's PmtInfSts, else the group's GrpSts.


@pytest.mark.parametrize("status", ["ACCP", "ACSC", "ACTC", "ACWC", "PDNG"])
@pytest.mark.parametrize("version", PAIN002_VERSIONS)
def test_pain002_accepted_report_without_transaction_status_rejects_nothing(version, status):
    """A positive report: the bank lists the debits under an accepted block and group, with no TxSts."""
    body = pain002(
        version,
        payment_block(
            "PMT-RCUR",
            pain_tx(version, "E2E-000001", status=None, mandate="UMR-000001"),
            pain_tx(version, "E2E-000002", status=None, mandate="UMR-000002"),
            status=status,
        ),
        group_status=status,
    )
    message = parse_one(document(version, body))
    assert (message.lines, message.ignored) == ([], 2)


@pytest.mark.parametrize("version", PAIN002_VERSIONS)
def test_pain002_accepted_group_without_block_status_rejects_nothing(version):
    body = pain002(
        version,
        payment_block("PMT-RCUR", pain_tx(version, "E2E-000001", status=None)),
        group_status="ACCP",
    )
    message = parse_one(document(version, body))
    assert (message.lines, message.ignored) == ([], 1)


@pytest.mark.parametrize("version", PAIN002_VERSIONS)
def test_pain002_partly_accepted_report_rejects_only_the_rejected_transaction(version):
    body = pain002(
        version,
        payment_block(
            "PMT-RCUR",
            pain_tx(version, "E2E-000001", status=None, amount="80.00"),
            pain_tx(version, "E2E-000002", status="ACSC", amount="90.00"),
            pain_tx(version, "E2E-000003", why=reason(version, "AM04", "PROVISION INSUFFISANTE"), amount="100.00"),
            status="PART",
        ),
        group_status="PART",
    )
    message = parse_one(document(version, body))
    assert [(line.end_to_end_id, line.reason_code, line.amount) for line in message.lines] == [
        ("E2E-000003", "AM04", Decimal("100.00"))
    ]
    assert message.ignored == 2


@pytest.mark.parametrize("version", PAIN002_VERSIONS)
def test_pain002_transactions_without_status_under_a_rejected_block_are_rejected_with_its_reason(version):
    body = pain002(
        version,
        payment_block(
            "PMT-FRST",
            pain_tx(version, "E2E-000001", status=None, amount="80.00"),
            pain_tx(version, "E2E-000002", status="ACCP", amount="90.00"),
            status="RJCT",
            why=reason(version, "DT01", "INVALID COLLECTION DATE"),
        ),
        payment_block("PMT-RCUR", pain_tx(version, "E2E-000003", status=None), status="ACCP"),
        group_status="PART",
    )
    message = parse_one(document(version, body))
    assert [(line.end_to_end_id, line.original_payment_info_id, line.reason_code) for line in message.lines] == [
        ("E2E-000001", "PMT-FRST", "DT01")
    ]
    assert message.ignored == 2, "a transaction's own status wins over its block's"


@pytest.mark.parametrize("version", PAIN002_VERSIONS)
def test_pain002_transactions_without_status_under_a_rejected_group_are_rejected_with_its_reason(version):
    body = pain002(
        version,
        payment_block("PMT-RCUR", pain_tx(version, "E2E-000001", status=None, amount="80.00")),
        group_status="RJCT",
        group_why=reason(version, "AM05", "DUPLICATION"),
    )
    message = parse_one(document(version, body))
    assert [(line.end_to_end_id, line.reason_code, line.amount) for line in message.lines] == [
        ("E2E-000001", "AM05", Decimal("80.00"))
    ]


@pytest.mark.parametrize("version", PAIN002_VERSIONS)
def test_pain002_rejected_group_with_blocks_but_no_transactions_rejects_each_block(version):
    body = pain002(
        version,
        payment_block("PMT-FRST"),
        payment_block("PMT-RCUR"),
        group_status="RJCT",
        group_why=reason(version, "FF01", "INVALID FILE FORMAT"),
    )
    message = parse_one(document(version, body))
    assert [(line.original_payment_info_id, line.end_to_end_id, line.reason_code) for line in message.lines] == [
        ("PMT-FRST", "", "FF01"),
        ("PMT-RCUR", "", "FF01"),
    ]


@pytest.mark.parametrize("version", PAIN002_VERSIONS)
def test_pain002_accepted_block_of_a_rejected_group_is_not_rejected(version):
    body = pain002(
        version,
        payment_block("PMT-FRST", status="ACCP"),
        payment_block("PMT-RCUR", status="RJCT", why=reason(version, "MS03")),
        group_status="RJCT",
        group_why=reason(version, "FF01"),
    )
    message = parse_one(document(version, body))
    assert [(line.original_payment_info_id, line.reason_code) for line in message.lines] == [("PMT-RCUR", "MS03")]


@pytest.mark.parametrize("version", PAIN002_VERSIONS)
def test_pain002_rejected_block_reason_may_be_proprietary(version):
    body = pain002(version, payment_block("PMT-FRST", status="RJCT", why=reason(version, "B042", proprietary=True)))
    assert [line.reason_code for line in parse_one(document(version, body)).lines] == ["B042"]


@pytest.mark.parametrize("version", PAIN002_VERSIONS)
def test_pain002_proprietary_reason_is_read_when_there_is_no_code(version):
    body = pain002(
        version, payment_block("PMT-RCUR", pain_tx(version, "E2E-1", why=reason(version, "R123", proprietary=True)))
    )
    assert parse_one(document(version, body)).lines[0].reason_code == "R123"


@pytest.mark.parametrize(
    "created",
    ["2026-01-20T09:15:00", "2026-01-20T09:15:00.123456+01:00", "2026-01-20T23:59:59Z", "2026-01-20T00:00:00-05:00"],
)
def test_pain002_creation_date_time_gives_the_date_of_the_message_and_lines(created):
    body = pain002(P03, payment_block("PMT-RCUR", pain_tx(P03, "E2E-1", why=reason(P03, "AM04"))), created=created)
    message = parse_one(document(P03, body))
    assert message.created == REPORT_DATE
    assert message.lines[0].date == REPORT_DATE


@pytest.mark.parametrize("currency", ["EUR", "CHF", ""])
def test_pain002_currency_is_the_ccy_of_the_instructed_amount(currency):
    body = pain002(P10, payment_block("PMT-RCUR", pain_tx(P10, "E2E-1", why=reason(P10, "AM04"), currency=currency)))
    assert parse_one(document(P10, body)).lines[0].currency == currency


def test_status_report_written_by_the_module_reads_back():
    xml = returns.status_report(
        ORIGINAL_MESSAGE_ID,
        [
            ("PMT-1", "E2E-1", Decimal("12.3"), "AM04"),
            ("PMT-1", "E2E-2", 5, "MS02"),
            ("PMT-2", "E2E-3", "7.50", "AC04"),
        ],
        REPORT_DATE,
    )
    message = parse_one(xml)
    assert (message.message_type, message.version, message.message_id, message.created) == (
        "pain.002",
        P03,
        f"STS-{ORIGINAL_MESSAGE_ID}",
        REPORT_DATE,
    )
    common = {"original_message_id": ORIGINAL_MESSAGE_ID, "currency": "EUR", "date": REPORT_DATE, "kind": "reject"}
    assert message.lines == [
        ReturnLine(
            end_to_end_id="E2E-1",
            original_payment_info_id="PMT-1",
            amount=Decimal("12.30"),
            reason_code="AM04",
            **common,
        ),
        ReturnLine(
            end_to_end_id="E2E-2",
            original_payment_info_id="PMT-1",
            amount=Decimal("5.00"),
            reason_code="MS02",
            **common,
        ),
        ReturnLine(
            end_to_end_id="E2E-3",
            original_payment_info_id="PMT-2",
            amount=Decimal("7.50"),
            reason_code="AC04",
            **common,
        ),
    ]
    assert message.ignored == 0


# -----------------------------------------------------------------------------
# camt.054 notifications and camt.053 statements
# -----------------------------------------------------------------------------


@pytest.mark.parametrize("version", CAMT054_VERSIONS)
def test_camt054_returned_debits_become_lines_with_every_field(version):
    assert returns.parse(sample(version), "ntf.xml") == [expected_camt054(version, "ntf.xml")]


@pytest.mark.parametrize("version", CAMT054_VERSIONS)
def test_camt054_amounts_are_exact_decimals(version):
    amounts = [line.amount for line in parse_one(sample(version)).lines]
    assert all(type(amount) is Decimal for amount in amounts)
    assert [str(amount) for amount in amounts] == ["120.45", "99.55", "45.00"]


def test_camt053_statement_return_becomes_a_line_and_every_booked_entry_a_statement_entry():
    assert returns.parse(sample(C53_02)) == [expected_camt053()]


def test_camt053_batch_booking_names_its_block_and_entries_not_booked_are_ignored():
    batch = el("Btch", el("MsgId", "SDD-0007"), el("PmtInfId", "SDD-0007-RCUR"), el("NbOfTxs", "2"))
    booked = entry(C53_02, batch, amount="550.00", credit=True, booked="2026-01-05")
    pending = entry(C53_02, amount="10.00", credit=True, reference="P-1")
    children = pending[2]
    children[[child[0] for child in children].index("Sts")] = el("Sts", "PDNG")
    message = parse_one(document(C53_02, camt053(booked, pending)))
    assert message.lines == []
    assert message.ignored == 1, "a pending entry moved no money"
    (credit,) = message.entries
    assert (credit.amount, credit.message_id, credit.payment_info_id, credit.transactions) == (
        Decimal("550.00"),
        "SDD-0007",
        "SDD-0007-RCUR",
        (),
    )
    assert credit.bank_reference == "STMT-2026-0020-1/1", "no bank reference: the statement's id and the entry's rank"
    assert credit.date == dt.date(2026, 1, 5)


def test_camt053_entry_without_amount_is_refused():
    broken = entry(C53_02, amount="", credit=True, reference="X")
    with pytest.raises(returns.BankFileError, match="entry 1 has no amount"):
        parse_one(document(C53_02, camt053(broken)))


@pytest.mark.parametrize(
    ("code", "info", "kind"),
    [
        ("MD06", (), "refund"),
        ("MD06", ("/RTYP/RTRN",), "refund"),
        ("MD01", ("/RTYP/RFND",), "refund"),
        ("AM04", ("NO FUNDS", "/RTYP/RFND"), "refund"),
        ("AM04", ("/RTYP/RTRN",), "return"),
        ("MS02", (), "return"),
        ("AC04", ("REFUND ASKED",), "return"),
    ],
)
@pytest.mark.parametrize("version", [*CAMT054_VERSIONS, C53_02])
def test_camt_md06_or_rtyp_rfnd_is_a_refund_anything_else_a_return(version, code, info, kind):
    tx = camt_tx(version, "E2E-1", code, *info)
    body = camt053(entry(version, tx)) if version == C53_02 else camt054(version, notification(entry(version, tx)))
    line = parse_one(document(version, body)).lines[0]
    assert (line.reason_code, line.additional_info, line.kind) == (code, " ".join(info), kind)


@pytest.mark.parametrize("version", CAMT054_VERSIONS)
def test_camt054_mixed_file_return_entry_and_credit_entry_without_return_information(version):
    """The return of a debit and, in the same file, a credit (the collection itself, or its re-presentation)."""
    body = camt054(
        version,
        notification(
            entry(
                version,
                camt_tx(version, "E2E-000031", "AM04", "/RTYP/RTRN", amount="60.00", mandate="UMR-31"),
                amount="60.00",
                reference="BOOK-0031",
            ),
            entry(
                version,
                camt_tx(version, "E2E-000031", amount="60.00", returned=False, indicator="CRDT"),
                amount="60.00",
                credit=True,
                booked="2026-01-25",
                reference="BOOK-0032",
            ),
        ),
    )
    message = parse_one(document(version, body))
    assert message.lines == [
        ReturnLine(
            end_to_end_id="E2E-000031",
            mandate_id="UMR-31",
            amount=Decimal("60.00"),
            currency="EUR",
            reason_code="AM04",
            additional_info="/RTYP/RTRN",
            date=dt.date(2026, 1, 20),
            kind="return",
            bank_reference="BOOK-0031",
        )
    ]
    assert message.ignored == 1


@pytest.mark.parametrize("version", CAMT054_VERSIONS)
def test_camt054_credit_entry_with_return_information_is_not_a_returned_debit(version):
    body = camt054(
        version,
        notification(
            entry(version, camt_tx(version, "E2E-000041", "AM04", "/RTYP/RTRN", amount="60.00"), amount="60.00"),
            entry(
                version,
                camt_tx(version, "E2E-000041", "AM04", "/RTYP/RTRN", amount="60.00", indicator="CRDT"),
                amount="60.00",
                credit=True,
                reversal=True,
                booked="2026-01-21",
            ),
        ),
    )
    message = parse_one(document(version, body))
    assert [(line.end_to_end_id, line.date) for line in message.lines] == [("E2E-000041", dt.date(2026, 1, 20))]


@pytest.mark.parametrize("version", CAMT054_VERSIONS)
def test_camt_line_date_is_the_booking_date_not_the_value_or_creation_date(version):
    tx = camt_tx(version, "E2E-1")
    body = camt054(version, notification(entry(version, tx, booked="2026-01-23", valued="2026-01-19")))
    message = parse_one(document(version, body))
    assert message.created == dt.date(2026, 1, 21)
    assert message.lines[0].date == dt.date(2026, 1, 23)


@pytest.mark.parametrize(
    ("booked", "booked_as", "valued", "date"),
    [
        ("2026-01-23T16:45:00+01:00", "DtTm", "2026-01-19", dt.date(2026, 1, 23)),
        ("", "Dt", "2026-01-19", dt.date(2026, 1, 19)),
        ("", "Dt", "", dt.date(2026, 1, 21)),
    ],
    ids=["booking-date-time", "value-date", "creation-date"],
)
def test_camt_line_date_falls_back_to_booking_time_then_value_date_then_creation(booked, booked_as, valued, date):
    entry_node = entry(C54_08, camt_tx(C54_08, "E2E-1"), booked=booked, booked_as=booked_as, valued=valued)
    assert parse_one(document(C54_08, camt054(C54_08, notification(entry_node)))).lines[0].date == date


@pytest.mark.parametrize("version", CAMT054_VERSIONS)
def test_camt_amount_of_the_entry_is_used_for_its_only_transaction(version):
    alone = entry(version, camt_tx(version, "E2E-1", with_amount=False), amount="77.70")
    pair = entry(
        version,
        camt_tx(version, "E2E-2", with_amount=False),
        camt_tx(version, "E2E-3", with_amount=False),
        amount="150.00",
    )
    lines = parse_one(document(version, camt054(version, notification(alone, pair)))).lines
    assert [(line.end_to_end_id, line.amount, line.currency) for line in lines] == [
        ("E2E-1", Decimal("77.70"), "EUR"),
        ("E2E-2", None, ""),
        ("E2E-3", None, ""),
    ]


@pytest.mark.parametrize("version", CAMT054_VERSIONS)
def test_camt_entry_without_transaction_details_is_counted_in_ignored(version):
    body = camt054(version, notification(entry(version, amount="12.00"), entry(version, camt_tx(version, "E2E-1"))))
    message = parse_one(document(version, body))
    assert [line.end_to_end_id for line in message.lines] == ["E2E-1"]
    assert message.ignored == 1


@pytest.mark.parametrize("version", CAMT054_VERSIONS)
def test_camt_proprietary_reason_is_read_when_there_is_no_code(version):
    body = camt054(version, notification(entry(version, camt_tx(version, "E2E-1", "R-77", proprietary=True))))
    line = parse_one(document(version, body)).lines[0]
    assert (line.reason_code, line.kind) == ("R-77", "return")


def test_camt_notification_without_entries_is_an_empty_message():
    message = parse_one(document(C54_02, camt054(C54_02, notification())))
    assert (message.message_id, message.lines, message.ignored) == ("NTF-2026-0007", [], 0)


# -----------------------------------------------------------------------------
# Layout variants: the same message, written differently, reads the same
# -----------------------------------------------------------------------------

LAYOUTS = {
    "indented": {"indent": 2},
    "comments": {"comments": True},
    "prefix": {"prefix": "ns"},
    "prefix-indented-comments": {"prefix": "doc", "indent": 1, "comments": True},
    "no-declaration": {"declaration": False},
    "declaration-latin-1": {"encoding": "ISO-8859-1"},
    "declaration-utf-16": {"encoding": "UTF-16", "indent": 2},
    "utf-8-bom": {"bom": True},
    "utf-8-bom-no-declaration": {"bom": True, "declaration": False},
}


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("version", ALL_VERSIONS)
def test_layout_does_not_change_what_is_read(version, layout):
    data = sample(version, **LAYOUTS[layout])
    assert data != sample(version)
    assert returns.parse(data, "bank.xml") == [expected(version, "bank.xml")]


PADDED_LAYOUTS = {
    "indented-values": {"indent": 4, "pad_values": True},
    "comments-indented-values": {"comments": True, "indent": 2, "pad_values": True},
    "prefix-indented-values-latin-1": {"prefix": "x", "indent": 3, "pad_values": True, "encoding": "ISO-8859-1"},
}


def squeezed(messages):
    """The messages, with the runs of white space of each additional information made one space."""
    for message in messages:
        message.lines = [
            dataclasses.replace(line, additional_info=" ".join(line.additional_info.split())) for line in message.lines
        ]
    return messages


@pytest.mark.parametrize("layout", PADDED_LAYOUTS)
@pytest.mark.parametrize("version", ALL_VERSIONS)
def test_white_space_around_values_is_stripped(version, layout):
    """Values wrapped in line breaks and indentation: ids, codes, dates and amounts are read stripped."""
    assert squeezed(returns.parse(sample(version, **PADDED_LAYOUTS[layout]))) == [expected(version)]


@pytest.mark.parametrize("version", ALL_VERSIONS)
def test_white_space_around_each_additional_information_is_stripped(version):
    assert returns.parse(sample(version, **PADDED_LAYOUTS["indented-values"])) == [expected(version)]


def test_layout_variants_really_are_in_the_file():
    assert b"\n  <CstmrPmtStsRpt>" in sample(P03, indent=2)
    assert b"<MsgId>\n" in sample(P03, indent=4, pad_values=True)
    assert b"<!-- end of GrpHdr -->" in sample(P03, comments=True)
    assert b'<ns:Document xmlns:ns="urn:iso:std:iso:20022:tech:xsd:pain.002.001.03"><ns:CstmrPmtStsRpt>' in sample(
        P03, prefix="ns"
    )
    assert b"Compte cl\xf4tur\xe9" in sample(P03, encoding="ISO-8859-1")
    assert sample(P03, encoding="UTF-16")[:2] in (b"\xff\xfe", b"\xfe\xff")
    assert sample(P03, bom=True).startswith(b'\xef\xbb\xbf<?xml version="1.0" encoding="UTF-8"?>')


def test_comment_before_a_value_but_after_its_text_is_fine():
    data = sample(P03).replace(b"<MsgId>STS-2026-0042</MsgId>", b"<MsgId>STS-2026-0042<!-- bank id --></MsgId>")
    assert parse_one(data).message_id == "STS-2026-0042"


@pytest.mark.parametrize("version", [P03, C54_02])
def test_comment_before_the_message_element(version):
    body_tag = b"<CstmrPmtStsRpt>" if version == P03 else b"<BkToCstmrDbtCdtNtfctn>"
    data = sample(version).replace(body_tag, b"<!-- generated by the bank -->" + body_tag, 1)
    assert returns.parse(data) == [expected(version)]


@pytest.mark.parametrize(
    ("old", "new"),
    [
        (b"<MsgId>STS-2026-0042</MsgId>", b"<MsgId><!-- id -->STS-2026-0042</MsgId>"),
        (b"<OrgnlEndToEndId>E2E-000001<", b"<OrgnlEndToEndId><!-- ref -->E2E-000001<"),
        (b'<InstdAmt Ccy="EUR">120.50<', b'<InstdAmt Ccy="EUR"><!-- amount -->120.50<'),
    ],
    ids=["message-id", "end-to-end-id", "amount"],
)
def test_comment_before_the_text_of_a_value(old, new):
    data = sample(P03)
    assert old in data
    assert returns.parse(data.replace(old, new, 1)) == [expected(P03)]


def test_latin_1_bytes_under_a_utf_8_declaration_are_refused():
    data = sample(P03, encoding="ISO-8859-1").replace(b'encoding="ISO-8859-1"', b'encoding="UTF-8"')
    with pytest.raises(BankFileError, match=r"^bank\.xml is not well-formed XML: .*UTF-8"):
        returns.parse(data, "bank.xml")


# -----------------------------------------------------------------------------
# Zip archives
# -----------------------------------------------------------------------------


@pytest.mark.parametrize("compression", [zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED], ids=["stored", "deflated"])
def test_zip_of_several_files_gives_one_message_per_file_with_its_name(compression):
    data = zip_of(
        ("2026-01-20/", b""),
        ("2026-01-20/status.xml", sample(P10)),
        ("ntf.xml", sample(C54_08, prefix="n", indent=2)),
        ("stmt.xml", sample(C53_02)),
        compression=compression,
    )
    assert returns.parse(data, "bank.zip") == [
        expected(P10, "2026-01-20/status.xml"),
        expected(C54_08, "ntf.xml"),
        expected(C53_02, "stmt.xml"),
    ]


def test_zip_holding_only_folders_is_refused():
    with pytest.raises(BankFileError, match=r"^bank\.zip holds no file$"):
        returns.parse(zip_of(("2026-01/", b"")), "bank.zip")


def test_empty_zip_is_refused_as_an_empty_archive():
    data = zip_of()
    with pytest.raises(BankFileError, match="holds no file"):
        returns.parse(data, "bank.zip")


def test_empty_zip_is_refused():
    with pytest.raises(BankFileError, match=r"^bank\.zip "):
        returns.parse(zip_of(), "bank.zip")


def test_zip_inside_a_zip_is_refused():
    inner = zip_of(("status.xml", sample(P03)))
    data = zip_of(("status.xml", sample(P03)), ("more/inner.zip", inner))
    with pytest.raises(BankFileError, match=r"^more/inner\.zip: archives inside archives are not read$"):
        returns.parse(data, "bank.zip")


def test_zip_with_too_many_files_is_refused(monkeypatch):
    monkeypatch.setattr(returns, "MAX_ZIP_MEMBERS", 2)
    two = zip_of(("folder/", b""), ("a.xml", sample(P03)), ("b.xml", sample(C54_02)))
    assert [message.filename for message in returns.parse(two)] == ["a.xml", "b.xml"]
    three = zip_of(("a.xml", sample(P03)), ("b.xml", sample(C54_02)), ("c.xml", sample(C53_02)))
    with pytest.raises(BankFileError, match=r"^The archive holds more than 2 files$"):
        returns.parse(three, "bank.zip")


def test_zip_too_large_once_unpacked_is_refused(monkeypatch):
    data = zip_of(("a.xml", sample(P03)), ("b.xml", sample(C54_02)))
    monkeypatch.setattr(returns, "MAX_ZIP_TOTAL", len(sample(P03)) + len(sample(C54_02)) - 1)
    with pytest.raises(BankFileError, match=r"^The archive is too large once unpacked$"):
        returns.parse(data, "bank.zip")


def test_zip_member_larger_than_the_file_limit_is_refused(monkeypatch):
    big = sample(C54_02, indent=200)  # mostly spaces: a small archive, a large file
    data = zip_of(("small.xml", sample(P03)), ("big.xml", big))
    limit = len(big) - 1
    assert len(data) < limit
    monkeypatch.setattr(returns, "MAX_FILE_SIZE", limit)
    with pytest.raises(BankFileError, match=r"^big\.xml is larger than"):
        returns.parse(data, "bank.zip")


@pytest.mark.parametrize(
    "data",
    [
        b"PK\x03\x04" + b"garbage, not a zip archive" * 4,
        b"PK\x03\x04",
        zip_of(("status.xml", sample(P03)))[:60],
    ],
    ids=["garbage", "header-only", "truncated"],
)
def test_corrupt_zip_is_refused(data):
    with pytest.raises(BankFileError, match=r"^bank\.zip is not a valid zip archive$"):
        returns.parse(data, "bank.zip")
    with pytest.raises(BankFileError, match=r"^The file is not a valid zip archive$"):
        returns.parse(data)


def corrupt_member(compression):
    """A zip whose directory is sound but whose member data is damaged."""
    data = bytearray(zip_of(("status.xml", sample(P03) * 3), compression=compression))
    start = 30 + len("status.xml")  # after the local file header
    for offset in range(start + 40, start + 60):
        data[offset] ^= 0x5A
    return bytes(data)


@pytest.mark.parametrize("compression", [zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED], ids=["bad-crc", "bad-deflate"])
def test_zip_with_a_damaged_member_is_refused(compression):
    with pytest.raises(BankFileError, match=r"status\.xml"):
        returns.parse(corrupt_member(compression), "bank.zip")


def test_zip_member_that_is_not_xml_is_refused_with_its_name():
    data = zip_of(("status.xml", sample(P03)), ("notes.txt", b"Call the bank on Monday"))
    with pytest.raises(BankFileError, match=r"^notes\.txt is not well-formed XML"):
        returns.parse(data, "bank.zip")


def test_zip_member_of_another_message_is_refused_with_its_name():
    other = document("pain.008.001.02", el("CstmrDrctDbtInitn", el("GrpHdr", el("MsgId", "X"))))
    data = zip_of(("status.xml", sample(P03)), ("collection.xml", other))
    with pytest.raises(BankFileError, match=r"^collection\.xml is not a pain\.002, camt\.054 or camt\.053 message"):
        returns.parse(data, "bank.zip")


# -----------------------------------------------------------------------------
# Safety: entities, DTDs, sizes, other files
# -----------------------------------------------------------------------------

SECRET = "S3CRET-FROM-THE-SERVER-DISK"


class LoadSpy(etree.Resolver):
    """Records every URL libxml2 asks to load, and hands back nothing: no file is ever read."""

    def __init__(self):
        super().__init__()
        self.urls = []

    def resolve(self, url, pubid, context):
        self.urls.append(url)
        return self.resolve_string("", context)


@pytest.fixture
def spy(monkeypatch):
    """Attach a :class:`LoadSpy` to every parser ``returns`` creates."""
    load_spy = LoadSpy()
    make_parser = returns._parser

    def parser():
        created = make_parser()
        created.resolvers.add(load_spy)
        return created

    monkeypatch.setattr(returns, "_parser", parser)
    return load_spy


@pytest.fixture
def secret_uri(tmp_path):
    path = tmp_path / "secret.txt"
    path.write_text(SECRET)
    return path.as_uri()


def message_with_doctype(doctype, msg_id="&xxe;"):
    return (
        f"<?xml version='1.0' encoding='ENCODING'?>\n{doctype}\n"
        f'<Document xmlns="{ISO}{P03}"><CstmrPmtStsRpt><GrpHdr><MsgId>{msg_id}</MsgId>'
        "<CreDtTm>2026-01-20T09:15:00</CreDtTm></GrpHdr>"
        f"<OrgnlGrpInfAndSts><OrgnlMsgId>{ORIGINAL_MESSAGE_ID}</OrgnlMsgId><OrgnlMsgNmId>pain.008.001.02"
        "</OrgnlMsgNmId><GrpSts>RJCT</GrpSts></OrgnlGrpInfAndSts></CstmrPmtStsRpt></Document>"
    )


def encoded(text, encoding):
    return text.replace("ENCODING", encoding).encode(encoding)


BILLION_LAUGHS = (
    '<!DOCTYPE Document [<!ENTITY lol0 "lol">'
    + "".join(f'<!ENTITY lol{n} "' + f"&lol{n - 1};" * 10 + '">' for n in range(1, 10))
    + "]>"
)

PAYLOADS = {
    "xxe-entity": ('<!DOCTYPE Document [<!ENTITY xxe SYSTEM "URL">]>', "&xxe;"),
    "xxe-parameter-entity": ('<!DOCTYPE Document [<!ENTITY % ext SYSTEM "URL"> %ext;]>', "STS-1"),
    "external-dtd": ('<!DOCTYPE Document SYSTEM "URL">', "STS-1"),
    "external-dtd-public": ('<!DOCTYPE Document PUBLIC "-//BANK//DTD Returns//EN" "URL">', "STS-1"),
}
REFUSED = r"DOCTYPE (or an entity )?is not allowed in a bank file"


@pytest.mark.parametrize("encoding", ["UTF-8", "UTF-16"])
@pytest.mark.parametrize("target", ["file:///etc/hostname", "SECRET", "http://127.0.0.1:9/bank.dtd"])
@pytest.mark.parametrize("payload", PAYLOADS)
def test_doctype_entities_and_external_dtds_are_refused_without_loading_anything(
    spy, secret_uri, payload, target, encoding
):
    """UTF-8 is stopped before parsing; UTF-16 hides the DOCTYPE from a byte search, so the parser must hold."""
    doctype, msg_id = PAYLOADS[payload]
    url = secret_uri if target == "SECRET" else target
    data = encoded(message_with_doctype(doctype.replace("URL", url), msg_id), encoding)
    with pytest.raises(BankFileError, match=REFUSED) as caught:
        returns.parse(data, "evil.xml")
    assert str(caught.value).startswith("evil.xml")
    assert SECRET not in str(caught.value)
    assert spy.urls == []


@pytest.mark.parametrize("encoding", ["UTF-8", "UTF-16"])
def test_billion_laughs_is_refused_without_expanding(spy, encoding):
    data = encoded(message_with_doctype(BILLION_LAUGHS, "&lol9;"), encoding)
    with pytest.raises(BankFileError, match=rf"^evil\.xml(: a {REFUSED}| is not well-formed XML: .*entity)") as caught:
        returns.parse(data, "evil.xml")
    assert "lollol" not in str(caught.value)
    assert spy.urls == []


def test_doctype_after_a_long_prolog_is_refused_without_loading_anything(spy, secret_uri):
    """A DOCTYPE past the first 4 KB is out of the byte check's window: the parser must hold."""
    prolog = "<!--" + " padding " * 600 + "-->"
    text = message_with_doctype(f'{prolog}\n<!DOCTYPE Document SYSTEM "{secret_uri}">', "STS-1")
    data = encoded(text, "UTF-8")
    assert data.index(b"<!DOCTYPE") > 4096
    with pytest.raises(BankFileError, match=r"^evil\.xml: a DOCTYPE is not allowed in a bank file$"):
        returns.parse(data, "evil.xml")
    assert spy.urls == []


def test_entity_in_a_zip_member_is_refused_with_the_member_name(spy, secret_uri):
    evil = encoded(message_with_doctype(f'<!DOCTYPE Document [<!ENTITY xxe SYSTEM "{secret_uri}">]>'), "UTF-8")
    with pytest.raises(BankFileError, match=r"^inside/evil\.xml: a DOCTYPE or an entity is not allowed"):
        returns.parse(zip_of(("ok.xml", sample(P03)), ("inside/evil.xml", evil)), "bank.zip")
    assert spy.urls == []


def test_xinclude_is_not_processed(spy, secret_uri):
    include = f'<xi:include xmlns:xi="http://www.w3.org/2001/XInclude" href="{secret_uri}" parse="text"/>'
    data = encoded(message_with_doctype("", include), "UTF-8")
    message = parse_one(data)
    assert message.message_id == ""
    assert SECRET not in repr(message)
    assert spy.urls == []


def test_the_load_spy_does_see_a_parser_that_loads_external_entities(secret_uri):
    """Check of the harness: with a careless parser, the spy records the load."""
    load_spy = LoadSpy()
    careless = etree.XMLParser(resolve_entities=True, load_dtd=True, no_network=False)
    careless.resolvers.add(load_spy)
    data = encoded(message_with_doctype(f'<!DOCTYPE Document [<!ENTITY xxe SYSTEM "{secret_uri}">]>'), "UTF-8")
    etree.fromstring(data, careless)
    assert load_spy.urls == [secret_uri]


def test_file_over_the_size_limit_is_refused_before_reading(monkeypatch):
    data = sample(P03)
    monkeypatch.setattr(returns, "MAX_FILE_SIZE", len(data))
    assert parse_one(data) == expected(P03)
    with pytest.raises(BankFileError, match=r"^status\.xml is larger than 0 MB$"):
        returns.parse(data + b" ", "status.xml")
    with pytest.raises(BankFileError, match=r"^The file is larger than"):
        returns.parse(b"\x00" * (len(data) + 1))


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"   \n",
        b"Date;Montant;Motif\n2026-01-20;12,50;AM04\n",
        b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n",
        b'{"MsgId": "STS-1", "lines": []}',
        b"\x00\x01\x02\x03garbage",
        b"<Document><CstmrPmtStsRpt><GrpHdr>",
        b"<Document>&undefined;</Document>",
    ],
    ids=["empty", "blank", "csv", "pdf", "json", "binary", "truncated", "undefined-entity"],
)
def test_file_that_is_not_xml_is_refused(data):
    with pytest.raises(BankFileError, match=r"^retours\.dat is not well-formed XML: "):
        returns.parse(data, "retours.dat")


@pytest.mark.parametrize(
    ("namespace", "body"),
    [
        (f"{ISO}pain.008.001.02", el("CstmrDrctDbtInitn", el("GrpHdr", el("MsgId", "MSG-1")))),
        (f"{ISO}pain.008.001.08", el("CstmrDrctDbtInitn", el("GrpHdr", el("MsgId", "MSG-1")))),
        (f"{ISO}pacs.002.001.10", el("FIToFIPmtStsRpt", el("GrpHdr", el("MsgId", "MSG-1")))),
        (f"{ISO}camt.052.001.02", el("BkToCstmrAcctRpt", el("GrpHdr", el("MsgId", "MSG-1")))),
        (f"{ISO}other.054.001.02", el("BkToCstmrDbtCdtNtfctn", el("GrpHdr", el("MsgId", "MSG-1")))),
        (f"{ISO}camt.054.001.02.xsd", el("BkToCstmrDbtCdtNtfctn", el("GrpHdr", el("MsgId", "MSG-1")))),
        ("urn:example:returns", el("CstmrPmtStsRpt", el("GrpHdr", el("MsgId", "MSG-1")))),
    ],
    ids=["pain.008.02", "pain.008.08", "pacs.002", "camt.052", "other.054", "xsd-suffix", "other-urn"],
)
def test_xml_of_another_message_is_refused_with_its_namespace(namespace, body):
    data = document(P03, body, namespace=namespace)
    message = rf"^bank\.xml is not a pain\.002, camt\.054 or camt\.053 message \(namespace '{re.escape(namespace)}'\)$"
    with pytest.raises(BankFileError, match=message):
        returns.parse(data, "bank.xml")


@pytest.mark.parametrize("body", [sample_pain002(P03), el("html", el("body", "Hello"))], ids=["pain.002", "html"])
def test_xml_without_namespace_is_refused(body):
    message = r"^bank\.xml is not a pain\.002, camt\.054 or camt\.053 message \(namespace 'none'\)$"
    with pytest.raises(BankFileError, match=message):
        returns.parse(document(P03, body, namespace=""), "bank.xml")


@pytest.mark.parametrize("data", [b'<Document xmlns="NS"/>', b'<Document xmlns="NS">  text only  </Document>'])
def test_document_without_a_message_element_is_refused(data):
    with pytest.raises(BankFileError, match=r"^bank\.xml is empty$"):
        returns.parse(data.replace(b"NS", f"{ISO}{P03}".encode()), "bank.xml")


AMOUNT_PLACES = {
    "pain.002-03": (
        P03,
        lambda amount: pain002(P03, payment_block("P", pain_tx(P03, "E", why=reason(P03, "AM04"), amount=amount))),
    ),
    "pain.002-10": (P10, lambda amount: pain002(P10, payment_block("P", pain_tx(P10, "E", amount=amount)))),
    "camt.054-02": (
        C54_02,
        lambda amount: camt054(C54_02, notification(entry(C54_02, camt_tx(C54_02, "E", amount=amount)))),
    ),
    "camt.054-08": (
        C54_08,
        lambda amount: camt054(C54_08, notification(entry(C54_08, camt_tx(C54_08, "E", amount=amount)))),
    ),
    "camt.054-entry": (
        C54_08,
        lambda amount: camt054(
            C54_08, notification(entry(C54_08, camt_tx(C54_08, "E", with_amount=False), amount=amount))
        ),
    ),
    "camt.053": (C53_02, lambda amount: camt053(entry(C53_02, camt_tx(C53_02, "E", amount=amount)))),
}


@pytest.mark.parametrize("amount", ["12,50", "abc", "12.50 EUR", "1 234.56", "€12", "0x1F"])
@pytest.mark.parametrize("place", AMOUNT_PLACES)
def test_amount_that_is_not_a_number_is_refused_naming_the_amount(place, amount):
    version, build = AMOUNT_PLACES[place]
    with pytest.raises(BankFileError, match=rf"^Amount {re.escape(repr(amount))} is not a number$"):
        returns.parse(document(version, build(amount)), "bank.xml")


@pytest.mark.parametrize("amount", ["NaN", "Infinity"])
def test_amount_nan_or_infinity_is_refused(amount):
    version, build = AMOUNT_PLACES["camt.054-08"]
    with pytest.raises(BankFileError, match=rf"^Amount '{amount}' is not a number$"):
        returns.parse(document(version, build(amount)), "bank.xml")
