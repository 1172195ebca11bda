"""The hardened IEEE 2030.5 XML codec: bytes <-> xsdata binding objects.

Decoding parses with lxml under fixed limits (no DTD, no entities, no network, bounded
size and depth), then binds the lxml tree with xsdata (xsdata never sees raw bytes), then
checks values the XSD and the standard's documentation constrain
(:mod:`openderms.schemas.sep2.validation`). Encoding validates first, so a server bug
cannot put an invalid document on the wire.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any, TypeVar, overload

from lxml import etree
from xsdata.exceptions import ConverterError, ParserError, SerializerError, XmlContextError
from xsdata.formats.converter import IntConverter, converter
from xsdata.formats.dataclass.parsers import XmlParser
from xsdata.formats.dataclass.parsers.config import ParserConfig
from xsdata.formats.dataclass.parsers.handlers import LxmlEventHandler
from xsdata.formats.dataclass.parsers.mixins import XmlNode
from xsdata.formats.dataclass.parsers.nodes import ElementNode
from xsdata.formats.dataclass.serializers import XmlSerializer
from xsdata.formats.dataclass.serializers.config import SerializerConfig

from openderms.schemas.sep2._context import CONTEXT
from openderms.schemas.sep2.errors import (
    DocumentTooDeepError,
    DocumentTooLargeError,
    ForbiddenDtdError,
    MalformedXmlError,
    SepXmlError,
    WrongRootError,
)
from openderms.schemas.sep2.profiles import DEFAULT_PROFILE, SEP_NAMESPACE, Profile
from openderms.schemas.sep2.validation import check_list_counts, validate

__all__ = [
    "DEFAULT_LIMITS",
    "SEP_XML",
    "CodecLimits",
    "decode",
    "encode",
    "root_class",
]

#: The 2030.5 media type (IEEE 2030.5-2018, HTTP content negotiation).
SEP_XML = "application/sep+xml"

_T = TypeVar("_T")
_T1 = TypeVar("_T1")
_T2 = TypeVar("_T2")
_T3 = TypeVar("_T3")


@dataclass(frozen=True, slots=True)
class CodecLimits:
    """Bounds on a document a peer sends.

    Attributes
    ----------
    max_body_bytes : int
        Largest accepted body [bytes]; larger is :class:`DocumentTooLargeError` (HTTP 413).
    max_depth : int
        Deepest accepted element nesting, the root being depth 1 [elements]. The deepest
        2030.5 resources (a Notification carrying a DERControlList) stay below 12.
    """

    max_body_bytes: int = 1 << 20
    max_depth: int = 32


DEFAULT_LIMITS = CodecLimits()

#: xs:integer's lexical space (XSD 1.1 part 2 §3.4.13) after whitespace collapse: ASCII
#: digits only. Python's int() also takes "1_0", Arabic-Indic and full-width digits.
_XSD_INTEGER = re.compile(r"[ \t\r\n]*[+-]?[0-9]+[ \t\r\n]*")


class _XsdIntConverter(IntConverter):
    """xsdata's int converter, refusing what xs:integer's lexical space does not hold."""

    def deserialize(self, value: Any, **kwargs: Any) -> int:
        if isinstance(value, str) and _XSD_INTEGER.fullmatch(value) is None:
            raise ConverterError(f"{value!r} is not an xs:integer")
        return super().deserialize(value, **kwargs)


# The converter registry is xsdata's global; the 2030.5 codec is its only user here.
converter.register_converter(int, _XsdIntConverter())

_PARSER_CONFIG = ParserConfig(
    fail_on_unknown_properties=True,
    fail_on_unknown_attributes=True,
    fail_on_converter_warnings=True,
)
# Only for mapping a document another profile's schema has already validated onto this
# profile's classes (``decode(..., ignore_unknown=True)``): what this profile lacks is dropped.
_LENIENT_PARSER_CONFIG = ParserConfig(
    fail_on_unknown_properties=False,
    fail_on_unknown_attributes=False,
    fail_on_converter_warnings=True,
)
# No XML declaration (issue 11, item 2): some clients decode the body to text before
# parsing, and parsers refuse a text that carries an encoding declaration. UTF-8 without a
# declaration is valid XML (XML 1.0 §4.3.3); `decode` accepts documents with or without one.
_MISSING_ARGUMENTS = re.compile(r"missing \d+ required (?:keyword-only )?arguments?: (.*)")
_SERIALIZER_CONFIG = SerializerConfig(xml_declaration=False, encoding="UTF-8", pretty_print=False)


class _StrictXmlParser(XmlParser):
    """xsdata's parser, refusing character data where the schema has none.

    xsdata drops text inside element-only content (``<DERControl>junk<mRID>``) and after
    elements; the XSD refuses it and so do we. No 2030.5 type has mixed content.
    """

    def end(
        self,
        queue: list[XmlNode],
        objects: list[Any],
        qname: str,
        text: str | None,
        tail: str | None,
    ) -> bool:
        node = queue[-1]
        if isinstance(node, ElementNode) and node.meta.text is None and text and text.strip():
            raise ParserError(f"{qname} has no text content, got {text.strip()[:40]!r}")
        if tail and tail.strip():
            raise ParserError(f"text after {qname}: {tail.strip()[:40]!r}")
        return bool(super().end(queue, objects, qname, text, tail))


def _lxml_parser() -> etree.XMLParser:
    # A fresh parser per document: lxml parsers are not safe to share between threads.
    return etree.XMLParser(
        resolve_entities=False,
        load_dtd=False,
        dtd_validation=False,
        no_network=True,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
        collect_ids=False,
    )


@cache
def _root_classes(profile: Profile) -> Mapping[str, type]:
    """Clark-notation element name -> class, for every global element of a profile."""
    module = profile.module
    found: dict[str, type] = {}
    for obj in vars(module).values():
        if (
            isinstance(obj, type)
            and obj.__module__ == module.__name__
            and dataclasses.is_dataclass(obj)
            and getattr(getattr(obj, "Meta", None), "namespace", None)
        ):
            found[CONTEXT.build(obj).qname] = obj
    return found


def root_class(tag: str, profile: Profile = DEFAULT_PROFILE) -> type | None:
    """The binding class of a root element given in Clark notation ``{ns}Name``, if any."""
    return _root_classes(profile).get(tag)


@cache
def _deeper_than(max_depth: int) -> str:
    # "/*/*/...": true when an element sits at depth max_depth + 1. Evaluated by libxml2
    # in C, ~10x faster than walking the tree in Python. The string is cached, not a
    # compiled etree.XPath, which lxml does not promise to be thread-safe.
    return "boolean(" + "/*" * (max_depth + 1) + ")"


def _depth_exceeds(root: etree._Element, max_depth: int) -> bool:
    return bool(root.xpath(_deeper_than(max_depth)))


def _parse_tree(data: bytes, limits: CodecLimits) -> etree._Element:
    if len(data) > limits.max_body_bytes:
        raise DocumentTooLargeError(
            f"body of {len(data)} bytes exceeds the limit of {limits.max_body_bytes}"
        )
    # A DOCTYPE is how entity bombs and external entities arrive; 2030.5 never needs one.
    # (Outside markup these bytes can only sit in a comment or CDATA: refused there too.)
    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
        raise ForbiddenDtdError("documents with a DOCTYPE are refused")
    try:
        root = etree.fromstring(data, _lxml_parser())
    except etree.XMLSyntaxError as exc:
        if "depth" in str(exc).lower():
            raise DocumentTooDeepError(f"nesting too deep: {exc}") from None
        raise MalformedXmlError(f"not well-formed XML: {exc}") from None
    docinfo = root.getroottree().docinfo
    # Catches a DOCTYPE the byte scan missed (e.g. a UTF-16 document).
    doctype: str = getattr(docinfo, "doctype", "")  # missing from lxml-stubs
    if doctype or docinfo.internalDTD is not None:
        raise ForbiddenDtdError("documents with a DOCTYPE are refused")
    if _depth_exceeds(root, limits.max_depth):
        raise DocumentTooDeepError(f"elements nest deeper than {limits.max_depth}")
    return root


def _profile_for(expected: type | tuple[type, ...] | None, profile: Profile | None) -> Profile:
    if profile is not None:
        return profile
    first = expected[0] if isinstance(expected, tuple) and expected else expected
    return (Profile.of(first) if first is not None else None) or DEFAULT_PROFILE


def _complete_list_counts(root: etree._Element, cls: type, profile: Profile) -> None:
    """Fill a received list's missing ``all``/``results`` with its item count.

    ``all`` and ``results`` describe a server's view of a list it pages (IEEE 2030.5 §5.5);
    a client POSTing a list of its own (a MirrorMeterReadingList of readings) may leave
    them out, and several implementations do (issue 11 item 12). We send both, always.
    """
    if not issubclass(cls, profile.module.List):
        return
    items = sum(1 for child in root if isinstance(child.tag, str))
    for name in ("all", "results"):
        if root.get(name) is None:
            root.set(name, str(items))


@overload
def decode(
    data: bytes,
    expected: type[_T],
    *,
    profile: Profile | None = ...,
    limits: CodecLimits = ...,
    ignore_unknown: bool = ...,
) -> _T: ...
@overload
def decode(
    data: bytes,
    expected: tuple[type[_T1], type[_T2]],
    *,
    profile: Profile | None = ...,
    limits: CodecLimits = ...,
    ignore_unknown: bool = ...,
) -> _T1 | _T2: ...
@overload
def decode(
    data: bytes,
    expected: tuple[type[_T1], type[_T2], type[_T3]],
    *,
    profile: Profile | None = ...,
    limits: CodecLimits = ...,
    ignore_unknown: bool = ...,
) -> _T1 | _T2 | _T3: ...
@overload
def decode(
    data: bytes,
    expected: tuple[type, ...] | None = ...,
    *,
    profile: Profile | None = ...,
    limits: CodecLimits = ...,
    ignore_unknown: bool = ...,
) -> object: ...
def decode(
    data: bytes,
    expected: type | tuple[type, ...] | None = None,
    *,
    profile: Profile | None = None,
    limits: CodecLimits = DEFAULT_LIMITS,
    ignore_unknown: bool = False,
) -> object:
    """Decode a 2030.5 XML document from a peer.

    Parameters
    ----------
    data : bytes
        The HTTP body.
    expected : type or tuple of types, optional
        The resource class(es) accepted; the root element must bind to one of them or a
        subclass (``Response`` accepts ``DERControlResponse``). ``None`` accepts any
        2030.5 resource, the root element choosing the class.
    profile : Profile, optional
        The CSIP-AUS revision; defaults to the profile of ``expected``, else CSIP-AUS 1.2.
    limits : CodecLimits
        Size and depth bounds.
    ignore_unknown : bool
        Drop elements and attributes the profile does not define instead of refusing
        them. Only for a document another profile's schema has already validated (a
        2030.5-2023 document mapped onto the 2018 classes); values are still validated.

    Returns
    -------
    object
        The bound resource, an instance of ``expected``.

    Raises
    ------
    SepXmlError
        A subclass saying what is wrong: :class:`DocumentTooLargeError` (HTTP 413),
        :class:`ForbiddenDtdError`, :class:`DocumentTooDeepError`,
        :class:`MalformedXmlError` (not well-formed, unknown element or attribute,
        unparsable value), :class:`WrongRootError`, :class:`InvalidValueError`.
    """
    chosen = _profile_for(expected, profile)
    root = _parse_tree(data, limits)
    tag = root.tag if isinstance(root.tag, str) else ""
    cls = root_class(tag, chosen)
    if cls is None:
        raise WrongRootError(f"{tag or 'the root'} is not a {chosen.name} 2030.5 resource")
    if expected is not None and not issubclass(cls, expected):
        names = (
            ", ".join(e.__name__ for e in expected)
            if isinstance(expected, tuple)
            else expected.__name__
        )
        raise WrongRootError(f"expected {names}, got {cls.__name__}")
    _complete_list_counts(root, cls, chosen)
    config = _LENIENT_PARSER_CONFIG if ignore_unknown else _PARSER_CONFIG
    parser = _StrictXmlParser(config=config, context=CONTEXT, handler=LxmlEventHandler)
    try:
        obj: object = parser.parse(root, cls)
    except (ParserError, ConverterError, XmlContextError) as exc:
        raise MalformedXmlError(f"{cls.__name__}: {exc}") from None
    except (TypeError, ValueError) as exc:
        # xsdata builds the dataclass with the children it found: a missing required
        # element surfaces as a TypeError from the constructor; say which (issue 11 item 13).
        missing = _MISSING_ARGUMENTS.search(str(exc))
        if missing is not None:
            names = ", ".join(re.findall(r"'(\w+)'", missing.group(1)))
            raise MalformedXmlError(
                f"{cls.__name__} lacks required {names} ({chosen.name} profile)"
            ) from None
        raise MalformedXmlError(f"{cls.__name__}: {exc}") from None
    if not isinstance(obj, cls):  # xsdata may honour an xsi:type on the root element
        raise WrongRootError(f"expected {cls.__name__}, got {type(obj).__name__}")
    validate(obj)
    return obj


def encode(obj: object, *, profile: Profile | None = None) -> bytes:
    """Encode a 2030.5 resource as UTF-8 XML without an XML declaration.

    The default namespace is ``urn:ieee:std:2030.5:ns``; CSIP-AUS elements use the prefix
    ``csipaus``.

    Parameters
    ----------
    obj : object
        An instance of a generated binding class.
    profile : Profile, optional
        Defaults to the profile whose bindings define ``obj``.

    Returns
    -------
    bytes
        The document.

    Raises
    ------
    InvalidValueError
        ``obj`` breaks a range, length, enumeration or required field of the standard, or
        a list's ``results``/``all`` disagree with its items.
    SepXmlError
        ``obj`` is not a 2030.5 resource of ``profile``.
    """
    chosen = profile or Profile.of(obj) or DEFAULT_PROFILE
    if Profile.of(obj) is not chosen:
        raise WrongRootError(f"{type(obj).__name__} is not a {chosen.name} resource")
    validate(obj)
    check_list_counts(obj)
    serializer = XmlSerializer(config=_SERIALIZER_CONFIG, context=CONTEXT)
    ns_map: dict[Any, str] = {None: SEP_NAMESPACE}
    if chosen.extension_namespace is not None:
        ns_map["csipaus"] = chosen.extension_namespace
    try:
        text = serializer.render(obj, ns_map=ns_map)
    except (ConverterError, SerializerError, XmlContextError, ValueError, TypeError) as exc:
        raise SepXmlError(f"cannot encode {type(obj).__name__}: {exc}") from exc
    return text.encode("utf-8")
