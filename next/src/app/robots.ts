import type { MetadataRoute } from "next";
import { loadSite } from "@/lib/site.mjs";

export const dynamic = "force-static";

/**
 * Allow everything, point crawlers at the sitemap (RFC 9309), as jamtail/outputs/robots.py:
 * the `Sitemap:` line needs an absolute URL (sitemaps.org), so a site without a base URL
 * has none.
 */
export default function robots(): MetadataRoute.Robots {
  const base = loadSite().base;
  return { rules: { userAgent: "*", allow: "/" }, ...(base ? { sitemap: `${base}/sitemap.xml` } : {}) };
}
