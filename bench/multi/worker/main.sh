#!/bin/sh
echo "worker"
