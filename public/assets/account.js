// The storefront's buyer identity, whatever the server's AUTH_MODE (asked with GET /auth/me):
//   trusted  a user name chosen here and sent as user_id (an upstream in front of the shop vouches for it);
//   session  an account (e-mail + password) and a one-time code; the server then knows the buyer by its
//            HTTP-only session cookie, which same-origin requests carry by themselves;
//   jwt      the shop's identity provider; for testing, a pasted bearer token kept in this tab only.
// The page asks three things of it: who the checkout belongs to (user()), what to add to a request
// (query(), headers()), and to get the buyer signed in before an action (requireBuyer(then)).
import { ICONS, api, backoffMs, el, notice, retryAfterSeconds, slowDownText } from './common.js';

const MODES = ['trusted', 'session', 'jwt'];
const USER_RE = /^[A-Za-z0-9_.:-]{1,64}$/;
const EMAIL_RE = /^[^\s@]{1,64}@[^\s@]+\.[^\s@]{2,}$/;
const USER_KEY = 'flashsale.user';
/** session mode: { userId, email, codeDelivery } of the last sign-in (GET /auth/me does not say the address). */
const ACCOUNT_KEY = 'flashsale.account';
/** jwt mode: the pasted token, in sessionStorage (this tab only). */
const TOKEN_KEY = 'flashsale.jwt';
/** The last answer of GET /auth/me in this tab, used while the shop cannot answer it (e.g. 429). */
const ME_KEY = 'flashsale.me';

function readLocal(key) {
  try {
    return localStorage.getItem(key);
  } catch {
    return null;
  }
}
function writeLocal(key, value) {
  try {
    if (value === null) localStorage.removeItem(key);
    else localStorage.setItem(key, value);
  } catch {
    /* private mode: it lasts for this page */
  }
}
function readToken() {
  try {
    return sessionStorage.getItem(TOKEN_KEY);
  } catch {
    return null;
  }
}
function writeToken(token) {
  try {
    if (token) sessionStorage.setItem(TOKEN_KEY, token);
    else sessionStorage.removeItem(TOKEN_KEY);
  } catch {
    /* ignore */
  }
}
function readSession(key) {
  try {
    return JSON.parse(sessionStorage.getItem(key) || 'null');
  } catch {
    return null;
  }
}
function writeSession(key, value) {
  try {
    if (value === null) sessionStorage.removeItem(key);
    else sessionStorage.setItem(key, JSON.stringify(value));
  } catch {
    /* ignore */
  }
}
function readAccount() {
  try {
    const raw = JSON.parse(readLocal(ACCOUNT_KEY) || 'null');
    return raw && typeof raw.userId === 'string' ? raw : null;
  } catch {
    return null;
  }
}

const capitalize = (text) => String(text || '').replace(/^./, (c) => c.toUpperCase());
const plural = (n, word) => `${n} ${word}${n === 1 ? '' : 's'}`;

function transientText(r) {
  if (r.networkError) return 'We couldn’t reach the shop. Check your connection and try again.';
  if (r.status === 429) return `Too many attempts. ${slowDownText(r)}`;
  if (r.status >= 500) return 'The shop is briefly unavailable. Please try again in a moment.';
  return null;
}

/**
 * @param {{ toast: Function, onChange: (change: { previousUser: string|null, signedOut?: boolean }) => void }} hooks
 *   onChange runs after every change of who is signed in (and of the mode, once known).
 */
