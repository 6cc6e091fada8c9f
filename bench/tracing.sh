# scripts/bench tracing: what tracing costs. The http service straight, and the gateway in front of
# one http node, each with tracing off (no tracer at all: the default) and on (every request
# recorded, sampleRatio 1.0, spans sent to bench/node/span-sink.js, which reads and drops them),
# all up at once and measured in turns. TRACING_BASELINE=DIR adds the same two setups from a build
# of before tracing existed (DIR holds its switchboard-http.jar and switchboard-gateway.jar), to show
# what tracing off costs against no tracing code at all (TRACING_BASELINE_NAME names that build).
# Sourced by scripts/bench.

readonly TRACING_ROUNDS=${TRACING_ROUNDS:-5}
readonly TRACING_WARMUP=20
readonly TRACING_BASELINE=${TRACING_BASELINE:-}
readonly TRACING_NO_ACCESS_LOG=-Dswitchboard.ingress.accessLog=off
TRACING_SETUPS=(http-off http-on gateway-off gateway-on)
[ -z "$TRACING_BASELINE" ] || TRACING_SETUPS+=(http-baseline gateway-baseline)
readonly TRACING_SETUPS
tracing_clean_rounds=()
declare -A tracing_shown

bench_tracing() {
  local sink_port endpoint setup round
  notes=()
  [[ "$TRACING_ROUNDS" =~ ^[1-9]$ ]] || die "TRACING_ROUNDS must be 1 to 9, got '$TRACING_ROUNDS'"
  if [ -n "$TRACING_BASELINE" ]; then
    [ -f "$TRACING_BASELINE/switchboard-http.jar" ] && [ -f "$TRACING_BASELINE/switchboard-gateway.jar" ] \
      || die "TRACING_BASELINE: $TRACING_BASELINE must hold switchboard-http.jar and switchboard-gateway.jar"
  fi
  echo "== tracing: $connections connections, $TRACING_ROUNDS rounds of ${duration}s per setup, after a ${TRACING_WARMUP}s warm-up each"
  label[http-off]="http ($cores verticles), tracing off"
  label[http-on]="http ($cores verticles), tracing on (sampleRatio 1.0)"
  label[gateway-off]="gateway ($cores verticles) → 1 http node, tracing off"
  label[gateway-on]="gateway ($cores verticles) → 1 http node, both tracing (sampleRatio 1.0)"
  label[http-baseline]="http ($cores verticles), ${TRACING_BASELINE_NAME:-a build from before tracing}"
  label[gateway-baseline]="gateway ($cores verticles) → 1 http node, both ${TRACING_BASELINE_NAME:-a build from before tracing}"

  sink_port=$(free_port)
  node bench/node/span-sink.js "$sink_port" > "$logs/span-sink.log" 2>&1 &
  side_pids+=($!)
  for _ in $(seq 1 100); do
    grep -q "span sink up" "$logs/span-sink.log" && break
    sleep 0.1
  done
  grep -q "span sink up" "$logs/span-sink.log" || die "the span sink did not start (log: bench/results/logs/span-sink.log)"
  endpoint="http://$HOST:$sink_port/api/v2/spans"

  # Access logs off throughout: what is measured is tracing alone (and the baseline has none).
  local http_jar=services/http/target/switchboard-http.jar gateway_jar=gateway/target/switchboard-gateway.jar
  tracing_http http-off "$http_jar" "$TRACING_NO_ACCESS_LOG"
  tracing_http http-on "$http_jar" "$TRACING_NO_ACCESS_LOG" -Dswitchboard.tracing.endpoint="$endpoint"
  tracing_gateway gateway-off "$gateway_jar" "$http_jar" "$TRACING_NO_ACCESS_LOG"
  tracing_gateway gateway-on "$gateway_jar" "$http_jar" "$TRACING_NO_ACCESS_LOG" -Dswitchboard.tracing.endpoint="$endpoint"
  if [ -n "$TRACING_BASELINE" ]; then
    tracing_http http-baseline "$TRACING_BASELINE/switchboard-http.jar"
    tracing_gateway gateway-baseline "$TRACING_BASELINE/switchboard-gateway.jar" "$TRACING_BASELINE/switchboard-http.jar"
  fi

  for round in $(seq 1 "$TRACING_ROUNDS"); do
    echo "  round $round of $TRACING_ROUNDS"
    for setup in $(in_turn "$round" "${TRACING_SETUPS[@]}"); do
      server_pid=${kept_pid[$setup]}
      wrk_run "$setup-$round" "${kept_port[$setup]}" "$duration"
      server_pid=""
    done
  done
  mapfile -t tracing_clean_rounds < <(clean_rounds "$TRACING_ROUNDS" "${TRACING_SETUPS[@]}")
  for setup in "${TRACING_SETUPS[@]}"; do
    for round in $(seq 1 "$TRACING_ROUNDS"); do
      tracing_shown[$setup-$round]=$(printf '%.0f' "${rate[$setup-$round]}")
    done
    summarize_rounds "$setup" "$TRACING_ROUNDS" "${tracing_clean_rounds[*]}" tracing_shown
  done
  stop_side
  echo
  report_tracing
}

