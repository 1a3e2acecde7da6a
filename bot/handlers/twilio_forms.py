"""The shape of the forms Twilio posts to our webhooks, checked before anything is stored.

Twilio's signature covers the URL followed by every key and value, concatenated in key
order. A captured signed form can therefore be posted again with its fields split
differently (the text of ``NumMedia`` appended to ``MessageSid``, the next key dropped): the
signature still matches, while the message id, and with it the dedupe key, is new. Holding
every field the bot reads, and every field such a split could borrow from, to the shape
Twilio documents refuses those forms; so does any value Twilio never sends (``NumMedia`` =
"²", a 5,000-digit number), which would otherwise reach code that expects Twilio's values.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

# MM: a message with media; SM: any other. Both are the id Twilio gives a message.
MESSAGE_SID = re.compile(r"(SM|MM)[0-9a-f]{32}")
ACCOUNT_SID = re.compile(r"AC[0-9a-f]{32}")
WHATSAPP_ADDRESS = re.compile(r"whatsapp:\+[1-9][0-9]{6,14}")
SMALL_NUMBER = re.compile(r"[0-9]{1,2}")  # NumMedia is at most 10; segments, a few
WORD = re.compile(r"[a-z_-]{1,32}")  # MessageType, SmsStatus, MessageStatus
DIGITS = re.compile(r"[0-9]{1,15}")  # WaId, ErrorCode
DEGREES = re.compile(r"-?[0-9]{1,3}(\.[0-9]{1,20})?")
API_VERSION = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
# Twilio's own limits are far lower; these only keep absurd values out.
MAX_PAYLOAD = 1024
MAX_PROFILE_NAME = 256

COMMON = {
    "MessageSid": MESSAGE_SID,
    "From": WHATSAPP_ADDRESS,
    "To": WHATSAPP_ADDRESS,
    "ApiVersion": API_VERSION,
    "SmsStatus": WORD,
    "ErrorCode": DIGITS,
}
INBOUND = {
    **COMMON,
    "NumMedia": SMALL_NUMBER,
    "NumSegments": SMALL_NUMBER,
    "ReferralNumMedia": SMALL_NUMBER,
    "MessageType": WORD,
    "WaId": DIGITS,
    "Latitude": DEGREES,
    "Longitude": DEGREES,
}
STATUS = {**COMMON, "MessageStatus": WORD}
SAME_AS_MESSAGE_SID = ("SmsMessageSid", "SmsSid")


def inbound_problem(params: Mapping[str, str], account_sid: str) -> str | None:
    """The name of the first field of an incoming-message form that is missing or not
    shaped as Twilio sends it; None when the form is fine."""
    problem = _problem(params, account_sid, INBOUND)
    if problem is not None:
        return problem
    if len(params.get("ButtonPayload", "")) > MAX_PAYLOAD:
        return "ButtonPayload"
    if len(params.get("ProfileName", "")) > MAX_PROFILE_NAME:
        return "ProfileName"
    return None


def status_problem(params: Mapping[str, str], account_sid: str) -> str | None:
    """The same for a status callback, which must say which status it reports."""
    if not (params.get("MessageStatus") or params.get("SmsStatus")):
        return "MessageStatus"
    return _problem(params, account_sid, STATUS)


def _problem(
    params: Mapping[str, str], account_sid: str, shapes: Mapping[str, re.Pattern[str]]
) -> str | None:
    for name in ("MessageSid", "AccountSid", "From", "To"):
        if not params.get(name):
            return name
    account = params["AccountSid"]
    # Our own account's SID is right by definition, whatever it looks like.
    if account != account_sid and not ACCOUNT_SID.fullmatch(account):
        return "AccountSid"
    for name, shape in shapes.items():
        value = params.get(name)
        # The classes above are ASCII ([0-9], not \d): "²" or "٣" is no digit here.
        if value is not None and not shape.fullmatch(value):
            return name
    for name in SAME_AS_MESSAGE_SID:
        if name in params and params[name] != params["MessageSid"]:
            return name
    return None
