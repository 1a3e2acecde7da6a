"""SPORTELLO_DATABASE chooses the backend: a path or sqlite:///path is SQLite, a
postgresql:// URL is PostgreSQL (its password kept out of messages and repr)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.settings import Settings, SettingsError
from bot.settings_loading import load_settings


def _settings(**environ: str) -> Settings:
    return load_settings(environ=environ, dotenv=None)


def test_a_path_or_a_sqlite_url_is_sqlite(tmp_path: Path) -> None:
    plain = _settings(SPORTELLO_DATABASE=str(tmp_path / "a.db"))
    assert (plain.database, plain.database_url) == (tmp_path / "a.db", None)
    url = _settings(SPORTELLO_DATABASE=f"sqlite:///{tmp_path}/b.db")
    assert (url.database, url.database_url) == (tmp_path / "b.db", None)


def test_a_postgresql_url_is_postgresql_without_its_password_shown() -> None:
    url = "postgresql://desk:s3cret@db.example:5432/sportello"
    settings = _settings(SPORTELLO_DATABASE=url, SPORTELLO_DATABASE_POOL="4")
    assert settings.database_url == url
    assert settings.database_pool == 4
    assert "s3cret" not in str(settings.database)
    assert "s3cret" not in repr(settings)


@pytest.mark.parametrize(
    ("environ", "says"),
    [
        ({"SPORTELLO_DATABASE": "postgresql://desk@db.example:5432"}, "names no database"),
        ({"SPORTELLO_DATABASE": "mysql://desk@db/x"}, "postgresql://"),
        # A slash lost (by hand, or by turning the URL into a Path): not a file's name.
        ({"SPORTELLO_DATABASE": "postgresql:/desk@/sportello?host=/run/pg"}, "postgresql://"),
        ({"SPORTELLO_DATABASE_POOL": "1"}, "from 2 to 200"),
    ],
)
def test_a_wrong_database_setting_says_what_to_write(environ: dict[str, str], says: str) -> None:
    with pytest.raises(SettingsError) as caught:
        _settings(**environ)
    assert says in " ".join(caught.value.problems)
