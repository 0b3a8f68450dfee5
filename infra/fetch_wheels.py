"""`python -m infra.fetch_wheels` (`make wheels`): download the validate job's wheels (`infra.wheels`) from
the URLs uv.lock records into `.wheels/`, refusing any file whose SHA-256 differs from the lock's."""

from __future__ import annotations

import hashlib
import sys
import urllib.request

from infra.wheels import WHEEL_DIR, Wheel, validation_wheels


def _matches(wheel: Wheel) -> bool:
    return wheel.path.is_file() and hashlib.sha256(wheel.path.read_bytes()).hexdigest() == wheel.sha256


def fetch(wheel: Wheel) -> None:
    if _matches(wheel):
        return
    partial = wheel.path.with_suffix(".part")
    with urllib.request.urlopen(wheel.url, timeout=120) as response, partial.open("wb") as out:
        while chunk := response.read(1 << 20):
            out.write(chunk)
    digest = hashlib.sha256(partial.read_bytes()).hexdigest()
    if digest != wheel.sha256:
        partial.unlink()
        raise SystemExit(
            f"fetch-wheels: {wheel.filename} has SHA-256 {digest}, uv.lock pins {wheel.sha256}; refusing it"
        )
    partial.replace(wheel.path)


def main() -> None:
    WHEEL_DIR.mkdir(exist_ok=True)
    wheels = validation_wheels()
    for wheel in wheels:
        fetch(wheel)
    wanted = {w.filename for w in wheels}
    for stale in WHEEL_DIR.glob("*.whl"):
        if stale.name not in wanted:
            stale.unlink()
    total = sum(w.size for w in wheels)
    print(f"{len(wheels)} wheels for the validate job in {WHEEL_DIR}: {total / 1e6:.1f} MB", file=sys.stderr)


if __name__ == "__main__":
    main()
