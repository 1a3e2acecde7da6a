"""Fuzz 2: WhatsApp webhook form bodies posted to the ASGI app (see tests/fuzz_support.py)."""

from __future__ import annotations

import random
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qsl, urlencode

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.clock import ManualClock
from bot.handlers.whatsapp import INBOUND_PATH, STATUS_PATH
from tests.fuzz_support import (
    CHECK_EVERY,
    NUMBERS,
    ON_POSTGRESQL,
    PUBLIC,
    SETTINGS,
    START,
    WHATSAPP_EXAMPLES,
    WHATSAPP_MINIMUM,
    WHATSAPP_POSTS,
    any_text,
    apologies,
    check_invariants,
    database_of,
    driver,
    forged_data,
    logged_errors,
    mutate,
    plain_text,
    weighted,
)
from tests.fuzz_web import (
    Web,
    web_app,
)

pytestmark = pytest.mark.slow


ERASE = re.compile(r"^\s*/(cancella|delete)\b", re.IGNORECASE)
FIELDS = (
    "Body",
    "From",
    "To",
    "MessageSid",
    "SmsMessageSid",
    "SmsSid",
    "AccountSid",
    "NumMedia",
    "MessageType",
    "ButtonPayload",
    "ButtonText",
    "ProfileName",
    "WaId",
    "Latitude",
    "Longitude",
    "MediaContentType0",
    "MediaUrl0",
    "NumSegments",
    "ApiVersion",
    "MessageStatus",
    "SmsStatus",
    "ErrorCode",
)


@dataclass(frozen=True)
class FormSpec:
    path: str
    base: str  # "inbound": a real Twilio form to mutate; "status"; "empty"
    number: int
    body: str
    changes: dict[str, str]
    dropped: list[str]
    signature: str  # valid | absent | wrong | other_url | tampered
    content_type: str
    raw: bytes | None  # a raw body instead of the form
    mutants: int  # byte-level mutants posted after it, with its headers or signed anew
    seed: int


field_values = weighted(
    (2, any_text),
    (
        1,
        st.sampled_from(
            (
                "whatsapp:+393331110001",
                "whatsapp:+39",
                "whatsapp:",
                "+393331110002",
                "whatsapp:+999",
                "whatsapp:+1 (202) 555-0123",
                "SM" + "0" * 32,
                "image",
                "button",
                "location",
                "text",
                "1",
                "0",
                "-1",
                "9" * 30,
                "43.84",
                "delivered",
                "read",
                "failed",
                "undelivered",
                "63016",
                "63014",
                "21610",
            )
        ),
    ),
    (1, forged_data),
)
form_specs = st.builds(
    FormSpec,
    path=st.sampled_from((INBOUND_PATH, INBOUND_PATH, INBOUND_PATH, STATUS_PATH)),
    base=st.sampled_from(("inbound", "inbound", "status", "empty")),
    number=st.integers(0, len(NUMBERS) - 1),
    body=any_text,
    changes=weighted(
        (2, st.just({})),
        (2, st.dictionaries(st.sampled_from(FIELDS), field_values, max_size=1)),
        (1, st.dictionaries(st.one_of(st.sampled_from(FIELDS), plain_text), field_values)),
    ),
    dropped=weighted((3, st.just([])), (1, st.lists(st.sampled_from(FIELDS), max_size=3))),
    signature=st.sampled_from(("valid", "valid", "absent", "wrong", "other_url")),
    content_type=st.sampled_from(
        ("application/x-www-form-urlencoded",) * 12
        + ("application/x-www-form-urlencoded; charset=utf-8", "application/json", "text/plain", "")
    ),
    raw=weighted(
        (20, st.none()),
        (1, st.binary(max_size=300)),
        (1, st.just(b"Body=%ff%fe&From=whatsapp%3A%2B393331110001")),
        (1, st.just(b"=&&==&%%%")),
    ),
    mutants=st.integers(0, 4),
    seed=st.integers(0, 2**32),
)


