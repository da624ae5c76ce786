import type { MetadataRoute } from "next";
import { loadSite } from "@/lib/site.mjs";

export const dynamic = "force-static";

/** Every published CMS page (no listing pages beyond the first, no tag pages), as sitemap.py. */
export default function sitemap(): MetadataRoute.Sitemap {
  const site = loadSite();
  return site.pages.map((page) => {
    const stamp = page.last_published_at || page.first_published_at;
    return { url: site.absolute(page.url), ...(stamp ? { lastModified: stamp } : {}) };
  });
}
