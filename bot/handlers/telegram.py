"""Telegram through python-telegram-bot: turns updates into Inbound events and replies into
messages with inline keyboards. Nothing else: the conversation lives in the flows.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeDefault,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    Update,
)
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError
from telegram.ext import AIORateLimiter, Application, ApplicationBuilder, ContextTypes, TypeHandler

from bot.channels import Blocked, RetryLater, SendFailed, Template, Unavailable
from bot.domain import Attachment, Channel, Inbound, InboundKind, Option, Reply
from bot.flows import commands
from bot.flows.engine import Engine
from bot.flows.options import button_data
from bot.handlers.telegram_http import AiohttpRequest
from bot.handlers.telegram_poll import stored
from bot.i18n import Translator
from bot.languages import reads_right_to_left
from bot.text import split_text

log = logging.getLogger(__name__)

MAX_TEXT = 4096
SHORT_LABEL = 20
CONNECTIONS = 64
"""Bot API calls in flight at once; more wait for a free connection."""


def keyboard(reply: Reply) -> InlineKeyboardMarkup | None:
    """Short options two to a row, long ones alone, navigation on the last rows; right to
    left (Arabic), one to a row, since two in a row would read in the wrong order."""
    if not reply.options or reply.seq is None:
        return None
    seq = reply.seq
    rows: list[list[InlineKeyboardButton]] = []
    pending: list[Option] = []

    def button(option: Option) -> InlineKeyboardButton:
        return InlineKeyboardButton(option.label, callback_data=button_data(seq, option.id))

    for option in reply.options:
        short = len(option.label) <= SHORT_LABEL and not reply.rtl
        if short and not option.id.startswith("nav."):
            pending.append(option)
            if len(pending) == 2:
                rows.append([button(o) for o in pending])
                pending = []
            continue
        if pending:
            rows.append([button(o) for o in pending])
            pending = []
        rows.append([button(option)])
    if pending:
        rows.append([button(o) for o in pending])
    return InlineKeyboardMarkup(rows)


def to_inbound(update: Update) -> Inbound | None:
    """The event a Telegram update means for the flows; None for updates that carry none."""
    user, chat = update.effective_user, update.effective_chat
    if user is None or chat is None or chat.type != "private" or user.is_bot:
        return None

    def event(kind: InboundKind, text: str = "", data: str = "") -> Inbound:
        return Inbound(
            channel=Channel.TELEGRAM,
            external_id=str(user.id),
            kind=kind,
            text=text,
            data=data,
            language_hint=user.language_code,
            dedupe_key=f"telegram:{update.update_id}",
        )

    if update.callback_query is not None:
        return event(InboundKind.BUTTON, data=update.callback_query.data or "")
    if update.edited_message is not None:
        return event(InboundKind.EDIT)
    message = update.message
    if message is None:
        return None
    if message.text is not None:
        return event(InboundKind.TEXT, text=message.text)
    # Voice notes, photos, stickers, files, locations, polls...: nothing we can read.
    return event(InboundKind.MEDIA)


def chosen_label(query: CallbackQuery) -> str | None:
    message = query.message
    markup = message.reply_markup if isinstance(message, Message) else None
    for row in markup.inline_keyboard if markup else ():
        for button in row:
            if button.callback_data == query.data:
                return button.text
    return None


class TelegramChannel:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    async def on_update(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        member = update.my_chat_member
        if member is not None:
            new_member = getattr(member, "new_chat_member", None)
            user = getattr(member, "from_user", None)
            if getattr(new_member, "status", None) == "kicked" and user is not None:
                await self.engine.mark_unreachable(Channel.TELEGRAM, str(user.id))
            stored()
            return
        event = to_inbound(update)
        if event is None:
            log.debug("ignored an update that carries nothing for the conversation")
            stored()
            return
        replies = await self.engine.handle(event)
        stored()  # committed: long polling may confirm the update while the answers go out
        try:
            await self._deliver(update, replies)
        except Forbidden:
            log.info("a person blocked the bot; marked unreachable")
            await self.engine.mark_unreachable(Channel.TELEGRAM, event.external_id)
        except TelegramError as exc:  # down, timed out, 429 past its retries...
            log.warning("could not send an answer (%s); planned again", type(exc).__name__)
            await self.engine.answers_undelivered(Channel.TELEGRAM, event.external_id)
        else:
            self.engine.answers_delivered(replies)

    async def _deliver(self, update: Update, replies: list[Reply]) -> None:
        query = update.callback_query
        chat = update.effective_chat
        assert chat is not None
        if query is not None and not replies:
            # A re-delivered tap the engine skipped: its original settles the message; touching
            # it here could remove the buttons the original is about to redraw.
            with contextlib.suppress(TelegramError):
                await query.answer()
            return
        if query is not None:
            await self._settle_button(query, replies)
            if replies and replies[0].updates_question:
                replies = replies[1:]
        await send_replies(update.get_bot(), chat.id, replies)

    async def _settle_button(self, query: CallbackQuery, replies: list[Reply]) -> None:
        """Stop the button's spinner, then redraw or close the message whose button was tapped."""
        # A query can be answered once: if a re-delivered copy answered it already, the redraw
        # below must still happen.
        with contextlib.suppress(TelegramError):
            await query.answer()
        try:
            message = query.message
            if not isinstance(message, Message) or message.text is None:
                return
            if replies and replies[0].updates_question:
                first = replies[0]
                await message.edit_text(first.text[:MAX_TEXT], reply_markup=keyboard(first))
                return
            label = chosen_label(query)
            arrow = "←" if reads_right_to_left(message.text) else "→"
            text = f"{message.text}\n\n{arrow} {label}" if label else message.text
            await message.edit_text(text[:MAX_TEXT], reply_markup=None)
        except BadRequest:
            # Too old to edit, or unchanged: the new replies below still go out.
            log.debug("could not edit a tapped message")


