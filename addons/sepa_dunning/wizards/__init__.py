from . import dunning_move_level
from . import sepa_return_match
