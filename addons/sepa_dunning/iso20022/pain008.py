"""SEPA Core direct debit initiation: ``pain.008.001.08`` and ``pain.008.001.02``.

Build a collection file from plain values (:class:`Message`), streaming it with
``lxml.etree.xmlfile`` so that 100,000 debits do not sit in memory as a tree, and
validate a file against the official XSD (shipped by the ``sepaxml`` package)
with a validating ``iterparse`` that also keeps memory flat.

Amendments follow the EPC rulebook: ``AmdmntInd`` true and, in
``AmdmntInfDtls``, the original mandate id, the original creditor scheme id, the
original debtor IBAN (account changed in the same bank) or ``SMNDA`` as original
debtor agent (the debtor moved to another bank).
"""

import contextlib
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from lxml import etree
from schwifty import BIC, IBAN
from schwifty.exceptions import SchwiftyException
from stdnum.eu import at_02
from stdnum.exceptions import ValidationError as StdnumError

from . import document, xsd
from .text import SepaTextError, check_identifier, sepa_text

# Raised by validate(); its callers catch it as pain008.SepaSchemaError.
SepaSchemaError = xsd.SepaSchemaError

DEFAULT_VERSION = "pain.008.001.08"
VERSIONS = ("pain.008.001.08", "pain.008.001.02")
SEQUENCE_TYPES = ("FRST", "RCUR", "OOFF", "FNAL")
MAX_AMOUNT = Decimal("999999999.99")
CENT = Decimal("0.01")


class SepaInputError(ValueError):
    """The values given cannot make a valid SEPA collection; the message says why."""


@dataclass(frozen=True)
class PostalAddress:
    country: str  # ISO 3166 alpha-2
    street: str = ""
    building: str = ""
    zip: str = ""
    city: str = ""


@dataclass(frozen=True)
class Party:
    """A creditor or a debtor: name, account and, where known, BIC and address."""

    name: str
    iban: str
    bic: str = ""
    address: PostalAddress | None = None


@dataclass(frozen=True)
class Amendment:
    """What changed on the mandate since the last debit (EPC amendment rules)."""

    original_mandate_id: str = ""
    original_creditor_id: str = ""
    original_creditor_name: str = ""
    original_iban: str = ""  # debtor account changed within the same bank
    new_debtor_bank: bool = False  # debtor moved to another bank: SMNDA

    def __bool__(self):
        return bool(
            self.original_mandate_id
            or self.original_creditor_id
            or self.original_creditor_name
            or self.original_iban
            or self.new_debtor_bank
        )


@dataclass(frozen=True)
class Debit:
    end_to_end_id: str
    amount: Decimal
    mandate_id: str
    mandate_date: date
    debtor: Party
    remittance: str = ""
    amendment: Amendment | None = None


@dataclass(frozen=True)
class PaymentInfo:
    """One ``PmtInf`` block: debits of one sequence type and collection date."""

    payment_info_id: str
    collection_date: date
    sequence_type: str
    debits: list = field(default_factory=list)

    @property
    def control_sum(self):
        return sum((Decimal(str(d.amount)) for d in self.debits), Decimal(0))


@dataclass(frozen=True)
class Message:
    message_id: str
    created_at: datetime
    initiating_party: str
    creditor: Party
    creditor_id: str  # SEPA creditor identifier (ICS in France)
    payment_infos: list = field(default_factory=list)
    batch_booking: bool = True

    @property
    def transaction_count(self):
        return sum(len(p.debits) for p in self.payment_infos)

    @property
    def control_sum(self):
        return sum((p.control_sum for p in self.payment_infos), Decimal(0))


# -----------------------------------------------------------------------------
# Input checks
# -----------------------------------------------------------------------------


def check_iban(value, what="IBAN"):
    """Validate an IBAN (country, length, check digits, national format); return it compact."""
    try:
        return IBAN(value).compact
    except (SchwiftyException, TypeError) as exc:
        raise SepaInputError(f"{what}: invalid IBAN {value!r} ({exc})") from exc


