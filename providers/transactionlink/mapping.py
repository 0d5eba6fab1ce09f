"""TransactionLink's statuses and results → Paraph's screening states, in tables."""

from __future__ import annotations

from dataclasses import dataclass


class RunState:
    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"


# Documented: RUNNING, COMPLETED. Inferred: AWAITING (still going), FAILED and EXPIRED (ended without
# a result). Anything else is treated as still running, so an unknown value never stops a poller;
# the caller's time limit turns a run that never ends into "needs attention".
STATUSES = {
    "RUNNING": RunState.RUNNING,
    "AWAITING": RunState.RUNNING,
    "COMPLETED": RunState.COMPLETED,
    "FAILED": RunState.FAILED,
    "EXPIRED": RunState.FAILED,
}


def run_state(status: str) -> str:
    return STATUSES.get(str(status).upper(), RunState.RUNNING)


class Decision:
    APPROVED = "approved"
    REJECTED = "rejected"
    REVIEW = "review"  # a person decides: the result asked for it, or Paraph could not read it


@dataclass(frozen=True)
class DecisionRule:
    """How to read one workflow definition's result: the field holding the decision (a dotted path)
    and which of its values mean approved and rejected; every other value means manual review.
    The result's shape depends on the workflow's configuration, so this is configuration."""

    field: str = "decision"
    approved: tuple[str, ...] = ("APPROVED", "ACCEPTED", "PASSED", "PASS", "OK")
    rejected: tuple[str, ...] = ("REJECTED", "DECLINED", "FAILED", "FAIL")
    summary_field: str = "summary"

    @classmethod
    def from_config(cls, config: dict | None) -> DecisionRule:
        config = config or {}
        default = cls()
        return cls(
            field=str(config.get("field") or default.field),
            approved=_values(config.get("approved")) or default.approved,
            rejected=_values(config.get("rejected")) or default.rejected,
            summary_field=str(config.get("summary_field") or default.summary_field),
        )


@dataclass(frozen=True)
class Verdict:
    decision: str
    summary: str  # a sentence for the sender; never the raw result


def verdict(result: dict, rule: DecisionRule) -> Verdict:
    """The decision a result carries by `rule`; an unreadable result goes to manual review."""
    value = _dig(result, rule.field)
    summary = _dig(result, rule.summary_field)
    summary = summary.strip()[:300] if isinstance(summary, str) else ""
    if not isinstance(value, str | bool) or value == "":
        return Verdict(Decision.REVIEW, f"TransactionLink's result has no readable {rule.field}; a person must decide.")
    text = str(value).upper()
    if text in {v.upper() for v in rule.approved} or value is True:
        return Verdict(Decision.APPROVED, summary)
    if text in {v.upper() for v in rule.rejected} or value is False:
        return Verdict(Decision.REJECTED, summary or "TransactionLink's screening did not pass.")
    said = f"TransactionLink's result says {str(value)[:40]}; a person must decide."
    return Verdict(Decision.REVIEW, summary or said)


def _dig(data, path: str):
    for part in path.split("."):
        if not isinstance(data, dict):
            return None
        data = data.get(part)
    return data


def _values(raw) -> tuple[str, ...]:
    if isinstance(raw, str):
        raw = raw.split(",")
    return tuple(str(v).strip() for v in raw or () if str(v).strip())
