"""The one table of chat commands: names per language, help line, role, menu.

The engine's dispatch, Telegram's command menu and /aiuto are all read from COMMANDS. Every
name of a command works in every language, so a person may type /cancella or /delete
whatever language they chose; what the bot shows (help, menu, texts that mention a command)
names it in the person's language: the English names for English, the Italian ones for
every other language (`command_names` in bot/languages.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum

from bot.i18n import N_, Translator
from bot.languages import LANGUAGES, is_rtl, isolate

FALLBACK_LANGUAGE = "it"


class Role(Enum):
    PERSON = "person"
    STAFF = "staff"  # unknown commands to anyone else
    OPERATOR = "operator"  # answered by bot/flows/operators.py for registered operators


@dataclass(frozen=True)
class Command:
    action: str
    names: Mapping[str, str]  # language -> name without the slash; "it" is required
    help: str  # an N_ message: the help line, also the menu's description
    role: Role = Role.PERSON
    in_menu: bool = True
    argument: str = ""  # shown after the name in help: "/iscritti CODE"

    def name(self, language: str) -> str:
        found = LANGUAGES.get(language)
        shown = found.command_names if found else FALLBACK_LANGUAGE
        return self.names.get(shown, self.names[FALLBACK_LANGUAGE])


def _person(action: str, it: str, en: str, help_line: str) -> Command:
    return Command(action, {"it": it, "en": en}, help_line)


def _staff(action: str, it: str, en: str, help_line: str, argument: str = "") -> Command:
    return Command(action, {"it": it, "en": en}, help_line, Role.STAFF, False, argument)


def _operator(action: str, it: str, en: str, help_line: str) -> Command:
    return Command(action, {"it": it, "en": en}, help_line, Role.OPERATOR, False)


COMMANDS: tuple[Command, ...] = (
    _person("start", "start", "start", N_("Start, or pick up where you left off")),
    _person("help", "aiuto", "help", N_("What I can do")),
    _person("back", "indietro", "back", N_("Go back one question")),
    _person("restart", "ricomincia", "restart", N_("Start the questions again")),
    _person("language", "lingua", "language", N_("Change language")),
    _person("human", "operatore", "operator", N_("Talk to a person")),
    _person("privacy", "privacy", "privacy", N_("How we use your data")),
    _person("mydata", "imieidati", "mydata", N_("See your data")),
    _person("erase", "cancella", "delete", N_("Delete your data")),
    _person("news", "avvisi", "news", N_("Workshop and job news on or off")),
    _person("followup", "seguito", "followup", N_("Questions on how work is going: yes or no")),
    _person("proposals", "proposte", "proposals", N_("What the desk proposed you for")),
    _person(
        "appointment", "appuntamento", "appointment", N_("Your appointment: change or cancel it")
    ),
    _person("workshops", "workshop", "workshops", N_("Workshops you can join")),
    _staff("new_workshop", "nuovo_workshop", "new_workshop", N_("Create a workshop")),
    _staff("announcement", "annuncio", "announcement", N_("Send an announcement")),
    _staff("attendees", "iscritti", "attendees", N_("Who is coming"), "CODE"),
    _staff("attendance", "presenze", "attendance", N_("Record who came"), "CODE"),
    _staff("stop_sending", "ferma_invio", "stop_sending", N_("Stop your sendings")),
    _operator("today", "oggi", "today", N_("Today's appointments")),
    _operator("tomorrow", "domani", "tomorrow", N_("Tomorrow's appointments")),
)


def actions(role: Role) -> dict[str, str]:
    """Every name of every command of the role (all languages) -> its action."""
    return {name: c.action for c in COMMANDS if c.role is role for name in c.names.values()}


def named(language: str) -> dict[str, str]:
    """Action -> "/name" in the language, for texts that mention a command."""
    return {c.action: f"/{c.name(language)}" for c in COMMANDS}


def help_lines(tr: Translator, role: Role = Role.PERSON) -> str:
    lines = []
    for command in (c for c in COMMANDS if c.role is role):
        usage = " ".join(filter(None, (f"/{command.name(tr.language)}", command.argument)))
        if is_rtl(tr.language):
            # The line starts with its words, the command kept left to right inside them.
            lines.append(f"{tr.tr(command.help)}: {isolate(usage)}")
        else:
            lines.append(f"{usage} – {tr.tr(command.help)}")
    return "\n".join(lines)


def menu(language: str) -> list[tuple[str, str]]:
    """(name, untranslated description) of the commands in Telegram's menu."""
    return [(c.name(language), c.help) for c in COMMANDS if c.in_menu]
