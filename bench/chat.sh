# shellcheck shell=bash
# scripts/bench chat: Switchboard chat vs a Node `ws` broadcast server and the seeds' Socket.IO
# io.emit chat, in one run; and beside them the Switchboard chat with permessage-deflate
# (`compression` on, negotiated by every load client, the sender's messages compressed too). Sourced by scripts/bench, whose helpers it uses (start_server,
# stop_server, window_mark, record_cpu, await_line, free_port, ...). Loads (bench/node/chat-load.js,
# the `ws` client for every server, the clients split over 1 and then 2 Node processes):
#   paced: CHAT_CLIENTS clients in one room, one of them sending CHAT_RATE messages/s for the run's
#          --duration; fan-out latency of every delivery (send to receipt, one clock) p50/p99
#   burst: the sender sends CHAT_BURST messages at once; deliveries/s until every client has all
#   idle:  CHAT_IDLE connections on a fresh server (after CHAT_IDLE_WARMUP opened and closed); its
#          resident memory before and after, per connection (and the JVM's live heap, with jcmd)
# CHAT_ONLY=load runs only paced and burst, CHAT_ONLY=idle only the idle connections (default: both).
# The compressed run is reported beside the others and judged by no target: what compression costs.
# Node side dependencies (ws, socket.io) come from bench/node/package-lock.json (npm ci).

readonly CHAT_CLIENTS=1000
readonly CHAT_RATE=20
readonly CHAT_BURST=1000
readonly CHAT_WARMUP_BURST=1000
readonly CHAT_WARMUP_SECONDS=8
# Paced warm-up runs per server, each with its own thousand fresh connections, alternating the
# counts of load processes. A JVM compiles the paths a connection takes once (upgrade, join,
# close) only after a few thousand connections: after one warm-up run the compiler was still busy
# through the next two paced windows, whose p99 sat 1.2-1.5x above the later ones. Node gets the
# same warm-up.
readonly CHAT_WARMUP_RUNS=4
readonly CHAT_IDLE=10000
readonly CHAT_IDLE_SETTLE=3        # seconds after the last connection before memory is read
readonly CHAT_IDLE_WARMUP=2000     # connections opened and closed first (code paths compiled, pools sized); not counted
readonly CHAT_IDLE_CONNECT_TIMEOUT=180
readonly CHAT_KEY='dGhlIHNhbXBsZSBub25jZQ=='
readonly CHAT_ONLY=${CHAT_ONLY:-all}
# Every paced and burst load runs once per count of load processes here. One Node process reading
# a thousand sockets is often the bottleneck of the measure; more processes take CPU from the
# server on a small machine. Neither favours one server for sure (ws does best with one), so the
# targets are judged on the worse of the ratios. CHAT_LOAD_PROCESSES replaces the list.
read -r -a CHAT_LOADS <<<"${CHAT_LOAD_PROCESSES:-1 2}"
readonly CHAT_LOADS
# The JVM of the chat server: a fixed heap (no resizing in the middle of a run, so RSS follows
# what is used) and a small young generation. A chat server holds many long-lived connections and
# makes little short-lived garbage per second; with the default young generation (a quarter of a
# growing heap) every page eden ever touched stays resident, which is heap sizing, not cost per
# connection. The parallel collector rather than G1: with G1 the resident memory grew by 4.0-4.6
# KiB per idle connection (each holds 2.7 KiB of live heap), with the parallel collector by 2.1-2.8
# (services/chat/README.md, "Memory"). The same flags for every load, so the paced and burst runs
# pay for them too.
# CHAT_JVM_FLAGS and CHAT_INSTANCES replace these, for experiments.
read -r -a CHAT_JVM <<<"${CHAT_JVM_FLAGS:--Xms256m -Xmx256m -Xmn16m -XX:+UseParallelGC}"
readonly CHAT_JVM
readonly CHAT_SERVER_INSTANCES=${CHAT_INSTANCES:-$cores}
readonly CHAT_ROUNDS=${CHAT_ROUNDS:-5}
readonly CHAT_KINDS=(switchboard switchboard-deflate ws socketio)
# The compressed run's compressionThreshold: 0 compresses every frame (the bench's messages are
# about 150 bytes, under the chat's default of 256), so the run shows the cost of compressing all.
readonly CHAT_DEFLATE_THRESHOLD=${CHAT_DEFLATE_THRESHOLD:-0}
declare -A chat_shown chat_clean

