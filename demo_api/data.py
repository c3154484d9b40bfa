"""Deterministic demo data for the Perform & Engage 365 demo API.

Everything comes from one ``random.Random`` with a fixed seed, drawn in a fixed order, so every
process (web workers, test runs, the standalone CLI) sees byte-identical data and the same IDs.
Nothing here depends on ``hash()`` or set ordering, which vary between processes.

The accessors generate the data once per process (lazily, under a lock) and return shared
objects: treat them as read-only.
"""

from __future__ import annotations

import math
import random
import threading
import unicodedata
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

SEED = 365
PLAN_COUNT = 150  # the default; `python -m demo_api --plans N` serves N instead
# Random names a plan draws before it takes a numbered one ("… (2)"): the random names
# run out long before a large organisation's tens of thousands of plans.
NAME_DRAWS = 20
USER_COUNT = 5000
COMPANY_WIDE_PLAN_NAME = "Company-wide engagement survey 2026"
COMPANY_WIDE_USER_COUNT = 3000
UNASSIGNED_PLAN_NAME = "Draft – new starters (unassigned)"
# Two plans share this name (the second is the last plan of the list), so a client that
# asks for conversations by plan name must tell the two plans apart by plan_api_id.
SHARED_PLAN_NAME = "Check-in – Zürich office"

# How a plan's people stand: the share with no conversation yet, the share whose latest
# conversation is completed, and the share of a recurring plan's people with an earlier,
# completed round per extra round (at most MAX_EXTRA_ROUNDS).
NOT_STARTED_SHARE = 0.063
COMPLETED_SHARE = 0.64
EXTRA_ROUND_SHARE = 0.12
MAX_EXTRA_ROUNDS = 3
# Per started person: a conversation deleted or archived after the current one, which a
# client must not count (else it would look like the person's latest).
DELETED_SHARE = 0.01
ARCHIVED_SHARE = 0.005
IN_PROGRESS_STAGES = ("Employee input", "Manager review")
ROUND_DAYS = {
    "Weekly": 7,
    "Every 2 weeks": 14,
    "Every 4 weeks": 28,
    "Monthly": 30,
    "Quarterly": 91,
    "Annually": 365,
}
# Recurring plans whose rounds are generated together, as a plan's schedule does: each round
# for everyone assigned by then within ROUND_SPREAD_MINUTES of its start (the second round
# over two days), each round completing at its own pace. Plan name -> its rounds, oldest
# first: (start, share of the round's people who complete it, median days to complete).
ROUNDS_PLANS: dict[str, tuple[tuple[datetime, float, float], ...]] = {
    "Engagement survey – Sales Q3 2026": (
        (datetime(2026, 1, 5, 7, tzinfo=UTC), 0.85, 9.0),
        (datetime(2026, 2, 2, 7, tzinfo=UTC), 0.96, 3.0),
        (datetime(2026, 3, 2, 7, tzinfo=UTC), 0.9, 6.0),
        (datetime(2026, 3, 30, 7, tzinfo=UTC), 0.7, 12.0),
    ),
    "1:1 – 山田 花子": (
        (datetime(2026, 4, 6, 6, tzinfo=UTC), 0.8, 3.0),
        (datetime(2026, 4, 13, 6, tzinfo=UTC), 0.7, 4.0),
        (datetime(2026, 4, 20, 6, tzinfo=UTC), 0.95, 1.0),
    ),
}
ROUND_SPREAD_MINUTES = 3 * 60
# The share of such a plan's people who join after its first round (at a later round's
# start, or not yet: no conversation).
LATE_JOINER_SHARE = 0.15
# People: how many of them manage others, and the share of people no longer active.
MANAGER_COUNT = 250
INACTIVE_SHARE = 0.03
# The share of people whose record names no department (drawn from a generator of its own,
# after everything else, so the rest of the data set stays as it was).
NO_DEPARTMENT_SHARE = 0.01

# The fields of a plan in the list endpoint; the detail adds assigned users and departments.
PLAN_LIST_FIELDS = ("name", "api_id", "template_name", "template_api_id", "status", "frequency")

