"""The words a person sees for a plan's status and frequency, the same on every page and export.

The API sends lower-case statuses ("active", "draft") and free-text frequencies
("Every 4 weeks") or null for a plan that does not recur. Tables, filters, the plan page
and the CSV exports all label them through these functions, so a value reads the same
everywhere; `frequency_sort_key` orders frequencies by how often they come round.
"""

import re

ONE_OFF_LABEL = "One-off"
UNKNOWN_STATUS_LABEL = "Unknown"

STATUS_LABELS = {"active": "Active", "draft": "Draft"}

# Days between two conversations, for the frequencies Perform & Engage 365 offers.
_NAMED_INTERVALS = {
    "daily": 1,
    "weekly": 7,
    "fortnightly": 14,
    "monthly": 30,
    "quarterly": 91,
    "half-yearly": 182,
    "semi-annually": 182,
    "annually": 365,
    "yearly": 365,
}
_UNIT_DAYS = {"day": 1, "week": 7, "month": 30, "year": 365}
_EVERY_N = re.compile(r"every\s+(\d{1,4})\s+(day|week|month|year)s?")


def status_label(status: str | None) -> str:
    """ "Active", "Draft"; another status capitalised as sent; "Unknown" when there is none."""
    if not status:
        return UNKNOWN_STATUS_LABEL
    return STATUS_LABELS.get(status.casefold(), status[:1].upper() + status[1:])


def frequency_label(frequency: str | None) -> str:
    """The frequency as the API words it, or "One-off" for a plan that does not recur."""
    return frequency or ONE_OFF_LABEL


def frequency_interval(frequency: str | None) -> int | None:
    """Days between two conversations, or None when the wording is not one we know."""
    text = " ".join((frequency or "").casefold().split())
    if text in _NAMED_INTERVALS:
        return _NAMED_INTERVALS[text]
    if match := _EVERY_N.fullmatch(text):
        return int(match.group(1)) * _UNIT_DAYS[match.group(2)]
    return None


def frequency_sort_key(frequency: str | None) -> tuple[int, int, str]:
    """Known intervals shortest first, then other wordings alphabetically, then one-off."""
    if not frequency:
        return (2, 0, "")
    interval = frequency_interval(frequency)
    if interval is None:
        return (1, 0, frequency.casefold())
    return (0, interval, frequency.casefold())
