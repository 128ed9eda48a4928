"""A simulated creditor bank: it reads the product's own pain.008 files and answers as banks do.

Plain Python (lxml, no ``odoo`` import). The bank never sees the database: what it
knows of a debit is what the file said (end-to-end id, amount, mandate, IBAN,
collection date). Whether a debit goes through is the debtor's business, asked
through ``fate(debit)`` (see debtors.py). Its answers are bank files, bytes as a
bank sends them, queued for the day they arrive:

- ``pain.002`` status reports rejecting debits before settlement (``RJCT`` with an
  ISO reason), some reporting acceptance (``ACCP``) of a whole block;
- ``camt.054`` debit notifications repeating some of those rejections, and returns
  after settlement (``MD06`` refunds claimed by the debtor within 8 weeks);
- the same file sent twice (identical bytes), and a file cut in the middle
  followed the next day by the whole one;
- a ``camt.053`` statement each morning of what it booked on the broker's account
  the day before: per payment block, one credit of the debits it collected (a
  batch booking), its fee for each debit rejected before settlement, and each
  return after settlement debited with its fee; some statements sent twice, some
  entries repeated in a later statement of another id (the same bank reference).
"""

import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from lxml import etree

PAIN002 = "urn:iso:std:iso:20022:tech:xsd:pain.002.001.03"
CAMT054 = "urn:iso:std:iso:20022:tech:xsd:camt.054.001.02"
CAMT053 = "urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"
CREDITOR_IBAN = "FR7630006000011234567890189"

# Reasons a bank gives before settlement, and what the debtor did to get them.
REJECT_BEFORE_SETTLEMENT = ("AM04", "AC04", "MD01", "MS03", "AC06", "MS02")


@dataclass
class Debit:
    """One debit as the bank read it from a pain.008 file."""

    end_to_end_id: str
    amount: Decimal
    mandate_id: str
    iban: str
    payment_info_id: str
    message_id: str
    collection_date: date
    outcome: str = "pending"  # pending, settled, rejected, returned
    reason: str = ""


@dataclass
class BankFile:
    """A file the bank sends the broker on ``day``."""

    day: date
    filename: str
    content: bytes
    kind: str  # pain002_reject, pain002_accept, camt054_repeat, camt054_return, resent, truncated, whole
    end_to_end_ids: tuple = ()
    note: str = ""


@dataclass
class Booking:
    """A movement on the broker's account, listed in the statement of the day after ``day``."""

    day: date
    amount: Decimal  # signed: positive credits the broker
    reference: str
    payment_info_id: str = ""
    debits: tuple = ()  # (Debit, amount) listed in the entry's details
    reason: str = ""  # a return's reason


