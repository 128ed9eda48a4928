"""SEPA credit transfer initiation: ``pain.001.001.09`` and ``pain.001.001.03``.

What the broker pays its insurers: one transfer per insurer statement, the
statement's reference as remittance information. Built from plain values
(:class:`Message`) and streamed with ``lxml.etree.xmlfile``, so that a file of
100,000 transfers never sits in memory as a tree; validated against the official
XSD (:mod:`.xsd`). Amounts and the control sums are exact decimals.
"""

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from . import document, xsd
from .pain008 import Party, SepaInputError, Writer, check_amount, check_bic, check_iban
from .text import check_identifier, sepa_text

DEFAULT_VERSION = "pain.001.001.09"
VERSIONS = ("pain.001.001.09", "pain.001.001.03")


@dataclass(frozen=True)
class Transfer:
    end_to_end_id: str
    amount: Decimal
    creditor: Party  # the insurer: name, IBAN, BIC where known
    remittance: str = ""


@dataclass(frozen=True)
class Message:
    """One file: the transfers from the broker's account (``debtor``) on ``execution_date``."""

    message_id: str
    created_at: datetime
    initiating_party: str
    debtor: Party
    payment_info_id: str
    execution_date: date
    transfers: list = field(default_factory=list)
    batch_booking: bool = True

    @property
    def transaction_count(self):
        return len(self.transfers)

    @property
    def control_sum(self):
        return sum((Decimal(str(t.amount)) for t in self.transfers), Decimal(0))


def check_message(message, version=DEFAULT_VERSION):
    """Refuse what the schema or the EPC rules would refuse, with a clear reason, before any byte is written."""
    if version not in VERSIONS:
        raise SepaInputError(f"Unsupported version {version!r}; use one of {', '.join(VERSIONS)}")
    check_identifier(message.message_id, "Message id")
    check_identifier(message.payment_info_id, "Payment information id")
    sepa_text(message.initiating_party, 70, "Initiating party")
    sepa_text(message.debtor.name, 70, "Debtor name")
    check_iban(message.debtor.iban, "Debtor account")
    check_bic(message.debtor.bic, "Debtor agent")
    if not message.transfers:
        raise SepaInputError("The file has no transfer")
    seen = set()
    for transfer in message.transfers:
        what = f"Transfer {transfer.end_to_end_id}"
        check_identifier(transfer.end_to_end_id, "End-to-end id")
        if transfer.end_to_end_id in seen:
            raise SepaInputError(f"{what}: end-to-end id used twice in the file")
        seen.add(transfer.end_to_end_id)
        check_amount(transfer.amount, what)
        check_iban(transfer.creditor.iban, f"{what}: creditor account")
        check_bic(transfer.creditor.bic, f"{what}: creditor agent")
        sepa_text(transfer.creditor.name, 70, f"{what}: creditor name")
        if transfer.remittance:
            sepa_text(transfer.remittance, 140, f"{what}: remittance")


class _Writer(Writer):
    def __init__(self, version):
        super().__init__(version, "BICFI" if version >= "pain.001.001.09" else "BIC")
        self.modern = self.bic_tag == "BICFI"

    def payment_info_head(self, message):
        holder = self.root("PmtInf")
        self.el(holder, "PmtInfId", message.payment_info_id)
        self.el(holder, "PmtMtd", "TRF")
        self.el(holder, "BtchBookg", "true" if message.batch_booking else "false")
        self.el(holder, "NbOfTxs", str(message.transaction_count))
        self.el(holder, "CtrlSum", f"{message.control_sum:.2f}")
        self.path(holder, "PmtTpInf/SvcLvl/Cd", "SEPA")
        day = message.execution_date.isoformat()
        if self.modern:
            self.path(holder, "ReqdExctnDt/Dt", day)
        else:
            self.el(holder, "ReqdExctnDt", day)
        self.el(self.el(holder, "Dbtr"), "Nm", sepa_text(message.debtor.name, 70, "Debtor name"))
        self.path(holder, "DbtrAcct/Id/IBAN", check_iban(message.debtor.iban))
        self.agent(holder, "DbtrAgt", message.debtor.bic)
        self.el(holder, "ChrgBr", "SLEV")
        return list(holder)

    def transaction(self, transfer):
        tx = self.root("CdtTrfTxInf")
        self.path(tx, "PmtId/EndToEndId", transfer.end_to_end_id)
        self.el(self.el(tx, "Amt"), "InstdAmt", f"{Decimal(str(transfer.amount)):.2f}", Ccy="EUR")
        if transfer.creditor.bic:  # IBAN only: no creditor agent
            self.agent(tx, "CdtrAgt", transfer.creditor.bic)
        what = f"Transfer {transfer.end_to_end_id}"
        self.el(self.el(tx, "Cdtr"), "Nm", sepa_text(transfer.creditor.name, 70, f"{what}: creditor name"))
        self.path(tx, "CdtrAcct/Id/IBAN", check_iban(transfer.creditor.iban))
        if transfer.remittance:
            self.path(tx, "RmtInf/Ustrd", sepa_text(transfer.remittance, 140, f"{what}: remittance"))
        return tx


def build(message, version=DEFAULT_VERSION, output=None):
    """Write the credit transfer file of ``message``.

    :param output: a binary file object to stream to; by default the bytes are returned
    :raise SepaInputError: when a value cannot make a valid file (said why)
    """
    check_message(message, version)
    writer = _Writer(version)
    blocks = [(writer.payment_info_head(message), map(writer.transaction, message.transfers))]
    return document.write(writer.ns, "CstmrCdtTrfInitn", writer.group_header(message), blocks, output)


def validate(source, version=DEFAULT_VERSION):
    """Validate a file against the XSD of ``version`` (:func:`.xsd.validate`).

    :raise SepaSchemaError: with the schema's messages when the file is invalid
    """
    if version not in VERSIONS:
        raise SepaInputError(f"Unsupported version {version!r}")
    return xsd.validate(source, version, "CdtTrfTxInf")
