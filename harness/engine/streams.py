"""What every user of a crowd run must have received, and what the server must have printed.

Lines of different kinds may interleave in any order a correct server could produce (a
join notice racing a message from another thread, say), so each kind is checked on its
own: the welcome first; the join notices of later users, in order; each talker's lines
exactly once and in its order (a prefix for a talker who left half-way, the same prefix
for everyone); the leave notices, each once, with counts going down by one. Nothing else.
"""

import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Generic, Protocol, TypeVar

from harness.model import protocol
from harness.model.outcome import Failure
from harness.model.protocol import users_online
from harness.model.scenario import Crowd

WELCOME = re.compile(re.escape(protocol.before(protocol.WELCOME, "online")).encode() + protocol.ONLINE.pattern.encode())
START = re.compile(re.escape(protocol.START).replace(r"\{port\}", r"(\d+)").encode() + rb"\r?\n")
ROOM_FULL = protocol.ROOM_FULL.encode()
JOIN, LEAVE = protocol.before(protocol.JOINED, "who").encode(), protocol.before(protocol.LEFT, "who").encode()
LEFT = protocol.between(protocol.LEFT, "who", "online").encode()  # b" left "
# Lines of ~130 bytes: a user who does not read then falls behind by several times what the
# kernel holds for it, so a server that blocks in send() is sure to freeze.
PADDING = "-" * 90


class Member(Protocol):
    """What the book reads of a user (a robot, harness/engine/robot.py): its name, its end of
    the connection as the server names it, the whole lines it received and the rest."""

    name: str
    endpoint: str

    @property
    def received_lines(self) -> list[bytes]: ...

    @property
    def partial(self) -> bytes: ...


M = TypeVar("M", bound=Member)  # the users a Book records: robots in a crowd run


class StreamError(Exception):
    """What a stream shows wrong, said in words: a crowd's failures are about whole streams."""

    def __init__(self, member: str, problem: str) -> None:
        super().__init__(problem)
        self.member, self.problem = member, problem

    def at(self, step: int, step_text: str) -> Failure:
        """The failure record it makes, at the crowd's step (its phase)."""
        return Failure(step, step_text, self.member, self.problem)


def _show(line: bytes) -> str:
    text = repr(line.decode("utf-8", "replace"))
    return text if len(text) <= 100 else text[:97] + "...'"


@dataclass
class Kinds:
    """A stream's lines sorted by kind, each kind in the order it came."""

    by_sender: dict[bytes, list[bytes]] = field(default_factory=lambda: defaultdict(list))
    joins: list[bytes] = field(default_factory=list)
    leaves: list[bytes] = field(default_factory=list)
    other: list[bytes] = field(default_factory=list)

    @classmethod
    def of(cls, lines: list[bytes]) -> "Kinds":
        kinds = cls()
        for line in lines:
            if line.startswith(b"["):
                sender, _, text = line[1:].partition(b"] ")
                kinds.by_sender[sender].append(text)
            elif line.startswith(JOIN):
                kinds.joins.append(line)
            elif line.startswith(LEAVE):
                kinds.leaves.append(line)
            else:
                kinds.other.append(line)
        return kinds


