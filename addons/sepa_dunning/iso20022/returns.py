"""Read bank R-transaction files: ``pain.002`` status reports, ``camt.054`` / ``camt.053``,
and French CFONB 120 account statements.

Version-agnostic: the message is recognised from its root namespace
(``urn:iso:std:iso:20022:tech:xsd:pain.002.001.NN`` or ``camt.05x.001.NN``) and read
with local names, so every version with the same shape is accepted. A CFONB 120
statement ("relevé de compte 120 caractères", enriched SEPA variant included) is
recognised from its first record, an opening balance ``01``. Zip archives of such
files are opened (one level, bounded).

Bank files are untrusted: a DOCTYPE is refused (no entity, no external DTD), the
parser never touches the network, sizes are capped, and a file that is not one of
these messages is a clear :class:`BankFileError`, never a partial result.
"""

import datetime as dt
import io
import re
import zipfile
import zlib
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from lxml import etree

MAX_FILE_SIZE = 50 * 1024 * 1024
MAX_ZIP_MEMBERS = 200
MAX_ZIP_TOTAL = 200 * 1024 * 1024
NAMESPACE = re.compile(r"urn:iso:std:iso:20022:tech:xsd:(pain\.002|camt\.05[34])\.001\.(\d\d)$")


class BankFileError(ValueError):
    """The file cannot be read as a bank R-transaction file; the message says why."""


@dataclass(frozen=True)
class ReturnLine:
    """One rejected, returned or refunded debit, as the bank reports it."""

    end_to_end_id: str = ""
    original_message_id: str = ""
    original_payment_info_id: str = ""
    mandate_id: str = ""
    amount: Decimal | None = None
    currency: str = ""
    reason_code: str = ""
    additional_info: str = ""
    date: dt.date | None = None
    kind: str = "reject"  # reject (before settlement), return or refund (after)
    bank_reference: str = ""


@dataclass(frozen=True)
class StatementTx:
    """One transaction of a statement entry, by the references the creditor gave it."""

    end_to_end_id: str = ""
    payment_info_id: str = ""
    message_id: str = ""
    amount: Decimal | None = None  # always positive; the entry says the direction


@dataclass(frozen=True)
class StatementEntry:
    """One booked movement of a ``camt.053`` account statement: money in (credit) or out (debit).

    A batch booking credits the collected debits of a payment block as one
    amount (``NtryDtls/Btch`` names the block); the details, when the bank gives
    them, list each transaction.
    """

    amount: Decimal  # signed: positive for a credit, negative for a debit
    currency: str = ""
    date: dt.date | None = None
    bank_reference: str = ""  # AcctSvcrRef of the entry, else the statement's id and the entry's rank
    account_iban: str = ""
    message_id: str = ""  # NtryDtls/Btch/MsgId
    payment_info_id: str = ""  # NtryDtls/Btch/PmtInfId
    label: str = ""
    transactions: tuple = ()
    returns: bool = False  # it reports returned debits (read as rejection lines too)


@dataclass
class ReturnMessage:
    message_type: str  # pain.002, camt.054, camt.053 or cfonb120
    version: str  # e.g. pain.002.001.03, or cfonb120
    message_id: str
    created: dt.date | None
    filename: str = ""
    lines: list = field(default_factory=list)
    ignored: int = 0  # entries without return information (of a statement: not booked by the bank)
    entries: list = field(default_factory=list)  # StatementEntry: what a camt.053 booked on the account


def _parser():
    return etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False, huge_tree=False
    )


def _local(node, path):
    """Nodes under ``node`` along ``a/b/c`` local names, whatever the namespace."""
    xpath = "/".join(f"*[local-name()='{part}']" for part in path.split("/"))
    return node.xpath(xpath)


def _string(node):
    """Text of an element, comments inside it left out, whitespace collapsed."""
    return " ".join(node.xpath("string(.)").split())


def _text(node, path):
    found = _local(node, path)
    return _string(found[0]) if found else ""


def _date(value):
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value[:10])
    except ValueError:
        return None


