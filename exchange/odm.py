"""CDISC ODM 1.3.2 out: the tidy datasets as study metadata and clinical data
(docs/exchange.md, "CDISC ODM").

No database here (like ``exchange.writers``): the metadata comes from
``exchange.datasets`` and ``catalogues``, the clinical data from rows the export's selector
reads one batch of patients at a time. Each element is built with odmlib's ODM 1.3.2 model
(``odmlib.odm_1_3_2.model``), which checks names, types and required parts as it goes; the
document around them is written as text, so that the clinical data streams subject by
subject and never sits whole in memory (odmlib writes a whole document at once).

Mapping: one study event (``SE.REGISTRY``), one form and one repeating item group per
dataset (``F.<DATASET>``, ``IG.<DATASET>``), one item per column (``IT.<DATASET>.<COLUMN>``)
but the ``patient`` column, which is the subject's key; code lists from the catalogues
(``CL.<LIST>``). An empty cell has no ``ItemData`` (ODM's missing value).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterable, Iterator
from datetime import date, datetime
from typing import Any
from xml.sax.saxutils import quoteattr

import odmlib.odm_1_3_2.model as ODM

from exchange.datasets import (
    BOOLEAN,
    CODE,
    CODE_LISTS,
    DATASETS,
    DATE,
    DATETIME,
    DECIMAL,
    INTEGER,
    TEXT,
    Column,
    Dataset,
)

NAMESPACE = "http://www.cdisc.org/ns/odm/v1.3"
STUDY_OID = "ST.IVIG-REGISTRY"
METADATA_OID = "MDV.IVIG-REGISTRY.1"
EVENT_OID = "SE.REGISTRY"
SUBJECT_KEY_COLUMN = "patient"

DATA_TYPES = {TEXT: "text", CODE: "text", INTEGER: "integer", DECIMAL: "float", DATE: "date",
              BOOLEAN: "boolean", DATETIME: "datetime"}

Subject = tuple[str, dict[str, list[dict[str, Any]]]]


def _oid(*parts: str) -> str:
    return ".".join(part.upper() for part in parts)


def _text(value: str) -> list:
    return [ODM.TranslatedText(_content=value, lang="en")]


def item_oid(dataset: Dataset, column: Column) -> str:
    return _oid("IT", dataset.name, column.name)


def group_oid(dataset: Dataset) -> str:
    return _oid("IG", dataset.name)


def form_oid(dataset: Dataset) -> str:
    return _oid("F", dataset.name)


def code_list_oid(name: str) -> str:
    return _oid("CL", name)


def unit_oid(unit: str) -> str:
    return "MU." + "".join(c if c.isalnum() else "_" for c in unit).upper()


def odm_value(value: Any) -> str | None:
    """A cell as ODM writes it (the XML Schema forms of its data types): ``None`` for an
    empty cell (no ItemData), ``true`` / ``false``, ISO dates and date-times."""
    if value is None or value == "":
        return None
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def columns(dataset: Dataset, *, identifiers: bool) -> list[Column]:
    """The dataset's items: every column of its export but the subject's key."""
    return [c for c in dataset.columns
            if c.name != SUBJECT_KEY_COLUMN and (identifiers or not c.identifier)]


def study(*, identifiers: bool) -> ODM.Study:
    """The study metadata: the registry's exchange format as one MetaDataVersion."""
    units = sorted({c.unit for d in DATASETS for c in columns(d, identifiers=identifiers)
                    if c.unit})
    metadata = ODM.MetaDataVersion(
        OID=METADATA_OID, Name="IVIg registry exchange format",
        Description=("The registry's tidy datasets (docs/data-dictionary.md): one form and "
                     "one repeating item group per dataset, one item per column."),
        Protocol=ODM.Protocol(StudyEventRef=[
            ODM.StudyEventRef(StudyEventOID=EVENT_OID, OrderNumber=1, Mandatory="Yes")]),
    )
    metadata.StudyEventDef.append(ODM.StudyEventDef(
        OID=EVENT_OID, Name="Registry record", Repeating="No", Type="Common",
        FormRef=[ODM.FormRef(FormOID=form_oid(d), OrderNumber=n, Mandatory="No")
                 for n, d in enumerate(DATASETS, start=1)]))
    for dataset in DATASETS:
        metadata.FormDef.append(ODM.FormDef(
            OID=form_oid(dataset), Name=dataset.name, Repeating="No",
            ItemGroupRef=[ODM.ItemGroupRef(ItemGroupOID=group_oid(dataset), Mandatory="No")]))
    for dataset in DATASETS:
        keys = [k for k in dataset.key if k != SUBJECT_KEY_COLUMN]
        metadata.ItemGroupDef.append(ODM.ItemGroupDef(
            OID=group_oid(dataset), Name=dataset.name, Repeating="Yes",
            Description=ODM.Description(TranslatedText=_text(
                f"{dataset.description} ({dataset.row})")),
            ItemRef=[ODM.ItemRef(
                ItemOID=item_oid(dataset, c), OrderNumber=n,
                Mandatory="Yes" if c.required else "No",
                **({"KeySequence": keys.index(c.name) + 1} if c.name in keys else {}))
                for n, c in enumerate(columns(dataset, identifiers=identifiers), start=1)]))
    for dataset in DATASETS:
        for column in columns(dataset, identifiers=identifiers):
            item = ODM.ItemDef(
                OID=item_oid(dataset, column), Name=f"{dataset.name}.{column.name}",
                DataType=DATA_TYPES[column.type],
                Description=ODM.Description(TranslatedText=_text(column.description)))
            if column.unit:
                item.MeasurementUnitRef.append(
                    ODM.MeasurementUnitRef(MeasurementUnitOID=unit_oid(column.unit)))
            if column.codes:
                item.CodeListRef = ODM.CodeListRef(CodeListOID=code_list_oid(column.codes))
            metadata.ItemDef.append(item)
    for name, choices in CODE_LISTS.items():
        metadata.CodeList.append(ODM.CodeList(
            OID=code_list_oid(name), Name=name, DataType="text",
            CodeListItem=[ODM.CodeListItem(CodedValue=code, Decode=ODM.Decode(
                TranslatedText=_text(label))) for code, label in choices]))
    return ODM.Study(
        OID=STUDY_OID,
        GlobalVariables=ODM.GlobalVariables(
            StudyName=ODM.StudyName(_content="IVIg follow-up registry"),
            StudyDescription=ODM.StudyDescription(_content=(
                "Follow-up of immunoglobulin treatment in immune-mediated neuropathies.")),
            ProtocolName=ODM.ProtocolName(_content="IVIg follow-up registry")),
        BasicDefinitions=ODM.BasicDefinitions(MeasurementUnit=[
            ODM.MeasurementUnit(OID=unit_oid(unit), Name=unit,
                                Symbol=ODM.Symbol(TranslatedText=_text(unit)))
            for unit in units]),
        MetaDataVersion=[metadata],
    )


