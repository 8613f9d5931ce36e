// The console's whole GraphQL client: fetch for queries and mutations, graphql-ws for the
// live streams. The token lives in session storage: it goes with the tab, not the browser.
import { createClient, type Client } from "graphql-ws";
import type { TypedDocumentString } from "./gql/graphql";

const TOKEN_KEY = "fieldgraph.console.token";

export function savedToken(): string | null {
  return sessionStorage.getItem(TOKEN_KEY);
}

export function saveToken(token: string | null): void {
  if (token) sessionStorage.setItem(TOKEN_KEY, token);
  else sessionStorage.removeItem(TOKEN_KEY);
}

export class ApiError extends Error {}

export async function request<R, V>(
  document: TypedDocumentString<R, V>,
  variables: V,
  token: string | null,
): Promise<R> {
  const response = await fetch("/graphql", {
    method: "POST",
    headers: {
      "Content-Type": "application/json",
      ...(token ? { Authorization: `Bearer ${token}` } : {}),
    },
    body: JSON.stringify({ query: document.toString(), variables }),
  });
  const body = (await response.json()) as { data?: R; errors?: { message: string }[] };
  if (body.errors?.length) throw new ApiError(body.errors.map((e) => e.message).join("; "));
  if (!body.data) throw new ApiError(`the API answered ${response.status} without data`);
  return body.data;
}

export function liveClient(token: string): Client {
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  return createClient({
    url: `${scheme}://${location.host}/graphql`,
    connectionParams: { Authorization: `Bearer ${token}` },
    retryAttempts: 10,
  });
}

/** Follow a subscription until the returned function is called. */
export function follow<R, V>(
  client: Client,
  document: TypedDocumentString<R, V>,
  variables: V,
  onData: (data: R) => void,
  onError: (message: string) => void,
): () => void {
  return client.subscribe<R>(
    { query: document.toString(), variables: variables as Record<string, unknown> },
    {
      next: (result) => {
        if (result.errors?.length) onError(result.errors.map((e) => e.message).join("; "));
        else if (result.data) onData(result.data);
      },
      error: (err) => onError(err instanceof Error ? err.message : "the live connection closed"),
      complete: () => undefined,
    },
  );
}

export interface ConsoleConfig {
  tileUrl: string | null;
}

export async function loadConfig(): Promise<ConsoleConfig> {
  try {
    const response = await fetch("/console/config.json");
    if (!response.ok) return { tileUrl: null };
    return (await response.json()) as ConsoleConfig;
  } catch {
    return { tileUrl: null };
  }
}
