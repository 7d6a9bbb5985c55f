"""This instance's transfer signing key: Ed25519, created on first use in MOTCUA_PKI_DIR (by
default DATA_DIR/pki) with mode 0600, and its public half as a JWKS for peers to fetch.

Two processes starting at once may both create a key: the file is linked into place
exclusively, so the first one wins and the other reads it (a key a peer fetched stays valid).
"""

from __future__ import annotations

import contextlib
from functools import cache
from pathlib import Path
from typing import Any

from django.conf import settings
from joserfc.jwk import OKPKey

from motcua.core.keyfiles import write_private_file

KEY_FILE = "transfer-signing.pem"
# RFC 9864's fully specified name for EdDSA over Ed25519 ("EdDSA" alone is deprecated).
ALGORITHM = "Ed25519"


def key_path() -> Path:
    return Path(settings.MOTCUA_PKI_DIR) / KEY_FILE


def signing_key() -> OKPKey:
    return _load(key_path())


@cache
def _load(path: Path) -> OKPKey:
    if not path.exists():
        key = OKPKey.generate_key("Ed25519")
        # Another process may have created it first: then theirs is the key.
        with contextlib.suppress(FileExistsError):
            write_private_file(path, key.as_pem(private=True), exclusive=True)
    return OKPKey.import_key(path.read_bytes())


def key_id() -> str:
    """The key's RFC 7638 thumbprint: changes with the key, so peers see a rotation."""
    return str(signing_key().thumbprint())


def public_jwks() -> dict[str, Any]:
    key = signing_key()
    public = dict(key.as_dict(private=False))
    public.update({"kid": key.thumbprint(), "alg": ALGORITHM, "use": "sig"})
    return {"keys": [public]}