def _amount(node, path):
    found = _local(node, path)
    text = _string(found[0]) if found else ""
    if not text:
        return None, ""
    try:
        amount = Decimal(text)
    except InvalidOperation as exc:
        raise BankFileError(f"Amount {text!r} is not a number") from exc
    if not amount.is_finite():
        raise BankFileError(f"Amount {text!r} is not a number")
    return amount, found[0].get("Ccy", "")


def parse(content, filename=""):
    """Read a bank file (XML, CFONB 120, or a zip of such files).

    :return: a list of :class:`ReturnMessage`, one per XML document or CFONB file
    :raise BankFileError: when the file is not a supported message, or unsafe
    """
    _check_size(content, filename)
    if content[:2] == b"PK":  # a zip archive, empty ones included
        return _parse_zip(content, filename)
    return [_parse_file(content, filename)]


def _check_size(content, filename):
    if len(content) > MAX_FILE_SIZE:
        raise BankFileError(f"{filename or 'The file'} is larger than {MAX_FILE_SIZE // 1024 // 1024} MB")


def _parse_file(content, filename):
    if CFONB_START.match(content):
        return parse_cfonb120(content, filename)
    return parse_xml(content, filename)


def _parse_zip(content, filename):
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
    except zipfile.BadZipFile as exc:
        raise BankFileError(f"{filename or 'The file'} is not a valid zip archive") from exc
    members = [m for m in archive.infolist() if not m.is_dir()]
    if len(members) > MAX_ZIP_MEMBERS:
        raise BankFileError(f"The archive holds more than {MAX_ZIP_MEMBERS} files")
    if sum(m.file_size for m in members) > MAX_ZIP_TOTAL:
        raise BankFileError("The archive is too large once unpacked")
    messages = []
    for member in members:
        try:
            with archive.open(member) as handle:
                data = handle.read(MAX_FILE_SIZE + 1)
        except (zipfile.BadZipFile, zlib.error, OSError, EOFError) as exc:
            raise BankFileError(f"{member.filename} cannot be unpacked: {exc}") from exc
        if len(data) > MAX_FILE_SIZE:
            raise BankFileError(f"{member.filename} is larger than {MAX_FILE_SIZE // 1024 // 1024} MB")
        if data[:2] == b"PK":
            raise BankFileError(f"{member.filename}: archives inside archives are not read")
        messages.append(_parse_file(data, member.filename))
    if not messages:
        raise BankFileError(f"{filename or 'The archive'} holds no file")
    return messages


def parse_xml(content, filename=""):
    """Read one XML bank message."""
    if b"<!DOCTYPE" in content[:4096].upper() or b"<!ENTITY" in content.upper():
        raise BankFileError(f"{filename or 'The file'}: a DOCTYPE or an entity is not allowed in a bank file")
    try:
        root = etree.fromstring(content, _parser())
    except etree.XMLSyntaxError as exc:
        raise BankFileError(f"{filename or 'The file'} is not well-formed XML: {exc}") from exc
    if root.getroottree().docinfo.doctype:
        raise BankFileError(f"{filename or 'The file'}: a DOCTYPE is not allowed in a bank file")
    namespace = etree.QName(root).namespace or ""
    match = NAMESPACE.match(namespace)
    if not match:
        raise BankFileError(
            f"{filename or 'The file'} is not a pain.002, camt.054 or camt.053 message "
            f"(namespace {namespace or 'none'!r})"
        )
    message_type = match.group(1)
    version = namespace.rsplit(":", 1)[1]
    body = next((child for child in root if isinstance(child.tag, str)), None)
    if body is None:
        raise BankFileError(f"{filename or 'The file'} is empty")
    header = _local(body, "GrpHdr")
    message = ReturnMessage(
        message_type=message_type,
        version=version,
        message_id=_text(header[0], "MsgId") if header else "",
        created=_date(_text(header[0], "CreDtTm")) if header else None,
        filename=filename,
    )
    if message_type == "pain.002":
        _read_pain002(body, message)
    else:
        _read_camt(body, message)
    return message


REJECTED = "RJCT"  # the only status that rejects: ACCP, ACSC, ACTC, ACWC, PART, PDNG... do not


