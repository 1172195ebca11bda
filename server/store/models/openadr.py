"""Tables of the OpenADR 3.1 VTN: its objects, their targets, OAuth2 clients and tokens.

Every addressable object (program, event, report, subscription, VEN, resource) is one
``openadr_object`` row: the columns the API filters and authorises on, and the object's
JSON as served. ``seq`` orders every list, so paging with skip/limit never skips or repeats
an object while others are added (new objects get higher numbers). Times are float
seconds since the epoch (OpenADR carries sub-second RFC 3339 times).
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

__all__ = ["OadrClientRow", "OadrObjectRow", "OadrTargetRow", "OadrTokenRow"]


class OadrObjectRow(SQLModel, table=True):
    """One OpenADR object."""

    __tablename__ = "openadr_object"
    __table_args__ = (
        sa.Index("ix_openadr_object_type_seq", "object_type", "seq"),
        # programName, venName and (per VEN) resourceName are unique: 409 on a clash.
        sa.UniqueConstraint("unique_key", name="uq_openadr_object_unique_key"),
    )

    seq: int | None = Field(default=None, primary_key=True)
    #: The objectID (1-128 URL-safe characters).
    id: str = Field(sa_column=sa.Column(sa.String(128), nullable=False, unique=True))
    #: PROGRAM, EVENT, REPORT, SUBSCRIPTION, VEN or RESOURCE.
    object_type: str = Field(max_length=16)
    #: programName, eventName, reportName, venName or resourceName.
    name: str | None = Field(default=None, max_length=128, index=True)
    unique_key: str | None = Field(default=None, max_length=300)
    program_id: str | None = Field(default=None, max_length=128, index=True)
    event_id: str | None = Field(default=None, max_length=128, index=True)
    ven_id: str | None = Field(default=None, max_length=128, index=True)
    #: The owning client (clientID of a VEN, resource, report or subscription).
    client_id: str | None = Field(default=None, max_length=128, index=True)
    client_name: str | None = Field(default=None, max_length=128, index=True)
    #: Subscriptions only: the objectTypes they name, as ``,EVENT,PROGRAM,`` (the
    #: ``objects`` filter of GET /subscriptions).
    object_types: str | None = Field(default=None, max_length=100)
    #: End of the last interval of an event [s]; None = open-ended or untimed.
    ends_at: float | None = Field(default=None)
    created_at: float
    modified_at: float
    #: The object as served (JSON text).
    body: str = Field(sa_column=sa.Column(sa.Text, nullable=False))


class OadrTargetRow(SQLModel, table=True):
    """One target string of an object (programs, events, VENs, resources, subscriptions)."""

    __tablename__ = "openadr_target"
    __table_args__ = (sa.Index("ix_openadr_target_target", "target", "object_seq"),)

    object_seq: int = Field(
        sa_column=sa.Column(
            sa.Integer,
            sa.ForeignKey("openadr_object.seq", ondelete="CASCADE"),
            primary_key=True,
        )
    )
    target: str = Field(sa_column=sa.Column(sa.String(128), primary_key=True))


class OadrClientRow(SQLModel, table=True):
    """An OAuth2 client of the VTN (client-credentials grant); the secret only hashed."""

    __tablename__ = "openadr_client"

    id: int | None = Field(default=None, primary_key=True)
    client_id: str = Field(sa_column=sa.Column(sa.String(128), nullable=False, unique=True))
    #: ``scrypt$<n>$<salt hex>$<hash hex>``.
    secret_hash: str = Field(max_length=300)
    #: "bl" or "ven" (what the client is; its scopes say what it may do).
    role: str = Field(max_length=8)
    #: Space-separated OAuth2 scopes the client may be granted.
    scopes: str = Field(max_length=1000)
    token_lifetime_s: int
    created_at: float
    disabled_at: float | None = Field(default=None)


class OadrTokenRow(SQLModel, table=True):
    """An issued access token (only its SHA-256 is stored)."""

    __tablename__ = "openadr_token"

    token_sha256: str = Field(sa_column=sa.Column(sa.String(64), primary_key=True))
    client_id: str = Field(max_length=128, index=True)
    scopes: str = Field(max_length=1000)
    issued_at: float
    expires_at: float = Field(index=True)
