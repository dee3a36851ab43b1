import * as pulumi from "@pulumi/pulumi";
import type { S3Target } from "./types";

/**
 * The AWS shared-credentials file Velero reads from its Secret key `cloud` (mounted at /credentials,
 * AWS_SHARED_CREDENTIALS_FILE=/credentials/cloud). Always a Pulumi secret.
 */
export function veleroCloudCredentials(target: Pick<S3Target, "accessKeyId" | "secretAccessKey">): pulumi.Output<string> {
  return pulumi.secret(
    pulumi.interpolate`[default]\naws_access_key_id=${target.accessKeyId}\naws_secret_access_key=${target.secretAccessKey}\n`,
  );
}

/** Secret `stringData` for Benji's S3 key files (`/benji/s3/access-key-id`, `/benji/s3/secret-access-key`). */
export function benjiS3SecretData(target: Pick<S3Target, "accessKeyId" | "secretAccessKey">): Record<string, pulumi.Output<string>> {
  return {
    "access-key-id": pulumi.secret(target.accessKeyId),
    "secret-access-key": pulumi.secret(target.secretAccessKey),
  };
}
