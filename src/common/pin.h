/* What the token module and its clients both know about the user PIN.
 * One definition, so the factory PIN a reset writes, the one change-pin
 * refuses and the one a new virtual token starts with cannot drift. */
#ifndef KYSO_PIN_H
#define KYSO_PIN_H

/* The user PIN a new token and a remote PIN reset leave: the token
 * reports it as to be changed (CKF_USER_PIN_TO_BE_CHANGED) and refuses
 * to sign until it is. */
#define KYSO_FACTORY_PIN "12345678"

#endif
