"""Privacy in the chat: the information notice, a refusal, "show my data", erasure, opt-in.

The service rests on the municipality's public task, not on consent, but nothing is asked
before the person has had the notice; declining stores only the refusal. Announcements are a
separate opt-in the person can revoke at any time.
"""

from __future__ import annotations

from datetime import datetime

from bot.capabilities import appointments
from bot.domain import Option
from bot.flows import commands, intake
from bot.flows.base import BACK, HUMAN, Said, Turn, please_choose
from bot.flows.intake import ANNOUNCEMENTS
from bot.flows.options import normalize
from bot.flows.questions import describe_answer
from bot.flows.welcome import LANGUAGE_NAMES, NOTICE, desk_contacts
from bot.i18n import N_

CHANNEL_NAMES = {"telegram": "Telegram", "whatsapp": "WhatsApp", "console": N_("Console")}


def full_notice(turn: Turn) -> str:
    return turn.content.notice.text(turn.tr.language)


class NoticeStep:
    name = "notice"
    ACCEPT = "notice.accept"
    READ = "notice.read"
    REFUSE = "notice.refuse"

    async def options(self, turn: Turn) -> tuple[Option, ...]:
        tr = turn.tr.tr
        return (
            Option(self.ACCEPT, tr(N_("✅ I accept"))),
            Option(self.READ, tr(N_("📄 Read it all"))),
            Option(self.REFUSE, tr(N_("❌ No"))),
        )

    async def ask(self, turn: Turn) -> None:
        text = turn.tr.tr(
            N_(
                "🔒 Before we start: the Comune di Lucca uses your answers only to organise "
                "your meeting with the job desk and, without your name, for statistics. "
                "We never ask about your health. You can see or delete your data at any time "
                "with %(mydata)s and %(erase)s."
            ),
            **commands.named(turn.tr.language),
        )
        turn.say(text, await self.options(turn))

    async def answer(self, turn: Turn, said: Said) -> None:
        version = turn.content.notice.version
        if said.option == self.READ:
            turn.say(full_notice(turn))
            await turn.ask_again()
        elif said.option == self.ACCEPT:
            await turn.tx.consents.record(turn.person.id, NOTICE, version, True, turn.now)
            turn.say(
                turn.tr.tr(
                    N_(
                        "Thank you! It takes about 5 minutes. You can go back with ⬅️ at any "
                        "time, and skip the questions you prefer not to answer."
                    )
                )
            )
            workshop = turn.data.pop("after_notice", None)
            if isinstance(workshop, str):
                await turn.go("ws_card", workshop=workshop)
            else:
                await intake.ask_next(turn)
        elif said.option == self.REFUSE:
            await turn.tx.consents.record(turn.person.id, NOTICE, version, False, turn.now)
            await turn.go("refused")
        else:
            please_choose(turn)
            await turn.ask_again()


class RefusedStep:
    name = "refused"
    AGAIN = "refused.again"

    async def options(self, turn: Turn) -> tuple[Option, ...]:
        return (Option(self.AGAIN, turn.tr.tr(N_("📄 See the notice again"))),)

    async def ask(self, turn: Turn) -> None:
        text = turn.tr.tr(
            N_(
                "All right. We have stored none of your answers, only that you declined the "
                "notice. You can still contact the desk directly."
            )
        )
        turn.say(f"{text}\n\n{desk_contacts(turn)}", await self.options(turn))

    async def answer(self, turn: Turn, said: Said) -> None:
        if said.option == self.AGAIN:
            await turn.go("notice")
        else:
            await turn.ask_again()


async def my_data(turn: Turn) -> str:
    """Everything stored about the person, in plain words."""
    tr, tx, person = turn.tr, turn.tx, turn.person
    lines = [tr.tr(N_("This is everything we store about you:")), ""]
    language = LANGUAGE_NAMES.get(person.language or "", N_("not chosen yet"))
    lines.append(tr.tr(N_("• Language: %(language)s"), language=tr.tr(language)))
    for identity in await tx.people.identities(person.id):
        channel = CHANNEL_NAMES.get(identity.channel.value, identity.channel.value)
        lines.append(
            tr.tr(
                N_("• %(channel)s account %(id)s, since %(date)s"),
                channel=tr.tr(channel),
                id=identity.external_id,
                date=tr.day(identity.created_at),
            )
        )
    if person.source:
        lines.append(tr.tr(N_("• You came from the link: %(source)s"), source=person.source))
    for consent in await tx.consents.history(person.id):
        lines.append(consent_line(turn, consent.kind, consent.version, consent.granted, consent.at))
    for question in intake.script(turn.answers, turn.content):
        if question.id in turn.answers:
            value = describe_answer(question, turn.answers[question.id], tr, turn.content)
            lines.append(f"• {tr.tr(question.title)}: {value}")
    if person.intake_confirmed_at:
        lines.append(
            tr.tr(N_("• Answers confirmed on %(date)s"), date=tr.day(person.intake_confirmed_at))
        )
    lines += ["", tr.tr(N_("To delete all of it, write %(erase)s."), **commands.named(tr.language))]
    return "\n".join(lines)


