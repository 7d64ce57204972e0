/* fn._packed: fn.packedtext's Packed in C, a large ASCII text held as LZ4 blocks.
 *
 * Read like a str, as far as the function reads its input: len, an index, a slice (step
 * 1), find/rfind/count (start and end as str takes them), startswith, ``in``; and block(i),
 * block i's characters as a str (the compiled reader, fn._yamlwalk, reads those). Blocks
 * are decompressed straight into a new str, and the last few kept; a line-break count of
 * every block is made on the first count("\n") (results' line numbers).
 *
 * LZ4 is the one the lz4 package's extension carries, found there with dlsym (use_lz4):
 * nothing to link, no header to build with. Everything else a str has, it has not: a use
 * nobody thought of fails loudly (AttributeError, ValueError), it cannot go wrong quietly.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <dlfcn.h>
#include <string.h>
#include <structmember.h>

static int (*lz4_decompress)(const char *src, char *dst, int src_size, int capacity);

#define KEEP 4  /* blocks kept decompressed: the one read now and those read just before */

typedef struct {
    PyObject_HEAD
    PyObject *blocks;           /* list of bytes, each a block's LZ4 (no size stored) */
    Py_ssize_t length, size;    /* characters; characters a block (the last: the rest) */
    Py_ssize_t held_at[KEEP];   /* which block each slot holds (-1: none) */
    PyObject *held[KEEP];       /* its characters (an ASCII str) */
    int last, next;             /* the slot read last; the slot the next block takes */
    Py_ssize_t *lines;          /* line breaks before each block, and in all: or NULL */
} Packed;

static PyTypeObject PackedType;

/* Block i's characters (borrowed: valid until KEEP other blocks are read), or NULL. */
static PyObject *block(Packed *p, Py_ssize_t i) {
    if (p->held_at[p->last] == i)
        return p->held[p->last];
    for (int k = 0; k < KEEP; k++)
        if (p->held_at[k] == i) {
            p->last = k;
            return p->held[k];
        }
    Py_ssize_t n = PyList_GET_SIZE(p->blocks);
    if (i < 0 || i >= n) {
        PyErr_SetString(PyExc_IndexError, "no such block");
        return NULL;
    }
    PyObject *src = PyList_GET_ITEM(p->blocks, i);
    Py_ssize_t want = i == n - 1 ? p->length - i * p->size : p->size;
    if (!PyBytes_Check(src) || want < 0 || want > p->size || PyBytes_GET_SIZE(src) > INT_MAX) {
        PyErr_SetString(PyExc_ValueError, "a Packed block is not LZ4 of its size");
        return NULL;
    }
    PyObject *s = PyUnicode_New(want, 127);
    if (s == NULL)
        return NULL;
    int got = lz4_decompress(PyBytes_AS_STRING(src), (char *)PyUnicode_1BYTE_DATA(s),
                             (int)PyBytes_GET_SIZE(src), (int)want);
    const unsigned char *c = PyUnicode_1BYTE_DATA(s);
    unsigned char high = 0;  /* (a str made with maxchar 127 must hold ASCII only) */
    for (Py_ssize_t j = 0; j < want; j++)  /* (one pass the compiler vectorizes) */
        high |= c[j];
    if (got != want || high >= 0x80) {
        Py_DECREF(s);
        PyErr_SetString(PyExc_ValueError, "a Packed block is not LZ4 of ASCII text");
        return NULL;
    }
    int k = p->next;
    p->next = (k + 1) % KEEP;
    Py_XSETREF(p->held[k], s);
    p->held_at[k] = i;
    p->last = k;
    return s;
}

/* Characters a..b (0 <= a <= b <= length) as a new str. */
static PyObject *span(Packed *p, Py_ssize_t a, Py_ssize_t b) {
    if (b <= a)
        return PyUnicode_New(0, 0);
    Py_ssize_t i = a / p->size, j = (b - 1) / p->size;
    if (i == j) {
        PyObject *blk = block(p, i);
        return blk == NULL ? NULL : PyUnicode_Substring(blk, a - i * p->size, b - i * p->size);
    }
    PyObject *out = PyUnicode_New(b - a, 127);
    if (out == NULL)
        return NULL;
    unsigned char *to = PyUnicode_1BYTE_DATA(out);
    for (Py_ssize_t at = a; at < b;) {
        Py_ssize_t k = at / p->size, off = at - k * p->size;
        PyObject *blk = block(p, k);
        if (blk == NULL) {
            Py_DECREF(out);
            return NULL;
        }
        Py_ssize_t n = PyUnicode_GET_LENGTH(blk) - off;
        if (n > b - at)
            n = b - at;
        memcpy(to + (at - a), PyUnicode_1BYTE_DATA(blk) + off, (size_t)n);
        at += n;
    }
    return out;
}

