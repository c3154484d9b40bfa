"""CSV downloads: one writer for every export, so they all follow the same rules.

- UTF-8 with a byte-order mark, so Excel opens accented names correctly;
- a header row;
- every field quoted, and a formula character (=, +, -, @, tab, carriage return) that
  could start a cell prefixed with a single quote, so a spreadsheet shows it as text
  instead of running it (upstream names are typed by people and must never run as code
  on an admin's machine). A cell can start at the start of a field and, in a spreadsheet
  whose list separator is not the file's (`;` in many European locales), after any
  `,`, `;`, tab or line break inside one: those splits ignore the file's quoting;
- `Content-Disposition: attachment` with a dated ASCII file name;
- streamed: rows are written as the download goes, so it starts at once and a worker
  never holds the whole file. Callers read their data first, so an upstream failure
  is still an error page rather than a broken download.
"""

import csv
import re
from collections.abc import Iterable, Iterator, Sequence

from django.http import StreamingHttpResponse
from django.utils import timezone

# Where a cell can start (see above), then the quotes and spaces a spreadsheet skips,
# then a formula character.
_FORMULA_START = re.compile(r'(^|[,;\t\r\n])([ "]*)(?=[=+\-@\t\r])')


def neutralise(value: object) -> str:
    text = "" if value is None else str(value)
    return _FORMULA_START.sub(r"\1\2'", text)


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
