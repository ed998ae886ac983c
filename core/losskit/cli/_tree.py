"""A config's loss tree as text: ``0.5 * focal(gamma=2.0)`` and its terms or tasks below it."""

from __future__ import annotations

from typing import Any


def children(node: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    if node["name"] == "sum":
        return [(node_label(t), t) for t in node["terms"]]
    if node["name"] == "multitask":
        return [(f"{task}: {node_label(t)}", t) for task, t in node["tasks"].items()]
    return []


def node_label(node: dict[str, Any]) -> str:
    weight = f"{node['weight']:g} * " if "weight" in node else ""
    skip = {"name", "weight", "terms", "tasks"}
    params = ", ".join(f"{k}={v!r}" for k, v in node.items() if k not in skip)
    return f"{weight}{node['name']}" + (f"({params})" if params else "")


def tree_lines(node: dict[str, Any], depth: int = 1) -> list[str]:
    lines = []
    for label, child in children(node):
        lines += ["  " * depth + "- " + label, *tree_lines(child, depth + 1)]
    return lines
