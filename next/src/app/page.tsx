import type { Metadata } from "next";
import { Frame } from "@/components/Frame";
import { HomeView } from "@/components/Views";
import { frameData, pageMetadata } from "@/lib/meta";
import { loadSite } from "@/lib/site.mjs";

function home() {
  const page = loadSite().byUrl.get("/");
  if (!page) throw new Error("no home page");
  return page;
}

export function generateMetadata(): Metadata {
  return pageMetadata(home());
}

export default function HomePage() {
  const site = loadSite();
  const page = home();
  return (
    <Frame frame={frameData()} here="/">
      <HomeView page={page} recent={site.recent()} sections={site.subsections(page)} />
    </Frame>
  );
}
