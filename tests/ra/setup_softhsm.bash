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
RA_INIT_ARGS=(--ca-module "$SOFTHSM" --ca-token kyso-ca --ca-pin-fd 3)
RA_CA_PIN=$USER_PIN
RA_TEST_HSM=softhsm
