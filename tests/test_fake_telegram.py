"""Proves that FakeTelegram works with the real python-telegram-bot library over HTTP."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Sequence

import pytest
import pytest_asyncio
from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeChat,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Update,
)
from telegram.error import (
    BadRequest,
    EndPointNotFound,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
)
from telegram.ext import (
    ApplicationBuilder,
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from tests.fakes.telegram_api import Call, FakeTelegram

USER = 4242


@pytest_asyncio.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as server:
        yield server


@contextlib.asynccontextmanager
async def bot_for(fake: FakeTelegram) -> AsyncIterator[Bot]:
    async with Bot(
        fake.token, base_url=f"{fake.url}/bot", base_file_url=f"{fake.url}/file/bot"
    ) as bot:
        yield bot


@contextlib.asynccontextmanager
async def running_app(
    fake: FakeTelegram, handlers: Sequence[BaseHandler[Update, ContextTypes.DEFAULT_TYPE, None]]
) -> AsyncIterator[list[object]]:
    """A polling Application against the fake; yields the list of errors its handlers raised."""
    app = (
        ApplicationBuilder()
        .token(fake.token)
        .base_url(f"{fake.url}/bot")
        .base_file_url(f"{fake.url}/file/bot")
        .build()
    )
    errors: list[object] = []

    async def record_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        errors.append(context.error)

    app.add_handlers(handlers)
    app.add_error_handler(record_error)
    await app.initialize()
    try:
        await app.start()
        try:
            assert app.updater is not None
            await app.updater.start_polling(poll_interval=0, timeout=1)
            try:
                yield errors
            finally:
                await app.updater.stop()
        finally:
            await app.stop()
    finally:
        await app.shutdown()


def keyboard() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton("Sì", callback_data="yes"),
                InlineKeyboardButton("No", callback_data="no"),
            ],
            [InlineKeyboardButton("Sito", url="https://example.invalid/")],
        ]
    )


@pytest.mark.asyncio
async def test_bot_get_me_send_read_back_and_edit(fake: FakeTelegram) -> None:
    async with bot_for(fake) as bot:
        me = await bot.get_me()
        assert me.is_bot
        assert me.username == "sportello_test_bot"

        sent = await bot.send_message(USER, "123", reply_markup=keyboard())
        assert sent.text == "123"
        assert sent.chat.id == USER
        assert sent.reply_markup == keyboard()

        stored = fake.last_message(USER)
        assert stored["message_id"] == sent.message_id
        assert fake.buttons(stored) == [("Sì", "yes"), ("No", "no")]
        # Form-encoded values are decoded: ints become ints, text stays text.
        call = fake.calls[-1]
        assert call.params["chat_id"] == USER
        assert call.params["text"] == "123"

        edited = await bot.edit_message_text(
            "Aggiornato", chat_id=USER, message_id=sent.message_id, reply_markup=keyboard()
        )
        assert isinstance(edited, type(sent))
        assert edited.text == "Aggiornato"
        assert fake.chats[USER] == [stored]
        assert stored["text"] == "Aggiornato"

        with pytest.raises(BadRequest, match="not modified"):
            await bot.edit_message_text(
                "Aggiornato", chat_id=USER, message_id=sent.message_id, reply_markup=keyboard()
            )
        await bot.edit_message_reply_markup(chat_id=USER, message_id=sent.message_id)
        assert "reply_markup" not in stored

        assert await bot.delete_message(USER, sent.message_id)
        assert fake.chats[USER] == []


@pytest.mark.asyncio
async def test_commands_webhook_and_chat_action(fake: FakeTelegram) -> None:
    async with bot_for(fake) as bot:
        await bot.set_my_commands([BotCommand("start", "Inizia")], language_code="it")
        await bot.set_my_commands([BotCommand("aiuto", "Aiuto")], scope=BotCommandScopeChat(USER))
        assert fake.my_commands("it") == [{"command": "start", "description": "Inizia"}]
        assert fake.my_commands(scope={"type": "chat", "chat_id": USER})[0]["command"] == "aiuto"
        assert await bot.get_my_commands(language_code="it") == (BotCommand("start", "Inizia"),)
        await bot.delete_my_commands(language_code="it")
        assert await bot.get_my_commands(language_code="it") == ()

        assert await bot.set_webhook("https://example.invalid/hook")
        assert (await bot.get_webhook_info()).url == "https://example.invalid/hook"
        assert await bot.delete_webhook()
        assert await bot.send_chat_action(USER, "typing")


@pytest.mark.asyncio
async def test_application_echoes_text_and_answers_buttons(fake: FakeTelegram) -> None:
    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None
        await update.effective_message.reply_text("Benvenuta allo sportello")

    async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None
        text = update.effective_message.text
        await update.effective_message.reply_text(f"Eco: {text}", reply_markup=keyboard())

    async def pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        assert query is not None
        await query.answer("Ricevuto")
        await query.edit_message_text(f"Hai scelto {query.data}")

    handlers = [
        CommandHandler("start", start),
        MessageHandler(filters.TEXT & ~filters.COMMAND, echo),
        CallbackQueryHandler(pressed),
    ]
    async with running_app(fake, handlers) as errors:
        fake.send_text(USER, "/start")
        assert (await fake.next_message(USER))["text"] == "Benvenuta allo sportello"

        fake.send_text(USER, "ciao")
        reply = await fake.next_message(USER)
        assert reply["text"] == "Eco: ciao"
        assert fake.buttons(reply) == [("Sì", "yes"), ("No", "no")]

        fake.press_button(USER, reply["message_id"], "yes")

        def edited(calls: Sequence[Call]) -> bool:
            return any(c.method == "editMessageText" and c.ok for c in calls)

        await fake.wait_for(edited)
        assert reply["text"] == "Hai scelto yes"
        assert "reply_markup" not in reply  # the edit omitted it, so Telegram drops it
        assert [a["text"] for a in fake.callback_answers.values()] == ["Ricevuto"]
        assert errors == []


@pytest.mark.asyncio
async def test_redelivered_update_reaches_the_bot_again(fake: FakeTelegram) -> None:
    seen: list[int] = []

    async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        seen.append(update.update_id)
        assert update.effective_message is not None
        await update.effective_message.reply_text(f"#{len(seen)}")

    async with running_app(fake, [MessageHandler(filters.TEXT, echo)]) as errors:
        first = fake.send_text(USER, "uno")
        assert (await fake.next_message(USER))["text"] == "#1"
        fake.redeliver(first)
        assert (await fake.next_message(USER))["text"] == "#2"
        second = fake.send_text(USER, "due")
        assert (await fake.next_message(USER))["text"] == "#3"
        assert seen == [first, first, second]
        assert errors == []


@pytest.mark.asyncio
async def test_rate_limit_is_seen_as_retry_after() -> None:
    now = [0.0]
    async with FakeTelegram(per_chat_rate=1.0, clock=lambda: now[0]) as fake:
        async with bot_for(fake) as bot:
            await bot.send_message(USER, "uno")
            with pytest.raises(RetryAfter, match="Retry in 1 second"):
                await bot.send_message(USER, "due")
            await bot.send_message(USER + 1, "altra chat")  # other chats have their own bucket
            now[0] += 1.0
            await bot.send_message(USER, "di nuovo")
        assert fake.throttled == 1
        assert [c.status for c in fake.calls if c.method == "sendMessage"] == [200, 429, 200, 200]


@pytest.mark.asyncio
async def test_global_rate_limit_spans_chats() -> None:
    async with FakeTelegram(global_rate=0.001) as fake:
        async with bot_for(fake) as bot:
            await bot.send_message(USER, "uno")
            with pytest.raises(RetryAfter):
                await bot.send_message(USER + 1, "due")
        assert fake.throttled == 1


@pytest.mark.asyncio
async def test_blocked_user_and_injected_failures(fake: FakeTelegram) -> None:
    async with bot_for(fake) as bot:
        fake.block_user(USER)
        with pytest.raises(Forbidden, match="blocked by the user"):
            await bot.send_message(USER, "ciao")
        await bot.send_message(USER + 1, "ciao")
        fake.unblock_user(USER)
        await bot.send_message(USER, "ciao")

        fake.fail_next("sendMessage", 500, "Internal Server Error", times=2)
        for _ in range(2):
            with pytest.raises(NetworkError, match="Internal Server Error"):
                await bot.send_message(USER, "ciao")
        await bot.send_message(USER, "ciao")
        fake.fail_next("sendMessage", 429, "Too Many Requests: retry after 3", retry_after=3)
        with pytest.raises(RetryAfter):
            await bot.send_message(USER, "ciao")

        with pytest.raises(EndPointNotFound):
            await bot.do_api_request("noSuchMethod")
    with pytest.raises(InvalidToken):  # Bot.initialize() validates the token with getMe
        async with Bot("999:wrong-token", base_url=f"{fake.url}/bot"):
            pass


@pytest.mark.asyncio
async def test_send_document_upload_is_stored_and_downloadable(fake: FakeTelegram) -> None:
    content = b"%PDF-1.4\r\n\x00\xff binary --boundary-like\r\n\r\nend"
    async with bot_for(fake) as bot:
        sent = await bot.send_document(
            USER, document=content, filename="cv anna.pdf", caption="Il tuo CV"
        )
        assert sent.document is not None
        assert sent.document.file_name == "cv anna.pdf"
        assert sent.caption == "Il tuo CV"
        stored = fake.files[sent.document.file_id]
        assert stored.filename == "cv anna.pdf"
        assert stored.content == content
        assert (await fake.next_message(USER))["document"]["file_name"] == "cv anna.pdf"

        telegram_file = await bot.get_file(sent.document.file_id)
        assert bytes(await telegram_file.download_as_bytearray()) == content


@pytest.mark.asyncio
async def test_long_poll_wakes_on_update_and_on_stop() -> None:
    fake = FakeTelegram()
    await fake.start()
    try:
        async with bot_for(fake) as bot:

            def polling(calls: Sequence[Call]) -> bool:
                return any(c.method == "getUpdates" and c.status is None for c in calls)

            poll = asyncio.create_task(bot.get_updates(timeout=30))
            await fake.wait_for(polling)
            update_id = fake.send_text(USER, "/start")
            (update,) = await asyncio.wait_for(poll, 10)
            assert update.update_id == update_id
            assert update.message is not None
            assert update.message.text == "/start"
            assert update.message.entities[0].type == "bot_command"

            poll = asyncio.create_task(bot.get_updates(offset=update_id + 1, timeout=30))
            await fake.wait_for(polling)
            await asyncio.wait_for(fake.stop(), 10)
            assert await asyncio.wait_for(poll, 10) == ()
    finally:
        await fake.stop()


@pytest.mark.asyncio
async def test_wait_for_timeout_reports_recent_calls(fake: FakeTelegram) -> None:
    async with bot_for(fake) as bot:
        await bot.send_message(USER, "ciao")
    with pytest.raises(AssertionError, match="sendMessage -> 200"):
        await fake.wait_for(lambda calls: False, timeout=0.05)
