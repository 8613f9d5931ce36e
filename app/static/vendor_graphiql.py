"""Vendor the GraphiQL page's libraries: `python -m app.static.vendor_graphiql` (needs npm).

Reads the GraphiQL page of the installed strawberry, fetches each script and stylesheet it
loads from a CDN with `npm pack <package>@<version>` (the exact versions the page pins),
checks every file against the page's `integrity` hash, copies it with the package's licence
into `graphiql/<package>@<version>/` and writes `graphiql/index.html` pointing at the copies.
Run it again after upgrading strawberry-graphql, and commit the result.
"""

from __future__ import annotations

import base64
import hashlib
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path

from app.static import GRAPHIQL_DIR, GRAPHIQL_URL

TAG = re.compile(r"<(?:script|link)\b[^>]*>", re.DOTALL)
URL = re.compile(r'(?:src|href)="(https://[^"/]+/((?:@[^/"]+/)?[^@/"]+)@([^/"]+)/([^"]+))"')
INTEGRITY = re.compile(r'integrity="(sha\d+)-([^"]+)"')
LICENCES = ("LICENSE", "LICENSE.md", "LICENSE.txt")


@dataclass(frozen=True)
class Asset:
    url: str
    package: str
    version: str
    path: str
    algorithm: str
    digest: str

    @property
    def local_url(self) -> str:
        return f"{GRAPHIQL_URL}/{self.package}@{self.version}/{self.path}"


def assets_of(page: str) -> list[Asset]:
    found = []
    for tag in TAG.findall(page):
        url, integrity = URL.search(tag), INTEGRITY.search(tag)
        if url is None:
            continue
        if integrity is None:
            raise SystemExit(f"{url.group(1)} has no integrity hash to check the copy against")
        found.append(Asset(*url.groups(), *integrity.groups()))
    return found


def pack(package: str, version: str, into: Path) -> tarfile.TarFile:
    result = subprocess.run(
        ["npm", "pack", "--silent", f"{package}@{version}", "--pack-destination", str(into)],
        check=True,
        capture_output=True,
        text=True,
    )
    return tarfile.open(into / result.stdout.strip().splitlines()[-1])


def copy_asset(asset: Asset, archive: tarfile.TarFile, target: Path) -> None:
    member = archive.extractfile(f"package/{asset.path}")
    if member is None:
        raise SystemExit(f"{asset.package}@{asset.version} has no {asset.path}")
    content = member.read()
    digest = base64.b64encode(hashlib.new(asset.algorithm, content).digest()).decode()
    if digest != asset.digest:
        raise SystemExit(f"{asset.package}@{asset.version}/{asset.path}: integrity mismatch")
    destination = target / asset.path
    destination.parent.mkdir(parents=True, exist_ok=True)
    destination.write_bytes(content)


def copy_licence(archive: tarfile.TarFile, target: Path) -> None:
    names = set(archive.getnames())
    for name in LICENCES:
        if f"package/{name}" in names:
            member = archive.extractfile(f"package/{name}")
            assert member is not None
            (target / "LICENSE").write_bytes(member.read())
            return


def main() -> int:
    page = (files("strawberry") / "static" / "graphiql.html").read_text(encoding="utf-8")
    assets = assets_of(page)
    if GRAPHIQL_DIR.exists():
        shutil.rmtree(GRAPHIQL_DIR)
    GRAPHIQL_DIR.mkdir(parents=True)
    with tempfile.TemporaryDirectory() as tmp:
        for package, version in dict.fromkeys((a.package, a.version) for a in assets):
            target = GRAPHIQL_DIR / f"{package}@{version}"
            target.mkdir(parents=True)
            with pack(package, version, Path(tmp)) as archive:
                copy_licence(archive, target)
                for asset in assets:
                    if (asset.package, asset.version) == (package, version):
                        copy_asset(asset, archive, target)
            print(f"vendored {package}@{version}")
    for asset in assets:
        page = page.replace(asset.url, asset.local_url)
    page = page.replace("<title>Strawberry GraphiQL</title>", "<title>Fieldgraph GraphiQL</title>")
    (GRAPHIQL_DIR / "index.html").write_text(page, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
