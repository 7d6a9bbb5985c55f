from __future__ import annotations

from django.contrib.admin import AdminSite
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from motcua.core.errors import PermissionDenied
from motcua.core.principal import principal_for


class MotcuaAdminSite(AdminSite):
    """The Django admin, opened by the `admin.access` permission of a role (not `is_staff`)."""

    site_header = _("motcua administration")
    site_title = "motcua"
    index_title = _("Administration")

    def has_permission(self, request: HttpRequest) -> bool:
        user = request.user
        return bool(user.is_active and principal_for(user).has("admin.access"))

    def login(self, request: HttpRequest, extra_context: object = None) -> HttpResponse:
        # One login page for all staff: the admin's own form would demand `is_staff`. A user
        # already logged in without admin access gets a 403, not a redirect loop.
        if request.user.is_authenticated:
            raise PermissionDenied()
        return redirect_to_login(request.GET.get("next") or reverse("admin:index"))
