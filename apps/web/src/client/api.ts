/**
 * The browser's side of the JSON API: every state-changing call carries the
 * header the server's CSRF check asks for, and every failure comes back as
 * the server's own sentence, so a page can show it as it is.
 */
export const CSRF_HEADER = 'x-faultline-request';

export type ApiResult<T> =
  | { readonly kind: 'ok'; readonly value: T }
  | {
      readonly kind: 'err';
      readonly status: number;
      readonly message: string;
      readonly body: Record<string, unknown>;
    };

export async function callApi<T>(
  path: string,
  init: { method?: string; body?: unknown } = {},
): Promise<ApiResult<T>> {
  const method = init.method ?? (init.body === undefined ? 'GET' : 'POST');
  let response: Response;
  try {
    response = await fetch(path, {
      method,
      headers: {
        ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
        ...(method === 'GET' ? {} : { [CSRF_HEADER]: '1' }),
      },
      ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
      credentials: 'same-origin',
    });
  } catch {
    return {
      kind: 'err',
      status: 0,
      message: 'The server could not be reached. Check your connection and try again.',
      body: {},
    };
  }
  const text = await response.text();
  let body: Record<string, unknown> = {};
  try {
    body = text === '' ? {} : (JSON.parse(text) as Record<string, unknown>);
  } catch {
    body = {};
  }
  if (response.ok) return { kind: 'ok', value: body as T };
  const message = typeof body.error === 'string' ? body.error : `The server answered ${response.status}.`;
  return { kind: 'err', status: response.status, message, body };
}
