from . import test_accounting
from . import test_arrears_case
from . import test_crm
from . import test_insurer_statement
from . import test_notice
from . import test_receipts
from . import test_security
from . import test_payment_link
