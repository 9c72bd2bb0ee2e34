"""What reading one file may cost, and the error a file that cannot be read raises.

Shared by the readers of every format (:mod:`.readers`, :mod:`.office`, :mod:`.pdf`, :mod:`.ocr`):
:class:`ReadError` carries a reason a user can act on; :class:`Clock` is the time one file (or,
for scans, one page) may take (``limits.max_seconds``), checked between units of work.
"""
from __future__ import annotations

import time

from ..config import ReadLimits

MB = 1024 * 1024


class ReadError(Exception):
    """A file that cannot be ingested; the message says why."""


class Clock:
    """The time a file (or one page of it) may take to read (``limits.max_seconds``)."""

    def __init__(self, seconds: float):
        self.seconds, self.end = seconds, time.monotonic() + seconds

    def check(self, done: str) -> None:
        if time.monotonic() > self.end:
            raise ReadError(f"took over {self.seconds:g} s to read ({done}) (limits.max_seconds = {self.seconds:g})")


def too_long(chars: int, limits: ReadLimits) -> ReadError:
    return ReadError(f"too long: {chars:,} characters > {limits.max_chars:,} (limits.max_chars)")
