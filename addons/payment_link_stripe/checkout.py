"""What a Checkout Session asks Stripe for: plain values in, plain values out.

No ``odoo`` import: the pure test tier checks that nothing but an opaque
reference, an amount and a currency (and the broker's own branding) goes out.
"""

import secrets
from decimal import ROUND_HALF_UP, Decimal

from . import const


def minor_digits(currency_code):
    """Number of decimals Stripe counts ``currency_code`` in."""
    code = currency_code.upper()
    if code in const.ZERO_DECIMAL_CURRENCIES:
        return 0
    if code in const.THREE_DECIMAL_CURRENCIES:
        return 3
    return 2


def to_minor(amount, currency_code):
    """An amount in the currency's minor unit (cents for EUR), as Stripe wants it.

    >>> to_minor(550.1, "EUR")
    55010
    """
    digits = minor_digits(currency_code)
    value = Decimal(str(amount)).scaleb(digits).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return int(value)


def from_minor(amount_minor, currency_code):
    """A Stripe amount in minor units back to a Decimal in the major unit."""
    return Decimal(int(amount_minor)).scaleb(-minor_digits(currency_code))


def new_reference():
    """An opaque reference for one checkout: random, tells nothing about the payer."""
    return f"arl_{secrets.token_urlsafe(18)}"


def session_params(
    *,
    amount_minor,
    currency_code,
    reference,
    success_url,
    cancel_url,
    expires_at,
    display_name=None,
    logo_url=None,
):
    """The parameters of ``POST /v1/checkout/sessions`` for one payment.

    Only the opaque ``reference``, the amount and the currency describe the
    payment; the URLs hold the reference alone; ``display_name`` and
    ``logo_url`` brand the page with the broker's (not the payer's) identity.
    No customer, e-mail, name, address, phone or contract number.
    """
    if amount_minor <= 0:
        raise ValueError("A checkout asks for a positive amount.")
    params = {
        "mode": "payment",
        "client_reference_id": reference,
        "metadata": {"reference": reference},
        # The payment intent carries the reference too: its events may arrive
        # before the session's, and must still find the checkout.
        "payment_intent_data": {"metadata": {"reference": reference}},
        "line_items": [
            {
                "quantity": 1,
                "price_data": {
                    "currency": currency_code.lower(),
                    "unit_amount": int(amount_minor),
                    "product_data": {"name": const.LINE_ITEM_NAME},
                },
            }
        ],
        "submit_type": "pay",
        "success_url": success_url,
        "cancel_url": cancel_url,
        "expires_at": int(expires_at),
        # The payer's browser tells Stripe its language: nothing to send about the payer.
        "locale": "auto",
    }
    branding = {}
    if display_name:
        branding["display_name"] = display_name[:100]
    if logo_url and logo_url.startswith("https://"):
        # Stripe fetches the logo itself: only a public https URL is accepted.
        branding["logo"] = {"type": "url", "url": logo_url}
    if branding:
        params["branding_settings"] = branding
    return params
