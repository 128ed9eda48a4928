"""ISO 20022 messages for SEPA Core direct debit, with no Odoo import.

``pain008`` builds and validates collection files; ``text`` reduces names and
references to the SEPA character set. Odoo models feed them plain values.
"""
