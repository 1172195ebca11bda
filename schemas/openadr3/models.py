"""OpenADR 3.1.0 wire models from scripts/generate_openadr3_models.py: never edit.

Generated from the OpenADR 3 API definition (openadr3.yaml, OpenADR 3.1.0), Copyright
OpenADR Alliance, licensed under the Apache License 2.0
(http://www.apache.org/licenses/LICENSE-2.0); the descriptions below are the YAML's.
Curation (what the script changes before generating) is listed in the script's docstring.
"""

from __future__ import annotations
from openderms.schemas.openadr3.types import (
    DateTime,
    Duration,
    EventPayloadTypeName,
    ObjectId,
    ReadingTypeName,
    ReportPayloadTypeName,
    Target,
    UnitName,
    Uri,
    ValueTypeName,
)
from typing import Annotated, Literal
from pydantic import BaseModel, ConfigDict, Field, RootModel
from enum import StrEnum


class ProgramDescription(BaseModel):
    model_config = ConfigDict(
        arbitrary_types_allowed=True,
    )
    URL: Annotated[
        Uri, Field(description="A human or machine readable program description")
    ]


class Operation(StrEnum):
    READ = "READ"
    CREATE = "CREATE"
    UPDATE = "UPDATE"
    DELETE = "DELETE"


class Point(BaseModel):
    x: Annotated[float, Field(description="A value on an x axis.", examples=[1.0])]
    y: Annotated[float, Field(description="A value on a y axis.", examples=[2.0])]


class ReportIntervals(StrEnum):
    INTERVALS = "INTERVALS"
    SUB_INTERVALS = "SUB_INTERVALS"
    OPEN_INTERVALS = "OPEN_INTERVALS"


class NotificationOperation(StrEnum):
    CREATE = "CREATE"
    READ = "READ"
    UPDATE = "UPDATE"
    DELETE = "DELETE"


class ObjectTypes(StrEnum):
    PROGRAM = "PROGRAM"
    EVENT = "EVENT"
    REPORT = "REPORT"
    SUBSCRIPTION = "SUBSCRIPTION"
    VEN = "VEN"
    RESOURCE = "RESOURCE"


class ClientCredentialRequest(BaseModel):
    grant_type: Annotated[
        Literal["client_credentials"],
        Field(
            description="OAuth2 grant type, must be 'client_credentials'",
            examples=["client_credentials"],
            title="GrantType",
        ),
    ]
    client_id: Annotated[
        str,
        Field(
            description="client ID to exchange for bearer token.",
            examples=["ven_client_99"],
            max_length=4096,
            min_length=1,
        ),
    ]
    client_secret: Annotated[
        str,
        Field(
            description="client secret to exchange for bearer token.",
            examples=["ven_secret_99"],
            max_length=4096,
            min_length=1,
        ),
    ]
    scope: Annotated[
        str | None,
        Field(
            description="application defined scope.",
            examples=["read_all"],
            max_length=4096,
            min_length=0,
        ),
    ] = None


class ClientCredentialResponse(BaseModel):
    access_token: Annotated[
        str,
        Field(
            description="access token provided by Authorization service",
            examples=["MTQ0NjJkZmQ5OTM2NDE1ZTZjNGZmZjI3"],
            max_length=4096,
            min_length=1,
        ),
    ]
    token_type: Annotated[
        Literal["Bearer"],
        Field(
            description="token type, must be Bearer.",
            examples=["Bearer"],
            title="TokenType",
        ),
    ]
    expires_in: Annotated[
        int | None, Field(description="expiration period in seconds.", examples=[3600])
    ] = None
    refresh_token: Annotated[
        str | None,
        Field(
            description="refresh token provided by Authorization service",
            examples=["IwOGYzYTlmM2YxOTQ5MGE3YmNmMDFkNTVk"],
            max_length=4096,
            min_length=1,
        ),
    ] = None
    scope: Annotated[
        str | None,
        Field(
            description="application defined scope.",
            examples=["read_all"],
            max_length=4096,
            min_length=0,
        ),
    ] = None


