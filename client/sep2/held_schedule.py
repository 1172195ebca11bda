"""The held schedule: the 2030.5 documents of the last walk, kept in the local store.

A restarted gateway replays them, so it keeps running the controls it holds while the
server is unreachable. Documents are stored exactly as the server sent them and decoded
again through the hardened codec on load. Pure conversion; the store does the I/O.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from openderms.client.sep2.walker import ProgramView
from openderms.client.store import ScheduleDocument
from openderms.schemas.sep2 import codec
from openderms.schemas.sep2 import models as sep

__all__ = ["programs_from_documents", "schedule_documents"]


def schedule_documents(programs: Iterable[ProgramView]) -> list[ScheduleDocument]:
    """Every program, control, active-control mRID and default as store documents."""
    documents: list[ScheduleDocument] = []
    for pv in programs:
        documents.append(ScheduleDocument(pv.href, "program", codec.encode(pv.program)))
        documents += [ScheduleDocument(pv.href, "control", codec.encode(c)) for c in pv.controls]
        documents += [ScheduleDocument(pv.href, "active", m) for m in sorted(pv.active_mrids)]
        if pv.default is not None:
            documents.append(ScheduleDocument(pv.href, "default", codec.encode(pv.default)))
    return documents


def programs_from_documents(documents: Sequence[ScheduleDocument]) -> list[ProgramView]:
    """The programs back from their documents, in the order saved.

    Raises
    ------
    openderms.schemas.sep2.errors.SepXmlError, KeyError
        A document does not decode, or names a program not saved before it.
    """
    programs: dict[str, ProgramView] = {}
    for doc in documents:
        if doc.role == "program":
            programs[doc.program_href] = ProgramView(
                program=codec.decode(doc.body, sep.DERProgram)
            )
            continue
        pv = programs[doc.program_href]
        if doc.role == "control":
            pv.controls.append(codec.decode(doc.body, sep.DERControl))
        elif doc.role == "active":
            pv.active_mrids.add(doc.body)
        elif doc.role == "default":
            pv.default = codec.decode(doc.body, sep.DefaultDERControl)
    return list(programs.values())
