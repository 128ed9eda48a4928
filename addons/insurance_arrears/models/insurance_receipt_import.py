import base64
import hashlib
from decimal import Decimal

from odoo import api, fields, models
from odoo.exceptions import UserError

from .. import receipt_files

SEPARATORS = {"semicolon": ";", "comma": ",", "tab": "\t", "point": ".", "space": " ", "none": ""}
DATE_FORMATS = {"dmy_slash": "%d/%m/%Y", "iso": "%Y-%m-%d", "dmy_dot": "%d.%m.%Y", "dmy": "%d%m%Y"}
PROBLEMS = [
    ("incomplete", "Incomplete line"),
    ("unreadable", "Unreadable value"),
    ("period", "Wrong period"),
    ("amounts", "Amounts that do not add up"),
    ("unknown_policy", "Unknown policy"),
    ("not_insurer", "Contract of another insurer"),
    ("broker_issued", "Receipts issued by the broker"),
    ("terminated", "Contract terminated"),
    ("period_taken", "Period already received"),
    ("repeated", "Receipt repeated in the file"),
    ("commission", "Commission different from the contract's"),
    ("paid", "Receipt already paid"),
    ("unknown_receipt", "Unknown receipt"),
]


class InsuranceReceiptImportProfile(models.Model):
    """How one insurer's receipt files are laid out: saved once, used for each of its files."""

    _name = "insurance.receipt.import.profile"
    _description = "Insurer Receipt File Profile"
    _check_company_auto = True

    name = fields.Char(required=True)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one("res.company", required=True, default=lambda self: self.env.company)
    insurer_id = fields.Many2one("res.partner", required=True, domain=[("is_insurer", "=", True)], index=True)
    kind = fields.Selection(
        [("receipts", "Receipts"), ("commissions", "Commission statements")],
        string="Files Of",
        required=True,
        default="receipts",
    )
    file_format = fields.Selection(
        [("csv", "CSV"), ("xlsx", "Excel (XLSX)"), ("json", "JSON (our format)")], required=True, default="csv"
    )
    encoding = fields.Selection(
        [("utf-8", "UTF-8"), ("latin-1", "Latin-1 (ISO 8859-1)"), ("cp1252", "Windows-1252")],
        required=True,
        default="utf-8",
    )
    delimiter = fields.Selection(
        [("semicolon", "Semicolon"), ("comma", "Comma"), ("tab", "Tab")], required=True, default="semicolon"
    )
    date_format = fields.Selection(
        [("dmy_slash", "31/12/2026"), ("iso", "2026-12-31"), ("dmy_dot", "31.12.2026"), ("dmy", "31122026")],
        required=True,
        default="dmy_slash",
    )
    decimal_separator = fields.Selection([("comma", "Comma"), ("point", "Point")], required=True, default="comma")
    thousands_separator = fields.Selection(
        [("none", "None"), ("space", "Space"), ("point", "Point"), ("comma", "Comma")], required=True, default="none"
    )
    header_row = fields.Integer(default=1, help="The row of the column headers; rows above it are skipped.")
    contract_key = fields.Selection(
        [("name", "Our contract number"), ("insurer_reference", "The insurer's policy number")],
        required=True,
        default="insurer_reference",
        help="What the file's policy column holds.",
    )
    column_policy = fields.Char(string="Policy Column", default="policy")
    column_reference = fields.Char(string="Receipt Number Column", default="reference")
    column_period_start = fields.Char(string="Period Start Column", default="period_start")
    column_period_end = fields.Char(string="Period End Column", default="period_end")
    column_date_due = fields.Char(string="Due Date Column", default="date_due")
    column_amount_total = fields.Char(string="Total Premium Column", default="amount_total")
    column_amount_tax = fields.Char(string="Taxes Column", default="amount_tax")
    column_amount_fee = fields.Char(string="Fees Column", default="amount_fee")
    column_commission = fields.Char(string="Commission Column", default="commission")
    column_kind = fields.Char(string="Line Kind Column", default="kind", help="Receipt, or cancellation.")

    def _lookup(self, company, policies, our_numbers=False):
        """The contracts a file's policy numbers name, and their live receipts, as every file of the insurer is read.

        :param policies: the policy numbers of the file, as this profile's ``contract_key`` reads them
        :param our_numbers: a receipt is also found by our own number (a commission statement may quote it)
        :return: ``(by_policy, by_reference, by_period)``: the company's contracts by policy number; their
            receipts not cancelled by ``(contract id, receipt number)`` and by ``(contract id, period start)``
        """
        self.ensure_one()
        contracts = self.env["insurance.contract"].search(
            [("company_id", "=", company.id), (self.contract_key, "in", list(set(policies)))]
        )
        receipts = self.env["insurance.premium.receipt"].search(
            [("contract_id", "in", contracts.ids), ("cancelled", "=", False)]
        )
        by_reference, by_period = {}, {}
        for receipt in receipts:
            for reference in (receipt.insurer_reference, our_numbers and receipt.name):
                if reference:
                    by_reference[receipt.contract_id.id, reference] = receipt
            by_period[receipt.contract_id.id, receipt.period_start] = receipt
        return {contract[self.contract_key]: contract for contract in contracts}, by_reference, by_period

    def _profile(self):
        """The plain description of the layout that ``receipt_files`` reads."""
        self.ensure_one()
        return receipt_files.Profile(
            file_format=self.file_format,
            columns={name: self[f"column_{name}"] or name for name in receipt_files.FIELDS},
            encoding=self.encoding,
            delimiter=SEPARATORS[self.delimiter],
            date_format=DATE_FORMATS[self.date_format],
            decimal_separator=SEPARATORS[self.decimal_separator],
            thousands_separator=SEPARATORS[self.thousands_separator],
            header_row=self.header_row,
        )


