#!/usr/bin/env bash
# Runs the packed TrajectoryLab (scripts/gpu/pack.sh) on a machine with PyTorch and no .NET: unpacks
# .gpu-pack/trajectorylab-linux-x64.tar.xz to /tmp once (per archive content), finds the machine's libtorch
# (TRAJECTORYLAB_LIBTORCH, else the torch/lib folder of python3's torch), runs the symbol probe (scripts/gpu/probe.sh),
# then the CLI with TRAJECTORYLAB_LIBTORCH and TRAJECTORYLAB_ROOT (this repository) set; results go to $OUT/results
# when OUT is set, else to results/ in the repository.
# Usage (from the repository root): scripts/gpu/run.sh <trajectorylab arguments...>, e.g. scripts/gpu/run.sh run generate
# Environment: TRAJECTORYLAB_PACK (archive path), TRAJECTORYLAB_LIBTORCH (libtorch folder), TRAJECTORYLAB_SHIM (see below),
#   TRAJECTORYLAB_PROBE=skip|warn|strict (default strict: stop when the probe says the shim does not bind).
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
archive=${TRAJECTORYLAB_PACK:-$repo/.gpu-pack/trajectorylab-linux-x64.tar.xz}
[[ -f "$archive" ]] || { echo "run.sh: no archive at $archive (build it with scripts/gpu/pack.sh, or set TRAJECTORYLAB_PACK)" >&2; exit 1; }

# Unpack once per archive content (and per replacement shim: TRAJECTORYLAB_SHIM names a libLibTorchSharp.so rebuilt
# against this machine's libtorch from TorchSharp's src/Native, for when the probe says the packed 0.107 shim does not bind).
key=$(cat "$archive" ${TRAJECTORYLAB_SHIM:+"$TRAJECTORYLAB_SHIM"} | sha256sum | cut -c1-16)
dest=/tmp/trajectorylab-gpu-$key
if [[ ! -x "$dest/trajectorylab/bin/trajectorylab" ]]; then
  start=$(date +%s.%N)
  rm -rf "$dest.tmp"; mkdir -p "$dest.tmp"
  xz -dc "$archive" | tar -C "$dest.tmp" -xf -
  [[ -z "${TRAJECTORYLAB_SHIM:-}" ]] || cp "$TRAJECTORYLAB_SHIM" "$dest.tmp/trajectorylab/bin/libLibTorchSharp.so"
  rm -rf "$dest"; mv "$dest.tmp" "$dest"
  echo "run.sh: unpacked $archive to $dest in $(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN{printf "%.1f", e-s}') s" >&2
fi
app=$dest/trajectorylab/bin

# The machine's libtorch.
if [[ -z "${TRAJECTORYLAB_LIBTORCH:-}" ]]; then
  if ! TRAJECTORYLAB_LIBTORCH=$(python3 -c 'import torch, os; print(os.path.join(os.path.dirname(torch.__file__), "lib"))' 2>/dev/null); then
    echo "run.sh: no libtorch: set TRAJECTORYLAB_LIBTORCH to a libtorch folder, or install PyTorch for python3" >&2; exit 1
  fi
fi
export TRAJECTORYLAB_LIBTORCH
echo "run.sh: libtorch folder $TRAJECTORYLAB_LIBTORCH" >&2

case "${TRAJECTORYLAB_PROBE:-strict}" in
  skip) ;;
  warn) "$repo/scripts/gpu/probe.sh" "$TRAJECTORYLAB_LIBTORCH" "$app/libLibTorchSharp.so" >&2 || echo "run.sh: going on despite the probe (TRAJECTORYLAB_PROBE=warn)" >&2 ;;
  strict) "$repo/scripts/gpu/probe.sh" "$TRAJECTORYLAB_LIBTORCH" "$app/libLibTorchSharp.so" >&2 \
            || { echo "run.sh: stopping: the shim does not bind to this libtorch (TRAJECTORYLAB_PROBE=warn to try anyway)" >&2; exit 1; } ;;
  *) echo "run.sh: TRAJECTORYLAB_PROBE must be skip, warn or strict, not '$TRAJECTORYLAB_PROBE'" >&2; exit 2 ;;
esac

export TRAJECTORYLAB_ROOT=$repo
export TRAJECTORYLAB_RESULTS=${OUT:+$OUT/results}
[[ -n "$TRAJECTORYLAB_RESULTS" ]] || export TRAJECTORYLAB_RESULTS=$repo/results
# Resolve every symbol when a library loads, so a missing libtorch symbol fails at load with its name (LibTorchLoader
# reports it) instead of killing the process at the first call of that function.
export LD_BIND_NOW=1
exec "$app/trajectorylab" "$@"
