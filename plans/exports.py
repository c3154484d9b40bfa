"""CSV downloads: one writer for every export, so they all follow the same rules.

- UTF-8 with a byte-order mark, so Excel opens accented names correctly;
- a header row;
- every field quoted, so a spreadsheet whose list separator is `;` (many European
  locales) keeps a field whole as one with `,` does; a field that starts with a formula
  character (=, +, -, @, tab, carriage return) gets a single quote in front, so a
  spreadsheet shows it as text instead of running it (upstream names are typed by people
  and must never run as code on an admin's machine). Nothing else changes: a value
  reads as it is, `;` and formula characters inside it included;
- `Content-Disposition: attachment` with a dated ASCII file name;
- streamed: rows are written as the download goes, so it starts at once and a worker
  never holds the whole file. Rows that come from the upstream as the download goes
  (plans.views.plan_export) raise its failure: the server then drops the connection
  instead of ending the file, so the browser reports a failed download rather than
  keeping a truncated file that looks complete.
"""

import csv
from collections.abc import Iterable, Iterator, Sequence

from django.http import StreamingHttpResponse
from django.utils import timezone

FORMULA_CHARACTERS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: object) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_CHARACTERS) else text


class _Echo:
    """A file for csv.writer whose write() hands the formatted line back instead of storing it."""

    def write(self, line: str) -> str:
        return line


# Rows sent per chunk: each chunk costs the server a write, so rows go out in batches
# (about 100 KB) instead of one by one; the header goes out alone, at once.
ROWS_PER_CHUNK = 500


def csv_lines(header: Sequence[str], rows: Iterable[Sequence[object]]) -> Iterator[str]:
    """The CSV file in chunks: BOM and header first, then ROWS_PER_CHUNK rows at a time."""
    writer = csv.writer(_Echo(), quoting=csv.QUOTE_ALL)
    yield "\ufeff" + writer.writerow([neutralise(cell) for cell in header])
    chunk: list[str] = []
    for row in rows:
        chunk.append(writer.writerow([neutralise(cell) for cell in row]))
        if len(chunk) == ROWS_PER_CHUNK:
            yield "".join(chunk)
            chunk = []
    if chunk:
        yield "".join(chunk)


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
