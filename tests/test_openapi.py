import json
from pathlib import Path

from motcua.api import api

COMMITTED = Path(__file__).resolve().parent.parent / "openapi.json"


def test_committed_openapi_matches_the_code() -> None:
    """Regenerate with: motcua export_openapi_schema --api motcua.api.api --indent 2
    --output openapi.json"""
    generated = json.loads(json.dumps(api.get_openapi_schema(path_prefix="/api/v1/")))
    committed = json.loads(COMMITTED.read_text(encoding="utf-8"))
    assert generated == committed, "openapi.json is stale: regenerate it (see the docstring)"


def test_every_authenticated_operation_declares_its_errors() -> None:
    schema = json.loads(json.dumps(api.get_openapi_schema(path_prefix="/api/v1/")))
    error_ref = "#/components/schemas/ErrorOut"
    checked = 0
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            if not operation.get("security"):
                continue  # public operations (health)
            for status in ("401", "403", "422"):
                content = operation["responses"][status]["content"]["application/json"]
                assert content["schema"]["$ref"] == error_ref, (method, path, status)
            checked += 1
    assert checked >= 6
