"""Pure functions between table rows and 2030.5 wire types (time passed in, no session)."""