/* ---- construction ------------------------------------------------------------------ */

static PyObject *packed_new(PyTypeObject *type, PyObject *args, PyObject *kw) {
    static char *names[] = {"blocks", "length", "size", NULL};
    PyObject *blocks;
    Py_ssize_t length, size = 1 << 16;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "O!n|n:Packed", names, &PyList_Type, &blocks,
                                     &length, &size))
        return NULL;
    if (lz4_decompress == NULL)
        return PyErr_Format(PyExc_RuntimeError, "fn._packed.use_lz4() was not called");
    if (size < 1 || size > INT_MAX || length < 0
            || PyList_GET_SIZE(blocks) != (length + size - 1) / size)
        return PyErr_Format(PyExc_ValueError, "Packed: %zd blocks cannot hold %zd characters "
                            "of blocks of %zd", PyList_GET_SIZE(blocks), length, size);
    Packed *p = (Packed *)type->tp_alloc(type, 0);
    if (p == NULL)
        return NULL;
    p->blocks = Py_NewRef(blocks);
    p->length = length;
    p->size = size;
    for (int k = 0; k < KEEP; k++)
        p->held_at[k] = -1;
    return (PyObject *)p;
}

static void packed_dealloc(Packed *p) {
    Py_XDECREF(p->blocks);
    for (int k = 0; k < KEEP; k++)
        Py_XDECREF(p->held[k]);
    PyMem_Free(p->lines);
    Py_TYPE(p)->tp_free((PyObject *)p);
}

static PyObject *packed_repr(Packed *p) {
    return PyUnicode_FromFormat("<Packed: %zd characters in %zd blocks>", p->length,
                                PyList_GET_SIZE(p->blocks));
}

/* ---- as a sequence ------------------------------------------------------------------ */

static Py_ssize_t packed_len(Packed *p) {
    return p->length;
}

static PyObject *packed_subscript(Packed *p, PyObject *key) {
    if (PySlice_Check(key)) {
        Py_ssize_t a, b, step;
        if (PySlice_Unpack(key, &a, &b, &step) < 0)
            return NULL;
        PySlice_AdjustIndices(p->length, &a, &b, step);
        if (step != 1)
            return PyErr_Format(PyExc_ValueError, "a Packed text is sliced with step 1 only");
        return span(p, a, b);
    }
    Py_ssize_t i = PyNumber_AsSsize_t(key, PyExc_IndexError);
    if (i == -1 && PyErr_Occurred())
        return NULL;
    if (i < 0)
        i += p->length;
    if (i < 0 || i >= p->length)
        return PyErr_Format(PyExc_IndexError, "Packed index out of range");
    PyObject *blk = block(p, i / p->size);
    return blk == NULL ? NULL : PyUnicode_Substring(blk, i % p->size, i % p->size + 1);
}

/* ---- searching ---------------------------------------------------------------------- */

/* find/rfind/count's arguments: sub (a str, not empty), and start/end as str takes them,
   made a..b within the text. 0, or -1 with the exception set. */
static int search_args(Packed *p, PyObject *const *args, Py_ssize_t n, const char *name,
                       PyObject **sub, Py_ssize_t *a, Py_ssize_t *b) {
    if (n < 1 || n > 3 || !PyUnicode_Check(args[0])) {
        PyErr_Format(PyExc_TypeError, "%s(sub: str, start=None, end=None)", name);
        return -1;
    }
    if (PyUnicode_GET_LENGTH(args[0]) == 0) {
        PyErr_SetString(PyExc_ValueError, "a Packed text is not searched for an empty string");
        return -1;
    }
    *sub = args[0];
    *a = 0;
    *b = p->length;
    Py_ssize_t *at[2] = {a, b};
    for (Py_ssize_t k = 1; k < n; k++) {
        if (args[k] == Py_None)
            continue;
        *at[k - 1] = PyNumber_AsSsize_t(args[k], NULL);  /* (clamped, as str does) */
        if (*at[k - 1] == -1 && PyErr_Occurred())
            return -1;
    }
    PySlice_AdjustIndices(p->length, a, b, 1);
    return 0;
}

/* The first (last, when ``back``) of the ASCII character c in a..b: -1 when none, -2 on
   an error. */
static Py_ssize_t find_char(Packed *p, int c, Py_ssize_t a, Py_ssize_t b, int back) {
    while (a < b) {
        Py_ssize_t i = (back ? b - 1 : a) / p->size, base = i * p->size;
        PyObject *blk = block(p, i);
        if (blk == NULL)
            return -2;
        const unsigned char *d = PyUnicode_1BYTE_DATA(blk);
        Py_ssize_t lo = a > base ? a - base : 0, hi = b - base;
        if (hi > PyUnicode_GET_LENGTH(blk))
            hi = PyUnicode_GET_LENGTH(blk);
        const unsigned char *f = hi <= lo ? NULL : back ? memrchr(d + lo, c, (size_t)(hi - lo))
                                                        : memchr(d + lo, c, (size_t)(hi - lo));
        if (f != NULL)
            return base + (f - d);
        if (back)
            b = base;
        else
            a = base + p->size;
    }
    return -1;
}

