"""Traceback text from the plain description C makes of an exception (run.c,
describe_exception): [(link, type, message, frames, syntax)], the first cause first. Frames
are (filename, lineno, name); ("...", count, None) stands for frames left out. Source lines
come from the context's own sources (never another context's)."""

_LINKS = {
    "cause": "\nThe above exception was the direct cause of the following exception:\n\n",
    "context": "\nDuring handling of the above exception, another exception occurred:\n\n",
}


def _line(sources, filename, lineno):
    lines = sources.get(filename) if type(sources) is dict else None
    if lines and type(lineno) is int and 0 < lineno <= len(lines):
        return lines[lineno - 1].strip()
    return None


def _one(parts, sources, type_name, message, frames, syntax):
    if frames:
        parts.append("Traceback (most recent call last):\n")
        for filename, lineno, name in frames:
            if filename == "..." and name is None:
                parts.append(f"  [... {lineno} frames left out ...]\n")
                continue
            parts.append(f'  File "{filename}", line {lineno}, in {name}\n')
            line = _line(sources, filename, lineno)
            if line:
                parts.append(f"    {line}\n")
    if syntax is not None:
        filename, lineno, offset, end_lineno, end_offset, text = syntax
        if lineno:
            parts.append(f'  File "{filename}", line {lineno}\n')
            text = (text or _line(sources, filename, lineno) or "").rstrip("\n")
            if text:
                stripped = text.lstrip()
                parts.append(f"    {stripped}\n")
                if offset:
                    caret = max(offset - 1 - (len(text) - len(stripped)), 0)
                    width = 1
                    if end_offset and end_lineno == lineno and end_offset > offset:
                        width = end_offset - offset
                    parts.append("    " + " " * caret + "^" * width + "\n")
    parts.append(f"{type_name}: {message}\n" if message else f"{type_name}\n")


def format_traceback(chain, sources):
    parts = []
    for link, type_name, message, frames, syntax in chain:
        if link == "omitted":
            parts.append("[... earlier chained exceptions left out ...]\n\n")
        else:
            parts.append(_LINKS.get(link, ""))
        _one(parts, sources, type_name, message, frames, syntax)
    return "".join(parts)
