"""A procedure's e-form: its JSON Schema read as form fields, and its data checked on the server
with one translated message per field (the browser's checks are a convenience, never trusted).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import jsonschema
from django.utils.translation import gettext as _

_FORMATS = jsonschema.Draft202012Validator.FORMAT_CHECKER


@dataclass(frozen=True)
class FormField:
    """One field of an e-form, as a page renders it."""

    name: str
    title: str
    kind: str  # text, integer, number, date, choice, boolean
    required: bool
    help: str = ""
    choices: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    max_length: int | None = None
    pattern: str = ""


def form_fields(form: dict[str, Any]) -> list[FormField]:
    schema = form["schema"]
    properties: dict[str, Any] = schema.get("properties", {})
    required = set(schema.get("required", []))
    ui = form.get("ui", {})
    order = [name for name in ui.get("order", []) if name in properties]
    order += [name for name in properties if name not in order]
    return [_field(name, properties[name], name in required, ui) for name in order]


def _field(name: str, prop: dict[str, Any], required: bool, ui: dict[str, Any]) -> FormField:
    kind = {"integer": "integer", "number": "number", "boolean": "boolean"}.get(
        prop.get("type", "string"), "text"
    )
    if prop.get("format") == "date":
        kind = "date"
    if "enum" in prop:
        kind = "choice"
    return FormField(
        name=name,
        title=prop.get("title", name),
        kind=kind,
        required=required,
        help=ui.get("help", {}).get(name, prop.get("description", "")),
        choices=tuple(str(choice) for choice in prop.get("enum", ())),
        minimum=prop.get("minimum"),
        maximum=prop.get("maximum"),
        max_length=prop.get("maxLength"),
        pattern=prop.get("pattern", ""),
    )


def from_strings(form: dict[str, Any], raw: dict[str, str]) -> dict[str, Any]:
    """Values typed into an HTML form → JSON values of the schema's types. A value that does not
    convert is kept as typed, so that validation names its field."""
    data: dict[str, Any] = {}
    for field in form_fields(form):
        text = (raw.get(field.name) or "").strip()
        if field.kind == "boolean":
            data[field.name] = text in {"on", "true", "1"}
            continue
        if not text:
            continue
        data[field.name] = _convert(field.kind, text)
    return data


def _convert(kind: str, text: str) -> Any:
    try:
        if kind == "integer":
            return int(text)
        if kind == "number":
            return float(text.replace(",", "."))
    except ValueError:
        return text
    return text


def problems(form: dict[str, Any], data: Any) -> dict[str, list[str]]:
    """Every problem of `data` against the e-form, by field name ("__all__" for the whole)."""
    if not isinstance(data, dict):
        return {"__all__": [_("The form data must be an object of fields.")]}
    schema = form["schema"]
    titles = {name: prop.get("title", name) for name, prop in schema.get("properties", {}).items()}
    found: dict[str, list[str]] = {}
    validator = jsonschema.Draft202012Validator(schema, format_checker=_FORMATS)
    for error in validator.iter_errors(data):
        if error.validator == "required":
            missing = [name for name in error.validator_value if name not in error.instance]
            for name in missing:
                found.setdefault(name, []).append(_("This field is required."))
            continue
        if error.validator == "additionalProperties":
            extra = sorted(set(error.instance) - set(titles))
            found.setdefault("__all__", []).append(
                _("Unknown fields: %(names)s.") % {"names": ", ".join(extra)}
            )
            continue
        name = ".".join(str(part) for part in error.absolute_path) or "__all__"
        found.setdefault(name, []).append(_message(error))
    for name, value in data.items():
        if schema.get("properties", {}).get(name, {}).get("format") == "date":
            _check_plausible_date(name, value, found)
    return found


def _check_plausible_date(name: str, value: Any, found: dict[str, list[str]]) -> None:
    try:
        day = dt.date.fromisoformat(value)
    except (TypeError, ValueError):
        return
    if day.year < 1900:
        found.setdefault(name, []).append(_("Enter a date after 1900."))


def _message(error: jsonschema.ValidationError) -> str:
    value = error.validator_value
    kind = error.validator
    if kind == "type":
        return {
            "integer": _("Enter a whole number."),
            "number": _("Enter a number."),
            "string": _("Enter text."),
            "boolean": _("Choose yes or no."),
        }.get(str(value), _("This value has the wrong type."))
    if kind == "maxLength":
        return _("At most %(n)d characters.") % {"n": value}
    if kind == "minLength":
        return _("At least %(n)d characters.") % {"n": value}
    if kind == "minimum":
        return _("At least %(n)s.") % {"n": value}
    if kind == "maximum":
        return _("At most %(n)s.") % {"n": value}
    if kind == "enum":
        return _("Choose one of: %(choices)s.") % {"choices": ", ".join(map(str, value))}
    if kind == "format" and value == "date":
        return _("Enter a date as YYYY-MM-DD.")
    if kind == "pattern":
        return _("This value is not in the expected format.")
    return _("This value is not valid.")
