"""People: find a person and every plan they are in."""

from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse

import audit
from plans import services
from plans.forms import (
    PEOPLE_SHOWN,
    PeopleForm,
)
from plans.tables import (
    plan_url,
)
from plans.views.common import person_url, view_plans_required, without_refresh


@view_plans_required
def people(request: HttpRequest) -> HttpResponse:
    """Find people by name; for the person chosen, every plan they have conversations in."""
    form = PeopleForm(request.GET)
    if not form.is_valid():
        return render(request, "plans/people.html", {"form": form}, status=400)
    name, person_id = form.cleaned_data["name"], form.cleaned_data["person"]
    context: dict = {"form": form, "name": name}
    if name and not person_id:
        client = services.client_for(request)
        found = services.people_find(client=client, name=name, limit=PEOPLE_SHOWN)
        context["found"] = found
        context["found_rows"] = [
            (person, person_url(person.name, person.api_id)) for person in found.people
        ]
    elif person_id:
        client = services.client_for(request)
        person = services.person_find(client=client, name=name, api_id=person_id)
        plans = services.person_plans(client=client, person=person)
        context["person"] = person
        context["plan_rows"] = [
            (
                plan,
                f"{url}?{urlencode({'q': person.name})}"
                if (url := plan_url(plan.plan_api_id))
                else "",
            )
            for plan in plans
        ]
        context["search_url"] = f"{reverse('people')}?{urlencode({'name': name})}"
    if redirect_response := without_refresh(request):
        return redirect_response
    if name or person_id:
        try:
            audit.record(
                request,
                action=audit.Action.PERSON_LOOKUP,
                person=context["person"].name if person_id else name,
                row_count=len(context.get("plan_rows") or context.get("found_rows") or ()),
            )
        except audit.AuditUnavailable as error:
            return audit.refusal(request, error)
    return render(request, "plans/people.html", context)
