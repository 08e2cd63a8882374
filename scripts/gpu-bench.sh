#!/usr/bin/env bash
# The GPU benchmark, one command for the day a GPU is lent:
#   1. the CUDA build (`--features cuda`, nvcc from scripts/cuda-toolchain.sh), unless a prebuilt kit is present;
#   2. the GPU checks: with cargo, the `gpu` test suite with the GPU required (a skip fails); always, through
#      the CLI, a GPU proof of every bundled model verified by the CPU verifier, and a flipped byte rejected;
#   3. N proofs of digits_mlp with a fresh process (and so, for cuda, a fresh worker: process start, CUDA
#      context, key upload) per proof, against one `zkinfer prove --proof-dir` batch (one resident
#      `zkinfer-cuda serve` worker keeping the key); then `zkinfer bench` of the bundled models on the GPU and
#      on this machine's CPU path;
#   4. a circuit-size sweep, logrows 16-22 (`--logrows K` pins 2^K rows), on the GPU and on the CPU;
#   5. bench/results/gpu.{md,json,svg} (bench/gpu_report.py, Python's standard library only).
#
# Usage:
#   bash scripts/gpu-bench.sh                # on the GPU machine
#   bash scripts/gpu-bench.sh --kit-only     # on a machine that reaches crates.io: build target/gpu-kit only
# A machine that cannot reach crates.io (the lent GPU machines) uses target/gpu-kit built elsewhere with
# --kit-only: stripped `zkinfer` and `zkinfer-cuda` built with `--features cuda`, plus libcudart.so.13, and the
# same as target/gpu-kit.tar.xz (the file to carry; it is unpacked when target/gpu-kit is absent).
#
# Environment: ZKINFER_GPU_BENCH_BUDGET_S (default 450: 7.5 minutes for everything after the build; runs that
# would not finish in what is left are skipped and marked), ZKINFER_GPU_BENCH_KS (default "16 17 18 19 20 21 22"),
# ZKINFER_GPU_BENCH_DEVICES (default "cuda cpu"; "cpu" rehearses the script on a machine without a GPU),
# ZKINFER_GPU_BENCH_RESIDENT_N (default 8: proofs per way in step 3),
# ZKINFER_GPU_BENCH_RESULTS (default bench/results), ZKINFER_GPU_KIT (default target/gpu-kit).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
kit=${ZKINFER_GPU_KIT:-$root/target/gpu-kit}
results=${ZKINFER_GPU_BENCH_RESULTS:-$root/bench/results}
budget=${ZKINFER_GPU_BENCH_BUDGET_S:-450}
ks=${ZKINFER_GPU_BENCH_KS:-16 17 18 19 20 21 22}
devices=${ZKINFER_GPU_BENCH_DEVICES:-cuda cpu}
models=(digits_mlp iris_mlp digits_cnn testdata/lenet5)
sweep_model=digits_cnn
t0=$SECONDS
log() { printf '[gpu-bench %4ds] %s\n' $((SECONDS - t0)) "$*" >&2; }

build_kit() {
  log "building the CUDA kit (cargo build --release -p zkinfer-cli --features cuda)"
  eval "$(bash scripts/cuda-toolchain.sh)"
  local b0=$SECONDS
  cargo build --release -p zkinfer-cli --features cuda --bin zkinfer --bin zkinfer-cuda
  local target_dir=${CARGO_TARGET_DIR:-$root/target}
  rm -rf "$kit" && mkdir -p "$kit"
  for b in zkinfer zkinfer-cuda; do strip -o "$kit/$b" "$target_dir/release/$b"; done
  cp -L "$CUDA_LIB_DIR/libcudart.so.13" "$kit/"
  printf '{"build_s": %d, "commit": "%s"}\n' $((SECONDS - b0)) "$(git rev-parse --short HEAD 2>/dev/null || echo unknown)" >"$kit/build.json"
  # the archive is what travels to a GPU machine (the device runner carries at most 64 MiB)
  tar -C "$(dirname "$kit")" -cJf "$kit.tar.xz" "$(basename "$kit")"
  log "kit ready in $kit ($(du -sh "$kit" | cut -f1)); archive $kit.tar.xz ($(du -sh "$kit.tar.xz" | cut -f1))"
}