static PyObject *search(Packed *p, PyObject *const *args, Py_ssize_t n, int back,
                        const char *name) {
    PyObject *sub;
    Py_ssize_t a, b;
    if (search_args(p, args, n, name, &sub, &a, &b) < 0)
        return NULL;
    if (!PyUnicode_IS_ASCII(sub))
        return PyLong_FromLong(-1);  /* (the text is ASCII) */
    if (PyUnicode_GET_LENGTH(sub) == 1) {
        Py_ssize_t k = find_char(p, PyUnicode_1BYTE_DATA(sub)[0], a, b, back);
        return k == -2 ? NULL : PyLong_FromSsize_t(k);
    }
    PyObject *s = span(p, a, b);  /* (longer words: not what the function looks for) */
    if (s == NULL)
        return NULL;
    Py_ssize_t k = PyUnicode_Find(s, sub, 0, PyUnicode_GET_LENGTH(s), back ? -1 : 1);
    Py_DECREF(s);
    return k == -2 ? NULL : PyLong_FromSsize_t(k < 0 ? -1 : a + k);
}

static PyObject *packed_find(Packed *p, PyObject *const *args, Py_ssize_t n) {
    return search(p, args, n, 0, "find");
}

static PyObject *packed_rfind(Packed *p, PyObject *const *args, Py_ssize_t n) {
    return search(p, args, n, 1, "rfind");
}

static Py_ssize_t count_in(Packed *p, Py_ssize_t i, int c, Py_ssize_t lo, Py_ssize_t hi) {
    PyObject *blk = block(p, i);
    if (blk == NULL)
        return -1;
    const unsigned char *d = PyUnicode_1BYTE_DATA(blk);
    if (hi > PyUnicode_GET_LENGTH(blk))
        hi = PyUnicode_GET_LENGTH(blk);
    Py_ssize_t k = 0;
    for (Py_ssize_t j = lo; j < hi; j++)
        k += d[j] == c;
    return k;
}

/* Line breaks before each block (the last entry: in all), counted once. */
static int count_lines(Packed *p) {
    Py_ssize_t n = PyList_GET_SIZE(p->blocks);
    Py_ssize_t *lines = PyMem_New(Py_ssize_t, n + 1);
    if (lines == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    lines[0] = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        Py_ssize_t k = count_in(p, i, '\n', 0, p->size);
        if (k < 0) {
            PyMem_Free(lines);
            return -1;
        }
        lines[i + 1] = lines[i] + k;
    }
    p->lines = lines;
    return 0;
}

static PyObject *packed_count(Packed *p, PyObject *const *args, Py_ssize_t n) {
    PyObject *sub;
    Py_ssize_t a, b;
    if (search_args(p, args, n, "count", &sub, &a, &b) < 0)
        return NULL;
    if (!PyUnicode_IS_ASCII(sub) || b <= a)
        return PyLong_FromLong(0);
    if (PyUnicode_GET_LENGTH(sub) > 1 || PyUnicode_1BYTE_DATA(sub)[0] != '\n') {
        PyObject *s = span(p, a, b);
        Py_ssize_t k = s == NULL ? -1 : PyUnicode_Count(s, sub, 0, PyUnicode_GET_LENGTH(s));
        Py_XDECREF(s);
        return k < 0 ? NULL : PyLong_FromSsize_t(k);
    }
    if (p->lines == NULL && count_lines(p) < 0)
        return NULL;
    Py_ssize_t i = a / p->size, j = b / p->size, size = p->size, k;
    if (i == j) {
        k = count_in(p, i, '\n', a - i * size, b - i * size);
    } else {
        Py_ssize_t head = count_in(p, i, '\n', a - i * size, size);
        Py_ssize_t tail = b > j * size ? count_in(p, j, '\n', 0, b - j * size) : 0;
        k = head < 0 || tail < 0 ? -1 : head + p->lines[j] - p->lines[i + 1] + tail;
    }
    return k < 0 ? NULL : PyLong_FromSsize_t(k);
}