# Template name -> (is a draft template, plausible plan frequencies; None means one-off).
TEMPLATES: dict[str, tuple[bool, tuple[str | None, ...]]] = {
    "Engagement Survey": (False, ("Quarterly", "Every 4 weeks", "Annually", None)),
    "Weekly Check-in": (False, ("Weekly", "Every 2 weeks")),
    "Quarterly Review": (False, ("Quarterly",)),
    "Onboarding 30-60-90": (False, (None,)),
    "Évaluation annuelle": (False, ("Annually", None)),
    "Manager 1:1": (False, ("Weekly", "Every 2 weeks", "Monthly")),
    "Pulse – Wellbeing": (True, ("Monthly",)),
    "Performance Review": (False, ("Annually", "Quarterly", None)),
}

DEPARTMENTS = (
    "Sales – EMEA",
    "Sales – Americas",
    "Sales – APAC",
    "Senior Developers",
    "Platform Engineering",
    "Mobile Engineering",
    "Quality Assurance",
    "Customer Success",
    "Support – Tier 1",
    "Support – Tier 2",
    "Finance",
    "Legal & Compliance",
    "People & Culture",
    "Talent Acquisition",
    "Marketing",
    "Product Management",
    "Design",
    "Data Science",
    "IT Operations",
    "Facilities – Zürich",
    "Recherche & Développement",
    "Vertrieb Deutschland",
    "Logistique – Montréal",
    "Executive Office",
    "Procurement",
)

FIRST_NAMES = (
    "Joanne", "Liam", "Olivia", "Noah", "Emma", "Mateo", "Sofía", "Lucas", "Chloé", "François",
    "Zoë", "José", "Jürgen", "Søren", "Ólafur", "Łukasz", "Małgorzata", "Ayşe", "Björn",
    "Renée", "Ingrid", "Priya", "Arjun", "Wei", "Mei", "Hiroshi", "Yuki", "Minh", "Thảo",
    "Fatima", "Omar", "Chiamaka", "Kwame", "Amara", "Santiago", "Valentina", "Giulia", "Marco",
    "Anna", "Elena", "Dmitri", "Sven", "Astrid", "Aoife", "Seán", "Niamh", "Grace", "Daniel",
    "Sarah", "David", "Leila", "Yusuf", "Hannah", "Jakob", "Léa", "Inès", "Mohammed", "Ana",
    "Carlos", "Ewa",
)  # fmt: skip

LAST_NAMES = (
    "Stefani", "Müller", "García", "Núñez", "Dubois", "Kowalski", "Øvergaard", "Sánchez",
    "Nguyễn", "Jónsdóttir", "O'Connor", "van der Berg", "Schröder", "Ferreira", "Tanaka",
    "Yamamoto", "Okafor", "Adeyemi", "Kim", "Singh", "Patel", "Rossi", "Haddad", "Ivanova",
    "Smith", "Johnson", "Williams", "Brown", "Martin", "Bernard", "Lefèvre", "Schmidt",
    "Fischer", "Weiß", "Novak", "Horváth", "Popescu", "Yılmaz", "Demir", "Andersson",
    "Nielsen", "Virtanen", "Kelly", "Murphy", "Chen", "Wang", "Li", "Zhang", "Park", "Lee",
    "Silva", "Santos", "Costa", "Mendoza", "Hernández", "López", "Cohen", "Levi", "Ali", "Khan",
)  # fmt: skip

# Names written in Japanese script, with the romanised e-mail local part (no ASCII fallback
# can be derived from kanji).
JAPANESE_NAMES = (
    ("山田 花子", "hanako.yamada"),
    ("佐藤 健", "ken.sato"),
    ("田中 優子", "yuko.tanaka"),
    ("鈴木 一郎", "ichiro.suzuki"),
)

TEAMS = (
    "Sales", "Engineering", "Customer Success", "Finance", "Marketing", "Support", "Product",
    "Legal", "People & Culture", "Operations", "R&D", "Data Science", "Design",
)  # fmt: skip

OFFICES = (
    "Zürich", "München", "Montréal", "São Paulo", "Kraków", "Malmö", "Reykjavík", "東京",
    "London", "Dublin", "Lisbon", "Singapore", "Austin", "Besançon", "Düsseldorf", "İstanbul",
)  # fmt: skip

MONTHS = ("January", "March", "May", "July", "September", "November")

# Letters that NFKD does not decompose into ASCII.
_ASCII_EXTRA = str.maketrans({"ø": "o", "Ø": "O", "ł": "l", "Ł": "L", "ß": "ss", "ı": "i"})