if [[ ${1:-} == --kit-only ]]; then
  build_kit
  exit 0
fi
have_cargo=0
if [[ ! -x $kit/zkinfer && -f $kit.tar.xz ]]; then
  tar -C "$(dirname "$kit")" -xJf "$kit.tar.xz"
fi
if [[ ! -x $kit/zkinfer || ( " $devices " == *" cuda "* && ! -x $kit/zkinfer-cuda ) ]]; then
  command -v cargo >/dev/null || { echo "error: no target/gpu-kit and no cargo to build it (bash scripts/gpu-bench.sh --kit-only on a machine with crates.io)" >&2; exit 1; }
  build_kit
  have_cargo=1
fi
export LD_LIBRARY_PATH=$kit${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
zk=$kit/zkinfer
t_run=$SECONDS
left() { echo $((budget - (SECONDS - t_run))); }

work=$(mktemp -d)
trap '[[ -n ${ZKINFER_GPU_BENCH_KEEP:-} ]] || rm -rf "$work"' EXIT
raw=$work/raw
mkdir -p "$raw"

# -- the machine
gpu_line=none
if [[ " $devices " == *" cuda "* ]]; then
  if ! command -v nvidia-smi >/dev/null || ! nvidia-smi -L >/dev/null 2>&1; then
    echo "error: no NVIDIA GPU here (nvidia-smi -L failed); ZKINFER_GPU_BENCH_DEVICES=cpu rehearses without one" >&2
    exit 1
  fi
  gpu_line=$(nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader | head -1)
  log "GPU: $gpu_line"
  "$kit/zkinfer-cuda" probe >&2 || { echo "error: zkinfer-cuda cannot use the GPU (see above)" >&2; exit 1; }
fi
printf '{"gpu": "%s", "cpus": %s, "kit": %s, "budget_s": %s}\n' "$gpu_line" "$(nproc)" \
  "$(cat "$kit/build.json" 2>/dev/null || echo null)" "$budget" >"$raw/machine.json"

# -- the GPU checks
checks=$raw/checks.txt
: >"$checks"
if [[ $have_cargo == 1 && " $devices " == *" cuda "* ]]; then
  log "cargo test --features cuda --test gpu (GPU required)"
  cargo test --release -q -p zkinfer-cli --features cuda --test gpu -- --include-ignored --nocapture 2>&1 | tee -a "$checks" >&2
fi
for dev in $devices; do
  for m in "${models[@]}"; do
    d=$work/check/$dev/$m
    mkdir -p "$d"
    "$zk" compile "models/$m/model.onnx" --out "$d" --sample "models/$m/input.json" >/dev/null
    "$zk" setup "$d" >/dev/null
    "$zk" prove "$d" --input "models/$m/input.json" --proof "$d/proof.json" --device "$dev" >/dev/null
    "$zk" verify "$d" --proof "$d/proof.json" --allow-dev-srs >/dev/null
    python3 - "$d/proof.json" "$d/tampered.json" <<'PY'
import json, sys
p = json.load(open(sys.argv[1]))
h = p["proof"]
i = len(h) // 2
p["proof"] = h[:i] + ("0" if h[i] != "0" else "1") + h[i + 1:]
json.dump(p, open(sys.argv[2], "w"))
PY
    if "$zk" verify "$d" --proof "$d/tampered.json" --allow-dev-srs >/dev/null 2>&1; then
      echo "error: a $dev proof of $m with a flipped byte verified" >&2
      exit 1
    fi
    echo "$dev $m: proof verified by the CPU verifier; a flipped byte rejected" | tee -a "$checks" >&2
  done
done

# -- N proofs: a fresh process (worker) per proof against one batch with the resident worker
resident_n=${ZKINFER_GPU_BENCH_RESIDENT_N:-8}
python3 - models/digits_mlp "$work/resident-in" "$resident_n" <<'PY'
import json, os, sys
src, out, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
os.makedirs(out, exist_ok=True)
flat = json.load(open(f"{src}/heldout.json"))["input_data"][0]
size = len(json.load(open(f"{src}/input.json"))["input_data"][0])
ss = [flat[i * size:(i + 1) * size] for i in range(n)]
for i, s in enumerate(ss):
    json.dump({"input_data": [s]}, open(f"{out}/{i}.json", "w"))
json.dump({"input_data": [sum(ss, [])]}, open(f"{out}/all.json", "w"))
PY
for dev in $devices; do
  d=$work/check/$dev/digits_mlp
  log "resident: $resident_n proofs on $dev, fresh process each, then one batch ($(left) s left)"
  fresh=()
  for ((i = 0; i < resident_n; i++)); do
    s0=$(date +%s.%N)
    "$zk" prove "$d" --input "$work/resident-in/$i.json" --proof "$d/fresh-$i.json" --device "$dev" >/dev/null
    fresh+=("$(python3 -c "import sys; print(round($(date +%s.%N) - $s0, 4))")")
  done
  s0=$(date +%s.%N)
  "$zk" prove "$d" --input "$work/resident-in/all.json" --proof-dir "$d/batch" --device "$dev" >"$raw/resident-$dev.log"
  wall=$(python3 -c "print(round($(date +%s.%N) - $s0, 4))")
  "$zk" verify "$d" --proof "$d/batch/proof-$((resident_n - 1)).json" --allow-dev-srs >/dev/null
  python3 - "$raw/resident-$dev.log" "$dev" "$wall" "${fresh[@]}" >"$raw/resident-$dev.json" <<'PY'
import json, re, sys
log, dev, wall, fresh = open(sys.argv[1]).read(), sys.argv[2], float(sys.argv[3]), [float(x) for x in sys.argv[4:]]
each = [float(m) for m in re.findall(r"^proof \d+: \S+ \(([\d.]+) ms", log, re.M)]
load = float(re.search(r"keys loaded in ([\d.]+) ms", log).group(1))
print(json.dumps({"device": dev, "model": "digits_mlp", "n": len(fresh), "fresh_s": fresh, "batch_wall_s": wall,
                  "batch_load_ms": load, "batch_each_ms": each}))
PY
done

# -- bundled models, then the logrows sweep
bench() { # device model k repeat name
  local dev=$1 m=$2 k=$3 rep=$4 name=$5 args=()
  [[ $k == - ]] || args=(--logrows "$k")
  log "bench $name ($dev, repeat $rep, $(left) s left)"
  if ! timeout "$(left)" "$zk" bench "models/$m/model.onnx" --input "models/$m/input.json" --device "$dev" \
    --repeat "$rep" "${args[@]}" --json "$raw/$name.json" >"$raw/$name.log" 2>&1; then
    echo "{\"skipped\": \"failed or out of time: $(tail -1 "$raw/$name.log" | tr -d '"\\')\", \"device\": \"$dev\", \"model\": \"$m\"}" >"$raw/$name.json"
  fi
}
for m in "${models[@]}"; do
  for dev in $devices; do
    bench "$dev" "$m" - 3 "model-${m//\//_}-$dev"
  done
done
declare -A last=()
for k in $ks; do
  for dev in $devices; do
    name=sweep-$k-$dev
    # proving time roughly doubles per k: skip what would not finish in the time left
    if [[ -n ${last[$dev]:-} && $((last[$dev] * 2 + 5)) -gt $(left) ]]; then
      echo "{\"skipped\": \"time budget: the previous size took ${last[$dev]} s, $(left) s left\", \"device\": \"$dev\", \"k\": $k}" >"$raw/$name.json"
      log "skip $name (time budget)"
      continue
    fi
    s=$SECONDS
    bench "$dev" "$sweep_model" "$k" 1 "$name"
    last[$dev]=$((SECONDS - s))
  done
done

python3 bench/gpu_report.py "$raw" "$results"
log "done: $results/gpu.md, gpu.json, gpu.svg"
