#!/bin/sh
# njs-mogilefs: renders the gateway's nginx configuration from MOGILEFS_*
# environment variables, before nginx starts. The official nginx image's
# /docker-entrypoint.sh runs every executable *.sh in /docker-entrypoint.d/ and
# stops the container when one fails: a missing or bad variable ends the start
# here, with one line per variable, and nginx never starts.
#
# The renderer is build/config.mjs and build/render.mjs bundled for the njs
# command-line engine the image ships (no Node in the image). Paths can be moved
# with MOGILEFS_SHARE_DIR, MOGILEFS_NGINX_DIR and friends (the tests do).
set -eu

me=${0##*/}
share=${MOGILEFS_SHARE_DIR:-/usr/share/njs-mogilefs}
njs=${MOGILEFS_NJS:-njs}

if ! command -v "$njs" >/dev/null 2>&1; then
    echo "$me: error: the njs command-line engine ($njs) is not installed" >&2
    exit 1
fi

status=0
output=$("$njs" "$share/render-env.js" 2>&1) || status=$?
last=$(printf '%s\n' "$output" | tail -n 1)
if [ "$status" -eq 0 ] && [ "$last" = "ok" ]; then
    echo "$me: rendered the nginx configuration in ${MOGILEFS_NGINX_DIR:-/etc/nginx/mogilefs}"
    exit 0
fi
if printf '%s\n' "$output" | grep -q '^error: '; then
    printf '%s\n' "$output" | sed -n "s/^error: /$me: error: /p" >&2
else
    # Not a bad setting: the renderer itself failed. Show all it said.
    echo "$me: error: the renderer failed (njs exit status $status):" >&2
    printf '%s\n' "$output" >&2
fi
exit 1
