import type { Metadata } from "next";
import { notFound } from "next/navigation";
import { Frame } from "@/components/Frame";
import { ArticleView, AuthorView, IndexView, SectionView, StandardView, TagView } from "@/components/Views";
import { articleJsonLd, frameData, pageMetadata } from "@/lib/meta";
import { ARTICLE, SECTION, loadSite, type Route } from "@/lib/site.mjs";

type Params = { slug: string[] };

// Only the URLs the content has: anything else is the 404 page.
export const dynamicParams = false;

export function generateStaticParams(): Params[] {
  return [...loadSite().routes().keys()].map((url) => ({ slug: url.split("/").filter(Boolean) }));
}

function routeFor(slug: string[]): { url: string; route: Route } {
  const url = `/${slug.map(decodeURIComponent).join("/")}/`;
  const route = loadSite().routes().get(url);
  if (!route) notFound();
  return { url, route };
}

/** The feeds a route links to: a section listing its own, every other page the site's. */
function feedsOf(route: Route) {
  const site = loadSite();
  return route.kind === "page" && route.page.type === SECTION ? site.feedLinks(route.page) : site.feedLinks();
}

function virtual(title: string, url: string, type: string) {
  return { type, title, url };
}

export async function generateMetadata({ params }: { params: Promise<Params> }): Promise<Metadata> {
  const { url, route } = routeFor((await params).slug);
  const feeds = feedsOf(route);
  switch (route.kind) {
    case "page":
      return pageMetadata(route.page, { feeds });
    case "tag":
      return pageMetadata(virtual(route.term.name, url, "TagPage"), { feeds });
    case "author":
      return pageMetadata(virtual(route.term.name, url, "AuthorPage"), { feeds });
    case "tags":
      return pageMetadata(virtual("Tags", url, "TagsIndex"), { feeds });
    case "authors":
      return pageMetadata(virtual("Authors", url, "AuthorsIndex"), { feeds });
  }
}

export default async function ContentPage({ params }: { params: Promise<Params> }) {
  const { url, route } = routeFor((await params).slug);
  const site = loadSite();
  const frame = frameData(feedsOf(route));
  let view;
  switch (route.kind) {
    case "page": {
      const page = route.page;
      if (page.type === SECTION) {
        view = (
          <SectionView
            page={page}
            entries={route.entries || []}
            subsections={site.subsections(page)}
            pagination={route.pagination}
          />
        );
      } else if (page.type === ARTICLE) {
        const { next, previous } = site.neighbours(page);
        view = (
          <>
            <script type="application/ld+json" dangerouslySetInnerHTML={{ __html: articleJsonLd(page) }} />
            <ArticleView page={page} next={next} previous={previous} />
          </>
        );
      } else {
        const subsections = site.subsections(page);
        view = <StandardView page={page} childPages={subsections.length ? subsections : site.kids(page.url)} />;
      }
      break;
    }
    case "tag":
      view = <TagView tag={route.term} entries={route.entries} pagination={route.pagination} />;
      break;
    case "author":
      view = <AuthorView author={route.term} entries={route.entries} pagination={route.pagination} />;
      break;
    case "tags":
      view = <IndexView title="Tags" kind="tags" terms={site.index("tags")} />;
      break;
    case "authors":
      view = <IndexView title="Authors" kind="authors" terms={site.index("authors")} />;
      break;
  }
  return (
    <Frame frame={frame} here={url}>
      {view}
    </Frame>
  );
}
