#!/usr/bin/env bash
# Foundation benchmark (issue: runtime and file API), one run, ratios.
#
#  1. open + read + close of every file in a tree of 10,000 files of 4 KiB:
#     fsring (io_uring chains, all rings) vs plain blocking syscalls on one
#     thread vs _NIOFileSystem (64 files in flight), plus fsring's POSIX backend.
#  2. random 4 KiB pread on a 1 GiB file at queue depth 1, 16 and 256:
#     fsring (one task per slot of depth, spread over the rings) vs a blocking
#     thread pool with as many threads as the depth.
#
# Warm page cache, release builds, medians of REPS runs (default 5).
# The corpus is made once under FSRING_BENCH_DIR (default /var/tmp/fsring-bench)
# and kept: on this machine's journal-less ext4, creating files right after
# deleting many runs several times slower (DESIGN.md, "Measuring").
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
corpus=${FSRING_BENCH_DIR:-/var/tmp/fsring-bench}
reps=${REPS:-5}
files=10000

echo "building (release)..." >&2
(cd "$here" && swift build -c release >&2)
bench="$here/.build/release/fsring-bench"

mkdir -p "$corpus"
if [ ! -f "$corpus/small.list" ]; then
    echo "creating $files files of 4 KiB in $corpus/small..." >&2
    python3 - "$corpus/small" "$files" <<'PY'
import os, sys
root, count = sys.argv[1], int(sys.argv[2])
os.makedirs(root, exist_ok=True)
paths = []
for index in range(count):
    folder = os.path.join(root, "d%03d" % (index // 100))
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, "f%05d" % index)
    with open(path, "wb") as f:
        f.write(os.urandom(4096))
    paths.append(path)
with open(root + ".list.tmp", "w") as f:
    f.write("\n".join(paths) + "\n")
os.rename(root + ".list.tmp", root + ".list")
PY
fi
if [ ! -f "$corpus/big.bin" ]; then
    echo "creating a 1 GiB file..." >&2
    head -c 1G /dev/urandom > "$corpus/big.bin.tmp" && mv "$corpus/big.bin.tmp" "$corpus/big.bin"
fi

echo "warming the page cache..." >&2
xargs cat < "$corpus/small.list" > /dev/null
cat "$corpus/big.bin" > /dev/null

rate() { "$bench" "$@" | awk '{print $2}'; }

echo "measuring open+read+close..." >&2
syscalls=$(rate small-files "$corpus/small.list" syscalls "$reps")
fsring=$(rate small-files "$corpus/small.list" fsring "$reps")
arrays=$(rate small-files "$corpus/small.list" fsring-arrays "$reps")
posix=$(rate small-files "$corpus/small.list" fsring-posix "$reps")
nio=$(rate small-files "$corpus/small.list" nio "$reps")

declare -A pread_fsring pread_threads
for depth in 1 16 256; do
    echo "measuring pread at depth $depth..." >&2
    pread_threads[$depth]=$(rate pread "$corpus/big.bin" threads "$depth" 200000 "$reps")
    pread_fsring[$depth]=$(rate pread "$corpus/big.bin" fsring "$depth" 200000 "$reps")
done

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2fx", a / b }'; }

echo
echo "fsring foundation benchmark, $(date -u +%Y-%m-%d), $(nproc) cores, kernel $(uname -r), median of $reps runs"
echo
echo "| open+read+close, $files files of 4 KiB | files/s | fsring is |"
echo "|---|---:|---:|"
echo "| fsring forEachFile (io_uring) | $fsring | |"
echo "| fsring readFiles, a new array per file | $arrays | $(ratio "$fsring" "$arrays") |"
echo "| plain syscalls, one thread | $syscalls | $(ratio "$fsring" "$syscalls") |"
echo "| _NIOFileSystem, 64 in flight | $nio | $(ratio "$fsring" "$nio") |"
echo "| fsring forEachFile, POSIX backend | $posix | $(ratio "$fsring" "$posix") |"
echo
echo "| random 4 KiB pread, 1 GiB file | fsring reads/s | thread pool reads/s | fsring is |"
echo "|---|---:|---:|---:|"
for depth in 1 16 256; do
    echo "| queue depth $depth | ${pread_fsring[$depth]} | ${pread_threads[$depth]} | $(ratio "${pread_fsring[$depth]}" "${pread_threads[$depth]}") |"
done
