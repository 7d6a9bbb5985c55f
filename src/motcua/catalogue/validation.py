"""Check a procedure document whole before anything is stored."""

from __future__ import annotations

import math
from typing import Any

import jsonschema
from django.utils.translation import gettext as _

from motcua.catalogue.schema import PROCEDURE_SCHEMA

_VALIDATOR = jsonschema.Draft202012Validator(PROCEDURE_SCHEMA)


def problems_of(document: Any) -> list[str]:
    """Every problem of one procedure document, as translated messages with their place."""
    if not isinstance(document, dict):
        return [_("a procedure must be a mapping of fields")]
    found = [
        f"{'/'.join(str(p) for p in error.absolute_path) or '(root)'}: {error.message}"
        for error in sorted(_VALIDATOR.iter_errors(document), key=lambda e: list(e.path))
    ]
    if found:
        return found
    try:
        jsonschema.Draft202012Validator.check_schema(document["form"]["schema"])
    except jsonschema.SchemaError as error:
        found.append(_("form/schema is not a valid JSON Schema: %(m)s") % {"m": error.message})
    shares = sum(step["share"] for step in document["process"])
    if not math.isclose(shares, 1.0, abs_tol=1e-9):
        found.append(
            _("process: the shares of the steps add up to %(s)s, not 1") % {"s": round(shares, 4)}
        )
    properties = document["form"]["schema"].get("properties", {})
    named = [document.get("routing", {}).get("commune_field")]
    named += [document["fee"].get("pages_field"), document["fee"].get("copies_field")]
    for name in filter(None, named):
        if name not in properties:
            found.append(_("%(field)s is named but is not a field of the form") % {"field": name})
    codes = [doc["code"] for doc in document["documents"]]
    if len(codes) != len(set(codes)):
        found.append(_("documents: two documents have the same code"))
    return found
