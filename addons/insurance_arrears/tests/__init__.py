from . import (
    test_accounting,
    test_arrears_case,
    test_crm,
    test_insurer_statement,
    test_notice,
    test_receipts,
    test_security,
)
