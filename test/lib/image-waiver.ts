/**
 * For prod configs written inline by tests about something else: waives the prod digest rule for every sensitive
 * image whose default is pinned by tag only (config `images`), as Pulumi.prod.yaml does. The rule itself is tested in
 * test/config-images.test.ts.
 */
export const TAG_ONLY_WAIVER = {
  allowTagOnly: ["velero.awsPluginImage", "flows.tenants.optOutImage", "flows.benji.image", "flows.zrepl.image", "storage.minio.image", "storage.minio.mcImage"],
} as const;
