#!/bin/sh
echo "harness self-test: hanging on purpose"
sleep 100000