class InsuranceReceiptImport(models.Model):
    """One receipt file of an insurer: read and checked first, receipts made only once confirmed."""

    _name = "insurance.receipt.import"
    _description = "Insurer Receipt File"
    _inherit = ["mail.thread"]
    _order = "id desc"
    _check_company_auto = True

    name = fields.Char(string="File Name", required=True, default="/")
    profile_id = fields.Many2one(
        "insurance.receipt.import.profile", required=True, check_company=True, domain=[("kind", "=", "receipts")]
    )
    insurer_id = fields.Many2one(related="profile_id.insurer_id", store=True)
    company_id = fields.Many2one(related="profile_id.company_id", store=True, index=True)
    currency_id = fields.Many2one(related="company_id.currency_id")
    data = fields.Binary(string="File", required=True, attachment=True)
    checksum = fields.Char(readonly=True, copy=False, index=True)
    state = fields.Selection(
        [("draft", "To Check"), ("checked", "Checked"), ("done", "Imported")],
        default="draft",
        required=True,
        tracking=True,
    )
    line_ids = fields.One2many("insurance.receipt.import.line", "import_id", string="Lines", readonly=True)
    line_count = fields.Integer(compute="_compute_counts")
    problem_count = fields.Integer(compute="_compute_counts")

    @api.depends("line_ids.action")
    def _compute_counts(self):
        for record in self:
            record.line_count = len(record.line_ids)
            record.problem_count = len(record.line_ids.filtered(lambda line: line.action == "refuse"))

    def action_check(self):
        """Read the file and match each line to its contract and receipt; nothing is created."""
        for record in self:
            if record.state == "done":
                raise UserError(self.env._("File %(name)s is already imported.", name=record.name))
            data = base64.b64decode(record.data or b"")
            try:
                lines = receipt_files.read(data, record.profile_id._profile())
            except receipt_files.ReceiptFileError as error:
                raise UserError(
                    self.env._("File %(name)s cannot be read: %(why)s", name=record.name, why=str(error))
                ) from error
            record.line_ids.unlink()
            record.write(
                {
                    "checksum": hashlib.sha256(data).hexdigest(),
                    "state": "checked",
                    "line_ids": [fields.Command.create(vals) for vals in record._match(lines)],
                }
            )
        return True

    def _match(self, lines):
        """Line values: each read line with its contract, its existing receipt and what confirming does."""
        self.ensure_one()
        by_key, by_reference, by_period = self.profile_id._lookup(
            self.company_id, [line.policy for line in lines if isinstance(line, receipt_files.ReceiptLine)]
        )
        in_file = set()
        values = []
        for line in lines:
            if isinstance(line, receipt_files.LineProblem):
                values.append(
                    {
                        "row": line.row,
                        "policy": line.policy,
                        "reference": line.reference,
                        "action": "refuse",
                        "problem": line.code,
                        "detail": line.detail,
                    }
                )
                continue
            contract = by_key.get(line.policy)
            existing = contract and by_reference.get((contract.id, line.reference))
            if contract and (contract.id, line.reference) in in_file:
                action, problem = "refuse", "repeated"
            else:
                action, problem = self._decide(
                    line, contract, existing, contract and by_period.get((contract.id, line.period_start))
                )
            if contract:
                in_file.add((contract.id, line.reference))
            if action == "create":
                # Two receipts of the file for one period: the first is taken.
                by_period[contract.id, line.period_start] = True
            values.append(
                {
                    "row": line.row,
                    "policy": line.policy,
                    "reference": line.reference,
                    "kind": line.kind,
                    "period_start": line.period_start,
                    "period_end": line.period_end,
                    "date_due": line.date_due,
                    "amount_total": float(line.amount_total),
                    "amount_tax": float(line.amount_tax),
                    "amount_fee": float(line.amount_fee),
                    "commission": float(line.commission) if line.commission is not None else 0.0,
                    "commission_given": line.commission is not None,
                    "contract_id": contract.id if contract else False,
                    "receipt_id": existing.id if existing else False,
                    "action": action,
                    "problem": problem,
                }
            )
        return values

    def _decide(self, line, contract, existing, same_period):
        """What confirming does with a read line: ``(action, problem)``."""
        if not contract:
            return "refuse", "unknown_policy"
        if contract.insurer_id.commercial_partner_id != self.insurer_id.commercial_partner_id:
            return "refuse", "not_insurer"
        if not contract.receipts_by_insurer:
            return "refuse", "broker_issued"
        if line.kind == "cancellation":
            if not existing:
                return "refuse", "unknown_receipt"
            return ("refuse", "paid") if existing.amount_paid else ("cancel", False)
        if existing:
            if self._same_amounts(line, existing):
                return "skip", False  # the same file again, or a line already received: nothing changes
            return ("refuse", "paid") if existing.amount_paid else ("amend", False)
        if same_period:
            return "refuse", "period_taken"
        if contract.state == "terminated" and contract.date_end and line.period_start > contract.date_end:
            return "refuse", "terminated"
        expected = (line.amount_net * Decimal(str(contract.commission_rate)) / 100).quantize(receipt_files.CENT)
        if line.commission is not None and line.commission != expected:
            return "refuse", "commission"
        return "create", False

    @staticmethod
    def _same_amounts(line, receipt):
        currency = receipt.currency_id
        given = [line.amount_total, line.amount_tax, line.amount_fee]
        kept = [receipt.amount_total, receipt.amount_tax, receipt.amount_fee]
        if line.commission is not None:
            given.append(line.commission)
            kept.append(receipt.commission_amount)
        return all(not currency.compare_amounts(float(a), b) for a, b in zip(given, kept, strict=True))

    def action_confirm(self):
        """Make the checked lines' receipts: new ones posted, amended ones corrected, cancelled ones credited."""
        for record in self:
            if record.state != "checked":
                raise UserError(self.env._("Check file %(name)s before importing it.", name=record.name))
            record.line_ids._apply()
            record.state = "done"
            record.message_post(
                body=self.env._(
                    "Receipts: %(count)s new, %(amended)s amended, %(cancelled)s cancelled; %(refused)s lines refused.",
                    count=len(record.line_ids.filtered(lambda line: line.action == "create")),
                    amended=len(record.line_ids.filtered(lambda line: line.action == "amend")),
                    cancelled=len(record.line_ids.filtered(lambda line: line.action == "cancel")),
                    refused=record.problem_count,
                )
            )
        return True


