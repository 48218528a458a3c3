import { html, type SafeHtml } from '../http/portal/html.ts';
import {
  type Catalogue,
  defaultCatalogue,
  isTimeZone,
  type MessageVars,
} from '../i18n/catalogue.ts';
import { lookupLanguage } from '../i18n/negotiate.ts';
import type { EmailContent, EmailKind, RenderEmail } from './mailer.ts';

/**
 * Email templates, entirely from the message catalogue: the person gets the receipt in the
 * language they used (GDPR Art. 12(1)), with the same reference and status link as the page.
 *
 * Variables (all optional unless the kind needs them; dates are ISO 8601 strings):
 *   every kind   platformName (else the renderer's default)
 *   code         code, minutes
 *   receipt      reference, purpose, receivedAt, statusUrl, subjectKind ('non-user': own wording)
 *   withdrawal   reference, purpose, endedAt (else now), statusUrl
 *   extension    reference, dueAt, reason, statusUrl
 *   decision     reference, outcome ('upheld' | 'overridden'), reason, statusUrl
 *   removal      datasets, items, models (counts), modelPolicy, statusUrl (after the build)
 *   memorisation reference, model, receivedAt, dueAt, statusUrl (memorisation reports)
 *   memorisation-answer  reference, model, receivedAt, outcome, answer (staff's own words),
 *                statusUrl
 */
export type EmailVars = Record<string, string | number>;

export interface EmailRendererOptions {
  platformName?: string;
  catalogue?: Catalogue;
}

/** The status page link printed in receipts: `<publicUrl>/status/<reference>?t=<token>`. */
export function statusLink(publicUrl: string, reference: string, token: string): string {
  return `${publicUrl.replace(/\/$/, '')}/status/${encodeURIComponent(reference)}?t=${encodeURIComponent(token)}`;
}

/** The receipt's proof page, with the same access token: `<publicUrl>/receipt/<reference>/proof?t=`. */
export function proofLink(statusUrl: string): string {
  return statusUrl.replace(/\/status\/([^/?]+)/, '/receipt/$1/proof');
}

interface Parts {
  subject: string;
  paragraphs: string[];
  reference?: string;
  statusUrl?: string;
}

function date(value: string | number | undefined): Date {
  const d = value === undefined ? new Date() : new Date(value);
  return Number.isNaN(d.getTime()) ? new Date() : d;
}

function str(value: string | number | undefined): string {
  return value === undefined ? '' : String(value);
}

