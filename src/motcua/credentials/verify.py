"""Checking a credential anyone shows us: an SD-JWT VC (or a presentation of one), the compact
seal printed on a result, or the verification address of one of our results.

The checks run in a fixed order and the first failure decides the verdict:

1. the text parses (else **malformed**);
2. the signature chains to a trusted CA and its issuer is trusted (else **unknown_issuer**),
   and it matches the signed bytes, by a key certified for the authority the credential names
   (else **forged**);
3. every disclosure's digest is in the signed ``_sd`` arrays, once (else **forged**: a
   disclosed claim was changed), and a key-binding JWT, when present, is signed by the holder
   key of ``cnf`` over this very presentation (``sd_hash``);
4. the dates: past ``exp`` is **expired**; an ``iat``/``nbf`` in the future is **forged**: our
   issuer signs with nbf = iat = the moment of signing, so a trusted signature dated later
   than now was not made by the issuing process (a stolen key, or a signer with a clock far
   ahead), and a credential that is not in force yet must not show as anything but red;
5. the status list entry: **revoked**, **suspended**, or **unknown_status** when the list
   cannot be fetched or checked (the signature is then still shown as good: the reason says
   what could not be checked).

A key-binding JWT's ``aud`` and ``nonce`` prove freshness only to a verifier that chose them;
a public page chose none, so it reports the audience and leaves replay protection to the
relying party that asked for the presentation.

Status lists of this deployment are read directly (``statuslist.token_for``); others are
fetched over HTTP(S) (5 s timeout) and kept in the cache for their ``ttl``. Either way the token
is verified like any other: its signature must chain to a trusted CA, by the credential's own
issuing authority. Nothing of what is checked is stored or logged.
"""

from __future__ import annotations

import binascii
import hashlib
import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Final
from urllib.parse import urlsplit

import httpx
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from django.conf import settings
from django.core.cache import cache
from django.urls import Resolver404, resolve
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from motcua.core.b64url import b64url, b64url_decode
from motcua.core.errors import MotcuaError, NotFound
from motcua.credentials import issuance, keys, seal, statuslist, trust
from motcua.credentials.models import IssuedCredential
from motcua.credentials.trust import FORGED, MALFORMED, UNKNOWN_ISSUER, Rejected
from motcua.dossiers import results
from motcua.workcalendar.engine import VN_TZ

VALID: Final = "valid"
REVOKED: Final = "revoked"
SUSPENDED: Final = "suspended"
EXPIRED: Final = "expired"
UNKNOWN_STATUS: Final = "unknown_status"
STATES: Final = (
    VALID,
    REVOKED,
    SUSPENDED,
    EXPIRED,
    FORGED,
    UNKNOWN_ISSUER,
    MALFORMED,
    UNKNOWN_STATUS,
)

SD_JWT_TYPES: Final = ("dc+sd-jwt", "vc+sd-jwt")  # the second: its name until November 2024
KB_JWT_TYPE: Final = "kb+jwt"
# The longest text accepted: a credential with a few dozen disclosures is about 10,000.
MAX_LENGTH: Final = 32_000
# Clocks of issuers and holders may run a little ahead of ours.
CLOCK_SKEW: Final = timedelta(minutes=5)
STATUS_FETCH_TIMEOUT: Final = 5.0
# A foreign list stays cached for its ttl, but never longer than this.
STATUS_CACHE_MAX: Final = 3600
NOT_A_CREDENTIAL: Final = gettext_noop("This is not a credential (SD-JWT) nor a result's seal.")
_B64URL: Final = re.compile(r"[A-Za-z0-9_-]*")
_STATUS_STATES: Final = {
    statuslist.VALID: VALID,
    statuslist.INVALID: REVOKED,
    statuslist.SUSPENDED: SUSPENDED,
}


