"""The metric-tree page (live_metrics.render.html_page): static checks on the rendered HTML, then a real headless
Chromium that runs the page's script, dumps the DOM and takes a screenshot.

The browser tests fail when Chromium is missing (``make browser`` installs it on Debian); set
LIVE_SKIP_BROWSER=1 to skip them instead.
"""

from __future__ import annotations

import copy
import json
import os
import re
import shutil
import struct
import subprocess
import zlib
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from conftest import HANG_GUARD_SECONDS, Warehouse, run_cli
from live_metrics.render.formatting import guardrail_rows
from live_metrics.render.html_page import render_html

FIXTURE = Path(__file__).parent / "fixtures" / "tree_document.json"
DATA_SCRIPT = re.compile(r'<script type="application/json" id="metric-tree-data">(.*?)</script>', re.S)
NASTY = "distinct viewers <b>&\"quoted\"</b> 'single'"
INSTALL_HINT = (
    "Chromium is not installed (looked for /usr/bin/chromium and 'chromium' on PATH). Install it with "
    "`make browser` (as root: apt-get update && apt-get install -y chromium), or set LIVE_SKIP_BROWSER=1 to skip "
    "the browser tests."
)
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--enable-logging=stderr",
    "--v=0",
    "--virtual-time-budget=5000",
]


def load_document() -> dict[str, Any]:
    return json.loads(FIXTURE.read_text(encoding="utf-8"))


def tree_only(document: dict[str, Any]) -> dict[str, Any]:
    """The same tree exported without values: no values, series, explain, decomposition or weights."""
    document = copy.deepcopy(document)
    document.update(has_values=False, explain=None, anomaly_rule=None, period=None, previous_period=None)
    document.update(last_data_day=None, last_complete_day=None)
    for node in document["nodes"]:
        for key in ("value", "previous", "change", "trend", "status", "error", "target_status", "anomaly"):
            node[key] = None
        node.update(series=[], segments=[], decomposition=None, north_star_contribution=None, baseline=True)
    for edge in document["edges"]:
        edge["weight"] = None
    return document


def ancestors(document: dict[str, Any], names: set[str]) -> set[str]:
    parent = {n["name"]: n["parent"] for n in document["nodes"]}
    found: set[str] = set()
    for name in names:
        up = parent.get(name)
        while up and up not in names and up not in found:
            found.add(up)
            up = parent.get(up)
    return found


# ---------------------------------------------------------------------------------------------------
# Static checks


