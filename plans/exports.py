"""CSV downloads: one writer for every export, so they all follow the same rules.

- UTF-8 with a byte-order mark, so Excel opens accented names correctly;
- a header row;
- every field quoted, and a formula character (=, +, -, @, tab, carriage return) that
  could start a cell prefixed with a single quote, so a spreadsheet shows it as text
  instead of running it (upstream names are typed by people and must never run as code
  on an admin's machine). A cell can start at the start of a field and, in a spreadsheet
  whose list separator is not the file's (`;` in many European locales), after any
  `,`, `;`, tab or line break inside one: those splits ignore the file's quoting;
- `Content-Disposition: attachment` with a dated ASCII file name.
"""

import csv
import re
from collections.abc import Iterable, Sequence

from django.http import HttpResponse
from django.utils import timezone

# Where a cell can start (see above), then the quotes and spaces a spreadsheet skips,
# then a formula character.
_FORMULA_START = re.compile(r'(^|[,;\t\r\n])([ "]*)(?=[=+\-@\t\r])')


def neutralise(value: object) -> str:
    text = "" if value is None else str(value)
    return _FORMULA_START.sub(r"\1\2'", text)


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
    writer = csv.writer(response, quoting=csv.QUOTE_ALL)
    writer.writerow([neutralise(cell) for cell in header])
    writer.writerows([neutralise(cell) for cell in row] for row in rows)
    return response
