"""Wire types only: IEEE 2030.5 (CSIP, CSIP-AUS) bindings and the hardened XML codec.

Imports nothing from server, client, asyncio, quart or the database.
"""
