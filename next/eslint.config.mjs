import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { FlatCompat } from "@eslint/eslintrc";

const compat = new FlatCompat({ baseDirectory: dirname(fileURLToPath(import.meta.url)) });

const config = [
  { ignores: ["node_modules/**", ".next/**", "out/**", "public/**", "src/lib/api-schema.d.ts", "next-env.d.ts"] },
  ...compat.extends("next/core-web-vitals", "next/typescript"),
  {
    rules: {
      // Pages are plain HTML without Next's client runtime (scripts/postbuild.mjs), so links
      // are plain <a> elements: next/link would only add client-side navigation.
      "@next/next/no-html-link-for-pages": "off",
    },
  },
];

export default config;
