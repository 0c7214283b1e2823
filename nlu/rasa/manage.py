"""Build the Rasa venv, train the model and run the server: the process side of the Rasa backend.

Rasa 3.6 needs Python 3.10 and pins SQLAlchemy 1.4, so it lives in its own venv (default
``.venv-rasa`` in the project root, ``PUENTE_RASA_VENV`` to move it, e.g. to a CI cache) and is
only ever run as a child process. The server listens on loopback only.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from subprocess import STDOUT

import requests

from nlu.rasa.errors import RasaSetupError
from nlu.rasa.project import DATA_DIR, REQUIREMENTS, write_project

PYTHON_VERSION = (3, 10)
# pip, setuptools and wheel for the venv itself; setuptools must keep pkg_resources for Rasa.
BOOTSTRAP = ("pip==24.0", "setuptools==70.3.0", "wheel==0.45.1")
BUILD_STAMP = "puente-build.sha256"
LOOPBACK = "127.0.0.1"


@dataclass(frozen=True)
class RasaPaths:
    """Where the venv and the generated Rasa project live."""

    venv: Path
    project: Path

    @classmethod
    def from_env(cls, root: Path | None = None) -> RasaPaths:
        """Defaults in the project root; PUENTE_RASA_VENV / PUENTE_RASA_PROJECT override them."""
        root = root or project_root()
        return cls(
            venv=Path(os.environ.get("PUENTE_RASA_VENV") or root / ".venv-rasa"),
            project=Path(os.environ.get("PUENTE_RASA_PROJECT") or root / ".rasa-project"),
        )

    @property
    def python(self) -> Path:
        return self.venv / "bin" / "python"

    @property
    def rasa(self) -> Path:
        return self.venv / "bin" / "rasa"


def project_root() -> Path:
    """The checkout this package sits in, or the working directory for an installed package."""
    checkout = Path(__file__).resolve().parents[2]
    return checkout if (checkout / "pyproject.toml").exists() else Path.cwd()


def find_python310() -> Path:
    """A Python 3.10: PUENTE_RASA_PYTHON, then pyenv's 3.10.*, then python3.10 on the PATH."""
    candidates = [os.environ.get("PUENTE_RASA_PYTHON", "")]
    pyenv = shutil.which("pyenv")
    if pyenv:
        root = subprocess.run([pyenv, "root"], capture_output=True, text=True).stdout.strip()
        versions = Path(root, "versions").glob("3.10.*/bin/python") if root else []
        candidates += [str(path) for path in sorted(versions, key=_version_key, reverse=True)]
    candidates.append(shutil.which("python3.10") or "")
    for candidate in filter(None, candidates):
        if _python_version(candidate) == PYTHON_VERSION:
            return Path(candidate)
    raise RasaSetupError(
        "Rasa 3.6 needs Python 3.10 and none was found (looked at PUENTE_RASA_PYTHON, "
        "$(pyenv root)/versions/3.10.*/bin/python and python3.10 on the PATH). "
        "Install one, e.g. `pyenv install 3.10`, or point PUENTE_RASA_PYTHON at it."
    )


def build_venv(paths: RasaPaths, python: Path | None = None) -> bool:
    """Create the venv and install the locked Rasa into it; False when it was already built.

    Safe to rerun after an interrupted build: venv creation and pip are both incremental.
    """
    if venv_is_built(paths):
        return False
    python = python or find_python310()
    _run([str(python), "-m", "venv", str(paths.venv)], "creating the Rasa venv")
    pip = [str(paths.python), "-m", "pip", "install", "--disable-pip-version-check", "-q"]
    _run([*pip, *BOOTSTRAP], "installing pip/setuptools into the Rasa venv")
    _run([*pip, "-r", str(REQUIREMENTS)], "installing Rasa into the Rasa venv")
    (paths.venv / BUILD_STAMP).write_text(_build_stamp() + "\n")
    return True


def venv_is_built(paths: RasaPaths) -> bool:
    """True when the venv holds exactly the locked Rasa (its build stamp matches the lock)."""
    stamp_file = paths.venv / BUILD_STAMP
    return stamp_file.exists() and stamp_file.read_text().strip() == _build_stamp()


def train(
    paths: RasaPaths, *, force: bool = False, data_dir: Path = DATA_DIR, epochs: int | None = None
) -> Path:
    """Write the project and train it unless a model for the same data and pipeline exists."""
    project = write_project(paths.project, data_dir, epochs=epochs)
    model = project.model
    if model.exists() and not force:
        return model
    if not venv_is_built(paths):
        raise RasaSetupError(
            f"the Rasa venv at {paths.venv} is not built: run `puente nlu rasa build`"
        )
    if force:
        # Rasa's own component cache would otherwise skip most of the work.
        shutil.rmtree(project.directory / ".rasa", ignore_errors=True)
    log_path = project.directory / "train.log"
    command = [str(paths.rasa), "train", "nlu", "--config", "config.yml", "--nlu", "data"]
    command += ["--out", "models", "--fixed-model-name", project.model_name]
    with log_path.open("w") as log_file:
        result = subprocess.run(
            command, cwd=project.directory, env=rasa_env(paths), stdout=log_file, stderr=STDOUT
        )
    if result.returncode != 0 or not model.exists():
        raise RasaSetupError(f"`rasa train nlu` failed (exit {result.returncode}); see {log_path}")
    for old in project.models.glob("nlu-*.tar.gz"):
        if old != model:
            old.unlink()
    return model


