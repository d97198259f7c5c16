"""Build step: JASPAR CORE 2024 vertebrates (non-redundant, latest version of each matrix) from
the JASPAR2024 SQLite database that the PyPI package pyjaspar carries, to
src/data/jaspar/jaspar_core_2024_vertebrates.json (matrix id, version, TF name, PFM as counts,
rows = positions, columns = A, C, G, T). Not a run-time dependency of the product.

    python3 -m venv /tmp/jaspar && /tmp/jaspar/bin/pip install pyjaspar==4.0.0
    /tmp/jaspar/bin/python infra/jaspar/convert_jaspar2024.py src/data/jaspar/jaspar_core_2024_vertebrates.json
"""

import json
import sys

from pyjaspar import jaspardb


def number(count: float) -> float | int:
    """Counts are whole numbers in most matrices: written without '.0'."""
    return int(count) if float(count).is_integer() else float(count)


def main(out: str) -> None:
    db = jaspardb(release="JASPAR2024")
    motifs = db.fetch_motifs(collection="CORE", tax_group=["vertebrates"], all_versions=False)
    records = []
    for m in sorted(motifs, key=lambda m: m.matrix_id):
        base_id, version = m.matrix_id.split(".")
        counts = [m.counts[b] for b in "ACGT"]
        pfm = [[number(counts[b][i]) for b in range(4)] for i in range(m.length)]
        records.append({"id": m.matrix_id, "baseId": base_id, "version": int(version), "name": m.name, "length": m.length, "pfm": pfm})
    doc = {
        "source": "JASPAR 2024 CORE vertebrates, non-redundant (latest version of each matrix), from pyjaspar (JASPAR2024.sqlite). Position frequency matrices as counts, rows = positions, columns = A,C,G,T. CC BY 4.0.",
        "alphabet": "ACGT",
        "count": len(records),
        "motifs": records,
    }
    with open(out, "w") as f:
        json.dump(doc, f, separators=(",", ":"))
        f.write("\n")
    print(f"{len(records)} motifs -> {out}")


if __name__ == "__main__":
    main(sys.argv[1])
