"""A small reader of the gin configurations stored in EnCodecMAE's checkpoints (without gin)."""

import ast
import re

__all__ = ["GinConfig"]

_MACRO = re.compile(r"%([A-Za-z_][\w.]*)")


def _strip_comment(line):
    quote = None
    for i, ch in enumerate(line):
        if quote:
            if ch == quote:
                quote = None
        elif ch in "'\"":
            quote = ch
        elif ch == "#":
            return line[:i]
    return line


def _balance(text):
    return sum(text.count(c) for c in "([{") - sum(text.count(c) for c in ")]}")


class GinConfig:
    """The handful of gin features EnCodecMAE's configs use, read without gin.

    Understands ``MACRO = value``, ``scope/package.Class.param = value``, ``+=`` on lists,
    blocks ``scope/package.Class:`` followed by indented ``param = value`` lines,
    ``%MACRO`` references, ``@references`` (kept as strings), comments and values that
    span several lines. A later binding overrides an earlier one, as in gin.

    Parameters
    ----------
    text : str
        The configuration.
    """

    def __init__(self, text):
        self.macros = {}
        self.bindings = {}  # (configurable, param) -> raw value text, in order
        block = None
        pending = None
        for raw_line in text.splitlines():
            line = _strip_comment(raw_line).rstrip()
            if pending is not None:
                pending[-1] += " " + line.strip()
                if _balance(pending[-1]) <= 0:
                    self._bind(*pending)
                    pending = None
                continue
            if not line.strip():
                continue
            stripped = line.strip()
            if stripped.startswith(("import ", "from ", "include ")):
                continue
            indented = line[0].isspace()
            if not indented and stripped.endswith(":") and "=" not in stripped:
                block = stripped[:-1].strip()
                continue
            match = re.match(r"^([^=+]+?)\s*(\+?=)\s*(.*)$", stripped)
            if match is None:
                continue
            lhs, op, rhs = match.groups()
            if indented and block is not None:
                target = (block, lhs)
            else:
                block = None
                if "." in lhs.split("/")[-1]:
                    configurable, _, param = lhs.rpartition(".")
                    target = (configurable, param)
                else:
                    target = (None, lhs)
            if _balance(rhs) > 0:
                pending = [target, op, rhs]
            else:
                self._bind(target, op, rhs)

    def _bind(self, target, op, rhs):
        rhs = rhs.strip()
        store = self.macros if target[0] is None else self.bindings
        key = target[1] if target[0] is None else target
        if op == "+=" and key in store:
            old = store.pop(key)
            if old.endswith("]") and rhs.startswith("["):
                rhs = old[:-1].rstrip().rstrip(",") + ", " + rhs[1:]
        store.pop(key, None)
        store[key] = rhs

    def evaluate(self, raw, _depth=0):
        """Python value of a raw gin value (``@references`` stay strings)."""
        if _depth > 20:
            raise ValueError(f"gin macros nest too deeply at {raw!r}")
        raw = raw.strip()
        whole = _MACRO.fullmatch(raw)
        if whole:
            name = whole.group(1)
            if name not in self.macros:
                raise KeyError(f"gin macro %{name} is not defined in the checkpoint's config")
            return self.evaluate(self.macros[name], _depth + 1)
        if "%" in raw:
            raw = _MACRO.sub(lambda m: repr(self.evaluate("%" + m.group(1), _depth + 1)), raw)
        try:
            return ast.literal_eval(raw)
        except (ValueError, SyntaxError):
            return raw

    def get(self, configurable, param, default=None, *, scope=None):
        """Value bound to ``param`` of the configurable whose name ends with ``configurable``.

        Parameters
        ----------
        configurable : str
            Class name, e.g. ``"MelspectrogramProcessor"`` (package prefix optional).
        param : str
        default : object, optional
            Returned when nothing is bound.
        scope : str, optional
            Only bindings in this gin scope (``"encoder"`` in ``encoder/...``); None: any.
        """
        found = None
        for (name, p), raw in self.bindings.items():
            if p != param:
                continue
            bound_scope, _, qualname = name.rpartition("/")
            if scope is not None and bound_scope != scope:
                continue
            if qualname == configurable or qualname.endswith("." + configurable):
                found = raw
        return default if found is None else self.evaluate(found)

    def macro(self, name, default=None):
        """Value of the macro ``name``, or ``default``."""
        return default if name not in self.macros else self.evaluate(self.macros[name])
