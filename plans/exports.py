"""CSV downloads: one writer for every export, so they all follow the same rules.

- UTF-8 with a byte-order mark, so Excel opens accented names correctly;
- a header row;
- a cell that starts with =, +, -, @, a tab or a carriage return is prefixed with a
  single quote, so a spreadsheet shows it as text instead of running it as a formula
  (upstream names are typed by people and must never run as code on an admin's machine);
- `Content-Disposition: attachment` with a dated ASCII file name.
"""

import csv
from collections.abc import Iterable, Sequence

from django.http import HttpResponse
from django.utils import timezone

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: object) -> str:
    text = "" if value is None else str(value)
    return f"'{text}" if text.startswith(FORMULA_TRIGGERS) else text


def csv_response(
    filename_stem: str, header: Sequence[str], rows: Iterable[Sequence[object]]
) -> HttpResponse:
    """A CSV attachment named `<filename_stem>-YYYYMMDD.csv` (today, in the site's time zone)."""
    filename = f"{filename_stem}-{timezone.localdate():%Y%m%d}.csv"
    response = HttpResponse(
        content_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
    response.write("\ufeff")
    writer = csv.writer(response)
    writer.writerow([neutralise(cell) for cell in header])
    writer.writerows([neutralise(cell) for cell in row] for row in rows)
    return response
