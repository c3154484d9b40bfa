"""Upstream answers for the overview: a plan set and per-template conversation counts."""

from responses import matchers

from tests.helpers import CONVERSATIONS_URL, expect_all, plan_item

# Plan items: (template, status, frequency) for each plan of a small organisation.
ORGANISATION = [
    ("Engagement Survey", "active", "Every 4 weeks"),
    ("Engagement Survey", "active", "Every 4 weeks"),
    ("Engagement Survey", "draft", None),
    ("Weekly Check-in", "active", "Weekly"),
    ("Weekly Check-in", "draft", "Weekly"),
    ("Évaluation annuelle", "active", None),
]


def organisation_plans(rows=ORGANISATION) -> list[dict]:
    return [
        plan_item(n, template_name=template, status=status, frequency=frequency)
        for n, (template, status, frequency) in enumerate(rows)
    ]


def expect_conversation_count(
    upstream, *, template_name: str, status: str, count: int = 0, http_status: int = 200
) -> None:
    """One count of a template's conversations with `status`, asked with exactly these params."""
    upstream.get(
        CONVERSATIONS_URL,
        json={"count": count, "next": None, "previous": None, "results": []},
        status=http_status,
        match=[
            matchers.query_param_matcher(
                {"template_name": template_name, "status": status, "limit": "1"}
            )
        ],
    )


def expect_organisation(upstream, rows=ORGANISATION, counts=None) -> None:
    """The overview's calls: the plan set, then a final and a draft count per template.

    `counts` maps a template to its (final, draft) counts; the default is (3, 2).
    """
    expect_all(upstream, items=organisation_plans(rows))
    for template in dict.fromkeys(template for template, _, _ in rows if template):
        final, draft = (counts or {}).get(template, (3, 2))
        expect_conversation_count(upstream, template_name=template, status="final", count=final)
        expect_conversation_count(upstream, template_name=template, status="draft", count=draft)
