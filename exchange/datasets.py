"""The exchange formats: one tidy table per kind of record, the same for export and import.

Every dataset is long ("one row per patient × visit × muscle", …) and joins to the others
on columns of the same name (``patient``; ``patient`` + ``series``; ``patient`` +
``visited_on`` + ``kind``; ``patient`` + ``studied_on``). The data dictionary is generated
from these definitions and ``catalogues``, so it cannot drift from the files.

Plain Python (no Django), like the catalogues it describes.
"""

from __future__ import annotations

from dataclasses import dataclass

import catalogues as cat

TEXT, CODE, INTEGER, DECIMAL, DATE, BOOLEAN, DATETIME = (
    "text", "code", "integer", "decimal", "date", "boolean", "datetime",
)

TYPE_HELP = {
    TEXT: "free text",
    CODE: "a code of the list given",
    INTEGER: "whole number",
    DECIMAL: "number with a decimal point (.)",
    DATE: "date, YYYY-MM-DD",
    BOOLEAN: "TRUE or FALSE",
    DATETIME: "date and time, ISO 8601 with offset",
}


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    description: str
    codes: str | None = None  # a key of CODE_LISTS
    unit: str = ""
    required: bool = False  # on import
    computed: bool = False  # derived by the registry: exported, ignored on import
    identifier: bool = False  # a direct identifier: only with the identifiers option


@dataclass(frozen=True)
class Dataset:
    name: str
    row: str  # what one row is
    description: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]  # the columns that find an existing record (or its parent) on import
    parent: str | None = None  # rows are the whole nested list of a record of this dataset
    importable: bool = True

    @property
    def filename(self) -> str:
        return f"{self.name}.csv"

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)

    def header(self, *, identifiers: bool = False) -> list[str]:
        return [c.name for c in self.columns if identifiers or not c.identifier]

    def input_columns(self) -> tuple[Column, ...]:
        return tuple(c for c in self.columns if not c.computed)


CODE_LISTS: dict[str, cat.Choices] = {
    "sexes": cat.SEXES,
    "diagnoses": cat.DIAGNOSES,
    "neuropathy_patterns": cat.NEUROPATHY_PATTERNS,
    "sides": cat.SIDES,
    "nerves": cat.NERVES,
    "muscles": cat.MUSCLES,
    "antigens": cat.ANTIGENS,
    "isotypes": cat.ISOTYPES,
    "titre_methods": cat.TITRE_METHODS,
    "titre_units": cat.TITRE_UNITS,
    "light_chains": cat.LIGHT_CHAINS,
    "prior_treatments": cat.PRIOR_TREATMENTS,
    "series_statuses": cat.SERIES_STATUSES,
    "routes": cat.ROUTES,
    "regimens": cat.REGIMENS,
    "dose_bases": cat.DOSE_BASES,
    "adverse_event_kinds": cat.ADVERSE_EVENT_KINDS,
    "severities": cat.SEVERITIES,
    "visit_kinds": cat.VISIT_KINDS,
    "response_grades": cat.RESPONSE_GRADES,
    "outcome_statuses": cat.OUTCOME_STATUSES,
    "disability_results": cat.DISABILITY_RESULTS,
    "block_states": cat.BLOCK_STATES,
    "measures": cat.MEASURES,
    "query_rules": cat.QUERY_RULES,
    "query_statuses": cat.QUERY_STATUSES,
    "query_close_reasons": cat.QUERY_CLOSE_REASONS,
    "tailoring_kinds": cat.TAILORING_KINDS,
    "tailoring_results": cat.TAILORING_RESULTS,
}

PATIENT = Column("patient", TEXT, "Registry code of the patient (the pseudonymous identity, "
                 "e.g. MMN-001).", required=True)
SERIES_NUMBER = Column("series", INTEGER, "Number of the IVIg series (1, 2, 3 … per patient).",
                       required=True)
SIDE = Column("side", CODE, "Side.", codes="sides", required=True)


def _notes(what: str) -> Column:
    return Column("notes", TEXT, f"Free-text notes on the {what}.")


