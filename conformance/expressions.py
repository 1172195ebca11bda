"""Timing and conditions in procedures: ``now + 5 min``, ``pollRate * 2``, ``results >= 1``.

A small recursive-descent parser (no ``eval``): numbers with optional units (s, min, h,
d), variables, ``+ - * /``, parentheses, single-quoted strings, and one comparison for
conditions. Sans-IO: variables come in as a mapping. ``${name}`` in strings is replaced
by :func:`substitute`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

__all__ = ["ExpressionError", "evaluate", "names_in", "substitute", "template_names", "truth"]

_UNITS = {"s": 1, "sec": 1, "min": 60, "h": 3600, "hour": 3600, "hours": 3600, "d": 86400}
_TOKEN = re.compile(
    r"\s*(?:(?P<num>\d+(?:\.\d+)?)|(?P<str>'[^']*')|(?P<name>[A-Za-z_][A-Za-z0-9_.]*)"
    r"|(?P<op>==|!=|<=|>=|[-+*/()<>]))"
)
_TEMPLATE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_.]*)\}")
_COMPARE = {
    "==": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
}


class ExpressionError(ValueError):
    """An expression that does not parse, or names a variable that is not set."""


def _tokens(text: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    pos = 0
    text = text.rstrip()
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if not match or match.end() == pos:
            raise ExpressionError(f"cannot read {text[pos:]!r} in {text!r}")
        kind = match.lastgroup
        assert kind is not None
        out.append((kind, match.group(kind)))
        pos = match.end()
    return out


class _Parser:
    def __init__(self, text: str, variables: Mapping[str, Any] | None) -> None:
        self.text = text
        self.tokens = _tokens(text)
        self.pos = 0
        self.variables = variables  # None: collect names only
        self.names: list[str] = []

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self) -> tuple[str, str]:
        token = self.peek()
        if token is None:
            raise ExpressionError(f"{self.text!r} ends too early")
        self.pos += 1
        return token

    def condition(self) -> Any:
        left = self.sum()
        token = self.peek()
        if token and token[0] == "op" and token[1] in _COMPARE:
            self.take()
            right = self.sum()
            if self.variables is None:
                return True
            try:
                return _COMPARE[token[1]](left, right)
            except TypeError as exc:
                raise ExpressionError(f"cannot compare in {self.text!r}: {exc}") from exc
        return left

    def sum(self) -> Any:
        value = self.product()
        while (token := self.peek()) and token in (("op", "+"), ("op", "-")):
            self.take()
            right = self.product()
            value = _arith(token[1], value, right, self.text)
        return value

    def product(self) -> Any:
        value = self.unit()
        while (token := self.peek()) and token in (("op", "*"), ("op", "/")):
            self.take()
            right = self.unit()
            value = _arith(token[1], value, right, self.text)
        return value

    def unit(self) -> Any:
        value = self.atom()
        token = self.peek()
        if token and token[0] == "name" and token[1] in _UNITS:
            self.take()
            value = _arith("*", value, _UNITS[token[1]], self.text)
        return value

    def atom(self) -> Any:
        kind, text = self.take()
        if kind == "num":
            return float(text) if "." in text else int(text)
        if kind == "str":
            return text[1:-1]
        if kind == "name":
            self.names.append(text)
            if self.variables is None:
                return 0
            if text not in self.variables:
                raise ExpressionError(f"{text!r} is not set (in {self.text!r})")
            return self.variables[text]
        if text == "(":
            value = self.condition()
            if self.take() != ("op", ")"):
                raise ExpressionError(f"missing ')' in {self.text!r}")
            return value
        if text == "-":
            return _arith("-", 0, self.unit(), self.text)
        raise ExpressionError(f"unexpected {text!r} in {self.text!r}")

    def parse(self) -> Any:
        value = self.condition()
        if self.peek() is not None:
            raise ExpressionError(f"unexpected {self.peek()[1]!r} in {self.text!r}")  # type: ignore[index]
        return value


def _arith(op: str, left: Any, right: Any, text: str) -> Any:
    if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in (left, right)):
        if left == 0 and right == 0:  # name collection pass
            return 0
        raise ExpressionError(f"arithmetic on a non-number in {text!r}")
    if op == "+":
        return left + right
    if op == "-":
        return left - right
    if op == "*":
        return left * right
    if right == 0:
        raise ExpressionError(f"division by zero in {text!r}")
    return left / right


def evaluate(expression: str | int | float, variables: Mapping[str, Any]) -> Any:
    """The value of a number or an expression string."""
    if isinstance(expression, int | float):
        return expression
    return _Parser(str(expression), variables).parse()


def truth(condition: str, variables: Mapping[str, Any]) -> bool:
    return bool(evaluate(condition, variables))


def names_in(expression: str | int | float) -> list[str]:
    """The variable names an expression reads (units excluded); raises if it does not parse."""
    if isinstance(expression, int | float):
        return []
    parser = _Parser(str(expression), None)
    parser.parse()
    return parser.names


def template_names(value: Any) -> Iterable[str]:
    """Names of every ``${name}`` inside a parameter value (strings, lists, mappings)."""
    if isinstance(value, str):
        yield from _TEMPLATE.findall(value)
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from template_names(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from template_names(item)


def substitute(value: Any, variables: Mapping[str, Any]) -> Any:
    """``value`` with every ``${name}`` replaced; a whole-string ``${name}`` keeps its type."""
    if isinstance(value, str):
        whole = _TEMPLATE.fullmatch(value)
        if whole:
            return _lookup(whole.group(1), variables)
        return _TEMPLATE.sub(lambda m: str(_lookup(m.group(1), variables)), value)
    if isinstance(value, Mapping):
        return {key: substitute(item, variables) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [substitute(item, variables) for item in value]
    return value


def _lookup(name: str, variables: Mapping[str, Any]) -> Any:
    if name not in variables:
        raise ExpressionError(f"${{{name}}} is not set")
    return variables[name]
