from __future__ import annotations

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.decorators import method_decorator
from django_ratelimit.decorators import ratelimit

from motcua.core import selectors
from motcua.core.access import permission_required, principal_of


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "core/home.html", {"principal": principal_of(request)})


def login_rate(group: str, request: HttpRequest) -> str:
    return settings.LOGIN_RATE


# Both limits apply: one IP trying many names, and many IPs trying one name.
@method_decorator(ratelimit(key="ip", rate=login_rate, method="POST", block=True), name="post")
@method_decorator(
    ratelimit(key="post:username", rate=login_rate, method="POST", block=True), name="post"
)
class LoginView(auth_views.LoginView):
    template_name = "core/login.html"
    redirect_authenticated_user = True


class LogoutView(auth_views.LogoutView):
    pass


def rate_limited(request: HttpRequest, exception: Exception) -> HttpResponse:
    return render(request, "core/rate_limited.html", status=429)


@permission_required("audit.view")
def audit_log(request: HttpRequest) -> HttpResponse:
    entries = selectors.audit_entries_for(principal_of(request))
    action = request.GET.get("action", "").strip()
    if action:
        entries = entries.filter(action__startswith=action)
    page = Paginator(entries, 50).get_page(request.GET.get("page"))
    return render(request, "core/audit_log.html", {"page": page, "action": action})


@permission_required("jobs.view")
def jobs(request: HttpRequest) -> HttpResponse:
    return render(request, "core/jobs.html", selectors.job_overview())
