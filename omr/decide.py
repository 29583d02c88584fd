"""Turn measurements into statuses, row readings and flags: the one place decisions are made.

The limits come from one :class:`~omr.settings.ReaderSettings`; the measurements from
``omr.score``. Raw measurements are stored with every reading, so a decision can be replayed.

How a mark is decided
---------------------
1. **The page calibrates itself.** Every correctly marked row has at least two empty boxes, so the
   two emptiest boxes of each row show what an empty box looks like *on this page*: how much ink
   (dust, grain, a coarse black-and-white scan) and how dark on average (paper, toner, JPEG).
   Their medians are the page's noise (:class:`PageModel`): robust to a voter who marked two
   or three boxes in a few rows. The ink pixels themselves
   were already measured against the page's darkness noise (``score.ink_levels``).
2. **A box** is a *mark* when its ink area reaches ``mark_mm2`` (and ``page_noise_ratio`` times
   the page's empty-box ink, on a dirty page) and spreads over ``min_extent_mm`` (a dot never is)
   with at least ``min_ink_per_extent_mm`` of ink per mm of that extent (one thin line across the
   box, a fold or a crease, never is), as dark at its darkest as ``mark_peak_min`` (a soft grey
   stain spot is lighter than any mark), and being strokes: ink with no unbroken piece
   ``mark_piece_mm`` long must lie along two straight lines (a cluster of specks does not);
   *unclear* when it reaches ``faint_mm2`` (or half the page-relative level), when it is
   clearly darker on average than the page's empty boxes, or when a thin straight line runs
   right across it (a fold or a crease, or a voter's single slash) or a blot lies in it (a
   small solid drop of ink or toner, which no cross or tick is); otherwise *empty*. Ink that
   enters across the box edge from a mark in the next box of the row, stays within
   ``spill_depth_mm`` of that edge, while new ink lies in the gap between the two boxes (a
   stroke crossing it), is taken for the neighbour's overshooting stroke: it is not counted as
   this box's ink, but the box stays *unclear*, so the row's separation test below decides.
3. **A row** with one mark and no unclear box reads as that mark's level. With one mark beside
   unclear boxes it still reads as the mark when the measurements separate them well: each
   unclear box has at most ``row_separation`` of the mark's ink area and of its mean darkness.
   Otherwise it is *unclear* and a human decides. Two or three marks are ``multi``; no mark and
   nothing unclear is ``blank``. The absolute floors keep a page of faint noise from ever being
   read as marks.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from ballotgen.vocabulary import LEVELS, ROW_FLAG_OF, BoxStatus, Flag, RowValue
from omr.score import BoxScore
from omr.settings import DEFAULT, ReaderSettings


@dataclass(frozen=True)
class PageModel:
    """What the page's own empty boxes look like (the two emptiest of every row)."""

    empty_ink_mm2: float  # the median of their ink area
    empty_score: float  # the median of their mean darkness above each box's background
    mark_mm2: float  # a box with this much ink (and extent) is a mark on this page
    faint_mm2: float  # … with this much, unclear
    empty_raw: float = 0.0  # the median of their ink-dark mean (BoxScore.score)

    def to_dict(self) -> dict:
        return {k: round(v, 4) for k, v in asdict(self).items()}


def page_model(rows: list[list[BoxScore]], s: ReaderSettings = DEFAULT) -> PageModel:
    """Calibrate on the page: its rows of box measurements (LEVELS order)."""
    # The median: a voter who marked two or three boxes in a few rows does not move it.
    empties = [b for row in rows
               for b in sorted(row, key=lambda b: (b.ink_mm2, b.stroke_score))[:2]]
    ink = float(np.median([b.ink_mm2 for b in empties])) if empties else 0.0
    score = float(np.median([b.stroke_score for b in empties])) if empties else 0.0
    raw = float(np.median([b.score for b in empties])) if empties else 0.0
    mark = max(s.mark_mm2, s.page_noise_ratio * ink)
    faint = max(s.faint_mm2, s.page_noise_ratio / 2 * ink)
    return PageModel(ink, score, mark, faint, raw)