class Links(HTMLParser):
    """Every src/href value, every tag name, and the text outside <script> and <style>."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.tags: list[str] = []
        self.text: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.urls += [value or "" for key, value in attrs if key in ("src", "href", "xlink:href", "action")]
        self._skip += tag in ("script", "style")

    def handle_endtag(self, tag: str) -> None:
        self._skip -= tag in ("script", "style")

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.text.append(data)


def parse_links(page: str) -> Links:
    parser = Links()
    parser.feed(page)
    return parser


def test_page_references_nothing_outside_itself() -> None:
    page = render_html(load_document())
    assert "http://" not in page and "https://" not in page
    assert "@import" not in page
    assert all(target.startswith("data:") for target in re.findall(r"url\(\s*['\"]?([^)'\"]*)", page))
    links = parse_links(page)
    assert links.urls, "the page links metrics by #metric=NAME"
    assert all(url.startswith("#") or url.startswith("data:") for url in links.urls), links.urls
    assert not {"link", "img", "iframe", "object", "embed"} & set(links.tags)
    assert [tag for tag in links.tags if tag == "script"] == ["script", "script"]  # the data and the inline code


def test_embedded_json_round_trips() -> None:
    document = load_document()
    document["nodes"][0]["description"] = "a </script><script>alert(1)</script> & <!-- comment"
    page = render_html(document)
    (embedded,) = DATA_SCRIPT.findall(page)
    assert "<" not in embedded and ">" not in embedded and "&" not in embedded
    assert json.loads(embedded) == document


def test_every_metric_is_in_the_data_and_guardrails_in_the_table() -> None:
    document = load_document()
    page = render_html(document)
    embedded = json.loads(DATA_SCRIPT.findall(page)[0])
    assert [n["name"] for n in embedded["nodes"]] == [n["name"] for n in document["nodes"]]
    assert len(document["nodes"]) == 55
    text = "".join(parse_links(DATA_SCRIPT.sub("", page)).text)
    for node in document["nodes"]:
        if node["tier"] == "guardrail":
            assert node["name"] in text and node["label"] in text
    assert "3 guardrails breached" in text


def test_header_explains_why_the_north_star_moved() -> None:
    page = render_html(load_document())
    text = " ".join("".join(parse_links(DATA_SCRIPT.sub("", page)).text).split())
    assert "Why it moved" in text
    for label in ("Live viewers", "Watch minutes per viewer", "Sessions per viewer", "Average session minutes"):
        assert label in text
    assert "+29,401.8" in text and "90.7%" in text  # watch minutes per viewer: contribution and share
    assert "platform = ios" in text and "country = US" in text and "country = BR" not in text  # top 3 only
    assert "Stream crash rate" in text and "Refunded gift USD" in text  # the anomalies
    assert "148,668.3" in text and "+27.9%" in text


def test_guardrails_table_comes_from_the_document_table() -> None:
    """Documents carry their guardrail table (``guardrails``); older ones without it render the same page."""
    document = load_document()
    assert "guardrails" not in document
    page = render_html(document)
    with_table = dict(document, guardrails=guardrail_rows(document["nodes"]))
    assert DATA_SCRIPT.sub("", render_html(with_table)) == DATA_SCRIPT.sub("", page)
    with_table["guardrails"] = [dict(row, status="ok") for row in with_table["guardrails"]]
    assert "0 guardrails breached" in render_html(with_table) and "3 guardrails breached" in page


def test_text_is_escaped_everywhere() -> None:
    document = load_document()
    guardrail = next(n for n in document["nodes"] if n["tier"] == "guardrail")
    guardrail["label"] = '<i>crash</i> & "rate"'
    document["explain"]["tree"]["children"][0]["label"] = "<b>viewers</b>"
    page = render_html(document)
    assert "&lt;i&gt;crash&lt;/i&gt; &amp; &quot;rate&quot;" in page
    assert "&lt;b&gt;viewers&lt;/b&gt;" in page
    assert "<i>" not in page and "<b>viewers" not in page
    assert page.count("</script>") == 2


def test_tree_only_document_renders_without_values() -> None:
    document = tree_only(load_document())
    page = render_html(document)
    assert "Tree only (exported without values)." in page
    assert "Why it moved" not in page
    assert json.loads(DATA_SCRIPT.findall(page)[0]) == document
    headers = re.findall(r"<th>(.*?)</th>", page.split('id="overview"')[1])
    assert headers == ["guardrail · stakeholder", "protects", "threshold"]


@pytest.mark.parametrize("explain", [None, {}, {"metric": "live_watch_minutes", "tree": None, "segments": []}])
def test_missing_or_empty_explanation_renders(explain: dict[str, Any] | None) -> None:
    document = load_document()
    document["explain"] = explain
    for node in document["nodes"]:
        node.update(decomposition=None, segments=[])
    page = render_html(document)
    assert json.loads(DATA_SCRIPT.findall(page)[0]) == document
    if explain:
        assert "No decomposition of the north star." in page and "No segment split." in page


# ---------------------------------------------------------------------------------------------------
# A real browser


def chromium() -> str:
    """The Chromium binary; fails the test (or skips it with LIVE_SKIP_BROWSER=1) when it is missing."""
    found = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)
    if found:
        return found
    if os.environ.get("LIVE_SKIP_BROWSER") == "1":
        pytest.skip("LIVE_SKIP_BROWSER=1: browser tests skipped")
    pytest.fail(INSTALL_HINT, pytrace=False)


@dataclass
class BrowserRun:
    stdout: str
    stderr: str

    @property
    def console(self) -> list[str]:
        """Lines the page logged (any console message) or threw (uncaught errors)."""
        return [line for line in self.stderr.splitlines() if ":CONSOLE" in line or "Uncaught" in line]


def run_chromium(page: Path, fragment: str, work: Path, *extra: str) -> BrowserRun:
    profile = work / f"profile-{len(list(work.glob('profile-*')))}"
    command = [chromium(), *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *extra, page.as_uri() + fragment]
    completed = subprocess.run(command, capture_output=True, text=True, timeout=HANG_GUARD_SECONDS, check=False)
    assert completed.returncode == 0, completed.stderr[-3000:]
    return BrowserRun(completed.stdout, completed.stderr)


@dataclass
class Element:
    tag: str
    attrs: dict[str, str]
    text: list[str] = field(default_factory=list)
    children: list[Element] = field(default_factory=list)

    def walk(self) -> Iterator[Element]:
        yield self
        for child in self.children:
            yield from child.walk()

    def find(self, **attrs: str) -> Element | None:
        return next((e for e in self.walk() if all(e.attrs.get(k) == v for k, v in attrs.items())), None)

    def all_text(self) -> str:
        return " ".join(" ".join(part for e in self.walk() for part in e.text).split())

    @property
    def classes(self) -> set[str]:
        return set(self.attrs.get("class", "").split())


VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
SVG_LEAVES = {"rect", "circle", "path", "polyline", "line"}


class DomBuilder(HTMLParser):
    """A small tree of the dumped DOM (enough to find elements by id or attribute and read their text)."""

    def __init__(self) -> None:
        super().__init__()
        self.root = Element("#document", {})
        self.stack = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = Element(tag, {key: value or "" for key, value in attrs})
        self.stack[-1].children.append(element)
        if tag not in VOID:
            self.stack.append(element)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.stack[-1].children.append(Element(tag, {key: value or "" for key, value in attrs}))

    def handle_endtag(self, tag: str) -> None:
        for depth in range(len(self.stack) - 1, 0, -1):
            if self.stack[depth].tag == tag:
                del self.stack[depth:]
                return

    def handle_data(self, data: str) -> None:
        if self.stack[-1].tag not in ("script", "style"):
            self.stack[-1].text.append(data)


def parse_dom(text: str) -> Element:
    builder = DomBuilder()
    builder.feed(text)
    return builder.root


def drawn_nodes(dom: Element) -> dict[str, Element]:
    """The metric boxes in the SVG tree, by metric name."""
    svg = dom.find(id="tree")
    assert svg is not None and svg.tag == "svg"
    return {e.attrs["data-metric"]: e for e in svg.walk() if e.tag == "g" and "node" in e.classes}


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The fixture page (live_viewers' definition made hostile) and a copy with a deliberate script error."""
    folder = tmp_path_factory.mktemp("tree_page")
    document = load_document()
    next(n for n in document["nodes"] if n["name"] == "live_viewers")["definition"] = NASTY
    page = render_html(document)
    broken = page.replace("</body>", "<script>window.noSuchFunction();</script>\n</body>")
    assert broken != page
    paths = {"page": folder / "page.html", "broken": folder / "broken.html", "tree_only": folder / "tree_only.html"}
    paths["page"].write_text(page, encoding="utf-8")
    paths["broken"].write_text(broken, encoding="utf-8")
    paths["tree_only"].write_text(render_html(tree_only(load_document())), encoding="utf-8")
    return paths


