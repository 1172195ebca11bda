"""The gateway runtime: the one asyncio adapter that reads the clock.

On every input (a timer, a Notification) it reads the clock once, shifts it to the
server's time (:class:`~openderms.client.sep2.clock.ClockOffset`), runs the 2030.5 jobs
that are due (:class:`~openderms.client.sep2.schedule.Sep2Schedule`), calls
``engine.handle_timer(now)``, drains the engine's effects, dispatches the limits in force
to the site, and re-arms a single timer from the earliest deadline of all of them
(STYLE.md §2, after aioquic's ``QuicConnectionProtocol``).

:meth:`GatewayRuntime.step` is that one pass with ``local_now`` given, so tests can drive
the whole gateway through minutes of virtual time against a real server.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import ssl
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from openderms.certs.identity import DeviceIdentity
from openderms.client.config import GatewayConfig
from openderms.client.envelope import EnvelopeLimits, GridEnvelope
from openderms.client.events import (
    CommsLost,
    CommsRestored,
    EngineConfig,
    EnvelopeChanged,
    EventEngine,
    EventEngineError,
    ProgramSnapshot,
    ResponseStatus,
    SendResponse,
)
from openderms.client.runtime.listener import NotificationListener
from openderms.client.runtime.site import SiteIO
from openderms.client.sep2 import messages, readings
from openderms.client.sep2.clock import ClockOffset
from openderms.client.sep2.errors import (
    RegistrationError,
    RemoteProtocolError,
    Sep2ClientError,
    Sep2HttpStatusError,
    is_permanent,
)
from openderms.client.sep2.http import Sep2Http
from openderms.client.sep2.mapping import ProgramFetch, map_snapshot
from openderms.client.sep2.schedule import Backoff, Job, Sep2Schedule
from openderms.client.sep2.walker import (
    ProgramView,
    Sep2View,
    program_hrefs,
    refresh_program,
    walk,
)
from openderms.client.store import GatewayStore, ScheduleDocument
from openderms.schemas.sep2 import codec
from openderms.schemas.sep2 import models as sep
from openderms.schemas.sep2.errors import SepXmlError

if TYPE_CHECKING:  # the solver stack is imported only when the optimizer is on
    from openderms.client.runtime.optimizer_loop import OptimizerLoop

__all__ = ["GatewayRuntime"]

log = logging.getLogger(__name__)

_SAMPLE_BATCH = 200
_OUTBOX_BATCH = 100
_ENVELOPE_HORIZON_S = 86_400.0
_STEP_ERROR_PAUSE_S = 1.0
"""Pause after a step failed unexpectedly, so a persistent fault cannot spin the loop [s]."""
_MAX_SLEEP_S = 60.0
"""Wake at least this often, so a changed wall clock is noticed [s]."""
_NOTIFY_PATH = "/notify"
_RESPONDED_KEPT = 2000
"""How many (control, status) Responses the store remembers as sent."""


class GatewayRuntime:
    """Runs one site's gateway against one 2030.5 server.

    Parameters
    ----------
    config : GatewayConfig
    identity : DeviceIdentity
        LFDI/SFDI of the gateway's device certificate.
    http : Sep2Http
        The 2030.5 client (owned: closed by :meth:`close`).
    store : GatewayStore
        The local store (owned).
    site : SiteIO
        The devices side (owned).
    listener_ssl : ssl.SSLContext or None
        Server context of the Notification listener; None disables subscriptions.
    clock : callable
        The local clock [s since epoch]; ``time.time`` unless a test drives the runtime.
    rng : random.Random
        Randomness of the event engine and of backoff jitter.
    """

    def __init__(
        self,
        *,
        config: GatewayConfig,
        identity: DeviceIdentity,
        http: Sep2Http,
        store: GatewayStore,
        site: SiteIO,
        listener_ssl: ssl.SSLContext | None = None,
        clock: Callable[[], float] = time.time,
        rng: random.Random | None = None,
    ) -> None:
        if config.dcap_url is None:
            raise ValueError("the DeviceCapability URL must be known (discover it first)")
        self.config = config
        self.identity = identity
        self.http = http
        self.store = store
        self.site = site
        self._clock = clock
        self._rng = rng or random.Random()  # noqa: S311 - jitter and randomizeStart, not secrets
        self._listener_ssl = listener_ssl
        self.listener: NotificationListener | None = None
        self.dcap_href = config.dcap_url[len(http.origin) :] or "/dcap"
        self.clock_offset = ClockOffset(offset_s=float(store.get("clock_offset_s") or 0.0))
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
        last_contact = store.get("last_contact_s")
        self.engine = EventEngine(
            self._rng,
            min(now, float(last_contact)) if last_contact is not None else now,
            EngineConfig(
                comms_loss_timeout_s=timing.comms_loss_timeout_s or None,
                comms_loss_limits=None if config.fallback.is_unlimited() else config.fallback,
            ),
        )
        self.view: Sep2View | None = None
        self.limits: EnvelopeLimits | None = None
        """The limits last dispatched."""
        self.limits_source = ""
        self._announced: tuple[EnvelopeLimits, str] | None = None
        self.facts: dict[str, messages.DerFacts] = {}
        self.faults: dict[str, str] = {}
        """Devices currently faulted, with the last message."""
        self._read_faults: dict[str, str] = {}
        self._apply_faults: dict[str, str] = {}
        self._log_event_id = int(store.get("log_event_id") or 0)
        self._next_sample_at = now
        self._next_dispatch_at = now
        self._dispatch_needed = True
        self._wake = asyncio.Event()
        self._stopping = asyncio.Event()
        self.subscriptions: dict[str, str] = dict(store.get("subscriptions") or {})
        """Subscribed resource href -> Subscription href."""
        self._responded: list[str] = list(store.get("responded") or [])
        self._dirty: set[str] = set()
        """Hrefs a Notification said changed, not fetched again yet."""
        self._refused: set[str] = set()
        """Resources the server refused a subscription to (polled instead)."""
        self.mirrors: dict[str, str] = dict(store.get("mirrors") or {})
        """Mirror name -> MirrorUsagePoint href."""
        self.refused: dict[str, str] = dict(store.get("refused") or {})
        """Request path -> why the server refused it for good (shown in :meth:`status`)."""
        self._held_mirrors: set[str] = set()
        """Mirrors whose samples stay buffered until the next walk (the server refused)."""
        self.steps = 0
        self.on_step: Callable[[GatewayRuntime], None] | None = None
        """Called after every step (the demo and tests watch the gateway through it)."""
        self.optimizer: OptimizerLoop | None = None
        """The optimizer loop following the plan inside the envelope, when enabled."""
        if config.optimizer.enabled:
            from openderms.client.runtime.optimizer_loop import attach_optimizer

            self.optimizer = attach_optimizer(site, config.optimizer, self.engine.envelope)

    # ------------------------------------------------------------------ clock

    def server_now(self, local_now: float | None = None) -> float:
        """The server's clock [s since epoch] (at ``local_now``, else at the local clock)."""
        return self.clock_offset.server_now(self._clock() if local_now is None else local_now)

    # -------------------------------------------------------------- lifecycle

    async def start(self) -> None:
        """Restore the held schedule and start the Notification listener."""
        now = self.server_now()
        restored = self._restore_schedule()
        if restored is not None:
            last_contact = float(self.store.get("last_contact_s") or now)
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
        """Stop the listener and close HTTP, devices and the store."""
        if self.listener is not None:
            await self.listener.close()
            self.listener = None
        await self.http.aclose()
        with contextlib.suppress(Exception):
            await self.site.close()
        self.store.close()

    def stop(self) -> None:
        """Ask :meth:`run` to return (safe from a signal handler)."""
        self._stopping.set()
        self._wake.set()

    def wake(self) -> None:
        """Run a step as soon as possible."""
        self._wake.set()

    async def run(self) -> None:
        """Start, loop until :meth:`stop`, close."""
        await self.start()
        try:
            while not self._stopping.is_set():
                self._wake.clear()
                try:
                    await self.step(self._clock())
                except Exception:  # the gateway must outlive any one bad step
                    log.exception("gateway step failed; carrying on")
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._stopping.wait(), _STEP_ERROR_PAUSE_S)
                    continue
                delay_s = self.seconds_to_next_deadline()
                if delay_s > 0:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._wake.wait(), delay_s)
        finally:
            await self.close()

    def next_deadline(self) -> float:
        """The earliest time anything is due [s since epoch, server clock]."""
        candidates = [self._next_sample_at, self._next_dispatch_at]
        for deadline in (self.schedule.next_deadline(), self.engine.next_deadline()):
            if deadline is not None:
                candidates.append(deadline)
        return min(candidates)

    def seconds_to_next_deadline(self) -> float:
        """How long the one timer sleeps [s], bounded by ``_MAX_SLEEP_S``."""
        if self._dispatch_needed:
            return 0.0
        return min(max(self.next_deadline() - self.server_now(), 0.0), _MAX_SLEEP_S)

    # -------------------------------------------------------------------- step

    async def step(self, local_now: float) -> None:
        """One pass: due jobs, engine timer, effects, site I/O.

        Parameters
        ----------
        local_now : float
            The local clock [s since epoch].
        """
        now = self.clock_offset.server_now(local_now)
        if now >= self._next_sample_at:
            await self._sample(now)
        # What the held schedule says is due goes to the devices before any network I/O:
        # a slow or hung server must not delay the start or end of a control.
        await self._follow_engine(now)
        for job in self.schedule.due(now):
            if job is not Job.WALK and self.view is None:
                continue  # nothing to post to before the first walk
            await self._run_job(job, local_now)
        # Jobs take real time: continue from the clock as it is now (never backwards).
        local_now = max(local_now, self._clock())
        now = self.clock_offset.server_now(local_now)  # TIME may also have moved it
        await self._follow_engine(now)
        if self.schedule.jobs[Job.FLUSH_OUTBOX].due_at <= now and self.view is not None:
            await self._run_job(Job.FLUSH_OUTBOX, local_now)
        self.steps += 1
        if self.on_step is not None:
            self.on_step(self)

    async def _follow_engine(self, now: float) -> None:
        """Engine timer, effects, and a dispatch when the limits changed or one is due."""
        self.engine.handle_timer(now)
        self._drain_effects(now)
        if self._dispatch_needed or now >= self._next_dispatch_at:
            await self._dispatch(now)

    async def _run_job(self, job: Job, local_now: float) -> None:
        now = self.clock_offset.server_now(local_now)
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
            more = await runner(local_now)
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
        self.store.put("last_contact_s", now)

    # -------------------------------------------------------------------- jobs

    async def _walk(self, local_now: float) -> bool:
        now = self.clock_offset.server_now(local_now)
        first = self.view is None
        view = await walk(
            self.http,
            self.dcap_href,
            self.identity,
            register_in_band=self.config.register_in_band,
            pin=self.config.pin,
            now=now,
        )
        snapshot = self._snapshot(view.programs, now, answer_rejections=True)
        self.view = view
        self._dirty.clear()  # a full walk fetched everything
        self._held_mirrors.clear()  # mirrors the server refused are tried again per walk
        self.engine.update(snapshot, now)
        self._save_schedule(view.programs, now)
        self.store.put("end_device_href", view.end_device_href)
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

    async def _refresh(self, local_now: float) -> bool:
        if self.view is None or not self._dirty:
            return False
        now = self.clock_offset.server_now(local_now)
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
        snapshot = self._snapshot(programs, now, answer_rejections=True)
        self.view.programs = programs
        self.engine.update(snapshot, now)
        self._save_schedule(programs, now)
        return False

    async def _time(self, local_now: float) -> bool:
        assert self.view is not None
        href = self.view.time_href
        if href is None:
            self.schedule.enable(Job.TIME, False)
            return False
        sent_s = self._clock()
        resource = await self.http.get(href, sep.Time)
        received_s = self._clock()
        if self.clock_offset.update(int(resource.currentTime.value), sent_s, received_s):
            self.store.put("clock_offset_s", self.clock_offset.offset_s)
            if self.clock_offset.offset_s:
                log.info("server clock offset %+.0f s", self.clock_offset.offset_s)
        self.schedule.set_rate(Job.TIME, float(resource.pollRate))
        return False

    async def _post_status(self, local_now: float) -> bool:
        assert self.view is not None
        now = self.clock_offset.server_now(local_now)
        if not self.facts or not self.view.ders:
            return False
        facts = [self.facts[name] for name in sorted(self.facts)]
        ders = self.view.ders
        pairs = (
            [(ders[0], messages.aggregate_facts(facts))]
            if len(ders) == 1
            else list(zip(ders, facts, strict=False))
        )
        for der, der_facts in pairs:
            puts: list[tuple[Any, Any]] = [
                (der.DERCapabilityLink, messages.der_capability(der_facts)),
                (der.DERSettingsLink, messages.der_settings(der_facts, set_grad_w=0, now=now)),
                (der.DERStatusLink, messages.der_status(der_facts, now=now)),
                (der.DERAvailabilityLink, messages.der_availability(der_facts, now=now)),
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
            raise RemoteProtocolError(f"POST {list_href} created a mirror but gave no Location")
        self.mirrors[mirror] = location
        self.store.put("mirrors", self.mirrors)
        self._accepted(f"mirror {mirror}")
        return location

    async def _post_readings(self, local_now: float) -> bool:
        assert self.view is not None
        now = self.clock_offset.server_now(local_now)
        pending = self.store.pending_samples(_SAMPLE_BATCH, exclude_mirrors=self._held_mirrors)
        by_mirror: dict[str, list[tuple[int, readings.MeterSample]]] = {}
        for sample_id, sample in pending:
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
                    self.store.put("mirrors", self.mirrors)
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

    async def _flush_outbox(self, local_now: float) -> bool:
        assert self.view is not None
        now = self.clock_offset.server_now(local_now)
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

    async def _subscribe(self, local_now: float) -> bool:
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
        stale = self.store.get("notification_uri") not in (None, uri)
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
            self.store.put("notification_uri", uri)
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
                    self._refusal(
                        f"subscription {resource_href}",
                        exc,
                        self.clock_offset.server_now(local_now),
                        log_event=False,
                    )
                    self._refused.add(resource_href)
                    continue
                if location is not None:
                    self.subscriptions[resource_href] = location
                    log.info("subscribed to %s", resource_href)
        finally:
            self.store.put("subscriptions", self.subscriptions)
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
            self.store.put("subscriptions", self.subscriptions)
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
        self.wake()
        return 204

    # ------------------------------------------------------------ engine side

    def _drain_effects(self, now: float) -> None:
        while (effect := self.engine.next_effect()) is not None:
            if isinstance(effect, SendResponse):
                # The engine's memory of what it answered does not survive a restart; the
                # store's does, so a restarted gateway does not answer a control twice.
                key = f"{effect.mrid}:{int(effect.status)}"
                if key in self._responded:
                    continue
                self._responded.append(key)
                del self._responded[:-_RESPONDED_KEPT]
                self.store.put("responded", self._responded)
                response = messages.der_control_response(
                    reply_to_subject_mrid_hex=effect.mrid,
                    lfdi_hex=self.identity.lfdi,
                    status=effect.status,
                    now=effect.at,
                )
                self.store.enqueue("response", effect.reply_to, codec.encode(response), now)
                self.schedule.trigger(Job.FLUSH_OUTBOX, now)
            elif isinstance(effect, EnvelopeChanged):
                if (effect.limits, effect.source) != self._announced:
                    self._announced = (effect.limits, effect.source)
                    log.info("limits now %s (from %s)", _describe(effect.limits), effect.source)
                self._dispatch_needed = True
            elif isinstance(effect, CommsLost):
                log.warning(
                    "no server contact since %.0f: fallback limits apply", effect.last_contact
                )
                self._dispatch_needed = True
            elif isinstance(effect, CommsRestored):
                log.info("server contact restored after %.0f s", effect.offline_s)
                self.schedule.trigger(Job.WALK, now)
                self._dispatch_needed = True

    async def _dispatch(self, now: float) -> None:
        active = self.engine.active(now)
        self.limits, self.limits_source = active.limits, active.source
        self._dispatch_needed = False
        self._next_dispatch_at = now + self.config.timing.dispatch_s
        faults = await self.site.apply(active.limits, now)
        self._apply_faults = {f.device: f.message for f in faults}
        self._update_faults(now)

    async def _sample(self, now: float) -> None:
        self._next_sample_at = now + self.config.timing.sample_s
        reading = await self.site.read(now)
        self.facts = dict(reading.facts)
        if reading.samples:
            self.store.add_samples(reading.samples)
        self._read_faults = {f.device: f.message for f in reading.faults}
        self._update_faults(now)

    def _update_faults(self, now: float) -> None:
        current = {**self._read_faults, **self._apply_faults}
        for device in sorted(set(current) - set(self.faults)):
            log.warning("device %s faulted: %s", device, current[device])
            self._log_event(
                messages.LogEventCode.DEVICE_FAULT, f"{device}: {current[device]}", now
            )
        for device in sorted(set(self.faults) - set(current)):
            log.info("device %s recovered", device)
            self._log_event(messages.LogEventCode.DEVICE_RECOVERED, f"{device} recovered", now)
        self.faults = current

    def _refusal(self, path: str, exc: Exception, now: float, *, log_event: bool = True) -> None:
        """Record that the server refused `path` for good: logged, shown in :meth:`status`
        and reported to the server by a LogEvent (once, until the path succeeds again)."""
        reason = str(exc)
        if self.refused.get(path) == reason:
            return
        log.error("server refused %s for good: %s", path, reason)
        self.refused[path] = reason
        self.store.put("refused", self.refused)
        if log_event:
            status = getattr(exc, "status", "")
            self._log_event(messages.LogEventCode.REQUEST_REFUSED, f"{status} {path}", now)

    def _accepted(self, path: str) -> None:
        if self.refused.pop(path, None) is not None:
            log.info("server accepts %s again", path)
            self.store.put("refused", self.refused)

    def _log_event(self, code: int, details: str, now: float) -> None:
        self._log_event_id += 1
        self.store.put("log_event_id", self._log_event_id)
        event = messages.log_event(
            code=code, event_id=self._log_event_id, details=details, now=now
        )
        self.store.enqueue("log_event", "", codec.encode(event), now)
        self.schedule.trigger(Job.FLUSH_OUTBOX, now)

    # ------------------------------------------------------- the held schedule

    def _rated_power_w(self) -> float | None:
        rated = sum(f.rated_w for f in self.facts.values())
        return rated or None

    def _snapshot(
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
            answered = set(self.store.get("rejected_mrids") or [])
            for rejected in mapped.rejected:
                if rejected.mrid in answered or not rejected.reply_to:
                    continue
                log.warning("rejecting control %s: %s", rejected.mrid, rejected.error)
                response = messages.der_control_response(
                    reply_to_subject_mrid_hex=rejected.mrid,
                    lfdi_hex=self.identity.lfdi,
                    status=ResponseStatus(
                        rejected.error.error_status_hint or ResponseStatus.REJECTED_INVALID
                    ),
                    now=now,
                )
                self.store.enqueue("response", rejected.reply_to, codec.encode(response), now)
                answered.add(rejected.mrid)
            self.store.put("rejected_mrids", sorted(answered))
            self.schedule.trigger(Job.FLUSH_OUTBOX, now)
        return mapped.snapshot

    def _save_schedule(self, programs: list[ProgramView], now: float) -> None:
        documents: list[ScheduleDocument] = []
        for pv in programs:
            documents.append(ScheduleDocument(pv.href, "program", codec.encode(pv.program)))
            documents += [
                ScheduleDocument(pv.href, "control", codec.encode(c)) for c in pv.controls
            ]
            documents += [ScheduleDocument(pv.href, "active", m) for m in sorted(pv.active_mrids)]
            if pv.default is not None:
                documents.append(ScheduleDocument(pv.href, "default", codec.encode(pv.default)))
        self.store.save_schedule(documents, now)

    def _restore_schedule(self) -> ProgramSnapshot | None:
        documents, fetched_at = self.store.load_schedule()
        if fetched_at is None:
            return None
        programs: dict[str, ProgramView] = {}
        try:
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
            return self._snapshot(list(programs.values()), 0.0, answer_rejections=False)
        except (SepXmlError, KeyError, ValueError, EventEngineError) as exc:
            log.error("the held schedule in the store is unreadable, ignoring it: %s", exc)
            return None

    # ------------------------------------------------------------ inspection

    def envelope(self, horizon_s: float = _ENVELOPE_HORIZON_S) -> GridEnvelope:
        """The limits from now over ``horizon_s`` [s], as the engine knows them (what a
        planner such as :mod:`openderms.client.optimizer` plans inside)."""
        return self.engine.envelope(self.server_now(), horizon_s)

    def status(self) -> dict[str, Any]:
        """A summary for logs, the demo and tests."""
        return {
            "registered": self.view is not None,
            "end_device": self.view.end_device_href if self.view else None,
            "limits": self.limits,
            "limits_source": self.limits_source,
            "comms_lost": self.engine.comms_lost,
            "subscriptions": len(self.subscriptions),
            "pending_samples": self.store.sample_count(),
            "pending_outbox": self.store.outbox_count(),
            "faults": dict(self.faults),
            "refused": dict(self.refused),
        }


def _describe(limits: EnvelopeLimits) -> str:
    parts = [
        f"{name}={getattr(limits, name)}"
        for name in limits.__dataclass_fields__
        if getattr(limits, name) is not None
    ]
    return ", ".join(parts) or "unlimited"
