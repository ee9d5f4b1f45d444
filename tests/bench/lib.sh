# Helpers for tests/bench/run. Sourced by it, and also runnable as `bash lib.sh FUNCTION ARGS…`
# so that hyperfine's --prepare (which runs without a shell, -N) can call them.
# Needs: bash, coreutils, curl, sqlite3, ffmpeg.

# Start a fake TikTok (release example binary) in the background; print its base URL.
# Usage: start_fake NAME DATA_DIR [fake options…]. Its pid goes to $BENCH_DIR/NAME.pid.
start_fake() {
  local name=$1 data=$2
  shift 2
  mkdir -p "$data"
  "$FAKE" --port 0 --data-dir "$data" "$@" >"$BENCH_DIR/$name.out" 2>"$BENCH_DIR/$name.err" &
  echo $! >"$BENCH_DIR/$name.pid"
  local _
  for _ in $(seq 200); do
    if grep -q 'listening on' "$BENCH_DIR/$name.out" 2>/dev/null; then
      sed -n 's/.*listening on \(http[^ ]*\).*/\1/p' "$BENCH_DIR/$name.out"
      return 0
    fi
    sleep 0.05
  done
  echo "fake $name did not start:" >&2
  cat "$BENCH_DIR/$name.err" >&2
  return 1
}

# Point postez at a fake and at a home folder (exported for every later command).
use_home() { # HOME_DIR BASE_URL
  export POSTEZ_HOME=$1
  export POSTEZ_TIKTOK_AUTH_URL=$2/v2/auth/authorize/ POSTEZ_TIKTOK_API_URL=$2
  export POSTEZ_TIKTOK_CLIENT_KEY=fake_client_key POSTEZ_TIKTOK_CLIENT_SECRET=fake_client_secret
  export POSTEZ_TOKEN_STORE=file POSTEZ_PASSPHRASE="bench passphrase, not a secret"
  export POSTEZ_POLL_INTERVAL=20ms
  mkdir -p "$1"
}

# `postez connect PLATFORM --no-browser` (tiktok unless named), playing the browser with curl
# (authorize answers with the redirect to postez's loopback listener; -L follows it).
connect_account() { # [PLATFORM]
  local log url="" _ pid
  log=$(mktemp "$BENCH_DIR/connect.XXXXXX")
  "$POSTEZ" connect "${1:-tiktok}" --no-browser </dev/null >/dev/null 2>"$log" &
  pid=$!
  for _ in $(seq 400); do
    url=$(grep -m1 -E '^https?://' "$log" || true)
    [ -n "$url" ] && break
    sleep 0.05
  done
  if [ -z "$url" ]; then
    kill "$pid" 2>/dev/null || true
    echo "connect printed no URL:" >&2
    cat "$log" >&2
    return 1
  fi
  curl -sfL -o /dev/null "$url"
  if ! wait "$pid"; then
    echo "connect failed:" >&2
    cat "$log" >&2
    return 1
  fi
}

# Point postez at a fake YouTube (fake-youtube example) and a home folder, like use_home (the
# TikTok variables are left as they are).
use_youtube_home() { # HOME_DIR BASE_URL
  export POSTEZ_HOME=$1 POSTEZ_TOKEN_STORE=file POSTEZ_PASSPHRASE="bench passphrase, not a secret"
  export POSTEZ_POLL_INTERVAL=20ms
  mkdir -p "$1"
  export POSTEZ_YOUTUBE_AUTH_URL=$2/o/oauth2/v2/auth POSTEZ_YOUTUBE_TOKEN_URL=$2/token
  export POSTEZ_YOUTUBE_REVOKE_URL=$2/revoke POSTEZ_YOUTUBE_API_URL=$2
  export POSTEZ_YOUTUBE_CLIENT_ID=$YT_CLIENT_ID POSTEZ_YOUTUBE_CLIENT_SECRET=$YT_CLIENT_SECRET
}

