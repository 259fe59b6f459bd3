#!/bin/sh
. /app/lib/greet.sh
greet "$(cat /opt/deps/installed.txt | wc -l) dependencies"
