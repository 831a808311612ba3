#!/bin/sh
echo "harness self-test: passing test"
exit 0
