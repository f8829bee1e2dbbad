"""Antibody titres (clinical-rules.md §5)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from treatments.rules.types import SeriesIn, ThresholdIn, TitreIn
from treatments.rules.visits import ordered_series

TitreKey = tuple[str, str, str, str]  # antigen, isotype, method, unit


@dataclass(frozen=True)
class AssessedTitre:
    titre: TitreIn
    significant: bool | None


def titre_key(titre: TitreIn | ThresholdIn) -> TitreKey:
    return (titre.antigen, titre.isotype, titre.method, titre.unit)


def _finite(value: Decimal) -> bool:
    return Decimal(value).is_finite()


def titre_significance(titre: TitreIn, *, thresholds: Sequence[ThresholdIn]) -> bool | None:
    """Significantly high when the value reaches the threshold of the same antigen,
    isotype, method and unit (clinical-rules.md §5).

    No threshold, or a value that is not a number: unknown (``None``), never False.
    The first matching threshold row wins.
    """
    key = titre_key(titre)
    threshold = next((t for t in thresholds if titre_key(t) == key), None)
    if threshold is None or not _finite(titre.value) or not _finite(threshold.value):
        return None
    return Decimal(titre.value) >= Decimal(threshold.value)


def thresholds_for_centre(candidates: Sequence[ThresholdIn], *, center: int | None
                          ) -> tuple[ThresholdIn, ...]:
    """The thresholds that apply to a patient of ``center`` (clinical-rules.md §5): per
    antigen, isotype, method and unit, the centre's own row wins over the general one
    (``center`` None); other centres' rows never apply."""
    chosen: dict[TitreKey, ThresholdIn] = {}
    for threshold in candidates:
        if threshold.center is not None and threshold.center != center:
            continue
        key = titre_key(threshold)
        if key not in chosen or (threshold.center is not None and chosen[key].center is None):
            chosen[key] = threshold
    return tuple(chosen.values())


def titre_order(titre: TitreIn) -> tuple[date, TitreKey, Decimal]:
    value = Decimal(titre.value)
    return (titre.sampled_on, titre_key(titre), value if value.is_finite() else Decimal(-1))


def titre_before_ivig(titres: Sequence[TitreIn], series: Sequence[SeriesIn], *, antigen: str,
                      isotype: str = "IgM", method: str | None = None) -> TitreIn | None:
    """The latest titre of an antigen sampled on or before the start of series 1
    (clinical-rules.md §5). Without any series every titre is "before IVIg".

    Two samples of the same day: the higher value is taken as the later one.
    """
    ordered = ordered_series(series)
    start = ordered[0].started_on if ordered else None
    candidates = [
        t for t in titres
        if t.antigen == antigen and t.isotype == isotype
        and (method is None or t.method == method)
        and (start is None or t.sampled_on <= start)
    ]
    return max(candidates, key=titre_order, default=None)


def titres_before_ivig(titres: Sequence[TitreIn], series: Sequence[SeriesIn], *,
                       thresholds: Sequence[ThresholdIn]) -> tuple[AssessedTitre, ...]:
    """The titre before IVIg of every antigen, isotype, method and unit measured,
    with its significance (clinical-rules.md §5), sorted by that key."""
    ordered = ordered_series(series)
    start = ordered[0].started_on if ordered else None
    latest: dict[TitreKey, TitreIn] = {}
    for titre in sorted(titres, key=titre_order):
        if start is None or titre.sampled_on <= start:
            latest[titre_key(titre)] = titre
    return tuple(
        AssessedTitre(latest[key], titre_significance(latest[key], thresholds=thresholds))
        for key in sorted(latest)
    )


def significant_titres(titres: Sequence[TitreIn], *, thresholds: Sequence[ThresholdIn]
                       ) -> tuple[TitreIn, ...]:
    """Per antigen, isotype, method and unit ever found significantly high, its most
    recent significantly high sample (clinical-rules.md §5), sorted by that key."""
    latest: dict[TitreKey, TitreIn] = {}
    for titre in sorted(titres, key=titre_order):
        if titre_significance(titre, thresholds=thresholds) is True:
            latest[titre_key(titre)] = titre
    return tuple(latest[key] for key in sorted(latest))
