"""Download an authority's current list from its published URL, check it parses, load it.

One table says where each authority publishes its files. Downloading is separate from parsing:
files go to a temporary folder under the names their loader expects (OFAC's CSV set needs its
companions beside `sdn.csv`), the loader reads them once in full (a download that is an error
page or half a file fails here, before the store is touched), then the ordinary load runs.
Every failure is a `FetchError` with one line saying which source, which URL and why.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Final

from graph.errors import FetchError, SourceError
from graph.model import Entity
from graph.store import LoadResult, Store

# The loaders and urllib are imported when a fetch runs: the CLI reads `PUBLISHED` for its help
# and should not pay for them on every command.
if TYPE_CHECKING:
    from loaders import LoaderSpec

#: Seconds to wait for a server before giving up.
TIMEOUT: Final = 60
USER_AGENT: Final = "sanctions-graph (+https://github.com/) python-urllib"

_OFAC: Final = "https://sanctionslistservice.ofac.treas.gov/api/PublicationPreview/exports/"


@dataclass(frozen=True, slots=True)
class Published:
    """One authority's published list: the files to download (URL, local name; the first is the
    one loaded), its format (None: detected from the content) and what it is."""

    source: str
    files: tuple[tuple[str, str], ...]
    format: str | None
    title: str


PUBLISHED: Final[dict[str, Published]] = {
    p.source: p
    for p in (
        Published(
            "us_ofac_sdn",
            ((_OFAC + "SDN.CSV", "sdn.csv"), (_OFAC + "ADD.CSV", "add.csv"),
             (_OFAC + "ALT.CSV", "alt.csv"), (_OFAC + "SDN_COMMENTS.CSV", "sdn_comments.csv")),
            "ofac_csv",
            "OFAC SDN list, legacy CSV set",
        ),
        Published(
            "us_ofac_sdn_advanced",
            ((_OFAC + "SDN_ADVANCED.XML", "sdn_advanced.xml"),),
            "ofac_advanced_xml",
            "OFAC SDN list, Advanced XML",
        ),
        Published(
            "us_ofac_cons",
            ((_OFAC + "CONSOLIDATED.XML", "consolidated.xml"),),
            "ofac_sdn_xml",
            "OFAC consolidated (non-SDN) list, XML",
        ),
        Published(
            "un_sc",
            (("https://scsanctions.un.org/resources/xml/en/consolidated.xml",
              "un_consolidated.xml"),),
            None,
            "UN Security Council consolidated list, XML",
        ),
        Published(
            "gb_ofsi",
            (("https://ofsistorage.blob.core.windows.net/publishlive/2022format/ConList.csv",
              "ConList.csv"),),
            None,
            "UK OFSI consolidated list (ConList), CSV",
        ),
        Published(
            "eu_fsf",
            (("https://webgate.ec.europa.eu/fsd/fsf/public/files/xmlFullSanctionsList_1_1/"
              "content?token=dG9rZW4tMjAxNw", "eu_fsf.xml"),),
            None,
            "EU Financial Sanctions Files (FSF), full XML",
        ),
    )
}


def _download(url: str, target: Path, source: str) -> None:
    import urllib.error
    import urllib.request

    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response, \
                target.open("wb") as handle:
            shutil.copyfileobj(response, handle, 1 << 20)
    except urllib.error.HTTPError as exc:
        raise FetchError(f"fetch {source}: {url} answered HTTP {exc.code} {exc.reason}") from None
    except urllib.error.URLError as exc:
        raise FetchError(f"fetch {source}: cannot reach {url} ({exc.reason}); "
                         "no network? download it yourself and use `load`") from None
    except (TimeoutError, OSError) as exc:
        raise FetchError(f"fetch {source}: download of {url} failed ({exc})") from None


@contextmanager
def downloaded(source: str, *, workdir: Path | None = None) -> Iterator[tuple[LoaderSpec, Path]]:
    """Download `source`'s current files into a temporary folder and check they parse; yields
    the loader and the file to load. The folder is removed afterwards."""
    from loaders import detect_loader, get_loader

    published = PUBLISHED.get(source)
    if published is None:
        known = ", ".join(sorted(PUBLISHED))
        raise FetchError(f"fetch: no published URL known for {source!r} (known: {known})")
    with tempfile.TemporaryDirectory(prefix="sanctions-graph-fetch-", dir=workdir) as tmp:
        folder = Path(tmp)
        for url, name in published.files:
            _download(url, folder / name, source)
        main = folder / published.files[0][1]
        try:
            spec = get_loader(published.format) if published.format else detect_loader(main)
            entities = sum(isinstance(r, Entity) for r in spec.load(main))
        except SourceError as exc:
            raise FetchError(f"fetch {source}: the downloaded file does not parse: {exc}") \
                from None
        if entities == 0:
            raise FetchError(f"fetch {source}: the downloaded file holds no entities")
        yield spec, main


def fetch(store: Store, source: str, *, progress: Callable[[int], None] | None = None,
          workdir: Path | None = None, allow_shrink: bool = False) -> LoadResult:
    """Download `source`'s current files, check they parse, and load them as a new version
    (refused when it would drop too much of the current one, unless `allow_shrink`)."""
    from pipeline.ingest import load_file

    with downloaded(source, workdir=workdir) as (spec, main):
        return load_file(store, main, format=spec.format, source=source, progress=progress,
                         allow_shrink=allow_shrink)