@dataclass(frozen=True)
class Dataset:
    templates: list[dict[str, Any]]
    plans: list[dict[str, Any]]  # detail form; the list form is a subset of keys
    plan_items: list[dict[str, Any]]  # list form (PLAN_LIST_FIELDS), in the same order
    conversations: list[dict[str, Any]]
    people: list[dict[str, Any]]  # the users endpoint's records
    templates_by_id: dict[str, dict[str, Any]]
    plans_by_id: dict[str, dict[str, Any]]
    # The conversations filters the API answers most, as case-insensitive exact filters
    # see them: casefolded name -> that name's conversations, in the API's order.
    conversations_by_plan_name: dict[str, list[dict[str, Any]]]
    conversations_by_person_name: dict[str, list[dict[str, Any]]]


def _api_id(rng: random.Random, prefix: int) -> str:
    return f"{prefix}:{uuid.UUID(int=rng.getrandbits(128), version=4)}"


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _random_moment(rng: random.Random, start: datetime, days: int) -> datetime:
    return start + timedelta(minutes=rng.randrange(days * 24 * 60))


def _ascii_slug(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.translate(_ASCII_EXTRA))
    return "".join(ch for ch in decomposed.lower() if ch.isascii() and ch.isalnum())


def _users(rng: random.Random, count: int = USER_COUNT) -> list[dict[str, str]]:
    users = []
    seen_locals: dict[str, int] = {}
    for _ in range(count):
        if rng.random() < 0.02:
            name, local = rng.choice(JAPANESE_NAMES)
        else:
            first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
            name, local = f"{first} {last}", f"{_ascii_slug(first)}.{_ascii_slug(last)}"
        # Namesakes are common in a pool this size; number them to keep e-mails unique.
        seen_locals[local] = seen_locals.get(local, 0) + 1
        if seen_locals[local] > 1:
            local = f"{local}{seen_locals[local]}"
        users.append({"api_id": _api_id(rng, 582), "name": name, "email": f"{local}@example.com"})
    return users


def _templates(rng: random.Random) -> list[dict[str, Any]]:
    templates = []
    for name, (draft, _) in TEMPLATES.items():
        created = _random_moment(rng, datetime(2024, 1, 1, tzinfo=UTC), 365)
        updated = _random_moment(rng, created, 300)
        templates.append(
            {
                "api_id": _api_id(rng, 580),
                "name": name,
                "active": not draft,
                "draft": draft,
                "deleted": False,
                "created_date": _iso(created),
                "updated_date": _iso(updated),
            }
        )
    return templates


def _random_plan_name(rng: random.Random, template: str, users: list[dict[str, str]]) -> str:
    team, office = rng.choice(TEAMS), rng.choice(OFFICES)
    quarter, year = f"Q{rng.randint(1, 4)}", rng.choice((2025, 2026))
    patterns = {
        "Engagement Survey": f"Engagement survey – {team} {quarter} {year}",
        "Weekly Check-in": rng.choice((f"Check-in – {office} office", f"Weekly check-in – {team}")),
        "Quarterly Review": f"Quarterly review – {team} {quarter} {year}",
        "Onboarding 30-60-90": f"Onboarding – {rng.choice(MONTHS)} {year} starters, {office}",
        "Évaluation annuelle": f"Évaluation annuelle {year} – équipe {office}",
        "Manager 1:1": f"1:1 – {rng.choice(users)['name']}",
        "Performance Review": f"Performance review {year} – {team}, {office}",
    }
    return patterns[template]