def check_bic(value, what="BIC"):
    """Validate a BIC; return it compact, or "" when there is none."""
    if not value:
        return ""
    try:
        return BIC(value).compact
    except (SchwiftyException, TypeError) as exc:
        raise SepaInputError(f"{what}: invalid BIC {value!r} ({exc})") from exc


def _compact(iban):
    return "".join(str(iban).split()).upper()


def check_creditor_id(value):
    """Validate a SEPA creditor identifier (ICS), check digits included."""
    try:
        return at_02.validate(value)
    except StdnumError as exc:
        raise SepaInputError(f"Invalid SEPA creditor identifier {value!r} ({exc})") from exc


def check_amount(value, what):
    amount = Decimal(str(value))
    if amount != amount.quantize(CENT):
        raise SepaInputError(f"{what}: amount {value} has more than two decimals")
    if not Decimal("0.01") <= amount <= MAX_AMOUNT:
        raise SepaInputError(f"{what}: amount {value} must be between 0.01 and {MAX_AMOUNT}")
    return amount


def check_message(message, version=DEFAULT_VERSION):
    """Refuse what the schema or the EPC rules would refuse, with a clear reason."""
    if version not in VERSIONS:
        raise SepaInputError(f"Unsupported version {version!r}; use one of {', '.join(VERSIONS)}")
    check_identifier(message.message_id, "Message id")
    check_creditor_id(message.creditor_id)
    # Every text is checked before the first byte is written: a file is never
    # left half-written by a value that cannot be transliterated.
    sepa_text(message.initiating_party, 70, "Initiating party")
    sepa_text(message.creditor.name, 70, "Creditor name")
    check_iban(message.creditor.iban, "Creditor account")
    check_bic(message.creditor.bic, "Creditor agent")
    if not message.payment_infos or not message.transaction_count:
        raise SepaInputError("The collection has no debit")
    seen = set()
    info_ids = [info.payment_info_id for info in message.payment_infos]
    if len(set(info_ids)) != len(info_ids):
        raise SepaInputError("A payment information id is used twice in the file")
    for party in (message.creditor, *(d.debtor for i in message.payment_infos for d in i.debits)):
        if party.address and not re.fullmatch(r"[A-Za-z]{2}", party.address.country or ""):
            raise SepaInputError(f"{party.name}: country code {party.address.country!r} is not ISO 3166 alpha-2")
    for info in message.payment_infos:
        check_identifier(info.payment_info_id, "Payment information id")
        if info.sequence_type not in SEQUENCE_TYPES:
            raise SepaInputError(f"Unknown sequence type {info.sequence_type!r}")
        if not info.debits:
            raise SepaInputError(f"Payment information {info.payment_info_id} has no debit")
        for debit in info.debits:
            what = f"Debit {debit.end_to_end_id}"
            check_identifier(debit.end_to_end_id, "End-to-end id")
            if debit.end_to_end_id in seen:
                raise SepaInputError(f"{what}: end-to-end id used twice in the file")
            seen.add(debit.end_to_end_id)
            check_identifier(debit.mandate_id, f"{what}: mandate reference")
            if not debit.mandate_date:
                raise SepaInputError(f"{what}: mandate {debit.mandate_id} has no signature date")
            if debit.mandate_date > info.collection_date:
                raise SepaInputError(f"{what}: mandate {debit.mandate_id} is signed after the collection date")
            check_amount(debit.amount, what)
            check_iban(debit.debtor.iban, f"{what}: debtor account")
            check_bic(debit.debtor.bic, f"{what}: debtor agent")
            sepa_text(debit.debtor.name, 70, f"{what}: debtor name")
            if debit.remittance:
                sepa_text(debit.remittance, 140, "Remittance")
            amendment = debit.amendment
            if amendment:
                if amendment.original_mandate_id:
                    check_identifier(amendment.original_mandate_id, f"{what}: original mandate reference")
                if amendment.original_creditor_id:
                    check_creditor_id(amendment.original_creditor_id)
                if amendment.original_creditor_name:
                    sepa_text(amendment.original_creditor_name, 70, "Original creditor")
                if amendment.original_iban:
                    check_iban(amendment.original_iban, f"{what}: original debtor account")
                if amendment.original_iban and amendment.new_debtor_bank:
                    raise SepaInputError(f"{what}: a change of debtor bank (SMNDA) carries no original IBAN")


