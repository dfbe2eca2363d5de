#!/usr/bin/env bash
# Every check that needs the GPU machine, in one call with one deadline (the machine is lent for minutes), in the order
# of their value: (1) Hugging Face gold-reference fixtures (scripts/gpu/hf_reference_fixtures.py, on the CPU, while
# (2) TorchSharp's shim is rebuilt against the machine's libtorch in the background, from a source folder carried as
# .torchsharp-src/ if present); (3) the symbol probe of the packed shim, falling back to the rebuilt one; (4) the
# device-agreement experiment on cuda; (5) the PyTorch-eager baseline (scripts/gpu/hf_eager_bench.py) and (6) bench gpu
# against it. Each step has its own time limit cut to what the deadline leaves. What comes back under $OUT: log.txt,
# hf-fixtures.tar.gz, shim-build.log, hf.json, results.tar.gz (the run folders).
# Usage (repository root, on the GPU machine, after scripts/gpu/pack.sh here): scripts/gpu/device-checks.sh [SECONDS]
set -uo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
out=${OUT:?OUT must name the folder whose files come back}
budget=${1:-540}
start=$(date +%s)
deadline=$((start + budget))
exec > >(tee -a "$out/log.txt") 2>&1
cd "$repo"
stamp() { echo "== $(($(date +%s) - start)) s: $*"; }
# limit CAP RESERVE: seconds a step may take, at most CAP, leaving RESERVE seconds before the deadline.
limit() { local l=$((deadline - $(date +%s) - $2)); ((l > $1)) && l=$1; ((l < 1)) && l=1; echo "$l"; }

stamp "machine"
nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm,clocks.max.mem --format=csv,noheader
nproc
python3 -c 'import torch, transformers; print("torch", torch.__version__, "cuda", torch.version.cuda, "transformers", transformers.__version__)'
torch_lib=$(python3 -c 'import torch, os; print(os.path.join(os.path.dirname(torch.__file__), "lib"))')

# (2) the shim against this libtorch, in the background.
shim_built=/tmp/ts-build/LibTorchSharp/libLibTorchSharp.so
if [[ -d .torchsharp-src/src/Native ]]; then
  (
    rm -rf /tmp/ts-src /tmp/ts-build && cp -r .torchsharp-src/src/Native /tmp/ts-src
    sed -i '/add_definitions(-Werror)/d' /tmp/ts-src/CMakeLists.txt
    cmake -S /tmp/ts-src -B /tmp/ts-build -G Ninja -DCMAKE_BUILD_TYPE=Release \
      -DCMAKE_PREFIX_PATH="$(python3 -c 'import torch; print(torch.utils.cmake_prefix_path)')" \
      -DCMAKE_CXX_FLAGS="-w" -DCMAKE_C_FLAGS="-w" -DCMAKE_CXX_FLAGS_RELEASE="-O1 -DNDEBUG" &&
      ninja -C /tmp/ts-build -j 14 LibTorchSharp
  ) >"$out/shim-build.log" 2>&1 &
  shim_pid=$!
fi

# (1) fixtures on the CPU.
stamp "fixtures"
timeout "$(limit 150 330)" python3 scripts/gpu/hf_reference_fixtures.py --out /tmp/fixtures
tar -C /tmp -czf "$out/hf-fixtures.tar.gz" fixtures 2>/dev/null && ls -la "$out/hf-fixtures.tar.gz"

# (3) which shim binds: scripts/gpu/probe.sh (needs nm), and a real load of libtorch's libraries and the shim with every
# symbol resolved at once (ctypes, RTLD_NOW), which needs nothing but python3.
binds() {
  scripts/gpu/probe.sh "$torch_lib" "$1"
  python3 - "$torch_lib" "$1" <<'PY'
import ctypes, os, sys
lib, shim = sys.argv[1], sys.argv[2]
for name in ("libc10.so", "libc10_cuda.so", "libtorch_cpu.so", "libtorch_cuda.so", "libtorch.so"):
    if os.path.exists(os.path.join(lib, name)):
        ctypes.CDLL(os.path.join(lib, name), mode=ctypes.RTLD_GLOBAL | os.RTLD_NOW)
try:
    ctypes.CDLL(shim, mode=ctypes.RTLD_GLOBAL | os.RTLD_NOW)
except OSError as e:
    print("LOAD: FAILS:", str(e)[:400]); sys.exit(1)
print("LOAD: OK", shim)
PY
}
stamp "probe"
archive=.gpu-pack/trajectorylab-linux-x64.tar.xz
mkdir -p /tmp/packed && xz -dc "$archive" | tar -C /tmp/packed -xf - trajectorylab/bin/libLibTorchSharp.so
if binds /tmp/packed/trajectorylab/bin/libLibTorchSharp.so; then
  stamp "the packed shim loads"
  export TRAJECTORYLAB_PROBE=warn
elif [[ -n "${shim_pid:-}" ]]; then
  stamp "waiting for the shim build"
  waited=0
  while kill -0 "$shim_pid" 2>/dev/null && ((waited < $(limit 240 280))); do sleep 2; waited=$((waited + 2)); done
  kill -0 "$shim_pid" 2>/dev/null && { stamp "shim build still running: stopped"; kill "$shim_pid"; }
  tail -5 "$out/shim-build.log"
  if [[ -f "$shim_built" ]] && binds "$shim_built"; then
    export TRAJECTORYLAB_SHIM=$shim_built TRAJECTORYLAB_PROBE=warn
    stamp "using the shim built here"
  fi
fi
[[ -n "${shim_pid:-}" ]] && kill "$shim_pid" 2>/dev/null
wait 2>/dev/null

# (4)–(6) the CLI on cuda; run folders under results/ of this copy, packed at the end.
touch /tmp/marker
run_cli() { OUT= timeout "$1" scripts/gpu/run.sh "${@:2}"; echo "exit code $?"; }
stamp "device-agreement on cuda"
run_cli "$(limit 120 190)" run device-agreement --set device=cuda
stamp "PyTorch eager baseline"
PYTHONUNBUFFERED=1 timeout "$(limit 150 110)" python3 scripts/gpu/hf_eager_bench.py --config experiments/bench-gpu.json \
  --out "$out/hf.json" --repeats 2
baseline=()
[[ -f "$out/hf.json" ]] && baseline=(--set "baseline=$out/hf.json")
stamp "bench gpu"
run_cli "$(limit 200 10)" bench gpu --set repeats=2 "${baseline[@]}"
stamp "packing results"
(cd results && find . -newer /tmp/marker -type f | tar -czf "$out/results.tar.gz" -T -)
ls -la "$out"
stamp "done"