def spill_of(row: list[BoxScore], gaps_mm2: tuple[float, ...] = (),
             s: ReaderSettings = DEFAULT) -> list[float]:
    """How much of each box's ink area entered it from a mark in the next box of the row.

    Ink entering box i across its right (left) edge, no deeper than the spill depth, is spill
    when box i+1 (i-1) holds a mark with more ink than box i and new ink lies in the gap
    between the two (``gaps_mm2[k]``: between boxes k and k+1): one stroke overshooting.
    """
    ink = [b.ink_mm2 for b in row]
    out = [0.0] * len(row)
    for i, box in enumerate(row):
        for side, j in ((0, i - 1), (1, i + 1)):  # left edge faces i-1, right edge faces i+1
            if not 0 <= j < len(row) or not box.entering_mm2[side]:
                continue
            gap = gaps_mm2[min(i, j)] if len(gaps_mm2) > min(i, j) else 0.0
            if gap >= s.spill_gap_mm2 and ink[j] >= s.mark_mm2 and ink[j] > ink[i]:
                out[i] += box.entering_mm2[side]
    return [min(v, a) for v, a in zip(out, ink)]


def unseen(surround: float, outline: float | None, s: ReaderSettings = DEFAULT) -> bool:
    """True for a box that is not on the scanned sheet: its printed outline does not stand out
    from the paper around it by ``min_outline_contrast`` (the box lies beyond the sheet's edge,
    over the scanner's background, or under white-out or a blot). Readings that did not
    measure the outline (``None``) fall back on the surround alone: darker than
    ``max_surround`` is not paper."""
    if outline is None:
        return surround >= s.max_surround
    return outline - surround < s.min_outline_contrast


def faint_on_grain(peak: float | None, texture: float, s: ReaderSettings = DEFAULT, *,
                   piece_mm: float = 0.0) -> bool:
    """True for ink whose darkest pixel (``peak``) does not stand out from the paper's grain
    around the box (``texture``, ``score.Texture.level``) by ``s.texture_peak_ratio``: a
    stain's grain, darker inside a box than around it, or a mark on paper so grained that it
    cannot be told from it (however dark: grain on a stained sheet reached a pen's darkness).
    Unless the ink holds one unbroken piece ``s.grain_piece_mm`` long (``piece_mm``,
    ``score.longest_piece_mm``) reaching ``s.grain_piece_peak_ratio`` times the texture: grain
    is specks, a pen's stroke is a line. Such a box is never a mark, only unclear; and since it
    has a mark's ink, the row never reads as the mark beside it (a human looks).
    Readings that did not record the peak (None) are not tested."""
    if peak is None or not s.texture_peak_ratio or peak >= s.texture_peak_ratio * texture:
        return False
    return not (s.grain_piece_mm and piece_mm >= s.grain_piece_mm
                and peak >= s.grain_piece_peak_ratio * texture)


def specks(longest_piece_mm: float | None, line_share: float,
           s: ReaderSettings = DEFAULT) -> bool:
    """True for ink that is no stroke: its core holds no unbroken piece ``s.mark_piece_mm``
    long, and less than ``s.mark_line_share`` of it lies along two straight lines
    (``score.line_share``). A cluster of specks (toner, dirt, graphite rubbed off another
    sheet) is that; a light pencil's cross, broken into short pieces, still lies along its two
    strokes. None: the piece was not measured."""
    return longest_piece_mm is not None and longest_piece_mm < s.mark_piece_mm \
        and line_share < s.mark_line_share


def blind_to_faint_marks(texture: float, s: ReaderSettings = DEFAULT) -> bool:
    """True for a box whose paper's grain (``texture``) raises the level an ink component must
    reach (``s.texture_ratio`` times it) past ``s.grain_blind_darkness``: the faintest marks
    voters make may not show there at all, so its emptiness proves nothing."""
    return bool(s.grain_blind_darkness) and s.texture_ratio * texture > s.grain_blind_darkness


