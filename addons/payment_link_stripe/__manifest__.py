{
    "name": "Stripe Payment Links for Insurance Arrears",
    "summary": "Stripe Checkout behind the arrears payment links: webhook, safety-net polling, payment and fee posting",
    "version": "19.0.1.0.0",
    "category": "Accounting/Payment Providers",
    "author": "Arrears Platform Team",
    "website": "https://github.com/arrears-platform/arrears",
    "license": "LGPL-3",
    "depends": ["insurance_arrears", "account_payment", "payment_stripe"],
    "external_dependencies": {"python": ["stripe"]},
    "data": [
        # security
        "security/security.xml",
        "security/ir.model.access.csv",
        # data
        "data/ir_cron.xml",
        # views
        "views/payment_provider_views.xml",
        "views/stripe_checkout_session_views.xml",
        "views/stripe_event_views.xml",
        "views/arrears_payment_link_views.xml",
        "views/checkout_return_templates.xml",
        "views/menus.xml",
    ],
    "demo": [
        "demo/payment_link_demo.xml",
    ],
    "installable": True,
    "application": False,
}