DATASETS: tuple[Dataset, ...] = (
    Dataset(
        "patients", "one row per patient",
        "Who the patient is, pseudonymously, with their consent. Only patients whose "
        "consent is given (recorded, not withdrawn) are exported.",
        (
            PATIENT,
            Column("center", TEXT, "Code of the patient's centre.", required=True),
            Column("sex", CODE, "Sex.", codes="sexes", required=True),
            Column("birth_year", INTEGER, "Year of birth.", required=True),
            Column("diagnosis", CODE, "Diagnosis.", codes="diagnoses", required=True),
            Column("onset_year", INTEGER, "Year the neuropathy began."),
            Column("neuropathy_pattern", CODE, "Electrophysiological pattern.",
                   codes="neuropathy_patterns"),
            Column("primary_measure", CODE, "Primary measure pinned by the clinician "
                   "(clinical-rules.md §9); empty: the rule set's for the diagnosis.",
                   codes="measures"),
            Column("consent_given_on", DATE, "Date consent was given."),
            Column("consent_version", TEXT, "Version of the consent form signed."),
            _notes("patient"),
            Column("name", TEXT, "Full name (direct identifier).", identifier=True),
            Column("date_of_birth", DATE, "Date of birth (direct identifier).",
                   identifier=True),
            Column("hospital_number", TEXT, "Hospital number (direct identifier).",
                   identifier=True),
        ),
        key=("patient",),
    ),
    Dataset(
        "affected_nerves", "one row per patient × affected motor nerve and side",
        "The motor nerves clinically affected (Table 1's affected nerves).",
        (PATIENT, SIDE, Column("nerve", CODE, "Nerve.", codes="nerves", required=True)),
        key=("patient",), parent="patients",
    ),
    Dataset(
        "target_muscles", "one row per patient × pinned target muscle and side",
        "Target muscles pinned by a clinician. Without pins the registry chooses them "
        "(clinical-rules.md §2); the mrc dataset's target column shows the ones used.",
        (PATIENT, Column("muscle", CODE, "Muscle.", codes="muscles", required=True), SIDE),
        key=("patient",), parent="patients",
    ),
    Dataset(
        "titres", "one row per patient × antibody titre",
        "Antibody titres (clinical-rules.md §5).",
        (
            PATIENT,
            Column("sampled_on", DATE, "Date the sample was taken.", required=True),
            Column("antigen", CODE, "Antigen.", codes="antigens", required=True),
            Column("isotype", CODE, "Antibody isotype.", codes="isotypes", required=True),
            Column("method", CODE, "Assay method.", codes="titre_methods", required=True),
            Column("value", DECIMAL, "Titre value, in the unit of the unit column "
                   "(a reciprocal dilution: 1/3200 is 3200; 0 is negative).", required=True),
            Column("unit", CODE, "Unit of the value.", codes="titre_units", required=True),
            Column("significant", BOOLEAN, "Whether the titre reaches the assay's threshold "
                   "(empty: no threshold for this assay).", computed=True),
        ),
        key=("patient", "sampled_on", "antigen", "isotype", "method"),
    ),
    Dataset(
        "paraproteins", "one row per patient × monoclonal protein measurement",
        "Monoclonal protein (paraprotein) measurements.",
        (
            PATIENT,
            Column("measured_on", DATE, "Date of the measurement.", required=True),
            Column("isotype", CODE, "Heavy-chain isotype.", codes="isotypes", required=True),
            Column("light_chain", CODE, "Light chain.", codes="light_chains"),
            Column("serum_level_g_l", DECIMAL, "Serum level.", unit="g/l"),
        ),
        key=("patient", "measured_on", "isotype"),
    ),
    Dataset(
        "prior_treatments", "one row per patient × treatment before IVIg",
        "Treatments received before IVIg (Table 2).",
        (
            PATIENT,
            Column("kind", CODE, "Treatment.", codes="prior_treatments", required=True),
            Column("started_on", DATE, "Start date."),
            Column("ended_on", DATE, "End date."),
            _notes("treatment"),
        ),
        key=("patient", "kind", "started_on"),
    ),
    Dataset(
        "tailoring", "one row per patient × dose-tailoring episode",
        "Attempts to lower the treatment: dose reduction, interval extension or withdrawal "
        "(trial off), with their computed result (clinical-rules.md §10).",
        (
            PATIENT,
            Column("kind", CODE, "Kind of attempt.", codes="tailoring_kinds", required=True),
            Column("started_on", DATE, "Start date.", required=True),
            Column("ended_on", DATE, "End date (empty: still going on)."),
            _notes("episode"),
            Column("result", CODE, "Result against the primary measure (§10).",
                   codes="tailoring_results", computed=True),
            Column("relapse_on", DATE, "Date of the visit that showed the relapse.",
                   computed=True),
        ),
        key=("patient", "kind", "started_on"),
    ),
    Dataset(
        "series", "one row per patient × IVIg series",
        "Monthly IVIg series, with what the registry computed for each "
        "(clinical-rules.md §2, §3, §6).",
        (
            PATIENT, SERIES_NUMBER,
            Column("started_on", DATE, "First day of the series.", required=True),
            Column("days", INTEGER, "Consecutive days of infusion (1–7).", required=True),
            Column("dose_g_per_kg", DECIMAL, "Dose of the whole series.", unit="g/kg",
                   required=True),
            Column("weight_kg", DECIMAL, "Body weight at the series.", unit="kg",
                   required=True),
            Column("total_grams", DECIMAL, "Dose × dosing weight, unrounded (§10).", unit="g",
                   computed=True),
            Column("product", TEXT, "Immunoglobulin product.", required=True),
            Column("status", CODE, "Whether the series was given in full or stopped.",
                   codes="series_statuses", required=True),
            Column("stop_reason", TEXT, "Why the series was stopped."),
            Column("route", CODE, "Intravenous or subcutaneous (empty: iv).", codes="routes"),
            Column("regimen", CODE, "Loading or maintenance (empty: maintenance).",
                   codes="regimens"),
            Column("expected_interval_days", INTEGER, "Days expected to the next series "
                   "(empty: 28 iv, 7 sc).", unit="days"),
            Column("height_cm", DECIMAL, "Height at the series.", unit="cm"),
            Column("dose_basis", CODE, "The weight the dose is based on (empty: actual).",
                   codes="dose_bases"),
            Column("grams_given", DECIMAL, "Grams actually given, where recorded.", unit="g"),
            Column("dosing_weight_kg", DECIMAL, "The weight dosed on (§10), stored when the "
                   "series was saved.", unit="kg", computed=True),
            Column("prescribed_grams", DECIMAL, "Total grams rounded to the rule set's step "
                   "(§10), stored when the series was saved.", unit="g", computed=True),
            Column("dose_intensity", DECIMAL, "g/kg per 4 weeks over the 12 weeks before "
                   "the series (§10).", unit="g/kg/4 weeks", computed=True),
            Column("interval_days", INTEGER, "Days since the previous series started.",
                   computed=True),
            Column("pre_score", INTEGER, "Target-muscle MRC sum before the series.",
                   computed=True),
            Column("post_score", INTEGER, "Target-muscle MRC sum after the series.",
                   computed=True),
            Column("grade", CODE, "Response grade after the series.", codes="response_grades",
                   computed=True),
            Column("beneficial", BOOLEAN, "Whether the series brought benefit (counts for N*).",
                   computed=True),
            Column("wear_off_after", BOOLEAN, "Whether the effect wore off before the next "
                   "series.", computed=True),
        ),
        key=("patient", "series"),
    ),
    Dataset(
        "lots", "one row per patient × series × lot number",
        "Lot (batch) numbers used in a series, for traceability.",
        (PATIENT, SERIES_NUMBER, Column("lot", TEXT, "Lot number.", required=True)),
        key=("patient", "series"), parent="series",
    ),
    Dataset(
        "adverse_events", "one row per patient × series × adverse event",
        "Adverse events during a series.",
        (
            PATIENT, SERIES_NUMBER,
            Column("kind", CODE, "Adverse event.", codes="adverse_event_kinds", required=True),
            Column("severity", CODE, "Severity.", codes="severities", required=True),
            Column("led_to_stop", BOOLEAN, "Whether it led to stopping IVIg."),
            _notes("adverse event"),
        ),
        key=("patient", "series"), parent="series",
    ),
    Dataset(
        "visits", "one row per patient × visit",
        "Examinations. A visit is found by patient, date and kind.",
        (
            PATIENT,
            Column("visited_on", DATE, "Date of the visit.", required=True),
            Column("kind", CODE, "Kind of visit.", codes="visit_kinds", required=True),
            Column("series", INTEGER, "Number of the series a pre_series or post_series visit "
                   "belongs to (empty for other kinds)."),
            Column("examiner", TEXT, "Who examined the patient."),
            Column("functional_score", INTEGER, "Functional score (0–5)."),
            Column("prineas_score", INTEGER, "Prineas neurological disability score (0–5)."),
            # clinical-rules.md §9
            Column("incat_arm", INTEGER, "INCAT disability scale, arm grade (0–5)."),
            Column("incat_leg", INTEGER, "INCAT disability scale, leg grade (0–5)."),
            Column("irods_centile", INTEGER, "I-RODS centile (0–100), from the form's own "
                   "conversion table."),
            Column("irods_raw", INTEGER, "I-RODS raw score (0–48), informational."),
            Column("grip_right_kpa", DECIMAL, "Grip strength, right hand (Martin vigorimeter, "
                   "best of three; 0–300).", unit="kPa"),
            Column("grip_left_kpa", DECIMAL, "Grip strength, left hand (Martin vigorimeter, "
                   "best of three; 0–300).", unit="kPa"),
            Column("onls_arm", INTEGER, "ONLS, arm grade (0–5)."),
            Column("onls_leg", INTEGER, "ONLS, leg grade (0–7)."),
            _notes("visit"),
            Column("score", INTEGER, "Sum of the target muscles' MRC grades at this visit.",
                   computed=True),
            Column("primary_score", DECIMAL, "Value of the patient's primary measure at this "
                   "visit (clinical-rules.md §9; adjusted INCAT: the baseline's INCAT + the "
                   "adjusted change).", computed=True),
        ),
        key=("patient", "visited_on", "kind"),
    ),
    Dataset(
        "mrc", "one row per patient × visit × muscle and side",
        "MRC grades of the muscles tested at each visit; joins to visits on patient, "
        "visited_on and kind.",
        (
            PATIENT,
            Column("visited_on", DATE, "Date of the visit.", required=True),
            Column("kind", CODE, "Kind of visit.", codes="visit_kinds", required=True),
            Column("muscle", CODE, "Muscle.", codes="muscles", required=True),
            SIDE,
            Column("grade", INTEGER, "MRC grade (0–5).", required=True),
            Column("target", BOOLEAN, "Whether the muscle is one of the patient's target "
                   "muscles in the stored outcome.", computed=True),
        ),
        key=("patient", "visited_on", "kind"), parent="visits",
    ),
    Dataset(
        "nerve_studies", "one row per patient × nerve-conduction study",
        "Nerve-conduction studies. A study is found by patient and date.",
        (
            PATIENT,
            Column("studied_on", DATE, "Date of the study.", required=True),
            _notes("study"),
        ),
        key=("patient", "studied_on"),
    ),
    Dataset(
        "nerve_segments", "one row per patient × study × stimulated segment",
        "Distal and proximal CMAP values of each stimulated segment (clinical-rules.md §4); "
        "joins to nerve_studies on patient and studied_on.",
        (
            PATIENT,
            Column("studied_on", DATE, "Date of the study.", required=True),
            Column("nerve", CODE, "Nerve.", codes="nerves", required=True),
            SIDE,
            Column("distal_site", TEXT, "Distal stimulation site."),
            Column("proximal_site", TEXT, "Proximal stimulation site."),
            Column("distal_amplitude_mv", DECIMAL, "Distal CMAP amplitude.", unit="mV"),
            Column("proximal_amplitude_mv", DECIMAL, "Proximal CMAP amplitude.", unit="mV"),
            Column("distal_area_mvms", DECIMAL, "Distal CMAP area.", unit="mV·ms"),
            Column("proximal_area_mvms", DECIMAL, "Proximal CMAP area.", unit="mV·ms"),
            Column("distal_duration_ms", DECIMAL, "Distal CMAP duration.", unit="ms"),
            Column("proximal_duration_ms", DECIMAL, "Proximal CMAP duration.", unit="ms"),
            Column("velocity_m_s", DECIMAL, "Conduction velocity.", unit="m/s"),
            Column("block", CODE, "Conduction block state under the default criteria.",
                   codes="block_states", computed=True),
        ),
        key=("patient", "studied_on"), parent="nerve_studies",
    ),
    Dataset(
        "measures", "one row per patient × measure recorded",
        "Every §9 measure the patient has values of, summarised in the stored outcome "
        "(clinical-rules.md §9): baseline, latest, change, result against the MCID. Joins "
        "to outcomes on patient. Export only.",
        (
            PATIENT,
            Column("measure", CODE, "Outcome measure.", codes="measures", computed=True),
            Column("primary", BOOLEAN, "Whether it is the patient's primary measure (the one "
                   "the outcome's status is judged on).", computed=True),
            Column("baseline", DECIMAL, "Value at the baseline visit (else the last value "
                   "before series 1).", computed=True),
            Column("latest", DECIMAL, "Value at the last visit with one.", computed=True),
            Column("change", DECIMAL, "latest − baseline (adjusted INCAT: its adjusted "
                   "change); empty without a baseline or a later value.", computed=True),
            Column("result", CODE, "improved / stable / deteriorated against the MCID in the "
                   "measure's better direction.", codes="response_grades", computed=True),
            Column("mcid", DECIMAL, "Minimal clinically important difference of the rule set.",
                   computed=True),
            Column("responder", BOOLEAN, "Whether the change reaches the MCID in the better "
                   "direction.", computed=True),
        ),
        key=("patient", "measure"),
        importable=False,
    ),
    Dataset(
        "outcomes", "one row per patient",
        "The stored treatment outcome the registry computed (clinical-rules.md §2–§3). "
        "Export only: an import recomputes outcomes from the data.",
        (
            PATIENT,
            Column("status", CODE, "Treatment status.", codes="outcome_statuses",
                   computed=True),
            Column("stale", BOOLEAN, "Whether the data changed since the outcome was "
                   "computed (a recompute is pending).", computed=True),
            Column("rules_version", TEXT, "Rule set the outcome was computed with.",
                   computed=True),
            Column("primary_measure", CODE, "The measure the status is judged on "
                   "(clinical-rules.md §9).", codes="measures", computed=True),
            Column("computed_at", DATETIME, "When the outcome was computed.", computed=True),
            Column("baseline_score", INTEGER, "Target-muscle MRC sum at baseline.",
                   computed=True),
            Column("initial_response", CODE, "Response grade after the first series.",
                   codes="response_grades", computed=True),
            Column("n_star", INTEGER, "N*: the last series that brought benefit.",
                   computed=True),
            Column("plateau_after_series", INTEGER, "Series after which a plateau was reached.",
                   computed=True),
            Column("infusion_dependent", BOOLEAN, "Whether the effect wears off between series.",
                   computed=True),
            Column("final_grade", CODE, "Final response grade.", codes="response_grades",
                   computed=True),
            Column("final_persistent", BOOLEAN, "Whether the final improvement is persistent.",
                   computed=True),
            Column("final_label", TEXT, "Final result as the paper words it.", computed=True),
            Column("disability_measure", TEXT, "Disability score used (prineas or functional).",
                   computed=True),
            Column("disability_before", INTEGER, "Disability score before IVIg.",
                   computed=True),
            Column("disability_after", INTEGER, "Disability score at the last evaluation.",
                   computed=True),
            Column("disability_change", INTEGER, "after − before.", computed=True),
            Column("disability_result", CODE, "Disability result.", codes="disability_results",
                   computed=True),
        ),
        key=("patient",),
        importable=False,
    ),
    Dataset(
        "queries", "one row per data-quality query",
        "The data-quality queries raised by the registry after each recompute, or by a data "
        "manager (clinical-rules.md §11), with their answer and how they were closed. "
        "Export only: the registry raises and closes them from the data.",
        (
            PATIENT,
            Column("query", INTEGER, "Id of the query.", computed=True),
            Column("rule", CODE, "The rule that raised it (manual: a data manager).",
                   codes="query_rules", computed=True),
            Column("record", TEXT, "Kind of record it is about (patient, visit, series, "
                   "titre, paraprotein, prior_treatment, nerve_study).", computed=True),
            Column("record_id", INTEGER, "Id of that record.", computed=True),
            Column("message", TEXT, "The question.", computed=True),
            Column("values", TEXT, "What the rule found, as JSON (the query's identity with "
                   "the rule and the record).", computed=True),
            Column("status", CODE, "State of the query.", codes="query_statuses",
                   computed=True),
            Column("answer", TEXT, "A clinician's answer.", computed=True),
            Column("raised_at", DATETIME, "When it was raised.", computed=True),
            Column("raised_by", TEXT, "Who raised it by hand (empty: the registry).",
                   computed=True),
            Column("answered_by", TEXT, "Who answered it.", computed=True),
            Column("answered_at", DATETIME, "When it was answered.", computed=True),
            Column("closed_by", TEXT, "Who closed it (empty when the registry did).",
                   computed=True),
            Column("closed_at", DATETIME, "When it was closed.", computed=True),
            Column("close_reason", CODE, "Why it was closed.", codes="query_close_reasons",
                   computed=True),
        ),
        key=("patient", "query"),
        importable=False,
    ),
)

