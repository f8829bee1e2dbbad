"""clinical-rules.md §5: antibody titres."""

from datetime import date
from decimal import Decimal

import pytest

from treatments.rules import (
    DEFAULT_THRESHOLDS,
    SeriesIn,
    ThresholdIn,
    TitreIn,
    significant_titres,
    titre_before_ivig,
    titre_significance,
    titres_before_ivig,
)

SERIES = (SeriesIn(1, date(2024, 3, 1), 5), SeriesIn(2, date(2024, 3, 29), 5))


def gm1(value, on=date(2024, 1, 1), method="elisa", unit="dilution", isotype="IgM"):
    return TitreIn(on, "gm1", isotype, method, Decimal(value), unit)


@pytest.mark.parametrize(("value", "significant"), [
    (0, False), (400, False), (799, False), (800, True), (1600, True), (12800, True),
])
def test_anti_gm1_igm_elisa_is_significant_from_800(value, significant):
    assert titre_significance(gm1(value), thresholds=DEFAULT_THRESHOLDS) is significant


def test_seed_table_1_counts_four_of_six_significant():
    titres = [gm1(v) for v in (0, 1600, 400, 12800, 3200, 3200)]
    assert sum(titre_significance(t, thresholds=DEFAULT_THRESHOLDS) is True for t in titres) == 4


def test_unknown_threshold_gives_unknown_significance_never_false():
    assert titre_significance(gm1(0, isotype="IgG"), thresholds=DEFAULT_THRESHOLDS) is None
    assert titre_significance(gm1(3200, method="western_blot"),
                              thresholds=DEFAULT_THRESHOLDS) is None
    assert titre_significance(gm1(3200, unit="au"), thresholds=DEFAULT_THRESHOLDS) is None
    assert titre_significance(gm1(3200), thresholds=()) is None


def test_threshold_matches_antigen_isotype_method_and_unit():
    mag_btu = TitreIn(date(2024, 1, 1), "mag", "IgM", "elisa", Decimal(1000), "btu")
    assert titre_significance(mag_btu, thresholds=DEFAULT_THRESHOLDS) is True
    assert titre_significance(TitreIn(date(2024, 1, 1), "mag", "IgM", "elisa",
                                      Decimal(999), "btu"), thresholds=DEFAULT_THRESHOLDS) is False


def test_thresholds_are_data():
    lab = (ThresholdIn("gm1", "IgG", "elisa", "dilution", Decimal(200)),)
    assert titre_significance(gm1(200, isotype="IgG"), thresholds=lab) is True
    assert titre_significance(gm1(3200), thresholds=lab) is None


def test_a_titre_that_is_not_a_number_has_unknown_significance():
    assert titre_significance(gm1("NaN"), thresholds=DEFAULT_THRESHOLDS) is None


def test_titre_before_ivig_is_the_latest_sampled_on_or_before_series_1():
    titres = [gm1(400, date(2023, 6, 1)), gm1(1600, date(2024, 3, 1)),
              gm1(3200, date(2024, 3, 2))]
    assert titre_before_ivig(titres, SERIES, antigen="gm1").value == 1600


def test_titre_before_ivig_is_none_when_all_were_sampled_after_series_1():
    assert titre_before_ivig([gm1(400, date(2024, 5, 1))], SERIES, antigen="gm1") is None


def test_titre_before_ivig_without_series_is_the_latest():
    titres = [gm1(400, date(2023, 6, 1)), gm1(1600, date(2024, 6, 1))]
    assert titre_before_ivig(titres, (), antigen="gm1").value == 1600


def test_titre_before_ivig_can_ask_for_a_method():
    titres = [gm1(400, date(2024, 1, 1)), gm1(1600, date(2024, 2, 1), method="tlc")]
    assert titre_before_ivig(titres, SERIES, antigen="gm1").value == 1600
    assert titre_before_ivig(titres, SERIES, antigen="gm1", method="elisa").value == 400


def test_titres_before_ivig_one_per_antigen_isotype_method_and_unit_with_significance():
    mag = TitreIn(date(2024, 1, 1), "mag", "IgM", "elisa", Decimal(50000), "btu")
    titres = [gm1(3200, date(2023, 1, 1)), gm1(400, date(2024, 1, 1)), mag,
              gm1(800, date(2024, 1, 1), isotype="IgG"), gm1(12800, date(2024, 4, 1))]
    found = titres_before_ivig(titres, SERIES, thresholds=DEFAULT_THRESHOLDS)
    assert [(a.titre.antigen, a.titre.isotype, a.titre.value, a.significant) for a in found] == [
        ("gm1", "IgG", 800, None), ("gm1", "IgM", 400, False), ("mag", "IgM", 50000, True)]


def test_significant_titres_lists_each_key_ever_significant_with_its_latest_high_sample():
    titres = [gm1(3200, date(2023, 1, 1)), gm1(1600, date(2023, 6, 1)),
              gm1(400, date(2024, 1, 1)), gm1(100, date(2024, 1, 1), isotype="IgG")]
    found = significant_titres(titres, thresholds=DEFAULT_THRESHOLDS)
    assert [(t.antigen, t.isotype, t.value, t.sampled_on) for t in found] == [
        ("gm1", "IgM", 1600, date(2023, 6, 1))]


def test_default_thresholds_cover_the_documented_antigens():
    keys = {(t.antigen, t.isotype, t.method, t.unit): t.value for t in DEFAULT_THRESHOLDS}
    assert keys[("gm1", "IgM", "elisa", "dilution")] == 800
    assert keys[("mag", "IgM", "elisa", "btu")] == 1000
    for antigen in ("sgpg", "gd1a", "gd1b", "sulfatide"):
        assert keys[(antigen, "IgM", "elisa", "dilution")] == 800
        assert keys[(antigen, "IgM", "tlc", "dilution")] == 800
    assert len(keys) == len(DEFAULT_THRESHOLDS)