# tracing_http RUN JAR [JAVA_OPTION...]: one http process, warmed up, kept to be measured as RUN.
tracing_http() {
  local run=$1 jar=$2 port
  shift 2
  port=$(free_port)
  start_server "tracing-$run" http "$port" "http up:" \
    java "$@" -Dswitchboard.http.host=$HOST -Dswitchboard.http.port="$port" -jar "$jar" -instances "$cores"
  wrk_run "" "$port" "$TRACING_WARMUP"
  keep_server "$run" "$port"
}

# tracing_gateway RUN GATEWAY_JAR HTTP_JAR [JAVA_OPTION...]: a cluster of its own, one http node and
# a gateway in front of it, both with the options; warmed up through the gateway, kept as RUN.
tracing_gateway() {
  local run=$1 gateway_jar=$2 http_jar=$3 cluster node_member gateway_member members node_port port
  shift 3
  cluster="bench-tracing-$run-$$"
  node_member=$(member_port)
  gateway_member=$(member_port)
  members="$HOST:$node_member,$HOST:$gateway_member"
  node_port=$(free_port)
  java "$@" -Dswitchboard.http.host=$HOST -Dswitchboard.http.port="$node_port" \
    -Dswitchboard.cluster.name="$cluster" -Dswitchboard.cluster.port="$node_member" \
    -Dswitchboard.cluster.portCount=1 -Dswitchboard.cluster.members="$members" \
    -jar "$http_jar" -cluster -instances 1 > "$logs/tracing-$run-node.log" 2>&1 &
  side_pids+=($!)
  for _ in $(seq 1 $((START_TIMEOUT * 10))); do
    grep -q " http up: " "$logs/tracing-$run-node.log" && break
    sleep 0.1
  done
  grep -q " http up: " "$logs/tracing-$run-node.log" || die "the http node of $run did not start (log: bench/results/logs/tracing-$run-node.log)"
  port=$(free_port)
  start_server "tracing-$run" http "$port" "gateway up:" \
    java "$@" -Dswitchboard.gateway.host=$HOST -Dswitchboard.gateway.port="$port" -Dswitchboard.gateway.adminPort=0 \
    -Dswitchboard.gateway.routes="/ http" -Dswitchboard.gateway.tcpRoutes= \
    -Dswitchboard.cluster.name="$cluster" -Dswitchboard.cluster.port="$gateway_member" \
    -Dswitchboard.cluster.portCount=1 -Dswitchboard.cluster.members="$members" \
    -jar "$gateway_jar" -cluster -instances "$cores"
  for _ in $(seq 1 $((START_TIMEOUT * 10))); do
    grep -q 'node up: http@' "$logs/tracing-$run.log" && break
    sleep 0.1
  done
  wrk_run "" "$port" "$TRACING_WARMUP"
  keep_server "$run" "$port"
}

report_tracing() {
  local md="$results/latest-tracing.md" run
  {
    echo "### Tracing: what recording every request costs"
    echo
    echo "\`wrk -t1 -c$connections -d${duration}s --latency\` against \`GET /\` (Hello World). Every setup is started and warmed up (${TRACING_WARMUP}s) first and stays up;"
    echo "then they are measured in turns, $TRACING_ROUNDS rounds, each round starting with the next setup. Figures are each setup's median over the rounds"
    echo "in which the hypervisor stole at most $NOISY_STEAL % of a core in every setup's window (${#tracing_clean_rounds[@]} of $TRACING_ROUNDS here; † marks the rounds left out)."
    echo "Access logs off in every setup (\`ingress.accessLog=off\`), so that only tracing differs."
    echo "Tracing on: \`tracing.endpoint\` set, \`sampleRatio\` 1.0 (every request recorded), spans batched every second to a collector that reads and drops them (bench/node/span-sink.js)."
    echo
    machine
    echo
    echo "| setup | requests/s | vs tracing off | each round's requests/s | p50 ms | p99 ms | errors | measured process CPU % | requests per CPU-s | its peak RSS MiB |"
    echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    for run in "${TRACING_SETUPS[@]}"; do
      local off=http-off
      [[ "$run" != gateway-* ]] || off=gateway-off
      echo "| ${label[$run]} | $(printf '%.0f' "${rate[$run]}") | $(ratio "${rate[$run]}" "${rate[$off]}") | ${each_round[$run]} | $(ms "${p50[$run]}") | $(ms "${p99[$run]}") | ${errs[$run]} | ${cpu_pct[$run]} | ${per_cpu[$run]} | ${rss[$run]} |"
    done
    echo
    echo "Tracing on costs the http service **$(ratio "${rate[http-on]}" "${rate[http-off]}")** of its requests/s with it off"
    echo "(p99 $(ms "${p99[http-on]}") vs $(ms "${p99[http-off]}") ms), and the gateway with its node **$(ratio "${rate[gateway-on]}" "${rate[gateway-off]}")**"
    echo "(p99 $(ms "${p99[gateway-on]}") vs $(ms "${p99[gateway-off]}") ms)."
    if [ -n "$TRACING_BASELINE" ]; then
      echo "Tracing off against the build from before tracing: http **$(ratio "${rate[http-off]}" "${rate[http-baseline]}")**,"
      echo "the gateway with its node **$(ratio "${rate[gateway-off]}" "${rate[gateway-baseline]}")**."
    fi
    echo "The collector's own work is not counted here (it keeps nothing); a trace server on the same machine would take its share too."
    echo
    rounds_cpu_table "$TRACING_ROUNDS" "${TRACING_SETUPS[@]}"
  } > "$md"
  cat "$md"
}
