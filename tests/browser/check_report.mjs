// What a district admin sees of an upload's report.html on a phone, as a headless browser
// renders it: opens FILE in Chromium at a 390x844 viewport (a phone's, the page's viewport meta
// honoured), collects console errors and page errors, and prints one JSON line:
//   {"consoleErrors": [...], "verdict": "...", "verdictVisible": bool, "firstError": "..." | null,
//    "firstErrorVisible": bool, "scrollWidth": n, "externalRequests": [...]}
// where "visible" means the element's box lies inside the first viewport, unscrolled. Exits 1
// if the page cannot be loaded, 2 on wrong usage, 3 if playwright-core or the browser is missing.
//
//   node tests/browser/check_report.mjs FILE
//
// playwright-core is pinned in infra/local/package.json and installed into .local/node by
// `infra/local/stack.sh install` (which `make test` runs), as is Debian's chromium.
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const CHROMIUM = '/usr/bin/chromium';
const VIEWPORT = { width: 390, height: 844 };

const file = process.argv[2];
if (!file || process.argv.length > 3) {
  console.error('usage: node tests/browser/check_report.mjs FILE');
  process.exit(2);
}
const require = createRequire(new URL('../../.local/node/package.json', import.meta.url));
let chromium;
try {
  ({ chromium } = require('playwright-core'));
} catch (e) {
  console.error(`playwright-core is not installed in .local/node: run infra/local/stack.sh install (${e.message})`);
  process.exit(3);
}
if (!existsSync(CHROMIUM)) {
  console.error(`${CHROMIUM} is missing: run infra/local/stack.sh install (apt-get install chromium)`);
  process.exit(3);
}

const browser = await chromium.launch({
  executablePath: CHROMIUM,
  headless: true,
  args: [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
  ],
});
let status = 0;
try {
  const context = await browser.newContext({ viewport: VIEWPORT, isMobile: true, hasTouch: true, deviceScaleFactor: 2 });
  // The page must stand alone: anything it would fetch besides itself is refused and listed.
  const url = pathToFileURL(resolve(file)).href;
  const externalRequests = [];
  await context.route('**/*', (route) => {
    if (route.request().url() === url) return route.continue();
    externalRequests.push(route.request().url());
    return route.abort();
  });
  const page = await context.newPage();
  const consoleErrors = [];
  page.on('console', (message) => {
    if (message.type() === 'error') consoleErrors.push(message.text());
  });
  page.on('pageerror', (error) => consoleErrors.push(String(error)));
  await page.goto(url, { waitUntil: 'load', timeout: 30_000 });
  const seen = await page.evaluate(() => {
    const visible = (element) => {
      if (!element) return false;
      const box = element.getBoundingClientRect();
      const style = getComputedStyle(element);
      return box.width > 0 && box.height > 0 && style.visibility !== 'hidden' && style.display !== 'none'
        && box.top >= 0 && box.left >= 0 && box.bottom <= window.innerHeight && box.right <= window.innerWidth;
    };
    const verdict = document.getElementById('verdict');
    const firstError = document.getElementById('first-error');
    return {
      verdict: verdict ? verdict.innerText : null,
      verdictVisible: visible(verdict),
      firstError: firstError ? firstError.innerText : null,
      firstErrorVisible: visible(firstError),
      scrollWidth: document.documentElement.scrollWidth,
    };
  });
  console.log(JSON.stringify({ consoleErrors, ...seen, externalRequests }));
} catch (e) {
  console.error(`the report could not be loaded: ${e.message}`);
  status = 1;
} finally {
  await browser.close();
}
process.exit(status);
