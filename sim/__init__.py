"""Negotiation position simulator: the model (no plotting, no UI)."""

__version__ = "0.1.0"
