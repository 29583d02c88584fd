"""Smoke test of the independent corpus generator (benchmarks/independent): two ballots, filled
and scanned with its own effects (augraphy is not needed), and a truth rehearsal.evaluate can
read."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.independent.corpus import build_set  # noqa: E402
from benchmarks.independent.plans import MISTAKES  # noqa: E402
from rehearsal.evaluate import evaluate  # noqa: E402


def test_two_ballots_make_scans_and_a_truth_evaluate_reads(tmp_path):
    conf, files, truth = build_set(tmp_path / "set", ballots=2, rates=MISTAKES, seed=7, jobs=1,
                                   use_augraphy=False, stack_size=1, dpi=150)
    assert conf.is_dir() and all(f.is_file() and f.stat().st_size > 10_000 for f in files)
    assert (tmp_path / "set" / "truth.json").is_file()
    assert truth["foreign"] == [] and len(truth["ballots"]) == 2
    for ballot in truth["ballots"]:
        assert len(ballot["rows"]) == 14
        for row in ballot["rows"]:
            assert set(row) == {"person", "intended", "expected", "flags", "style", "marked",
                                "scribbled"}
            assert row["expected"] in ("cao", "tin_nhiem", "thap", "blank", "multi")
            assert (row["flags"] == ["blank_row"]) == (row["expected"] == "blank")
    names = {f.name for f in files}
    for page in truth["pages"]:
        assert {"file", "index", "kind", "ballot", "ballot_page", "flags"} <= set(page)
        assert page["file"] in names and page["kind"] == "ballot"
        assert not page["scan"]["lost_marks"] and page["scan"]["code_readable"]
    ev = evaluate(truth, {})  # nothing read: every page is a missed flag, nothing else breaks
    assert ev.pages == len(truth["pages"]) and len(ev.missed_flags) == ev.pages
