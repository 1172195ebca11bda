"""The sans-IO pieces of the 2030.5 client: paging, clock offset, job schedule, backoff."""

from __future__ import annotations

import random

import pytest

from openderms.client.sep2.clock import ClockOffset, offset_from_time
from openderms.client.sep2.discovery import DiscoveryError, dcap_url_from_service
from openderms.client.sep2.http import Sep2Http, origin_of
from openderms.client.sep2.paging import list_items, page_href, pages_complete
from openderms.client.sep2.schedule import Backoff, Job, Sep2Schedule
from openderms.schemas.sep2 import models as sep


def test_page_href_sets_start_and_limit_keeping_other_query() -> None:
    """Lists take s (start) and l (limit) query parameters (IEEE 2030.5 §5.4)."""
    assert page_href("/derp/1/derc", 0, 10) == "/derp/1/derc?s=0&l=10"
    assert page_href("/derp/1/derc?a=5&s=3", 20, 10) == "/derp/1/derc?a=5&s=20&l=10"


def test_page_href_rejects_nonsense() -> None:
    with pytest.raises(ValueError):
        page_href("/x", -1, 10)
    with pytest.raises(ValueError):
        page_href("/x", 0, 0)


def test_paging_stops_when_all_fetched_or_page_empty() -> None:
    assert not pages_complete(fetched=10, page_results=10, total=25)
    assert pages_complete(fetched=25, page_results=5, total=25)
    # A server whose list shrank while we paged returns an empty page: stop, don't loop.
    assert pages_complete(fetched=10, page_results=0, total=25)


def test_list_items_reads_the_items_element_of_any_list() -> None:
    program_list = sep.DERProgramList(all=0, results=0)
    assert list_items(program_list) == []
    with pytest.raises(TypeError):
        list_items(sep.Time)


def test_clock_offset_uses_round_trip_midpoint() -> None:
    """The server read its clock between send and receive; the midpoint halves the error,
    and a truncated currentTime is half a second early on average."""
    assert offset_from_time(1_000_100, sent_s=1_000_000.0, received_s=1_000_002.0) == 99.5


def test_clock_offset_below_resolution_is_zero() -> None:
    """currentTime has one-second resolution: sub-second offsets are quantisation."""
    assert offset_from_time(1_000_000, sent_s=1_000_000.2, received_s=1_000_000.6) == 0.0


@pytest.mark.parametrize("true_s", [1_000_000.0, 1_000_000.3, 1_000_000.7, 1_000_000.99])
def test_same_clock_server_gives_no_offset_whatever_the_fraction(true_s: float) -> None:
    """A server on the same clock truncates its time; that is no skew (no ±1 s jitter)."""
    assert offset_from_time(int(true_s), sent_s=true_s - 0.2, received_s=true_s + 0.2) == 0.0


def test_clock_offset_ignores_slow_round_trip() -> None:
    clock = ClockOffset(offset_s=5.0, max_round_trip_s=2.0)
    assert not clock.update(2_000_000, sent_s=1_000_000.0, received_s=1_000_010.0)
    assert clock.offset_s == 5.0
    assert clock.update(1_000_020, sent_s=1_000_000.0, received_s=1_000_000.5)
    assert clock.server_now(1_000_000.0) == pytest.approx(1_000_020.25)


def test_backoff_grows_exponentially_and_is_bounded() -> None:
    backoff = Backoff(initial_s=1.0, max_s=60.0, factor=2.0, jitter=0.0)
    rng = random.Random(1)
    assert [backoff.delay(n, rng) for n in range(1, 9)] == [1, 2, 4, 8, 16, 32, 60, 60]
    assert backoff.delay(10_000, rng) == 60.0


def test_backoff_jitter_stays_within_its_fraction() -> None:
    backoff = Backoff(initial_s=10.0, max_s=10.0, jitter=0.5)
    rng = random.Random(7)
    delays = [backoff.delay(1, rng) for _ in range(200)]
    assert all(5.0 <= d <= 10.0 for d in delays)
    assert len(set(delays)) > 100  # gateways spread out instead of retrying in step


