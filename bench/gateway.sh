# scripts/bench gateway: requests/s and latency through the gateway in front of three clustered
# http nodes, beside the same load straight to one http process, in one run; and how evenly
# round-robin spread the gateway's requests over the three nodes. References in front of the same
# nodes: a minimal Node.js proxy (bench/node/proxy.js) and a bare Vert.x proxy (bench/BareProxy.java).
# Sourced by scripts/bench.

readonly GATEWAY_NODES=3
# GATEWAY_PIN=1: the proxies under test get cores of their own, as in a deployment where the
# gateway has its own machine: wrk, the straight http process and the nodes run on core 0 only
# (taskset), each proxy on the other cores. Straight and behind a proxy the service then has the
# same CPU, and the ratio shows what the proxy costs rather than what it takes from the service.
# Results go to latest-gateway-pinned.md.
readonly GATEWAY_PIN=${GATEWAY_PIN:-0}
# The gateway's request path takes C2 about 15 s to compile on 2 busy cores, 30-40 s on one.
if [ "$GATEWAY_PIN" = 1 ]; then
  readonly GATEWAY_WARMUP=60
else
  readonly GATEWAY_WARMUP=20
fi

# The gateway's forwarded requests per backend node, from its /metrics: "node count" lines.
gateway_spread() { # PORT
  timeout 5 bash -c "exec 3<>/dev/tcp/$HOST/$1 && printf 'GET /metrics HTTP/1.0\r\nHost: $HOST\r\n\r\n' >&3 && cat <&3" 2>/dev/null \
    | awk -F'[{}]' '/^switchboard_gateway_requests_total\{/ {
        split($2, tags, ","); backend = "";
        for (i in tags) if (tags[i] ~ /^backend=/) { backend = tags[i]; gsub(/backend=|"/, "", backend) }
        split($3, v, " "); n[backend] += v[1]
      } END { for (b in n) printf "%s %.0f\n", b, n[b] }' | sort
}

# The setups are measured in turns (see "rounds" in scripts/bench), GATEWAY_ROUNDS rounds of one
# window each: measured one after the other, the gateway came first, beside a cluster that had just
# formed, and single windows here vary by a factor of two.
readonly GATEWAY_ROUNDS=${GATEWAY_ROUNDS:-5}
# GATEWAY_BASELINE=PATH: another build of the gateway's jar (an earlier commit's) measured in the
# same turns, so that a change to the gateway is judged against what it replaces, in one run;
# GATEWAY_BASELINE_NAME names it in the table (the commit, say).
readonly GATEWAY_BASELINE=${GATEWAY_BASELINE:-}
GATEWAY_SETUPS=(direct gateway gatewaytls nodeproxy bareproxy)
[ -z "$GATEWAY_BASELINE" ] || GATEWAY_SETUPS+=(baseline)
readonly GATEWAY_SETUPS
gateway_clean_rounds=()
declare -A requests_shown

bench_gateway() {
  local direct_port cluster members i member_ports=() node_ports=() before after gateway_admin
  local service=() proxy=() proxies=$cores direct_instances=$cores
  notes=()
  [[ "$GATEWAY_ROUNDS" =~ ^[1-9]$ ]] || die "GATEWAY_ROUNDS must be 1 to 9, got '$GATEWAY_ROUNDS'"
  case "$GATEWAY_PIN" in
    0) ;;
    1)
      [ "$cores" -ge 2 ] || die "GATEWAY_PIN=1 needs at least 2 cores (this machine has $cores)"
      command -v taskset >/dev/null 2>&1 || die "GATEWAY_PIN=1 needs taskset (package util-linux)"
      service=(taskset -c 0)
      proxy=(taskset -c "1-$((cores - 1))")
      proxies=$((cores - 1))
      direct_instances=1
      load_cpus=("${service[@]}") ;;
    *) die "GATEWAY_PIN must be 0 or 1, got '$GATEWAY_PIN'" ;;
  esac
  echo "== gateway: $connections connections, $GATEWAY_ROUNDS rounds of ${duration}s per setup, after a ${GATEWAY_WARMUP}s warm-up each"
  label[direct]="http, straight ($direct_instances verticles, 1 JVM)"
  label[gateway]="gateway ($proxies verticles) → $GATEWAY_NODES clustered http nodes"
  label[gatewaytls]="gateway over HTTPS (TLS 1.3, HTTP/1.1; $proxies verticles) → the same $GATEWAY_NODES http nodes"
  label[nodeproxy]="Node.js proxy (cluster, $proxies workers) → the same $GATEWAY_NODES http nodes"
  label[bareproxy]="bare Vert.x proxy (bench/BareProxy.java, $proxies verticles) → the same $GATEWAY_NODES http nodes"
  label[baseline]="baseline gateway (${GATEWAY_BASELINE_NAME:-another build}, $proxies verticles) → the same $GATEWAY_NODES http nodes"
  [ -z "$GATEWAY_BASELINE" ] || [ -f "$GATEWAY_BASELINE" ] || die "GATEWAY_BASELINE: no such jar: $GATEWAY_BASELINE"

  direct_port=$(free_port)
  start_server switchboard-http-direct http "$direct_port" "http up:" \
    "${service[@]}" java -Dswitchboard.http.host=$HOST -Dswitchboard.http.port="$direct_port" \
    -jar services/http/target/switchboard-http.jar -instances "$direct_instances"
  wrk_run "" "$direct_port" "$GATEWAY_WARMUP"
  keep_server direct "$direct_port"

  cluster="bench-gateway-$$"
  for i in $(seq 0 "$GATEWAY_NODES"); do
    member_ports+=("$(member_port)")
  done
  members=$(printf "$HOST:%s," "${member_ports[@]}")
  members=${members%,}
  for i in $(seq 1 "$GATEWAY_NODES"); do
    node_ports+=("$(free_port)")
    "${service[@]}" java -Dswitchboard.http.host=$HOST -Dswitchboard.http.port="${node_ports[$((i - 1))]}" \
      -Dswitchboard.cluster.name="$cluster" -Dswitchboard.cluster.port="${member_ports[$i]}" \
      -Dswitchboard.cluster.portCount=1 -Dswitchboard.cluster.members="$members" \
      -jar services/http/target/switchboard-http.jar -cluster -instances 1 > "$logs/gateway-http-$i.log" 2>&1 &
    side_pids+=($!)
  done
  for i in $(seq 1 "$GATEWAY_NODES"); do
    for _ in $(seq 1 $((START_TIMEOUT * 10))); do
      grep -q " http up: " "$logs/gateway-http-$i.log" && break
      sleep 0.1
    done
    grep -q " http up: " "$logs/gateway-http-$i.log" || die "http node $i did not start (log: bench/results/logs/gateway-http-$i.log)"
  done

  gateway_admin=$(free_port)
  start_gateway gateway switchboard-gateway gateway/target/switchboard-gateway.jar "${member_ports[0]}" "$gateway_admin"
  # The same build with TLS in front, a certificate made for this run (never kept: logs/ is not committed).
  member_ports+=("$(member_port)")
  gateway_certificate "$logs/tls"
  start_gateway gatewaytls switchboard-gateway-tls gateway/target/switchboard-gateway.jar "${member_ports[-1]}" "$(free_port)" \
    https "$logs/tls"
  if [ -n "$GATEWAY_BASELINE" ]; then
    member_ports+=("$(member_port)")
    start_gateway baseline switchboard-gateway-baseline "$GATEWAY_BASELINE" "${member_ports[-1]}" "$(free_port)"
  fi

  # The references in front of the same nodes: the least a Node.js reverse proxy does, and a bare
  # proxy on Vert.x's HTTP server and client without the gateway's work.
  local backends
  backends=$(IFS=,; echo "${node_ports[*]}")
  gateway_reference nodeproxy node-proxy "node proxy up:" 5 \
    "${proxy[@]}" node bench/node/proxy.js PORT "$backends" "$proxies"
  gateway_reference bareproxy vertx-bare-proxy "bare proxy up:" "$GATEWAY_WARMUP" \
    "${proxy[@]}" java -cp gateway/target/switchboard-gateway.jar bench/BareProxy.java PORT "$backends" "$proxies"

  local round setup
  before=$(gateway_spread "$gateway_admin")
  for round in $(seq 1 "$GATEWAY_ROUNDS"); do
    echo "  round $round of $GATEWAY_ROUNDS"
    for setup in $(in_turn "$round" "${GATEWAY_SETUPS[@]}"); do
      server_pid=${kept_pid[$setup]}
      wrk_run "$setup-$round" "${kept_port[$setup]}" "$duration" "${kept_scheme[$setup]}"
      server_pid=""
    done
  done
  after=$(gateway_spread "$gateway_admin")
  mapfile -t gateway_clean_rounds < <(clean_rounds "$GATEWAY_ROUNDS" "${GATEWAY_SETUPS[@]}")
  for setup in "${GATEWAY_SETUPS[@]}"; do
    for round in $(seq 1 "$GATEWAY_ROUNDS"); do
      requests_shown[$setup-$round]=$(printf '%.0f' "${rate[$setup-$round]}")
    done
    summarize_rounds "$setup" "$GATEWAY_ROUNDS" "${gateway_clean_rounds[*]}" requests_shown
  done
  stop_side
  load_cpus=()

  echo
  report_gateway "$before" "$after"
}

