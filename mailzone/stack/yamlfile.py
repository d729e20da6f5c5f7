"""YAML that users hand us (stack files), read within bounds.

A YAML file can be small and still describe an enormous value: aliases of aliases
(the "billion laughs") expand exponentially once anything walks the data, and a
validator walks all of it. ``load_yaml`` refuses a file over ``MAX_BYTES`` and a
document whose aliases expand to more than ``MAX_NODES`` values, before any value
is built: the node graph is composed first (libyaml's composer when present), its
expanded size counted with each node counted once per path (linear in the file),
and only then constructed.
"""

from __future__ import annotations

from typing import Any, Final

import yaml

from mailzone.errors import ConfigError

#: A stack file of thousands of domains is well under a megabyte.
MAX_BYTES: Final = 16 * 1024 * 1024
#: Values after alias expansion; the largest real stacks hold a few hundred thousand.
MAX_NODES: Final = 2_000_000

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml: 6x faster when present


def _expanded_size(root: yaml.Node) -> int:
    """The number of values ``root`` stands for with every alias expanded, stopping
    as soon as it passes ``MAX_NODES`` (each distinct node is sized once)."""
    sizes: dict[int, int] = {}
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        if id(node) in sizes:
            continue
        if isinstance(node, yaml.ScalarNode):
            sizes[id(node)] = 1
            continue
        children: list[yaml.Node] = []
        if isinstance(node, yaml.SequenceNode):
            children = list(node.value)
        elif isinstance(node, yaml.MappingNode):
            children = [part for pair in node.value for part in pair]
        if not children_done:
            stack.append((node, True))
            stack.extend((child, False) for child in children if id(child) not in sizes)
            continue
        total = 1 + sum(sizes.get(id(child), 1) for child in children)
        sizes[id(node)] = min(total, MAX_NODES + 1)
    return sizes[id(root)]


def load_yaml(text: str, *, source: str) -> Any:
    """The document in ``text``, or ``ConfigError`` naming ``source`` and the fix."""
    if len(text) > MAX_BYTES:
        raise ConfigError([(source, f"the file is {len(text):,} characters; a stack file "
                                    f"over {MAX_BYTES:,} is refused. Split the stack")])
    loader = _LOADER(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        if _expanded_size(node) > MAX_NODES:
            raise ConfigError([(source, f"refused: its aliases expand to more than "
                                        f"{MAX_NODES:,} values (aliases of aliases, a "
                                        "'billion laughs'); write the values out")])
        return loader.construct_document(node)
    except yaml.YAMLError as exc:
        raise ConfigError([(source, f"not valid YAML: {_one_line(str(exc))}")]) from None
    finally:
        loader.dispose()


def _one_line(message: str) -> str:
    return " ".join(message.split())
