"""TransactionLink webhooks: a detached JWS in `JWS-SIGNATURE` (RS256, key published by `kid`),
then the run's identifiers from the body. The body is only a hint: the run's status is read
again from the API before anything changes."""

from __future__ import annotations

import hashlib
import json

from django.core.cache import cache

from providers.base import WebhookRefused
from providers.webhook_signatures import JwsVerifier

HEADER = "JWS-SIGNATURE"
# TransactionLink retries a delivery 5 times at 5 s; a signature seen within a day is a replay (the
# JWS carries no timestamp to bound it otherwise).
SEEN_SECONDS = 24 * 60 * 60


def verify(body: bytes, headers: dict[str, str], fetch_key) -> None:
    signature = next((value for name, value in headers.items() if name.lower() == HEADER.lower()), "")
    if not signature:
        raise WebhookRefused("The webhook carries no JWS-SIGNATURE.")
    JwsVerifier(provider="transactionlink", fetch_key=fetch_key).verify(body, signature)
    seen = f"webhook-seen:transactionlink:{hashlib.sha256(signature.strip().encode()).hexdigest()}"
    if not cache.add(seen, 1, SEEN_SECONDS):
        raise WebhookRefused("This webhook was already received (a replay?).")


def run_ids(body: bytes) -> list[tuple[str, str]]:
    """(workflow id, case id) pairs a verified delivery is about; unreadable bodies say nothing."""
    try:
        payload = json.loads(body)
    except ValueError:
        return []
    entries = payload if isinstance(payload, list) else [payload]
    found = []
    for entry in entries:
        if not isinstance(entry, dict):
            continue
        workflow_id = entry.get("workflowId") or entry.get("id") or ""
        case_id = entry.get("caseId") or ""
        if isinstance(workflow_id, str) and isinstance(case_id, str) and (workflow_id or case_id):
            found.append((workflow_id, case_id))
    return found
