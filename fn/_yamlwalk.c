/* fn._yamlwalk: fn.yamlread's reader (_Reader) in C, over libyaml's event parser.
 *
 * The same walk, step for step, as the Python reader in fn/yamlread.py (which stays, and
 * is used where this extension is not built): the read policy decides what becomes a node
 * (fn.nodes classes, built here); everything else is walked past inside libyaml's loop
 * without creating a Python object. tests/test_yamlwalk.py holds the two to the same
 * trees, refusals and errors.
 *
 * libyaml is the one PyYAML's C extension (yaml._yaml) carries, found there with dlsym
 * when configured: so this walk reads with the very parser the Python reader reads with
 * (PyYAML's wheels build their own libyaml, newer than Debian's: a nesting limit, for
 * one), and needs no libyaml of its own at run time, only yaml.h to build. Text with no
 * character libyaml's reader refuses (nearly every input) is handed to its scanner in
 * place (read_in_place): the reader would only have copied it, one character at a time;
 * non-ASCII text, whose str is not UTF-8, goes as UTF-8 a window at a time (window_fill),
 * never copied whole; so does a large input held packed (fn.packedtext.Packed: ASCII LZ4
 * blocks, each had from Python as a str while it is read: held_at).
 *
 * The rare cases call back into Python (fn.yamlread): explicit tags (tag_problem), the
 * text before a tagged or anchored scalar (past_properties), refusals (make_refused) and
 * libyaml's errors (make_error, the exceptions PyYAML's CParser raises).
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <dlfcn.h>
#include <errno.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <structmember.h>
#include <yaml.h>

#define MAX_DEPTH 200
#define MAX_REFUSED 10
#define MAX_EXPANSION 1000000

enum { K_SCALAR, K_MAPPING, K_SEQUENCE };

static struct {
    PyObject *Scalar, *Mapping, *Sequence, *Skipped;
    PyObject *ALL, *STR, *NULLTAG, *QUESTION;
    PyObject *NeedsAll, *TooDeep;
    PyObject *tag_problem, *make_refused, *past_properties, *make_error;
    PyObject *styles[6]; /* "", "'", '"', "|", ">", and "" for any other */
    PyObject *s_end, *s_tag, *s_start, *s_style, *s_value;
    PyObject *s_brackets, *s_then, *s_merge, *s_block, *s_size;
    PyObject *py_get;  /* fn.nodes.Mapping.get in Python: what a "<<" merge key needs */
    PyObject *resolved;  /* fn.nodes._RESOLVED: tags of plain values resolved so far */
    char maybe_not_str[128];  /* first characters of a plain scalar that may not be a string */
    int ready;
} H;

/* libyaml's functions, from PyYAML's extension */
static struct {
    int (*initialize)(yaml_parser_t *);
    void (*delete)(yaml_parser_t *);
    void (*set_input_string)(yaml_parser_t *, const unsigned char *, size_t);
    void (*set_input)(yaml_parser_t *, yaml_read_handler_t *, void *);
    int (*parse)(yaml_parser_t *, yaml_event_t *);
    void (*event_delete)(yaml_event_t *);
    void (*version)(int *, int *, int *);
} Y;

/* A block of a packed text (fn.packedtext.Packed: ASCII, in blocks of ``size``
   characters) held while it is read */
typedef struct {
    PyObject *packed;    /* the Packed (borrowed), or NULL: the text is a str */
    Py_ssize_t size;     /* characters a block */
    PyObject *chars;     /* block ``index``'s characters (an ASCII str), or NULL */
    Py_ssize_t index;
} Held;

/* A str, or a Packed, given to libyaml as UTF-8 a window at a time (window_fill), not
   copied whole */
typedef struct {
    int kind;  /* the str's, or 0: packed (held) */
    int failed;  /* a block could not be had: the exception is set */
    Held held;
    const void *data;
    Py_ssize_t len, at;  /* its characters; those given to libyaml so far */
    unsigned char *buf;  /* the window (NULL: not read so), cap bytes and WINDOW_ROOM */
    Py_ssize_t cap;
} Source;

typedef struct {
    union {  /* room to spare, should another 0.2.x parser be larger than yaml.h says */
        yaml_parser_t parser;
        char room[2 * sizeof(yaml_parser_t)];
    };
    PyObject *text, *lines, *anchors, *sizes, *refused;
    PyObject *partial;  /* anchored collections kept in part (their policy): a set */
    PyObject *aliases;  /* None, or a list: (kept node, start, end, in a skipped part)
                           of each alias to a kept node */
    Py_ssize_t count, limit, last, text_len, lines_len;
    Source src;
    Held held;  /* a packed text's block, for after() and the "-" of a sequence */
} Walk;

/* The characters of a packed text from ``pos`` (< its length) to its block's end: *n of
   them. NULL, with the exception set, when the block cannot be had. */
static const unsigned char *held_at(Held *h, Py_ssize_t pos, Py_ssize_t *n) {
    Py_ssize_t i = pos / h->size;
    if (h->chars == NULL || h->index != i) {
        PyObject *index = PyLong_FromSsize_t(i);
        PyObject *b = index ? PyObject_CallMethodOneArg(h->packed, H.s_block, index) : NULL;
        Py_XDECREF(index);
        if (b != NULL && !(PyUnicode_Check(b) && PyUnicode_IS_ASCII(b))) {
            Py_DECREF(b);
            b = NULL;
            PyErr_SetString(PyExc_TypeError, "Packed.block() must give an ASCII str");
        }
        if (b == NULL)
            return NULL;
        Py_XSETREF(h->chars, b);
        h->index = i;
    }
    Py_ssize_t off = pos - i * h->size;
    if (off >= PyUnicode_GET_LENGTH(h->chars)) {
        PyErr_SetString(PyExc_IndexError, "Packed block shorter than its size");
        return NULL;
    }
    *n = PyUnicode_GET_LENGTH(h->chars) - off;
    return PyUnicode_1BYTE_DATA(h->chars) + off;
}

/* The character at ``pos`` (< the text's length) of the lines (the text with LF for
   every line break: the same characters but those), or -1 with the exception set. */
static int char_at(Walk *w, Py_ssize_t pos) {
    if (w->held.packed == NULL)
        return (int)PyUnicode_READ_CHAR(w->lines, pos);
    Py_ssize_t n;
    const unsigned char *p = held_at(&w->held, pos, &n);
    return p == NULL ? -1 : *p;
}

/* The first LF of the lines from ``pos``: -1 when none, -2 with the exception set. */
static Py_ssize_t find_lf(Walk *w, Py_ssize_t pos) {
    if (w->held.packed == NULL)
        return PyUnicode_FindChar(w->lines, '\n', pos, w->lines_len, 1);
    for (Py_ssize_t n; pos < w->lines_len; pos += n) {  /* a packed text: block by block */
        const unsigned char *p = held_at(&w->held, pos, &n);
        if (p == NULL)
            return -2;
        if (n > w->lines_len - pos)
            n = w->lines_len - pos;
        const unsigned char *nl = memchr(p, '\n', (size_t)n);
        if (nl != NULL)
            return pos + (nl - p);
    }
    return -1;
}

/* ---- small helpers ------------------------------------------------------------------ */

/* A scalar's text as a str. Short ASCII texts repeat (keys, "name", "true", a pull
   secret's name): each is made once and shared (str is immutable), from a small table
   whose slot a newer text takes over. Saves making, and later freeing, most strings. */
#define SHARED_SLOTS 4096
#define SHARED_MAX 40
static PyObject *shared[SHARED_SLOTS];

static PyObject *text_of(const yaml_char_t *s, size_t n) {
    if (n > SHARED_MAX)
        return PyUnicode_DecodeUTF8((const char *)s, (Py_ssize_t)n, "strict");
    uint32_t h = 2166136261u;  /* FNV-1a */
    for (size_t i = 0; i < n; i++) {
        if (s[i] >= 128)
            return PyUnicode_DecodeUTF8((const char *)s, (Py_ssize_t)n, "strict");
        h = (h ^ s[i]) * 16777619u;
    }
    PyObject **slot = &shared[h & (SHARED_SLOTS - 1)];
    if (*slot != NULL && PyUnicode_GET_LENGTH(*slot) == (Py_ssize_t)n
            && memcmp(PyUnicode_DATA(*slot), s, n) == 0)
        return Py_NewRef(*slot);
    PyObject *v = PyUnicode_DecodeUTF8((const char *)s, (Py_ssize_t)n, "strict");
    if (v != NULL)  /* (ASCII: one byte a character, as compared above) */
        Py_XSETREF(*slot, Py_NewRef(v));
    return v;
}

static PyObject *str_of(const yaml_char_t *s) {
    return PyUnicode_DecodeUTF8((const char *)s, (Py_ssize_t)strlen((const char *)s), "strict");
}

static PyObject *call(PyObject *f, PyObject *const *args, size_t n) {
    return PyObject_Vectorcall(f, args, n, NULL);
}

static void window_fill(yaml_parser_t *p, Source *s);

static int next(Walk *w, yaml_event_t *e) {
    if (w->src.buf != NULL)
        window_fill(&w->parser, &w->src);
    if (!w->src.failed && Y.parse(&w->parser, e))
        return 0;
    if (w->src.failed)  /* a packed block could not be had (libyaml's error is not it) */
        return -1;
    yaml_parser_t *p = &w->parser;
    PyObject *exc;
    if (p->error == YAML_MEMORY_ERROR) {
        PyErr_NoMemory();
        return -1;
    }
    PyObject *a[11];
    a[0] = PyLong_FromLong((long)p->error);
    a[1] = p->problem ? PyUnicode_FromString(p->problem) : (Py_INCREF(Py_None), Py_None);
    a[2] = PyLong_FromSize_t(p->problem_mark.index);
    a[3] = PyLong_FromSize_t(p->problem_mark.line);
    a[4] = PyLong_FromSize_t(p->problem_mark.column);
    a[5] = p->context ? PyUnicode_FromString(p->context) : (Py_INCREF(Py_None), Py_None);
    a[6] = PyLong_FromSize_t(p->context_mark.index);
    a[7] = PyLong_FromSize_t(p->context_mark.line);
    a[8] = PyLong_FromSize_t(p->context_mark.column);
    a[9] = PyLong_FromSize_t(p->problem_offset);
    a[10] = PyLong_FromLong((long)p->problem_value);
    int ok = 1;
    for (int i = 0; i < 11; i++)
        ok = ok && a[i] != NULL;
    exc = ok ? call(H.make_error, a, 11) : NULL;
    for (int i = 0; i < 11; i++)
        Py_XDECREF(a[i]);
    if (exc != NULL) {
        PyErr_SetObject((PyObject *)Py_TYPE(exc), exc);
        Py_DECREF(exc);
    }
    return -1;
}

