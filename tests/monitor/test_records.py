"""Findings as structured records and JSON lines; every detector's diagnosis exists."""

from __future__ import annotations

import json
import math

import pytest

from losskit.monitor import DIAGNOSES, Finding, default_detectors, read_findings, write_findings


def finding(**kw):
    base = dict(detector="nonfinite", term="dice", step=412, severity="critical", message="m",
                statistic="isfinite(value)", value=math.nan, threshold=math.inf, causes=("a",), remedies=("b",),
                details={"first_terms": ["dice"], "level": -math.inf})
    return Finding(**{**base, **kw})


def test_a_finding_is_plain_json_even_with_non_finite_numbers():
    data = json.loads(finding().to_json())  # strict JSON: no NaN tokens
    assert data["value"] == "nan" and data["threshold"] == "inf" and data["details"]["level"] == "-inf"
    assert data["causes"] == ["a"] and data["step"] == 412
    back = Finding.from_dict(data)
    assert math.isnan(back.value) and back.threshold == math.inf and back.causes == ("a",)


def test_write_and_read_json_lines(tmp_path):
    path = tmp_path / "findings.jsonl"
    write_findings([finding(), finding(step=500, value=1.0, severity="warning")], path)
    write_findings([finding(step=600, value=2.0)], path)  # appends
    back = read_findings(path)
    assert [f.step for f in back] == [412, 500, 600]
    assert [f.is_alarm for f in back] == [True, True, True]
    assert str(back[1]).startswith("step 500: warning [nonfinite] dice:")


@pytest.mark.parametrize("detector", default_detectors(), ids=lambda d: d.name)
def test_every_detector_has_a_diagnosis_and_documents_its_statistic_and_threshold(detector):
    keys = [k for k in DIAGNOSES if k.split("/")[0] == detector.name]
    assert keys, f"no diagnosis for {detector.name}"
    for key in keys:
        assert DIAGNOSES[key].causes and DIAGNOSES[key].remedies and DIAGNOSES[key].source
    doc = type(detector).__doc__
    assert all(word in doc for word in ("Statistic", "Threshold:", "Rule of thumb:", "Source:")), doc
