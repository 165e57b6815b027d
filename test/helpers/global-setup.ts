/**
 * Runs once before all test files. Database-backed suites create their own database from a
 * migrated template (see test/helpers/db.ts); this file prepares that template.
 */
export default async function globalSetup(): Promise<void> {
  const { prepareTemplateDatabase } = await import('./db-template.js');
  await prepareTemplateDatabase();
}
