import contextlib
import logging

from odoo import api, models
from odoo.tools import split_every

_logger = logging.getLogger(__name__)


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

    @api.model
    def _claim(self, records, domain):
        """What of ``records`` this run may work on now: locked, read again, still matching ``domain``.

        Those another worker holds are skipped (SKIP LOCKED): they are its own.
        The others are read again once locked, for another run may have dealt
        with them since they were searched, and left out if they no longer match.
        """
        locked = records.try_lock_for_update()
        locked.invalidate_recordset()
        return locked.filtered_domain(domain)

    @api.model
    def _process_in_chunks(self, records, size, domain, process):
        """``process`` the ``records`` in chunks of ``size``, each committed on its own.

        Each chunk is claimed (:meth:`_claim`: locked, read again, still matching
        ``domain``) and processed whole, else record by record
        (:meth:`_process_or_one_by_one`). In a cron job, once its time is spent it
        stops after a chunk and the runner calls the job again for the rest; a run
        killed half-way, or two at once, process nothing twice.

        :return: whether every chunk was processed (False: out of time)
        """
        self._commit_progress_in_cron(remaining=len(records))
        for ids in split_every(size, records.ids):
            self._process_or_one_by_one(self._claim(records.browse(ids), domain), process)
            if not self._commit_progress_in_cron(len(ids)):
                return False
        return True

    @api.model
    def _process_or_one_by_one(self, records, process):
        """``process(records)``; should it fail, each record alone, those that fail again left out.

        One record a person must fix (a template that cannot render for one
        client, an address missing...) would otherwise fail its whole chunk at
        every run, and with it every record after it in the job. Each attempt has
        a savepoint of its own, so what failed leaves nothing behind; the failures
        are logged for the operators, the job carries on, and the next run tries
        them again.

        :return: the records left out
        """
        with contextlib.suppress(Exception):  # whatever failed: the records are tried one by one below
            with self.env.cr.savepoint():
                process(records)
            return records.browse()
        failed = records.browse()
        for record in records:
            try:
                with self.env.cr.savepoint():
                    process(record)
            except Exception:  # logged; the others go on
                _logger.exception("%s could not be processed: left for the next run", record)
                failed |= record
        return failed
