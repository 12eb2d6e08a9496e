"""The HTML report: what it says (numbers equal to the statistics), that it is self-contained
and escaped, that it is written atomically, and that headless Chromium loads every figure in it
with no console errors."""

import base64
import html
import json
import os
import re
import shutil
import struct
import subprocess
from pathlib import Path

import numpy as np

import pytest

from analysis import outcomes as oc
from analysis import report, stats
from analysis.pairing import differences
from analysis.report_data import THEORY_DRAWS, pairing_of
from negsim.cli import main as cli_main
from negsim.cli import build_parser

ROOT = Path(__file__).resolve().parent.parent
SCEN = ROOT / "scenarios"
N_FIGURES = 9  # with two scenarios the report opens with their difference over days


def run_cmd(argv):
    args = build_parser().parse_args(argv)
    return args.func(args)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """A small compare with traces, and its report written by `negsim report FOLDER` (default --out)."""
    out = tmp_path_factory.mktemp("rep") / "headline"
    assert cli_main(["compare", str(SCEN / "full_agenda.toml"), str(SCEN / "accession_excluded.toml"),
                     "-n", "200", "--seed", "3", "--out", str(out), "--trace", "--quiet", "--workers", "1"]) == 0
    assert run_cmd(["report", str(out), "--seed", "1"]) == 0
    path = out / "report.html"
    results = [oc.load(out / "runs_full_agenda.parquet"), oc.load(out / "runs_accession_excluded.parquet")]
    return path, path.read_text(encoding="utf-8"), results


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


def test_report_says_what_the_statistics_say(built):
    path, text, (a, b) = built
    assert text.startswith("<!DOCTYPE html>") and text.rstrip().endswith("</html>")
    assert html.escape(report.DEFAULT_QUESTION) in text
    assert "negsim report: full_agenda vs accession_excluded" in text
    # Outcome shares and their difference, as printed by `negsim compare`.
    actors = ["russia", "us", "nato"]
    sa, sb = stats.summarise(a.runs, actors), stats.summarise(b.runs, actors)
    pairing = pairing_of(a, b)
    assert pairing.paired  # compare ran both on the same seed: run i of each shares its draws
    d = {m: x.estimate for m, x in differences(a.runs, b.runs, ["agreement"], 1, pairing).items()}
    for s in (sa, sb):
        assert report.est(s["agreement"].value, s["agreement"].low, s["agreement"].high) in text
        assert report.est(s["talks persist"].value, s["talks persist"].low, s["talks persist"].high) in text
    assert report.est(d["agreement"].value, d["agreement"].low, d["agreement"].high, signed=True) in text
    assert "<p class='answer'>Answer (by day 364, the horizon)" in text
    assert "A deal forms in " + sb["agreement"].fmt() in text
    assert "Why: By construction" in text
    assert "paired: the same runs in both" in text and "Newcombe&#x27;s score interval for paired data" in text
    # How it ended and what blocked it.
    blk = oc.blocking(b.runs, b.meta).iloc[0]
    assert f"<td>{blk['walkout_by']}</td><td>{blk['rule']}</td><td>{blk['clause']}</td>" in text
    assert html.escape(blk["constraint"]) in text
    # Which clauses were agreed at what values.
    cv = oc.clause_values(b.runs, b.meta).set_index("clause")
    x = cv.loc["us.6"]
    assert report.est(x["median"], x["median_low"], x["median_high"], percent=False, digits=2) in text
    # Assumptions and provenance of each scenario.
    for r in (a, b):
        assert html.escape(r.meta["scenario_resolved"]["meta"]["description"]) in text
        assert r.meta["scenario_sha256"] in text and html.escape(r.meta["reproduce"]) in text
    assert "us.4a, nato.6" in text  # accession_excluded's agenda
    # The record as a reference: P(no deal and a Russian walkout by day 69), counted here by hand.
    runs = b.runs
    k = int(((runs["outcome"].astype(str) == "walkout") & (runs["walkout_by"].astype(str) == "russia")
             & (runs["days"] <= 69)).sum())
    rec = stats.proportion(k, len(runs))
    assert "The record as a reference" in text and "not fitted to it" in text
    assert "Theory and simulation, reconciled" in text and "accession_excluded - full_agenda</b> on the same 200 draws" in text
    assert report.est(rec.value, rec.low, rec.high) in text
    for h in ("Outcome shares", "How long the talks lasted", "Which clauses were agreed", "Who walked out, and where they stood",
              "Positions over rounds", "Differences accession_excluded - full_agenda", "Assumptions and provenance"):
        assert h in text


