import { launchChromium } from './test/helpers/browser.js';

const b = await launchChromium();
const p = await b.newPage({ viewport: { width: 1440, height: 1000 } });
await p.goto('http://127.0.0.1:8931/?dataset=contrail_preview');
await p.waitForFunction(() => document.body.dataset.state !== 'loading');
console.log(await p.textContent('#status'));
await p.selectOption('#metric', 'search_count');
await p.waitForFunction(() => document.body.dataset.state !== 'loading');
console.log(await p.textContent('#status'));
await p.screenshot({ path: '/tmp/dash/shot.png' });
await b.close();