def box_status(ink_mm2: float, extent_mm: float, score: float, model: PageModel,
               s: ReaderSettings = DEFAULT, *, line_mm2: float = 0.0,
               spill_mm2: float = 0.0, raw: float | None = None,
               surround: float = 0.0, outline: float | None = None,
               blot_mm2: float = 0.0, peak: float | None = None,
               texture: float = 0.0, piece_mm: float = 0.0,
               longest_piece_mm: float | None = None, line_share: float = 1.0) -> BoxStatus:
    """``mark``, ``unclear`` or ``empty`` for a box's ink (spill removed), extent and darkness
    (``score`` above its background, ``raw`` its ink-dark mean), the ink of a dark straight
    line across it (a slash), of blots in it, and the spill taken away from it (a box with
    spill is at least unclear: the row's separation test then decides). A box not on the
    scanned sheet (:func:`unseen`) is unclear, never a mark or empty. A box whose ink is
    specks (:func:`specks`: its ``longest_piece_mm``, None when not measured, and
    ``line_share``) is unclear at most. ``piece_mm`` is that piece as the grain rule may use
    it (:func:`faint_on_grain`; 0 where the row's other boxes are blind)."""
    if unseen(surround, outline, s):  # the scanner's background, a torn corner, a blot
        return BoxStatus.UNCLEAR
    if ink_mm2 >= model.mark_mm2 and extent_mm >= s.min_extent_mm \
            and ink_mm2 >= s.min_ink_per_extent_mm * extent_mm \
            and not faint_on_grain(peak, texture, s, piece_mm=piece_mm) \
            and not specks(longest_piece_mm, line_share, s) \
            and (peak is None or peak >= s.mark_peak_min):
        return BoxStatus.MARK
    dark = raw is not None and raw >= model.empty_raw + s.raw_score_margin
    if ink_mm2 >= model.faint_mm2 or score >= model.empty_score + s.faint_score_margin \
            or dark or line_mm2 >= model.faint_mm2 or blot_mm2 >= model.faint_mm2 \
            or spill_mm2 > 0.0:
        return BoxStatus.UNCLEAR
    return BoxStatus.EMPTY


def row_reading(statuses: tuple[str, ...], ink: tuple[float, ...] = (),
                scores: tuple[float, ...] = (), model: PageModel | None = None,
                s: ReaderSettings = DEFAULT, *, lines: tuple[float, ...] = (),
                clean_marks: tuple[bool, ...] = (), raws: tuple[float, ...] = (),
                off_paper: tuple[bool, ...] = ()) -> RowValue:
    """A level, ``blank``, ``multi`` or ``unclear`` from the three box statuses.

    One mark beside unclear boxes reads as the mark when every unclear box has at most
    ``row_separation`` of its ink area, and of its mean darkness above the page's empty boxes,
    above each box's background and as scanned (``ink``, ``scores`` and ``raws`` in LEVELS
    order, ``model`` the page's). Never separated: a box that
    would be a mark on a clean page (``clean_marks``: it is unclear only because this page is
    dirty) and a box with a dark line across it (``lines``: a slash may be a vote). Without
    these measurements any unclear box makes the row unclear.
    """
    marked = [i for i, st in enumerate(statuses) if st == BoxStatus.MARK]
    unclear = [i for i, st in enumerate(statuses) if st == BoxStatus.UNCLEAR]
    if len(marked) > 1:
        return RowValue.MULTI
    if not marked:
        return RowValue.UNCLEAR if unclear else RowValue.BLANK
    m = marked[0]
    base = model.empty_score if model is not None else 0.0
    lines = lines or (0.0,) * len(statuses)
    clean_marks = clean_marks or (False,) * len(statuses)
    off_paper = off_paper or (False,) * len(statuses)
    raws, raw_base = raws or scores, model.empty_raw if model is not None else 0.0
    separated = bool(ink) and bool(scores) and model is not None and all(
        ink[u] <= s.row_separation * ink[m] and not clean_marks[u] and lines[u] < s.faint_mm2
        and scores[u] - base <= s.row_separation * (scores[m] - base)
        and raws[u] - raw_base <= s.row_separation * (raws[m] - raw_base)
        and not off_paper[u] for u in unclear)
    if unclear and not separated:
        return RowValue.UNCLEAR
    return RowValue(LEVELS[m])