# -----------------------------------------------------------------------------
# Building
# -----------------------------------------------------------------------------


class Writer:
    """The elements every SEPA initiation file writes alike (pain.008 here, pain.001 too)."""

    def __init__(self, version, bic_tag):
        self.version = version
        self.ns = f"urn:iso:std:iso:20022:tech:xsd:{version}"
        self.bic_tag = bic_tag  # "BICFI" since ISO 20022 2009, "BIC" in the versions before

    # Fragments are built with unqualified tags and written inside the Document
    # element, which declares the default namespace once: the file then carries a
    # single xmlns, and every element is in the namespace when the file is read
    # (validate() always reads the written bytes, never these fragments).
    def el(self, parent, tag, text=None, **attrib):
        node = etree.SubElement(parent, tag, attrib)
        if text is not None:
            node.text = text
        return node

    def root(self, tag):
        return etree.Element(tag)

    def path(self, parent, tags, text):
        """Create a chain of nested elements ``a/b/c`` with text on the last one."""
        for tag in tags.split("/"):
            parent = self.el(parent, tag)
        parent.text = text
        return parent

    def address(self, parent, address):
        if not address or not address.country:
            return
        node = self.el(parent, "PstlAdr")
        for tag, value, size in (
            ("StrtNm", address.street, 70),
            ("BldgNb", address.building, 16),
            ("PstCd", address.zip, 16),
            ("TwnNm", address.city, 35),
        ):
            # An address part that cannot be written in the SEPA set is left out:
            # the address is optional, the debit is not.
            with contextlib.suppress(SepaTextError):
                self.el(node, tag, sepa_text(value, size, tag))
        self.el(node, "Ctry", address.country.upper())

    def agent(self, parent, tag, bic):
        institution = self.el(self.el(parent, tag), "FinInstnId")
        if bic:
            self.el(institution, self.bic_tag, check_bic(bic))
        else:
            self.path(institution, "Othr/Id", "NOTPROVIDED")

    def group_header(self, message):
        """``GrpHdr`` of a message with ``message_id``, ``created_at``, ``transaction_count``,
        ``control_sum`` and ``initiating_party``."""
        header = self.root("GrpHdr")
        self.el(header, "MsgId", message.message_id)
        self.el(header, "CreDtTm", message.created_at.replace(microsecond=0).isoformat())
        self.el(header, "NbOfTxs", str(message.transaction_count))
        self.el(header, "CtrlSum", f"{message.control_sum:.2f}")
        self.el(self.el(header, "InitgPty"), "Nm", sepa_text(message.initiating_party, 70, "Initiating party"))
        return header


