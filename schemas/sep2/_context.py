"""The one xsdata ``XmlContext`` shared by the codec and the validator.

Building class metadata is the slow part of xsdata; the context caches it per class.
"""

from __future__ import annotations

from xsdata.formats.dataclass.context import XmlContext

CONTEXT = XmlContext()
