import express, { type Request, type Response, type Router } from 'express';
import { InvalidRequestError, NotFoundError } from '@imageforge/contracts';
import { toWebhookAttemptObject, toWebhookDeliveryObject, type WebhookOutbox } from '@imageforge/webhooks';
import { sendJson } from './json-response';

const DEFAULT_LIMIT = 100;
const MAX_LIMIT = 1_000;

function deliveryNotFound(id: string): NotFoundError {
  return new NotFoundError(`No webhook delivery found with id '${id}'.`, { param: 'delivery_id', code: 'delivery_not_found' });
}

/** `?limit=` and `?offset=`: whole numbers within bounds, or OpenAI's 400 naming the parameter. */
function boundedInteger(req: Request, name: string, fallback: number, max: number, min: number): number {
  const raw = req.query[name];
  if (raw === undefined) return fallback;
  const value = typeof raw === 'string' && /^\d+$/.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new InvalidRequestError(`Invalid '${name}': expected an integer from ${min} to ${max}.`, { param: name, code: 'invalid_value' });
  }
  return value;
}

/**
 * The ops view of webhook deliveries, mounted at /admin/webhooks behind the admin key:
 * recent deliveries (newest first), one delivery's attempts, and a replay that queues
 * the same event to the same target under a new delivery id.
 */
export function adminWebhooksRouter(outbox: WebhookOutbox): Router {
  const router = express.Router();

  router.get('/deliveries', async (req: Request, res: Response) => {
    const limit = boundedInteger(req, 'limit', DEFAULT_LIMIT, MAX_LIMIT, 1);
    const offset = boundedInteger(req, 'offset', 0, MAX_LIMIT, 0);
    const { deliveries, hasMore } = await outbox.log.list({ limit, offset });
    sendJson(res, 200, { object: 'list', data: deliveries.map(toWebhookDeliveryObject), has_more: hasMore });
  });

  router.get('/deliveries/:id', async (req: Request, res: Response) => {
    const id = String(req.params.id);
    const delivery = await outbox.log.get(id);
    if (!delivery) throw deliveryNotFound(id);
    sendJson(res, 200, { ...toWebhookDeliveryObject(delivery), attempt_log: delivery.attemptLog.map(toWebhookAttemptObject) });
  });

  router.post('/deliveries/:id/replay', async (req: Request, res: Response) => {
    const id = String(req.params.id);
    const replayId = await outbox.replay(id);
    if (!replayId) throw deliveryNotFound(id);
    sendJson(res, 202, { id: replayId, object: 'webhook.delivery', state: 'pending', replay_of: id });
  });

  return router;
}
