import type { NextConfig } from "next";

/**
 * A static export (`out/`): every page is HTML at its pretty URL (`/blog/hello/` ->
 * `blog/hello/index.html`), as the Jinja2 builder writes them, so the same deploy backends,
 * `_redirects` and `jamtail serve` work unchanged.
 */
const config: NextConfig = {
  output: "export",
  trailingSlash: true,
  images: { unoptimized: true },
  poweredByHeader: false,
  reactStrictMode: true,
  // ESLint runs as its own step (`npm run lint`, `make test`), not inside every build.
  eslint: { ignoreDuringBuilds: true },
};

export default config;
