/**
 * Channel credentials at rest: AES-256-GCM with a key id recorded next to every sealed secret, so the
 * key can be rotated (`npm run credentials:rotate`) while old rows stay readable.
 *
 * A sealed secret is the text `v1.<keyId>.<iv>.<ciphertext>.<tag>` (base64url parts). The key id and a
 * caller-chosen context string (for example `channel_connections:<id>`) are authenticated as
 * additional data, so a sealed value copied onto another row, or relabelled with another key id,
 * fails to open instead of decrypting to the wrong credentials.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

const VERSION = 'v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;
const KEY_BYTES = 32;
const KEY_ID = /^[A-Za-z0-9_-]{1,32}$/;

/** The keys this process can open with, and the one it seals with. */
export interface Keyring {
  activeKeyId: string;
  keys: ReadonlyMap<string, Buffer>;
}

/** A sealed value names a key this process does not have, or is malformed, or was tampered with. */
export class SecretUnavailableError extends Error {
  constructor(
    message: string,
    readonly reason: 'malformed' | 'unknown_key' | 'tampered',
  ) {
    super(message);
    this.name = 'SecretUnavailableError';
  }
}

/**
 * Parses `CREDENTIALS_KEYS` (`id:base64key,id2:base64key`) and the active key id. Throws a message
 * naming the problem (never the key material) for the config loader to report.
 */
export function parseKeyring(spec: string, activeKeyId: string): Keyring {
  const keys = new Map<string, Buffer>();
  for (const entry of spec
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean)) {
    const colon = entry.indexOf(':');
    const id = colon > 0 ? entry.slice(0, colon) : '';
    if (!KEY_ID.test(id))
      throw new Error('each entry must be <id>:<base64 key>, id of letters, digits, _ or -');
    const key = Buffer.from(entry.slice(colon + 1), 'base64');
    if (key.length !== KEY_BYTES) throw new Error(`key "${id}" must decode to ${KEY_BYTES} bytes`);
    if (keys.has(id)) throw new Error(`key id "${id}" appears twice`);
    keys.set(id, key);
  }
  if (keys.size === 0) throw new Error('at least one key is required');
  if (!keys.has(activeKeyId)) throw new Error(`active key id "${activeKeyId}" is not among the keys`);
  return { activeKeyId, keys };
}

/** A fresh random key in the `CREDENTIALS_KEYS` format (demo and test mode, and the docs' example). */
export function generateKeySpec(id: string): string {
  return `${id}:${randomBytes(KEY_BYTES).toString('base64')}`;
}

function aad(keyId: string, context: string): Buffer {
  return Buffer.from(`${VERSION}|${keyId}|${context}`, 'utf8');
}

/** Encrypts `plaintext` under the active key, bound to `context`. */
export function seal(keyring: Keyring, plaintext: string, context: string): string {
  const keyId = keyring.activeKeyId;
  const key = keyring.keys.get(keyId);
  if (!key) throw new Error('active key missing from keyring');
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(aad(keyId, context));
  const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  const tag = cipher.getAuthTag();
  return [VERSION, keyId, iv, ciphertext, tag]
    .map((p) => (typeof p === 'string' ? p : p.toString('base64url')))
    .join('.');
}

/** The key id a sealed value was made with (without opening it). */
export function sealedKeyId(sealed: string): string {
  const parts = sealed.split('.');
  if (parts.length !== 5 || parts[0] !== VERSION || !KEY_ID.test(parts[1] ?? ''))
    throw new SecretUnavailableError('sealed secret is malformed', 'malformed');
  return parts[1] as string;
}

/** Decrypts a sealed value made by `seal` with the same `context`. */
export function open(keyring: Keyring, sealed: string, context: string): string {
  const keyId = sealedKeyId(sealed);
  const [, , ivText, ctText, tagText] = sealed.split('.') as [string, string, string, string, string];
  const key = keyring.keys.get(keyId);
  if (!key) throw new SecretUnavailableError(`no key "${keyId}" in CREDENTIALS_KEYS`, 'unknown_key');
  const iv = Buffer.from(ivText, 'base64url');
  const tag = Buffer.from(tagText, 'base64url');
  if (iv.length !== IV_BYTES || tag.length !== TAG_BYTES)
    throw new SecretUnavailableError('sealed secret is malformed', 'malformed');
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
    decipher.setAAD(aad(keyId, context));
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(Buffer.from(ctText, 'base64url')), decipher.final()]).toString(
      'utf8',
    );
  } catch {
    throw new SecretUnavailableError('sealed secret failed authentication', 'tampered');
  }
}

/** JSON convenience wrappers: credentials are stored as one sealed JSON object per connection. */
export function sealJson(keyring: Keyring, value: unknown, context: string): string {
  return seal(keyring, JSON.stringify(value), context);
}

export function openJson<T>(keyring: Keyring, sealed: string, context: string): T {
  return JSON.parse(open(keyring, sealed, context)) as T;
}

/** Re-seals under the active key; returns `null` when the value already uses it (nothing to do). */
export function reseal(keyring: Keyring, sealed: string, context: string): string | null {
  if (sealedKeyId(sealed) === keyring.activeKeyId) return null;
  return seal(keyring, open(keyring, sealed, context), context);
}
