"""Deliberately broken copies of the reference fail, at the right step, naming the wrong line."""

import dataclasses

import pytest

from harness.engine import runner
from harness.model import scenario

SERVER, CLIENT = runner.REFERENCE_SERVER, runner.REFERENCE_CLIENT

# (id, program, text in it, replacement, scenario, failing step, member, fragments of the problem)
BROKEN = [
    (
        "plural-at-zero",
        SERVER,
        "'users' if count > 1 else 'user'",
        "'users' if count != 1 else 'user'",
        "seed",
        13,
        "server",
        ["line 13", "(0 user online)", "(0 users online)"],
    ),
    (
        "count-includes-listener",
        SERVER,
        "online = users_online(len(self.clients))",
        "online = users_online(len(self.clients) + 1)",
        "seed",
        2,
        "server",
        ["line 2", "(1 user online)", "(2 users online)"],
    ),
    (
        "echo-to-sender",
        SERVER,
        "self.broadcast(line, sender=client)",
        "self.broadcast(line)",
        "seed",
        4,
        "alice",
        ["line 4", "expected nothing more", "Hi this is user 1"],
    ),
    (
        "no-you",
        CLIENT,
        'print(f"{CURSOR_TO_PREVIOUS_LINE}[You] {text}")',
        'print(f"{CURSOR_TO_PREVIOUS_LINE}{text}")',
        "seed",
        4,
        "alice",
        ["line 3", "'[You] Hi this is user 1'", "seen 'Hi this is user 1'"],
    ),
    (
        "no-cursor-up",
        CLIENT,
        'print(f"{CURSOR_TO_PREVIOUS_LINE}[You] {text}")',
        'print(f"[You] {text}")',
        "seed",
        4,
        "alice",
        ["line 3", "'[You] Hi this is user 1'", "seen 'Hi this is user 1'"],
    ),
    (
        "traceback-on-ctrl-c",
        CLIENT,
        "except KeyboardInterrupt:",
        "except ZeroDivisionError:",
        "seed",
        9,
        "bob",
        ["line 7", "'^C'", "Traceback"],
    ),
    (
        "start-line-without-period",
        SERVER,
        'print(f"Chat Server started on port {listener.getsockname()[1]}.")',
        'print(f"Chat Server started on port {listener.getsockname()[1]}")',
        "seed",
        1,
        "server",
        ["line 1", "expected 'Chat Server started on port ", ".', seen 'Chat Server started on port "],
    ),
    (
        "no-line-framing",
        SERVER,
        '        self.partial += data\n        if b"\\n" not in data:\n            return []\n',
        '        return [data.decode("utf-8", "replace").rstrip("\\n")]  # one read, one message\n',
        "burst",
        6,
        "server",
        ["line 7", "second"],
    ),
]


def broken_copy(tmp_path, program, text, replacement):
    source = program.read_text()
    assert source.count(text) == 1, f"{program.name} no longer holds {text!r} exactly once"
    broken = tmp_path / program.name
    broken.write_text(source.replace(text, replacement))
    return broken


@pytest.mark.parametrize(
    ("program", "text", "replacement", "name", "step", "member", "fragments"),
    [case[1:] for case in BROKEN],
    ids=[case[0] for case in BROKEN],
)
def test_broken_copy_fails_naming_the_line(tmp_path, program, text, replacement, name, step, member, fragments):
    broken = broken_copy(tmp_path, program, text, replacement)
    programs = {"server": broken} if program == SERVER else {"client": broken}
    outcome = runner.run(scenario.load(name), timeout=1.0, **programs)
    assert not outcome.passed
    failure = outcome.failure
    assert (failure.step, failure.member) == (step, member), failure.problem
    for fragment in fragments:
        assert fragment in failure.problem


def test_a_line_cut_across_writes_is_caught_without_the_glued_write(tmp_path):
    """The split write alone catches a server without framing: each piece is read on its own."""
    broken = broken_copy(tmp_path, *BROKEN[-1][1:4])
    burst = scenario.load("burst")
    split_only = dataclasses.replace(burst, steps=tuple(s for s in burst.steps if s.note != "three lines in one write"))
    outcome = runner.run(split_only, server=broken, timeout=1.0)
    assert outcome.failure.step == 6
    assert "this line arrives in three pieces" in outcome.failure.problem
    assert "seen '[" in outcome.failure.problem  # only the first piece got the prefix
