"""A small wallet over HTTP, as a phone app would be: it takes a credential offer, checks the
issuer's signed metadata against a trust anchor, redeems the pre-authorized code with the
transaction code, proves possession of its own ES256 key, receives the SD-JWT VC, and builds
presentations (chosen disclosures, optional key binding JWT).

It works against any base URL through an `httpx.Client`: a live server
(`httpx.Client()` and the server's PUBLIC_URL) or Django in-process
(`httpx.Client(transport=httpx.WSGITransport(app=...))`). It shares no code with the issuer:
it only knows the protocols, so that a bug of the issuer's is not mirrored here."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)

PRE_AUTHORIZED_GRANT = "urn:ietf:params:oauth:grant-type:pre-authorized_code"
OFFER_SCHEME = "openid-credential-offer://"


class WalletError(Exception):
    """The issuer refused a step, or answered something the wallet does not trust."""

    def __init__(self, step: str, status: int, body: Any) -> None:
        self.step, self.status, self.body = step, status, body
        error = body.get("error") if isinstance(body, dict) else body
        super().__init__(f"{step}: HTTP {status} {error}")

    @property
    def error(self) -> str | None:
        return self.body.get("error") if isinstance(self.body, dict) else None


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def jwt_parts(token: str) -> tuple[dict[str, Any], dict[str, Any], bytes, bytes]:
    """(header, payload, signing input, raw r||s signature) of a compact JWS."""
    header, payload, signature = token.split(".")
    return (
        json.loads(b64url_decode(header)),
        json.loads(b64url_decode(payload)),
        f"{header}.{payload}".encode("ascii"),
        b64url_decode(signature),
    )


def es256_sign(key: ec.EllipticCurvePrivateKey, data: bytes) -> bytes:
    r, s = decode_dss_signature(key.sign(data, ec.ECDSA(hashes.SHA256())))
    return r.to_bytes(32, "big") + s.to_bytes(32, "big")


def es256_verify(key: ec.EllipticCurvePublicKey, data: bytes, signature: bytes) -> bool:
    if len(signature) != 64:
        return False
    der = encode_dss_signature(
        int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
    )
    try:
        key.verify(der, data, ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        return False
    return True


def sign_jwt(
    key: ec.EllipticCurvePrivateKey, header: dict[str, Any], payload: dict[str, Any]
) -> str:
    signing_input = b64url(json.dumps(header).encode()) + "." + b64url(json.dumps(payload).encode())
    return signing_input + "." + b64url(es256_sign(key, signing_input.encode("ascii")))


def public_jwk(key: ec.EllipticCurvePrivateKey) -> dict[str, str]:
    numbers = key.public_key().public_numbers()
    return {
        "kty": "EC",
        "crv": "P-256",
        "x": b64url(numbers.x.to_bytes(32, "big")),
        "y": b64url(numbers.y.to_bytes(32, "big")),
    }


def verify_x5c_jws(
    token: str, trust_anchor: x509.Certificate
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Check a JWS whose header's x5c leaf is issued by `trust_anchor`; (header, payload)."""
    header, payload, signing_input, signature = jwt_parts(token)
    leaf = x509.load_der_x509_certificate(base64.b64decode(header["x5c"][0]))
    try:
        leaf.verify_directly_issued_by(trust_anchor)
    except (ValueError, TypeError, InvalidSignature) as untrusted:
        raise WalletError("trust", 0, "x5c does not chain to the trust anchor") from untrusted
    public = leaf.public_key()
    if not isinstance(public, ec.EllipticCurvePublicKey) or not es256_verify(
        public, signing_input, signature
    ):
        raise WalletError("trust", 0, "signature does not verify")
    return header, payload


@dataclass
class Disclosure:
    encoded: str
    salt: str
    name: str
    value: Any

    @property
    def digest(self) -> str:
        return b64url(hashlib.sha256(self.encoded.encode("ascii")).digest())


