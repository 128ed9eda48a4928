from . import payment_provider
from . import stripe_checkout_session
from . import stripe_event
from . import arrears_payment_link