class InsuranceReceiptImportLine(models.Model):
    _name = "insurance.receipt.import.line"
    _description = "Insurer Receipt File Line"
    _order = "import_id, row"

    import_id = fields.Many2one("insurance.receipt.import", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="import_id.company_id", store=True)
    currency_id = fields.Many2one(related="import_id.currency_id")
    row = fields.Integer(readonly=True)
    policy = fields.Char(readonly=True)
    reference = fields.Char(string="Insurer's Receipt Number", readonly=True)
    kind = fields.Selection([("receipt", "Receipt"), ("cancellation", "Cancellation")], readonly=True)
    period_start = fields.Date(readonly=True)
    period_end = fields.Date(readonly=True)
    date_due = fields.Date(readonly=True)
    amount_total = fields.Monetary(readonly=True)
    amount_tax = fields.Monetary(readonly=True)
    amount_fee = fields.Monetary(readonly=True)
    commission = fields.Monetary(readonly=True)
    commission_given = fields.Boolean(readonly=True)
    contract_id = fields.Many2one("insurance.contract", readonly=True)
    receipt_id = fields.Many2one("insurance.premium.receipt", readonly=True)
    action = fields.Selection(
        [
            ("create", "New receipt"),
            ("amend", "Amendment"),
            ("cancel", "Cancellation"),
            ("skip", "Already received"),
            ("refuse", "Refused"),
        ],
        readonly=True,
    )
    problem = fields.Selection(PROBLEMS, readonly=True)
    detail = fields.Char(readonly=True)

    def _receipt_vals(self):
        self.ensure_one()
        net = self.amount_total - self.amount_tax - self.amount_fee
        contract = self.contract_id
        return {
            "amount_net": net,
            "amount_tax": self.amount_tax,
            "amount_fee": self.amount_fee,
            "commission_amount": self.commission
            if self.commission_given
            else self.currency_id.round(net * contract.commission_rate / 100),
            "insurer_reference": self.reference,
        }

    def _apply(self):
        # As the daily job issues them: no creation message or tracking per receipt (the file's
        # message says how many, each line names its receipt).
        Receipt = self.env["insurance.premium.receipt"].with_context(tracking_disable=True)
        new = self.filtered(lambda line: line.action == "create")
        created = Receipt.create(
            [
                {
                    **line._receipt_vals(),
                    "contract_id": line.contract_id.id,
                    "period_start": line.period_start,
                    "period_end": line.period_end,
                    "date_due": line.date_due,
                    "collects_for_insurer": line.contract_id.insurer_id.insurer_collection_mandate,
                }
                for line in new
            ]
        )
        for line, receipt in zip(new, created, strict=True):
            line.receipt_id = receipt
        created._post()
        cancelled = self.filtered(lambda line: line.action == "cancel").receipt_id
        cancelled._cancel()
        for line in self.filtered(lambda line: line.action == "amend"):
            line.receipt_id._amend(line._receipt_vals())
        # What was due may have changed under an open case: it reads its receipts again.
        self.receipt_id.case_id.filtered(lambda case: case.state == "open")._refresh()
