"""Rehearsal: simulated votes for training, demos, tests and benchmarks, never for a real count.

- :mod:`rehearsal.voters`: who votes what and which mistakes they make (the plans);
- :mod:`rehearsal.marks`: hand-made ink on a ballot page image;
- :mod:`rehearsal.scanner`: what an office scanner does to a sheet;
- :mod:`rehearsal.scanfiles`: the files scanners write (PDF, TIFF, JPEG, PNG);
- :mod:`rehearsal.simulate`: a whole stack and its truth; :mod:`rehearsal.truth` reads a truth;
- :mod:`rehearsal.vote`: a rehearsal on a conference folder (``tinnhiem simulate``);
- :mod:`rehearsal.evaluate`: the reader's readings compared with the truth;
- :mod:`rehearsal.committee`: a committee that resolves flagged ballots from the truth alone
  (``tinnhiem simulate-review``), and the hand count of what the voters did;
- :mod:`rehearsal.cli`: the two commands, registered as plugins of ``tinnhiem``.

This package imports the production packages (``ballotgen``, ``omr``, ``tally``); they never
import it (``tests/test_architecture.py`` checks every import, lazy ones included).
"""
