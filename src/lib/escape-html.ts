/**
 * Escaping for text and quoted attribute values in HTML. Lives here, not in the portal, because
 * HTML emails are rendered by the domain, which must not depend on the HTTP layer.
 */
const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}
