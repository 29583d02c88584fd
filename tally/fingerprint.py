"""The canonical form of the results, and the fingerprint printed on the minutes.

The fingerprint (*Mã kiểm tra*) is a hash of the results in this form and of the event log's
last hash: ``tinnhiem audit`` recomputes every tally in the log and compares. So the form never
changes: the results as JSON with sorted keys, what the count found stated in the sentences of
the minutes (:mod:`tally.sentences`), exactly as every earlier version wrote them. Results of
version 1 of the count (see :mod:`tally.count`) are written without what version 2 added, in
version 1's sentences; results of a later version carry their version, their anomalies and
their print runs.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict

from tally.count import Results
from tally.sentences import anomaly_text, missing_text, note_text, problem_text


def results_json(results: Results) -> str:
    """The results as canonical JSON."""
    data = asdict(results)
    if results.stamp is None:  # as results were before the stamp check: fingerprints stand
        del data["stamp"]
    version = results.version
    rules = results.rules if version > 1 else None
    if version == 1:  # as results were before version 2: fingerprints stand
        for key in ("anomalies", "print_runs", "version"):
            del data[key]
    else:
        data["anomalies"] = [anomaly_text(a, results.rules) for a in results.anomalies]
    data["problems"] = [problem_text(p, rules) for p in results.problems]
    data["missing"] = [missing_text(m) for m in results.missing]
    for person, result in zip(data["persons"], results.persons):
        person["note"] = note_text(result.note, version, results.rules)
    return json.dumps(data, ensure_ascii=False, sort_keys=True)


def results_sha256(results: Results) -> str:
    """SHA-256 of :func:`results_json`, recorded with each tally."""
    return hashlib.sha256(results_json(results).encode("utf-8")).hexdigest()


def fingerprint(results: Results, log_head: str) -> str:
    """A short hash of ``results`` and the event log's last hash: ``XXXX-XXXX-XXXX-XXXX``."""
    digest = hashlib.sha256(f"{results_json(results)}\n{log_head}".encode()).hexdigest()
    return "-".join(digest[i:i + 4] for i in range(0, 16, 4)).upper()
