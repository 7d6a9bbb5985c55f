from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from motcua.core.access import permission_required


@permission_required("calendar.view")
def calendar(request: HttpRequest) -> HttpResponse:
    return render(request, "workcalendar/calendar.html", {})