def test_report_is_self_contained(built):
    path, text, _ = built
    assert "<script" not in text.lower() and "@import" not in text and "url(" not in text
    refs = re.findall(r"""(?:src|href)\s*=\s*["']([^"']*)["']""", text)
    assert refs and all(r.startswith(("data:image/png;base64,", "#")) for r in refs), [r[:40] for r in refs]
    imgs = re.findall(r'<img src="data:image/png;base64,([A-Za-z0-9+/=]+)" alt="([^"]+)"', text)
    assert len(imgs) == N_FIGURES
    for data, alt in imgs:
        w, h = png_size(base64.b64decode(data))
        assert w > 300 and h > 200 and alt
    assert oct(path.stat().st_mode & 0o777) != "0o600"  # not left with mkstemp's private mode
    assert sorted(p.name for p in path.parent.iterdir() if "partial" in p.name or p.name.startswith(".")) == []


PROBE = """<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data:; style-src 'unsafe-inline'; script-src 'unsafe-inline'">
<script>(function () {
  var errs = [];
  function rec(m) { errs.push(String(m)); }
  var ce = console.error;
  console.error = function () { rec("console.error: " + [].map.call(arguments, String).join(" ")); };
  console.warn = function () { rec("console.warn: " + [].map.call(arguments, String).join(" ")); };
  window.addEventListener("error", function (e) {
    var t = e.target || {};
    rec("error: " + (e.message || t.currentSrc || t.src || t.href || t.tagName || "?").toString().slice(0, 80));
  }, true);
  window.addEventListener("unhandledrejection", function (e) { rec("rejection: " + e.reason); });
  document.addEventListener("securitypolicyviolation", function (e) { rec("blocked: " + e.blockedURI + " (" + e.violatedDirective + ")"); });
  window.addEventListener("load", function () {
    var imgs = Array.prototype.slice.call(document.images);
    var out = document.createElement("pre");
    out.id = "probe";
    out.textContent = JSON.stringify({
      images: imgs.length,
      loaded: imgs.filter(function (i) { return i.complete && i.naturalWidth > 0 && i.naturalHeight > 0; }).length,
      sizes: imgs.map(function (i) { return [i.naturalWidth, i.naturalHeight]; }),
      errors: errs});
    document.body.appendChild(out);
  });
})();</script>"""


def chromium() -> str:
    exe = "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else shutil.which("chromium")
    if exe is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is required in CI (.ci/run installs Debian's chromium package)")
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    return exe


def probe(page: Path, tmp_path: Path) -> tuple[dict, str]:
    """Open a copy of `page` with the probe first in <head>, in headless Chromium; return what the
    probe found and Chromium's console log lines."""
    text = page.read_text(encoding="utf-8")
    probed = tmp_path / ("probed_" + page.name)
    probed.write_text(re.sub(r"<head>", "<head>" + PROBE, text, count=1), encoding="utf-8")
    cmd = [chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
           "--disable-background-networking", "--disable-component-update", "--disable-sync",
           "--disable-default-apps", "--disable-extensions", f"--user-data-dir={tmp_path / 'profile'}",
           "--enable-logging=stderr", "--v=0", "--virtual-time-budget=5000", "--dump-dom", probed.as_uri()]
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=90)
    m = re.search(r'<pre id="probe">(.*?)</pre>', res.stdout, re.S)
    assert m, f"the probe did not run (exit {res.returncode}): {res.stderr[-800:]}"
    console = [line for line in res.stderr.splitlines() if ":CONSOLE" in line]
    return json.loads(html.unescape(m.group(1))), "\n".join(console)


def test_every_figure_loads_in_headless_chromium(built, tmp_path):
    path, _, _ = built
    found, console = probe(path, tmp_path)
    assert found["errors"] == [] and console == ""
    assert found["images"] == N_FIGURES and found["loaded"] == N_FIGURES
    assert all(w > 300 and h > 200 for w, h in found["sizes"])


def test_the_probe_sees_broken_figures_and_console_errors(tmp_path):
    bad = tmp_path / "bad.html"
    ok_png = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
    bad.write_text("<!DOCTYPE html><html><head><title>x</title></head><body>"
                   f'<img src="data:image/png;base64,{ok_png}"><img src="data:image/png;base64,AAAA">'
                   '<img src="https://example.invalid/x.png"><script>console.error("boom")</script></body></html>')
    found, _ = probe(bad, tmp_path)
    assert found["images"] == 3 and found["loaded"] == 1
    assert any("boom" in e for e in found["errors"]) and any("example.invalid" in e for e in found["errors"])