static int is_all(PyObject *policy) {
    if (policy == H.ALL)
        return 1;
    if (!PyUnicode_Check(policy))
        return 0;
    return PyUnicode_Compare(policy, H.ALL) == 0;
}

/* ---- the nodes' layouts -------------------------------------------------------------- */

/* fn.nodes' classes are Python subclasses of these (adding methods, no slots): offsets
   are C integers, not int objects (two a node, 32 bytes each in Python), and a Scalar
   holds its three texts beside them. The walk makes nodes as their __init__ would. */
typedef struct {
    PyObject_HEAD
    Py_ssize_t start, end;
} NodeObject;

typedef struct {
    NodeObject node;
    PyObject *style, *value, *tag;  /* tag: None until resolved (fn.nodes.Scalar.tag) */
} ScalarObject;

typedef struct {  /* a Mapping (items: its pairs) or a Sequence (items: its entries) */
    NodeObject node;
    Py_ssize_t indent;
    PyObject *items, *tag;
    char flow;
} CollectionObject;

#define NODE(o) ((NodeObject *)(o))
#define SCALAR(o) ((ScalarObject *)(o))
#define COLLECTION(o) ((CollectionObject *)(o))

/* (Its fields hold texts, but a Python subclass is collected all the same: it says what
   it holds, as the collections do.) */
static int scalar_traverse(PyObject *self, visitproc visit, void *arg) {
    Py_VISIT(SCALAR(self)->style);
    Py_VISIT(SCALAR(self)->value);
    Py_VISIT(SCALAR(self)->tag);
    return 0;
}

static int scalar_clear(PyObject *self) {
    Py_CLEAR(SCALAR(self)->style);
    Py_CLEAR(SCALAR(self)->value);
    Py_CLEAR(SCALAR(self)->tag);
    return 0;
}

static void scalar_dealloc(PyObject *self) {
    PyObject_GC_UnTrack(self);
    scalar_clear(self);
    Py_TYPE(self)->tp_free(self);
}

static int collection_traverse(PyObject *self, visitproc visit, void *arg) {
    Py_VISIT(COLLECTION(self)->items);
    Py_VISIT(COLLECTION(self)->tag);
    return 0;
}

static int collection_clear(PyObject *self) {
    Py_CLEAR(COLLECTION(self)->items);
    Py_CLEAR(COLLECTION(self)->tag);
    return 0;
}

static void collection_dealloc(PyObject *self) {
    PyObject_GC_UnTrack(self);
    collection_clear(self);
    Py_TYPE(self)->tp_free(self);
}

static PyMemberDef node_members[] = {
    {"start", T_PYSSIZET, offsetof(NodeObject, start), 0, "offset of its first character"},
    {"end", T_PYSSIZET, offsetof(NodeObject, end), 0, "offset after it"},
    {NULL}};

static PyMemberDef scalar_members[] = {
    {"style", T_OBJECT_EX, offsetof(ScalarObject, style), 0, NULL},
    {"value", T_OBJECT_EX, offsetof(ScalarObject, value), 0, NULL},
    {"_tag", T_OBJECT, offsetof(ScalarObject, tag), 0, NULL},
    {NULL}};

#define COLLECTION_MEMBERS(items_name) {                                                 \
    {"indent", T_PYSSIZET, offsetof(CollectionObject, indent), 0, NULL},                 \
    {items_name, T_OBJECT_EX, offsetof(CollectionObject, items), 0, NULL},               \
    {"tag", T_OBJECT, offsetof(CollectionObject, tag), 0, NULL},                         \
    {"flow", T_BOOL, offsetof(CollectionObject, flow), 0, NULL},                         \
    {NULL}}

static PyMemberDef mapping_members[] = COLLECTION_MEMBERS("pairs");
static PyMemberDef sequence_members[] = COLLECTION_MEMBERS("entries");

static PyTypeObject NodeType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "fn._yamlwalk.Node",
    .tp_basicsize = sizeof(NodeObject),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE,
    .tp_doc = "fn.nodes.Node's layout: start and end",
    .tp_members = node_members,
    .tp_new = PyType_GenericNew,
};

static PyTypeObject ScalarType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "fn._yamlwalk.Scalar",
    .tp_basicsize = sizeof(ScalarObject),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE | Py_TPFLAGS_HAVE_GC,
    .tp_doc = "fn.nodes.Scalar's layout",
    .tp_members = scalar_members,
    .tp_dealloc = scalar_dealloc,
    .tp_traverse = scalar_traverse,
    .tp_clear = scalar_clear,
    .tp_base = &NodeType,
    .tp_new = PyType_GenericNew,
};

#define COLLECTION_TYPE(name, members) {                                                \
    PyVarObject_HEAD_INIT(NULL, 0)                                                       \
    .tp_name = "fn._yamlwalk." name,                                                     \
    .tp_basicsize = sizeof(CollectionObject),                                            \
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE | Py_TPFLAGS_HAVE_GC,           \
    .tp_doc = "fn.nodes." name "'s layout",                                              \
    .tp_members = members,                                                               \
    .tp_dealloc = collection_dealloc,                                                    \
    .tp_traverse = collection_traverse,                                                  \
    .tp_clear = collection_clear,                                                        \
    .tp_base = &NodeType,                                                                \
    .tp_new = PyType_GenericNew}

static PyTypeObject MappingType = COLLECTION_TYPE("Mapping", mapping_members);
static PyTypeObject SequenceType = COLLECTION_TYPE("Sequence", sequence_members);

static PyObject *alloc(PyObject *cls) {
    PyTypeObject *t = (PyTypeObject *)cls;
    return t->tp_alloc(t, 0);
}

static PyObject *new_scalar(Py_ssize_t start, Py_ssize_t end, PyObject *style,
                            PyObject *value, PyObject *tag) {
    PyObject *node = alloc(H.Scalar);
    if (node == NULL)
        return NULL;
    NODE(node)->start = start;
    NODE(node)->end = end;
    SCALAR(node)->style = Py_NewRef(style);
    SCALAR(node)->value = Py_NewRef(value);
    SCALAR(node)->tag = Py_NewRef(tag);
    return node;
}

static PyObject *new_skipped(Py_ssize_t start, Py_ssize_t end) {
    PyObject *node = alloc(H.Skipped);
    if (node != NULL) {
        NODE(node)->start = start;
        NODE(node)->end = end;
    }
    return node;
}

/* A Mapping or Sequence: start, end = start, indent, flow, [], tag None */
static PyObject *new_collection(PyObject *cls, yaml_mark_t mark, int flow) {
    PyObject *items = PyList_New(0);
    PyObject *node = items ? alloc(cls) : NULL;
    if (node == NULL) {
        Py_XDECREF(items);
        return NULL;
    }
    NODE(node)->start = NODE(node)->end = (Py_ssize_t)mark.index;
    COLLECTION(node)->indent = (Py_ssize_t)mark.column;
    COLLECTION(node)->flow = (char)(flow != 0);
    COLLECTION(node)->items = items;
    COLLECTION(node)->tag = Py_NewRef(Py_None);
    return node;
}

static Py_ssize_t get_int(PyObject *obj, PyObject *name) {
    PyObject *o = PyObject_GetAttr(obj, name);
    if (o == NULL)
        return -1;
    Py_ssize_t v = PyLong_AsSsize_t(o);
    Py_DECREF(o);
    return v;
}

/* What a refusal holds: a Refused (YAMLError) with the event's start mark. */
static PyObject *refusal(const char *problem, yaml_mark_t mark) {
    PyObject *a[4] = {PyUnicode_FromString(problem), PyLong_FromSize_t(mark.index),
                      PyLong_FromSize_t(mark.line), PyLong_FromSize_t(mark.column)};
    PyObject *r = (a[0] && a[1] && a[2] && a[3]) ? call(H.make_refused, a, 4) : NULL;
    for (int i = 0; i < 4; i++)
        Py_XDECREF(a[i]);
    return r;
}

/* Collect a refusal (the first MAX_REFUSED); 0, or -1 on a Python error. */
static int refuse(Walk *w, const char *problem, yaml_mark_t mark) {
    if (PyList_GET_SIZE(w->refused) >= MAX_REFUSED)
        return 0;
    PyObject *r = refusal(problem, mark);
    if (r == NULL)
        return -1;
    int rc = PyList_Append(w->refused, r);
    Py_DECREF(r);
    return rc;
}

static int raise_refused(const char *problem, yaml_mark_t mark) {
    PyObject *r = refusal(problem, mark);
    if (r != NULL) {
        PyErr_SetObject((PyObject *)Py_TYPE(r), r);
        Py_DECREF(r);
    }
    return -1;
}

static int check_tag(Walk *w, int kind, const yaml_event_t *e, const yaml_char_t *tag) {
    PyObject *k = PyLong_FromLong(kind), *t = str_of(tag), *v;
    if (kind == K_SCALAR)
        v = PyUnicode_DecodeUTF8((const char *)e->data.scalar.value,
                                 (Py_ssize_t)e->data.scalar.length, "strict");
    else
        v = (Py_INCREF(Py_None), Py_None);
    PyObject *problem = NULL;
    if (k && t && v) {
        PyObject *a[3] = {k, t, v};
        problem = call(H.tag_problem, a, 3);
    }
    Py_XDECREF(k);
    Py_XDECREF(t);
    Py_XDECREF(v);
    if (problem == NULL)
        return -1;
    int rc = 0;
    if (problem != Py_None) {
        const char *msg = PyUnicode_AsUTF8(problem);
        rc = msg == NULL ? -1 : refuse(w, msg, e->start_mark);
    }
    Py_DECREF(problem);
    return rc;
}

