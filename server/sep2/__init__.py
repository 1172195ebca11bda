"""2030.5 function sets: one route module per function set (thin: parse, scope, service)."""
