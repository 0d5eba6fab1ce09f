"""Every EasyInk API path in one table, with where it came from.

EasyInk's public reference gives few of its paths; the others are inferred in the style of those
it does give. Correcting one is a one-line change here, or, without a release, the setting
EASYINK_PATHS ("name=/api/…/{id},name2=…") on the installation.
"""

from __future__ import annotations

from django.conf import settings

# name: (path, source). "reference": the EasyInk Public API text; "notes": the EasyInk contract
# notes (from EasyInk's docs site); "inferred": not public, chosen by analogy — check these first.
PATHS: dict[str, tuple[str, str]] = {
    "draft_create": ("/api/signingSessionDrafts", "notes"),
    "draft": ("/api/signingSessionDrafts/{id}", "inferred"),
    "draft_documents": ("/api/signingSessionDrafts/{id}/documents", "notes"),
    "draft_attachments": ("/api/signingSessionDrafts/{id}/attachments", "inferred"),
    "draft_participants": ("/api/signingSessionDrafts/{id}/participants", "notes"),
    "draft_fields": ("/api/signingSessionDrafts/{id}/signatureFields", "notes"),
    "order_one_by_one": ("/api/signingSessionDrafts/{id}/signingOrder/oneByOne", "notes"),
    "order_all_at_once": ("/api/signingSessionDrafts/{id}/signingOrder/allAtOnce", "notes"),
    "draft_parameters": ("/api/signingSessionDrafts/{id}/parameters", "inferred"),
    "convert": ("/api/signingSessionDrafts/{id}/readyToStart", "inferred"),
    "start": ("/api/signingSessions/{id}/started", "inferred"),
    "session": ("/api/signingSessions/{id}", "inferred"),
    "void": ("/api/signingSessions/{id}/voided", "reference"),
    "recreate": ("/api/signingSessions/{id}/recreated", "inferred"),
    "participant_contact": ("/api/signingSessions/{id}/participants/{participant}/contact", "inferred"),
    "signed_document": ("/api/signingSessions/{id}/signedDocuments/{document}", "inferred"),
    "all_in_one": ("/api/signingSessions/{id}/allInOneDocument", "inferred"),
    "search": ("/api/signingSessions", "inferred"),
    "statistics": ("/api/signingSessions/statistics", "inferred"),
}


def overrides(raw: str) -> dict[str, str]:
    """The operator's corrections from EASYINK_PATHS; ValueError, in words, for a malformed one."""
    corrected = {}
    for item in filter(None, (part.strip() for part in raw.split(","))):
        name, equals, path = item.partition("=")
        name, path = name.strip(), path.strip()
        if not equals or name not in PATHS or not path.startswith("/"):
            raise ValueError(
                f"EASYINK_PATHS: {item!r} is not name=/path with a name from {', '.join(sorted(PATHS))}."
            )
        corrected[name] = path
    return corrected


def path(name: str, **values: str) -> str:
    """The path for `name`, corrected by EASYINK_PATHS where the operator set it."""
    template = overrides(settings.EASYINK_PATHS).get(name) or PATHS[name][0]
    return template.format(**values)
