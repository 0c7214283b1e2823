"""axe-core, the accessibility checker, fetched from the npm registry at test time (pinned, checked
by npm against the registry's integrity hash) and kept in a cache directory between runs."""

from __future__ import annotations

import subprocess
import tarfile
import tempfile
from pathlib import Path
from typing import Any

VERSION = "4.10.3"
CACHE = Path(tempfile.gettempdir()) / f"puente-axe-core-{VERSION}"
#: Impacts that fail a page (axe's "moderate" and "minor" are reported, not failed).
BLOCKING = ("serious", "critical")
_RUN = """async () => {
  const result = await axe.run(document, {resultTypes: ["violations"]});
  return result.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                                      nodes: v.nodes.slice(0, 5).map(n => n.target.join(" "))}));
}"""


def source() -> str:
    """axe.min.js's text; `npm pack` fetches it the first time (npm must be installed)."""
    script = CACHE / "axe.min.js"
    if not script.exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        packed = (
            subprocess.run(
                [
                    "npm",
                    "pack",
                    f"axe-core@{VERSION}",
                    "--silent",
                    "--pack-destination",
                    str(CACHE),
                ],
                check=True,
                capture_output=True,
                text=True,
                timeout=180,
            )
            .stdout.strip()
            .splitlines()[-1]
        )
        with tarfile.open(CACHE / packed) as archive:
            data = archive.extractfile("package/axe.min.js").read()
        tmp = script.with_suffix(".tmp")
        tmp.write_bytes(data)
        tmp.replace(script)
    return script.read_text(encoding="utf-8")


def violations(page: Any, axe_js: str) -> list[dict[str, Any]]:
    """Run axe on the page as it is now (the browser context must bypass the page's CSP)."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(content=axe_js)
    return page.evaluate(_RUN)


def blocking(found: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [v for v in found if v["impact"] in BLOCKING]
