import type { ReactNode } from "react";
import { loadSite } from "@/lib/site.mjs";
import "../styles/site.css";
import "./highlight.css";

export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang={loadSite().language}>
      <body>{children}</body>
    </html>
  );
}
