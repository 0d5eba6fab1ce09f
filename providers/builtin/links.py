"""Signing links and download links of the built-in provider."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from base64 import urlsafe_b64encode

from django.conf import settings
from django.core import signing
from django.urls import reverse

from providers.builtin.models import Signer, SigningRequest

DOWNLOAD_LINK_DAYS = 30
_DOWNLOAD_SALT = "paraph.builtin.download"


def _token_for(signer: Signer) -> str:
    message = f"paraph-sign:{signer.pk}:{signer.token_nonce}".encode()
    digest = hmac.new(settings.SECRET_KEY.encode(), message, hashlib.sha256).digest()
    return urlsafe_b64encode(digest).decode().rstrip("=")


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def signer_issue_link(signer: Signer) -> None:
    """Gives the signer a fresh link (any earlier one stops working). Saves the signer."""
    signer.token_nonce = secrets.token_hex(16)
    signer.token_hash = token_hash(_token_for(signer))
    signer.save(update_fields=["token_nonce", "token_hash"])


def signer_revoke_link(signer: Signer) -> None:
    signer.token_nonce, signer.token_hash = "", None
    signer.save(update_fields=["token_nonce", "token_hash"])


def signing_url(signer: Signer) -> str:
    """The signer's current link (the same one every time until it is revoked)."""
    if not signer.token_nonce:
        raise ValueError("This signer has no link.")
    return settings.SITE_URL + reverse("builtin_sign", args=[_token_for(signer)])


def signer_by_token(token: str) -> Signer | None:
    return Signer.objects.select_related("request").filter(token_hash=token_hash(token)).first()


def download_url(request: SigningRequest) -> str:
    """A link to the sealed PDF, signed and valid for DOWNLOAD_LINK_DAYS."""
    token = signing.dumps(str(request.pk), salt=_DOWNLOAD_SALT, compress=True)
    return settings.SITE_URL + reverse("builtin_download", args=[token])


def request_by_download_token(token: str) -> SigningRequest | None:
    """The request a download link points to; None when the link is forged or expired."""
    try:
        request_id = signing.loads(token, salt=_DOWNLOAD_SALT, max_age=DOWNLOAD_LINK_DAYS * 86400)
    except signing.BadSignature:
        return None
    return SigningRequest.objects.filter(pk=request_id).first()
