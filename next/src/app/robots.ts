import type { MetadataRoute } from "next";
import { loadSite } from "@/lib/site.mjs";

export const dynamic = "force-static";

/** Allow everything, point crawlers at the sitemap (RFC 9309), as robots.py. */
export default function robots(): MetadataRoute.Robots {
  return { rules: { userAgent: "*", allow: "/" }, sitemap: `${loadSite().base}/sitemap.xml` };
}