export function createEmailRenderer(options: EmailRendererOptions = {}): RenderEmail {
  return function renderEmail(kind: EmailKind, language: string, vars: EmailVars): EmailContent {
    // The shipped catalogue is read at the first email, not when the renderer is made: every
    // `veto` command wires one, and reading the 24 languages' files took ~0.1 s of each start.
    const catalogue = options.catalogue ?? defaultCatalogue();
    const lang = lookupLanguage(language, catalogue.languages) ?? catalogue.defaultLanguage;
    const platformName = str(vars.platformName) || options.platformName || 'Veto';
    // The person's zone when the objection was made with one (a zone this runtime does not know
    // is never trusted: UTC, said so in the text through {zone}).
    const zone = str(vars.timeZone);
    const timeZone = zone && isTimeZone(zone) ? zone : undefined;
    const t = (key: string, extra: MessageVars = {}) =>
      catalogue.t(lang, key, { platformName, ...extra }, { timeZone });
    const purposeKey = `purpose.${str(vars.purpose)}`;
    const purpose =
      catalogue.source(lang, purposeKey) !== undefined ? t(purposeKey) : str(vars.purpose);
    const reference = str(vars.reference);
    const statusUrl = str(vars.statusUrl) || undefined;

    const parts = ((): Parts => {
      switch (kind) {
        case 'code':
          return {
            subject: t('email.code.subject'),
            paragraphs: [
              t('email.code.body', { code: str(vars.code), minutes: Number(vars.minutes ?? 15) }),
              t('email.code.ignore'),
            ],
          };
        case 'receipt': {
          // People without an account have their own wording: their content is what can be
          // linked to them, and there is no account to keep using.
          const nonUser = vars.subjectKind === 'non-user';
          return {
            subject: t('email.receipt.subject', { reference }),
            paragraphs: [
              t(nonUser ? 'intake.email.receipt.body-non-user' : 'email.receipt.body', {
                date: date(vars.receivedAt),
                purpose,
              }),
              t(nonUser ? 'intake.email.receipt.no-reason-non-user' : 'email.receipt.no-reason'),
              // The proof page (leaf index, checkpoint, inclusion proof) has the receipt's access.
              ...(statusUrl ? [t('email.receipt.proof', { url: proofLink(statusUrl) })] : []),
            ],
            reference,
            ...(statusUrl ? { statusUrl } : {}),
          };
        }
        case 'withdrawal':
          return {
            subject: t('email.withdrawal.subject', { reference }),
            paragraphs: [t('email.withdrawal.body', { date: date(vars.endedAt), purpose })],
            reference,
            ...(statusUrl ? { statusUrl } : {}),
          };
        case 'extension':
          return {
            subject: t('email.extension.subject', { reference }),
            paragraphs: [
              t('email.extension.body', { date: date(vars.dueAt), reason: str(vars.reason) }),
            ],
            reference,
            ...(statusUrl ? { statusUrl } : {}),
          };
        case 'decision': {
          const outcome = str(vars.outcome);
          const first =
            outcome === 'upheld'
              ? t('email.decision.upheld')
              : outcome === 'overridden'
                ? t('email.decision.overridden', { reason: str(vars.reason) })
                : t('email.decision.reviewed', { reason: str(vars.reason) });
          // Art. 12(4): a refusal states the right to complain and to go to court.
          return {
            subject: t('email.decision.subject', { reference }),
            paragraphs: outcome === 'upheld' ? [first] : [first, t('email.decision.complaint')],
            reference,
            ...(statusUrl ? { statusUrl } : {}),
          };
        }
        case 'removal': {
          // Plain words: what was removed, that future training excludes it, and what the
          // deployment does about models already trained (VETO_MODEL_POLICY).
          const models = Number(vars.models ?? 0);
          const policy = str(vars.modelPolicy) || 'retrain-next';
          return {
            subject: t('email.removal.subject'),
            paragraphs: [
              t('email.removal.body', {
                items: Number(vars.items ?? 0),
                datasets: Number(vars.datasets ?? 0),
              }),
              t('datasets.future'),
              ...(models > 0
                ? [t('email.removal.models', { models }), t(`model-policy.${policy}`)]
                : []),
            ],
            ...(statusUrl ? { statusUrl } : {}),
          };
        }
        case 'memorisation':
          return {
            subject: t('email.memorisation.subject', { reference }),
            paragraphs: [
              t('email.memorisation.body', {
                model: str(vars.model),
                date: date(vars.receivedAt),
                due: date(vars.dueAt),
              }),
            ],
            reference,
            ...(statusUrl ? { statusUrl } : {}),
          };
        case 'memorisation-answer': {
          // Staff's own words follow the outcome; an answer that changes nothing states the
          // right to complain and to go to court (Art. 12(4)).
          const outcome = str(vars.outcome);
          return {
            subject: t('email.memorisation-answer.subject', { reference }),
            paragraphs: [
              t(
                `email.memorisation-answer.${outcome === 'mitigated' ? 'mitigated' : outcome === 'not-reproduced' ? 'not-reproduced' : 'no-personal-data'}`,
                {
                  model: str(vars.model),
                  date: date(vars.receivedAt),
                },
              ),
              str(vars.answer),
              ...(outcome === 'mitigated' ? [] : [t('email.decision.complaint')]),
            ],
            reference,
            ...(statusUrl ? { statusUrl } : {}),
          };
        }
      }
    })();

    const textLines = [t('email.greeting'), '', ...parts.paragraphs.flatMap((p) => [p, ''])];
    if (parts.reference) textLines.push(t('email.reference', { reference: parts.reference }));
    if (parts.statusUrl) textLines.push(t('email.status-link', { url: parts.statusUrl }));
    if (parts.reference || parts.statusUrl) textLines.push('');
    textLines.push(t('email.signoff'), '', '--', t('email.footer'));

    const body: SafeHtml = html`<!doctype html>
<html lang="${lang}">
<head><meta charset="utf-8"><title>${parts.subject}</title></head>
<body style="font-family: system-ui, Arial, sans-serif; line-height: 1.5; color: #1b1b1f; max-width: 40rem;">
<p>${t('email.greeting')}</p>
${parts.paragraphs.map((p) => html`<p>${p}</p>`)}
${parts.reference ? html`<p><strong>${t('email.reference', { reference: parts.reference })}</strong></p>` : ''}
${parts.statusUrl ? html`<p><a href="${parts.statusUrl}">${t('email.status-link-label')}</a></p>` : ''}
<p>${t('email.signoff')}</p>
<hr>
<p style="color: #4a4a55; font-size: 0.9em;">${t('email.footer')}</p>
</body>
</html>`;

    return { subject: parts.subject, text: `${textLines.join('\n')}\n`, html: body.value };
  };
}
