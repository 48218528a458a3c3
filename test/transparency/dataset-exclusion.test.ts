import assert from 'node:assert/strict';
import { constants, createPublicKey, publicEncrypt } from 'node:crypto';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  ExclusionTree,
  exclusionLeaves,
  exclusionLeavesInParallel,
  exclusionProof,
  exclusionProofText,
  verifyExclusionProof,
} from '../../src/transparency/dataset-exclusion.ts';
import {
  generateVrfKeyPem,
  i2osp,
  mgf1Sha256,
  os2ip,
  parseVrfPrivateKey,
  parseVrfPublicKey,
  vrfProofToHash,
  vrfProve,
  vrfVerify,
} from '../../src/transparency/rsa-fdh-vrf.ts';

/**
 * RSA-FDH-VRF-SHA256 (RFC 9381 §4) and the per-dataset commitment built on it. RFC 9381 publishes
 * test vectors for its ECVRF suites only; the RSA-FDH-VRF vectors below are those of the hacspec
 * reference implementation (hacspec/hacspec, examples/rsa-fdh-vrf), checked in both directions:
 * our verify accepts their proofs and our RSASP1, recomputed with BigInt from their private
 * exponent, gives their proofs. MGF1 and raw RSA are cross-checked against OpenSSL's own OAEP.
 */
const HACSPEC_N =
  '64f70acdc41c0ee7cb4961760368e34889c058ad3c7e578e8e72ed0d2fd1c7cfbb8beffd107204d544919db9d2470669c969e178d4deb8393daec4584ca9f162805c9ba46e617d89d4ab6480b0873b1cb92cf7232c88f013931ffe30f8ddf2cddbff4402bcb721985d2bb2eee5382dd09210b5d1da6b6b8207fe3e526de54efb55b56cd52d97cd77df6315569d5b59823c85ad99c57ad2959ec7d12cdf0c3e66cc57eaa1e644da9b0ca69b0df43945b0bd88ac66903ec98fe0e770b683ca7a332e69cba9229115a5295273aeeb4af2662063a312cbb4b871323f71888fd39557a5f4610ea7a590b021d43e5a89b69de68c728ce147f2743e0b97a5b3eb0d6ab1';
const HACSPEC_D =
  '39134e9033a488e8900ad3859b37d804519ae2864c04400ade8c2965a2fabc31ba9bc8f70e2ce67e895ca8053bd1dad6427e106ff626518e4a4859c670d0411ca5e3b438a80d84a23e0f05a99a2158514c7d16d8537cb5fadad8e3215c0e5c0bf3a9c210aa0dfc77dd73ae9b4e090c1d33f52e538b5dde508ba43626f2e906546773ba7401aa6b68ab1151da528336ddafc9a6f2995d89ec282bc555fe41e776216576c0aafb66ef00b718e6c62afd51faf82e7b5a1d430591465b2188fa286ce778eb6a1b346b58331c7820b4142fb808e59ec910aa9b6d340dea673ae7be2d9e1fa91494e40372bcfb92da5fe236dc93b30b0a59b20af8edf3a10e3ea6dfe1';