def _reason(node):
    """The reason code of a status (``StsRsnInf``) at ``node``, ISO code else proprietary."""
    return _text(node, "StsRsnInf/Rsn/Cd") or _text(node, "StsRsnInf/Rsn/Prtry")


def _read_pain002(body, message):
    """Rejected debits of a status report.

    A transaction's status is its own ``TxSts``, else its payment block's
    ``PmtInfSts``, else the group's ``GrpSts``; its reason comes from the same
    level as its status. Only ``RJCT`` rejects. A block (or a whole message)
    rejected without transaction details is one line naming the block (or the
    message): every debit of it is rejected.
    """
    group = _local(body, "OrgnlGrpInfAndSts")
    original_msg = _text(group[0], "OrgnlMsgId") if group else ""
    group_status = _text(group[0], "GrpSts") if group else ""
    group_reason = _reason(group[0]) if group else ""
    blocks = _local(body, "OrgnlPmtInfAndSts")
    for info in blocks:
        info_id = _text(info, "OrgnlPmtInfId")
        own_status = _text(info, "PmtInfSts")
        info_status, info_reason = (own_status, _reason(info)) if own_status else (group_status, group_reason)
        # A block's own reason, given with no status of its own, still says why.
        info_reason = info_reason or _reason(info)
        transactions = _local(info, "TxInfAndSts")
        for tx in transactions:
            tx_status = _text(tx, "TxSts")
            status, reason = (tx_status, _reason(tx)) if tx_status else (info_status, _reason(tx) or info_reason)
            if status != REJECTED:
                message.ignored += 1
                continue
            amount, currency = _amount(tx, "OrgnlTxRef/Amt/InstdAmt")
            message.lines.append(
                ReturnLine(
                    end_to_end_id=_text(tx, "OrgnlEndToEndId"),
                    original_message_id=original_msg,
                    original_payment_info_id=info_id,
                    mandate_id=_text(tx, "OrgnlTxRef/MndtRltdInf/MndtId"),
                    amount=amount,
                    currency=currency,
                    reason_code=reason,
                    additional_info=" ".join(_string(n) for n in _local(tx, "StsRsnInf/AddtlInf")).strip(),
                    date=message.created,
                    kind="reject",
                    bank_reference=_text(tx, "StsId"),
                )
            )
        if not transactions and info_status == REJECTED:
            # The whole payment information block was rejected.
            message.lines.append(
                ReturnLine(
                    original_message_id=original_msg,
                    original_payment_info_id=info_id,
                    reason_code=info_reason,
                    date=message.created,
                )
            )
    if not blocks and group_status == REJECTED:
        # The whole original message was rejected.
        message.lines.append(
            ReturnLine(original_message_id=original_msg, reason_code=group_reason, date=message.created)
        )


def _read_camt(body, message):
    container = "Ntfctn" if message.message_type == "camt.054" else "Stmt"
    for report in _local(body, container):
        if container == "Stmt":
            _read_statement_entries(report, message)
        # A statement's entries without returns are counted by the statement reader, once.
        count_ignored = container != "Stmt"
        for entry in _local(report, "Ntry"):
            if _text(entry, "CdtDbtInd") == "CRDT":
                # Money coming in (a transfer, or the reversal of a return) is no
                # rejected debit.
                message.ignored += count_ignored
                continue
            entry_date = _date(_text(entry, "BookgDt/Dt") or _text(entry, "BookgDt/DtTm")) or _date(
                _text(entry, "ValDt/Dt")
            )
            details = _local(entry, "NtryDtls/TxDtls")
            for tx in details:
                returned = _local(tx, "RtrInf")
                if not returned:
                    message.ignored += count_ignored
                    continue
                amount, currency = _amount(tx, "AmtDtls/InstdAmt/Amt")
                if amount is None:
                    amount, currency = _amount(tx, "AmtDtls/TxAmt/Amt")
                if amount is None:
                    amount, currency = _amount(tx, "Amt")
                if amount is None and len(details) == 1:
                    amount, currency = _amount(entry, "Amt")
                info = " ".join(_string(n) for n in _local(returned[0], "AddtlInf")).strip()
                reason = _text(returned[0], "Rsn/Cd") or _text(returned[0], "Rsn/Prtry")
                message.lines.append(
                    ReturnLine(
                        end_to_end_id=_text(tx, "Refs/EndToEndId"),
                        original_message_id=_text(tx, "Refs/MsgId"),
                        original_payment_info_id=_text(tx, "Refs/PmtInfId"),
                        mandate_id=_text(tx, "Refs/MndtId"),
                        amount=amount,
                        currency=currency,
                        reason_code=reason,
                        additional_info=info,
                        date=entry_date or message.created,
                        kind="refund" if reason == "MD06" or "/RTYP/RFND" in info else "return",
                        bank_reference=_text(tx, "Refs/AcctSvcrRef") or _text(entry, "AcctSvcrRef"),
                    )
                )
            if not details:
                message.ignored += count_ignored


