"""The Rasa project Puente trains: our pipeline, a domain, and nlu/data copied unchanged.

The project directory is generated (overwritten on every write); its fingerprint names the model,
so an unchanged pipeline and unchanged data never train twice.
"""

from __future__ import annotations

import hashlib
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import yaml

from nlu import training_data

HERE = Path(__file__).resolve().parent
CONFIG = HERE / "config.yml"
REQUIREMENTS = HERE / "requirements.txt"
DATA_DIR = HERE.parent / "data"
SUFFIXES = (".yml", ".yaml")


@dataclass(frozen=True)
class RasaProject:
    """A written Rasa project directory and where its trained model goes."""

    directory: Path

    @property
    def config(self) -> Path:
        return self.directory / "config.yml"

    @property
    def domain(self) -> Path:
        return self.directory / "domain.yml"

    @property
    def data(self) -> Path:
        return self.directory / "data"

    @property
    def models(self) -> Path:
        return self.directory / "models"

    def fingerprint(self) -> str:
        """Hash of everything that shapes the model: the Rasa lock, the pipeline, the data."""
        digest = hashlib.sha256(REQUIREMENTS.read_bytes())
        for path in [self.config, self.domain, *_nlu_files(self.data)]:
            digest.update(str(path.relative_to(self.directory)).encode())
            digest.update(path.read_bytes())
        return digest.hexdigest()[:16]

    @property
    def model_name(self) -> str:
        return f"nlu-{self.fingerprint()}"

    @property
    def model(self) -> Path:
        return self.models / f"{self.model_name}.tar.gz"


def write_project(
    directory: Path, data_dir: Path = DATA_DIR, *, epochs: int | None = None
) -> RasaProject:
    """Write config.yml, domain.yml and a byte-for-byte copy of the training data.

    ``epochs`` overrides DIET's (the test suite trains a quicker model than the benchmark's).
    """
    sources = _nlu_files(data_dir)
    if not sources:
        raise FileNotFoundError(f"no Rasa NLU files (*.yml, *.yaml) in {data_dir}")
    project = RasaProject(directory)
    directory.mkdir(parents=True, exist_ok=True)
    shutil.rmtree(project.data, ignore_errors=True)
    for source in sources:
        target = project.data / source.relative_to(data_dir)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
    config = CONFIG.read_text(encoding="utf-8")
    if epochs is not None:
        config = re.sub(r"(?m)^(\s*epochs:) \d+", rf"\g<1> {int(epochs)}", config)
    project.config.write_text(config, encoding="utf-8")
    project.domain.write_text(domain_yaml(training_data.load(sources)), encoding="utf-8")
    return project


def domain_yaml(data: training_data.TrainingData) -> str:
    """A domain listing the intents and entities (annotated, looked up or matched) of the data."""
    annotated = [entity.entity for example in data.examples for entity in example.entities]
    entities = dict.fromkeys([*data.lookups, *data.regexes, *annotated])
    domain = {"version": "3.1", "intents": sorted(data.intents), "entities": list(entities)}
    return yaml.safe_dump(domain, sort_keys=False, allow_unicode=True)


def _nlu_files(directory: Path) -> list[Path]:
    return sorted(path for path in directory.rglob("*") if path.suffix in SUFFIXES)
