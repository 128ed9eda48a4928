"""The SEPA character set (EPC Implementation Guidelines, "Character Set").

Messages may only carry the Latin basic set:
``a-z A-Z 0-9 / - ? : ( ) . , ' +`` and the space. Identifiers (message,
payment, end-to-end and mandate ids) are further restricted: no space, and no
``/`` at the start, at the end, or twice in a row.
"""

import re
import unicodedata

ALLOWED = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/-?:().,'+ ")
# Letters NFKD does not split into a base letter and a mark.
SPECIAL = {
    "ß": "ss",
    "Æ": "AE",
    "æ": "ae",
    "Ø": "O",
    "ø": "o",
    "Œ": "OE",
    "œ": "oe",
    "Đ": "D",
    "đ": "d",
    "Ł": "L",
    "ł": "l",
    "Þ": "TH",
    "þ": "th",
    "&": "+",
    "\u2019": "'",
    "\u2018": "'",
    "\u00ab": "",
    "\u00bb": "",
    "_": "-",
    "\u2013": "-",
    "\u2014": "-",
}
ID_PATTERN = re.compile(r"(?!/)(?!.*//)[A-Za-z0-9/\-?:().,'+]{1,35}(?<!/)")


class SepaTextError(ValueError):
    """A value cannot be written in the SEPA character set."""


def sepa_text(value, max_length, what="text"):
    """Return ``value`` transliterated to the SEPA set and cut to ``max_length``.

    Accented Latin letters lose their accent, a few letters are spelled out,
    other characters become spaces. A value left with no letter or digit (a name
    in another script, say) is refused rather than sent empty.
    """
    if value is None:
        value = ""
    out = []
    for char in unicodedata.normalize("NFC", str(value)):
        if char in ALLOWED:
            out.append(char)
        elif char in SPECIAL:
            out.append(SPECIAL[char])
        else:
            base = "".join(c for c in unicodedata.normalize("NFKD", char) if c in ALLOWED)
            out.append(base or " ")
    text = re.sub(r"\s+", " ", "".join(out)).strip()[:max_length].strip()
    if not any(c.isalnum() for c in text):
        raise SepaTextError(f"{what} {value!r} has no character of the SEPA character set")
    return text


def check_identifier(value, what="identifier"):
    """Refuse an identifier the SEPA rules do not allow; return it unchanged."""
    if not isinstance(value, str) or not ID_PATTERN.fullmatch(value):
        raise SepaTextError(
            f"{what} {value!r} must be 1 to 35 characters of A-Z a-z 0-9 / - ? : ( ) . , ' + "
            "without spaces, not starting or ending with '/' nor containing '//'"
        )
    return value
