#!/bin/sh
echo "harness self-test: skipped on purpose"
exit 77