class AuthErrorCode(StrEnum):
    invalid_request = "invalid_request"
    invalid_client = "invalid_client"
    invalid_grant = "invalid_grant"
    invalid_scope = "invalid_scope"
    unauthorized_client = "unauthorized_client"
    unsupported_grant_type = "unsupported_grant_type"


class AuthError(BaseModel):
    model_config = ConfigDict(
        arbitrary_types_allowed=True,
    )
    error: Annotated[
        AuthErrorCode,
        Field(
            description="As described in rfc6749 | invalid_request – The request is missing a parameter so the server can’t proceed with the request. This may also be returned if the request includes an unsupported parameter or repeats a parameter. invalid_client – Client authentication failed, such as if the request contains an invalid client ID or secret. Send an HTTP 401 response in this case. invalid_grant – The authorization code (or user’s password for the password grant type) is invalid or expired. This is also the error you would return if the redirect URL given in the authorization grant does not match the URL provided in this access token request. invalid_scope – For access token requests that include a scope (password or client_credentials grants), this error indicates an invalid scope value in the request. unauthorized_client – This client is not authorized to use the requested grant type. For example, if you restrict which applications can use the Implicit grant, you would return this error for the other apps. unsupported_grant_type – If a grant type is requested that the authorization server doesn’t recognize, use this code. Note that unknown grant types also use this specific error code rather than using the invalid_request above.",
            examples=["invalid_request"],
            title="AuthErrorCode",
        ),
    ]
    error_description: Annotated[
        str | None,
        Field(
            description="Should be a sentence or two at most describing the circumstance of the error",
            examples=["Request was missing the 'client_id' parameter."],
        ),
    ] = None
    error_uri: Annotated[
        Uri | None,
        Field(description="Optional reference to more detailed error description"),
    ] = None


class AuthServerInfo(BaseModel):
    model_config = ConfigDict(
        arbitrary_types_allowed=True,
    )
    tokenURL: Annotated[Uri, Field(description="URL of the token endpoint.")]


class Problem(BaseModel):
    model_config = ConfigDict(
        arbitrary_types_allowed=True,
    )
    type: Annotated[
        Uri | None,
        Field(
            description="An absolute URI that identifies the problem type.\nWhen dereferenced, it SHOULD provide human-readable documentation for the problem type\n(e.g., using HTML).\n"
        ),
    ] = None
    title: Annotated[
        str | None,
        Field(
            description="A short, summary of the problem type. Written in english and readable\nfor engineers (usually not suited for non technical stakeholders and\nnot localized); example: Service Unavailable.\n"
        ),
    ] = None
    status: Annotated[
        int | None,
        Field(
            description="The HTTP status code generated by the origin server for this occurrence\nof the problem.\n",
            examples=[503],
            ge=100,
            lt=600,
        ),
    ] = None
    detail: Annotated[
        str | None,
        Field(
            description="A human readable explanation specific to this occurrence of the\nproblem.\n",
            examples=["Connection to database timed out"],
        ),
    ] = None
    instance: Annotated[
        Uri | None,
        Field(
            description="An absolute URI that identifies the specific occurrence of the problem.\nIt may or may not yield further information if dereferenced.\n"
        ),
    ] = None


class MqttNotifierAuthenticationAnonymous(BaseModel):
    method: Annotated[
        Literal["ANONYMOUS"],
        Field(
            description="Specifies anonymous authentication", title="AnonymousMethod"
        ),
    ]


class MqttNotifierAuthenticationOauth2BearerToken(BaseModel):
    method: Annotated[
        Literal["OAUTH2_BEARER_TOKEN"],
        Field(
            description="Specifies OAuth2 bearer token authentication",
            title="BearerMethod",
        ),
    ]
    username: Annotated[
        str,
        Field(
            description='Either the distinguished string "{clientID}", or any other literal string'
        ),
    ]


