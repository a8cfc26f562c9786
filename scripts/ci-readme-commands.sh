#!/usr/bin/env bash
# CI: the README's two commands exactly as a newcomer types them, on whatever node is first on PATH
# (.ci/run puts Node.js 26 there): `npm install && npm start`, then the copy-paste line it prints,
# which must print the member's profile, then Ctrl-C; then `npm test` (.ci/run runs it on Node 24
# as well, the LTS .nvmrc names).
set -euo pipefail
cd "$(dirname "$0")/.."
echo "README commands on Node.js $(node --version)"

npm install --no-audit --no-fund
log="$(mktemp)"
# Its own process group, so that the Ctrl-C below reaches npm start as a terminal's would.
setsid npm start >"$log" 2>&1 &
start_pid=$!
trap 'kill -INT -- -"$start_pid" 2>/dev/null || true' EXIT
for _ in $(seq 1 180); do
  if grep -q 'TOKEN=\$(' "$log"; then break; fi
  if ! kill -0 "$start_pid" 2>/dev/null; then cat "$log"; echo "npm start exited before printing its banner"; exit 1; fi
  sleep 1
done
line="$(grep -m1 'TOKEN=\$(' "$log" | sed 's/^ *//')"
[ -n "$line" ] || { cat "$log"; echo "npm start printed no copy-paste line within 180 s"; exit 1; }
profile="$(bash -c "$line")"
case "$profile" in
  *'"email":"member@example.org"'*) echo "the printed line works: the member's profile came back" ;;
  *) cat "$log"; echo "the printed line did not print the member's profile: $profile"; exit 1 ;;
esac
kill -INT -- -"$start_pid"
for _ in $(seq 1 30); do kill -0 "$start_pid" 2>/dev/null || break; sleep 1; done
if kill -0 "$start_pid" 2>/dev/null; then echo "npm start did not stop within 30 s of Ctrl-C"; exit 1; fi
trap - EXIT

echo "npm test on Node.js $(node --version)"
# A test that waits for ever fails the run after 20 minutes (the suite takes about 5) instead of holding it.
timeout 1200 npm test