@dataclass(frozen=True, slots=True, kw_only=True)
class Verdict:
    """What a verifier tells whoever checks: the state, why, and the fewest facts that let
    them match the credential with the paper or the person in front of them."""

    state: str
    reason: str
    kind: str = ""  # "sd-jwt" | "seal" | "result"
    document_type: str = ""
    document_number: str = ""
    title: str = ""
    issuing_authority: str = ""
    issued_on: str = ""  # YYYY-MM-DD
    holder_name: str = ""  # when disclosed
    holder_id_number: str = ""  # when disclosed, all but the last 3 digits masked
    disclosed: tuple[str, ...] = ()  # the names of the disclosed claims
    key_bound: bool = False  # a key-binding JWT by the holder's key was checked
    audience: str = ""  # that JWT's aud: whom the holder presented to
    expires_at: datetime | None = None

    @property
    def valid(self) -> bool:
        return self.state == VALID

    @property
    def has_facts(self) -> bool:
        """Facts are shown only once the signature is known good."""
        return self.state in (VALID, REVOKED, SUSPENDED, EXPIRED, UNKNOWN_STATUS)


@dataclass(slots=True)
class _Facts:
    """A verdict's facts, gathered while checking, before the state is known."""

    kind: str
    document_type: str = ""
    document_number: str = ""
    title: str = ""
    issuing_authority: str = ""
    issued_on: str = ""
    holder_name: str = ""
    holder_id_number: str = ""
    disclosed: tuple[str, ...] = ()
    key_bound: bool = False
    audience: str = ""
    expires_at: datetime | None = None

    def verdict(self, state: str, reason: str) -> Verdict:
        return Verdict(
            state=state,
            reason=reason,
            kind=self.kind,
            document_type=self.document_type,
            document_number=self.document_number,
            title=self.title,
            issuing_authority=self.issuing_authority,
            issued_on=self.issued_on,
            holder_name=self.holder_name,
            holder_id_number=self.holder_id_number,
            disclosed=self.disclosed,
            key_bound=self.key_bound,
            audience=self.audience,
            expires_at=self.expires_at,
        )


def verify(text: str) -> Verdict:
    """The verdict on ``text``; never raises for any input."""
    text = text.strip()
    try:
        if not text:
            raise Rejected(MALFORMED, _("There is nothing to check."))
        if len(text) > MAX_LENGTH:
            raise Rejected(MALFORMED, _("The text is too long to be a credential."))
        if seal.looks_like_seal(text):
            return _verify_seal(text)
        if text.startswith(("http://", "https://")):
            return _verify_result_address(text)
        return _verify_sd_jwt(text)
    except Rejected as rejected:
        return Verdict(state=rejected.state, reason=rejected.reason)
    except RecursionError:
        return Verdict(state=MALFORMED, reason=_(NOT_A_CREDENTIAL))


def mask_id_number(number: str) -> str:
    """All but the last three characters hidden: enough to match a card, not to copy it."""
    return "•" * max(len(number) - 3, 0) + number[-3:]


# --- SD-JWT VC ------------------------------------------------------------------------------


def _verify_sd_jwt(text: str) -> Verdict:
    text = "".join(text.split())  # a pasted credential may have been wrapped over lines
    if "~" not in text or not text.isascii():
        raise Rejected(MALFORMED, _(NOT_A_CREDENTIAL))
    issuer_jwt, *disclosures, kb_jwt = text.split("~")
    header, payload, signing_input, signature = _parse_jws(issuer_jwt)
    if header.get("typ") not in SD_JWT_TYPES:
        raise Rejected(MALFORMED, _(NOT_A_CREDENTIAL))
    iat = _timestamp(payload.get("iat"))
    key = _signing_key(header, iat)
    _check_signature(key.public_key, signing_input, signature)
    if not trust.is_trusted_issuer(payload.get("iss")):
        raise Rejected(UNKNOWN_ISSUER, _("The credential's issuer is not trusted here."))
    authority = payload.get("issuing_authority")
    if not isinstance(authority, dict) or authority.get("code") != key.agency_code:
        raise Rejected(
            FORGED, _("The credential was not signed by the authority it names as its issuer.")
        )
    claims, disclosed = _disclose(payload, disclosures)
    facts = _sd_jwt_facts(claims, disclosed, key)
    if kb_jwt:
        facts.audience = _check_key_binding(kb_jwt, claims, text[: text.rindex("~") + 1])
        facts.key_bound = True
    nbf = _timestamp(payload["nbf"]) if "nbf" in payload else iat
    exp = _timestamp(payload["exp"]) if "exp" in payload else None
    facts.expires_at = exp
    _check_dates(iat, nbf)
    if exp is not None and exp < timezone.now():
        return _expired(facts, exp)
    status = claims.get("status")
    entry = status.get("status_list") if isinstance(status, dict) else None
    if not isinstance(entry, dict):
        return _in_force(facts)
    return _with_status(facts, entry.get("uri"), entry.get("idx"), key.agency_code)


