// @ts-check
/**
 * The site plan: which URL shows what, from the content the CMS's sync endpoint gave
 * (`.content/content.json`, written by scripts/fetch-content.mjs). The same outputs, at the
 * same URLs, as the Jinja2 builder's planner (jamtail/plan.py): pages at their Wagtail URLs
 * relative to the site root, listings paginated at `<section>/page/<n>/`, tags at
 * `/tags/<slug>/`, authors at `/authors/<slug>/`, a feed per section that lists articles
 * and one for the whole site.
 *
 * Plain JavaScript with JSDoc types (checked by `tsc`, which reads the API types generated
 * from docs/openapi.json), so the app (TSX) and the build scripts (Node) share one planner.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { flatten } from "./page.mjs";

export { flatten };

/** @typedef {import("./api-schema").components["schemas"]} S */
/** @typedef {S["HomePage"] | S["SectionPage"] | S["ArticlePage"] | S["StandardPage"]} ApiPage */
/** @typedef {S["SiteSettings"]} Settings */
/** @typedef {S["Author"]} ApiAuthor */
/** @typedef {S["Redirect"]} Redirect */
/** @typedef {{settings: Settings, authors: ApiAuthor[], redirects: Redirect[], pages: ApiPage[], fetched_at: string}} Content */

/**
 * A page as the front end uses it: the API item flattened (its `meta` read into `type`,
 * `slug`, `url`...), every page type's fields typed as docs/openapi.json says (so a field
 * the front end reads that the API renames fails `tsc`), authors and tags with site URLs.
 */
/**
 * @template T
 * @typedef {Omit<T, "meta" | "authors" | "tags" | "id" | "title">} Fields
 */
/**
 * @typedef {Fields<S["ArticlePage"]> & Fields<S["SectionPage"]> & Fields<S["HomePage"]> & Fields<S["StandardPage"]>} AllFields
 * @typedef {{
 *   id: number, type: string, title: string, slug: string, url: string, parent_url: string | null,
 *   seo_title: string, search_description: string, first_published_at: string | null,
 *   authors?: Person[], tags?: Term[]
 * } & Partial<AllFields>} Page
 * @typedef {{name: string, slug: string, url: string}} Term
 * @typedef {Term & {id?: number, bio?: string, website?: string, avatar?: S["Image"] | null}} Person
 * @typedef {{number: number, num_pages: number, url: string, prev_url: string | null,
 *   next_url: string | null, pages: {number: number, url: string}[]}} Pagination
 * @typedef {{kind: "page", page: Page, entries?: Page[], pagination?: Pagination}
 *   | {kind: "tag", term: Term, entries: Page[], pagination: Pagination}
 *   | {kind: "author", term: Person, entries: Page[], pagination: Pagination}
 *   | {kind: "tags"} | {kind: "authors"}} Route
 * @typedef {{title: string, subtitle: string, alternate: string, url: string, path: string,
 *   entries: Page[], site_wide: boolean}} Feed
 */

export const ARTICLE = "ArticlePage";
export const SECTION = "SectionPage";
export const TAXONOMY_PER_PAGE = 20;
export const RECENT_ON_HOME = 10;
export const FEED_ENTRIES = 20;

/** Where the content file is: `$JAMTAIL_CONTENT_FILE` or `.content/content.json`. */
export function contentFile() {
  return process.env.JAMTAIL_CONTENT_FILE || path.join(process.cwd(), ".content", "content.json");
}

/** @type {Site | undefined} */
let cached;

/** The site planned from the content file, read once per process. */
export function loadSite() {
  if (!cached) {
    const file = contentFile();
    let text;
    try {
      text = readFileSync(file, "utf-8");
    } catch {
      throw new Error(`${file} is missing: run \`npm run fetch\` (JAMTAIL_API_URL) first`);
    }
    cached = new Site(JSON.parse(text));
  }
  return cached;
}

/** Articles newest first, ties by title (jamtail/plan.py newest_first). @param {Page[]} pages */
export function newestFirst(pages) {
  return [...pages]
    .sort((a, b) => a.title.toLowerCase().localeCompare(b.title.toLowerCase()))
    .sort((a, b) => (b.date || "").localeCompare(a.date || ""));
}

