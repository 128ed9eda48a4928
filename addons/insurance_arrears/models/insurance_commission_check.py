import base64

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError

from .. import receipt_files


class InsuranceCommissionCheck(models.Model):
    """An insurer's commission statement held against the commission our receipts computed.

    A report for an accountant: each receipt the statement names, with what the
    insurer says and what we computed, and the receipts of the period it leaves
    out. Nothing is posted: a difference is for the accountant to take up.
    """

    _name = "insurance.commission.check"
    _description = "Commission Statement Check"
    _inherit = ["mail.thread"]
    _order = "id desc"
    _check_company_auto = True

    name = fields.Char(string="File Name", required=True, default="/")
    profile_id = fields.Many2one(
        "insurance.receipt.import.profile",
        required=True,
        check_company=True,
        domain=[("kind", "=", "commissions")],
    )
    insurer_id = fields.Many2one(related="profile_id.insurer_id", store=True)
    company_id = fields.Many2one(related="profile_id.company_id", store=True, index=True)
    currency_id = fields.Many2one(related="company_id.currency_id")
    data = fields.Binary(string="File", required=True, attachment=True)
    date_from = fields.Date(
        string="Periods From",
        help="With the end date: our receipts of these periods the statement leaves out are listed.",
    )
    date_to = fields.Date(string="Periods To")
    state = fields.Selection([("draft", "To Compare"), ("done", "Compared")], default="draft", required=True)
    line_ids = fields.One2many("insurance.commission.check.line", "check_id", string="Lines", readonly=True)
    amount_stated = fields.Monetary(string="Stated by the Insurer", compute="_compute_totals")
    amount_computed = fields.Monetary(string="Computed by Us", compute="_compute_totals")
    amount_difference = fields.Monetary(string="Difference", compute="_compute_totals")
    difference_count = fields.Integer(string="Lines to Review", compute="_compute_totals")

    @api.depends("line_ids.commission_stated", "line_ids.commission_computed", "line_ids.status")
    def _compute_totals(self):
        for record in self:
            lines = record.line_ids
            record.amount_stated = sum(lines.mapped("commission_stated"))
            record.amount_computed = sum(lines.mapped("commission_computed"))
            record.amount_difference = record.amount_stated - record.amount_computed
            record.difference_count = len(lines.filtered(lambda line: line.status != "match"))

    @api.constrains("date_from", "date_to")
    def _check_dates(self):
        for record in self:
            start, end = record.date_from, record.date_to
            if bool(start) != bool(end) or (start and start > end):
                raise ValidationError(self.env._("Give both dates of the periods, the first not after the last."))

    def action_compare(self):
        """Read the statement and compare it, receipt by receipt, with ours (again if it was already)."""
        for record in self:
            data = base64.b64decode(record.data or b"")
            try:
                lines = receipt_files.read(data, record.profile_id._profile(), kind="commissions")
            except receipt_files.ReceiptFileError as error:
                raise UserError(
                    self.env._("File %(name)s cannot be read: %(why)s", name=record.name, why=str(error))
                ) from error
            record.line_ids.unlink()
            record.write(
                {"state": "done", "line_ids": [fields.Command.create(vals) for vals in record._compare(lines)]}
            )
            record.message_post(
                body=self.env._(
                    "Compared: %(count)s lines, %(review)s to review; difference %(difference)s.",
                    count=len(record.line_ids),
                    review=record.difference_count,
                    difference=record.currency_id.format(record.amount_difference),
                )
            )
        return True

    def _compare(self, lines):
        """Line values: each statement line with its receipt and both commissions, then our receipts it omits."""
        self.ensure_one()
        profile = self.profile_id
        by_key, by_reference, by_period = profile._lookup(
            self.company_id,
            [line.policy for line in lines if isinstance(line, receipt_files.CommissionLine)],
            our_numbers=True,
        )
        insurer = self.insurer_id.commercial_partner_id
        receipt_domain = [("cancelled", "=", False), ("company_id", "=", self.company_id.id)]
        values = []
        named = self.env["insurance.premium.receipt"]
        for line in lines:
            vals = {"row": line.row, "policy": line.policy, "reference": line.reference}
            if isinstance(line, receipt_files.LineProblem):
                values.append({**vals, "status": "unreadable", "detail": line.detail})
                continue
            vals.update(period_start=line.period_start, commission_stated=float(line.commission))
            contract = by_key.get(line.policy)
            if not contract or contract.insurer_id.commercial_partner_id != insurer:
                values.append({**vals, "status": "unknown"})
                continue
            receipt = by_reference.get((contract.id, line.reference)) or by_period.get((contract.id, line.period_start))
            if not receipt:
                values.append({**vals, "contract_id": contract.id, "status": "unknown"})
                continue
            if receipt in named:
                values.append({**vals, "contract_id": contract.id, "receipt_id": receipt.id, "status": "repeated"})
                continue
            named |= receipt
            currency = receipt.currency_id
            same = not currency.compare_amounts(float(line.commission), receipt.commission_amount)
            values.append(
                {
                    **vals,
                    "contract_id": contract.id,
                    "receipt_id": receipt.id,
                    "commission_computed": receipt.commission_amount,
                    "status": "match" if same else "different",
                }
            )
        if self.date_from:
            # Our receipts of the statement's periods that it does not name: commission the insurer forgot.
            omitted = self.env["insurance.premium.receipt"].search(
                [
                    *receipt_domain,
                    ("insurer_id", "child_of", insurer.id),
                    ("period_start", ">=", self.date_from),
                    ("period_start", "<=", self.date_to),
                    ("id", "not in", named.ids),
                ],
                order="period_start, id",
            )
            values.extend(
                {
                    "policy": receipt.contract_id[profile.contract_key] or receipt.contract_id.name,
                    "reference": receipt.insurer_reference or receipt.name,
                    "period_start": receipt.period_start,
                    "contract_id": receipt.contract_id.id,
                    "receipt_id": receipt.id,
                    "commission_computed": receipt.commission_amount,
                    "status": "missing",
                }
                for receipt in omitted
            )
        return values


class InsuranceCommissionCheckLine(models.Model):
    _name = "insurance.commission.check.line"
    _description = "Commission Statement Check Line"
    _order = "check_id, status, row"

    check_id = fields.Many2one("insurance.commission.check", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="check_id.company_id", store=True)
    currency_id = fields.Many2one(related="check_id.currency_id")
    row = fields.Integer(readonly=True, help="The line of the statement; empty for a receipt the statement omits.")
    policy = fields.Char(readonly=True)
    reference = fields.Char(string="Receipt Number", readonly=True)
    period_start = fields.Date(readonly=True)
    contract_id = fields.Many2one("insurance.contract", readonly=True)
    receipt_id = fields.Many2one("insurance.premium.receipt", readonly=True)
    commission_stated = fields.Monetary(string="Stated", readonly=True)
    commission_computed = fields.Monetary(string="Computed", readonly=True)
    difference = fields.Monetary(compute="_compute_difference", store=True)
    status = fields.Selection(
        [
            ("different", "Different"),
            ("missing", "Not on the statement"),
            ("unknown", "Unknown receipt"),
            ("repeated", "Receipt repeated"),
            ("unreadable", "Unreadable line"),
            ("match", "Agrees"),
        ],
        readonly=True,
    )
    detail = fields.Char(readonly=True)

    @api.depends("commission_stated", "commission_computed")
    def _compute_difference(self):
        for line in self:
            line.difference = line.commission_stated - line.commission_computed
