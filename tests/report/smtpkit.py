"""A real SMTP server for delivery tests: aiosmtpd on 127.0.0.1 and a free port, keeping every
message it accepts (one helper for the conftest fixture and the tests that need their own server)."""
from __future__ import annotations

import socket


class Inbox:
    """aiosmtpd handler: `messages` holds (mail_from, rcpt_tos, raw bytes) of each accepted message."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], bytes]] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802  (aiosmtpd's hook name)
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        self.accepted()
        return "250 OK"

    def accepted(self) -> None:
        """Called after a message is kept, before the 250 reply (tests override it)."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_inbox(inbox: Inbox | None = None):
    """(controller, inbox, port) of a started server; the caller stops the controller."""
    from aiosmtpd.controller import Controller

    inbox = inbox or Inbox()
    port = free_port()
    ctl = Controller(inbox, hostname="127.0.0.1", port=port)
    ctl.start()
    return ctl, inbox, port


def smtp_conn_uri(port: int) -> str:
    """An Airflow SMTP Connection URI for the local server (no TLS, one try)."""
    return f"smtp://127.0.0.1:{port}?disable_tls=true&disable_ssl=true&timeout=10&retry_limit=1"
