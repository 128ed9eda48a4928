{
    "name": "SEPA Direct Debit and Dunning for Insurance Arrears",
    "summary": "SEPA mandates and debit batches (pain.008), bank rejections, dunning notices",
    "version": "19.0.0.5.0",
    "category": "Accounting/Accounting",
    "author": "Arrears Platform Team",
    "website": "https://github.com/arrears-platform/arrears",
    "license": "LGPL-3",
    "depends": ["insurance_arrears", "sms", "spreadsheet_dashboard"],
    "external_dependencies": {"python": ["sepaxml", "schwifty", "python-stdnum"]},
    "data": [
        # security
        "security/security.xml",
        "security/ir.model.access.csv",
        # data
        "data/ir_sequence.xml",
        "data/ir_cron.xml",
        "data/sepa_return_reason.xml",
        "data/dunning_templates.xml",
        "data/dunning_policy_data.xml",
        # reports
        "report/sepa_debit_batch_report.xml",
        "report/dunning_letter.xml",
        "report/mandate_signature.xml",
        "report/dunning_report_views.xml",
        "report/debit_receipt.xml",
        "report/premium_notice.xml",
        # e-mails attaching the reports
        "data/debit_receipt_mail.xml",
        # views
        "views/sepa_mandate_views.xml",
        "views/sepa_debit_batch_views.xml",
        "views/sepa_credit_transfer_views.xml",
        "views/insurance_contract_views.xml",
        "views/res_company_views.xml",
        "views/res_partner_bank_views.xml",
        "views/sepa_return_import_views.xml",
        "views/dunning_policy_views.xml",
        "views/dunning_notice_views.xml",
        "views/arrears_case_views.xml",
        "views/payment_link_templates.xml",
        "views/menus.xml",
        # dashboards (after the menus and actions they link to)
        "data/dashboards.xml",
    ],
    "demo": [
        "demo/sepa_demo.xml",
        "demo/dunning_demo.xml",
    ],
    "installable": True,
    "application": False,
}
