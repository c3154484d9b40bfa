"""People: find a person and every plan they are in.

Both read the organisation (plans.organisation): the users list for the search, the
active plans' assigned users for a person's plans, so a plan they have not started is
there too. One read serves every person page while it is kept.
"""

from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse

import audit
from plans import organisation, services
from plans.exceptions import NotFound
from plans.filters import fold
from plans.forms import PEOPLE_SHOWN, PeopleForm
from plans.tables import PeopleTable, PersonPlanTable
from plans.views.common import invalid_query, view_plans_required


def people_matching(org: organisation.Organisation, query: str) -> list[services.Person]:
    """Everyone whose name or e-mail holds every word of `query`, case and accents ignored,
    by name then e-mail (namesakes side by side, told apart by e-mail and department)."""
    words = fold(query).split()
    found = [
        person
        for person in org.people.values()
        if all(word in fold(f"{person.name} {person.email}") for word in words)
    ]
    found.sort(key=lambda person: (fold(person.name), fold(person.email), person.api_id))
    return found


@view_plans_required
def people(request: HttpRequest) -> HttpResponse:
    """Find people by name or e-mail; for the person chosen, every plan they are assigned to."""
    form = PeopleForm(request.GET)
    if not form.is_valid():
        return invalid_query(request, "plans/people.html", {"form": form})
    name, person_id = form.cleaned_data["name"], form.cleaned_data["person"]
    if person_id:
        return _person(request, form, name, person_id)
    context: dict = {"form": form, "name": name}
    if name:
        read = organisation.organisation(services.client_for(request))
        matching = people_matching(read.org, name)
        found = services.PeopleFound(count=len(matching), people=tuple(matching[:PEOPLE_SHOWN]))
        audit.record(
            request, action=audit.Action.PERSON_LOOKUP, person=name, row_count=len(found.people)
        )
        context |= {
            "found": found,
            "table": PeopleTable(found.people),
            "read_at": read.org.read_at_datetime,
        }
    return render(request, "plans/people.html", context)


def _person(request: HttpRequest, form: PeopleForm, name: str, person_id: str) -> HttpResponse:
    """One person and every active plan they are assigned to, with where they stand."""
    read = organisation.organisation(services.client_for(request))
    person = read.org.people.get(person_id)
    assignments = read.org.of_person(person_id)
    if person is None:
        if not assignments:
            raise NotFound("person", path="/api/v2/users/")
        user = assignments[0].user  # assigned, yet missing from the users list
        person = services.Person(
            api_id=user.api_id,
            name=user.name,
            email=user.email,
            departments=(),
            manager=None,
            active=None,
        )
    plans = sorted(
        (
            services.PersonPlan(
                plan_api_id=a.plan.api_id,
                plan_name=a.plan.name,
                template_name=a.plan.template_name,
                standing=a.standing,
            )
            for a in assignments
        ),
        key=lambda plan: (fold(plan.plan_name), plan.plan_api_id),
    )
    audit.record(
        request, action=audit.Action.PERSON_LOOKUP, person=person.name, row_count=len(plans)
    )
    table = PersonPlanTable(plans, person=person)
    table.empty_text = f"{person.name or 'This person'} is not assigned to any active plan."
    context = {
        "form": form,
        "name": name,
        "person": person,
        "table": table,
        "read_at": read.org.read_at_datetime,
        "refreshing": read.refreshing,
        "search_url": f"{reverse('people')}?{urlencode({'name': name})}",
    }
    return render(request, "plans/people.html", context)
