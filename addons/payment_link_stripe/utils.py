"""The seams between our models and Stripe: one per secret, one for the client.

No ``odoo`` import: a provider record is only read for its fields, and the
pure test tier exercises the signature check here with Stripe's own scheme.
"""

import stripe

from . import const


class WebhookRefused(Exception):
    """A webhook call that is not a genuine, fresh, well-formed Stripe event."""


def get_secret_key(provider):
    """The secret API key of a (sudoed) ``payment.provider`` with code ``stripe``."""
    return provider.stripe_secret_key


def get_webhook_secret(provider):
    """The signing secret of OUR endpoint (not Odoo's own Stripe webhook)."""
    return provider.stripe_link_webhook_secret


def _http_client():
    """The HTTP layer under the ``stripe`` library, with its timeout.

    The tests replace it here with a ``stripe.HTTPClient`` of their own: every
    other line of the library (retries, idempotency headers, errors) runs as
    in production.
    """
    return stripe.RequestsClient(timeout=const.REQUEST_TIMEOUT)


def _stripe_client(provider):
    """A ``stripe.StripeClient`` for ``provider``: bounded retries, pinned API version."""
    return stripe.StripeClient(
        get_secret_key(provider),
        stripe_version=const.API_VERSION,
        max_network_retries=const.MAX_NETWORK_RETRIES,
        http_client=_http_client(),
    )


def verify_event(payload, signature_header, secrets, tolerance=const.WEBHOOK_TOLERANCE_SECONDS):
    """Check a webhook call against each candidate signing secret.

    :param bytes payload: the raw request body, exactly as received
    :param str signature_header: the ``Stripe-Signature`` header
    :param secrets: signing secrets to try, in order
    :return: ``(event as a plain dict, index of the secret that verified it)``
    :raise WebhookRefused: forged, stale or malformed call
    """
    if not payload or not signature_header:
        raise WebhookRefused("missing body or signature")
    for index, secret in enumerate(secrets):
        if not secret:
            continue
        try:
            event = stripe.Webhook.construct_event(payload, signature_header, secret, tolerance=tolerance)
        except stripe.SignatureVerificationError:
            continue
        except ValueError as error:  # signed, but not JSON
            raise WebhookRefused("malformed payload") from error
        event = event.to_dict()
        if event.get("object") != "event" or not event.get("id") or not event.get("type"):
            raise WebhookRefused("not an event")
        return event, index
    raise WebhookRefused("bad or stale signature")


def is_unavailable(error):
    """Whether a Stripe error means 'try again later' rather than a mistake of ours."""
    return isinstance(error, (stripe.APIConnectionError, stripe.RateLimitError, stripe.APIError))
