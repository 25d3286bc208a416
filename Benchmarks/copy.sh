#!/usr/bin/env bash
# Copy benchmark (fsring copy), one run, ratios.
#
#  1. The Linux source tree (Debian's linux-source-6.1, about 79k files, 1.3 GB).
#  2. 100,000 files of 0 to 4 KiB, in 100 directories.
#  3. Four 1 GiB files.
#
# Each against cp -a, rsync -a --whole-file and _NIOFileSystem's copyItem
# (parallel strategy), in rounds of one run per tool. Warm source cache;
# `sync` before every run, so one run's writeback does not land in the
# next; the destination is new each time, on the same file system as the
# source. Release build, median of REPS runs (default 3); each run's time
# goes to stderr. CORPORA names the corpora to measure (default all three).
#
# Trees copied are moved aside into a trash folder, not deleted, and the
# trash is deleted once at the end: on this disk (ext4 without a journal),
# creating many files right after deleting many runs 2-10x slower for
# minutes. The corpus is made once under FSRING_BENCH_DIR (default
# /var/tmp/fsring-bench) and kept.
set -euo pipefail

reps=${REPS:-3}
# shellcheck source=prepare.sh
source "$(dirname "$0")/prepare.sh" copy.sh rsync python3
cd "$corpus"
if [ ! -d copy-small ]; then
    echo "making 100,000 small files..." >&2
    python3 - <<'PY'
import os, random
random.seed(1)
os.makedirs("copy-small.tmp")
for d in range(100):
    os.makedirs(f"copy-small.tmp/d{d:02}")
    for f in range(1000):
        with open(f"copy-small.tmp/d{d:02}/f{f:03}", "wb") as out:
            out.write(random.randbytes(random.randint(0, 4096)))
os.rename("copy-small.tmp", "copy-small")
PY
fi
if [ ! -d copy-big ]; then
    echo "making four 1 GiB files..." >&2
    mkdir -p copy-big.tmp
    for i in 1 2 3 4; do head -c 1G /dev/urandom > "copy-big.tmp/$i.bin"; done
    mv copy-big.tmp copy-big
fi

# Every tree copied stays in the trash until the end: make sure it fits.
needed_kb=$(( $(du -sk linux-source-6.1 copy-small | awk '{ s += $1 } END { print s }') * 4 * reps + 5 * 1024 * 1024 ))
free_kb=$(df -Pk "$corpus" | awk 'NR == 2 { print $4 }')
if [ "$free_kb" -lt "$needed_kb" ]; then
    echo "copy.sh: needs about $((needed_kb / 1024 / 1024)) GiB free in $corpus, has $((free_kb / 1024 / 1024)) GiB (fewer REPS need less)" >&2
    exit 2
fi

out="$corpus/copy-out"
trash="$corpus/copy-trash"
mkdir -p "$out" "$trash"

# The minutes after a large deletion are not measured: ext4 without a
# journal then skips the freed inodes when it allocates new ones, looking
# each one up, and two threads making files in one block group pay it more
# than one (a tree copy took fsring 4.2-5.4 s against cp's 2.4-3.0 s two
# minutes after this script's own deletion, 1.1-1.5 s against 2.0-2.8 s
# once the disk had settled).
# The end of this script records when it deleted its copies.
deleted_at="$corpus/copy-trash.deleted-at"
settle_seconds=420
if [ -f "$deleted_at" ]; then
    wait_seconds=$(( $(cat "$deleted_at") + settle_seconds - $(date +%s) ))
    if [ "$wait_seconds" -gt 0 ]; then
        echo "waiting ${wait_seconds}s for the disk to settle after the last run's deletion..." >&2
        sleep "$wait_seconds"
    fi
fi

# One timed copy: $1 the tool's name, $2 its command (copying $0 to DEST),
# $3 the source, $4 big or tree. Appends the wall time to $times/$1.
run_once() {
    local name=$1 command=$2 source=$3 kind=$4 destination start end
    destination="$out/run-$(date +%s%N)"
    sync
    start=$(date +%s.%N)
    if ! bash -c "${command//DEST/$destination}" "$source" > /dev/null; then
        echo "copy.sh: failed: ${command//DEST/$destination} (\$0 = $source)" >&2
        exit 1
    fi
    end=$(date +%s.%N)
    echo "$end - $start" | bc | tee -a "$times/$name" | sed "s/^/  $name /" >&2
    # A few big files are cheap to delete; trees go to the trash, their
    # cached pages dropped so they do not crowd the next runs.
    sync
    if [ "$kind" = big ]; then
        rm -rf "$destination"
    else
        "$bench" evict "$destination"
        mv "$destination" "$trash/"
    fi
}

