"""Expected lines are templates; unknown placeholders are learned from the line that fits."""

from harness.model.expect import Mismatch, compare, fill


def test_learns_the_port_and_an_address_from_matching_lines():
    values = {}
    seen = ["Chat Server started on port 6900.", "> New user 127.0.0.1:45606 entered (1 user online)"]
    templates = ["Chat Server started on port {port}.", "> New user {alice} entered (1 user online)"]
    assert compare(seen, templates, values) is None
    assert values == {"port": "6900", "alice": "127.0.0.1:45606"}


def test_a_known_value_must_appear_as_learned():
    values = {"alice": "127.0.0.1:45606"}
    mismatch = compare(["[127.0.0.1:9999] hi"], ["[{alice}] hi"], values)
    assert mismatch == Mismatch(1, "[127.0.0.1:45606] hi", "[127.0.0.1:9999] hi")


def test_a_port_of_zero_or_an_address_without_port_is_not_learned():
    assert compare(["Chat Server started on port 0."], ["Chat Server started on port {port}."], {}) is not None
    assert compare(["> New user 127.0.0.1 entered"], ["> New user {bob} entered"], {}) is not None


def test_the_same_placeholder_twice_in_a_line_must_agree():
    assert compare(["1.2.3.4:5 1.2.3.4:5"], ["{a} {a}"], {}) is None
    # not learned, but shown with the value the line seems to give, to say where they differ
    shown = Mismatch(1, "1.2.3.4:5 1.2.3.4:5", "1.2.3.4:5 1.2.3.4:6")
    assert compare(["1.2.3.4:5 1.2.3.4:6"], ["{a} {a}"], {}) == shown


def test_missing_and_extra_lines_are_named_by_row():
    missing = compare(["one"], ["one", "two"], {})
    extra = compare(["one", "two"], ["one"], {})
    assert missing == Mismatch(2, "two", None)
    assert extra == Mismatch(2, None, "two")
    assert missing.describe() == "line 2: expected 'two', but the screen has no line 2"
    assert extra.describe() == "line 2: expected nothing more, but the screen shows 'two'"


def test_regex_characters_in_lines_are_literal():
    assert compare(["[x] a.b (1 user online)"], ["[x] a.b (1 user online)"], {}) is None
    assert compare(["[x] aXb"], ["[x] a.b"], {}) is not None


def test_values_are_learned_only_when_the_whole_screen_matches():
    values = {}
    assert compare(["port 80.", "wrong"], ["port {port}.", "right"], values) is not None
    assert values == {"port": "80"}  # compare learns as it goes; the runner keeps a trial copy


def test_fill_leaves_unknown_placeholders_visible():
    assert fill("[{alice}] to {bob}", {"alice": "1.2.3.4:5"}) == "[1.2.3.4:5] to {bob}"
