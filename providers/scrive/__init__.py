"""Scrive: the Document API v2 adapter (see provider.py)."""
