"""Test procedures as data and a runner that tests any 2030.5 server or client."""