/* An alias: its anchor complete, the expansion bounded. 1 when accepted, 0 refused, -1. */
static int alias(Walk *w, PyObject *anchor, yaml_mark_t mark) {
    PyObject *size = PyDict_GetItemWithError(w->sizes, anchor);
    if (size == NULL) {
        if (PyErr_Occurred())
            return -1;
        return raise_refused("found an alias to an undefined anchor", mark);
    }
    if (size == Py_None)
        return raise_refused("found a recursive alias", mark);
    if (w->count <= w->limit) {
        w->count += PyLong_AsSsize_t(size);
        if (w->count > w->limit) {
            char msg[96];
            snprintf(msg, sizeof msg, "aliases that expand to more than %d,%03d,%03d nodes "
                     "(a YAML bomb?)", MAX_EXPANSION / 1000000, MAX_EXPANSION / 1000 % 1000,
                     MAX_EXPANSION % 1000);
            return refuse(w, msg, mark) < 0 ? -1 : 0;
        }
    }
    return 1;
}

static int set_size(Walk *w, PyObject *anchor, Py_ssize_t size) {
    PyObject *v = size < 0 ? (Py_INCREF(Py_None), Py_None) : PyLong_FromSsize_t(size);
    if (v == NULL)
        return -1;
    int rc = PyDict_SetItem(w->sizes, anchor, v);
    Py_DECREF(v);
    return rc;
}

/* An anchor (re)defined in a skipped part: no kept node goes by its name any more. */
static int forget(Walk *w, PyObject *anchor) {
    int has = PyDict_Contains(w->anchors, anchor);
    return has <= 0 ? has : PyDict_DelItem(w->anchors, anchor);
}

/* The start of the line after ``pos`` (where new block content goes). */
static Py_ssize_t after(Walk *w, Py_ssize_t pos) {
    if (pos > 0 && pos <= w->lines_len) {
        int c = char_at(w, pos - 1);
        if (c < 0)
            return -1;
        if (c == '\n')
            return pos;
    }
    if (pos >= w->lines_len)
        return w->lines_len;
    Py_ssize_t nl = find_lf(w, pos);
    if (nl == -2)
        return -1;
    return nl < 0 ? w->lines_len : nl + 1;
}

/* An alias to a kept node, noted (with ``aliases``): (node, start, end, skipped), for the
   editor to keep what the alias stood for should the node be changed. 0, or -1. */
static int note_alias(Walk *w, PyObject *found, yaml_event_t *e, int skipped) {
    if (w->aliases == Py_None)
        return 0;
    PyObject *t = Py_BuildValue("(OnnO)", found, (Py_ssize_t)e->start_mark.index,
                                (Py_ssize_t)e->end_mark.index, skipped ? Py_True : Py_False);
    int rc = t == NULL ? -1 : PyList_Append(w->aliases, t);
    Py_XDECREF(t);
    return rc;
}

/* An alias in a skipped part: noted when it repeats a kept node. 0, or -1. */
static int skipped_alias(Walk *w, PyObject *anchor, yaml_event_t *e) {
    if (w->aliases == Py_None)
        return 0;
    PyObject *found = PyDict_GetItemWithError(w->anchors, anchor);
    if (found == NULL)
        return PyErr_Occurred() ? -1 : 0;
    return note_alias(w, found, e, 1);
}

/* ---- the walk ------------------------------------------------------------------------ */

static PyObject *node(Walk *w, yaml_event_t *e, PyObject *policy, int depth);

/* Walk past one node (checked as ``node`` would check it); its last leaf's end, or -1. */
static Py_ssize_t skip(Walk *w, yaml_event_t *first) {
    /* (flow, anchor, count before) of the collections open */
    struct open { int flow; PyObject *anchor; Py_ssize_t before; } stack[MAX_DEPTH + 2];
    int depth = 0;
    Py_ssize_t last = (Py_ssize_t)first->end_mark.index;
    yaml_event_t cur, *e = first;
    int own = 0, failed = 0;
    for (;;) {
        switch (e->type) {
        case YAML_ALIAS_EVENT: {
            PyObject *a = str_of(e->data.alias.anchor);
            int ok = a == NULL ? -1 : alias(w, a, e->start_mark);
            failed = ok < 0 || (ok == 1 && skipped_alias(w, a, e) < 0);
            Py_XDECREF(a);
            last = (Py_ssize_t)e->end_mark.index;
            break;
        }
        case YAML_SCALAR_EVENT:
        case YAML_MAPPING_START_EVENT:
        case YAML_SEQUENCE_START_EVENT: {
            int kind = e->type == YAML_SCALAR_EVENT ? K_SCALAR
                       : e->type == YAML_MAPPING_START_EVENT ? K_MAPPING : K_SEQUENCE;
            const yaml_char_t *tag = kind == K_SCALAR ? e->data.scalar.tag
                                     : kind == K_MAPPING ? e->data.mapping_start.tag
                                     : e->data.sequence_start.tag;
            const yaml_char_t *anchor = kind == K_SCALAR ? e->data.scalar.anchor
                                        : kind == K_MAPPING ? e->data.mapping_start.anchor
                                        : e->data.sequence_start.anchor;
            if (tag != NULL && check_tag(w, kind, e, tag) < 0) {
                failed = 1;
                break;
            }
            PyObject *a = NULL;
            if (anchor != NULL && (a = str_of(anchor)) == NULL) {
                failed = 1;
                break;
            }
            if (a != NULL && forget(w, a) < 0) {  /* (re)defined here, skipped */
                Py_DECREF(a);
                failed = 1;
                break;
            }
            if (kind == K_SCALAR) {
                if (a != NULL && set_size(w, a, 1) < 0)
                    failed = 1;
                Py_XDECREF(a);
                last = (Py_ssize_t)e->end_mark.index;
            } else {
                if (a != NULL && set_size(w, a, -1) < 0)
                    failed = 1;
                if (depth >= MAX_DEPTH) {
                    Py_XDECREF(a);
                    if (!failed)
                        PyErr_SetString(H.TooDeep, "document nested too deeply");
                    failed = 1;
                    break;
                }
                int flow = kind == K_MAPPING
                           ? e->data.mapping_start.style == YAML_FLOW_MAPPING_STYLE
                           : e->data.sequence_start.style == YAML_FLOW_SEQUENCE_STYLE;
                stack[depth].flow = flow;
                stack[depth].anchor = a;  /* owned */
                stack[depth].before = w->count;
                depth++;
            }
            w->count++;
            break;
        }
        default: { /* an end event */
            depth--;
            if (stack[depth].flow)
                last = (Py_ssize_t)e->end_mark.index;
            if (stack[depth].anchor != NULL) {
                if (set_size(w, stack[depth].anchor, w->count - stack[depth].before) < 0)
                    failed = 1;
                Py_DECREF(stack[depth].anchor);
            }
            break;
        }
        }
        if (own)
            Y.event_delete(&cur);
        own = 0;
        if (failed || depth == 0)
            break;
        if (next(w, &cur) < 0) {
            failed = 1;
            break;
        }
        own = 1;
        e = &cur;
    }
    while (depth > 0) {
        depth--;
        Py_XDECREF(stack[depth].anchor);
    }
    if (failed)
        return -1;
    w->last = last;
    return last;
}

static PyObject *mapping(Walk *w, yaml_event_t *e, PyObject *policy, int depth);
static PyObject *sequence(Walk *w, yaml_event_t *e, PyObject *policy, int depth);

static PyObject *scalar(Walk *w, yaml_event_t *e, int anchored) {
    const yaml_char_t *t = e->data.scalar.tag;
    PyObject *value = text_of(e->data.scalar.value, e->data.scalar.length);
    if (value == NULL)
        return NULL;
    PyObject *tag;
    if (t != NULL && strcmp((const char *)t, "!") != 0)
        tag = str_of(t);
    else if (!e->data.scalar.plain_implicit)
        tag = (Py_INCREF(H.STR), H.STR);  /* quoted */
    else if (e->data.scalar.length > 0 && (e->data.scalar.value[0] >= 128
                                           || !H.maybe_not_str[e->data.scalar.value[0]]))
        tag = (Py_INCREF(H.STR), H.STR);  /* resolved now, as fn.nodes.resolve would */
    else if ((tag = PyDict_GetItemWithError(H.resolved, value)) != NULL)
        Py_INCREF(tag);  /* "name", "true", "80": resolved before, by fn.nodes.resolve */
    else if (!PyErr_Occurred())
        tag = (Py_INCREF(Py_None), Py_None);  /* resolved when asked (fn.nodes.Scalar.tag) */
    if (tag == NULL) {
        Py_DECREF(value);
        return NULL;
    }
    Py_ssize_t start = (Py_ssize_t)e->start_mark.index, end = (Py_ssize_t)e->end_mark.index;
    if (anchored || t != NULL) {
        PyObject *a[3] = {w->text, PyLong_FromSsize_t(start), PyLong_FromSsize_t(end)};
        PyObject *p = (a[1] && a[2]) ? call(H.past_properties, a, 3) : NULL;
        Py_XDECREF(a[1]);
        Py_XDECREF(a[2]);
        start = p == NULL ? -1 : PyLong_AsSsize_t(p);
        Py_XDECREF(p);
        if (start < 0) {
            Py_DECREF(tag);
            Py_DECREF(value);
            return NULL;
        }
    }
    int s = e->data.scalar.style;
    PyObject *style = H.styles[s == YAML_PLAIN_SCALAR_STYLE ? 0
                               : s == YAML_SINGLE_QUOTED_SCALAR_STYLE ? 1
                               : s == YAML_DOUBLE_QUOTED_SCALAR_STYLE ? 2
                               : s == YAML_LITERAL_SCALAR_STYLE ? 3
                               : s == YAML_FOLDED_SCALAR_STYLE ? 4 : 5];
    PyObject *n = new_scalar(start, end, style, value, tag);
    Py_DECREF(value);
    Py_DECREF(tag);
    w->last = end;
    return n;
}

