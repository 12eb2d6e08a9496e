"""The `negsim` command line (a front end over `sim` and `analysis`)."""
