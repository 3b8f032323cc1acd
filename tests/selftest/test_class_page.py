"""The class report's page in headless Chromium: it loads nothing, logs no error, runs no learner
text, pairs every chart with its table, keeps text contrast at 4.5:1 or more, and leaves a
screenshot at 1280x800 under OUT (default out/) for a person to look at."""

from __future__ import annotations

import os

import pytest

from grader.paths import ROOT
from instructor import class_report
from tests.selftest import class_batch
from tests.selftest.headless import Browser, chromium

SCREENSHOT = "class-report-1280x800.png"
# The lowest contrast of any text against the background it is drawn on (WCAG's formula).
CONTRAST = """(() => {
  const channel = v => (v /= 255) <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4);
  const luminance = c => { const [r, g, b] = c.match(/[\\d.]+/g).map(Number).map(channel);
                           return 0.2126 * r + 0.7152 * g + 0.0722 * b; };
  const background = el => { for (let e = el; e; e = e.parentElement) {
      const c = getComputedStyle(e).backgroundColor, parts = c.match(/[\\d.]+/g);
      if (parts && (parts.length < 4 || Number(parts[3]) > 0)) return c; }
    return 'rgb(255, 255, 255)'; };
  let worst = [99, ''];
  for (const el of document.querySelectorAll('body *')) {
    if (!Array.from(el.childNodes).some(n => n.nodeType === 3 && n.textContent.trim())) continue;
    const svg = el instanceof SVGElement;
    const a = luminance(svg ? getComputedStyle(el).fill : getComputedStyle(el).color);
    const b = luminance(background(svg ? el.closest('svg') : el));
    const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
    if (ratio < worst[0]) worst = [ratio, el.tagName + ': ' + el.textContent.slice(0, 40)];
  }
  return worst;
})()"""
CHARTS_WITH_TABLES = """Array.from(document.querySelectorAll('svg')).map(svg => {
  const figure = svg.closest('figure');
  return !!figure && !!figure.querySelector('table th[scope]');
})"""


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    executable = chromium()
    if executable is None:
        pytest.skip("no chromium: make test installs Debian's chromium package when run as root (make chromium)")
    submissions, grades, _ = class_batch.build(tmp_path_factory.mktemp("class-page"))
    if class_batch.SIMILARITY_PYTHON.is_file():  # the page then shows the similarity section too
        class_batch.run_similarity(submissions, grades)
    class_report.write(grades)
    browser = Browser(executable)
    try:
        session = browser.open((grades / "class-report.html").as_uri())
        yield browser, session, grades
    finally:
        browser.close()


def test_no_console_error_and_no_request_outside_the_file(page):
    browser, _, grades = page
    assert browser.errors() == []
    assert browser.requests() == [(grades / "class-report.html").as_uri()]


def test_every_chart_has_its_table(page):
    browser, session, _ = page
    charts = browser.evaluate(session, CHARTS_WITH_TABLES)
    assert len(charts) >= 16 and all(charts)  # scores, 15 tasks, 3 questions


def test_learner_text_made_no_element(page):
    browser, session, _ = page
    counts = browser.evaluate(
        session, "['script', 'img', 'iframe', 'object', 'link'].map(t => document.getElementsByTagName(t).length)"
    )
    assert counts == [0, 0, 0, 0, 0]
    assert "<script>alert(1)</script>" in browser.evaluate(session, "document.body.innerText")


def test_text_contrast_is_at_least_4_5(page):
    browser, session, _ = page
    ratio, where = browser.evaluate(session, CONTRAST)
    assert ratio >= 4.5, where


def test_screenshot_for_a_person(page):
    browser, session, _ = page
    out = (ROOT / os.environ["OUT"] if os.environ.get("OUT") else ROOT / "out") / "class-report"
    out.mkdir(parents=True, exist_ok=True)
    path = browser.screenshot(session, out / SCREENSHOT)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = int.from_bytes(path.read_bytes()[16:20], "big"), int.from_bytes(path.read_bytes()[20:24], "big")
    assert (width, height) == (1280, 800)
    print(f"\nscreenshot of the class report: {path}")
