import { html, type Html } from '../html.js';
import { copyButton } from '../layout.js';

/** `POST /api/v1/verify`: the report of @sigstore/verify and the registry's own checks. */
export interface VerificationAnswer {
  verified: boolean;
  checks: { name: string; passed: boolean; detail: string }[];
  signer: { keyId?: string; identity?: { subjectAlternativeName?: string; issuer?: string } } | null;
  mediaType: string | null;
  kind: string | null;
  digest: string;
}

export interface SignatureInput {
  /** The Sigstore bundle (`GET …/signature`). */
  bundle: any;
  /** The verify endpoint's report, or why there is none. */
  verification: VerificationAnswer | { problem: string };
  /** Page links (relative): the bundle and the keys. */
  links: { bundle: string; keys: string };
  /** Absolute URLs for the commands a reader copies. */
  absolute: { bundle: string; keys: string; module: string };
}

/** The key id a bundle names: cosign's public-key hint, when signed with a key (not keyless). */
export function bundleKeyId(bundle: any): string | null {
  const hint = bundle?.verificationMaterial?.publicKey?.hint;
  return typeof hint === 'string' && hint !== '' ? hint : null;
}

/** "Verified" or "Not verified: <why>", one line a reader can trust at a glance. */
export function verificationSentence(verification: VerificationAnswer | { problem: string }): string {
  if ('problem' in verification) return `Not verified: ${verification.problem}`;
  if (verification.verified) return `Verified: the signature covers exactly the module with digest ${verification.digest}.`;
  const failed = verification.checks.find((c) => !c.passed);
  return `Not verified: ${failed ? `${failed.name.replaceAll('_', ' ')}: ${failed.detail}` : 'no check ran'}`;
}

/** The signature section: key id, the verify endpoint's result and its checks, and how to check it yourself. */
export function signatureView(input: SignatureInput): Html {
  const v = input.verification;
  const report = 'problem' in v ? null : v;
  const keyId = report?.signer?.keyId ?? bundleKeyId(input.bundle);
  const identity = report?.signer?.identity ?? null;
  const ok = report?.verified === true;
  const command = `curl -sSo module.wasm ${input.absolute.module}
curl -sSo signature.json ${input.absolute.bundle}
curl -sSo registry.pub ${input.absolute.keys}
cosign verify-blob --key registry.pub --bundle signature.json --new-bundle-format module.wasm`;

  return html`<section id="signature" aria-labelledby="signature-heading">
<h2 id="signature-heading">Signature</h2>
<p id="signature-verification" class="verdict ${ok ? 'ok' : 'bad'}" role="status"><strong>${ok ? 'Verified' : 'Not verified'}</strong>${verificationSentence(v).replace(/^(Verified|Not verified)/, '')}</p>
<dl class="kv">
${keyId !== null ? html`<dt>Key id</dt><dd><div class="copyable"><code id="signature-key-id">${keyId}</code>${copyButton('signature-key-id', 'Copy key id')}</div></dd>` : ''}
${identity ? html`<dt>Signed by</dt><dd>${identity.subjectAlternativeName ?? ''}${identity.issuer ? html` <span class="muted">(issuer ${identity.issuer})</span>` : ''}</dd>` : ''}
<dt>Format</dt><dd>${input.bundle?.mediaType ?? report?.mediaType ?? 'Sigstore bundle'}${report?.kind ? html`, ${report.kind === 'dsse' ? 'DSSE envelope' : 'message signature'}` : ''}</dd>
${
  report !== null && report.checks.length > 0
    ? html`<dt>Checks</dt><dd><ul class="plain checks">${report.checks.map(
        (c) => html`<li><span class="badge ${c.passed ? 'ok' : 'bad'}">${c.passed ? 'passed' : 'failed'}</span> ${c.name.replaceAll('_', ' ')}: <span class="small">${c.detail}</span></li>`,
      )}</ul></dd>`
    : ''
}
</dl>
<p class="small">The <a href="${input.links.bundle}">Sigstore bundle (JSON)</a> and the registry's <a href="${input.links.keys}">public keys (PEM)</a>. Check it yourself with cosign:</p>
<div class="copyable"><pre id="verify-command">${command}</pre>${copyButton('verify-command', 'Copy the verification commands')}</div>
</section>`;
}

export function signatureUnavailable(reason: string): Html {
  return html`<section id="signature" aria-labelledby="signature-heading"><h2 id="signature-heading">Signature</h2><p id="signature-verification" class="muted">Not verified: ${reason}</p></section>`;
}
