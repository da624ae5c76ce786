// @ts-check
/** A page item of the API made flat, without file access (the preview runs it in the browser). */

/** @typedef {import("./site.mjs").ApiPage} ApiPage */
/** @typedef {import("./site.mjs").Page} Page */

/**
 * The flat page of an API item, its URL relative to the site's root page (as
 * jamtail/gather.py normalise_page and relative_to_root).
 * @param {ApiPage} item @param {string} rootUrl @returns {Page | null}
 */
export function flatten(item, rootUrl) {
  const { meta, ...fields } = item;
  if (!meta.html_url) return null;
  let url = new URL(meta.html_url, "http://x").pathname;
  if (rootUrl !== "/" && url.startsWith(rootUrl)) url = "/" + url.slice(rootUrl.length);
  return /** @type {Page} */ ({
    ...fields,
    type: meta.type.split(".").pop() || "",
    slug: meta.slug,
    url,
    parent_url: url === "/" ? null : url.replace(/[^/]+\/$/, ""),
    seo_title: meta.seo_title || "",
    search_description: meta.search_description || "",
    first_published_at: meta.first_published_at,
  });
}

