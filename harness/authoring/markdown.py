"""Reading markdown the way the docs check needs it: fenced blocks, links and heading anchors.

markdown-it-py parses each page as GitHub shows it (CommonMark, with tables and strikethrough),
so a fence in a list item, a link in a code span and a `[label]: target` line are what GitHub
makes of them. This module walks the parser's tokens; only the attributes inside raw HTML tags
(<a href>, <img src>, <a id>) are read with a regex, as markdown-it leaves HTML as text.
"""

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import lru_cache

from markdown_it import MarkdownIt
from markdown_it.rules_inline import StateInline, autolink, html_inline, image, link
from markdown_it.token import Token

COMMENT = re.compile(r"^\s*<!--\s*(?P<text>.*?)\s*-->\s*$")
HTML_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
HTML_TAG = re.compile(r"<(?P<name>a|img)\b(?P<attributes>[^>]*)>", re.IGNORECASE)
HTML_ATTRIBUTE = re.compile(
    r"""(?P<name>[\w:.-]+)\s*=\s*(?:"(?P<double>[^"]*)"|'(?P<single>[^']*)'|(?P<bare>[^\s"'=<>`]+))"""
)
NOT_IN_ANCHORS = re.compile(r"[^\w\- ]")  # GitHub keeps letters, digits, _, - and spaces of a heading


@dataclass(frozen=True)
class Fence:
    """A fenced code block. Lines are numbered from 0; `comment` is an HTML comment on the line
    right before the opening fence (how a block says where its code comes from)."""

    info: str
    start: int  # the opening fence's line
    end: int  # the closing fence's line (the last line of the block when it is never closed)
    body: str  # the lines in between, each with its newline, as the page writes them
    comment: str


InlineRule = Callable[[StateInline, bool], bool]


def noting_line(rule: InlineRule) -> InlineRule:
    """The inline rule, marking each token it makes with the line of its inline text where the
    construct starts, and the construct's source: markdown-it gives line ranges to blocks only."""

    def rule_noting_line(state: StateInline, silent: bool) -> bool:
        start, first_new = state.pos, len(state.tokens)
        if not rule(state, silent):
            return False
        line = state.src.count("\n", 0, start)
        for token in state.tokens[first_new:]:
            if token.type != "text":  # text pending before the construct is pushed with it
                token.meta.setdefault("line", line)
                token.meta.setdefault("source", state.src[start : state.pos])
        return True

    return rule_noting_line


class _Parser(MarkdownIt):
    def normalizeLink(self, url: str) -> str:
        return url  # a target as the page writes it, not percent-encoded


def make_parser() -> MarkdownIt:
    parser = _Parser("commonmark", {"inline_definitions": True}).enable(["table", "strikethrough"])
    for name, rule in {"link": link, "image": image, "autolink": autolink, "html_inline": html_inline}.items():
        parser.inline.ruler.at(name, noting_line(rule))
    return parser


PARSER = make_parser()


@lru_cache(maxsize=64)
def tokens_of(text: str) -> tuple[Token, ...]:
    """The page's block tokens; cached, as the docs check asks for a linked page's anchors once
    per link."""
    return tuple(PARSER.parse(text))


def fences(text: str) -> list[Fence]:
    tokens = tokens_of(text)
    lines = text.splitlines(keepends=True)
    return [
        fence_of(token, lines, comment_before(tokens, index))
        for index, token in enumerate(tokens)
        if token.type == "fence"
    ]


def fence_of(token: Token, lines: list[str], comment: str) -> Fence:
    assert token.map is not None
    start, after = token.map
    closed = content_lines(token.content) < after - start - 1
    body_end = after - 1 if closed else after
    return Fence(first_word(token.info).lower(), start, after - 1, "".join(lines[start + 1 : body_end]), comment)


def content_lines(content: str) -> int:
    """How many lines a block's content has (its last line may lack a newline at the end of the page)."""
    return content.count("\n") + (1 if content and not content.endswith("\n") else 0)


def first_word(info: str) -> str:
    return next(iter(info.split()), "")


def comment_before(tokens: tuple[Token, ...], index: int) -> str:
    """The text of an HTML comment alone on the line right before the fence at tokens[index]."""
    before = tokens[index - 1] if index else None
    here = tokens[index].map
    if before is None or before.type != "html_block" or before.map is None or here is None:
        return ""
    if before.map[1] != here[0]:
        return ""
    comment = COMMENT.match(before.content.rstrip("\n"))
    return comment["text"] if comment else ""


