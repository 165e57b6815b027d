/** How `npm start` and `npm run demo:passwords` show the demo credentials. */
import type { DemoCredentials } from './prepare-database.js';

export const NEW_PASSWORDS_COMMAND = 'npm run demo:passwords';

/** Shown when the demo accounts already existed, so their passwords were not printed this time. */
export function existingAccountsLines(): string[] {
  return [
    'demo accounts already exist; their passwords were printed when they were created',
    `(for working credentials now: \`${NEW_PASSWORDS_COMMAND}\` sets new passwords and prints them)`,
  ];
}

/**
 * The credentials for people, and with `forScripts` the `DEMO_OPERATOR {json}` /
 * `DEMO_CRAFTER_USER {json}` lines that tests and scripts read.
 */
export function credentialsText(credentials: DemoCredentials, heading: string, forScripts: boolean): string {
  const { operator, crafterUser } = credentials;
  const lines = ['', `  ${heading}`];
  if (operator) lines.push(`    operator      username ${operator.username}   password ${operator.password}`);
  if (crafterUser)
    lines.push(`    crafter user  username ${crafterUser.username}   password ${crafterUser.password}`);
  lines.push('');
  if (forScripts) {
    if (operator) lines.push(`DEMO_OPERATOR ${JSON.stringify(operator)}`);
    if (crafterUser) lines.push(`DEMO_CRAFTER_USER ${JSON.stringify(crafterUser)}`);
  }
  return `${lines.join('\n')}\n`;
}
