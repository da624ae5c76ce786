"""The builder-code fingerprint hashes files that exist (the regroup by stage moved them)."""

from __future__ import annotations

from jamtail.plan.incremental import GENERATOR_CODE, PACKAGE_DIR, RENDER_CODE, builder_fingerprint


def test_every_part_of_the_builder_fingerprint_exists():
    for part in (*RENDER_CODE, *GENERATOR_CODE):
        assert (PACKAGE_DIR / part).exists(), part
    assert builder_fingerprint() != builder_fingerprint((*RENDER_CODE, *GENERATOR_CODE))
