#!/bin/sh
echo "api"
