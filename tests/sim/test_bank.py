"""The simulated bank's files are read by the product's own parser as a bank's would be."""

import random
import sys
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bank import Bank, Debit
from debtors import draw_debtor
from sepa_dunning.iso20022 import returns

PAIN008 = b"""<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.008.001.08"><CstmrDrctDbtInitn>
<GrpHdr><MsgId>SDD202700001</MsgId></GrpHdr>
<PmtInf><PmtInfId>SDD202700001-RCUR</PmtInfId><ReqdColltnDt>2027-02-05</ReqdColltnDt>
<DrctDbtTxInf><PmtId><EndToEndId>E2E-1</EndToEndId></PmtId><InstdAmt Ccy="EUR">120.50</InstdAmt>
<DrctDbtTx><MndtRltdInf><MndtId>UMR-1</MndtId></MndtRltdInf></DrctDbtTx>
<DbtrAcct><Id><IBAN>FR7630004000031234567890143</IBAN></Id></DbtrAcct></DrctDbtTxInf>
<DrctDbtTxInf><PmtId><EndToEndId>E2E-2</EndToEndId></PmtId><InstdAmt Ccy="EUR">80.00</InstdAmt>
<DrctDbtTx><MndtRltdInf><MndtId>UMR-2</MndtId></MndtRltdInf></DrctDbtTx>
<DbtrAcct><Id><IBAN>FR1420041010050500013M02606</IBAN></Id></DbtrAcct></DrctDbtTxInf>
</PmtInf></CstmrDrctDbtInitn></Document>"""


def _debit(e2e="E2E-1", reason="AM04"):
    return Debit(e2e, Decimal("120.50"), "UMR-1", "FR76", "SDD-RCUR", "SDD202700001", date(2027, 2, 5), reason=reason)


def test_bank_reads_the_collection_file_and_rejects_what_the_debtor_lets_fail():
    bank = Bank(random.Random(1))
    read = bank.receive(PAIN008, date(2027, 2, 3), lambda d: ("AM04", None) if d.mandate_id == "UMR-1" else ("", None))
    assert [(d.end_to_end_id, d.amount, d.outcome) for d in read] == [
        ("E2E-1", Decimal("120.50"), "rejected"),
        ("E2E-2", Decimal("80.00"), "settled"),
    ]
    reject = next(f for f in bank.outbox if f.kind == "pain002_reject")
    (message,) = returns.parse(reject.content, reject.filename)
    assert [(line.end_to_end_id, line.reason_code, line.amount) for line in message.lines] == [
        ("E2E-1", "AM04", Decimal("120.50"))
    ]


def test_a_debit_sent_twice_is_paid_once():
    bank = Bank(random.Random(1))
    bank.receive(PAIN008, date(2027, 2, 3), lambda d: ("", None))
    assert bank.receive(PAIN008, date(2027, 2, 4), lambda d: ("", None)) == []
    assert bank.counts["duplicate_debit_refused"] == 2


def test_a_refund_claim_is_a_camt054_return_read_as_a_refund():
    bank = Bank(random.Random(1))
    content = bank.notification([_debit(reason="MD06")], date(2027, 3, 1), returned=True)
    (message,) = returns.parse(content, "camt054.xml")
    ((line),) = message.lines
    assert (line.end_to_end_id, line.reason_code, line.kind) == ("E2E-1", "MD06", "refund")


def test_a_file_cut_in_the_middle_is_refused_by_the_parser():
    content = Bank(random.Random(1)).status_report("SDD202700001", [_debit()], date(2027, 2, 6))
    with pytest.raises(returns.BankFileError):
        returns.parse(content[: len(content) // 2], "cut.xml")


def test_debtors_are_drawn_from_the_seed():
    first = [draw_debtor(random.Random(7), i, "sepa_dd").behaviour for i in range(20)]
    again = [draw_debtor(random.Random(7), i, "sepa_dd").behaviour for i in range(20)]
    assert first == again
