"""The retention preview on the organization settings page (portal may not import envelopes,
so the page loads this tag instead)."""

from __future__ import annotations

from django import template

from envelopes.outgoing.retention import retention_preview as preview_for
from portal.models import Organization

register = template.Library()


@register.inclusion_tag("envelopes/_retention_preview.html")
def retention_preview(org: Organization) -> dict:
    has_policy = org.retention_files_days is not None or org.retention_personal_days is not None
    return {"org": org, "has_policy": has_policy, "preview": preview_for(org=org) if has_policy else None}