def subject(code: str, rows: dict[str, list[dict[str, Any]]], *, identifiers: bool
            ) -> ODM.SubjectData:
    """One patient's clinical data: a form per dataset that has rows, an item group per row
    (repeat keys 1, 2, … in the export's order), an item per filled cell."""
    event = ODM.StudyEventData(StudyEventOID=EVENT_OID)
    for dataset in DATASETS:
        dataset_rows = rows.get(dataset.name)
        if not dataset_rows:
            continue
        form = ODM.FormData(FormOID=form_oid(dataset))
        items = columns(dataset, identifiers=identifiers)
        for number, row in enumerate(dataset_rows, start=1):
            group = ODM.ItemGroupData(ItemGroupOID=group_oid(dataset),
                                      ItemGroupRepeatKey=str(number))
            for column in items:
                value = odm_value(row.get(column.name))
                if value is not None:
                    group.ItemData.append(ODM.ItemData(ItemOID=item_oid(dataset, column),
                                                       Value=value))
            form.ItemGroupData.append(group)
        event.FormData.append(form)
    return ODM.SubjectData(SubjectKey=code, StudyEventData=[event])


def _xml(element: Any) -> str:
    return ET.tostring(element.to_xml(), encoding="unicode")


def document(subjects: Iterable[list[Subject]], *, identifiers: bool, file_oid: str,
             created: datetime, originator: str) -> Iterator[str]:
    """The ODM file as text: the root and the study first, then each batch of subjects as
    it comes, then the closing tags."""
    yield (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<ODM xmlns="{NAMESPACE}" FileType="Snapshot" FileOID={quoteattr(file_oid)} '
        f'CreationDateTime="{created.isoformat(timespec="seconds")}" ODMVersion="1.3.2" '
        f'Granularity="All" Originator={quoteattr(originator)} '
        'SourceSystem="IVIg follow-up registry">\n'
    )
    yield _xml(study(identifiers=identifiers)) + "\n"
    yield f'<ClinicalData StudyOID="{STUDY_OID}" MetaDataVersionOID="{METADATA_OID}">\n'
    for batch in subjects:
        yield "".join(_xml(subject(code, rows, identifiers=identifiers)) + "\n"
                      for code, rows in batch)
        del batch
    yield "</ClinicalData>\n</ODM>\n"