def test_browser_draws_every_metric_and_opens_the_hash_panel(pages: dict[str, Path], tmp_path: Path) -> None:
    run = run_chromium(pages["page"], "#metric=live_viewers", tmp_path, "--dump-dom")
    assert run.console == []
    dom = parse_dom(run.stdout)
    names = {n["name"] for n in load_document()["nodes"]}
    boxes = drawn_nodes(dom)
    assert set(boxes) == names and len(boxes) == 55
    assert "selected" in boxes["live_viewers"].classes
    assert "on-path" in boxes["live_watch_minutes"].classes
    assert all(box.attrs.get("tabindex") == "0" for box in boxes.values())
    panel = dom.find(id="panel")
    assert panel is not None and "hidden" not in panel.attrs
    text = panel.all_text()
    assert "Live viewers" in text and "live_viewers" in text and "owner viewer-experience" in text
    assert NASTY in text and not any(e.tag == "b" for e in panel.walk())  # the hostile definition stays text
    assert "target" in text and "off track" in text and "normal range" in text
    assert "Top moving segments" in text and "platform ios" in text
    overview = dom.find(id="overview")
    assert overview is not None and "hidden" in overview.attrs


def test_browser_shows_decomposition_and_no_baseline(pages: dict[str, Path], tmp_path: Path) -> None:
    run = run_chromium(pages["page"], "#metric=gift_revenue_usd", tmp_path, "--dump-dom")
    assert run.console == []
    dom = parse_dom(run.stdout)
    text = dom.find(id="panel").all_text()  # type: ignore[union-attr]
    assert "gift_revenue_usd = gifters × revenue_per_gifter_usd" in text
    # revenue per gifter fell by 1.72 x the change while gifters rose: said in words, not as 172.4 %
    assert "What moved it" in text and "Revenue per gifter (USD)" in text and "172.4%" not in text
    assert "more than all (offsetting)" in text and "against (offsetting)" in text
    boxes = drawn_nodes(dom)
    assert "no baseline" in boxes["first_time_creators"].all_text()
    assert "—" not in boxes["live_viewers"].all_text()