async def send_replies(bot: Bot, chat_id: int, replies: Sequence[Reply]) -> None:
    for reply in replies:
        # With buttons, the file goes first: the buttons stay on the last message, right
        # above where the person types.
        file_first = bool(reply.options)
        if reply.attachment is not None and file_first:
            await send_file(bot, chat_id, reply.attachment)
        chunks = split_text(reply.text, MAX_TEXT)
        for index, chunk in enumerate(chunks):
            last = index == len(chunks) - 1
            await bot.send_message(chat_id, chunk, reply_markup=keyboard(reply) if last else None)
        if reply.attachment is not None and not file_first:
            await send_file(bot, chat_id, reply.attachment)


async def send_file(bot: Bot, chat_id: int, attachment: Attachment) -> None:
    await bot.send_document(chat_id, document=attachment.content, filename=attachment.filename)


class TelegramSender:
    """The outbox's way to Telegram: platform errors become what the dispatcher acts on."""

    def __init__(self, bot: Bot) -> None:
        self.bot = bot

    async def send(
        self,
        external_id: str,
        replies: Sequence[Reply],
        *,
        template: Template | None = None,
        outbox_id: int | None = None,
    ) -> None:
        try:
            await send_replies(self.bot, int(external_id), replies)
        except Forbidden as exc:
            raise Blocked("the person blocked the bot") from exc
        except RetryAfter as exc:
            raise RetryLater(_seconds(exc.retry_after)) from exc
        except BadRequest as exc:
            raise SendFailed(type(exc).__name__) from exc
        except NetworkError as exc:  # timed out, connection lost: the next one would be too
            raise Unavailable(type(exc).__name__) from exc
        except TelegramError as exc:
            raise SendFailed(type(exc).__name__) from exc


def _seconds(value: object) -> float:
    return value.total_seconds() if isinstance(value, timedelta) else float(str(value))


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    error = context.error
    log.error("telegram handler error: %s", type(error).__name__ if error else "unknown")


def build_application(
    engine: Engine, token: str, api_url: str, *, rate_limit: bool = True
) -> Application:  # type: ignore[type-arg]
    """Without python-telegram-bot's Updater: updates come from our web server (webhook) or
    from bot/handlers/telegram_poll.py, which confirms them only once they are stored."""
    builder = (
        ApplicationBuilder()
        .token(token)
        .base_url(f"{api_url}/bot")
        .base_file_url(f"{api_url}/file/bot")
        .request(AiohttpRequest(pool_size=CONNECTIONS))
        .get_updates_request(AiohttpRequest(pool_size=1))
        .updater(None)
    )
    if rate_limit:
        # No overall cap: Telegram's ~30 messages/s is about bulk notifications, which the
        # outbox already paces with its own limiter; answers to the person who just wrote go
        # at once. What remains is waiting out a 429 (retry_after) and retrying.
        limiter: Any = AIORateLimiter(overall_max_rate=0, max_retries=3)
        builder = builder.rate_limiter(limiter)
    application = builder.build()
    application.add_handler(TypeHandler(Update, TelegramChannel(engine).on_update))
    application.add_error_handler(on_error)
    return application


async def publish_menu(application: Application, translators: dict[str, Translator]) -> None:  # type: ignore[type-arg]
    """The command menu in each shipped language; Italian for everyone else."""
    for language, translator in translators.items():
        use_italian = language == commands.FALLBACK_LANGUAGE
        menu = [
            BotCommand(name, translator.tr(description))
            for name, description in commands.menu(language)
        ]
        try:
            await application.bot.set_my_commands(menu, language_code=language)
            if use_italian:
                await application.bot.set_my_commands(menu, scope=BotCommandScopeDefault())
        except TelegramError as exc:
            log.warning("could not publish the command menu: %s", type(exc).__name__)


class TelegramProgressBoard:
    """Broadcast progress as one Telegram message, edited as sending goes on."""

    def __init__(self, bot: Bot) -> None:
        self.bot = bot

    async def show(self, chat: str, message_id: str | None, text: str) -> str | None:
        try:
            if message_id is not None:
                await self.bot.edit_message_text(
                    text, chat_id=int(chat), message_id=int(message_id)
                )
                return message_id
            message = await self.bot.send_message(int(chat), text)
        except TelegramError as exc:
            log.warning("could not show broadcast progress: %s", type(exc).__name__)
            return message_id
        return str(message.message_id)
