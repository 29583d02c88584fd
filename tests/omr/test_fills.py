"""A box filled in with a light pen or a pencil, hatching past its outline (issue 11), reads as
the vote: the paper's texture is looked at beyond a mark's overflow (texture_ring_min_mm): a
fill's own light strokes in the ring round its box raised the level its ink had to pass. On
ballots we print and fill, scanned by the mild scanner of tests.omr.helpers."""

import dataclasses

import numpy as np
import pytest

from ballotgen.vocabulary import BoxStatus
from omr.read import read_page
from omr.settings import DEFAULT, ReaderSettings
from rehearsal import marks
from rehearsal.marks import Ink
from tests.omr.helpers import CHOICES, EXPECTED

LIGHT_FILL = Ink(marks.PENCIL, 0.45, 0.6)  # a soft pencil's hatching, as light as it comes


def overflowing_fills(drawer, issued, *, seed, size=1.2):
    """Every row's chosen box (CHOICES) hatched full in pencil, ``size`` times the box."""
    sheet = drawer.sheet()
    rng = np.random.default_rng(seed)
    for row in issued.layout.pages[0].rows:
        box = row.boxes[CHOICES[row.person]]
        sheet.strokes(marks.fill_strokes(box, rng, size=size), LIGHT_FILL, rng)
    return sheet


@pytest.mark.parametrize("seed", [1, 2])
def test_light_fills_past_the_outline_are_votes(issued, drawer, ctx, seed):
    page = drawer.scan(overflowing_fills(drawer, issued, seed=seed), seed=seed)
    reading = read_page(page, ctx)
    assert [r.reading for r in reading.rows] == EXPECTED, reading.rows
    assert max(t for r in reading.rows for t in r.texture) < 0.02  # clean paper all round
    # With the texture looked at from the outline, as version 8 did, the fills' own strokes
    # make their paper look grained and some are not read: the test exercises the ring.
    from_outline = read_page(page, dataclasses.replace(ctx, settings=dataclasses.replace(
        ctx.settings, texture_ring_min_mm=0.0, texture_ring_max_mm=2.5)))
    assert any(BoxStatus.MARK not in r.statuses for r in from_outline.rows), from_outline.rows


def test_settings_of_version_8_look_at_the_texture_from_the_outline():
    old = {k: v for k, v in DEFAULT.to_dict().items()
           if k not in ("texture_ring_min_mm", "texture_ring_max_mm")}
    version_8 = ReaderSettings.from_dict({**old, "version": 8})
    assert (version_8.texture_ring_min_mm, version_8.texture_ring_max_mm) == (0.0, 2.5)
    with pytest.raises(ValueError, match="texture_ring_min_mm < texture_ring_max_mm"):
        ReaderSettings(texture_ring_min_mm=3.0)