static PyObject *node(Walk *w, yaml_event_t *e, PyObject *policy, int depth) {
    if (depth > MAX_DEPTH) {
        PyErr_SetString(H.TooDeep, "document nested too deeply");
        return NULL;
    }
    if (e->type == YAML_ALIAS_EVENT) {
        w->last = (Py_ssize_t)e->end_mark.index;
        PyObject *a = str_of(e->data.alias.anchor);
        if (a == NULL)
            return NULL;
        PyObject *found = PyDict_GetItemWithError(w->anchors, a);
        Py_XINCREF(found);
        int ok = PyErr_Occurred() ? -1 : alias(w, a, e->start_mark);
        int partial = ok == 1 ? PySet_Contains(w->partial, a) : 0;
        Py_DECREF(a);
        if (partial < 0)
            ok = -1;
        if (ok < 0) {
            Py_XDECREF(found);
            return NULL;
        }
        if (found != NULL && !(ok == 1 && partial)) {
            if (note_alias(w, found, e, 0) < 0)
                Py_CLEAR(found);
            return found;
        }
        Py_XDECREF(found);
        if (ok == 1) {  /* skipped there, or kept in part: what is wanted here may not be */
            PyErr_SetNone(H.NeedsAll);
            return NULL;
        }
        return new_scalar((Py_ssize_t)e->start_mark.index, (Py_ssize_t)e->end_mark.index,
                          H.styles[0], H.styles[0], H.NULLTAG);
    }
    int kind = e->type == YAML_SCALAR_EVENT ? K_SCALAR
               : e->type == YAML_MAPPING_START_EVENT ? K_MAPPING : K_SEQUENCE;
    const yaml_char_t *tag = kind == K_SCALAR ? e->data.scalar.tag
                             : kind == K_MAPPING ? e->data.mapping_start.tag
                             : e->data.sequence_start.tag;
    const yaml_char_t *anchor = kind == K_SCALAR ? e->data.scalar.anchor
                                : kind == K_MAPPING ? e->data.mapping_start.anchor
                                : e->data.sequence_start.anchor;
    if (tag != NULL && check_tag(w, kind, e, tag) < 0)
        return NULL;
    PyObject *a = NULL;
    Py_ssize_t before = 0;
    if (anchor != NULL) {
        a = str_of(anchor);
        if (a == NULL || set_size(w, a, -1) < 0) {
            Py_XDECREF(a);
            return NULL;
        }
        before = w->count;
    }
    w->count++;
    PyObject *n = kind == K_SCALAR ? scalar(w, e, a != NULL)
                  : kind == K_MAPPING ? mapping(w, e, policy, depth)
                  : sequence(w, e, policy, depth);
    if (a != NULL) {
        if (n != NULL && (PyDict_SetItem(w->anchors, a, n) < 0
                          || set_size(w, a, w->count - before) < 0
                          || (kind != K_SCALAR && !is_all(policy)
                              ? PySet_Add(w->partial, a) : PySet_Discard(w->partial, a)) < 0))
            Py_CLEAR(n);
        Py_DECREF(a);
    }
    return n;
}

/* The policy for a key's value (new reference, Py_None to skip), or NULL on error. */
static PyObject *sub_policy(PyObject *m, PyObject *policy, PyObject *pick, PyObject *name) {
    if (PyUnicode_Compare(name, H.s_merge) == 0) {  /* "<<": read like the mapping itself */
        if (pick != NULL)
            return Py_NewRef(H.ALL);
        PyObject *d = PyDict_Copy(policy);
        if (d != NULL && PyDict_SetItem(d, H.s_brackets, policy) < 0)
            Py_CLEAR(d);
        return d;
    }
    if (pick != NULL) {
        PyObject *a[2] = {m, name};
        return call(pick, a, 2);
    }
    PyObject *sub = PyDict_GetItemWithError(policy, name);
    if (sub == NULL)
        return PyErr_Occurred() ? NULL : Py_NewRef(Py_None);
    return Py_NewRef(sub);
}

/* A key's value, from its slot when it is a Scalar (borrowed; NULL: not a Scalar). */
static PyObject *key_value(PyObject *k) {
    return Py_TYPE(k) == (PyTypeObject *)H.Scalar ? SCALAR(k)->value : NULL;
}

/* A key given twice (same value, same tag) among the pairs kept so far: 1, 0, or -1.
   Values are compared first, from their slots; tags (fn.nodes.Scalar.tag, which may
   resolve) only for a key whose value is the same, which is rare. */
static int given_twice(PyObject *pairs, PyObject *name, PyObject *key) {
    Py_ssize_t n = PyList_GET_SIZE(pairs);
    PyObject *tag = NULL;
    int found = 0;
    for (Py_ssize_t i = 0; i < n && !found; i++) {
        PyObject *k = PyTuple_GET_ITEM(PyList_GET_ITEM(pairs, i), 0);
        PyObject *v = key_value(k);
        int same = v != NULL ? PyUnicode_Check(v) && PyUnicode_Compare(v, name) == 0
                             : -2;
        if (same == -2) {  /* not a Scalar: as Python reads it */
            PyObject *value = PyObject_GetAttr(k, H.s_value);
            same = value == NULL ? -1 : PyObject_RichCompareBool(value, name, Py_EQ);
            Py_XDECREF(value);
        }
        if (same == 1 && tag == NULL && (tag = PyObject_GetAttr(key, H.s_tag)) == NULL)
            same = -1;
        if (same == 1) {
            PyObject *t = PyObject_GetAttr(k, H.s_tag);
            same = t == NULL ? -1 : PyObject_RichCompareBool(t, tag, Py_EQ);
            Py_XDECREF(t);
        }
        if (same < 0)
            found = -1;
        else if (same)
            found = 1;
    }
    Py_XDECREF(tag);
    return found;
}

/* A complex key ("? [a]" or an alias): read whole, kept only for its span. */
static PyObject *complex_key(Walk *w, yaml_event_t *k, int depth) {
    int is_alias = k->type == YAML_ALIAS_EVENT;
    Py_ssize_t astart = (Py_ssize_t)k->start_mark.index, aend = (Py_ssize_t)k->end_mark.index;
    PyObject *inner = node(w, k, H.ALL, depth + 1);
    if (inner == NULL)
        return NULL;
    PyObject *key = NULL;
    int sc = PyObject_IsInstance(inner, H.Scalar);
    if (sc < 0) {
        ;
    } else if (is_alias && sc) {  /* "*x : v": a copy of the scalar, where the alias is */
        PyObject *style = PyObject_GetAttr(inner, H.s_style);
        PyObject *value = style ? PyObject_GetAttr(inner, H.s_value) : NULL;
        PyObject *tag = value ? PyObject_GetAttr(inner, H.s_tag) : NULL;
        if (tag != NULL)
            key = new_scalar(astart, aend, style, value, tag);
        Py_XDECREF(style);
        Py_XDECREF(value);
        Py_XDECREF(tag);
    } else {
        Py_ssize_t s = get_int(inner, H.s_start), e = s < 0 ? -1 : get_int(inner, H.s_end);
        if (e >= 0)
            key = new_scalar(s, e, H.styles[0], H.styles[0], H.QUESTION);
    }
    Py_DECREF(inner);
    return key;
}

static int mapping_pair(Walk *w, PyObject *m, PyObject *pairs, yaml_event_t *k,
                        PyObject *policy, PyObject *pick, int keep_all, int depth,
                        Py_ssize_t *last) {
    int simple = k->type == YAML_SCALAR_EVENT;
    PyObject *name = NULL, *key = NULL, *sub = NULL, *value = NULL;
    yaml_event_t v;
    int have_v = 0, rc = -1;
    if (simple) {
        name = text_of(k->data.scalar.value, k->data.scalar.length);
        if (name == NULL)
            return -1;
    } else if ((key = complex_key(w, k, depth)) == NULL) {
        return -1;
    }
    if (next(w, &v) < 0)
        goto done;
    have_v = 1;
    if (keep_all)
        sub = Py_NewRef(H.ALL);
    else if (!simple || policy == Py_None)
        sub = Py_NewRef(Py_None);
    else if ((sub = sub_policy(m, policy, pick, name)) == NULL)
        goto done;
    if (sub == Py_None) {
        if (key == NULL && skip(w, k) < 0)
            goto done;
        if ((*last = skip(w, &v)) < 0)
            goto done;
        rc = 0;
        goto done;
    }
    if (key == NULL) {
        if ((key = node(w, k, H.ALL, depth + 1)) == NULL)
            goto done;
        int twice = given_twice(pairs, name, key);
        if (twice < 0 || (twice && refuse(w, "a mapping key given twice", /* fn.yamlrules.GIVEN_TWICE */
                                   k->start_mark) < 0))
            goto done;
    }
    if ((value = node(w, &v, sub, depth + 1)) == NULL)
        goto done;
    PyObject *pair = PyTuple_Pack(2, key, value);
    if (pair == NULL || PyList_Append(pairs, pair) < 0) {
        Py_XDECREF(pair);
        goto done;
    }
    Py_DECREF(pair);
    *last = w->last;
    rc = 0;
done:
    if (have_v)
        Y.event_delete(&v);
    Py_XDECREF(name);
    Py_XDECREF(key);
    Py_XDECREF(sub);
    Py_XDECREF(value);
    return rc;
}

/* A collection's end: after its bracket (flow), or the start of the line after its
   last content (block: where a new last key or entry goes). */
static int close_node(Walk *w, PyObject *node, int flow, const yaml_event_t *end,
                      Py_ssize_t last) {
    Py_ssize_t at = flow ? (Py_ssize_t)end->end_mark.index : after(w, last);
    if (at < 0)
        return -1;
    NODE(node)->end = at;
    if (flow)
        w->last = at;
    return 0;
}