BOOKED = ("BOOK", "")  # an entry's status: booked (a pending or informative entry moved no money)


def _read_statement_entries(statement, message):
    """The booked entries of a ``camt.053`` statement, with the creditor's references."""
    iban = _text(statement, "Acct/Id/IBAN").replace(" ", "").upper()
    statement_id = _text(statement, "Id") or message.message_id
    for rank, entry in enumerate(_local(statement, "Ntry"), start=1):
        status = _text(entry, "Sts/Cd") or _text(entry, "Sts")
        if status not in BOOKED:
            message.ignored += 1
            continue
        amount, currency = _amount(entry, "Amt")
        if amount is None:
            raise BankFileError(f"{message.filename or 'The statement'}: entry {rank} has no amount")
        # The direction of the booking itself (a reversal, RvslInd, is booked in its own direction).
        sign = -1 if _text(entry, "CdtDbtInd") == "DBIT" else 1
        transactions = []
        for tx in _local(entry, "NtryDtls/TxDtls"):
            tx_amount, _currency = _amount(tx, "AmtDtls/TxAmt/Amt")
            if tx_amount is None:
                tx_amount, _currency = _amount(tx, "Amt")
            if tx_amount is None:
                tx_amount, _currency = _amount(tx, "AmtDtls/InstdAmt/Amt")
            transactions.append(
                StatementTx(
                    end_to_end_id=_text(tx, "Refs/EndToEndId"),
                    payment_info_id=_text(tx, "Refs/PmtInfId"),
                    message_id=_text(tx, "Refs/MsgId"),
                    amount=tx_amount,
                )
            )
        message.entries.append(
            StatementEntry(
                amount=sign * amount,
                currency=currency,
                date=_date(_text(entry, "BookgDt/Dt") or _text(entry, "BookgDt/DtTm"))
                or _date(_text(entry, "ValDt/Dt"))
                or message.created,
                bank_reference=_text(entry, "AcctSvcrRef") or f"{statement_id}/{rank}",
                account_iban=iban,
                message_id=_text(entry, "NtryDtls/Btch/MsgId"),
                payment_info_id=_text(entry, "NtryDtls/Btch/PmtInfId"),
                label=_text(entry, "AddtlNtryInf")[:200],
                transactions=tuple(transactions),
                returns=bool(_local(entry, "NtryDtls/TxDtls/RtrInf")),
            )
        )


# -----------------------------------------------------------------------------
# CFONB 120 account statements
#
# Layout from the CFONB "Evolutions du relevé de compte 120 caractères pour les
# opérations de virements et de prélèvements SEPA", version 2.0, March 2010 (§ 1.4):
# fixed 120-character records, positions counted from 1 as in that document.
#   01 opening balance, 04 movement, 05 complement of the movement before it,
#   07 closing balance; a file may hold several statements, one after the other.
#   3-7 bank code, 12-16 branch code, 17-19 currency, 20 number of decimals,
#   22-32 account number, 33-34 interbank operation code (04, 05), 35-40 date (DDMMYY),
#   41-42 CFONB reject reason (04), 43-48 value date (04), 49-79 label (04),
#   82-88 entry number (04), 91-104 amount, 105-120 reference (04);
#   46-48 qualifier and 49-118 information (05).
# The amount is 14 characters, right-aligned and zero-filled, the sign carried by the
# last character: { A-I for +0 to +9, } J-R for -0 to -9.
# -----------------------------------------------------------------------------

