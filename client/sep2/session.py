"""The 2030.5 session of the gateway: one site's conversation with one 2030.5 server.

Driven by :class:`openderms.client.runtime.gateway.GatewayRuntime` through the
:class:`~openderms.client.runtime.session.Session` interface. It holds the jobs of the
2030.5 client (:class:`~openderms.client.sep2.schedule.Sep2Schedule`: walk, refresh, time,
status, mirrors, outbox, subscriptions), the event engine of this source, the Notification
listener, and the typed state it persists (:class:`~openderms.client.sep2.state.Sep2State`).
It maps the engine's neutral transitions to Responses (de-duplicated across restarts),
device faults to LogEvents, and site telemetry to MirrorUsagePoints and DER resources.

Network I/O goes through the injected :class:`~openderms.client.sep2.http.Sep2Http` only in
:meth:`Sep2Session.exchange` and :meth:`Sep2Session.flush`; the ``handle_*`` methods take
``now`` and never block.
"""

from __future__ import annotations

import logging
import random
import ssl
import time
from collections import deque
from collections.abc import Callable, Sequence
from typing import Any

from openderms.certs.identity import DeviceIdentity
from openderms.client.config import GatewayConfig
from openderms.client.envelope import EnvelopeLimits
from openderms.client.events import (
    CommsLost,
    CommsRestored,
    EngineConfig,
    EnvelopeChanged,
    EventEngine,
    EventEngineError,
    EventTransition,
    ProgramSnapshot,
)
from openderms.client.runtime.listener import NotificationListener
from openderms.client.runtime.session import FaultChange, LimitsChanged, SessionEffect
from openderms.client.runtime.site import SiteReading
from openderms.client.sep2 import messages, readings
from openderms.client.sep2.clock import ClockOffset
from openderms.client.sep2.errors import (
    RegistrationError,
    Sep2ClientError,
    Sep2HttpStatusError,
    Sep2ProtocolError,
    is_permanent,
)
from openderms.client.sep2.held_schedule import programs_from_documents, schedule_documents
from openderms.client.sep2.http import Sep2Http
from openderms.client.sep2.mapping import ProgramFetch, map_snapshot
from openderms.client.sep2.responses import send_response
from openderms.client.sep2.schedule import Backoff, Job, Sep2Schedule
from openderms.client.sep2.site_mapping import der_facts, device_of_mirror, meter_sample
from openderms.client.sep2.state import SOURCE, Sep2State, load_state, save_state, state_key
from openderms.client.sep2.walker import (
    ProgramView,
    Sep2View,
    program_hrefs,
    refresh_program,
    walk,
)
from openderms.client.store import GatewayStore
from openderms.schemas.sep2 import codec
from openderms.schemas.sep2 import models as sep
from openderms.schemas.sep2.errors import SepXmlError

__all__ = ["SOURCE", "Sep2Session"]

log = logging.getLogger(__name__)

_SAMPLE_BATCH = 200
_OUTBOX_BATCH = 100
_NOTIFY_PATH = "/notify"
_RESPONDED_KEPT = 2000
"""How many (control, status) Responses the state remembers as sent."""