def _signing_key(header: dict[str, Any], iat: datetime) -> trust.TrustedKey:
    """The key of the certificate in ``x5c``, once it chains to a trusted CA. A JWS without
    ``x5c`` is not looked up by ``kid``: every issuer we trust sends its certificate."""
    if header.get("alg") != keys.ALG:
        raise Rejected(MALFORMED, _("The credential is signed in a way this page does not know."))
    return trust.check_chain(header.get("x5c"), iat)


def _disclose(
    payload: dict[str, Any], disclosures: list[str]
) -> tuple[dict[str, Any], tuple[str, ...]]:
    """The claims with every disclosure put in its place (RFC 9901 §7.1), and the names of the
    disclosed claims (a member of an object as "object.member")."""
    if payload.get("_sd_alg", "sha-256") != "sha-256":
        raise Rejected(MALFORMED, _("The credential uses a digest this page does not know."))
    by_digest: dict[str, list[Any]] = {}
    for disclosure in disclosures:
        digest = b64url(hashlib.sha256(disclosure.encode("ascii")).digest())
        value = _json(_b64url_decode(disclosure)) if disclosure else None
        if (
            digest in by_digest
            or not isinstance(value, list)
            or len(value) not in (2, 3)
            or not isinstance(value[0], str)
        ):
            raise Rejected(MALFORMED, _("One of the disclosed claims cannot be read."))
        by_digest[digest] = value
    walk = _Disclosure(by_digest)
    claims = walk.object(payload, prefix="")
    claims.pop("_sd_alg", None)
    if walk.used != set(by_digest):
        # A disclosure whose digest the issuer did not sign: its salt, name or value changed.
        raise Rejected(FORGED, _("A disclosed claim was changed."))
    return claims, tuple(walk.names)


class _Disclosure:
    """Walks the signed claims, replacing the digests of given disclosures by their claims."""

    def __init__(self, by_digest: dict[str, list[Any]]) -> None:
        self.by_digest = by_digest
        self.used: set[str] = set()
        self.names: list[str] = []

    def value(self, value: Any, prefix: str) -> Any:
        if isinstance(value, dict):
            return self.object(value, prefix)
        if isinstance(value, list):
            return self.array(value, prefix)
        return value

    def object(self, signed: dict[str, Any], prefix: str) -> dict[str, Any]:
        digests = signed.get("_sd", [])
        if not isinstance(digests, list):
            raise Rejected(MALFORMED, _(NOT_A_CREDENTIAL))
        claims = {
            name: self.value(value, f"{prefix}{name}.")
            for name, value in signed.items()
            if name != "_sd"
        }
        for digest in digests:
            disclosure = self._take(digest)
            if disclosure is None:
                continue
            if len(disclosure) != 3 or not isinstance(disclosure[1], str):
                raise Rejected(FORGED, _("A disclosed claim was changed."))
            _salt, name, value = disclosure
            if name in ("_sd", "...") or name in claims:
                raise Rejected(FORGED, _("A disclosed claim was changed."))
            self.names.append(prefix + name)  # before its own members
            claims[name] = self.value(value, f"{prefix}{name}.")
        return claims

    def array(self, signed: list[Any], prefix: str) -> list[Any]:
        elements = []
        for element in signed:
            if isinstance(element, dict) and set(element) == {"..."}:
                disclosure = self._take(element["..."])
                if disclosure is None:
                    continue
                if len(disclosure) != 2:
                    raise Rejected(FORGED, _("A disclosed claim was changed."))
                elements.append(self.value(disclosure[1], prefix))
                self.names.append(prefix.rstrip(".") + "[]")
            else:
                elements.append(self.value(element, prefix))
        return elements

    def _take(self, digest: Any) -> list[Any] | None:
        if not isinstance(digest, str) or digest not in self.by_digest:
            return None  # undisclosed, or a decoy
        if digest in self.used:
            raise Rejected(FORGED, _("A disclosed claim was changed."))
        self.used.add(digest)
        return self.by_digest[digest]


