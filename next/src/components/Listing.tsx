import type { Page, Pagination as PaginationData, Person, Term } from "@/lib/site.mjs";
import { humanDate } from "@/lib/format";

type Entry = Pick<Page, "title" | "url" | "date" | "summary"> & { authors?: Person[]; tags?: Term[] };

function AuthorLinks({ authors }: { authors: Person[] }) {
  return (
    <>
      {authors.map((a, i) => (
        <span key={a.slug}>
          {i === 0 ? "" : i === authors.length - 1 ? " and " : ", "}
          <a href={a.url}>{a.name}</a>
        </span>
      ))}
    </>
  );
}

export function Byline({ entry }: { entry: Entry }) {
  const authors = entry.authors || [];
  if (!authors.length && !entry.date) return null;
  return (
    <p className="byline">
      {authors.length ? (
        <>
          By <AuthorLinks authors={authors} />
          {entry.date ? (
            <>
              {" "}
              <span aria-hidden="true">·</span>{" "}
            </>
          ) : null}
        </>
      ) : null}
      {entry.date ? <time dateTime={entry.date}>{humanDate(entry.date)}</time> : null}
    </p>
  );
}

export function TagList({ tags }: { tags: Term[] | undefined }) {
  if (!tags?.length) return null;
  return (
    <ul className="tags" aria-label="Tags">
      {tags.map((t) => (
        <li key={t.slug}>
          <a href={t.url}>{t.name}</a>
        </li>
      ))}
    </ul>
  );
}

export function Card({ entry, level = 2 }: { entry: Entry; level?: 2 | 3 }) {
  const H = `h${level}` as "h2" | "h3";
  return (
    <article className="card">
      <H className="card-title">
        <a href={entry.url}>{entry.title}</a>
      </H>
      <Byline entry={entry} />
      {entry.summary ? <p className="card-summary">{entry.summary}</p> : null}
      <TagList tags={entry.tags} />
    </article>
  );
}

export function CardList({ entries, level = 2 }: { entries: Entry[]; level?: 2 | 3 }) {
  if (!entries.length) return <p className="empty">Nothing published here yet.</p>;
  return (
    <ul className="cards">
      {entries.map((entry) => (
        <li key={entry.url}>
          <Card entry={entry} level={level} />
        </li>
      ))}
    </ul>
  );
}

export function LinkList({ items }: { items: { title: string; url: string; description?: string; summary?: string }[] }) {
  return (
    <ul className="link-list">
      {items.map((item) => (
        <li key={item.url}>
          <a href={item.url}>{item.title}</a>
          {item.description || item.summary ? <p>{item.description || item.summary}</p> : null}
        </li>
      ))}
    </ul>
  );
}

/** Page links for a paginated listing; nothing for a single page. */
export function Pagination({ p }: { p: PaginationData | undefined }) {
  if (!p || p.num_pages <= 1) return null;
  return (
    <nav className="pagination" aria-label="Pagination">
      <p className="pagination-status">
        Page {p.number} of {p.num_pages}
      </p>
      <ul>
        {p.prev_url ? (
          <li>
            <a href={p.prev_url} rel="prev">
              ← Previous<span className="visually-hidden"> page</span>
            </a>
          </li>
        ) : null}
        {p.pages.map((pg) => (
          <li key={pg.number}>
            <a href={pg.url} aria-current={pg.number === p.number ? "page" : undefined}>
              <span className="visually-hidden">Page </span>
              {pg.number}
            </a>
          </li>
        ))}
        {p.next_url ? (
          <li>
            <a href={p.next_url} rel="next">
              Next<span className="visually-hidden"> page</span> →
            </a>
          </li>
        ) : null}
      </ul>
    </nav>
  );
}
