"""Token Status List (draft-ietf-oauth-status-list): each credential's status as `bits` bits
at its index in a compressed byte array, in a JWT signed by the agency that issued it.

Entry i lives in byte i * bits // 8, starting at bit (i * bits) % 8 counted from the least
significant bit (the draft's §4.1 example: with bits 2, entry 0 is the lowest two bits of
byte 0). The token is built from the database on each request: 16 KiB of zeros and a few set
entries compress to a few hundred bytes in well under a millisecond.
"""

from __future__ import annotations

import time
import zlib
from typing import Final

from motcua.core.b64url import b64url, b64url_decode
from motcua.core.errors import MotcuaError, NotFound
from motcua.credentials.keys import signer_for
from motcua.credentials.models import IssuedCredential, StatusList

VALID: Final = 0
INVALID: Final = 1
SUSPENDED: Final = 2
STATUS_VALUES: Final = {
    IssuedCredential.Status.VALID: VALID,
    IssuedCredential.Status.REVOKED: INVALID,
    IssuedCredential.Status.SUSPENDED: SUSPENDED,
}
TYP: Final = "statuslist+jwt"
MEDIA_TYPE: Final = "application/statuslist+jwt"
TTL_SECONDS: Final = 300
LIFETIME_SECONDS: Final = 24 * 3600
ALLOWED_BITS: Final = (1, 2, 4, 8)


def encode(statuses: dict[int, int], size: int, bits: int) -> str:
    """The `lst` value: base64url(zlib(the byte array)) of `size` entries, zero unless given."""
    _check_bits(bits)
    array = bytearray((size * bits + 7) // 8)
    for index, value in statuses.items():
        if not 0 <= index < size:
            raise ValueError(f"index {index} outside a list of {size}")
        if not 0 <= value < 1 << bits:
            raise ValueError(f"status {value} does not fit in {bits} bits")
        position = index * bits
        array[position // 8] |= value << (position % 8)
    return b64url(zlib.compress(bytes(array), 9))


def status_at(lst: str, bits: int, idx: int) -> int:
    """The status at `idx` of an encoded list; MotcuaError when the list is broken or short
    (it may come from anyone's server)."""
    if bits not in ALLOWED_BITS:
        raise MotcuaError(code="invalid_status_list")
    try:
        array = zlib.decompress(b64url_decode(lst))
    except (ValueError, zlib.error) as broken:
        raise MotcuaError(code="invalid_status_list") from broken
    position = idx * bits
    if idx < 0 or position // 8 >= len(array):
        raise MotcuaError(code="invalid_status_list")
    return (array[position // 8] >> (position % 8)) & ((1 << bits) - 1)


def token_for(agency_code: str, number: int) -> str:
    """The signed status list token of the agency's list `number` as of now."""
    status_list = (
        StatusList.objects.select_related("agency__province")
        .filter(agency__code=agency_code, number=number)
        .first()
    )
    if status_list is None:
        raise NotFound()
    changed = (
        IssuedCredential.objects.filter(status_list=status_list)
        .exclude(status=IssuedCredential.Status.VALID)
        .values_list("status_index", "status")
    )
    statuses = {index: STATUS_VALUES[IssuedCredential.Status(status)] for index, status in changed}
    now = int(time.time())
    return signer_for(status_list.agency).sign_jwt(
        TYP,
        {
            "sub": status_list.uri,
            "iat": now,
            "exp": now + LIFETIME_SECONDS,
            "ttl": TTL_SECONDS,
            "status_list": {
                "bits": status_list.bits,
                "lst": encode(statuses, status_list.size, status_list.bits),
            },
        },
    )


def _check_bits(bits: int) -> None:
    if bits not in ALLOWED_BITS:
        raise ValueError(f"bits must be one of {ALLOWED_BITS}")
