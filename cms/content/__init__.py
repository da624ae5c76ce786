"""Content models of the Jamtail CMS: page types, StreamField blocks, authors, site settings."""
