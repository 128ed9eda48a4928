from . import dunning_move_level
