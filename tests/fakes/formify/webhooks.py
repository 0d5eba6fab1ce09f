"""Webhook registrations and signed event deliveries.

Reference: Formify API docs, "webhooks" (POST/GET /webhooks, GET/DELETE /webhooks/{id},
POST /webhooks/{id}/rotate-secret, "Webhook Delivery Headers", "Webhook Signature Verification",
"Retry Attempts").
Each attempt is signed afresh (new timestamp, current secret) over the same body, so a retry keeps
its eventId. `deliver_pending()` stands for the next slot of Formify's retry schedule (~5 min,
30 min, 2 h, 24 h); it does not wait for the clock.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from urllib.parse import urlsplit

from tests.fakes.formify.state import ApiError, FormifyState, new_id

EVENT_TYPES = (
    "document.created",
    "document.opened",
    "document.signed",
    "document.completed",
    "document.revoked",
    "document.deleted",
)
RETRIES = 5


class Webhooks:
    def __init__(self, state: FormifyState):
        self.state = state

    # -- registrations (the API) ------------------------------------------------------------

    def register(self, body) -> dict:
        url = body.get("webhookUrl") if isinstance(body, dict) else None
        if not isinstance(url, str) or urlsplit(url).scheme not in ("http", "https"):
            raise ApiError(400, "validation_error", "webhookUrl must be an absolute http(s) URL.")
        types = body.get("eventTypes")
        if not isinstance(types, list) or not types or not set(types) <= set(EVENT_TYPES):
            raise ApiError(400, "validation_error", f"eventTypes must list some of {', '.join(EVENT_TYPES)}.")
        webhook_id = new_id()
        name = body.get("name") or ""
        webhook = {"webhookUrl": url, "name": name, "eventTypes": list(types), "signingSecret": _new_secret()}
        with self.state.lock:
            self.state.webhooks[webhook_id] = webhook
        return {"webhookId": webhook_id, "eventTypes": webhook["eventTypes"], "signingSecret": webhook["signingSecret"]}

    def listing(self) -> list[dict]:
        with self.state.lock:
            return [{"webhookId": key, **webhook} for key, webhook in self.state.webhooks.items()]

    def detail(self, webhook_id: str) -> dict:
        with self.state.lock:
            webhook = self.get(webhook_id)
            public = {key: value for key, value in webhook.items() if key != "signingSecret"}
            return {"webhookId": webhook_id, **public, "hasSigningSecret": True}

    def delete(self, webhook_id: str) -> None:
        with self.state.lock:
            self.get(webhook_id)
            del self.state.webhooks[webhook_id]

    def rotate_secret(self, webhook_id: str) -> dict:
        with self.state.lock:
            webhook = self.get(webhook_id)
            webhook["signingSecret"] = _new_secret()
            return {"webhookId": webhook_id, "signingSecret": webhook["signingSecret"]}

    def get(self, webhook_id: str) -> dict:
        webhook = self.state.webhooks.get(webhook_id)
        if webhook is None:
            raise ApiError(404, "webhook_not_found", f"No webhook with id {webhook_id}.")
        return webhook

    # -- deliveries ---------------------------------------------------------------------------

    def queue(self, event_type: str, document: dict, signee_id: str | None = None) -> list[dict]:
        """Records one event for every webhook subscribed to it; `send` them once the lock is released."""
        data = {"documentId": document["documentId"], "accountId": self.state.account["accountId"]}
        data["userId"] = document["userId"]
        if signee_id is not None:
            data["signeeId"] = signee_id
        event = {"eventId": new_id(), "type": event_type, "date": self.state.event_date(), "data": data}
        body = json.dumps({"event": event}).encode()
        queued = []
        with self.state.lock:
            for webhook_id, webhook in self.state.webhooks.items():
                if event_type in webhook["eventTypes"]:
                    queued.append(
                        {
                            "webhook_id": webhook_id,
                            "event": event,
                            "body": body,
                            "headers": {},  # those of the latest attempt
                            "attempts": 0,
                            "status": None,
                            "delivered": False,
                        }
                    )
            self.state.deliveries.extend(queued)
        return queued

    def send(self, deliveries: list[dict]) -> None:
        for delivery in deliveries:
            self._attempt(delivery)

    def deliver_pending(self) -> int:
        """One more attempt for every delivery not yet answered 2xx that has retries left."""
        with self.state.lock:
            pending = [
                delivery
                for delivery in self.state.deliveries
                if not delivery["delivered"]
                and delivery["attempts"] <= RETRIES
                and delivery["webhook_id"] in self.state.webhooks
            ]
        self.send(pending)
        return len(pending)

    def replay(self, index: int) -> int | None:
        """Sends a past delivery again byte for byte (same timestamp and signature): a duplicate."""
        delivery = self.state.deliveries[index]
        with self.state.lock:
            url = self.get(delivery["webhook_id"])["webhookUrl"]
        return self._post(url, delivery["body"], dict(delivery["headers"]))

    def forge(self, webhook_id: str, event: dict, *, secret: str | None, timestamp: int | None) -> int | None:
        """Sends `event` as an impostor would: signed with a wrong secret (default), or with the real
        secret but the given (stale) timestamp, or with the given secret."""
        with self.state.lock:
            webhook = self.get(webhook_id)
            real_secret, url = webhook["signingSecret"], webhook["webhookUrl"]
        if secret is None:
            secret = real_secret if timestamp is not None else _new_secret()
        body = json.dumps(event if set(event) == {"event"} else {"event": event}).encode()
        moment = int(self.state.now()) if timestamp is None else int(timestamp)
        return self._post(url, body, signed_headers(secret, body, moment))

    def _attempt(self, delivery: dict) -> None:
        with self.state.lock:
            webhook = self.state.webhooks.get(delivery["webhook_id"])
            if webhook is None:
                return  # deleted since: Formify stops sending
            headers = signed_headers(webhook["signingSecret"], delivery["body"], int(self.state.now()))
            url = webhook["webhookUrl"]
        status = self._post(url, delivery["body"], headers)
        with self.state.lock:
            delivery.update(headers=headers, status=status, delivered=status is not None and 200 <= status < 300)
            delivery["attempts"] += 1

    def _post(self, url: str, body: bytes, headers: dict) -> int | None:
        return self.state.post_webhook(url, body, headers)


def signed_headers(secret: str, body: bytes, timestamp: int) -> dict:
    signed = f"{timestamp}.".encode() + body
    signature = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return {"Content-Type": "application/json", "X-Formify-Timestamp": str(timestamp), "X-Formify-Signature": signature}


def _new_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)
