"""Each request runs with room on CPython 3.11's frame stack (dashboard/frame_stack.py).

CPython 3.11 keeps frames in 16 KB chunks of about 2,045 slots and maps a new chunk each
time a call steps over a chunk's end, unmapping it when that call returns. A fresh
mapping shows up as a minor page fault when first touched, so page faults count how
often that happens.
"""

import resource
import sys

import pytest

from dashboard.frame_stack import STACK_ROOM_SLOTS, FrameStackRoomMiddleware

# 3.13 no longer frees a chunk the moment its base frame returns: nothing to work around.
pytestmark = pytest.mark.skipif(
    sys.version_info >= (3, 13), reason="the frame-stack workaround is for CPython < 3.13"
)

# descend() frames are about 14 slots: 200 of them reach past a whole chunk, so every
# round crosses at least one chunk boundary, wherever on the stack it starts.
LEVELS = 200
ROUNDS = 500


def descend(levels: int) -> int:
    return descend(levels - 1) + 1 if levels else 0


def oscillate(request):
    """A request whose calls go down past a chunk's worth of frames and back, many times."""
    for _ in range(ROUNDS):
        assert descend(LEVELS) == LEVELS
    return f"answered {request}"


def minor_page_faults_of(call) -> tuple[object, int]:
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    result = call()
    return result, resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before


def test_without_room_every_round_maps_a_new_chunk():
    """The interpreter's behaviour the middleware works around (the test's own control).

    On an interpreter that keeps a spare chunk (CPython 3.13.x and later with the fix),
    this fails: FrameStackRoomMiddleware is then no longer needed.
    """
    _, faults = minor_page_faults_of(lambda: oscillate("plain"))
    assert faults >= ROUNDS


def test_a_request_with_room_maps_nothing_per_call():
    middleware = FrameStackRoomMiddleware(oscillate)
    result, faults = minor_page_faults_of(lambda: middleware("roomy"))
    assert result == "answered roomy"
    assert faults < ROUNDS / 10
    assert LEVELS * 14 < STACK_ROOM_SLOTS / 2, "the rounds fit in the room with margin"


def test_exceptions_pass_through_the_room_unchanged():
    def failing(request):
        raise LookupError(request)

    with pytest.raises(LookupError, match="lost"):
        FrameStackRoomMiddleware(failing)("lost")