def _plans(
    rng: random.Random,
    templates: list[dict[str, Any]],
    users: list[dict[str, str]],
    count: int,
) -> tuple[list[dict[str, Any]], list[dict[str, str]]]:
    """The plans, and the departments they are assigned to."""
    usable = [t for t in templates if not t["draft"]]  # a draft template cannot be planned
    departments = [{"api_id": _api_id(rng, 442), "name": name} for name in DEPARTMENTS]
    by_name = {t["name"]: t for t in usable}
    # Showcase plans come first so the first page shows the edge cases; random ones follow.
    # Each entry: name -> (template, status or None for random, forced user count or None).
    fixed: dict[str, tuple[str, str | None, int | None]] = {
        COMPANY_WIDE_PLAN_NAME: ("Engagement Survey", "active", COMPANY_WIDE_USER_COUNT),
        UNASSIGNED_PLAN_NAME: ("Onboarding 30-60-90", "draft", 0),
        "Engagement survey – Sales Q3 2026": ("Engagement Survey", "active", None),
        "Check-in – Zürich office": ("Weekly Check-in", "active", None),
        "1:1 – Jürgen Müller": ("Manager 1:1", "active", None),
        "1:1 – 山田 花子": ("Manager 1:1", "active", None),
        "Évaluation annuelle 2026 – équipe Montréal": ("Évaluation annuelle", "active", None),
    }
    specs = list(fixed.items())[:count]
    names = set(fixed)
    while len(specs) < count:
        template = rng.choice(usable)["name"]
        name = _random_plan_name(rng, template, users)
        draws = 1
        while name in names and draws < NAME_DRAWS:
            template = rng.choice(usable)["name"]
            name = _random_plan_name(rng, template, users)
            draws += 1
        number = 1
        while name in names:
            number += 1
            name = f"{_random_plan_name(rng, template, users)} ({number})"
        names.add(name)
        specs.append((name, (template, None, None)))

    plans = []
    for name, (template_name, status, user_count) in specs:
        template = by_name[template_name]
        if status is None:
            status = "active" if rng.random() < 0.8 else "draft"
        if user_count == COMPANY_WIDE_USER_COUNT:
            assigned_users, assigned_departments = rng.sample(users, user_count), departments
        elif user_count == 0:
            assigned_users, assigned_departments = [], []
        else:
            assigned_users = rng.sample(users, rng.randint(0, 60))
            # Only the one unassigned plan may have neither users nor departments.
            assigned_departments = rng.sample(departments, rng.randint(not assigned_users, 4))
        plans.append(
            {
                "name": name,
                "api_id": _api_id(rng, 580),
                "template_name": template_name,
                "template_api_id": template["api_id"],
                "status": status,
                "frequency": rng.choice(TEMPLATES[template_name][1]),
                "assigned_users": sorted(assigned_users, key=lambda u: (u["name"], u["api_id"])),
                "assigned_departments": sorted(assigned_departments, key=lambda d: d["name"]),
            }
        )
    if len(plans) > len(fixed):
        # Drawn like every other plan, then given the name of a showcase plan.
        plans[-1]["name"] = SHARED_PLAN_NAME
    return plans, departments


def _people(
    rng: random.Random, users: list[dict[str, str]], departments: list[dict[str, str]]
) -> list[dict[str, Any]]:
    """The users endpoint's record of every user: departments, manager, whether active."""
    managers = rng.sample(users, MANAGER_COUNT)
    people = []
    for user in users:
        manager = rng.choice(managers)
        people.append(
            {
                **user,
                "departments": rng.sample(departments, rng.choice((1, 1, 1, 2))),
                # The top of the company has no manager; nobody manages themselves.
                "manager": None
                if manager is user or rng.random() < 0.01
                else {
                    "name": manager["name"],
                    "email": manager["email"],
                    "api_id": manager["api_id"],
                },
                "is_active": rng.random() >= INACTIVE_SHARE,
            }
        )
    return people


def _without_departments(people: list[dict[str, Any]]) -> None:
    """Leave NO_DEPARTMENT_SHARE of the people (never the first) without a department."""
    rng = random.Random(SEED + 1)  # noqa: S311 - reproducible fake data, not security
    for person in rng.sample(people[1:], round(len(people) * NO_DEPARTMENT_SHARE)):
        person["departments"] = []