class Book(Generic[M]):
    """The run's plan and record: who was served in which order, who talks, who leaves."""

    def __init__(self, crowd: Crowd) -> None:
        self.crowd = crowd
        self.port = 0
        self.served: dict[int, M] = {}  # welcome count -> user
        self.refused: set[str] = set()
        self.order: list[M] = []  # served users, in the order the server counted them
        self.talkers: list[M] = []
        self.departing: dict[str, str] = {}  # endpoint -> "close" or "reset"
        self.sent: dict[str, list[bytes]] = {}  # endpoint -> the texts it sends
        self.relayed: dict[str, int] = {}  # endpoint -> how many of its lines everyone got
        self.leave_order: list[bytes] = []  # departing addresses, in the order notices came
        self._wanted: dict[str, int] | None = None  # what wanted() found, once it is final
        self._codes: dict[bytes, tuple[int, int]] = {}  # every line a talker sent -> (talker, line)
        self._expected: list[list[tuple[int, int]]] | None = None  # each talker's codes, all others got

    # --- connecting ------------------------------------------------------------------

    def learn_port(self, raw: bytes | bytearray) -> bool:
        found = START.match(raw)
        if found:
            self.port = int(found[1])
        return bool(found)

    def arrived(self, user: M) -> None:
        """A user's first line: the welcome (noting its count) or, if allowed, the refusal."""
        first = user.received_lines[0] if user.received_lines else None
        if first == ROOM_FULL and self.crowd.may_refuse:
            self.refused.add(user.endpoint)
            return
        found = WELCOME.fullmatch(first or b"")
        if found is None:
            seen = "nothing (its connection closed)" if first is None else _show(first)
            raise StreamError(user.name, f"{user.name}: expected the welcome as its first line, but it was {seen}")
        assert first is not None  # the welcome matched it
        count = int(found[1])
        if first != protocol.WELCOME.format(online=users_online(count)).encode():
            raise StreamError(
                user.name, f"{user.name}: expected '{users_online(count)}', but the count is worded {_show(first)}"
            )
        if count in self.served:
            other = self.served[count].name
            raise StreamError(
                user.name,
                f"{user.name}: expected a count of its own, but it and {other} were both welcomed as user {count}",
            )
        self.served[count] = user

    def check_served(self) -> None:
        counts = sorted(self.served)
        if counts != list(range(1, len(counts) + 1)):
            raise StreamError("server", f"expected welcome counts 1, 2, 3, ..., but they were {counts[:12]}")
        if not counts:
            raise StreamError("server", "expected welcomes, but no user was welcomed")
        self.order = [self.served[count] for count in counts]

    # --- talking ---------------------------------------------------------------------

    def plan(self) -> list[tuple[M, list[bytes], str]]:
        """Each talker's lines (half of them for one who leaves) and how it leaves, if it does."""
        wanted = min(self.crowd.talkers, len(self.order))
        spread = len(self.order) / wanted
        self.talkers = [self.order[int(i * spread)] for i in range(wanted)]
        departing = self.crowd.leavers + self.crowd.resets
        stride = max(1, len(self.talkers) // max(1, departing))
        chosen = self.talkers[1::stride][:departing]
        for index, user in enumerate(chosen):
            self.departing[user.endpoint] = "close" if index < self.crowd.leavers else "reset"
        plan = []
        for user in self.talkers:
            texts = [f"{user.name} line {k}: ça va {PADDING}".encode() for k in range(1, self.crowd.messages + 1)]
            how = self.departing.get(user.endpoint, "")
            self.sent[user.endpoint] = texts[: len(texts) // 2] if how else texts
            plan.append((user, self.sent[user.endpoint], how))
        return plan

    def lags(self, number: int) -> bool:
        """Whether user `number` is one of the laggers, spread evenly over the users."""
        laggers = self.crowd.laggers
        return (
            laggers > 0
            and number % max(1, self.crowd.users // laggers) == 0
            and number // max(1, self.crowd.users // laggers) <= laggers
        )

    @property
    def laggers(self) -> list[M]:
        return [user for user in self.staying() if getattr(user, "lags", False)]

    def staying(self) -> list[M]:
        return [user for user in self.order if user.endpoint not in self.departing]

    def wanted(self, raw: bytes | bytearray) -> dict[str, int] | None:
        """How many lines each staying user must have by the end of the talk, once the server
        has printed every departure (and so how many lines of each departing user it heard)."""
        if self._wanted is not None:  # final: a departed user's lines all come before its leave line
            return self._wanted
        if not all(LEAVE + address.encode() + LEFT in raw for address in self.departing):
            return None
        heard = {address: raw.count(b"[" + address.encode() + b"] ") for address in self.departing}
        talk = {u.endpoint: heard.get(u.endpoint, len(self.sent[u.endpoint])) for u in self.talkers}
        total = sum(talk.values()) + len(self.departing)
        self._wanted = {
            user.endpoint: len(self.order) - position + 1 + total - talk.get(user.endpoint, 0)
            for position, user in enumerate(self.order, start=1)
        }
        return self._wanted

    def check_talk(self, users: list[M] | None = None) -> None:
        """Every user who stayed (or these users) got exactly what it should have, so far."""
        for position, user in enumerate(self.order, start=1):
            if user.endpoint in self.departing or (users is not None and user not in users):
                continue
            if user.partial:
                raise StreamError(
                    user.name,
                    f"{user.name}: expected whole lines, but received an unfinished one: {_show(user.partial)}",
                )
            self._check_stream(user, position)

    def _check_stream(self, user: M, position: int) -> None:
        lines = user.received_lines
        welcome = protocol.WELCOME.format(online=users_online(position)).encode()
        if lines[0] != welcome:
            raise StreamError(user.name, f"{user.name}: expected {_show(welcome)} first, but saw {_show(lines[0])}")
        chat, rest = self._sort_out(lines[1:])
        kinds = Kinds.of(rest)  # the notices, and any line no talker sent
        if kinds.other:
            line = _show(kinds.other[0])
            raise StreamError(user.name, f"{user.name}: expected only chat lines and notices, but received {line}")
        self._check_joins(user.name, kinds.joins, position)
        if kinds.by_sender or not self._all_lines_once_in_order(user, chat):
            self._check_messages(user, Kinds.of(lines[1:]).by_sender)  # finds what is wrong, and says it
        names = self._check_leaves(user.name, kinds.leaves, {a.encode() for a in self.departing})
        if not self.leave_order:
            self.leave_order = names
        elif names != self.leave_order:
            problem = "expected the leave notices in the order the others got them, but they differ"
            raise StreamError(user.name, f"{user.name}: {problem}")

    def _sort_out(self, lines: list[bytes]) -> tuple[list[tuple[int, int]], list[bytes]]:
        """Each line some talker sent, as (talker's number, line's number), in the order they
        came; and the other lines. A crowd's users get 400,000 lines: this is the fast way."""
        if not self._codes:
            self._codes = {
                b"[" + talker.endpoint.encode() + b"] " + text: (number, k)
                for number, talker in enumerate(self.talkers)
                for k, text in enumerate(self.sent[talker.endpoint])
            }
        found = list(map(self._codes.get, lines))
        chat = [code for code in found if code is not None]
        rest = [line for line, code in zip(lines, found, strict=True) if code is None]
        return chat, rest

    def _all_lines_once_in_order(self, user: M, chat: list[tuple[int, int]]) -> bool:
        """Whether the user got every other talker's lines, each once, in that talker's order
        (a departed talker's first lines, as many as everyone else got); False: look closer."""
        by_talker = itemgetter(0)
        if len(self.relayed) < len(self.departing):  # the first user: how many lines of those who left?
            counts = Counter(map(by_talker, chat))
            for number, talker in enumerate(self.talkers):
                if talker.endpoint in self.departing:
                    self.relayed.setdefault(talker.endpoint, counts[number])
        if self._expected is None:
            self._expected = []
            for number, talker in enumerate(self.talkers):
                count = self.relayed.get(talker.endpoint, len(self.sent[talker.endpoint]))
                self._expected.append([(number, k) for k in range(count)])
        expected = [
            code for number, codes in enumerate(self._expected) if self.talkers[number] is not user for code in codes
        ]
        return sorted(chat, key=by_talker) == expected  # a stable sort keeps each talker's order

    def _check_joins(self, who: str, seen: list[bytes], position: int) -> None:
        """The join notices of the users after `position`, in order (0: all, as the server prints them)."""
        expected = [
            protocol.JOINED.format(who=u.endpoint, online=users_online(n)).encode() for n, u in self._after(position)
        ]
        for want, got in zip(expected, seen, strict=False):
            if want != got:
                raise StreamError(who, f"{who}: expected the join notice {_show(want)}, but saw {_show(got)}")
        if len(seen) != len(expected):
            raise StreamError(who, f"{who}: expected {len(expected)} join notices, but saw {len(seen)}")

    def _after(self, position: int) -> list[tuple[int, M]]:
        return [(n, u) for n, u in enumerate(self.order, start=1) if n > position]

    def _check_messages(self, user: M, by_sender: dict[bytes, list[bytes]]) -> None:
        own = user.endpoint.encode()
        if own in by_sender:
            line = _show(by_sender[own][0])
            raise StreamError(user.name, f"{user.name}: expected never to get its own lines, but received {line}")
        talkers = {u.endpoint.encode(): u for u in self.talkers}
        for sender in by_sender.keys() - talkers.keys():
            problem = f"expected lines from the talkers only, but received one from {sender.decode()}"
            raise StreamError(user.name, f"{user.name}: {problem}")
        for address, talker in talkers.items():
            if address == own:
                continue
            got, sent = by_sender.get(address, []), self.sent[talker.endpoint]
            departed = talker.endpoint in self.departing
            self._check_one_sender(user, talker, got, sent, departed)

    def _check_one_sender(self, user: M, talker: M, got: list[bytes], sent: list[bytes], departed: bool):
        count = len(got)
        if got != sent[:count]:
            where = next((i for i, (a, b) in enumerate(zip(got, sent, strict=False)) if a != b), len(sent))
            if where >= len(sent):
                problem = f"expected the {len(sent)} lines {talker.name} sent, but received {len(got)} (duplicates)"
            else:
                want, seen = _show(sent[where]), _show(got[where])
                problem = f"expected line {where + 1} from {talker.name} to be {want}, but it was {seen}"
            raise StreamError(user.name, f"{user.name}: {problem}")
        if not departed and count != len(sent):
            problem = f"expected the {len(sent)} lines {talker.name} sent, but received {count}"
            raise StreamError(user.name, f"{user.name}: {problem}")
        if departed:  # it left half-way: the server relays what it read before, to everyone alike
            first = self.relayed.setdefault(talker.endpoint, count)
            if first != count:
                problem = f"expected the {first} lines of {talker.name} (who left) others got; received {count}"
                raise StreamError(user.name, f"{user.name}: {problem}")

    def _check_leaves(self, who: str, leaves: list[bytes], leaving: set[bytes]) -> list[bytes]:
        """One notice for each of `leaving`, the count going down by one from the room's size."""
        names = [line[len(LEAVE) :].partition(LEFT)[0] for line in leaves]
        if sorted(names) != sorted(leaving):
            raise StreamError(who, f"{who}: expected {len(leaving)} leave notices, but saw {len(leaves)}")
        for left, (name, line) in enumerate(zip(names, leaves, strict=True), start=1):
            want = LEAVE + name + LEFT + users_online(len(self.order) - left).encode()
            if line != want:
                raise StreamError(who, f"{who}: expected the leave notice {_show(want)}, but saw {_show(line)}")
        return names

    # --- the server's terminal ------------------------------------------------------------

    def all_left(self, raw: bytes | bytearray) -> bool:
        return raw.count(LEAVE) >= len(self.order)

    def check_server(self, raw: bytes | bytearray) -> None:
        """The server printed each join, each relayed line once and in order, each leave."""
        lines = bytes(raw).replace(b"\r\n", b"\n").split(b"\n")
        if lines[-1]:
            problem = f"expected the server's output to end with a whole line, but it ends {_show(lines[-1])}"
            raise StreamError("server", problem)
        kinds = Kinds.of(lines[1:-1])
        refused = [address.encode() for address in self.refused]
        for line in kinds.other:
            if not any(address in line for address in refused):  # a refusal may be logged
                problem = f"expected joins, chat lines and leaves, but it printed {_show(line)}"
                raise StreamError("server", f"the server: {problem}")
        self._check_joins("the server", kinds.joins, 0)
        for talker in self.talkers:
            got, sent = kinds.by_sender.pop(talker.endpoint.encode(), []), self.sent[talker.endpoint]
            want = sent[: self.relayed[talker.endpoint]] if talker.endpoint in self.departing else sent
            if got != want:
                problem = f"expected the server to print the {len(want)} lines of {talker.name} it relayed"
                how = f"it printed {len(got)}" if len(got) != len(want) else "they differ"
                raise StreamError("server", f"{problem}, but {how}")
        if kinds.by_sender:
            sender = next(iter(kinds.by_sender)).decode()
            raise StreamError("server", f"expected lines from talkers only, but the server printed some from {sender}")
        self._check_leaves("the server", kinds.leaves, {u.endpoint.encode() for u in self.order})

    def check_last(self, user: M) -> None:
        welcome = protocol.WELCOME.format(online=users_online(1)).encode()
        if user.received_lines[:1] != [welcome]:
            seen = _show(user.received_lines[0]) if user.received_lines else "nothing"
            raise StreamError(
                user.name, f"expected a user arriving after everyone left to see {_show(welcome)}, but saw {seen}"
            )

    def summaries(self) -> dict[str, list[str]]:
        """A few lines for the report: who was served, who talked, who left."""
        talk = f"{len(self.talkers)} talkers, {len(self.departing)} left half-way" if self.talkers else "no talk yet"
        served = f"{len(self.order)} served, {len(self.refused)} refused" if self.order else "not all connected"
        return {"crowd": [f"users: {served}", talk]}
