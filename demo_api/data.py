"""Deterministic demo data for the Perform & Engage 365 demo API.

Everything comes from one ``random.Random`` with a fixed seed, drawn in a fixed order, so every
process (web workers, test runs, the standalone CLI) sees byte-identical data and the same IDs.
Nothing here depends on ``hash()`` or set ordering, which vary between processes.

The accessors generate the data once per process (lazily, under a lock) and return shared
objects: treat them as read-only.
"""

from __future__ import annotations

import random
import threading
import unicodedata
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

SEED = 365
PLAN_COUNT = 150
USER_COUNT = 5000
COMPANY_WIDE_PLAN_NAME = "Company-wide engagement survey 2026"
COMPANY_WIDE_USER_COUNT = 3000
UNASSIGNED_PLAN_NAME = "Draft – new starters (unassigned)"

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
    conversations: list[dict[str, Any]]
    templates_by_id: dict[str, dict[str, Any]]
    plans_by_id: dict[str, dict[str, Any]]


def _api_id(rng: random.Random, prefix: int) -> str:
    return f"{prefix}:{uuid.UUID(int=rng.getrandbits(128), version=4)}"


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _random_moment(rng: random.Random, start: datetime, days: int) -> datetime:
    return start + timedelta(minutes=rng.randrange(days * 24 * 60))


def _ascii_slug(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.translate(_ASCII_EXTRA))
    return "".join(ch for ch in decomposed.lower() if ch.isascii() and ch.isalnum())


def _users(rng: random.Random) -> list[dict[str, str]]:
    users = []
    seen_locals: dict[str, int] = {}
    for _ in range(USER_COUNT):
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
    rng: random.Random, templates: list[dict[str, Any]], users: list[dict[str, str]]
) -> list[dict[str, Any]]:
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
    specs = list(fixed.items())
    names = set(fixed)
    while len(specs) < PLAN_COUNT:
        template = rng.choice(usable)["name"]
        name = _random_plan_name(rng, template, users)
        if name not in names:
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
    return plans


def _conversations(rng: random.Random, plans: list[dict[str, Any]]) -> list[dict[str, Any]]:
    conversations = []
    for plan in plans:
        if plan["status"] != "active":  # draft plans have not launched any conversation
            continue
        for user in plan["assigned_users"]:
            final = rng.random() < 0.6
            updated = _iso(_random_moment(rng, datetime(2026, 1, 1, tzinfo=UTC), 180))
            conversations.append(
                {
                    # Other vendor endpoints use plain upper-case UUIDs, not "<n>:<uuid>".
                    "api_id": str(uuid.UUID(int=rng.getrandbits(128), version=4)).upper(),
                    "plan_name": plan["name"],
                    "plan_api_id": plan["api_id"],
                    "template_name": plan["template_name"],
                    "stage_name": "Final"
                    if final
                    else rng.choice(("Employee input", "Manager review")),
                    "status": "final" if final else "draft",
                    "updated_date": updated,
                    "completed_date": updated if final else None,
                    "person_api_id": user["api_id"],
                    "person_name": user["name"],
                }
            )
    return conversations


def generate() -> Dataset:
    """Build the whole data set from scratch (uncached; the accessors below cache it)."""
    rng = random.Random(SEED)  # noqa: S311 - reproducible fake data, not security
    users = _users(rng)
    templates = _templates(rng)
    plans = _plans(rng, templates, users)
    return Dataset(
        templates=templates,
        plans=plans,
        conversations=_conversations(rng, plans),
        templates_by_id={t["api_id"]: t for t in templates},
        plans_by_id={p["api_id"]: p for p in plans},
    )


_lock = threading.Lock()
_dataset: Dataset | None = None


def dataset() -> Dataset:
    """The process-wide data set, generated on first use."""
    global _dataset
    if _dataset is None:
        with _lock:
            if _dataset is None:
                _dataset = generate()
    return _dataset


def plans() -> list[dict[str, Any]]:
    """All plans in a stable order, in detail form (list endpoint fields plus assignments)."""
    return dataset().plans


def plan_by_id(api_id: str) -> dict[str, Any] | None:
    return dataset().plans_by_id.get(api_id)


def templates() -> list[dict[str, Any]]:
    return dataset().templates


def template_by_id(api_id: str) -> dict[str, Any] | None:
    return dataset().templates_by_id.get(api_id)


def conversations() -> list[dict[str, Any]]:
    """One conversation per assigned user of every active plan, grouped by plan."""
    return dataset().conversations
