import type { components } from "@/lib/api-schema";
import { humanDate } from "@/lib/format";

type Comment = components["schemas"]["Comment"];

function flatten(comments: Comment[]): Comment[] {
  return comments.flatMap((c) => [c, ...flatten(c.replies)]);
}

function Thread({ comments, preview }: { comments: Comment[]; preview: boolean }) {
  return (
    <>
      {comments.map((c) => (
        <li className="comment" id={`comment-${c.id}`} key={c.id}>
          <article aria-label={`Comment by ${c.author_name}`}>
            <p className="comment-meta">
              <span className="comment-author">{c.author_name}</span>{" "}
              <a href={`#comment-${c.id}`} className="comment-permalink">
                <time dateTime={c.created_at}>{humanDate(c.created_at)}</time>
              </a>
            </p>
            {/* body_html is sanitised by the comments function and again by the CMS API (nh3). */}
            <div className="comment-body" dangerouslySetInnerHTML={{ __html: c.body_html }} />
            {preview ? null : (
              <p className="comment-actions">
                <a className="comment-reply" href="#comment-form" data-reply-to={c.id}>
                  Reply<span className="visually-hidden"> to {c.author_name}</span>
                </a>
              </p>
            )}
          </article>
          {c.replies.length ? (
            <ol className="comment-replies">
              <Thread comments={c.replies} preview={preview} />
            </ol>
          ) : null}
        </li>
      ))}
    </>
  );
}

/**
 * An article's approved comments (baked in at build time) and the comment form, which
 * posts to the comments function (`/api/comments`) and works without JavaScript; the
 * Jinja2 site's `js/comments.js` adds the form token, posting in place and retries.
 */
export function Comments({
  pageId,
  pageUrl,
  comments,
  preview = false,
}: {
  pageId: number | null;
  pageUrl: string;
  comments: Comment[];
  preview?: boolean;
}) {
  const flat = flatten(comments);
  return (
    <section className="comments" id="comments" aria-labelledby="comments-heading">
      <h2 id="comments-heading">
        Comments{flat.length ? <> <span className="comment-count">({flat.length})</span></> : null}
      </h2>
      {comments.length ? (
        <ol className="comment-list">
          <Thread comments={comments} preview={preview} />
        </ol>
      ) : (
        <p className="empty">No comments yet.</p>
      )}
      {preview || pageId === null ? null : (
        <>
          <form id="comment-form" className="comment-form" method="post" action="/api/comments" data-page={pageId}>
            <h3>Leave a comment</h3>
            <input type="hidden" name="page" value={pageId} />
            <input type="hidden" name="return_to" value={pageUrl} />
            <input type="hidden" name="form_token" value="" />
            {flat.length ? (
              <p>
                <label htmlFor="comment-parent">In reply to</label>
                <br />
                <select id="comment-parent" name="parent" defaultValue="">
                  <option value="">Nobody: a new comment</option>
                  {flat.map((c) => (
                    <option value={c.id} key={c.id}>
                      {c.author_name} (comment {c.id})
                    </option>
                  ))}
                </select>
              </p>
            ) : null}
            <p>
              <label htmlFor="comment-name">Name</label>
              <br />
              <input id="comment-name" name="author_name" required maxLength={80} autoComplete="name" />
            </p>
            <p>
              <label htmlFor="comment-email">
                Email <span className="hint">(optional, never shown)</span>
              </label>
              <br />
              <input id="comment-email" name="author_email" type="email" maxLength={254} autoComplete="email" />
            </p>
            <p>
              <label htmlFor="comment-body">Comment</label>
              <br />
              <textarea id="comment-body" name="body" required maxLength={5000} rows={6} aria-describedby="comment-help" />
            </p>
            <p id="comment-help" className="hint">
              Markdown works: *emphasis*, **strong**, `code`, links, lists and quotes. Comments appear once a
              moderator approves them.
            </p>
            <div className="comment-hp" aria-hidden="true">
              <label htmlFor="comment-website">Leave this field empty</label>{" "}
              <input id="comment-website" name="website" tabIndex={-1} autoComplete="off" />
            </div>
            <p>
              <button type="submit" className="button">Post comment</button>
            </p>
            <p className="comment-status" role="status" aria-live="polite"></p>
          </form>
          <script src="/js/comments.js" defer></script>
        </>
      )}
    </section>
  );
}
