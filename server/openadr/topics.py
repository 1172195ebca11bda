"""MQTT topic names of the VTN's notifier (the /notifiers/mqtt/topics/... endpoints).

The YAML leaves names to the VTN (its example is ``{objectType}s/create``); ours sit under
``OpenADR/3.1.0/``: ``programs/create``, ``programs/{programID}/update``,
``programs/{programID}/events/delete``, ``vens/{venID}/events/create``, ... with ``+`` for
ALL. Topics of one object have no CREATE (the YAML: a client cannot ask to hear of the
creation of an object whose id does not exist yet). Pure functions.
"""

from __future__ import annotations

from openderms.schemas.openadr3 import models as oadr

__all__ = ["PREFIX", "TopicSet", "object_topic", "topic_set"]

PREFIX = "OpenADR/3.1.0"
OPERATIONS = ("CREATE", "UPDATE", "DELETE")

TopicSet = oadr.NotifierOperationsTopics


def _base(*segments: str) -> str:
    return "/".join((PREFIX, *segments))


def topic_set(*segments: str, with_create: bool = True) -> TopicSet:
    """The topics of one place: ``.../create``, ``.../update``, ``.../delete``, ``.../+``."""
    base = _base(*segments)
    return TopicSet(
        CREATE=f"{base}/create" if with_create else None,
        UPDATE=f"{base}/update",
        DELETE=f"{base}/delete",
        ALL=f"{base}/+",
    )


def object_topic(operation: str, *segments: str) -> str:
    """The topic one change is published on."""
    return f"{_base(*segments)}/{operation.lower()}"
