"""Progress on stderr: one redrawn line on a terminal, plain periodic lines in a log."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import TextIO


def _duration(seconds: float) -> str:
    seconds = int(seconds + 0.5)
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"


class Progress:
    """Call ``update(done)`` as work finishes and ``close()`` at the end.

    ``scale`` divides the counts for display (1e6 shows bytes as MB); ``per`` is the rate's
    time unit, ``"min"`` or ``"s"``. Off a terminal a line is written every ``plain_every_s``
    seconds, or nothing when ``plain_every_s`` is None (a log needs no byte counter).
    Nothing is shown before ``delay_s``, so short work stays quiet.
    """

    _REDRAW_S = 0.2

    def __init__(
        self,
        total: int | None,
        *,
        unit: str,
        scale: float = 1.0,
        per: str = "min",
        stream: TextIO | None = None,
        tty: bool | None = None,
        plain_every_s: float | None = 30.0,
        delay_s: float = 0.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.total, self.unit, self.scale = total, unit, scale
        self._per_s = 60.0 if per == "min" else 1.0
        self._per = per
        self.stream = stream if stream is not None else sys.stderr
        self.tty = tty if tty is not None else bool(getattr(self.stream, "isatty", lambda: False)())
        self._plain_every_s = plain_every_s
        self._delay_s = delay_s
        self._clock = clock
        self._start = clock()
        self._last_draw: float | None = None
        self._drawn = False

    def _count(self, value: float) -> str:
        return f"{value / self.scale:.1f}" if self.scale != 1.0 else str(int(value))

    def line(self, done: int, now: float) -> str:
        elapsed = max(now - self._start, 1e-9)
        rate = done / elapsed
        total = f"/{self._count(self.total)}" if self.total is not None else ""
        text = (
            f"{self._count(done)}{total} {self.unit}, "
            f"{rate * self._per_s / self.scale:.1f} {self.unit}/{self._per}"
        )
        if self.total is not None and done and self.total > done:
            text += f", ETA {_duration((self.total - done) / rate)}"
        return text

    def update(self, done: int) -> None:
        now = self._clock()
        if now - self._start < self._delay_s:
            return
        finished = self.total is not None and done >= self.total
        if self.tty:
            if finished or self._last_draw is None or now - self._last_draw >= self._REDRAW_S:
                self._draw("\r" + self._bar(done) + self.line(done, now) + "\033[K")
                self._last_draw = now
        elif self._plain_every_s is not None:
            since = now - (self._last_draw if self._last_draw is not None else self._start)
            if since >= self._plain_every_s:
                self._draw(self.line(done, now) + "\n")
                self._last_draw = now

    def close(self) -> None:
        if self.tty and self._drawn:
            self._draw("\n")

    def _bar(self, done: int) -> str:
        if not self.total:
            return ""
        filled = min(20, 20 * done // self.total)
        return "[" + "#" * filled + "." * (20 - filled) + "] "

    def _draw(self, text: str) -> None:
        self.stream.write(text)
        self.stream.flush()
        self._drawn = True
