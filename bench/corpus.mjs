// Deterministic benchmark corpus: tenants laid out as auth0-deploy-cli directory exports
// (tenant-NNN/rules/<name>.js + <name>.json sidecar). Same seed → byte-identical files.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/** mulberry32: tiny, fast and deterministic. */
function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const pick = (rng, list) => list[Math.floor(rng() * list.length)];

// ---- account linking, in the catalogued variants (rule-patterns.md §1, §5–§13) ----

const linking = {
  // 2015: global request, static API token, search v2, current user primary, every match linked.
  'link-2015': (v) => `${v.header}function ${v.fn}(user, context, ${v.cb}) {
  ${v.decl} request = require('request');
  ${v.decl} userApiUrl = 'https://${v.tenant}.auth0.com/api/v2/users';

  request({
    url: userApiUrl,
    headers: {
      Authorization: 'Bearer ' + configuration.AUTH0_API_TOKEN
    },
    qs: {
      search_engine: 'v2',
      q: 'email:"' + user.email + '" -user_id:"' + user.user_id + '"'
    }
  }, function (err, response, body) {
    if (err) return ${v.cb}(err);
    if (response.statusCode !== 200) return ${v.cb}(new Error(body));

    ${v.decl} data = JSON.parse(body);
    if (data.length > 0) {
      data.forEach(function (targetUser) {
        ${v.decl} aryTmp = targetUser.user_id.split('|');
        ${v.decl} identity = { provider: aryTmp[0], user_id: aryTmp[1] };
        request.post({
          url: userApiUrl + '/' + user.user_id + '/identities',
          headers: { Authorization: 'Bearer ' + configuration.AUTH0_API_TOKEN },
          json: identity
        });
      });
    }
    ${v.cb}(null, user, context);
  });
}
`,
  // 2016: request@2.56.0 + async.each, auth0.baseUrl / auth0.accessToken, email.raw.
  'link-2016-async': (v) => `${v.header}function ${v.fn}(user, context, ${v.cb}) {
  ${v.decl} request = require('request@2.56.0');
  ${v.decl} async = require('async@2.1.2');
  ${v.decl} userApiUrl = auth0.baseUrl + '/users';

  if (context.stats.loginsCount > 1) {
    return ${v.cb}(null, user, context);
  }

  request({
    url: userApiUrl,
    headers: { Authorization: 'Bearer ' + auth0.accessToken },
    qs: {
      search_engine: 'v2',
      q: 'email.raw:"' + user.email + '" AND email_verified: "true" -user_id:"' + user.user_id + '"'
    }
  }, function (err, response, body) {
    if (err) return ${v.cb}(err);
    if (response.statusCode !== 200) return ${v.cb}(new Error(body));
    ${v.decl} data = JSON.parse(body);
    data.sort(function (a, b) {
      return new Date(a.created_at) - new Date(b.created_at);
    });
    async.each(data, function (targetUser, next) {
      ${v.decl} aryTmp = targetUser.user_id.split('|');
      request.post({
        url: userApiUrl + '/' + user.user_id + '/identities',
        headers: { Authorization: 'Bearer ' + auth0.accessToken },
        json: { provider: aryTmp[0], user_id: aryTmp[1] }
      }, function (err) {
        next(err);
      });
    }, function (err) {
      if (err) return ${v.cb}(err);
      ${v.cb}(null, user, context);
    });
  });
}
`,
  // 2017-09 "fix primaryUser": users-by-email, the found user becomes primary.
  'link-2017-primary': (v) => `${v.header}function ${v.fn}(user, context, ${v.cb}) {
  ${v.decl} request = require('request@2.56.0');
  ${v.decl} _ = require('lodash');
  ${v.decl} userApiUrl = auth0.baseUrl + '/users';
  ${v.decl} userSearchApiUrl = auth0.baseUrl + '/users-by-email';

  // Check if email is verified, we shouldn't automatically
  // merge accounts if this is not the case.
  if (!user.email || !user.email_verified) {
    return ${v.cb}(null, user, context);
  }

  request({
    url: userSearchApiUrl,
    headers: {
      Authorization: 'Bearer ' + auth0.accessToken
    },
    qs: {
      email: user.email
    }
  }, function (err, response, body) {
    if (err) return ${v.cb}(err);
    if (response.statusCode !== 200) return ${v.cb}(new Error(body));

    var data = JSON.parse(body);
    // Ignore non-verified users and current user, if present
    data = data.filter(function (u) {
      return u.email_verified && (u.user_id !== user.user_id);
    });

    if (data.length > 1) {
      return ${v.cb}(new Error('[!] Rule: Multiple user profiles already exist - cannot select base profile to link with'));
    }
    if (data.length === 0) {
      console.log('[-] Skipping link rule');
      return ${v.cb}(null, user, context);
    }

    ${v.decl} originalUser = data[0];
    ${v.decl} provider = user.identities[0].provider;
    ${v.decl} providerUserId = user.identities[0].user_id;

    request.post({
      url: userApiUrl + '/' + originalUser.user_id + '/identities',
      headers: {
        Authorization: 'Bearer ' + auth0.accessToken
      },
      json: {
        provider: provider,
        user_id: String(providerUserId)
      }
    }, function (err, response, body) {
      if (response.statusCode >= 400) {
        return ${v.cb}(new Error('Error linking account: ' + response.statusMessage));
      }
      context.primaryUser = originalUser.user_id;
      ${v.cb}(null, user, context);
    });
  });
}
`,
  // "with metadata": lodash merge, updateAppMetadata(...).then(updateUserMetadata(...)).
  'link-with-metadata': (v) => `${v.header}function ${v.fn}(user, context, ${v.cb}) {
  ${v.decl} request = require('request@2.88.2');
  ${v.decl} _ = require('lodash@4.17.21');
  ${v.decl} userApiUrl = auth0.baseUrl + '/users';

  if (!user.email_verified) return ${v.cb}(null, user, context);

  request({
    url: auth0.baseUrl + '/users-by-email',
    headers: { Authorization: 'Bearer ' + auth0.accessToken },
    qs: { email: user.email },
    json: true
  }, function (err, response, users) {
    if (err) return ${v.cb}(err);
    if (response.statusCode !== 200) return ${v.cb}(new Error('Search failed: ' + response.statusCode));
    ${v.decl} candidates = users.filter(function (u) {
      return u.email_verified && u.user_id !== user.user_id;
    });
    if (candidates.length !== 1) return ${v.cb}(null, user, context);
    ${v.decl} originalUser = candidates[0];
    ${v.decl} mergeCustomizer = function (objectValue, sourceValue) {
      if (_.isArray(objectValue)) {
        return sourceValue.concat(objectValue);
      }
    };
    ${v.decl} mergedUserMetadata = _.merge({}, user.user_metadata, originalUser.user_metadata, mergeCustomizer);
    ${v.decl} mergedAppMetadata = _.merge({}, user.app_metadata, originalUser.app_metadata, mergeCustomizer);
    auth0.users.updateAppMetadata(originalUser.user_id, mergedAppMetadata)
      .then(auth0.users.updateUserMetadata(originalUser.user_id, mergedUserMetadata))
      .then(function () {
        request.post({
          url: userApiUrl + '/' + originalUser.user_id + '/identities',
          headers: { Authorization: 'Bearer ' + auth0.accessToken },
          json: { provider: user.identities[0].provider, user_id: String(user.identities[0].user_id) }
        }, function (err, response) {
          if (err || response.statusCode >= 400) {
            return ${v.cb}(new Error('Error linking account: ' + (err ? err.message : response.statusMessage)));
          }
          context.primaryUser = originalUser.user_id;
          ${v.cb}(null, user, context);
        });
      })
      .catch(function (err) {
        ${v.cb}(err);
      });
  });
}
`,
  // SDK: ManagementClient from auth0@2.x, promise chain.
  'link-sdk-promise': (v) => `${v.header}function ${v.fn}(user, context, ${v.cb}) {
  ${v.decl} ManagementClient = require('auth0@2.31.0').ManagementClient;
  ${v.decl} management = new ManagementClient({
    token: auth0.accessToken,
    domain: auth0.domain
  });

  if (!user.email || !user.email_verified) {
    return ${v.cb}(null, user, context);
  }
  if (user.identities.length > 1) {
    return ${v.cb}(null, user, context);
  }

  management.getUsersByEmail(user.email)
    .then(function (users) {
      ${v.decl} matches = users.filter(function (u) {
        return u.email_verified && u.user_id !== user.user_id;
      });
      if (matches.length === 0) return ${v.cb}(null, user, context);
      ${v.decl} primary = matches[0];
      ${v.decl} parts = user.user_id.split('|');
      return management.linkUsers(primary.user_id, { provider: parts[0], user_id: parts[1] })
        .then(function () {
          context.primaryUser = primary.user_id;
          ${v.cb}(null, user, context);
        });
    })
    .catch(function (err) {
      ${v.cb}(err);
    });
}
`,
  // async function with axios and await.
  'link-async-axios': (v) => `${v.header}async function ${v.fn}(user, context, ${v.cb}) {
  const axios = require('axios@0.27.2');
  const headers = { Authorization: \`Bearer \${auth0.accessToken}\` };

  if (!user.email_verified || context.stats.loginsCount > 1) {
    return ${v.cb}(null, user, context);
  }

  try {
    const { data } = await axios.get(\`\${auth0.baseUrl}/users-by-email\`, {
      headers,
      params: { email: user.email.toLowerCase() }
    });
    const candidates = data
      .filter((u) => u.email_verified)
      .filter((u) => u.user_id !== user.user_id)
      .sort((a, b) => new Date(a.created_at) - new Date(b.created_at));
    if (candidates.length === 0) {
      return ${v.cb}(null, user, context);
    }
    const primary = candidates[0];
    const [provider, id] = user.user_id.split('|');
    await axios.post(\`\${auth0.baseUrl}/users/\${primary.user_id}/identities\`, { provider, user_id: id }, { headers });
    context.primaryUser = primary.user_id;
    return ${v.cb}(null, user, context);
  } catch (e) {
    return ${v.cb}(e);
  }
}
`,
  // fetch with URLSearchParams and a client-credentials token cached in global.
  'link-fetch-token': (v) => `${v.header}function ${v.fn}(user, context, ${v.cb}) {
  const fetch = require('node-fetch@2.6.7');
  const domain = configuration.DOMAIN;

  if (!user.email || !user.email_verified) return ${v.cb}(null, user, context);

  function getToken() {
    if (global.mgmtToken && global.mgmtTokenExpires > Date.now()) {
      return Promise.resolve(global.mgmtToken);
    }
    return fetch('https://' + domain + '/oauth/token', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({
        grant_type: 'client_credentials',
        client_id: configuration.CLIENT_ID,
        client_secret: configuration.CLIENT_SECRET,
        audience: 'https://' + domain + '/api/v2/'
      })
    }).then((res) => res.json()).then((json) => {
      global.mgmtToken = json.access_token;
      global.mgmtTokenExpires = Date.now() + json.expires_in * 1000;
      return json.access_token;
    });
  }

  getToken().then((token) => {
    const search = 'https://' + domain + '/api/v2/users-by-email?' + new URLSearchParams({ email: user.email });
    return fetch(search, { headers: { Authorization: 'Bearer ' + token } })
      .then((res) => {
        if (!res.ok) throw new Error('search failed: ' + res.statusText);
        return res.json();
      })
      .then((users) => {
        const other = users.find((u) => u.email_verified && u.user_id !== user.user_id);
        if (!other) return ${v.cb}(null, user, context);
        return fetch('https://' + domain + '/api/v2/users/' + other.user_id + '/identities', {
          method: 'post',
          headers: { 'Content-Type': 'application/json', Authorization: 'Bearer ' + token },
          body: JSON.stringify({ provider: user.identities[0].provider, user_id: user.identities[0].user_id })
        }).then(() => {
          context.primaryUser = other.user_id;
          ${v.cb}(null, user, context);
        });
      });
  }).catch((err) => ${v.cb}(err));
}
`,
  // The Rules-scoped auth0 object, node-style callbacks, connection-scoped candidates.
  'link-rules-object': (v) => `${v.header}function ${v.fn}(user, context, ${v.cb}) {
  if (context.connection !== 'google-oauth2') {
    return ${v.cb}(null, user, context);
  }
  if (!user.email_verified) {
    return ${v.cb}(null, user, context);
  }
  auth0.users.getUsersByEmail(user.email, function (err, users) {
    if (err) return ${v.cb}(err);
    ${v.decl} db = users.filter(function (u) {
      return u.identities[0].connection === 'Username-Password-Authentication' && u.email_verified;
    });
    if (db.length !== 1) return ${v.cb}(null, user, context);
    auth0.users.linkUsers(db[0].user_id, {
      provider: user.identities[0].provider,
      user_id: user.identities[0].user_id
    }, function (err) {
      if (err) {
        console.log('link failed', err.message);
        return ${v.cb}(null, user, context);
      }
      context.primaryUser = db[0].user_id;
      ${v.cb}(null, user, context);
    });
  });
}
`,
  // Two-phase: redirect to a linking UI, then link in the redirect-callback branch.
  'link-redirect': (v) => `${v.header}function ${v.fn}(user, context, ${v.cb}) {
  ${v.decl} request = require('request');
  ${v.decl} LINK_UI = configuration.LINK_UI_URL;

  if (context.protocol === 'redirect-callback') {
    ${v.decl} token = context.request.query.link_token;
    let payload;
    try {
      payload = jwt.verify(token, configuration.LINK_SECRET);
    } catch (e) {
      return ${v.cb}(new UnauthorizedError('Invalid link token'));
    }
    if (!payload.link) return ${v.cb}(null, user, context);
    request.post({
      url: auth0.baseUrl + '/users/' + payload.primary + '/identities',
      headers: { Authorization: 'Bearer ' + auth0.accessToken },
      json: { provider: user.identities[0].provider, user_id: user.identities[0].user_id }
    }, function (err, response) {
      if (err) return ${v.cb}(err);
      if (response.statusCode >= 400) return ${v.cb}(new Error('link failed'));
      context.primaryUser = payload.primary;
      ${v.cb}(null, user, context);
    });
    return;
  }

  if (context.stats.loginsCount > 1 || !user.email_verified) {
    return ${v.cb}(null, user, context);
  }
  context.redirect = {
    url: LINK_UI + '?email=' + encodeURIComponent(user.email)
  };
  ${v.cb}(null, user, context);
}
`,
  // Search only: blocks duplicate sign-ups, never links (a false-positive risk, §16).
  'search-block-duplicates': (v) => `${v.header}function ${v.fn}(user, context, ${v.cb}) {
  if (context.stats.loginsCount > 1) return ${v.cb}(null, user, context);
  auth0.users.getUsersByEmail(user.email, function (err, users) {
    if (err) return ${v.cb}(err);
    ${v.decl} others = users.filter(function (u) {
      return u.user_id !== user.user_id;
    });
    if (others.length > 0) {
      return ${v.cb}(new UnauthorizedError('An account with this email already exists. Log in with ' + others[0].identities[0].connection + '.'));
    }
    ${v.cb}(null, user, context);
  });
}
`,
};

