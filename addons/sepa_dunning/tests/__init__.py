from . import test_debit_batch
from . import test_mandate
from . import test_bank_rejection
from . import test_dunning
from . import test_plan_debit
from . import test_dashboard
from . import test_company_rules
