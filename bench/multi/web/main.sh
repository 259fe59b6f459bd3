#!/bin/sh
echo "web"
