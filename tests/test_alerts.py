"""docs/alerts.yml is a well-formed Prometheus rule file whose alerts all say how bad and why.

``make lint`` checks the rules with promtool (and runs their unit tests); this test holds the
shape on machines without it, and the metrics story test checks every series name they use.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

DOCS = Path(__file__).resolve().parents[1] / "docs"
RULE = {
    "type": "object",
    "required": ["alert", "expr", "for", "labels", "annotations"],
    "additionalProperties": False,
    "properties": {
        "alert": {"type": "string", "pattern": "^Dockwatch[A-Za-z]+$"},
        "expr": {"type": "string", "pattern": "dockwatch_"},
        "for": {"type": "string", "pattern": "^[0-9]+[smh]$"},
        "labels": {
            "type": "object",
            "required": ["severity"],
            "properties": {"severity": {"enum": ["page", "warning"]}},
        },
        "annotations": {
            "type": "object",
            "required": ["summary", "description"],
            "additionalProperties": {"type": "string", "minLength": 1},
        },
    },
}
RULE_FILE = {
    "type": "object",
    "required": ["groups"],
    "additionalProperties": False,
    "properties": {
        "groups": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": ["name", "rules"],
                "additionalProperties": False,
                "properties": {
                    "name": {"type": "string"},
                    "rules": {"type": "array", "minItems": 1, "items": RULE},
                },
            },
        }
    },
}
WANTED = {
    "DockwatchDataStale",
    "DockwatchBudgetExhausted",
    "DockwatchOutboxBacklogGrowing",
    "DockwatchConsumerGroupLagging",
    "DockwatchWebhookEndpointDisabled",
}


def test_the_rule_file_has_the_shape_of_prometheus_alerting_rules() -> None:
    rules: Any = yaml.safe_load((DOCS / "alerts.yml").read_text())
    jsonschema.validate(rules, RULE_FILE)
    names = [rule["alert"] for group in rules["groups"] for rule in group["rules"]]
    assert len(names) == len(set(names))
    assert set(names) >= WANTED


@pytest.mark.skipif(shutil.which("promtool") is None, reason="promtool is not installed")
def test_promtool_accepts_the_rules_and_their_unit_tests_pass() -> None:
    for command in (["check", "rules", "alerts.yml"], ["test", "rules", "alerts.test.yml"]):
        done = subprocess.run(
            ["promtool", *command], cwd=DOCS, capture_output=True, text=True, timeout=60
        )
        assert done.returncode == 0, done.stdout + done.stderr