def _check_key_binding(kb_jwt: str, claims: dict[str, Any], presented: str) -> str:
    """Check the holder's key-binding JWT over ``presented`` (the SD-JWT and its disclosures);
    its audience. Raises Rejected("forged") when it does not hold."""
    header, payload, signing_input, signature = _parse_jws(kb_jwt)
    if header.get("typ") != KB_JWT_TYPE or header.get("alg") != keys.ALG:
        raise Rejected(MALFORMED, _("The holder's signature on the presentation cannot be read."))
    cnf = claims.get("cnf")
    holder_key = _ec_key(cnf.get("jwk") if isinstance(cnf, dict) else None)
    if holder_key is None:
        raise Rejected(FORGED, _("The presentation is not signed by the credential's holder."))
    _check_signature(
        holder_key,
        signing_input,
        signature,
        reason=_("The holder's signature on the presentation does not match."),
    )
    expected = b64url(hashlib.sha256(presented.encode("ascii")).digest())
    if payload.get("sd_hash") != expected:
        raise Rejected(FORGED, _("The presentation was changed after the holder signed it."))
    if _timestamp(payload.get("iat")) > timezone.now() + CLOCK_SKEW:
        raise Rejected(FORGED, _("The holder's signature is dated in the future."))
    audience = payload.get("aud")
    return audience if isinstance(audience, str) else ""


def _sd_jwt_facts(
    claims: dict[str, Any], disclosed: tuple[str, ...], key: trust.TrustedKey
) -> _Facts:
    authority = claims.get("issuing_authority")
    vct = claims.get("vct")
    holder_id = claims.get("holder_id_number")
    return _Facts(
        kind="sd-jwt",
        document_type=_type_name(vct.rsplit("/types/", 1)[-1] if isinstance(vct, str) else ""),
        document_number=_text(claims.get("document_number")),
        title=_text(claims.get("title")),
        issuing_authority=_text(authority.get("name") if isinstance(authority, dict) else "")
        or key.agency_name,
        issued_on=_text(claims.get("issued_on")),
        holder_name=_text(claims.get("holder_name")),
        holder_id_number=mask_id_number(holder_id) if isinstance(holder_id, str) else "",
        disclosed=disclosed,
    )


# --- The compact seal -----------------------------------------------------------------------


def _verify_seal(text: str) -> Verdict:
    claims = seal.read_seal(text)
    facts = _Facts(
        kind="seal",
        document_type=_type_name(claims.type),
        document_number=claims.number,
        issuing_authority=claims.key.agency_name,
        issued_on=claims.issued_on,
        holder_name=claims.holder_name,
        disclosed=("document_type", "document_number", "holder_name", "issued_on"),
        expires_at=claims.expires_at,
    )
    _check_dates(claims.issued_at, claims.issued_at)
    if claims.expires_at < timezone.now():
        return _expired(facts, claims.expires_at)
    return _with_status(facts, claims.status_uri, claims.status_index, claims.agency_code)


# --- A result's verification address --------------------------------------------------------


def _verify_result_address(text: str) -> Verdict:
    """A result's QR code of this deployment: the verdict of its credential, from our records."""
    not_ours = Rejected(
        MALFORMED, _("This address is not the verification address of a result of this site.")
    )
    if not text.startswith(settings.PUBLIC_URL + "/"):
        raise not_ours
    try:
        match = resolve(urlsplit(text.removeprefix(settings.PUBLIC_URL)).path)
    except Resolver404:
        raise not_ours from None
    if match.view_name != "dossiers:verify_result":
        raise not_ours
    try:
        result = results.verified_result(match.kwargs["secret"])
    except NotFound:
        raise Rejected(MALFORMED, _("No result has this verification address.")) from None
    credential = (
        IssuedCredential.objects.select_related("result__agency").filter(result=result).first()
    )
    if credential is None:
        raise Rejected(
            MALFORMED,
            _("This result has no credential: open its address to check its signed document."),
        )
    facts = _Facts(
        kind="result",
        document_type=_type_name(credential.vct.rsplit("/types/", 1)[-1]),
        document_number=result.number,
        title=result.title,
        issuing_authority=result.agency.name,
        issued_on=result.approved_at.astimezone(VN_TZ).date().isoformat(),
        holder_name=credential.holder_name,
        disclosed=("document_type", "document_number", "title", "holder_name", "issued_on"),
        expires_at=credential.expires_at,
    )
    if credential.expires_at < timezone.now():
        return _expired(facts, credential.expires_at)
    if credential.status == IssuedCredential.Status.VALID:
        return _in_force(facts)
    return _not_in_force(facts, credential.status)


