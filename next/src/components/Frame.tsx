import type { ReactNode } from "react";

/** What the header and footer show; built from the site settings at build time. */
export type FrameData = {
  name: string;
  tagline: string;
  nav: { title: string; url: string }[];
  social_links: { label: string; url: string }[];
  feeds: { title: string; url: string }[];
};

/** The page shell of site/templates/base.html: skip link, header, main, footer. */
export function Frame({
  frame,
  here,
  preview = false,
  children,
}: {
  frame: FrameData;
  here: string;
  preview?: boolean;
  children: ReactNode;
}) {
  return (
    <>
      <a className="skip-link" href="#main">Skip to content</a>
      {preview ? (
        <div className="preview-banner" role="status">
          Draft preview: this page is not published. Only people with this link can see it.
        </div>
      ) : null}
      <header className="site-header">
        <div className="wrap">
          <a className="site-name" href="/">{frame.name}</a>
          {frame.nav.length ? (
            <nav aria-label="Main">
              <ul>
                {frame.nav.map((item) => (
                  <li key={item.url}>
                    <a
                      href={item.url}
                      aria-current={
                        here === item.url
                          ? "page"
                          : item.url !== "/" && here.startsWith(item.url)
                            ? "true"
                            : undefined
                      }
                    >
                      {item.title}
                    </a>
                  </li>
                ))}
              </ul>
            </nav>
          ) : null}
          <form className="site-search" role="search" action="/api/search" method="get" aria-label="Site" data-site-search="">
            <label className="visually-hidden" htmlFor="site-search-q">Search the site</label>
            <input id="site-search-q" type="search" name="q" maxLength={200} placeholder="Search" />
            <button type="submit">Search</button>
          </form>
        </div>
      </header>
      <main id="main" className="wrap">{children}</main>
      <footer className="site-footer">
        <div className="wrap">
          {frame.tagline ? <p className="tagline">{frame.tagline}</p> : null}
          {frame.social_links.length ? (
            <ul className="footer-links" aria-label="Elsewhere">
              {frame.social_links.map((link) => (
                <li key={link.url}>
                  <a href={link.url} rel="me">{link.label}</a>
                </li>
              ))}
            </ul>
          ) : null}
          {frame.feeds.length ? (
            <ul className="footer-links" aria-label="Feeds">
              {frame.feeds.map((feed) => (
                <li key={feed.url}>
                  <a href={feed.url} type="application/atom+xml">{feed.title} (Atom feed)</a>
                </li>
              ))}
            </ul>
          ) : null}
          <p className="colophon">© {frame.name}</p>
        </div>
      </footer>
    </>
  );
}
