from . import arrears_link_report
from . import arrears_report
