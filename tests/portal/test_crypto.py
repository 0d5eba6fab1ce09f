import pytest
from cryptography.fernet import Fernet

from portal.kernel.crypto import SecretUnreadable, decrypt, encrypt, rotate


def test_secrets_round_trip_and_are_not_stored_in_clear(settings):
    settings.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    token = encrypt(b"refresh-token-123")
    assert b"refresh-token-123" not in token
    assert decrypt(token) == b"refresh-token-123"


def test_a_new_key_in_front_rotates_and_old_secrets_still_read(settings):
    old = Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEYS = [old]
    token = encrypt(b"secret")
    new = Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEYS = [new, old]
    assert decrypt(token) == b"secret"
    rotated = rotate(token)
    settings.FIELD_ENCRYPTION_KEYS = [new]
    assert decrypt(rotated) == b"secret"
    with pytest.raises(SecretUnreadable):
        decrypt(token)
