/**
 * Addresses the portal redirects to or links to that came from the request (`next` after
 * sign-in, the current page in the language switcher). Links to the portal arrive by email, so
 * anything here that a stranger can point elsewhere is a phishing link with our name on it.
 */

// Any origin the browser could never reach: used only to let the WHATWG parser (the one
// browsers use) resolve the value the way a browser would.
const PROBE_ORIGIN = 'http://same-origin.invalid';

/** C0 controls and DEL: browsers drop tabs and line breaks from URLs; headers refuse them. */
function hasControlCharacter(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return true;
  }
  return false;
}

/** Why a `next` value is refused outright (a bad request), or undefined when it may be judged. */
export function nextValueProblem(value: string): string | undefined {
  return hasControlCharacter(value)
    ? 'control characters (such as a tab or a line break) are not allowed'
    : undefined;
}

/**
 * The value as a path on this origin (`/a/b?c#d`), or undefined when a browser given it as a
 * Location could end up on another origin or scheme. Judged by resolving it as the browser does,
 * not by looking at its first characters: tabs and newlines are dropped by browsers, a
 * backslash counts as a slash, and `/.//host` becomes `//host` once the dot segment goes.
 */
export function sameOriginPath(value: string | undefined): string | undefined {
  // A backslash counts as a slash in browsers: `/\\host` is another host.
  if (!value?.startsWith('/') || value.includes('\\') || hasControlCharacter(value))
    return undefined;
  let url: URL;
  try {
    url = new URL(value, `${PROBE_ORIGIN}/`);
  } catch {
    return undefined;
  }
  if (url.origin !== PROBE_ORIGIN) return undefined;
  const path = `${url.pathname}${url.search}${url.hash}`;
  // A normalised path that starts with two slashes would be read as another host.
  return path.startsWith('//') ? undefined : path;
}
