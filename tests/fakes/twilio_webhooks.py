"""The forms Twilio POSTs to our webhooks, field for field as Twilio sends them for WhatsApp.

:meth:`tests.fakes.twilio_api.FakeTwilio.inbound_params` and
:meth:`~tests.fakes.twilio_api.FakeTwilio.status_params` fill them in with the fake's account
and sender.
"""

from __future__ import annotations

from typing import Final

from tests.fakes.twilio_wire import API_VERSION, bare

_CHANNEL_INSTALL_SID: Final = "XE" + "0" * 30 + "42"


def inbound_form(
    *,
    account_sid: str,
    sender: str,
    from_number: str,
    sid: str,
    body: str | None,
    profile_name: str | None,
    extra: dict[str, str],
) -> dict[str, str]:
    """The incoming-message form; ``profile_name=None`` leaves ``ProfileName`` out."""
    number = bare(from_number)
    params = {
        "SmsMessageSid": sid,
        "NumMedia": "0",
        "ProfileName": profile_name or "",
        "MessageType": "text",
        "SmsSid": sid,
        "WaId": number.lstrip("+"),
        "SmsStatus": "received",
        "Body": body or "",
        "To": sender,
        "NumSegments": "1",
        "ReferralNumMedia": "0",
        "MessageSid": sid,
        "AccountSid": account_sid,
        "From": f"whatsapp:{number}",
        "ApiVersion": API_VERSION,
    }
    if profile_name is None:
        del params["ProfileName"]
    params.update(extra)
    return params


def status_form(
    *,
    account_sid: str,
    sender: str,
    message_sid: str,
    status: str,
    recipient: str,
    error_code: str | None,
    extra: dict[str, str],
) -> dict[str, str]:
    """The status-callback form for the message ``message_sid`` sent to ``recipient``."""
    number = bare(recipient)
    params = {
        "ChannelPrefix": "whatsapp",
        "ApiVersion": API_VERSION,
        "MessageStatus": status,
        "SmsSid": message_sid,
        "SmsStatus": status,
        "ChannelInstallSid": _CHANNEL_INSTALL_SID,
        "To": f"whatsapp:{number}",
        "From": sender,
        "MessageSid": message_sid,
        "StructuredMessage": "false",
        "AccountSid": account_sid,
        "ChannelToAddress": number[:-4] + "XXXX",
    }
    if error_code is not None:
        params["ErrorCode"] = error_code
    params.update(extra)
    return params
