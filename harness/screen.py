"""What a person sees: a terminal emulator (pyte) fed with everything a program printed."""

import codecs

import pyte

RENDER_LIMIT = 256 * 1024  # bytes rendered at most; more is kept raw, not drawn (pyte is slow)


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
            buffer, cols = self._screen.buffer, self._screen.columns
            rows = {y: "".join(buffer[y][x].data for x in range(cols)).rstrip() for y in list(buffer)}
            last = max((y for y, text in rows.items() if text), default=-1)
            self._lines = [rows.get(y, "") for y in range(last + 1)]
        if self._not_rendered:
            return [*self._lines, f"[{self._not_rendered} more bytes of output, not drawn]"]
        return list(self._lines)
