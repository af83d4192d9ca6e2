"""Checks the release wheels and the sdist in a directory (make dist-python).

    python check_wheels.py DIST_DIR VERSION

For every wheel: the platform tag is one of the expected ones (each expected tag present once);
the extension's needs are within the tag (manylinux: `auditwheel show` agrees with the tag and
the newest GLIBC_x.y the extension needs is <= the tag's; musllinux: it links musl's loader and
needs no versioned glibc symbol); METADATA carries the licence expression, both licence files
(also present in .dist-info/licenses/), the project URLs and the README as description. The
sdist: the same metadata, the licence files, and the Rust sources it builds from.
"""

from __future__ import annotations

import email.parser
import re
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from pathlib import Path

EXPECTED = {
    "manylinux_2_17_x86_64": ("glibc", (2, 17)),
    "manylinux_2_17_aarch64": ("glibc", (2, 17)),
    "musllinux_1_2_x86_64": ("musl", None),
    "musllinux_1_2_aarch64": ("musl", None),
}
LICENCES = ("LICENSE-MIT", "LICENSE-APACHE")
URLS = ("Homepage", "Repository", "Changelog", "Issues")


def fail(msg: str) -> None:
    print(f"check_wheels: {msg}", file=sys.stderr)
    sys.exit(1)


def check_metadata(text: str, what: str) -> None:
    meta = email.parser.Parser().parsestr(text)
    if meta.get("License-Expression") != "MIT OR Apache-2.0":
        fail(f"{what}: License-Expression is {meta.get('License-Expression')!r}")
    files = meta.get_all("License-File") or []
    for lic in LICENCES:
        if lic not in files:
            fail(f"{what}: no License-File: {lic} (has {files})")
    urls = {u.split(",", 1)[0].strip() for u in meta.get_all("Project-URL") or []}
    for name in URLS:
        if name not in urls:
            fail(f"{what}: no Project-URL {name} (has {sorted(urls)})")
    if not (meta.get("Description-Content-Type") or "").startswith("text/markdown") or "TokenClient" not in meta.get_payload():
        fail(f"{what}: the README is not the long description")


def newest_glibc(path: Path) -> tuple[int, ...] | None:
    out = subprocess.run(["readelf", "-V", "--wide", str(path)], check=True, capture_output=True, text=True).stdout
    versions = {tuple(int(p) for p in v.split(".")) for v in re.findall(r"GLIBC_([0-9]+(?:\.[0-9]+)+)", out)}
    return max(versions) if versions else None


def needed(path: Path) -> list[str]:
    out = subprocess.run(["readelf", "-d", "--wide", str(path)], check=True, capture_output=True, text=True).stdout
    return re.findall(r"\(NEEDED\).*\[(.*)\]", out)


def check_wheel(wheel: Path, version: str) -> str:
    m = re.fullmatch(r"officernd_auth-(.+)-cp39-abi3-(.+)\.whl", wheel.name)
    if not m or m.group(1) != version:
        fail(f"{wheel.name}: not officernd_auth-{version}-cp39-abi3-<platform>.whl")
    tags = m.group(2).split(".")
    plat = next((t for t in tags if t in EXPECTED), None)
    if plat is None:
        fail(f"{wheel.name}: platform tags {tags}, expected one of {sorted(EXPECTED)}")
    libc, glibc_max = EXPECTED[plat]
    with zipfile.ZipFile(wheel) as z, tempfile.TemporaryDirectory() as tmp:
        names = z.namelist()
        dist_info = f"officernd_auth-{version}.dist-info"
        check_metadata(z.read(f"{dist_info}/METADATA").decode(), wheel.name)
        for lic in LICENCES:
            if f"{dist_info}/licenses/{lic}" not in names:
                fail(f"{wheel.name}: {dist_info}/licenses/{lic} missing")
        for f in ("officernd_auth/py.typed", "officernd_auth/__init__.py"):
            if f not in names:
                fail(f"{wheel.name}: {f} missing")
        exts = [n for n in names if n.startswith("officernd_auth/_native") and n.endswith(".so")]
        if len(exts) != 1:
            fail(f"{wheel.name}: expected one extension module, found {exts}")
        ext = Path(z.extract(exts[0], tmp))
        libs = [n for n in names if ".libs/" in n]
        if libs:
            fail(f"{wheel.name}: vendored libraries {libs} (the extension should need only libc)")
        newest = newest_glibc(ext)
        deps = needed(ext)
        if libc == "glibc":
            if newest is None or newest > glibc_max:
                fail(f"{wheel.name}: the extension needs GLIBC_{newest}, the tag allows {glibc_max}")
            show = subprocess.run(["auditwheel", "show", str(wheel)], capture_output=True, text=True)
            text = " ".join((show.stdout + show.stderr).split())
            if show.returncode != 0 or f'"{plat}"' not in text:
                fail(f"{wheel.name}: auditwheel show does not confirm {plat}:\n{show.stdout}{show.stderr}")
            how = f"auditwheel: {plat}; newest symbol GLIBC_{'.'.join(map(str, newest))}"
        else:
            if newest is not None:
                fail(f"{wheel.name}: a musl wheel needs GLIBC_{newest}")
            # auditwheel cannot analyse a musl wheel on a glibc host: musl's libc is libc.so, and
            # musllinux allows nothing else outside the wheel.
            if any(d != "libc.so" for d in deps):
                fail(f"{wheel.name}: a musl wheel needs {deps}, only musl's libc.so is allowed")
            how = f"readelf: needs {deps or 'nothing (static)'}, no glibc symbol"
    print(f"check_wheels: {wheel.name}: {how}; metadata, licences, py.typed ok")
    return plat


def check_sdist(sdist: Path, version: str) -> None:
    with tarfile.open(sdist) as t:
        names = t.getnames()
        root = f"officernd_auth-{version}"
        member = t.extractfile(f"{root}/PKG-INFO")
        if member is None:
            fail(f"{sdist.name}: no PKG-INFO")
        check_metadata(member.read().decode(), sdist.name)
        base = {n.split("/")[-1] for n in names}
        for lic in LICENCES:
            if lic not in base:
                fail(f"{sdist.name}: {lic} missing")
        for needle in ("pyproject.toml", "Cargo.lock", "core/src/lib.rs"):
            if not any(n.endswith(needle) for n in names):
                fail(f"{sdist.name}: {needle} missing (pip could not build it)")
    print(f"check_wheels: {sdist.name}: metadata, licences, Cargo.lock and the core's sources ok")


def main() -> None:
    dist, version = Path(sys.argv[1]), sys.argv[2]
    wheels = sorted(dist.glob(f"officernd_auth-{version}-*.whl"))
    seen = [check_wheel(w, version) for w in wheels]
    missing = sorted(set(EXPECTED) - set(seen))
    if missing or len(seen) != len(set(seen)):
        fail(f"wheels: missing {missing}, or one platform twice: {seen}")
    sdists = list(dist.glob(f"officernd_auth-{version}.tar.gz"))
    if len(sdists) != 1:
        fail(f"expected one sdist officernd_auth-{version}.tar.gz in {dist}")
    check_sdist(sdists[0], version)


if __name__ == "__main__":
    main()
