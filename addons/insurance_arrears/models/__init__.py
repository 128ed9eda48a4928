from . import (
    account_move,
    arrears_case,
    crm_lead,
    insurance_contract,
    insurance_insurer_statement,
    insurance_premium_receipt,
    insurance_product_line,
    res_company,
    res_partner,
)