def links(text: str) -> list[tuple[int, str]]:
    """(line number from 1, target) of every link and picture outside code, in page order.
    A reference-style link counts at its `[label]: target` line, where its target is written;
    an empty target (the page itself) does not count."""
    found: list[tuple[int, str]] = []
    for token in tokens_of(text):
        if token.type == "inline":
            found += inline_links(token)
        elif token.type == "definition":
            found.append((first_line(token), token.meta["url"]))
        elif token.type == "html_block":
            found += [(first_line(token) + line, target) for line, target in html_targets(token.content)]
    return [(line, target) for line, target in found if target]


def first_line(token: Token) -> int:
    assert token.map is not None
    return token.map[0] + 1


def inline_links(inline: Token) -> Iterator[tuple[int, str]]:
    for child in inline.children or []:
        line = first_line(inline) + child.meta.get("line", 0)
        if child.type in ("link_open", "image") and not child.meta.get("source", "").endswith("]"):
            yield line, str(child.attrs["href" if child.type == "link_open" else "src"])
        elif child.type == "html_inline":
            yield from ((line + offset, target) for offset, target in html_targets(child.content))


def html_targets(html: str) -> Iterator[tuple[int, str]]:
    """(line within the HTML, target) of each <a href> and <img src>, comments left out."""
    for line, name, attributes in html_tags(html):
        target = attributes.get("href" if name == "a" else "src")
        if target is not None:
            yield line, target


def html_anchors(html: str) -> Iterator[str]:
    for _, name, attributes in html_tags(html):
        if name == "a":
            yield from (attributes[key] for key in ("id", "name") if attributes.get(key))


def html_tags(html: str) -> Iterator[tuple[int, str, dict[str, str]]]:
    """(line within the HTML, tag name, attributes) of each <a> and <img> tag outside comments."""
    uncommented = HTML_COMMENT.sub(lambda comment: "\n" * comment.group(0).count("\n"), html)
    for tag in HTML_TAG.finditer(uncommented):
        attributes = {
            attribute["name"].lower(): next(
                value for value in attribute.group("double", "single", "bare") if value is not None
            )
            for attribute in HTML_ATTRIBUTE.finditer(tag["attributes"])
        }
        yield uncommented.count("\n", 0, tag.start()), tag["name"].lower(), attributes


def anchors(text: str) -> set[str]:
    """The #fragments a page has: one per heading, as GitHub makes them, and explicit <a id>s."""
    tokens = tokens_of(text)
    headings = [
        slugify(plain_text(tokens[index + 1])) for index, token in enumerate(tokens) if token.type == "heading_open"
    ]
    return set(unique_slugs(headings)) | set(explicit_anchors(tokens))


def explicit_anchors(tokens: tuple[Token, ...]) -> Iterator[str]:
    for token in tokens:
        if token.type == "html_block":
            yield from html_anchors(token.content)
        elif token.type == "inline":
            for child in token.children or []:
                if child.type == "html_inline":
                    yield from html_anchors(child.content)


def plain_text(inline: Token) -> str:
    """A heading's text as the page shows it: without markup, tags or pictures (GitHub makes
    the anchor from the text alone, so a picture's alt text is not in it)."""
    return "".join(shown_text(child) for child in inline.children or [])


def shown_text(token: Token) -> str:
    if token.type in ("text", "code_inline"):
        return token.content
    return "\n" if token.type in ("softbreak", "hardbreak") else ""


def slugify(heading: str) -> str:
    """GitHub's anchor for a heading's text: lower case, punctuation dropped, spaces as hyphens."""
    return NOT_IN_ANCHORS.sub("", heading.lower()).replace(" ", "-")


def unique_slugs(slugs: list[str]) -> Iterator[str]:
    """Each slug, a repeated one with -1, -2... as GitHub numbers them (skipping a number that
    another heading already has)."""
    taken: dict[str, int] = {}
    for slug in slugs:
        unique = slug
        while unique in taken:
            taken[slug] += 1
            unique = f"{slug}-{taken[slug]}"
        taken[unique] = 0
        yield unique