CFONB_WIDTH = 120
CFONB_START = re.compile(rb"(?:\xef\xbb\xbf)?01\d{5}")  # an opening balance and its bank code
# Interbank operation codes of SEPA direct debits coming back unpaid to their creditor,
# debited from the creditor's account (same document, § 2.3.2):
CFONB_RETURN_CODES = {
    "B3": "SEPA Core direct debits rejected or unpaid, received by the creditor",
    "B4": "SEPA B2B direct debits rejected or unpaid, received by the creditor",
}
# Not returns to us, so ordinary movements: A1/A2 the collection credited to the creditor,
# A3/A4 the same rejections seen by the debtor (credited back), A5/A6 and B5/B6 reversals,
# B1/B2 direct debits paid, 10 and 27 rejected national (pre-SEPA) direct debits.
CFONB_RECORDS = {"01": "opening balance", "04": "movement", "05": "complement", "07": "closing balance"}
# 05 qualifiers holding a party: payer, beneficiary, ultimate debtor and creditor, each a
# name (NPY...) and an identifier (IPY...). Then the structured remittance, the client-to-
# client reference (RCN: the end-to-end id) and purpose, the file and transaction references,
# the mandate reference and sequence (RUM), accounts, the original amount. Any other
# qualifier (LIB, LCC, LC2, blank, a bank's own) is free text.
CFONB_PARTIES = {"NPY", "IPY", "NBE", "IBE", "NPO", "IPO", "NBU", "IBU"}
CFONB_STRUCTURED = CFONB_PARTIES | {"LCS", "RCN", "REF", "RUM", "CPY", "CBE", "MMO"}
CFONB_SIGNS = {char: (1, digit) for digit, char in enumerate("{ABCDEFGHI")} | {
    char: (-1, digit) for digit, char in enumerate("}JKLMNOPQR")
}
ISO_REASON = re.compile(r"\b(?:A[CGM]\d\d|(?:BE|ED|FF|MD|MS|RC|RR|SL)\d\d|CNOR|DNOR|FOCR|DUPL|FRAD|TECH)\b")
NOT_TEXT = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def _zone(record, position, length):
    """The zone at CFONB ``position`` (from 1), blanks around it removed."""
    return record[position - 1 : position - 1 + length].strip()


def parse_cfonb120(content, filename=""):
    """Read a CFONB 120 account statement: its returned SEPA direct debits become lines.

    A 04 movement with a return operation code (:data:`CFONB_RETURN_CODES`) that debits
    the account is one :class:`ReturnLine`, completed by the 05 records after it: RCN
    gives the end-to-end id, RUM the mandate, free text (LIB...) the ISO reason code
    and the additional information. Every other movement and each balance counts in
    ``ignored``.
    """
    where = filename or "The file"
    _check_size(content, filename)
    message = ReturnMessage(message_type="cfonb120", version="cfonb120", message_id="", created=None, filename=filename)
    movements = []  # (04 record, amount, date, its 05 records)
    complements = None  # those of the 04 being read
    for number, record in _cfonb_records(content, where):
        code = record[:2]
        if code not in CFONB_RECORDS:
            raise BankFileError(f"{where}, line {number}: unknown record code {code!r}")
        if number == 1 and code != "01":
            raise BankFileError(f"{where}, line 1: a statement starts with an opening balance (01), not {code!r}")
        if code == "05":
            if complements is None:
                raise BankFileError(f"{where}, line {number}: a complement (05) with no movement (04) before it")
            complements.append(record)
            continue
        amount = _cfonb_amount(record, number, where)
        date = _cfonb_date(record, number, where, required=code == "04")
        if code == "04":
            complements = []
            movements.append((record, amount, date, complements))
        else:
            complements = None
            message.ignored += 1
            if date and (message.created is None or date > message.created):
                message.created = date
    for record, amount, date, complements in movements:
        if _zone(record, 33, 2) in CFONB_RETURN_CODES and amount < 0:
            message.lines.append(_cfonb_line(record, -amount, date, complements))
        else:
            message.ignored += 1  # a credit, or any other movement
    return message