class MqttNotifierAuthenticationCertificate(BaseModel):
    method: Annotated[
        Literal["CERTIFICATE"],
        Field(
            description="Specifies certificate authentication",
            title="CertificateMethod",
        ),
    ]
    caCert: Annotated[
        str,
        Field(description="String containing the Certificate Authority certificate"),
    ]
    clientCert: Annotated[
        str, Field(description="String containing the Client certificate")
    ]
    clientKey: Annotated[
        str, Field(description="String containing the client certificate private key")
    ]


class NotifierOperationsTopics(BaseModel):
    CREATE: Annotated[
        str | None,
        Field(
            description="'Topic path for CREATE operations,\n not provided for notifications for a specific object ID,\n e.g. until programID foo is created, clients unable to\n request notifications of its creation'\n",
            examples=["{objectType}s/create"],
        ),
    ] = None
    UPDATE: Annotated[
        str,
        Field(
            description="Topic path for UPDATE operations",
            examples=["{objectType}s/update"],
        ),
    ]
    DELETE: Annotated[
        str,
        Field(
            description="Topic path for DELETE operations",
            examples=["{objectType}s/delete"],
        ),
    ]
    ALL: Annotated[
        str | None,
        Field(
            description="Topic path for ALL operations, if supported by VTN",
            examples=["{objectType}s/+"],
        ),
    ] = None


class NotifierTopicsResponse(BaseModel):
    topics: NotifierOperationsTopics


class ObjectOperation(BaseModel):
    model_config = ConfigDict(
        arbitrary_types_allowed=True,
    )
    objects: Annotated[
        list[ObjectTypes], Field(description="list of objects to subscribe to.")
    ]
    operations: Annotated[
        list[Operation], Field(description="list of operations to subscribe to.")
    ]
    callbackUrl: Annotated[Uri, Field(description="User provided webhook URL.")]
    bearerToken: Annotated[
        str | None,
        Field(
            description="User provided token.\nTo avoid custom integrations, callback endpoints\nshould accept the provided bearer token to authenticate VTN requests.\n",
            examples=["NCEJGI9E8ER9802UT9HUG"],
        ),
    ] = None


class SubscriptionRequest(BaseModel):
    clientName: Annotated[
        str,
        Field(
            description="User generated identifier, may be VEN identifier provisioned out-of-band.",
            examples=["VEN-999"],
            max_length=128,
            min_length=1,
        ),
    ]
    programID: Annotated[
        ObjectId | None, Field(description="URL safe VTN assigned object ID.")
    ] = None
    objectOperations: Annotated[
        list[ObjectOperation],
        Field(description="list of objects and operations to subscribe to."),
    ]
    targets: Annotated[
        list[Target] | None,
        Field(
            description="A list of target objects. Used by server to filter notifications."
        ),
    ] = None


class ObjectMetadata(BaseModel):
    id: Annotated[ObjectId, Field(description="URL safe VTN assigned object ID.")]
    createdDateTime: Annotated[
        DateTime, Field(description="datetime in RFC 3339 format")
    ]
    modificationDateTime: Annotated[
        DateTime, Field(description="datetime in RFC 3339 format")
    ]


class IntervalPeriod(BaseModel):
    start: Annotated[
        DateTime | None, Field(description="datetime in RFC 3339 format")
    ] = None
    duration: Annotated[
        Duration | None, Field(description="duration in ISO 8601 format")
    ] = None
    randomizeStart: Annotated[
        Duration | None, Field(description="duration in ISO 8601 format")
    ] = None


class ValuesMap(BaseModel):
    model_config = ConfigDict(
        arbitrary_types_allowed=True,
    )
    type: Annotated[
        ValueTypeName,
        Field(
            description="Represents the nature of values.\n\nSee enumerations in Definitions for defined string values, or use privately defined strings\n"
        ),
    ]
    values: Annotated[
        list[float | int | str | bool | Point],
        Field(
            description="A list of data points. Most often a singular value such as a price.",
            examples=[[0.17]],
        ),
    ]


