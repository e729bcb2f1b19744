/**
 * Where the migrated template databases made by globalSetup live. Names carry the id of the
 * run (set by globalSetup, inherited by the test workers) so concurrent runs never collide.
 */
import { fileURLToPath } from "node:url";

export const ARTIFACTS_DIR = fileURLToPath(new URL("../.artifacts", import.meta.url));

const runId = () => process.env.ZHTJ_TEST_RUN ?? String(process.pid);
export const pgliteTemplatePath = () => `${ARTIFACTS_DIR}/pglite-template-${runId()}.tar.gz`;
export const postgresTemplateDb = () => `zhtj_test_template_${runId()}`;

export function postgresUrlFor(base: string, database: string): string {
  const url = new URL(base);
  url.pathname = `/${database}`;
  return url.toString();
}