/** @param {string} url @param {number} count @param {number} perPage @returns {Pagination[]} */
export function paginate(url, count, perPage) {
  const per = Math.max(1, perPage);
  const n = Math.max(1, Math.ceil(count / per));
  const urls = Array.from({ length: n }, (_, i) => (i === 0 ? url : `${url}page/${i + 1}/`));
  const pages = urls.map((u, i) => ({ number: i + 1, url: u }));
  return urls.map((u, i) => ({
    number: i + 1,
    num_pages: n,
    url: u,
    prev_url: i > 0 ? urls[i - 1] : null,
    next_url: i + 1 < n ? urls[i + 1] : null,
    pages,
  }));
}

/** @param {Page[]} entries @param {Pagination} p @param {number} per */
function slice(entries, p, per) {
  return entries.slice((p.number - 1) * per, p.number * per);
}

export class Site {
  /** @param {Content} content */
  constructor(content) {
    this.settings = content.settings;
    this.redirects = content.redirects;
    const rootItem = content.pages.find((p) => p.id === content.settings.root_page_id);
    const rootUrl = rootItem?.meta.html_url ? new URL(rootItem.meta.html_url).pathname : "/";
    /** The root page's path on the CMS ("/" unless the site's root is deeper). */
    this.rootPath = rootUrl;
    /** @type {Map<string, Person>} */
    this.authors = new Map(
      content.authors.map((a) => [
        a.slug,
        { id: a.id, name: a.name, slug: a.slug, url: `/authors/${a.slug}/`, bio: a.bio,
          website: a.url, avatar: a.avatar },
      ]),
    );
    /** @type {Map<string, Term>} */
    this.tags = new Map();
    /** @type {Page[]} every page in tree order */
    this.pages = [];
    for (const item of content.pages) {
      const page = flatten(item, rootUrl);
      if (page) this.pages.push(this.decorate(page));
    }
    /** @type {Map<string, Page>} */
    this.byUrl = new Map(this.pages.map((p) => [p.url, p]));
    if (!this.byUrl.has("/")) throw new Error("no page is served at '/': the root page is not live");
    /** @type {Map<string, Page[]>} */
    this.children = new Map();
    for (const page of this.pages) {
      if (page.parent_url && this.byUrl.has(page.parent_url)) {
        const kids = this.children.get(page.parent_url) || [];
        kids.push(page);
        this.children.set(page.parent_url, kids);
      }
    }
    this.name = this.settings.site_name || "Jamtail";
    this.base = (this.settings.base_url || "").replace(/\/$/, "");
    this.language = this.settings.language || "en";
    this.nav = this.kids("/").map((p) => ({ title: p.title, url: p.url }));
  }

  /** Authors and tags with their site URLs (jamtail/plan.py decorate). @param {Page} page */
  decorate(page) {
    if (page.authors) {
      page.authors = page.authors.map(
        (a) => this.authors.get(a.slug) || { ...a, url: `/authors/${a.slug}/` },
      );
    }
    if (page.tags) {
      page.tags = page.tags.map((t) => {
        if (!this.tags.has(t.slug)) {
          this.tags.set(t.slug, { name: t.name, slug: t.slug, url: `/tags/${t.slug}/` });
        }
        return /** @type {Term} */ (this.tags.get(t.slug));
      });
    }
    return page;
  }

  /** @param {string} url */
  kids(url) {
    return this.children.get(url) || [];
  }

  /** @param {Page} section */
  entries(section) {
    const entries = this.kids(section.url).filter((k) => k.type !== SECTION);
    return (section.order || "-date") === "-date" ? newestFirst(entries) : entries;
  }

  /** @param {Page} page */
  subsections(page) {
    return this.kids(page.url).filter((k) => k.type === SECTION);
  }

  recent() {
    return newestFirst(this.pages.filter((p) => p.type === ARTICLE)).slice(0, RECENT_ON_HOME);
  }

  /** The newer and older sibling of an article. @param {Page} page */
  neighbours(page) {
    const siblings = newestFirst(
      this.kids(page.parent_url || "").filter((k) => k.type === ARTICLE),
    );
    const i = siblings.findIndex((s) => s.id === page.id);
    return { next: i > 0 ? siblings[i - 1] : null, previous: siblings[i + 1] || null };
  }