def consent_line(turn: Turn, kind: str, version: str, granted: bool, at: datetime) -> str:
    tr = turn.tr
    when = tr.moment(at)
    if kind == NOTICE:
        message = N_("• Privacy notice (version %(version)s) accepted on %(when)s")
        if not granted:
            message = N_("• Privacy notice (version %(version)s) declined on %(when)s")
    else:
        message = N_("• Workshop and job news: yes, since %(when)s")
        if not granted:
            message = N_("• Workshop and job news: no, since %(when)s")
    return tr.tr(message, version=version, when=when)


class EraseConfirmStep:
    name = "erase_confirm"
    YES = "erase.yes"
    NO = "erase.no"

    async def options(self, turn: Turn) -> tuple[Option, ...]:
        tr = turn.tr.tr
        return (
            Option(self.YES, tr(N_("🗑️ Yes, delete everything"))),
            Option(self.NO, tr(N_("No, keep my data"))),
        )

    async def ask(self, turn: Turn) -> None:
        text = turn.tr.tr(
            N_(
                "Do you want to delete all your data? This cannot be undone. Your appointments "
                "are cancelled. What stays has no link to you: the record of your appointments "
                "(day, time, operator, outcome), kept 24 months, and anonymous counts (month, "
                "age band, work situation, what you were looking for) for the desk's annual "
                "report."
            )
        )
        turn.say(text, await self.options(turn))

    async def answer(self, turn: Turn, said: Said) -> None:
        if said.option == self.YES:
            # Appointments are cancelled first: the slot goes back to others, the operator
            # is told, and the booking record stays without the person's identity.
            for booking in await turn.tx.bookings.active_for(turn.person.id):
                await appointments.cancel(turn.tx, turn.settings.agenda, booking, turn.now)
            await turn.tx.people.erase(turn.person.id, turn.now)
            turn.erased = True
            turn.say(
                turn.tr.tr(
                    N_(
                        "Done: your data have been deleted. If you write to me again, we will "
                        "start from the beginning. Good luck! 🍀"
                    )
                )
            )
        elif said.option == self.NO:
            turn.say(turn.tr.tr(N_("All right, nothing has been deleted.")))
            await turn.resume()
        else:
            please_choose(turn)
            await turn.ask_again()


async def set_announcements(turn: Turn, wanted: bool) -> None:
    """The opt-in lives only in the consent history: its latest row is the current choice."""
    version = turn.content.notice.version
    await turn.tx.consents.record(turn.person.id, ANNOUNCEMENTS, version, wanted, turn.now)


class AnnouncementsStep:
    name = "announcements"
    YES = "news.yes"
    NO = "news.no"

    async def options(self, turn: Turn) -> tuple[Option, ...]:
        tr = turn.tr.tr
        return (
            Option(self.YES, tr(N_("🔔 Yes, send me news"))),
            Option(self.NO, tr(N_("🔕 No, thank you"))),
            Option(BACK, tr(N_("⬅️ Back"))),
            Option(HUMAN, tr(N_("🙋 Talk to a person"))),
        )

    async def ask(self, turn: Turn) -> None:
        latest = await turn.tx.consents.latest(turn.person.id, ANNOUNCEMENTS)
        state = (
            N_("You are receiving them now.")
            if latest and latest.granted
            else N_("You are not receiving them now.")
        )
        text = turn.tr.tr(
            N_(
                "Would you like to receive news about the desk's workshops and job "
                "opportunities? It is optional, and you can change your mind at any time "
                "with %(news)s."
            ),
            **commands.named(turn.tr.language),
        )
        turn.say(f"{text} {turn.tr.tr(state)}", await self.options(turn))

    async def answer(self, turn: Turn, said: Said) -> None:
        if said.option not in (self.YES, self.NO):
            please_choose(turn)
            await turn.ask_again()
            return
        wanted = said.option == self.YES
        await set_announcements(turn, wanted)
        turn.say(
            turn.tr.tr(N_("Thank you: you will receive the news."))
            if wanted
            else turn.tr.tr(N_("All right: you will not receive the news."))
        )
        if "return_to" in turn.data:
            await turn.resume()
        else:
            await intake.ask_next(turn)


# Whole-message keywords people use to stop or restart messages (WhatsApp users expect them).
STOP_WORDS = frozenset({"stop", "basta", "annulla", "unsubscribe"})
START_WORDS = frozenset({"start", "riprendi"})


async def opt_keyword(turn: Turn, text: str) -> bool:
    """STOP / BASTA / ANNULLA turn announcements off, START / RIPRENDI back on. Only a message
    that is just the keyword, and only where no option of the question has those words."""
    word = normalize(text)
    if word not in STOP_WORDS | START_WORDS:
        return False
    notice = await turn.tx.consents.latest(turn.person.id, "notice")
    if notice is None or not notice.granted:
        return False
    wanted = word in START_WORDS
    await set_announcements(turn, wanted)
    turn.say(
        turn.tr.tr(N_("Done: you will receive workshop and job news again."))
        if wanted
        else turn.tr.tr(
            N_(
                "Done: you will not receive workshop and job news any more. To receive them "
                "again, write START or RIPRENDI."
            )
        )
    )
    await turn.ask_again()
    return True
