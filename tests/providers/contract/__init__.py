"""One contract for every provider adapter, run against each provider's fake.

`test_contract.py` holds the cases; each provider has a small driver (`<provider>_driver.py`) that
plays the remote side: signers opening and signing, faults, webhook calls. A new provider gets the
whole suite by adding its driver to `PROVIDER_DRIVERS` in `drivers.py`.
"""
