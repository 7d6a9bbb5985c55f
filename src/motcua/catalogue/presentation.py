"""Human descriptions of a procedure's time and fee, in the active language."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import ngettext


def money(amount: int) -> str:
    return f"{amount:,}".replace(",", ".") + " đ"


def describe_time(time: dict[str, Any]) -> str:
    if time["kind"] == "same_day":
        return _("Same working day (next working day if received after 15:00)")
    value = time["value"]
    if time["kind"] == "working_hours":
        return ngettext("%(n)s working hour", "%(n)s working hours", int(value)) % {"n": value}
    return ngettext("%(n)s working day", "%(n)s working days", int(value)) % {"n": value}


def describe_fee(fee: dict[str, Any]) -> str:
    kind = fee["kind"]
    if kind == "free":
        return fee.get("note") or _("Free")
    if kind == "set_by_province":
        return str(fee["note"])
    if kind == "fixed":
        text = money(fee["amount"])
        if "online_amount" in fee:
            text += " " + _("(online: %(amount)s)") % {"amount": money(fee["online_amount"])}
        return text
    tiers = sorted(fee["tiers"], key=lambda tier: tier["from_page"])
    parts = [
        _("%(amount)s per page from page %(page)s")
        % {"amount": money(tier["amount"]), "page": tier["from_page"]}
        for tier in tiers
    ]
    if "cap_per_copy" in fee:
        parts.append(_("at most %(amount)s per copy") % {"amount": money(fee["cap_per_copy"])})
    return "; ".join(parts)
