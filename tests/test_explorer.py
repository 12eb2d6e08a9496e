"""`negsim explore`: the settings -> extends-file path, and the page in a real browser.

The browser test starts `negsim explore` on a free port (a subprocess) and drives it with
Playwright on Debian's Chromium: it turns a clause off, steps a run to its end, moves a
slider, and checks that what the page shows changed accordingly and that the browser console
shows no errors.  It is skipped only when /usr/bin/chromium is absent.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import threading
import time
import tomllib
from pathlib import Path

import pytest

from tests.conftest import NO_BROWSER

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]


def _env() -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    return env


def _negsim(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "negsim", *args], cwd=ROOT, env=_env(), capture_output=True,
                          text=True, timeout=timeout)


def _tables_with_numbers(doc: dict, path: str = ""):
    """Every table of a TOML document that sets a number directly, with its dotted path."""
    if any(isinstance(v, (int, float)) and not isinstance(v, bool) for v in doc.values()):
        yield path, doc
    for k, v in doc.items():
        if isinstance(v, dict):
            yield from _tables_with_numbers(v, f"{path}.{k}" if path else k)


# ---------------------------------------------------------------- without a browser
def test_cli_stays_light():
    """`negsim --help` never imports solara or Mesa's visualisation."""
    code = ("import sys, negsim.cli as c; c.build_parser(); "
            "print(sorted(m for m in sys.modules if m.startswith(('solara', 'mesa', 'explorer.app'))))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=_env(), capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def test_settings_save_an_extends_file_that_validates(tmp_path):
    from explorer.settings import (SCENARIOS, Settings, load_parent, parent_agenda, scenario_for,
                                   write_scenario)

    s = Settings(str(SCENARIOS / "accession_moratorium.toml"))
    parent = load_parent(s)
    pa = parent_agenda(parent)
    s = (s.with_clause("us.4a", "on", 1.0, pa).with_clause("nato.4", "off", 0.0, pa)
         .with_clause("nato.7b", "cap", 0.4, pa)
         .with_value("outside_option", "russia", 0.35).with_value("deadline", "russia", 12)
         .with_value("beta", "russia", 0.7).with_value("strategy_kind", "us", "time_dependent")
         .with_value("round_days", "", 14).with_value("package", "", "separate"))
    out = write_scenario(s, parent, tmp_path / "mine.toml", "judgement [negsim-calibration]: a test of the explorer's Save")
    doc = tomllib.loads(out.read_text())
    assert doc["extends"].endswith("accession_moratorium.toml")
    for path, table in _tables_with_numbers(doc):  # caps: ids as keys, covered by [agenda]'s source
        owner = doc["agenda"] if path == "agenda.caps" else table
        assert owner.get("source"), f"table {path!r} sets a number without its own source"
    res = _negsim("validate", str(out))
    assert res.returncode == 0, res.stdout + res.stderr
    sc = scenario_for(s)  # the live view loads the same document
    assert dict(sc.agenda.caps) == {"nato.6": 0.5, "nato.7b": 0.4}  # caps replace the parent's whole table
    assert sc.agenda.off == frozenset({"nato.4"})
    assert sc.protocol.round_days == 14 and sc.protocol.package == "separate"
    us = next(a for a in sc.actors if a.id == "us")
    assert us.strategy.kind == "time_dependent"
    with pytest.raises(ValueError, match="source"):
        write_scenario(s, parent, tmp_path / "nosource.toml", "  ")


def test_the_settings_are_the_schemas():
    """Labels, units, choices and ranges of the explorer's controls come from sim/schema.py
    (issue 22: the growth was labelled 'per round' where the schema says per 7 days, and the
    strategy and proposer choices were incomplete)."""
    from explorer.settings import CONTROLS, STRATEGY_SLIDERS
    from sim import schema

    for key, c in CONTROLS.items():
        f = schema.field(c.path.replace("{actor}", "*"))
        if f.unit:
            assert c.label.endswith(f"({f.unit})"), key
        assert c.choices == (tuple(schema.choices(f)) if f.kind == "choice" else ()), key
        if c.window:
            assert f.low <= c.low < c.high <= f.high, key  # a slider shows a part of the allowed range
    assert CONTROLS["outside_option_growth"].label == "outside_option_growth (utility per 7 days)"
    assert set(CONTROLS["strategy_kind"].choices) == set(schema.STRATEGIES)
    assert CONTROLS["proposer"].choices == ("rotation", "random", "all")
    # every parameter a strategy can read has its slider (a new one cannot be left out)
    assert set(STRATEGY_SLIDERS) == {f.key for f in schema.drawn_fields("actors.*.strategy")}


def test_the_package_bars_show_what_the_red_lines_allow():
    import re as re_

    from explorer.charts import package_table

    html = package_table(["a", "b", "c"], [0.1, 0.0, 0.6], [0.5, 0.05, 0.4], [True, True, True], [0.3, 0.02, 0.5],
                         __import__("numpy").zeros((3, 23)), ["russia"] * 23)
    bands = re_.findall(r"class='pkg-bg' style='left:([\d.]+)px;width:([\d.]+)px'", html)
    # 110 px for the whole scale: a allows 0.1-0.5 (left 11 px, width 44), b only 0-0.05 (width 5.5)
    assert bands == [("11.0", "44.0"), ("0.0", "5.5")]
    assert html.count("pkg-none") == 1  # c: the red lines leave no common value (0.6 > 0.4)
    # the heatmap's columns are headed by round number, every 10 rounds
    assert re_.findall(r"class='hm-head' colspan='(\d+)'[^>]*>(\d+)<", html) == [("10", "1"), ("10", "11"), ("3", "21")]


def test_the_run_view_knows_what_the_red_lines_allow():
    import numpy as np

    from explorer.model import ExplorerModel
    from explorer.settings import SCENARIOS, Settings

    m = ExplorerModel(settings=Settings(str(SCENARIOS / "accession_excluded.toml"), run=3))
    lay, p = m.compiled.layout, m.params
    low, high = m.allowed()
    req = np.asarray(lay.required)
    for c, cid in enumerate(lay.clauses):  # by hand: the tightest red line of any party at the table, and the agenda
        assert high[c] == min([p.above[0, a, c] for a in np.flatnonzero(req)] + [p.upper[0, c]])
        assert low[c] == max(p.below[0, a, c] for a in np.flatnonzero(req))
    assert high[lay.clauses.index("us.4a")] == 0.0  # off the table


# ---------------------------------------------------------------- in the browser
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def app_url():
    if not CHROMIUM.exists():
        pytest.skip(NO_BROWSER)
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "negsim", "explore", "--port", str(port)], cwd=ROOT, env=_env(),
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines = []
    deadline = time.time() + 90
    try:
        while time.time() < deadline:
            line = proc.stdout.readline()
            if not line and proc.poll() is not None:
                break
            lines.append(line)
            if f"http://127.0.0.1:{port}/" in line:
                break
        else:
            pytest.fail("negsim explore did not start in 90 s:\n" + "".join(lines))
        if proc.poll() is not None:
            pytest.fail("negsim explore exited:\n" + "".join(lines) + proc.stdout.read())
        # keep reading its output, so a full pipe can never block the server
        threading.Thread(target=lambda: lines.extend(proc.stdout), daemon=True).start()
        yield f"http://127.0.0.1:{port}/"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


