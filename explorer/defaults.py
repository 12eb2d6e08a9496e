"""The explorer's defaults, which the command line's help quotes: where it listens and how many
runs stand behind its distribution pane.  Light (no UI, no model)."""

PORT = 8765  # on 127.0.0.1; 0 picks a free one
RUNS = 2000  # enough for shares to within about a point, quick enough to redraw after a change
