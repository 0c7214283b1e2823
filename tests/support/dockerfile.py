"""The Dockerfile read as data, and its build stage run without Docker (no daemon, no image pulls).

The build stage only copies files and runs shell commands, so it can run here in a scratch folder:
its COPY lines copy from the checkout and its RUN lines run with bash, the image's absolute paths
mapped into that folder. What it builds (the wheel and the venv) is what the image would carry.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from tests.support.services import REPO

DOCKERFILE = REPO / "Dockerfile"


@dataclass(frozen=True)
class Instruction:
    keyword: str
    arguments: str


@dataclass(frozen=True)
class Stage:
    image: str
    name: str | None
    instructions: tuple[Instruction, ...]

    def all(self, keyword: str) -> list[str]:
        return [i.arguments for i in self.instructions if i.keyword == keyword]


def parse(path: Path = DOCKERFILE) -> tuple[dict[str, str], list[Stage]]:
    """(ARG defaults before the first FROM, the stages in order); continuation lines joined."""
    lines, pending = [], ""
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        lines.append(pending + line)
        pending = ""
    args: dict[str, str] = {}
    stages: list[Stage] = []
    current: list[Instruction] | None = None
    for line in lines:
        keyword, _, rest = line.partition(" ")
        keyword, rest = keyword.upper(), rest.strip()
        if keyword == "FROM":
            words = rest.split()
            image = words[0]
            for name, value in args.items():
                image = image.replace("${" + name + "}", value)
            current = []
            stages.append(
                Stage(image, words[2] if len(words) > 2 and words[1].upper() == "AS" else None, ())
            )
        elif current is None:
            if keyword == "ARG":
                name, _, value = rest.partition("=")
                args[name] = value
        else:
            stages[-1] = Stage(
                stages[-1].image,
                stages[-1].name,
                (*stages[-1].instructions, Instruction(keyword, rest)),
            )
    return args, stages


def run_build_stage(stage: Stage, root: Path, *, timeout: float = 900) -> None:
    """Run ``stage`` with ``root`` as its file system: COPY from the checkout, RUN with bash."""
    workdir = root
    env = dict(os.environ)
    env.pop("PYTHONPATH", None)
    env.pop("VIRTUAL_ENV", None)

    def inside(path: str) -> Path:
        return root / path.lstrip("/") if path.startswith("/") else workdir / path

    for instruction in stage.instructions:
        if instruction.keyword == "WORKDIR":
            workdir = inside(instruction.arguments)
            workdir.mkdir(parents=True, exist_ok=True)
        elif instruction.keyword == "ENV":
            for pair in shlex.split(instruction.arguments):
                name, _, value = pair.partition("=")
                env[name] = value
        elif instruction.keyword == "COPY":
            *sources, dest = shlex.split(instruction.arguments)
            target = inside(dest)
            for source in sources:
                origin = REPO / source
                into = target / origin.name if dest.endswith("/") or len(sources) > 1 else target
                into.parent.mkdir(parents=True, exist_ok=True)
                if origin.is_dir():
                    shutil.copytree(
                        origin, into, ignore=shutil.ignore_patterns("__pycache__", "*.mo", "_data")
                    )
                else:
                    shutil.copy2(origin, into)
        elif instruction.keyword == "RUN":
            command = instruction.arguments
            for absolute in (
                "/opt/",
                "/dist",
            ):  # the image's own paths, kept inside the scratch root
                command = command.replace(f" {absolute}", f" {root}{absolute}")
            subprocess.run(
                ["bash", "-euo", "pipefail", "-c", command],
                cwd=workdir,
                env=env,
                check=True,
                timeout=timeout,
            )
        else:
            raise AssertionError(
                f"the build stage's {instruction.keyword} cannot run without Docker"
            )