class EventPayloadDescriptor(BaseModel):
    model_config = ConfigDict(
        arbitrary_types_allowed=True,
    )
    objectType: Annotated[
        Literal["EVENT_PAYLOAD_DESCRIPTOR"],
        Field(description="Used as discriminator.", title="EventPayloadDescriptorType"),
    ]
    payloadType: Annotated[
        EventPayloadTypeName,
        Field(
            description="Represents the nature of values.\n\nSee enumerations in Definitions for defined string values, or use privately defined strings\n"
        ),
    ]
    units: Annotated[UnitName | None, Field(description="Units of measure.")] = None
    currency: Annotated[
        str | None, Field(description="Currency of price payload.", examples=["USD"])
    ] = None


class ReportPayloadDescriptor(BaseModel):
    model_config = ConfigDict(
        arbitrary_types_allowed=True,
    )
    objectType: Annotated[
        Literal["REPORT_PAYLOAD_DESCRIPTOR"],
        Field(
            description="Used as discriminator.", title="ReportPayloadDescriptorType"
        ),
    ]
    payloadType: Annotated[
        ReportPayloadTypeName,
        Field(
            description="Represents the nature of values.\n\nSee enumerations in Definitions for defined string values, or use privately defined strings\n"
        ),
    ]
    readingType: Annotated[
        ReadingTypeName | None,
        Field(
            description="Represents the type of reading.\n\nSee enumerations in Definitions for defined string values, or use privately defined strings\n"
        ),
    ] = None
    units: Annotated[UnitName | None, Field(description="Units of measure.")] = None
    accuracy: Annotated[
        float | None,
        Field(
            description="A quantification of the accuracy of a set of payload values.",
            examples=[0.0],
        ),
    ] = None
    confidence: Annotated[
        int | None,
        Field(
            description="A quantification of the confidence in a set of payload values.",
            examples=[100],
            ge=0,
            le=100,
        ),
    ] = None


class ReportDescriptor(BaseModel):
    model_config = ConfigDict(
        arbitrary_types_allowed=True,
    )
    payloadType: Annotated[
        ReportPayloadTypeName,
        Field(
            description="Represents the nature of values.\n\nSee enumerations in Definitions for defined string values, or use privately defined strings\n"
        ),
    ]
    readingType: Annotated[
        ReadingTypeName | None,
        Field(
            description="Represents the type of reading.\n\nSee enumerations in Definitions for defined string values, or use privately defined strings\n"
        ),
    ] = None
    units: Annotated[UnitName | None, Field(description="Units of measure.")] = None
    targets: Annotated[list[Target] | None, Field(description="A list of targets.")] = (
        None
    )
    aggregate: Annotated[
        bool,
        Field(
            description="True if report should aggregate results from all targeted resources.\nFalse if report includes results for each resource.\n",
            examples=[False],
        ),
    ] = False
    startInterval: Annotated[
        int,
        Field(
            description="The interval on which to generate a report.\n-1 indicates generate report at end of last interval.\n",
            examples=[-1],
        ),
    ] = -1
    numIntervals: Annotated[
        int,
        Field(
            description="The number of intervals to include in a report.\n-1 indicates that all intervals are to be included.\n",
            examples=[-1],
        ),
    ] = -1
    historical: Annotated[
        bool,
        Field(
            description="True indicates report on intervals preceding startInterval.\nFalse indicates report on intervals following startInterval (e.g. forecast).\n",
            examples=[True],
        ),
    ] = True
    frequency: Annotated[
        int,
        Field(
            description="Number of intervals that elapse between reports.\n-1 indicates same as numIntervals.\n",
            examples=[-1],
        ),
    ] = -1
    repeat: Annotated[
        int,
        Field(
            description="Number of times to repeat report.\n1 indicates generate one report.\n-1 indicates repeat indefinitely.\n",
            examples=[1],
        ),
    ] = 1
    reportIntervals: Annotated[
        ReportIntervals,
        Field(
            description="Indicates VEN report interval options. See User Guide.",
            examples=["INTERVALS"],
            title="ReportIntervals",
        ),
    ] = ReportIntervals.INTERVALS