def _index(items: list[dict[str, Any]], key: str) -> dict[str, list[dict[str, Any]]]:
    """`items` grouped by the casefolded value of `key`, each group in the list's order."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for item in items:
        groups.setdefault(item[key].casefold(), []).append(item)
    return groups


def _upper_uuid(rng: random.Random) -> str:
    # Other vendor endpoints use plain upper-case UUIDs, not "<n>:<uuid>".
    return str(uuid.UUID(int=rng.getrandbits(128), version=4)).upper()


def _conversation(
    rng: random.Random,
    plan: dict[str, Any],
    stage_ids: dict[str, str],
    user: dict[str, str],
    status: str,
    stage: str,
    generated: datetime,
    updated: datetime,
) -> dict[str, Any]:
    return {
        "api_id": _upper_uuid(rng),
        "template_api_id": plan["template_api_id"],
        "template_name": plan["template_name"],
        "plan_name": plan["name"],
        "plan_api_id": plan["api_id"],
        "stage_name": stage,
        "stage_api_id": stage_ids[stage],
        "status": status,
        "updated_date": _iso(updated),
        "completed_date": _iso(updated) if status == "final" else None,
        "generated_date": _iso(generated),
        "person_api_id": user["api_id"],
        "person_name": user["name"],
    }


def _conversations(
    rng: random.Random, plans: list[dict[str, Any]], templates: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Each person's conversations in every active plan, one per round, grouped by plan.

    A recurring plan's people may have earlier rounds (completed); the latest round is
    completed or in progress; some people have none yet; a few have a deleted or
    archived conversation, generated after their current one.
    """
    stages = {
        t["api_id"]: {s: _upper_uuid(rng) for s in ("Final", *IN_PROGRESS_STAGES)}
        for t in templates
    }
    conversations: list[dict[str, Any]] = []
    for plan in plans:
        if plan["status"] != "active":  # draft plans have not launched any conversation
            continue
        round_days = ROUND_DAYS.get(plan["frequency"] or "", 0)  # 0: a one-off plan
        stage_ids = stages[plan["template_api_id"]]
        first = len(conversations)
        for user in plan["assigned_users"]:
            if rng.random() < NOT_STARTED_SHARE:
                continue
            latest = _random_moment(rng, datetime(2026, 2, 1, tzinfo=UTC), 90)
            extra_rounds = 0
            if round_days:
                while extra_rounds < MAX_EXTRA_ROUNDS and rng.random() < EXTRA_ROUND_SHARE:
                    extra_rounds += 1
            for back in range(extra_rounds, 0, -1):
                generated = latest - timedelta(days=round_days * back)
                completed = _random_moment(rng, generated, round_days)
                conversations.append(
                    _conversation(
                        rng, plan, stage_ids, user, "final", "Final", generated, completed
                    )
                )
            moved = _random_moment(rng, latest, 30)
            if rng.random() < COMPLETED_SHARE:
                conversations.append(
                    _conversation(rng, plan, stage_ids, user, "final", "Final", latest, moved)
                )
            else:
                stage = rng.choice(IN_PROGRESS_STAGES)
                conversations.append(
                    _conversation(rng, plan, stage_ids, user, "draft", stage, latest, moved)
                )
            for status, share in (("deleted", DELETED_SHARE), ("archived", ARCHIVED_SHARE)):
                if rng.random() < share:
                    generated = _random_moment(rng, moved, 5)
                    stage = rng.choice(IN_PROGRESS_STAGES)
                    conversations.append(
                        _conversation(
                            rng, plan, stage_ids, user, status, stage, generated, generated
                        )
                    )
        if plan["name"] in ROUNDS_PLANS:
            # Drawn as for any plan above, so the plans after it keep their data; replaced.
            conversations[first:] = _rounds(plan, stage_ids, ROUNDS_PLANS[plan["name"]])
    return conversations


def _rounds(
    plan: dict[str, Any],
    stage_ids: dict[str, str],
    rounds: tuple[tuple[datetime, float, float], ...],
) -> list[dict[str, Any]]:
    """A ROUNDS_PLANS plan's conversations: a round at each start for everyone assigned by
    then, from a generator of its own (seeded by the plan), in order of generation.

    Some people join late: at a later round, or not yet. The last person joins a third of
    the way into the second-to-last round, generated on their own; the first has a
    conversation deleted after their current one, which no round counts.
    """
    rng = random.Random(f"{SEED}:rounds:{plan['api_id']}")  # noqa: S311 - demo data
    users = plan["assigned_users"]
    joined = [
        rng.randrange(1, len(rounds) + 1) if rng.random() < LATE_JOINER_SHARE else 0 for _ in users
    ]
    if len(users) > 1:
        joined[0], joined[-1] = 0, len(rounds) - 2
    made: list[tuple[datetime, dict[str, Any]]] = []
    for number, (start, complete_share, median_days) in enumerate(rounds):
        gap = (rounds[number + 1][0] - start) if number + 1 < len(rounds) else timedelta(28)
        spread = 2 * 24 * 60 if number == 1 else ROUND_SPREAD_MINUTES
        for index, user in enumerate(users):
            if joined[index] > number:
                continue
            generated = start + timedelta(minutes=rng.randrange(spread))
            if index == len(users) - 1 and number == joined[index] and index:
                generated = start + gap / 3  # a late joiner, generated on their own
            if rng.random() < complete_share:
                days = min(rng.expovariate(math.log(2) / median_days), 3 * gap.days)
                moved = generated + timedelta(minutes=max(int(days * 24 * 60), 5))
                status, stage = "final", "Final"
            else:
                moved = generated + timedelta(minutes=rng.randrange(max(gap.days, 1) * 24 * 60))
                status, stage = "draft", rng.choice(IN_PROGRESS_STAGES)
            made.append(
                (
                    generated,
                    _conversation(rng, plan, stage_ids, user, status, stage, generated, moved),
                )
            )
    made.sort(key=lambda pair: pair[0])
    conversations = [conversation for _, conversation in made]
    if users:
        current = max(
            generated for generated, c in made if c["person_api_id"] == users[0]["api_id"]
        )
        deleted = current + timedelta(days=1)
        conversations.append(
            _conversation(
                rng, plan, stage_ids, users[0], "deleted", IN_PROGRESS_STAGES[0], deleted, deleted
            )
        )
    return conversations


