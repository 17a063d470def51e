"""The `gradtap` command of a pip-installed gradtap (pyproject.toml's
[project.scripts]): runs the compiled command that the wheel carries in
gradtap/_bin, with this environment's Python for the demo's figures.

It imports nothing heavy (no torch, no numpy), so the command starts as fast
as the binary itself plus one Python start-up."""
import os
import sys


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    binary = os.path.join(here, "_bin", "gradtap")
    if not os.access(binary, os.X_OK):
        sys.stderr.write("gradtap: the command is not installed with this package (%s missing); "
                         "reinstall with pip install <gradtap source>\n" % binary)
        return 3
    environment = dict(os.environ)
    # The figures step runs Python: this environment's has gtplots installed.
    environment.setdefault("GRADTAP_PYTHON", sys.executable)
    os.execve(binary, [binary] + sys.argv[1:], environment)
    return 3  # not reached: execve replaces this process or raises


if __name__ == "__main__":
    sys.exit(main())
