# What every benchmark over the Linux source tree does first; sourced by
# copy.sh and hash.sh. Takes the script's name, then the commands it
# compares with. Sets `here` (the checkout), `corpus`, `bench` (the
# benchmark helper) and `fsring` (an installed copy of the release binary),
# and unpacks Debian's linux-source-6.1 into the corpus once.

benchmark_name=$1
shift
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
corpus=${FSRING_BENCH_DIR:-/var/tmp/fsring-bench}

for tool in "$@"; do
    command -v "$tool" > /dev/null || { echo "$benchmark_name: $tool is missing (apt-get install it)" >&2; exit 2; }
done
if [ ! -f /usr/src/linux-source-6.1.tar.xz ]; then
    echo "$benchmark_name: /usr/src/linux-source-6.1.tar.xz is missing (apt-get install linux-source-6.1)" >&2
    exit 2
fi

echo "building (release)..." >&2
"$here/scripts/build-release" >&2
(cd "$here/Benchmarks" && swift build -c release >&2)
bench="$here/Benchmarks/.build/release/fsring-bench"

mkdir -p "$corpus"
# The binary timed is an installed copy, as users run it: the linker's own
# output sits in the page cache in small pieces, and starting it took 25 more
# page faults and 0.35 ms more (3.80 against 3.46 ms, 200 paired starts).
install -D -m 755 "$here/.build/release/fsring" "$corpus/bin/fsring"
fsring="$corpus/bin/fsring"
if [ ! -d "$corpus/linux-source-6.1" ]; then
    echo "unpacking the Linux source tree..." >&2
    tar -C "$corpus" -xJf /usr/src/linux-source-6.1.tar.xz
fi
