"""A CPython 3.11/3.12 workaround: run each request with room on the interpreter's frame stack.

Only the interpreters that have the problem get it: on 3.13 and later
dashboard/settings.py leaves it out of MIDDLEWARE.
"""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

# CPython before 3.13 keeps the frames of Python calls in per-thread chunks of 16 KB and
# frees a chunk the moment the frame at its base returns (python/cpython#142183). A page
# render runs about one chunk deep, so its innermost calls (escaping a table cell) step
# back and forth over a chunk boundary, mapping and unmapping a chunk at each step
# (bench/README.md has the measurements). Calling the rest of the request from a frame
# that reserves STACK_ROOM_SLOTS slots puts the request at the start of a fresh 128 KB
# chunk with 64 KB of room, several times what a page needs: the chunk is mapped once
# per request and only the pages the request's frames use are touched.
STACK_ROOM_SLOTS = 8192


def _call_with_room(
    get_response: Callable[[HttpRequest], HttpResponse], request: HttpRequest
) -> HttpResponse:
    return get_response(request)


# A frame's size comes from its code's co_stacksize: claim the room (never used as stack).
_call_with_room.__code__ = _call_with_room.__code__.replace(co_stacksize=STACK_ROOM_SLOTS)


class FrameStackRoomMiddleware:
    """Runs the request from a frame with room above it, so its calls never thrash (above)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return _call_with_room(self.get_response, request)
