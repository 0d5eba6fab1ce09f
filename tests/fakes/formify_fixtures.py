"""Fixtures for the fake Formify server (see tests/fakes/formify.py)."""
