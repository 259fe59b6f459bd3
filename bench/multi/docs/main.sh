#!/bin/sh
echo "docs"