class _Writer(Writer):
    def __init__(self, version):
        super().__init__(version, "BICFI" if version >= "pain.008.001.03" else "BIC")

    def creditor_scheme(self, parent, creditor_id):
        other = self.path(parent, "CdtrSchmeId/Id/PrvtId/Othr/Id", creditor_id).getparent()
        self.path(other, "SchmeNm/Prtry", "SEPA")

    def payment_info_head(self, message, info):
        """The elements of a ``PmtInf`` that come before its transactions."""
        holder = self.root("PmtInf")
        self.el(holder, "PmtInfId", info.payment_info_id)
        self.el(holder, "PmtMtd", "DD")
        self.el(holder, "BtchBookg", "true" if message.batch_booking else "false")
        self.el(holder, "NbOfTxs", str(len(info.debits)))
        self.el(holder, "CtrlSum", f"{info.control_sum:.2f}")
        type_info = self.el(holder, "PmtTpInf")
        self.path(type_info, "SvcLvl/Cd", "SEPA")
        self.path(type_info, "LclInstrm/Cd", "CORE")
        self.el(type_info, "SeqTp", info.sequence_type)
        self.el(holder, "ReqdColltnDt", info.collection_date.isoformat())
        creditor = self.el(holder, "Cdtr")
        self.el(creditor, "Nm", sepa_text(message.creditor.name, 70, "Creditor name"))
        self.address(creditor, message.creditor.address)
        self.path(holder, "CdtrAcct/Id/IBAN", _compact(message.creditor.iban))
        self.agent(holder, "CdtrAgt", message.creditor.bic)
        self.el(holder, "ChrgBr", "SLEV")
        self.creditor_scheme(holder, at_02.compact(message.creditor_id))
        return list(holder)

    def transaction(self, debit):
        tx = self.root("DrctDbtTxInf")
        self.path(tx, "PmtId/EndToEndId", debit.end_to_end_id)
        self.el(tx, "InstdAmt", f"{Decimal(str(debit.amount)):.2f}", Ccy="EUR")
        mandate = self.el(self.el(tx, "DrctDbtTx"), "MndtRltdInf")
        self.el(mandate, "MndtId", debit.mandate_id)
        self.el(mandate, "DtOfSgntr", debit.mandate_date.isoformat())
        amendment = debit.amendment
        if amendment:
            self.el(mandate, "AmdmntInd", "true")
            details = self.el(mandate, "AmdmntInfDtls")
            if amendment.original_mandate_id:
                self.el(details, "OrgnlMndtId", amendment.original_mandate_id)
            if amendment.original_creditor_id or amendment.original_creditor_name:
                scheme = self.el(details, "OrgnlCdtrSchmeId")
                if amendment.original_creditor_name:
                    self.el(scheme, "Nm", sepa_text(amendment.original_creditor_name, 70, "Original creditor"))
                if amendment.original_creditor_id:
                    other = self.path(scheme, "Id/PrvtId/Othr/Id", at_02.compact(amendment.original_creditor_id))
                    self.path(other.getparent(), "SchmeNm/Prtry", "SEPA")
            if amendment.original_iban:
                self.path(details, "OrgnlDbtrAcct/Id/IBAN", _compact(amendment.original_iban))
            if amendment.new_debtor_bank:
                self.path(details, "OrgnlDbtrAgt/FinInstnId/Othr/Id", "SMNDA")
        self.agent(tx, "DbtrAgt", debit.debtor.bic)
        debtor = self.el(tx, "Dbtr")
        self.el(debtor, "Nm", sepa_text(debit.debtor.name, 70, f"Debit {debit.end_to_end_id}: debtor name"))
        self.address(debtor, debit.debtor.address)
        self.path(tx, "DbtrAcct/Id/IBAN", _compact(debit.debtor.iban))
        if debit.remittance:
            self.path(tx, "RmtInf/Ustrd", sepa_text(debit.remittance, 140, "Remittance"))
        return tx


def build(message, version=DEFAULT_VERSION, output=None):
    """Write the collection file of ``message``.

    :param output: a binary file object to stream to; by default the bytes
        are returned
    :raise SepaInputError: when a value cannot make a valid file (said why)
    """
    check_message(message, version)
    writer = _Writer(version)
    blocks = (
        (writer.payment_info_head(message, info), map(writer.transaction, info.debits))
        for info in message.payment_infos
    )
    return document.write(writer.ns, "CstmrDrctDbtInitn", writer.group_header(message), blocks, output)


# -----------------------------------------------------------------------------
# Validation
# -----------------------------------------------------------------------------


def schema(version):
    """The official XSD of ``version``, as shipped by ``sepaxml``."""
    if version not in VERSIONS:
        raise SepaInputError(f"Unsupported version {version!r}")
    return xsd.schema(version)


def validate(source, version=DEFAULT_VERSION):
    """Validate a file (bytes, path or file object) against the XSD of ``version``
    (:func:`.xsd.validate`, each debit dropped once read).

    :raise SepaSchemaError: with the schema's messages when the file is invalid
    """
    if version not in VERSIONS:
        raise SepaInputError(f"Unsupported version {version!r}")
    return xsd.validate(source, version, "DrctDbtTxInf")