BY_NAME: dict[str, Dataset] = {dataset.name: dataset for dataset in DATASETS}
IMPORTABLE: tuple[Dataset, ...] = tuple(d for d in DATASETS if d.importable)


def dictionary_rows() -> list[list[str]]:
    """The data dictionary: one row per dataset × column, codes spelled out."""
    rows = [["dataset", "row", "column", "type", "unit", "required", "computed",
             "identifier", "description", "codes"]]
    for dataset in DATASETS:
        for column in dataset.columns:
            codes = (
                "; ".join(f"{code} = {text}" for code, text in CODE_LISTS[column.codes])
                if column.codes else ""
            )
            rows.append([
                dataset.name, dataset.row, column.name, column.type, column.unit,
                "yes" if column.required else "no", "yes" if column.computed else "no",
                "yes" if column.identifier else "no", column.description, codes,
            ])
    return rows


def code_rows() -> list[list[str]]:
    """Every code list, long: one row per list × code (for joins in R or pandas)."""
    rows = [["list", "code", "label"]]
    for name, choices in CODE_LISTS.items():
        rows.extend([name, code, text] for code, text in choices)
    return rows


def dictionary_markdown() -> str:
    """The data dictionary for people (``docs/data-dictionary.md`` is this text)."""
    lines = [
        "# Data dictionary of the exports and imports",
        "",
        "Generated from `exchange/datasets.py` and `catalogues/__init__.py` "
        "(`manage.py export --dictionary-only` writes it; a test keeps this file current).",
        "",
        "Files are UTF-8 CSV with a header row, comma-separated, `.` as decimal point, "
        "dates `YYYY-MM-DD`, booleans `TRUE`/`FALSE` (read as logical by R's `read.csv` and "
        "pandas; imports also take `true`/`false`), and an empty cell for a missing value "
        "(no code, lot or name is ever `NA`, `N/A`, `NaN`, `NULL` or `None`, which R or "
        "pandas would read as missing). *Computed* columns are exported and ignored on "
        "import; *identifier* "
        "columns appear only in exports made with the identifiers option.",
        "",
    ]
    for dataset in DATASETS:
        lines += [f"## `{dataset.filename}` — {dataset.row}", "", dataset.description, ""]
        if dataset.parent:
            lines += [f"On import, the rows of one {', '.join(dataset.key)} are the whole list "
                      f"of that `{dataset.parent}` record: they replace its list.", ""]
        elif dataset.importable:
            lines += [f"On import, an existing record is found by {', '.join(dataset.key)}.",
                      ""]
        else:
            lines += ["Export only.", ""]
        lines += ["| column | type | unit | description |", "|---|---|---|---|"]
        for column in dataset.columns:
            notes = [c for c, on in (("required", column.required),
                                     ("computed", column.computed),
                                     ("identifier", column.identifier)) if on]
            codes = f" Codes: list `{column.codes}`." if column.codes else ""
            extra = f" *({', '.join(notes)})*" if notes else ""
            lines.append(f"| `{column.name}` | {column.type} | {column.unit} | "
                         f"{column.description}{codes}{extra} |")
        lines.append("")
    lines += ["## Code lists", ""]
    for name, choices in CODE_LISTS.items():
        lines += [f"### `{name}`", "", "| code | label |", "|---|---|"]
        lines += [f"| `{code}` | {text} |" for code, text in choices]
        lines.append("")
    return "\n".join(lines)
