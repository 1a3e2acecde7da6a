"""One format of the report as one file to download: the PDF or the XLSX as they are, the
HTML page with its charts and the CSV tables each in a ZIP. Written by the same code as
`sportello report`, in a folder that is removed afterwards."""

from __future__ import annotations

import io
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from bot.capabilities.monitoring import MonitoringReport
from bot.i18n import Translator
from bot.monitoring.render import Progress, write_report
from bot.monitoring.tables_output import ZIP_EPOCH

MEDIA_TYPES = {
    "pdf": "application/pdf",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "zip": "application/zip",
}


@dataclass(frozen=True)
class Download:
    name: str  # the period and the format: nothing about anyone
    media_type: str
    content: bytes


def zipped(files: list[Path]) -> bytes:
    """The files in a ZIP, in name order, with no time stamp: the same files, the same bytes."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(files, key=lambda p: p.name):
            info = zipfile.ZipInfo(path.name, date_time=ZIP_EPOCH)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o600 << 16
            archive.writestr(info, path.read_bytes())
    return out.getvalue()


def make_download(
    report: MonitoringReport, fmt: str, tr: Translator, progress: Progress
) -> Download:
    stem = f"report-{report.first.isoformat()}-{report.last.isoformat()}"
    with tempfile.TemporaryDirectory(prefix="sportello-report-") as folder:
        written = write_report(report, Path(folder), tr, progress, (fmt,))
        if fmt in ("pdf", "xlsx"):
            [single] = [p for p in written if p.suffix == f".{fmt}"]
            return Download(f"{stem}.{fmt}", MEDIA_TYPES[fmt], single.read_bytes())
        return Download(f"{stem}-{fmt}.zip", MEDIA_TYPES["zip"], zipped(written))
