from odoo import fields, models
from odoo.exceptions import UserError


class SepaFile(models.AbstractModel):
    """What has a SEPA file to send to the bank (a debit batch, a transfer to insurers): the file kept
    as an attachment of the record, and its download."""

    _name = "sepa.file.mixin"
    _description = "SEPA File to Send"

    file_id = fields.Many2one("ir.attachment", readonly=True, copy=False)

    def _attach_file(self, content):
        """Keep ``content`` as this record's file, named after it; the attachment is returned."""
        self.ensure_one()
        attachment = self.env["ir.attachment"].create(
            {
                "name": f"{self.name.replace('/', '-')}.xml",
                "raw": content,
                "mimetype": "application/xml",
                "res_model": self._name,
                "res_id": self.id,
            }
        )
        self.file_id = attachment
        return attachment

    def action_download(self):
        self.ensure_one()
        if not self.file_id:
            raise UserError(self.env._("Generate the file of %s first.", self.name))
        return {"type": "ir.actions.act_url", "url": f"/web/content/{self.file_id.id}?download=true", "target": "self"}
