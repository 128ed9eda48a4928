{
    "name": "Insurance Arrears",
    "summary": "Insurance contracts, premium receipts, broker accounting and arrears cases",
    "version": "19.0.1.2.0",
    "category": "Accounting/Accounting",
    "author": "Arrears Platform Team",
    "website": "https://github.com/arrears-platform/arrears",
    "license": "LGPL-3",
    "depends": ["account", "crm", "mail", "sms", "snailmail", "portal", "spreadsheet_dashboard"],
    "data": [
        # security
        "security/security.xml",
        "security/ir.model.access.csv",
        # data
        "data/ir_sequence.xml",
        "data/ir_cron.xml",
        "data/partner_api_data.xml",
        # reports (before the mail template that attaches the notice)
        "report/premium_notice.xml",
        "report/insurer_statement.xml",
        "report/arrears_report_views.xml",
        "data/mail_template.xml",
        "data/plan_data.xml",
        # views
        "views/insurance_product_line_views.xml",
        "views/insurance_contract_views.xml",
        "views/insurance_premium_receipt_views.xml",
        "views/insurance_insurer_statement_views.xml",
        "views/arrears_case_views.xml",
        "views/arrears_payment_link_views.xml",
        "views/payment_link_templates.xml",
        "views/partner_api_views.xml",
        "views/arrears_plan_views.xml",
        "views/res_partner_views.xml",
        "views/res_company_views.xml",
        "views/crm_lead_views.xml",
        "views/menus.xml",
        "views/insurance_notice_print_views.xml",
        # dashboards (after the menus and actions they link to)
        "data/dashboards.xml",
    ],
    "demo": [
        "demo/res_company_demo.xml",
        "demo/insurance_demo.xml",
    ],
    "installable": True,
    "application": True,
}
