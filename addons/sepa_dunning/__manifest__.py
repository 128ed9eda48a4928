{
    "name": "SEPA Direct Debit and Dunning for Insurance Arrears",
    "summary": "SEPA mandates and debit batches, bank rejections, dunning notices",
    "version": "19.0.0.1.0",
    "category": "Accounting/Accounting",
    "author": "Arrears Platform Team",
    "website": "https://github.com/arrears-platform/arrears",
    "license": "LGPL-3",
    "depends": ["insurance_arrears"],
    "data": [],
    "installable": True,
    "application": False,
}