# --- Dates and status -----------------------------------------------------------------------


def _check_dates(iat: datetime, nbf: datetime) -> None:
    if max(iat, nbf) > timezone.now() + CLOCK_SKEW:
        raise Rejected(FORGED, _("The credential is dated in the future: it was not issued so."))


def _expired(facts: _Facts, exp: datetime) -> Verdict:
    when = exp.astimezone(VN_TZ).strftime("%d/%m/%Y")
    return facts.verdict(EXPIRED, _("The credential expired on %(date)s.") % {"date": when})


def _in_force(facts: _Facts) -> Verdict:
    return facts.verdict(
        VALID, _("Authentic and unchanged, issued by a trusted authority, and in force.")
    )


def _not_in_force(facts: _Facts, state: str) -> Verdict:
    if state == REVOKED:
        return facts.verdict(REVOKED, _("The issuing authority has revoked this result."))
    return facts.verdict(SUSPENDED, _("The issuing authority has suspended this result for now."))


def _with_status(facts: _Facts, uri: Any, idx: Any, agency_code: str) -> Verdict:
    try:
        state = _status(uri, idx, agency_code)
    except Rejected as unknown:
        return facts.verdict(UNKNOWN_STATUS, unknown.reason)
    return _in_force(facts) if state == VALID else _not_in_force(facts, state)


def _status(uri: Any, idx: Any, agency_code: str) -> str:
    """The state of entry ``idx`` of the status list at ``uri``, signed by ``agency_code``."""
    if not isinstance(uri, str) or not isinstance(idx, int) or idx < 0:
        raise Rejected(UNKNOWN_STATUS, _("The credential's status entry cannot be read."))
    token, fetched = _status_token(uri)
    unreadable = Rejected(UNKNOWN_STATUS, _("The status list cannot be checked."))
    try:
        header, payload, signing_input, signature = _parse_jws(token)
    except Rejected:
        raise unreadable from None
    if header.get("typ") != statuslist.TYP or header.get("alg") != keys.ALG:
        raise unreadable
    try:
        key = trust.check_chain(header.get("x5c"), _timestamp(payload.get("iat")))
        _check_signature(key.public_key, signing_input, signature)
        exp = _timestamp(payload["exp"]) if "exp" in payload else None
    except Rejected:
        raise unreadable from None
    if key.agency_code != agency_code or payload.get("sub") != uri:
        raise unreadable
    if exp is not None and exp < timezone.now():
        raise Rejected(UNKNOWN_STATUS, _("The status list has expired."))
    entries = payload.get("status_list")
    lst, bits = (entries.get("lst"), entries.get("bits")) if isinstance(entries, dict) else (0, 0)
    if not isinstance(lst, str) or not isinstance(bits, int):
        raise unreadable
    try:
        value = statuslist.status_at(lst, bits, idx)
    except MotcuaError:
        raise unreadable from None
    if fetched:
        ttl = payload.get("ttl")
        timeout = ttl if isinstance(ttl, int) and ttl > 0 else STATUS_CACHE_MAX
        cache.set(_cache_key(uri), token, timeout=min(timeout, STATUS_CACHE_MAX))
    if value not in _STATUS_STATES:
        raise Rejected(UNKNOWN_STATUS, _("The status list gives a status this page does not know."))
    return _STATUS_STATES[value]