# Make a valid MP4 of exactly SIZE bytes: a 2 s ffmpeg clip followed by one top-level `free`
# box (ISO-BMFF allows it anywhere; postez's probe and the fake's check skip it) of zeros.
# The file is written densely (no holes), so reading it costs what reading a real video does.
make_video() { # BASE_MP4 OUT SIZE
  local base=$1 out=$2 size=$3 have pad
  have=$(stat -c %s "$base")
  pad=$((size - have))
  cp "$base" "$out"
  # 32-bit big-endian box size, then the type.
  printf "$(printf '\\%03o\\%03o\\%03o\\%03o' $((pad >> 24 & 255)) $((pad >> 16 & 255)) \
    $((pad >> 8 & 255)) $((pad & 255)))free" >>"$out"
  head -c $((pad - 8)) /dev/zero >>"$out"
  [ "$(stat -c %s "$out")" = "$size" ]
}

# Copy a queue snapshot into a home (dropping any WAL left behind), and empty a fake's upload
# folder so that repeated gigabyte uploads do not fill the disk. Used as hyperfine --prepare.
restore() { # SNAPSHOT_DB HOME_DIR [FAKE_DATA_DIR]
  rm -f "$2/postez.db-wal" "$2/postez.db-shm"
  cp "$1" "$2/postez.db"
  if [ -n "${3:-}" ]; then
    find "$3" -mindepth 1 -maxdepth 1 -type f -delete
  fi
}

# The browserless OAuth dance with curl, for the curl baseline: print an access token.
curl_token() { # BASE_URL
  local base=$1 verifier challenge redirect loc code
  verifier=$(head -c 48 /dev/urandom | od -An -tx1 | tr -d ' \n')
  challenge=$(printf %s "$verifier" | sha256sum | cut -d' ' -f1)
  redirect=http://127.0.0.1:9/callback/
  loc=$(curl -sS -o /dev/null -w '%{redirect_url}' -G "$base/v2/auth/authorize/" \
    --data-urlencode client_key=fake_client_key --data-urlencode response_type=code \
    --data-urlencode scope=user.info.basic,video.upload,video.publish \
    --data-urlencode "redirect_uri=$redirect" --data-urlencode state=bench \
    --data-urlencode "code_challenge=$challenge" --data-urlencode code_challenge_method=S256)
  code=$(printf %s "$loc" | sed -n 's/.*[?&]code=\([^&]*\).*/\1/p')
  code=$(printf '%b' "${code//%/\\x}")
  curl -sS -X POST "$base/v2/oauth/token/" \
    --data-urlencode client_key=fake_client_key --data-urlencode client_secret=fake_client_secret \
    --data-urlencode "code=$code" --data-urlencode grant_type=authorization_code \
    --data-urlencode "redirect_uri=$redirect" --data-urlencode "code_verifier=$verifier" |
    sed -n 's/.*"access_token":"\([^"]*\)".*/\1/p'
}

# TikTok's chunk plan as postez computes it (src/provider/tiktok/upload.rs): one chunk up to
# 64,000,000 bytes, else 10,000,000-byte chunks with the last absorbing the rest.
chunk_plan() { # SIZE -> "CHUNK COUNT"
  if [ "$1" -le 64000000 ]; then echo "$1 1"; else echo "10000000 $(($1 / 10000000))"; fi
}

# Cut FILE into the plan's chunks as CHUNK_DIR/0, 1, … (the curl baseline PUTs these files).
split_chunks() { # FILE CHUNK_DIR
  local size chunk count i
  size=$(stat -c %s "$1")
  read -r chunk count < <(chunk_plan "$size")
  mkdir -p "$2"
  for ((i = 0; i < count; i++)); do
    if ((i + 1 < count)); then
      dd if="$1" of="$2/$i" bs=1000000 skip=$((i * chunk / 1000000)) count=$((chunk / 1000000)) \
        status=none
    else
      tail -c +$((i * chunk + 1)) "$1" >"$2/$i"
    fi
  done
}

