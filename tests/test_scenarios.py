"""Every scenario passes on the reference programs, with every screen exactly as expected."""

import pytest

from harness.engine import runner
from harness.model import scenario
from harness.model.expect import compare
from harness.model.outcome import Ending


@pytest.mark.parametrize("name", scenario.available())
def test_scenario_passes_on_the_reference(name):
    outcome = runner.run(scenario.load(name))
    assert outcome.passed, outcome.failure.problem
    for member in outcome.checked:
        assert compare(outcome.screens[member], outcome.expected[member], dict(outcome.values)) is None


def test_a_generated_room_of_five_passes():
    outcome = runner.run(scenario.room_of(5))
    assert outcome.passed, outcome.failure.problem
    assert outcome.screens["user5"][0] == "> Connected to the chat server (5 users online)"


def test_seed_screens_are_the_documented_snapshots():
    """The snapshots of the write-up, with this run's port and addresses put in."""
    outcome = runner.run(scenario.load("seed"))
    port, alice, bob = (outcome.values[k] for k in ("port", "alice", "bob"))
    assert outcome.screens["server"][0] == f"Chat Server started on port {port}."
    assert outcome.screens["server"][-3:] == [f"< The user {alice} left (0 user online)", "^C", "exit"]
    assert outcome.screens["bob"] == [
        "> Connected to the chat server (2 users online)",
        f"[{alice}] Hi this is user 1",
        "[You] Hi user 1, this is user 2",
        "[You] Nice to meet you!",
        "[You] Anyway, it's been a really good time, but I think I should head out",
        "[You] Bye!",
        "^C",
        "exit",
    ]
    assert outcome.screens["alice"][:2] == [
        "> Connected to the chat server (1 user online)",
        f"> New user {bob} entered (2 users online)",
    ]
    assert set(outcome.endings.values()) == {Ending(status=0)}
