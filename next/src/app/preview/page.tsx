import type { Metadata } from "next";
import { frameData } from "@/lib/meta";
import { loadSite, paginate, SECTION, type Page } from "@/lib/site.mjs";
import { PreviewClient, type Listing } from "./PreviewClient";

export function generateMetadata(): Metadata {
  return { title: { absolute: `Draft preview – ${loadSite().name}` }, robots: { index: false } };
}

/** What a card or a link of a listing shows of a page (its body stays out of the preview page). */
function card(p: Page): Page {
  const { id, type, title, url, slug, parent_url, date, summary, description, authors, tags } = p;
  return { id, type, title, url, slug, parent_url, date, summary, description, authors, tags } as Page;
}

/**
 * Every section's listing as its first static page shows it, by page id: the published
 * entries and subsections a section's draft lists in its preview (as the Jinja2 preview
 * lists the draft's live children). A never-published section has none yet.
 */
function listings(): Record<number, Listing> {
  const site = loadSite();
  const out: Record<number, Listing> = {};
  for (const section of site.pages.filter((p) => p.type === SECTION)) {
    const entries = site.entries(section);
    const per = section.per_page || 10;
    out[section.id] = {
      entries: entries.slice(0, per).map(card),
      subsections: site.subsections(section).map(card),
      pagination: paginate(section.url, entries.length, per)[0],
    };
  }
  return out;
}

/**
 * `/preview/?content_type=content.articlepage&token=...`, where wagtail-headless-preview
 * sends editors (JAMTAIL_PREVIEW_URL). A static page whose client component fetches the
 * draft with its token through the site's `/api/preview` function (the CMS's
 * `/api/v2/preview/` contract) and renders it with the same components as the static pages;
 * a section's draft shows the section's listing, baked in here at build time.
 */
export default function PreviewPage() {
  return <PreviewClient frame={frameData()} rootHtmlPath={loadSite().rootPath} listings={listings()} />;
}
