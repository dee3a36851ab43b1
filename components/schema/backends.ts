/** The object storage backends a bucket can live on. */
export const BACKENDS = ["minio", "scaleway", "garage", "aws"] as const;
export type Backend = (typeof BACKENDS)[number];
