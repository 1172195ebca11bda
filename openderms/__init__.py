"""openderms: an open, standards-based DERMS (IEEE 2030.5, CSIP, CSIP-AUS, OpenADR 3)."""

__version__ = "0.1.0"
