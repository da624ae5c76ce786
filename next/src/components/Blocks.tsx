import { Fragment } from "react";
import hljs from "highlight.js/lib/common";
import type { components } from "@/lib/api-schema";
import { ResponsiveImage } from "./Image";

type Block = components["schemas"]["BodyBlock"];

/** Code as highlighted HTML (highlight.js at build time); unknown languages as plain text. */
function highlighted(code: string, language: string): string {
  const lang = language.trim().toLowerCase();
  if (lang && hljs.getLanguage(lang)) return hljs.highlight(code, { language: lang }).value;
  return code.replace(/[&<>"]/g, (c) => `&${{ "&": "amp", "<": "lt", ">": "gt", '"': "quot" }[c]};`);
}

/** One StreamField block, as site/templates/blocks/<type>.html renders it. */
export function BlockView({ block }: { block: Block }) {
  switch (block.type) {
    case "paragraph":
    case "raw_html":
      return <div className="rich-text" dangerouslySetInnerHTML={{ __html: block.value }} />;
    case "heading": {
      const { text, level, anchor } = block.value;
      const Tag = `h${level}` as "h2" | "h3" | "h4";
      return (
        <Tag id={anchor} className="anchored">
          <a href={`#${anchor}`}>
            {text}
            <span className="anchor-mark" aria-hidden="true">#</span>
          </a>
        </Tag>
      );
    }
    case "image":
      if (!block.value.image) return null;
      return (
        <figure className="figure">
          <ResponsiveImage img={block.value.image} alt={block.value.alt} />
          {block.value.caption ? <figcaption>{block.value.caption}</figcaption> : null}
        </figure>
      );
    case "code": {
      const { language, code } = block.value;
      return (
        <figure className="code">
          {language ? <figcaption className="code-lang">{language}</figcaption> : null}
          <div className="highlight">
            {/* Focusable, so keyboard users can scroll a long line (axe: scrollable-region-focusable). */}
            <pre tabIndex={0}>
              <code
                className={language ? `hljs language-${language}` : "hljs"}
                dangerouslySetInnerHTML={{ __html: highlighted(code, language) }}
              />
            </pre>
          </div>
        </figure>
      );
    }
    case "quote":
      return (
        <figure className="quote">
          <blockquote dangerouslySetInnerHTML={{ __html: block.value.text }} />
          {block.value.attribution ? <figcaption>— {block.value.attribution}</figcaption> : null}
        </figure>
      );
    case "table": {
      const t = block.value;
      return (
        // A wide table scrolls in its own region, focusable so keyboards can scroll it.
        // Alignment is a class (align-*): the CSP allows no inline style attributes.
        <div className="table-wrap" role="region" aria-label={t.caption || "Table"} tabIndex={0}>
          <table>
            {t.caption ? <caption>{t.caption}</caption> : null}
            {t.columns.some((c) => c.heading) ? (
              <thead>
                <tr>
                  {t.columns.map((c, i) => (
                    <th
                      scope="col"
                      key={i}
                      className={c.align ? `align-${c.align}` : undefined}
                      dangerouslySetInnerHTML={{ __html: c.heading_html }}
                    />
                  ))}
                </tr>
              </thead>
            ) : null}
            <tbody>
              {t.rows.map((row, r) => (
                <tr key={r}>
                  {row.values.map((cell, c) => (
                    <td
                      key={c}
                      className={t.columns[c]?.align ? `align-${t.columns[c].align}` : undefined}
                      dangerouslySetInnerHTML={{ __html: cell }}
                    />
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      );
    }
    case "embed": {
      const e = block.value;
      if (!e) return null;
      if (e.html) return <div className="embed" dangerouslySetInnerHTML={{ __html: e.html }} />;
      return (
        <p className="embed-link">
          <a href={e.url}>{e.title || e.url}</a>
        </p>
      );
    }
    case "definitions":
      if (!block.value.length) return null;
      return (
        <dl className="definitions">
          {block.value.map((item, i) => (
            <Fragment key={item.anchor || i}>
              <dt id={item.anchor || undefined} dangerouslySetInnerHTML={{ __html: item.term_html }} />
              <dd dangerouslySetInnerHTML={{ __html: item.definition }} />
            </Fragment>
          ))}
        </dl>
      );
    case "footnotes":
      if (!block.value.length) return null;
      return (
        <section className="footnotes" aria-label="Footnotes">
          <ol>
            {block.value.map((note) => (
              <li id={note.anchor} key={note.anchor} dangerouslySetInnerHTML={{ __html: note.text }} />
            ))}
          </ol>
        </section>
      );
  }
}

/** A StreamField body: each block in order. */
export function Body({ blocks }: { blocks: Block[] | undefined }) {
  return (
    <>
      {(blocks || []).map((block, i) => (
        <BlockView block={block} key={block.id || i} />
      ))}
    </>
  );
}
