#!/usr/bin/env bash
# Packs TrajectoryLab for a GPU machine that has PyTorch but no .NET and no network: a self-contained, trimmed publish
# of the CLI built with -p:TorchBackend=external (the managed TorchSharp and its shim libLibTorchSharp.so, no libtorch;
# the machine's own libtorch is loaded at run time through TRAJECTORYLAB_LIBTORCH, see scripts/gpu/run.sh), plus
# experiments/ and scripts/gpu/, into .gpu-pack/trajectorylab-linux-x64.tar.xz. The default model (models/brown-small)
# is not packed: run.sh runs from the repository, whose copy travels anyway (TRAJECTORYLAB_ROOT).
# Usage: scripts/gpu/pack.sh [--artifacts-path DIR]   (prints the sizes; the archive must fit the 64 MiB that travels
# together with the repository's tracked files).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
artifacts=/tmp/art-gpu-pack
if [[ "${1:-}" == "--artifacts-path" ]]; then artifacts=$2; fi
out="$root/.gpu-pack"
app="$out/trajectorylab"
archive="$out/trajectorylab-linux-x64.tar.xz"

rm -rf "$app" "$archive"
mkdir -p "$app"
start=$(date +%s)
# TrimMode=partial: only the framework's assemblies are trimmed; ours (reflection-bound configuration) and packages stay
# whole. PublishTrimmed also flips feature switches that would change behaviour, so they are set back to what a normal
# build does: reflection-based System.Text.Json (manifests, tables), the reflection configuration binder instead of the
# source-generated one, real exception messages (validation errors quote them), nullability info.
dotnet publish "$root/src/TrajectoryLab.Cli" -c Release -r linux-x64 --self-contained \
  -p:TorchBackend=external -p:PublishTrimmed=true -p:TrimMode=partial \
  -p:JsonSerializerIsReflectionEnabledByDefault=true -p:EnableConfigurationBindingGenerator=false \
  -p:UseSystemResourceKeys=false -p:NullabilityInfoContextSupport=true \
  -p:InvariantGlobalization=true -p:DebugType=none -p:GenerateDocumentationFile=false \
  -p:SuppressTrimAnalysisWarnings=true -p:TreatWarningsAsErrors=false \
  --artifacts-path "$artifacts" -o "$app/bin" -nologo -v quiet
echo "publish: $(( $(date +%s) - start )) s"

# Nothing of the CPU libtorch may travel (the machine's libtorch is used); fail loudly if some did.
if ls "$app/bin" | grep -E '^lib(torch|c10)' >/dev/null; then
  echo "pack.sh: the publish contains libtorch natives; was it built with -p:TorchBackend=external?" >&2; exit 1
fi
rm -f "$app/bin"/*.xml "$app/bin"/*.pdb
mkdir -p "$app/scripts"
cp -r "$root/experiments" "$app/"
cp -r "$root/scripts/gpu" "$app/scripts/"

du_mib() { du -sb "$1" | awk '{printf "%.1f MiB (%d bytes)", $1/1048576, $1}'; }
echo "publish folder: $(du_mib "$app/bin")"
echo "largest files:"; (cd "$app/bin" && ls -S -l | awk 'NR>1 && NR<=9 {printf "  %8.1f MiB  %s\n", $5/1048576, $9}')

start=$(date +%s)
tar -C "$out" -cf - trajectorylab | xz -9 -T0 > "$archive.tmp"
mv "$archive.tmp" "$archive"
echo "archive: $archive $(du_mib "$archive") in $(( $(date +%s) - start )) s"
if git -C "$root" rev-parse >/dev/null 2>&1; then
  tracked=$(cd "$root" && git ls-files -z | xargs -0 du -cb 2>/dev/null | tail -1 | cut -f1)
  total=$(( tracked + $(stat -c %s "$archive") ))
  awk -v t="$tracked" -v s="$total" 'BEGIN { printf "tracked files %.1f MiB + archive = %.1f MiB of 64 MiB\n", t/1048576, s/1048576 }'
  if (( total > 64 * 1048576 )); then echo "pack.sh: over the 64 MiB budget" >&2; exit 1; fi
fi
