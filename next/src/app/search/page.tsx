import type { Metadata } from "next";
import { Frame } from "@/components/Frame";
import { frameData, pageMetadata } from "@/lib/meta";
import { SECTION, loadSite } from "@/lib/site.mjs";

export function generateMetadata(): Metadata {
  return pageMetadata({ type: "SearchPage", title: "Search", url: "/search/" });
}

/**
 * The search page (site/templates/search.html): a GET form to the search function,
 * which answers an HTML results page to readers without JavaScript; with it, the
 * Jinja2 site's `js/search.js` shows results from `/api/search` as the reader types.
 */
export default function SearchPage() {
  const site = loadSite();
  const sections = site.pages
    .filter((p) => p.type === SECTION)
    .map((p) => ({ url: p.url, title: p.title }))
    .sort((a, b) => (a.url < b.url ? -1 : 1));
  const tags = [...site.tags.values()].sort(
    (a, b) => a.name.toLowerCase().localeCompare(b.name.toLowerCase()) || (a.slug < b.slug ? -1 : 1),
  );
  return (
    <Frame frame={frameData()} here="/search/">
      {/* eslint-disable-next-line @next/next/no-css-tags -- the Jinja2 site's stylesheet, copied to public/ */}
      <link rel="stylesheet" href="/css/search.css" precedence="default" />
      <div className="page-intro">
        <h1>Search</h1>
      </div>
      <form className="search-form" role="search" action="/api/search" method="get" aria-label="Search the site" data-search-form="">
        <div className="search-field search-field-q">
          <label htmlFor="search-q">Words to find</label>
          <input id="search-q" type="search" name="q" defaultValue="" maxLength={200} autoComplete="off" spellCheck={false} />
        </div>
        {sections.length ? (
          <div className="search-field">
            <label htmlFor="search-section">Section</label>
            <select id="search-section" name="section" defaultValue="">
              <option value="">All sections</option>
              {sections.map((s) => (
                <option value={s.url} key={s.url}>{s.title}</option>
              ))}
            </select>
          </div>
        ) : null}
        {tags.length ? (
          <div className="search-field">
            <label htmlFor="search-tag">Tag</label>
            <select id="search-tag" name="tag" defaultValue="">
              <option value="">Any tag</option>
              {tags.map((t) => (
                <option value={t.slug} key={t.slug}>{t.name}</option>
              ))}
            </select>
          </div>
        ) : null}
        <button className="button" type="submit">Search</button>
      </form>
      <p className="visually-hidden" role="status" data-search-status=""></p>
      <div id="search-results" className="search-results" data-search-results=""></div>
      <script src="/js/search.js" defer></script>
    </Frame>
  );
}
