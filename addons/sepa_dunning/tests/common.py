from datetime import date

from freezegun import freeze_time

from odoo.addons.insurance_arrears.tests.common import InsuranceArrearsCommon

CREDITOR_ID = "FR72ZZZ123456"
CREDITOR_IBAN = "FR7630006000011234567890189"
DEBTOR_IBAN = "DE89370400440532013000"


def pain002(
    batch_name,
    rejections,
    version="pain.002.001.03",
    msg_id=None,
    created="2026-01-07T09:00:00",
    group_status="",
    block_status="",
    block_reason="",
):
    """A pain.002 status report on ``rejections``: [(end_to_end_id, amount, code)].

    A code gives the transaction its own RJCT status; an empty one, no status of its
    own (it takes its block's, else the group's). ``block_reason`` rejects the block.
    """

    def status(code):
        if not code:
            return ""
        return f"""<TxSts>RJCT</TxSts>
        <StsRsnInf><Rsn><Cd>{code}</Cd></Rsn><AddtlInf>bank says {code}</AddtlInf></StsRsnInf>"""

    transactions = "".join(
        f"""<TxInfAndSts><StsId>REJ-{e2e}</StsId><OrgnlEndToEndId>{e2e}</OrgnlEndToEndId>{status(code)}
        <OrgnlTxRef><Amt><InstdAmt Ccy="EUR">{amount:.2f}</InstdAmt></Amt></OrgnlTxRef></TxInfAndSts>"""
        for e2e, amount, code in rejections
    )
    group = f"<GrpSts>{group_status}</GrpSts>" if group_status else ""
    block = f"<PmtInfSts>{block_status}</PmtInfSts>" if block_status else ""
    if block_reason:
        block += f"<StsRsnInf><Rsn><Cd>{block_reason}</Cd></Rsn></StsRsnInf>"
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:{version}"><CstmrPmtStsRpt>
<GrpHdr><MsgId>{msg_id or f"STS-{batch_name}"}</MsgId><CreDtTm>{created}</CreDtTm></GrpHdr>
<OrgnlGrpInfAndSts><OrgnlMsgId>{batch_name}</OrgnlMsgId><OrgnlMsgNmId>pain.008.001.08</OrgnlMsgNmId>{group}</OrgnlGrpInfAndSts>
<OrgnlPmtInfAndSts><OrgnlPmtInfId>{batch_name}-RCUR</OrgnlPmtInfId>{block}{transactions}</OrgnlPmtInfAndSts>
</CstmrPmtStsRpt></Document>""".encode()


def camt054(rejections, msg_id="NTF-1"):
    entries = "".join(
        f"""<Ntry><Amt Ccy="EUR">{amount:.2f}</Amt><CdtDbtInd>DBIT</CdtDbtInd><Sts>BOOK</Sts>
        <BookgDt><Dt>2026-01-09</Dt></BookgDt><NtryDtls><TxDtls><Refs><EndToEndId>{e2e}</EndToEndId></Refs>
        <AmtDtls><InstdAmt><Amt Ccy="EUR">{amount:.2f}</Amt></InstdAmt></AmtDtls>
        <RtrInf><Rsn><Cd>{code}</Cd></Rsn></RtrInf></TxDtls></NtryDtls></Ntry>"""
        for e2e, amount, code in rejections
    )
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.054.001.02"><BkToCstmrDbtCdtNtfctn>
<GrpHdr><MsgId>{msg_id}</MsgId><CreDtTm>2026-01-09T08:00:00</CreDtTm></GrpHdr>
<Ntfctn><Id>N1</Id>{entries}</Ntfctn></BkToCstmrDbtCdtNtfctn></Document>""".encode()


def use_l113_3_policy(cls):
    """Make the shipped L113-3 policy the company's; the policyholder reads English and has a mobile."""
    cls.policy = cls.env.ref("sepa_dunning.dunning_policy_l113_3")
    cls.levels = cls.policy.level_ids.sorted("sequence")
    cls.company.dunning_policy_id = cls.policy
    cls.policyholder.phone = "+33612345678"
    cls.policyholder.lang = "en_US"


class SepaCommon(InsuranceArrearsCommon):
    """A company with a creditor identifier and a bank account, mandates on demand."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.sepa_creditor_identifier = CREDITOR_ID
        cls.company.partner_id.country_id = cls.env.ref("base.fr")
        cls.creditor_account = cls.env["res.partner.bank"].create(
            {
                "acc_number": CREDITOR_IBAN,
                "partner_id": cls.company.partner_id.id,
                "bank_id": cls.env["res.bank"].create({"name": "Crédit Test", "bic": "AGRIFRPP"}).id,
            }
        )
        cls.bank_journal.bank_account_id = cls.creditor_account
        cls.policyholder.country_id = cls.env.ref("base.fr")

    @classmethod
    def _create_mandate(cls, partner=None, **values):
        vals = {
            "name": f"UMR-{cls.env['sepa.mandate'].search_count([]) + 1:05d}",
            "partner_id": (partner or cls.policyholder).id,
            "debtor_iban": DEBTOR_IBAN,
            "debtor_bic": "DEUTDEFF",
            "signature_date": "2025-06-01",
            "creditor_identifier": CREDITOR_ID,
        }
        vals.update(values)
        mandate = cls.env["sepa.mandate"].create(vals)
        if mandate.signature_date:
            mandate.action_activate()
        return mandate

    @classmethod
    def _create_debit_contract(cls, mandate=None, partner=None, **values):
        partner = partner or cls.policyholder
        mandate = mandate if mandate is not None else cls._create_mandate(partner)
        return cls._create_contract(partner_id=partner.id, payment_method="sepa_dd", mandate_id=mandate.id, **values)

    @classmethod
    def _issue(cls, contract, until=date(2026, 1, 1), notice_date=date(2025, 12, 1)):
        """The contract's receipts due up to ``until``, issued, their notices sent on ``notice_date``."""
        receipts = contract._generate_receipts(until=until)
        receipts.notice_date = notice_date
        return receipts

    @classmethod
    def _batch(cls, collection_date=date(2026, 1, 5), **values):
        return cls.env["sepa.debit.batch"].create(
            {
                "journal_id": cls.bank_journal.id,
                "collection_date": collection_date,
                **values,
            }
        )

    @classmethod
    def _confirmed_batch(cls, collection_date=date(2026, 1, 5), **values):
        """A debit batch of every receipt due for ``collection_date``, its file generated and sent to the bank."""
        batch = cls._batch(collection_date=collection_date, **values)
        batch.action_prepare()
        batch.action_generate()
        batch.action_confirm()
        return batch


class DunningCommon(InsuranceArrearsCommon):
    """A quarterly contract whose January receipt is unpaid, under the shipped L113-3 policy."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        use_l113_3_policy(cls)
        cls.contract = cls._create_quarterly_contract()
        cls.receipts = cls.contract.receipt_ids.sorted("period_start")

    def _run(self, day):
        with freeze_time(day):
            return self.env["arrears.case"]._cron_dunning_run()

    @property
    def case(self):
        return self.contract.case_ids.filtered(lambda c: c.state == "open") or self.contract.case_ids[:1]

    def _notices(self, level=None):
        notices = self.case.notice_ids
        return notices.filtered(lambda n: n.level_id == level) if level else notices
