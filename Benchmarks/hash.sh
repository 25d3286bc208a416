#!/usr/bin/env bash
# Hash benchmark (fsring hash), one run, ratios.
#
#  1. The Linux source tree (Debian's linux-source-6.1, about 79k files,
#     1.3 GB): fsring hash vs b3sum and sha256sum over the file list with
#     `xargs -P<cores>`, and xxh128sum likewise.
#  2. One 1 GiB file: fsring vs b3sum (multithreaded, mmap), openssl dgst
#     -sha256 and xxh128sum.
#
# Warm page cache, release build, median of REPS runs (default 5), output
# to /dev/null. The corpus is made once under FSRING_BENCH_DIR (default
# /var/tmp/fsring-bench) and kept.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
corpus=${FSRING_BENCH_DIR:-/var/tmp/fsring-bench}
reps=${REPS:-5}
cores=$(nproc)

for tool in b3sum xxh128sum openssl; do
    command -v "$tool" > /dev/null || { echo "hash.sh: $tool is missing (apt-get install b3sum xxhash openssl)" >&2; exit 2; }
done
if [ ! -f /usr/src/linux-source-6.1.tar.xz ]; then
    echo "hash.sh: /usr/src/linux-source-6.1.tar.xz is missing (apt-get install linux-source-6.1)" >&2
    exit 2
fi

echo "building (release)..." >&2
(cd "$here" && swift build -c release --product fsring >&2)
fsring="$here/.build/release/fsring"

mkdir -p "$corpus"
if [ ! -d "$corpus/linux-source-6.1" ]; then
    echo "unpacking the Linux source tree..." >&2
    tar -C "$corpus" -xJf /usr/src/linux-source-6.1.tar.xz
fi
if [ ! -f "$corpus/big.bin" ]; then
    head -c 1G /dev/urandom > "$corpus/big.bin.tmp" && mv "$corpus/big.bin.tmp" "$corpus/big.bin"
fi
tree=linux-source-6.1
cd "$corpus"

echo "warming the page cache..." >&2
find "$tree" -type f -print0 | xargs -0 cat > /dev/null
cat big.bin > /dev/null
files=$(find "$tree" -type f | wc -l)
bytes=$(du -sb "$tree" | cut -f1)

# Median wall time in seconds of REPS runs of a shell command.
measure() {
    local times=()
    for _ in $(seq "$reps"); do
        local start end
        start=$(date +%s.%N)
        bash -c "$1" > /dev/null 2>&1
        end=$(date +%s.%N)
        times+=("$(echo "$end - $start" | bc)")
    done
    printf '%s\n' "${times[@]}" | sort -n | awk '{ a[NR] = $1 } END { printf "%.3f", (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2fx", a / b }'; }
rate() { awk -v bytes="$1" -v seconds="$2" 'BEGIN { printf "%.2f", bytes / seconds / 1e9 }'; }

echo "checking that fsring and b3sum agree on every file of the tree..." >&2
if ! diff <("$fsring" hash "$tree") <(find "$tree" -type f -print0 | LC_ALL=C sort -z | xargs -0 b3sum) > /dev/null; then
    echo "hash.sh: fsring hash and b3sum disagree on $tree" >&2
    exit 1
fi

echo "measuring the tree..." >&2
list="find $tree -type f -print0 | xargs -0 -P$cores -n 500"
t_b3=$(measure "$fsring hash $tree")
t_b3sum=$(measure "$list b3sum")
t_sha=$(measure "$fsring hash -a sha256 $tree")
t_shasum=$(measure "$list sha256sum")
t_xxh=$(measure "$fsring hash -a xxh128 $tree")
t_xxhsum=$(measure "$list xxh128sum")

echo "measuring one 1 GiB file..." >&2
size=$(stat -c %s big.bin)
b_b3=$(measure "$fsring hash big.bin")
b_b3sum=$(measure "b3sum big.bin")
b_sha=$(measure "$fsring hash -a sha256 big.bin")
b_openssl=$(measure "openssl dgst -sha256 big.bin")
b_xxh=$(measure "$fsring hash -a xxh128 big.bin")
b_xxhsum=$(measure "xxh128sum big.bin")

echo
echo "fsring hash benchmark, $(date -u +%Y-%m-%d), $cores cores, kernel $(uname -r), median of $reps runs"
echo
echo "| Linux source tree, $files files, $((bytes / 1000000)) MB | seconds | fsring's time is |"
echo "|---|---:|---:|"
echo "| fsring hash (BLAKE3) | $t_b3 | |"
echo "| b3sum, xargs -P$cores | $t_b3sum | $(ratio "$t_b3" "$t_b3sum") |"
echo "| fsring hash -a sha256 | $t_sha | |"
echo "| sha256sum, xargs -P$cores | $t_shasum | $(ratio "$t_sha" "$t_shasum") |"
echo "| fsring hash -a xxh128 | $t_xxh | |"
echo "| xxh128sum, xargs -P$cores | $t_xxhsum | $(ratio "$t_xxh" "$t_xxhsum") |"
echo
echo "| one 1 GiB file | seconds | GB/s | fsring's speed is |"
echo "|---|---:|---:|---:|"
echo "| fsring hash (BLAKE3) | $b_b3 | $(rate "$size" "$b_b3") | $(ratio "$b_b3sum" "$b_b3") of b3sum |"
echo "| b3sum (threads, mmap) | $b_b3sum | $(rate "$size" "$b_b3sum") | |"
echo "| fsring hash -a sha256 | $b_sha | $(rate "$size" "$b_sha") | $(ratio "$b_openssl" "$b_sha") of openssl |"
echo "| openssl dgst -sha256 | $b_openssl | $(rate "$size" "$b_openssl") | |"
echo "| fsring hash -a xxh128 | $b_xxh | $(rate "$size" "$b_xxh") | $(ratio "$b_xxhsum" "$b_xxh") of xxh128sum |"
echo "| xxh128sum | $b_xxhsum | $(rate "$size" "$b_xxhsum") | |"
