import os

from hypothesis import HealthCheck, settings

# Property tests run 50 examples each by default; HYPOTHESIS_PROFILE=thorough runs 600 (by hand).
_common = dict(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
settings.register_profile("default", max_examples=50, **_common)
settings.register_profile("thorough", max_examples=600, **_common)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))

NO_BROWSER = "no browser: /usr/bin/chromium is absent (Debian: apt-get install chromium)"


def pytest_terminal_summary(terminalreporter):
    """Say it in the summary when the browser tests were skipped for want of Chromium: with -q a
    skip is one 's' among the dots, and the explorer would go untested without anyone noticing."""
    skipped = terminalreporter.stats.get("skipped", [])
    if any(NO_BROWSER in str(getattr(r, "longrepr", "")) for r in skipped):
        terminalreporter.write_line(f"note: the explorer's browser tests were skipped: {NO_BROWSER}", yellow=True)
