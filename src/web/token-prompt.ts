/**
 * The token prompt shared by the node page and the master's page. A port with a token serves its pages
 * without it but none of its data: the page's script sends the token kept in sessionStorage (this tab
 * only, never a cookie a cross-site request would carry) with every request, and on a 401 shows a
 * labelled field asking for it, then tries again. Both pages keep it under one key, so the master's
 * components page reuses the token its main page was given (same origin).
 */

export const TOKEN_STYLE =
  '#token-box { border: 2px solid #8a5a00; background: #fffaf0; padding: .5rem 1rem; border-radius: 4px; max-width: 36rem; }\n' +
  '  #token-refused { color: #b00020; }\n' +
  '  #token-refused:empty { display: none; }';

/** The hidden box: `title` its heading, `label` the field's label, `hint` what token it is. */
export function tokenBox(title: string, label: string, hint: string): string {
  return `<section id="token-box" hidden aria-labelledby="token-title">
  <h2 id="token-title">${title}</h2>
  <form id="token-form">
    <label for="token">${label}</label>
    <p class="hint" id="token-hint">${hint} It is kept in this browser tab only.</p>
    <p id="token-refused" aria-live="assertive"></p>
    <input id="token" type="password" autocomplete="off" aria-describedby="token-hint token-refused" required>
    <p><button type="submit">Use this token</button></p>
  </form>
</section>`;
}

/**
 * Script for inside a page's closure, after its `$` (getElementById): `authFetch(path, init)` is fetch
 * with the token, waiting for the user to give one whenever the answer is 401.
 */
export const TOKEN_SCRIPT = `
  const TOKEN_KEY = 'sluice-token';
  let tokenWaiters = [];
  function askToken() {
    $('token-refused').textContent = sessionStorage.getItem(TOKEN_KEY) ? 'The token given was refused: give it again.' : '';
    $('status').textContent = 'This page needs its token to read the figures.';
    if ($('token-box').hidden) {
      $('token-box').hidden = false;
      $('token').focus();
    }
    return new Promise((resolve) => tokenWaiters.push(resolve));
  }
  $('token-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    sessionStorage.setItem(TOKEN_KEY, $('token').value);
    $('token').value = '';
    $('token-box').hidden = true;
    const w = tokenWaiters;
    tokenWaiters = [];
    w.forEach((f) => f());
  });
  async function authFetch(path, init) {
    for (;;) {
      const headers = Object.assign({}, init && init.headers);
      const token = sessionStorage.getItem(TOKEN_KEY);
      if (token) headers.authorization = 'Bearer ' + token;
      const r = await fetch(path, Object.assign({ cache: 'no-store' }, init, { headers }));
      if (r.status !== 401) return r;
      await askToken();
    }
  }
`;
