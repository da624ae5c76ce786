// @ts-check
/**
 * Share the Jinja2 site's static assets with the Next site, so both look the same:
 * `site/static/css/site.css` becomes a global stylesheet of the app (`src/styles/`,
 * bundled and fingerprinted by Next); the favicon, `css/search.css` and the progressive
 * enhancement scripts `js/search.js` and `js/comments.js` (plain scripts on top of forms
 * that work without JavaScript) are copied to `public/`. Copies are git-ignored.
 */
import { copyFile, mkdir } from "node:fs/promises";
import path from "node:path";

const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), "..");
const STATIC = path.join(ROOT, "..", "site", "static");
const copies = [
  ["css/site.css", "src/styles/site.css"],
  ["favicon.svg", "public/favicon.svg"],
  ["css/search.css", "public/css/search.css"],
  ["js/search.js", "public/js/search.js"],
  ["js/comments.js", "public/js/comments.js"],
];
for (const [from, to] of copies) {
  await mkdir(path.dirname(path.join(ROOT, to)), { recursive: true });
  await copyFile(path.join(STATIC, from), path.join(ROOT, to));
}
console.log(`Copied ${copies.length} assets from site/static`);
