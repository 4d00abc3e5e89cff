"""Property: however a byte stream is cut into reads, the line framing of the reference
server (Client.complete_lines) and client (LineReader.feed) yields exactly the lines sent."""

from hypothesis import given, settings
from hypothesis import strategies as st

from harness.engine import runner
from tests.helpers import load_program

SERVER = load_program(runner.REFERENCE_SERVER)
CLIENT = load_program(runner.REFERENCE_CLIENT)

# Any text without a line break of its own, non-ASCII and surrogate-free (it must encode).
line_text = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\n\r"), max_size=40)


@st.composite
def stream_and_cuts(draw):
    lines = draw(st.lists(line_text, max_size=12))
    data = "".join(line + "\n" for line in lines).encode()
    cuts = sorted(draw(st.sets(st.integers(1, max(1, len(data) - 1)), max_size=len(data))) if data else [])
    pieces = [data[a:b] for a, b in zip([0, *cuts], [*cuts, len(data)], strict=True)]
    return lines, pieces


def framed_by_server(pieces):
    client = SERVER.Client(None, ("127.0.0.1", 1))
    return [line for piece in pieces for line in client.complete_lines(piece)], client.partial


def framed_by_client(pieces):
    reader = CLIENT.LineReader()
    return [line for piece in pieces for line in reader.feed(piece)], reader.partial


@settings(max_examples=200, deadline=None)
@given(stream_and_cuts())
def test_any_cutting_of_the_stream_gives_exactly_the_lines_sent(case):
    lines, pieces = case
    for frame in (framed_by_server, framed_by_client):
        framed, rest = frame(pieces)
        assert framed == lines
        assert not rest


@settings(max_examples=200, deadline=None)
@given(stream_and_cuts(), st.binary(min_size=1, max_size=20).filter(lambda b: b"\n" not in b))
def test_an_unfinished_line_is_kept_not_shown(case, tail):
    lines, pieces = case
    for frame in (framed_by_server, framed_by_client):
        framed, rest = frame([*pieces, tail])
        assert framed == lines
        assert bytes(rest) == tail


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=200), st.lists(st.integers(1, 199), max_size=20))
def test_bytes_that_are_not_utf8_never_break_framing(data, cut_at):
    """Arbitrary bytes: the lines are the stream's lines, each decoded with replacement."""
    data += b"\n"
    cuts = sorted({c for c in cut_at if c < len(data)})
    pieces = [data[a:b] for a, b in zip([0, *cuts], [*cuts, len(data)], strict=True)]
    expected = [part.rstrip(b"\r").decode("utf-8", "replace") for part in data.split(b"\n")[:-1]]
    for frame in (framed_by_server, framed_by_client):
        assert frame(pieces)[0] == expected