# gateway_certificate DIR: a self-signed certificate for $HOST, cert.pem and key.pem in DIR, for one run.
gateway_certificate() {
  mkdir -p "$1"
  openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj "/CN=$HOST" -addext "subjectAltName=IP:$HOST" \
    -keyout "$1/key.pem" -out "$1/cert.pem" > "$logs/openssl.log" 2>&1 || die "openssl could not make a certificate (log: bench/results/logs/openssl.log)"
}

# start_gateway RUN NAME JAR MEMBER_PORT ADMIN_PORT [https CERT_DIR]: a gateway from JAR joined to
# the nodes' cluster (over HTTPS with CERT_DIR's pair), every node in its view, warmed up, then kept
# to be measured in turns as RUN.
start_gateway() {
  local run=$1 name=$2 jar=$3 member=$4 admin=$5 scheme=${6:-http} tls=()
  local port
  [ "$scheme" = http ] || tls=(-Dswitchboard.gateway.tlsCert="$7/cert.pem" -Dswitchboard.gateway.tlsKey="$7/key.pem")
  port=$(free_port)
  start_server "$name" "$scheme" "$port" "gateway up:" \
    "${proxy[@]}" java "${tls[@]}" -Dswitchboard.gateway.host=$HOST -Dswitchboard.gateway.port="$port" -Dswitchboard.gateway.adminPort="$admin" \
    -Dswitchboard.gateway.routes="/ http" -Dswitchboard.gateway.tcpRoutes= \
    -Dswitchboard.cluster.name="$cluster" -Dswitchboard.cluster.port="$member" \
    -Dswitchboard.cluster.portCount=1 -Dswitchboard.cluster.members="$members" \
    -jar "$jar" -cluster -instances "$proxies"
  # Every node must be in the gateway's view before the load starts.
  for _ in $(seq 1 $((START_TIMEOUT * 10))); do
    [ "$(grep -c 'node up: http@' "$logs/$name.log")" -ge "$GATEWAY_NODES" ] && break
    sleep 0.1
  done
  wrk_run "" "$port" "$GATEWAY_WARMUP" "$scheme"
  keep_server "$run" "$port" "$scheme"
}