static PyObject *packed_startswith(Packed *p, PyObject *const *args, Py_ssize_t n) {
    if (n < 1 || n > 2 || !PyUnicode_Check(args[0]))
        return PyErr_Format(PyExc_TypeError, "startswith(prefix: str, start=0)");
    Py_ssize_t a = 0, b;
    if (n == 2 && (a = PyNumber_AsSsize_t(args[1], NULL)) == -1 && PyErr_Occurred())
        return NULL;
    b = a + PyUnicode_GET_LENGTH(args[0]);  /* self[a:a + len(prefix)] == prefix */
    PySlice_AdjustIndices(p->length, &a, &b, 1);
    PyObject *s = span(p, a, b);
    if (s == NULL)
        return NULL;
    int same = PyUnicode_Compare(s, args[0]) == 0;
    Py_DECREF(s);
    return PyBool_FromLong(same);
}

static int packed_contains(Packed *p, PyObject *sub) {
    PyObject *k = search(p, &sub, 1, 0, "__contains__");
    if (k == NULL)
        return -1;
    int found = PyLong_AsSsize_t(k) >= 0;
    Py_DECREF(k);
    return found;
}

static PyObject *packed_block(Packed *p, PyObject *arg) {
    Py_ssize_t i = PyNumber_AsSsize_t(arg, PyExc_IndexError);
    if (i == -1 && PyErr_Occurred())
        return NULL;
    return Py_XNewRef(block(p, i));
}

static PyObject *packed_isascii(Packed *p, PyObject *unused) {
    Py_RETURN_TRUE;
}

static PyMethodDef packed_methods[] = {
    {"find", (PyCFunction)(void (*)(void))packed_find, METH_FASTCALL,
     "find(sub, start=None, end=None) -> as str.find"},
    {"rfind", (PyCFunction)(void (*)(void))packed_rfind, METH_FASTCALL,
     "rfind(sub, start=None, end=None) -> as str.rfind"},
    {"count", (PyCFunction)(void (*)(void))packed_count, METH_FASTCALL,
     "count(sub, start=None, end=None) -> as str.count"},
    {"startswith", (PyCFunction)(void (*)(void))packed_startswith, METH_FASTCALL,
     "startswith(prefix, start=0) -> as str.startswith"},
    {"block", (PyCFunction)packed_block, METH_O, "block(i) -> block i's characters (a str)"},
    {"isascii", (PyCFunction)packed_isascii, METH_NOARGS, "isascii() -> True"},
    {NULL, NULL, 0, NULL},
};

static PyMemberDef packed_members[] = {
    {"blocks", T_OBJECT, offsetof(Packed, blocks), READONLY, "the LZ4 blocks"},
    {"length", T_PYSSIZET, offsetof(Packed, length), READONLY, "characters"},
    {"size", T_PYSSIZET, offsetof(Packed, size), READONLY, "characters a block"},
    {NULL, 0, 0, 0, NULL},
};

static PySequenceMethods packed_as_sequence = {
    .sq_length = (lenfunc)packed_len,
    .sq_contains = (objobjproc)packed_contains,
};

static PyMappingMethods packed_as_mapping = {
    .mp_length = (lenfunc)packed_len,
    .mp_subscript = (binaryfunc)packed_subscript,
};

static PyTypeObject PackedType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "fn._packed.Packed",
    .tp_basicsize = sizeof(Packed),
    .tp_dealloc = (destructor)packed_dealloc,
    .tp_repr = (reprfunc)packed_repr,
    .tp_as_sequence = &packed_as_sequence,
    .tp_as_mapping = &packed_as_mapping,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "Packed(blocks, length, size=65536): an ASCII text as LZ4 blocks, read like a str",
    .tp_methods = packed_methods,
    .tp_members = packed_members,
    .tp_new = packed_new,
};

/* use_lz4(path): LZ4_decompress_safe from the extension at ``path`` (lz4.block._block) */
static PyObject *use_lz4(PyObject *self, PyObject *path) {
    const char *p = PyUnicode_AsUTF8(path);
    if (p == NULL)
        return NULL;
    void *h = dlopen(p, RTLD_NOW | RTLD_LOCAL);
    void *f = h == NULL ? NULL : dlsym(h, "LZ4_decompress_safe");
    if (f == NULL)
        return PyErr_Format(PyExc_ImportError, "no LZ4_decompress_safe in %s", p);
    lz4_decompress = (int (*)(const char *, char *, int, int))f;
    Py_RETURN_NONE;
}

static PyMethodDef methods[] = {
    {"use_lz4", (PyCFunction)use_lz4, METH_O,
     "use_lz4(path) -> None: LZ4 from the lz4 package's extension at path"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "fn._packed",
    "fn.packedtext's Packed in C: a large ASCII text as LZ4 blocks, read like a str", -1,
    methods,
};

PyMODINIT_FUNC PyInit__packed(void) {
    if (PyType_Ready(&PackedType) < 0)
        return NULL;
    PyObject *m = PyModule_Create(&module);
    if (m != NULL && PyModule_AddObjectRef(m, "Packed", (PyObject *)&PackedType) < 0)
        Py_CLEAR(m);
    return m;
}