def test_browser_shows_rate_changes_in_points(pages: dict[str, Path], tmp_path: Path) -> None:
    """A rate's change in percentage points (refunds 0.0014% → 0.077% is +0.08 pp, not +5317.9%), a count's
    relative."""
    refunds = next(n for n in load_document()["nodes"] if n["name"] == "gift_refund_rate")
    assert refunds["change"] == pytest.approx(53.1794, rel=1e-5)  # the fixture's raw relative change
    run = run_chromium(pages["page"], "#metric=gift_refund_rate", tmp_path, "--dump-dom")
    assert run.console == []
    dom = parse_dom(run.stdout)
    boxes = drawn_nodes(dom)
    assert "+0.08 pp" in boxes["gift_refund_rate"].all_text()
    assert "+2.45 pp" in boxes["stream_crash_rate"].all_text()  # 3.92% → 6.37%
    assert "+2.3%" in boxes["live_viewers"].all_text()  # 1,388 → 1,420
    panel = dom.find(id="panel").all_text()  # type: ignore[union-attr]
    assert "change +0.08 pp (worse)" in panel
    assert "5317.9%" not in panel and not any("5317.9%" in box.all_text() for box in boxes.values())


def test_browser_console_check_catches_a_script_error(pages: dict[str, Path], tmp_path: Path) -> None:
    run = run_chromium(pages["broken"], "", tmp_path, "--dump-dom")
    assert any("Uncaught" in line and "noSuchFunction" in line for line in run.console), run.console


@pytest.mark.parametrize(
    ("fragment", "stakeholder", "keep_ancestors"),
    [("#stakeholder=advertisers", "advertisers", True), ("?ancestors=0#stakeholder=creators", "creators", False)],
)
def test_browser_filter_hides_what_does_not_match(
    pages: dict[str, Path], tmp_path: Path, fragment: str, stakeholder: str, keep_ancestors: bool
) -> None:
    document = load_document()
    matching = {n["name"] for n in document["nodes"] if n["stakeholder"] == stakeholder}
    kept = ancestors(document, matching) if keep_ancestors else set()
    run = run_chromium(pages["page"], fragment, tmp_path, "--dump-dom")
    assert run.console == []
    boxes = drawn_nodes(parse_dom(run.stdout))
    assert set(boxes) == matching | kept
    assert {name for name, box in boxes.items() if "kept" in box.classes} == kept
    if keep_ancestors:
        assert kept == {"platform_net_revenue_usd", "live_watch_minutes"}


def test_browser_only_breached_guardrails(pages: dict[str, Path], tmp_path: Path) -> None:
    run = run_chromium(pages["page"], "#show=breached&ancestors=0", tmp_path, "--dump-dom")
    breached = {n["name"] for n in load_document()["nodes"] if n["status"] == "breached"}
    assert set(drawn_nodes(parse_dom(run.stdout))) == breached and len(breached) == 3


