import { cpSync, existsSync, mkdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { bodyOf, useImageStack } from './support/image-stack.harness';
import { makePng } from './support/test-images';

const CHROMIUM = '/usr/bin/chromium';
const ADMIN_KEY = 'dashboard-e2e-admin-key-0123456789';
/** Set to rewrite the README's screenshots; CI leaves docs alone. */
const SCREENSHOTS = process.env.DASHBOARD_SCREENSHOTS === '1';
const DOCS = resolve(__dirname, '..', '..', 'docs');

const withBrowser = existsSync(CHROMIUM) ? describe : describe.skip;
if (!existsSync(CHROMIUM)) console.warn(`dashboard browser tests skipped: ${CHROMIUM} does not exist (apt-get install chromium)`);

withBrowser('the ops dashboard in a real browser', () => {
  jest.setTimeout(90_000);
  const stack = useImageStack({
    apiEnv: { ADMIN_KEY },
    workerEnv: { WORKER_HEARTBEAT_INTERVAL_MS: '500' },
    models: [{ id: 'dall-e-2', profile: 'dall-e-2', engine: { kind: 'synthetic', delayMsPerImage: 150 } }],
  });
  let browser: Browser;
  let page: Page;
  const confirmations: string[] = [];

  beforeAll(async () => {
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
    page = await browser.newPage({ viewport: { width: 1360, height: 900 } });
    page.on('dialog', (dialog) => {
      confirmations.push(dialog.message());
      void dialog.accept();
    });
  });
  afterAll(async () => {
    await browser?.close();
  });

  const submitAsync = async (prompt: string): Promise<string> => {
    const response = await stack.request('/v1/images/generations', {
      method: 'POST',
      headers: { 'content-type': 'application/json', prefer: 'respond-async' },
      body: JSON.stringify({ prompt, size: '256x256' }),
    });
    expect(response.status).toBe(202);
    return (await bodyOf(response)).id;
  };
  const jobStatus = async (id: string): Promise<string> => (await bodyOf(await stack.request(`/v1/images/jobs/${id}`))).status;
  async function untilStatus(id: string, wanted: string): Promise<void> {
    for (let i = 0; i < 300; i++) {
      if ((await jobStatus(id)) === wanted) return;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`job ${id} never became ${wanted} (is ${await jobStatus(id)})`);
  }
  const textOf = (selector: string) => page.locator(selector).first().textContent({ timeout: 15_000 });
  /** Polls the page's text from here: the assertions below read what a user would see. */
  async function waitForText(selector: string, test: string | RegExp, timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const text = (await page.locator(selector).first().textContent({ timeout: 1000 }).catch(() => null)) ?? '';
      if (typeof test === 'string' ? text === test : test.test(text)) return;
      if (Date.now() > deadline) throw new Error(`${selector} shows "${text}", never ${String(test)}`);
      await page.waitForTimeout(100);
    }
  }
  const asyncCell = (col: string) => `#lanes-table tr[data-lane="images/async"] [data-col="${col}"]`;
  async function act(formId: string, button: string, fields: Record<string, string> = {}): Promise<string> {
    await page.goto(`${stack.url}/dashboard/#actions`);
    const form = page.locator(`#${formId}`);
    // The queue pickers fill from the first snapshot.
    if (await form.locator('select[name="queue"]').count()) await form.locator('select[name="queue"] option[value="images"]').waitFor({ state: 'attached', timeout: 15_000 });
    for (const [name, value] of Object.entries(fields)) {
      const field = form.locator(`[name="${name}"]`);
      if ((await field.evaluate((node) => node.tagName)) === 'SELECT') await field.selectOption(value);
      else await field.fill(value);
    }
    const asked = confirmations.length;
    await page.locator('#action-result').evaluate((node) => (node.textContent = ''));
    await form.locator('button', { hasText: button }).click();
    await waitForText('#action-result', /affected|failed/);
    expect(confirmations.length).toBe(asked + 1);
    return (await textOf('#action-result')) ?? '';
  }

  it('asks for the admin key, refuses a wrong one, and shows the overview with real jobs', async () => {
    const done = await Promise.all([submitAsync('first'), submitAsync('second'), submitAsync('third')]);
    for (const id of done) await untilStatus(id, 'succeeded');

    await page.goto(`${stack.url}/dashboard/`);
    expect(new URL(page.url()).pathname).toBe('/dashboard/login');
    await page.fill('#key', 'not-the-admin-key');
    await page.click('button[type="submit"]');
    await waitForText('.message', 'That is not the admin key.');
    await page.fill('#key', ADMIN_KEY);
    await page.click('button[type="submit"]');
    await page.waitForURL(`${stack.url}/dashboard/`);

    await waitForText('#total-workers', '1');
    await waitForText('#overview-models-table tr[data-model="dall-e-2"] [data-col="completed"]', /^[3-9]$|^\d\d+$/);
    expect(await textOf(asyncCell('state'))).toBe('running');
    await page.click('a[href="#workers"]');
    await waitForText('#workers-table [data-col="state"]', /idle|busy/);
    expect(await textOf('#workers-table [data-col="engines"]')).toContain('dall-e-2: synthetic on cpu');
    await page.click('a[href="#overview"]');
  });

  it('changes the waiting count in place as jobs arrive, without a reload', async () => {
    await stack.stopWorker();
    await waitForText(asyncCell('waiting'), '0');
    await page.evaluate('window.samePage = true');
    const queued = [await submitAsync('live one'), await submitAsync('live two')];
    await waitForText(asyncCell('waiting'), '2');
    await waitForText('#total-waiting', '2');
    expect(await page.evaluate('window.samePage')).toBe(true);

    await stack.startWorker();
    for (const id of queued) await untilStatus(id, 'succeeded');
    await waitForText(asyncCell('waiting'), '0');
    expect(await page.evaluate('window.samePage')).toBe(true);
    if (SCREENSHOTS) {
      mkdirSync(DOCS, { recursive: true });
      await page.waitForTimeout(2500);
      await page.screenshot({ path: join(DOCS, 'dashboard-overview.png'), fullPage: true });
    }
  });

  it('pauses a lane: a job queued meanwhile stays queued, and runs once the lane resumes', async () => {
    expect(await act('queue-action', 'Pause', { queue: 'images', lane: 'async' })).toBe('pause: 1 affected.');
    expect(confirmations.at(-1)).toBe('pause images/async?');
    const held = await submitAsync('held while paused');
    await page.goto(`${stack.url}/dashboard/#overview`);
    await waitForText(asyncCell('state'), 'paused');
    await waitForText(asyncCell('waiting'), '1');
    // Several worker polls later it is still waiting: the worker takes nothing from a paused lane.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(await jobStatus(held)).toBe('queued');
    expect(await stack.jobState(held)).toBe('waiting');

    expect(await act('queue-action', 'Resume', { queue: 'images', lane: 'async' })).toBe('resume: 1 affected.');
    await untilStatus(held, 'succeeded');
    await waitForText('#actions-table tbody tr:nth-child(1) [data-col="action"]', 'resume');
    expect(await textOf('#actions-table tbody tr:nth-child(2) [data-col="action"]')).toBe('pause');
    expect(await textOf('#actions-table tbody tr:nth-child(1) [data-col="who"]')).toMatch(/^dashboard:/);
  });

  it('cancels one job, cancels the matching ones, and drains a lane', async () => {
    await act('queue-action', 'Pause', { queue: 'images', lane: 'async' });
    const [one, two, three] = [await submitAsync('cancel me'), await submitAsync('match me'), await submitAsync('match me too')];
    expect(await act('job-action', 'Cancel', { jobId: one! })).toBe('cancel: 1 affected.');
    await untilStatus(one!, 'cancelled');
    expect(await jobStatus(two!)).toBe('queued');
    expect(await act('filter-action', 'Cancel all waiting', { queue: 'images', lane: 'async' })).toBe('cancel: 2 affected.');
    await untilStatus(two!, 'cancelled');
    await untilStatus(three!, 'cancelled');

    const drained = await submitAsync('drain me');
    expect(await act('queue-action', 'Drain', { queue: 'images', lane: 'async' })).toMatch(/^drain: [1-9]\d* affected\.$/);
    await untilStatus(drained, 'cancelled');
    await act('queue-action', 'Resume', { queue: 'images', lane: 'async' });
  });

  it('shows a failed job by error class, retries it, and shows its page when looked up by id', async () => {
    await stack.stopWorker();
    const form = new FormData();
    form.append('image', new Blob([await makePng(256, 256)], { type: 'image/png' }), 'in.png');
    form.append('size', '256x256');
    const accepted = await bodyOf(await stack.request('/v1/images/variations', { method: 'POST', body: form, headers: { prefer: 'respond-async' } }));
    const id: string = accepted.id;
    // Inputs live in storage, not in Redis: with them gone, the attempt fails; put back, the retry succeeds.
    const inputs = join(stack.dir, 'objects', 'objects', 'jobs', id);
    const aside = join(stack.dir, 'aside', id);
    cpSync(inputs, aside, { recursive: true });
    rmSync(inputs, { recursive: true, force: true });
    await stack.startWorker();
    await untilStatus(id, 'failed');

    await page.goto(`${stack.url}/dashboard/#failures`);
    await page.locator(`#failure-groups a[href="#job/${id}"]`).waitFor({ timeout: 15_000 });
    await page.goto(`${stack.url}/dashboard/#job/${id}`);
    await waitForText('#job-detail dd[data-fact="Status"]', 'failed');
    expect(Number(await textOf('#job-detail dd[data-fact="Attempts"]'))).toBeGreaterThanOrEqual(1);

    cpSync(aside, inputs, { recursive: true });
    expect(await act('job-action', 'Retry', { jobId: id })).toBe('retry: 1 affected.');
    expect(confirmations.at(-1)).toBe(`retry job ${id}?`);
    await untilStatus(id, 'succeeded');

    await page.goto(`${stack.url}/dashboard/#jobs`);
    await page.fill('#job-search input[name="text"]', id);
    await page.click('#job-search button[type="submit"]');
    await page.waitForURL(`${stack.url}/dashboard/#job/${id}`);
    await waitForText('#job-id', id);
    await waitForText('#job-detail dd[data-fact="Status"]', 'succeeded');
    expect(await textOf('#job-detail dd[data-fact="Model"]')).toBe('dall-e-2 (variation)');
    await page.locator('#job-detail .thumbs[data-kind="outputs"] img').first().waitFor({ timeout: 15_000 });
    // The output is shown from its signed link; the input was deleted when the job finished, and says so.
    await page.waitForFunction(`[...document.querySelectorAll('#job-detail .thumbs[data-kind="outputs"] img')].every((img) => img.complete && img.naturalWidth === 256)`);
    await waitForText('#job-detail .thumbs[data-kind="inputs"]', /no longer stored/);
    if (SCREENSHOTS) await page.screenshot({ path: join(DOCS, 'dashboard-job.png'), fullPage: true });
  });

  it('cleans finished jobs older than a given age', async () => {
    const finished = await submitAsync('to be cleaned');
    await untilStatus(finished, 'succeeded');
    expect(await act('clean-action', 'Clean', { queue: 'images', lane: 'async', state: 'completed', olderThanMinutes: '0' })).toMatch(/^clean: [1-9]\d* affected\.$/);
    expect(confirmations.at(-1)).toBe('Remove completed jobs older than 0 min from images/async?');
    expect(await stack.jobState(finished)).toBe('unknown');
  });
});
