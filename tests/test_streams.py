"""The crowd judge (harness/engine/streams.py) on made-up streams: it passes what a correct server
sends, in any order a correct server could produce, and names each kind of wrong stream."""

from dataclasses import dataclass, field

import pytest

from harness.engine.streams import Book, StreamError
from harness.model.protocol import users_online
from harness.model.scenario import Crowd


@dataclass(eq=False)
class FakeUser:
    name: str
    endpoint: str
    received_lines: list[bytes] = field(default_factory=list)
    partial: bytes = b""


def welcome(n):
    return f"> Connected to the chat server {users_online(n)}".encode()


def joined(user, n):
    return f"> New user {user.endpoint} entered {users_online(n)}".encode()


def book_of(users=3, messages=2, **more):
    """A book that has seen `users` welcomed in order, and planned the talk."""
    book = Book(Crowd(users=users, messages=messages, talkers=more.pop("talkers", users), **more))
    people = [FakeUser(f"user{n}", f"127.0.0.1:{40000 + n}") for n in range(1, users + 1)]
    for n, user in enumerate(people, start=1):
        user.received_lines = [welcome(n)] + [joined(later, m) for m, later in enumerate(people, start=1) if m > n]
        book.arrived(user)
    book.check_served()
    book.plan()
    return book, people


def relay(book, people):
    """What a correct server delivers: every talker's lines to everyone else, one talker after another."""
    for talker in book.talkers:
        for text in book.sent[talker.endpoint]:
            for user in people:
                if user is not talker:
                    user.received_lines.append(f"[{talker.endpoint}] ".encode() + text)


def test_a_correct_stream_passes():
    book, people = book_of()
    relay(book, people)
    book.check_talk()


def test_lines_of_different_talkers_may_interleave():
    book, people = book_of()
    relay(book, people)
    user = people[0]
    head, talk = user.received_lines[:3], user.received_lines[3:]
    user.received_lines = head + talk[::-1]  # each talker's lines reversed
    with pytest.raises(StreamError, match="expected line 1 from user"):
        book.check_talk()
    user.received_lines = [*head, talk[2], talk[0], talk[3], talk[1]]  # user2 and user3 interleaved, each in order
    book.check_talk()


@pytest.mark.parametrize(
    ("spoil", "message"),
    [
        (lambda lines: [*lines, lines[-1]], "but received 3 \\(duplicates\\)"),
        (lambda lines: lines[:-1], "expected the 2 lines user3 sent, but received 1"),
        (lambda lines: [*lines[:3], lines[4], lines[3]], "expected line 1 from user2 to be"),
        (lambda lines: [*lines, b"[127.0.0.1:40001] hello"], "never to get its own lines"),
        (lambda lines: [*lines, b"[127.0.0.1:9] hi"], "from the talkers only, but received one from 127.0.0.1:9"),
        (lambda lines: [*lines, b"hello"], "only chat lines and notices"),
        (lambda lines: [welcome(2), *lines[1:]], "expected .* first, but saw"),
        (lambda lines: [lines[0], *lines[2:]], "expected the join notice"),
    ],
)
def test_each_kind_of_wrong_stream_is_named(spoil, message):
    book, people = book_of()
    relay(book, people)
    people[0].received_lines = spoil(people[0].received_lines)
    with pytest.raises(StreamError, match=message):
        book.check_talk()


def test_an_unfinished_line_is_named():
    book, people = book_of()
    relay(book, people)
    people[1].partial = b"[127.0.0.1:40001] hal"
    with pytest.raises(StreamError, match="unfinished one"):
        book.check_talk()


