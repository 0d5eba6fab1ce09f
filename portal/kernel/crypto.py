"""Secrets at rest: Fernet encryption with the keys in FIELD_ENCRYPTION_KEYS (newest first).

Older keys still decrypt, so adding a key in front rotates; `rotate` re-encrypts with the newest.
"""

from __future__ import annotations

from functools import cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings


class SecretUnreadable(Exception):
    """A stored secret cannot be decrypted with any configured key."""


@cache
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(key.encode()) for key in keys])


def _current() -> MultiFernet:
    return _fernet(tuple(settings.FIELD_ENCRYPTION_KEYS))


def encrypt(plain: bytes) -> bytes:
    return _current().encrypt(plain)


def decrypt(token: bytes) -> bytes:
    try:
        return _current().decrypt(bytes(token))
    except InvalidToken:
        raise SecretUnreadable("A stored secret could not be decrypted; check FIELD_ENCRYPTION_KEYS.") from None


def rotate(token: bytes) -> bytes:
    """The same secret encrypted with the newest key."""
    return _current().rotate(bytes(token))
