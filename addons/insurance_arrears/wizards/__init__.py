from . import arrears_api_key_wizard
