"""The IEEE 2030.5 client of the site gateway.

Sans-IO pieces (``paging``, ``clock``, ``schedule``, ``readings``, ``messages``,
``mapping``, ``responses``, ``site_mapping``) take ``now`` and return data; ``http`` is the
httpx adapter and ``walker`` follows links through it. ``session`` is the 2030.5 session
the protocol-neutral runtime (:mod:`openderms.client.runtime`) drives; ``state`` and
``held_schedule`` are what it keeps in the local store.
"""
