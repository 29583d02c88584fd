"""The audit archive: everything needed to check a count, in one file for the archive or the
next level up (``tinnhiem export DIR --audit``), and auditing a folder or such an archive.

The archive is a ZIP file, readable by its owner only, holding:

- ``conference.sqlite``: a consistent copy of the store (readings, decisions, the event log),
  taken in memory and without its secrets: not the key that signs ballot codes (the codes are
  checked by their public verification values instead, recorded when they were printed), not
  the members' codes; auditing an archive reads it in memory too (no copy of a store is ever
  left in a temporary folder);
- ``images/``: the scan files as ingested, or with ``mask_signatures`` ``masked/``: every page
  as PNG with the voter's signature area painted white (a signature identifies the voter);
- ``ket-qua/``: the minutes and spreadsheets of every tally, each in its own folder, and the
  file naming the latest official one;
- ``readings.csv``, ``decisions.csv``, ``events.jsonl``: the same facts, readable without us;
- ``manifest.json``: the format, and the SHA-256 of every other entry.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import cv2

from ballotgen.errors import InputFileError
from ballotgen.i18n import N_, _
from omr.load import ScanFile, load_page, open_scan
from omr.overlay import mask_signature
from tally.audit import AuditReport, Difference, audit_opened, audit_store
from tally.export import csv_text, readings_csv
from tally.files import (
    Partial,
    copy_hashed,
    file_sha256,
    os_failure,
    private_temp_folder,
    refuse_existing,
    sweep_partials,
)
from tally.publish import OUTPUT_DIR, versions
from tally.scan import reading_context
from tally.store import SCANS_DIR, STORE_FILE, Store

FORMAT = "tinnhiem-audit-1"
MANIFEST = "manifest.json"
MASKED_DIR = "masked"
MAX_ENTRY_BYTES = 4 << 30  # an entry larger than this is not ours


@dataclass(frozen=True)
class ArchiveResult:
    path: Path
    entries: int
    size_bytes: int
    masked_pages: int


def export_audit(folder: Path, output: Path | None = None, *,
                 mask_signatures: bool = False) -> ArchiveResult:
    """Write the audit archive of the conference in ``folder`` to ``output`` (never overwritten;
    by default ``DIR/audit-DATE.zip``, dated today).

    The store is only read (a folder on a read-only medium can be exported) and its snapshot is
    taken and sealed in memory: no copy of it, secret key included, is ever written anywhere,
    and the archive's copy holds neither the key nor the members' codes.
    The archive is written whole under a hidden partial name and renamed into place; a partial
    a killed export left is removed by the next one.
    """
    folder = Path(folder)
    output = Path(output) if output else folder / f"audit-{dt.date.today().isoformat()}.zip"
    refuse_existing(output)
    entries: dict[str, bytes | Path] = {}
    masked = 0
    with Store.open(folder, readonly=True) as store:
        # Consistent, even while someone reviews; with no key that signs ballot codes and no
        # member's code, sealed in memory.
        entries[STORE_FILE] = store.sealed_snapshot()
        if mask_signatures:
            ctx = reading_context(store)
            for page in store.pages(superseded=True):
                kept = store.kept_file(page.file_sha256)
                if kept is None:  # a page of a file the store does not know: nothing to mask
                    continue
                try:
                    image = load_page(open_scan(kept), page.page_index)
                except Exception:  # noqa: BLE001 - an undecodable page has nothing to mask
                    continue
                pixels, done = mask_signature(image, ctx, page.reading)
                masked += done
                ok, png = cv2.imencode(".png", pixels)
                entries[f"{MASKED_DIR}/{page.file_sha256}-{page.page_index}.png"] = png.tobytes()
        else:
            for record in store.scan_files():
                kept = store.kept_file(record.sha256)
                if record.error is None and kept is not None and kept.is_file():
                    entries[f"{SCANS_DIR}/{kept.name}"] = kept
        outputs = folder / OUTPUT_DIR
        for path in sorted(outputs.iterdir()) if outputs.is_dir() else ():
            if path.is_file() and not path.name.startswith("."):
                entries[f"{OUTPUT_DIR}/{path.name}"] = path
        for version in versions(outputs):  # each tally's own folder (lan-NN-…)
            for path in sorted(version.iterdir()):
                if path.is_file() and not path.name.startswith("."):
                    entries[f"{OUTPUT_DIR}/{version.name}/{path.name}"] = path
        entries["readings.csv"] = readings_csv(store).encode("utf-8")
        entries["decisions.csv"] = _decisions_csv(store).encode("utf-8")
        entries["events.jsonl"] = "".join(
            json.dumps({"seq": e.seq, "at": e.at, "kind": e.kind, "data": e.data,
                        "prev_hash": e.prev_hash, "hash": e.hash}, ensure_ascii=False) + "\n"
            for e in store.events()).encode("utf-8")

    hashes = {name: _sha256(data) for name, data in entries.items()}
    manifest = {"format": FORMAT, "created": dt.datetime.now(dt.UTC).isoformat(
        timespec="seconds"), "masked_signatures": mask_signatures, "files": hashes}
    sweep_partials(output.parent, [output.name])
    with Partial(output) as partial:
        try:
            with partial.fileobj() as f, zipfile.ZipFile(f, "w", zipfile.ZIP_DEFLATED) as z:
                z.writestr(MANIFEST, json.dumps(manifest, ensure_ascii=False, indent=1))
                for name, data in entries.items():
                    if isinstance(data, Path):
                        z.write(data, name, compress_type=zipfile.ZIP_STORED)  # compressed already
                    else:
                        z.writestr(name, data)
        except OSError as exc:
            raise os_failure(output, exc) from exc
        partial.sync()
        partial.commit()
    return ArchiveResult(output, len(entries) + 1, output.stat().st_size, masked)


def _sha256(data: bytes | Path) -> str:
    return file_sha256(data) if isinstance(data, Path) else hashlib.sha256(data).hexdigest()


def _decisions_csv(store: Store) -> str:
    return csv_text(["id", "ballot", "person", "value", "before", "reviewer", "note", "at"],
                    ([d.id, d.ballot, d.person, d.value, d.before, d.reviewer, d.note, d.at]
                     for d in store.decisions()))


def audit_source(source: Path, *, jobs: int = 1, fingerprint: str | None = None,
                 progress: Callable[[int], None] | None = None) -> AuditReport:
    """Audit a conference folder, or an audit archive (checked against its manifest first)."""
    source = Path(source)
    if source.is_dir():
        return audit_store(source, jobs=jobs, fingerprint=fingerprint, progress=progress)
    if not source.is_file():
        raise InputFileError(source, _("does not exist"),
                             remedy=_("Give a conference folder or an audit archive "
                                      "(.zip)."))
    if not zipfile.is_zipfile(source):
        raise InputFileError(source, _("is neither a conference folder nor an audit "
                                       "archive"),
                             remedy=_("Give the folder, or the .zip written by "
                                      "'tinnhiem export DIR --audit'."))
    with private_temp_folder("audit") as folder:  # the scans only: the store stays in memory
        manifest, problems, image = _extract(source, folder)
        images = None
        if manifest.get("masked_signatures"):
            def images(page):
                path = folder / MASKED_DIR / f"{page.file_sha256}-{page.page_index}.png"
                return (ScanFile(path, "png", 1), 0) if path.is_file() else None
        with Store.from_image(folder, image) as store:
            report = audit_opened(store, jobs=jobs, fingerprint=fingerprint, progress=progress,
                                  images=images)
        report.differences[:0] = problems
        report.checked[N_("archive entries")] = len(manifest.get("files", {}))
        return report


def _extract(archive: Path, folder: Path) -> tuple[dict, list[Difference], bytes]:
    """Extract the archive's listed entries into ``folder``, all but the store, whose bytes are
    returned; report any entry that does not match the manifest."""
    problems = []
    image = None
    try:
        with zipfile.ZipFile(archive) as z:
            try:
                manifest = json.loads(z.read(MANIFEST))
            except KeyError:
                raise InputFileError(archive, _("has no manifest.json: not an audit "
                                                "archive")) \
                    from None
            if manifest.get("format") != FORMAT:
                raise InputFileError(archive, _("is not a {format} archive (format "
                                                "{found!r})").format(
                                                  format=FORMAT, found=manifest.get("format")))
            listed = manifest.get("files", {})
            names = set(z.namelist()) - {MANIFEST}
            for name in sorted(names - set(listed)):
                problems.append(Difference(_("archive {name}").format(name=name),
                                           _("an entry the manifest does not list")))
            for name, expected in listed.items():
                where = _("archive {name}").format(name=name)
                path = PurePosixPath(name)
                if path.is_absolute() or ".." in path.parts or name not in names:
                    problems.append(Difference(where, _("listed but missing or unsafe")))
                    continue
                info = z.getinfo(name)
                if info.file_size > MAX_ENTRY_BYTES:
                    problems.append(Difference(where, _("too large to be ours")))
                    continue
                if name == STORE_FILE:
                    image = z.read(info)
                    sha = hashlib.sha256(image).hexdigest()
                else:
                    target = folder / path
                    target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
                    with z.open(info) as src, open(target, "wb") as dst:
                        sha = copy_hashed(src, dst)
                if sha != expected:
                    problems.append(Difference(where, _("content differs from the manifest"),
                                               expected[:16], sha[:16]))
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise InputFileError(archive, _("cannot be read as an audit archive ({exc})").format(
                                          exc=exc)) from exc
    if image is None:
        raise InputFileError(archive, _("holds no {store}: not an audit archive").format(
                                          store=STORE_FILE))
    return manifest, problems, image