def _status_token(uri: str) -> tuple[str, bool]:
    """The status list token at ``uri`` and whether it was fetched just now (to be cached once
    checked): ours from the database, another issuer's from the cache or over HTTP."""
    ours = keys.issuer_id() + "/status/"
    if uri.startswith(ours):
        agency_code, _slash, number = uri.removeprefix(ours).partition("/")
        try:
            if not number.isdigit():
                raise NotFound()
            return statuslist.token_for(agency_code, int(number)), False
        except NotFound:
            raise Rejected(
                UNKNOWN_STATUS, _("The credential's status list does not exist.")
            ) from None
    cached = cache.get(_cache_key(uri))
    if isinstance(cached, str):
        return cached, False
    if urlsplit(uri).scheme not in ("http", "https"):
        raise Rejected(UNKNOWN_STATUS, _("The credential's status list cannot be fetched."))
    try:
        response = httpx.get(
            uri, headers={"Accept": statuslist.MEDIA_TYPE}, timeout=STATUS_FETCH_TIMEOUT
        )
        response.raise_for_status()
    except httpx.HTTPError:
        raise Rejected(
            UNKNOWN_STATUS,
            _("The issuer's status list could not be fetched: whether it was revoked is unknown."),
        ) from None
    return response.text.strip(), True


def _cache_key(uri: str) -> str:
    return "credentials.status:" + hashlib.sha256(uri.encode()).hexdigest()


# --- JOSE -----------------------------------------------------------------------------------


def _parse_jws(token: str) -> tuple[dict[str, Any], dict[str, Any], bytes, bytes]:
    """Header, payload, signing input and raw signature of a compact JWS."""
    parts = token.split(".")
    if len(parts) != 3:
        raise Rejected(MALFORMED, _(NOT_A_CREDENTIAL))
    header, payload = (_json(_b64url_decode(part)) for part in parts[:2])
    if not isinstance(header, dict) or not isinstance(payload, dict):
        raise Rejected(MALFORMED, _(NOT_A_CREDENTIAL))
    return header, payload, f"{parts[0]}.{parts[1]}".encode("ascii"), _b64url_decode(parts[2])


def _check_signature(
    key: ec.EllipticCurvePublicKey, data: bytes, signature: bytes, *, reason: str = ""
) -> None:
    """ES256: a raw r || s signature of 64 bytes."""
    forged = Rejected(FORGED, reason or _("The signature does not match the content."))
    if len(signature) != 2 * keys.P256_BYTES:
        raise forged
    der = encode_dss_signature(
        int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
    )
    try:
        key.verify(der, data, ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        raise forged from None


def _ec_key(jwk: Any) -> ec.EllipticCurvePublicKey | None:
    if not isinstance(jwk, dict) or jwk.get("kty") != "EC" or jwk.get("crv") != "P-256":
        return None
    try:
        x, y = _b64url_decode(str(jwk.get("x"))), _b64url_decode(str(jwk.get("y")))
        return ec.EllipticCurvePublicNumbers(
            int.from_bytes(x, "big"), int.from_bytes(y, "big"), ec.SECP256R1()
        ).public_key()
    except (Rejected, ValueError):
        return None


def _b64url_decode(text: str) -> bytes:
    """Strict base64url without padding: anything else is not ours to guess at."""
    if not _B64URL.fullmatch(text) or len(text) % 4 == 1:
        raise Rejected(MALFORMED, _(NOT_A_CREDENTIAL))
    try:
        return b64url_decode(text)
    except (ValueError, binascii.Error):
        raise Rejected(MALFORMED, _(NOT_A_CREDENTIAL)) from None


def _json(data: bytes) -> Any:
    try:
        return json.loads(data)
    except (ValueError, UnicodeDecodeError):
        raise Rejected(MALFORMED, _(NOT_A_CREDENTIAL)) from None


def _timestamp(value: Any) -> datetime:
    if not isinstance(value, int | float) or isinstance(value, bool):
        raise Rejected(MALFORMED, _("The credential's dates cannot be read."))
    try:
        return datetime.fromtimestamp(value, UTC)
    except (OverflowError, OSError, ValueError):
        raise Rejected(MALFORMED, _("The credential's dates cannot be read.")) from None


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _type_name(code: str) -> str:
    """The credential type's name in the language of the page (English for anything not
    Vietnamese), or its code when this deployment does not know it."""
    vietnamese = (translation.get_language() or "").startswith("vi")
    names = issuance.TYPE_NAMES_VI if vietnamese else issuance.TYPE_NAMES_EN
    return names.get(code, code)