def test_text_from_scenarios_is_escaped(built):
    _, _, (a, _) = built
    meta = json.loads(json.dumps(a.meta))
    meta["scenario_resolved"]["meta"]["description"] = '<script>alert("x")</script> & co'
    meta["scenario_resolved"]["actors"]["us"]["source"] = "judgement [negsim-calibration]: <img src=x onerror=alert(1)>"
    meta["reproduce"] = 'negsim run "a<b>.toml"'
    part = report._assumptions(oc.Result(a.runs, meta, None, "runs_<x>.parquet"))
    assert "<script>" not in part and "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; co" in part
    assert "<img src=x" not in part and "&lt;img src=x onerror=alert(1)&gt;" in part
    assert "runs_&lt;x&gt;.parquet" in part and "a&lt;b&gt;.toml" in part
    assert report.table(["<h>"], [["<td>"]]) == "<table><thead><tr><th>&lt;h&gt;</th></tr></thead><tbody><tr>" \
                                              "<td>&lt;td&gt;</td></tr></tbody></table>"


def test_no_trace_gives_a_note_not_a_figure(built):
    _, _, (a, b) = built
    part = report._trajectory_section([oc.Result(a.runs, a.meta, None), b])
    assert "No trace file for full_agenda" in part and "--trace" in part and part.count("<img") == 1


def test_bad_input_is_refused_and_nothing_is_written(built, tmp_path):
    path, _, _ = built
    good = path.parent / "runs_full_agenda.parquet"
    cut = tmp_path / "runs_cut.parquet"
    cut.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    out = tmp_path / "r.html"
    with pytest.raises(ValueError, match="runs_cut.parquet: not a readable Parquet file"):
        run_cmd(["report", str(cut), "--out", str(out)])
    with pytest.raises(ValueError, match="file not found"):
        run_cmd(["report", str(tmp_path / "nope.parquet"), "--out", str(out)])
    with pytest.raises(ValueError, match="same scenario appears twice"):
        run_cmd(["report", str(good), str(good), "--out", str(out)])
    with pytest.raises(ValueError, match=r"\.html"):
        run_cmd(["report", str(good), "--out", str(tmp_path / "r.pdf")])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["runs_cut.parquet"]


def test_atomic_write_keeps_the_old_file_on_failure(tmp_path, monkeypatch):
    out = tmp_path / "report.html"
    out.write_text("old")

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(report.os, "replace", broken)
    with pytest.raises(OSError, match="disk full"):
        report.write_atomic(out, "new")
    assert out.read_text() == "old" and [p.name for p in tmp_path.iterdir()] == ["report.html"]


def test_theory_section_sets_each_runs_ending_against_its_own_zone(built):
    """The counts partition the same runs: deals and walkouts add up to the runs' own endings, and
    a walkout is counted once, as zone open, no zone or after it closed."""
    _, text, results = built
    assert "Theory across draws, against the runs" in text
    for r in results:
        head = r.runs.sort_values("run").iloc[:THEORY_DRAWS]
        row = re.search(rf"<tr><td>{r.name}</td><td class=\"num\">(\d+) of (\d+)</td>.*?"
                        r"<td class=\"num\">(\d+) / (\d+)</td><td class=\"num\">(\d+) / (\d+) / (\d+)</td></tr>", text)
        assert row, r.name
        with_zone, draws, deal_z, deal_nz, w_open, w_none, w_closed = map(int, row.groups())
        assert draws == len(head) and with_zone <= draws
        assert deal_z + deal_nz == (head["outcome"].astype(str) == "agreement").sum()
        assert w_open + w_none + w_closed == (head["outcome"].astype(str) == "walkout").sum()
        assert w_none <= draws - with_zone


def test_zones_against_runs_counts_by_hand():
    from analysis.theory_draws import DrawnZones, zones_against_runs

    z = DrawnZones(exists=np.array([True, True, True, False, True]),
                   close_day=np.array([np.nan, 70.0, 70.0, np.nan, 14.0]), last_meeting_day=364.0)
    c = zones_against_runs(z, ["walkout", "walkout", "walkout", "walkout", "agreement"], [30, 63, 70, 7, 7])
    # run 0: zone never closes -> open; run 1: day 63 < 70 -> open; run 2: day 70 -> closed; run 3: no zone
    assert (c["walkouts_zone_open"], c["walkouts_zone_closed"], c["walkouts_no_zone"]) == (2, 1, 1)
    assert (c["deals_with_zone"], c["deals_without_zone"], c["with_zone"], c["draws"]) == (1, 0, 4, 5)
