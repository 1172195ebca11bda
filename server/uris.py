"""Every 2030.5 URI this server hands out, in one place (clients only follow links).

Resources under an EndDevice carry its id so that access is checked on the path: a
device sees a DERProgram only through ``/edev/{edev}/derp/{derp}``, and only when one of
its FunctionSetAssignments links that program.
"""

from __future__ import annotations

__all__ = [
    "DCAP",
    "DER_INDEX",
    "EDEV_LIST",
    "MUP_LIST",
    "TIME",
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
    "subscription_list",
]

DCAP = "/dcap"
TIME = "/tm"
EDEV_LIST = "/edev"
MUP_LIST = "/mup"
#: Index of the one DER under each EndDevice (CSIP: one DER resource per EndDevice).
DER_INDEX = 1


def end_device(edev: int) -> str:
    return f"/edev/{edev}"


def registration(edev: int) -> str:
    return f"/edev/{edev}/rg"


def device_information(edev: int) -> str:
    return f"/edev/{edev}/di"


def connection_point(edev: int) -> str:
    return f"/edev/{edev}/cp"


def fsa_list(edev: int) -> str:
    return f"/edev/{edev}/fsa"


def fsa(edev: int, fsa_id: int) -> str:
    return f"/edev/{edev}/fsa/{fsa_id}"


def fsa_program_list(edev: int, fsa_id: int) -> str:
    return f"/edev/{edev}/fsa/{fsa_id}/derp"


def der_program(edev: int, derp: int) -> str:
    return f"/edev/{edev}/derp/{derp}"


def der_control_list(edev: int, derp: int) -> str:
    return f"/edev/{edev}/derp/{derp}/derc"


def der_control(edev: int, derp: int, derc: int) -> str:
    return f"/edev/{edev}/derp/{derp}/derc/{derc}"


def active_der_control_list(edev: int, derp: int) -> str:
    return f"/edev/{edev}/derp/{derp}/actderc"


def default_der_control(edev: int, derp: int) -> str:
    return f"/edev/{edev}/derp/{derp}/dderc"


def der_curve_list(edev: int, derp: int) -> str:
    return f"/edev/{edev}/derp/{derp}/dc"


def der_curve(edev: int, derp: int, curve: int) -> str:
    return f"/edev/{edev}/derp/{derp}/dc/{curve}"


def der_list(edev: int) -> str:
    return f"/edev/{edev}/der"


def der(edev: int, index: int = 1) -> str:
    return f"/edev/{edev}/der/{index}"


def der_capability(edev: int, index: int = 1) -> str:
    return f"/edev/{edev}/der/{index}/dercap"


def der_settings(edev: int, index: int = 1) -> str:
    return f"/edev/{edev}/der/{index}/derg"


def der_status(edev: int, index: int = 1) -> str:
    return f"/edev/{edev}/der/{index}/ders"


def der_availability(edev: int, index: int = 1) -> str:
    return f"/edev/{edev}/der/{index}/dera"


def subscription_list(edev: int) -> str:
    return f"/edev/{edev}/sub"


def log_event_list(edev: int) -> str:
    return f"/edev/{edev}/lel"


def log_event(edev: int, log_id: int) -> str:
    return f"/edev/{edev}/lel/{log_id}"


def mirror_usage_point(mup: int) -> str:
    return f"/mup/{mup}"


def mirror_meter_reading(mup: int, mmr: int) -> str:
    return f"/mup/{mup}/mr/{mmr}"


def response_list(response_set: int) -> str:
    """A control's ``replyTo`` (one ResponseSet per DERProgram)."""
    return f"/rsps/{response_set}/rsp"


def response(response_set: int, response_id: int) -> str:
    return f"/rsps/{response_set}/rsp/{response_id}"