// ---- everything else a tenant has ----

const other = {
  'claims-roles': (v) => `${v.header}function ${v.fn}(user, context, ${v.cb}) {
  ${v.decl} namespace = 'https://${v.tenant}.example.com/';
  ${v.decl} assignedRoles = (context.authorization || {}).roles;
  ${v.decl} idTokenClaims = context.idToken || {};
  ${v.decl} accessTokenClaims = context.accessToken || {};

  idTokenClaims[namespace + 'roles'] = assignedRoles;
  accessTokenClaims[namespace + 'roles'] = assignedRoles;
  context.idToken = idTokenClaims;
  context.accessToken = accessTokenClaims;

  ${v.cb}(null, user, context);
}
`,
  'claims-metadata': (v) => `${v.header}function ${v.fn}(user, context, ${v.cb}) {
  ${v.decl} ns = 'https://${v.tenant}.example.com';
  user.app_metadata = user.app_metadata || {};
  context.idToken[ns + '/plan'] = user.app_metadata.plan || 'free';
  context.idToken[ns + '/country'] = context.request.geoip.country_code;
  context.accessToken[ns + '/email'] = user.email;
  if (user.user_metadata && user.user_metadata.locale) {
    context.idToken[ns + '/locale'] = user.user_metadata.locale;
  }
  ${v.cb}(null, user, context);
}
`,
  'metadata-first-login': (v) => `${v.header}function ${v.fn}(user, context, ${v.cb}) {
  user.app_metadata = user.app_metadata || {};
  if (user.app_metadata.signed_up_at) {
    return ${v.cb}(null, user, context);
  }
  user.app_metadata.signed_up_at = new Date().toISOString();
  user.app_metadata.signup_client = context.clientName;
  auth0.users.updateAppMetadata(user.user_id, user.app_metadata)
    .then(function () {
      ${v.cb}(null, user, context);
    })
    .catch(function (err) {
      ${v.cb}(err);
    });
}
`,
  'metadata-preferences': (v) => `${v.header}function ${v.fn}(user, context, ${v.cb}) {
  user.user_metadata = user.user_metadata || {};
  ${v.decl} prefs = user.user_metadata.preferences || { theme: 'light', newsletter: false };
  prefs.last_login_country = context.request.geoip.country_name;
  prefs.last_login_ip = context.request.ip;
  user.user_metadata.preferences = prefs;
  auth0.users.updateUserMetadata(user.user_id, user.user_metadata)
    .then(function () {
      ${v.cb}(null, user, context);
    })
    .catch(function (err) {
      ${v.cb}(err);
    });
}
`,
  'mfa-per-client': (v) => `${v.header}function ${v.fn}(user, context, ${v.cb}) {
  ${v.decl} CLIENTS_WITH_MFA = ['${v.id(24)}', '${v.id(24)}', '${v.id(24)}'];
  if (CLIENTS_WITH_MFA.indexOf(context.clientID) !== -1) {
    context.multifactor = {
      provider: 'any',
      allowRememberBrowser: false
    };
  }
  ${v.cb}(null, user, context);
}
`,
  'mfa-risk': (v) => `${v.header}function ${v.fn}(user, context, ${v.cb}) {
  ${v.decl} riskAssessment = context.riskAssessment || {};
  ${v.decl} trusted = (user.app_metadata || {}).trusted_device;
  if (context.protocol === 'oauth2-refresh-token') {
    return ${v.cb}(null, user, context);
  }
  if (riskAssessment.confidence === 'low' || !trusted) {
    context.multifactor = {
      provider: 'google-authenticator',
      allowRememberBrowser: true
    };
  }
  ${v.cb}(null, user, context);
}
`,
  'redirect-consent': (v) => `${v.header}function ${v.fn}(user, context, ${v.cb}) {
  ${v.decl} CONSENT_URL = configuration.CONSENT_FORM_URL;
  user.user_metadata = user.user_metadata || {};
  if (context.protocol === 'redirect-callback') {
    user.user_metadata.consentGiven = context.request.body.confirm === 'yes';
    user.user_metadata.consentTimestamp = Date.now();
    auth0.users.updateUserMetadata(user.user_id, user.user_metadata)
      .then(function () {
        ${v.cb}(null, user, context);
      })
      .catch(function (err) {
        ${v.cb}(err);
      });
    return;
  }
  if (!user.user_metadata.consentGiven) {
    context.redirect = {
      url: CONSENT_URL + '?state=' + context.request.query.state
    };
  }
  ${v.cb}(null, user, context);
}
`,
  'deny-by-country': (v) => `${v.header}function ${v.fn}(user, context, ${v.cb}) {
  ${v.decl} blocked = ['KP', 'IR', 'SY', 'CU'];
  ${v.decl} country = context.request.geoip.country_code;
  if (blocked.indexOf(country) >= 0) {
    return ${v.cb}(new UnauthorizedError('Access from ' + country + ' is not allowed'));
  }
  ${v.cb}(null, user, context);
}
`,
  'deny-by-domain': (v) => `${v.header}function ${v.fn}(user, context, ${v.cb}) {
  ${v.decl} whitelist = ['${v.tenant}.com', 'partner.${v.tenant}.com'];
  ${v.decl} userHasAccess = whitelist.some(function (domain) {
    ${v.decl} emailSplit = user.email.split('@');
    return emailSplit[emailSplit.length - 1].toLowerCase() === domain;
  });
  if (!userHasAccess) {
    return ${v.cb}('Access denied.');
  }
  return ${v.cb}(null, user, context);
}
`,
  'app-allowlist': (v) => `${v.header}function ${v.fn}(user, context, ${v.cb}) {
  if (context.clientName === '${v.tenant} admin') {
    ${v.decl} roles = (user.app_metadata && user.app_metadata.roles) || [];
    if (roles.indexOf('admin') === -1) {
      return ${v.cb}(new UnauthorizedError('Only admins can use this application'));
    }
  }
  ${v.cb}(null, user, context);
}
`,
  'log-enrich': (v) => `${v.header}function ${v.fn}(user, context, ${v.cb}) {
  ${v.decl} request = require('request');
  ${v.decl} event = {
    user: user.user_id,
    email: user.email,
    client: context.clientID,
    connection: context.connection,
    ip: context.request.ip,
    agent: context.request.userAgent,
    city: context.request.geoip.city_name,
    logins: context.stats.loginsCount
  };
  request.post({ url: @@LOG_ENDPOINT@@, json: event, timeout: 2000 }, function () {});
  ${v.cb}(null, user, context);
}
`,
  'env-config': (v) => `${v.header}function ${v.fn}(user, context, ${v.cb}) {
  const env = @@ENV@@;
  const apiUrl = '##API_URL##';
  context.idToken['https://${v.tenant}.example.com/env'] = env;
  context.idToken['https://${v.tenant}.example.com/api'] = apiUrl;
  ${v.cb}(null, user, context);
}
`,
};

