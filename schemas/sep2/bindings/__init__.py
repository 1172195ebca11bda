"""Generated xsdata bindings, one module per CSIP-AUS revision."""