def test_a_user_who_left_half_way_counts_with_the_same_prefix_for_everyone():
    book, people = book_of(users=4, messages=4, leavers=1)
    leaver = next(user for user in people if user.endpoint in book.departing)
    assert len(book.sent[leaver.endpoint]) == 2  # half of its lines
    relay(book, people)
    for user in people:
        if user is not leaver:
            user.received_lines.append(f"< The user {leaver.endpoint} left {users_online(3)}".encode())
    book.check_talk()
    # One user missed the leaver's last line while another got it: a line was lost.
    book, people = book_of(users=4, messages=4, leavers=1)
    leaver = next(user for user in people if user.endpoint in book.departing)
    relay(book, people)
    staying = [user for user in people if user is not leaver]
    for user in staying:
        user.received_lines.append(f"< The user {leaver.endpoint} left {users_online(3)}".encode())
    last = f"[{leaver.endpoint}] ".encode() + book.sent[leaver.endpoint][-1]
    staying[-1].received_lines.remove(last)
    with pytest.raises(StreamError, match=r"expected the 2 lines of user\d \(who left\) others got; received 1"):
        book.check_talk()


def test_leave_notices_count_down_from_the_room():
    book, people = book_of(users=4, messages=4, leavers=1)
    leaver = next(user for user in people if user.endpoint in book.departing)
    relay(book, people)
    for user in people:
        if user is not leaver:
            user.received_lines.append(f"< The user {leaver.endpoint} left {users_online(4)}".encode())
    with pytest.raises(StreamError, match="expected the leave notice"):
        book.check_talk()


def test_welcome_counts_must_run_one_two_three():
    book = Book(Crowd(users=2, messages=2, talkers=2))
    book.arrived(FakeUser("user1", "127.0.0.1:1", [welcome(1)]))
    book.arrived(FakeUser("user2", "127.0.0.1:2", [welcome(3)]))
    with pytest.raises(StreamError, match="expected welcome counts 1, 2, 3"):
        book.check_served()
    with pytest.raises(StreamError, match="both welcomed"):
        book.arrived(FakeUser("user3", "127.0.0.1:3", [welcome(1)]))
    with pytest.raises(StreamError, match="but the count is worded"):
        book.arrived(FakeUser("user4", "127.0.0.1:4", [b"> Connected to the chat server (2 user online)"]))


def test_a_refusal_is_accepted_only_where_the_scenario_allows_it():
    refusal = b"> Sorry, the chat room is full, try again later"
    strict = Book(Crowd(users=2, messages=2, talkers=2))
    with pytest.raises(StreamError, match="expected the welcome as its first line"):
        strict.arrived(FakeUser("user1", "127.0.0.1:1", [refusal]))
    lenient = Book(Crowd(users=2, messages=2, talkers=2, may_refuse=True))
    lenient.arrived(FakeUser("user1", "127.0.0.1:1", [refusal]))
    assert lenient.refused == {"127.0.0.1:1"}


def server_output(book, people):
    lines = [f"Chat Server started on port {book.port}.".encode()]
    lines += [joined(user, n) for n, user in enumerate(people, start=1)]
    for talker in book.talkers:
        lines += [f"[{talker.endpoint}] ".encode() + text for text in book.sent[talker.endpoint]]
    lines += [
        f"< The user {user.endpoint} left {users_online(len(people) - n)}".encode() for n, user in enumerate(people, 1)
    ]
    return b"\r\n".join(lines) + b"\r\n"


def test_the_server_output_is_checked_line_by_line():
    book, people = book_of()
    relay(book, people)
    book.check_talk()
    good = server_output(book, people)
    book.check_server(good)
    with pytest.raises(StreamError, match="the 2 lines of user1 it relayed, but it printed 3"):
        book.check_server(good.replace(b"\r\n<", b"\r\n" + good.split(b"\r\n")[4] + b"\r\n<", 1))
    with pytest.raises(StreamError, match=r"but it printed .Traceback"):
        book.check_server(good + b"Traceback (most recent call last):\r\n")
    with pytest.raises(StreamError, match=r"the server: expected the leave notice .* but saw"):
        book.check_server(good.replace(b"(0 user online)", b"(0 users online)"))
