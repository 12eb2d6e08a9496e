"""Statistics, tables and plots on simulation results (kept out of `sim/`)."""
