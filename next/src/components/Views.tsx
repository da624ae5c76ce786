/**
 * One view per page type, as site/templates/<type>.html renders it. Each takes plain data
 * (no file or network access), so the static pages and the draft preview (a client
 * component) render a page with the same components.
 */
import type { Page, Pagination as PaginationData, Person, Term } from "@/lib/site.mjs";
import { Body } from "./Blocks";
import { Comments } from "./Comments";
import { ResponsiveImage } from "./Image";
import { Byline, CardList, LinkList, Pagination, TagList } from "./Listing";

type Link = Pick<Page, "title" | "url"> | null;

export function HomeView({ page, recent, sections }: { page: Page; recent: Page[]; sections: Page[] }) {
  return (
    <>
      <div className="page-intro home-intro">
        <h1>{page.title}</h1>
        {page.intro ? <div className="lead" dangerouslySetInnerHTML={{ __html: page.intro }} /> : null}
      </div>
      {page.body?.length ? (
        <div className="prose">
          <Body blocks={page.body} />
        </div>
      ) : null}
      {recent.length ? (
        <section className="listing" aria-labelledby="latest">
          <h2 id="latest">Latest</h2>
          <CardList entries={recent} level={3} />
        </section>
      ) : null}
      {sections.length ? (
        <section className="listing" aria-labelledby="sections">
          <h2 id="sections">Sections</h2>
          <LinkList items={sections} />
        </section>
      ) : null}
    </>
  );
}

export function SectionView({
  page,
  entries,
  subsections,
  pagination,
}: {
  page: Page;
  entries: Page[];
  subsections: Page[];
  pagination?: PaginationData;
}) {
  return (
    <>
      <div className="page-intro">
        <h1>{page.title}</h1>
        {page.intro ? (
          <div className="lead" dangerouslySetInnerHTML={{ __html: page.intro }} />
        ) : page.description ? (
          <p className="lead">{page.description}</p>
        ) : null}
      </div>
      {subsections.length ? (
        <>
          <nav className="subsections" aria-labelledby="subsections-title">
            <h2 id="subsections-title">In this section</h2>
            <LinkList items={subsections} />
          </nav>
          <h2 className="visually-hidden">Articles</h2>
          <CardList entries={entries} level={3} />
        </>
      ) : (
        <CardList entries={entries} level={2} />
      )}
      <Pagination p={pagination} />
    </>
  );
}

export function ArticleView({
  page,
  next,
  previous,
  preview = false,
}: {
  page: Page;
  next: Link;
  previous: Link;
  preview?: boolean;
}) {
  return (
    <>
      <article className="article">
        <header className="article-header">
          <h1>{page.title}</h1>
          <Byline entry={page} />
          <TagList tags={page.tags} />
        </header>
        {page.hero_image ? (
          <figure className="hero">
            <ResponsiveImage
              img={page.hero_image}
              sizes="(min-width: 60rem) 60rem, 100vw"
              loading="eager"
              fetchPriority="high"
            />
          </figure>
        ) : null}
        <div className="prose">
          <Body blocks={page.body} />
        </div>
      </article>
      <Comments pageId={page.id} pageUrl={page.url} comments={page.comments || []} preview={preview} />
      {previous || next ? (
        <nav className="article-nav" aria-label="More articles">
          <ul>
            {previous ? (
              <li className="article-nav-prev">
                <a href={previous.url} rel="prev">
                  <span className="article-nav-label">Previous article</span> {previous.title}
                </a>
              </li>
            ) : null}
            {next ? (
              <li className="article-nav-next">
                <a href={next.url} rel="next">
                  <span className="article-nav-label">Next article</span> {next.title}
                </a>
              </li>
            ) : null}
          </ul>
        </nav>
      ) : null}
    </>
  );
}

export function StandardView({ page, childPages }: { page: Page; childPages: Page[] }) {
  return (
    <>
      <article className="article">
        <header className="article-header">
          <h1>{page.title}</h1>
          {page.summary ? <p className="lead">{page.summary}</p> : null}
        </header>
        <div className="prose">
          <Body blocks={page.body} />
        </div>
      </article>
      {childPages.length ? (
        <nav className="subsections" aria-labelledby="children-title">
          <h2 id="children-title">In this section</h2>
          <LinkList items={childPages} />
        </nav>
      ) : null}
    </>
  );
}

export function TagView({ tag, entries, pagination }: { tag: Term; entries: Page[]; pagination: PaginationData }) {
  return (
    <>
      <div className="page-intro">
        <p className="eyebrow">Tag</p>
        <h1>Tagged “{tag.name}”</h1>
      </div>
      <CardList entries={entries} level={2} />
      <Pagination p={pagination} />
    </>
  );
}

export function AuthorView({
  author,
  entries,
  pagination,
}: {
  author: Person;
  entries: Page[];
  pagination: PaginationData;
}) {
  return (
    <>
      <div className="page-intro author-intro">
        {author.avatar ? (
          <ResponsiveImage img={author.avatar} alt="" sizes="6rem" className="avatar" loading="eager" />
        ) : null}
        <div>
          <p className="eyebrow">Author</p>
          <h1>{author.name}</h1>
          {author.bio ? <div className="bio" dangerouslySetInnerHTML={{ __html: author.bio }} /> : null}
          {author.website ? (
            <p>
              <a href={author.website} rel="me">Website</a>
            </p>
          ) : null}
        </div>
      </div>
      <h2 className="listing-title">Articles by {author.name}</h2>
      <CardList entries={entries} level={3} />
      <Pagination p={pagination} />
    </>
  );
}

type Counted = { name: string; url: string; count: number; avatar?: Person["avatar"] };

export function IndexView({ title, terms, kind }: { title: string; terms: Counted[]; kind: "tags" | "authors" }) {
  const count = (n: number) => `${n} ${n === 1 ? "article" : "articles"}`;
  return (
    <>
      <div className="page-intro">
        <h1>{title}</h1>
      </div>
      <ul className={kind === "tags" ? "tag-index" : "author-index"}>
        {terms.map((t) => (
          <li key={t.url}>
            {kind === "authors" && t.avatar ? (
              <ResponsiveImage img={t.avatar} alt="" sizes="3rem" className="avatar" />
            ) : null}
            <a href={t.url}>{t.name}</a> <span className="count">{count(t.count)}</span>
          </li>
        ))}
      </ul>
    </>
  );
}