const HACSPEC_VECTORS = [
  {
    alpha: '',
    pi: '406581e350c601d6d7518ac928f6753929c56a7480a4a3d011ed65e5f61ca033accd45c03cac2dddcd61b909cedd0df517a1bba4705c9d04a2a8c7d735d24bc3e59b263cc8c18d5f6e2712747d809df7868ac720f90ffd3d7c7b78f3d75f14a9755ea8138804806f4739429d1a313b3abaaf89ce97fbdf10bc01d66723b0b38ad5dc51c87e5f852e2c8fc923cf0f9c86bb7bf8ae808532fcb8a981338d5b13278e66e19915e41c6fbd09f1fce3300da422fbf46f706d1c79f298c740926e14069f83dae52a25bad684e420ad5fc8af3b02e0cf3f79782fb6e7e65abe5e1f6b4fe41f20339b2986fe39f7ce4ceb9c2490d5229e9bfda93150d6800880c411daae',
    beta: 'd065ca3be8716236e99f64139adf481090f0a0c839f86ffda3c4fad948166af0',
  },
  {
    alpha: '72',
    pi: '3d396dc417bee1975ff63c4e8b43b9417be03a91d5eb47309790d74100271342d6dc11511333ec4bc42aea3e02640dc870665044e85085c3dea43eedeb266d9b2de3824aca18b8de3e4d198bde808d80a2a10f0f4bd73fbc7cc36da44cb68af3161b2264e737dcd2d669252abb29f275c971ff6b8234876b7d1ff3d4d05197fe563d6ae92685dccbbbb689b4837da42fe47433019d9bfc50001b11708bf9f656532febf674119c0d67e27714195722fd977e0fc35d7325b5fb3ecb54df53986e01a809d0e5ec442fdacc3d271e7ab5480b8eb18f25cd3baf6a47abc6bf027e8dedef911f2bec367fa5d65e106f314b64cc1d9534d4f26fa034035a43852be66a',
    beta: 'a229210b84f0bb43b296075f226dee433cf2727cd6c2e4871afdeb77414f6a47',
  },
  {
    alpha: 'af82',
    pi: '57b07056abc6851330b21ae890fd43ea53b4435319748cf8dba82148ee381c11d21a8660a8714aa59abaac2b7d0141ac4e85b1113b144328eb11461a7f26086896036fc49579a58a2516cecd274946f8dd82fef31652dfe2e2b495966cd6193a1bd197ef6e3472f30bfe14827dd968ea3bf8310dc002a765a0d54b12c3c9627309800b74701a3f7d07a02db0a6ca3a639e60726059727313818a6b671bebe18f078713ced33e50acbfd1e661ec89c5e82b8e1e07f6293f45474aa57d084da46a2437932491d92a87b3393bb0ec62254a3eca19e1004756867839671f84f7a2378097f334832f4aa0442fc5f8637fb2220bb3f2dca247927f0d49ae1c1b2e7455',
    beta: 'ebc5582b6aaf23c424ec1c74e1b8250327c957967fa37566284dac8400e62032',
  },
];

function modPow(base: bigint, exp: bigint, mod: bigint): bigint {
  let result = 1n;
  let b = base % mod;
  for (let e = exp; e > 0n; e >>= 1n) {
    if (e & 1n) result = (result * b) % mod;
    b = (b * b) % mod;
  }
  return result;
}

test('RSA-FDH-VRF-SHA256 agrees with the hacspec test vectors both ways', () => {
  const key = createPublicKey({
    key: { kty: 'RSA', n: Buffer.from(HACSPEC_N, 'hex').toString('base64url'), e: 'AQAB' },
    format: 'jwk',
  });
  const pk = parseVrfPublicKey(key.export({ type: 'spki', format: 'pem' }).toString());
  assert.equal(pk.k, 256);
  const n = BigInt(`0x${HACSPEC_N}`);
  const d = BigInt(`0x${HACSPEC_D}`);
  for (const v of HACSPEC_VECTORS) {
    const alpha = Buffer.from(v.alpha, 'hex');
    assert.equal(vrfVerify(pk, alpha, Buffer.from(v.pi, 'hex'))?.toString('hex'), v.beta);
    assert.equal(vrfProofToHash(Buffer.from(v.pi, 'hex')).toString('hex'), v.beta);
    // Prove by the RFC's own steps with their d: EM = MGF1(...), s = m^d mod n.
    const seed = Buffer.concat([Buffer.from([1, 1]), i2osp(256n, 4), i2osp(n, 256), alpha]);
    const s = modPow(os2ip(mgf1Sha256(seed, 255)), d, n);
    assert.equal(i2osp(s, 256).toString('hex'), v.pi);
    // Any other input, or a flipped bit of the proof: INVALID.
    assert.equal(
      vrfVerify(pk, Buffer.concat([alpha, Buffer.from([0])]), Buffer.from(v.pi, 'hex')),
      undefined,
    );
    const bent = Buffer.from(v.pi, 'hex');
    bent[100]! ^= 1;
    assert.equal(vrfVerify(pk, alpha, bent), undefined);
  }
});

