"""Plan: which outputs a site has and what each needs; what a build must redo.

    planner      content -> every HTML output and the context it renders with
    graph        the last build's dependency graph (SQLite under the build cache)
    incremental  which outputs the changed content touches, and why

May import: ``write`` (manifest digests), ``content`` and the top-level modules.
"""