@dataclass
class Bank:
    rng: random.Random
    rejection_fee: Decimal = Decimal("0")
    debits: dict = field(default_factory=dict)
    outbox: list = field(default_factory=list)
    counts: dict = field(default_factory=dict)
    bookings: list = field(default_factory=list)  # not yet in a statement
    booked: list = field(default_factory=list)  # (day the statement arrives, amount): what the account saw
    _sequence: int = 0

    # ------------------------------------------------------------------
    # Reading the broker's collection files
    # ------------------------------------------------------------------

    def receive(self, content, today, fate):
        """Read a pain.008 collection file and plan the answers.

        :param fate: ``fate(debit) -> (reason or "", refund_after_days or None)``,
            the debtor's side: a reason to reject before settlement, else maybe a
            refund claim so many days after the collection date
        :return: the debits read
        """
        root = etree.fromstring(content, etree.XMLParser(resolve_entities=False, no_network=True))
        ns = {"p": etree.QName(root).namespace}
        message_id = root.findtext(".//p:GrpHdr/p:MsgId", namespaces=ns)
        read = []
        for info in root.iterfind(".//p:PmtInf", namespaces=ns):
            info_id = info.findtext("p:PmtInfId", namespaces=ns)
            collection = date.fromisoformat(info.findtext("p:ReqdColltnDt", namespaces=ns))
            for tx in info.iterfind("p:DrctDbtTxInf", namespaces=ns):
                debit = Debit(
                    end_to_end_id=tx.findtext("p:PmtId/p:EndToEndId", namespaces=ns),
                    amount=Decimal(tx.findtext("p:InstdAmt", namespaces=ns)),
                    mandate_id=tx.findtext("p:DrctDbtTx/p:MndtRltdInf/p:MndtId", namespaces=ns),
                    iban=tx.findtext("p:DbtrAcct/p:Id/p:IBAN", namespaces=ns),
                    payment_info_id=info_id,
                    message_id=message_id,
                    collection_date=collection,
                )
                if debit.end_to_end_id in self.debits:
                    # The same debit in a second file: a bank pays it once.
                    self._count("duplicate_debit_refused")
                    continue
                self.debits[debit.end_to_end_id] = debit
                read.append(debit)
        self._plan_answers(read, today, fate)
        return read

    def _plan_answers(self, debits, today, fate):
        rejected, accepted_blocks = [], {}
        for debit in debits:
            reason, refund_after = fate(debit)
            if reason:
                debit.outcome, debit.reason = "rejected", reason
                rejected.append(debit)
                self._count(f"reject_{reason}")
            else:
                debit.outcome = "settled"
                accepted_blocks.setdefault((debit.message_id, debit.payment_info_id), []).append(debit)
                if refund_after is not None:
                    self._plan_return(debit, debit.collection_date + timedelta(days=refund_after))
        report_day = max(today + timedelta(days=1), debits[0].collection_date if debits else today)
        if rejected:
            message_id = debits[0].message_id
            content = self.status_report(message_id, rejected, report_day)
            self._send(report_day, "pain002_reject", content, rejected)
            # Some banks report a rejection again in the day's debit notification.
            again = [d for d in rejected if self.rng.random() < 0.3]
            if again:
                later = report_day + timedelta(days=self.rng.choice([0, 1]))
                self._send(later, "camt054_repeat", self.notification(again, report_day), again)
            # Files the bank sends again, byte for byte, or cut by a transfer.
            roll = self.rng.random()
            if roll < 0.25:
                self._send(report_day + timedelta(days=2), "resent", content, rejected, note="the same file again")
            elif roll < 0.45:
                cut = content[: len(content) // 2]
                self._send(report_day, "truncated", cut, rejected, note="cut in the middle")
        for debit in rejected:
            if self.rejection_fee:
                self._book(debit.collection_date, -self.rejection_fee, debits=((debit, self.rejection_fee),))
        for (message_id, info_id), block in accepted_blocks.items():
            # The bank credits the block's collected debits as one amount on the collection date.
            self._book(
                block[0].collection_date,
                sum(d.amount for d in block),
                payment_info_id=info_id,
                debits=tuple((d, d.amount) for d in block) if self.rng.random() < 0.5 else (),
            )
            if self.rng.random() < 0.3:
                content = self.acceptance_report(message_id, info_id, block, report_day)
                self._send(report_day, "pain002_accept", content, block)

    def _plan_return(self, debit, day):
        debit.outcome, debit.reason = "returned", "MD06"
        self._count("return_MD06")
        self._send(day, "camt054_return", self.notification([debit], day, returned=True), [debit])
        self._book(day, -(debit.amount + self.rejection_fee), debits=((debit, debit.amount),), reason=debit.reason)

    def _book(self, day, amount, payment_info_id="", debits=(), reason=""):
        self.bookings.append(
            Booking(day, Decimal(amount), self._message_id("BK"), payment_info_id, tuple(debits), reason)
        )

    def _send(self, day, kind, content, debits, note=""):
        self._sequence += 1
        suffix = "xml"
        self.outbox.append(
            BankFile(
                day=day,
                filename=f"bank-{self._sequence:05d}-{kind}.{suffix}",
                content=content,
                kind=kind,
                end_to_end_ids=tuple(d.end_to_end_id for d in debits),
                note=note,
            )
        )
        self._count(f"file_{kind}")

    def files_for(self, day):
        """The files arriving on ``day`` (removed from the outbox), the statement of what was booked before it first."""
        self._send_statement(day)
        today = [f for f in self.outbox if f.day <= day]
        self.outbox = [f for f in self.outbox if f.day > day]
        return today

    def pending_batches(self):
        """Message ids (batch names) of the collections the bank has yet to report or book something on."""
        e2e_ids = {e2e for f in self.outbox for e2e in f.end_to_end_ids}
        pending = {self.debits[e2e].message_id for e2e in e2e_ids if e2e in self.debits}
        for booking in self.bookings:
            pending.update(debit.message_id for debit, _amount in booking.debits)
            if booking.payment_info_id:
                pending.add(booking.payment_info_id.rsplit("-", 1)[0])
        return pending

    def _send_statement(self, day):
        """The morning's camt.053: every movement booked before ``day`` and not yet listed."""
        due = [b for b in self.bookings if b.day < day]
        if not due:
            return
        self.bookings = [b for b in self.bookings if b.day >= day]
        content = self.statement(due, day)
        self._send(day, "camt053", content, [d for b in due for d, _amount in b.debits])
        self.booked.append((day, sum(b.amount for b in due)))
        roll = self.rng.random()
        if roll < 0.1:
            self._send(day + timedelta(days=1), "resent", content, [], note="the same statement again")
        elif roll < 0.2:
            # A later statement (another id) listing some of the same entries again.
            self._send(day + timedelta(days=3), "camt053_repeat", self.statement(due[:1], day, again=True), [])

    def _count(self, key):
        self.counts[key] = self.counts.get(key, 0) + 1

    def _message_id(self, prefix):
        self._sequence += 1
        return f"{prefix}{self._sequence:08d}"

    # ------------------------------------------------------------------
    # Writing bank files
    # ------------------------------------------------------------------

    @staticmethod
    def _add(parent, ns, tag, text=None, **attrib):
        node = etree.SubElement(parent, f"{{{ns}}}{tag}", attrib)
        if text is not None:
            node.text = text
        return node

    def status_report(self, original_message_id, rejected, day):
        """A pain.002 rejecting ``rejected`` (TxSts RJCT with its reason), the group partly accepted."""
        ns, add = PAIN002, self._add
        root = etree.Element(f"{{{ns}}}Document", nsmap={None: ns})
        report = add(root, ns, "CstmrPmtStsRpt")
        header = add(report, ns, "GrpHdr")
        add(header, ns, "MsgId", self._message_id("STS"))
        add(header, ns, "CreDtTm", f"{day.isoformat()}T07:00:00")
        group = add(report, ns, "OrgnlGrpInfAndSts")
        add(group, ns, "OrgnlMsgId", original_message_id)
        add(group, ns, "OrgnlMsgNmId", "pain.008.001.08")
        add(group, ns, "GrpSts", "PART")
        blocks = {}
        for debit in rejected:
            if debit.payment_info_id not in blocks:
                blocks[debit.payment_info_id] = block = add(report, ns, "OrgnlPmtInfAndSts")
                add(block, ns, "OrgnlPmtInfId", debit.payment_info_id)
                add(block, ns, "PmtInfSts", "PART")
            tx = add(blocks[debit.payment_info_id], ns, "TxInfAndSts")
            add(tx, ns, "StsId", self._message_id("RJ"))
            add(tx, ns, "OrgnlEndToEndId", debit.end_to_end_id)
            add(tx, ns, "TxSts", "RJCT")
            add(add(add(tx, ns, "StsRsnInf"), ns, "Rsn"), ns, "Cd", debit.reason)
            ref = add(tx, ns, "OrgnlTxRef")
            add(add(ref, ns, "Amt"), ns, "InstdAmt", f"{debit.amount:.2f}", Ccy="EUR")
            add(add(ref, ns, "MndtRltdInf"), ns, "MndtId", debit.mandate_id)
        return etree.tostring(root, xml_declaration=True, encoding="UTF-8")

    def acceptance_report(self, original_message_id, info_id, accepted, day):
        """A positive pain.002: the block accepted (PmtInfSts ACCP), its transactions listed without a TxSts."""
        ns, add = PAIN002, self._add
        root = etree.Element(f"{{{ns}}}Document", nsmap={None: ns})
        report = add(root, ns, "CstmrPmtStsRpt")
        header = add(report, ns, "GrpHdr")
        add(header, ns, "MsgId", self._message_id("ACC"))
        add(header, ns, "CreDtTm", f"{day.isoformat()}T07:30:00")
        group = add(report, ns, "OrgnlGrpInfAndSts")
        add(group, ns, "OrgnlMsgId", original_message_id)
        add(group, ns, "OrgnlMsgNmId", "pain.008.001.08")
        block = add(report, ns, "OrgnlPmtInfAndSts")
        add(block, ns, "OrgnlPmtInfId", info_id)
        add(block, ns, "PmtInfSts", "ACCP")
        for debit in accepted:
            tx = add(block, ns, "TxInfAndSts")
            add(tx, ns, "OrgnlEndToEndId", debit.end_to_end_id)
            add(add(add(tx, ns, "OrgnlTxRef"), ns, "Amt"), ns, "InstdAmt", f"{debit.amount:.2f}", Ccy="EUR")
        return etree.tostring(root, xml_declaration=True, encoding="UTF-8")

    def _camt(self, ns, body_tag, report_tag, prefix, day, hour):
        """A camt document of the broker's account: ``(root, report)``, the report ready for its entries."""
        add = self._add
        root = etree.Element(f"{{{ns}}}Document", nsmap={None: ns})
        body = add(root, ns, body_tag)
        header = add(body, ns, "GrpHdr")
        add(header, ns, "MsgId", self._message_id(f"{prefix}M"))
        add(header, ns, "CreDtTm", f"{day.isoformat()}T{hour}")
        report = add(body, ns, report_tag)
        add(report, ns, "Id", self._message_id(prefix))
        add(report, ns, "CreDtTm", f"{day.isoformat()}T{hour}")
        add(add(add(report, ns, "Acct"), ns, "Id"), ns, "IBAN", CREDITOR_IBAN)
        return root, report

    def _entry(self, report, ns, amount, day, reference, reversal=False):
        """A booked entry of ``amount`` (signed: positive credits the broker) and its details element."""
        add = self._add
        entry = add(report, ns, "Ntry")
        add(entry, ns, "Amt", f"{abs(amount):.2f}", Ccy="EUR")
        add(entry, ns, "CdtDbtInd", "CRDT" if amount > 0 else "DBIT")
        if reversal:
            add(entry, ns, "RvslInd", "true")
        add(entry, ns, "Sts", "BOOK")
        add(add(entry, ns, "BookgDt"), ns, "Dt", day.isoformat())
        add(add(entry, ns, "ValDt"), ns, "Dt", day.isoformat())
        add(entry, ns, "AcctSvcrRef", reference)
        return entry

    def _tx(self, details, ns, debit, amount_path, amount, reason="", info=""):
        """A transaction of an entry: the creditor's references of ``debit``, its amount, its return."""
        add = self._add
        tx = add(details, ns, "TxDtls")
        refs = add(tx, ns, "Refs")
        add(refs, ns, "MsgId", debit.message_id)
        add(refs, ns, "PmtInfId", debit.payment_info_id)
        add(refs, ns, "EndToEndId", debit.end_to_end_id)
        add(refs, ns, "MndtId", debit.mandate_id)
        add(add(add(tx, ns, "AmtDtls"), ns, amount_path), ns, "Amt", f"{amount:.2f}", Ccy="EUR")
        if reason:
            returned = add(tx, ns, "RtrInf")
            add(add(returned, ns, "Rsn"), ns, "Cd", reason)
            if info:
                add(returned, ns, "AddtlInf", info)

    def statement(self, bookings, day, again=False):
        """A camt.053 of the broker's account listing ``bookings`` (a batch booking per block, returns, fees)."""
        ns, add = CAMT053, self._add
        root, statement = self._camt(ns, "BkToCstmrStmt", "Stmt", "SR" if again else "S", day, "05:00:00")
        for booking in bookings:
            entry = self._entry(statement, ns, booking.amount, booking.day, booking.reference)
            domain = add(add(entry, ns, "BkTxCd"), ns, "Domn")
            add(domain, ns, "Cd", "PMNT")
            family = add(domain, ns, "Fmly")
            add(family, ns, "Cd", "RDDT")
            add(family, ns, "SubFmlyCd", "ESDD" if booking.amount > 0 else "UPDD")
            details = add(entry, ns, "NtryDtls")
            if booking.payment_info_id:
                add(add(details, ns, "Btch"), ns, "PmtInfId", booking.payment_info_id)
            for debit, amount in booking.debits:
                self._tx(details, ns, debit, "TxAmt", amount, booking.reason)
        return etree.tostring(root, xml_declaration=True, encoding="UTF-8")

    def notification(self, debits, day, returned=False):
        """A camt.054 debiting the creditor with each debit sent back (RtrInf with its reason)."""
        ns, add = CAMT054, self._add
        root, notification = self._camt(ns, "BkToCstmrDbtCdtNtfctn", "Ntfctn", "N", day, "08:00:00")
        for debit in debits:
            entry = self._entry(notification, ns, -debit.amount, day, self._message_id("REF"), reversal=True)
            details = add(entry, ns, "NtryDtls")
            self._tx(details, ns, debit, "InstdAmt", debit.amount, debit.reason, "/RTYP/RFND" if returned else "")
        return etree.tostring(root, xml_declaration=True, encoding="UTF-8")