class RasaServer:
    """`rasa run --enable-api` on loopback as a child process, stopped with its process group.

    Use as a context manager: entering waits until the model is loaded and answering.
    """

    def __init__(self, paths: RasaPaths, model: Path, port: int | None = None) -> None:
        self.paths = paths
        self.model = model
        self.port = port or free_port()
        self.url = f"http://{LOOPBACK}:{self.port}"
        self.log_path = paths.project / f"server-{self.port}.log"
        self.process: subprocess.Popen[bytes] | None = None
        self.ready_seconds: float | None = None

    def start(self, timeout: float = 300.0) -> float:
        """Start the server and return the seconds it took to answer /status."""
        began = time.monotonic()
        command = [str(self.paths.rasa), "run", "--enable-api", "-i", LOOPBACK]
        command += ["-p", str(self.port), "--model", str(self.model)]
        with self.log_path.open("w") as log_file:
            self.process = subprocess.Popen(
                command,
                cwd=self.paths.project,
                env=rasa_env(self.paths),
                stdout=log_file,
                stderr=STDOUT,
                start_new_session=True,
            )
        try:
            self._wait_ready(began + timeout)
        except BaseException:
            self.stop()
            raise
        self.ready_seconds = time.monotonic() - began
        return self.ready_seconds

    def _wait_ready(self, deadline: float) -> None:
        assert self.process is not None, "start() sets the process before waiting for it"
        while time.monotonic() < deadline:
            code = self.process.poll()
            if code is not None:
                raise RasaSetupError(f"`rasa run` exited with {code}; see {self.log_path}")
            try:
                status = requests.get(f"{self.url}/status", timeout=2)
                if status.ok and status.json().get("model_file"):
                    return
            except (requests.RequestException, ValueError):
                pass
            time.sleep(0.25)
        raise RasaSetupError(f"`rasa run` did not answer in time; see {self.log_path}")

    def stop(self, grace: float = 15.0) -> None:
        """SIGTERM the server's process group, then SIGKILL it after ``grace`` seconds.

        The log is kept only when the server failed to start or died on its own.
        """
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(grace)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        if self.ready_seconds is not None:
            self.log_path.unlink(missing_ok=True)

    def wait(self) -> int:
        """Block until the server exits on its own; its exit code."""
        return self.process.wait() if self.process else 0

    def rss_bytes(self) -> int:
        """Resident memory of the server and its children, from /proc (Linux)."""
        if self.process is None:
            return 0
        return sum(_rss(pid) for pid in _descendants(self.process.pid))

    def __enter__(self) -> RasaServer:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((LOOPBACK, 0))
        port: int = probe.getsockname()[1]
        return port


def rasa_env(paths: RasaPaths) -> dict[str, str]:
    """The child's environment: no telemetry, quiet TensorFlow, nothing of our own Python's."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    env.update(
        VIRTUAL_ENV=str(paths.venv),
        PATH=f"{paths.venv / 'bin'}{os.pathsep}{env.get('PATH', '')}",
        RASA_TELEMETRY_ENABLED="false",
        SQLALCHEMY_SILENCE_UBER_WARNING="1",
        TF_CPP_MIN_LOG_LEVEL="2",
        PYTHONWARNINGS="ignore",
        MPLCONFIGDIR=str(paths.project / ".matplotlib"),
    )
    return env


def _run(command: list[str], what: str) -> None:
    result = subprocess.run(command)
    if result.returncode != 0:
        raise RasaSetupError(f"{what} failed (exit {result.returncode}): {' '.join(command)}")


def _build_stamp() -> str:
    return hashlib.sha256(" ".join(BOOTSTRAP).encode() + REQUIREMENTS.read_bytes()).hexdigest()


def _python_version(python: str) -> tuple[int, int] | None:
    try:
        out = subprocess.run(
            [python, "-c", "import sys; print(*sys.version_info[:2])"],
            capture_output=True,
            text=True,
            timeout=30,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    parts = out.split()
    return (int(parts[0]), int(parts[1])) if len(parts) == 2 else None


def _version_key(path: Path) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", path.parent.parent.name))


def _descendants(pid: int) -> list[int]:
    pids, todo = [], [pid]
    while todo:
        current = todo.pop()
        pids.append(current)
        try:
            children = Path(f"/proc/{current}/task/{current}/children").read_text().split()
        except OSError:
            continue
        todo += [int(child) for child in children]
    return pids


def _rss(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0
