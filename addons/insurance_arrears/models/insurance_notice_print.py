from odoo import api, fields, models


class InsuranceNoticePrint(models.Model):
    """The premium notices of one day to print and post by hand: one PDF for an accountant."""

    _name = "insurance.notice.print"
    _description = "Premium Notices to Print"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "date desc, id desc"
    _check_company_auto = True

    name = fields.Char(compute="_compute_name", store=True)
    company_id = fields.Many2one("res.company", required=True, index=True, readonly=True)
    date = fields.Date(required=True, readonly=True)
    receipt_ids = fields.One2many("insurance.premium.receipt", "notice_print_id", string="Receipts", readonly=True)
    letter_count = fields.Integer(compute="_compute_letter_count", string="Letters")
    attachment_id = fields.Many2one("ir.attachment", string="PDF", readonly=True, copy=False)
    to_render = fields.Boolean(
        readonly=True, copy=False, help="Notices were added since the PDF was made: it is made again."
    )
    state = fields.Selection(
        [("to_print", "To Print"), ("done", "Sent by Post")], default="to_print", required=True, tracking=True
    )

    _company_date_unique = models.Constraint(
        "UNIQUE(company_id, date)",
        "A company has one set of letters to print a day.",
    )

    @api.depends("date")
    def _compute_name(self):
        for batch in self:
            batch.name = self.env._("Premium notices to print, %(date)s", date=batch.date)

    def _compute_letter_count(self):
        counts = dict(
            self.env["insurance.premium.receipt"]._read_group(
                [("notice_print_id", "in", self.ids)], ["notice_print_id"], ["__count"]
            )
        )
        for batch in self:
            batch.letter_count = counts.get(batch, 0)

    @api.model
    def _for_day(self, company, day):
        """The letters to print of ``company`` on ``day``, created the first time."""
        return self.search([("company_id", "=", company.id), ("date", "=", day)], limit=1) or self.create(
            {"company_id": company.id, "date": day}
        )

    @api.model
    def _render_pending(self):
        """Make again the PDF of every set of letters that got notices since its last one."""
        report = self.env.ref("insurance_arrears.action_report_premium_notice")
        for batch in self.search([("to_render", "=", True)]):
            receipts = batch.receipt_ids.sorted(lambda r: (r.partner_id.name or "", r.id))
            content, _report_type = self.env["ir.actions.report"]._render_qweb_pdf(report, receipts.ids)
            old = batch.attachment_id
            attachment = self.env["ir.attachment"].create(
                {
                    "name": f"{batch.name}.pdf",
                    "raw": content,
                    "mimetype": "application/pdf",
                    "res_model": batch._name,
                    "res_id": batch.id,
                }
            )
            batch.write({"attachment_id": attachment.id, "to_render": False})
            old.unlink()
            if not batch.activity_ids:
                batch.activity_schedule(
                    "mail.mail_activity_data_todo",
                    summary=self.env._("Print and post the premium notices"),
                    note=self.env._(
                        "%(count)s client(s) without an e-mail address: print the PDF and post the letters.",
                        count=len(receipts),
                    ),
                    # The cron runs as the superuser: the task goes to a person.
                    user_id=self.env.ref("base.user_admin", raise_if_not_found=False).id or self.env.uid,
                )

    def action_download(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_url",
            "url": f"/web/content/{self.attachment_id.id}?download=true",
            "target": "self",
        }

    def action_done(self):
        self.write({"state": "done"})
        self.activity_ids.action_done()

    def action_view_receipts(self):
        return self.receipt_ids._action_open(domain=[("notice_print_id", "in", self.ids)])