static PyObject *mapping(Walk *w, yaml_event_t *e, PyObject *policy, int depth) {
    int flow = e->data.mapping_start.style == YAML_FLOW_MAPPING_STYLE;
    const yaml_char_t *tag = e->data.mapping_start.tag;
    PyObject *m = new_collection(H.Mapping, e->start_mark, flow);
    if (m == NULL)
        return NULL;
    PyObject *pairs = Py_NewRef(COLLECTION(m)->items);
    if (tag != NULL && strcmp((const char *)tag, "!") != 0
            && strcmp((const char *)tag, "tag:yaml.org,2002:map") != 0) {
        PyObject *t = str_of(tag);
        if (t == NULL)
            goto fail;
        Py_SETREF(COLLECTION(m)->tag, t);
    }
    int keep_all = is_all(policy);
    PyObject *pick = PyCallable_Check(policy) && !PyDict_Check(policy) ? policy : NULL;
    if (!keep_all && pick == NULL && policy != Py_None && !PyDict_Check(policy)) {
        PyErr_SetString(PyExc_TypeError, "a read policy is ALL, a dict, a callable or None");
        goto fail;
    }
    if (!flow && (e->data.mapping_start.anchor != NULL || tag != NULL))
        COLLECTION(m)->indent = (Py_ssize_t)e->end_mark.column;
    Py_ssize_t last = (Py_ssize_t)e->start_mark.index;
    for (;;) {
        yaml_event_t k;
        if (next(w, &k) < 0)
            goto fail;
        if (k.type == YAML_MAPPING_END_EVENT) {
            int rc = close_node(w, m, flow, &k, last);
            Y.event_delete(&k);
            if (rc < 0)
                goto fail;
            Py_DECREF(pairs);
            return m;
        }
        int rc = mapping_pair(w, m, pairs, &k, policy, pick, keep_all, depth, &last);
        Y.event_delete(&k);
        if (rc < 0)
            goto fail;
    }
fail:
    Py_XDECREF(pairs);
    Py_DECREF(m);
    return NULL;
}

static PyObject *sequence(Walk *w, yaml_event_t *e, PyObject *policy, int depth) {
    int flow = e->data.sequence_start.style == YAML_FLOW_SEQUENCE_STYLE;
    const yaml_char_t *tag = e->data.sequence_start.tag;
    PyObject *s = new_collection(H.Sequence, e->start_mark, flow);
    if (s == NULL)
        return NULL;
    PyObject *entries = Py_NewRef(COLLECTION(s)->items);
    PyObject *sub = NULL, *then = NULL;
    if (tag != NULL && strcmp((const char *)tag, "!") != 0
            && strcmp((const char *)tag, "tag:yaml.org,2002:seq") != 0) {
        PyObject *t = str_of(tag);
        if (t == NULL)
            goto fail;
        Py_SETREF(COLLECTION(s)->tag, t);
    }
    if (is_all(policy)) {
        sub = Py_NewRef(H.ALL);
    } else if (PyDict_Check(policy)) {
        sub = PyDict_GetItemWithError(policy, H.s_brackets);
        then = PyDict_GetItemWithError(policy, H.s_then);
        if (PyErr_Occurred())
            goto fail;
        Py_XINCREF(sub);
        Py_XINCREF(then);
        if (sub == Py_None)
            Py_CLEAR(sub);
    }
    if (!flow && (e->data.sequence_start.anchor != NULL || tag != NULL)) {
        /* its indentation is its first "-"'s column: where libyaml's token ends (or one
           before, when the token ends after the "-") */
        Py_ssize_t at = (Py_ssize_t)e->end_mark.index, col = (Py_ssize_t)e->end_mark.column;
        int c = at < w->text_len ? char_at(w, at) : 0;
        if (c < 0)
            goto fail;
        COLLECTION(s)->indent = col - (c != '-');
    }
    Py_ssize_t last = (Py_ssize_t)e->start_mark.index;
    for (;;) {
        yaml_event_t v;
        if (next(w, &v) < 0)
            goto fail;
        if (v.type == YAML_SEQUENCE_END_EVENT) {
            int rc = close_node(w, s, flow, &v, last);
            Y.event_delete(&v);
            if (rc < 0)
                goto fail;
            Py_DECREF(entries);
            Py_XDECREF(sub);
            Py_XDECREF(then);
            return s;
        }
        PyObject *entry;
        if (sub == NULL) {
            Py_ssize_t start = (Py_ssize_t)v.start_mark.index;
            last = skip(w, &v);
            entry = last >= 0 ? new_skipped(start, last) : NULL;
        } else {
            entry = node(w, &v, sub, depth + 1);
            last = w->last;
            if (entry != NULL && then != NULL && then != Py_None) {
                PyObject *kept = call(then, &entry, 1);
                Py_DECREF(entry);
                entry = kept;
            }
        }
        Y.event_delete(&v);
        if (entry == NULL)
            goto fail;
        int rc = PyList_Append(entries, entry);
        Py_DECREF(entry);
        if (rc < 0)
            goto fail;
    }
fail:
    Py_XDECREF(entries);
    Py_XDECREF(sub);
    Py_XDECREF(then);
    Py_DECREF(s);
    return NULL;
}

static PyObject *documents(Walk *w, PyObject *policy) {
    PyObject *docs = PyList_New(0);
    yaml_event_t e;
    if (docs == NULL || next(w, &e) < 0)  /* the stream's start */
        goto fail;
    Y.event_delete(&e);
    for (;;) {
        if (next(w, &e) < 0)
            goto fail;
        if (e.type == YAML_STREAM_END_EVENT) {
            Y.event_delete(&e);
            return docs;
        }
        Py_ssize_t start = (Py_ssize_t)e.start_mark.index;
        Y.event_delete(&e);
        if (next(w, &e) < 0)
            goto fail;
        PyObject *root = node(w, &e, policy, 0);
        Y.event_delete(&e);
        if (root == NULL)
            goto fail;
        if (next(w, &e) < 0) {
            Py_DECREF(root);
            goto fail;
        }
        PyObject *doc = Py_BuildValue("(nnN)", start, (Py_ssize_t)e.end_mark.index, root);
        Y.event_delete(&e);
        if (doc == NULL || PyList_Append(docs, doc) < 0) {
            Py_XDECREF(doc);
            goto fail;
        }
        Py_DECREF(doc);
        PyDict_Clear(w->anchors);
        PyDict_Clear(w->sizes);
        PySet_Clear(w->partial);
        w->count = 0;
    }
fail:
    Py_XDECREF(docs);
    return NULL;
}

/* Whether libyaml's reader would pass n ASCII bytes through unchanged: no control
   character but tab, line feed and carriage return (which it refuses, with its own error,
   when it reads them). One pass the compiler can vectorize. */
static int readable_as_is(const unsigned char *p, Py_ssize_t n) {
    unsigned char bad = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        unsigned char c = p[i];
        bad |= (unsigned char)(((c < 0x20) & (c != '\t') & (c != '\n') & (c != '\r'))
                               | (c == 0x7f));
    }
    return !bad;
}

/* The same for any str: every character one libyaml's reader lets through (YAML 1.1's
   printable set, as reader.c checks it), so its UTF-8 is what that reader would make;
   but not a leading byte order mark, which that reader drops without counting it. */
#define READABLE(c) ((c) == 0x09 || (c) == 0x0A || (c) == 0x0D || ((c) >= 0x20 && (c) <= 0x7E) \
                     || (c) == 0x85 || ((c) >= 0xA0 && (c) <= 0xD7FF)                       \
                     || ((c) >= 0xE000 && (c) <= 0xFFFD) || ((c) >= 0x10000 && (c) <= 0x10FFFF))
#define ALL_READABLE(type, data, n, ok)                                  \
    do {                                                                 \
        const type *d_ = (const type *)(data);                           \
        unsigned bad_ = 0;                                               \
        for (Py_ssize_t i_ = 0; i_ < (n); i_++) {                        \
            Py_UCS4 c_ = d_[i_];                                         \
            bad_ |= !READABLE(c_);                                       \
        }                                                                \
        (ok) = !bad_;                                                    \
    } while (0)

static int chars_readable(PyObject *text) {
    Py_ssize_t n = PyUnicode_GET_LENGTH(text);
    if (PyUnicode_IS_ASCII(text))
        return readable_as_is(PyUnicode_1BYTE_DATA(text), n);
    int kind = PyUnicode_KIND(text), ok = 0;
    const void *data = PyUnicode_DATA(text);
    if (PyUnicode_READ(kind, data, 0) == 0xFEFF)
        return 0;
    if (kind == PyUnicode_1BYTE_KIND)
        ALL_READABLE(Py_UCS1, data, n, ok);
    else if (kind == PyUnicode_2BYTE_KIND)
        ALL_READABLE(Py_UCS2, data, n, ok);
    else
        ALL_READABLE(Py_UCS4, data, n, ok);
    return ok;
}

/* Hands libyaml the text as its decoded buffer: ``size`` bytes of UTF-8 holding ``chars``
   characters (that chars_readable passed), which its reader would only have copied, one
   character at a time (UTF-8 in, UTF-8 out). The scanner reads nothing but the buffer's
   pointer and its count of unread characters, and stops at the NUL after the text (the
   str's or bytes' own, as libyaml puts one after its input); with eof set and no raw input
   left, the reader is never called. The text must outlive the walk, and libyaml's own
   buffer is put back before yaml_parser_delete frees it. */
static void read_in_place(yaml_parser_t *p, unsigned char *text, Py_ssize_t size,
                          Py_ssize_t chars) {
    p->encoding = YAML_UTF8_ENCODING;
    p->buffer.start = p->buffer.pointer = text;
    p->buffer.last = p->buffer.end = text + size + 1;  /* the NUL after the text, included */
    p->unread = (size_t)chars + 1;
    p->eof = 1;
    p->raw_buffer.last = p->raw_buffer.pointer;  /* (empty already) */
}

/* ---- a window at a time: non-ASCII text without a UTF-8 copy of all of it ---------- */

static Py_ssize_t window_size = 1 << 16;  /* bytes; tests make it small (window()) */
#define WINDOW_ROOM (1 << 15)  /* after the window: libyaml's reader decodes a raw chunk
                                  (16 KB, UTF-8 to UTF-8) there, should a token outrun it */

/* Characters from s->at as UTF-8 into ``out``, as many whole ones as ``room`` bytes hold
   (chars_readable passed them: no surrogate); *chars says how many. One loop a width of
   str, ASCII the short way. */
