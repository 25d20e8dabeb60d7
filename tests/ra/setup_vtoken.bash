# Sourced by helpers.bash: the issuing CA key is generated and kept on
# kyso's own virtual token.
make_token RACA0001 --label "kyso RA CA"
change_default_pin RACA0001
RA_INIT_ARGS=(--ca-module "$MOD" --ca-token RACA0001 --ca-pin-fd 3)
RA_CA_PIN=$USER_PIN
RA_TEST_HSM=vtoken
