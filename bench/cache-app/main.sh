#!/bin/sh
echo "$(ls /opt/deps | wc -l) packages installed"