# A WebSocket handshake on PATH answered with 101.
chat_probe() { # PORT PATH
  local answer
  answer=$(timeout 2 bash -c "exec 3<>/dev/tcp/$HOST/$1 && printf 'GET $2 HTTP/1.1\r\nHost: $HOST:$1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: $CHAT_KEY\r\nSec-WebSocket-Version: 13\r\n\r\n' >&3 && head -c 12 <&3" 2>/dev/null) || true
  [[ "$answer" == "HTTP/1.1 101" ]]
}
probe_chat_switchboard() { chat_probe "$1" /chat; }
probe_chat_ws() { chat_probe "$1" /; }
probe_chat_socketio() { chat_probe "$1" '/socket.io/?EIO=4&transport=websocket'; }

# VmRSS (not the peak) summed over the server's tree, in KiB.
chat_rss_kib() {
  local total=0 pid kb
  for pid in $(tree "$1"); do
    kb=$(awk '/^VmRSS:/ {print $2}' "/proc/$pid/status" 2>/dev/null || true)
    total=$((total + ${kb:-0}))
  done
  echo "$total"
}

chat_start() { # KIND PORT
  case "$1" in
    switchboard|switchboard-deflate)
      local compression=(-Dswitchboard.chat.compression=false)
      [ "$1" = switchboard ] \
        || compression=(-Dswitchboard.chat.compression=true -Dswitchboard.chat.compressionThreshold="$CHAT_DEFLATE_THRESHOLD")
      start_server "$1-chat" chat_switchboard "$2" "chat up:" \
        java "${CHAT_JVM[@]}" -Dswitchboard.chat.host=$HOST -Dswitchboard.chat.port="$2" \
        -Dswitchboard.chat.rateLimit=1000000 -Dswitchboard.chat.rateBurst=1000000 \
        -Dswitchboard.chat.maxConnections=$((CHAT_IDLE + 1000)) "${compression[@]}" \
        -jar services/chat/target/switchboard-chat.jar -instances "$CHAT_SERVER_INSTANCES" ;;
    ws)
      start_server node-ws-chat chat_ws "$2" "node ws chat up" node bench/node/chat-ws.js "$2" ;;
    socketio)
      start_server node-socketio-chat chat_socketio "$2" "node socket.io chat up" node bench/node/chat-socketio.js "$2" ;;
  esac
}