test('MGF1, I2OSP and raw RSA match OpenSSL: an OAEP encoding built from them decrypts', async () => {
  const { privateDecrypt, createHash, randomBytes } = await import('node:crypto');
  const sk = parseVrfPrivateKey(generateVrfKeyPem());
  const k = sk.public.k;
  const message = Buffer.from('veto: MGF1 cross-check');
  // RFC 8017 §7.1.1 EME-OAEP with SHA-256 and an empty label, by hand.
  const lHash = createHash('sha256').digest();
  const ps = Buffer.alloc(k - message.length - 2 * 32 - 2);
  const db = Buffer.concat([lHash, ps, Buffer.from([1]), message]);
  const seed = randomBytes(32);
  const maskedDb = Buffer.from(db.map((b, i) => b ^ mgf1Sha256(seed, db.length)[i]!));
  const maskedSeed = Buffer.from(seed.map((b, i) => b ^ mgf1Sha256(maskedDb, 32)[i]!));
  const em = Buffer.concat([Buffer.from([0]), maskedSeed, maskedDb]);
  const c = publicEncrypt({ key: sk.public.key, padding: constants.RSA_NO_PADDING }, em);
  const back = privateDecrypt(
    { key: sk.key, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' },
    c,
  );
  assert.deepEqual(back, message);
  assert.equal(i2osp(258n, 4).toString('hex'), '00000102');
  assert.equal(os2ip(Buffer.from('0102', 'hex')), 258n);
  assert.throws(() => i2osp(256n, 1), /too large/);
  // Our own keys: prove then verify, and a second key refuses the proof.
  const pi = vrfProve(sk, Buffer.from('alpha'));
  assert.deepEqual(vrfVerify(sk.public, Buffer.from('alpha'), pi), vrfProofToHash(pi));
  const other = parseVrfPrivateKey(generateVrfKeyPem());
  assert.equal(vrfVerify(other.public, Buffer.from('alpha'), pi), undefined);
});

test('keys below 2048 bits are refused', () => {
  assert.throws(() => parseVrfPrivateKey(generateVrfKeyPem(1024)), /1024 bits; at least 2048/);
});

const KEY = parseVrfPrivateKey(generateVrfKeyPem());

function check(tree: ExclusionTree, subject: string) {
  const text = exclusionProofText(exclusionProof(KEY, tree, subject));
  return { text, check: verifyExclusionProof(text, KEY.public) };
}

test('property: for any set, members get a valid inclusion proof, others a valid exclusion proof, and no proof of the opposite exists', () => {
  fc.assert(
    fc.property(
      fc.uniqueArray(fc.string({ minLength: 1, maxLength: 12 }), { maxLength: 24 }),
      fc.array(fc.string({ minLength: 1, maxLength: 12 }), { maxLength: 4 }),
      fc.string({ minLength: 1, maxLength: 8 }),
      (members, others, datasetId) => {
        const tree = new ExclusionTree(datasetId, exclusionLeaves(KEY, datasetId, members));
        assert.equal(tree.count, members.length);
        for (const m of members) {
          const { check: c } = check(tree, m);
          assert.equal(c.ok, true, c.lines.join('\n'));
          assert.equal(c.result, 'included');
        }
        for (const o of others) {
          if (members.includes(o)) continue;
          const { text, check: c } = check(tree, o);
          assert.equal(c.ok, true, c.lines.join('\n'));
          assert.equal(c.result, 'not-included');
          // Swapping in a member's VRF proof cannot turn the absence into anything valid.
          if (members.length > 0) {
            const member = JSON.parse(check(tree, members[0]!).text);
            const forged = { ...JSON.parse(text), vrfProof: member.vrfProof };
            assert.equal(verifyExclusionProof(exclusionProofText(forged), KEY.public).ok, false);
          }
        }
      },
    ),
    { numRuns: 40 },
  );
});

test('a leaves file that is not sorted and distinct is refused', () => {
  const leaves = exclusionLeaves(KEY, 'ds', ['acct:a', 'acct:b', 'acct:c']);
  assert.equal(new ExclusionTree('ds', leaves).count, 3);
  const swapped = Buffer.concat([
    leaves.subarray(32, 64),
    leaves.subarray(0, 32),
    leaves.subarray(64),
  ]);
  assert.throws(() => new ExclusionTree('ds', swapped), /not sorted and distinct/);
  const repeated = Buffer.concat([leaves.subarray(0, 32), leaves.subarray(0, 32)]);
  assert.throws(() => new ExclusionTree('ds', repeated), /not sorted and distinct/);
  assert.throws(() => new ExclusionTree('ds', leaves.subarray(0, 40)), /multiple of 32/);
});

test('the commitment computed on worker threads has exactly the leaves of one thread', async () => {
  const key = parseVrfPrivateKey(generateVrfKeyPem());
  // Above the size where the work is shared out, with repeats (counted once).
  const subjects = Array.from({ length: 5000 }, (_, i) => `acct:u${i % 4500}`);
  const parallel = await exclusionLeavesInParallel(key, 'ds_parallel', subjects, 2);
  assert.equal(parallel.length, 4500 * 32);
  assert.ok(parallel.equals(exclusionLeaves(key, 'ds_parallel', subjects)));
});
