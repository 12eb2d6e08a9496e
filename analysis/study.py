"""The study's fixed points, written once: its question, the default root seed and number of
runs, and the dated record of Jan-Feb 2022 that results are read against (a reference pattern,
never a tuning target; docs/sources.md gives each event's source)."""

QUESTION = ("Do the talks persist when NATO accession is excluded from the table, "
            "and under what conditions does a deal on the rest form?")
DEFAULT_SEED = 20211217  # the day Russia published the drafts
DEFAULT_RUNS = 10_000
SWEEP_POINT_RUNS = 200  # a sweep's runs per point (the same runs at every point)

# The record's days, after 17 Dec 2021 (day 0, the drafts published): written once here.
FIRST_MEETING_DAY = 24  # Geneva: the first meeting of the talks
NATO_RUSSIA_COUNCIL_DAY = 26
OSCE_DAY = 27  # the OSCE Permanent Council: the last of the first round of meetings
REPLIES_DAY = 40  # the US and NATO written replies
RUSSIA_REPLY_DAY = 62  # Russia's reply
TALKS_ENDED_DAY = 69  # the invasion: the talks ended (a reference day, never a target)

# Days the results are also read at: a quarter, a half and a full year of talks (the last is the
# shipped scenarios' horizon; a scenario's own horizon is protocol.horizon_days).
QUARTER_DAY = 91
HALF_YEAR_DAY = 182
YEAR_DAY = 364

# Day -> what happened that day.
RECORD = {
    FIRST_MEETING_DAY: "Geneva strategic stability talks",
    NATO_RUSSIA_COUNCIL_DAY: "NATO-Russia Council",
    OSCE_DAY: "OSCE Permanent Council",
    REPLIES_DAY: "written replies",
    RUSSIA_REPLY_DAY: "Russia's reply",
    TALKS_ENDED_DAY: "invasion",
}

# The record's path: the talks still on at each of these days, then a Russian walkout between
# Russia's reply and the invasion, with no deal (analysis.backtest).
STILL_ON_DAYS = (FIRST_MEETING_DAY, REPLIES_DAY, RUSSIA_REPLY_DAY)
