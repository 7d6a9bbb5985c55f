"""Template helpers."""

from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


@register.filter
def pairs(mapping: Any) -> list[tuple[Any, Any]]:
    """A dict's (key, value) pairs. `mapping.items` in a template reads a key named "items"
    when there is one (audit values can have it), so templates iterate `mapping|pairs`."""
    return list(mapping.items()) if isinstance(mapping, dict) else []
