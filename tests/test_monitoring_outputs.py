"""The monitoring report's files: the PDF has its sections and renders to pages, the XLSX
opens, CSV and XLSX are byte-identical across runs, and `sportello report` writes them all."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import openpyxl
import pypdf
import pytest

from bot.app import App
from bot.cli import main
from bot.monitoring.render import write_report
from bot.settings import Settings
from tests.test_monitoring_figures import TR, YEAR, figures_of, hand_counted_year


@pytest.fixture(scope="session")
def pdftoppm() -> str:
    """Debian's poppler-utils renders the PDF; installed here when missing and root."""
    found = shutil.which("pdftoppm")
    if found is None and hasattr(os, "geteuid") and os.geteuid() == 0 and shutil.which("apt-get"):
        subprocess.run(
            ["apt-get", "install", "-y", "-q", "poppler-utils"], check=False, capture_output=True
        )
        found = shutil.which("pdftoppm")
    if found is None:
        if os.environ.get("CI"):
            pytest.fail("pdftoppm (poppler-utils) is needed to render the report's pages")
        pytest.skip("pdftoppm (poppler-utils) is not installed: cannot render the PDF pages")
    return found


async def render(app: App, out: Path) -> list[Path]:
    from bot.capabilities import monitoring

    async with app.db.read() as tx:
        report = await monitoring.build_figures(tx, *YEAR, TR, "Comune di Lucca")
    steps: list[str] = []
    files = write_report(report, out, TR, steps.append)
    assert steps[-1] == "Documento PDF"
    return files


async def test_the_pdf_has_its_cover_contents_and_sections(app: App, tmp_path: Path) -> None:
    await hand_counted_year(app)
    await render(app, tmp_path)
    reader = pypdf.PdfReader(tmp_path / "report.pdf")
    first = reader.pages[0]
    assert round(float(first.mediabox.width)) == 595  # A4
    assert "Comune di Lucca" in first.extract_text()
    assert "Dal 1 gennaio 2026 al 31 dicembre 2026" in first.extract_text()
    assert "Indice" in reader.pages[1].extract_text()
    text = "\n".join(page.extract_text() for page in reader.pages)
    headings = ("Attività", "Chi si è rivolto allo sportello", "Aziende", "Proposte")
    for heading in (*headings, "Percorsi", "Esiti", "Soddisfazione"):
        assert text.count(heading) >= 2, heading  # in the contents and as a heading
    assert "<5" in text
    assert "Colloqui per mese" in text


def png_pages(pdftoppm: str, pdf: Path, prefix: Path, pages: int) -> list[bytes]:
    command = [pdftoppm, "-r", "40", "-png", "-l", str(pages), str(pdf), str(prefix)]
    subprocess.run(command, check=True)
    return [p.read_bytes() for p in sorted(prefix.parent.glob(f"{prefix.name}-*.png"))]


async def test_the_pdf_renders_to_png_pages(app: App, tmp_path: Path, pdftoppm: str) -> None:
    await hand_counted_year(app)
    await render(app, tmp_path)
    pages = png_pages(pdftoppm, tmp_path / "report.pdf", tmp_path / "page", 3)
    assert len(pages) == 3
    assert all(page.startswith(b"\x89PNG") for page in pages)


async def test_every_table_is_a_csv_a_chart_and_a_sheet(app: App, tmp_path: Path) -> None:
    await hand_counted_year(app)
    await render(app, tmp_path)
    keys = list((await figures_of(app, *YEAR)).keys())
    workbook = openpyxl.load_workbook(tmp_path / "report.xlsx")
    assert workbook.sheetnames == keys
    for key in keys:
        assert (tmp_path / f"{key}.png").read_bytes().startswith(b"\x89PNG")
        assert (tmp_path / f"{key}.csv").exists()
    sheet = workbook["activity_appointments"]
    assert sheet["A2"].value == "Colloqui"
    assert sheet["B2"].value == "Totale"
    assert [sheet.cell(row=3, column=2).value, sheet.cell(row=4, column=2).value] == [5, "<5"]
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert 'src="activity_contacts.png"' in html
    assert "&lt;5" in html


async def test_the_same_database_gives_byte_identical_csv_and_xlsx(
    app: App, tmp_path: Path
) -> None:
    await hand_counted_year(app)
    await render(app, tmp_path / "one")
    await render(app, tmp_path / "two")
    names = sorted(p.name for p in (tmp_path / "one").iterdir() if p.suffix in (".csv", ".xlsx"))
    assert "report.xlsx" in names
    for name in names:
        assert (tmp_path / "one" / name).read_bytes() == (tmp_path / "two" / name).read_bytes()


async def test_the_csv_shows_suppressed_cells_as_under_five(app: App, tmp_path: Path) -> None:
    await hand_counted_year(app)
    await render(app, tmp_path)
    lines = (tmp_path / "activity_contacts.csv").read_text(encoding="utf-8").splitlines()
    assert lines[0] == "Mese,Telegram,WhatsApp,Totale"
    assert "aprile 2026,0,<5,<5" in lines
    # With only zeros beside April's 2, the totals would give it away (7 - 5): March's 5 and
    # the totals are hidden with it, and no row or column is left with a single "<5".
    assert "marzo 2026,<5,0,<5" in lines
    assert lines[-1] == "Totale,<5,<5,7"


def test_the_command_writes_the_report(settings: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    monkeypatch.setenv("SPORTELLO_DATABASE", settings.database_url or str(settings.database))
    out = tmp_path / "out"
    code = main(["--env-file", str(tmp_path / "none.env"), "report", "--year", "2026", "--from", "2026-03-01", "--to", "2026-06-30", "--out", str(out)])  # fmt: skip
    assert code == 0
    assert (out / "report.pdf").exists()
    assert (out / "report.xlsx").exists()
    assert "Grafico e tabella 1 di" in capsys.readouterr().err


def test_the_command_refuses_a_period_outside_the_year(settings: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    monkeypatch.setenv("SPORTELLO_DATABASE", settings.database_url or str(settings.database))
    code = main(["--env-file", str(tmp_path / "none.env"), "report", "--year", "2026", "--from", "2025-12-01", "--out", str(tmp_path)])  # fmt: skip
    assert code == 2
    assert "2025-12-01 is not in 2026." in capsys.readouterr().err