// A few files that cannot be migrated: a syntax error, a custom database script, an Action.
const invalid = {
  'syntax-error': (v) => `function ${v.fn}(user, context, ${v.cb}) {
  if (user.email_verified {
    return ${v.cb}(null, user, context);
  }
  ${v.cb}(null, user, context);
}
`,
  'custom-db-script': () => `function getByEmail(email, callback) {
  const users = global.users || [];
  const found = users.find(function (u) { return u.email === email; });
  callback(null, found || null);
}
`,
  'already-action': () => `exports.onExecutePostLogin = async (event, api) => {
  api.idToken.setCustomClaim('https://example.com/email', event.user.email);
};
`,
};

/** About a third linking, the rest spread over the other kinds, ~2% invalid. */
function chooseKind(rng) {
  const r = rng();
  if (r < 0.02) return ['invalid', pick(rng, Object.keys(invalid))];
  if (r < 0.35) return ['linking', pick(rng, Object.keys(linking))];
  return ['other', pick(rng, Object.keys(other))];
}

const templates = { linking, other, invalid };

function variation(rng, tenant, index, kind) {
  const alphabet = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
  const form = rng();
  const camel = kind.replace(/-(\w)/g, (_, c) => c.toUpperCase());
  return {
    tenant,
    // Anonymous (the 2015–2019 templates), named (2020+), or with a lint header.
    fn: form < 0.45 ? '' : `${camel}${index}`,
    header: rng() < 0.2 ? '/* global configuration, auth0, jwt */\n' : '',
    cb: pick(rng, ['callback', 'callback', 'callback', 'cb', 'done']),
    decl: pick(rng, ['var', 'var', 'const', 'let']),
    id: (n) => Array.from({ length: n }, () => alphabet[Math.floor(rng() * alphabet.length)]).join(''),
  };
}

