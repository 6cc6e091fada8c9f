# scripts/bench gateway: requests/s and latency through the gateway in front of three clustered
# http nodes, beside the same load straight to one http process, in one run; and how evenly
# round-robin spread the gateway's requests over the three nodes. In front of the same nodes: HAProxy
# and NGINX, set up as for production (bench/haproxy.cfg.template, bench/nginx.conf.template), and as
# references a minimal Node.js proxy (bench/node/proxy.js), a bare Vert.x proxy (bench/BareProxy.java),
# the same without Vert.x's connection pool (its no-pool mode), Vert.x's server with Netty's
# client behind it (bench/NettyClientProxy.java), a proxy on Netty's HTTP codec alone
# (bench/NettyProxy.java), and the same doing the gateway's edge work (its edge mode). Sourced by
# scripts/bench.

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

# The Prometheus text a Switchboard process serves on PORT (the gateway's admin port, an http node's port).
metrics_of() { # PORT
  timeout 5 bash -c "exec 3<>/dev/tcp/$HOST/$1 && printf 'GET /metrics HTTP/1.0\r\nHost: $HOST\r\n\r\n' >&3 && cat <&3" 2>/dev/null || true
}

# The gateway's forwarded requests per backend node, from its /metrics: "node count" lines.
gateway_spread() { # PORT
  metrics_of "$1" \
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
# GATEWAY_ACCESS_LOG=on (the default): the gateway, HAProxy and NGINX each write one access line per
# request to a file, each in its own production way (the gateway's default: formatted on the event
# loop, written by a thread of its own; NGINX: buffered, 64 KiB or 1 s at a time; HAProxy: one write
# per line, as it has no buffer for a log file). off: none of them logs requests.
readonly GATEWAY_ACCESS_LOG=${GATEWAY_ACCESS_LOG:-on}
GATEWAY_SETUPS=(direct gateway gatewaytls haproxy nginx nodeproxy bareproxy unpooled nettyclient nettyproxy nettyedge)
[ -z "$GATEWAY_BASELINE" ] || GATEWAY_SETUPS+=(baseline)
readonly GATEWAY_SETUPS
gateway_clean_rounds=()
declare -A requests_shown

bench_gateway() {
  local direct_port cluster members i member_ports=() node_ports=() before after gateway_admin
  local service=() proxy=() proxies=$cores direct_instances=$cores
  notes=()
  [[ "$GATEWAY_ROUNDS" =~ ^[1-9]$ ]] || die "GATEWAY_ROUNDS must be 1 to 9, got '$GATEWAY_ROUNDS'"
  case "$GATEWAY_ACCESS_LOG" in
    on|off) ;;
    *) die "GATEWAY_ACCESS_LOG must be on or off, got '$GATEWAY_ACCESS_LOG'" ;;
  esac
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
  label[haproxy]="HAProxy $(haproxy -v | awk 'NR == 1 { sub(/-.*/, "", $3); print $3 }') (nbthread $proxies) → the same $GATEWAY_NODES http nodes"
  label[nginx]="NGINX $(nginx -v 2>&1 | awk -F/ '{ print $2 }') ($proxies worker processes) → the same $GATEWAY_NODES http nodes"
  label[nodeproxy]="Node.js proxy (cluster, $proxies workers) → the same $GATEWAY_NODES http nodes"
  label[bareproxy]="bare Vert.x proxy (bench/BareProxy.java, $proxies verticles) → the same $GATEWAY_NODES http nodes"
  label[unpooled]="bare Vert.x proxy without the pool (bench/BareProxy.java no-pool, $proxies verticles) → the same $GATEWAY_NODES http nodes"
  label[nettyclient]="Vert.x server, Netty client (bench/NettyClientProxy.java, $proxies verticles) → the same $GATEWAY_NODES http nodes"
  label[nettyproxy]="Netty proxy (bench/NettyProxy.java, $proxies event loops) → the same $GATEWAY_NODES http nodes"
  label[nettyedge]="Netty proxy with the gateway's edge work (bench/NettyProxy.java edge, $proxies event loops) → the same $GATEWAY_NODES http nodes"
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

  # The proxies teams run in production, in front of the same nodes.
  gateway_haproxy "${node_ports[@]}"
  gateway_nginx "${node_ports[@]}"

  # The references in front of the same nodes: the least a Node.js reverse proxy does; a bare proxy
  # on Vert.x's HTTP server and client without the gateway's work; the same with connections kept per
  # verticle instead of Vert.x's pool; with Netty's client in place of Vert.x's; and a proxy on
  # Netty's HTTP codec alone, the floor under any of them.
  local backends
  backends=$(IFS=,; echo "${node_ports[*]}")
  gateway_reference nodeproxy node-proxy "node proxy up:" 5 \
    "${proxy[@]}" node bench/node/proxy.js PORT "$backends" "$proxies"
  gateway_reference bareproxy vertx-bare-proxy "bare proxy up:" "$GATEWAY_WARMUP" \
    "${proxy[@]}" java -cp gateway/target/switchboard-gateway.jar bench/BareProxy.java PORT "$backends" "$proxies"
  gateway_reference unpooled vertx-unpooled-proxy "bare proxy up:" "$GATEWAY_WARMUP" \
    "${proxy[@]}" java -cp gateway/target/switchboard-gateway.jar bench/BareProxy.java PORT "$backends" "$proxies" no-pool
  gateway_reference nettyclient vertx-netty-client-proxy "netty client proxy up:" "$GATEWAY_WARMUP" \
    "${proxy[@]}" java -cp gateway/target/switchboard-gateway.jar bench/NettyClientProxy.java PORT "$backends" "$proxies"
  gateway_reference nettyproxy netty-proxy "netty proxy up:" "$GATEWAY_WARMUP" \
    "${proxy[@]}" java -cp gateway/target/switchboard-gateway.jar bench/NettyProxy.java PORT "$backends" "$proxies"
  gateway_reference nettyedge netty-edge-proxy "netty proxy up:" "$GATEWAY_WARMUP" \
    "${proxy[@]}" java -cp gateway/target/switchboard-gateway.jar bench/NettyProxy.java PORT "$backends" "$proxies" \
    "edge$([ "$GATEWAY_ACCESS_LOG" = on ] || echo -nolog)"

  local round setup counts_before counts_after
  node_served=()
  before=$(gateway_spread "$gateway_admin")
  for round in $(seq 1 "$GATEWAY_ROUNDS"); do
    echo "  round $round of $GATEWAY_ROUNDS"
    for setup in $(in_turn "$round" "${GATEWAY_SETUPS[@]}"); do
      counts_before=$(node_counts "${node_ports[@]}")
      server_pid=${kept_pid[$setup]}
      wrk_run "$setup-$round" "${kept_port[$setup]}" "$duration" "${kept_scheme[$setup]}"
      server_pid=""
      counts_after=$(node_counts "${node_ports[@]}")
      [ "$setup" = direct ] || count_served "$setup" "$counts_before" "$counts_after"
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
  local run=$1 name=$2 jar=$3 member=$4 admin=$5 scheme=${6:-http} tls=() logging=()
  local port
  [ "$scheme" = http ] || tls=(-Dswitchboard.gateway.tlsCert="$7/cert.pem" -Dswitchboard.gateway.tlsKey="$7/key.pem")
  [ "$GATEWAY_ACCESS_LOG" = on ] || logging=(-Dswitchboard.ingress.accessLog=off)
  port=$(free_port)
  start_server "$name" "$scheme" "$port" "gateway up:" \
    "${proxy[@]}" java "${tls[@]}" "${logging[@]}" -Dswitchboard.gateway.host=$HOST -Dswitchboard.gateway.port="$port" -Dswitchboard.gateway.adminPort="$admin" \
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
# in COMMAND, see with_port), warmed up, then kept to be measured in turns as RUN.
gateway_reference() {
  local run=$1 name=$2 ready=$3 warmup=$4 port command=()
  shift 4
  port=$(free_port)
  with_port "$port" "$@"
  start_server "$name" http "$port" "$ready" "${command[@]}"
  wrk_run "" "$port" "$warmup"
  keep_server "$run" "$port"
}

