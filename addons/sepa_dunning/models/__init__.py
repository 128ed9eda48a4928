from . import insurance_contract
from . import insurance_premium_receipt
from . import res_company
from . import res_partner_bank
from . import sepa_debit_batch
from . import sepa_debit_line
from . import sepa_mandate
