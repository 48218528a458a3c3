/**
 * The sender, as a separate process the crash test can SIGKILL. Modes:
 *   plan        run the removal planner (commits removals + outgoing messages), print
 *               "committed", then hang: killed between commit and delivery
 *   send-hang   deliver, print "sent <id>" after each acknowledged send, and hang before
 *               marking anything delivered: killed between delivery and its bookkeeping
 *   deliver     deliver everything due, print "done <n>" and exit
 */
import pino from 'pino';
import { openRemovalStore, wireVeto } from '../../../src/app/wire.ts';
import { loadConfig } from '../../../src/config.ts';
import {
  createRecipientTransport,
  RecipientDispatcher,
  type RecipientTransport,
} from '../../../src/domain/removals/recipient-dispatcher.ts';

const mode = process.argv[2];
const config = loadConfig({ logLevel: 'silent' });
const veto = await wireVeto(config, { logger: pino({ level: 'silent' }) });
const hang = () => new Promise<never>(() => setInterval(() => {}, 60_000));

if (mode === 'plan') {
  const n = await veto.removalPlanner!.drain();
  process.stdout.write(`committed ${n}\n`);
  await hang();
} else if (mode === 'send-hang') {
  const real = createRecipientTransport({ natsUrl: config.natsUrl });
  const transport: RecipientTransport = {
    async webhook(m, body) {
      await real.webhook(m, body);
      process.stdout.write(`sent ${m.id}\n`);
      await hang();
    },
    async nats(m, body) {
      await real.nats(m, body);
      process.stdout.write(`sent ${m.id}\n`);
      await hang();
    },
    close: () => real.close(),
  };
  const dispatcher = new RecipientDispatcher({
    store: (await openRemovalStore(veto.store))!,
    transport,
    clock: veto.clock,
    logger: veto.logger,
  });
  await dispatcher.deliverDue();
} else if (mode === 'deliver') {
  const n = await veto.recipientDispatcher!.drain();
  process.stdout.write(`done ${n}\n`);
  await veto.close();
  process.exit(0);
} else {
  process.stderr.write(`unknown mode ${mode}\n`);
  process.exit(2);
}
