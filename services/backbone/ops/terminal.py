"""Output for people at a terminal: aligned tables and a progress line.

Chinese characters take two columns in a terminal, so widths are measured in columns.
"""

import sys
import time
import unicodedata


def width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def pad(text: str, columns: int) -> str:
    return text + " " * max(0, columns - width(text))


def table(rows: list[dict], columns: list[str], headers: dict[str, str] | None = None) -> str:
    headers = headers or {}
    cells = [[str(headers.get(c, c)) for c in columns]]
    cells += [["" if row.get(c) is None else str(row.get(c)) for c in columns] for row in rows]
    widths = [max(width(line[i]) for line in cells) for i in range(len(columns))]
    lines = ["  ".join(pad(cell, widths[i]) for i, cell in enumerate(line)).rstrip() for line in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


class Progress:
    """``with Progress("rebuild", total) as p: p.advance()`` — one updating line on a
    terminal (at most ten updates a second), a final line otherwise."""

    def __init__(self, label: str, total: int | None = None, stream=None):
        self.label = label
        self.total = total
        self.done = 0
        self.stream = stream or sys.stderr
        self.started = time.monotonic()
        self._shown = 0.0

    def __enter__(self):
        return self

    def advance(self, count: int = 1) -> None:
        self.done += count
        now = time.monotonic()
        if self.stream.isatty() and now - self._shown > 0.1:
            self._shown = now
            self.stream.write("\r" + self._line())
            self.stream.flush()

    def _line(self) -> str:
        elapsed = time.monotonic() - self.started
        rate = self.done / elapsed if elapsed > 0 else 0.0
        total = f"/{self.total}" if self.total else ""
        percent = f" {100 * self.done / self.total:5.1f}%" if self.total else ""
        return f"{self.label}: {self.done}{total}{percent} ({rate:,.0f}/s, {elapsed:.1f}s)"

    def __exit__(self, *exc):
        self.stream.write(("\r" if self.stream.isatty() else "") + self._line() + "\n")
        self.stream.flush()