def _cfonb_records(content, where):
    """``(line number, record)`` pairs: lines (CR LF, LF or CR), or 120-character slices."""
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError:
        text = content.decode("latin-1")  # every byte is a character: no decoding error
    text = text.removeprefix("\ufeff").rstrip("\x1a")  # a BOM; an old end-of-file mark
    if "\n" in text or "\r" in text:
        lines = text.replace("\r\n", "\n").replace("\r", "\n").rstrip("\n").split("\n")
    else:
        lines = [text[start : start + CFONB_WIDTH] for start in range(0, len(text), CFONB_WIDTH)]
    if not any(lines):
        raise BankFileError(f"{where} holds no CFONB 120 record")
    for number, line in enumerate(lines, 1):
        found = NOT_TEXT.search(line)
        if found:
            raise BankFileError(f"{where}, line {number}: character {found.group()!r} is not text")
        if len(line) != CFONB_WIDTH:
            raise BankFileError(f"{where}, line {number}: a record is {CFONB_WIDTH} characters, not {len(line)}")
    return enumerate(lines, 1)


def _cfonb_amount(record, number, where):
    decimals, raw = record[19], record[90:104]  # positions 20 and 91-104
    if not (decimals.isdigit() or decimals == " "):  # some banks leave it blank on balances
        raise BankFileError(f"{where}, line {number}: number of decimals {decimals!r} is not a digit")
    digits = raw.lstrip(" ")
    if not re.fullmatch(r"\d*[{}A-R]", digits):
        raise BankFileError(f"{where}, line {number}: amount {raw!r} is not a CFONB amount")
    sign, last = CFONB_SIGNS[digits[-1]]
    scale = int(decimals) if decimals != " " else 2
    return Decimal(sign * int(digits[:-1] + str(last))).scaleb(-scale)


def _cfonb_date(record, number, where, required):
    """The date at positions 35-40, DDMMYY, the year in 2000-2099."""
    raw = record[34:40]
    if raw == "      " and not required:
        return None
    try:
        if not raw.isdigit():
            raise ValueError
        return dt.date(2000 + int(raw[4:]), int(raw[2:4]), int(raw[:2]))
    except ValueError as exc:
        raise BankFileError(f"{where}, line {number}: date {raw!r} is not a date (DDMMYY)") from exc


def _cfonb_line(record, amount, date, complements):
    found, texts = {}, []
    for complement in complements:
        qualifier = _zone(complement, 46, 3)
        if qualifier in CFONB_STRUCTURED:
            found.setdefault(qualifier, complement)
        elif _zone(complement, 49, 70):
            texts.append(_zone(complement, 49, 70))
    label = _zone(record, 49, 31)
    matches = (ISO_REASON.search(text.upper()) for text in [*texts, label])
    reason = next((match.group() for match in matches if match), "")
    cfonb_reason = _zone(record, 41, 2)
    info = [label, *texts]
    if "NPY" in found:
        info.append(f"payer {_zone(found['NPY'], 49, 70)}")
    if cfonb_reason:
        info.append(f"CFONB reason {cfonb_reason}")
    return ReturnLine(
        end_to_end_id=_zone(found["RCN"], 49, 35) if "RCN" in found else "",
        mandate_id=_zone(found["RUM"], 49, 35) if "RUM" in found else "",
        amount=amount,
        currency=_zone(record, 17, 3),
        reason_code=reason,
        additional_info=" / ".join(part for part in info if part),
        date=date,
        kind="refund" if reason == "MD06" else "return",
        bank_reference=_zone(record, 105, 16),
    )


