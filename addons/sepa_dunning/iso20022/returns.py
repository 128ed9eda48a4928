"""Read bank R-transaction files: ``pain.002`` status reports and ``camt.054`` / ``camt.053``.

Version-agnostic: the message is recognised from its root namespace
(``urn:iso:std:iso:20022:tech:xsd:pain.002.001.NN`` or ``camt.05x.001.NN``) and read
with local names, so every version with the same shape is accepted. Zip archives of
such files are opened (one level, bounded).

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


@dataclass
class ReturnMessage:
    message_type: str  # pain.002, camt.054 or camt.053
    version: str  # e.g. pain.002.001.03
    message_id: str
    created: dt.date | None
    filename: str = ""
    lines: list = field(default_factory=list)
    ignored: int = 0  # entries without return information


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
    """Read a bank file (XML or zip of XML files).

    :return: a list of :class:`ReturnMessage`, one per XML document
    :raise BankFileError: when the file is not a supported message, or unsafe
    """
    if len(content) > MAX_FILE_SIZE:
        raise BankFileError(f"{filename or 'The file'} is larger than {MAX_FILE_SIZE // 1024 // 1024} MB")
    if content[:2] == b"PK":  # a zip archive, empty ones included
        return _parse_zip(content, filename)
    return [parse_xml(content, filename)]


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
        messages.append(parse_xml(data, member.filename))
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


def _read_pain002(body, message):
    group = _local(body, "OrgnlGrpInfAndSts")
    original_msg = _text(group[0], "OrgnlMsgId") if group else ""
    group_status = _text(group[0], "GrpSts") if group else ""
    group_reason = _text(group[0], "StsRsnInf/Rsn/Cd") if group else ""
    for info in _local(body, "OrgnlPmtInfAndSts"):
        info_id = _text(info, "OrgnlPmtInfId")
        info_status = _text(info, "PmtInfSts")
        transactions = _local(info, "TxInfAndSts")
        for tx in transactions:
            if _text(tx, "TxSts") not in ("RJCT", ""):
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
                    reason_code=_text(tx, "StsRsnInf/Rsn/Cd") or _text(tx, "StsRsnInf/Rsn/Prtry"),
                    additional_info=" ".join(_string(n) for n in _local(tx, "StsRsnInf/AddtlInf")).strip(),
                    date=message.created,
                    kind="reject",
                    bank_reference=_text(tx, "StsId"),
                )
            )
        if not transactions and info_status == "RJCT":
            # The whole payment information block was rejected.
            message.lines.append(
                ReturnLine(
                    original_message_id=original_msg,
                    original_payment_info_id=info_id,
                    reason_code=_text(info, "StsRsnInf/Rsn/Cd"),
                    date=message.created,
                )
            )
    if not message.lines and group_status == "RJCT":
        message.lines.append(
            ReturnLine(original_message_id=original_msg, reason_code=group_reason, date=message.created)
        )


def _read_camt(body, message):
    container = "Ntfctn" if message.message_type == "camt.054" else "Stmt"
    for report in _local(body, container):
        for entry in _local(report, "Ntry"):
            if _text(entry, "CdtDbtInd") == "CRDT":
                # Money coming in (a transfer, or the reversal of a return) is no
                # rejected debit.
                message.ignored += 1
                continue
            entry_date = _date(_text(entry, "BookgDt/Dt") or _text(entry, "BookgDt/DtTm")) or _date(
                _text(entry, "ValDt/Dt")
            )
            details = _local(entry, "NtryDtls/TxDtls")
            for tx in details:
                returned = _local(tx, "RtrInf")
                if not returned:
                    message.ignored += 1
                    continue
                amount, currency = _amount(tx, "AmtDtls/InstdAmt/Amt")
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
                message.ignored += 1


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
