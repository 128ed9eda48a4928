{
    "name": "SEPA Direct Debit and Dunning for Insurance Arrears",
    "summary": "SEPA mandates and debit batches (pain.008), bank rejections, dunning notices",
    "version": "19.0.0.2.0",
    "category": "Accounting/Accounting",
    "author": "Arrears Platform Team",
    "website": "https://github.com/arrears-platform/arrears",
    "license": "LGPL-3",
    "depends": ["insurance_arrears"],
    "external_dependencies": {"python": ["sepaxml", "schwifty", "python-stdnum"]},
    "data": [
        # security
        "security/security.xml",
        "security/ir.model.access.csv",
        # data
        "data/ir_sequence.xml",
        "data/ir_cron.xml",
        "data/sepa_return_reason.xml",
        # reports
        "report/sepa_debit_batch_report.xml",
        # views
        "views/sepa_mandate_views.xml",
        "views/sepa_debit_batch_views.xml",
        "views/insurance_contract_views.xml",
        "views/res_company_views.xml",
        "views/res_partner_bank_views.xml",
        "views/sepa_return_import_views.xml",
        "views/menus.xml",
    ],
    "demo": [
        "demo/sepa_demo.xml",
    ],
    "installable": True,
    "application": False,
}