def status_report(original_message_id, rejections, created, message_id=None):
    """Write a minimal ``pain.002.001.03`` rejecting some debits of a collection.

    What a bank would send back; used to walk the flow without a bank (demo
    data, training). ``rejections`` is a list of ``(payment_info_id,
    end_to_end_id, amount, reason_code)``.
    """
    ns = "urn:iso:std:iso:20022:tech:xsd:pain.002.001.03"
    root = etree.Element(f"{{{ns}}}Document", nsmap={None: ns})
    report = etree.SubElement(root, f"{{{ns}}}CstmrPmtStsRpt")

    def add(parent, tag, text=None, **attrib):
        node = etree.SubElement(parent, f"{{{ns}}}{tag}", attrib)
        node.text = text
        return node

    header = add(report, "GrpHdr")
    add(header, "MsgId", message_id or f"STS-{original_message_id}")
    add(header, "CreDtTm", f"{created.isoformat()}T00:00:00")
    group = add(report, "OrgnlGrpInfAndSts")
    add(group, "OrgnlMsgId", original_message_id)
    add(group, "OrgnlMsgNmId", "pain.008.001.08")
    blocks = {}
    for info_id, e2e, amount, code in rejections:
        if info_id not in blocks:
            blocks[info_id] = add(report, "OrgnlPmtInfAndSts")
            add(blocks[info_id], "OrgnlPmtInfId", info_id)
        tx = add(blocks[info_id], "TxInfAndSts")
        add(tx, "OrgnlEndToEndId", e2e)
        add(tx, "TxSts", "RJCT")
        add(add(add(tx, "StsRsnInf"), "Rsn"), "Cd", code)
        add(add(add(tx, "OrgnlTxRef"), "Amt"), "InstdAmt", f"{Decimal(str(amount)):.2f}", Ccy="EUR")
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def cfonb120_statement(account, rejections, date):
    """Write a CFONB 120 statement debiting the creditor with unpaid SEPA direct debits.

    What a French bank would send; used to walk the flow without a bank (tests, demo
    data). ``account`` is the creditor's French IBAN, ``rejections`` a list of
    ``(end_to_end_id, amount, reason_code, mandate_ref)``, ``date`` the day of the
    statement and of its movements. Each rejection is a B3 movement followed by its
    RCN, RUM and LIB complements; the opening balance is zero.
    """
    iban = account.replace(" ", "").upper()
    if len(iban) != 27 or iban[:2] not in ("FR", "MC"):
        raise ValueError(f"{account!r} is not a French IBAN")
    day = date.strftime("%d%m%y")
    account_zones = ((3, iban[4:9]), (12, iban[9:14]), (17, "EUR"), (20, "2"), (22, iban[14:25]))

    def record(code, *zones):
        chars = [" "] * CFONB_WIDTH
        for position, value in ((1, code), *account_zones, *zones):
            if position - 1 + len(value) > CFONB_WIDTH:
                raise ValueError(f"{value!r} does not fit in a CFONB 120 record")
            chars[position - 1 : position - 1 + len(value)] = value
        return "".join(chars)

    def fits(value, length):
        if len(value) > length:
            raise ValueError(f"{value!r} is longer than {length} characters")
        return value

    records = [record("01", (35, day), (91, _cfonb_encode(Decimal(0))))]
    total = Decimal(0)
    for index, (e2e, amount, reason, mandate) in enumerate(rejections, 1):
        amount = Decimal(str(amount))
        total += amount
        movement = ((33, "B3"), (35, day))
        records.append(
            record(
                "04",
                *movement,
                (43, day),
                (49, "PRLV SEPA IMPAYE"),
                (82, f"{index:07d}"),
                (91, _cfonb_encode(-amount)),
                (105, f"RJ{day}{index:08d}"),
            )
        )
        records.append(record("05", *movement, (46, "RCN"), (49, fits(e2e, 35))))
        if mandate:
            records.append(record("05", *movement, (46, "RUM"), (49, fits(mandate, 35))))
        if reason:
            records.append(record("05", *movement, (46, "LIB"), (49, fits(f"MOTIF {reason}", 70))))
    records.append(record("07", (35, day), (91, _cfonb_encode(-total))))
    return "".join(f"{line}\r\n" for line in records).encode("latin-1")


def _cfonb_encode(amount, decimals=2):
    """``amount`` as a 14-character CFONB amount, its sign on the last character."""
    digits = f"{abs(amount).scaleb(decimals).to_integral_value():014f}"
    if len(digits) > 14:
        raise ValueError(f"{amount} is too large for a CFONB amount")
    signs = "}JKLMNOPQR" if amount < 0 else "{ABCDEFGHI"
    return digits[:13] + signs[int(digits[13])]
