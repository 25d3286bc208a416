#!/usr/bin/env bash
# Hash benchmark (fsring hash), one run, ratios.
#
#  1. The Linux source tree (Debian's linux-source-6.1, about 79k files,
#     1.3 GB): fsring hash vs b3sum and sha256sum over the file list with
#     `xargs -P<cores>`, and xxh128sum likewise; BLAKE3 also from a cold
#     page cache (the tree's pages evicted before each run, untimed).
#  2. One 1 GiB file: fsring vs b3sum (multithreaded, mmap), openssl dgst
#     -sha256 and xxh128sum.
#
# Otherwise a warm page cache. Release build, median of REPS rounds of one
# run per tool (default 5), output to /dev/null. The corpus is made once under FSRING_BENCH_DIR (default
# /var/tmp/fsring-bench) and kept.
set -euo pipefail

reps=${REPS:-5}
cores=$(nproc)
# shellcheck source=prepare.sh
source "$(dirname "$0")/prepare.sh" hash.sh b3sum xxh128sum openssl
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

# Wall time of one run of a shell command, in seconds.
time_once() {
    local start end
    start=$(date +%s.%N)
    bash -c "$1" > /dev/null 2>&1
    end=$(date +%s.%N)
    echo "$end - $start" | bc
}

# The median of the numbers in $1, separated by spaces.
median_of() {
    printf '%s\n' $1 | sort -n | awk '{ a[NR] = $1 } END { printf "%.3f", (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}

# Runs the commands named in the arguments (variables holding shell
# commands) in REPS rounds of one run each, so that the machine's slow
# spells fall on every tool alike, and sets each variable's twin, named with
# `$prefix` (default `t_`), to its median time. `$before_run`, when set, is
# run untimed before every run.
measure_rounds() {
    declare -A times
    local name
    for _ in $(seq "$reps"); do
        for name in "$@"; do
            if [ -n "${before_run:-}" ]; then bash -c "$before_run" > /dev/null; fi
            times[$name]+="$(time_once "${!name}") "
        done
    done
    for name in "$@"; do printf -v "${prefix:-t_}$name" '%s' "$(median_of "${times[$name]}")"; done
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
tree_b3="$fsring hash $tree"
tree_b3sum="$list b3sum"
tree_sha="$fsring hash -a sha256 $tree"
tree_shasum="$list sha256sum"
tree_xxh="$fsring hash -a xxh128 $tree"
tree_xxhsum="$list xxh128sum"
measure_rounds tree_b3 tree_b3sum tree_sha tree_shasum tree_xxh tree_xxhsum

# From a cold page cache: the tree's pages are evicted before every run.
echo "measuring the tree from a cold page cache..." >&2
before_run="'$bench' evict '$tree'" prefix=c_ measure_rounds tree_b3 tree_b3sum
find "$tree" -type f -print0 | xargs -0 cat > /dev/null

echo "measuring one 1 GiB file..." >&2
size=$(stat -c %s big.bin)
big_b3="$fsring hash big.bin"
big_b3sum="b3sum big.bin"
big_sha="$fsring hash -a sha256 big.bin"
big_openssl="openssl dgst -sha256 big.bin"
big_xxh="$fsring hash -a xxh128 big.bin"
big_xxhsum="xxh128sum big.bin"
measure_rounds big_b3 big_b3sum big_sha big_openssl big_xxh big_xxhsum

echo
echo "fsring hash benchmark, $(date -u +%Y-%m-%d), $cores cores, kernel $(uname -r), median of $reps rounds"
echo
echo "| Linux source tree, $files files, $((bytes / 1000000)) MB | seconds | fsring's time is |"
echo "|---|---:|---:|"
echo "| fsring hash (BLAKE3) | $t_tree_b3 | |"
echo "| b3sum, xargs -P$cores | $t_tree_b3sum | $(ratio "$t_tree_b3" "$t_tree_b3sum") |"
echo "| fsring hash -a sha256 | $t_tree_sha | |"
echo "| sha256sum, xargs -P$cores | $t_tree_shasum | $(ratio "$t_tree_sha" "$t_tree_shasum") |"
echo "| fsring hash -a xxh128 | $t_tree_xxh | |"
echo "| xxh128sum, xargs -P$cores | $t_tree_xxhsum | $(ratio "$t_tree_xxh" "$t_tree_xxhsum") |"
echo "| fsring hash (BLAKE3), cold page cache | $c_tree_b3 | |"
echo "| b3sum, xargs -P$cores, cold page cache | $c_tree_b3sum | $(ratio "$c_tree_b3" "$c_tree_b3sum") |"
echo
echo "| one 1 GiB file | seconds | GB/s | fsring's speed is |"
echo "|---|---:|---:|---:|"
echo "| fsring hash (BLAKE3) | $t_big_b3 | $(rate "$size" "$t_big_b3") | $(ratio "$t_big_b3sum" "$t_big_b3") of b3sum |"
echo "| b3sum (threads, mmap) | $t_big_b3sum | $(rate "$size" "$t_big_b3sum") | |"
echo "| fsring hash -a sha256 | $t_big_sha | $(rate "$size" "$t_big_sha") | $(ratio "$t_big_openssl" "$t_big_sha") of openssl |"
echo "| openssl dgst -sha256 | $t_big_openssl | $(rate "$size" "$t_big_openssl") | |"
echo "| fsring hash -a xxh128 | $t_big_xxh | $(rate "$size" "$t_big_xxh") | $(ratio "$t_big_xxhsum" "$t_big_xxh") of xxh128sum |"
echo "| xxh128sum | $t_big_xxhsum | $(rate "$size" "$t_big_xxhsum") | |"
