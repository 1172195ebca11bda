"""Every 2030.5 resource this server hands out, declared once (clients only follow links).

A `Resource` is the 2030.5 resource type, its path template and whether a client may
subscribe to it. Everything else derives from the declaration: the href builders below
(mappers and services link with them), the quart rules of the routes
(`Resource.rule`), and the patterns of the notification registry (`Resource.pattern`,
`openderms.server.services.subscribable`). A new resource is one `Resource` line here.

Resources under an EndDevice carry its id so that access is checked on the path: a
device sees a DERProgram only through ``/edev/{edev_id}/derp/{derp_id}``, and only when
one of its FunctionSetAssignments links that program.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

__all__ = [
    "ACTIVE_DER_CONTROL_LIST",
    "CONNECTION_POINT",
    "DCAP",
    "DEFAULT_DER_CONTROL",
    "DER",
    "DER_AVAILABILITY",
    "DER_CAPABILITY",
    "DER_CONTROL",
    "DER_CONTROL_LIST",
    "DER_CURVE",
    "DER_CURVE_LIST",
    "DER_INDEX",
    "DER_LIST",
    "DER_PROGRAM",
    "DER_SETTINGS",
    "DER_STATUS",
    "DEVICE_CAPABILITY",
    "DEVICE_INFORMATION",
    "EDEV_LIST",
    "END_DEVICE",
    "END_DEVICE_LIST",
    "FSA",
    "FSA_LIST",
    "FSA_PROGRAM_LIST",
    "LOG_EVENT",
    "LOG_EVENT_LIST",
    "MIRROR_METER_READING",
    "MIRROR_USAGE_POINT",
    "MIRROR_USAGE_POINT_LIST",
    "MUP_LIST",
    "REGISTRATION",
    "RESOURCES",
    "RESPONSE",
    "RESPONSE_LIST",
    "SUBSCRIPTION",
    "SUBSCRIPTION_LIST",
    "TIME",
    "TIME_RESOURCE",
    "Resource",
    "active_der_control_list",
    "connection_point",
    "default_der_control",
    "der",
    "der_availability",
    "der_capability",
    "der_control",
    "der_control_list",
    "der_curve",
    "der_curve_list",
    "der_list",
    "der_program",
    "der_settings",
    "der_status",
    "device_information",
    "end_device",
    "fsa",
    "fsa_list",
    "fsa_program_list",
    "log_event",
    "log_event_list",
    "mirror_meter_reading",
    "mirror_usage_point",
    "registration",
    "response",
    "response_list",
    "subscription",
    "subscription_list",
]

_PLACEHOLDER = re.compile(r"\{(\w+)\}")


@dataclass(frozen=True, slots=True)
class Resource:
    """One 2030.5 resource the server serves.

    Attributes
    ----------
    name : str
        The 2030.5 resource type (``DERControlList``).
    template : str
        Its path with integer ids in braces, named as the route's arguments
        (``/edev/{edev_id}/derp/{derp_id}/derc``).
    subscribable : bool
        Clients may subscribe to it (IEEE 2030.5 §12.8; the resource says
        ``subscribable="1"``), so a change of it leaves Notifications.
    """

    name: str
    template: str
    subscribable: bool = False
    ids: tuple[str, ...] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "ids", tuple(_PLACEHOLDER.findall(self.template)))

    def href(self, *ids: int) -> str:
        """The href with ``ids`` filled in, in template order."""
        if len(ids) != len(self.ids):
            raise TypeError(f"{self.name} takes {len(self.ids)} ids, got {len(ids)}")
        return self.template.format(**dict(zip(self.ids, (int(i) for i in ids), strict=True)))

    @property
    def rule(self) -> str:
        """The quart (werkzeug) rule: ``/edev/<int:edev_id>/derp/<int:derp_id>/derc``."""
        return _PLACEHOLDER.sub(lambda m: f"<int:{m.group(1)}>", self.template)

    @property
    def pattern(self) -> re.Pattern[str]:
        """A regex matching exactly this resource's hrefs, capturing the ids in order."""
        parts = _PLACEHOLDER.split(self.template)
        # split alternates literal text and placeholder names.
        regex = "".join(
            re.escape(part) if i % 2 == 0 else r"(\d+)" for i, part in enumerate(parts)
        )
        return re.compile(regex)


