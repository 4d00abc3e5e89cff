"""Reading markdown the way the docs check needs it: fenced blocks, links and heading anchors.

Not a full CommonMark parser: enough for the kit's own pages, which use ``` fences,
[text](target) links, ![alt](image) pictures and # headings.
"""

import re
from dataclasses import dataclass

FENCE = re.compile(r"^ {0,3}(?P<fence>`{3,}|~{3,})\s*(?P<info>[^`\s]*)[^`]*$")
COMMENT = re.compile(r"^\s*<!--\s*(?P<text>.*?)\s*-->\s*$")
HEADING = re.compile(r"^ {0,3}#{1,6}\s+(?P<text>.*?)\s*#*\s*$")
LINK = re.compile(r"!?\[(?:[^\[\]]|\[[^\]]*\])*\]\(\s*<?(?P<target>[^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
REFERENCE = re.compile(r"^ {0,3}\[[^\]]+\]:\s*<?(?P<target>\S+?)>?(?:\s+\"[^\"]*\")?\s*$")
HTML_TARGET = re.compile(r"<(?:a|img)\b[^>]*?\b(?:href|src)=\"(?P<target>[^\"]+)\"", re.IGNORECASE)
HTML_ANCHOR = re.compile(r"<a\b[^>]*?\b(?:id|name)=\"(?P<name>[^\"]+)\"", re.IGNORECASE)
CODE_SPAN = re.compile(r"(`+)(?:(?!\1).)+?\1")


@dataclass(frozen=True)
class Fence:
    """A fenced code block. Lines are numbered from 0; `comment` is an HTML comment on the line
    right before the opening fence (how a block says where its code comes from)."""

    info: str
    start: int  # the opening fence's line
    end: int  # the closing fence's line (the last line of the file when it is never closed)
    body: str  # the lines in between, each with its newline
    comment: str


def fences(text: str) -> list[Fence]:
    lines = text.splitlines(keepends=True)
    found, index = [], 0
    while index < len(lines):
        opening = FENCE.match(lines[index].rstrip("\n"))
        if not opening:
            index += 1
            continue
        marker = opening["fence"]
        close = next(
            (
                n
                for n in range(index + 1, len(lines))
                if re.match(rf"^ {{0,3}}{marker[0]}{{{len(marker)},}}\s*$", lines[n])
            ),
            len(lines),
        )
        before = COMMENT.match(lines[index - 1]) if index else None
        body = "".join(lines[index + 1 : close])
        found.append(
            Fence(opening["info"].lower(), index, min(close, len(lines) - 1), body, before["text"] if before else "")
        )
        index = close + 1
    return found


def prose_lines(text: str, blank_code: bool = True) -> list[tuple[int, str]]:
    """(number from 1, line) of every line outside fenced blocks; inline code blanked out
    (a link shown as code is not a link)."""
    inside = {n for fence in fences(text) for n in range(fence.start, fence.end + 1)}
    return [
        (number + 1, CODE_SPAN.sub(lambda m: " " * len(m.group(0)), line) if blank_code else line)
        for number, line in enumerate(text.splitlines())
        if number not in inside
    ]


def links(text: str) -> list[tuple[int, str]]:
    """(line number, target) of every link and picture outside code."""
    found = []
    for number, line in prose_lines(text):
        for pattern in (LINK, HTML_TARGET, REFERENCE):
            found += [(number, match["target"]) for match in pattern.finditer(line)]
    return found


def anchors(text: str) -> set[str]:
    """The #fragments a page has: one per heading, as GitHub makes them, and explicit <a id>s."""
    seen: dict[str, int] = {}
    result = set()
    for _, line in prose_lines(text, blank_code=False):
        heading = HEADING.match(line)
        if heading:
            slug = slugify(heading["text"])
            count = seen.get(slug, 0)
            seen[slug] = count + 1
            result.add(slug if count == 0 else f"{slug}-{count}")
        result.update(match["name"] for match in HTML_ANCHOR.finditer(line))
    return result


def slugify(heading: str) -> str:
    """GitHub's anchor for a heading: its text without markup, lower case, punctuation dropped,
    spaces as hyphens."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # a link counts by its text
    text = re.sub(r"<[^>]+>", "", text).lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")