# chat_run RUN KIND PORT MODE AMOUNT [PROCESSES]: RUN "" is a warm-up. CPU is sampled at the load's
# START and END.
chat_run() {
  local run=$1 kind=$2 port=$3 mode=$4 amount=$5 procs=${6:-1} out status=0 result
  out="$logs/chatload-${run:-warmup-$kind-$mode}"
  node bench/node/chat-load.js "$kind" "$port" "$mode" "$CHAT_CLIENTS" "$amount" "$CHAT_RATE" "$procs" > "$out.txt" 2> "$out.err" &
  load_pid=$!
  if await_line "$out.txt" START 180; then
    window_mark start
    await_line "$out.txt" END 150 || true # a load that died or timed out is reported below
  fi
  window_mark end
  wait "$load_pid" || status=$?
  load_pid=""
  result=$(grep '^RESULT ' "$out.txt" || true)
  if [ -z "$result" ]; then
    cat "$out.err" >&2
    die "chat-load $kind $mode against $HOST:$port gave no result (exit $status)"
  fi
  local field key value
  declare -A r=()
  for field in $result; do
    key=${field%%=*}
    value=${field#*=}
    r[$key]=$value
  done
  if [ "${r[errors]}" != 0 ] || [ "$status" != 0 ]; then
    cat "$out.err" >&2
    failures+=("${run:-warm-up $kind $mode}: chat-load reported ${r[errors]} errors, delivered ${r[delivered]} of ${r[expected]}, exit $status ($out.err)")
  fi
  [ -n "$run" ] || return 0
  rate[$run]=${r[delivered_per_s]}
  p50[$run]=${r[p50_us]}
  p99[$run]=${r[p99_us]}
  errs[$run]=${r[errors]}
  extra[$run]="${r[delivered]}/${r[expected]} in ${r[seconds]} s"
  record_cpu "$run" "${r[load_cpu_s]}"
}

declare -A idle_before idle_after idle_count heap_before heap_after

# chat_idle_load KIND PORT N NAME: starts N idle connections (load_pid); true once all are open.
chat_idle_load() {
  local out="$logs/chatload-$4-$1" i
  node bench/node/chat-load.js "$1" "$2" idle "$3" > "$out.txt" 2> "$out.err" &
  load_pid=$!
  for i in $(seq 1 $((CHAT_IDLE_CONNECT_TIMEOUT * 10))); do
    grep -q '^IDLE ' "$out.txt" && return 0
    kill -0 "$load_pid" 2>/dev/null || return 1
    sleep 0.1
  done
  return 1
}

# Java heap in use after a full GC (jcmd GC.run, then GC.heap_info), in KiB; empty without jcmd.
# Summed over the heap's lines with a total (G1 has one; the parallel and serial collectors one
# per generation); metaspace's line has none.
chat_heap_used_kib() {
  command -v jcmd >/dev/null 2>&1 || return 0
  jcmd "$1" GC.run >/dev/null 2>&1 || return 0
  jcmd "$1" GC.heap_info 2>/dev/null | awk '/ total [0-9]+K, used [0-9]+K/ { for (i = 1; i <= NF; i++) if ($i == "used") { v = $(i + 1); sub(/K,?$/, "", v); sum += v; found = 1 } }
    END { if (found) print sum }'
}

# chat_idle KIND: a fresh server, CHAT_IDLE connections, resident memory before and after.
chat_idle() {
  local kind=$1 port out i
  port=$(free_port)
  chat_start "$kind" "$port"
  chat_idle_load "$kind" "$port" "$CHAT_IDLE_WARMUP" warmup || true
  stop_load
  sleep 2
  idle_before[$kind]=$(chat_rss_kib "$server_pid")
  [[ "$kind" != switchboard* ]] || heap_before[$kind]=$(chat_heap_used_kib "$server_pid")
  idle_count[$kind]=0
  if chat_idle_load "$kind" "$port" "$CHAT_IDLE" idle; then
    idle_count[$kind]=$(awk '/^IDLE / {print $2}' "$logs/chatload-idle-$kind.txt")
  else
    out="$logs/chatload-idle-$kind"
    cat "$out.err" >&2
    failures+=("idle $kind: $CHAT_IDLE connections were not all open within ${CHAT_IDLE_CONNECT_TIMEOUT}s ($out.err)")
  fi
  sleep "$CHAT_IDLE_SETTLE"
  idle_after[$kind]=$(chat_rss_kib "$server_pid")
  [[ "$kind" != switchboard* ]] || heap_after[$kind]=$(chat_heap_used_kib "$server_pid")
  stop_load
  stop_server
}

report_chat() {
  local md="$results/latest-chat.md" run kind mode base procs
  declare -A per_kib heap_kib
  {
    echo "### WebSocket chat fan-out: Switchboard vs Node ws vs Socket.IO"
    echo
    echo "Switchboard: \`-instances $CHAT_SERVER_INSTANCES\`, JVM flags \`${CHAT_JVM[*]}\` (see bench/chat.sh); its sender is rate-limited at 10⁶/s here (default 20/s)."
    echo "Switchboard with permessage-deflate: the same jar with \`compression\` on and \`compressionThreshold\` $CHAT_DEFLATE_THRESHOLD, every load client offering the extension (the \`ws\` client's \`perMessageDeflate\`, threshold 0: the sender's messages compressed too); beside the others, judged by no target. Its clients inflate every message they get (the \`ws\` library inflates on libuv's thread pool): where the load generator's CPU is at a core per process and the server's low, its deliveries are the clients' limit, not the server's."
    [ "$CHAT_ONLY" = all ] || echo "Only the $CHAT_ONLY part was run (CHAT_ONLY=$CHAT_ONLY)."
    echo
    machine
    echo
    if [ "$CHAT_ONLY" != idle ]; then
      echo "$CHAT_CLIENTS clients in one room, one of them the sender, split over ${CHAT_LOADS[*]} Node load processes in turn (\`bench/node/chat-load.js\`, the \`ws\` client library for every server)."
      echo "paced: $CHAT_RATE messages/s for ${duration}s; burst: $CHAT_BURST messages sent at once, the clock runs until every client has every message."
      echo "Latency is from the sender's write to each client's receipt (CLOCK_MONOTONIC, one clock for all processes). Each server is warmed up first with a $CHAT_WARMUP_BURST-message burst and $CHAT_WARMUP_RUNS paced loads of ${CHAT_WARMUP_SECONDS}s, each with fresh connections (not counted)."
      echo "The four servers stay up and are measured in turns, $CHAT_ROUNDS rounds (each round starting with the next server); figures are each server's median over the rounds"
      echo "in which the hypervisor stole at most $NOISY_STEAL % of a core in any server's window of that load (all rounds if none; † marks the rounds left out)."
      echo
      echo "| server | load | load processes | deliveries/s | vs ws | p50 ms | p99 ms | p99 vs ws | each round (paced: p99 ms, burst: deliveries/s) | errors | server CPU % | deliveries per CPU-s | peak RSS MiB |"
      echo "|---|---|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|"
      for mode in paced burst; do
        for procs in "${CHAT_LOADS[@]}"; do
          base=ws-$mode-p$procs
          for kind in switchboard switchboard-deflate ws socketio; do
            run=$kind-$mode-p$procs
            echo "| ${label[$kind]} | $mode | $procs | ${rate[$run]} | $(ratio "${rate[$run]}" "${rate[$base]}") | $(ms "${p50[$run]}") | $(ms "${p99[$run]}") | $(ratio "${p99[$run]}" "${p99[$base]}") | ${each_round[$run]} | ${errs[$run]} | ${cpu_pct[$run]} | ${per_cpu[$run]} | ${rss[$run]} |"
          done
        done
      done
      echo
    fi
    if [ "$CHAT_ONLY" != load ]; then
      echo "$CHAT_IDLE idle connections (connected, no messages; Socket.IO clients connected to the namespace) on a freshly started server, after a warm-up of $CHAT_IDLE_WARMUP connections opened and closed (not counted); resident memory (VmRSS) of the server before and ${CHAT_IDLE_SETTLE}s after the last connection."
      echo "For the JVM also the Java heap in use after a full GC (\`jcmd GC.run\`), before and with the connections: the live objects per connection."
      echo
      echo "| server | connections | RSS before MiB | RSS with connections MiB | KiB per connection | vs ws | live heap KiB per connection |"
      echo "|---|---:|---:|---:|---:|---:|---:|"
      for kind in switchboard switchboard-deflate ws socketio; do
        per_kib[$kind]=$(awk -v a="${idle_after[$kind]}" -v b="${idle_before[$kind]}" -v n="${idle_count[$kind]}" 'BEGIN { if (n > 0) printf "%.1f", (a - b) / n; else print "n/a" }')
        heap_kib[$kind]=$(awk -v a="${heap_after[$kind]:-}" -v b="${heap_before[$kind]:-}" -v n="${idle_count[$kind]}" 'BEGIN { if (n > 0 && a != "" && b != "") printf "%.1f", (a - b) / n; else print "—" }')
      done
      for kind in switchboard switchboard-deflate ws socketio; do
        echo "| ${label[$kind]} | ${idle_count[$kind]} | $(awk -v k="${idle_before[$kind]}" 'BEGIN { printf "%.0f", k / 1024 }') | $(awk -v k="${idle_after[$kind]}" 'BEGIN { printf "%.0f", k / 1024 }') | ${per_kib[$kind]} | $(ratio "${per_kib[$kind]}" "${per_kib[ws]}") | ${heap_kib[$kind]} |"
      done
      echo
    fi
    local p b m each pr br round
    if [ "$CHAT_ONLY" != idle ]; then
      # The worse ratio over the load-process counts: the highest p99 ratio, the lowest burst one.
      p="" b="" each=""
      for procs in "${CHAT_LOADS[@]}"; do
        pr=$(ratio "${p99[switchboard-paced-p$procs]}" "${p99[ws-paced-p$procs]}")
        br=$(ratio "${rate[switchboard-burst-p$procs]}" "${rate[ws-burst-p$procs]}")
        p=$(awk -v a="$p" -v c="$pr" 'BEGIN { print (a == "" || c + 0 > a + 0) ? c : a }')
        b=$(awk -v a="$b" -v c="$br" 'BEGIN { print (a == "" || c + 0 < a + 0) ? c : a }')
        each+="${each:+; }$procs load process(es): p99 $pr, burst $br"
      done
      echo "Switchboard vs Node ws, the worse ratio over the load-process counts ($each):"
      for procs in "${CHAT_LOADS[@]}"; do
        [ -n "${chat_clean[paced-p$procs]// /}" ] || p=n/a
        [ -n "${chat_clean[burst-p$procs]// /}" ] || b=n/a
      done
      if [ "$p" = n/a ] || [ "$b" = n/a ]; then
        echo "(a load had no round free of hypervisor steal: its target is not judged; run again)"
      fi
      echo "paced p99 **$p** of ws's (target ≤ 1×: $(verdict "$p" "<=" 1)),"
      echo "burst deliveries/s **$b** (target ≥ 2×: $(verdict "$b" ">=" 2))."
      each=""
      for procs in "${CHAT_LOADS[@]}"; do
        each+="${each:+; }$procs load process(es): paced p99 $(ratio "${p99[switchboard-deflate-paced-p$procs]}" "${p99[ws-paced-p$procs]}"), burst $(ratio "${rate[switchboard-deflate-burst-p$procs]}" "${rate[ws-burst-p$procs]}")"
      done
      echo "Switchboard with permessage-deflate vs Node ws (no target): $each."
    fi
    if [ "$CHAT_ONLY" != load ]; then
      m=$(ratio "${per_kib[switchboard]}" "${per_kib[ws]}")
      echo "Switchboard vs Node ws: memory per idle connection **$m** of ws's (target ≤ 1×: $(verdict "$m" "<=" 1))."
      echo "Switchboard with permessage-deflate negotiated vs Node ws: memory per idle connection $(ratio "${per_kib[switchboard-deflate]}" "${per_kib[ws]}") of ws's (no target)."
    fi
    if [ "$CHAT_ONLY" != idle ]; then
      echo
      local runs=()
      for mode in paced burst; do
        for procs in "${CHAT_LOADS[@]}"; do
          for round in $(seq 1 "$CHAT_ROUNDS"); do
            runs+=("switchboard-$mode-p$procs-$round" "switchboard-deflate-$mode-p$procs-$round" "ws-$mode-p$procs-$round" "socketio-$mode-p$procs-$round")
          done
        done
      done
      cpu_table "${runs[@]}"
    fi
  } > "$md"
  cat "$md"
}

# The four servers stay up and are measured in turns (see "rounds" in scripts/bench): CHAT_ROUNDS
# rounds, each with every load-process count, paced then burst, for each server, each round starting
# with the next server. A paced p99 is set by a few slow rounds of fan-out, so one window per server
# decided the comparison by whichever of them a noisy neighbour hit.
chat_rounds() {
  local kind port round procs mode clean run
  for kind in "${CHAT_KINDS[@]}"; do
    port=$(free_port)
    chat_start "$kind" "$port"
    chat_run "" "$kind" "$port" burst "$CHAT_WARMUP_BURST"
    for round in $(seq 1 "$CHAT_WARMUP_RUNS"); do
      chat_run "" "$kind" "$port" paced "$CHAT_WARMUP_SECONDS" "${CHAT_LOADS[$(((round - 1) % ${#CHAT_LOADS[@]}))]}"
    done
    keep_server "$kind" "$port"
  done
  for round in $(seq 1 "$CHAT_ROUNDS"); do
    echo "  round $round of $CHAT_ROUNDS"
    for procs in "${CHAT_LOADS[@]}"; do
      for kind in $(in_turn "$round" "${CHAT_KINDS[@]}"); do
        server_pid=${kept_pid[$kind]}
        chat_run "$kind-paced-p$procs-$round" "$kind" "${kept_port[$kind]}" paced "$duration" "$procs"
        chat_run "$kind-burst-p$procs-$round" "$kind" "${kept_port[$kind]}" burst "$CHAT_BURST" "$procs"
        server_pid=""
      done
    done
  done
  stop_side
  for mode in paced burst; do
    for procs in "${CHAT_LOADS[@]}"; do
      clean=$(clean_rounds "$CHAT_ROUNDS" "switchboard-$mode-p$procs" "switchboard-deflate-$mode-p$procs" "ws-$mode-p$procs" "socketio-$mode-p$procs" | tr '\n' ' ')
      chat_clean[$mode-p$procs]=$clean
      for kind in "${CHAT_KINDS[@]}"; do
        for round in $(seq 1 "$CHAT_ROUNDS"); do
          run=$kind-$mode-p$procs-$round
          if [ "$mode" = paced ]; then
            chat_shown[$run]=$(ms "${p99[$run]}")
          else
            chat_shown[$run]=${rate[$run]}
          fi
        done
        summarize_rounds "$kind-$mode-p$procs" "$CHAT_ROUNDS" "$clean" chat_shown
      done
    done
  done
}

bench_chat() {
  local kind port
  notes=()
  if [ ! -d bench/node/node_modules/ws ] || [ ! -d bench/node/node_modules/socket.io ]; then
    command -v npm >/dev/null 2>&1 || die "npm is needed to install bench/node's ws and socket.io (npm ci in bench/node)"
    echo "bench: installing bench/node dependencies (npm ci) ..." >&2
    (cd bench/node && npm ci --no-audit --no-fund --loglevel=error) || die "npm ci in bench/node failed"
  fi
  if [ "$(ulimit -n)" -lt $((CHAT_IDLE + 1000)) ]; then
    ulimit -n $((CHAT_IDLE + 1000)) 2>/dev/null \
      || die "the idle load needs $((CHAT_IDLE + 1000)) open files per process; ulimit -n allows $(ulimit -n) (hard: $(ulimit -Hn))"
  fi
  local procs
  for procs in "${CHAT_LOADS[@]}"; do
    [[ "$procs" =~ ^[0-9]+$ ]] && [ "$procs" -ge 1 ] && [ "$procs" -le 16 ] \
      || die "CHAT_LOAD_PROCESSES must list counts of 1 to 16, got '${CHAT_LOADS[*]}'"
  done
  [[ "$CHAT_ROUNDS" =~ ^[1-9]$ ]] || die "CHAT_ROUNDS must be 1 to 9, got '$CHAT_ROUNDS'"
  case "$CHAT_ONLY" in
    all|load|idle) ;;
    *) die "CHAT_ONLY must be all, load or idle, got '$CHAT_ONLY'" ;;
  esac
  [[ "$CHAT_DEFLATE_THRESHOLD" =~ ^[0-9]+$ ]] || die "CHAT_DEFLATE_THRESHOLD must be a number of bytes, got '$CHAT_DEFLATE_THRESHOLD'"
  echo "== chat ($CHAT_ONLY): $CHAT_CLIENTS clients, paced ${CHAT_RATE}/s for ${duration}s and a burst of $CHAT_BURST, then $CHAT_IDLE idle connections, per server"
  label[switchboard]="Switchboard chat ($CHAT_SERVER_INSTANCES verticles, 1 JVM)"
  label[switchboard-deflate]="Switchboard chat, permessage-deflate ($CHAT_SERVER_INSTANCES verticles, 1 JVM)"
  label[ws]="Node ws broadcast (1 process)"
  label[socketio]="Node Socket.IO io.emit (1 process)"

  if [ "$CHAT_ONLY" != idle ]; then
    chat_rounds
  fi
  for kind in switchboard switchboard-deflate ws socketio; do
    [ "$CHAT_ONLY" != load ] || break
    chat_idle "$kind"
  done
  echo
  report_chat
}
