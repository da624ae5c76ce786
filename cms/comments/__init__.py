"""Reader comments: stored, rate-limited and moderated in the CMS (see docs/comments.md)."""