@dataclass
class WhatsAppFuzz:
    web: Web
    sids: list[str] = field(default_factory=list)
    valid_posts: int = 0
    mutants: int = 0

    @staticmethod
    def _no_erasure(params: dict[str, str]) -> dict[str, str]:
        """Erasing on WhatsApp is a known bug (test_erasure_is_confirmed_on_whatsapp): the
        fuzz leaves the command out."""
        return {k: "/aiuto" if ERASE.match(v) else v for k, v in params.items()}

    def _params(self, spec: FormSpec) -> dict[str, str]:
        fake = self.web.twilio
        number = NUMBERS[spec.number]
        if spec.base == "inbound":
            params = fake.inbound_params(number, spec.body)
            self.sids.append(params["MessageSid"])
        elif spec.base == "status":
            sid = self.sids[spec.number % len(self.sids)] if self.sids else "SM" + "1" * 32
            params = fake.status_params(sid, "delivered", to=number)
        else:
            params = {}
        for name in spec.dropped:
            params.pop(name, None)
        params.update(spec.changes)
        return self._no_erasure(params)

    async def post(self, spec: FormSpec) -> None:
        fake = self.web.twilio
        params = self._params(spec)
        if spec.raw is not None:
            body = spec.raw
            try:
                signed = dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
            except (UnicodeDecodeError, ValueError):
                signed = {}
            if self._no_erasure(signed) != signed:
                return
        else:
            body = urlencode(params).encode("utf-8", "surrogatepass")
            signed = params
        headers = {"Content-Type": spec.content_type} if spec.content_type else {}
        url = PUBLIC + spec.path
        if spec.signature == "valid":
            headers["X-Twilio-Signature"] = fake.sign(url, signed)
        elif spec.signature == "wrong":
            headers["X-Twilio-Signature"] = "bm90IGEgc2lnbmF0dXJl"
        elif spec.signature == "other_url":
            headers["X-Twilio-Signature"] = fake.sign("http://internal" + spec.path, signed)
        status = await self.web.post(spec.path, body, headers)
        if status == 200:
            self.valid_posts += 1
        rng = random.Random(spec.seed)
        for _ in range(spec.mutants):
            mutant = mutate(body, rng)
            if "X-Twilio-Signature" in headers and rng.random() < 0.15:
                try:  # a valid signature on whatever the mutant parses to
                    parsed = dict(parse_qsl(mutant.decode("utf-8"), keep_blank_values=True))
                except (UnicodeDecodeError, ValueError):
                    parsed = None
                if parsed is not None and self._no_erasure(parsed) == parsed:
                    headers = {**headers, "X-Twilio-Signature": fake.sign(url, parsed)}
            await self.web.post(spec.path, mutant, headers)
            self.mutants += 1


def test_whatsapp_webhook_bodies(
    tmp_path: Path, backend: str, request: pytest.FixtureRequest
) -> None:
    clock = ManualClock(START)
    started = time.perf_counter()
    database = database_of(tmp_path, "web.db", backend, request)
    with driver() as run, logged_errors() as errors:
        web = run.enter(web_app(tmp_path, clock, database))
        fuzz = WhatsAppFuzz(web)
        max_active = web.app.settings.agenda.rules.max_active_per_person
        examples = 0

        @settings(SETTINGS, max_examples=int(WHATSAPP_EXAMPLES * ON_POSTGRESQL[backend]))
        @given(st.lists(form_specs, min_size=WHATSAPP_POSTS[0], max_size=WHATSAPP_POSTS[1]))
        def whatsapp_posts(specs: list[FormSpec]) -> None:
            nonlocal examples
            for spec in specs:
                run.run(fuzz.post(spec))
            examples += 1
            full = examples % CHECK_EVERY == 0
            check_invariants(web.database, max_active, full=full)

        whatsapp_posts()
        check_invariants(web.database, max_active, full=True)
        assert errors.lines() == []
        assert apologies(web.sent_texts()) == []
    elapsed = time.perf_counter() - started
    print(
        f"\nfuzz whatsapp: {web.posts} posts ({fuzz.mutants} mutants) in {examples} examples, "
        f"statuses "
        f"{dict(sorted(web.statuses.items()))}, {len(web.twilio.messages)} messages sent, "
        f"{elapsed:.1f} s ({web.posts / elapsed:.0f}/s)"
    )
    assert web.statuses.get(200, 0) > 1000  # valid signatures reached the engine
    assert web.statuses.get(403, 0) > 1000
    print(f"WhatsApp fuzz: {web.posts} posts")
    assert web.posts >= WHATSAPP_MINIMUM * ON_POSTGRESQL[backend]
