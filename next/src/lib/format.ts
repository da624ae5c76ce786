/** "17 April 2020" for an ISO date or datetime (as the Jinja2 site's `humandate`). */
export function humanDate(iso: string | null | undefined): string {
  if (!iso) return "";
  const date = new Date(iso.length === 10 ? `${iso}T00:00:00Z` : iso);
  if (Number.isNaN(date.getTime())) return "";
  return date.toLocaleDateString("en-GB", {
    day: "numeric",
    month: "long",
    year: "numeric",
    timeZone: "UTC",
  });
}

/** The HTML `<title>` of a page, as site/templates/base.html makes it. */
export function pageTitle(siteName: string, page: { type: string; title: string; seo_title?: string }) {
  if (page.type === "HomePage") return siteName;
  return `${page.seo_title || page.title} – ${siteName}`;
}
