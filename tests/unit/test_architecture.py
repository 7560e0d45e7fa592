"""The tree is the design: layers import only downwards, no module imports itself back,
and the core never switches on a mirror's type (it asks the backend)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "mirrorpub"

# Lowest first. A module may import modules of its own rank or below, never above.
LAYERS: list[tuple[str, ...]] = [
    ("mirrorpub", "mirrorpub.errors", "mirrorpub.model", "mirrorpub.formats",
     "mirrorpub.hashing", "mirrorpub.fsatomic", "mirrorpub.layout", "mirrorpub.safepath",
     "mirrorpub.redact", "mirrorpub.webclient"),
    ("mirrorpub.config.options", "mirrorpub.config.mirror"),
    ("mirrorpub.mirrors.protocol", "mirrorpub.mirrors.registry"),  # the seam
    ("mirrorpub.config",),
    ("mirrorpub.content",),
    ("mirrorpub.importers",),  # writes content/ files; never the site, publish or CLI
    ("mirrorpub.site",),
    ("mirrorpub.trust",),
    ("mirrorpub.mirrors",),
    # The anonymous reader's client: publish reads back what it sent, as readers would.
    ("mirrorpub.read.fetch",),
    ("mirrorpub.publish",),
    ("mirrorpub.read",),
    ("mirrorpub.watch", "mirrorpub.commands"),
    ("mirrorpub.cli",),
    ("mirrorpub.__main__",),
]
BACKENDS = ("mirrorpub.mirrors.s3", "mirrorpub.mirrors.ipfs", "mirrorpub.mirrors.directory",
            "mirrorpub.mirrors.onion", "mirrorpub.mirrors.git", "mirrorpub.mirrors.azure")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def rank(module: str) -> int:
    """The layer of a module: the most specific prefix listed wins."""
    best, best_len = -1, -1
    for index, prefixes in enumerate(LAYERS):
        for prefix in prefixes:
            matches = module == prefix or module.startswith(prefix + ".")
            if matches and len(prefix) > best_len and (prefix != "mirrorpub" or
                                                       module == "mirrorpub"):
                best, best_len = index, len(prefix)
    assert best >= 0, f"{module} is in no layer: add it to LAYERS"
    return best


def _type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or \
        (isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def imports(module: str) -> set[str]:
    """The mirrorpub modules `module` imports when it runs (imports inside functions
    included; those only for type checkers left out)."""
    tree = ast.parse(MODULES[module].read_text(encoding="utf-8"))
    skipped = {id(n) for node in ast.walk(tree) if isinstance(node, ast.If)
               and _type_checking(node) for n in ast.walk(node)}
    package = module if MODULES[module].name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("mirrorpub")}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1]
                                + ([base] if base else []))
            if not base.startswith("mirrorpub"):
                continue
            for alias in node.names:
                name = f"{base}.{alias.name}"
                found.add(name if name in MODULES else base)
    return {m for m in found if m in MODULES and m != module}


GRAPH = {module: imports(module) for module in MODULES}


def test_every_module_is_in_a_layer() -> None:
    for module in MODULES:
        rank(module)


@pytest.mark.parametrize("module", sorted(MODULES))
def test_imports_go_down_the_layers(module: str) -> None:
    upward = [target for target in sorted(GRAPH[module]) if rank(target) > rank(module)]
    assert not upward, f"{module} (layer {rank(module)}) imports higher layers: {upward}"


def test_no_import_cycles() -> None:
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    cycles: list[list[str]] = []

    def visit(node: str) -> None:  # Tarjan's strongly connected components
        index[node] = low[node] = len(index)
        stack.append(node)
        for target in GRAPH[node]:
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for module in GRAPH:
        if module not in index:
            visit(module)
    assert not cycles, f"import cycles: {cycles}"


def test_the_core_asks_capabilities_never_a_mirror_type() -> None:
    """No `type == "ipfs"` (or any built-in type name) outside the backends."""
    names = {"s3", "ipfs", "directory", "onion", "git", "azure"}
    found = []
    for module, path in MODULES.items():
        if module.startswith(BACKENDS):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Compare) and _compares_a_type(node, names):
                found.append(f"{module}:{node.lineno}")
    assert not found, f"type switches outside the backends: {found}"


def _compares_a_type(node: ast.Compare, names: set[str]) -> bool:
    operands = [node.left, *node.comparators]
    typed = any((isinstance(n, ast.Attribute) and n.attr in ("type", "kind")) or
                (isinstance(n, ast.Name) and n.id in ("type", "kind")) for n in operands)
    values = [n for n in operands if isinstance(n, ast.Constant)]
    values += [e for n in operands if isinstance(n, ast.Tuple | ast.Set | ast.List)
               for e in n.elts if isinstance(e, ast.Constant)]
    return typed and any(v.value in names for v in values)


def test_the_layers_are_the_top_level_tree() -> None:
    """`ls mirrorpub/` shows the layers, and only a few shared modules beside them."""
    top = sorted(p.name for p in PACKAGE.iterdir() if p.suffix == ".py" or (
        p.is_dir() and (p / "__init__.py").exists()))
    assert top == ["__init__.py", "__main__.py", "cli", "commands", "config", "content",
                   "errors.py", "formats.py", "fsatomic.py", "hashing.py", "importers",
                   "layout.py", "mirrors", "model.py", "publish", "read", "redact.py",
                   "safepath.py", "site", "trust", "watch", "webclient.py"]
