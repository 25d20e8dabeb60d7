#!/usr/bin/env bash
# `make demo`'s story stays true: its script runs to the end and the signed
# PDF passes pdfsig with the CA's root trusted.
. "$(dirname "$0")/../lib.sh"
root=$(cd "$(dirname "$0")/../.." && pwd)
out=$(KYSO_DEMO_HOME=$KYSO_HOME/demo-home bash "$root/scripts/demo.sh" 2>&1) \
  || fail "the demo failed: $out"
assert_contains "$out" "The certificate was installed on the token."
assert_contains "$out" "result:    VALID"
assert_contains "$out" "level:     B-LT"
assert_contains "$out" "revocation in the document: good"
assert_contains "$out" "Signature Validation: Signature is Valid."
assert_contains "$out" "Certificate Validation: Certificate is Trusted."
assert_contains "$out" "No syntax or stream encoding errors found"
pass
