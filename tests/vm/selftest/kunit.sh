#!/bin/sh
# Loading the module runs its KUnit suite; KTAP goes to the console.
insmod "$CGTIER_TOP/build/tests/kunit-selftest/cgtier_harness_kunit.ko" || exit 1
rmmod cgtier_harness_kunit