def _text(page, selector: str) -> str:
    return page.locator(selector).first.inner_text()


def _wait_change(page, selector: str, old: str, timeout: float = 15.0) -> tuple[str, float]:
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < timeout:
        try:
            new = _text(page, selector)
        except Exception:  # noqa: BLE001  (re-rendering)
            new = old
        if new != old:
            return new, time.perf_counter() - t0
        page.wait_for_timeout(25)
    raise AssertionError(f"{selector} still shows {old!r} after {timeout} s")


def test_explorer_in_the_browser(app_url, tmp_path):
    from playwright.sync_api import sync_playwright

    errors: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1600, "height": 1000})
            page.on("console", lambda m: m.type == "error" and errors.append(m.text))
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(app_url)
            page.locator(".negsim-distribution").wait_for(timeout=30_000)
            agree = ".negsim-dist .dist-agreement .current"
            walk = ".negsim-dist .dist-walkout .current"
            shipped = ".negsim-dist .dist-agreement td:nth-child(2)"
            before = _text(page, agree)
            assert _text(page, shipped) == before  # nothing changed yet: current = shipped
            body = page.locator("body").inner_text()
            for leftover in ("Model Parameters", "Use Threads", "PAGE 0", "Page 0"):  # Mesa's page, unused here
                assert leftover not in body
            assert "outside_option_growth (utility per 7 days)" in body  # the schema's label and unit

            # 1. a clause off the table: the distribution reruns, the shipped column stays
            page.locator(".clause-nato-4").get_by_role("button", name="off").click()
            after_clause, _ = _wait_change(page, agree, before)
            assert _text(page, shipped) == before
            assert "off nato.4" in _text(page, ".negsim-changes") or "nato.4" in _text(page, ".negsim-changes")
            assert "off the table" in _text(page, ".negsim-package .pkg-nato-4")
            page.locator(".negsim-settings").get_by_text("Changed: yes").wait_for(timeout=10_000)  # the sidebar redraws too

            # 2. one run with Mesa's own controls: play, pause, then Step to its end
            page.get_by_role("button", name="\u25b6").click()
            deadline = time.time() + 15
            while time.time() < deadline and int(_text(page, ".negsim-round")) < 2 and not page.locator(".negsim-outcome").count():
                page.wait_for_timeout(50)
            if not page.locator(".negsim-outcome").count():
                page.get_by_role("button", name="\u275a\u275a").click()  # pause
            played = int(_text(page, ".negsim-round"))
            assert played >= 1
            step = page.get_by_role("button", name="Step")
            for _ in range(60):
                if page.locator(".negsim-outcome").count():
                    break
                r0 = _text(page, ".negsim-round")
                step.click()
                _wait_change(page, ".negsim-round", r0)
            outcome = page.locator(".negsim-outcome").inner_text()
            assert "End of the talks" in outcome
            assert re.search(r"(Agreement|Walkout|Still talking)", outcome)
            assert page.locator(".negsim-run table tr").count() >= 3  # a row per party at the table

            # 3. a slider: Russia's outside option near 1 -> Russia walks out of almost every run
            w0 = _text(page, walk)
            track = page.locator(".negsim-slider-outside_option-russia .v-slider").first
            track.scroll_into_view_if_needed()
            box = track.bounding_box()
            page.mouse.click(box["x"] + box["width"] * 0.95, box["y"] + box["height"] / 2)
            w1, seconds = _wait_change(page, walk, w0)
            assert float(w1.split("%")[0]) > 95.0, w1
            assert "actors.russia.outside_option" in _text(page, ".negsim-changes")
            assert "(fixed)" in page.locator(".negsim-settings").inner_text()
            assert _text(page, ".negsim-round") == "0"  # a new run starts from round 0
            assert seconds < 5.0

            # 4. Save: an extends-file that passes `negsim validate`
            target = tmp_path / "explored.toml"
            page.get_by_label("file (.toml)").fill(str(target))
            page.get_by_label(re.compile("source")).fill("judgement [negsim-calibration]: browser test of the explorer")
            page.get_by_role("button", name="Save").click()
            page.locator(".negsim-save-msg").wait_for(timeout=10_000)
            assert "passes negsim validate" in _text(page, ".negsim-save-msg")
            res = _negsim("validate", str(target))
            assert res.returncode == 0, res.stdout + res.stderr
            doc = tomllib.loads(target.read_text())
            assert doc["actors"]["russia"]["outside_option"] > 0.9
            assert "nato.4" in doc["agenda"]["off"]
        finally:
            browser.close()
    assert not errors, "browser console errors:\n" + "\n".join(errors)