@dataclass
class HeldCredential:
    """A credential in the wallet: the SD-JWT as issued and the key it is bound to."""

    sd_jwt: str
    key: ec.EllipticCurvePrivateKey
    notification_id: str | None = None
    issuer_jwt: str = field(init=False)
    disclosures: list[Disclosure] = field(init=False)

    def __post_init__(self) -> None:
        self.issuer_jwt, *rest = self.sd_jwt.split("~")
        self.disclosures = []
        for encoded in rest:
            if encoded:
                salt, name, value = json.loads(b64url_decode(encoded))
                self.disclosures.append(Disclosure(encoded, salt, name, value))

    @property
    def header(self) -> dict[str, Any]:
        return jwt_parts(self.issuer_jwt)[0]

    @property
    def payload(self) -> dict[str, Any]:
        return jwt_parts(self.issuer_jwt)[1]

    def claims(self) -> dict[str, Any]:
        """Every claim with all disclosures applied (what the holder sees)."""
        by_digest = {d.digest: d for d in self.disclosures}

        def resolve(node: Any) -> Any:
            if not isinstance(node, dict):
                return node
            out = {k: resolve(v) for k, v in node.items() if k not in ("_sd", "_sd_alg")}
            for digest in node.get("_sd", []):
                if digest in by_digest:
                    found = by_digest[digest]
                    out[found.name] = resolve(found.value)
            return out

        return resolve(self.payload)

    def present(
        self,
        disclose: Iterable[str] = (),
        *,
        aud: str | None = None,
        nonce: str | None = None,
        iat: int | None = None,
    ) -> str:
        """A presentation with the named disclosures ("holder_name", "details.muc_dich" —
        a nested one brings its parent's); with `aud` and `nonce`, a key binding JWT."""
        wanted = set()
        for path in disclose:
            parts = path.split(".")
            wanted.update(".".join(parts[: i + 1]) for i in range(len(parts)))
        chosen = [d.encoded for path, d in self._walk(self.payload, "") if path in wanted]
        presentation = "~".join([self.issuer_jwt, *chosen]) + "~"
        if aud is None or nonce is None:
            return presentation
        kb = sign_jwt(
            self.key,
            {"alg": "ES256", "typ": "kb+jwt"},
            {
                "iat": iat if iat is not None else int(time.time()),
                "aud": aud,
                "nonce": nonce,
                "sd_hash": b64url(hashlib.sha256(presentation.encode("ascii")).digest()),
            },
        )
        return presentation + kb

    def _walk(self, node: Any, prefix: str) -> list[tuple[str, Disclosure]]:
        """(dotted path, disclosure) of every disclosure reachable from `node`."""
        by_digest = {d.digest: d for d in self.disclosures}
        found: list[tuple[str, Disclosure]] = []
        if isinstance(node, dict):
            for digest in node.get("_sd", []):
                disclosure = by_digest.get(digest)
                if disclosure is not None:
                    path = f"{prefix}{disclosure.name}"
                    found.append((path, disclosure))
                    found.extend(self._walk(disclosure.value, path + "."))
        return found


