import type { Metadata } from "next";
import type { FrameData } from "@/components/Frame";
import { pageTitle } from "./format";
import { loadSite, type Page } from "./site.mjs";

/** The header and footer data of every page; `feeds` are those the page links to. */
export function frameData(feeds?: { title: string; url: string }[]): FrameData {
  const site = loadSite();
  return {
    name: site.name,
    tagline: site.settings.tagline,
    nav: site.nav,
    social_links: site.settings.social_links,
    feeds: feeds ?? site.feedLinks(),
  };
}

type MetaPage = Pick<Page, "type" | "title" | "url"> & Partial<Page>;

/**
 * Title, description, canonical link, Open Graph and feed links of a page, as
 * site/templates/base.html writes them. `noindex` for the 404 page and previews.
 * The description is the page's own, else the site's description, else its tagline.
 * Without a base URL in the site settings there is no canonical link, `og:url` or
 * `og:image`: relative URLs are not valid there (RFC 6596; the Open Graph protocol).
 */
export function pageMetadata(page: MetaPage, options: { feeds?: { title: string; url: string }[]; noindex?: boolean; title?: string } = {}): Metadata {
  const site = loadSite();
  const description =
    page.search_description ||
    page.summary ||
    page.description ||
    site.settings.description ||
    site.settings.tagline ||
    undefined;
  const canonical = site.base ? site.absolute(page.url) : undefined;
  const feeds = options.feeds ?? site.feedLinks();
  const image = page.hero_image;
  return {
    title: { absolute: options.title ?? pageTitle(site.name, page) },
    description,
    robots: options.noindex ? { index: false } : undefined,
    alternates: {
      canonical,
      types: feeds.length ? { "application/atom+xml": feeds.map((f) => ({ url: f.url, title: f.title })) } : undefined,
    },
    openGraph: {
      type: page.type === "ArticlePage" ? "article" : "website",
      title: page.seo_title || page.title,
      description,
      url: canonical,
      siteName: site.name,
      images: image && site.base ? [{ url: site.absolute(image.url), alt: image.alt }] : undefined,
      ...(page.type === "ArticlePage"
        ? { publishedTime: page.date, tags: (page.tags || []).map((t) => t.name) }
        : {}),
    },
  };
}

/** schema.org `Article` JSON-LD of an article page (as article_page.html). */
export function articleJsonLd(page: Page): string {
  const site = loadSite();
  const ld: Record<string, unknown> = {
    "@context": "https://schema.org",
    "@type": "Article",
    headline: page.title,
    description: page.summary || page.search_description,
    datePublished: page.date,
    dateModified: page.last_published_at || page.date,
    author: (page.authors || []).map((a) => ({ "@type": "Person", name: a.name, url: site.absolute(a.url) })),
    mainEntityOfPage: site.base ? site.absolute(page.url) : undefined,
    publisher: { "@type": "Organization", name: site.name },
  };
  if (page.hero_image) ld.image = site.absolute(page.hero_image.url);
  // "<" escaped so no string in the content can close the script element.
  return JSON.stringify(ld).replace(/</g, "\\u003c");
}
