"""`negsim explore`: an interactive explorer in the browser (Solara, with Mesa's model controller).

- `explorer.settings`: what the controls set, as dotted scenario paths (one table), and the
  extends-file that applies them (the same file Save writes).  Light: no UI imports.
- `explorer.model`: the Mesa model the page steps (the project's `NegotiationModel`, recording
  each round for display).
- `explorer.distribution`: outcome shares and cumulative incidence over N batch runs.
- `explorer.app`: the Solara page (imports solara and Mesa's visualisation).
- `explorer.server`: starts the page on 127.0.0.1.
"""
