"""How the grader's partner programs cut what a peer sends into messages, in either protocol.

The kit's protocol ends each message with "\\n". The documented one sends each message as
one send() with no line end, so a message is what one read brings. Which one a peer speaks
shows in its first message: a "\\n" by its end says the kit's. Until then a tail without a
line end is held for PATIENCE seconds, in case the rest of a line cut across sends is on its
way; if nothing comes, the peer speaks the documented protocol, and from then on every read
is a message. Standard library only: it is copied beside the partners into each check.
"""

PATIENCE = 0.1  # seconds; a kit program sends the rest of a cut line at once


class Messages:
    def __init__(self):
        self.framed = None  # unknown until the first message: True for the kit's protocol
        self.tail = b""

    def feed(self, data):
        """The whole messages in what has arrived so far."""
        *lines, self.tail = (self.tail + data).split(b"\n")
        if lines:
            self.framed = True
        if self.tail and self.framed is False:
            lines.append(self.tail)
            self.tail = b""
        return [line.rstrip(b"\r").decode("utf-8", "replace") for line in lines]

    def patience(self):
        """How long to wait for more before `expire()`, or None: nothing is held."""
        return PATIENCE if self.tail and self.framed is None else None

    def expire(self):
        """Nothing more came: the tail held is a whole message, sent without a line end."""
        self.framed, tail, self.tail = False, self.tail, b""
        return [tail.decode("utf-8", "replace")]

    def ending(self):
        """What to end a message sent to this peer with: the kit's "\\n" unless it spoke without."""
        return b"" if self.framed is False else b"\n"
