"""The Dockerfile read as data, and its build stage run without Docker (no daemon, no image pulls).

The build stage only copies files and runs shell commands, so it can run here in a scratch folder:
its COPY lines copy from the checkout and its RUN lines run with bash, the image's absolute paths
mapped into that folder. What it builds (the wheel and the venv) is what the image would carry.
"""

from __future__ import annotations

import hashlib
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


#: Where build layers are kept between runs, as Docker's layer cache keeps them: keyed by everything
#: that went into them, one version per position in the stage (a new lock replaces the old venv).
LAYER_CACHE = (
    Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "puente" / "image-layers"
)


def run_build_stage(
    stage: Stage, root: Path, *, timeout: float = 900, cache: Path | None = LAYER_CACHE
) -> None:
    """Run ``stage`` with ``root`` as its file system: COPY from the checkout, RUN with bash.

    With ``cache``, each RUN but the last is a layer, as in ``docker build``: the folder after it is
    kept under a key of the base image, the instructions so far, the files they copied and the
    ``python3`` that runs them, and later runs with the same key start from a copy of it instead
    (the dependencies' venv, about a minute to install, is such a layer)."""
    workdir = root
    env = dict(os.environ)
    env.pop("PYTHONPATH", None)
    env.pop("VIRTUAL_ENV", None)
    key = hashlib.sha256(f"{stage.image}\n{_python3(env)}\n".encode())
    runs = [i for i in stage.instructions if i.keyword == "RUN"]

    def inside(path: str) -> Path:
        return root / path.lstrip("/") if path.startswith("/") else workdir / path

    for instruction in stage.instructions:
        key.update(f"{instruction.keyword} {instruction.arguments}\n".encode())
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
                    shutil.copytree(origin, into, ignore=_NOT_COPIED)
                else:
                    shutil.copy2(origin, into)
                _hash_files(key, into)
        elif instruction.keyword == "RUN":
            position = runs.index(instruction)
            layer = None
            if cache is not None and position < len(runs) - 1:
                layer = cache / f"{stage.name}-{position}-{key.hexdigest()[:24]}"
                if layer.is_dir():
                    _restore(layer, root)
                    continue
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
            if layer is not None:
                _keep(root, layer)
        else:
            raise AssertionError(
                f"the build stage's {instruction.keyword} cannot run without Docker"
            )


_NOT_COPIED = shutil.ignore_patterns("__pycache__", "*.mo", "_data")


def _python3(env: dict[str, str]) -> str:
    """The ``python3`` a RUN line would start, and its version: a venv is made for one Python."""
    found = shutil.which("python3", path=env.get("PATH"))
    if found is None:
        return ""
    version = subprocess.run(
        [found, "-c", "import sys; print(sys.version)"], capture_output=True, text=True, check=True
    ).stdout
    return f"{os.path.realpath(found)} {version.strip()}"


def _hash_files(key: hashlib._Hash, path: Path) -> None:
    """Add the names and contents of the files at ``path`` (a file, or a folder's tree) to ``key``."""
    files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    for file in files:
        key.update(f"{file.relative_to(path) if file != path else file.name}\0".encode())
        key.update(hashlib.sha256(file.read_bytes()).digest())


def _keep(root: Path, layer: Path) -> None:
    """Keep ``root`` as ``layer`` (hard links: no copy), dropping the position's older versions."""
    layer.parent.mkdir(parents=True, exist_ok=True)
    building = layer.with_name(f"{layer.name}.{os.getpid()}.tmp")
    shutil.rmtree(building, ignore_errors=True)
    shutil.copytree(root, building / "root", symlinks=True, copy_function=_link)
    (building / "origin").write_text(str(root))
    try:
        building.rename(layer)
    except OSError:  # another run kept the same layer meanwhile
        shutil.rmtree(building, ignore_errors=True)
    position = layer.name.rsplit("-", 1)[0]
    for old in layer.parent.glob(f"{position}-*"):
        if old != layer and not old.name.endswith(".tmp"):
            shutil.rmtree(old, ignore_errors=True)


def _restore(layer: Path, root: Path) -> None:
    """Make ``root`` what it was when ``layer`` was kept, its absolute paths moved to ``root``: the
    venv's scripts and pyvenv.cfg name the folder they were made in."""
    for child in root.iterdir():
        if child.is_dir() and not child.is_symlink():
            shutil.rmtree(child)
        else:
            child.unlink()
    shutil.copytree(layer / "root", root, symlinks=True, copy_function=_link, dirs_exist_ok=True)
    origin = (layer / "origin").read_text().encode()
    for path in root.rglob("*"):
        named = path.parent.name == "bin" or path.name == "pyvenv.cfg"
        if named and path.is_file() and not path.is_symlink():
            data = path.read_bytes()
            if origin in data:
                mode = path.stat().st_mode
                path.unlink()  # a new file: the kept layer shares this one's inode
                path.write_bytes(data.replace(origin, str(root).encode()))
                path.chmod(mode)


def _link(source: str, target: str) -> None:
    """Hard-link a file (nothing in a layer is changed in place: pip and Python replace files), or
    copy it across file systems."""
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)
