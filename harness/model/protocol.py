"""The chat protocol's wording, as the documented programs print and send it (docs/protocol.md):
the scenarios the grader makes and the crowd's streams say and read each line from here.

Each template's fields are filled with str.format; a scenario's own placeholders pass through
as text ("{port}", "{alice}"), for the judge to fill in as it learns them.
"""

import re

START = "Chat Server started on port {port}."
WELCOME = "> Connected to the chat server {online}"
JOINED = "> New user {who} entered {online}"
LEFT = "< The user {who} left {online}"
ROOM_FULL = "> Sorry, the chat room is full, try again later"  # a rule of the kit, not of the documentation
ONLINE = re.compile(r"\((\d+) users? online\)")  # what users_online() says, as read back


def users_online(count: int) -> str:
    """The documented count wording: plural only above one, so "(0 user online)" too."""
    return f"({count} {'users' if count > 1 else 'user'} online)"


def before(template: str, field: str) -> str:
    """The words of a template up to a field: "< The user " of LEFT before "who"."""
    return template.split("{" + field + "}")[0]


def between(template: str, first: str, second: str) -> str:
    """The words of a template between two fields: " left " of LEFT between "who" and "online"."""
    return template.split("{" + first + "}")[1].split("{" + second + "}")[0]
