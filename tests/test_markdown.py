"""harness.authoring.markdown reads pages as GitHub shows them: the tricky cases a line-by-line reading gets wrong."""

from harness.authoring.markdown import Fence, anchors, fences, links


def test_a_fence_in_a_list_item_is_a_fence_however_deep_the_list():
    page = "1. Run:\n\n   ```sh\n   make\n   ```\n- a\n    - b\n\n      ```SH\n      make test\n      ```\n"
    assert fences(page) == [
        Fence("sh", 2, 4, "   make\n", ""),
        Fence("sh", 8, 10, "      make test\n", ""),
    ]


def test_a_tilde_fence_holds_backtick_fences_as_its_text():
    page = "~~~markdown\n```sh\nnot a fence\n```\n~~~\nafter\n"
    assert fences(page) == [Fence("markdown", 0, 4, "```sh\nnot a fence\n```\n", "")]


def test_a_fence_closes_at_a_longer_fence_not_at_a_shorter_one():
    assert fences("```sh\nx\n`````\nafter\n") == [Fence("sh", 0, 2, "x\n", "")]
    assert fences("````text\n```\ninner\n```\n````\n") == [Fence("text", 0, 4, "```\ninner\n```\n", "")]


def test_an_unclosed_fence_runs_to_the_end_of_the_page():
    page = "Intro\n```sh\nmake\n[not a link](nowhere.md)\n"
    assert fences(page) == [Fence("sh", 1, 3, "make\n[not a link](nowhere.md)\n", "")]
    assert links(page) == []


def test_an_unclosed_fence_in_a_list_item_ends_with_the_item():
    page = "- ```sh\n  make\n- [next](next.md)\n"
    assert fences(page) == [Fence("sh", 0, 1, "  make\n", "")]
    assert links(page) == [(3, "next.md")]


def test_a_fence_at_the_end_of_a_page_without_a_newline_closes():
    assert fences("```sh\nmake\n```") == [Fence("sh", 0, 2, "make\n", "")]


def test_only_a_comment_on_the_line_right_before_a_fence_is_its_comment():
    page = "<!-- excerpt: reference/srv.py main -->\n```python\nx\n```\n\n<!-- apart -->\n\n```python\ny\n```\n"
    assert [fence.comment for fence in fences(page)] == ["excerpt: reference/srv.py main", ""]


def test_a_link_in_a_code_span_is_not_a_link_even_when_the_span_spans_lines():
    assert links("`[x](nowhere.md)` and [y](here.md)\n") == [(1, "here.md")]
    assert links("`a\n[x](nowhere.md)` and\n[y](here.md)\n") == [(3, "here.md")]


def test_links_carry_the_line_they_start_on():
    page = "one\ntwo [a](a.md)\nthree\n[b](b.md)\n\n| a | b |\n|---|---|\n| x | [c](c.md) |\n"
    assert links(page) == [(2, "a.md"), (4, "b.md"), (8, "c.md")]


def test_a_reference_style_link_counts_at_its_definition():
    page = 'See [the protocol][p], [again][p].\n\n[p]: docs/protocol.md#framing "Framing"\n'
    assert links(page) == [(3, "docs/protocol.md#framing")]


def test_a_picture_inside_a_link_counts_as_well_as_the_link():
    assert links("[![build](badge.svg)](ci.md)\n") == [(1, "ci.md"), (1, "badge.svg")]


def test_html_img_and_a_targets_count_but_not_in_comments():
    page = (
        '<p align="center">\n  <img alt="seed" src="images/seed.svg">\n</p>\n\n'
        "A <a href='protocol.md'>link</a> in prose.\n<!-- <img src=\"gone.png\"> -->\n"
    )
    assert links(page) == [(2, "images/seed.svg"), (5, "protocol.md")]


def test_markdown_inside_an_html_block_is_html_not_a_link():
    assert links("<div>\n[x](raw.md)\n</div>\n") == []


def test_repeated_headings_are_numbered_as_github_numbers_them():
    assert anchors("# Leaving\n## Leaving\n### Leaving\n") == {"leaving", "leaving-1", "leaving-2"}
    assert anchors("## Foo\n## Foo\n## Foo 1\n") == {"foo", "foo-1", "foo-1-1"}


def test_an_anchor_is_made_of_the_text_a_heading_shows():
    page = "## _Private_ names & `code`\nSetext title\n============\n## See [the protocol](protocol.md)\n"
    assert anchors(page) == {"private-names--code", "setext-title", "see-the-protocol"}


def test_html_anchors_count_but_a_heading_in_a_fence_does_not():
    page = "<a id=\"top\"></a>\n\nText <a name='here'>here</a>.\n\n```sh\n# not a heading\n```\n"
    assert anchors(page) == {"top", "here"}
