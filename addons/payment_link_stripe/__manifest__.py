{
    "name": "Stripe Payment Links for Insurance Arrears",
    "summary": "Stripe provider behind the arrears payment-link boundary",
    "version": "19.0.0.1.0",
    "category": "Accounting/Payment Providers",
    "author": "Arrears Platform Team",
    "website": "https://github.com/arrears-platform/arrears",
    "license": "LGPL-3",
    "depends": ["sepa_dunning"],
    "data": [],
    "installable": True,
    "application": False,
}