def test_every_job_is_due_at_start_then_at_its_rate() -> None:
    schedule = Sep2Schedule(now=100.0, rates_s={Job.WALK: 30.0, Job.POST_READINGS: 60.0})
    assert schedule.due(100.0) == list(Job)
    schedule.succeeded(Job.WALK, 100.0)
    assert Job.WALK not in schedule.due(129.0)
    assert Job.WALK in schedule.due(130.0)


def test_server_set_poll_rate_counts_from_last_success() -> None:
    schedule = Sep2Schedule(now=0.0, rates_s={Job.WALK: 900.0})
    schedule.succeeded(Job.WALK, 10.0)
    schedule.set_rate(Job.WALK, 60.0)
    assert schedule.jobs[Job.WALK].due_at == 70.0


def test_failure_backs_off_and_success_resets() -> None:
    schedule = Sep2Schedule(
        now=0.0,
        rates_s={Job.WALK: 900.0},
        backoff=Backoff(initial_s=2.0, max_s=100.0, jitter=0.0),
    )
    assert schedule.failed(Job.WALK, 0.0) == 2.0
    assert schedule.failed(Job.WALK, 2.0) == 4.0
    assert schedule.jobs[Job.WALK].due_at == 6.0
    schedule.succeeded(Job.WALK, 6.0)
    assert schedule.jobs[Job.WALK].failures == 0
    assert schedule.jobs[Job.WALK].due_at == 906.0


def test_backoff_never_exceeds_the_jobs_own_rate() -> None:
    """A job that polls every 5 s is not made to wait minutes after an error."""
    schedule = Sep2Schedule(
        now=0.0, rates_s={Job.WALK: 5.0}, backoff=Backoff(initial_s=1.0, max_s=300.0, jitter=0)
    )
    for _ in range(10):
        delay = schedule.failed(Job.WALK, 0.0)
    assert delay == 5.0


def test_trigger_does_not_defeat_backoff() -> None:
    """A notification during an outage must not turn backoff into a tight retry loop."""
    schedule = Sep2Schedule(
        now=0.0, rates_s={Job.WALK: 900.0}, backoff=Backoff(initial_s=10.0, jitter=0.0)
    )
    schedule.failed(Job.WALK, 0.0)
    schedule.trigger(Job.WALK, 1.0)
    assert schedule.jobs[Job.WALK].due_at == 10.0
    schedule.succeeded(Job.WALK, 10.0)
    schedule.trigger(Job.WALK, 11.0)
    assert schedule.jobs[Job.WALK].due_at == 11.0


def test_disabled_job_is_never_due_and_sets_no_deadline() -> None:
    schedule = Sep2Schedule(now=0.0, rates_s={})
    for job in Job:
        schedule.enable(job, False)
    assert schedule.due(1e12) == []
    assert schedule.next_deadline() is None


def test_dns_sd_txt_record_gives_the_dcap_url() -> None:
    """TXT keys dcap (path) and https (port) of _smartenergy._tcp (IEEE 2030.5 §6.1)."""
    url = dcap_url_from_service("192.0.2.7", 80, {b"dcap": b"/sep2/dcap", b"https": b"8443"})
    assert url == "https://192.0.2.7:8443/sep2/dcap"
    assert (
        dcap_url_from_service("fe80::1", 443, {b"dcap": b"/dcap"}) == "https://[fe80::1]:443/dcap"
    )


def test_dns_sd_record_without_dcap_path_is_refused() -> None:
    with pytest.raises(DiscoveryError):
        dcap_url_from_service("192.0.2.7", 443, {b"https": b"443"})


def test_absolute_location_is_kept_relative_to_the_server() -> None:
    """Servers may answer POST with an absolute Location; hrefs stay server-relative."""
    http = Sep2Http("https://192.0.2.1:8443", None)
    assert http._relative("https://192.0.2.1:8443/mup/3") == "/mup/3"
    assert http._relative("/mup/3") == "/mup/3"


def test_origin_is_scheme_and_authority_of_the_dcap_url() -> None:
    assert origin_of("https://utility.example:8443/sep2/dcap") == "https://utility.example:8443"
    with pytest.raises(ValueError):
        origin_of("/dcap")
