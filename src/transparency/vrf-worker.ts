import { parentPort, workerData } from 'node:worker_threads';
import { exclusionAlpha } from './dataset-exclusion.ts';
import { parseVrfPrivateKey, vrfProofToHash, vrfProve } from './rsa-fdh-vrf.ts';

/**
 * A worker thread of {@link exclusionLeavesInParallel}: the VRF outputs (32 octets each) of the
 * subject keys it is sent, in order. The key arrives once, as PKCS#8 PEM, in `workerData`.
 */
const key = parseVrfPrivateKey((workerData as { pem: string }).pem);
parentPort!.on('message', (job: { datasetId: string; subjects: string[] }) => {
  const out = Buffer.alloc(job.subjects.length * 32);
  job.subjects.forEach((subject, i) => {
    vrfProofToHash(vrfProve(key, exclusionAlpha(job.datasetId, subject))).copy(out, i * 32);
  });
  parentPort!.postMessage(out, [out.buffer as ArrayBuffer]);
});
