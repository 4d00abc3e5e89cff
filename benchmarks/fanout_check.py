"""What the fan-out benchmark's clients send, and the check of what each one received.

Every line a client sends is 64 bytes: "SSSS QQQQQQQQQ TTTTTTTTTTTTTTTTTTT xxx...x\\n", sender
number, sequence number, send time (monotonic ns; 0 when latency is not measured). Lines
never contain "[" or ".", so in what a client receives every "[" starts a relayed piece,
"IP:PORT] " then what the server relayed: one line for a server that frames, whatever one
recv() returned for the documented-style one (several lines glued, or part of a line).

The check runs after the timed window, on each client's whole byte stream, in C: split at
"[", a stable sort of the pieces by sender (each sender's pieces keep their arrival order),
one join. The result must equal the other senders' lines as relayed, byte for byte: nothing
lost, duplicated, reordered, garbled, nor any of the client's own lines. When pieces are not
single lines (the documented style), one regex substitution strips the prefixes and the
senders' streams are compared instead. About 0.5 µs a line, all in C.
"""

import itertools
import operator
import re

NL = b"\n"
LINE = b"%04d %09d %019d " + b"x" * 28 + b"\n"
LINE_BYTES = len(LINE % (0, 0, 0))  # 64, "\n" included
STAMP = slice(15 - LINE_BYTES + 1, 34 - LINE_BYTES + 1)  # the send time, counted from the end of a line without "\n"
PREFIX = re.compile(rb"127\.0\.0\.1:\d{1,5}\] ")
# A piece's first 16 bytes tell its sender: "127.0.0.1:PPPPP]" or "127.0.0.1:PPPP] ", unique for
# ports from 1000 up (client ports come from the ephemeral range), and a C-level sort key.
SENDER = operator.itemgetter(slice(0, 16))


def lines(sender: int, first: int, count: int, stamp: int = 0) -> bytes:
    """Lines first .. first+count-1 of a sender, as it sends them."""
    return b"".join([LINE % (sender, seq, stamp) for seq in range(first, first + count)])


HOLE = b"######"


def template(sender: int, count: int) -> bytes:
    """`count` lines of a sender whose sequence numbers start with a HOLE for a batch number:
    one C-level replace() then makes a batch (numbers batch * 1000 + 0 .. count-1), where
    formatting every line would cost the load generator a tenth of its time."""
    return b"".join([LINE.replace(b"%09d", HOLE + b"%03d") % (sender, seq, 0) for seq in range(count)])


def batch(whole: bytes, number: int, count: int) -> bytes:
    """Batch `number` of `count` lines, from a sender's template."""
    return whole[: count * LINE_BYTES].replace(HOLE, b"%06d" % (number % 1_000_000))


def replay(sender: int, counts) -> bytes:
    """All a sender sent as fast as it could, from the sizes of its batches: the workers pass
    these on instead of the bytes (every line sent is one delivery in a room of two)."""
    whole = template(sender, max(counts, default=0))
    return b"".join([batch(whole, number, count) for number, count in enumerate(counts)])


def sender_key(name: bytes) -> bytes:
    return (name + b"] ")[:16]


def relay(name: bytes, stream: bytes) -> bytes:
    """A sender's stream as a framing server relays it: "[IP:PORT] " before every line."""
    prefix = b"[" + name + b"] "
    return prefix + stream[:-1].replace(NL, NL + prefix) + NL if stream else b""


def verify(
    received: bytes,
    own: int,
    names: list[bytes],
    streams: list[bytes],
    relayed: list[bytes] | None = None,
    counts: dict | None = None,
) -> str:
    """'' when `received` holds exactly every other sender's stream, in its order; else what is wrong.

    names[i] is client i's "IP:PORT" as the server sees it, streams[i] all it sent, relayed[i]
    that stream relayed line by line (computed when not given: the caller can share it).
    counts, when given, gets "pieces": how many prefixes arrived (fewer than lines: glued)."""
    if received[:1] not in (b"", b"["):
        return f"received something that is not a relayed line: {received[:40]!r}"
    pieces = received.split(b"[")[1:]
    if counts is not None:
        counts["pieces"] = len(pieces)
    pieces.sort(key=SENDER)
    order = sorted((i for i in range(len(names)) if i != own), key=lambda i: sender_key(names[i]))
    relayed = relayed or [relay(name, stream) for name, stream in zip(names, streams, strict=True)]
    if (b"[" + b"[".join(pieces) if pieces else b"") == b"".join(relayed[i] for i in order):
        return ""  # the usual case, one line a piece: no prefix to strip
    if PREFIX.sub(b"", b"".join(pieces)) == b"".join(streams[i] for i in order):
        return ""  # pieces that glue or split lines (the documented style), none lost
    return diagnose(pieces, own, names, streams)


def diagnose(pieces: list[bytes], own: int, names: list[bytes], streams: list[bytes]) -> str:
    """Which sender's lines went wrong, and how; only ever run on a failed check."""
    arrived = {bytes(key): PREFIX.sub(b"", b"".join(group)) for key, group in itertools.groupby(pieces, SENDER)}
    for i, name in enumerate(names):
        got = arrived.pop(sender_key(name), b"")
        sender = name.decode()
        if i == own:
            if got:
                return f"received {got.count(NL)} of its own lines back"
            continue
        if got != streams[i]:
            have, want = got.count(NL), streams[i].count(NL)
            if have < want:
                return f"{want - have} of {want} lines from {sender} lost"
            if have > want:
                return f"{have - want} lines too many from {sender} (duplicated or garbled)"
            return f"lines from {sender} reordered or garbled"
    if arrived:
        return f"lines from {len(arrived)} unknown senders (garbled prefixes)"
    return "stream garbled"


def latencies(received: bytes | bytearray, arrivals: list[tuple[int, int]]) -> list[int]:
    """Nanoseconds from send to receipt of each line; arrivals are (bytes received so far, time)
    of every recv(). A garbled line yields no sample (and the check fails)."""
    cut = received.split(NL)
    samples, done, counted = [], 0, 0
    for size, when in arrivals:
        count = done + received.count(NL, counted, size)
        counted = size
        for line in cut[done:count]:
            if (stamp := line[STAMP]).isdigit():
                samples.append(when - int(stamp))
        done = count
    return samples
