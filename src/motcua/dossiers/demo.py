"""The demo's signing keys: the provincial demo CA and one certificate per active agency, so that
the results the demo issues are signed and checkable (motcua.dossiers.signing)."""

from __future__ import annotations

from motcua.dossiers import signing


def load_demo() -> list[str]:
    agencies, _issued = signing.ensure_active_agencies()
    return [
        f"Demo PKI: CA + {agencies} agency certificates in {signing.pki_dir()} "
        "(keys stay on this machine)"
    ]