def generate(*, plans: int = PLAN_COUNT, user_count: int = USER_COUNT) -> Dataset:
    """Build the whole data set from scratch (uncached; the accessors below cache it).

    `plans` and `user_count` set how many plans and users there are; with the defaults,
    the data set is the same in every release, so tests and screenshots can name them.
    """
    rng = random.Random(SEED)  # noqa: S311 - reproducible fake data, not security
    users = _users(rng, user_count)
    templates = _templates(rng)
    plan_list, departments = _plans(rng, templates, users, plans)
    # Drawn after the plans, so plans, templates and users stay as they were.
    people = _people(rng, users, departments)
    conversations = _conversations(rng, plan_list, templates)
    _without_departments(people)
    return Dataset(
        templates=templates,
        plans=plan_list,
        plan_items=[{field: plan[field] for field in PLAN_LIST_FIELDS} for plan in plan_list],
        conversations=conversations,
        people=people,
        templates_by_id={t["api_id"]: t for t in templates},
        plans_by_id={p["api_id"]: p for p in plan_list},
        conversations_by_plan_name=_index(conversations, "plan_name"),
        conversations_by_person_name=_index(conversations, "person_name"),
    )


_lock = threading.Lock()
_dataset: Dataset | None = None
_plan_count = PLAN_COUNT
_people_count = USER_COUNT


def use_plan_count(plans: int) -> None:
    """Serve `plans` plans from now on in this process (`python -m demo_api --plans N`)."""
    global _dataset, _plan_count
    if plans < 1:
        raise ValueError(f"the demo API needs at least one plan, not {plans}")
    with _lock:
        if plans != _plan_count:
            _plan_count, _dataset = plans, None


def use_people_count(people: int) -> None:
    """Serve `people` users from now on in this process (`python -m demo_api --people N`)."""
    global _dataset, _people_count
    if people < COMPANY_WIDE_USER_COUNT:
        raise ValueError(f"the demo API needs at least {COMPANY_WIDE_USER_COUNT} people")
    with _lock:
        if people != _people_count:
            _people_count, _dataset = people, None


def dataset() -> Dataset:
    """The process-wide data set, generated on first use."""
    global _dataset
    if _dataset is None:
        with _lock:
            if _dataset is None:
                _dataset = generate(plans=_plan_count, user_count=_people_count)
    return _dataset


def plans() -> list[dict[str, Any]]:
    """All plans in a stable order, in detail form (list endpoint fields plus assignments)."""
    return dataset().plans


def plan_items() -> list[dict[str, Any]]:
    """All plans in the same order, in list form (the fields of PLAN_LIST_FIELDS)."""
    return dataset().plan_items


def plan_by_id(api_id: str) -> dict[str, Any] | None:
    return dataset().plans_by_id.get(api_id)


def templates() -> list[dict[str, Any]]:
    return dataset().templates


def template_by_id(api_id: str) -> dict[str, Any] | None:
    return dataset().templates_by_id.get(api_id)


def conversations() -> list[dict[str, Any]]:
    """The conversations of every active plan's people, grouped by plan."""
    return dataset().conversations


def conversations_named(key: str, name: str) -> list[dict[str, Any]]:
    """The conversations whose `key` ("plan_name" or "person_name") is `name`, ignoring case."""
    index = {
        "plan_name": dataset().conversations_by_plan_name,
        "person_name": dataset().conversations_by_person_name,
    }[key]
    return index.get(name.casefold(), [])


def people() -> list[dict[str, Any]]:
    """Every user as the users endpoint shows them: departments, manager, is_active."""
    return dataset().people
