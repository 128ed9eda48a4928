from . import dunning_recovery_report
from . import sepa_rejection_report
