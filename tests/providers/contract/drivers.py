"""Every provider the contract suite runs against: add a provider's driver here and it gets every case."""

from tests.providers.contract.builtin_driver import BuiltinDriver
from tests.providers.contract.easyink_driver import EasyInkDriver
from tests.providers.contract.formify_driver import FormifyDriver
from tests.providers.contract.memory_driver import MemoryDriver
from tests.providers.contract.scrive_driver import ScriveDriver

PROVIDER_DRIVERS = [MemoryDriver, BuiltinDriver, FormifyDriver, ScriveDriver, EasyInkDriver]
