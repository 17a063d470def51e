#!/usr/bin/env python3
"""check_sizes.py - the size rules of docs/ARCHITECTURE.md: no source file
(C, CUDA, Python, shell) over 800 lines, no C or CUDA function over 80 lines
(benchmark programs in bench/ are exempt from the function rule).

    check_sizes.py REPO_ROOT

A function body is what gradtap's style writes: a line "{" at file level
after the signature, up to the matching "}" at file level. Prints one line
per violation; exits 1 when there is any, 0 otherwise."""
import pathlib
import re
import sys

FILE_LIMIT = 800
FUNCTION_LIMIT = 80
SOURCE_SUFFIXES = {".c", ".h", ".cu", ".cuh", ".py", ".sh"}
C_SUFFIXES = {".c", ".h", ".cu", ".cuh"}
SKIPPED_TOP = {"shared"}


def tracked_sources(root):
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root)
        top = relative.parts[0]
        if top.startswith(".") or top.startswith("build") or top in SKIPPED_TOP:
            continue
        if path.is_file() and (path.suffix in SOURCE_SUFFIXES or path.parent.name == "scripts"):
            yield path, relative


def long_functions(lines):
    """(first line, name, length) of every function body over the limit."""
    found = []
    start = None
    depth = 0
    for number, line in enumerate(lines):
        code = re.sub(r'"(\\.|[^"\\])*"|\'(\\.|[^\'\\])*\'', '""', line)
        code = re.sub(r"//.*|/\*.*?\*/", "", code)
        if depth == 0 and code.strip() == "{" and start is None:
            first = number - 1  # the signature starts at the last unindented line
            while first > 0 and lines[first][:1] in (" ", "\t"):
                first -= 1
            names = re.findall(r"(\w+)\s*\(", " ".join(lines[first:number]))
            start, name = number, names[0] if names else "?"
        depth += code.count("{") - code.count("}")
        if depth == 0 and start is not None:
            length = number - start + 1
            if length > FUNCTION_LIMIT:
                found.append((start + 1, name, length))
            start = None
    return found


def main():
    root = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else ".").resolve()
    problems = []
    for path, relative in tracked_sources(root):
        lines = path.read_text(errors="replace").splitlines()
        if len(lines) > FILE_LIMIT:
            problems.append(f"{relative}: {len(lines)} lines (limit {FILE_LIMIT})")
        if path.suffix in C_SUFFIXES and relative.parts[0] != "bench":
            for first, name, length in long_functions(lines):
                problems.append(f"{relative}:{first}: {name}() is {length} lines (limit {FUNCTION_LIMIT})")
    for problem in problems:
        print(problem)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