#define PUT_UTF8(type)                                                                \
    for (const type *d = (const type *)s->data; s->at < s->len; s->at++, k++) {       \
        Py_UCS4 c = d[s->at];                                                         \
        if (c < 0x80) {                                                               \
            if (n == room)                                                            \
                break;                                                                \
            out[n++] = (unsigned char)c;                                              \
            continue;                                                                 \
        }                                                                             \
        size_t width = c < 0x800 ? 2 : c < 0x10000 ? 3 : 4;                           \
        if (n + width > room)                                                         \
            break;                                                                    \
        for (size_t i = width - 1; i > 0; i--, c >>= 6)                               \
            out[n + i] = (unsigned char)(0x80 | (c & 0x3F));                          \
        out[n] = (unsigned char)((0xF00u >> width) | c);                              \
        n += width;                                                                   \
    }

static size_t put_utf8(Source *s, unsigned char *out, size_t room, size_t *chars) {
    size_t n = 0, k = 0;
    if (s->kind == 0) {  /* packed: ASCII, as it is */
        while (n < room && s->at < s->len && !s->failed) {
            Py_ssize_t have;
            const unsigned char *p = held_at(&s->held, s->at, &have);
            if (p == NULL) {
                s->failed = 1;
                break;
            }
            size_t m = (size_t)(have < s->len - s->at ? have : s->len - s->at);
            if (m > room - n)
                m = room - n;
            memcpy(out + n, p, m);
            n += m;
            s->at += (Py_ssize_t)m;
        }
        *chars = n;
        return n;
    }
    if (s->kind == PyUnicode_1BYTE_KIND)
        PUT_UTF8(Py_UCS1)
    else if (s->kind == PyUnicode_2BYTE_KIND)
        PUT_UTF8(Py_UCS2)
    else
        PUT_UTF8(Py_UCS4)
    *chars = k;
    return n;
}

/* libyaml's read handler (its reader's way in, when a token outruns the window): the
   next characters as UTF-8, at most a window of them, none at the end (libyaml then puts
   its NUL). It asks for its raw buffer's room, 16 KB, which a whole character always
   fits (a window is 8 bytes or more). */
static int read_on(void *data, unsigned char *buffer, size_t size, size_t *size_read) {
    Source *s = data;
    size_t chars;
    *size_read = put_utf8(s, buffer, size < (size_t)s->cap ? size : (size_t)s->cap, &chars);
    return !s->failed;
}

/* Before each event: with fewer than a quarter window of characters unread (and
   libyaml's raw input used up), the unread part moves to the window's start and the
   window fills up with the next characters; at the text's end, the NUL and eof, as
   read_in_place sets them. In between, libyaml reads what it holds, the way it reads
   read_in_place's buffer. */
static void window_fill(yaml_parser_t *p, Source *s) {
    if (p->eof || p->unread >= (size_t)(s->cap / 4)
            || p->raw_buffer.pointer != p->raw_buffer.last)
        return;
    size_t keep = (size_t)(p->buffer.last - p->buffer.pointer), chars;
    memmove(s->buf, p->buffer.pointer, keep);
    size_t n = put_utf8(s, s->buf + keep, (size_t)s->cap - keep, &chars);
    p->buffer.start = p->buffer.pointer = s->buf;
    p->buffer.last = s->buf + keep + n;
    p->buffer.end = s->buf + s->cap + WINDOW_ROOM;
    p->unread += chars;
    if (s->at == s->len) {
        *p->buffer.last++ = '\0';
        p->unread++;
        p->eof = 1;
    }
}

/* Sets libyaml to read ``text`` (chars_readable passed it, or a Packed: packable)
   through the window. */
static int read_by_window(yaml_parser_t *p, Source *s, PyObject *text, Py_ssize_t len,
                          const Held *packed) {
    if (packed->packed != NULL) {
        s->kind = 0;
        s->held.packed = packed->packed;
        s->held.size = packed->size;
    } else {
        s->kind = PyUnicode_KIND(text);
        s->data = PyUnicode_DATA(text);
    }
    s->len = len;
    s->at = 0;
    s->cap = window_size;
    s->buf = PyMem_Malloc((size_t)s->cap + WINDOW_ROOM + 1);
    if (s->buf == NULL)
        return -1;
    memset(s->buf, 'x', (size_t)s->cap + WINDOW_ROOM + 1);  /* never a NUL the scanner
                                  could stop at by chance: past the text, it must not read */
    Y.set_input(p, read_on, s);
    p->encoding = YAML_UTF8_ENCODING;
    p->buffer.pointer = p->buffer.last = s->buf;
    p->unread = 0;
    window_fill(p, s);
    return s->failed ? -1 : 0;
}

/* window(size) -> the window size before (bytes); for tests, which make it small. */
static PyObject *window(PyObject *self, PyObject *arg) {
    Py_ssize_t size = PyLong_AsSsize_t(arg), was = window_size;
    if (size == -1 && PyErr_Occurred())
        return NULL;
    if (size < 8 || size > (1 << 24))
        return PyErr_Format(PyExc_ValueError, "window size out of range: %zd", size);
    window_size = size;
    return PyLong_FromSsize_t(was);
}

/* walk(text, lines, policy, refused, aliases=None) -> [(start, end, root), ...] */
static PyObject *walk(PyObject *self, PyObject *const *args, Py_ssize_t n) {
    if (!H.ready) {
        PyErr_SetString(PyExc_RuntimeError, "fn._yamlwalk.configure() was not called");
        return NULL;
    }
    int packed = n >= 2 && !PyUnicode_Check(args[0]) && args[0] == args[1];
    if (n < 4 || n > 5 || (!packed && (!PyUnicode_Check(args[0]) || !PyUnicode_Check(args[1])))
            || !PyList_Check(args[3]) || (n == 5 && args[4] != Py_None
                                          && !PyList_Check(args[4]))) {
        PyErr_SetString(PyExc_TypeError, "walk(text: str, lines: str, policy, refused: list, "
                        "aliases: list | None = None); text and lines one Packed");
        return NULL;
    }
    Walk w;
    memset(&w, 0, sizeof w);
    w.text = args[0];
    w.lines = args[1];
    w.refused = args[3];
    w.aliases = n == 5 ? args[4] : Py_None;
    if (packed) {  /* fn.packedtext.Packed: packable (ASCII, no CR, readable as is) */
        PyObject *size = PyObject_GetAttr(w.text, H.s_size);
        w.held.size = size == NULL ? -1 : PyLong_AsSsize_t(size);
        Py_XDECREF(size);
        w.text_len = w.held.size > 0 ? PyObject_Length(w.text) : -1;
        if (w.text_len < 0) {
            if (!PyErr_Occurred())
                PyErr_SetString(PyExc_ValueError, "walk: a Packed text with no block size");
            return NULL;
        }
        w.held.packed = w.text;
        w.lines_len = w.text_len;
    } else {
        w.text_len = PyUnicode_GET_LENGTH(w.text);
        w.lines_len = PyUnicode_GET_LENGTH(w.lines);
    }
    w.limit = MAX_EXPANSION + 10 * w.text_len;
    PyObject *bytes = NULL, *docs = NULL;
    const char *buf = "";
    Py_ssize_t size = 0;
    int ascii = !packed && PyUnicode_IS_ASCII(w.text);
    int as_is = packed || chars_readable(w.text);
    if (ascii) {  /* its own bytes: no copy */
        buf = PyUnicode_AsUTF8AndSize(w.text, &size);
    } else if (!as_is) {  /* for libyaml's reader to judge: a UTF-8 copy, for the walk only
                             (not cached in the str) */
        bytes = PyUnicode_AsUTF8String(w.text);
        buf = bytes ? PyBytes_AS_STRING(bytes) : NULL;
        size = bytes ? PyBytes_GET_SIZE(bytes) : 0;
    }  /* else: read a window at a time */
    if (buf == NULL)
        return NULL;
    w.anchors = PyDict_New();
    w.sizes = PyDict_New();
    w.partial = PySet_New(NULL);
    if (w.anchors != NULL && w.sizes != NULL && w.partial != NULL) {
        if (!Y.initialize(&w.parser)) {
            PyErr_NoMemory();
        } else {
            yaml_parser_t kept = w.parser;  /* libyaml's own buffers, to free */
            if (ascii || !as_is)  /* no encoding given: libyaml finds UTF-8 and reads past
                                     a leading BOM, as when PyYAML's CParser gives it text */
                Y.set_input_string(&w.parser, (const unsigned char *)buf, (size_t)size);
            if (ascii && as_is)
                read_in_place(&w.parser, (unsigned char *)buf, size, w.text_len);
            int ready = ascii || !as_is ? 0 : read_by_window(&w.parser, &w.src, w.text,
                                                             w.text_len, &w.held);
            if (ready == 0)
                docs = documents(&w, args[2]);
            else if (!PyErr_Occurred())
                PyErr_NoMemory();
            w.parser.buffer = kept.buffer;
            Y.delete(&w.parser);
            PyMem_Free(w.src.buf);
        }
    }
    Py_XDECREF(w.held.chars);
    Py_XDECREF(w.src.held.chars);
    Py_XDECREF(w.anchors);
    Py_XDECREF(w.sizes);
    Py_XDECREF(w.partial);
    Py_XDECREF(bytes);
    return docs;
}

/* guarded(text) -> events libyaml gives, read in place, up to the stream's end or its
   first error (-1: it holds a character libyaml's reader refuses). Its UTF-8 is copied to
   end, NUL and all, right before a page nothing may read: should the scanner ever read
   past the NUL (which read_in_place lets it reach), the process crashes. For tests only. */
static PyObject *guarded(PyObject *self, PyObject *text) {
    if (!H.ready || !PyUnicode_Check(text) || !chars_readable(text))
        return PyLong_FromLong(-1);
    Py_ssize_t n, chars = PyUnicode_GET_LENGTH(text);
    const char *data = PyUnicode_AsUTF8AndSize(text, &n);
    if (data == NULL)
        return NULL;
    size_t page = (size_t)sysconf(_SC_PAGESIZE), span = ((size_t)n + page) / page * page;
    unsigned char *m = mmap(NULL, span + page, PROT_READ | PROT_WRITE,
                            MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED)
        return PyErr_SetFromErrno(PyExc_OSError);
    if (mprotect(m + span, page, PROT_NONE) != 0) {
        PyErr_SetFromErrno(PyExc_OSError);
        munmap(m, span + page);
        return NULL;
    }
    unsigned char *t = m + span - (size_t)n - 1;
    memcpy(t, data, (size_t)n);
    t[n] = 0;
    Walk w;
    memset(&w, 0, sizeof w);
    long events = 0;
    if (Y.initialize(&w.parser)) {
        Y.set_input_string(&w.parser, t, (size_t)n);
        yaml_parser_t kept = w.parser;
        read_in_place(&w.parser, t, n, chars);
        yaml_event_t e;
        for (int more = 1; more && Y.parse(&w.parser, &e); events++) {
            more = e.type != YAML_STREAM_END_EVENT;
            Y.event_delete(&e);
        }
        w.parser.buffer = kept.buffer;
        Y.delete(&w.parser);
    }
    munmap(m, span + page);
    return PyLong_FromLong(events);
}

