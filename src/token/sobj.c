/* Session objects: the objects made with CKA_TOKEN false, kept in memory
 * for as long as the session that made them (and, for private ones, the
 * login). Their handles have SESSION_OBJ_BIT set. Callers hold the module
 * mutex. */
#include <stdlib.h>

#include <openssl/evp.h>

#include "module_int.h"

static struct sobj **sobjs;
static size_t nsobjs;
static CK_OBJECT_HANDLE next_sobj = 1;

static void
sobj_free(struct sobj *o)
{
	if (o == NULL)
		return;
	attrs_free(o->a);
	kkey_free(o->key);
	free(o);
}

/* Frees every session object match accepts (order is not kept). */
static void
drop_sobjs(int (*match)(const struct sobj *, CK_ULONG), CK_ULONG arg)
{
	size_t i = 0;

	while (i < nsobjs) {
		if (match(sobjs[i], arg)) {
			sobj_free(sobjs[i]);
			sobjs[i] = sobjs[--nsobjs];
		} else {
			i++;
		}
	}
}

static int
sobj_of_session(const struct sobj *o, CK_ULONG h)
{
	return o->owner == h;
}

static int
sobj_private_on_slot(const struct sobj *o, CK_ULONG slot)
{
	return o->slot == slot && o->priv;
}

static int
sobj_on_slot(const struct sobj *o, CK_ULONG slot)
{
	return o->slot == slot;
}

static int
sobj_on_slot_any(const struct sobj *o, CK_ULONG unused)
{
	(void)o;
	(void)unused;
	return 1;
}

/* Keeps a new session object of session s. Takes a, also on failure. */
CK_RV
sobj_add(const struct session *s, int priv, struct attrs *a, CK_OBJECT_HANDLE *h)
{
	struct sobj *o, **n;

	if ((o = calloc(1, sizeof(*o))) == NULL ||
	    (n = realloc(sobjs, (nsobjs + 1) * sizeof(*n))) == NULL) {
		free(o);
		attrs_free(a);
		return CKR_HOST_MEMORY;
	}
	sobjs = n;
	o->h = SESSION_OBJ_BIT | next_sobj++;
	o->owner = s->h;
	o->slot = s->slot;
	o->priv = priv;
	o->a = a;
	sobjs[nsobjs++] = o;
	*h = o->h;
	return CKR_OK;
}

/* The session object with handle h on a slot, whoever may see it. */
struct sobj *
sobj_find(CK_OBJECT_HANDLE h, CK_SLOT_ID slot)
{
	size_t i;

	for (i = 0; i < nsobjs; i++)
		if (sobjs[i]->h == h && sobjs[i]->slot == slot)
			return sobjs[i];
	return NULL;
}

/* For a search: every session object, i from 0 to sobj_count(). */
size_t
sobj_count(void)
{
	return nsobjs;
}

struct sobj *
sobj_at(size_t i)
{
	return i < nsobjs ? sobjs[i] : NULL;
}

/* C_DestroyObject of a session object. */
void
sobj_destroy(struct sobj *o)
{
	size_t i;

	for (i = 0; i < nsobjs; i++) {
		if (sobjs[i] == o) {
			sobj_free(sobjs[i]);
			sobjs[i] = sobjs[--nsobjs];
			break;
		}
	}
}

/* A closed session's objects go with it. */
void
sobj_drop_session(CK_SESSION_HANDLE h)
{
	drop_sobjs(sobj_of_session, h);
}

/* A logout drops the slot's private session objects; a token pulled out
 * or every session closed drops all of them. */
void
sobj_drop_slot(CK_SLOT_ID slot, int private_only)
{
	drop_sobjs(private_only ? sobj_private_on_slot : sobj_on_slot, slot);
}

/* C_Finalize. */
void
sobj_drop_all(void)
{
	drop_sobjs(sobj_on_slot_any, 0);
	free(sobjs);
	sobjs = NULL;
}