def decide_row(row: list[BoxScore], model: PageModel, s: ReaderSettings = DEFAULT, *,
               gaps_mm2: tuple[float, ...] = (), spill: tuple[float, ...] | None = None
               ) -> tuple[tuple[BoxStatus, ...], RowValue, tuple[float, ...]]:
    """Statuses, reading and spill of one row of box measurements (given the new ink in the
    gaps between its boxes, or the ``spill`` found when the page was read)."""
    spilt = tuple(spill) if spill is not None else tuple(spill_of(row, gaps_mm2, s))
    ink = tuple(b.ink_mm2 - sp for b, sp in zip(row, spilt))
    scores = tuple(b.stroke_score for b in row)
    lines = tuple(b.line_mm2 for b in row)
    # A long piece frees a mark on grained paper only when every other box of the row could
    # show the faintest marks voters make: where the grain raises the level ink must reach
    # past that, a light mark beside it may not have been seen at all (grain_blind_darkness).
    blind = [blind_to_faint_marks(b.texture, s) for b in row]
    pieces = tuple(0.0 if any(blind[:i] + blind[i + 1:]) else b.piece_mm
                   for i, b in enumerate(row))
    # A blot is ink that is no cross or tick: it makes its box unclear, not a mark, and weighs
    # as ink when the row separates a mark from the boxes beside it.
    statuses = tuple(box_status(a, b.extent_mm, b.stroke_score, model, s, line_mm2=b.line_mm2,
                                blot_mm2=b.blot_mm2, peak=b.peak, texture=b.texture,
                                piece_mm=piece, longest_piece_mm=b.piece_mm,
                                line_share=b.line_share, spill_mm2=sp, raw=b.score,
                                surround=b.surround, outline=b.outline)
                     for a, b, sp, piece in zip(ink, row, spilt, pieces))
    clean = PageModel(0.0, model.empty_score, s.mark_mm2, s.faint_mm2)
    clean_marks = tuple(box_status(a, b.extent_mm, 0.0, clean, s) == BoxStatus.MARK
                        for a, b in zip(ink, row))
    with_blots = tuple(a + b.blot_mm2 for a, b in zip(ink, row))
    return statuses, row_reading(statuses, with_blots, scores, model, s, lines=lines,
                                 clean_marks=clean_marks, raws=tuple(b.score for b in row),
                                 off_paper=tuple(unseen(b.surround, b.outline, s) for b in row)
                                 ), spilt


def name_level(name_inks: list[float], s: ReaderSettings = DEFAULT) -> float:
    """New ink over a printed name from which it is struck through, on this page.

    ``name_crossed_mm2``, or more on a page whose every name shows new ink (print bled or
    smeared by the scanner, a stain across the column): ``name_page_ratio`` times the page's
    10th percentile (a voter who strikes most names does not raise it), but never above
    ``name_crossed_max_mm2``.
    """
    if not name_inks:
        return s.name_crossed_mm2
    page = float(np.percentile(name_inks, 10))
    return max(s.name_crossed_mm2, min(s.name_page_ratio * page, s.name_crossed_max_mm2))


def row_flags(reading: str, name_ink_mm2: float, s: ReaderSettings = DEFAULT, *,
              name_crossed_mm2: float | None = None) -> tuple[Flag, ...]:
    """The row's flags; ``name_crossed_mm2`` is the page's :func:`name_level`."""
    flag = ROW_FLAG_OF.get(reading)  # type: ignore[call-overload]
    flags: tuple[Flag, ...] = (flag,) if flag else ()
    level = s.name_crossed_mm2 if name_crossed_mm2 is None else name_crossed_mm2
    if name_ink_mm2 >= level:
        flags += (Flag.NAME_CROSSED,)
    return flags


def replay_rows(rows: tuple,
                s: ReaderSettings) -> tuple[tuple[BoxStatus | RowValue, ...], ...] | None:
    """Decide again, with ``s``, the stored rows (``RowReading``) of one page from their raw
    measurements: statuses and reading per row, as ``(statuses..., reading)``.

    The spill found when the page was read is kept (it depends on the pixels, not on these
    limits). None for readings made before ink areas were stored.
    """
    if not rows or not rows[0].ink_mm2:
        return None
    zeros = (0.0,) * len(LEVELS)
    nothing = (None,) * len(LEVELS)
    boxes = [[BoxScore(sc, ext, ink, line_mm2=line, stroke=st, surround=sur, outline=out,
                       blot_mm2=blot, texture=tex, peak=peak, piece_mm=piece, line_share=share)
              for sc, ext, ink, line, st, sur, out, blot, tex, peak, piece, share
              in zip(r.scores, r.extents_mm, r.ink_mm2, r.line_mm2 or zeros,
                     r.stroke_scores or r.scores, r.surround or zeros, r.outline or nothing,
                     r.blot_mm2 or zeros, r.texture or zeros, r.peak or nothing,
                     r.piece_mm or zeros, r.line_share or (1.0,) * len(LEVELS))]
             for r in rows]
    model = page_model(boxes, s)
    out: list[tuple[BoxStatus | RowValue, ...]] = []
    for row, r in zip(boxes, rows):
        statuses, reading, _ = decide_row(row, model, s, spill=r.spill_mm2 or zeros)
        out.append((*statuses, reading))
    return tuple(out)
