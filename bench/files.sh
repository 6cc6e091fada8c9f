# Sourced by scripts/bench: the files benchmark, Switchboard files vs Node's
# fs.createReadStream(file).pipe(res) (bench/node/files.js), on the same 1 GiB file in one run.
#
# Per server: one download as warm-up (page cache, JIT), then one stream alone, then 8 streams at
# once, each a curl to /dev/null bounded by FILES_MAX_TIME; every download must be 200 and whole.
# Reports MiB/s (single, aggregate of 8), the server's CPU, MiB per CPU-second, its RSS when
# idle and its peak RSS, and the ratios. --duration and --connections do not apply here.

readonly FILES_SIZE_MIB=1024
readonly FILES_PARALLEL=8
readonly FILES_MAX_TIME=120 # seconds one download may take before curl gives up (a failure)

# The probe file must come back whole.
probe_files() {
  local answer
  answer=$(timeout 2 bash -c "exec 3<>/dev/tcp/$HOST/$1 && printf 'GET /files/probe.txt HTTP/1.0\r\nHost: $HOST\r\n\r\n' >&3 && cat <&3" 2>/dev/null | tr -d '\r') || true
  [[ "$answer" =~ ^HTTP/1.[01]\ 200 ]] && [[ "$answer" == *$'\n\nswitchboard-probe' ]]
}

# files_run RUN PORT STREAMS: RUN "" is a warm-up (nothing recorded).
files_run() {
  local run=$1 port=$2 streams=$3 i code size bytes=0 pids=()
  window_mark start
  for i in $(seq 1 "$streams"); do
    curl -s -o /dev/null --max-time "$FILES_MAX_TIME" -w '%{http_code} %{size_download}\n' \
      "http://$HOST:$port/files/big.bin" > "$logs/curl-${run:-warmup}-$i.txt" 2>&1 &
    pids+=($!)
  done
  for i in "${pids[@]}"; do
    wait "$i" || true
  done
  window_mark end
  for i in $(seq 1 "$streams"); do
    read -r code size < "$logs/curl-${run:-warmup}-$i.txt" || true
    if [ "${code:-}" != 200 ] || [ "${size:-0}" != "$files_bytes" ]; then
      failures+=("${run:-warm-up}: stream $i got status ${code:-none}, ${size:-0} of $files_bytes bytes")
    else
      bytes=$((bytes + size))
    fi
  done
  [ -n "$run" ] || return 0
  rate[$run]=$(awk -v b="$bytes" -v a="$start_time" -v e="$end_time" 'BEGIN { printf "%.0f", b / 1048576 / (e - a) }')
  errs[$run]=$((streams - bytes / files_bytes))
  record_cpu "$run"
}

current_rss_mib() {
  local total=0 pid kb
  for pid in $(tree "$1"); do
    kb=$(awk '/^VmRSS:/ {print $2}' "/proc/$pid/status" 2>/dev/null || true)
    total=$((total + ${kb:-0}))
  done
  echo $(((total + 512) / 1024))
}

bench_files() {
  local port dir="$root/.bench/files-root" server
  declare -A idle_rss single_rss
  notes=()
  install_or_die curl curl
  mkdir -p "$dir"
  files_bytes=$((FILES_SIZE_MIB * 1048576))
  if [ "$(stat -c %s "$dir/big.bin" 2>/dev/null || echo 0)" != "$files_bytes" ]; then
    echo "  making a ${FILES_SIZE_MIB} MiB file of random bytes in .bench/files-root ..."
    head -c "$files_bytes" /dev/urandom > "$dir/big.bin"
  fi
  printf switchboard-probe > "$dir/probe.txt"
  echo "== files: 1 stream, then $FILES_PARALLEL at once, of a ${FILES_SIZE_MIB} MiB file, per server (after a warm-up download)"
  label[switchboard]="Switchboard files ($cores verticles, 1 JVM, sendfile)"
  label[node]="Node createReadStream().pipe(res) (1 process)"

  for server in switchboard node; do
    port=$(free_port)
    if [ "$server" = switchboard ]; then
      start_server switchboard-files files "$port" "files up:" \
        java -Dswitchboard.files.host=$HOST -Dswitchboard.files.port="$port" -Dswitchboard.files.root="$dir" \
        -jar services/files/target/switchboard-files.jar -instances "$cores"
    else
      start_server node-files files "$port" "node files up" node bench/node/files.js "$port" "$dir"
    fi
    idle_rss[$server]=$(current_rss_mib "$server_pid")
    files_run "" "$port" 1
    files_run "$server-1" "$port" 1
    single_rss[$server]=${rss[$server-1]}
    files_run "$server-$FILES_PARALLEL" "$port" "$FILES_PARALLEL"
    stop_server
  done

  echo
  local md="$results/latest-files.md" run s a grow
  s=$(ratio "${rate[switchboard-1]}" "${rate[node-1]}")
  a=$(ratio "${rate[switchboard-$FILES_PARALLEL]}" "${rate[node-$FILES_PARALLEL]}")
  grow=$((rss[switchboard-$FILES_PARALLEL] - single_rss[switchboard]))
  {
    echo "### File streaming: Switchboard files vs Node.js"
    echo
    echo "\`GET /files/big.bin\` (${FILES_SIZE_MIB} MiB, in the page cache) with \`curl -o /dev/null\`: one stream alone, then $FILES_PARALLEL at once;"
    echo "MiB/s is all bytes received over the window (first request to last byte). Every download was checked to be 200 and whole."
    echo
    machine
    echo
    echo "| server | streams | MiB/s | vs Node | incomplete | server CPU % | MiB per CPU-s | RSS idle MiB | peak RSS MiB |"
    echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
    for run in switchboard-1 node-1 switchboard-$FILES_PARALLEL node-$FILES_PARALLEL; do
      server=${run%-*}
      echo "| ${label[$server]} | ${run##*-} | ${rate[$run]} | $(ratio "${rate[$run]}" "${rate[node-${run##*-}]}") | ${errs[$run]} | ${cpu_pct[$run]} | ${per_cpu[$run]} | ${idle_rss[$server]} | ${rss[$run]} |"
    done
    echo
    echo "Single stream **$s** Node's (target ≥ 2×: $(verdict "$s" ">=" 2)); $FILES_PARALLEL streams **$a** (target ≥ 1×: $(verdict "$a" ">=" 1));"
    echo "Switchboard's peak RSS grew by $grow MiB from 1 to $FILES_PARALLEL streams of a ${FILES_SIZE_MIB} MiB file (target: flat, under 64 MiB: $(verdict "$grow" "<=" 64))."
    echo
    cpu_table switchboard-1 node-1 switchboard-$FILES_PARALLEL node-$FILES_PARALLEL
  } > "$md"
  cat "$md"
}
