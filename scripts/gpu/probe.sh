#!/usr/bin/env bash
# Symbol probe: does TorchSharp's shim (libLibTorchSharp.so, built for libtorch 2.10) bind against the libtorch in a folder?
# Compares `nm -D --undefined-only` of the shim with `nm -D --defined-only` of libc10/libtorch_cpu/libtorch(/_cuda), and
# the GLIBCXX/CXXABI/GLIBC versions the shim needs with those the system's libstdc++/libc provide. Prints the torch and
# CUDA versions (from torch/version.py when the folder is a Python PyTorch's torch/lib) and ends with one verdict line:
#   PROBE: BINDS            every symbol the shim takes from libtorch/c10 is defined, every version is provided
#   PROBE: DOES NOT BIND    with the count and the first missing symbols (demangled) or versions.
# Usage: scripts/gpu/probe.sh LIBTORCH_FOLDER SHIM   (exit 0 binds, 1 does not bind, 2 bad usage)
set -uo pipefail
lib=${1:?usage: probe.sh LIBTORCH_FOLDER SHIM}; shim=${2:?usage: probe.sh LIBTORCH_FOLDER SHIM}
command -v nm >/dev/null || { echo "probe.sh: nm (binutils) is not installed; skipping the probe" >&2; exit 2; }
[[ -f "$shim" ]] || { echo "probe.sh: no shim at $shim" >&2; exit 2; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

version_py="$lib/../version.py"
if [[ -f "$version_py" ]]; then
  echo "torch: $(sed -n "s/^__version__ *= *['\"]\([^'\"]*\)['\"].*/\1/p" "$version_py")  CUDA: $(sed -n "s/^cuda[^=]*= *['\"]\([^'\"]*\)['\"].*/\1/p" "$version_py" | head -1)"
else
  echo "torch: (no torch/version.py next to $lib)"
fi
libs=()
for f in libc10.so libc10_cuda.so libtorch_cpu.so libtorch_cuda.so libtorch.so; do [[ -f "$lib/$f" ]] && libs+=("$lib/$f"); done
echo "libtorch libraries: ${libs[*]##*/}"
[[ ${#libs[@]} -ge 3 ]] || { echo "PROBE: DOES NOT BIND: $lib lacks libc10.so/libtorch_cpu.so/libtorch.so"; exit 1; }

# Symbols the shim needs without a version (libtorch's are unversioned; versioned ones come from libc/libstdc++).
nm -D --undefined-only "$shim" | awk '{print $2}' | grep -v '@' | sort -u > "$tmp/needed"
for l in "${libs[@]}"; do nm -D --defined-only "$l" | awk '{print $3}'; done | sed 's/@.*//' | sort -u > "$tmp/defined"
comm -23 "$tmp/needed" "$tmp/defined" > "$tmp/missing"
# Weak undefined symbols (w/v) and the runtime's own (libc, libm, libgcc, pthread) are not libtorch's concern.
nm -D --undefined-only "$shim" | awk '$1 ~ /^[wv]$/ {print $2}' | sort -u > "$tmp/weak"
comm -23 "$tmp/missing" "$tmp/weak" > "$tmp/missing2"
libstdcxx=$(ldconfig -p 2>/dev/null | awk '/libstdc\+\+\.so\.6 .*x86-64/ {print $NF; exit}')
for sys in "$libstdcxx" $(ldconfig -p 2>/dev/null | awk '/(libc|libm|libgcc_s)\.so\.[0-9] .*x86-64/ {print $NF}'); do
  [[ -f "$sys" ]] && nm -D --defined-only "$sys" | awk '{print $3}' | sed 's/@.*//'
done | sort -u > "$tmp/system"
comm -23 "$tmp/missing2" "$tmp/system" > "$tmp/unresolved"
echo "shim: $(wc -l < "$tmp/needed") unversioned symbols needed, $(wc -l < "$tmp/unresolved") not defined by libtorch or the system"

# Symbol versions: what the shim requires vs what the system's libstdc++ provides.
need_v=$(readelf -V "$shim" 2>/dev/null | grep -oE '(GLIBCXX|CXXABI|GLIBC)_[0-9.]+' | sort -uV)
have_v=$( { [[ -f "$libstdcxx" ]] && strings "$libstdcxx"; } 2>/dev/null | grep -oE '^(GLIBCXX|CXXABI)_[0-9.]+$' | sort -uV)
echo "system libstdc++: ${libstdcxx:-not found}, newest GLIBCXX: $(grep GLIBCXX <<<"$have_v" | tail -1)"
echo "shim needs: newest GLIBCXX $(grep GLIBCXX <<<"$need_v" | tail -1), CXXABI $(grep CXXABI <<<"$need_v" | tail -1), GLIBC $(grep '^GLIBC_' <<<"$need_v" | tail -1)"
missing_v=$(comm -23 <(grep -E 'GLIBCXX|CXXABI' <<<"$need_v" | sort -u) <(sort -u <<<"$have_v"))
# The build marks GLIBCXX_3.4.32 weak in the packed shim (build/ElfVersionFix.targets): a weak need does not block loading.
weak_v=$(readelf -V "$shim" 2>/dev/null | awk '/Name: (GLIBCXX|CXXABI)/ && /Flags: WEAK/ {print $3}' | sort -u)
missing_v=$(comm -23 <(printf '%s\n' $missing_v | sort -u) <(printf '%s\n' $weak_v | sort -u) | grep . || true)

if [[ ! -s "$tmp/unresolved" && -z "$missing_v" ]]; then
  echo "PROBE: BINDS: every libtorch/c10 symbol of the shim is defined in $lib and every version it needs is provided${weak_v:+ (weak, not needed: $weak_v)}"
  exit 0
fi
echo "PROBE: DOES NOT BIND against $lib:"
if [[ -s "$tmp/unresolved" ]]; then
  echo "  $(wc -l < "$tmp/unresolved") symbols missing (the shim was built for libtorch 2.10); the first ones:"
  head -15 "$tmp/unresolved" | while read -r s; do echo "    $s  =  $(c++filt "$s" 2>/dev/null || echo "$s")"; done
fi
[[ -n "$missing_v" ]] && echo "  symbol versions the system libstdc++ lacks: $missing_v"
exit 1
