"""The provider's ES256 signing key: one EC P-256 key per deployment, created at first use in
``MOTCUA_PKI_DIR / "dev-eid" / "signing.pem"`` (mode 0600, never in the repository) and
published at /dev-eid/jwks with its RFC 7638 thumbprint as ``kid``.

The file is created with an exclusive link, so when two processes race the first one wins and
the other adopts its key (two keys would make one process's ID tokens fail to verify). The key
is read from the file at each use: a PEM of one EC key parses in well under a millisecond.
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any, Final

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.conf import settings
from joserfc.jwk import ECKey

from motcua.core.keyfiles import write_private_file

ALGORITHM: Final = "ES256"


def key_path() -> Path:
    return Path(settings.MOTCUA_PKI_DIR) / "dev-eid" / "signing.pem"


def signing_key() -> ECKey:
    """The private signing key, with its ``kid``."""
    path = key_path()
    if not path.exists():
        with contextlib.suppress(FileExistsError):
            _create(path)
    key = ECKey.import_key(path.read_bytes())
    key.ensure_kid()  # the RFC 7638 thumbprint
    return key


def jwks() -> dict[str, Any]:
    key = signing_key()
    public = key.as_dict(private=False) | {"use": "sig", "alg": ALGORITHM}
    return {"keys": [public]}


def _create(path: Path) -> None:
    data = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    write_private_file(path, data, exclusive=True)
