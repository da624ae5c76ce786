"""The Jamtail CMS: a Wagtail project serving content to the static build over HTTP."""