@dataclass
class Wallet:
    http: httpx.Client
    trust_anchor: x509.Certificate
    key: ec.EllipticCurvePrivateKey = field(
        default_factory=lambda: ec.generate_private_key(ec.SECP256R1())
    )
    metadata: dict[str, Any] = field(default_factory=dict)

    # --- the steps, each usable alone to try a bad input -------------------------------------

    @staticmethod
    def parse_offer(offer: str | dict[str, Any]) -> dict[str, Any]:
        """The offer of a deep link (or the offer JSON itself)."""
        if isinstance(offer, dict):
            return offer
        query = parse_qs(urlsplit(offer).query)
        return json.loads(query["credential_offer"][0])

    def fetch_metadata(self, issuer: str) -> dict[str, Any]:
        """The issuer metadata, trusted only when the signed form verifies against the trust
        anchor and says the same as the plain JSON."""
        parts = urlsplit(issuer)
        url = f"{parts.scheme}://{parts.netloc}/.well-known/openid-credential-issuer{parts.path}"
        plain = self._json("metadata", self.http.get(url))
        signed = self.http.get(url, headers={"Accept": "application/jwt"})
        if signed.status_code != 200 or not signed.headers["content-type"].startswith(
            "application/jwt"
        ):
            raise WalletError("signed metadata", signed.status_code, signed.text)
        header, claims = verify_x5c_jws(signed.text, self.trust_anchor)
        if header.get("typ") != "openidvci-issuer-metadata+jwt" or claims.get("sub") != issuer:
            raise WalletError("signed metadata", 0, "wrong typ or sub")
        if plain["credential_issuer"] != issuer or any(
            claims.get(name) != value for name, value in plain.items()
        ):
            raise WalletError("signed metadata", 0, "signed and plain metadata differ")
        self.metadata = plain
        return plain

    def token(self, offer: dict[str, Any], tx_code: str | None) -> str:
        grant = offer["grants"][PRE_AUTHORIZED_GRANT]
        as_url = self._as_metadata_url(
            self.metadata.get("authorization_servers", [offer["credential_issuer"]])[0]
        )
        token_endpoint = self._json("as metadata", self.http.get(as_url))["token_endpoint"]
        form = {
            "grant_type": PRE_AUTHORIZED_GRANT,
            "pre-authorized_code": grant["pre-authorized_code"],
        }
        if tx_code is not None:
            form["tx_code"] = tx_code
        return str(self._json("token", self.http.post(token_endpoint, data=form))["access_token"])

    def nonce(self) -> str:
        return str(self._json("nonce", self.http.post(self.metadata["nonce_endpoint"]))["c_nonce"])

    def proof(
        self,
        nonce: str | None,
        *,
        aud: str | None = None,
        typ: str = "openid4vci-proof+jwt",
        iat: int | None = None,
        key: ec.EllipticCurvePrivateKey | None = None,
    ) -> str:
        """A key proof JWT of this wallet's key (others are for trying bad proofs)."""
        payload: dict[str, Any] = {
            "aud": aud if aud is not None else self.metadata["credential_issuer"],
            "iat": iat if iat is not None else int(time.time()),
        }
        if nonce is not None:
            payload["nonce"] = nonce
        return sign_jwt(
            key or self.key, {"alg": "ES256", "typ": typ, "jwk": public_jwk(self.key)}, payload
        )

    def request_credential(
        self, access_token: str, configuration_id: str, proof: str
    ) -> httpx.Response:
        return self.http.post(
            self.metadata["credential_endpoint"],
            json={"credential_configuration_id": configuration_id, "proofs": {"jwt": [proof]}},
            headers={"Authorization": f"Bearer {access_token}"},
        )

    def notify(
        self, access_token: str, notification_id: str, event: str = "credential_accepted"
    ) -> httpx.Response:
        return self.http.post(
            self.metadata["notification_endpoint"],
            json={"notification_id": notification_id, "event": event},
            headers={"Authorization": f"Bearer {access_token}"},
        )

    # --- the whole flow ------------------------------------------------------------------------

    def receive(self, offer: str | dict[str, Any], tx_code: str) -> HeldCredential:
        """Take an offer to a credential in the wallet, as a user tapping "accept" would."""
        parsed = self.parse_offer(offer)
        self.fetch_metadata(parsed["credential_issuer"])
        access_token = self.token(parsed, tx_code)
        configuration_id = parsed["credential_configuration_ids"][0]
        response = self.request_credential(access_token, configuration_id, self.proof(self.nonce()))
        body = self._json("credential", response)
        held = HeldCredential(
            body["credentials"][0]["credential"], self.key, body.get("notification_id")
        )
        if held.notification_id:
            accepted = self.notify(access_token, held.notification_id)
            if accepted.status_code != 204:
                raise WalletError("notification", accepted.status_code, accepted.text)
        return held

    # --- plumbing --------------------------------------------------------------------------

    @staticmethod
    def _as_metadata_url(issuer: str) -> str:
        parts = urlsplit(issuer)
        return f"{parts.scheme}://{parts.netloc}/.well-known/oauth-authorization-server{parts.path}"

    @staticmethod
    def _json(step: str, response: httpx.Response) -> dict[str, Any]:
        try:
            body = response.json()
        except ValueError:
            body = response.text
        if response.status_code != 200 or not isinstance(body, dict):
            raise WalletError(step, response.status_code, body)
        return body


def new_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def random_nonce() -> str:
    return secrets.token_urlsafe(16)
