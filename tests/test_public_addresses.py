"""Which addresses the fetcher may connect to, and the resolve-once check (no traffic in this file)."""

from __future__ import annotations

import ipaddress

import pytest

from ingest.public_addresses import BlockedAddress, checked_addresses, is_public_address
from tests.local_http import FakeResolver


@pytest.mark.parametrize(
    "address",
    [
        pytest.param("127.0.0.1", id="loopback"),
        pytest.param("127.8.9.10", id="loopback-range"),
        pytest.param("10.1.2.3", id="10/8"),
        pytest.param("172.16.0.1", id="172.16/12"),
        pytest.param("192.168.1.1", id="192.168/16"),
        pytest.param("169.254.169.254", id="cloud-metadata"),
        pytest.param("100.64.0.1", id="carrier-grade-nat"),
        pytest.param("0.0.0.0", id="unspecified"),
        pytest.param("224.0.0.1", id="multicast"),
        pytest.param("240.0.0.1", id="reserved"),
        pytest.param("255.255.255.255", id="broadcast"),
        pytest.param("192.0.2.1", id="documentation"),
        pytest.param("::1", id="v6-loopback"),
        pytest.param("::", id="v6-unspecified"),
        pytest.param("fe80::1", id="v6-link-local"),
        pytest.param("fd00::1", id="v6-unique-local"),
        pytest.param("fec0::1", id="v6-site-local"),
        pytest.param("ff02::1", id="v6-multicast"),
        pytest.param("::ffff:127.0.0.1", id="v4-mapped-loopback"),
        pytest.param("::ffff:169.254.169.254", id="v4-mapped-metadata"),
        pytest.param("2002:7f00:1::1", id="6to4-of-loopback"),
        pytest.param("64:ff9b::a00:1", id="nat64-of-10.0.0.1"),
        pytest.param("2001:db8::1", id="v6-documentation"),
    ],
)
def test_private_and_reserved_addresses_are_refused(address: str) -> None:
    assert not is_public_address(ipaddress.ip_address(address)), f"{address} must not count as public"


@pytest.mark.parametrize(
    "address",
    ["93.184.216.34", "8.8.8.8", "151.101.1.140", "2606:4700:4700::1111", "::ffff:8.8.8.8", "2002:808:808::1",
     "64:ff9b::808:808"],
)
def test_public_addresses_are_allowed(address: str) -> None:
    assert is_public_address(ipaddress.ip_address(address)), f"{address} is a public address"


def test_every_resolved_address_must_be_public() -> None:
    resolver = FakeResolver({"mixed.test": ["93.184.216.34", "10.0.0.7"]})
    with pytest.raises(BlockedAddress) as caught:
        checked_addresses("mixed.test", 80, resolver, is_public_address)

    assert str(caught.value) == (
        "refusing to fetch from the private or reserved address mixed.test (10.0.0.7); "
        "set NEWSDESK_FETCH_ALLOW_PRIVATE=true to allow it"
    ), f"message was {caught.value!r}"


def test_public_host_resolves_once() -> None:
    resolver = FakeResolver({"news.test": ["93.184.216.34", "2606:2800:220:1::1"]})
    found = checked_addresses("news.test", 443, resolver, is_public_address)

    assert found == ["93.184.216.34", "2606:2800:220:1::1"], "the checked addresses are the ones to connect to"
    assert resolver.asked == ["news.test"], "one lookup: the connection uses its answer, never a second one"


@pytest.mark.parametrize("host", ["127.0.0.1", "::1", "169.254.169.254", "10.0.0.1", "fe80::1%eth0"])
def test_address_literals_are_checked_without_a_lookup(host: str) -> None:
    resolver = FakeResolver({})
    with pytest.raises(BlockedAddress, match=r"^refusing to fetch from the private or reserved address "):
        checked_addresses(host, 80, resolver, is_public_address)
    assert resolver.asked == [], "an address in the URL needs no lookup"


@pytest.mark.parametrize(
    ("table", "message"),
    [
        pytest.param({}, "cannot resolve host name 'gone.test'", id="unknown-host"),
        pytest.param({"gone.test": []}, "cannot resolve host name 'gone.test'", id="no-addresses"),
        pytest.param({"gone.test": ["not-an-ip"]}, "'gone.test' resolved to something that is not an address",
                     id="junk"),
    ],
)
def test_resolution_failures_are_one_line(table: dict[str, list[str]], message: str) -> None:
    with pytest.raises(BlockedAddress) as caught:
        checked_addresses("gone.test", 80, FakeResolver(table), is_public_address)
    assert str(caught.value) == message, f"message was {caught.value!r}"
