// A real OpenID Connect provider (the npm package oidc-provider) for Safeguard's sign-in tests; never for production.
// Usage: node provider.mjs PORT ISSUER CONFIG_JSON
//   CONFIG_JSON: {"clients": [{client_id, client_secret, redirect_uris}],
//                 "accounts": {"login": {"email": "...", "email_verified": true, "amr": ["pwd", "mfa"]}}}
// The login page takes an account's login (no password: the tests sign in as whom they choose). Each account's amr
// (how it authenticated) goes into its ID tokens, so a test can present a provider's MFA or its absence.
import http from 'node:http';
import Provider from 'oidc-provider';

const [port, issuer, configText] = process.argv.slice(2);
const { clients, accounts } = JSON.parse(configText);

const provider = new Provider(issuer, {
  clients: clients.map((c) => ({
    ...c,
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
  })),
  async findAccount(ctx, id) {
    const account = accounts[id];
    if (!account) return undefined;
    return {
      accountId: id,
      async claims() {
        return { sub: id, email: account.email, email_verified: account.email_verified !== false };
      },
    };
  },
  claims: { openid: ['sub', 'amr'], email: ['email', 'email_verified'] },
  // The e-mail claims in the ID token itself, as Entra ID and Google Workspace put them.
  conformIdTokenClaims: false,
  features: { devInteractions: { enabled: false } },
  pkce: { required: () => false },
  cookies: { keys: ['safeguard-tests-only'] },
  // First-party sign-in: no consent screen.
  async loadExistingGrant(ctx) {
    const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId });
    grant.addOIDCScope('openid email profile');
    grant.addOIDCClaims(['email', 'email_verified']);
    await grant.save();
    return grant;
  },
  ttl: { Session: 60, Interaction: 600, Grant: 600, AuthorizationCode: 60, IdToken: 600, AccessToken: 600 },
});

function page(res, body) {
  res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
  res.end(`<!doctype html><html lang="en"><title>Test provider</title><main>${body}</main></html>`);
}

async function readForm(req) {
  let data = '';
  for await (const chunk of req) data += chunk;
  return new URLSearchParams(data);
}

const server = http.createServer(async (req, res) => {
  const match = req.url.match(/^\/interaction\/([\w-]+)(\/login)?/);
  if (!match) return provider.callback()(req, res);
  try {
    const details = await provider.interactionDetails(req, res);
    if (req.method === 'POST' && match[2]) {
      const login = (await readForm(req)).get('login') || '';
      if (!accounts[login]) return page(res, '<p>No such account</p>');
      const amr = accounts[login].amr || ['pwd'];
      return await provider.interactionFinished(req, res, { login: { accountId: login, amr } }, { mergeWithLastSubmission: false });
    }
    return page(res, `<h1>Sign in to the test provider</h1><form method="post" action="/interaction/${details.uid}/login">` +
      '<label for="login">Account</label><input id="login" name="login"><button type="submit">Sign in</button></form>');
  } catch (error) {
    res.writeHead(400, { 'Content-Type': 'text/plain' });
    res.end(String(error));
  }
});
server.listen(Number(port), '127.0.0.1', () => console.log(`listening ${port}`));
