"""clinical-rules.md §5: a centre's own threshold row wins over the general one; another
centre's row never applies (pure rules, no database)."""

from datetime import date
from decimal import Decimal

from treatments.rules import ThresholdIn, TitreIn, thresholds_for_centre, titre_significance


def row(value: int, center: int | None = None, antigen: str = "gm1") -> ThresholdIn:
    return ThresholdIn(antigen=antigen, isotype="IgM", method="elisa", unit="dilution",
                       value=Decimal(value), center=center)


TITRE = TitreIn(sampled_on=date(1994, 1, 1), antigen="gm1", isotype="IgM", method="elisa",
                value=Decimal(1600))


def test_the_centres_own_row_wins_whatever_the_order():
    general, own = row(800), row(3200, center=1)
    for candidates in ((general, own), (own, general)):
        assert thresholds_for_centre(candidates, center=1) == (own,)
        chosen = thresholds_for_centre(candidates, center=1)
        assert titre_significance(TITRE, thresholds=chosen) is False


def test_without_its_own_row_a_centre_takes_the_general_one():
    general = row(800)
    chosen = thresholds_for_centre((general, row(3200, center=2)), center=1)
    assert chosen == (general,)
    assert titre_significance(TITRE, thresholds=chosen) is True


def test_another_centres_row_alone_leaves_significance_unknown():
    chosen = thresholds_for_centre((row(800, center=2),), center=1)
    assert chosen == () and titre_significance(TITRE, thresholds=chosen) is None


def test_each_assay_is_chosen_on_its_own():
    gm1_own, mag_general = row(3200, center=1), row(1000, antigen="mag")
    chosen = thresholds_for_centre((row(800), gm1_own, mag_general), center=1)
    assert set(chosen) == {gm1_own, mag_general}


def test_a_patient_without_a_centre_takes_the_general_rows_only():
    general = row(800)
    assert thresholds_for_centre((general, row(3200, center=1)), center=None) == (general,)