# What each proxy does with its access lines in this run, for the report.
gateway_access_log_note() {
  if [ "$GATEWAY_ACCESS_LOG" = on ]; then
    echo "the gateways write a JSON line per request (their default) from a thread of their own into their log file;"
    echo "HAProxy a line per request (its HTTP log format) with one write each into its log file; NGINX a line per request"
    echo "(the combined format) into a file, 64 KiB or 1 s at a time. The Node.js, Vert.x and Netty references write none; the nodes"
    echo "write their own (the same for every setup)."
  else
    echo "no proxy writes a line per request (the gateways with \`ingress.accessLog=off\`, HAProxy with \`no log\`, NGINX with"
    echo "\`access_log off\`); the nodes write their own (the same for every setup)."
  fi
}

# render_template TEMPLATE OUT NAME=VALUE...: TEMPLATE with every @NAME@ replaced by VALUE, into OUT;
# a placeholder left unfilled stops the bench.
render_template() {
  local template=$1 out=$2 text pair
  shift 2
  text=$(< "$template")
  for pair in "$@"; do
    # The replacement quoted: bash 5.2 would otherwise read an & in it as the matched text.
    text=${text//"@${pair%%=*}@"/"${pair#*=}"}
  done
  [[ ! "$text" =~ @[A-Z_]+@ ]] || die "$template: ${BASH_REMATCH[0]} was not filled in"
  printf '%s\n' "$text" > "$out"
}

# gateway_haproxy NODE_PORT...: HAProxy (bench/haproxy.cfg.template) in front of the nodes, in the
# foreground in master-worker mode (-W, as Debian's service runs it), its config and pid file in
# logs/haproxy/, its access lines (when on) on its stdout, into logs/haproxy.log; warmed up and kept
# as run haproxy.
gateway_haproxy() {
  local dir="$logs/haproxy" port servers="" i=0 node access
  rm -rf "$dir"
  mkdir -p "$dir"
  for node in "$@"; do
    i=$((i + 1))
    servers+="${servers:+$'\n'}    server node$i $HOST:$node"
  done
  if [ "$GATEWAY_ACCESS_LOG" = on ]; then
    access=$'    # One line per request (the HTTP log format) on stdout, which the bench sends to a file.\n    log stdout format raw local0\n    option httplog'
  else
    access="    no log"
  fi
  port=$(free_port)
  render_template bench/haproxy.cfg.template "$dir/haproxy.cfg" \
    THREADS="$proxies" DIR="$dir" PORT="$port" SERVERS="$servers" ACCESS_LOG="$access"
  haproxy -c -q -f "$dir/haproxy.cfg" > "$logs/haproxy-check.log" 2>&1 \
    || { cat "$logs/haproxy-check.log" >&2; die "HAProxy refused bench/results/logs/haproxy/haproxy.cfg"; }
  start_server haproxy http "$port" "" "${proxy[@]}" haproxy -W -f "$dir/haproxy.cfg"
  wrk_run "" "$port" "$HTTP_WARMUP"
  keep_server haproxy "$port"
}

# gateway_nginx NODE_PORT...: NGINX (bench/nginx.conf.template) in front of the nodes, in the
# foreground, its config, pid file, access log and temporary files in logs/nginx/, its error log on
# stderr, into logs/nginx.log; warmed up and kept as run nginx.
gateway_nginx() {
  local dir="$logs/nginx" port servers="" node access user=""
  rm -rf "$dir"
  mkdir -p "$dir"
  for node in "$@"; do
    servers+="${servers:+$'\n'}        server $HOST:$node;"
  done
  if [ "$GATEWAY_ACCESS_LOG" = on ]; then
    access="    # One line per request (the combined format), written 64 KiB or 1 s at a time, not per request."$'\n'
    access+="    access_log $dir/access.log combined buffer=64k flush=1s;"
  else
    access="    access_log off;"
  fi
  [ "$(id -u)" -ne 0 ] || user="user $(id -un) $(id -gn);"
  port=$(free_port)
  render_template bench/nginx.conf.template "$dir/nginx.conf" \
    WORKERS="$proxies" DIR="$dir" PORT="$port" SERVERS="$servers" ACCESS_LOG="$access" USER="$user"
  nginx -t -q -p "$dir/" -c "$dir/nginx.conf" -e stderr > "$logs/nginx-check.log" 2>&1 \
    || { cat "$logs/nginx-check.log" >&2; die "NGINX refused bench/results/logs/nginx/nginx.conf"; }
  start_server nginx http "$port" "" "${proxy[@]}" nginx -p "$dir/" -c "$dir/nginx.conf" -e stderr
  wrk_run "" "$port" "$HTTP_WARMUP"
  keep_server nginx "$port"
}

# node_counts NODE_PORT...: the requests each node has answered so far (its
# switchboard_http_requests_total, from its /metrics), one line per node.
node_counts() {
  local port
  for port in "$@"; do
    metrics_of "$port" | awk '/^switchboard_http_requests_total[{ ]/ { n += $NF } END { printf "%.0f\n", n }'
  done
}

# count_served SETUP COUNTS_BEFORE COUNTS_AFTER: adds what each node answered in between to node_served[SETUP:NODE].
declare -A node_served
count_served() {
  local i=0 a b
  local -a after
  mapfile -t after <<<"$3"
  while read -r b; do
    a=${after[$i]:-}
    i=$((i + 1))
    [ -n "$a" ] && [ -n "$b" ] || continue
    node_served[$1:$i]=$((${node_served[$1:$i]:-0} + a - b))
  done <<<"$2"
}

report_gateway() { # SPREAD_BEFORE SPREAD_AFTER
  local md="$results/latest-gateway.md" run r p backend count total=0 third worst=0 dev i
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
    echo "| setup | requests/s | vs straight | the gateway's requests/s ÷ this | each round's requests/s | p50 ms | p99 ms | the gateway's p99 ÷ this | errors | measured process CPU % | its peak RSS MiB |"
    echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    for run in "${GATEWAY_SETUPS[@]}"; do
      echo "| ${label[$run]} | $(printf '%.0f' "${rate[$run]}") | $(ratio "${rate[$run]}" "${rate[direct]}") | $(ratio "${rate[gateway]}" "${rate[$run]}") | ${each_round[$run]} | $(ms "${p50[$run]}") | $(ms "${p99[$run]}") | $(ratio "${p99[gateway]}" "${p99[$run]}") | ${errs[$run]} | ${cpu_pct[$run]} | ${rss[$run]} |"
    done
    echo
    echo "Access logs $GATEWAY_ACCESS_LOG (GATEWAY_ACCESS_LOG): $(gateway_access_log_note)"
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
    echo "Each proxy's requests as the nodes counted them (each node's \`switchboard_http_requests_total\` read before and after"
    echo "every window of the proxy, all its rounds; a few health checks and the counters' own reads are in it):"
    echo
    local header="| setup |" rule="|---|" node_share spread
    for i in $(seq 1 "$GATEWAY_NODES"); do
      header+=" node $HOST:${node_ports[$((i - 1))]} |"
      rule+="---:|"
    done
    echo "$header largest deviation from an even share |"
    echo "$rule---:|"
    for run in "${GATEWAY_SETUPS[@]}"; do
      [ "$run" != direct ] || continue
      node_share=""
      spread=$(for i in $(seq 1 "$GATEWAY_NODES"); do echo "${node_served[$run:$i]:-0}"; done \
        | awk -v n="$GATEWAY_NODES" '{ c[NR] = $1; t += $1 } END {
            if (t <= 0) { for (i = 1; i <= n; i++) printf "— | "; print "n/a"; exit }
            for (i = 1; i <= n; i++) { d = (c[i] - t / n) / (t / n) * 100; if (d < 0) d = -d; if (d > w) w = d; printf "%.1f %% | ", c[i] / t * 100 }
            printf "%.1f %%\n", w }')
      echo "| ${label[$run]} | $spread |"
    done
    echo
    r=$(ratio "${rate[gateway]}" "${rate[direct]}")
    if [ ${#gateway_clean_rounds[@]} -eq 0 ]; then
      echo "**No round was free of hypervisor steal: the figures are over every round, and the target is not judged (run again).**"
      echo
      r=n/a
    fi
    echo "Throughput through the gateway: **$r** of straight (target ≥ 0.65×: $(verdict "$r" ">=" 0.65)),"
    echo "**$(ratio "${rate[gateway]}" "${rate[haproxy]}")** of HAProxy's requests/s with **$(ratio "${p99[gateway]}" "${p99[haproxy]}")** its p99 (HAProxy: $(ratio "${rate[haproxy]}" "${rate[direct]}") of straight),"
    echo "**$(ratio "${rate[gateway]}" "${rate[nginx]}")** of NGINX's requests/s with **$(ratio "${p99[gateway]}" "${p99[nginx]}")** its p99 (NGINX: $(ratio "${rate[nginx]}" "${rate[direct]}") of straight),"
    echo "**$(ratio "${rate[gateway]}" "${rate[nodeproxy]}")** of the Node.js proxy's ($(ratio "${rate[nodeproxy]}" "${rate[direct]}") of straight),"
    echo "**$(ratio "${rate[gateway]}" "${rate[bareproxy]}")** of the bare Vert.x proxy's ($(ratio "${rate[bareproxy]}" "${rate[direct]}") of straight),"
    echo "**$(ratio "${rate[gateway]}" "${rate[unpooled]}")** of the bare Vert.x proxy without the pool ($(ratio "${rate[unpooled]}" "${rate[haproxy]}") of HAProxy's),"
    echo "**$(ratio "${rate[gateway]}" "${rate[nettyclient]}")** of the proxy on Vert.x's server and Netty's client ($(ratio "${rate[nettyclient]}" "${rate[haproxy]}") of HAProxy's),"
    echo "**$(ratio "${rate[gateway]}" "${rate[nettyproxy]}")** of the proxy on Netty's HTTP codec alone ($(ratio "${rate[nettyproxy]}" "${rate[haproxy]}") of HAProxy's requests/s, with $(ratio "${p99[nettyproxy]}" "${p99[haproxy]}") its p99),"
    echo "**$(ratio "${rate[gateway]}" "${rate[nettyedge]}")** of the same with the gateway's edge work ($(ratio "${rate[nettyedge]}" "${rate[haproxy]}") of HAProxy's requests/s, with $(ratio "${p99[nettyedge]}" "${p99[haproxy]}") its p99);"
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
