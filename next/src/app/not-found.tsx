import type { Metadata } from "next";
import { Frame } from "@/components/Frame";
import { frameData } from "@/lib/meta";
import { loadSite } from "@/lib/site.mjs";

export function generateMetadata(): Metadata {
  return { title: { absolute: `Page not found – ${loadSite().name}` }, robots: { index: false } };
}

/** Served for every missing path (out/404.html), so every URL here is root-relative. */
export default function NotFound() {
  return (
    <Frame frame={frameData()} here="/404.html">
      <div className="page-intro not-found">
        <h1>Page not found</h1>
        <p className="lead">Sorry, there is nothing at this address. It may have moved, or the link may be mistyped.</p>
        <p>
          <a className="button" href="/">Go to the home page</a>
        </p>
      </div>
    </Frame>
  );
}
