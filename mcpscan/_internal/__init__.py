"""What is not API: the line-keeping document readers (JSON with comments, YAML, TOML) and
the :class:`~mcpscan._internal.nodes.Node` tree they produce.

These modules depend on nothing in mcpscan but :mod:`mcpscan.errors`; a caller chooses the
error class a syntax error becomes (``error=``), so that each seam keeps its own.
"""
