"""Reading provider answers defensively: every field an adapter needs is taken through these
helpers, so an answer that lacks it (or has the wrong type) becomes an `UnreadableAnswer` naming
the provider and the field, never a KeyError or TypeError deep in a background task."""

from __future__ import annotations

from typing import Any

from providers.base import UnreadableAnswer

_MISSING = object()


def required(answer: Any, key: str, *, provider: str, kind: type | tuple[type, ...] = str, where: str = "") -> Any:
    """`answer[key]`, which must be present and of `kind`."""
    place = f"{where}." if where else ""
    if not isinstance(answer, dict):
        raise UnreadableAnswer(provider, f"expected an object{' for ' + where if where else ''}, got {_kind(answer)}")
    value = answer.get(key, _MISSING)
    if value is _MISSING or value is None:
        raise UnreadableAnswer(provider, f"the field {place}{key} is missing")
    if not isinstance(value, kind):
        raise UnreadableAnswer(provider, f"the field {place}{key} is {_kind(value)}, not {_names(kind)}")
    return value


def optional(answer: Any, key: str, default: Any = None, *, provider: str, kind: type | tuple[type, ...] = str,
             where: str = "") -> Any:
    """`answer[key]` when present and not null, else `default`; a present value of the wrong type
    is still unreadable (it means the provider changed what the field holds)."""
    if not isinstance(answer, dict):
        raise UnreadableAnswer(provider, f"expected an object{' for ' + where if where else ''}, got {_kind(answer)}")
    value = answer.get(key)
    if value is None:
        return default
    if not isinstance(value, kind):
        place = f"{where}." if where else ""
        raise UnreadableAnswer(provider, f"the field {place}{key} is {_kind(value)}, not {_names(kind)}")
    return value


def items(answer: Any, *, provider: str, where: str) -> list:
    """A list answer (or list field already taken out of one)."""
    if not isinstance(answer, list):
        raise UnreadableAnswer(provider, f"expected a list for {where}, got {_kind(answer)}")
    return answer


def _kind(value: Any) -> str:
    return {dict: "an object", list: "a list", str: "text", bool: "true/false", type(None): "empty"}.get(
        type(value), "a number" if isinstance(value, int | float) else type(value).__name__
    )


def _names(kind: type | tuple[type, ...]) -> str:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    return " or ".join(_kind(k()) if k is not type(None) else "empty" for k in kinds)
