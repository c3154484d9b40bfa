"""CSV downloads: one writer for every export, so they all follow the same rules.

- UTF-8 with a byte-order mark, so Excel opens accented names correctly;
- a header row;
- a cell that starts with =, +, -, @, a tab or a carriage return is prefixed with a
  single quote, so a spreadsheet shows it as text instead of running it as a formula
  (upstream names are typed by people and must never run as code on an admin's machine);
- every field quoted;
- `Content-Disposition: attachment` with a dated ASCII file name;
- streamed: rows are written as the download goes, so it starts at once and a worker
  never holds the whole file. Callers read their data first, so an upstream failure
  is still an error page rather than a broken download.
"""

import csv
from collections.abc import Iterable, Iterator, Sequence

from django.http import StreamingHttpResponse
from django.utils import timezone

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: object) -> str:
    text = "" if value is None else str(value)
    return f"'{text}" if text.startswith(FORMULA_TRIGGERS) else text


class _Echo:
    """A file for csv.writer whose write() hands the formatted line back instead of storing it."""

    def write(self, line: str) -> str:
        return line


def csv_lines(header: Sequence[str], rows: Iterable[Sequence[object]]) -> Iterator[str]:
    """The CSV file, a line at a time: BOM and header first, then one line per row."""
    writer = csv.writer(_Echo(), quoting=csv.QUOTE_ALL)
    yield "\ufeff" + writer.writerow([neutralise(cell) for cell in header])
    for row in rows:
        yield writer.writerow([neutralise(cell) for cell in row])


def csv_response(
    filename_stem: str, header: Sequence[str], rows: Iterable[Sequence[object]]
) -> StreamingHttpResponse:
    """A CSV attachment named `<filename_stem>-YYYYMMDD.csv` (today, in the site's time zone)."""
    filename = f"{filename_stem}-{timezone.localdate():%Y%m%d}.csv"
    return StreamingHttpResponse(
        csv_lines(header, rows),
        content_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