/* libyaml's functions from the shared object at ``path`` (loaded already: PyYAML's). */
static int find_libyaml(const char *path) {
    void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (h == NULL) {
        PyErr_Format(PyExc_ImportError, "cannot open PyYAML's extension: %s", dlerror());
        return -1;
    }
    struct { void **slot; const char *name; } fns[] = {
        {(void **)&Y.initialize, "yaml_parser_initialize"},
        {(void **)&Y.delete, "yaml_parser_delete"},
        {(void **)&Y.set_input_string, "yaml_parser_set_input_string"},
        {(void **)&Y.set_input, "yaml_parser_set_input"},
        {(void **)&Y.parse, "yaml_parser_parse"},
        {(void **)&Y.event_delete, "yaml_event_delete"},
        {(void **)&Y.version, "yaml_get_version"}};
    for (size_t i = 0; i < sizeof fns / sizeof fns[0]; i++) {
        *fns[i].slot = dlsym(h, fns[i].name);
        if (*fns[i].slot == NULL) {
            PyErr_Format(PyExc_ImportError, "PyYAML's extension has no %s", fns[i].name);
            return -1;
        }
    }
    int major, minor, patch;
    Y.version(&major, &minor, &patch);
    if (major != 0 || minor != 2) {  /* the yaml.h this is built with: 0.2.x */
        PyErr_Format(PyExc_ImportError, "PyYAML's libyaml is %d.%d, not 0.2", major, minor);
        return -1;
    }
    return 0;
}

static PyObject *configure(PyObject *self, PyObject *args, PyObject *kw) {
    static char *names[] = {"libyaml", "maybe_not_str", "Scalar", "Mapping", "Sequence",
                            "Skipped", "ALL", "STR", "NULL", "NeedsAll", "TooDeep",
                            "tag_problem", "make_refused", "past_properties", "make_error",
                            "resolved", NULL};
    PyObject *o[14];
    const char *libyaml, *maybe;
    H.ready = 0;  /* until everything below succeeded */
    if (!PyArg_ParseTupleAndKeywords(args, kw, "ssOOOOOOOOOOOOOO!", names, &libyaml, &maybe,
                                     &o[0], &o[1], &o[2], &o[3], &o[4], &o[5], &o[6], &o[7],
                                     &o[8], &o[9], &o[10], &o[11], &o[12], &PyDict_Type, &o[13]))
        return NULL;
    if (find_libyaml(libyaml) < 0)
        return NULL;
    PyTypeObject *layouts[4] = {&ScalarType, &MappingType, &SequenceType, &NodeType};
    for (int i = 0; i < 4; i++)
        if (!PyType_Check(o[i]) || !PyType_IsSubtype((PyTypeObject *)o[i], layouts[i])) {
            PyErr_Format(PyExc_ImportError, "%R is not made on %s", o[i], layouts[i]->tp_name);
            return NULL;
        }
    memset(H.maybe_not_str, 0, sizeof H.maybe_not_str);
    for (const unsigned char *c = (const unsigned char *)maybe; *c; c++)
        if (*c < 128)
            H.maybe_not_str[*c] = 1;
    PyObject **slots[14] = {&H.Scalar, &H.Mapping, &H.Sequence, &H.Skipped, &H.ALL, &H.STR,
                            &H.NULLTAG, &H.NeedsAll, &H.TooDeep, &H.tag_problem,
                            &H.make_refused, &H.past_properties, &H.make_error, &H.resolved};
    for (int i = 0; i < 14; i++)
        Py_XSETREF(*slots[i], Py_NewRef(o[i]));
    const char *styles[6] = {"", "'", "\"", "|", ">", ""};
    for (int i = 0; i < 6; i++)
        if (H.styles[i] == NULL && (H.styles[i] = PyUnicode_InternFromString(styles[i])) == NULL)
            return NULL;
    struct { PyObject **slot; const char *s; } strs[] = {
        {&H.s_end, "end"}, {&H.s_tag, "tag"}, {&H.s_start, "start"},
        {&H.s_style, "style"}, {&H.s_value, "value"}, {&H.s_brackets, "[]"},
        {&H.s_then, "then"}, {&H.s_merge, "<<"}, {&H.s_block, "block"},
        {&H.s_size, "size"}, {&H.QUESTION, "?"}};
    for (size_t i = 0; i < sizeof strs / sizeof strs[0]; i++)
        if (*strs[i].slot == NULL
                && (*strs[i].slot = PyUnicode_InternFromString(strs[i].s)) == NULL)
            return NULL;
    H.ready = 1;
    Py_RETURN_NONE;
}

/* ---- read_text: the input, read once ---------------------------------------------- */

/* Whether n bytes are all ASCII (eight at a time). */
static int all_ascii(const unsigned char *p, Py_ssize_t n) {
    Py_ssize_t i = 0;
    uint64_t high = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t v;
        memcpy(&v, p + i, 8);
        high |= v;
    }
    for (; i < n; i++)
        high |= p[i];
    return (high & 0x8080808080808080ull) == 0;
}

static Py_ssize_t read_some(int fd, unsigned char *into, Py_ssize_t n) {
    for (;;) {
        Py_ssize_t got;
        Py_BEGIN_ALLOW_THREADS
        got = (Py_ssize_t)read(fd, into, (size_t)n);
        Py_END_ALLOW_THREADS
        if (got >= 0 || errno != EINTR)
            return got;
        if (PyErr_CheckSignals() < 0)
            return -2;
    }
}

/* A buffer of n bytes grown for more: twice as large, at most limit + 1. */
static Py_ssize_t grown(Py_ssize_t n, Py_ssize_t limit) {
    return n > limit / 2 ? limit + 1 : n * 2;
}

/* The input as bytes, ``n`` of them (1 or more) read already into ``head``: read on up to
   its end or limit + 1 bytes. (A new object of its own, which resizing needs: not the
   one-byte bytes PyBytes_FromStringAndSize shares.) */
static PyObject *read_bytes(int fd, const unsigned char *head, Py_ssize_t n,
                            Py_ssize_t limit) {
    PyObject *b = PyBytes_FromStringAndSize(NULL, n > limit ? n : grown(n, limit));
    if (b == NULL)
        return NULL;
    memcpy(PyBytes_AS_STRING(b), head, (size_t)n);
    while (n <= limit) {
        if (n == PyBytes_GET_SIZE(b) && _PyBytes_Resize(&b, grown(n, limit)) < 0)
            return NULL;  /* (b freed) */
        Py_ssize_t got = read_some(fd, (unsigned char *)PyBytes_AS_STRING(b) + n,
                                   PyBytes_GET_SIZE(b) - n);
        if (got < 0) {
            Py_DECREF(b);
            return got == -2 ? NULL : PyErr_SetFromErrno(PyExc_OSError);
        }
        if (got == 0)
            break;
        n += got;
    }
    return _PyBytes_Resize(&b, n) < 0 ? NULL : b;
}

/* read_text(fd, limit) -> str when what fd gives up to its end (at most limit bytes) is
   ASCII, read straight into the str: no bytes object beside it (which, decoded, doubles
   the input at its peak). Otherwise bytes, for Python to decode and report on (more than
   ``limit`` bytes: limit + 1 of them, to say it is too large). The fd is read from where
   it stands (a Python stream over it must not have read ahead). */
static PyObject *read_text(PyObject *self, PyObject *args) {
    int fd;
    Py_ssize_t limit;
    if (!PyArg_ParseTuple(args, "in", &fd, &limit))
        return NULL;
    if (limit < 0 || limit >= PY_SSIZE_T_MAX / 2)
        return PyErr_Format(PyExc_ValueError, "read_text: limit out of range");
    Py_ssize_t cap = 1 << 16, n = 0;
    struct stat st;
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size >= 0
            && st.st_size < PY_SSIZE_T_MAX / 2)
        cap = (Py_ssize_t)st.st_size + 1;  /* a file: its size, and one to see its end */
    if (cap > limit + 1)
        cap = limit + 1;
    PyObject *u = PyUnicode_New(cap, 127);
    if (u == NULL)
        return NULL;
    for (;;) {
        if (n == cap) {
            if (cap > limit)
                break;  /* limit + 1 bytes: too large (said by the caller) */
            cap = grown(cap, limit);
            if (PyUnicode_Resize(&u, cap) < 0) {
                Py_DECREF(u);  /* (left as it was) */
                return NULL;
            }
        }
        unsigned char *data = PyUnicode_1BYTE_DATA(u);
        Py_ssize_t got = read_some(fd, data + n, cap - n);
        if (got < 0) {
            Py_DECREF(u);
            return got == -2 ? NULL : PyErr_SetFromErrno(PyExc_OSError);
        }
        if (got == 0)
            break;
        if (!all_ascii(data + n, got)) {  /* read on as bytes, for Python to decode */
            PyObject *b = read_bytes(fd, data, n + got, limit);
            Py_DECREF(u);
            return b;
        }
        n += got;
    }
    if (PyUnicode_Resize(&u, n) < 0) {
        Py_DECREF(u);
        return NULL;
    }
    return u;
}

/* packable(data) -> whether bytes can go into a Packed (fn.packedtext): ASCII with no
   CR (a Packed is its own lines, as_lf) and readable as is (libyaml's reader, which
   would refuse a control character, does not read it). */
