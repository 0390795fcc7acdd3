"""Follow the Korean README's first steps literally, as a student on a fresh machine would.

``make readme-test`` (CI runs it) takes the shell block the README marks ``<!-- readme: run -->``,
clones this repository into a new folder instead of the published address (the same ``git clone``,
from here), and runs every line with bash, stopping at the first that fails: ``make demo`` builds
its own ``.venv`` there and runs notebooks 01 and 02; ``source .venv/bin/activate`` must make
``dogcat`` a command. ``make test`` is the one line left out: CI runs it on its own clone already.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MARK = "<!-- readme: run -->"


def readme_commands(readme: str) -> list[str]:
    """The lines of the block after the marker, comments stripped."""
    block = re.search(re.escape(MARK) + r"\s*```bash\n(.*?)```", readme, re.S)
    if block is None:
        raise SystemExit(f"README.md has no ```bash block after {MARK}")
    return [line.split("  #")[0].strip() for line in block.group(1).splitlines() if line.strip()]


def main() -> int:
    commands = readme_commands((ROOT / "README.md").read_text())
    script = ["set -euo pipefail"]
    for command in commands:
        if command.startswith("git clone "):
            script.append(f"git clone --quiet {ROOT} dogcat")
        elif command == "make test":
            script.append("echo 'make test: left out here (CI runs it on its own clone)'")
        else:
            script.append(f"echo '$ {command}' && {command}")
    with tempfile.TemporaryDirectory(prefix="readme ") as folder:  # a space in the path, as on Windows
        done = subprocess.run(["bash", "-c", "\n".join(script)], cwd=folder)
    print("README walkthrough:", "passed" if done.returncode == 0 else f"failed ({done.returncode})")
    return done.returncode


if __name__ == "__main__":
    sys.exit(main())
