from __future__ import annotations

import socket

import pytest

from aigym_platform.devstack.ports import free_port, port_is_open, wait_for_port


def test_free_port_can_be_bound_on_localhost() -> None:
    port = free_port()
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", port))


def test_wait_for_port_returns_once_something_listens() -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        wait_for_port("127.0.0.1", port, timeout=2.0)
        assert port_is_open("127.0.0.1", port)


def test_wait_for_port_names_the_address_when_it_times_out() -> None:
    port = free_port()
    with pytest.raises(TimeoutError, match=f"127.0.0.1:{port}"):
        wait_for_port("127.0.0.1", port, timeout=0.2)
