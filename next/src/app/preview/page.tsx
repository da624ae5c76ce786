import type { Metadata } from "next";
import { frameData } from "@/lib/meta";
import { loadSite } from "@/lib/site.mjs";
import { PreviewClient } from "./PreviewClient";

export function generateMetadata(): Metadata {
  return { title: { absolute: `Draft preview – ${loadSite().name}` }, robots: { index: false } };
}

/**
 * `/preview/?content_type=content.articlepage&token=...`, where wagtail-headless-preview
 * sends editors (JAMTAIL_PREVIEW_URL). A static page whose client component fetches the
 * draft with its token through the site's `/api/preview` function (the CMS's
 * `/api/v2/preview/` contract) and renders it with the same components as the static pages.
 */
export default function PreviewPage() {
  return <PreviewClient frame={frameData()} rootHtmlPath={loadSite().rootPath} />;
}
