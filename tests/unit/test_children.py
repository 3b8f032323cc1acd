"""What make run shows of a child's stdout: everything as it comes, but the RESULT line."""

from grader.commands.children import _without_result_line


def test_a_redrawn_bar_shows_at_once_and_the_result_line_never() -> None:
    assert _without_result_line("\r\x1b[K[##........] 1/10") == ("\r\x1b[K[##........] 1/10", "")
    assert _without_result_line('Sent.\nRESULT {"sent": 3}\n') == ("Sent.\n", "")
    assert _without_result_line("Sent.\nRES") == ("Sent.\n", "RES")  # perhaps the RESULT line: held back
    assert _without_result_line('RES' + 'ULT {"sent": 3}\n') == ("", "")
    assert _without_result_line("REST of a line\n") == ("REST of a line\n", "")
