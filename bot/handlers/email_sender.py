"""E-mail to operators over SMTP (aiosmtplib): a plain-text and an HTML body, and the
appointments' calendar files attached.

Failures are told to the dispatcher in the terms every channel uses (bot/channels.py), so the
outbox's retries and backoff apply: a server that cannot be reached, drops the connection,
times out or answers 4xx is Unavailable; a 5xx refusal of the recipient is Blocked (trying
again would not change it); any other 5xx is SendFailed. Messages say the SMTP code only,
never an address.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

import aiosmtplib

from bot.channels import Blocked, SendFailed, Unavailable
from bot.domain import Attachment
from bot.settings import Smtp

# Connecting, each command and the whole DATA: a mail server that stalls holds its lane for
# at most this long, well inside the dispatcher's backstop.
SMTP_TIMEOUT = 20.0
URL = re.compile(r"https://[^\s<>\"]+")


@dataclass(frozen=True)
class Mail:
    to: str
    subject: str
    text: str
    attachments: tuple[Attachment, ...] = ()


def html_body(text: str) -> str:
    """The plain text as simple HTML: paragraphs, line breaks, links that can be clicked."""
    paragraphs = []
    for block in text.split("\n\n"):
        escaped = html.escape(block)
        linked = URL.sub(lambda m: f'<a href="{m.group(0)}">{m.group(0)}</a>', escaped)
        paragraphs.append("<p>" + linked.replace("\n", "<br>\n") + "</p>")
    body = "\n".join(paragraphs)
    return (
        '<!DOCTYPE html>\n<html lang="it"><head><meta charset="utf-8"></head>\n'
        f'<body style="font-family: sans-serif">\n{body}\n</body></html>\n'
    )


def build_message(mail: Mail, sender: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = mail.to
    message["Subject"] = mail.subject
    message["Date"] = formatdate(localtime=False, usegmt=True)
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2])
    message.set_content(mail.text)
    message.add_alternative(html_body(mail.text), subtype="html")
    for attachment in mail.attachments:
        maintype, _, subtype = attachment.mime_type.partition("/")
        message.add_attachment(
            attachment.content, maintype=maintype, subtype=subtype, filename=attachment.filename
        )
    return message


class EmailSender:
    def __init__(self, smtp: Smtp, *, timeout: float = SMTP_TIMEOUT) -> None:
        self.smtp = smtp
        self.timeout = timeout

    async def send(self, mail: Mail) -> None:
        message = build_message(mail, self.smtp.sender)
        try:
            await aiosmtplib.send(
                message,
                hostname=self.smtp.host,
                port=self.smtp.port,
                username=self.smtp.user,
                password=self.smtp.password,
                start_tls=self.smtp.starttls,
                timeout=self.timeout,
            )
        except aiosmtplib.SMTPRecipientsRefused as exc:
            codes = sorted({refused.code for refused in exc.recipients})
            error = _refused(codes)
            raise error from None
        except aiosmtplib.SMTPResponseException as exc:
            if exc.code >= 500:
                raise SendFailed(f"SMTP server refused the message ({exc.code})") from None
            raise Unavailable(f"SMTP server answered {exc.code}") from None
        except (aiosmtplib.SMTPException, OSError) as exc:
            # Refused or dropped connections, timeouts, TLS failures: all said by class name,
            # since the library's texts can carry the server's words about the recipient.
            raise Unavailable(f"SMTP server unusable ({type(exc).__name__})") from None


def _refused(codes: list[int]) -> SendFailed:
    text = ", ".join(str(code) for code in codes)
    if codes and all(code >= 500 for code in codes):
        return Blocked(f"SMTP server refused the recipient ({text})")
    return Unavailable(f"SMTP server deferred the recipient ({text})")