  /**
   * Members of every tag or author, by slug, newest first.
   * @param {"tags" | "authors"} kind @returns {Map<string, Page[]>}
   */
  members(kind) {
    /** @type {Map<string, Page[]>} */
    const out = new Map();
    for (const page of this.pages) {
      for (const term of page[kind] || []) {
        const list = out.get(term.slug) || [];
        list.push(page);
        out.set(term.slug, list);
      }
    }
    for (const [slug, list] of out) out.set(slug, newestFirst(list));
    return new Map([...out].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  }

  /** @param {"tags" | "authors"} kind */
  index(kind) {
    const terms = kind === "tags" ? this.tags : this.authors;
    return [...this.members(kind)]
      .map(([slug, pages]) => ({
        ...(terms.get(slug) || { slug, name: slug, url: `/${kind}/${slug}/` }),
        count: pages.length,
      }))
      .sort((a, b) => a.name.toLowerCase().localeCompare(b.name.toLowerCase()));
  }

  /** Every HTML route but the home page, search and 404, by URL. @returns {Map<string, Route>} */
  routes() {
    /** @type {Map<string, Route>} */
    const out = new Map();
    for (const page of this.pages) {
      if (page.type === SECTION) {
        const entries = this.entries(page);
        const per = page.per_page || 10;
        for (const p of paginate(page.url, entries.length, per)) {
          out.set(p.url, { kind: "page", page, entries: slice(entries, p, per), pagination: p });
        }
      } else if (page.url !== "/") {
        out.set(page.url, { kind: "page", page });
      }
    }
    for (const kind of /** @type {const} */ (["tags", "authors"])) {
      const members = this.members(kind);
      const terms = kind === "tags" ? this.tags : this.authors;
      for (const [slug, entries] of members) {
        const term = terms.get(slug) || { slug, name: slug, url: `/${kind}/${slug}/` };
        for (const p of paginate(term.url, entries.length, TAXONOMY_PER_PAGE)) {
          const route = { term, entries: slice(entries, p, TAXONOMY_PER_PAGE), pagination: p };
          out.set(p.url, kind === "tags" ? { kind: "tag", ...route } : { kind: "author", ...route });
        }
      }
      if (members.size) out.set(`/${kind}/`, { kind });
    }
    return out;
  }

  /** One Atom feed per section listing articles, then the whole site's. @returns {Feed[]} */
  feeds() {
    /** @type {Feed[]} */
    const feeds = [];
    /** @param {string} title @param {string} url @param {string} subtitle @param {Page[]} articles @param {boolean} siteWide */
    const feed = (title, url, subtitle, articles, siteWide) => ({
      title,
      subtitle,
      alternate: url,
      url: `${url}atom.xml`,
      path: `${url.replace(/^\/+|\/+$/g, "")}/atom.xml`.replace(/^\//, ""),
      entries: newestFirst(articles).slice(0, FEED_ENTRIES),
      site_wide: siteWide,
    });
    for (const page of this.pages) {
      if (page.type !== SECTION) continue;
      const articles = this.kids(page.url).filter((k) => k.type === ARTICLE);
      if (articles.length) feeds.push(feed(page.title, page.url, page.description || "", articles, false));
    }
    const all = this.pages.filter((p) => p.type === ARTICLE);
    if (all.length) feeds.push(feed(this.name, "/", this.settings.tagline || "", all, true));
    return feeds;
  }

  /** The feeds a page links to: its section's, else the site's. @param {Page | null} section */
  feedLinks(section = null) {
    const feeds = this.feeds();
    if (section) {
      const own = feeds.find((f) => !f.site_wide && f.alternate === section.url);
      if (own) return [{ title: own.title, url: own.url }];
    }
    return feeds.filter((f) => f.site_wide).map((f) => ({ title: f.title, url: f.url }));
  }

  /** `https://example.org/x/` for a site path (root-relative without a base URL). @param {string} url */
  absolute(url) {
    return /^https?:/.test(url) ? url : this.base + url;
  }
}