export function createAccount({ toast, onChange }) {
  const $ = (id) => document.getElementById(id);
  const ui = {
    chip: $('user-chip'),
    chipLabel: $('user-chip-label'),
    chipName: $('user-chip-name'),
    avatar: $('user-avatar'),
    howFirst: $('how-first'),
    // trusted: the user name dialog
    nameDialog: $('user-dialog'),
    nameForm: $('user-form'),
    nameInput: $('user-name'),
    nameError: $('user-error'),
    nameCancel: $('user-cancel'),
    // session and jwt: the account dialog
    dialog: $('account-dialog'),
    title: $('account-title'),
    close: $('account-close'),
    stepCredentials: $('step-credentials'),
    tabSignIn: $('tab-signin'),
    tabRegister: $('tab-register'),
    credentialsForm: $('credentials-form'),
    credentialsIntro: $('credentials-intro'),
    credentialsMessage: $('credentials-message'),
    email: $('account-email'),
    emailError: $('account-email-error'),
    password: $('account-password'),
    passwordHint: $('account-password-hint'),
    passwordError: $('account-password-error'),
    showPassword: $('account-show-password'),
    credentialsSubmit: $('credentials-submit'),
    codeForm: $('code-form'),
    codeIntro: $('code-intro'),
    codeDelivery: $('code-delivery'),
    code: $('code-input'),
    codeError: $('code-error'),
    codeSubmit: $('code-submit'),
    codeRestart: $('code-restart'),
    stepAccount: $('step-account'),
    accountWho: $('account-who'),
    accountDetail: $('account-detail'),
    signOut: $('account-signout'),
    tokenForm: $('token-form'),
    token: $('token-input'),
    tokenError: $('token-error'),
    tokenForget: $('token-forget'),
  };

  const s = {
    /** trusted | session | jwt, or null until GET /auth/me has answered. */
    mode: null,
    /** trusted: the chosen user name; session and jwt: the signed-in user id. */
    user: null,
    /** session: the account's address (remembered locally, for showing it). */
    email: null,
    /** session: the one-time code has been entered; jwt: the token was accepted. */
    verified: false,
    codeDelivery: null,
    step: null,
    tab: 'signin',
    busy: false,
    /** What to do once the buyer can buy (the action that asked for a sign-in). */
    then: null,
    detectAttempt: 0,
    detecting: null,
    /** jwt: why the stored token was refused, shown when the token step opens. */
    tokenRefused: null,
    /** After a 429, submitting stays off until then (ms). */
    holdUntil: 0,
  };
  let resolveReady;
  const ready = new Promise((resolve) => (resolveReady = resolve));

  // --- What the page asks ------------------------------------------------------------------------------

  /** Who the checkout stored in this browser belongs to (null: nobody yet). */
  function user() {
    if (!s.user) return null;
    return s.mode === 'trusted' ? s.user : `${s.mode}.${s.user}`;
  }
  function canBuy() {
    return !!s.user && (s.mode === 'trusted' || s.verified);
  }
  /** Extra query parameters of checkout: user_id only in trusted mode (otherwise the server knows the buyer). */
  function query() {
    return s.mode === 'trusted' && s.user ? { user_id: s.user } : {};
  }
  /** Extra headers: the bearer token in jwt mode (sessions travel as the cookie). */
  function headers() {
    const token = s.mode === 'jwt' ? readToken() : null;
    return token ? { authorization: `Bearer ${token}` } : {};
  }
  /** A name for people: the address, the user name, or the user id. */
  function displayName() {
    return s.email || s.user || '';
  }

  // --- Finding out the mode -------------------------------------------------------------------------------

  /** The mode a 401 of /auth/me means: its `mode` if it says, else session (jwt when it asks for a JWT). */
  function modeOf401(problem) {
    if (problem && MODES.includes(problem.mode)) return problem.mode;
    return /\bJWT\b/.test((problem && problem.detail) || '') ? 'jwt' : 'session';
  }

  function detect() {
    if (!s.detecting) s.detecting = runDetect().finally(() => (s.detecting = null));
    return s.detecting;
  }

  async function runDetect() {
    // No bearer on the first call: in session mode a stale token would hide the session cookie.
    const r = await api('/auth/me');
    if (r.ok && r.data && MODES.includes(r.data.mode)) {
      // Asked without a bearer: in jwt mode a token kept for this tab may still sign the buyer in.
      if (r.data.mode === 'jwt' && !r.data.userId && readToken()) return detectJwt();
      return settle(r.data.mode, r.data);
    }
    if (r.status === 401) {
      const mode = modeOf401(r.problem);
      if (mode === 'jwt' && readToken()) return detectJwt();
      return settle(mode, null);
    }
    // A server without /auth/me takes user_id as given.
    if (r.status === 404 && r.problem && r.problem.code === 'not_found') return settle('trusted', null);
    // Network, 5xx or 429 (GET /auth/me counts against the sign-in limits): ask again in a while, and
    // meanwhile go on with what this tab last heard. If that is out of date, checkout's 401 or 403 says so.
    const wait = r.status === 429 ? Math.max(1, retryAfterSeconds(r) || 1) * 1000 : backoffMs(s.detectAttempt++, 1000, 15000);
    setTimeout(detect, wait);
    const last = readSession(ME_KEY);
    if (!s.mode && last && MODES.includes(last.mode)) return settle(last.mode, last, { remember: false });
    render();
    return null;
  }

  async function detectJwt() {
    const r = await api('/auth/me', { headers: { authorization: `Bearer ${readToken()}` } });
    if (r.ok && r.data) return settle(r.data.mode, r.data);
    if (r.status === 401) {
      writeToken(null);
      s.tokenRefused = r.problem.detail || 'The token was refused.';
      return settle('jwt', null);
    }
    setTimeout(detect, backoffMs(s.detectAttempt++, 1000, 15000));
    return null;
  }

  function settle(mode, me, { remember = true } = {}) {
    const previousUser = user();
    s.mode = mode;
    if (remember) {
      s.detectAttempt = 0;
      writeSession(ME_KEY, { mode, userId: (me && me.userId) || null, verified: !!(me && me.verified) });
    }
    if (mode === 'trusted') {
      const v = readLocal(USER_KEY);
      s.user = v && USER_RE.test(v) ? v : null;
      s.verified = true;
    } else {
      s.user = (me && me.userId) || null;
      s.verified = !!(me && me.userId && me.verified);
      const stored = mode === 'session' ? readAccount() : null;
      const same = stored && stored.userId === s.user;
      s.email = same ? stored.email : null;
      s.codeDelivery = same ? stored.codeDelivery : null;
    }
    render();
    resolveReady();
    onChange({ previousUser });
    return mode;
  }

  // --- Showing who is signed in -------------------------------------------------------------------------

  function render() {
    const name = displayName();
    let label = 'Shopping as';
    let shown = name || 'guest';
    let aria = 'Choose a user name';
    let avatar = name ? name[0] : '?';
    if (!s.mode) {
      shown = '…';
      aria = 'Checking who you are…';
    } else if (s.mode === 'trusted') {
      if (s.user) aria = `Shopping as ${s.user}. Change user name`;
    } else if (!s.user) {
      label = '';
      shown = 'Sign in';
      aria = s.mode === 'session' ? 'Sign in or create an account' : 'Sign in';
      avatar = null;
    } else if (!s.verified) {
      label = 'Code needed for';
      aria = `Enter the code to finish signing in as ${name}`;
    } else {
      label = 'Signed in as';
      aria = `Signed in as ${name}. Your account and sign out`;
    }
    ui.chipLabel.textContent = label;
    ui.chipLabel.hidden = !label;
    ui.chipName.textContent = shown;
    if (avatar) ui.avatar.textContent = avatar;
    else ui.avatar.innerHTML = ICONS.user;
    ui.chip.setAttribute('aria-label', aria);
    ui.chip.dataset.state = !s.mode ? 'loading' : s.user ? (canBuy() ? 'ready' : 'verify') : 'signed-out';
    if (ui.howFirst) {
      ui.howFirst.textContent =
        s.mode === 'session' ? 'Create an account or sign in' : s.mode === 'jwt' ? 'Sign in with your shop account' : 'Pick a user name';
    }
  }

  /** The "who" line of the checkout panel (rebuilt only when it changes: the page renders often). */
  function renderWho(node) {
    const key = JSON.stringify([s.mode, s.user, s.verified, displayName()]);
    if (node.dataset.key === key) return;
    node.dataset.key = key;
    const link = (text, onclick) => el('button', { type: 'button', class: 'link-btn', text, onclick });
    if (!s.mode) return node.replaceChildren('Checking who you are…');
    if (s.mode === 'trusted') {
      if (s.user)
        return node.replaceChildren(
          'Shopping as ',
          el('b', { text: s.user }),
          ' · ',
          link('Change', () => askName()),
        );
      return node.replaceChildren(
        link('Choose a user name', () => askName()),
        ' to start shopping.',
      );
    }
    if (!s.user) {
      if (s.mode === 'jwt')
        return node.replaceChildren(
          link('Sign in', () => open()),
          ' to start shopping.',
        );
      return node.replaceChildren(
        link('Sign in', () => openCredentials({ tab: 'signin' })),
        ' or ',
        link('create an account', () => openCredentials({ tab: 'register' })),
        ' to start shopping.',
      );
    }
    if (!s.verified) {
      return node.replaceChildren(
        'Almost there: enter the code for ',
        el('b', { text: displayName() }),
        ' · ',
        link('Enter code', () => openCode()),
      );
    }
    return node.replaceChildren(
      'Signed in as ',
      el('b', { text: displayName() }),
      ' · ',
      link('Sign out', () => signOut()),
    );
  }

  // --- Getting the buyer signed in -------------------------------------------------------------------------

  /** Makes sure the buyer can buy, then runs `then` (now, or once they have signed in). */
  function requireBuyer(then) {
    s.then = then || null;
    if (!s.mode) {
      toast('info', 'Just a moment…', 'We’re still checking who you are with the shop. Try again in a second.', { key: 'auth' });
      detect();
      return;
    }
    if (canBuy()) return runThen();
    open();
  }

  /** Opens whatever fits now: the user name, sign-in, the code, or the account. */
  function open() {
    if (s.mode === 'trusted') return askName(s.then);
    if (s.mode === 'jwt') return s.user ? showAccount() : openToken();
    if (s.mode === 'session') {
      if (!s.user) return openCredentials();
      if (!s.verified) return openCode();
      return showAccount();
    }
  }

  function runThen() {
    const then = s.then;
    s.then = null;
    if (then) then();
  }

  /**
   * An answer to checkout or purchase that is about who is calling: 401 (signed out or expired), 403 (the
   * code is still needed). Opens the right step and returns true; `then` runs once the buyer is back.
   */
  function handleProblem(r, then) {
    const code = r.problem && r.problem.code;
    if (code === 'unauthorized') {
      if (s.mode === 'trusted' || !s.mode) {
        // The server no longer takes user_id as given (its mode changed): find out what it wants now.
        detect().then(() => requireBuyer(then));
        return true;
      }
      const previousUser = user();
      s.user = null;
      s.verified = false;
      render();
      onChange({ previousUser });
      s.then = then || null;
      if (s.mode === 'jwt') {
        writeToken(null);
        openToken({ error: `The shop refused your token: ${r.problem.detail || 'it is not valid.'} Paste a new one.` });
      } else {
        openCredentials({
          tab: 'signin',
          message: notice(
            'warn',
            'Your session has expired.',
            el('span', { text: 'Sign in again to keep shopping — your checkout is kept.' }),
          ),
        });
      }
      return true;
    }
    if (code === 'verification_required') {
      s.verified = false;
      render();
      s.then = then || null;
      openCode({ error: 'Enter the code we sent you before buying.' });
      return true;
    }
    if (code === 'user_mismatch') {
      detect();
      toast('warn', 'You were signed in as someone else.', 'The page is now showing who you are signed in as. Try again.');
      return true;
    }
    return false;
  }

  // --- Dialog plumbing ------------------------------------------------------------------------------------

  const TITLES = {
    signin: 'Sign in to shop',
    register: 'Create your account',
    code: 'Enter your sign-in code',
    account: 'Your account',
    token: 'Sign in',
  };

  function showDialog(dialog) {
    if (dialog.open) return;
    if (typeof dialog.showModal === 'function') dialog.showModal();
    else dialog.setAttribute('open', '');
  }
  function hideDialog(dialog) {
    if (typeof dialog.close === 'function') dialog.close();
    else dialog.removeAttribute('open');
  }

  function showStep(step) {
    s.step = step;
    ui.stepCredentials.hidden = step !== 'credentials';
    ui.codeForm.hidden = step !== 'code';
    ui.stepAccount.hidden = step !== 'account';
    ui.tokenForm.hidden = step !== 'token';
    ui.title.textContent = step === 'credentials' ? TITLES[s.tab] : TITLES[step];
    ui.dialog.dataset.step = step;
    showDialog(ui.dialog);
  }

  function fieldError(input, errorNode, text) {
    if (text) {
      errorNode.textContent = text;
      errorNode.hidden = false;
      input.setAttribute('aria-invalid', 'true');
    } else {
      errorNode.textContent = '';
      errorNode.hidden = true;
      input.removeAttribute('aria-invalid');
    }
  }

  function setBusy(button, busy, busyText, idleText) {
    s.busy = busy;
    button.disabled = busy || Date.now() < s.holdUntil;
    button.setAttribute('aria-busy', String(busy));
    button.textContent = busy ? busyText : idleText;
  }

  /** After a 429: say how long to wait and keep the button off until then. */
  function holdOff(button, r) {
    const seconds = Math.max(1, retryAfterSeconds(r) || 1);
    s.holdUntil = Date.now() + seconds * 1000;
    button.disabled = true;
    setTimeout(() => {
      if (!s.busy) button.disabled = false;
    }, seconds * 1000);
  }

  // --- trusted: the user name ---------------------------------------------------------------------------

  function askName(then) {
    if (then !== undefined) s.then = then || null;
    ui.nameInput.value = s.user || '';
    fieldError(ui.nameInput, ui.nameError, null);
    showDialog(ui.nameDialog);
    ui.nameInput.focus();
    ui.nameInput.select();
  }

  ui.nameForm.addEventListener('submit', (e) => {
    e.preventDefault();
    const value = ui.nameInput.value.trim();
    if (!USER_RE.test(value)) {
      fieldError(
        ui.nameInput,
        ui.nameError,
        value
          ? value.length > 64
            ? 'That’s too long: 64 characters at most.'
            : 'Use only letters, digits and _ . : - (no spaces).'
          : 'Please enter a user name.',
      );
      ui.nameInput.focus();
      return;
    }
    const previousUser = user();
    s.user = value;
    writeLocal(USER_KEY, value);
    const then = s.then;
    hideDialog(ui.nameDialog);
    render();
    onChange({ previousUser });
    s.then = then;
    runThen();
  });
  ui.nameCancel.addEventListener('click', () => hideDialog(ui.nameDialog));
  ui.nameDialog.addEventListener('close', () => (s.then = null));

  // --- session: sign in or create an account -----------------------------------------------------------

  function selectTab(tab, { focus = false } = {}) {
    s.tab = tab;
    const register = tab === 'register';
    ui.tabSignIn.setAttribute('aria-selected', String(!register));
    ui.tabRegister.setAttribute('aria-selected', String(register));
    ui.tabSignIn.tabIndex = register ? -1 : 0;
    ui.tabRegister.tabIndex = register ? 0 : -1;
    ui.credentialsForm.setAttribute('aria-labelledby', register ? 'tab-register' : 'tab-signin');
    ui.credentialsIntro.textContent = register
      ? 'New here? Create an account with your e-mail address and a password. We’ll then send you a code to sign in.'
      : 'Sign in with your e-mail address and password. We’ll send you a one-time code to confirm it’s you.';
    ui.password.setAttribute('autocomplete', register ? 'new-password' : 'current-password');
    ui.passwordHint.hidden = !register;
    ui.credentialsSubmit.textContent = register ? 'Create account' : 'Sign in';
    if (s.step === 'credentials') ui.title.textContent = TITLES[tab];
    ui.credentialsMessage.replaceChildren();
    fieldError(ui.email, ui.emailError, null);
    fieldError(ui.password, ui.passwordError, null);
    if (focus) (register ? ui.tabRegister : ui.tabSignIn).focus();
  }

  function openCredentials({ tab, message } = {}) {
    selectTab(tab || s.tab || 'signin');
    if (!ui.email.value) {
      const stored = readAccount();
      ui.email.value = s.email || (stored && stored.email) || '';
    }
    ui.password.value = '';
    if (message) ui.credentialsMessage.replaceChildren(message);
    showStep('credentials');
    (ui.email.value ? ui.password : ui.email).focus();
  }

  for (const tab of [ui.tabSignIn, ui.tabRegister]) {
    tab.addEventListener('click', () => {
      selectTab(tab === ui.tabRegister ? 'register' : 'signin');
      (ui.email.value ? ui.password : ui.email).focus();
    });
    // Arrow keys move between the two tabs (the ARIA tabs pattern).
    tab.addEventListener('keydown', (e) => {
      if (!['ArrowLeft', 'ArrowRight', 'Home', 'End'].includes(e.key)) return;
      e.preventDefault();
      const next = e.key === 'Home' ? 'signin' : e.key === 'End' ? 'register' : s.tab === 'signin' ? 'register' : 'signin';
      selectTab(next, { focus: true });
    });
  }
  ui.showPassword.addEventListener('change', () => {
    ui.password.type = ui.showPassword.checked ? 'text' : 'password';
  });

  ui.credentialsForm.addEventListener('submit', async (e) => {
    e.preventDefault();
    if (s.busy) return;
    const register = s.tab === 'register';
    const email = ui.email.value.trim();
    const password = ui.password.value;
    ui.credentialsMessage.replaceChildren();
    fieldError(ui.email, ui.emailError, null);
    fieldError(ui.password, ui.passwordError, null);
    const emailProblem = !email
      ? 'Please enter your e-mail address.'
      : !EMAIL_RE.test(email)
        ? 'That doesn’t look like an e-mail address (like name@example.com).'
        : null;
    const passwordProblem = password ? null : register ? 'Please choose a password.' : 'Please enter your password.';
    if (emailProblem) fieldError(ui.email, ui.emailError, emailProblem);
    if (passwordProblem) fieldError(ui.password, ui.passwordError, passwordProblem);
    if (emailProblem || passwordProblem) return void (emailProblem ? ui.email : ui.password).focus();

    const idle = register ? 'Create account' : 'Sign in';
    setBusy(ui.credentialsSubmit, true, register ? 'Creating your account…' : 'Signing in…', idle);
    try {
      if (register) {
        const r = await api('/auth/register', { method: 'POST', body: { email, password } });
        if (!r.ok) return void credentialsRefused(r, 'register');
      }
      const r = await api('/auth/login', { method: 'POST', body: { email, password } });
      if (!r.ok) return void credentialsRefused(r, register ? 'login-after-register' : 'login');
      signedIn(r.data, email.toLowerCase(), register);
    } finally {
      setBusy(ui.credentialsSubmit, false, '', s.tab === 'register' ? 'Create account' : 'Sign in');
    }
  });

  function credentialsRefused(r, what) {
    const code = r.problem && r.problem.code;
    const detail = capitalize(r.problem && r.problem.detail);
    const say = (kind, title, text, ...more) => ui.credentialsMessage.replaceChildren(notice(kind, title, el('span', { text }), ...more));
    if (code === 'invalid_request' && (r.problem.parameter === 'email' || r.problem.parameter === 'password')) {
      const email = r.problem.parameter === 'email';
      fieldError(email ? ui.email : ui.password, email ? ui.emailError : ui.passwordError, detail);
      return (email ? ui.email : ui.password).focus();
    }
    if (code === 'email_taken') {
      fieldError(ui.email, ui.emailError, 'An account with this e-mail address already exists.');
      const switchTab = el('button', {
        type: 'button',
        class: 'link-btn',
        text: 'Sign in instead',
        onclick: () => {
          const password = ui.password.value;
          selectTab('signin');
          ui.password.value = password;
          ui.credentialsSubmit.focus();
        },
      });
      say('info', 'You already have an account.', 'Sign in with its password.', switchTab);
      return ui.email.focus();
    }
    if (code === 'invalid_credentials') {
      fieldError(ui.password, ui.passwordError, 'Wrong e-mail address or password.');
      ui.password.select();
      return ui.password.focus();
    }
    if (code === 'rate_limited') {
      say('warn', 'Too many attempts.', slowDownText(r));
      return holdOff(ui.credentialsSubmit, r);
    }
    if (r.status === 404 && code === 'not_found') {
      // Accounts are off: the server runs another AUTH_MODE than the page thought.
      const then = s.then;
      hideDialog(ui.dialog);
      detect().then(() => requireBuyer(then));
      return;
    }
    let created = '';
    if (what === 'login-after-register') {
      // The account exists now: the next try is a sign-in, with what was typed.
      selectTab('signin');
      created = 'Your account was created, but signing in failed. ';
    }
    say('bad', 'That didn’t go through.', created + (transientText(r) || detail || 'Please try again.'));
  }

  function signedIn(data, email, justRegistered) {
    const previousUser = user();
    s.user = data.userId;
    s.email = email;
    s.verified = false;
    s.codeDelivery = data.codeDelivery === 'outbox' ? 'outbox' : 'email';
    writeLocal(ACCOUNT_KEY, JSON.stringify({ userId: s.user, email, codeDelivery: s.codeDelivery }));
    ui.password.value = '';
    render();
    onChange({ previousUser });
    openCode({ justRegistered });
  }

  // --- session: the one-time code --------------------------------------------------------------------------

  function openCode({ error, justRegistered } = {}) {
    const who = displayName();
    const lead = justRegistered ? 'Your account is ready! ' : '';
    if (s.codeDelivery === 'outbox') {
      ui.codeIntro.replaceChildren(lead, 'Enter the 6-digit sign-in code for ', el('b', { text: who }), '.');
      const pre = (text) => el('code', { text });
      ui.codeDelivery.replaceChildren(
        notice(
          'info',
          'No mail server is set up for this shop, so the code was not e-mailed.',
          el(
            'span',
            {},
            'You’ll find it in the server’s log (the terminal running ',
            pre('npm start'),
            '), or run ',
            pre('npm run cli -- mail:outbox'),
            '.',
          ),
        ),
      );
    } else if (s.codeDelivery === 'email' && s.email) {
      ui.codeIntro.replaceChildren(lead, 'We’ve e-mailed a 6-digit code to ', el('b', { text: who }), '. Enter it to finish signing in.');
      ui.codeDelivery.replaceChildren();
    } else {
      // After a reload this tab may not know where the code went: say it plainly.
      ui.codeIntro.replaceChildren('Enter the 6-digit code we sent you when you signed in as ', el('b', { text: who }), '.');
      ui.codeDelivery.replaceChildren();
    }
    ui.code.value = '';
    fieldError(ui.code, ui.codeError, error || null);
    showStep('code');
    ui.code.focus();
  }

  ui.code.addEventListener('input', () => {
    // Digits only (a pasted "123 456" works too).
    const digits = ui.code.value.replace(/\D/g, '').slice(0, 6);
    if (digits !== ui.code.value) ui.code.value = digits;
  });

  ui.codeRestart.addEventListener('click', () => openCredentials({ tab: 'signin' }));

  ui.codeForm.addEventListener('submit', async (e) => {
    e.preventDefault();
    if (s.busy) return;
    const code = ui.code.value.replace(/\D/g, '');
    if (code.length !== 6) {
      fieldError(ui.code, ui.codeError, 'Enter all 6 digits of the code.');
      return ui.code.focus();
    }
    fieldError(ui.code, ui.codeError, null);
    setBusy(ui.codeSubmit, true, 'Checking…', 'Verify and continue');
    const r = await api('/auth/verify-otp', { method: 'POST', body: { code } });
    setBusy(ui.codeSubmit, false, '', 'Verify and continue');
    if (r.ok) {
      s.verified = true;
      hideDialogKeepingThen(ui.dialog);
      render();
      onChange({ previousUser: user() });
      toast('good', `Signed in as ${displayName()}`, 'You can buy now. Good luck!', { key: 'auth' });
      return runThen();
    }
    const problem = r.problem || {};
    if (problem.code === 'invalid_code') {
      const left = Number(r.headers && r.headers.get('x-attempts-left'));
      const text =
        Number.isFinite(left) && r.headers.get('x-attempts-left') !== null
          ? `That code isn’t right. ${plural(left, 'attempt')} left.`
          : capitalize(problem.detail) || 'That code isn’t right.';
      fieldError(ui.code, ui.codeError, text);
      ui.code.select();
      return ui.code.focus();
    }
    if (problem.code === 'invalid_request') {
      fieldError(ui.code, ui.codeError, 'Enter the 6 digits of the code we sent you.');
      return ui.code.focus();
    }
    if (problem.code === 'verification_locked') {
      return openCredentials({
        tab: 'signin',
        message: notice('warn', 'Please sign in again for a new code.', el('span', { text: capitalize(problem.detail) })),
      });
    }
    if (problem.code === 'unauthorized') {
      const previousUser = user();
      s.user = null;
      s.verified = false;
      render();
      onChange({ previousUser });
      return openCredentials({
        tab: 'signin',
        message: notice('warn', 'Your sign-in has expired.', el('span', { text: 'Please sign in again to get a new code.' })),
      });
    }
    if (problem.code === 'rate_limited') {
      fieldError(ui.code, ui.codeError, `Too many attempts. ${slowDownText(r)}`);
      return holdOff(ui.codeSubmit, r);
    }
    fieldError(ui.code, ui.codeError, transientText(r) || capitalize(problem.detail) || 'That didn’t go through. Please try again.');
  });

  // --- Signed in: the account and signing out --------------------------------------------------------------

  function showAccount() {
    ui.accountWho.textContent = displayName();
    ui.accountDetail.textContent =
      s.mode === 'jwt'
        ? 'Signed in with a token from the shop’s identity provider (kept in this tab only).'
        : 'Your checkout and your per-person limit belong to this account.';
    showStep('account');
    ui.signOut.focus();
  }

  async function signOut() {
    if (s.mode === 'session') {
      ui.signOut.disabled = true;
      const r = await api('/auth/logout', { method: 'POST' });
      ui.signOut.disabled = false;
      // 401: the session was already gone, which is just as signed out.
      if (!r.ok && r.status !== 401) {
        toast('bad', 'We couldn’t sign you out.', transientText(r) || capitalize(r.problem.detail) || 'Please try again.');
        return;
      }
      writeLocal(ACCOUNT_KEY, null);
    } else if (s.mode === 'jwt') {
      writeToken(null);
    }
    const previousUser = user();
    s.user = null;
    s.email = null;
    s.verified = false;
    s.codeDelivery = null;
    if (ui.dialog.open) hideDialog(ui.dialog);
    ui.email.value = '';
    render();
    onChange({ previousUser, signedOut: true });
    toast('info', 'You’re signed out.', 'Sign in again whenever you want to buy.', { key: 'auth' });
  }
  ui.signOut.addEventListener('click', signOut);

  // --- jwt: a pasted token ----------------------------------------------------------------------------------

  function openToken({ error } = {}) {
    ui.token.value = '';
    fieldError(ui.token, ui.tokenError, error || s.tokenRefused || null);
    s.tokenRefused = null;
    ui.tokenForget.hidden = !readToken();
    showStep('token');
    ui.token.focus();
  }

  ui.tokenForm.addEventListener('submit', async (e) => {
    e.preventDefault();
    if (s.busy) return;
    const token = ui.token.value.trim().replace(/^Bearer\s+/i, '');
    if (!token) {
      fieldError(ui.token, ui.tokenError, 'Paste a token first.');
      return ui.token.focus();
    }
    if (/\s/.test(token)) {
      fieldError(ui.token, ui.tokenError, 'A token has no spaces or line breaks: paste it again.');
      return ui.token.focus();
    }
    const submit = ui.tokenForm.querySelector('button[type="submit"]');
    setBusy(submit, true, 'Checking…', 'Use this token');
    const r = await api('/auth/me', { headers: { authorization: `Bearer ${token}` } });
    setBusy(submit, false, '', 'Use this token');
    if (r.ok && r.data && r.data.userId) {
      const previousUser = user();
      writeToken(token);
      s.user = r.data.userId;
      s.verified = true;
      hideDialogKeepingThen(ui.dialog);
      render();
      onChange({ previousUser });
      toast('good', `Signed in as ${s.user}`, 'You can buy now.', { key: 'auth' });
      return runThen();
    }
    if (r.status === 401)
      return void fieldError(ui.token, ui.tokenError, `The shop refused this token: ${r.problem.detail || 'it is not valid.'}`);
    fieldError(ui.token, ui.tokenError, transientText(r) || capitalize(r.problem && r.problem.detail) || 'Please try again.');
  });
  ui.tokenForget.addEventListener('click', () => signOut());

  // --- Closing ------------------------------------------------------------------------------------------------

  /** Closes the dialog without dropping the pending action (it runs next). */
  function hideDialogKeepingThen(dialog) {
    const then = s.then;
    hideDialog(dialog);
    s.then = then;
  }
  for (const button of ui.dialog.querySelectorAll('[data-close]')) button.addEventListener('click', () => hideDialog(ui.dialog));
  ui.close.addEventListener('click', () => hideDialog(ui.dialog));
  ui.dialog.addEventListener('close', () => {
    s.then = null;
    s.step = null;
  });
  ui.chip.addEventListener('click', () => {
    s.then = null;
    if (!s.mode) return requireBuyer(null);
    open();
  });

  // Signing in or out in another tab of this browser (same cookie): catch up.
  window.addEventListener('storage', (e) => {
    if (e.key === ACCOUNT_KEY || e.key === USER_KEY) detect();
  });

  render();
  detect();

  return {
    ready,
    mode: () => s.mode,
    user,
    canBuy,
    query,
    headers,
    requireBuyer,
    handleProblem,
    renderWho,
    signOut,
  };
}
