"""People: find a person and every plan they are in."""

from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse

import audit
from plans import services
from plans.forms import PEOPLE_SHOWN, PeopleForm
from plans.tables import PeopleTable, PersonPlanTable
from plans.views.common import invalid_query, view_plans_required


@view_plans_required
def people(request: HttpRequest) -> HttpResponse:
    """Find people by name; for the person chosen, every plan they have conversations in."""
    form = PeopleForm(request.GET)
    if not form.is_valid():
        return invalid_query(request, "plans/people.html", {"form": form})
    name, person_id = form.cleaned_data["name"], form.cleaned_data["person"]
    if person_id:
        return _person(request, form, name, person_id)
    context: dict = {"form": form, "name": name}
    if name:
        found = services.people_find(
            client=services.client_for(request), name=name, limit=PEOPLE_SHOWN
        )
        audit.record(
            request, action=audit.Action.PERSON_LOOKUP, person=name, row_count=len(found.people)
        )
        context |= {"found": found, "table": PeopleTable(found.people)}
    return render(request, "plans/people.html", context)


def _person(request: HttpRequest, form: PeopleForm, name: str, person_id: str) -> HttpResponse:
    """One person, found again by name and id, and the plans they are in."""
    client = services.client_for(request)
    person = services.person_find(client=client, name=name, api_id=person_id)
    plans = services.person_plans(client=client, person=person)
    audit.record(
        request, action=audit.Action.PERSON_LOOKUP, person=person.name, row_count=len(plans)
    )
    context = {
        "form": form,
        "name": name,
        "person": person,
        "table": PersonPlanTable(plans, person=person),
        "search_url": f"{reverse('people')}?{urlencode({'name': name})}",
    }
    return render(request, "plans/people.html", context)
