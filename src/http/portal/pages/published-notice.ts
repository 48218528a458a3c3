import type { NoticeVersion } from '../../../domain/notices/notice-types.ts';
import type { NoticeView } from '../../../domain/notices/notices.ts';
import { facts } from '../components.ts';
import { href, type PageContext, translate } from '../context.ts';
import { html, type SafeHtml, unsafeRaw } from '../html.ts';
import type { PageParts } from '../layout.ts';
import { type NoticeData, objectAction } from './notice.ts';

/**
 * Pages showing a published notice version: the portal's home for people with an
 * account, and the public notice for everyone else (`/notice`, `/notice/<version>`). The notice's
 * own Markdown is rendered by markdown-it with raw HTML disabled (src/domain/notices/
 * notice-markdown.ts), so it is trusted here. Its right-to-object block is lifted to the top,
 * in its own boxed section, with the portal's action under it (GDPR Art. 21(4): presented
 * clearly and separately from any other information).
 */
function langAttr(ctx: PageContext, view: NoticeView): SafeHtml | '' {
  // If a version lacks the page's language, its text is in another: say so to screen readers.
  return view.language === ctx.lang ? '' : html` lang="${view.language}"`;
}

function versionFacts(ctx: PageContext, version: NoticeVersion, view: NoticeView): SafeHtml {
  const t = (key: string, vars = {}) => translate(ctx, key, vars);
  return html`<section aria-labelledby="version-heading">
      <h2 id="version-heading">${t('notice.version.heading')}</h2>
      ${facts([
        [t('notice.version.id'), version.id],
        [
          t('notice.version.effective'),
          t('notice.version.date', { date: new Date(version.effectiveAt) }),
        ],
        [
          t('notice.version.published'),
          t('notice.version.date', { date: new Date(version.publishedAt) }),
        ],
        [t('notice.version.language'), ctx.catalogue.autonym(view.language)],
        [t('notice.version.hash'), html`<code class="reference">${view.text.sha256}</code>`],
        [
          t('notice.version.changes'),
          html`<span${langAttr(ctx, view)}>${view.text.changes}</span>`,
        ],
      ])}
    </section>`;
}

/** Beside the notice: how the controller weighed its interest against people's rights. */
function assessmentLink(ctx: PageContext): SafeHtml {
  return html`<p><a href="${href(ctx, '/assessment')}">${translate(ctx, 'notice.public.assessment-link')}</a></p>`;
}

function noticeBody(ctx: PageContext, view: NoticeView, action: SafeHtml): SafeHtml {
  const lang = langAttr(ctx, view);
  return html`<h1${lang}>${view.rendered.title}</h1>
    <section class="object-block" aria-labelledby="right-to-object-heading"${lang}>
      ${unsafeRaw(view.rendered.blockHtml)}
      <div id="object-action" lang="${ctx.lang}">${action}</div>
    </section>
    <div class="notice-text"${lang}>
      ${unsafeRaw(view.rendered.beforeHtml)}
      ${unsafeRaw(view.rendered.afterHtml)}
    </div>`;
}

/** `/` once a version is published: the notice, and the one-step objection for the signed-in. */
export function publishedNoticePage(
  ctx: PageContext,
  view: NoticeView,
  data: NoticeData,
): PageParts {
  const body = html`${noticeBody(ctx, view, objectAction(ctx, data, { nonUserRoute: false }))}
    ${versionFacts(ctx, view.version, view)}
    ${assessmentLink(ctx)}
    <p><a href="${href(ctx, '/notice')}">${translate(ctx, 'notice.public.versions-link')}</a></p>`;
  return { title: view.rendered.title, body };
}

/**
 * The public notice (no account needed): what the platform does, the objection route for
 * people without an account, the version's hash and dates, and every earlier version.
 */
export function publicNoticePage(
  ctx: PageContext,
  view: NoticeView,
  options: { latest: NoticeVersion; versions: NoticeVersion[] },
): PageParts {
  const t = (key: string, vars = {}) => translate(ctx, key, vars);
  const isLatest = view.version.id === options.latest.id;
  const action = html`<p><a class="button button-primary" href="${href(ctx, '/non-user')}">${t('notice.public.object-non-user')}</a></p>
    <p>${t('notice.public.account-holders')} <a href="${href(ctx, '/')}">${t('notice.public.account-link')}</a></p>`;
  const banner = isLatest
    ? ''
    : html`<div class="panel" role="note"><p>${t('notice.public.old-version', {
        version: view.version.id,
      })} <a href="${href(ctx, `/notice/${options.latest.id}`)}">${t('notice.public.see-current', {
        version: options.latest.id,
      })}</a></p></div>`;
  const versions = html`<section aria-labelledby="versions-heading">
      <h2 id="versions-heading">${t('notice.public.versions-heading')}</h2>
      <ul class="objection-list">${options.versions.map(
        (v) =>
          html`<li><a href="${href(ctx, `/notice/${v.id}`)}"${
            v.id === view.version.id ? html` aria-current="page"` : ''
          }>${t('notice.public.version-item', {
            version: v.id,
            date: new Date(v.publishedAt),
          })}</a></li>`,
      )}</ul>
    </section>`;
  const body = html`${banner}${noticeBody(ctx, view, action)}
    ${versionFacts(ctx, view.version, view)}
    ${assessmentLink(ctx)}
    ${versions}`;
  return { title: view.rendered.title, body };
}

/** `/notice` before anything is published. */
export function noNoticePage(ctx: PageContext): PageParts {
  const t = (key: string) => translate(ctx, key);
  const body = html`<h1>${t('notice.public.none.title')}</h1>
    <p>${t('notice.public.none.text')}</p>
    <p><a href="${href(ctx, '/non-user')}">${t('object.non-user.link')}</a></p>`;
  return { title: t('notice.public.none.title'), body };
}
