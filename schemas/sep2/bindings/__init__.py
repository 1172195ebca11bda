"""Generated xsdata bindings, one module per profile (CSIP-AUS, CSIP, 2030.5-2023)."""
