"""Scenario files load into steps, and a broken file is refused with where and why."""

import pytest

from harness.model import scenario
from harness.model.scenario import ScenarioError, from_table, load

START = {"start": "server", "expect": {"server": ["Chat Server started on port {port}."]}}


def test_every_shipped_scenario_loads_with_a_description():
    for name in scenario.available():
        loaded = load(name)
        assert loaded.description, name
        assert loaded.steps[0].action in ("start", "listen")


def test_the_seed_has_the_documented_members_and_actions():
    seed = load("seed")
    assert seed.members() == {"server": "server", "alice": "client", "bob": "client"}
    assert [s.action for s in seed.steps].count("say") == 8
    assert seed.steps[8].exits == {"bob": 0}


def test_send_cuts_raw_bytes_at_the_given_offsets():
    table = {"step": [START, {"connect": "bot"}, {"send": "bot", "raw": "caf\\xe9\\n", "split": [2]}]}
    step = from_table(table).steps[2]
    assert (step.data, step.split) == (b"caf\xe9\n", (2,))


@pytest.mark.parametrize(
    ("steps", "message"),
    [
        ([{**START, "shout": "x"}], "step 1: unknown key(s) shout"),
        ([{"start": "server", "join": "alice"}], "step 1: needs exactly one action"),
        ([{"note": "nothing"}], "step 1: needs exactly one action"),
        ([START, {"join": "alice"}, {"say": "alice"}], "step 3: say needs text"),
        ([START, {"say": "bob", "text": "hi"}], "step 2: say needs a client or server that is in the room"),
        ([START, {"join": "alice", "expect": {"carol": ["x"]}}], "step 2: expects something of 'carol'"),
        ([START, {"join": "alice", "expect": {"alice": ["{carl}"]}}], "placeholder {carl} is neither"),
        ([START, {"join": "server"}], "step 2: 'server' is already in the room"),
        ([START, {"connect": "bot"}, {"send": "bot", "text": "ab", "split": [2]}], "split needs rising byte offsets"),
        ([START, {"connect": "bot"}, {"send": "bot"}], "send needs text or raw"),
        ([START, {"join": "a"}, {"send": "a", "text": "x"}], "send needs a fake or robot"),
    ],
)
def test_a_broken_step_is_refused_with_its_number(steps, message):
    with pytest.raises(ScenarioError) as error:
        from_table({"step": steps})
    assert message in str(error.value)


def test_a_file_that_is_not_toml_names_the_file(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text("[[step]\n")
    with pytest.raises(ScenarioError, match=r"bad\.toml: not valid TOML"):
        load(path)


def test_an_unknown_name_lists_the_scenarios():
    with pytest.raises(ScenarioError, match=r"no scenario named .nope.; there are: .*seed"):
        load("nope")


def test_a_crowd_counts_up_and_down():
    crowd = scenario.room_of(3)
    assert list(crowd.members()) == ["server", "user1", "user2", "user3"]
    last_leave = crowd.steps[-2].expect["server"]
    assert last_leave == ("< The user {user3} left (0 user online)",)
