import logging
from datetime import timedelta

from psycopg2.extensions import ISOLATION_LEVEL_READ_COMMITTED

from odoo import api, fields, models
from odoo.sql_db import Cursor
from odoo.tools import SQL

_logger = logging.getLogger(__name__)

# The rate limit counts calls per user in windows of a minute.
WINDOW_SECONDS = 60


def count_call(cursor, user_id, limit):
    """Count one call of ``user_id`` in the current minute, atomically, and say whether it is allowed.

    One row per user and window, incremented by a single ``INSERT ... ON CONFLICT
    DO UPDATE ... RETURNING`` in its own short READ COMMITTED transaction: concurrent
    calls, on one server or several, wait for each other's increment a moment and
    each get their own number, so none of them passes beyond ``limit``. Refused calls
    are counted in the row (``calls - limit``), not stored one by one.

    :param cursor: a callable opening a cursor; the count is committed at once,
        whatever becomes of the call itself.
    :return: ``(allowed, seconds until the next window)``
    """
    with cursor() as cr:
        if isinstance(cr, Cursor):  # a test cursor runs inside the test's transaction, alone
            # In Odoo's REPEATABLE READ, the second of two concurrent upserts would fail
            # instead of adding to the first one's count.
            cr.connection.set_isolation_level(ISOLATION_LEVEL_READ_COMMITTED)
        cr.execute(
            SQL(
                """
                INSERT INTO arrears_api_window AS w (user_id, window_start, calls)
                     VALUES (%(user)s, date_trunc('minute', now() AT TIME ZONE 'UTC'), 1)
                ON CONFLICT (user_id, window_start) DO UPDATE SET calls = w.calls + 1
                  RETURNING w.calls, %(seconds)s - EXTRACT(SECOND FROM now() AT TIME ZONE 'UTC')::int
                """,
                user=user_id,
                seconds=WINDOW_SECONDS,
            )
        )
        calls, retry_after = cr.fetchone()
    if calls == limit + 1:
        _logger.warning("Partner API: user #%s is over its limit of %s calls a minute", user_id, limit)
    return calls <= limit, max(int(retry_after), 1)


class ArrearsApiWindow(models.Model):
    """Calls of a partner user in one minute: the rate limiter's memory (one row per user and minute)."""

    _name = "arrears.api.window"
    _description = "Partner API Calls in a Minute"
    _order = "window_start desc"
    _log_access = False

    user_id = fields.Many2one("res.users", required=True, readonly=True, ondelete="cascade")
    window_start = fields.Datetime(required=True, readonly=True)
    calls = fields.Integer(readonly=True, help="Calls made in the minute, the refused ones included.")

    _user_window_unique = models.UniqueIndex("(user_id, window_start)")

    @api.model
    def _count_call(self, user):
        """Count a call of ``user`` against its company's limit; see ``count_call``.

        :return: ``(allowed, retry_after_seconds)``; always allowed without a limit.
        """
        limit = user.company_id.arrears_api_rate_limit
        if not limit:
            return True, 0
        return count_call(self.env.registry.cursor, user.id, limit)

    @api.model
    def _purge(self):
        """Windows older than an hour say nothing the call log does not."""
        self.env.cr.execute(
            SQL("DELETE FROM arrears_api_window WHERE window_start < %s", fields.Datetime.now() - timedelta(hours=1))
        )
