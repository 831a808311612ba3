#!/bin/sh
echo "harness self-test: this test fails on purpose"
exit 3
