# scripts/bench bridge: request/reply round trips per second and their latency from the Node.js
# client through the bridge to a JVM consumer (the echo service's bus address), beside the same
# requests made straight on the clustered event bus by a JVM, in one run; the difference is the
# bridge's overhead. Sourced by scripts/bench.

readonly BRIDGE_WARMUP=3
readonly BRIDGE_ADDRESS=echo

# bridge_await LOG TEXT: bounded wait for a start line
bridge_await() {
  for _ in $(seq 1 $((START_TIMEOUT * 10))); do
    grep -q -- "$2" "$1" 2>/dev/null && return 0
    sleep 0.1
  done
  return 1
}

# bridge_result FILE KEY -> the value of KEY in FILE's RESULT line
bridge_result() {
  grep -m1 '^RESULT ' "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"
}

bench_bridge() {
  local cluster members echo_member bridge_member load_member bridge_port run out
  [ -f services/echo/target/switchboard-echo.jar ] || die "services/echo/target/switchboard-echo.jar is missing (mvn package)"
  echo "== bridge: $connections requests in flight, ${duration}s measured after a ${BRIDGE_WARMUP}s warm-up, per setup"
  cluster="bench-bridge-$$"
  echo_member=$(member_port)
  bridge_member=$(member_port)
  load_member=$(member_port)
  members="$HOST:$echo_member,$HOST:$bridge_member,$HOST:$load_member"
  bridge_port=$(free_port)
  cluster_args=(-Dswitchboard.cluster.name="$cluster" -Dswitchboard.cluster.portCount=1 -Dswitchboard.cluster.members="$members")

  java "${cluster_args[@]}" -Dswitchboard.cluster.port="$echo_member" \
    -Dswitchboard.echo.host=$HOST -Dswitchboard.echo.port="$(free_port)" -Dswitchboard.echo.adminPort="$(free_port)" \
    -jar services/echo/target/switchboard-echo.jar -cluster > "$logs/bridge-echo.log" 2>&1 &
  side_pids+=($!)
  java "${cluster_args[@]}" -Dswitchboard.cluster.port="$bridge_member" \
    -Dswitchboard.bridge.host=$HOST -Dswitchboard.bridge.port="$bridge_port" -Dswitchboard.bridge.adminPort="$(free_port)" \
    -Dswitchboard.bridge.inbound="$BRIDGE_ADDRESS" -Dswitchboard.bridge.maxInFlight=$((connections + 10)) \
    -jar services/bridge/target/switchboard-bridge.jar -cluster > "$logs/bridge-bridge.log" 2>&1 &
  side_pids+=($!)
  bridge_await "$logs/bridge-echo.log" " echo up: " || die "echo did not start (bench/results/logs/bridge-echo.log)"
  bridge_await "$logs/bridge-bridge.log" " bridge up: " || die "the bridge did not start (bench/results/logs/bridge-bridge.log)"

  for run in direct bridge; do
    out="$logs/bridge-$run.txt"
    if [ "$run" = direct ]; then
      timeout $((duration + BRIDGE_WARMUP + 90)) java -cp services/bridge/target/switchboard-bridge.jar bench/BusLoad.java \
        "$cluster" "$load_member" "$members" "$BRIDGE_ADDRESS" "$connections" "$duration" "$BRIDGE_WARMUP" > "$out" 2> "$out.err" \
        || failures+=("bridge $run: the load failed ($out.err)")
    else
      timeout $((duration + BRIDGE_WARMUP + 60)) node bench/node/bridge-load.mjs \
        "$HOST" "$bridge_port" "$BRIDGE_ADDRESS" "$connections" "$duration" "$BRIDGE_WARMUP" > "$out" 2> "$out.err" \
        || failures+=("bridge $run: the load failed ($out.err)")
    fi
    rate[$run]=$(bridge_result "$out" rps)
    p50[$run]=$(bridge_result "$out" p50_ms)
    p99[$run]=$(bridge_result "$out" p99_ms)
    errs[$run]=$(bridge_result "$out" errors)
    echo "  $run: ${rate[$run]:-?} req/s, p50 ${p50[$run]:-?} ms, p99 ${p99[$run]:-?} ms, errors ${errs[$run]:-?}"
  done
  stop_side

  echo
  report_bridge
}

report_bridge() {
  local md="$results/latest-bridge.md" r
  r=$(ratio "${rate[bridge]:-0}" "${rate[direct]:-1}")
  {
    echo "### Bridge: the Node.js client through the bridge vs the JVM straight on the bus"
    echo
    echo "Request/reply to the echo service's bus address ($BRIDGE_ADDRESS, a 64-character JSON body),"
    echo "$connections requests in flight for ${duration}s after a ${BRIDGE_WARMUP}s warm-up. Three clustered processes"
    echo "on this machine: echo, the bridge, and for the direct run a JVM load member (bench/BusLoad.java);"
    echo "the Node.js load (bench/node/bridge-load.mjs) uses the bridge client over one connection."
    echo
    machine
    echo
    echo "| caller | requests/s | vs direct | p50 ms | p99 ms | errors |"
    echo "|---|---:|---:|---:|---:|---:|"
    echo "| JVM on the clustered bus (direct) | ${rate[direct]} | 1.00× | ${p50[direct]} | ${p99[direct]} | ${errs[direct]} |"
    echo "| Node.js client → bridge → bus | ${rate[bridge]} | ${r} | ${p50[bridge]} | ${p99[bridge]} | ${errs[bridge]} |"
    echo
    echo "The bridge's overhead: **${r}** the direct throughput, p99 $(ratio "${p99[bridge]:-0}" "${p99[direct]:-1}") the direct p99."
  } | tee "$md"
}