PROBE = """<script>
(function () {
  var out = {};
  var node = document.querySelector('.node[data-metric="gift_revenue_usd"]');
  node.focus();
  out.focused = document.activeElement.getAttribute('data-metric');
  node.dispatchEvent(new KeyboardEvent('keydown', {key: 'Enter', bubbles: true}));
  out.panel = document.getElementById('panel-title').textContent;
  out.panelFocused = document.activeElement.id;
  var search = document.getElementById('f-q');
  search.value = 'refund';
  search.dispatchEvent(new Event('input', {bubbles: true}));
  out.visible = Array.prototype.map.call(document.querySelectorAll('#tree .node'),
    function (g) { return g.getAttribute('data-metric'); });
  out.hash = location.hash;
  document.dispatchEvent(new KeyboardEvent('keydown', {key: 'Escape', bubbles: true}));
  out.panelHidden = document.getElementById('panel').hidden;
  var pre = document.createElement('pre');
  pre.id = 'probe';
  pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
})();
</script>
</body>"""


def test_browser_keyboard_opens_details_and_search_filters(pages: dict[str, Path], tmp_path: Path) -> None:
    probed = tmp_path / "probed.html"
    probed.write_text(pages["page"].read_text(encoding="utf-8").replace("</body>", PROBE), encoding="utf-8")
    run = run_chromium(probed, "", tmp_path, "--dump-dom")
    assert run.console == []
    probe = parse_dom(run.stdout).find(id="probe")
    assert probe is not None
    result = json.loads(probe.all_text())
    assert result["focused"] == "gift_revenue_usd"
    assert result["panel"] == "Gift revenue (USD)" and result["panelFocused"] == "panel-title"
    refund = {"gift_refund_rate", "gift_refunded_coins", "gift_refunded_usd"}
    document = load_document()
    assert set(result["visible"]) == refund | ancestors(document, refund)
    assert "q=refund" in result["hash"] and "metric=gift_revenue_usd" in result["hash"]
    assert result["panelHidden"] is True


def test_browser_tree_only_page(pages: dict[str, Path], tmp_path: Path) -> None:
    run = run_chromium(pages["tree_only"], "#metric=live_viewers", tmp_path, "--dump-dom")
    assert run.console == []
    dom = parse_dom(run.stdout)
    assert len(drawn_nodes(dom)) == 55
    assert not [e for e in dom.find(id="tree").walk() if e.tag == "polyline"]  # type: ignore[union-attr]
    assert "Live viewers" in dom.find(id="panel").all_text()  # type: ignore[union-attr]


# ---------------------------------------------------------------------------------------------------
# The screenshot


