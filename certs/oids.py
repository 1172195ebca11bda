"""Object identifiers of the IEEE 2030.5 certificate profile.

IEEE 2030.5-2018 clause 6.11.7 assigns certificate policy OIDs under the IEEE 2030.5 arc
1.3.6.1.4.1.40732: device types under ``.1`` (6.11.7.2) and certificate policies under
``.2`` (6.11.7.3). Device certificates name the device in a HardwareModuleName
(RFC 4108 section 5, ``id-on-hardwareModuleName``) inside subjectAltName (6.11.7.4).

Interpretation of the specification: 2030.5-2018 defines no policy named "aggregator".
An aggregator is a service provider in 2030.5 terms, and the Australian test PKIs
(CSIP-AUS) mark aggregator end-entity certificates with the service-provider policy
``1.3.6.1.4.1.40732.2.3``, which some tools call the "commercial" policy. We do the same,
and :attr:`openderms.certs.identity.DeviceIdentity.is_aggregator` reads that policy back.
"""

from __future__ import annotations

from cryptography.x509 import ObjectIdentifier

__all__ = [
    "AGGREGATOR_POLICY",
    "ANY_POLICY",
    "DEVICE_GENERIC",
    "DEVICE_MOBILE",
    "DEVICE_POST_MANUFACTURE",
    "HARDWARE_MODULE_NAME",
    "POLICY_BULK_ISSUED",
    "POLICY_SELF_SIGNED",
    "POLICY_SERVICE_PROVIDER",
    "POLICY_TEST",
    "TEST_HARDWARE_TYPE",
]

IEEE_2030_5_ARC = "1.3.6.1.4.1.40732"

# 6.11.7.2 device types.
DEVICE_GENERIC = ObjectIdentifier(f"{IEEE_2030_5_ARC}.1.1")
DEVICE_MOBILE = ObjectIdentifier(f"{IEEE_2030_5_ARC}.1.2")
DEVICE_POST_MANUFACTURE = ObjectIdentifier(f"{IEEE_2030_5_ARC}.1.3")

# 6.11.7.3 certificate policies.
POLICY_TEST = ObjectIdentifier(f"{IEEE_2030_5_ARC}.2.1")
POLICY_SELF_SIGNED = ObjectIdentifier(f"{IEEE_2030_5_ARC}.2.2")
POLICY_SERVICE_PROVIDER = ObjectIdentifier(f"{IEEE_2030_5_ARC}.2.3")
POLICY_BULK_ISSUED = ObjectIdentifier(f"{IEEE_2030_5_ARC}.2.4")

# See the module docstring: the aggregator marker is the service-provider policy.
AGGREGATOR_POLICY = POLICY_SERVICE_PROVIDER

# RFC 5280 4.2.1.4 anyPolicy, for the SERCA and MCA of the test PKI.
ANY_POLICY = ObjectIdentifier("2.5.29.32.0")

# RFC 4108 section 5: id-pkix 8 4.
HARDWARE_MODULE_NAME = ObjectIdentifier("1.3.6.1.5.5.7.8.4")

# hwType of devices made by the test PKI. 32473 is the private enterprise number that
# RFC 5612 reserves for documentation, so a test certificate never claims a real vendor.
TEST_HARDWARE_TYPE = ObjectIdentifier("1.3.6.1.4.1.32473.2030.5")
