from odoo import api, models


class IrCron(models.Model):
    _inherit = "ir.cron"

    @api.model
    def _commit_progress_in_cron(self, processed=0, *, remaining=None):
        """Odoo's ``_commit_progress`` when a cron job runs the caller; elsewhere nothing, and no time limit.

        Our crons' methods are also called outside a cron job (buttons, demo
        data, tests, a method of another job): there, committing would cut the
        caller's transaction into pieces it never asked for (and a test cursor
        refuses to commit), so the work stays in the caller's transaction and
        time never runs out. In a cron job this is ``_commit_progress``: commit,
        count the progress, and return the seconds left to the run (0 once its
        time is spent: the caller stops, the runner calls the job again for the rest).

        :return: seconds left (falsy: stop now)
        """
        if not self.env.context.get("cron_id"):
            return float("inf")
        return self._commit_progress(processed, remaining=remaining)
