"""Build: the stages in order, and the builds made of them.

    pipeline  ``build()``: sync, plan, render, outputs, write, link check, deploy
    patch     redo only the outputs that show the changed pages
    nextjs    the Next.js front end (``next/``) as a build
    preview   one draft page rendered with the build's own stages

May import: every stage below it (deploy, links, outputs, search, render, plan,
write, content) and the top-level modules; not ``service`` or ``cli``.
"""
