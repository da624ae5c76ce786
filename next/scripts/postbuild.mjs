// @ts-check
/**
 * After `next build` (static export in `out/`):
 *
 * 1. Atom feeds (RFC 4287), one per section that lists articles and one for the whole
 *    site, at `<section>/atom.xml` and `/atom.xml` (as jamtail/outputs/feeds.py);
 * 2. no client JavaScript on pages that need none: React Server Components rendered the
 *    whole page to HTML, so Next's runtime and the RSC payload are removed from every page
 *    but `/preview/` (the one client component); the site's own scripts
 *    (`/js/search.js`, `/js/comments.js`) and JSON-LD stay.
 */
import { readdir, readFile, writeFile, mkdir, rm } from "node:fs/promises";
import path from "node:path";
import { loadSite } from "../src/lib/site.mjs";

const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), "..");
const OUT = path.join(ROOT, "out");
const NEEDS_REACT = new Set(["preview/index.html"]);

/** @param {string} text */
function xml(text) {
  return String(text).replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c] || c);
}

/** @param {import("../src/lib/site.mjs").Page} page */
function updated(page) {
  const stamp = page.last_published_at || page.first_published_at;
  return new Date(stamp || `${page.date}T00:00:00Z`).toISOString();
}

async function writeFeeds() {
  const site = loadSite();
  const feeds = site.feeds();
  for (const feed of feeds) {
    const stamps = feed.entries.map(updated).sort();
    const lines = [
      '<?xml version="1.0" encoding="utf-8"?>',
      `<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="${xml(site.language)}">`,
      `  <id>${xml(site.absolute(feed.url))}</id>`,
      `  <title>${xml(feed.title)}</title>`,
      `  <updated>${stamps.at(-1) || new Date().toISOString()}</updated>`,
      `  <author><name>${xml(site.name)}</name></author>`,
      `  <link href="${xml(site.absolute(feed.alternate))}" rel="alternate"/>`,
      `  <link href="${xml(site.absolute(feed.url))}" rel="self"/>`,
      "  <generator>Jamtail (Next.js)</generator>",
      ...(feed.subtitle ? [`  <subtitle>${xml(feed.subtitle)}</subtitle>`] : []),
    ];
    for (const page of feed.entries) {
      const published = new Date(`${page.date}T00:00:00Z`).toISOString();
      const stamp = updated(page) > published ? updated(page) : published;
      lines.push(
        "  <entry>",
        `    <id>${xml(site.absolute(page.url))}</id>`,
        `    <title>${xml(page.title)}</title>`,
        `    <updated>${stamp}</updated>`,
        ...(page.authors || []).map((a) => `    <author><name>${xml(a.name)}</name></author>`),
        `    <link href="${xml(site.absolute(page.url))}" rel="alternate"/>`,
        ...(page.summary ? [`    <summary>${xml(page.summary)}</summary>`] : []),
        ...(page.tags || []).map((t) => `    <category term="${xml(t.slug)}" label="${xml(t.name)}"/>`),
        `    <published>${published}</published>`,
        "  </entry>",
      );
    }
    lines.push("</feed>", "");
    const target = path.join(OUT, feed.path);
    await mkdir(path.dirname(target), { recursive: true });
    await writeFile(target, lines.join("\n"));
  }
  return feeds.length;
}

const NEXT_SCRIPT = /<script\b(?![^>]*type="application\/ld\+json")(?![^>]*src="\/js\/)[^>]*>[\s\S]*?<\/script>/g;
const PRELOAD_SCRIPT = /<link rel="preload" as="script"[^>]*\/?>/g;

/** @param {string} dir @returns {AsyncGenerator<string>} */
async function* htmlFiles(dir) {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) yield* htmlFiles(full);
    else if (entry.name.endsWith(".html")) yield full;
  }
}

async function stripScripts() {
  let stripped = 0;
  for await (const file of htmlFiles(OUT)) {
    const rel = path.relative(OUT, file).split(path.sep).join("/");
    if (NEEDS_REACT.has(rel)) continue;
    const html = await readFile(file, "utf-8");
    const lean = html.replace(NEXT_SCRIPT, "").replace(PRELOAD_SCRIPT, "");
    if (lean !== html) {
      await writeFile(file, lean);
      stripped += 1;
    }
  }
  // The RSC payloads (`index.txt`) serve client navigation only, which no lean page does.
  for (const name of await readdir(OUT, { recursive: true })) {
    if (String(name).endsWith("index.txt") && !String(name).startsWith("preview")) await rm(path.join(OUT, String(name)));
  }
  return stripped;
}

/** Next also exports the not-found page as `404/index.html`; the CDN serves `404.html`. */
async function dropNotFoundCopy() {
  if (!loadSite().byUrl.has("/404/")) await rm(path.join(OUT, "404"), { recursive: true, force: true });
}

await dropNotFoundCopy();
const feeds = await writeFeeds();
const stripped = await stripScripts();
console.log(`postbuild: ${feeds} Atom feeds, client JavaScript removed from ${stripped} pages`);
