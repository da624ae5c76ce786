import type { Metadata } from "next";
import type { ReactNode } from "react";
import { loadSite } from "@/lib/site.mjs";
import "../styles/site.css";
import "./highlight.css";

export const metadata: Metadata = {
  icons: { icon: [{ url: "/favicon.svg", type: "image/svg+xml" }] },
};

export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang={loadSite().language}>
      <body>{children}</body>
    </html>
  );
}