static PyObject *packable(PyObject *self, PyObject *arg) {
    Py_buffer b;
    if (PyObject_GetBuffer(arg, &b, PyBUF_SIMPLE) < 0)
        return NULL;
    const unsigned char *p = b.buf;
    unsigned char bad = 0;
    for (Py_ssize_t i = 0; i < b.len; i++)  /* (one pass the compiler vectorizes) */
        bad |= (unsigned char)((p[i] >= 0x7f) | ((p[i] < 0x20) & (p[i] != '\t')
                                                 & (p[i] != '\n')));
    PyBuffer_Release(&b);
    return PyBool_FromLong(!bad);
}

/* ---- plain: fn.nodes.plain in C ---------------------------------------------------- */

#define PLAIN_DEPTH 400  /* aliases can nest what MAX_DEPTH bounds (and fn.nodes.plain,
                            two Python frames a level, must reach it as well) */

static PyObject *plain_of(PyObject *node, Py_ssize_t *budget, int depth) {
    if (--*budget < 0 || depth > PLAIN_DEPTH) {
        PyErr_SetString(PyExc_ValueError, "too many nodes once aliases are expanded");
        return NULL;
    }
    PyTypeObject *t = Py_TYPE(node);
    if (t == (PyTypeObject *)H.Scalar) {
        PyObject *value = SCALAR(node)->value, *tag = SCALAR(node)->tag;
        if (value == NULL || (tag != NULL && tag != Py_None && !PyUnicode_Check(tag))) {
            PyErr_SetString(PyExc_ValueError, "a node not read whole");
            return NULL;
        }
        if (tag == NULL || tag == Py_None) {  /* resolved when asked (fn.nodes.Scalar.tag) */
            PyObject *resolved = PyObject_GetAttr(node, H.s_tag);
            if (resolved == NULL)
                return NULL;
            tag = resolved;
        } else {
            Py_INCREF(tag);
        }
        PyObject *out = NULL;
        if (!PyUnicode_Check(tag)) {
            Py_DECREF(tag);
            PyErr_SetString(PyExc_ValueError, "a node not read whole");
            return NULL;
        }
        int str = tag == H.STR || PyUnicode_Compare(tag, H.STR) == 0;
        if (!str && PyUnicode_Compare(tag, H.QUESTION) == 0)
            PyErr_SetString(PyExc_ValueError, "a complex key");
        else
            out = str ? Py_NewRef(value) : PyTuple_Pack(2, tag, value);
        Py_DECREF(tag);
        return out;
    }
    if (t == (PyTypeObject *)H.Skipped)
        return Py_NewRef(Py_Ellipsis);
    int is_seq = t == (PyTypeObject *)H.Sequence;
    if (!is_seq && t != (PyTypeObject *)H.Mapping) {
        PyErr_Format(PyExc_TypeError, "not a node: %R", node);
        return NULL;
    }
    PyObject *tag = COLLECTION(node)->tag, *items = COLLECTION(node)->items;
    if ((tag != NULL && tag != Py_None) || items == NULL
            || !(PyList_Check(items) || PyTuple_Check(items))) {  /* (a tuple once let go) */
        PyErr_SetString(PyExc_ValueError, "a tagged collection");
        return NULL;
    }
    Py_ssize_t n = PySequence_Fast_GET_SIZE(items);
    if (is_seq) {
        PyObject *out = PyList_New(n);
        for (Py_ssize_t i = 0; out != NULL && i < n; i++) {
            PyObject *e = plain_of(PySequence_Fast_GET_ITEM(items, i), budget, depth + 1);
            if (e == NULL)
                Py_CLEAR(out);
            else
                PyList_SET_ITEM(out, i, e);
        }
        return out;
    }
    PyObject *out = PyDict_New();
    for (Py_ssize_t i = 0; out != NULL && i < n; i++) {
        PyObject *pair = PySequence_Fast_GET_ITEM(items, i);
        if (!PyTuple_Check(pair) || PyTuple_GET_SIZE(pair) != 2) {
            PyErr_SetString(PyExc_ValueError, "a node not read whole");
            Py_CLEAR(out);
            break;
        }
        PyObject *k = plain_of(PyTuple_GET_ITEM(pair, 0), budget, depth + 1);
        PyObject *v = k ? plain_of(PyTuple_GET_ITEM(pair, 1), budget, depth + 1) : NULL;
        if (v == NULL || PyDict_SetItem(out, k, v) < 0)
            Py_CLEAR(out);
        Py_XDECREF(k);
        Py_XDECREF(v);
    }
    return out;
}

/* ---- Mapping.get: fn.nodes.Mapping.get in C ---------------------------------------- */

/* Whether a key Scalar names a string (quoted, or its tag is str: fn.nodes.Mapping.get):
   1, 0, or -1. */
static int names_string(PyObject *k) {
    PyObject *style = SCALAR(k)->style, *tag = SCALAR(k)->tag;
    if (style != NULL && PyUnicode_Check(style) && PyUnicode_GET_LENGTH(style) > 0)
        return 1;
    if (tag == H.STR)
        return 1;
    PyObject *resolved = PyObject_GetAttr(k, H.s_tag);  /* resolves a plain "80", "true" */
    if (resolved == NULL)
        return -1;
    int same = PyObject_RichCompareBool(resolved, H.STR, Py_EQ);
    Py_DECREF(resolved);
    return same;
}

/* m.get(key): the value of a string key (the last, if given twice), or what a "<<" merge
   key brings (then fn.nodes.Mapping.get in Python is asked), or None. */
static PyObject *mapping_get(PyObject *self, PyObject *const *args, Py_ssize_t n) {
    PyObject *pairs = Py_TYPE(self) == (PyTypeObject *)H.Mapping ? COLLECTION(self)->items
                                                                  : NULL;
    if (n != 1 || !PyUnicode_Check(args[0]) || pairs == NULL
            || !(PyList_Check(pairs) || PyTuple_Check(pairs)))  /* (a tuple once let go) */
        goto python;
    PyObject *key = args[0], *found = NULL;
    int merge = 0;
    for (Py_ssize_t i = 0; i < PySequence_Fast_GET_SIZE(pairs); i++) {
        PyObject *pair = PySequence_Fast_GET_ITEM(pairs, i);
        if (!PyTuple_Check(pair) || PyTuple_GET_SIZE(pair) != 2
                || Py_TYPE(PyTuple_GET_ITEM(pair, 0)) != (PyTypeObject *)H.Scalar)
            goto python;
        PyObject *k = PyTuple_GET_ITEM(pair, 0), *name = SCALAR(k)->value;
        if (name == NULL || !PyUnicode_Check(name))
            goto python;
        if (name == key || PyUnicode_Compare(name, key) == 0) {
            int str = names_string(k);
            if (str < 0)
                return NULL;
            if (str)
                found = PyTuple_GET_ITEM(pair, 1);
        } else if (PyUnicode_Compare(name, H.s_merge) == 0) {
            merge = 1;
        }
    }
    if (found != NULL)
        return Py_NewRef(found);
    if (!merge)
        Py_RETURN_NONE;
python: {
        PyObject *a[2] = {self, n > 0 ? args[0] : NULL};
        return call(H.py_get, a, (size_t)(n > 0 ? 2 : 1));
    }
}

static PyMethodDef mapping_get_def = {
    "get", (PyCFunction)(void (*)(void))mapping_get, METH_FASTCALL,
    "the value of a string key, or what a '<<' merge key brings, or None"};

/* mapping_get(python_get) -> a method of fn.nodes.Mapping doing what python_get does */
static PyObject *make_mapping_get(PyObject *self, PyObject *python_get) {
    if (!H.ready) {
        PyErr_SetString(PyExc_RuntimeError, "fn._yamlwalk.configure() was not called");
        return NULL;
    }
    if (!PyFunction_Check(python_get)) {
        PyErr_SetString(PyExc_TypeError, "mapping_get() wants fn.nodes.Mapping.get in Python");
        return NULL;
    }
    Py_XSETREF(H.py_get, Py_NewRef(python_get));
    return PyDescr_NewMethod((PyTypeObject *)H.Mapping, &mapping_get_def);
}

/* plain(node) -> data (see fn.nodes.plain) */
static PyObject *plain(PyObject *self, PyObject *node) {
    if (!H.ready) {
        PyErr_SetString(PyExc_RuntimeError, "fn._yamlwalk.configure() was not called");
        return NULL;
    }
    Py_ssize_t budget = 100000;
    return plain_of(node, &budget, 0);
}

static PyMethodDef methods[] = {
    {"mapping_get", (PyCFunction)make_mapping_get, METH_O,
     "mapping_get(fn.nodes.Mapping.get) -> the same method in C (merge keys: that one)"},
    {"plain", (PyCFunction)plain, METH_O,
     "plain(node) -> a read tree as data to compare (fn.nodes.plain)"},
    {"walk", (PyCFunction)(void (*)(void))walk, METH_FASTCALL,
     "walk(text, lines, policy, refused) -> [(start, end, root)]: fn.yamlread's reader"},
    {"window", (PyCFunction)window, METH_O,
     "window(size) -> the size before: bytes libyaml reads non-ASCII text by (tests only)"},
    {"guarded", (PyCFunction)guarded, METH_O,
     "guarded(text) -> events read in place before a guard page (tests only)"},
    {"packable", (PyCFunction)packable, METH_O,
     "packable(data) -> whether these bytes can be packed (fn.packedtext)"},
    {"read_text", (PyCFunction)read_text, METH_VARARGS,
     "read_text(fd, limit) -> str (ASCII, read in place) or bytes (to decode)"},
    {"configure", (PyCFunction)(void (*)(void))configure, METH_VARARGS | METH_KEYWORDS,
     "configure(**hooks): the node classes and callbacks (fn.yamlread gives them)"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "fn._yamlwalk",
    "fn.yamlread's reader in C, over libyaml's event parser", -1, methods,
    NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC PyInit__yamlwalk(void) {
    PyTypeObject *types[4] = {&NodeType, &ScalarType, &MappingType, &SequenceType};
    const char *names[4] = {"Node", "Scalar", "Mapping", "Sequence"};
    for (int i = 0; i < 4; i++)
        if (PyType_Ready(types[i]) < 0)
            return NULL;
    PyObject *m = PyModule_Create(&module);
    for (int i = 0; m != NULL && i < 4; i++)
        if (PyModule_AddObjectRef(m, names[i], (PyObject *)types[i]) < 0)
            Py_CLEAR(m);
    return m;
}