class MqttNotifierBindingObject(BaseModel):
    model_config = ConfigDict(
        arbitrary_types_allowed=True,
    )
    URIS: list[Uri]
    serialization: Annotated[
        Literal["JSON"],
        Field(
            description="Currently always JSON, perhaps other formats supported in future",
            title="Serialization",
        ),
    ]
    authentication: Annotated[
        MqttNotifierAuthenticationAnonymous
        | MqttNotifierAuthenticationOauth2BearerToken
        | MqttNotifierAuthenticationCertificate,
        Field(
            description="Authentication method supported for connection to MQTT broker"
        ),
    ]


class ProgramRequest(BaseModel):
    programName: Annotated[
        str,
        Field(
            description="Short name to uniquely identify program.",
            examples=["ResTOU"],
            max_length=128,
            min_length=1,
        ),
    ]
    intervalPeriod: IntervalPeriod | None = None
    programDescriptions: Annotated[
        list[ProgramDescription] | None,
        Field(description="A list of programDescriptions"),
    ] = None
    payloadDescriptors: Annotated[
        list[
            Annotated[
                EventPayloadDescriptor | ReportPayloadDescriptor,
                Field(discriminator="objectType"),
            ]
        ]
        | None,
        Field(description="A list of payloadDescriptors."),
    ] = None
    attributes: Annotated[
        list[ValuesMap] | None,
        Field(description="A list of valuesMap objects describing attributes."),
    ] = None
    targets: Annotated[list[Target] | None, Field(description="A list of targets.")] = (
        None
    )


class Subscription(ObjectMetadata, SubscriptionRequest):
    clientID: Annotated[
        str,
        Field(
            description="ClientID as provisioned by Auhtentication Service and associated with client's bearer token\n",
            examples=["249rj49jiej"],
            max_length=128,
            min_length=1,
        ),
    ]
    objectType: Literal["SUBSCRIPTION"]


class Ven(ObjectMetadata):
    clientID: Annotated[
        str,
        Field(
            description="ClientID as provisioned by Auhtentication Service and associated with client's bearer token\n",
            examples=["249rj49jiej"],
            max_length=128,
            min_length=1,
        ),
    ]
    targets: Annotated[list[Target] | None, Field(description="A list of targets.")] = (
        None
    )
    venName: Annotated[
        str,
        Field(
            description="User generated identifier, may be VEN identifier provisioned out-of-band.\nvenName is expected to be unique within the scope of a VTN\n",
            examples=["VEN-999"],
            max_length=128,
            min_length=1,
        ),
    ]
    attributes: Annotated[
        list[ValuesMap] | None,
        Field(description="A list of valuesMap objects describing attributes."),
    ] = None
    objectType: Literal["VEN"]


class BlVenRequest(BaseModel):
    objectType: Annotated[
        Literal["BL_VEN_REQUEST"],
        Field(description="Used as discriminator.", title="BlVenRequestType"),
    ]
    clientID: Annotated[
        str,
        Field(
            description="ClientID as provisioned by Auhtentication Service and associated with client's bearer token\n",
            examples=["249rj49jiej"],
            max_length=128,
            min_length=1,
        ),
    ]
    targets: Annotated[list[Target] | None, Field(description="A list of targets.")] = (
        None
    )
    venName: Annotated[
        str,
        Field(
            description="User generated identifier, may be VEN identifier provisioned out-of-band.\nvenName is expected to be unique within the scope of a VTN\n",
            examples=["VEN-999"],
            max_length=128,
            min_length=1,
        ),
    ]
    attributes: Annotated[
        list[ValuesMap] | None,
        Field(description="A list of valuesMap objects describing attributes."),
    ] = None