# --prepare of the curl baseline: creator_info and video/init with TOKEN (as TikTok requires
# before a Direct Post), then a curl config that PUTs every chunk of the plan, in order, over
# one kept-alive connection, exactly as TikTok's upload wants them.
curl_prepare() { # BASE_URL TOKEN FILE CHUNK_DIR CONFIG_OUT [FAKE_DATA_DIR to empty]
  local base=$1 token=$2 file=$3 chunks=$4 cfg=$5 size chunk count url i first last
  if [ -n "${6:-}" ]; then
    find "$6" -mindepth 1 -maxdepth 1 -type f -delete
  fi
  size=$(stat -c %s "$file")
  read -r chunk count < <(chunk_plan "$size")
  curl -sSf -o /dev/null -X POST "$base/v2/post/publish/creator_info/query/" \
    -H "Authorization: Bearer $token" -H 'Content-Type: application/json; charset=UTF-8'
  url=$(curl -sSf -X POST "$base/v2/post/publish/video/init/" \
    -H "Authorization: Bearer $token" -H 'Content-Type: application/json; charset=UTF-8' \
    --data "{\"post_info\":{\"title\":\"curl\",\"privacy_level\":\"SELF_ONLY\",\"brand_content_toggle\":false},\"source_info\":{\"source\":\"FILE_UPLOAD\",\"video_size\":$size,\"chunk_size\":$chunk,\"total_chunk_count\":$count}}" |
    sed -n 's/.*"upload_url":"\([^"]*\)".*/\1/p')
  [ -n "$url" ] || { echo "video/init gave no upload_url" >&2; return 1; }
  : >"$cfg"
  for ((i = 0; i < count; i++)); do
    first=$((i * chunk))
    if ((i + 1 < count)); then last=$((first + chunk - 1)); else last=$((size - 1)); fi
    {
      ((i > 0)) && echo 'next'
      echo "url = \"$url\""
      echo "upload-file = \"$chunks/$i\""
      echo 'header = "Content-Type: video/mp4"'
      echo 'header = "Expect:"' # no 100-continue round trip: postez sends none either
      echo "header = \"Content-Range: bytes $first-$last/$size\""
      echo 'output = "/dev/null"'
      echo 'silent'
      echo 'fail'
    } >>"$cfg"
  done
}

# Google's installed-app OAuth with curl against the fake YouTube (PKCE S256, offline access),
# for the YouTube curl baseline: print an access token.
yt_token() { # BASE_URL
  local base=$1 verifier challenge redirect loc code
  verifier=$(head -c 48 /dev/urandom | od -An -tx1 | tr -d ' \n')
  # BASE64URL(SHA256(verifier)) without padding (RFC 7636).
  challenge=$(printf '%b' "$(printf %s "$verifier" | sha256sum | cut -d' ' -f1 | sed 's/../\\x&/g')" |
    base64 -w0 | tr '+/' '-_' | tr -d '=')
  redirect=http://127.0.0.1:9/
  loc=$(curl -sS -o /dev/null -w '%{redirect_url}' -G "$base/o/oauth2/v2/auth" \
    --data-urlencode "client_id=$YT_CLIENT_ID" --data-urlencode response_type=code \
    --data-urlencode "scope=https://www.googleapis.com/auth/youtube.upload https://www.googleapis.com/auth/youtube.readonly" \
    --data-urlencode "redirect_uri=$redirect" --data-urlencode state=bench \
    --data-urlencode access_type=offline \
    --data-urlencode "code_challenge=$challenge" --data-urlencode code_challenge_method=S256)
  code=$(printf %s "$loc" | sed -n 's/.*[?&]code=\([^&]*\).*/\1/p')
  code=$(printf '%b' "${code//%/\\x}")
  curl -sS -X POST "$base/token" \
    --data-urlencode "client_id=$YT_CLIENT_ID" --data-urlencode "client_secret=$YT_CLIENT_SECRET" \
    --data-urlencode "code=$code" --data-urlencode grant_type=authorization_code \
    --data-urlencode "redirect_uri=$redirect" --data-urlencode "code_verifier=$verifier" |
    sed -n 's/.*"access_token": *"\([^"]*\)".*/\1/p'
}

