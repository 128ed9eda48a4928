"""Constants of the Stripe provider: API calls, events, currencies.

Plain Python (no ``odoo`` import): the pure test tier reads it.
"""

# Our routes: the webhook endpoint Stripe calls (give its URL to Stripe, README) and the page
# the payer comes back to from Stripe's hosted checkout.
WEBHOOK_ROUTE = "/arrears/stripe/webhook"
RETURN_ROUTE = "/arrears/stripe/return"

# Stripe's fees are bank charges: French chart 627 "services bancaires". (code, name, type)
FEE_ACCOUNT = ("627100", "Stripe fees", "expense")

# The Stripe API version every call speaks (sent as Stripe-Version), so that the
# objects we read keep their shape whatever the library's default. The first
# version with Checkout's ``branding_settings``. Create the webhook endpoint
# with the same version (README).
API_VERSION = "2025-09-30.clover"

# Calls to Stripe: bounded in time and in retries, so that a slow Stripe never
# holds a payer's request or a cron for long. (connect, read) seconds.
REQUEST_TIMEOUT = (5, 20)
MAX_NETWORK_RETRIES = 2

# A Checkout Session is created when the payer clicks Pay, for the amount due at
# that moment; it lives one hour (Stripe accepts 30 minutes to 24 hours), so that
# an abandoned page cannot be paid days later for a stale amount.
CHECKOUT_LIFETIME_SECONDS = 3600
# A session is reused for another click only if it still has this long to live.
CHECKOUT_REUSE_MARGIN_SECONDS = 900

# What Stripe shows on the line of the payment: generic, it names nobody.
LINE_ITEM_NAME = "Insurance premium"

# The webhook refuses signatures older than this (Stripe's own default).
WEBHOOK_TOLERANCE_SECONDS = 300

# The safety net asks Stripe about a session left open this long after its creation.
POLL_AFTER_SECONDS = 600
# A paid checkout is read back once a day, for as long as its money may be given
# back: card disputes come up to 120 days after the payment at most networks, and
# refunds are watched as long (docs.stripe.com/disputes/how-disputes-work).
MONEY_BACK_WATCH_DAYS = 120
MONEY_BACK_POLL_SECONDS = 86400
# Disputes read per charge (a charge has one dispute; a few inquiries at most).
DISPUTES_PER_CHARGE = 10
# A session expired here while Stripe still said open is read again until Stripe
# says what became of it, at most this long after its expiry time.
EXPIRY_CONFIRM_SECONDS = 86400
# Sessions and events handled per committed chunk by the crons.
CRON_CHUNK = 50
# An event that cannot be handled yet (row locked, payment not recorded yet) is
# tried again this many times before it is left in error for an accountant.
MAX_EVENT_ATTEMPTS = 10

# Events our endpoint subscribes to (README); any other is recorded as ignored.
HANDLED_EVENTS = (
    "checkout.session.completed",
    "checkout.session.async_payment_succeeded",
    "checkout.session.async_payment_failed",
    "checkout.session.expired",
    "payment_intent.succeeded",
    "payment_intent.payment_failed",
    "charge.refunded",
    "charge.dispute.created",
    "charge.dispute.closed",
)

# Keys never written to logs.
SENSITIVE_KEYS = {"client_secret", "secret", "api_key", "stripe_secret_key", "stripe_link_webhook_secret"}

# Minor units per currency as Stripe counts them (docs.stripe.com/currencies):
# zero-decimal currencies take the amount as is, three-decimal ones in
# thousandths; every other currency in hundredths.
ZERO_DECIMAL_CURRENCIES = frozenset(
    {
        "BIF",
        "CLP",
        "DJF",
        "GNF",
        "JPY",
        "KMF",
        "KRW",
        "MGA",
        "PYG",
        "RWF",
        "UGX",
        "VND",
        "VUV",
        "XAF",
        "XOF",
        "XPF",
    }
)
THREE_DECIMAL_CURRENCIES = frozenset({"BHD", "JOD", "KWD", "OMR", "TND"})
