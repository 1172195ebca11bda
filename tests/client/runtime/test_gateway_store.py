"""The gateway's SQLite store keeps what a restart or a comms loss must not lose."""

from __future__ import annotations

from pathlib import Path

import pytest

from openderms.client.readings import Sample
from openderms.client.store import GatewayStore, ScheduleDocument, StoreError


def test_schedule_survives_reopening(tmp_path: Path) -> None:
    path = tmp_path / "gw.sqlite"
    store = GatewayStore.open(path)
    docs = [
        ScheduleDocument("/derp/1", "program", b"<DERProgram/>"),
        ScheduleDocument("/derp/1", "control", b"<DERControl>1</DERControl>"),
        ScheduleDocument("/derp/1", "control", b"<DERControl>2</DERControl>"),
    ]
    store.save_schedule(docs, fetched_at=123.0)
    store.close()

    reopened = GatewayStore.open(path)
    loaded, fetched_at = reopened.load_schedule()
    assert loaded == docs
    assert fetched_at == 123.0


def test_saving_a_schedule_replaces_the_old_one(tmp_path: Path) -> None:
    store = GatewayStore.open(tmp_path / "gw.sqlite")
    store.save_schedule([ScheduleDocument("/a", "program", b"1")], fetched_at=1.0)
    store.save_schedule([ScheduleDocument("/b", "program", b"2")], fetched_at=2.0)
    assert store.load_schedule() == ([ScheduleDocument("/b", "program", b"2")], 2.0)


def test_unposted_samples_survive_reopening_in_order(tmp_path: Path) -> None:
    path = tmp_path / "gw.sqlite"
    store = GatewayStore.open(path)
    samples = [Sample(device=None, time_s=float(t), power_w=t * 10.0) for t in range(5)]
    store.add_samples(samples)
    first_two = store.pending_samples(2)
    store.delete_samples(i for i, _ in first_two)
    store.close()

    reopened = GatewayStore.open(path)
    assert [s for _, s in reopened.pending_samples(10)] == samples[2:]
    assert reopened.sample_count() == 3


def test_sample_buffer_is_bounded_dropping_oldest(tmp_path: Path) -> None:
    store = GatewayStore.open(tmp_path / "gw.sqlite", max_samples=3)
    dropped = store.add_samples(Sample(device=None, time_s=float(t)) for t in range(5))
    assert dropped == 2
    assert [s.time_s for _, s in store.pending_samples(10)] == [2.0, 3.0, 4.0]


def test_outbox_keeps_order_and_counts_attempts(tmp_path: Path) -> None:
    store = GatewayStore.open(tmp_path / "gw.sqlite")
    first = store.enqueue("response", "/rsps/1/rsp", b"<a/>", now=1.0)
    store.enqueue("log_event", "", b"<b/>", now=2.0)
    store.outbox_attempted(first)
    items = store.pending_outbox(10)
    assert [(i.kind, i.target, i.body, i.attempts) for i in items] == [
        ("response", "/rsps/1/rsp", b"<a/>", 1),
        ("log_event", "", b"<b/>", 0),
    ]
    store.outbox_done(first)
    assert store.outbox_count() == 1


def test_small_facts_are_json_and_none_deletes(tmp_path: Path) -> None:
    store = GatewayStore.open(tmp_path / "gw.sqlite")
    store.put("mirrors", {"site": "/mup/3"})
    assert store.get("mirrors") == {"site": "/mup/3"}
    store.put("mirrors", None)
    assert store.get("mirrors") is None


def test_unopenable_store_raises_store_error(tmp_path: Path) -> None:
    with pytest.raises(StoreError):
        GatewayStore.open(tmp_path / "missing-dir" / "gw.sqlite")


def test_store_of_an_earlier_gateway_is_read_and_migrated(tmp_path: Path) -> None:
    """A store written before samples were protocol-neutral and the 2030.5 session's
    state was one document: its mirror-named samples and loose keys are kept."""
    import json
    import sqlite3

    from openderms.client.sep2.state import STATE_KEY, load_state
    from openderms.client.store.sqlite import _MIGRATIONS

    path = tmp_path / "old.sqlite"
    db = sqlite3.connect(path)
    db.executescript(_MIGRATIONS[0])
    db.execute("PRAGMA user_version = 1")
    for mirror, t in (("site", 1.0), ("der:pv", 2.0)):
        body = {"mirror": mirror, "time_s": t, "power_w": 10.0 * t}
        db.execute(
            "INSERT INTO samples (mirror, time_s, body) VALUES (?, ?, ?)",
            (mirror, t, json.dumps(body)),
        )
    for key, value in (("last_contact_s", 123.0), ("mirrors", {"site": "/mup/1"})):
        db.execute("INSERT INTO kv (key, value) VALUES (?, ?)", (key, json.dumps(value)))
    db.commit()
    db.close()

    store = GatewayStore.open(path)
    samples = [s for _, s in store.pending_samples(10)]
    state = load_state(store)

    assert samples == [
        Sample(device=None, time_s=1.0, power_w=10.0),
        Sample(device="pv", time_s=2.0, power_w=20.0),
    ]
    assert [s.device for _, s in store.pending_samples(10, exclude_devices=[None])] == ["pv"]
    assert (state.last_contact_s, state.mirrors) == (123.0, {"site": "/mup/1"})
    assert store.get("last_contact_s") is None  # moved into the one document
    assert store.get(STATE_KEY)["mirrors"] == {"site": "/mup/1"}


def test_each_named_session_keeps_its_own_state(tmp_path: Path) -> None:
    """An aggregator's EndDevice sessions share a store but not their state; only the
    default 2030.5 session takes over an older store's loose keys."""
    from openderms.client.sep2.state import Sep2State, load_state, save_state, state_key

    store = GatewayStore.open(tmp_path / "gw.sqlite")
    store.put("last_contact_s", 5.0)  # a loose key of an older gateway
    save_state(store, Sep2State(end_device_href="/edev/7"), state_key("sep2:edev-7"))

    assert load_state(store, state_key("sep2:edev-7")).end_device_href == "/edev/7"
    assert load_state(store, state_key("sep2:edev-8")) == Sep2State()
    assert load_state(store).last_contact_s == 5.0
