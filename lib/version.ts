/** Build identity; the build injects the real values with esbuild --define. */
declare const OCI_TS_VERSION: string | undefined;
declare const OCI_TS_COMMIT: string | undefined;

export const VERSION = {
  version: typeof OCI_TS_VERSION === 'string' ? OCI_TS_VERSION : '0.1.0-dev',
  commit: typeof OCI_TS_COMMIT === 'string' ? OCI_TS_COMMIT : 'unknown',
  spec: '1.3.0',
};

/** runc's three-line shape; containerd's client library requires exactly three lines. */
export function versionText(): string {
  return `oci-ts version ${VERSION.version}\ncommit: ${VERSION.commit}\nspec: ${VERSION.spec}\n`;
}
