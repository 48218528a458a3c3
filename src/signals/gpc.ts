import type { Channel, Objection, SubjectRef } from '../domain/types.ts';

/**
 * Global Privacy Control (W3C GPC): a browser sends `Sec-GPC: 1` to say "do not sell or share
 * my personal data". GDPR Art. 21(5) lets a person object "by automated means using technical
 * specifications", and LG Berlin (16 O 420/19, 2023) held a Do-Not-Track signal to be an
 * effective objection; GPC is the maintained successor of that signal. What Veto makes of it
 * is a deployment choice (`VETO_GPC`):
 *
 *   off         nothing is recorded (the portal still says the signal was seen);
 *   no-sharing  an objection to `gpcPurpose` ("do not share my data or models with third
 *               parties"), the least the signal means (default);
 *   object      that, and a full objection to the default purpose (AI training).
 *
 * Objections are per person: a visitor who is not signed in cannot be linked to anyone, so
 * nothing is recorded for them, and the portal says so.
 */
export type GpcMode = 'off' | 'no-sharing' | 'object';

export interface GpcSettings {
  mode: GpcMode;
  /** The "do not share with third parties" purpose (default `third-party-sharing`). */
  sharingPurpose: string;
  /** The purpose of a full objection (the registry's default, `ai-training`). */
  defaultPurpose: string;
}

/** What the signal did for this request, for the page to say. */
export type GpcOutcome =
  | { kind: 'off' }
  | { kind: 'signed-out' }
  | { kind: 'recorded'; mode: 'no-sharing' | 'object'; objections: Objection[] }
  | { kind: 'failed' };

/** The registry calls GPC handling needs (a subset of src/domain/registry.ts). */
export interface GpcRegistry {
  objectionsOf(subject: SubjectRef): Promise<Objection[]>;
  object(cmd: {
    subject: SubjectRef;
    purpose?: string;
    channel: Channel;
    language: string;
    email?: string | null;
  }): Promise<{ objection: Objection; created: boolean }>;
}

/**
 * True only for a header whose value is exactly `1`: the GPC specification defines no other
 * value, and anything else (`0`, `true`, `1, 1` from a repeated header) is no signal.
 */
export function hasGpcSignal(headers: Record<string, string | string[] | undefined>): boolean {
  return headers['sec-gpc'] === '1';
}

/** The purposes a signal objects to under `settings`, in the order they are recorded. */
export function gpcPurposes(settings: GpcSettings): string[] {
  if (settings.mode === 'off') return [];
  if (settings.mode === 'no-sharing') return [settings.sharingPurpose];
  return [...new Set([settings.sharingPurpose, settings.defaultPurpose])];
}

/**
 * Records the signal for a signed-in account: one objection per purpose, reusing the one
 * already effective (the registry is idempotent per subject and purpose as well, so two
 * concurrent requests still make one). The receipt email goes out only for the full objection
 * (`object` mode): its text speaks of AI training, and a sharing objection recorded on every
 * visit must not look like a message the person has to act on.
 */
export async function applyGpcSignal(
  registry: GpcRegistry,
  settings: GpcSettings,
  person: { accountId: string; email?: string | undefined } | undefined,
  language: string,
): Promise<GpcOutcome> {
  if (settings.mode === 'off') return { kind: 'off' };
  if (!person) return { kind: 'signed-out' };
  const subject: SubjectRef = { kind: 'account', accountId: person.accountId };
  const existing = await registry.objectionsOf(subject);
  const objections: Objection[] = [];
  for (const purpose of gpcPurposes(settings)) {
    const effective = existing.find((o) => o.purpose === purpose && o.status === 'effective');
    if (effective) {
      objections.push(effective);
      continue;
    }
    const { objection } = await registry.object({
      subject,
      purpose,
      channel: 'signal',
      language,
      email: purpose === settings.defaultPurpose ? (person.email ?? null) : null,
    });
    objections.push(objection);
  }
  return { kind: 'recorded', mode: settings.mode, objections };
}