# gateway_reference RUN NAME READY WARMUP COMMAND...: a proxy started on a free port (the word PORT
# in COMMAND), warmed up, then kept to be measured in turns as RUN.
gateway_reference() {
  local run=$1 name=$2 ready=$3 warmup=$4 port arg command=()
  shift 4
  port=$(free_port)
  for arg in "$@"; do
    [ "$arg" != PORT ] || arg=$port
    command+=("$arg")
  done
  start_server "$name" http "$port" "$ready" "${command[@]}"
  wrk_run "" "$port" "$warmup"
  keep_server "$run" "$port"
}

report_gateway() { # SPREAD_BEFORE SPREAD_AFTER
  local md="$results/latest-gateway.md" run r p backend count total=0 third worst=0 dev
  [ "$GATEWAY_PIN" = 0 ] || md="$results/latest-gateway-pinned.md"
  declare -A served=()
  while read -r backend count; do
    [ -n "$backend" ] && served[$backend]=$count
  done <<<"$2"
  while read -r backend count; do
    [ -n "$backend" ] && served[$backend]=$((${served[$backend]:-0} - count))
  done <<<"$1"
  for backend in "${!served[@]}"; do
    total=$((total + served[$backend]))
  done
  {
    echo "### Gateway: through the gateway vs straight to the service"
    echo
    echo "\`wrk -t1 -c$connections -d${duration}s --latency\` against \`GET /\` (Hello World). Every setup is started and warmed up (${GATEWAY_WARMUP}s) first and stays up;"
    echo "then they are measured in turns, $GATEWAY_ROUNDS rounds, each round starting with the next setup. Figures are each setup's median over the rounds"
    echo "in which the hypervisor stole at most $NOISY_STEAL % of a core in every setup's window (${#gateway_clean_rounds[@]} of $GATEWAY_ROUNDS here; † marks the rounds left out)."
    echo "Through the gateway, round-robin over $GATEWAY_NODES http nodes (one verticle each) clustered with it on this machine."
    if [ "$GATEWAY_PIN" = 1 ]; then
      echo "Pinned (GATEWAY_PIN=1): wrk, the straight http process and the nodes on core 0 only; each proxy alone on cores 1-$((cores - 1))."
    fi
    echo
    machine
    echo
    echo "| setup | requests/s | vs straight | each round's requests/s | p50 ms | p99 ms | errors | measured process CPU % | its peak RSS MiB |"
    echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
    for run in "${GATEWAY_SETUPS[@]}"; do
      echo "| ${label[$run]} | $(printf '%.0f' "${rate[$run]}") | $(ratio "${rate[$run]}" "${rate[direct]}") | ${each_round[$run]} | $(ms "${p50[$run]}") | $(ms "${p99[$run]}") | ${errs[$run]} | ${cpu_pct[$run]} | ${rss[$run]} |"
    done
    echo
    echo "Spread of the gateway's measured requests (all its rounds) over the nodes (round-robin):"
    echo
    echo "| node | requests | share |"
    echo "|---|---:|---:|"
    for backend in $(printf '%s\n' "${!served[@]}" | sort); do
      third=$(awk -v t="$total" -v n="$GATEWAY_NODES" 'BEGIN { print t / n }')
      dev=$(awk -v c="${served[$backend]}" -v th="$third" 'BEGIN { d = (c - th) / th * 100; if (d < 0) d = -d; printf "%.1f", d }')
      worst=$(awk -v a="$worst" -v b="$dev" 'BEGIN { print (b > a ? b : a) }')
      echo "| $backend | ${served[$backend]} | $(awk -v c="${served[$backend]}" -v t="$total" 'BEGIN { printf "%.1f %%", c / t * 100 }') |"
    done
    # No node counted (the gateway's metrics could not be read): not a perfect spread.
    [ "${#served[@]}" -eq "$GATEWAY_NODES" ] || worst=n/a
    echo
    r=$(ratio "${rate[gateway]}" "${rate[direct]}")
    if [ ${#gateway_clean_rounds[@]} -eq 0 ]; then
      echo "**No round was free of hypervisor steal: the figures are over every round, and the target is not judged (run again).**"
      echo
      r=n/a
    fi
    echo "Throughput through the gateway: **$r** of straight (target ≥ 0.65×: $(verdict "$r" ">=" 0.65)),"
    echo "**$(ratio "${rate[gateway]}" "${rate[nodeproxy]}")** of the Node.js proxy's ($(ratio "${rate[nodeproxy]}" "${rate[direct]}") of straight),"
    echo "**$(ratio "${rate[gateway]}" "${rate[bareproxy]}")** of the bare Vert.x proxy's ($(ratio "${rate[bareproxy]}" "${rate[direct]}") of straight);"
    echo "over HTTPS the gateway made **$(ratio "${rate[gatewaytls]}" "${rate[gateway]}")** of its plain HTTP requests/s (p99 $(ms "${p99[gatewaytls]}") vs $(ms "${p99[gateway]}") ms);"
    if [ -n "$GATEWAY_BASELINE" ]; then
      echo "**$(ratio "${rate[gateway]}" "${rate[baseline]}")** of the baseline gateway's ($(ratio "${rate[baseline]}" "${rate[direct]}") of straight);"
    fi
    echo "largest deviation from an even third: **${worst} %** (target ≤ 10 %: $(verdict "$worst" "<=" 10))."
    if [ "$GATEWAY_PIN" = 1 ]; then
      echo "The service has core 0 (shared with wrk) both straight and behind a proxy; the proxies have the rest."
    else
      echo "On one machine the gateway, the nodes and wrk share its $cores cores, so the gateway's cost shows as"
      echo "CPU taken from the nodes as well as its own work (GATEWAY_PIN=1 gives the proxies cores of their own)."
    fi
    echo
    rounds_cpu_table "$GATEWAY_ROUNDS" "${GATEWAY_SETUPS[@]}"
  } > "$md"
  cat "$md"
}
