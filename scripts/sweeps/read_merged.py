#!/usr/bin/env python3
"""Reads a sweep's merged.safetensors with the Python standard library alone (no numpy, no safetensors package).

The file is a plain safetensors file (https://github.com/huggingface/safetensors#format): 8 bytes little-endian u64 N,
N bytes of JSON header {name: {"dtype", "shape", "data_offsets"}, "__metadata__": {name: JSON list of labels}}, then
the data. Numeric columns are F64, the cell index I64, and text columns I32 codes into the labels in "__metadata__".
With numpy and safetensors installed, `safetensors.numpy.load_file(path)` reads the same columns (text as codes).

usage: read_merged.py merged.safetensors [--json | --csv]   (default --csv)
"""
import csv
import json
import math
import struct
import sys

FORMATS = {"F64": ("d", 8), "I64": ("q", 8), "I32": ("i", 4)}


def load(path):
    """Returns (column names in file order, {name: list of values}) with text codes turned back into their labels."""
    with open(path, "rb") as f:
        data = f.read()
    (length,) = struct.unpack_from("<Q", data, 0)
    header = json.loads(data[8:8 + length].decode("utf-8"))
    metadata = header.pop("__metadata__", {}) or {}
    start = 8 + length
    names = sorted(header, key=lambda name: header[name]["data_offsets"][0])
    columns = {}
    for name in names:
        entry = header[name]
        code, width = FORMATS[entry["dtype"]]
        begin, end = entry["data_offsets"]
        rows = entry["shape"][0]
        if end - begin != rows * width:
            raise ValueError(f"{path}: tensor {name}: {end - begin} bytes for {rows} rows of {entry['dtype']}")
        values = list(struct.unpack_from(f"<{rows}{code}", data, start + begin))
        if name in metadata:
            labels = json.loads(metadata[name])
            values = [labels[v] for v in values]
        columns[name] = values
    return names, columns


def main(argv):
    if len(argv) < 2 or argv[1] in ("-h", "--help"):
        print(__doc__)
        return 2
    names, columns = load(argv[1])
    if len(argv) > 2 and argv[2] == "--json":
        # strict JSON has no NaN or Infinity: those go out as the strings "NaN", "Infinity", "-Infinity"
        def plain(v):
            return v if not isinstance(v, float) or math.isfinite(v) else ("NaN" if math.isnan(v) else ("Infinity" if v > 0 else "-Infinity"))
        json.dump({"names": names, "columns": {n: [plain(v) for v in columns[n]] for n in names}}, sys.stdout, allow_nan=False)
        return 0
    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(names)
    rows = len(columns[names[0]]) if names else 0
    for r in range(rows):
        writer.writerow([repr(v) if isinstance(v, float) and math.isfinite(v) else v for v in (columns[n][r] for n in names)])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
