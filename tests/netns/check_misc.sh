#!/usr/bin/env bash
# MISC_CHECK scripts that pass, fail, set a weight (misc_dynamic) and hang (killed at
# misc_timeout), and a FILE_CHECK following a track_file. The passing script's target is
# stopped (its flag file removed): the server leaves the desired table within its retries;
# restored: it comes back. The weight script's exit code changes the weight in the table.
#   Usage: check_misc.sh VIGIL_BINARY
set -euo pipefail
vigil=${1:?vigil binary}
source "$(dirname "$0")/check_lib.sh"

touch "$tmp/up"
echo 12 >"$tmp/weight"
echo 0 >"$tmp/file"
cat >"$tmp/k.conf" <<CONF
track_file level {
  file "$tmp/file"
  weight 0
}
virtual_server 10.0.0.100 80 {
  delay_loop 1
  real_server 192.0.2.11 80 {
    MISC_CHECK {
      misc_path "/usr/bin/test -e $tmp/up"
      retry 2
      delay_before_retry 0.5
    }
  }
  real_server 192.0.2.12 80 {
    MISC_CHECK {
      misc_path "/bin/sh -c 'exit 1'"
    }
  }
  real_server 192.0.2.13 80 {
    weight 1
    MISC_CHECK {
      misc_path "/bin/sh -c 'exit \$(cat $tmp/weight)'"
      misc_dynamic
    }
  }
  real_server 192.0.2.14 80 {
    MISC_CHECK {
      misc_path "/bin/sleep 60"
      misc_timeout 1
    }
  }
  real_server 192.0.2.15 80 {
    FILE_CHECK {
      track_file level
    }
  }
}
CONF
start_vigil "$tmp/k.conf"
echo "start-up:"
expect_seen 5 '\[192\.0\.2\.12\]:80 DOWN: MISC_CHECK exited with status 1' "failing script: down"
expect_seen 5 'delete dest 192\.0\.2\.12:80 from TCP 10\.0\.0\.100:80' "  out of the table"
expect_seen 5 'edit dest 192\.0\.2\.13:80 in TCP 10\.0\.0\.100:80 \(weight 1 -> 10\)' "exit 12 with misc_dynamic: weight 10"
expect_seen 5 '\[192\.0\.2\.14\]:80 DOWN: MISC_CHECK timed out, killed' "hanging script: killed at misc_timeout, down"
expect_seen 5 'delete dest 192\.0\.2\.14:80 from TCP 10\.0\.0\.100:80' "  out of the table"
sleep 1
# One runs at a time (each is killed at misc_timeout before the next starts).
(( $(pgrep -fc "^/bin/sleep 60\$" || true) <= 1 )) || fail "hanging scripts were not killed"
echo "  ok: no hanging script left behind"
! grep -qE 'delete dest 192\.0\.2\.1[15]:80' "$log" || fail "a passing server left the table"
echo "  ok: passing script and FILE_CHECK (0): in the table"

echo "target stopped and restored:"
# delay_loop 1 + (retry 2 + 1) runs + 2 x delay_before_retry 0.5, plus slack
after 6 'delete dest 192\.0\.2\.11:80 from TCP 10\.0\.0\.100:80' "passing script's server left the table" rm "$tmp/up"
expect_seen 1 '\[192\.0\.2\.11\]:80 DOWN: MISC_CHECK exited with status 1 \(retry 2 of 2\)' "  reason"
after 4 'add dest 192\.0\.2\.11:80 to TCP 10\.0\.0\.100:80' "back when the target returns" touch "$tmp/up"

echo "weights and files:"
after 4 'weight 10 -> 3' "exit 5: weight 3" bash -c "echo 5 >'$tmp/weight'"
after 3 'delete dest 192\.0\.2\.15:80 from TCP 10\.0\.0\.100:80' "FILE_CHECK: non-zero (weight 0) takes it out at once" \
  bash -c "echo 1 >'$tmp/file'"
expect_seen 1 '\[192\.0\.2\.15\]:80 DOWN: FILE_CHECK file changed: .* holds 1' "  reason"
after 3 'add dest 192\.0\.2\.15:80 to TCP 10\.0\.0\.100:80' "FILE_CHECK: 0 brings it back" bash -c "echo 0 >'$tmp/file'"
stop_vigil
echo "PASS: check_misc"
