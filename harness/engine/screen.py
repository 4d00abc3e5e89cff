"""What a person sees: a terminal emulator (pyte) fed with everything a program printed."""

import codecs

import pyte

# Bytes rendered at most; more is kept raw, not drawn. pyte draws ~200 KB a second, and a
# screen of 200 rows of 120 columns holds 24,000 characters: the graded scenarios print at
# most a few KB a screen, and a server that prints every message it relays (slow-reader's
# 9 MB) would only scroll what was drawn off the top.
RENDER_LIMIT = 32 * 1024


class Screen:
    """A pyte screen tall enough that nothing scrolls away, read back as text lines."""

    def __init__(self, rows: int, cols: int) -> None:
        self._screen = pyte.Screen(cols, rows)
        self._stream = pyte.Stream(self._screen)
        self._decoder = codecs.getincrementaldecoder("utf-8")("replace")
        self._lines: list[str] | None = []
        self._rendered = 0
        self._not_rendered = 0

    def feed(self, data: bytes) -> None:
        if self._rendered + len(data) > RENDER_LIMIT:
            self._not_rendered += len(data)  # the drawn lines stay as they are
            return
        self._rendered += len(data)
        self._stream.feed(self._decoder.decode(data))
        self._lines = None

    def lines(self) -> list[str]:
        """Every row down to the last one with text on it, without trailing blanks."""
        if self._lines is None:
            rows = {y: _text(row, self._screen.columns) for y, row in list(self._screen.buffer.items())}
            last = max((y for y, text in rows.items() if text), default=-1)
            self._lines = [rows.get(y, "") for y in range(last + 1)]
        if self._not_rendered:
            return [*self._lines, f"[{self._not_rendered} more bytes of output, not drawn]"]
        return list(self._lines)


def _text(row: dict, cols: int) -> str:
    """A pyte row as text: only the cells drawn are stored (a wide character's second cell
    holds ""), the others are blanks."""
    width = min(max(row, default=-1) + 1, cols)
    chars = [" "] * width
    for x, cell in list(row.items()):
        if x < width:
            chars[x] = cell.data
    return "".join(chars).rstrip()