def png_pixels(data: bytes) -> tuple[int, int, list[bytes]]:
    """Width, height and the RGB(A) rows of an 8-bit, non-interlaced truecolour PNG (stdlib zlib only)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    position, chunks, header = 8, [], b""
    while position < len(data):
        (length,) = struct.unpack(">I", data[position : position + 4])
        kind = data[position + 4 : position + 8]
        body = data[position + 8 : position + 8 + length]
        header = body if kind == b"IHDR" else header
        chunks += [body] if kind == b"IDAT" else []
        position += 12 + length
    width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", header)
    assert depth == 8 and colour in (2, 6) and interlace == 0, (depth, colour, interlace)
    return width, height, unfilter(zlib.decompress(b"".join(chunks)), width, height, 3 if colour == 2 else 4)


def paeth(left: int, up: int, corner: int) -> int:
    estimate = left + up - corner
    distances = (abs(estimate - left), abs(estimate - up), abs(estimate - corner))
    return (left, up, corner)[distances.index(min(distances))]


def unfilter(raw: bytes, width: int, height: int, bpp: int) -> list[bytes]:
    stride = width * bpp
    rows: list[bytes] = []
    previous = bytearray(stride)
    for y in range(height):
        start = y * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1 : start + 1 + stride])
        if kind == 2:
            line = bytearray((a + b) & 255 for a, b in zip(line, previous, strict=True))
        elif kind in (1, 3, 4):
            for i in range(stride):
                left = line[i - bpp] if i >= bpp else 0
                corner = previous[i - bpp] if i >= bpp else 0
                guess = {1: left, 3: (left + previous[i]) >> 1, 4: paeth(left, previous[i], corner)}[kind]
                line[i] = (line[i] + guess) & 255
        rows.append(bytes(line))
        previous = line
    return rows


def test_browser_screenshot_is_not_blank(pages: dict[str, Path], tmp_path: Path) -> None:
    shot = tmp_path / "tree_page.png"
    run = run_chromium(pages["page"], "", tmp_path, f"--screenshot={shot}", "--window-size=1400,1000")
    assert run.console == []
    width, height, rows = png_pixels(shot.read_bytes())
    assert (width, height) == (1400, 1000)
    bpp = len(rows[0]) // width
    pixels = Counter(row[x : x + 3] for row in rows[::4] for x in range(0, len(row), bpp * 4))
    background, count = pixels.most_common(1)[0]
    total = sum(pixels.values())
    assert 1 - count / total > 0.3, f"only {1 - count / total:.0%} of the pixels differ from {background.hex()}"
    assert len(pixels) > 50, f"only {len(pixels)} distinct colours"


# ---------------------------------------------------------------------------------------------------
# The demo's own page, as `make run` exports it, at a desktop and a laptop size

# Appended to a copy of the page: after the tree is drawn, measure what a person would see and write it into
# the DOM for --dump-dom: each box's label (its text and its right edge against the room the box gives it),
# each box's rectangle, and each edge label's text.
LAYOUT_PROBE = """<script>
setTimeout(function () {
  var out = {labels: [], boxes: [], edges: []};
  Array.prototype.forEach.call(document.querySelectorAll('#tree g.node'), function (g) {
    var label = g.querySelector('.label'), box = g.querySelector('rect.box'), bb = label.getBBox();
    var at = /translate\\(([-0-9.]+),([-0-9.]+)\\)/.exec(g.getAttribute('transform'));
    out.labels.push({metric: g.getAttribute('data-metric'), text: label.textContent,
      right: bb.x + bb.width,
      limit: parseFloat(label.getAttribute('x')) + parseFloat(label.getAttribute('data-room'))});
    out.boxes.push({metric: g.getAttribute('data-metric'), x: +at[1], y: +at[2],
      w: +box.getAttribute('width'), h: +box.getAttribute('height')});
  });
  Array.prototype.forEach.call(document.querySelectorAll('#tree .edge-label'), function (t) {
    out.edges.push(t.lastChild.textContent);
  });
  out.cards = Array.prototype.map.call(document.querySelectorAll('header .card'), function (c) {
    return c.scrollWidth - c.clientWidth;
  });
  var pre = document.createElement('pre');
  pre.id = 'layout-probe';
  pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
}, 50);
</script>"""
SHARE = re.compile(r"^(\d+(?:\.\d)?)%$")


@pytest.fixture(scope="module")
def demo_page(warehouse: Warehouse, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    folder = tmp_path_factory.mktemp("demo_page")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("LIVE_EXPORT_PERIODS", "all")  # every period, as `make run` exports it
        completed = run_cli(warehouse, "export", "--out", str(folder))
    assert completed.returncode == 0, completed.stderr
    page = (folder / "metric_tree.html").read_text(encoding="utf-8")
    probed = folder / "probed.html"
    probed.write_text(page.replace("</body>", LAYOUT_PROBE + "\n</body>"), encoding="utf-8")
    return probed, json.loads((folder / "metric_tree.json").read_text(encoding="utf-8"))


def readable_share(text: str) -> bool:
    """A share as the page prints it: 0-100 %, or words that say the parts offset each other."""
    match = SHARE.match(text.strip())
    return bool(match and 0 <= float(match.group(1)) <= 100) or "offsetting" in text or text.strip() == "—"


@pytest.mark.parametrize("size", ["1600,1200", "1280,800"])
def test_browser_demo_page_labels_fit_shares_read_and_nothing_overlaps(
    demo_page: tuple[Path, dict[str, Any]], size: str, tmp_path: Path
) -> None:
    page, document = demo_page
    run = run_chromium(page, "", tmp_path, "--dump-dom", f"--window-size={size}")
    assert run.console == []
    dom = parse_dom(run.stdout)
    probe = dom.find(id="layout-probe")
    assert probe is not None, "the layout probe did not run"
    layout = json.loads(probe.all_text())
    labels = {node["name"]: node["label"] for node in document["nodes"]}
    assert len(layout["labels"]) == len(labels) >= 57
    # every label whole (no "…"), inside the room its box gives it (markers included)
    for item in layout["labels"]:
        assert item["text"] == labels[item["metric"]], item
        assert item["right"] <= item["limit"] + 0.5, f"{item['metric']}: label runs past its box ({item})"
    # the header cards show all they hold (a share in words is longer than "172.4%")
    assert layout["cards"] and max(layout["cards"]) <= 1, layout["cards"]
    boxes = layout["boxes"]
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            apart = a["x"] + a["w"] <= b["x"] or b["x"] + b["w"] <= a["x"] or a["y"] + a["h"] <= b["y"]
            assert apart or b["y"] + b["h"] <= a["y"], f"{a['metric']} overlaps {b['metric']}"
    # shares: on the edges, in "why it moved" and in the top segments, 0-100 % or said in words
    assert layout["edges"] and all(readable_share(text) for text in layout["edges"]), layout["edges"]
    why = [row for row in dom.walk() if row.tag == "table" and "drivers" in row.classes]
    assert len(why) == 1
    shares = [
        cells[-1].all_text()
        for cells in ([c for c in tr.walk() if c.tag == "td"] for tr in why[0].walk() if tr.tag == "tr")
        if cells
    ]
    assert shares and all(readable_share(text) for text in shares), shares
    segments = next(e for e in dom.walk() if e.tag == "ol" and "segments" in e.classes).all_text()
    assert all(readable_share(text) for text in re.findall(r", ([^()]+)\)", segments)), segments
    assert not re.search(r"residual \d", dom.all_text()), "a residual below 1e-6 of the change is printed"


# Three periods picked in the page, at each grain: the boxes show what MetricFlow answers for that period
# when asked for it alone (not the export's one query over the whole data that the page was built from).
PICKED = [("day", "2026-11-29"), ("week", "2026-10-12"), ("month", "2026-11-01")]
PICKED_METRICS = ("live_watch_minutes", "live_viewers", "stream_crash_rate", "notification_open_rate")


@pytest.mark.parametrize(("grain", "start"), PICKED)
def test_browser_period_picker_shows_metricflows_values_for_the_period(
    warehouse: Warehouse, demo_page: tuple[Path, dict[str, Any]], grain: str, start: str, tmp_path: Path
) -> None:
    import datetime as dt

    from live_metrics.engine.mf_engine import MetricFlowSession
    from live_metrics.render.formatting import format_value
    from live_metrics.tree.snapshot import as_date, period_containing

    page, document = demo_page
    period = period_containing(dt.date.fromisoformat(start), grain)
    assert period.start.isoformat() == start
    run = run_chromium(page, f"#grain={grain}&period={start}", tmp_path, "--dump-dom")
    assert run.console == []
    dom = parse_dom(run.stdout)
    shown = {name: box.all_text() for name, box in drawn_nodes(dom).items()}
    picker = dom.find(id="f-period")
    assert picker is not None
    selected = next(e for e in picker.walk() if e.tag == "option" and e.attrs.get("value") == start)
    assert selected.all_text().startswith(period.label)
    header = next(e for e in dom.walk() if e.tag == "header")
    assert period.label in header.all_text()
    # only November is the latest complete period of its grain (the data's last complete day is 11-30)
    assert ("the latest complete" in header.all_text()) == (grain == "month"), header.all_text()[:200]
    # MetricFlow, asked for this period alone (the time constraint is at day precision: one day more)
    column = f"metric_time__{grain}"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("LIVE_DUCKDB_PATH", str(warehouse.duckdb_path))
        patch.setenv("DBT_PROFILES_DIR", str(Path(__file__).resolve().parents[2]))
        with MetricFlowSession(Path(__file__).resolve().parents[2], warehouse.semantic_manifest) as session:
            result = session.query_metrics(
                list(PICKED_METRICS), [column], period.start, period.end + dt.timedelta(days=1)
            )
    row = next(record for record in result.records() if as_date(record[column]) == period.start)
    for name in PICKED_METRICS:
        expected = format_value(row[name], name)
        assert expected in shown[name].split(), f"{grain} {start} {name}: page {shown[name]!r}, MetricFlow {expected}"
    # the default view (no hash) is another period: the pick did change the values
    default = document["period"]["start"]
    assert (grain, start) != ("week", default)
