import { Worker } from 'node:worker_threads';
const w = new Worker(new URL('./w.ts', import.meta.url));
w.on('message', (m) => { console.log('main execArgv', process.execArgv, 'worker says', m); w.terminate(); });
w.on('error', (e) => console.error('ERR', e.message));