class VenVenRequest(BaseModel):
    objectType: Annotated[
        Literal["VEN_VEN_REQUEST"],
        Field(description="Used as discriminator.", title="VenVenRequestType"),
    ]
    venName: Annotated[
        str,
        Field(
            description="User generated identifier, may be VEN identifier provisioned out-of-band.\nvenName is expected to be unique within the scope of a VTN\n",
            examples=["VEN-999"],
            max_length=128,
            min_length=1,
        ),
    ]
    attributes: Annotated[
        list[ValuesMap] | None,
        Field(description="A list of valuesMap objects describing attributes."),
    ] = None


class Resource(ObjectMetadata):
    clientID: Annotated[
        str,
        Field(
            description="ClientID as provisioned by Auhtentication Service and associated with client's bearer token\n",
            examples=["249rj49jiej"],
            max_length=128,
            min_length=1,
        ),
    ]
    targets: Annotated[list[Target] | None, Field(description="A list of targets.")] = (
        None
    )
    resourceName: Annotated[
        str,
        Field(
            description="User generated identifier. A value of AGGREGATED_REPORT indicates an aggregation of more that one resource's data",
            examples=["RESOURCE-999"],
            max_length=128,
            min_length=1,
        ),
    ]
    venID: Annotated[ObjectId, Field(description="URL safe VTN assigned object ID.")]
    attributes: Annotated[
        list[ValuesMap] | None,
        Field(description="A list of valuesMap objects describing attributes."),
    ] = None
    objectType: Literal["RESOURCE"]


class BlResourceRequest(BaseModel):
    objectType: Annotated[
        Literal["BL_RESOURCE_REQUEST"],
        Field(description="Used as discriminator.", title="BlResourceRequestType"),
    ]
    clientID: Annotated[
        str,
        Field(
            description="ClientID as provisioned by Auhtentication Service and associated with client's bearer token\n",
            examples=["249rj49jiej"],
            max_length=128,
            min_length=1,
        ),
    ]
    targets: Annotated[list[Target] | None, Field(description="A list of targets.")] = (
        None
    )
    resourceName: Annotated[
        str,
        Field(
            description="User generated identifier. A value of AGGREGATED_REPORT indicates an aggregation of more that one resource's data",
            examples=["RESOURCE-999"],
            max_length=128,
            min_length=1,
        ),
    ]
    venID: Annotated[ObjectId, Field(description="URL safe VTN assigned object ID.")]
    attributes: Annotated[
        list[ValuesMap] | None,
        Field(description="A list of valuesMap objects describing attributes."),
    ] = None


class VenResourceRequest(BaseModel):
    objectType: Annotated[
        Literal["VEN_RESOURCE_REQUEST"],
        Field(description="Used as discriminator.", title="VenResourceRequestType"),
    ]
    resourceName: Annotated[
        str,
        Field(
            description="User generated identifier. A value of AGGREGATED_REPORT indicates an aggregation of more that one resource's data",
            examples=["RESOURCE-999"],
            max_length=128,
            min_length=1,
        ),
    ]
    venID: Annotated[ObjectId, Field(description="URL safe VTN assigned object ID.")]
    attributes: Annotated[
        list[ValuesMap] | None,
        Field(description="A list of valuesMap objects describing attributes."),
    ] = None


class Interval(BaseModel):
    id: Annotated[
        int,
        Field(
            description="A client generated number assigned an interval object. Not a sequence number.",
            examples=[0],
        ),
    ]
    intervalPeriod: IntervalPeriod | None = None
    payloads: Annotated[
        list[ValuesMap], Field(description="A list of valuesMap objects.")
    ]


