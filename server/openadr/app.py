"""The OpenADR 3.1 VTN as a quart app: `create_openadr_app(store, settings)`.

Routes are thin: parse the path, query and body (pydantic models of
`openderms.schemas.openadr3`), authenticate the bearer token, make one service call,
answer JSON. Every error leaves as the YAML's ``problem`` (``type``, ``title``,
``status``, ``detail``) with the status code the YAML names; /auth/token errors also carry
the RFC 6749 ``error`` code.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, RootModel, TypeAdapter, ValidationError
from quart import Quart, Response, request
from werkzeug.exceptions import HTTPException

from openderms.schemas.openadr3 import models as oadr
from openderms.schemas.openadr3.types import ObjectId, Target
from openderms.server.openadr import auth, objects
from openderms.server.openadr.callbacks import CallbackPolicy, resolve_and_check
from openderms.server.openadr.errors import (
    OadrBadRequestError,
    OadrError,
    OadrForbiddenError,
    OadrNotFoundError,
)
from openderms.server.openadr.kinds import KINDS, KINDS_BY_TYPE, Kind
from openderms.server.openadr.notify import NotifySettings
from openderms.server.openadr.objects import OadrContext
from openderms.server.openadr.scopes import Principal, Scope
from openderms.server.openadr.topics import TopicSet, topic_set
from openderms.server.store.crud.openadr import ObjectFilter
from openderms.server.store.db import Store

__all__ = ["MAX_LIMIT", "OpenAdrSettings", "create_openadr_app"]

logger = logging.getLogger(__name__)

#: The YAML's ``limit`` maximum; also the page size when none is asked for.
MAX_LIMIT = 50
JSON = "application/json"

_OBJECT_ID: TypeAdapter[str] = TypeAdapter(ObjectId)
_TARGET: TypeAdapter[str] = TypeAdapter(Target)
# Which lists take which query filters (the YAML's parameters of each GET).
_TARGET_FILTERED = frozenset({"PROGRAM", "EVENT", "VEN", "RESOURCE"})
_PROGRAM_FILTERED = frozenset({"EVENT", "REPORT", "SUBSCRIPTION"})


@dataclass(frozen=True, slots=True)
class OpenAdrSettings:
    """Settings of the VTN.

    Attributes
    ----------
    mqtt_url : str or None
        The MQTT broker VENs connect to (``mqtt://host:1883``); None = no MQTT notifier.
    callbacks : CallbackPolicy
        Which webhook URLs may be subscribed.
    max_body_bytes : int
        Largest request body [bytes].
    """

    mqtt_url: str | None = None
    callbacks: CallbackPolicy = field(default_factory=CallbackPolicy)
    max_body_bytes: int = 256 * 1024


def _json(status: int, payload: Any) -> Response:
    return Response(json.dumps(payload, separators=(",", ":")), status=status, content_type=JSON)


def _problem(
    status: int, title: str, detail: str, extra: dict[str, str] | None = None
) -> Response:
    body: dict[str, Any] = {"type": "about:blank", "title": title, "status": status}
    if detail:
        body["detail"] = detail
    body.update(extra or {})
    return _json(status, body)


def _object_id(value: str, name: str) -> str:
    try:
        return _OBJECT_ID.validate_python(value)
    except ValidationError as exc:
        raise OadrBadRequestError(f"{name} must be 1-128 of [a-zA-Z0-9_-]") from exc


def _int_arg(name: str, default: int, maximum: int | None = None) -> int:
    raw = request.args.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError as exc:
        raise OadrBadRequestError(f"{name} must be an integer") from exc
    if value < 0 or (maximum is not None and value > maximum):
        bound = f"0..{maximum}" if maximum is not None else ">= 0"
        raise OadrBadRequestError(f"{name} must be {bound}")
    return value


def _filter(kind: Kind, now: float) -> ObjectFilter:
    args = request.args
    targets = args.getlist("targets")
    for target in targets:
        try:
            _TARGET.validate_python(target)
        except ValidationError as exc:
            raise OadrBadRequestError("each target must have 1-128 characters") from exc

    def object_id(name: str) -> str | None:
        value = args.get(name)
        return None if value is None else _object_id(value, name)

    def text(name: str) -> str | None:
        value = args.get(name)
        if value is not None and not 1 <= len(value) <= 128:
            raise OadrBadRequestError(f"{name} must have 1-128 characters")
        return value

    wanted_objects = args.getlist("objects")
    unknown = set(wanted_objects) - {member.value for member in oadr.ObjectTypes}
    if unknown:
        raise OadrBadRequestError(f"objects must be objectTypes, not {sorted(unknown)}")
    active = args.get("active")
    if active not in (None, "true", "false"):
        raise OadrBadRequestError("active must be true or false")
    object_type = kind.object_type
    return ObjectFilter(
        targets=tuple(targets) if targets and object_type in _TARGET_FILTERED else None,
        program_id=object_id("programID") if object_type in _PROGRAM_FILTERED else None,
        event_id=object_id("eventID") if object_type == "REPORT" else None,
        ven_id=object_id("venID") if object_type == "RESOURCE" else None,
        client_name=text("clientName") if object_type in ("REPORT", "SUBSCRIPTION") else None,
        name=(
            text("venName")
            if object_type == "VEN"
            else text("resourceName")
            if object_type == "RESOURCE"
            else None
        ),
        active_at=now if object_type == "EVENT" and active == "true" else None,
        object_types=tuple(wanted_objects)
        if wanted_objects and object_type == "SUBSCRIPTION"
        else None,
    )


async def _body(model: type[BaseModel | RootModel]) -> BaseModel | RootModel:  # type: ignore[type-arg]
    data = await request.get_data(as_text=False)
    if not data:
        raise OadrBadRequestError("a JSON body is required")
    try:
        return model.model_validate_json(data)
    except ValidationError as exc:
        errors = "; ".join(
            f"{'.'.join(str(p) for p in error['loc'])}: {error['msg']}"
            for error in exc.errors()[:5]
        )
        raise OadrBadRequestError(f"invalid {model.__name__}: {errors}") from exc


def _callback_urls(body: BaseModel | RootModel) -> list[str]:  # type: ignore[type-arg]
    if isinstance(body, oadr.SubscriptionRequest):
        return [operation.callbackUrl for operation in body.objectOperations]
    return []


class _Vtn:
    """The state the routes share."""

    def __init__(
        self,
        store: Store,
        settings: OpenAdrSettings,
        clock: Callable[[], float],
        on_change: Callable[[], None],
    ) -> None:
        self.store = store
        self.settings = settings
        self.clock = clock
        self.on_change = on_change
        self.notify = NotifySettings(mqtt=settings.mqtt_url is not None)

    def ctx(self) -> OadrContext:
        return OadrContext(now=self.clock(), notify=self.notify)

    async def principal(self) -> Principal:
        return await self.store.run_read(
            auth.authenticate, request.headers.get("Authorization"), now=self.clock()
        )


def _register_objects(app: Quart, vtn: _Vtn, kind: Kind) -> None:
    collection = f"/{kind.collection}"
    item = f"/{kind.collection}/<object_id>"

    async def search() -> Response:
        principal = await vtn.principal()
        ctx = vtn.ctx()
        found = await vtn.store.run_read(
            objects.list_objects,
            ctx,
            principal,
            kind,
            where=_filter(kind, ctx.now),
            skip=_int_arg("skip", 0),
            limit=_int_arg("limit", MAX_LIMIT, MAX_LIMIT),
        )
        return _json(200, found)

    async def create() -> Response:
        principal = await vtn.principal()
        body = await _body(kind.request)
        for url in _callback_urls(body):
            await resolve_and_check(url, vtn.settings.callbacks)
        made = await vtn.store.run(objects.create_object, vtn.ctx(), principal, kind, body)
        vtn.on_change()
        return _json(201, made)

    async def read(object_id: str) -> Response:
        principal = await vtn.principal()
        object_id = _object_id(object_id, kind.id_param)
        found = await vtn.store.run_read(objects.get_object, vtn.ctx(), principal, kind, object_id)
        return _json(200, found)

    async def update(object_id: str) -> Response:
        principal = await vtn.principal()
        object_id = _object_id(object_id, kind.id_param)
        body = await _body(kind.request)
        for url in _callback_urls(body):
            await resolve_and_check(url, vtn.settings.callbacks)
        changed = await vtn.store.run(
            objects.update_object, vtn.ctx(), principal, kind, object_id, body
        )
        vtn.on_change()
        return _json(200, changed)

    async def delete(object_id: str) -> Response:
        principal = await vtn.principal()
        object_id = _object_id(object_id, kind.id_param)
        deleted = await vtn.store.run(objects.delete_object, vtn.ctx(), principal, kind, object_id)
        vtn.on_change()
        return _json(200, deleted)

    name = kind.collection
    app.add_url_rule(collection, f"search_{name}", search, methods=["GET"])
    app.add_url_rule(collection, f"create_{name}", create, methods=["POST"])
    app.add_url_rule(item, f"read_{name}", read, methods=["GET"])
    app.add_url_rule(item, f"update_{name}", update, methods=["PUT"])
    app.add_url_rule(item, f"delete_{name}", delete, methods=["DELETE"])


def _register_auth(app: Quart, vtn: _Vtn) -> None:
    @app.get("/auth/server")
    async def auth_server() -> Response:
        info = oadr.AuthServerInfo(tokenURL=request.host_url.rstrip("/") + "/auth/token")
        return _json(200, info.model_dump(mode="json"))

    @app.post("/auth/token")
    async def token() -> Response:
        form = await request.form
        basic = request.authorization
        client_id = form.get("client_id")
        client_secret = form.get("client_secret")
        if basic is not None and basic.type == "basic":
            # RFC 6749 §2.3.1: client credentials may come as HTTP Basic instead.
            client_id, client_secret = basic.username, basic.password
        issued = await vtn.store.run(
            auth.issue_token,
            grant_type=form.get("grant_type"),
            client_id=client_id,
            client_secret=client_secret,
            scope=form.get("scope"),
            now=vtn.clock(),
        )
        response = _json(200, issued.model_dump(mode="json", exclude_none=True))
        response.headers["Cache-Control"] = "no-store"  # RFC 6749 §5.1
        return response


def _topics_json(topics: TopicSet) -> Response:
    return _json(200, oadr.NotifierTopicsResponse(topics=topics).model_dump(exclude_none=True))


def _register_notifiers(app: Quart, vtn: _Vtn) -> None:
    @app.get("/notifiers")
    async def notifiers() -> Response:
        # Interpretation: the YAML asks read_all here, but a VEN must learn the bindings
        # to subscribe; any valid token may read them (they are no object's data).
        await vtn.principal()
        answer = oadr.NotifiersResponse(WEBHOOK=True)
        if vtn.settings.mqtt_url is not None:
            answer.MQTT = oadr.MqttNotifierBindingObject(
                URIS=[vtn.settings.mqtt_url],
                serialization="JSON",
                authentication=oadr.MqttNotifierAuthenticationAnonymous(method="ANONYMOUS"),
            )
        return _json(200, answer.model_dump(mode="json", exclude_none=True))

    async def needs(scope: Scope) -> Principal:
        principal = await vtn.principal()
        if vtn.settings.mqtt_url is None:
            raise OadrNotFoundError("this VTN has no MQTT notifier")
        if not (principal.reads_all or principal.has(scope)):
            raise OadrForbiddenError(f"these topics need {scope.value}")
        return principal

    async def own_ven(ven_id: str) -> str:
        principal = await needs(Scope.READ_VEN_OBJECTS)
        ven_id = _object_id(ven_id, "venID")
        await vtn.store.run_read(
            objects.get_object, vtn.ctx(), principal, KINDS_BY_TYPE["VEN"], ven_id
        )
        return ven_id

    async def visible_program(program_id: str) -> str:
        principal = await needs(Scope.READ_ALL)
        program_id = _object_id(program_id, "programID")
        await vtn.store.run_read(
            objects.get_object, vtn.ctx(), principal, KINDS_BY_TYPE["PROGRAM"], program_id
        )
        return program_id

    # The YAML's security per endpoint: read_all for program topics, read_bl for the
    # collections, read_ven_objects (and the caller's own venID) for per-VEN topics.
    @app.get("/notifiers/mqtt/topics/programs")
    async def topics_programs() -> Response:
        await needs(Scope.READ_ALL)
        return _topics_json(topic_set("programs"))

    @app.get("/notifiers/mqtt/topics/programs/<program_id>")
    async def topics_program(program_id: str) -> Response:
        program_id = await visible_program(program_id)
        return _topics_json(topic_set("programs", program_id, with_create=False))

    @app.get("/notifiers/mqtt/topics/programs/<program_id>/events")
    async def topics_program_events(program_id: str) -> Response:
        program_id = await visible_program(program_id)
        return _topics_json(topic_set("programs", program_id, "events"))

    for collection in ("events", "reports", "subscriptions", "vens", "resources"):

        async def topics_collection(collection: str = collection) -> Response:
            await needs(Scope.READ_BL)
            return _topics_json(topic_set(collection))

        app.add_url_rule(
            f"/notifiers/mqtt/topics/{collection}",
            f"topics_{collection}",
            topics_collection,
            methods=["GET"],
        )

    @app.get("/notifiers/mqtt/topics/vens/<ven_id>")
    async def topics_ven(ven_id: str) -> Response:
        ven_id = await own_ven(ven_id)
        return _topics_json(topic_set("vens", ven_id, with_create=False))

    for collection in ("events", "programs", "resources"):

        async def topics_ven_collection(ven_id: str, collection: str = collection) -> Response:
            ven_id = await own_ven(ven_id)
            return _topics_json(topic_set("vens", ven_id, collection))

        app.add_url_rule(
            f"/notifiers/mqtt/topics/vens/<ven_id>/{collection}",
            f"topics_ven_{collection}",
            topics_ven_collection,
            methods=["GET"],
        )


def create_openadr_app(
    store: Store,
    settings: OpenAdrSettings | None = None,
    *,
    clock: Callable[[], float] = time.time,
    on_change: Callable[[], None] = lambda: None,
) -> Quart:
    """Build the VTN over `store` (at schema head).

    Parameters
    ----------
    clock
        Time of requests [s since the epoch].
    on_change
        Called after a write committed (wakes the notification delivery).
    """
    settings = settings or OpenAdrSettings()
    app = Quart("openderms.server.openadr", static_folder=None)
    app.config["MAX_CONTENT_LENGTH"] = settings.max_body_bytes
    vtn = _Vtn(store, settings, clock, on_change)
    for kind in KINDS:
        _register_objects(app, vtn, kind)
    _register_auth(app, vtn)
    _register_notifiers(app, vtn)

    @app.errorhandler(OadrError)
    async def _oadr_error(exc: OadrError) -> Response:
        extra = None
        if request.path == "/auth/token" and exc.oauth_error is not None:
            extra = {"error": exc.oauth_error, "error_description": exc.detail}
        return _problem(exc.http_status, exc.title, exc.detail, extra)

    @app.errorhandler(HTTPException)
    async def _http_error(exc: HTTPException) -> Response:
        status = exc.code or 500
        return _problem(status, exc.name, exc.description or "")

    @app.errorhandler(Exception)
    async def _unexpected(exc: Exception) -> Response:
        logger.exception("OpenADR request failed")
        return _problem(500, "Internal Server Error", "")

    return app
