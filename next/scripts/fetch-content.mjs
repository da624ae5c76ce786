// @ts-check
/**
 * Read everything the site shows from the CMS in one paged pass of the sync endpoint
 * (`GET /api/v2/sync/`, docs/openapi.json `SyncPage`), and write `.content/content.json`:
 * `{settings, authors, redirects, pages, fetched_at}`, pages in page-tree order.
 *
 * Media URLs (image renditions, `src`/`href` in rich text that point into the CMS's media
 * storage) are rewritten to `/media/...` and the files are downloaded into `public/media/`,
 * so the exported site never depends on the CMS; links to the CMS's own page URLs lose
 * the CMS origin (as jamtail/media.py does for the Jinja2 site).
 *
 * Environment: JAMTAIL_API_URL (default http://127.0.0.1:8000/api/v2/).
 * Exits non-zero with a one-line reason when the CMS cannot be read.
 */
import { mkdir, writeFile, rm, readdir, stat } from "node:fs/promises";
import path from "node:path";

/** @typedef {import("../src/lib/api-schema").components["schemas"]} S */

const API = (process.env.JAMTAIL_API_URL || "http://127.0.0.1:8000/api/v2/").replace(/\/?$/, "/");
const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), "..");
const OUT = path.join(ROOT, ".content", "content.json");
const PUBLIC_MEDIA = path.join(ROOT, "public", "media");
const ATTR = /(\s(?:src|href|poster)=")([^"]+)(")/g;

/** @param {string} url @returns {Promise<any>} */
async function getJson(url) {
  let response;
  try {
    response = await fetch(url, { headers: { Accept: "application/json" } });
  } catch (error) {
    throw new Error(`cannot reach the CMS at ${url}: ${/** @type {Error} */ (error).cause || error}`);
  }
  if (!response.ok) {
    throw new Error(`the CMS answered ${response.status} for ${url}: ${(await response.text()).slice(0, 300)}`);
  }
  return response.json();
}

/** Every item of a full sync, the later occurrence of an item winning. */
async function sync() {
  /** @type {Map<string, S["SyncItem"]>} */
  const items = new Map();
  /** @type {string | null} */
  let url = `${API}sync/`;
  let requests = 0;
  while (url) {
    /** @type {S["SyncPage"]} */
    const body = await getJson(url);
    requests += 1;
    for (const item of body.items) {
      items.delete(`${item.kind}:${item.id}`);
      items.set(`${item.kind}:${item.id}`, item);
    }
    url = body.next_page;
  }
  return { items: [...items.values()], requests };
}

class Media {
  /** @param {string} mediaUrl @param {string} siteOrigin */
  constructor(mediaUrl, siteOrigin) {
    this.base = new URL(mediaUrl || "/media/", API).href;
    this.origin = siteOrigin;
    /** @type {Map<string, string>} local path -> source URL */
    this.files = new Map();
  }

  /** @param {string} url */
  local(url) {
    const absolute = new URL(url, API).href;
    if (absolute.startsWith(this.base)) {
      const local = "/media/" + absolute.slice(this.base.length).split("?")[0];
      this.files.set(local, absolute);
      return local;
    }
    if (this.origin && url.startsWith(this.origin + "/")) return url.slice(this.origin.length);
    return url;
  }

  /** Any JSON value with its media URLs made local. @param {any} value @returns {any} */
  localise(value) {
    if (Array.isArray(value)) return value.map((v) => this.localise(v));
    if (value && typeof value === "object") {
      if ("renditions" in value && "url" in value) {
        return {
          ...value,
          url: this.local(value.url),
          renditions: value.renditions.map((/** @type {S["ImageRendition"]} */ r) => ({ ...r, url: this.local(r.url) })),
        };
      }
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, this.localise(v)]));
    }
    if (typeof value === "string" && value.includes("<") && value.includes("=")) {
      return value.replace(ATTR, (_, a, url, b) => a + this.local(url) + b);
    }
    return value;
  }

  /** Download every file not yet in public/media; remove the ones no longer used. */
  async place() {
    let downloaded = 0;
    const queue = [...this.files];
    const worker = async () => {
      for (let job = queue.shift(); job; job = queue.shift()) {
        const [local, source] = job;
        const target = path.join(ROOT, "public", ...local.split("/").filter((p) => p && p !== ".."));
        if (await stat(target).catch(() => null)) continue;
        const response = await fetch(source);
        if (!response.ok) throw new Error(`cannot download ${source}: ${response.status}`);
        await mkdir(path.dirname(target), { recursive: true });
        await writeFile(target, Buffer.from(await response.arrayBuffer()));
        downloaded += 1;
      }
    };
    await Promise.all(Array.from({ length: 8 }, worker));
    await this.prune(PUBLIC_MEDIA, "/media");
    return downloaded;
  }

  /** @param {string} dir @param {string} prefix */
  async prune(dir, prefix) {
    for (const entry of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
      const local = `${prefix}/${entry.name}`;
      if (entry.isDirectory()) await this.prune(path.join(dir, entry.name), local);
      else if (!this.files.has(local)) await rm(path.join(dir, entry.name));
    }
  }
}

async function main() {
  const started = Date.now();
  const { items, requests } = await sync();
  /** @param {string} kind */
  const live = (kind) => items.filter((i) => i.kind === kind && !i.deleted);
  const settingsItem = live("settings")[0];
  if (!settingsItem || !("data" in settingsItem)) throw new Error("the CMS has no site settings (no Wagtail site?)");
  const settings = /** @type {S["SiteSettings"]} */ (settingsItem.data);
  const pageItems = /** @type {(S["SyncItem"] & {order: string, data: any})[]} */ (live("page"));
  pageItems.sort((a, b) => (a.order < b.order ? -1 : a.order > b.order ? 1 : 0));
  const root = pageItems.find((p) => p.id === settings.root_page_id);
  const origin = root?.data.meta.html_url ? new URL(root.data.meta.html_url).origin : "";
  const media = new Media(settings.media_url, origin);
  const content = {
    settings,
    authors: media.localise(live("author").map((i) => /** @type {any} */ (i).data)),
    redirects: live("redirect").map((i) => /** @type {any} */ (i).data),
    pages: media.localise(pageItems.map((i) => i.data)),
    fetched_at: new Date().toISOString(),
  };
  if (!content.pages.length) throw new Error("the CMS has no live pages: publish a home page first");
  const downloaded = await media.place();
  await mkdir(path.dirname(OUT), { recursive: true });
  await writeFile(OUT, JSON.stringify(content));
  console.log(
    `Read ${content.pages.length} pages, ${content.authors.length} authors, ` +
      `${content.redirects.length} redirects in ${requests} sync requests; ` +
      `${media.files.size} media files (${downloaded} downloaded) in ${Date.now() - started} ms`,
  );
}

main().catch((error) => {
  console.error(`fetch-content: ${error.message}`);
  process.exit(1);
});
