"""FtM export and load speed: the OFAC SDN CSV set and the OFAC XML samples loaded, the store
exported to FtM JSON lines, the export loaded into a fresh store. Prints seconds, records per
second and the process's peak resident memory so far; asserts nothing (figures, not tests)."""

from __future__ import annotations

import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from graph.export_ftm import export_ftm  # noqa: E402
from graph.store import Store  # noqa: E402
from pipeline.ingest import load_file  # noqa: E402

RAW = ROOT.parent / "shared" / "data" / "raw"


def timed(label: str, count_of: str, fn):  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    result = fn()
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # Linux: KiB
    count = getattr(result, count_of) if not isinstance(result, int) else result
    print(f"{label:<42} {count:>8,} {count_of:<9} {seconds:>7.2f} s "
          f"{count / seconds:>9,.0f}/s  peak RSS so far {peak / 2**20:>6.0f} MiB")
    return result


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        with Store(folder / "a.db") as store:
            timed("load OFAC sdn.csv set (ofac_csv)", "entities",
                  lambda: load_file(store, RAW / "ofac_sdn_2024-05-03.csv").info)
            for name in ("ofac_consolidated_nonsdn_2025-03-28.xml",
                         "ofac_cons_advanced_2020-03-17.xml",
                         "ofac_enhanced_xml_program_IRGC_2024-08-28.xml"):
                timed(f"load {name[:36]}", "entities",
                      lambda name=name: load_file(store, RAW / name).info)
            result = timed("export FtM", "entities",
                           lambda: export_ftm(store, folder / "graph.ftm.json"))
            lines = result.entities + result.relations + result.sanctions
            print(f"{'  (lines written: entities+relations+sanctions)':<42} {lines:>8,}")
        with Store(folder / "b.db") as store:
            timed("load the export (ftm)", "entities",
                  lambda: load_file(store, folder / "graph.ftm.json", format="ftm",
                                    source="roundtrip").info)


if __name__ == "__main__":
    main()
