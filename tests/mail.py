"""A real SMTP server for the tests that send mail (aiosmtpd, on 127.0.0.1).

The app sends through Django's SMTP backend, as production does with EMAIL_URL,
and the test reads what arrived: no mocked mail, no in-memory outbox.
"""

from __future__ import annotations

import email
import email.policy
import logging
import re
import socket
import time
from dataclasses import dataclass, field
from email.message import EmailMessage

from aiosmtpd.controller import Controller


@dataclass
class Inbox:
    """Every message the server accepted, parsed, in arrival order."""

    messages: list[EmailMessage] = field(default_factory=list)

    async def handle_DATA(self, server, session, envelope) -> str:  # aiosmtpd's handler hook
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        message["X-Envelope-To"] = ", ".join(envelope.rcpt_tos)
        self.messages.append(message)
        return "250 Message accepted"

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if address.lower() in m["X-Envelope-To"].lower()]

    def wait_for(self, address: str, *, count: int = 1, timeout: float = 5) -> list[EmailMessage]:
        """The messages to `address` once `count` have arrived (the server is another thread)."""
        deadline = time.monotonic() + timeout
        while len(self.to(address)) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        return self.to(address)


def body(message: EmailMessage) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def link_in(message: EmailMessage) -> str:
    """The first http(s) link of the message's text, as a path (the test client's)."""
    url = re.search(r"https?://\S+", body(message)).group(0)
    return re.sub(r"^https?://[^/]+", "", url)


# aiosmtpd logs every connection at INFO.
logging.getLogger("mail.log").setLevel(logging.WARNING)


def _free_port() -> int:
    # aiosmtpd connects to its own port to see it is up, so port 0 will not do.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_smtp_server() -> tuple[Controller, Inbox]:
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=_free_port())
    controller.start()
    return controller, inbox
