import type { components } from "@/lib/api-schema";

type ImageData = components["schemas"]["Image"];

/**
 * A responsive `<img>` from a Wagtail image (renditions as `srcset`), with the width and
 * height of the default rendition so the browser reserves the space before the file arrives.
 */
export function ResponsiveImage({
  img,
  alt,
  sizes = "(min-width: 48rem) 48rem, 100vw",
  className,
  loading = "lazy",
  fetchPriority,
}: {
  img: ImageData;
  alt?: string;
  sizes?: string;
  className?: string;
  loading?: "lazy" | "eager";
  fetchPriority?: "high";
}) {
  const shown = img.renditions.find((r) => r.url === img.url);
  const srcSet = img.renditions.map((r) => `${r.url} ${r.width}w`).join(", ");
  return (
    // eslint-disable-next-line @next/next/no-img-element -- renditions come from Wagtail, not next/image
    <img
      src={img.url}
      srcSet={srcSet || undefined}
      sizes={srcSet ? sizes : undefined}
      width={shown?.width ?? img.width}
      height={shown?.height ?? img.height}
      alt={alt ?? img.alt}
      className={className}
      loading={loading}
      decoding="async"
      fetchPriority={fetchPriority}
    />
  );
}
