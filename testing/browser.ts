import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContextOptions, type Page } from 'playwright-core';

/**
 * The web UI tests drive Debian's Chromium (installed by .ci/run) through
 * playwright-core, which never downloads a browser of its own.
 */
export const CHROMIUM = '/usr/bin/chromium';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
/** Screenshots land here (ignored by git), for a person to look at after a run. */
export const SCREENSHOT_DIR = join(ROOT, 'test-artifacts', 'screenshots');

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
}

/** A phone in portrait (the size of an iPhone 14). */
export const PHONE: BrowserContextOptions = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 };

/** A full-page screenshot in SCREENSHOT_DIR, named `${name}.png`; returns its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  await mkdir(SCREENSHOT_DIR, { recursive: true });
  const path = join(SCREENSHOT_DIR, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

export interface Overflow {
  /** How many CSS pixels the page is wider than the viewport the context asked for (0 when it fits). */
  pixels: number;
  /** What sticks out: elements and text runs past the right edge that no scroll box contains. */
  culprits: string[];
}

/**
 * Horizontal overflow against the viewport the context was created with. On a
 * phone (isMobile) Chromium widens the layout viewport to fit wide content, so
 * `window.innerWidth` grows with the page and cannot be the yardstick alone.
 */
export async function horizontalOverflow(page: Page): Promise<Overflow> {
  const width = page.viewportSize()?.width ?? 0;
  return page.evaluate((width) => {
    const scrolls = (el: Element | null): boolean => {
      for (let e = el; e && e !== document.body; e = e.parentElement) {
        if (['auto', 'scroll', 'hidden', 'clip'].includes(getComputedStyle(e).overflowX)) return true;
      }
      return false;
    };
    const culprits: string[] = [];
    for (const el of document.body.querySelectorAll('*')) {
      const box = el.getBoundingClientRect();
      if (box.width > 0 && box.right > width + 1 && !scrolls(el.parentElement)) culprits.push(`${el.outerHTML.slice(0, 100)} (right edge at ${Math.round(box.right)} px)`);
    }
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const range = document.createRange();
      range.selectNodeContents(node);
      const box = range.getBoundingClientRect();
      if (box.right > width + 1 && !scrolls(node.parentElement)) {
        culprits.push(`text "${node.textContent!.trim().slice(0, 60)}" in <${node.parentElement!.tagName.toLowerCase()} class="${node.parentElement!.className}"> (right edge at ${Math.round(box.right)} px)`);
      }
    }
    const pixels = Math.max(0, document.documentElement.scrollWidth - width, window.innerWidth - width);
    return { pixels, culprits };
  }, width);
}

/**
 * The accessibility basics every page must meet, as a list of what is wrong
 * (empty when the page passes): a language, a title, exactly one h1, alt text
 * on images, a name for every svg image, and a label for every form field.
 */
export function accessibilityProblems(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const problems: string[] = [];
    const text = (el: Element | null): string => (el?.textContent ?? '').replace(/\s+/g, ' ').trim();
    const describe = (el: Element): string => el.outerHTML.slice(0, 120);
    const labelledBy = (el: Element): string =>
      (el.getAttribute('aria-labelledby') ?? '')
        .split(/\s+/)
        .filter(Boolean)
        .map((id) => text(document.getElementById(id)))
        .join(' ')
        .trim();

    if (!document.documentElement.getAttribute('lang')?.trim()) problems.push('<html> has no lang');
    if (document.title.trim() === '') problems.push('the page has no <title>');
    const h1s = [...document.querySelectorAll('h1')];
    if (h1s.length !== 1) problems.push(`${h1s.length} h1 elements, not one`);
    else if (text(h1s[0]!) === '') problems.push('the h1 is empty');

    for (const img of document.querySelectorAll('img')) {
      if (!img.hasAttribute('alt')) problems.push(`image without alt: ${describe(img)}`);
    }
    for (const svg of document.querySelectorAll('svg[role="img"]')) {
      const title = [...svg.children].find((c) => c.tagName.toLowerCase() === 'title');
      const name = svg.getAttribute('aria-label')?.trim() || labelledBy(svg) || text(title ?? null);
      if (!name) problems.push(`svg image without an accessible name: ${describe(svg)}`);
    }
    const unlabelled = new Set(['hidden', 'submit', 'button', 'reset', 'image']);
    for (const field of document.querySelectorAll<HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement>('input, select, textarea')) {
      if (field instanceof HTMLInputElement && unlabelled.has(field.type)) continue;
      const labels = [...(field.labels ?? [])].map(text).filter(Boolean);
      const named = labels.length > 0 || Boolean(field.getAttribute('aria-label')?.trim()) || labelledBy(field) !== '';
      if (!named) problems.push(`form field without a label: ${describe(field)}`);
    }
    return problems;
  });
}
