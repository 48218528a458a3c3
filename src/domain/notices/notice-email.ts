import type { Catalogue } from '../../i18n/catalogue.ts';
import { escapeHtml } from '../../lib/escape-html.ts';
import type { EmailContent } from '../../mail/mailer.ts';
import type { NoticeView } from './notices.ts';

/**
 * The campaign email: a short introduction from the catalogue, the notice itself, and its
 * right-to-object block repeated as a separate, boxed section at the top with the direct
 * objection link (GDPR Art. 21(4)), in the recipient's language.
 */
export function renderNoticeEmail(
  catalogue: Catalogue,
  view: NoticeView,
  platformName: string,
  objectUrl: string,
): EmailContent {
  const lang = catalogue.has(view.language) ? view.language : catalogue.defaultLanguage;
  const t = (key: string, vars: Record<string, string | Date> = {}) =>
    catalogue.t(lang, key, { platformName, ...vars });
  const effective = new Date(view.version.effectiveAt);
  const subject = t('notice.email.subject');
  const intro = t('notice.email.intro', { date: effective });
  const changes = view.version.previousId
    ? t('notice.email.changes', { changes: view.text.changes })
    : '';
  const text = [
    t('email.greeting'),
    '',
    intro,
    ...(changes ? ['', changes] : []),
    '',
    '========================================',
    view.rendered.blockMarkdown,
    // Label and link on their own lines: gluing them with ": " would impose English
    // punctuation (French wants a space before the colon).
    t('notice.email.object-link'),
    objectUrl,
    '========================================',
    '',
    view.rendered.markdown,
    '',
    t('notice.email.version', { version: view.version.id, hash: view.text.sha256 }),
    '',
    '--',
    t('notice.email.footer'),
    '',
  ].join('\n');
  const e = escapeHtml;
  const html = `<!doctype html>
<html lang="${e(view.language)}">
<head><meta charset="utf-8"><title>${e(subject)}</title></head>
<body style="font-family: system-ui, Arial, sans-serif; line-height: 1.5; color: #1b1b1f; max-width: 40rem;">
<p>${e(t('email.greeting'))}</p>
<p>${e(intro)}</p>
${changes ? `<p>${e(changes)}</p>` : ''}
<div style="border: 3px solid #1d4ed8; padding: 0.5rem 1rem; margin: 1rem 0;">
${view.rendered.blockHtml}
<p><a href="${e(objectUrl)}" style="font-weight: bold;">${e(t('notice.email.object-link'))}</a></p>
</div>
${view.rendered.html}
<hr>
<p style="color: #4a4a55; font-size: 0.9em;">${e(t('notice.email.version', { version: view.version.id, hash: view.text.sha256 }))}</p>
<p style="color: #4a4a55; font-size: 0.9em;">${e(t('notice.email.footer'))}</p>
</body>
</html>`;
  return { subject, text, html };
}
