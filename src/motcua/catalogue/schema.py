"""The shape of one procedure in the catalogue, as a JSON Schema.

The same schema validates a YAML import, the admin's JSON fields and the API, so a procedure
can only be stored whole and consistent. `catalogue/data/quang_ninh.yaml` is an example.
"""

from __future__ import annotations

from typing import Any

from motcua.digitisation.doctypes import DOCUMENT_TYPE_CODES

AGENCY_KINDS = [
    "peoples_committee",
    "office",
    "department",
    "police",
    "commune_police",
    "land_registration",
    "land_registration_branch",
    "social_insurance",
    "tax",
    "ministry",
    "other",
]
REPLACED_BY = [
    "national_population",
    "civil_status",
    "social_insurance",
    "driving_licence",
    "business_registration",
    "document_store",
]
ROLES = ["counter_officer", "processing_officer", "agency_leader", "centre_manager"]

_text = {"type": "string", "minLength": 1}
_money = {"type": "integer", "minimum": 0}

PROCEDURE_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "additionalProperties": False,
    "required": [
        "code",
        "name",
        "field",
        "level",
        "agency_kind",
        "online_level",
        "time",
        "fee",
        "documents",
        "form",
        "process",
        "results",
        "legal_basis",
    ],
    "properties": {
        "code": {"type": "string", "pattern": r"^[0-9]\.[0-9]{6}$"},
        "name": _text,
        "field": {
            "type": "object",
            "additionalProperties": False,
            "required": ["code", "name"],
            "properties": {"code": _text, "name": _text},
        },
        "level": {"enum": ["commune", "province", "delegated"]},
        "agency_kind": {"enum": AGENCY_KINDS},
        # The competent agency by code, where the kind alone does not say which one (a
        # provincial department, a ministry for delegated procedures).
        "competent_agency": {"type": "string", "pattern": r"^[0-9A-Z.]{3,35}$"},
        # Which commune's agency is competent: by default the commune the applicant chooses
        # (or the receiving centre's); `commune_field` names an e-form field holding a commune
        # code instead (the commune where the land parcel lies).
        "routing": {
            "type": "object",
            "additionalProperties": False,
            "required": ["commune_field"],
            "properties": {"commune_field": {"type": "string", "pattern": r"^[a-z][a-z0-9_]*$"}},
        },
        "online_level": {"enum": ["full", "partial", "none"]},
        "borderless": {
            "type": "object",
            "additionalProperties": False,
            "required": ["decision"],
            "properties": {"decision": _text},
        },
        "min_eid_level": {"enum": [0, 1, 2]},
        # What a granted result is, as a document of the applicant's store.
        "result_type": {"enum": list(DOCUMENT_TYPE_CODES)},
        "time": {
            "oneOf": [
                {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["kind"],
                    "properties": {"kind": {"const": "same_day"}},
                },
                {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["kind", "value"],
                    "properties": {
                        "kind": {"enum": ["working_days", "working_hours"]},
                        "value": {"type": "number", "exclusiveMinimum": 0, "maximum": 3650},
                    },
                },
            ]
        },
        "fee": {
            "oneOf": [
                {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["kind"],
                    "properties": {"kind": {"const": "free"}, "note": _text},
                },
                {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["kind", "amount"],
                    "properties": {
                        "kind": {"const": "fixed"},
                        "amount": _money,
                        "online_amount": _money,
                        "exemptions": {"type": "array", "items": _text},
                        "note": _text,
                    },
                },
                {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["kind", "tiers"],
                    "properties": {
                        "kind": {"const": "per_page"},
                        "tiers": {
                            "type": "array",
                            "minItems": 1,
                            "items": {
                                "type": "object",
                                "additionalProperties": False,
                                "required": ["from_page", "amount"],
                                "properties": {
                                    "from_page": {"type": "integer", "minimum": 1},
                                    "amount": _money,
                                },
                            },
                        },
                        "cap_per_copy": _money,
                        # e-form fields holding the number of pages and of copies
                        "pages_field": {"type": "string", "pattern": r"^[a-z][a-z0-9_]*$"},
                        "copies_field": {"type": "string", "pattern": r"^[a-z][a-z0-9_]*$"},
                        "exemptions": {"type": "array", "items": _text},
                        "note": _text,
                    },
                },
                {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["kind", "note"],
                    "properties": {"kind": {"const": "set_by_province"}, "note": _text},
                },
            ]
        },
        "documents": {
            "type": "array",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["code", "name", "form", "count", "mandatory"],
                "properties": {
                    "code": {"type": "string", "pattern": r"^[a-z][a-z0-9_]*$"},
                    "name": _text,
                    "form": {"enum": ["original", "copy", "certified_copy", "show"]},
                    "count": {"type": "integer", "minimum": 1},
                    "mandatory": {"type": "boolean"},
                    "replaced_by": {"enum": REPLACED_BY},
                    # The document store's types that stand for this document: a valid one
                    # in the applicant's store is attached instead of asking for the paper.
                    "accepts": {
                        "type": "array",
                        "items": {"enum": list(DOCUMENT_TYPE_CODES)},
                        "minItems": 1,
                        "uniqueItems": True,
                    },
                    "note": _text,
                },
            },
        },
        "form": {
            "type": "object",
            "additionalProperties": False,
            "required": ["schema"],
            "properties": {"schema": {"type": "object"}, "ui": {"type": "object"}},
        },
        "process": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["code", "name", "role", "agency", "share"],
                "properties": {
                    "code": {"type": "string", "pattern": r"^[a-z][a-z0-9_]*$"},
                    "name": _text,
                    "role": {"enum": ROLES},
                    # The receiving service point's agency, the competent agency, or one
                    # named by code: a transfer to another level (commune → department).
                    "agency": {
                        "anyOf": [
                            {"enum": ["receiving", "competent"]},
                            {"type": "string", "pattern": r"^[0-9A-Z.]{3,35}$"},
                        ]
                    },
                    "share": {"type": "number", "exclusiveMinimum": 0, "maximum": 1},
                },
            },
        },
        "results": {"type": "array", "minItems": 1, "items": _text},
        "legal_basis": {"type": "array", "minItems": 1, "items": _text},
    },
}