class Sep2Session:
    """The site's 2030.5 client, as one session of the gateway runtime.

    Parameters
    ----------
    config : GatewayConfig
    identity : DeviceIdentity
        LFDI/SFDI of the gateway's device certificate.
    http : Sep2Http
        The 2030.5 client (owned: closed by :meth:`close`).
    store : GatewayStore
        The local store (owned).
    listener_ssl : ssl.SSLContext or None
        Server context of the Notification listener; None disables subscriptions.
    clock : callable
        The local clock [s since epoch], read only around a Time request (the round trip
        sets the server clock offset).
    rng : random.Random
        Randomness of the event engine and of backoff jitter.
    source : str
        The session's name among the site's sources, and the store key of its state
        (one per EndDevice when an aggregator runs many).
    """

    def __init__(
        self,
        *,
        config: GatewayConfig,
        identity: DeviceIdentity,
        http: Sep2Http,
        store: GatewayStore,
        listener_ssl: ssl.SSLContext | None = None,
        clock: Callable[[], float] = time.time,
        rng: random.Random | None = None,
        source: str = SOURCE,
    ) -> None:
        if config.dcap_url is None:
            raise ValueError("the DeviceCapability URL must be known (discover it first)")
        self.source = source
        self._state_key = state_key(source)
        self.config = config
        self.identity = identity
        self.http = http
        self.store = store
        self._clock = clock
        self._rng = rng or random.Random()  # noqa: S311 - jitter and randomizeStart, not secrets
        self._listener_ssl = listener_ssl
        self.listener: NotificationListener | None = None
        self.dcap_href = config.dcap_url[len(http.origin) :] or "/dcap"
        self.state: Sep2State = load_state(store, self._state_key)
        self.clock_offset = ClockOffset(offset_s=self.state.clock_offset_s)
        now = self.server_now()
        timing = config.timing
        self.schedule = Sep2Schedule(
            now=now,
            rates_s={
                Job.WALK: timing.poll_s,
                Job.REFRESH: timing.poll_s,
                Job.TIME: timing.poll_s,
                Job.POST_STATUS: timing.post_s,
                Job.POST_READINGS: timing.post_s,
                Job.FLUSH_OUTBOX: timing.post_s,
                Job.SUBSCRIBE: timing.poll_s,
            },
            backoff=Backoff(
                initial_s=timing.backoff_initial_s,
                max_s=max(timing.backoff_max_s, timing.backoff_initial_s),
            ),
            rng=self._rng,
        )
        last_contact = self.state.last_contact_s
        self.engine = EventEngine(
            self._rng,
            min(now, last_contact) if last_contact is not None else now,
            EngineConfig(
                comms_loss_timeout_s=timing.comms_loss_timeout_s or None,
                comms_loss_limits=None if config.fallback.is_unlimited() else config.fallback,
            ),
        )
        self.view: Sep2View | None = None
        self._announced: tuple[EnvelopeLimits, str] | None = None
        self._effects: deque[SessionEffect] = deque()
        self._wake: Callable[[], None] = _nothing
        self.facts: dict[str, messages.DerFacts] = {}
        self._dirty: set[str] = set()
        """Hrefs a Notification said changed, not fetched again yet."""
        self._refused: set[str] = set()
        """Resources the server refused a subscription to (polled instead)."""
        self._held_mirrors: set[str] = set()
        """Mirrors whose samples stay buffered until the next walk (the server refused)."""

    @property
    def subscriptions(self) -> dict[str, str]:
        """Subscribed resource href -> Subscription href (persisted)."""
        return self.state.subscriptions

    @subscriptions.setter
    def subscriptions(self, value: dict[str, str]) -> None:
        self.state.subscriptions = value
        self._save()

    @property
    def refused(self) -> dict[str, str]:
        """Request path -> why the server refused it for good (shown in :meth:`status`)."""
        return self.state.refused

    @property
    def mirrors(self) -> dict[str, str]:
        """Mirror name -> MirrorUsagePoint href (persisted)."""
        return self.state.mirrors

    def _save(self) -> None:
        save_state(self.store, self.state, self._state_key)

    def server_now(self, local_now: float | None = None) -> float:
        """The server's clock [s since epoch] (at ``local_now``, else at the local clock)."""
        return self.clock_offset.server_now(self._clock() if local_now is None else local_now)

    # -------------------------------------------------------------- lifecycle

    async def start(self, now: float, wake: Callable[[], None]) -> None:
        """Restore the held schedule and start the Notification listener."""
        self._wake = wake
        restored = self._restore_schedule()
        if restored is not None:
            last_contact = self.state.last_contact_s
            last_contact = now if last_contact is None else last_contact
            # Replaying the held schedule at the time it was fetched keeps the comms-loss
            # clock running from the last real contact, not from the restart.
            self.engine.update(restored, min(last_contact, now))
            self.engine.handle_timer(now)
            log.info("restored the held schedule (%d controls)", len(restored.controls))
        if self._listener_ssl is not None and self.config.notifications.enabled:
            self.listener = NotificationListener(
                self._on_notification,
                self._listener_ssl,
                host=self.config.notifications.listen_host,
                port=self.config.notifications.listen_port,
            )
            await self.listener.start()
        else:
            self.schedule.enable(Job.SUBSCRIBE, False)

    async def close(self) -> None:
        """Stop the listener; close HTTP and the store."""
        if self.listener is not None:
            await self.listener.close()
            self.listener = None
        await self.http.aclose()
        self.store.close()

    # ------------------------------------------------------ sans-IO interface

    def next_deadline(self) -> float | None:
        """The earliest due job or engine transition [s since epoch, server clock]."""
        deadlines = [self.schedule.next_deadline(), self.engine.next_deadline()]
        due = [deadline for deadline in deadlines if deadline is not None]
        return min(due) if due else None

    def next_effect(self) -> SessionEffect | None:
        """Pop the oldest effect for the runtime, or None."""
        return self._effects.popleft() if self._effects else None

    def handle_timer(self, now: float) -> None:
        """Run the engine's transitions due at ``now`` and turn its effects into Responses
        to queue and dispatch requests."""
        self.engine.handle_timer(now)
        while (effect := self.engine.next_effect()) is not None:
            if isinstance(effect, EventTransition):
                self._answer(effect, now)
            elif isinstance(effect, EnvelopeChanged):
                if (effect.limits, effect.source) != self._announced:
                    self._announced = (effect.limits, effect.source)
                    log.info("limits now %s (from %s)", _describe(effect.limits), effect.source)
                self._effects.append(LimitsChanged(now))
            elif isinstance(effect, CommsLost):
                log.warning(
                    "no server contact since %.0f: fallback limits apply", effect.last_contact
                )
                self._effects.append(LimitsChanged(now))
            elif isinstance(effect, CommsRestored):
                log.info("server contact restored after %.0f s", effect.offline_s)
                self.schedule.trigger(Job.WALK, now)
                self._effects.append(LimitsChanged(now))

    def handle_reading(self, reading: SiteReading, now: float) -> None:
        """Keep the DER facts for the DER resources and buffer the mirror samples."""
        self.facts = der_facts(reading)
        self.store.add_samples(reading.samples())

    def handle_faults(self, changes: Sequence[FaultChange], now: float) -> None:
        """A LogEvent per device that faulted or recovered."""
        for change in changes:
            if change.message is not None:
                code = messages.LogEventCode.DEVICE_FAULT
                details = f"{change.device}: {change.message}"
            else:
                code = messages.LogEventCode.DEVICE_RECOVERED
                details = f"{change.device} recovered"
            self._log_event(code, details, now)

    def _log_event(self, code: int, details: str, now: float) -> None:
        self.state.log_event_id += 1
        self._save()
        event = messages.log_event(
            code=code, event_id=self.state.log_event_id, details=details, now=now
        )
        self.store.enqueue("log_event", "", codec.encode(event), now)
        self.schedule.trigger(Job.FLUSH_OUTBOX, now)

    def _refusal(self, path: str, exc: Exception, now: float, *, log_event: bool = True) -> None:
        """Record that the server refused ``path`` for good: logged, shown in :meth:`status`
        and reported to the server by a LogEvent (once, until the path succeeds again)."""
        reason = str(exc)
        if self.refused.get(path) == reason:
            return
        log.error("server refused %s for good: %s", path, reason)
        self.refused[path] = reason
        self._save()
        if log_event:
            status = getattr(exc, "status", "")
            self._log_event(messages.LogEventCode.REQUEST_REFUSED, f"{status} {path}", now)

    def _accepted(self, path: str) -> None:
        if self.refused.pop(path, None) is not None:
            log.info("server accepts %s again", path)
            self._save()

    def _answer(self, transition: EventTransition, now: float) -> None:
        response = send_response(transition)
        # The engine's memory of what it answered does not survive a restart; the state's
        # does, so a restarted gateway does not answer a control twice.
        key = f"{response.mrid}:{int(response.status)}"
        if key in self.state.responded:
            return
        self.state.responded.append(key)
        del self.state.responded[:-_RESPONDED_KEPT]
        self._save()
        body = messages.der_control_response(
            reply_to_subject_mrid_hex=response.mrid,
            lfdi_hex=self.identity.lfdi,
            status=response.status,
            now=response.at,
        )
        self.store.enqueue("response", response.reply_to, codec.encode(body), now)
        self.schedule.trigger(Job.FLUSH_OUTBOX, now)

    # ---------------------------------------------------------- network turns

    async def exchange(self, now: float) -> None:
        """Run every job due at ``now`` [s since epoch, server clock]."""
        for job in self.schedule.due(now):
            if job is not Job.WALK and self.view is None:
                continue  # nothing to post to before the first walk
            before_s = self.clock_offset.offset_s
            await self._run_job(job, now)
            now += self.clock_offset.offset_s - before_s  # a Time job may move the clock

    async def flush(self, now: float) -> None:
        """Post the outbox now when something was queued for it."""
        if self.schedule.jobs[Job.FLUSH_OUTBOX].due_at <= now and self.view is not None:
            await self._run_job(Job.FLUSH_OUTBOX, now)

    async def _run_job(self, job: Job, now: float) -> None:
        runner = {
            Job.WALK: self._walk,
            Job.REFRESH: self._refresh,
            Job.TIME: self._time,
            Job.POST_STATUS: self._post_status,
            Job.POST_READINGS: self._post_readings,
            Job.FLUSH_OUTBOX: self._flush_outbox,
            Job.SUBSCRIBE: self._subscribe,
        }[job]
        answered = self.http.answered
        try:
            more = await runner(now)
        except (Sep2ClientError, SepXmlError, EventEngineError) as exc:
            if is_permanent(exc):
                self._refusal(job.value, exc, now)
            delay_s = self.schedule.failed(job, now)
            if isinstance(exc, RegistrationError):
                log.error("%s: %s (retry in %.0f s)", job.value, exc, delay_s)
            elif self.schedule.jobs[job].failures == 1 or isinstance(exc, Sep2HttpStatusError):
                log.warning("%s failed: %s (retrying with backoff)", job.value, exc)
            else:
                log.debug("%s failed again: %s (retry in %.1f s)", job.value, exc, delay_s)
            return
        finally:
            # Contact is the server answering (any status), not a job with nothing to send.
            if self.http.answered != answered:
                self._contact(now)
        self._accepted(job.value)
        self.schedule.succeeded(job, now)
        if more:
            self.schedule.trigger(job, now)

    def _contact(self, now: float) -> None:
        self.engine.note_contact(now)
        self.state.last_contact_s = now
        self._save()

    # -------------------------------------------------------------------- jobs

    async def _walk(self, now: float) -> bool:
        first = self.view is None
        view = await walk(
            self.http,
            self.dcap_href,
            self.identity,
            register_in_band=self.config.register_in_band,
            pin=self.config.pin,
            now=now,
        )
        snapshot = self.snapshot(view.programs, now, answer_rejections=True)
        self.view = view
        self._dirty.clear()  # a full walk fetched everything
        self._held_mirrors.clear()  # mirrors the server refused are tried again per walk
        self.engine.update(snapshot, now)
        self.store.save_schedule(schedule_documents(view.programs), now)
        self.state.end_device_href = view.end_device_href
        self._save()
        self.schedule.set_rate(Job.WALK, view.poll_rate_s)
        self.schedule.set_rate(Job.SUBSCRIBE, view.poll_rate_s)
        post_rate_s = float(view.post_rate_s or self.config.timing.post_s)
        for job in (Job.POST_STATUS, Job.POST_READINGS, Job.FLUSH_OUTBOX):
            self.schedule.set_rate(job, post_rate_s)
        if first:
            log.info(
                "walked %s: EndDevice %s, %d programs, %d controls, pollRate %d s",
                self.dcap_href,
                view.end_device_href,
                len(view.programs),
                len(snapshot.controls),
                view.poll_rate_s,
            )
        if set(view.subscribable) - set(self.subscriptions) - self._refused:
            self.schedule.trigger(Job.SUBSCRIBE, now)
        return False

    async def _refresh(self, now: float) -> bool:
        if self.view is None or not self._dirty:
            return False
        dirty, self._dirty = self._dirty, set()
        try:
            programs = []
            for pv in self.view.programs:
                if program_hrefs(pv.program) & dirty:
                    fresh = await refresh_program(self.http, pv.program)
                    fresh.active_mrids = pv.active_mrids  # until the next full walk
                    pv = fresh
                programs.append(pv)
        except BaseException:
            self._dirty |= dirty  # fetch them at the retry
            raise
        snapshot = self.snapshot(programs, now, answer_rejections=True)
        self.view.programs = programs
        self.engine.update(snapshot, now)
        self.store.save_schedule(schedule_documents(programs), now)
        return False

    async def _time(self, now: float) -> bool:
        assert self.view is not None
        href = self.view.time_href
        if href is None:
            self.schedule.enable(Job.TIME, False)
            return False
        sent_s = self._clock()
        resource = await self.http.get(href, sep.Time)
        received_s = self._clock()
        if self.clock_offset.update(int(resource.currentTime.value), sent_s, received_s):
            self.state.clock_offset_s = self.clock_offset.offset_s
            self._save()
            if self.clock_offset.offset_s:
                log.info("server clock offset %+.0f s", self.clock_offset.offset_s)
        self.schedule.set_rate(Job.TIME, float(resource.pollRate))
        return False

    async def _put_connection_point(self, now: float) -> None:
        """PUT the configured ConnectionPoint where the EndDevice links one (CSIP-AUS),
        once per value (issue 11 item 20)."""
        assert self.view is not None
        wanted = self.config.connection_point_id
        link = getattr(self.view.end_device, "ConnectionPointLink", None)
        if wanted is None or link is None or self.store.get("connection_point") == wanted:
            return
        path = f"PUT {link.href}"
        try:
            await self.http.put(str(link.href), sep.ConnectionPoint(connectionPointId=wanted))
        except Sep2ClientError as exc:
            if not is_permanent(exc):
                raise
            self._refusal(path, exc, now)
            return
        self._accepted(path)
        self.store.put("connection_point", wanted)
        log.info("reported connection point %s", wanted)

    async def _post_status(self, now: float) -> bool:
        assert self.view is not None
        await self._put_connection_point(now)
        if not self.facts or not self.view.ders:
            return False
        facts = [self.facts[name] for name in sorted(self.facts)]
        ders = self.view.ders
        pairs = (
            [(ders[0], messages.aggregate_facts(facts))]
            if len(ders) == 1
            else list(zip(ders, facts, strict=False))
        )
        for der, one in pairs:
            puts: list[tuple[Any, Any]] = [
                (der.DERCapabilityLink, messages.der_capability(one)),
                (der.DERSettingsLink, messages.der_settings(one, set_grad_w=0, now=now)),
                (der.DERStatusLink, messages.der_status(one, now=now)),
                (der.DERAvailabilityLink, messages.der_availability(one, now=now)),
            ]
            for link, resource in puts:
                if link is None:
                    continue
                path = f"PUT {link.href}"
                try:
                    await self.http.put(str(link.href), resource)
                except Sep2ClientError as exc:
                    if not is_permanent(exc):
                        raise
                    self._refusal(path, exc, now)  # the other resources still go
                    continue
                self._accepted(path)
        return False

    async def _mirror_href(
        self, mirror: str, samples: list[readings.MeterSample], now: float
    ) -> str | None:
        """The mirror's href, creating it first; None when the server offers no mirroring.

        Raises
        ------
        Sep2HttpStatusError
            The server refused the creating POST (permanent: the caller holds the samples).
        """
        href = self.mirrors.get(mirror)
        if href is not None:
            return href
        assert self.view is not None
        list_href = self.view.mirror_usage_point_list_href
        if list_href is None:
            return None
        # IEEE 2030.5-2018 §10.11.3: the creating POST carries the MirrorMeterReadings
        # and their ReadingTypes (issue 11 item 18).
        location = await self.http.post(
            list_href,
            readings.mirror_usage_point(
                self.identity.lfdi,
                mirror,
                quantities=readings.quantities_of(samples) or ["power_w"],
                post_rate_s=int(self.schedule.jobs[Job.POST_READINGS].rate_s),
            ),
        )
        if location is None:
            raise Sep2ProtocolError(f"POST {list_href} created a mirror but gave no Location")
        self.mirrors[mirror] = location
        self._save()
        self._accepted(f"mirror {mirror}")
        return location

    async def _post_readings(self, now: float) -> bool:
        assert self.view is not None
        held = {device_of_mirror(mirror) for mirror in self._held_mirrors}
        pending = self.store.pending_samples(_SAMPLE_BATCH, exclude_devices=held)
        by_mirror: dict[str, list[tuple[int, readings.MeterSample]]] = {}
        for sample_id, neutral in pending:
            sample = meter_sample(neutral)
            by_mirror.setdefault(sample.mirror, []).append((sample_id, sample))
        for mirror, entries in by_mirror.items():
            ids = [sample_id for sample_id, _ in entries]
            samples = [s for _, s in entries]
            path = f"mirror {mirror}"
            try:
                href = await self._mirror_href(mirror, samples, now)
                if href is None:
                    self.store.delete_samples(ids)  # the server offers no mirroring
                    continue
                path = f"readings {mirror}"
                await self.http.post(
                    href, readings.mirror_meter_reading_list(self.identity.lfdi, samples)
                )
            except Sep2HttpStatusError as exc:
                if exc.status == 404 and path.startswith("readings"):
                    # The server lost the mirror (e.g. a reset): create it again next time.
                    self.mirrors.pop(mirror, None)
                    self._save()
                    raise
                if not is_permanent(exc):
                    raise
                # Refused for good: keep the samples (none is lost) and hold this mirror
                # until the next walk instead of retrying the same request in a loop.
                self._refusal(path, exc, now)
                self._held_mirrors.add(mirror)
                continue
            self._accepted(path)
            self.store.delete_samples(ids)
        return len(pending) == _SAMPLE_BATCH

    async def _flush_outbox(self, now: float) -> bool:
        assert self.view is not None
        items = self.store.pending_outbox(_OUTBOX_BATCH)
        for item in items:
            target = item.target or self.view.log_event_list_href
            if not target:
                log.warning("dropping a %s: the server gives no place to post it", item.kind)
                self.store.outbox_done(item.id)
                continue
            try:
                await self.http.post_encoded(target, item.body)
            except Sep2HttpStatusError as exc:
                if not is_permanent(exc):
                    self.store.outbox_attempted(item.id)
                    raise
                # A refused LogEvent is not reported by another LogEvent (no loop).
                self._refusal(
                    f"{item.kind} {target}", exc, now, log_event=item.kind != "log_event"
                )
            self.store.outbox_done(item.id)
        return len(items) == _OUTBOX_BATCH

    async def _subscribe(self, now: float) -> bool:
        assert self.view is not None
        if self.listener is None:
            return False
        list_href = self.view.subscription_list_href
        if list_href is None:
            return False
        uri = (
            f"https://{self.config.notifications.advertise_host}:{self.listener.port}"
            f"{_NOTIFY_PATH}"
        )
        wanted = set(self.view.subscribable)
        # Subscriptions made by an earlier run that listened elsewhere (port 0 picks a new
        # port each start) would send Notifications nowhere: replace them.
        stale = self.state.notification_uri not in (None, uri)
        try:
            for resource_href, subscription_href in list(self.subscriptions.items()):
                try:
                    if resource_href in wanted and not stale:
                        await self.http.get(subscription_href, sep.Subscription)
                        continue
                    await self.http.delete(subscription_href)
                except Sep2HttpStatusError as exc:
                    if exc.status != 404:
                        raise
                del self.subscriptions[resource_href]  # gone, unwanted or stale
            self.state.notification_uri = uri
            for resource_href in sorted(wanted - set(self.subscriptions) - self._refused):
                subscription = sep.Subscription(
                    subscribedResource=resource_href,
                    encoding=0,  # 0 = application/sep+xml (sep.xsd Subscription)
                    level="+S1",
                    limit=100,
                    notificationURI=uri,
                )
                try:
                    location = await self.http.post(list_href, subscription)
                except Sep2HttpStatusError as exc:
                    if not is_permanent(exc):
                        raise
                    # Refused for good: poll this one at pollRate instead.
                    self._refusal(f"subscription {resource_href}", exc, now, log_event=False)
                    self._refused.add(resource_href)
                    continue
                if location is not None:
                    self.subscriptions[resource_href] = location
                    log.info("subscribed to %s", resource_href)
        finally:
            self._save()
        return False

    # ----------------------------------------------------------- notifications

    async def _on_notification(self, path: str, body: bytes) -> int:
        if not path.startswith(_NOTIFY_PATH):
            return 404
        try:
            notification = codec.decode(body, sep.Notification)
        except SepXmlError as exc:
            log.warning("bad Notification: %s", exc)
            return 400
        now = self.server_now()
        if notification.status != 0:
            # The server cancelled the subscription (sep.xsd Notification.status).
            self.subscriptions.pop(notification.subscribedResource, None)
            self._save()
            self.schedule.trigger(Job.SUBSCRIBE, now)
        self._contact(now)
        changed = notification.subscribedResource
        known = self.view is not None and any(
            changed in program_hrefs(pv.program) for pv in self.view.programs
        )
        if notification.status == 0 and known:
            # A program's controls or default changed: fetch that program alone, now.
            self._dirty.add(changed)
            self.schedule.trigger(Job.REFRESH, now)
        else:
            # The programs themselves (FSA, program lists) changed: walk the tree.
            self.schedule.trigger(Job.WALK, now)
        self._wake()
        return 204

    # ------------------------------------------------------- the held schedule

    def _rated_power_w(self) -> float | None:
        rated = sum(f.rated_w for f in self.facts.values())
        return rated or None

    def snapshot(
        self, programs: list[ProgramView], now: float, *, answer_rejections: bool
    ) -> ProgramSnapshot:
        """The engine's snapshot of ``programs``; controls that cannot be mapped are
        answered once with the Response status the mapping names (252/253)."""
        mapped = map_snapshot(
            (
                ProgramFetch(program=pv.program, controls=tuple(pv.controls), default=pv.default)
                for pv in programs
            ),
            rated_power_w=self._rated_power_w(),
        )
        if answer_rejections and mapped.rejected:
            answered = set(self.state.rejected_mrids)
            for rejected in mapped.rejected:
                if rejected.mrid in answered or not rejected.reply_to:
                    continue
                log.warning("rejecting control %s: %s", rejected.mrid, rejected.error)
                response = messages.der_control_response(
                    reply_to_subject_mrid_hex=rejected.mrid,
                    lfdi_hex=self.identity.lfdi,
                    status=rejected.error.error_status_hint,
                    now=now,
                )
                self.store.enqueue("response", rejected.reply_to, codec.encode(response), now)
                answered.add(rejected.mrid)
            self.state.rejected_mrids = sorted(answered)
            self._save()
            self.schedule.trigger(Job.FLUSH_OUTBOX, now)
        return mapped.snapshot

    def _restore_schedule(self) -> ProgramSnapshot | None:
        documents, fetched_at = self.store.load_schedule()
        if fetched_at is None:
            return None
        try:
            programs = programs_from_documents(documents)
            return self.snapshot(programs, 0.0, answer_rejections=False)
        except (SepXmlError, KeyError, ValueError, EventEngineError) as exc:
            log.error("the held schedule in the store is unreadable, ignoring it: %s", exc)
            return None

    # ------------------------------------------------------------ inspection

    def status(self) -> dict[str, Any]:
        """The 2030.5 side of the gateway's summary."""
        return {
            "registered": self.view is not None,
            "end_device": self.view.end_device_href if self.view else None,
            "subscriptions": len(self.subscriptions),
            "pending_samples": self.store.sample_count(),
            "pending_outbox": self.store.outbox_count(),
            "refused": dict(self.refused),
        }


def _nothing() -> None:
    pass


def _describe(limits: EnvelopeLimits) -> str:
    parts = [
        f"{name}={getattr(limits, name)}"
        for name in limits.__dataclass_fields__
        if getattr(limits, name) is not None
    ]
    return ", ".join(parts) or "unlimited"