/** 4-space indent and double quotes in some copies, as in the wild. */
function restyle(rng, source) {
  let out = source;
  if (rng() < 0.3) out = out.replace(/^( +)/gm, (spaces) => spaces.repeat(2));
  if (rng() < 0.25 && !out.includes('"') && !out.includes('\\\'')) out = out.replace(/'/g, '"');
  return out;
}

/**
 * Writes `tenants` deploy-cli directory exports of `rulesPerTenant` rules each under `dir`.
 * Returns the list of rule files and the mix.
 */
export function generateCorpus(dir, { tenants, rulesPerTenant, seed = 20260101 }) {
  const rng = prng(seed);
  const files = [];
  const mix = { linking: 0, other: 0, invalid: 0 };
  for (let t = 0; t < tenants; t++) {
    const tenant = `tenant${String(t + 1).padStart(3, '0')}`;
    const rulesDir = path.join(dir, tenant, 'rules');
    mkdirSync(rulesDir, { recursive: true });
    for (let i = 0; i < rulesPerTenant; i++) {
      const [group, kind] = chooseKind(rng);
      mix[group]++;
      const v = variation(rng, tenant, i, kind);
      let source = templates[group][kind](v);
      // Some copies start the body with a directive.
      if (group !== 'invalid' && rng() < 0.1) source = source.replace(/\) \{\n/, ") {\n  'use strict';\n");
      source = restyle(rng, source);
      const name = `${String(i + 1).padStart(3, '0')} ${kind}`;
      const file = path.join(rulesDir, `${name}.js`);
      writeFileSync(file, source);
      const sidecar = { name, script: `./${name}.js`, stage: 'login_success', enabled: rng() < 0.9, order: i + 1 };
      writeFileSync(path.join(rulesDir, `${name}.json`), JSON.stringify(sidecar, null, 2) + '\n');
      files.push(file);
    }
  }
  return { files, mix };
}
