from . import test_debit_batch
from . import test_mandate
