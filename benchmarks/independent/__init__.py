"""An independent test corpus for the reader: ballots printed by the project, filled and scanned by
code that shares nothing with the project's own simulator.

Only the genuine parts come from the project: the conference, the printed PDF (so the QR codes
verify) and the layout geometry (where the boxes are). Everything a reader could be fitted to is
made here, from scratch: the voters' plans (``plans``), the hand marks (``pen``: Bezier strokes
with pressure, ballpoint skips and pencil grain, several hands per style) and the scanner and paper
(``scanner``: augraphy when installed, own skew, crop, gain, noise, binarisation and JPEG).
Nothing here imports ``rehearsal.marks``, ``rehearsal.scanner``, ``rehearsal.simulate`` or
``rehearsal.voters``; the truth it writes has the format ``rehearsal.evaluate`` reads.
"""
