"""Pure tier: what a Checkout Session asks Stripe for, and Stripe's minor units."""

from decimal import Decimal

import pytest
from payment_link_stripe import checkout


@pytest.mark.parametrize(
    ("amount", "code", "minor"),
    [(550.0, "EUR", 55000), (0.1 + 0.2, "EUR", 30), (1234.565, "EUR", 123457), (1500, "JPY", 1500), (1.5, "KWD", 1500)],
)
def test_to_minor_counts_in_stripe_units(amount, code, minor):
    assert checkout.to_minor(amount, code) == minor


def test_from_minor_is_exact():
    assert checkout.from_minor(1025, "EUR") == Decimal("10.25")
    assert checkout.from_minor(1500, "JPY") == Decimal(1500)


def test_references_are_random_and_opaque():
    references = {checkout.new_reference() for _ in range(1000)}
    assert len(references) == 1000
    assert all(len(r) >= 24 and r.replace("_", "").replace("-", "").isalnum() for r in references)


def _params(**overrides):
    values = {
        "amount_minor": 55000,
        "currency_code": "EUR",
        "reference": "arl_opaque",
        "success_url": "https://broker.example/arrears/stripe/return/arl_opaque?status=paid",
        "cancel_url": "https://broker.example/arrears/stripe/return/arl_opaque?status=cancelled",
        "expires_at": 1790000000,
        "display_name": "Courtage Dupuis",
        "logo_url": "https://broker.example/logo.png?company=1",
    }
    values.update(overrides)
    return checkout.session_params(**values)


def test_session_params_carry_only_reference_amount_and_branding():
    params = _params()
    assert set(params) == {
        "mode",
        "client_reference_id",
        "metadata",
        "payment_intent_data",
        "line_items",
        "submit_type",
        "success_url",
        "cancel_url",
        "expires_at",
        "locale",
        "branding_settings",
    }
    assert params["line_items"] == [
        {
            "quantity": 1,
            "price_data": {"currency": "eur", "unit_amount": 55000, "product_data": {"name": "Insurance premium"}},
        }
    ]
    assert params["metadata"] == params["payment_intent_data"]["metadata"] == {"reference": "arl_opaque"}
    assert params["branding_settings"] == {
        "display_name": "Courtage Dupuis",
        "logo": {"type": "url", "url": "https://broker.example/logo.png?company=1"},
    }
    assert not any(key.startswith("customer") for key in params)
    assert params["locale"] == "auto", "the payer's browser tells Stripe its language"


def test_logo_only_from_a_public_https_url():
    assert "logo" not in _params(logo_url="http://localhost:8069/logo.png")["branding_settings"]
    assert "branding_settings" not in _params(logo_url=None, display_name=None)


def test_a_checkout_asks_for_a_positive_amount():
    with pytest.raises(ValueError):
        _params(amount_minor=0)
