#!/bin/sh
# The shop's "server": busybox httpd serving public/ on $SHOP_PORT.
set -eu
echo "shop: serving /app/public on :${SHOP_PORT} with $(find "${SHOP_LIB}" -mindepth 1 -maxdepth 1 -type d | wc -l) libraries"
exec httpd -f -p "${SHOP_PORT}" -h /app/public
