"use client";

import { useEffect, useState } from "react";
import type { components } from "@/lib/api-schema";
import { Frame, type FrameData } from "@/components/Frame";
import { ArticleView, HomeView, SectionView, StandardView } from "@/components/Views";
import { flatten } from "@/lib/page.mjs";
import type { Page, Pagination } from "@/lib/site.mjs";

type S = components["schemas"];
type Draft = S["HomePageDetail"] | S["SectionPageDetail"] | S["ArticlePageDetail"] | S["StandardPageDetail"];
/** A section's published listing (its first page), baked into the preview page at build time. */
export type Listing = { entries: Page[]; subsections: Page[]; pagination: Pagination };
type State = { status: "loading" } | { status: "error"; message: string } | { status: "ready"; page: Page };

/** The preview function's answer, or a message an editor can act on. */
async function fetchDraft(query: URLSearchParams): Promise<State> {
  const contentType = query.get("content_type") || "";
  const token = query.get("token") || "";
  if (!contentType || !token) {
    return { status: "error", message: "This preview link has no token or page type. Click Preview in the Wagtail admin again." };
  }
  const url = `/api/preview?${new URLSearchParams({ content_type: contentType, token })}`;
  try {
    const response = await fetch(url, { headers: { Accept: "application/json" }, cache: "no-store" });
    const body = await response.json();
    if (!response.ok) return { status: "error", message: body.message || `The CMS answered ${response.status}.` };
    const draft = body as Draft;
    // A never-saved page has no URL yet: show it where its slug will put it under its parent.
    const parentUrl = String(draft.meta.parent?.meta?.html_url || "http://draft/");
    const item = draft.meta.html_url
      ? draft
      : { ...draft, meta: { ...draft.meta, html_url: new URL(`${draft.meta.slug}/`, parentUrl).href } };
    const page = flatten(item as never, "/");
    if (!page) return { status: "error", message: "This draft has no address to preview." };
    // Authors and tags link to their pages, as decorated on the static site.
    const authors = page.authors?.map((a) => ({ ...a, url: `/authors/${a.slug}/` }));
    const tags = page.tags?.map((t) => ({ ...t, url: `/tags/${t.slug}/` }));
    return { status: "ready", page: { ...page, authors, tags, id: draft.id ?? 0 } };
  } catch {
    return { status: "error", message: "The preview service cannot be reached. Try again in a moment." };
  }
}

function DraftView({ page, listing }: { page: Page; listing: Listing | undefined }) {
  switch (page.type) {
    case "HomePage":
      return <HomeView page={page} recent={[]} sections={[]} />;
    case "SectionPage":
      return (
        <SectionView
          page={page}
          entries={listing?.entries || []}
          subsections={listing?.subsections || []}
          pagination={listing?.pagination}
        />
      );
    case "ArticlePage":
      return <ArticleView page={page} next={null} previous={null} preview />;
    default:
      return <StandardView page={page} childPages={[]} />;
  }
}

export function PreviewClient({
  frame,
  rootHtmlPath,
  listings,
}: {
  frame: FrameData;
  rootHtmlPath: string;
  listings: Record<number, Listing>;
}) {
  const [state, setState] = useState<State>({ status: "loading" });
  useEffect(() => {
    fetchDraft(new URLSearchParams(window.location.search)).then((next) => {
      if (next.status === "ready" && rootHtmlPath !== "/" && next.page.url.startsWith(rootHtmlPath)) {
        next.page.url = "/" + next.page.url.slice(rootHtmlPath.length);
      }
      setState(next);
      if (next.status === "ready") document.title = `${next.page.title} (draft preview)`;
    });
  }, [rootHtmlPath]);
  return (
    <Frame frame={frame} here={state.status === "ready" ? state.page.url : "/preview/"} preview>
      {state.status === "ready" ? (
        <DraftView page={state.page} listing={listings[state.page.id]} />
      ) : state.status === "error" ? (
        <div className="page-intro">
          <h1>This preview cannot be shown</h1>
          <p className="lead" role="alert">{state.message}</p>
        </div>
      ) : (
        <div className="page-intro">
          <h1>Loading the draft…</h1>
        </div>
      )}
    </Frame>
  );
}
