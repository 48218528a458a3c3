import type { FieldIssue } from '../errors.ts';
import type { NoticeText } from './notice-types.ts';

/**
 * What GDPR Art. 13 (and 14, for people who have no account) requires a notice to say that the
 * deployment's configuration knows. Every text of a version must carry each item's placeholder,
 * and the configuration must hold its value, or the version is not published.
 */
export interface NoticeItems {
  controllerName?: string | undefined;
  controllerContact?: string | undefined;
  dpoContact?: string | undefined;
  recipients?: string | undefined;
  retentionMonths?: number | undefined;
  supervisoryAuthority?: string | undefined;
}

/** Placeholder, what it states, and the setting that fills it. */
export const REQUIRED_ITEMS = [
  {
    placeholder: 'controllerName',
    item: "the controller's identity (Art. 13(1)(a))",
    setting: 'VETO_CONTROLLER_NAME',
    key: 'controllerName',
  },
  {
    placeholder: 'controllerContact',
    item: "the controller's contact details (Art. 13(1)(a))",
    setting: 'VETO_CONTROLLER_CONTACT',
    key: 'controllerContact',
  },
  {
    placeholder: 'dpoContact',
    item: "the data protection officer's contact details (Art. 13(1)(b))",
    setting: 'VETO_DPO_CONTACT',
    key: 'dpoContact',
  },
  {
    placeholder: 'recipients',
    item: 'the recipients of the data (Art. 13(1)(e))',
    setting: 'VETO_RECIPIENTS',
    key: 'recipients',
  },
  {
    placeholder: 'retention',
    item: 'how long the data is kept (Art. 13(2)(a))',
    setting: 'VETO_RETENTION_MONTHS',
    key: 'retentionMonths',
  },
  {
    placeholder: 'supervisoryAuthority',
    item: 'the right to complain to a supervisory authority (Art. 13(2)(d))',
    setting: 'VETO_SUPERVISORY_AUTHORITY',
    key: 'supervisoryAuthority',
  },
] as const;

/** Every item a text leaves out, and every item the configuration cannot fill. */
export function missingItems(texts: NoticeText[], items: NoticeItems | undefined): FieldIssue[] {
  const issues: FieldIssue[] = [];
  for (const r of REQUIRED_ITEMS) {
    if (items?.[r.key] === undefined)
      issues.push({
        field: 'settings',
        reason: `${r.setting} is not set: every notice states ${r.item}`,
      });
    for (const t of texts)
      if (!t.markdown.includes(`{${r.placeholder}}`))
        issues.push({
          field: `texts.${t.language}.markdown`,
          reason: `missing ${r.item}: add {${r.placeholder}}`,
        });
  }
  return issues;
}

/** The items' placeholder values in `language` (empty where the configuration lost one). */
export function itemValues(items: NoticeItems | undefined, language: string) {
  return {
    controllerName: items?.controllerName ?? '',
    controllerContact: items?.controllerContact ?? '',
    dpoContact: items?.dpoContact ?? '',
    recipients: items?.recipients ?? '',
    retention: items?.retentionMonths === undefined ? '' : months(items.retentionMonths, language),
    supervisoryAuthority: items?.supervisoryAuthority ?? '',
  };
}

/** "24 months" in the reader's language. */
function months(n: number, language: string): string {
  // Node's ICU data abbreviates the Maltese unit to "m": the words, with Maltese number agreement.
  if (language === 'mt' || language.startsWith('mt-'))
    return `${n} ${n === 1 ? 'xahar' : n === 2 ? 'xahrejn' : n <= 10 ? 'xhur' : 'xahar'}`;
  return new Intl.NumberFormat(language, {
    style: 'unit',
    unit: 'month',
    unitDisplay: 'long',
  }).format(n);
}