# YouTube's chunk plan as postez computes it (src/provider/youtube/upload.rs): 8 MiB chunks
# (32 × 256 KiB), the last one shorter.
YT_CHUNK=$((8 << 20))

# Cut FILE into YouTube's chunks as CHUNK_DIR/0, 1, … (the curl baseline PUTs these files).
yt_split() { # FILE CHUNK_DIR
  local size count i
  size=$(stat -c %s "$1")
  count=$(((size + YT_CHUNK - 1) / YT_CHUNK))
  mkdir -p "$2"
  for ((i = 0; i < count; i++)); do
    dd if="$1" of="$2/$i" bs=$YT_CHUNK skip=$i count=1 status=none
  done
}

# The PUTs of a resumable upload of FILE, as a curl config reading the chunk files of CHUNK_DIR
# in order over one kept-alive connection, each with its Content-Range, the init's media type and
# no `Expect: 100-continue` (postez sends none): exactly what YouTube's protocol asks (§2.2). The
# session URI is left as @SESSION@ (it exists only once the init answers).
yt_curl_template() { # TOKEN FILE CHUNK_DIR CONFIG_OUT
  local token=$1 file=$2 chunks=$3 cfg=$4 size count i first last
  size=$(stat -c %s "$file")
  count=$(((size + YT_CHUNK - 1) / YT_CHUNK))
  : >"$cfg"
  for ((i = 0; i < count; i++)); do
    first=$((i * YT_CHUNK))
    last=$((first + YT_CHUNK - 1))
    ((last < size)) || last=$((size - 1))
    {
      ((i > 0)) && echo 'next'
      echo 'url = "@SESSION@"'
      echo "upload-file = \"$chunks/$i\""
      echo "header = \"Authorization: Bearer $token\""
      echo 'header = "Content-Type: video/mp4"'
      echo 'header = "Expect:"'
      echo "header = \"Content-Range: bytes $first-$last/$size\""
      echo 'output = "/dev/null"'
      echo 'silent'
      echo 'fail'
    } >>"$cfg"
  done
}

# The curl baseline's timed part: the init (JSON metadata like postez's, the file's size and
# type) answers the session URI in Location; then one curl sends every chunk of the template.
yt_curl_upload() { # BASE_URL TOKEN SIZE TEMPLATE
  local base=$1 token=$2 size=$3 template=$4 uri
  uri=$(curl -sSf -o /dev/null -w '%header{location}' -X POST \
    "$base/upload/youtube/v3/videos?uploadType=resumable&part=snippet,status&notifySubscribers=true" \
    -H "Authorization: Bearer $token" -H 'Content-Type: application/json; charset=UTF-8' \
    -H "X-Upload-Content-Length: $size" -H 'X-Upload-Content-Type: video/mp4' \
    --data '{"snippet":{"title":"curl","description":""},"status":{"privacyStatus":"private","selfDeclaredMadeForKids":false,"containsSyntheticMedia":false}}')
  [ -n "$uri" ] || { echo "the init named no session" >&2; return 1; }
  sed "s#@SESSION@#${uri//&/\\&}#" "$template" | curl -K -
}

# hyperfine CSV (command,mean,stddev,median,user,system,min,max) -> "median min max" in seconds.
stats_of() { # CSV NAME
  awk -F, -v n="$2" 'NR > 1 && $1 == n { print $4, $7, $8 }' "$1"
}

# Median, min and max of numbers on stdin, one per line.
median_min_max() {
  sort -g | awk '{ v[NR] = $1 } END {
    m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
    print m, v[1], v[NR] }'
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  set -euo pipefail
  "$@"
fi
