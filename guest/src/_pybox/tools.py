"""Tool metadata from the host's specs (JSON), for the C tool stubs (bridge.c): the
parameters in the schema's order, which are required, whether other keywords are allowed,
and the text `help(tool)` shows."""

_KEYWORDS = frozenset(
    "False None True and as assert async await break class continue def del elif else except "
    "finally for from global if import in is lambda nonlocal not or pass raise return try while "
    "with yield".split()
)
_PY_TYPES = {
    "string": "str", "integer": "int", "number": "float", "boolean": "bool",
    "array": "list", "object": "dict", "null": "None",
}


def _identifier(name):
    return type(name) is str and name.isidentifier() and name not in _KEYWORDS


def _doc(spec, props, required):
    lines = [spec.get("description") or f"The host tool {spec['name']}."]
    if props:
        lines += ["", "Args:"]
        for p, schema in props.items():
            schema = schema if type(schema) is dict else {}
            t = schema.get("type")
            if type(t) is list:
                t = " | ".join(_PY_TYPES.get(x, str(x)) for x in t)
            else:
                t = _PY_TYPES.get(t, t if type(t) is str else "any")
            opt = "" if p in required else ", optional"
            desc = schema.get("description", "")
            desc = desc if type(desc) is str else ""
            lines.append(f"    {p} ({t}{opt}): {desc}".rstrip().rstrip(":"))
    lines += ["", "Returns the tool's result (JSON: dict, list, str, number, bool or None).",
              "Await it in async code: `result = await " + spec["name"] + "(...)`."]
    return "\n".join(lines)


def tool_metadata(specs):
    """[(name, doc, params, required, extra, sync)]; ValueError names a bad spec."""
    if type(specs) is not list:
        raise ValueError("tool specs must be a list")
    out = []
    for spec in specs:
        if type(spec) is not dict:
            raise ValueError("a tool spec must be an object")
        name = spec.get("name")
        if not _identifier(name):
            raise ValueError(f"tool name {name!r} is not a valid Python identifier")
        schema = spec.get("parameters")
        schema = schema if type(schema) is dict else {}
        props = schema.get("properties")
        props = props if type(props) is dict else {}
        required = schema.get("required")
        required = {r for r in required if type(r) is str} if type(required) is list else set()
        params = tuple(p for p in props if _identifier(p) and not p.startswith("_"))
        extra = len(params) != len(props) or schema.get("additionalProperties") is True
        doc = spec.get("doc")
        if type(doc) is not str or not doc:
            doc = _doc(spec, props, required)
        out.append((name, doc, params, tuple(p for p in params if p in required), bool(extra),
                    bool(spec.get("sync"))))
    return out
