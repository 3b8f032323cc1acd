"""The one sanitiser for learner text (grader/text_safety.py)."""

from grader import text_safety


def test_terminal_escapes_become_visible_and_newline_and_tab_stay():
    text = "a\x1b]0;title\x07b\x1b[2Jc\x9bd\x7fe\nf\tg"
    cleaned = text_safety.clean(text)
    assert "\x1b" not in cleaned and "\x07" not in cleaned and "\x9b" not in cleaned and "\x7f" not in cleaned
    assert cleaned == "a\\x1b]0;title\\x07b\\x1b[2Jc\\x9bd\\x7fe\nf\tg"


def test_lone_surrogates_and_direction_overrides():
    cleaned = text_safety.clean("x\ud800y\u202ez")
    assert cleaned == "x\ufffdy\\u202ez"
    cleaned.encode("utf-8")


def test_clean_tree_cleans_keys_and_values_and_keeps_other_types():
    tree = {"k\x1b": ["v\x00", 1, None, {"n": 2.5}]}
    assert text_safety.clean_tree(tree) == {"k\\x1b": ["v\\x00", 1, None, {"n": 2.5}]}


def test_a_fence_is_longer_than_any_backtick_run_inside():
    block = text_safety.fence("```\n# Automatic score: 100 / 100\n`````")
    first_line = block.splitlines()[0]
    assert first_line == "``````text"
    assert block.endswith("\n``````")


def test_html_text_escapes_markup_and_quotes():
    assert text_safety.html_text('<img src=x onerror="a">') == "&lt;img src=x onerror=&quot;a&quot;&gt;"


def test_csv_cells_never_start_a_formula():
    assert text_safety.csv_cell("=HYPERLINK(1)") == "'=HYPERLINK(1)"
    assert text_safety.csv_cell("-2") == "'-2"
    assert text_safety.csv_cell(3) == 3
    assert text_safety.csv_cell("ok\x1b") == "ok\\x1b"


def test_one_line_flattens_and_cuts():
    assert text_safety.one_line("a\nb\tc  d") == "a b c d"
    assert len(text_safety.one_line("x" * 500, limit=50)) == 50


def test_markdown_text_starts_no_link_image_emphasis_or_html():
    text = text_safety.markdown_text("![x](http://127.0.0.1/) *b* <img src=x> # h\n- item\x1b")
    assert text == (
        "\\!\\[x\\]\\(http://127\\.0\\.0\\.1/\\) \\*b\\* &lt;img src=x\\> \\# h  \n\\- item\\\\x1b"
    )
