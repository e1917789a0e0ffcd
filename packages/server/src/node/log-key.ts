import { createHash, createPrivateKey, createPublicKey } from 'node:crypto';
import { AccordError } from '@accord/core';
import { type NoteSigner, parseSignerKey, parseVerifierKey } from '@accord/custody';

/**
 * The node signs its checkpoints with the Ed25519 key in keys/node.ed25519.pem, named after the
 * log's origin (C2SP signed-note). Returns the signer and the verifier key text partners use.
 */
export const loadLogKey = async (
  pem: string,
  origin: string,
): Promise<{ signer: NoteSigner; vkey: string }> => {
  let seed: Buffer;
  let publicKey: Buffer;
  try {
    const key = createPrivateKey(pem);
    if (key.asymmetricKeyType !== 'ed25519') throw new Error(`it is a ${key.asymmetricKeyType} key`);
    // PKCS#8 for Ed25519 is a fixed 16-byte prefix followed by the 32-byte seed (RFC 8410).
    seed = key.export({ format: 'der', type: 'pkcs8' }).subarray(16);
    publicKey = createPublicKey(key).export({ format: 'der', type: 'spki' }).subarray(12);
  } catch (e) {
    throw new AccordError(
      'config',
      `keys/node.ed25519.pem is not a usable Ed25519 private key: ${(e as Error).message}`,
    );
  }
  const typed = (bytes: Buffer): string => Buffer.concat([Buffer.from([0x01]), bytes]).toString('base64');
  const keyId = createHash('sha256')
    .update(Buffer.concat([Buffer.from(`${origin}\n`), Buffer.from([0x01]), publicKey]))
    .digest()
    .subarray(0, 4)
    .toString('hex');
  const signer = await parseSignerKey(`PRIVATE+KEY+${origin}+${keyId}+${typed(seed)}`);
  const vkey = `${origin}+${keyId}+${typed(publicKey)}`;
  await parseVerifierKey(vkey);
  return { signer, vkey };
};
