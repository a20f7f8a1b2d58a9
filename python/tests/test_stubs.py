"""The type stubs (pa_journal/__init__.pyi) declare what the package has."""

import ast
import inspect
from pathlib import Path

import pa_journal


def stub_tree():
    return ast.parse((Path(pa_journal.__file__).parent / "__init__.pyi").read_text())


def test_stubs_declare_every_public_name():
    declared = {node.name for node in stub_tree().body
                if isinstance(node, (ast.ClassDef, ast.FunctionDef))}
    assert declared == set(pa_journal.__all__)


def test_stubs_declare_every_public_method():
    for node in stub_tree().body:
        if not isinstance(node, ast.ClassDef) or node.name not in (
                "FileStorage", "ConfigManager", "Store", "Transaction"):
            continue
        cls = getattr(pa_journal, node.name)
        stubbed = {n.name for n in node.body if isinstance(n, ast.FunctionDef)}
        public = {name for name, _ in inspect.getmembers(
                      cls, lambda m: inspect.isfunction(m) or isinstance(m, property))
                  if not name.startswith("_") or name in ("__init__", "__enter__",
                                                          "__exit__")}
        assert stubbed == public, node.name
