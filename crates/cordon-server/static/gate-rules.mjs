// The gate's rules on the device (离线判定): the same decision as `cordon_domain::gates::decide`,
// for a gate whose phone lost the network. Rules are data (the post the server sends: the rule
// over the gate, the rules over each person's home); this file is only their interpreter, and a
// corpus the Rust side generates (tests/field/gate-corpus.json) holds the two to the same answers.
//
// Values are the API's own: directions 'in'/'out', subjects 'resident'/'worker'/'delivery'/
// 'ambulance', standings 'clear'/'held_for_retest'/'contact'/'positive', a pass shown as
// 'none', 'expired', 'revoked', 'other_gate', 'forged', 'replayed', 'not_theirs' or
// {valid: kind}, a gate rule as {tier, leave, enter} with movements 'free'/'pass_only'/'confirm'.

const allow = (rule) => ({ outcome: 'allowed', rule });
const refuse = (rule) => ({ outcome: 'refused', rule });

/// One passage decided: `p` is {direction, subject, gate, home, lives_inside, standing, pass, confirmed}.
export function decide(p) {
  // A medical emergency never waits on a gate, a status or a test result.
  if (p.subject === 'ambulance') return allow('ambulance');
  const kind = typeof p.pass === 'object' && p.pass !== null ? p.pass.valid : null;
  if (kind === 'emergency') return allow('emergency_pass');
  if (kind === 'transfer') return allow('transfer_pass');
  if (kind === null) {
    if (p.pass === 'not_theirs') return refuse('pass_of_another');
    // A pass shown but not good is refused as such, even where none is needed.
    if (p.pass !== 'none') return refuse('pass_refused');
  }
  const pass = kind; // null: no pass
  // The person's standing first: it follows them whatever the gate.
  const out = p.direction === 'out';
  switch (p.standing) {
    case 'positive':
      return pass === 'medical' ? allow('pass_admits') : refuse('positive_stays_isolated');
    case 'held_for_retest':
      if (out) return pass === 'medical' ? allow('pass_admits') : refuse('held_where_they_are');
      break;
    case 'contact':
      if (out) {
        return pass === 'medical' || pass === 'exception' ? allow('pass_admits') : refuse('contact_in_quarantine');
      }
      break;
  }
  const homeKeepsIn = p.home != null && p.home.leave !== 'free';
  if (out) {
    const gateKeepsIn = p.gate != null && p.gate.leave !== 'free';
    if (pass !== null && (gateKeepsIn || (homeKeepsIn && p.lives_inside))) return allow('pass_admits');
    if (pass === null && gateKeepsIn) return refuse('tier_keeps_in');
    if (pass === null && homeKeepsIn && p.lives_inside) return refuse('home_keeps_in');
    return allow('free');
  }
  // Someone whose home zone keeps them in, met outside it with no pass, went out without one.
  if (homeKeepsIn && !p.lives_inside && pass === null) return refuse('home_keeps_in');
  const enter = p.gate == null ? 'free' : p.gate.enter;
  if (enter === 'free') return allow('free');
  if (enter === 'pass_only') return pass !== null ? allow('pass_admits') : refuse('tier_keeps_out');
  // Confirm: workers and deliveries go in and out on their pass; everyone else is asked.
  if (pass === 'worker' || pass === 'delivery') return allow('pass_admits');
  if (p.confirmed) return allow('confirmed_staying');
  return { outcome: 'ask_confirmation', rule: 'confirm_staying' };
}

const subjectOf = { worker: 'worker', delivery: 'delivery' };

function b64url(text) {
  const s = text.replace(/-/g, '+').replace(/_/g, '/');
  const bin = atob(s + '='.repeat((4 - (s.length % 4)) % 4));
  return Uint8Array.from(bin, (c) => c.charCodeAt(0));
}

/// Checks a pass's QR content as `cordon verify-pass` does — the Ed25519 signature with the
/// public key alone, its window, its area and gates — and, from the post, revocation, one-time
/// use and whom it names. Returns {shown, claims, note}.
export async function checkPass(token, post, gateId, now, usedHere) {
  const t = token.trim();
  const forged = (note) => ({ shown: 'forged', claims: null, note });
  if (!t.startsWith('CP1.')) return forged('not_cordon');
  const parts = t.slice(4).split('.');
  if (parts.length !== 2) return forged('not_cordon');
  let claims;
  try {
    const key = await crypto.subtle.importKey('raw', b64url(post.public_key), { name: 'Ed25519' }, false, ['verify']);
    const signed = new TextEncoder().encode(`CP1.${parts[0]}`);
    if (!(await crypto.subtle.verify({ name: 'Ed25519' }, key, b64url(parts[1]), signed))) return forged('bad_signature');
    claims = JSON.parse(new TextDecoder().decode(b64url(parts[0])));
  } catch {
    return forged('not_cordon');
  }
  const at = Math.floor(now / 1000);
  const known = post.passes.find((p) => p.id === claims.i);
  if (known?.revoked) return { shown: 'revoked', claims, note: 'revoked' };
  if (at < claims.f || at >= claims.u) return { shown: 'expired', claims, note: 'expired' };
  const gates = claims.g ?? [];
  if (!post.areas.includes(claims.a) || (gates.length > 0 && !gates.includes(gateId))) {
    return { shown: 'other_gate', claims, note: 'other_gate' };
  }
  if (claims.o && (known?.used || usedHere.includes(claims.i))) return { shown: 'replayed', claims, note: 'replayed' };
  return { shown: { valid: claims.k }, claims, note: '' };
}

async function idHash(salt, number) {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(`${salt}:${number}`));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

/// The server's steps before the rule, on the post: the pass checked, the person found by
/// register id or ID number among the gate's people. Someone not among them is refused unless a
/// good pass speaks for them: the device cannot know their standing. `input` is
/// {direction, subject, person, pass, confirmed}; returns {outcome, rule, person, pass, note}.
export async function judgeOffline(post, input, now, usedHere = []) {
  const gateId = post.gate.id;
  const found = input.pass ? await checkPass(input.pass, post, gateId, now, usedHere) : null;
  const subject = input.subject || (found?.claims ? subjectOf[found.claims.k] ?? 'resident' : 'resident');
  const typed = (input.person || '').trim().toUpperCase();
  let person = null;
  if (typed) {
    const hash = await idHash(post.salt, typed);
    person = post.people.find((p) => p.id.toUpperCase() === typed || p.id_hash === hash) ?? null;
    if (person === null && !(found && typeof found.shown === 'object')) {
      return { outcome: 'refused', rule: 'unknown_person', person: null, pass: found, subject };
    }
  } else if (found?.claims) {
    const holder = post.passes.find((p) => p.id === found.claims.i)?.person;
    person = holder ? post.people.find((p) => p.id === holder) ?? null : null;
  }
  if (person === null && found === null && subject === 'resident') {
    return { outcome: 'refused', rule: 'nobody_named', person: null, pass: null, subject };
  }
  let shown = found ? found.shown : 'none';
  const holder = found?.claims ? post.passes.find((p) => p.id === found.claims.i)?.person : null;
  if (person && holder && holder !== person.id) shown = 'not_theirs';
  const d = decide({
    direction: input.direction,
    subject,
    gate: post.rule,
    home: person ? person.home : null,
    lives_inside: person ? person.inside : false,
    standing: person ? person.standing : 'clear',
    pass: shown,
    confirmed: !!input.confirmed,
  });
  return { ...d, person, pass: found, subject };
}
