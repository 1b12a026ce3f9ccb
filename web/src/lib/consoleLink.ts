// The console link as a small file to keep: an HTML page with the link, that opens in any
// browser and says what it is. Named after the session so that it can be found again.

/** "Co-production training, session 1" → "co-production-training-session-1" (at most 40 characters). */
export function slug(title: string): string {
  return title
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 40)
    .replace(/-+$/, '');
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);
}

export interface LinkFile {
  filename: string;
  text: string;
}

/** The file for a session's console link. */
export function consoleLinkFile(title: string, code: string, url: string): LinkFile {
  const name = slug(title);
  const shown = `${code.slice(0, 4)} ${code.slice(4)}`;
  const safeTitle = escapeHtml(title || `Session ${shown}`);
  const href = escapeHtml(url);
  const text = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Chorus console: ${safeTitle}</title>
</head>
<body style="font-family: system-ui, sans-serif; max-width: 40rem; margin: 2rem auto; padding: 0 1rem; line-height: 1.5">
<h1>${safeTitle}</h1>
<p>Chorus session code <strong>${shown}</strong>.</p>
<p><a href="${href}">Open the facilitator console</a></p>
<p>The link holds the key that runs this session: keep this file private, and share it only with co-facilitators.</p>
<p style="overflow-wrap: anywhere">${href}</p>
</body>
</html>
`;
  return { filename: `chorus-console-${name ? `${name}-` : ''}${code}.html`, text };
}
