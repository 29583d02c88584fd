"""Every limit the reader applies, in one validated value recorded with each reading.

A :class:`ReaderSettings` is kept apart from what is printed, so tuning never needs a reprint, and
it is stored with every :class:`~omr.reading.PageReading` (``settings``), so an audit re-reads a
page with exactly the limits it was first read with, and a change of limits can be replayed on
past readings (the raw measurements are stored too).

The ink and decision limits were chosen on simulated stacks of one set of seeds
(``benchmarks/accuracy.py --sets tune``) and are reported on another (see the README's accuracy
section); the registration limits follow from the printed layout and from what paper and
scanners do to it. What each limit means, and why it has its value, is said beside it. Units are
in the names: ``_mm`` millimetres of the sheet, ``_mm2`` square millimetres, ``_deg`` degrees,
darkness 0 (the local paper) … 1 (printed black); a range is two limits, ``…_min`` and ``…_max``.

Resolutions and search strategies are not limits and stay beside the code that uses them
(``register.PX_PER_MM``, ``SKEW_PX_PER_MM``, ``SKEW_STEP_NO_CORNERS_DEG``,
``TABLE_COARSE_ROWS``, ``blank.BLANK_PX_PER_MM``): they say how the reader looks, not what it
accepts. A recorded dict that lacks a limit takes its default, except where a later version
added a limit that changed what older readers did: a version 3 dict reads with
``refine_min_mm`` 0, as version 3 read, and versions 3 and 4 with ``texture_ratio``,
``texture_peak_ratio`` and ``name_line_width_mm`` 0 and ``name_align_pieces`` 1. A version 5
dict or older takes today's stamp limits: those readers did not read the stamp, and no
conference they read has the stamp check on, so the stamp read again raises no flag
(``omr.stamp.stamp_flags``). Versions 3 to 6 read with ``grain_piece_mm`` 0: they did
not measure the pieces of ink, so a box on grained paper was a mark only by its peak, and
with ``streak_contrast`` 0: they did not look for scanner streaks. Versions 3 to 7 read with
``mark_piece_mm`` 0: they did not measure how much of the ink lies along lines.
Versions 3 to 8 read with ``texture_ring_min_mm`` 0 and ``texture_ring_max_mm`` 2.5: the ring
where the paper's texture is measured began at the box's outline; with ``mark_peak_min`` 0, and
with ``mark_mend`` 0 (registration discs were not mended).
Versions 1 and 2 were recorded only while this reader was being built (no conference was read
with them), so their readings re-read with today's measurements; a dict from a newer reader,
or naming a limit this one does not know, is refused rather than half understood.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass, fields

SETTINGS_VERSION = 9  # 2: the registration limits joined; 3: background, folds, names, write-ins;
#                       4: refine_min_mm (version 3 always resampled: 0), boxes measured above
#                       the paper around them, min_outline_contrast, names by strokes
#                       through the printed text, the measuring limits of omr.score;
#                       5: ink stands out from the paper's texture around each box
#                       (texture_ratio; versions 3 and 4 did not look: 0), and names are
#                       crossed by ink along a line (name_line_width_mm; before: 0),
#                       matched in parts (name_align_pieces; before: 1); the blank test's
#                       limits on our print (blank_disc_*, blank_rule_*: as they were);
#                       6: the red stamp (omr.stamp; earlier readers did not read it, and
#                       their readings re-read with these defaults change no flag);
#                       7: a long piece of ink is a mark on grained paper at a lower peak
#                       (grain_piece_mm; versions 6 and older did not measure pieces: 0),
#                       and a scanner's streaks are taken away (streak_contrast; before: 0)
#                       8: ink without a long piece must lie along lines to be a mark
#                       (mark_piece_mm, mark_line_share; versions 7 and older: 0, off)
#                       9: the paper's texture looked at past a mark's overflow
#                       (texture_ring_min_mm, texture_ring_max_mm; before: 0 and 2.5), a
#                       mark's darkest pixel must reach mark_peak_min (before: 0, off), and
#                       discs cut by a light line are mended (mark_mend; before: 0)


@dataclass(frozen=True)
class ReaderSettings:
    # --- Ink pixels. A box's ink is measured on its interior, at least ``ink_inset_mm`` inside
    # the centre line of its printed outline (a misregistration of 0.3 mm cannot bring the
    # outline in). A pixel is ink when it is darker than the page's own noise: the noise is the
    # 99th percentile of darkness inside the emptiest box of each row (median over the rows),
    # and ink pixels must pass ``ink_low`` (or ``ink_low_noise`` × noise if higher), connected to
    # pixels past ``ink_high`` (or ``ink_high_noise`` × noise): hysteresis keeps a light but
    # continuous stroke and drops scattered grain. Components under ``speck_mm2`` are dust.
    ink_inset_mm: float = 0.75
    # A box's mean darknesses are taken ``box_inset_mm`` inside that centre line, and the one
    # stored as its score counts only pixels darker than ``blob_darkness`` (a blob of ink shows
    # there; a grey blotch of the paper does not).
    box_inset_mm: float = 0.55
    blob_darkness: float = 0.45
    # A blot is a small solid shape, not a voter's stroke: thicker than ``blot_min_mm`` both
    # ways, within ``blot_max_mm`` (a filled box is not a blot), filling ``blot_solidity`` of its
    # convex hull (a drop: 0.95; a short tick with a heavy pen, blurred, 0.88; a small cross 0.6
    # or less); against the box's edge also no longer than ``blot_edge_aspect`` times its width
    # and ``blot_edge_solidity`` solid (else it is a stroke's end come in from outside).
    blot_min_mm: float = 1.0
    blot_max_mm: float = 3.0
    blot_solidity: float = 0.92
    blot_edge_aspect: float = 1.5
    blot_edge_solidity: float = 0.92
    ink_low: float = 0.06
    ink_high: float = 0.12
    ink_low_noise: float = 1.5
    ink_high_noise: float = 2.5
    speck_mm2: float = 0.1
    # … and it must stand out from the paper's own texture around its box: a mottled, recycled
    # or stained sheet has grey grain 1-3 mm across, which the background removal does not
    # take away, and which is as dark as a light mark where it lies. Around each box (a ring
    # ``texture_ring_min_mm`` to ``texture_ring_max_mm`` outside its outline, print and the
    # strokes of marks left out) the grain's
    # 95th percentile is its texture; a component is ink only when some pixel of it passes
    # ``texture_ratio`` times that (or the page's level, if higher). Ink darker than
    # ``texture_cap`` is never taken for texture: no paper grain measured reached 0.35, a pen's
    # stroke is 0.5 or more. On clean paper the texture is 0.01-0.03 and nothing changes. The
    # ratio: a stain's grain inside a box reached 3.6 times its 95th percentile in the ring
    # around (simulated stains at 150 dpi, tuning seeds); 2.5 left those boxes marks.
    texture_ratio: float = 3.5
    texture_cap: float = 0.35
    # The ring begins ``texture_ring_min_mm`` outside the box's outline: a voter's fill or
    # cross overflows the outline by up to a millimetre or so (independent scans: hatching
    # 0.5-1 mm past it), and a light pen's or a pencil's overflowing strokes, lighter than
    # ``texture_cap``, raised the texture of a ring from the outline round their own box to
    # 0.07-0.15 (0.00-0.02 round the other boxes of the row), until a fill's ink could no longer
    # pass (independent scans, seeds 21 and 1021; a pencil's hatching 1.2 times the box,
    # tests/omr/test_fills.py). From 1.5 to 3 mm (from 1 or 1.5 to 2.5 mm left 1 more correct
    # page of 197 to review there; 0-2.5 mm, as version 8 read, 2 more).
    texture_ring_min_mm: float = 1.5
    texture_ring_max_mm: float = 3.0
    # … and a box is a mark only when its ink's darkest pixel reaches ``texture_peak_ratio``
    # times that texture: on stained sheets at 150-200 dpi the grain inside empty boxes
    # peaked at 4.3-8.6 times the ring's texture, as dark as a pen (0.37-0.61), and blank rows
    # read as votes (held-out seeds 100026 and 100028, which therefore no longer count as
    # held out). Such a box is unclear, and its row goes to a human. On clean paper (texture
    # 0.01-0.03) a stroke of 0.1-0.3 passes.
    texture_peak_ratio: float = 9.0
    # … unless its ink's core (the pixels past the level a component must reach) holds one
    # unbroken piece at least ``grain_piece_mm`` long (``score.longest_piece_mm``) and its peak
    # reaches ``grain_piece_peak_ratio`` times the texture: a stroke of a cross, a tick or a
    # fill. The pieces of grain in empty boxes on stained sheets stayed under 1.9 mm (simulated
    # stains at 150-200 dpi, seeds 100101-100108, all of them peaking below 9 times the
    # texture); 3 mm freed 176 of the 218 marks the peak alone left unclear there, no empty box.
    # 0 turns this off. (Leaving such pieces out of the ring where the texture is measured, as
    # a mark's overshooting strokes, was tried: it also took out a stain's grain, and grain in
    # boxes beside a mark read as second marks on the independent scans.)
    grain_piece_mm: float = 3.0
    grain_piece_peak_ratio: float = 4.0
    # … but only when no other box of its row is blind to faint marks: where ``texture_ratio``
    # times the grain passes ``grain_blind_darkness``, a light pencil (0.25 contrast before the
    # scanner's blur, rehearsal.voters.FAINT_CONTRAST) may leave no ink at all, and a row with
    # a mark freed beside it would read as that mark alone (independent scans, seed 1007: a
    # pencil lost on a stain beside a crossed-out box read as the crossed-out box).
    grain_blind_darkness: float = 0.2
    # A mark is strokes. A box whose ink's core (the pixels past the level an ink component must
    # reach) holds no unbroken piece ``mark_piece_mm`` long is a mark only when at least
    # ``mark_line_share`` of its ink lies along two straight lines (``score.line_share``): a
    # light pencil's cross breaks into pieces as short as specks, but they lie along its two
    # strokes (0.95-1.0 of its ink on the independent scans of seed 21), while a cluster of
    # specks (toner, dirt, graphite rubbed off another sheet) is scattered (0.6-0.76 there) and
    # read as a vote on blank rows. Such a box is unclear. 0 turns this off.
    mark_piece_mm: float = 2.0
    mark_line_share: float = 0.85
    # --- Scanner streaks (``omr.streaks``): a column of the scan darker by ``streak_contrast``
    # grey levels than the pixels ``streak_width_mm`` to either side, along
    # ``streak_min_coverage`` of the image's height, and no wider than that, is dust on a
    # feeder's glass, filled in from either side before the page is read. Nothing printed runs
    # a page's full height (a table's rules stop at the table: at most 80 % of a page). A
    # contrast of 0 turns this off.
    streak_contrast: float = 40.0
    streak_width_mm: float = 0.6
    streak_min_coverage: float = 0.9
    # A thin straight line right across a box, from one side to the opposite one, within
    # ``line_sd_mm`` (standard deviation) of a straight line, is a fold or a crease, not a mark.
    # A pen stroke is as thin, but a cross or tick is two strokes at an angle.
    line_sd_mm: float = 0.2
    # … lighter on average than this, it is a fold or a crease and is ignored; as dark as a pen
    # it may be a voter's single slash: the box is unclear, and a human decides.
    fold_darkness: float = 0.3
    # Empty boxes noisier than this are not empty: the printed outlines are inside what was
    # taken for the interiors, so the boxes are not where the registration put them.
    max_ink_noise: float = 0.4

    # Darkness is measured above each box's own background: whatever is broader than a pen
    # stroke (``stroke_max_mm``, a felt pen is 1 mm) is background: a stain, a grey shadow or a
    # coffee ring, smooth and broad, is taken away; strokes stay. A box whose background
    # averages darker than ``solid_darkness``, or half covered by ink darker than
    # ``fill_darkness`` (a light fill), is filled in and keeps its darkness.
    stroke_max_mm: float = 1.5
    solid_darkness: float = 0.3
    fill_darkness: float = 0.2

    # --- Box statuses, from a box's ink area (mm²) and extent. Simulated empty boxes show at
    # most 0.5 mm² (dust); the smallest simulated marks 3.8 mm² (small crosses), light pencil
    # 6 mm². A cross a quarter of the box drawn with a 0.3 mm pen leaves about 1.2 mm².
    mark_mm2: float = 1.2  # at or above (with the extent below): a mark
    faint_mm2: float = 0.4  # at or above, below a mark: unclear, unless the row separates it
    min_extent_mm: float = 2.0  # ink more compact than this (a dot) is never a mark
    # Ink area per mm of extent: a cross, tick, circle or fill leaves 0.6 mm or more (a small
    # cross 0.8, light pencil 1), one thin line across the box (a fold, a crease, a ruler's
    # shadow) about 0.2. Below this the box is unclear, never a mark.
    min_ink_per_extent_mm: float = 0.35
    # … and its darkest pixel (``BoxScore.peak``, above the box's background) reaches
    # ``mark_peak_min``: the faintest mark read on any scan peaked at 0.163 (5,600 marks of the
    # independent scans, seeds 21 and 1021; 0.19 in the simulator, tuning seeds 301-316), while
    # soft grey stain spots in boxes of blank rows peaked at 0.13 and 0.13 and were read as
    # votes nobody cast (independent scans, seed 1031), as was one at 0.173 (seed 1021) that
    # this limit cannot tell from a mark. Lighter ink is unclear. 0 turns this off.
    mark_peak_min: float = 0.15
    # The page's own empty boxes (the two emptiest of every row) set a noise level: on a page
    # whose empty boxes carry ink (a dirty scanner glass, a coarse black-and-white scan), a
    # mark must show ``page_noise_ratio`` times the ink of its empty boxes (their median), and
    # a box ``page_noise_ratio`` / 2 times to be unclear.
    page_noise_ratio: float = 4.0
    # Mean darkness guards a light mark that the pixel level misses: a box darker on average
    # than the page's empty boxes (their median) by ``faint_score_margin`` is unclear.
    faint_score_margin: float = 0.03
    # … and a box whose pixels as dark as ink (their mean, ``BoxScore.score``) exceed the
    # empty boxes' by ``raw_score_margin``: a blob broader than a stroke, which the background
    # removal above takes away with a stain (a grey blotch of the paper is lighter than ink).
    raw_score_margin: float = 0.08
    # A box is measured above the paper just around it (a ring 1-2 mm outside it, median), so
    # a mottled or stained sheet is no darker inside an empty box than around it. A box whose
    # printed outline does not stand out from that ring by ``min_outline_contrast`` is not on
    # the scanned sheet (beyond its edge, over the scanner's background, under a blot or
    # white-out): its row is unclear, whatever its ink. The printed outline is near 1; the
    # darkest paper textures measured were near 0.35. Readings from before the outline was
    # measured fall back on the ring alone: darker than ``max_surround`` is not paper.
    min_outline_contrast: float = 0.3
    max_surround: float = 0.3

    # --- Rows. One mark beside boxes that are only unclear reads as that mark when the
    # measurements separate them well: every other box has at most ``row_separation`` of the
    # mark's ink area and of its mean darkness. Spill-over from an overshooting cross or tick
    # and a faint smudge leave far less than a mark (0.1 of it or less); a second mark a voter
    # really made is a mark of its own.
    row_separation: float = 0.3
    # Ink that enters a box across its edge from a mark in the next box of the row, and reaches
    # no further than ``spill_depth_mm`` into it (from the outline; the box is 7.5 mm), belongs to
    # that mark (an overshooting stroke), not to this box. So does one straight stroke from that
    # edge, however deep, that does not reach the opposite edge (within ``spill_line_sd_mm`` of
    # a straight line, a felt pen's width included: a pen dragged on from the mark); a voter's
    # own mark is two strokes at an angle (a tick's or a cross's spread is 1 mm or more).
    spill_depth_mm: float = 3.2
    spill_line_sd_mm: float = 0.45

    # ... and only when a stroke crosses the gap between the two boxes: at least
    # ``spill_gap_mm2`` of new ink between them, in the row.
    spill_gap_mm2: float = 0.3

    # --- Other new ink (mm² of ink where the blank ballot is white).
    # Measured as below (strokes through the printed text): lines struck through names left
    # 6-50 mm² on independent scans and 3.9 mm² for a light, skipping pencil in the simulator;
    # untouched names left up to 4 mm² only on warped or blotted scans, most 0.
    name_crossed_mm2: float = 3.0
    # Only strokes count over a name: new ink in components at least ``name_stroke_min_mm``
    # long (a blot, a dot of toner or a splash is not a line struck through a name), and only
    # within ``name_band_mm`` above and below the printed name (a table rule that the scan bent
    # into the cell, a stroke grazing the cell's edge, is not through the name).
    # Struck ink is darker than ``name_darkness`` (above the cell's background): lighter than
    # the ink of a box, since a stroke's length, not its darkness, tells it from noise.
    # New ink over a name or below the table is looked for ``cell_margin_mm`` inside its cell
    # (away from the rules), after matching the cell's print to the blank ballot within
    # ``align_reach_mm`` (registration leaves printed text that far off at most).
    cell_margin_mm: float = 0.8
    align_reach_mm: float = 2.0
    name_stroke_min_mm: float = 5.0
    name_band_mm: float = 1.0
    name_darkness: float = 0.35
    # … and of those, only the ink along one straight line (a band ``name_line_width_mm``
    # wide, up to ``name_line_max_deg`` from the text's direction) spanning
    # ``name_stroke_min_mm`` of it: the slivers a warped or blurred scan leaves along the
    # letters' edges spread over the text's height (4-5 mm), and a blot touching a letter is
    # short; a hand's line across a name sags by a millimetre at most.
    name_line_width_mm: float = 2.0
    name_line_max_deg: float = 20.0
    # A name's print is matched to the blank ballot's in ``name_align_pieces`` parts side by
    # side, each within half a millimetre of the whole's match: a sheet bent or turned in the
    # scanner moves the two ends of a name differently, and the letters' edges would show.
    name_align_pieces: int = 3
    # … on a page whose names all show new ink (bled print, a smear), the level rises to twice
    # the page's 25th percentile, up to 6 mm² (see decide.name_level).
    name_page_ratio: float = 2.0
    name_crossed_max_mm2: float = 6.0
    write_in_mm2: float = 8.0  # in the write-in band below the table: a written-in name
    # A name added to the list is written just below the table, where a row would go: the
    # write-in band is the free area's first ``write_in_band_mm``. A signature, which voters put
    # anywhere in the lower part of the last page, is not a write-in: on the last page the band
    # stops at ``signature_zone_from`` of the page's height (the lower third), unless the table
    # itself reaches that far.
    write_in_band_mm: float = 22.0
    # Handwriting there is ink darker than this above its background (a light pen, a pencil).
    write_in_darkness: float = 0.3
    signature_zone_from: float = 2 / 3

    # --- Blank pages (duplex backs): ink that is clearly darker than the paper around it
    # (``blank_contrast`` grey levels of 255) over less than ``blank_ink_fraction`` of the page,
    # ignoring ``blank_margin_mm`` at the edges (scanner shadows, punched holes).
    blank_ink_fraction: float = 0.002
    blank_margin_mm: float = 12.0
    blank_contrast: int = 90
    blank_min_contrast: int = 40  # … or half the page's own range, down to this (light print)
    # A page without ink is still no blank back when it shows our print (at the blank test's
    # 3 px/mm, brought to white): ``blank_min_discs`` registration discs (a sheet cut by the
    # scan area keeps two), each ``blank_disc_area_min``-``_max`` of the printed disc's area,
    # ``blank_disc_aspect_min``-``_max`` as wide as high and filling ``blank_disc_min_fill``
    # of its bounding box (a disc fills π/4); or ``blank_min_rules`` straight horizontal lines
    # ``blank_rule_min_mm`` long, lines closer than ``blank_rule_gap_mm`` counting as one (the
    # table's top, below its header, below a row; a sheet's own edges and its shadow make two
    # at most; rows are 8 mm or more apart); or a QR code, not mirrored.
    blank_min_discs: int = 2
    blank_disc_area_min: float = 0.5
    blank_disc_area_max: float = 1.6
    blank_disc_aspect_min: float = 0.7
    blank_disc_aspect_max: float = 1.4
    blank_disc_min_fill: float = 0.6
    blank_min_rules: int = 3
    blank_rule_min_mm: float = 60.0
    blank_rule_gap_mm: float = 2.0
    # --- Dark pages: a sheet of paper as scanned is mostly light. A page with more than
    # ``dark_page_fraction`` of its pixels darker than ``dark_grey`` (of 255) is no blank back
    # but unreadable (an open lid, a sheet face down on a black background, a negative image).
    dark_page_fraction: float = 0.5
    dark_grey: int = 128

    # --- Registration (``omr.register``, ``omr.table``): where the page lies on the scan.
    # Finding the discs, around where the QR code's first guess puts them:
    search_radius_mm: float = 9.0  # how far from the first guess a disc is looked for
    search_radius_no_corners_mm: float = 30.0  # … when the QR code gave no corners (pyzbar), so
    #                                            no rotation is known
    mark_area_min: float = 0.5  # a disc found has this …
    mark_area_max: float = 1.7  # … to this times the area of the printed disc,
    mark_aspect_min: float = 0.75  # … is this …
    mark_aspect_max: float = 1.33  # … to this times as wide as it is high,
    mark_fill_min: float = 0.6  # … and fills this …
    mark_fill_max: float = 0.92  # … to this of its bounding box (π/4 ≈ 0.785 for a disc)
    # … after light gaps across it up to ``mark_mend`` of its radius are closed: a thin light
    # line across the sheet (a printer low on toner, a feeder skipping lines) cut every disc
    # of an independent page in two halves that were no disc (seed 1021). 0: not mended.
    mark_mend: float = 0.25
    # Checking a fit (to the discs, or to the table), so that a wrong one is refused, not used:
    max_scale_error: float = 0.08  # the fit's scale vs the QR code's (or the file's dpi)
    max_anisotropy: float = 0.04  # |sx/sy - 1|: paper does not stretch more than this
    max_residual_mm: float = 2.5  # RMS of the four discs around the best affine fit (keystone)
    max_qr_disagreement_mm: float = 3.0  # the fit must put the QR code where it was found
    # Placing the page from its printed table (fewer than three discs, or their fit failed):
    # the box outlines of a few rows are looked for ``table_reach_mm`` from the QR code's guess
    # (boxes and cells are at least 10 mm apart, so none is taken for its neighbour), then the
    # other boxes and every cell ``table_fine_reach_mm`` from where those put them.
    table_reach_mm: float = 4.0
    table_fine_reach_mm: float = 1.0
    min_ring_contrast: float = 0.12  # an outline's ring is this much darker than its inside
    #                                  (paper beyond the scan area, a covered table: nothing)
    table_tolerance_mm: float = 0.5  # outlines this close to the fitted placement agree with it
    min_table_agreeing: float = 0.6  # share of all the table's outlines that must agree
    max_table_residual_mm: float = 0.3  # RMS of the agreeing outlines (and discs) around the fit
    disc_agreement_mm: float = 1.0  # a disc found this close to where the table puts it joins
    max_skew_no_corners_deg: float = 10.0  # without the QR code's corners the skew is unknown:
    #                                        the table's rules are turned up to this to find it
    # Placing the boxes on the registered page: their outlines are looked for
    # ``refine_reach_mm`` around where the registration puts them, and an affine correction is
    # fitted to those that agree within ``refine_tolerance_mm``; ``min_outlines`` of them must
    # agree (heavy marks hide some), ``min_outlines_weak`` when fewer than three discs were found
    # and after the correction, which must then move no box more than ``refine_tolerance_mm``.
    # Each box's own outline is then looked for ``relocate_mm`` around its corrected place.
    # The page is resampled with the correction only when it moves some box by
    # ``refine_min_mm`` or more: less than one registered pixel (0.125 mm), a correction is
    # within the outlines' own noise (0.01-0.05 mm measured on scans with nothing to correct)
    # and resampling would move nothing by a pixel; the per-box search absorbs it.
    refine_reach_mm: float = 1.8
    refine_tolerance_mm: float = 0.4
    min_outlines: float = 0.5
    min_outlines_weak: float = 0.8
    relocate_mm: float = 0.5
    refine_min_mm: float = 0.1

    # --- The agency's red stamp (``omr.stamp``), on colour scans. A pixel is red ink when its
    # colour, against the page's own paper and smoothed over 0.35 mm, is at least
    # ``stamp_chroma_min`` strong (0..1 of the paper's brightness: a stamp pressed fully is
    # 0.4-0.6, the faintest simulated 0.1; JPEG and scanner noise on paper stay below 0.05)
    # with a hue between ``stamp_hue_min_deg`` and ``stamp_hue_max_deg`` (0° red, -60°
    # magenta, +60° yellow: the red pad inks lie within -20°…+15°, a blue pen near 180°).
    stamp_chroma_min: float = 0.08
    stamp_hue_min_deg: float = -40.0
    stamp_hue_max_deg: float = 30.0
    # Red from ``stamp_faint_chroma`` is faint red: a stamp that barely left ink (pressed with a
    # dry pad) is faint red over ``stamp_faint_mm2`` of the area, and the reader cannot tell,
    # rather than say it is not there. Either is red only where the red channel keeps
    # ``stamp_red_min`` of the paper's (red ink takes little red: 0.65 for the darkest pad ink
    # pressed fully); dark print takes it all, and whatever colour it shows is the scanner's (a
    # channel clipped at the paper's white tints everything darker than the paper).
    stamp_faint_chroma: float = 0.04
    stamp_faint_mm2: float = 20.0
    stamp_red_min: float = 0.5
    # The ballot is stamped when its stamp area holds ``stamp_present_mm2`` of red ink, and not
    # stamped only when the area, at least ``stamp_min_on_scan`` of it on the scan, holds at
    # most ``stamp_absent_mm2`` and the rest of the header less than ``stamp_elsewhere_mm2`` (a
    # stamp put elsewhere); in between the reader cannot tell. On the tuning set (seeds 1-,
    # benchmarks/stamp.py: 600 first sheets) stamped ones held 106-544 mm² in the area,
    # unstamped ones and grey photocopies at most 1 mm² there (faint red: 1.8 mm²) and 4 mm²
    # elsewhere (on an earlier run); every candidate of the benchmark's grid met the targets,
    # and these limits keep about 5 times the distance from what both kinds of sheets
    # measured. A fifth of the area off the scan (a sheet askew, its corner cut) cannot hide a
    # stamp 30 mm across, whose disc is a quarter of the area, so the area's rest still shows
    # it. A page whose colour channels never differ by more than ``stamp_colour_min`` grey
    # levels holds no colour: a grey scan saved as colour, whose channels are equal but for
    # rounding (a colour sensor's channels each have grain of their own, so even a grey sheet
    # scanned in colour shows more).
    stamp_present_mm2: float = 20.0
    stamp_absent_mm2: float = 12.0
    stamp_elsewhere_mm2: float = 20.0
    stamp_min_on_scan: float = 0.8
    stamp_colour_min: float = 1.0

    def __post_init__(self) -> None:
        positive = ("ink_inset_mm", "box_inset_mm", "blob_darkness", "blot_min_mm",
                    "blot_max_mm", "blot_solidity", "blot_edge_aspect", "blot_edge_solidity",
                    "cell_margin_mm", "align_reach_mm", "ink_low", "max_ink_noise", "ink_high",
                    "texture_ring_max_mm",
                    "speck_mm2", "streak_width_mm", "streak_min_coverage",
                    "line_sd_mm", "fold_darkness", "stroke_max_mm", "solid_darkness",
                    "fill_darkness", "mark_mm2",
                    "faint_mm2", "min_extent_mm", "min_ink_per_extent_mm", "page_noise_ratio",
                    "spill_depth_mm", "spill_line_sd_mm", "name_crossed_mm2", "name_page_ratio",
                    "name_stroke_min_mm",
                    "name_band_mm", "name_darkness",
                    "name_crossed_max_mm2", "write_in_mm2", "write_in_band_mm",
                    "write_in_darkness", "signature_zone_from", "blank_ink_fraction",
                    "blank_contrast", "blank_min_contrast", "dark_page_fraction", "dark_grey",
                    "search_radius_mm", "search_radius_no_corners_mm", "mark_area_min",
                    "mark_fill_min", "max_scale_error", "max_anisotropy", "max_residual_mm",
                    "max_qr_disagreement_mm", "table_reach_mm", "table_fine_reach_mm",
                    "min_ring_contrast", "table_tolerance_mm", "min_table_agreeing",
                    "max_table_residual_mm", "disc_agreement_mm", "max_skew_no_corners_deg",
                    "refine_reach_mm", "refine_tolerance_mm", "relocate_mm", "texture_cap",
                    "blank_min_discs", "blank_disc_area_min", "blank_disc_aspect_min",
                    "blank_disc_min_fill", "blank_min_rules", "blank_rule_min_mm",
                    "blank_rule_gap_mm", "stamp_chroma_min", "stamp_present_mm2",
                    "stamp_absent_mm2", "stamp_elsewhere_mm2", "stamp_min_on_scan",
                    "stamp_colour_min", "stamp_faint_chroma", "stamp_faint_mm2",
                    "stamp_red_min")
        for name in positive + ("spill_gap_mm2", "blank_margin_mm", "raw_score_margin",
                                "max_surround", "min_outline_contrast"):
            if not getattr(self, name) > 0:
                raise ValueError(f"reader setting {name} must be positive")
        for name in ("faint_score_margin", "texture_ratio", "texture_peak_ratio",
                     "grain_piece_mm", "grain_piece_peak_ratio", "grain_blind_darkness",
                     "texture_ring_min_mm", "mark_peak_min", "mark_mend",
                     "mark_piece_mm", "mark_line_share",
                     "streak_contrast",
                     "name_line_width_mm",
                     "name_line_max_deg"):
            if not getattr(self, name) >= 0:
                raise ValueError(f"reader setting {name} must not be negative")
        if not (isinstance(self.name_align_pieces, int) and self.name_align_pieces >= 1):
            raise ValueError("reader setting name_align_pieces must be a whole number, 1 or more")
        if not self.dark_grey < 255:
            raise ValueError("reader setting dark_grey must be below 255")
        for name in ("fold_darkness", "solid_darkness", "fill_darkness", "write_in_darkness",
                     "texture_cap", "streak_min_coverage",
                     "signature_zone_from", "max_ink_noise", "dark_page_fraction"):
            if not getattr(self, name) <= 1.0:
                raise ValueError(f"reader setting {name} must be at most 1")
        if not self.name_crossed_mm2 <= self.name_crossed_max_mm2:
            raise ValueError("reader settings must satisfy "
                             "name_crossed_mm2 <= name_crossed_max_mm2")
        if not self.ink_low <= self.ink_high < 1.0:
            raise ValueError("reader settings must satisfy ink_low <= ink_high < 1")
        if not 1.0 <= self.ink_low_noise <= self.ink_high_noise:
            raise ValueError("reader settings must satisfy 1 <= ink_low_noise <= ink_high_noise")
        if not self.faint_mm2 <= self.mark_mm2:
            raise ValueError("reader settings must satisfy faint_mm2 <= mark_mm2")
        if not 0.0 < self.row_separation < 1.0:
            raise ValueError("reader setting row_separation must be between 0 and 1")
        if not 0.0 <= self.min_outlines <= self.min_outlines_weak <= 1.0:
            raise ValueError("reader settings must satisfy "
                             "0 <= min_outlines <= min_outlines_weak <= 1")
        if not (self.blank_disc_area_min <= self.blank_disc_area_max
                and self.blank_disc_aspect_min <= 1.0 <= self.blank_disc_aspect_max
                and self.blank_disc_min_fill <= 1.0):
            raise ValueError("reader settings must satisfy blank_disc_area_min <= "
                             "blank_disc_area_max, blank_disc_aspect_min <= 1 <= "
                             "blank_disc_aspect_max and blank_disc_min_fill <= 1")
        if not self.mark_area_min <= self.mark_area_max:
            raise ValueError("reader settings must satisfy mark_area_min <= mark_area_max")
        if not self.mark_aspect_min <= 1.0 <= self.mark_aspect_max:
            raise ValueError("reader settings must satisfy mark_aspect_min <= 1 <= mark_aspect_max")
        if not self.mark_fill_min <= self.mark_fill_max <= 1.0:
            raise ValueError("reader settings must satisfy "
                             "0 < mark_fill_min <= mark_fill_max <= 1")
        if not self.search_radius_mm <= self.search_radius_no_corners_mm:
            raise ValueError("reader settings must satisfy "
                             "search_radius_mm <= search_radius_no_corners_mm")
        if not self.table_fine_reach_mm <= self.table_reach_mm:
            raise ValueError("reader settings must satisfy table_fine_reach_mm <= table_reach_mm")
        if not 0.0 <= self.refine_min_mm < self.refine_tolerance_mm:
            raise ValueError("reader settings must satisfy "
                             "0 <= refine_min_mm < refine_tolerance_mm")
        if not self.relocate_mm <= self.refine_reach_mm:
            raise ValueError("reader settings must satisfy relocate_mm <= refine_reach_mm")
        for name in ("max_scale_error", "max_anisotropy", "min_ring_contrast"):
            if not getattr(self, name) < 1.0:
                raise ValueError(f"reader setting {name} must be below 1")
        if not self.min_table_agreeing <= 1.0:
            raise ValueError("reader setting min_table_agreeing must be at most 1")
        if not self.max_skew_no_corners_deg < 45.0:
            raise ValueError("reader setting max_skew_no_corners_deg must be below 45")
        if not -90.0 < self.stamp_hue_min_deg < 0.0 < self.stamp_hue_max_deg < 90.0:
            raise ValueError("reader settings must satisfy "
                             "-90 < stamp_hue_min_deg < 0 < stamp_hue_max_deg < 90")
        if not self.stamp_absent_mm2 < self.stamp_present_mm2:
            raise ValueError("reader settings must satisfy stamp_absent_mm2 < stamp_present_mm2")
        if not self.stamp_faint_chroma <= self.stamp_chroma_min:
            raise ValueError("reader settings must satisfy stamp_faint_chroma <= stamp_chroma_min")
        for name in ("stamp_chroma_min", "stamp_min_on_scan", "stamp_red_min"):
            if not getattr(self, name) <= 1.0:
                raise ValueError(f"reader setting {name} must be at most 1")

        if not self.texture_ring_min_mm < self.texture_ring_max_mm:
            raise ValueError("reader settings must satisfy texture_ring_min_mm < "
                             "texture_ring_max_mm")

    def to_dict(self) -> dict:
        return {"version": SETTINGS_VERSION, **dataclasses.asdict(self)}

    @classmethod
    def from_dict(cls, d: dict) -> ReaderSettings:
        """The settings ``d`` records; limits it does not name take today's defaults."""
        version = d.get("version", 1)
        if not isinstance(version, int) or version > SETTINGS_VERSION:
            raise ValueError(f"reader settings of version {version} come from a newer reader "
                             f"(this one knows version {SETTINGS_VERSION})")
        known = {f.name for f in fields(cls)}
        unknown = set(d) - known - {"version"}
        if unknown:
            raise ValueError(f"unknown reader settings: {', '.join(sorted(unknown))}")
        values = {k: v for k, v in d.items() if k in known}
        if version == 3:  # resampled after every correction, however small
            values.setdefault("refine_min_mm", 0.0)
        if version in (3, 4):  # the paper's texture was not looked at, nor names' lines
            values.setdefault("texture_ratio", 0.0)
            values.setdefault("texture_peak_ratio", 0.0)
            values.setdefault("name_line_width_mm", 0.0)
            values.setdefault("name_align_pieces", 1)
        if version in (3, 4, 5, 6):  # no pieces of ink measured, no streaks looked for
            values.setdefault("grain_piece_mm", 0.0)
            values.setdefault("streak_contrast", 0.0)
        if version in (3, 4, 5, 6, 7):  # no line share measured: a piece was not required
            values.setdefault("mark_piece_mm", 0.0)
        if version in (3, 4, 5, 6, 7, 8):  # the texture looked at from the outline
            values.setdefault("texture_ring_min_mm", 0.0)
            values.setdefault("texture_ring_max_mm", 2.5)
            values.setdefault("mark_peak_min", 0.0)
            values.setdefault("mark_mend", 0.0)
        return cls(**values)

    @property
    def fingerprint(self) -> str:
        """A short hash of the values, to tell two sets of settings apart at a glance."""
        text = json.dumps(self.to_dict(), sort_keys=True)
        return hashlib.sha256(text.encode("ascii")).hexdigest()[:12]


DEFAULT = ReaderSettings()
