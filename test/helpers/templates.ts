/** Where the migrated template databases made by globalSetup live. */
import { fileURLToPath } from "node:url";

export const ARTIFACTS_DIR = fileURLToPath(new URL("../.artifacts", import.meta.url));
export const PGLITE_TEMPLATE = `${ARTIFACTS_DIR}/pglite-template.tar.gz`;
export const POSTGRES_TEMPLATE_DB = "zhtj_test_template";

export function postgresUrlFor(base: string, database: string): string {
  const url = new URL(base);
  url.pathname = `/${database}`;
  return url.toString();
}