median() {
    sort -n "$times/$1" | awk '{ a[NR] = $1 } END { printf "%.3f", (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2fx", a / b }'; }

echo "checking that the fsring copy of the Linux tree matches it..." >&2
"$fsring" copy linux-source-6.1 "$out/check"
listing() { (cd "$1" && find . -printf '%y %m %U %G %T@ %l %p\n' | LC_ALL=C sort); }
if ! diff <(listing linux-source-6.1) <(listing "$out/check") > /dev/null || ! diff -r linux-source-6.1 "$out/check" > /dev/null; then
    echo "copy.sh: the copy of linux-source-6.1 differs from it" >&2
    exit 1
fi
mv "$out/check" "$trash/check-$(date +%s%N)"

printf '%-28s %10s %10s %10s %10s %14s %14s %14s\n' corpus "fsring s" "cp -a s" "rsync s" "NIO s" "fsring/cp" "fsring/rsync" "fsring/NIO"
for corpus_name in ${CORPORA:-linux-source-6.1 copy-small copy-big}; do
    echo "warming and measuring $corpus_name..." >&2
    # The kernel's caches are not dropped: the method does not ask for it,
    # and it leaves the inode and dentry caches cold, which users rarely
    # meet (in three paired rounds, tree copies took fsring 0.96-1.05 s
    # after a drop against 0.88-0.93 s before it, cp 1.75-2.13 s after and
    # 1.73-2.77 s before; init_once and allocate_slab took 8% of a
    # small-files copy's samples after a drop). The settling wait above
    # keeps an earlier deletion out of the times.
    find "$corpus_name" -type f -print0 | xargs -0 cat > /dev/null
    kind=tree
    [ "$corpus_name" = copy-big ] && kind=big
    # One copy not timed: the first copy after a pause pays for what the
    # disk still owes (see the rounds below); this one pays it for all.
    if [ $kind = tree ]; then
        warm="$out/warm-$(date +%s%N)"
        cp -a "$corpus_name" "$warm"
        sync
        "$bench" evict "$warm"
        mv "$warm" "$trash/"
    fi
    times=$(mktemp -d)
    # Rounds of one run per tool, so a slow spell of this shared machine
    # falls on every tool alike; each round starts with the next tool, since
    # the first run after a pause pays for what the disk still owes (after
    # a large deletion, ext4 without a journal skips recently freed inodes,
    # which cost the first copy 2-5x its time while the next ran as usual).
    tools=(fsring cp rsync nio)
    for round in $(seq "$reps"); do
        for turn in 0 1 2 3; do
            case ${tools[$(( (round + turn) % 4 ))]} in
                fsring) run_once fsring "'$fsring' copy \"\$0\" DEST" "$corpus_name" $kind ;;
                cp) run_once cp "cp -a \"\$0\" DEST" "$corpus_name" $kind ;;
                rsync) run_once rsync "rsync -a --whole-file \"\$0/\" DEST" "$corpus_name" $kind ;;
                nio) run_once nio "'$bench' nio-copy \"\$0\" DEST" "$corpus_name" $kind ;;
            esac
        done
    done
    t_fsring=$(median fsring)
    t_cp=$(median cp)
    t_rsync=$(median rsync)
    t_nio=$(median nio)
    rm -rf "$times"
    printf '%-28s %10s %10s %10s %10s %14s %14s %14s\n' "$corpus_name" "$t_fsring" "$t_cp" "$t_rsync" "$t_nio" \
        "$(ratio "$t_fsring" "$t_cp")" "$(ratio "$t_fsring" "$t_rsync")" "$(ratio "$t_fsring" "$t_nio")"
done

echo "deleting the copies (this takes minutes; later runs right after it are slower)..." >&2
# The time is recorded even when rm fails (a folder moved into the trash
# while it was deleted), since most of it was deleted all the same.
deleted=0
rm -rf "$trash" || deleted=$?
date +%s > "$deleted_at"
exit "$deleted"
