from . import test_checkout
from . import test_webhook
from . import test_events
from . import test_polling
from . import test_security
from . import test_refusals
from . import test_company_rules
