"""The optional compiled reader, fn._yamlwalk (libyaml's event parser walked in C).

Everything else is in pyproject.toml. The extension is optional: without a C compiler,
Python's headers or libyaml's yaml.h (Debian: gcc, python3-dev, libyaml-dev), the install
goes on and fn.yamlread uses its Python reader, which gives the same trees, only slower.
It links no libyaml: at run time it uses the one in PyYAML's own C extension. fn._packed
(a large input held as LZ4 blocks, fn/packedtext.py) links no LZ4 either: it takes the lz4
package's; without it, inputs are held as str.
"""

from setuptools import Extension, setup

setup(ext_modules=[Extension("fn._yamlwalk", ["fn/_yamlwalk.c"], optional=True),
                   Extension("fn._packed", ["fn/_packed.c"], optional=True)])
