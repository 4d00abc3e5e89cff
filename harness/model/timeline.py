"""One merged record of what was typed into, and printed by, every member of a room."""

import time
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Event:
    seconds: float  # since the room opened
    who: str
    kind: str  # "typed", "printed", "received", "sent" or "action"
    data: bytes


@dataclass
class Timeline:
    started: float = field(default_factory=time.monotonic)
    events: list[Event] = field(default_factory=list)

    def record(self, who: str, kind: str, data: bytes) -> None:
        self.events.append(Event(time.monotonic() - self.started, who, kind, data))

    def raw(self, who: str, kinds: tuple[str, ...] = ("printed", "received"), since: int = 0) -> bytes:
        """Everything that member's screen or socket was given, in order (from event `since`)."""
        return b"".join(e.data for e in self.events[since:] if e.who == who and e.kind in kinds)
