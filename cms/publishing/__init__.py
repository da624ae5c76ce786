"""Publishing: change capture (an outbox of build requests), debounced build hooks,
build records reported by runners, and the "Builds" view in the Wagtail admin."""
