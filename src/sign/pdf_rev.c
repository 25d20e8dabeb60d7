#include "pdf_rev.h"

void
rev_clear(struct rev *v)
{
	size_t i;

	for (i = 0; i < v->nu; i++) {
		pdf_obj_free(v->u[i].obj);
		buf_free(v->u[i].data);
	}
	v->nu = 0;
}

static int
put(struct rev *v, int64_t num, struct pdf_obj *obj, struct buf *data)
{
	size_t i;

	for (i = 0; i < v->nu; i++) {
		if (v->u[i].num == num) {
			pdf_obj_free(v->u[i].obj);
			buf_free(v->u[i].data);
			v->u[i].obj = obj;
			v->u[i].data = data;
			return 0;
		}
	}
	if (v->nu == REV_MAX) {
		pdf_obj_free(obj);
		buf_free(data);
		return KYSO_ERR_INTERNAL;
	}
	v->u[v->nu].num = num;
	v->u[v->nu].gen = pdf_gen(v->pdf, num);
	v->u[v->nu].obj = obj;
	v->u[v->nu].data = data;
	v->nu++;
	return 0;
}

int
rev_put(struct rev *v, int64_t num, struct pdf_obj *obj)
{
	return put(v, num, obj, NULL);
}

int
rev_put_stream(struct rev *v, int64_t num, struct pdf_obj *dict,
    struct buf *data)
{
	int r;

	if (dict == NULL || data == NULL) {
		pdf_obj_free(dict);
		buf_free(data);
		return KYSO_ERR_NOMEM;
	}
	if ((r = pdf_dict_set(dict, "Length", pdf_int_new((int64_t)buf_len(data)))) != 0) {
		pdf_obj_free(dict);
		buf_free(data);
		return r;
	}
	return put(v, num, dict, data);
}
