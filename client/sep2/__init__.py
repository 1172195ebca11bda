"""The IEEE 2030.5 client of the site gateway.

Sans-IO pieces (``paging``, ``clock``, ``schedule``, ``readings``, ``messages``) take ``now``
and return data; ``http`` is the httpx adapter and ``walker`` follows links through it.
The asyncio runtime in :mod:`openderms.client.runtime` drives them.
"""
