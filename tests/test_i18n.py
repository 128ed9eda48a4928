"""Each addon's French catalogue: complete, and in step with its template.

Odoo merges the ``.pot`` into the ``.po`` when it loads a language: a term missing
from a stale template is dropped however well it is translated, so a French user
would read English. This was found with the premium notice's French e-mail.
"""

from pathlib import Path

import polib
import pytest

ADDONS = Path(__file__).resolve().parents[1] / "addons"
MODULES = ["insurance_arrears", "sepa_dunning", "payment_link_stripe"]


def _terms(catalogue):
    return {(entry.msgctxt, entry.msgid) for entry in catalogue if not entry.obsolete}


@pytest.mark.parametrize("module", MODULES)
def test_the_template_holds_every_term_of_the_french_catalogue(module):
    french = polib.pofile(str(ADDONS / module / "i18n" / "fr.po"))
    template = polib.pofile(str(ADDONS / module / "i18n" / f"{module}.pot"))
    assert _terms(french) == _terms(template)


@pytest.mark.parametrize("module", MODULES)
def test_every_term_is_translated_into_french(module):
    french = polib.pofile(str(ADDONS / module / "i18n" / "fr.po"))
    assert [entry.msgid[:80] for entry in french if not entry.obsolete and not entry.msgstr] == []
