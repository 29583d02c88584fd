"""Review images and signature masks place a ballot page with the transform its reading kept."""

import dataclasses

import numpy as np

from ballotgen.vocabulary import PageKind
from omr.overlay import mask_signature, place, review_image
from omr.read import read_page
from rehearsal.simulate import fill_page
from tests.omr.helpers import plan


def test_a_ballot_page_is_placed_with_its_readings_transform(issued, drawer, ctx):
    sheet = drawer.sheet()
    fill_page(sheet, issued.layout.pages[0], plan(issued, {1: (0,), 2: (1,)}, signature=True),
              last=True)
    page = drawer.scan(sheet, skew=1.2)
    reading = read_page(page, ctx)
    assert reading.kind == PageKind.BALLOT and len(reading.transform) == 9

    kept, found = place(page, ctx, reading), place(page, ctx)  # found: registered again
    assert np.allclose(kept.registration.matrix, found.registration.matrix)
    assert np.array_equal(review_image(page, ctx, reading).image, review_image(page, ctx).image)
    assert np.array_equal(mask_signature(page, ctx, reading)[0], mask_signature(page, ctx)[0])

    # The kept transform is the one used: moved by 5 mm, the image moves with it.
    moved = np.array(reading.transform).reshape(3, 3) @ np.array([[1, 0, 5], [0, 1, 0], [0, 0, 1]])
    shifted = dataclasses.replace(reading, transform=tuple(moved.ravel()))
    assert not np.array_equal(review_image(page, ctx, shifted).image,
                              review_image(page, ctx).image)
    # A reading that kept none (read by an earlier version) is placed by registering again.
    earlier = dataclasses.replace(reading, transform=())
    assert np.array_equal(review_image(page, ctx, earlier).image, review_image(page, ctx).image)


def test_a_page_that_is_no_ballot_is_shown_as_scanned(drawer, ctx):
    page = drawer.scan(np.full_like(drawer.sheet().image, 255))
    reading = read_page(page, ctx)
    assert reading.kind == PageKind.BLANK
    image = review_image(page, ctx, reading)
    assert not image.registered and place(page, ctx, reading) is None
