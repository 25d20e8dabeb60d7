# Sourced by helpers.bash: the issuing CA key is generated and kept on a
# SoftHSM2 token in a private store.
mkdir -p "$KYSO_HOME/softhsm"
cat > "$KYSO_HOME/softhsm2.conf" <<CONF
directories.tokendir = $KYSO_HOME/softhsm
objectstore.backend = file
log.level = ERROR
CONF
export SOFTHSM2_CONF=$KYSO_HOME/softhsm2.conf
softhsm2-util --init-token --free --label kyso-ca --so-pin "$SO_PIN" \
  --pin "$USER_PIN" >/dev/null || fail "softhsm2-util --init-token"
# the PIN from a file this time (vtoken_ca uses a file descriptor)
printf '%s\n' "$USER_PIN" > "$KYSO_HOME/ca.pin"
chmod 600 "$KYSO_HOME/ca.pin"
RA_CA_PIN_FILE=$KYSO_HOME/ca.pin
RA_INIT_ARGS=(--ca-module "$SOFTHSM" --ca-token kyso-ca --ca-pin-file "$RA_CA_PIN_FILE")
RA_TEST_HSM=softhsm
