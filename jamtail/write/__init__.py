"""Write: the only code that writes a site to disk.

    writer    the staging directory beside the destination, then one atomic swap
    manifest  every built file with its size and digests (``.jamtail-manifest.json``)

May import: ``content`` (media paths) and the top-level modules.
"""