class NotifiersResponse(BaseModel):
    WEBHOOK: Annotated[
        bool, Field(description="Currently MUST be true", examples=[True])
    ]
    MQTT: MqttNotifierBindingObject | None = None


class Program(ObjectMetadata, ProgramRequest):
    objectType: Literal["PROGRAM"]


class ReportResource(BaseModel):
    resourceName: Annotated[
        str,
        Field(
            description="User generated identifier. A value of AGGREGATED_REPORT indicates an aggregation of more that one resource's data",
            examples=["RESOURCE-999"],
            max_length=128,
            min_length=1,
        ),
    ]
    intervalPeriod: IntervalPeriod | None = None
    intervals: Annotated[
        list[Interval], Field(description="A list of interval objects.")
    ]


class ReportRequest(BaseModel):
    eventID: Annotated[ObjectId, Field(description="URL safe VTN assigned object ID.")]
    clientName: Annotated[
        str,
        Field(
            description="User generated identifier, may be VEN identifier provisioned out-of-band.",
            examples=["VEN-999"],
            max_length=128,
            min_length=1,
        ),
    ]
    reportName: Annotated[
        str | None,
        Field(
            description="User defined string for use in debugging or User Interface.",
            examples=["Battery_usage_04112023"],
        ),
    ] = None
    payloadDescriptors: Annotated[
        list[ReportPayloadDescriptor] | None,
        Field(description="A list of reportPayloadDescriptors."),
    ] = None
    resources: Annotated[
        list[ReportResource],
        Field(
            description="A list of objects containing report data for a set of resources."
        ),
    ]


class EventRequest(BaseModel):
    programID: Annotated[
        ObjectId, Field(description="URL safe VTN assigned object ID.")
    ]
    eventName: Annotated[
        str | None,
        Field(
            description="User defined string for use in debugging or User Interface.",
            examples=["price event 11-18-2022"],
        ),
    ] = None
    duration: Annotated[
        Duration | None, Field(description="duration in ISO 8601 format")
    ] = None
    priority: Annotated[
        int | None,
        Field(
            description="Relative priority of event. A lower number is a higher priority.",
            examples=[0],
            ge=0,
        ),
    ] = None
    targets: Annotated[list[Target] | None, Field(description="A list of targets.")] = (
        None
    )
    reportDescriptors: Annotated[
        list[ReportDescriptor] | None,
        Field(
            description="A list of reportDescriptor objects. Used to request reports from VEN."
        ),
    ] = None
    payloadDescriptors: Annotated[
        list[EventPayloadDescriptor] | None,
        Field(description="A list of payloadDescriptor objects."),
    ] = None
    intervalPeriod: IntervalPeriod | None = None
    intervals: Annotated[
        list[Interval] | None, Field(description="A list of interval objects.")
    ] = None


class VenRequest(RootModel[VenVenRequest | BlVenRequest]):
    root: VenVenRequest | BlVenRequest


class ResourceRequest(RootModel[BlResourceRequest | VenResourceRequest]):
    root: BlResourceRequest | VenResourceRequest


class Report(ObjectMetadata, ReportRequest):
    clientID: Annotated[
        str,
        Field(
            description="ClientID as provisioned by Auhtentication Service and associated with client's bearer token\n",
            examples=["249rj49jiej"],
            max_length=128,
            min_length=1,
        ),
    ]
    objectType: Literal["REPORT"]


class Event(ObjectMetadata, EventRequest):
    objectType: Literal["EVENT"]


class Notification(BaseModel):
    objectType: ObjectTypes
    operation: Annotated[
        NotificationOperation,
        Field(
            description="the operation on on object that triggered the notification.",
            examples=["UPDATE"],
            title="NotificationOperation",
        ),
    ]
    object: Annotated[
        Program | Report | Event | Subscription | Ven | Resource,
        Field(description="the object that is the subject of the notification."),
    ]
    targets: Annotated[list[Target] | None, Field(description="A list of targets.")] = (
        None
    )
