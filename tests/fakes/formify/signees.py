"""Signees of a document: their turn, reminders and contact updates, each with its cooldown.

Reference: Formify API docs, "docs" → POST /docs/{documentId}/reminder ("Reminder Rules"),
PATCH /docs/{documentId}/signature-field ("Cooldown Rules"), POST /docs ("Signing Order").
Reminders: at most 2 in any rolling 60 minutes. Contact updates: after 2, a 60-minute cooldown
from the second, then 2 more. A cooldown breach on an update is a 403 carrying `updateCooldown`
(the docs name no status for it).
"""

from __future__ import annotations

import math

from tests.fakes.formify.state import ApiError, FormifyState, new_id
from tests.fakes.formify.validation import check_contact, invalid

HOUR = 3600
PER_HOUR = 2
CONTACT_KEYS = ("fullName", "emailAddress", "phoneNumber")


def new_signee(details: dict) -> dict:
    """A signee as stored: the GET /docs/{id} fields, plus internals under keys starting with `_`."""
    return {
        "signeeId": new_id(),
        "fullName": details.get("fullName"),
        "emailAddress": details.get("emailAddress"),
        "phoneNumber": details.get("phoneNumber"),
        "signatureType": details.get("signatureType", "digital_ink"),
        "signaturePlacement": details.get("signaturePlacement", "existing"),
        "signingOrder": details.get("signingOrder", 1),
        "signatureStatus": "awaiting_signature",
        "signedAt": None,
        "reminders": {"reminderSentCount": 0, "lastReminderSentAt": None},
        "updates": {"lastUpdateAt": None},
        "_phoneNumberDeliveryMethod": details.get("phoneNumberDeliveryMethod", "sms"),
        "_signatureBox": details.get("signatureBox"),
        "_idScanBox": details.get("idScanBox"),
        "_reminderTimes": [],
        "_updateTimes": [],
        "_formerSigneeIds": [],
        "_openedAt": None,
    }


def signee_view(signee: dict, now: float) -> dict:
    view = {key: value for key, value in signee.items() if not key.startswith("_")}
    view["reminders"] = {**signee["reminders"], "reminderCooldown": reminder_cooldown(signee, now)}
    view["updates"] = {**signee["updates"], "updateCooldown": update_cooldown(signee, now)}
    return view


def find_signee(document: dict, signee_id: str) -> dict | None:
    """The signee with this current id; ids replaced by a contact update find nothing."""
    return next((signee for signee in document["signeeDetails"] if signee["signeeId"] == signee_id), None)


def has_turn(document: dict, signee: dict) -> bool:
    """With signing order, everyone with a lower signingOrder has signed; equal orders sign in parallel."""
    if not document["enableSigningOrder"]:
        return True
    return all(
        other["signatureStatus"] == "signed"
        for other in document["signeeDetails"]
        if other["signingOrder"] < signee["signingOrder"]
    )


def reminder_cooldown(signee: dict, now: float) -> int:
    recent = [moment for moment in signee["_reminderTimes"] if moment > now - HOUR]
    return _seconds(recent[-PER_HOUR] + HOUR - now) if len(recent) >= PER_HOUR else 0


def update_cooldown(signee: dict, now: float) -> int:
    times = signee["_updateTimes"]
    return _seconds(times[-1] + HOUR - now) if len(times) >= PER_HOUR else 0


def remind(state: FormifyState, document: dict, signee_ids) -> dict:
    """POST /docs/{id}/reminder on an awaiting document: who was reminded, who not and why."""
    if not isinstance(signee_ids, list) or not signee_ids or not all(isinstance(i, str) for i in signee_ids):
        raise invalid("signeeIds must list the ids of the signees to remind.")
    sent, not_sent = [], []
    for signee_id in signee_ids:
        signee = find_signee(document, signee_id)
        reason = _why_no_reminder(document, signee, state.now())
        if reason:
            cooldown = reminder_cooldown(signee, state.now()) if signee else 0
            not_sent.append({"signeeId": signee_id, "message": reason, "reminderCooldown": cooldown})
            continue
        signee["_reminderTimes"].append(state.now())
        signee["reminders"]["reminderSentCount"] += 1
        signee["reminders"]["lastReminderSentAt"] = state.iso()
        sent.append({"signeeId": signee_id, "reminderCooldown": reminder_cooldown(signee, state.now())})
    return {"remindersSentTo": sent, "remindersNotSentTo": not_sent}


def _why_no_reminder(document: dict, signee: dict | None, now: float) -> str | None:
    if signee is None:
        return "No signee with this id on the document."
    if signee["signatureStatus"] == "signed":
        return "The signee has already signed."
    if not has_turn(document, signee):
        return "The signee has not been invited yet: earlier signees in the signing order have not signed."
    cooldown = reminder_cooldown(signee, now)
    if cooldown:
        return f"Formify allows {PER_HOUR} reminders per signee per hour; next possible in {_minutes(cooldown)}."
    return None


def update_contacts(state: FormifyState, document: dict, changes) -> list[dict]:
    """PATCH /docs/{id}/signature-field: checks every change first, then gives each a new signeeId."""
    if not isinstance(changes, list) or not changes or not all(isinstance(change, dict) for change in changes):
        raise invalid("The body must be a list of {signeeId, fullName?, emailAddress?, phoneNumber?}.")
    if len({change.get("signeeId") for change in changes}) != len(changes):
        raise invalid("Each signeeId may appear once.")
    signees = [_updatable_signee(state, document, change) for change in changes]
    return [_apply_update(state, signee, change) for signee, change in zip(signees, changes, strict=True)]


def _updatable_signee(state: FormifyState, document: dict, change: dict) -> dict:
    signee = find_signee(document, change.get("signeeId"))
    if signee is None:
        raise ApiError(404, "signee_not_found", f"No signee with id {change.get('signeeId')} on the document.")
    if signee["signatureStatus"] == "signed":
        raise ApiError(403, "forbidden", "The signee has already signed; their details can no longer change.")
    cooldown = update_cooldown(signee, state.now())
    if cooldown:
        message = (
            f"A signee's details can change {PER_HOUR} times per hour; next change possible in {_minutes(cooldown)}."
        )
        raise ApiError(403, "update_cooldown", message, updateCooldown=cooldown)
    check_contact(change, "signee")
    for key in ("emailAddress", "phoneNumber"):
        if change.get(key) is not None and not signee[key]:
            raise invalid(f"The signee has no {key}; only existing contact methods can be changed.")
    return signee


def _apply_update(state: FormifyState, signee: dict, change: dict) -> dict:
    for key in CONTACT_KEYS:
        if change.get(key) is not None:
            signee[key] = change[key]
    times = signee["_updateTimes"]
    if len(times) >= PER_HOUR:
        times.clear()  # the cooldown is over: two more updates allowed
    times.append(state.now())
    signee["updates"]["lastUpdateAt"] = state.iso()
    # A new id kills the links sent to the old contact details.
    signee["_formerSigneeIds"].append(signee["signeeId"])
    signee["signeeId"] = new_id()
    return {
        "signeeId": signee["signeeId"],
        "updated": {key: signee[key] for key in CONTACT_KEYS},
        "updateCooldown": update_cooldown(signee, state.now()),
    }


def _seconds(remaining: float) -> int:
    return max(0, math.ceil(remaining))


def _minutes(seconds: int) -> str:
    minutes = math.ceil(seconds / 60)
    return f"{minutes} minute{'s' if minutes != 1 else ''}"
