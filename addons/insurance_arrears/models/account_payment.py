from odoo import Command, api, fields, models
from odoo.exceptions import UserError


class AccountPayment(models.Model):
    """Money in and money given back, the same way for every route.

    A payment link, a batch of receipts, an insurer's statement: each says
    what was paid and which items it settles; posting, choosing the
    counterpart and reconciling are written here once.
    """

    _inherit = "account.payment"

    arrears_link_id = fields.Many2one(
        "arrears.payment.link",
        string="Arrears Payment Link",
        index="btree_not_null",
        readonly=True,
        copy=False,
        help="The payment link through which the client paid.",
    )
    arrears_reinstated = fields.Boolean(
        string="Cover Reinstated",
        readonly=True,
        copy=False,
        help="The cover of the contract, suspended for non-payment, was back in force with this payment.",
    )

    @api.model
    def _arrears_post(self, vals_list, settles):
        """Post one payment per ``vals_list`` item, each reconciled with what it settles.

        :param vals_list: ``account.payment`` values, one per payment
        :param settles: for each payment, the open items it settles (receivables
            of a client, payables of an insurer), oldest first: the reconciliation
            plan applies the payment to them by maturity date. An item the
            payment's counterpart account does not carry is left alone.
        :return: the posted payments, in the order of ``vals_list``
        """
        # Generate the journal entries now: the items are reconciled with them.
        payments = self.with_context(force_payment_move=True).create(vals_list)
        payments.action_post()
        plan = []
        for payment, items in zip(payments, settles, strict=True):
            counterpart = payment._arrears_counterpart(items.account_id)
            if items and counterpart:
                plan.append(items + counterpart)
        if plan:
            self.env["account.move.line"]._arrears_reconcile(plan)
        return payments

    def _arrears_counterpart(self, accounts):
        """The payment's items on ``accounts``: the side reconciled with what it settles."""
        self.ensure_one()
        return self.move_id.line_ids.filtered(lambda line: line.account_id in accounts)

    def _arrears_give_back(self, amount, reason, date=None):
        """Give back ``amount`` of this payment in the accounts, and settle again what it still covers.

        Money returned to the payer (a refund, a lost dispute) is a dated entry
        on the payment's journal mirroring the payment's lines for ``amount``;
        nothing is deleted or unposted. The payment then settles again, oldest
        first, only what its remaining amount covers: the newest debts it had
        paid are due again.

        :return: ``(reversal, owed)``: the posted reversal ``account.move`` and
            the debtor's items (invoices' receivables, fees) the payment had settled
        """
        self.ensure_one()
        if self.currency_id.compare_amounts(amount, 0) <= 0:
            raise UserError(self.env._("A refund amount must be positive."))
        liquidity, counterpart, _writeoff = self._seek_for_lines()
        if not liquidity or not counterpart or self.move_id.state != "posted":
            raise UserError(self.env._("Payment %(payment)s has no posted entry to reverse.", payment=self.name))
        account = counterpart[:1].account_id
        # Money that came in left the bank again (the other way round for money paid out).
        given_back = amount if self.payment_type == "inbound" else -amount
        items = [(liquidity[:1].account_id, -given_back), (account, given_back)]
        reversal = (
            self.env["account.move"]
            .with_company(self.company_id)
            ._arrears_create_entries(
                [
                    {
                        "journal_id": self.journal_id.id,
                        "date": date or fields.Date.context_today(self),
                        "ref": reason,
                        "line_ids": [
                            Command.create(
                                {
                                    "name": reason,
                                    "account_id": item_account.id,
                                    "partner_id": self.partner_id.id,
                                    "debit": max(balance, 0),
                                    "credit": max(-balance, 0),
                                }
                            )
                            for item_account, balance in items
                        ],
                    }
                ]
            )
        )
        reversal.action_post()
        returned = reversal.line_ids.filtered(lambda line: line.account_id == account)
        # What the payment had settled: what the debtor owed (invoices, fees) and earlier reversals.
        settled = counterpart.matched_debit_ids.debit_move_id | counterpart.matched_credit_ids.credit_move_id
        owed = settled.filtered(lambda line: line.move_id.is_invoice(include_receipts=True) or line.arrears_fee_case_id)
        counterpart.remove_move_reconcile()
        Line = self.env["account.move.line"]
        # Money given back comes off the payment first; what is left settles the oldest debts.
        Line._arrears_reconcile([counterpart + returned + (settled - owed)])
        if owed and not all(counterpart.mapped("reconciled")):
            Line._arrears_reconcile([owed + counterpart])
        return reversal, owed

    def _arrears_settled(self):
        """What this payment settled, receipt by receipt: ``[(receipt, amount)]``, by due date."""
        self.ensure_one()
        return self.move_id.line_ids._arrears_settled_receipts()

    def _arrears_settled_contracts(self, settled):
        """The contracts of the receipts in ``settled`` (as ``_arrears_settled`` gives them)."""
        return self.env["insurance.contract"].union(*(receipt.contract_id for receipt, _amount in settled))

    def _arrears_send_payment_receipt(self):
        """E-mail each payer its payment receipt ("reçu de paiement"), the PDF attached, in its language."""
        template = self.env.ref("insurance_arrears.mail_template_payment_receipt")
        # Posted on each payment (the accountant sees what was sent), as a composer with the template would.
        for payment in self.filtered(lambda p: p.partner_id.email and p.state != "draft"):
            payment.message_post_with_source(template, message_type="comment", subtype_xmlid="mail.mt_comment")