DEVICE_CAPABILITY = Resource("DeviceCapability", "/dcap")
TIME_RESOURCE = Resource("Time", "/tm")
END_DEVICE_LIST = Resource("EndDeviceList", "/edev", subscribable=True)
END_DEVICE = Resource("EndDevice", "/edev/{edev_id}")
REGISTRATION = Resource("Registration", "/edev/{edev_id}/rg")
DEVICE_INFORMATION = Resource("DeviceInformation", "/edev/{edev_id}/di")
CONNECTION_POINT = Resource("ConnectionPoint", "/edev/{edev_id}/cp")
FSA_LIST = Resource("FunctionSetAssignmentsList", "/edev/{edev_id}/fsa", subscribable=True)
FSA = Resource("FunctionSetAssignments", "/edev/{edev_id}/fsa/{fsa_id}")
FSA_PROGRAM_LIST = Resource(
    "DERProgramList", "/edev/{edev_id}/fsa/{fsa_id}/derp", subscribable=True
)
DER_PROGRAM = Resource("DERProgram", "/edev/{edev_id}/derp/{derp_id}")
DER_CONTROL_LIST = Resource(
    "DERControlList", "/edev/{edev_id}/derp/{derp_id}/derc", subscribable=True
)
DER_CONTROL = Resource("DERControl", "/edev/{edev_id}/derp/{derp_id}/derc/{derc_id}")
ACTIVE_DER_CONTROL_LIST = Resource(
    "ActiveDERControlList", "/edev/{edev_id}/derp/{derp_id}/actderc", subscribable=True
)
DEFAULT_DER_CONTROL = Resource(
    "DefaultDERControl", "/edev/{edev_id}/derp/{derp_id}/dderc", subscribable=True
)
DER_CURVE_LIST = Resource("DERCurveList", "/edev/{edev_id}/derp/{derp_id}/dc")
DER_CURVE = Resource("DERCurve", "/edev/{edev_id}/derp/{derp_id}/dc/{curve_id}")
DER_LIST = Resource("DERList", "/edev/{edev_id}/der")
DER = Resource("DER", "/edev/{edev_id}/der/{der_id}")
DER_CAPABILITY = Resource("DERCapability", "/edev/{edev_id}/der/{der_id}/dercap")
DER_SETTINGS = Resource("DERSettings", "/edev/{edev_id}/der/{der_id}/derg")
DER_STATUS = Resource("DERStatus", "/edev/{edev_id}/der/{der_id}/ders")
DER_AVAILABILITY = Resource("DERAvailability", "/edev/{edev_id}/der/{der_id}/dera")
SUBSCRIPTION_LIST = Resource("SubscriptionList", "/edev/{edev_id}/sub")
SUBSCRIPTION = Resource("Subscription", "/edev/{edev_id}/sub/{sub_id}")
LOG_EVENT_LIST = Resource("LogEventList", "/edev/{edev_id}/lel")
LOG_EVENT = Resource("LogEvent", "/edev/{edev_id}/lel/{log_id}")
MIRROR_USAGE_POINT_LIST = Resource("MirrorUsagePointList", "/mup")
MIRROR_USAGE_POINT = Resource("MirrorUsagePoint", "/mup/{mup_id}")
#: Named in a MirrorUsagePoint's readings; clients post to the MirrorUsagePoint.
MIRROR_METER_READING = Resource("MirrorMeterReading", "/mup/{mup_id}/mr/{mmr_id}")
#: A control's ``replyTo`` (one ResponseSet per DERProgram).
RESPONSE_LIST = Resource("ResponseList", "/rsps/{rsps_id}/rsp")
RESPONSE = Resource("Response", "/rsps/{rsps_id}/rsp/{rsp_id}")

#: Every resource, in walk order.
RESOURCES: tuple[Resource, ...] = tuple(
    value for value in tuple(globals().values()) if isinstance(value, Resource)
)

#: Index of the one DER under each EndDevice (CSIP: one DER resource per EndDevice).
DER_INDEX = 1

DCAP = DEVICE_CAPABILITY.template
TIME = TIME_RESOURCE.template
EDEV_LIST = END_DEVICE_LIST.template
MUP_LIST = MIRROR_USAGE_POINT_LIST.template

end_device = END_DEVICE.href
registration = REGISTRATION.href
device_information = DEVICE_INFORMATION.href
connection_point = CONNECTION_POINT.href
fsa_list = FSA_LIST.href
fsa = FSA.href
fsa_program_list = FSA_PROGRAM_LIST.href
der_program = DER_PROGRAM.href
der_control_list = DER_CONTROL_LIST.href
der_control = DER_CONTROL.href
active_der_control_list = ACTIVE_DER_CONTROL_LIST.href
default_der_control = DEFAULT_DER_CONTROL.href
der_curve_list = DER_CURVE_LIST.href
der_curve = DER_CURVE.href
der_list = DER_LIST.href
subscription_list = SUBSCRIPTION_LIST.href
subscription = SUBSCRIPTION.href
log_event_list = LOG_EVENT_LIST.href
log_event = LOG_EVENT.href
mirror_usage_point = MIRROR_USAGE_POINT.href
mirror_meter_reading = MIRROR_METER_READING.href
response_list = RESPONSE_LIST.href
response = RESPONSE.href


def der(edev: int, index: int = DER_INDEX) -> str:
    return DER.href(edev, index)


def der_capability(edev: int, index: int = DER_INDEX) -> str:
    return DER_CAPABILITY.href(edev, index)


def der_settings(edev: int, index: int = DER_INDEX) -> str:
    return DER_SETTINGS.href(edev, index)


def der_status(edev: int, index: int = DER_INDEX) -> str:
    return DER_STATUS.href(edev, index)


def der_availability(edev: int, index: int = DER_INDEX) -> str:
    return DER_AVAILABILITY.href(edev, index)
